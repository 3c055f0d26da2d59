/*
 * maptrack.c — the target's maps as the loader sees them.
 *
 * Maps enter the table through probe events (a growth, a sized make whose
 * bucket array is a large object, a clear) and are kept current by re-reading
 * their hmap headers on every poll (process_vm_readv, behind the remote reader of
 * gosite.h so a unit test can stand in for the process); that is how
 * evacuation progress, completion and emptying are seen without probing any
 * per-operation function.
 *
 * A polled address is only trusted while it still looks like the same map:
 * Go frees unreachable maps and reuses the memory, and nothing tells us.  The
 * hash seed (hash0) is random per map and changes only in mapclear, which we
 * probe; so a changed hash0 without a clear, an unreadable address or a
 * header that breaks the map invariants (B <= 62, flags < 16, count within
 * the load factor) retires the entry.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "maptrack.h"

static const uint16_t size_classes[] = {
    8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,  160,   176,   192,
    208,   224,   240,   256,   288,   320,   352,   384,   416,   448,   480,  512,   576,   640,
    704,   768,   896,   1024,  1152,  1280,  1408,  1536,  1792,  2048,  2304, 2688,  3072,  3200,
    3456,  4096,  4864,  5376,  6144,  6528,  6784,  6912,  8192,  9472,  9728, 10240, 10880, 12288,
    13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

uint64_t ms_go_roundupsize(uint64_t size)
{
    if (size <= GM_LARGE_OBJECT) {
        for (size_t i = 0; i < sizeof size_classes / sizeof size_classes[0]; i++)
            if (size <= size_classes[i])
                return size_classes[i];
    }
    return (size + 8191) & ~(uint64_t)8191; /* large objects: whole 8 KiB pages */
}

uint64_t ms_gm_array_nbuckets(unsigned B)
{
    if (B > 40)
        return 0;
    return (1ULL << B) + (B >= 4 ? 1ULL << (B - 4) : 0);
}

uint64_t ms_gm_array_bytes(unsigned bucketsize, unsigned B)
{
    /* makeBucketArray adds 2^(B-4) preallocated overflow buckets from B = 4 on and
     * then keeps whatever the size-class rounding gives it. */
    if (B > 40 || !bucketsize)
        return 0;
    return ms_go_roundupsize(ms_gm_array_nbuckets(B) * bucketsize);
}

uint64_t ms_gm_overflow_bytes(unsigned bucketsize, unsigned B, uint64_t noverflow)
{
    if (!bucketsize || B > 40)
        return 0;
    uint64_t prealloc = B >= 4 ? ms_gm_array_bytes(bucketsize, B) / bucketsize - (1ULL << B) : 0;
    return noverflow > prealloc ? (noverflow - prealloc) * ms_go_roundupsize(bucketsize) : 0;
}

/* Go's overLoadFactor: count > 8 && count > 6.5 * 2^B. */
static bool over_load(uint64_t count, unsigned B)
{
    return count > 8 && (B >= 58 || count > 13 * ((1ULL << B) / 2));
}

void ms_gm_init(struct gm_tracker *tr, pid_t pid, const struct ms_remote *rd,
                const struct ms_gobin *bin, const struct ms_golayout *lay, int stacks_fd,
                size_t max_maps)
{
    *tr = (struct gm_tracker){.lay = *lay, .max = max_maps};
    ms_gm_proc_init(&tr->proc, pid, rd, bin, stacks_fd);
}

void ms_gm_free(struct gm_tracker *tr)
{
    ms_gm_array_free(&tr->maps, &tr->n, &tr->cap);
    ms_gm_kept_free(&tr->types, &tr->ntypes, &tr->captypes);
}

/* ---------------------------------------------------------------- headers -- */

struct hdr {
    uint64_t count, buckets, oldbuckets, nevacuate, extra;
    uint8_t B, flags;
    uint16_t noverflow;
    uint32_t hash0;
};

