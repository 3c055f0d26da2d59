/*
 * map_grow.c — growth of the map engine: when to grow, the bucket arrays,
 * and incremental evacuation from the old array to the new one.
 *
 * The design is Go's (hashGrow, growWork, evacuate, advanceEvacuationMark
 * in runtime/map.go); what differs, and why, is in map.c's header.  In
 * short: every operation (not only writes) evacuates the old bucket it
 * touches plus a few in order from nevacuate (EVAC_STEPS work units, each
 * bucket of the array's three regions, tophash words, overflow words and
 * data, moving together), old overflow buckets are recycled the
 * moment their bucket is evacuated, the old array is given back a few
 * pages at a time behind nevacuate, and the next doubling's array is
 * faulted in ahead of time, so a growth ends within 2^oldB operations of
 * any kind, never with one big munmap, and without page faults.
 */
#include "map_internal.h"

#include "pages.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Give the old array's pages back behind nevacuate in steps of this many
 * bytes, with MADV_DONTNEED, and unmap the range so emptied once it spans
 * UNMAP_STEP.  Measured on the project's (loaded) VMs: munmap of 16 KiB of
 * touched pages averages 5.5 µs, MADV_DONTNEED of 16 KiB 2.3 µs, munmap of
 * an emptied 2 MiB range a few µs, and a single munmap of a whole 150 MB
 * array ~0.5 ms.  So a step costs ~2 µs, under the 5 µs an insert may
 * take, and comes once per ~110 evacuated buckets of 144 bytes. */
#define RELEASE_STEP (16u << 10)
#define UNMAP_STEP   (2u << 20)

/* Pre-fault the next doubling's array this many bytes per operation.  A
 * first touch of a page costs ~1.5 µs on the project's VMs; a growth's
 * operations touch the new array at random (inserts) and in two streams
 * (evacuation), so without this an operation may take 3-4 faults (~6 µs)
 * and a fill to 10M keys took ~40,000 such hits.  MADV_POPULATE_WRITE of
 * 8 KiB costs ~2 µs, below the 5 µs budget of an operation, and the
 * preparation starts just early enough to finish before the growth (see
 * ms_map_set_marks), so the extra memory is held only briefly. */
#define PREFAULT_STEP (8u << 10)

/* Work units each operation spends evacuating in order (at nevacuate),
 * besides the old bucket it touches.  Go evacuates one bucket.  In order,
 * evacuation reads the old array and writes the new one as a few streams
 * the hardware prefetches; the touched bucket is three random accesses
 * (old bucket, X, Y).  The more each operation does in order, the sooner
 * the growth ends and the fewer buckets are left for operations to touch
 * first: over a fill to 10M keys, growth work cost 108 ns per insert with
 * one bucket per operation (half the buckets moved at random) and 52 ns
 * with eight (one in nine), at ~2 us for the operations that do it.
 *
 * A bucket costs one unit (0.13-0.17 us measured, in order); a release
 * step of the old array costs RELEASE_COST (MADV_DONTNEED of 16 KiB
 * measured at 2.8-3.3 us on average), so that no operation does both a
 * full share of evacuation and a system call.  See map.c for the bound on
 * operations. */
#define EVAC_STEPS   8
#define RELEASE_COST 8
/* evacuate_next asks for the bucket this many places ahead: the buckets an
 * operation is about to move, and those of the next operation. */
#define EVAC_AHEAD (2 * EVAC_STEPS)

/* advance_mark skips at most this many already-evacuated old buckets per
 * call.  Go uses 1024 ("overkill by at least an order of magnitude"); each
 * check may be a cache miss, so 64 bounds the scan to a few µs while still
 * letting nevacuate catch up quickly behind the buckets operations
 * evacuated out of order. */
#define ADVANCE_SCAN 64

uint64_t ms_map_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Go's incrnoverflow: exact below B = 16; above, increment with
 * probability 2^-(B-15), so reaching 2^15 means about 2^B overflow buckets.
 * (The exact number of overflow buckets is kept in novf_cur for the stats;
 * the trigger follows Go so the engine grows when a Go map would.) */
