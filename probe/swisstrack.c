/*
 * swisstrack.c — the target's Swiss-table maps as the loader sees them.
 *
 * Maps enter through the rehash probe (every table growth or split of a table
 * of 128+ slots, so only maps worth following) and through the attach-time
 * heap scan.  Each poll re-reads the 48-byte Map header, the directory and
 * every distinct table header (32 bytes), all read-only through the remote
 * reader, and sums capacity, live entries, tombstones and the bytes the map
 * holds.  No per-operation function is probed.
 *
 * A polled address is trusted only while it still looks like the same map:
 * maps never shrink, so a directory that got shorter, a total capacity that
 * dropped or a table header that breaks the table invariants means the memory
 * belongs to something else now.  The seed is redrawn when the map is cleared
 * or its last entry deleted (clearSeq counts clears), so a new seed alone is
 * accepted only with one of those.  One odd read is not enough (a torn read
 * while the program writes): two in a row retire the map.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "maptrack.h" /* ms_go_roundupsize */
#include "swiss.h"

#define LARGE_OBJECT   32760 /* mallocgc: larger objects get a span of their own */
#define HEADER_MIN     512   /* pointer objects above this carry an 8-byte type header */
#define DEDUP_WINDOW_S 0.05  /* a morestack re-entry of rehash comes sooner */

uint64_t ms_sw_max_growth(uint64_t capacity)
{
    return capacity <= SW_GROUP_SLOTS ? (capacity ? capacity - 1 : 0) : capacity * 7 / 8;
}

uint64_t ms_sw_alloc_bytes(uint64_t size, bool pointers)
{
    if (size > LARGE_OBJECT)
        return (size + 8191) & ~(uint64_t)8191;
    return ms_go_roundupsize(size + (pointers && size > HEADER_MIN ? 8 : 0));
}

static int rd(const struct sw_tracker *tr, uint64_t addr, void *buf, size_t len)
{
    return addr ? tr->proc.rd.read(tr->proc.rd.ctx, addr, buf, len) : -1;
}

void ms_sw_init(struct sw_tracker *tr, pid_t pid, const struct ms_remote *rd,
                const struct ms_gobin *bin, const struct sw_layout *lay, int stacks_fd,
                size_t max_maps)
{
    *tr = (struct sw_tracker){.lay = *lay, .max = max_maps};
    ms_gm_proc_init(&tr->proc, pid, rd, bin, stacks_fd);
}

void ms_sw_free(struct sw_tracker *tr)
{
    ms_gm_array_free(&tr->maps, &tr->n, &tr->cap);
    ms_gm_kept_free(&tr->types, &tr->ntypes, &tr->captypes);
}

/* ------------------------------------------------------------------ types -- */

/* Keep ty in the type table (maps point at its entries). */
static const struct sw_type *add_type(struct sw_tracker *tr, const struct sw_type *ty)
{
    return ms_gm_keep(&tr->types, &tr->ntypes, &tr->captypes, ty, sizeof *ty);
}

/* The map type descriptor at t, read from the process (PIE binaries relocate it). */
static const struct sw_type *type_of(struct sw_tracker *tr, uint64_t t)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < tr->ntypes; i++)
        if (tr->types[i]->t == t)
            return tr->types[i];
    const struct sw_layout *l = &tr->lay;
    uint8_t mt[96];
    uint64_t ptrbytes = 0;
    if (rd(tr, t, mt, l->mt_groupsize + 8) < 0)
        return NULL;
    struct sw_type ty = {.t = t, .groupsize = ms_gm_rdn(mt + l->mt_groupsize, 8)};
    /* 8 control bytes + 8 slots of at least one byte, at most 8 x (128 + 128) */
    if (ty.groupsize < 16 || ty.groupsize > 8 + 8 * 256)
        return NULL;
    ty.pointers = rd(tr, ms_gm_rdn(mt + l->mt_group, 8) + l->type_ptrbytes, &ptrbytes, 8) == 0 &&
                  ptrbytes != 0;
    ms_gm_type_names(&tr->proc, ms_gm_rdn(mt + l->mt_key, 8), ms_gm_rdn(mt + l->mt_elem, 8), ty.key,
                     sizeof ty.key, ty.elem, sizeof ty.elem);
    return add_type(tr, &ty);
}

/* ------------------------------------------------------------------- maps -- */

static struct sw_map *find(struct sw_tracker *tr, uint64_t m)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->maps[i].m == m)
            return &tr->maps[i];
    return NULL;
}