static void decode(const struct gm_tracker *tr, const uint8_t *b, struct hdr *h)
{
    const struct ms_golayout *l = &tr->lay;
    h->count = ms_gm_rdn(b + l->count, 8);
    h->flags = b[l->flags];
    h->B = b[l->B];
    h->noverflow = (uint16_t)ms_gm_rdn(b + l->noverflow, 2);
    h->hash0 = (uint32_t)ms_gm_rdn(b + l->hash0, 4);
    h->buckets = ms_gm_rdn(b + l->buckets, 8);
    h->oldbuckets = ms_gm_rdn(b + l->oldbuckets, 8);
    h->nevacuate = ms_gm_rdn(b + l->nevacuate, 8);
    h->extra = ms_gm_rdn(b + l->extra, 8);
}

/* The invariants every live classic map header keeps. */
static bool sane(const struct hdr *h)
{
    if (h->B > 62 || h->flags > 15 || (h->oldbuckets && !h->buckets))
        return false;
    if (h->count > 8 && (h->B < 58 && h->count > 13 * ((1ULL << h->B) / 2) + 8))
        return false;
    return h->nevacuate <= (1ULL << h->B);
}

/* ------------------------------------------------------------------ types -- */

static int read_remote(const struct gm_tracker *tr, uint64_t addr, void *buf, size_t len)
{
    return tr->proc.rd.read(tr->proc.rd.ctx, addr, buf, len);
}

static const struct gm_type *add_type(struct gm_tracker *tr, const struct gm_type *ty);

static const struct gm_type *type_of(struct gm_tracker *tr, uint64_t t)
{
    if (!t)
        return NULL;
    for (size_t i = 0; i < tr->ntypes; i++)
        if (tr->types[i]->t == t)
            return tr->types[i];
    /* Read the maptype from the process: in position-independent binaries its pointers
     * are filled in by relocations at load time, so the file has zeros there. */
    const struct ms_golayout *l = &tr->lay;
    uint8_t mt[128];
    uint64_t ptrdata = 1;
    if (l->mt_bucketsize + 2 > sizeof mt || read_remote(tr, t, mt, l->mt_bucketsize + 2) < 0)
        return NULL;
    if ((mt[l->type_kind] & 31) != 21) /* kindMap */
        return NULL;
    struct gm_type ty = {.t = t};
    ty.keysize = mt[l->mt_keysize];
    ty.elemsize = mt[l->mt_elemsize];
    ty.bucketsize = (unsigned)ms_gm_rdn(mt + l->mt_bucketsize, 2);
    /* tophash[8] + 8 keys + 8 elems + overflow pointer, padded */
    if (ty.bucketsize < 8 + 8 * (ty.keysize + ty.elemsize) + 8 || ty.bucketsize > 8 * 1024)
        return NULL;
    ty.ptr_free = read_remote(tr, ms_gm_rdn(mt + l->mt_bucket, 8) + 8, &ptrdata, 8) == 0 &&
                  ptrdata == 0; /* _type.ptrdata of the bucket type */
    ms_gm_type_names(&tr->proc, ms_gm_rdn(mt + l->mt_key, 8), ms_gm_rdn(mt + l->mt_elem, 8), ty.key,
                     sizeof ty.key, ty.elem, sizeof ty.elem);
    return add_type(tr, &ty);
}

/* Keep ty in the type table (maps point at its entries). */
static const struct gm_type *add_type(struct gm_tracker *tr, const struct gm_type *ty)
{
    return ms_gm_keep(&tr->types, &tr->ntypes, &tr->captypes, ty, sizeof *ty);
}

/* ------------------------------------------------------------------- maps -- */

static struct gm_map *find(struct gm_tracker *tr, uint64_t h)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->maps[i].h == h)
            return &tr->maps[i];
    return NULL;
}

static uint64_t map_bytes(const struct gm_map *m)
{
    return m->type ? ms_gm_array_bytes(m->type->bucketsize, m->B) : 0;
}