static void incr_noverflow(ms_map *m)
{
    if (m->B >= 16) {
        /* xorshift64: cheap, and seeded per map so runs are repeatable
         * under a fixed seed (tests). */
        m->rng ^= m->rng << 13;
        m->rng ^= m->rng >> 7;
        m->rng ^= m->rng << 17;
        uint64_t mask = (1ull << (m->B - 15)) - 1;
        if (m->rng & mask)
            return;
    }
    if (m->noverflow != UINT16_MAX)
        m->noverflow++;
    if (ms_map_too_many_overflow(m->noverflow, m->B))
        m->fast_limit = 0; /* the next insert of a new key considers a growth */
}

static void link_overflow(ms_map *m, struct bkt b, uint8_t *unit)
{
    bkt_set_overflow(m, b, unit);
    m->novf_cur++;
    incr_noverflow(m);
}

/* An overflow bucket for an insert.  While growing, the arena keeps
 * novf_old free units in reserve for evacuation (see ms_map_hash_grow), so
 * an insert may only take a unit beyond that. */
struct bkt ms_map_new_overflow(ms_map *m, struct bkt b)
{
    if (m->oldtops && !ms_arena_reserve(&m->arena, m->novf_old + 1))
        return (struct bkt){NULL, NULL, NULL};
    uint8_t *unit = ms_arena_alloc_units(&m->arena, 1);
    if (unit)
        link_overflow(m, b, unit);
    return unit_bkt(unit);
}

/* The sizes of the regions of a 2^B array, each page-rounded when the
 * array gets its own mapping; returns the mapping's length, or 0 when the
 * array is a run of arena units. */
static uint64_t array_layout(const ms_map *m, unsigned B, uint64_t bytes[NREGIONS])
{
    uint64_t n = 1ull << B;
    bytes[R_TOP] = n * TOP_BYTES;
    bytes[R_OVF] = n * OVF_BYTES;
    bytes[R_KV] = n * m->dsize;
    if (n * m->bsize < ARRAY_MMAP_MIN)
        return 0;
    uint64_t total = 0;
    for (int r = 0; r < NREGIONS; r++)
        total += bytes[r] = ms_page_round(bytes[r]);
    return total;
}

/* Bytes of the mapping (or arena run) an array lives in. */
static uint64_t array_span(const struct barray *a)
{
    uint64_t total = 0;
    for (int r = 0; r < NREGIONS; r++)
        total += a->r[r].bytes;
    return total;
}

bool ms_map_array_alloc(ms_map *m, unsigned B, struct barray *a)
{
    uint64_t n = 1ull << B;
    if (n > UINT64_MAX / 2 / m->bsize)
        return false;
    uint64_t bytes[NREGIONS], mapb = array_layout(m, B, bytes);
    *a = (struct barray){.n = n, .mapped = mapb != 0};
    uint8_t *base;
    if (a->mapped)
        base = mapb == (size_t)mapb ? ms_pages_map(mapb) : NULL;
    else
        base = ms_arena_alloc_units(&m->arena, n);
    if (!base)
        return false;
    for (int r = 0; r < NREGIONS; r++) {
        a->r[r] = (struct region){base, bytes[r], 0, 0};
        base += bytes[r];
    }
    return true;
}

void ms_map_array_free(ms_map *m, struct barray *a)
{
    if (!a->n)
        return;
    if (a->mapped) {
        for (int r = 0; r < NREGIONS; r++)
            ms_pages_unmap(a->r[r].base + a->r[r].unmapped, a->r[r].bytes - a->r[r].unmapped);
    } else {
        ms_arena_free_units(&m->arena, a->r[R_TOP].base, a->n);
    }
    *a = (struct barray){0};
}

/* The count at which to start pre-faulting the next doubling's array:
 * early enough that one PREFAULT_STEP per operation covers it even if
 * every operation until the doubling is an insert.  Arrays the arena
 * hosts are not worth it (and have no mapping to fault in). */