static struct sw_map *add(struct sw_tracker *tr, uint64_t addr, double now)
{
    if (tr->n == tr->max) {
        /* Full: forget the map holding least (a probe-seen map is worth more than a
         * scanned one of the same size: its history cannot be read again). */
        size_t victim = 0;
        for (size_t i = 1; i < tr->n; i++)
            if (ms_sw_held(&tr->maps[i]) < ms_sw_held(&tr->maps[victim]))
                victim = i;
        if (!tr->n)
            return NULL;
        tr->maps[victim] = tr->maps[--tr->n];
        tr->st.evicted++;
    }
    struct sw_map *m = ms_gm_push(&tr->maps, &tr->n, &tr->cap, sizeof *m, 64);
    if (!m)
        return NULL;
    m->m = addr;
    m->first_seen = now;
    m->type_from = SW_TYPE_UNKNOWN;
    return m;
}

struct hdr {
    uint64_t used, seed, dirptr, dirlen, clearseq;
    uint8_t gdepth, gshift, writing;
    bool tomb_possible;
};

static void decode(const struct sw_layout *l, const uint8_t *b, struct hdr *h)
{
    h->used = ms_gm_rdn(b + l->used, 8);
    h->seed = ms_gm_rdn(b + l->seed, 8);
    h->dirptr = ms_gm_rdn(b + l->dirptr, 8);
    h->dirlen = ms_gm_rdn(b + l->dirlen, 8);
    h->gdepth = b[l->gdepth];
    h->gshift = b[l->gshift];
    h->writing = b[l->writing];
    h->tomb_possible = l->has_tomb_possible && b[l->tomb_possible];
    h->clearseq = ms_gm_rdn(b + l->clearseq, 8);
}

/* The invariants of a Map header with tables (small maps are never followed). */
static bool sane(const struct hdr *h)
{
    if (!h->dirptr || h->dirlen == 0 || h->dirlen > SW_MAX_DIRLEN || (h->dirlen & (h->dirlen - 1)))
        return false;
    if (h->dirlen != 1ULL << h->gdepth || h->gshift != 64 - h->gdepth || h->writing > 1)
        return false;
    return true;
}

/* Table capacities are powers of two from one group to maxTableCapacity. */
static bool table_cap_ok(uint64_t cap)
{
    return cap >= SW_GROUP_SLOTS && cap <= SW_MAX_TABLE_CAP && !(cap & (cap - 1));
}

struct tsum {
    uint64_t capacity, used, tombstones, tables, group_bytes, large_arrays, large_bytes;
};

/* Read the directory and every distinct table; NULL, or what is wrong. */
static const char *read_tables(struct sw_tracker *tr, const struct hdr *h, const struct sw_type *ty,
                               struct tsum *s)
{
    const struct sw_layout *l = &tr->lay;
    uint64_t *dir = malloc(h->dirlen * 8);
    const char *why = NULL;
    memset(s, 0, sizeof *s);
    if (!dir)
        return "out of memory";
    if (rd(tr, h->dirptr, dir, h->dirlen * 8) < 0) {
        free(dir);
        return "directory unreadable";
    }
    for (uint64_t i = 0; i < h->dirlen && !why;) {
        uint8_t t[64];
        if (rd(tr, dir[i], t, l->table_size) < 0) {
            why = "table unreadable";
            break;
        }
        uint64_t cap = ms_gm_rdn(t + l->t_cap, 2), used = ms_gm_rdn(t + l->t_used, 2);
        uint64_t left = ms_gm_rdn(t + l->t_growth, 2), ld = t[l->t_ldepth];
        uint64_t mask = ms_gm_rdn(t + l->t_mask, 8), groups = ms_gm_rdn(t + l->t_groups, 8);
        uint64_t max = ms_sw_max_growth(cap);
        if (!table_cap_ok(cap) || ld > h->gdepth || used + left > max ||
            mask + 1 != cap / SW_GROUP_SLOTS || !groups) {
            why = "table header no longer a table's";
            break;
        }
        /* a table of local depth ld fills 2^(global - local) consecutive entries */
        uint64_t span = 1ULL << (h->gdepth - ld);
        s->tables++;
        s->capacity += cap;
        s->used += used;
        s->tombstones += max - used - left;
        if (ty && ty->groupsize) {
            uint64_t b = ms_sw_alloc_bytes((mask + 1) * ty->groupsize, ty->pointers);
            s->group_bytes += b;
            if (b > LARGE_OBJECT) {
                s->large_arrays++;
                s->large_bytes += b;
            }
        }
        i = (i / span + 1) * span;
    }
    free(dir);
    return why;
}