static struct gm_map *add(struct gm_tracker *tr, uint64_t h, double now)
{
    if (tr->n == tr->max) {
        /* Full: forget the smallest map that is not mid-growth. */
        size_t victim = tr->n;
        for (size_t i = 0; i < tr->n; i++)
            if (!tr->maps[i].growing &&
                (victim == tr->n || map_bytes(&tr->maps[i]) < map_bytes(&tr->maps[victim])))
                victim = i;
        if (victim == tr->n)
            return NULL;
        tr->maps[victim] = tr->maps[--tr->n];
        tr->st.maps_evicted++;
    }
    struct gm_map *m = ms_gm_push(&tr->maps, &tr->n, &tr->cap, sizeof *m, 64);
    if (!m)
        return NULL;
    m->h = h;
    m->first_seen = now;
    return m;
}

static void set_site(struct gm_tracker *tr, struct gm_map *m, const struct gomap_event *e,
                     enum gm_site_kind kind)
{
    ms_gm_site_from_event(&m->site, tr->proc.stacks_fd, e, kind);
}

static void apply_hdr(struct gm_map *m, const struct hdr *h)
{
    m->count = h->count;
    m->B = h->B;
    m->flags = h->flags;
    m->noverflow = h->noverflow;
    m->buckets = h->buckets;
    m->oldbuckets = h->oldbuckets;
    m->nevacuate = h->nevacuate;
    m->extra = h->extra;
    if (h->count > m->peak_count)
        m->peak_count = h->count;
}

/* A probe event names the map's type: it replaces one the heap scan inferred. */
static void set_type(struct gm_map *m, const struct gm_type *ty)
{
    if (ty && (!m->type || m->type_from != GM_TYPE_EVENT)) {
        m->type = ty;
        m->type_from = GM_TYPE_EVENT;
    }
}

/* Name of the function a return address points into (cached: few distinct callers). */
static const char *caller_name(struct gm_tracker *tr, uint64_t ret)
{
    const char *fn, *file;
    int line;
    struct caller_cache *c = &tr->callers[(ret >> 2) % GM_CALLER_CACHE];
    if (ret && c->ret == ret)
        return c->name;
    if (!ret ||
        ms_gopcln_lookup(tr->proc.bin->pcln, ret - 1 - tr->proc.bias, &fn, &file, &line) < 0)
        return "";
    c->ret = ret;
    c->name = fn;
    return fn;
}

/* A growth of h begins (we are inside hashGrow's makeBucketArray call). */
static void on_grow(struct gm_tracker *tr, const struct gomap_event *e, const struct hdr *h,
                    const struct gm_type *ty, double ts)
{
    struct gm_map *m = find(tr, e->h);
    if (m && m->growing && m->grow_old == h->buckets)
        return; /* already seen (a re-entry the probe did not filter) */
    if (!m && !(m = add(tr, e->h, ts)))
        return;
    set_type(m, ty);
    m->hash0 = h->hash0;
    m->hash0_known = true;
    m->grows++;
    m->evented = true;
    bool same = !over_load(h->count + 1, h->B);
    if (same)
        m->samesize_grows++;
    apply_hdr(m, h);
    /* The header is from before the growth: describe the state it commits. */
    m->growing = true;
    m->grow_old = h->buckets;
    m->chains_walked = false;
    m->oldbuckets = h->buckets;
    m->B = (uint8_t)(h->B + (same ? 0 : 1));
    m->grow_old_noverflow = h->noverflow;
    m->noverflow = 0;
    m->nevacuate = 0;
    m->last_nevacuate = 0;
    m->grow_start = m->progress = ts;
    set_site(tr, m, e, GM_SITE_GREW);
    uint64_t bytes = ty ? ms_gm_array_bytes(ty->bucketsize, m->B) : 0;
    if (bytes > GM_LARGE_OBJECT) {
        tr->st.large_arrays++;
        tr->st.large_array_bytes += bytes;
    }
}