void ms_map_set_marks(ms_map *m)
{
    uint64_t grow_at = LOAD_NUM * ((1ull << m->B) / LOAD_DEN);
    uint64_t bytes[NREGIONS], next_bytes = m->B + 1 > MAX_B ? 0 : array_layout(m, m->B + 1, bytes);
    uint64_t steps = (next_bytes + PREFAULT_STEP - 1) / PREFAULT_STEP;
    if (next_bytes == 0 || grow_at < steps)
        m->prefault_at = UINT64_MAX;
    else
        m->prefault_at = grow_at - steps;
    /* The insert fast path (map.c) handles neither growth nor the start of
     * the preparation: it is taken while the count stays below both
     * thresholds (overload(count + 1) is count >= max(8, grow_at)) and
     * no compaction is due. */
    uint64_t limit = grow_at > BUCKET_CNT ? grow_at : BUCKET_CNT;
    uint64_t before_prefault = m->prefault_at ? m->prefault_at - 1 : 0;
    if (before_prefault < limit)
        limit = before_prefault;
    m->fast_limit = ms_map_too_many_overflow(m->noverflow, m->B) ? 0 : limit;
}

/* The next array is one mapping (ms_map_array_alloc): its regions are
 * faulted in as one range. */
void ms_map_prefault_start(ms_map *m)
{
    if (m->next.n || m->oldtops || m->prefault_at == UINT64_MAX)
        return;
    if (ms_map_array_alloc(m, m->B + 1u, &m->next))
        m->prefault_left = array_span(&m->next);
    ms_map_sync_path(m);
}

void ms_map_prefault_step(ms_map *m)
{
    uint64_t off = array_span(&m->next) - m->prefault_left;
    uint64_t n = m->prefault_left < PREFAULT_STEP ? m->prefault_left : PREFAULT_STEP;
    ms_pages_populate(m->next.r[R_TOP].base + off, n);
    m->prefault_left -= n;
    ms_map_sync_path(m);
}

/* The map shrank well below the doubling point: give the prepared array
 * back rather than hold twice the memory (hysteresis of one entry per
 * bucket, so a map hovering near the mark does not map and unmap). */
void ms_map_prefault_drop(ms_map *m)
{
    ms_map_array_free(m, &m->next);
    m->prefault_left = 0;
    ms_map_sync_path(m);
}

/* Go's hashGrow: start a growth, doubling when over the load factor, else
 * the same size (too many overflow buckets).  The old array stays as
 * oldbuckets and is evacuated incrementally.  Returns false, leaving the
 * map as it was, when memory cannot be had. */
bool ms_map_hash_grow(ms_map *m)
{
    bool bigger = ms_map_overload(m->count + 1, m->B);
    unsigned B = m->B + bigger;
    if (B > MAX_B)
        return false;
    /* Evacuating a chain with k overflow buckets needs at most k new ones
     * (each is refilled from 8 entries of the old chain), and the old ones
     * are recycled right after.  So keeping as many free units as there are
     * old overflow buckets guarantees evacuation never runs out of memory:
     * a growth, once started, always completes. */
    if (!ms_arena_reserve(&m->arena, m->novf_cur))
        return false;
    struct barray a;
    if (bigger && m->next.n) {
        a = m->next; /* prepared (pre-faulted, maybe partly) ahead of time */
        m->next = (struct barray){0};
        m->prefault_left = 0;
    } else if (!ms_map_array_alloc(m, B, &a)) {
        return false;
    }
    m->old = m->cur;
    m->oldtops = m->tops;
    m->oldovfs = m->ovfs;
    m->oldkvs = m->kvs;
    m->cur = a;
    m->tops = a.r[R_TOP].base;
    m->ovfs = a.r[R_OVF].base;
    m->kvs = a.r[R_KV].base;
    m->generation++;
    m->B = (uint8_t)B;
    m->same_size = !bigger;
    m->nevacuate = 0;
    m->noverflow = 0;
    m->novf_old = m->novf_cur;
    m->novf_cur = 0;
    if (bigger)
        m->grows_doubling++;
    else
        m->grows_same_size++;
    m->grow_start_ns = ms_map_now_ns();
    ms_map_sync_path(m);
    ms_map_set_marks(m);
    return true;
}

/* Where evacuated entries go: X (same index) or Y (index + old size). */
struct evac_dst {
    struct bkt first; /* the destination chain's first bucket (its filter) */
    struct bkt b;     /* the bucket being filled */
    unsigned i;       /* its next slot */
};

/* Take the next overflow bucket for a destination that is full.  Cannot
 * fail: the reserve taken in hash_grow covers it. */
