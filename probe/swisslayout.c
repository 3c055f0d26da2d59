/*
 * swisslayout.c — field offsets of Go's Swiss-table maps, checked in the
 * runtime sources of go1.24.4, 1.26.10 and 1.27.3 (internal/runtime/maps
 * map.go and table.go, internal/abi/map*.go).  Every field read here sits at
 * the same place in all of them: 1.25 filled padding with tombstonePossible,
 * and 1.27's MapType changed only what follows GroupSize.  A release past the
 * last one checked is refused rather than guessed.
 */
#include "config.h"

#include <string.h>

#include "swiss.h"

#define SW_LAST_MINOR 27

int ms_swiss_layout(int major, int minor, struct sw_layout *l)
{
    if (major != 1 || minor < 24 || minor > SW_LAST_MINOR)
        return -1;
    memset(l, 0, sizeof *l);
    l->minor = minor;
    /* Map: used uint64; seed uintptr; dirPtr unsafe.Pointer; dirLen int; globalDepth,
     * globalShift, writing uint8; tombstonePossible bool (1.25+); clearSeq uint64 */
    l->map_size = 48;
    l->used = 0;
    l->seed = 8;
    l->dirptr = 16;
    l->dirlen = 24;
    l->gdepth = 32;
    l->gshift = 33;
    l->writing = 34;
    l->tomb_possible = 35;
    l->has_tomb_possible = minor >= 25;
    l->clearseq = 40;
    /* table: used, capacity, growthLeft uint16; localDepth uint8; index int;
     * groups {data unsafe.Pointer; lengthMask uint64} */
    l->table_size = 32;
    l->t_used = 0;
    l->t_cap = 2;
    l->t_growth = 4;
    l->t_ldepth = 6;
    l->t_index = 8;
    l->t_groups = 16;
    l->t_mask = 24;
    /* abi.SwissMapType / MapType: Type (48 bytes); Key, Elem, Group *Type; Hasher;
     * GroupSize uintptr.  Type.PtrBytes at +8. */
    l->mt_key = 48;
    l->mt_elem = 56;
    l->mt_group = 64;
    l->mt_groupsize = 80;
    l->type_ptrbytes = 8;
    return 0;
}