/* h was cleared (mapclear re-zeroes its array: no new allocation). */
static void on_clear(struct gm_tracker *tr, const struct gomap_event *e, const struct hdr *h,
                     const struct gm_type *ty, double ts)
{
    struct gm_map *m = find(tr, e->h);
    if (!m && !(m = add(tr, e->h, ts)))
        return;
    set_type(m, ty);
    apply_hdr(m, h);
    m->clears++;
    m->evented = true;
    m->hash0 = h->hash0; /* mapclear has already drawn the new seed */
    m->hash0_known = true;
    m->growing = false;
    set_site(tr, m, e, GM_SITE_CLEARED);
}

/*
 * A bucket array of 16+ buckets is being made.  Who called makeBucketArray says
 * what it means: hashGrow (a growth of the map in hashGrow's h slot), mapclear
 * (a clear), makemap (a sized make).  makemap itself is never probed: it runs for
 * every make with a size hint, per request in a service (issue 9, defect 2).  A large
 * preallocation is found where its array is allocated: this event asks for a heap
 * scan a moment later, when makemap has returned, which adopts the new map.
 */
static void on_bucket_array(struct gm_tracker *tr, const struct gomap_event *e, double ts)
{
    tr->st.bucket_arrays++;
    if (e->b < 4) /* known only at the entry fallback: small arrays are not followed */
        return;
    const char *fn = caller_name(tr, e->caller);
    const struct gm_type *ty = type_of(tr, e->t);
    struct hdr h;
    bool have_hdr = e->hdr_len >= tr->lay.hmap_size;
    if (have_hdr)
        decode(tr, e->hdr, &h);
    if (!strcmp(fn, "runtime.hashGrow")) {
        if (!ty) /* RAX was reused: take t from mapassign's home slot */
            ty = type_of(tr, e->t2);
        if (have_hdr && sane(&h) && e->h)
            on_grow(tr, e, &h, ty, ts);
        else
            tr->st.unattributed++;
    } else if (!strcmp(fn, "runtime.mapclear")) {
        if (have_hdr && sane(&h) && e->h)
            on_clear(tr, e, &h, ty, ts);
        else
            tr->st.unattributed++;
    } else if (!strcmp(fn, "runtime.makemap")) {
        tr->st.preallocs++;
        if (ty) {
            if (tr->npreallocs == GM_PREALLOCS) /* full: the oldest goes */
                memmove(tr->preallocs, tr->preallocs + 1,
                        --tr->npreallocs * sizeof tr->preallocs[0]);
            struct gm_prealloc *p = &tr->preallocs[tr->npreallocs++];
            p->t = ty->t;
            memset(&p->site, 0, sizeof p->site);
            ms_gm_site_from_event(&p->site, tr->proc.stacks_fd, e, GM_SITE_CREATED);
        }
        if (!tr->rescan_at)
            tr->rescan_at = ts + GM_PREALLOC_SCAN_DELAY;
    } else {
        tr->st.unattributed++;
    }
}

void ms_gm_event(struct gm_tracker *tr, const struct gomap_event *e)
{
    ms_gm_learn_bias(&tr->proc);
    double ts = (double)e->ts / 1e9;
    if (e->kind < GOMAP_EV_KINDS)
        tr->st.events[e->kind]++;
    if (e->kind == GOMAP_EV_BUCKETS)
        on_bucket_array(tr, e, ts);
}

/* ------------------------------------------------- maps found at attach -- */

/* The part of a name all candidates share, else "?". */
static void common_name(char *dst, size_t len, const char *name, bool first)
{
    if (first)
        snprintf(dst, len, "%s", name);
    else if (strcmp(dst, name) != 0)
        snprintf(dst, len, "?");
}

/*
 * The type of a found map: the one map type that fits (goheap.c chose by bucket
 * size, then by the entries).  When several fit, a stand-in records the bucket size
 * (the bytes come out right either way: every fitting size gives arrays of exactly
 * the sizes found) and whatever key or element type all the fitting ones share.
 */