static void __attribute__((noinline)) extend_dst(ms_map *m, struct evac_dst *d)
{
    uint8_t *unit = ms_arena_alloc_units(&m->arena, 1);
    if (!unit)
        ms_map_fatal("bad map state: evacuation reserve exhausted");
    link_overflow(m, d->b, unit);
    d->b = unit_bkt(unit);
    d->i = 0;
}

/* Move the entries of one bucket of an old chain to X or Y; returns the
 * evacuation markers for its slots (EVAC_EMPTY where there was none). */
HOT uint64_t move_entries(ms_map *m, struct bkt c, struct evac_dst xy[2], uint64_t newbit,
                          uint32_t ks)
{
    uint64_t marks = SWAR_LO * EVAC_EMPTY;
    for (uint64_t full = swar_full(bkt_top_word(c)); full; full &= full - 1) {
        unsigned i = swar_first(full);
        uint8_t top = c.top[i];
        if (top < MIN_TOPHASH)
            ms_map_fatal("bad map state: marker in an unevacuated bucket");
        const uint8_t *k = key_at(c, i, ks);
        unsigned y = !m->same_size && (map_hash_ks(m, k, ks) & newbit) != 0;
        marks -= (uint64_t)(EVAC_EMPTY - EVAC_X - y) << (8 * i);
        struct evac_dst *d = &xy[y];
        if (d->i == BUCKET_CNT)
            extend_dst(m, d);
        d->b.top[d->i] = top;
        if (d->b.top != d->first.top)
            bkt_filter_add(d->first, top);
        memcpy(key_at(d->b, d->i, ks), k, ks);
        copy_bytes(val_at(m, d->b, d->i, ks), val_at(m, c, i, ks), m->valsize);
        d->i++;
    }
    return marks;
}

/* Go's evacuate() body: move every entry of old bucket ob (and its
 * overflow chain) to the new array, in chain order, appending to X or Y.
 * The new buckets X and Y are empty: every operation evacuates the old
 * bucket before it touches the new ones.  The old main bucket keeps only
 * its evacuation markers; its overflow buckets go back to the arena at
 * once (Go must keep them for iterators that walk the old array; ours
 * never do, see map_iter.c). */
HOT void move_chain(ms_map *m, uint64_t ob, struct bkt b, uint32_t ks)
{
    uint64_t newbit = noldbuckets(m);
    struct evac_dst xy[2] = {{cur_bkt(m, ob), cur_bkt(m, ob), 0}, {{0}, {0}, 0}};
    if (!m->same_size)
        xy[1].first = xy[1].b = cur_bkt(m, ob + newbit);
    uint8_t *c = bkt_overflow_unit(m, b);
    uint64_t marks = move_entries(m, b, xy, newbit, ks);
    memcpy(b.top, &marks, BUCKET_CNT);
    bkt_set_ovf_word(b, 0); /* no chain, no filter */
    while (c) {
        struct bkt cb = unit_bkt(c);
        uint8_t *next = bkt_overflow_unit(m, cb);
        move_entries(m, cb, xy, newbit, ks);
        ms_arena_free_units(&m->arena, c, 1);
        m->novf_old--;
        c = next;
    }
}

static void move_bucket(ms_map *m, uint64_t ob, struct bkt b)
{
    if (m->keysize == 8)
        move_chain(m, ob, b, 8);
    else
        move_chain(m, ob, b, m->keysize);
}

static void finish_growth(ms_map *m)
{
    ms_map_array_free(m, &m->old);
    m->oldtops = NULL;
    m->oldovfs = NULL;
    m->oldkvs = NULL;
    m->same_size = false;
    m->nevacuate = 0;
    m->ns_growing += ms_map_now_ns() - m->grow_start_ns;
    ms_map_sync_path(m);
}

/* Give back the pages of one region of the old array that lie wholly
 * below `done` bytes (the part before nevacuate). */
static unsigned release_region(struct region *r, uint64_t done)
{
    done &= ~(uint64_t)(ms_page_size() - 1);
    if (done - r->released < RELEASE_STEP)
        return 0;
    ms_pages_discard(r->base + r->released, done - r->released);
    r->released = done;
    if (r->released - r->unmapped >= UNMAP_STEP) {
        ms_pages_unmap(r->base + r->unmapped, r->released - r->unmapped);
        r->unmapped = r->released;
    }
    return RELEASE_COST;
}

