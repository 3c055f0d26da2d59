/*
 * swisslayout.c — the Swiss tracker's view of the runtime layout.
 *
 * The offsets themselves are the binary inspection's (golayout.c built-in
 * tables, checked against DWARF in godwarf.c); this picks the fields the
 * tracker reads and refuses a Go release past the last one whose map code we
 * checked (the tracker's invariants, not only the offsets, must still hold).
 */
#include "config.h"

#include <string.h>

#include "gobin.h"
#include "swiss.h"

#define SW_LAST_MINOR 27 /* last Go release whose internal/runtime/maps was checked */
#define TYPE_PTRBYTES 8  /* abi.Type.PtrBytes: the same since Go 1.17 */

int ms_swiss_layout_from(const struct ms_golayout *g, int minor, struct sw_layout *l)
{
    if (g->impl != MS_GOMAP_SWISS || minor < 24 || minor > SW_LAST_MINOR || g->m_size > 64 ||
        g->t_size > 64 || g->mt_groupsize > 88)
        return -1;
    memset(l, 0, sizeof *l);
    l->minor = minor;
    l->map_size = g->m_size;
    l->used = g->m_used;
    l->seed = g->m_seed;
    l->dirptr = g->m_dirptr;
    l->dirlen = g->m_dirlen;
    l->gdepth = g->m_globaldepth;
    l->gshift = g->m_globalshift;
    l->writing = g->m_writing;
    l->has_tomb_possible = g->m_tombstones != MS_GO_NOFIELD && g->m_tombstones != 0;
    l->tomb_possible = l->has_tomb_possible ? g->m_tombstones : 0;
    l->clearseq = g->m_clearseq;
    l->table_size = g->t_size;
    l->t_used = g->t_used;
    l->t_cap = g->t_capacity;
    l->t_growth = g->t_growthleft;
    l->t_ldepth = g->t_localdepth;
    l->t_index = g->t_index;
    l->t_groups = g->t_groups;
    l->t_mask = g->t_lengthmask;
    l->mt_key = g->mt_key;
    l->mt_elem = g->mt_elem;
    l->mt_group = g->mt_group;
    l->mt_groupsize = g->mt_groupsize;
    l->type_ptrbytes = TYPE_PTRBYTES;
    return 0;
}

int ms_swiss_layout(int major, int minor, struct sw_layout *l)
{
    struct ms_golayout g;
    if (ms_golayout_swiss(major, minor, false, &g) < 0)
        return -1;
    return ms_swiss_layout_from(&g, minor, l);
}