static const struct gm_type *infer_type(struct gm_tracker *tr, const struct gm_found *f,
                                        enum gm_type_from *from)
{
    if (f->ntypes == 1) {
        const struct gm_type *t = type_of(tr, f->types[0] + tr->proc.bias);
        if (t) {
            *from = f->by_content ? GM_TYPE_CONTENT : GM_TYPE_BUCKET_SIZE;
            return t;
        }
    }
    struct gm_type st = {.bucketsize = f->bs_lo, .ptr_free = f->ptr_free};
    snprintf(st.key, sizeof st.key, "?");
    snprintf(st.elem, sizeof st.elem, "?");
    size_t named = 0;
    for (size_t j = 0; j < f->ntypes && j < GM_FOUND_TYPES; j++) {
        const struct gm_type *t = type_of(tr, f->types[j] + tr->proc.bias);
        if (!t)
            continue;
        common_name(st.key, sizeof st.key, t->key, !named);
        common_name(st.elem, sizeof st.elem, t->elem, !named);
        if (!named++)
            st.bucketsize = t->bucketsize;
        else if (st.bucketsize != t->bucketsize)
            st.bucketsize = f->bs_lo;
    }
    if (named < f->ntypes) { /* some were not read: nothing is shared for sure */
        snprintf(st.key, sizeof st.key, "?");
        snprintf(st.elem, sizeof st.elem, "?");
    }
    if (named && strcmp(st.key, "?") && strcmp(st.elem, "?")) {
        /* all name the same type (a generic function's shape type and the real one) */
        *from = f->by_content ? GM_TYPE_CONTENT : GM_TYPE_BUCKET_SIZE;
        return type_of(tr, f->types[0] + tr->proc.bias);
    }
    *from = f->ntypes ? GM_TYPE_AMBIGUOUS : GM_TYPE_UNKNOWN;
    return add_type(tr, &st);
}

/* A map a later scan found, made with a size hint: the newest sized make the probe saw
 * whose map type is one the scan found fitting its arrays gives its type and where it
 * was made.  (The probe point does not know B, so an older make of another type with
 * the same bucket size, e.g. a package's init tables, could fit too: newest first.) */
static void claim_prealloc(struct gm_tracker *tr, struct gm_map *m, const struct gm_found *f)
{
    for (unsigned i = tr->npreallocs; i-- > 0;) {
        const struct gm_prealloc *p = &tr->preallocs[i];
        const struct gm_type *ty = type_of(tr, p->t);
        bool listed = f->ntypes > GM_FOUND_TYPES; /* too many to list: any fitting one */
        for (size_t k = 0; k < f->ntypes && k < GM_FOUND_TYPES; k++)
            listed |= f->types[k] + tr->proc.bias == p->t;
        if (!ty || !listed || ty->bucketsize < f->bs_lo || ty->bucketsize > f->bs_hi ||
            ty->ptr_free != f->ptr_free)
            continue;
        m->type = ty;
        m->type_from = GM_TYPE_EVENT;
        m->site = p->site;
        memmove(tr->preallocs + i, tr->preallocs + i + 1,
                (--tr->npreallocs - i) * sizeof tr->preallocs[0]);
        return;
    }
}