/* Returns the work units spent (see EVAC_STEPS). */
static unsigned release_old_prefix(ms_map *m)
{
    if (!m->old.mapped)
        return 0;
    return release_region(&m->old.r[R_TOP], m->nevacuate * TOP_BYTES) +
           release_region(&m->old.r[R_OVF], m->nevacuate * OVF_BYTES) +
           release_region(&m->old.r[R_KV], m->nevacuate * m->dsize);
}

/* Go's advanceEvacuationMark: nevacuate moves past the bucket just
 * evacuated and any already evacuated after it (bounded scan, over the
 * dense tophash words); the growth ends when it reaches the end of the old
 * array.  Returns the work units spent giving memory back. */
static unsigned advance_mark(ms_map *m)
{
    uint64_t nold = noldbuckets(m);
    uint64_t stop = m->nevacuate + 1 + ADVANCE_SCAN;
    if (stop > nold)
        stop = nold;
    m->nevacuate++;
    while (m->nevacuate < stop && bkt_evacuated(old_bkt(m, m->nevacuate)))
        m->nevacuate++;
    if (m->nevacuate < nold)
        return release_old_prefix(m);
    finish_growth(m);
    return RELEASE_COST;
}

/* Evacuate old bucket ob if it is not yet; returns the work units spent:
 * one for the bucket, plus any memory given back. */
static unsigned evacuate(ms_map *m, uint64_t ob)
{
    if (ob < m->nevacuate)
        return 0;
    struct bkt b = old_bkt(m, ob);
    if (!bkt_evacuated(b))
        move_bucket(m, ob, b);
    return 1 + (ob == m->nevacuate ? advance_mark(m) : 0);
}

/* Ask for an old bucket's data part and those of the two new buckets it
 * evacuates to, all at once, without reading any of them (reading the old
 * bucket's marker first would wait for it): evacuating is then one memory
 * round trip instead of three in a row (old bucket, then X, then Y).  The
 * tophash words are dense and usually cached.  If the bucket was evacuated
 * already, one of X and Y is the caller's bucket anyway. */
static void prefetch_evacuation(const ms_map *m, uint64_t ob)
{
    if (ob < m->nevacuate || ob >= noldbuckets(m))
        return;
    __builtin_prefetch(old_bkt(m, ob).top);
    __builtin_prefetch(old_bkt(m, ob).ovf);
    bkt_prefetch_kv(m, old_bkt(m, ob));
    bkt_prefetch_kv(m, cur_bkt(m, ob));
    if (!m->same_size)
        bkt_prefetch_kv(m, cur_bkt(m, ob + noldbuckets(m)));
}

/* Evacuate the old bucket at nevacuate, asking for the one a few steps
 * ahead (and its destinations) on the way. */
static unsigned evacuate_next(ms_map *m)
{
    prefetch_evacuation(m, m->nevacuate + EVAC_AHEAD);
    return evacuate(m, m->nevacuate);
}

/* Evacuations in order worth up to budget units, at least one. */
static void evacuate_in_order(ms_map *m, unsigned budget)
{
    while (budget && m->oldtops) {
        unsigned spent = evacuate_next(m);
        budget = spent >= budget ? 0 : budget - spent;
    }
}

/* Go's growWork, done by every operation while growing: the old bucket
 * that holds the caller's bucket (so the operation then only looks at the
 * new array), plus EVAC_STEPS units in order from nevacuate, so the growth
 * makes progress even when the caller keeps touching the same keys. */
void ms_map_grow_work(ms_map *m, uint64_t bucket)
{
    uint64_t ob = bucket & (noldbuckets(m) - 1);
    m->ops_while_growing++;
    prefetch_evacuation(m, ob);
    evacuate(m, ob);
    evacuate_in_order(m, EVAC_STEPS);
}

bool ms_map_maintain(ms_map *m, unsigned budget)
{
    if (m->oldtops) {
        evacuate_in_order(m, budget);
        budget = 0;
    }
    for (; budget && m->prefault_left; budget--)
        ms_map_prefault_step(m);
    return m->oldtops != NULL;
}