/* Fold a fresh header into the map; the reason when it is no longer this map. */
static const char *update(struct sw_tracker *tr, struct sw_map *m, const struct hdr *h, double now)
{
    if (!sane(h))
        return "header no longer a Swiss map's";
    if (m->polled && h->dirlen < m->dirlen)
        return "directory shrank: freed and reused";
    if (m->polled && h->clearseq < m->clearseq)
        return "clear count went back: freed and reused";
    bool reseeded = h->used == 0 || h->clearseq != m->clearseq;
    if (m->polled && h->seed != m->seed && !reseeded)
        return "hash seed changed: freed and reused";
    struct tsum s;
    const char *why = read_tables(tr, h, m->type, &s);
    if (why)
        return why;
    if (m->polled && s.capacity < m->capacity)
        return "capacity dropped: freed and reused";
    if (h->used > s.capacity)
        return "more entries than slots: not a map";
    if (m->polled && h->clearseq > m->clearseq)
        m->clears += (unsigned)(h->clearseq - m->clearseq);
    if (m->polled && (h->used != m->used || h->clearseq != m->clearseq || h->seed != m->seed ||
                      s.capacity != m->capacity))
        m->changed = true; /* written to while watched: in use */
    m->used = h->used;
    m->seed = h->seed;
    m->dirptr = h->dirptr;
    m->dirlen = h->dirlen;
    m->clearseq = h->clearseq;
    m->gdepth = h->gdepth;
    m->tomb_possible = h->tomb_possible;
    m->capacity = s.capacity;
    m->tables = s.tables;
    m->tombstones = s.tombstones;
    m->group_bytes = s.group_bytes;
    m->table_bytes = s.tables * ms_sw_alloc_bytes(tr->lay.table_size, true);
    m->dir_bytes = ms_sw_alloc_bytes(h->dirlen * 8, true);
    m->large_arrays = s.large_arrays;
    m->large_bytes = s.large_bytes + (m->dir_bytes > LARGE_OBJECT ? m->dir_bytes : 0);
    if (h->used > m->peak_used)
        m->peak_used = h->used;
    if (s.capacity > m->peak_capacity)
        m->peak_capacity = s.capacity;
    /* sparse: under 1/GM_SWISS_SPARSE_DEN of the usable slots live, and enough bytes */
    uint64_t usable = s.capacity * 7 / 8, held = ms_sw_held(m);
    bool sparse = h->used * GM_SWISS_SPARSE_DEN < usable &&
                  held - held * h->used / (usable ? usable : 1) >= GM_SWISS_MIN_WASTE;
    if (!sparse)
        m->sparse_since = 0;
    else if (!m->sparse_since)
        m->sparse_since = now;
    m->polled = true;
    return NULL;
}

uint64_t ms_sw_held(const struct sw_map *m)
{
    return m->group_bytes + m->table_bytes + m->dir_bytes;
}

/* ----------------------------------------------------------------- events -- */

/* (*table).rehash(t, typ, m): table t of map m grows (or splits) now. */
static void on_rehash(struct sw_tracker *tr, const struct gomap_event *e, double ts)
{
    const struct sw_layout *l = &tr->lay;
    struct hdr h;
    if (e->hdr_len < l->map_size || e->tbl_len < l->table_size || !e->h) {
        tr->st.unattributed++;
        return;
    }
    decode(l, e->hdr, &h);
    uint64_t cap = ms_gm_rdn(e->tbl + l->t_cap, 2), used = ms_gm_rdn(e->tbl + l->t_used, 2);
    uint64_t left = ms_gm_rdn(e->tbl + l->t_growth, 2), max = ms_sw_max_growth(cap);
    if (!sane(&h) || !table_cap_ok(cap) || used + left > max) {
        tr->st.unattributed++;
        return;
    }
    struct sw_map *m = find(tr, e->h);
    if (m && m->last_tbl == e->t2 && m->last_cap == cap && ts - m->last_ev < DEDUP_WINDOW_S) {
        tr->st.dups++; /* morestack re-entry of the same call */
        return;
    }
    if (!m && !(m = add(tr, e->h, ts)))
        return;
    tr->st.rehash++;
    const struct sw_type *ty = type_of(tr, e->t);
    if (ty) {
        m->type = ty;
        m->type_from = SW_TYPE_PROBE;
    }
    m->changed = true;
    m->last_tbl = e->t2;
    m->last_cap = cap;
    m->last_ev = ts;
    m->grows++;
    bool split = cap * 2 > SW_MAX_TABLE_CAP;
    m->splits += split;
    /* A growth with no more live entries than at an earlier growth, in a table holding
     * tombstones (growthLeft is 0 here, so max - used of its slots are deleted ones):
     * tombstones drove it.  Compared with the earlier events only, not with polls,
     * which may have read the header after this event happened. */
    if (m->grows > 1 && h.used <= m->ev_peak && max > used)
        m->churn_grows++;
    if (h.used > m->ev_peak)
        m->ev_peak = h.used;
    if (h.used > m->peak_used)
        m->peak_used = h.used;
    /* the new group arrays: one of twice the capacity, or two full tables */
    if (m->type) {
        uint64_t groups = (split ? SW_MAX_TABLE_CAP : cap * 2) / SW_GROUP_SLOTS;
        uint64_t b = ms_sw_alloc_bytes(groups * m->type->groupsize, m->type->pointers);
        if (b > LARGE_OBJECT) {
            tr->st.large_arrays += split ? 2 : 1;
            tr->st.large_bytes += split ? 2 * b : b;
        }
    }
    ms_gm_site_from_event(&m->site, tr->proc.stacks_fd, e, GM_SITE_GREW);
}