size_t ms_gm_adopt(struct gm_tracker *tr, const struct gm_found *f, size_t n, double now,
                   bool at_attach, struct gm_scan_stats *st)
{
    size_t taken = 0;
    ms_gm_learn_bias(&tr->proc);
    for (size_t i = 0; i < n; i++) {
        struct hdr h;
        enum gm_type_from from;
        if (find(tr, f[i].h))
            continue; /* a probe event came first: it knows more */
        decode(tr, f[i].hdr, &h);
        const struct gm_type *ty = infer_type(tr, &f[i], &from);
        struct gm_map *m = ty ? add(tr, f[i].h, now) : NULL;
        if (!m)
            break;
        m->type = ty;
        m->type_from = from; /* (a sized make seen by the probe may name it below) */
        st->typed += from == GM_TYPE_BUCKET_SIZE || from == GM_TYPE_CONTENT;
        m->hash0 = h.hash0;
        m->hash0_known = true;
        apply_hdr(m, &h);
        m->before_attach = at_attach;
        /* found by a later scan and never grown (nevacuate is left where the last
         * growth ended, 0 when there was none): made with a size hint while watched */
        m->from_makemap = !at_attach && !h.oldbuckets && !h.nevacuate;
        if (m->from_makemap)
            claim_prealloc(tr, m, &f[i]);
        m->arr_span = f[i].arr_span;
        m->arr_buckets = h.buckets;
        if (h.oldbuckets) { /* mid-growth already: watched from now */
            m->growing = true;
            m->grow_old = h.oldbuckets;
            m->last_nevacuate = h.nevacuate;
            m->grow_start = m->progress = now;
        }
        if (f[i].nsite > 0 && m->site.kind == GM_SITE_NONE) {
            /* return addresses, the first one too: point into the call */
            m->site.pc[0] = f[i].site[0] - 1;
            memcpy(m->site.pc + 1, f[i].site + 1, (size_t)(f[i].nsite - 1) * sizeof f[i].site[0]);
            m->site.n = f[i].nsite;
            m->site.kind = GM_SITE_PROFILE;
        }
        taken++;
    }
    st->adopted = taken;
    return taken;
}

/* ---------------------------------------------------------------- polling -- */

/* len(*p) for a *[]*bmap, or -1. */
static int64_t slice_len(const struct gm_tracker *tr, uint64_t p)
{
    uint64_t hdr[3];
    if (!p || read_remote(tr, p, hdr, sizeof hdr) < 0 || hdr[1] > hdr[2] || hdr[2] > (1u << 30))
        return -1;
    return (int64_t)hdr[1];
}

#define CHAIN_WALK_MAX_BUCKETS (1u << 18) /* old arrays walked for their chains */
#define CHAIN_WALK_BATCH       512

/*
 * Overflow buckets still hanging off the old array of a growing map whose buckets
 * hold pointers (Go lists those of pointer-free buckets in extra.oldoverflow): the
 * chains of the old buckets not yet evacuated (evacuation clears a pointer bucket's
 * overflow word).  Counting what is held, rather than noverflow when the growth began
 * (which was all we had when attached from the start, and nothing when the heap scan
 * found the map mid-growth), makes -p and attach-from-start agree (issue 9, defect 6).
 * -1 when the array is too big to walk.
 */
static int64_t old_chains(struct gm_tracker *tr, const struct gm_map *m)
{
    unsigned bs = m->type->bucketsize, oldB = (m->flags & 8) ? m->B : m->B - 1;
    uint64_t nold = 1ULL << oldB, count = 0, addrs[CHAIN_WALK_BATCH], next[CHAIN_WALK_BATCH];
    if (!m->B || nold > CHAIN_WALK_MAX_BUCKETS || bs < 16)
        return -1;
    for (uint64_t base = m->nevacuate; base < nold;) {
        size_t k = nold - base < CHAIN_WALK_BATCH ? (size_t)(nold - base) : CHAIN_WALK_BATCH;
        bool gone;
        for (size_t i = 0; i < k; i++)
            addrs[i] = m->oldbuckets + (base + i) * bs + bs - 8;
        if (ms_remote_readv(&tr->proc.rd, addrs, k, 8, (uint8_t *)next, &gone) < k)
            return -1;
        for (size_t i = 0; i < k; i++)
            for (unsigned hops = 0; next[i] && hops < 4096; hops++) { /* follow the chain */
                count++;
                if (read_remote(tr, next[i] + bs - 8, &next[i], 8) < 0)
                    return -1;
            }
        base += k;
    }
    return (int64_t)count;
}

static void poll_extra(struct gm_tracker *tr, struct gm_map *m)
{
    uint64_t x[3];
    m->ovf_known = m->oldovf_known = false;
    if (m->type && !m->type->ptr_free && m->growing && m->oldbuckets) {
        /* walked again only when evacuation moved (a stalled growth: once) */
        if (m->chains_walked && m->chains_nevacuate == m->nevacuate) {
            m->oldovf_known = true;
            return;
        }
        int64_t c = old_chains(tr, m);
        m->chains_walked = c >= 0;
        m->chains_nevacuate = m->nevacuate;
        if (c >= 0)
            m->oldovf_len = (uint64_t)c, m->oldovf_known = true;
        return;
    }
    if (!m->type || !m->type->ptr_free)
        return; /* Go lists overflow buckets in extra only for pointer-free buckets */
    if (!m->extra) {
        m->ovf_len = m->oldovf_len = 0;
        m->ovf_known = m->oldovf_known = true;
        return;
    }
    if (read_remote(tr, m->extra, x, sizeof x) < 0)
        return;
    int64_t a = x[tr->lay.x_overflow / 8] ? slice_len(tr, x[tr->lay.x_overflow / 8]) : 0;
    int64_t b = x[tr->lay.x_oldoverflow / 8] ? slice_len(tr, x[tr->lay.x_oldoverflow / 8]) : 0;
    if (a >= 0)
        m->ovf_len = (uint64_t)a, m->ovf_known = true;
    if (b >= 0)
        m->oldovf_len = (uint64_t)b, m->oldovf_known = true;
}

/* Fold a freshly read header into the map; the reason when it is no longer this map. */
static const char *update(struct gm_tracker *tr, struct gm_map *m, const struct hdr *h, double now)
{
    if (!sane(h))
        return "header no longer a map's";
    /* Identity: the seed is random per map; mapdelete draws a new one when the map
     * becomes empty, mapclear (an event) too.  Anything else means the memory now
     * belongs to something else.  (The bucket pointer is no identity: several growths
     * can pass between two polls, before their events are read — a map filled, grown
     * and emptied between two polls shows a new array, a larger B and a new seed.
     * Maps never shrink, so an empty map whose B is at least the last one seen is
     * taken as the same map emptied.) */
    bool emptied = h->count == 0 && h->B >= m->B;
    if (m->hash0_known && h->hash0 != m->hash0 && !emptied && !m->evented)
        return "hash seed changed: freed and reused";
    m->evented = false;
    m->hash0 = h->hash0;
    m->hash0_known = true;
    if (h->oldbuckets) {
        if (!m->growing || h->oldbuckets != m->grow_old) {
            /* A growth the probes did not see (started before we attached). */
            m->growing = true;
            m->grow_old = h->oldbuckets;
            m->chains_walked = false;
            m->grow_start = m->progress = now;
            m->last_nevacuate = h->nevacuate;
            m->grows++;
        } else if (h->nevacuate != m->last_nevacuate) {
            m->progress = now;
            m->last_nevacuate = h->nevacuate;
        }
    } else {
        m->growing = false;
    }
    apply_hdr(m, h);
    uint64_t bytes = map_bytes(m);
    bool sparse = bytes > GM_LARGE_OBJECT && m->count * 16 < 13 * ((1ULL << m->B) / 2);
    if (!sparse)
        m->sparse_since = 0;
    else if (!m->sparse_since)
        m->sparse_since = now;
    m->polled = true;
    poll_extra(tr, m);
    return NULL;
}

/*
 * A map found by the heap scan was live then; it may have been dropped since
 * (or just before, with the collector not yet done).  Its bucket array goes with
 * it, so until the map gets a new array (a write, proof of life), check that the
 * span the array had is still in use and still starts there.
 */
static void check_arrays(struct gm_tracker *tr)
{
    const struct ms_golayout *l = &tr->lay;
    uint8_t sp[256];
    size_t need = (l->sp_state > l->sp_start ? l->sp_state + 1 : l->sp_start + 8);
    if (need > sizeof sp)
        return;
    for (size_t i = 0; i < tr->n; i++) {
        struct gm_map *m = &tr->maps[i];
        if (!m->arr_span || m->dead)
            continue;
        if (m->buckets != m->arr_buckets) {
            m->arr_span = 0; /* it has a new array: alive and written */
            continue;
        }
        if (read_remote(tr, m->arr_span, sp, need) < 0 || sp[l->sp_state] != 1 ||
            ms_gm_rdn(sp + l->sp_start, 8) != m->arr_buckets)
            m->dead = "its bucket array was freed: the map was garbage-collected";
    }
}