void ms_sw_event(struct sw_tracker *tr, const struct gomap_event *e)
{
    ms_gm_learn_bias(&tr->proc);
    double ts = (double)e->ts / 1e9;
    if (e->kind == GOMAP_EV_SWISS_REHASH) {
        on_rehash(tr, e, ts);
    } else if (e->kind == GOMAP_EV_SWISS_PRUNE) {
        tr->st.prunes++;
        struct sw_map *m = find(tr, e->h);
        if (m)
            m->prunes++;
    }
}

struct sw_map *ms_sw_adopt(struct sw_tracker *tr, uint64_t addr, uint64_t type_addr,
                           const struct sw_type *proto, double now)
{
    ms_gm_learn_bias(&tr->proc);
    struct sw_map *m = find(tr, addr);
    if (m)
        return NULL; /* a probe event came first: it knows more */
    const struct sw_type *ty = type_of(tr, type_addr);
    if (!ty && proto)
        ty = add_type(tr, proto);
    if (!(m = add(tr, addr, now)))
        return NULL;
    m->type = ty;
    m->type_from = ty ? SW_TYPE_HEAP : SW_TYPE_UNKNOWN;
    m->before_attach = true;
    m->scanned = true;
    return m;
}

/* ---------------------------------------------------------------- polling -- */

bool ms_sw_maybe_garbage(const struct sw_map *m)
{
    return m->scanned && !m->changed && !m->gc_checked;
}

/* Once a GC cycle has completed since the heap scan, a found map whose header slot
 * is no longer allocated was garbage: retire it; one still allocated is reachable. */
static void gc_check(struct sw_tracker *tr)
{
    uint32_t H;
    if (!tr->gc_addr || !tr->slot_live || rd(tr, tr->gc_addr, &H, 4) < 0)
        return;
    for (size_t i = 0; i < tr->n; i++) {
        struct sw_map *m = &tr->maps[i];
        if (!m->scanned || m->gc_checked || m->changed || m->dead || !m->hdr_span ||
            H - m->scan_gen < 2 || H - m->scan_gen > (1u << 30))
            continue;
        int live = tr->slot_live(tr->slot_ctx, m->hdr_span, m->hdr_slot, H);
        if (live == 0)
            m->dead = "garbage: freed by the first GC cycle after the heap scan";
        else if (live == 1)
            m->gc_checked = true;
    }
}

int ms_sw_poll(struct sw_tracker *tr, double now)
{
    ms_gm_learn_bias(&tr->proc);
    tr->proc.now = now;
    size_t unreadable = 0;
    for (size_t i = 0; i < tr->n; i++) {
        struct sw_map *m = &tr->maps[i];
        uint8_t b[64];
        struct hdr h;
        if (rd(tr, m->m, b, tr->lay.map_size) < 0) {
            m->dead = "unreadable: freed";
            unreadable++;
            continue;
        }
        decode(&tr->lay, b, &h);
        const char *why = update(tr, m, &h, now);
        if (!why)
            m->suspect = 0;
        else if (++m->suspect >= 2)
            m->dead = why;
    }
    /* Go never unmaps its heap: every map unreadable at once means the process is going */
    if (unreadable && unreadable == tr->n) {
        for (size_t i = 0; i < tr->n; i++)
            tr->maps[i].dead = NULL;
        tr->proc.target_gone = true;
        return -1;
    }
    gc_check(tr);
    size_t w = 0;
    for (size_t i = 0; i < tr->n; i++) {
        if (tr->maps[i].dead) {
            tr->st.dropped++;
            ms_gm_note_retired(tr->proc.log, &tr->proc.retired, tr->maps[i].m, tr->maps[i].dead);
            continue;
        }
        tr->maps[w++] = tr->maps[i];
    }
    tr->n = w;
    return 0;
}