/* Is the process still running (not exiting, not a zombie)? */
static bool running(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the state follows the command name */
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

int ms_gm_poll(struct gm_tracker *tr, double now)
{
    static const char unreadable[] = "unreadable: freed";
    size_t lost = 0;
    ms_gm_learn_bias(&tr->proc);
    enum { BATCH = 256 };
    static uint8_t buf[BATCH * GOMAP_HDR_MAX];
    uint64_t addrs[BATCH];
    size_t hs = tr->lay.hmap_size;
    tr->proc.now = now;
    for (size_t base = 0; base < tr->n;) {
        size_t k = tr->n - base < BATCH ? tr->n - base : BATCH;
        for (size_t i = 0; i < k; i++)
            addrs[i] = tr->maps[base + i].h;
        bool gone;
        size_t ok = ms_remote_readv(&tr->proc.rd, addrs, k, hs, buf, &gone);
        if (gone)
            goto gone;
        /* Reads stop at the first unreadable header: it is dead, the rest retried. */
        for (size_t i = 0; i < ok; i++) {
            struct hdr h;
            decode(tr, buf + i * hs, &h);
            struct gm_map *m = &tr->maps[base + i];
            /* One odd read is not enough to retire a map: the header is read while the
             * program may be writing it (count drops to 0, then a new seed is drawn),
             * and a torn read looks like a stranger.  Memory that really changed hands
             * still looks wrong at the next poll. */
            const char *why = update(tr, m, &h, now);
            if (!why)
                m->suspect = 0;
            else if (++m->suspect >= 2)
                m->dead = why;
        }
        if (ok < k) {
            tr->maps[base + ok].dead = unreadable;
            lost++;
        }
        base += ok < k ? ok + 1 : k;
    }
    /* Go never unmaps its heap, so an unreadable map usually means the process is
     * exiting (its mappings are torn down while it still looks alive): check that
     * its pclntab, mapped for the whole life of the process, can still be read. */
    uint64_t word;
    if (lost && (!running(tr->proc.pid) ||
                 (tr->proc.bin &&
                  read_remote(tr, ms_gopcln_pcheader_addr(tr->proc.bin->pcln) + tr->proc.bias,
                              &word, sizeof word) < 0)))
        goto gone;
    check_arrays(tr);
    size_t w = 0;
    for (size_t i = 0; i < tr->n; i++) {
        if (tr->maps[i].dead) {
            tr->st.maps_dropped++;
            ms_gm_note_retired(tr->proc.log, &tr->proc.retired, tr->maps[i].h, tr->maps[i].dead);
            continue;
        }
        tr->maps[w++] = tr->maps[i];
    }
    tr->n = w;
    return 0;

gone: /* The process is exiting: its memory is going away, its maps did not. */
    for (size_t i = 0; i < tr->n; i++)
        if (tr->maps[i].dead == unreadable)
            tr->maps[i].dead = NULL;
    tr->proc.target_gone = true;
    return -1;
}

/* ---------------------------------------------------------- symbolization -- */

const char *ms_gm_symbolize(const struct gm_tracker *tr, uint64_t pc, char *buf, size_t len)
{
    return ms_gm_pc_name(tr->proc.bin, tr->proc.bias, pc, buf, len);
}

const char *ms_gm_site(const struct gm_tracker *tr, const struct gm_map *m, char *buf, size_t len)
{
    return ms_gm_site_name(tr->proc.bin, tr->proc.bias, &m->site,
                           m->before_attach
                               ? "unknown (existed before attach; Go's heap profiler did not "
                                 "sample its bucket array, or is off in this program)"
                               : "unknown (not seen growing)",
                           buf, len);
}
