/*
 * map_grow.c — growth of the map engine: when to grow, the bucket arrays,
 * and incremental evacuation from the old array to the new one.
 *
 * The design is Go's (hashGrow, growWork, evacuate, advanceEvacuationMark
 * in runtime/map.go); what differs, and why, is in map.c's header.  In
 * short: every operation (not only writes) evacuates the old bucket it
 * touches plus the one at nevacuate, old overflow buckets are recycled the
 * moment their bucket is evacuated, the old array is given back a few
 * pages at a time behind nevacuate, and the next doubling's array is
 * faulted in ahead of time, so a growth ends within 2^oldB operations of
 * any kind, never with one big munmap, and without page faults.
 */
#include "map_internal.h"

#include "pages.h"

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
}

static void link_overflow(ms_map *m, uint8_t *b, uint8_t *ovf)
{
    bkt_set_overflow(m, b, ovf);
    m->novf_cur++;
    incr_noverflow(m);
}

/* An overflow bucket for an insert.  While growing, the arena keeps
 * novf_old free units in reserve for evacuation (see ms_map_hash_grow), so
 * an insert may only take a unit beyond that. */
uint8_t *ms_map_new_overflow(ms_map *m, uint8_t *b)
{
    if (m->oldbuckets && !ms_arena_reserve(&m->arena, m->novf_old + 1))
        return NULL;
    uint8_t *ovf = ms_arena_alloc_units(&m->arena, 1);
    if (ovf)
        link_overflow(m, b, ovf);
    return ovf;
}

bool ms_map_array_alloc(ms_map *m, unsigned B, struct barray *a)
{
    uint64_t n = 1ull << B;
    if (n > UINT64_MAX / m->bsize)
        return false;
    a->bytes = n * m->bsize;
    a->released = 0;
    a->unmapped = 0;
    a->mapped = a->bytes >= ARRAY_MMAP_MIN;
    if (a->mapped)
        a->base = a->bytes == (size_t)a->bytes ? ms_pages_map(a->bytes) : NULL;
    else
        a->base = ms_arena_alloc_units(&m->arena, n);
    return a->base != NULL;
}

void ms_map_array_free(ms_map *m, struct barray *a)
{
    if (!a->base)
        return;
    if (a->mapped) {
        size_t len = ms_page_round(a->bytes);
        ms_pages_unmap(a->base + a->unmapped, len - a->unmapped);
    } else {
        ms_arena_free_units(&m->arena, a->base, a->bytes / m->bsize);
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
    uint64_t next_bytes = (uint64_t)m->bsize << (m->B + 1);
    uint64_t steps = (next_bytes + PREFAULT_STEP - 1) / PREFAULT_STEP;
    if (m->B + 1 > MAX_B || next_bytes < ARRAY_MMAP_MIN || grow_at < steps)
        m->prefault_at = UINT64_MAX;
    else
        m->prefault_at = grow_at - steps;
}

void ms_map_prefault_start(ms_map *m)
{
    if (m->next.base || m->oldbuckets || m->prefault_at == UINT64_MAX)
        return;
    if (ms_map_array_alloc(m, m->B + 1u, &m->next))
        m->prefault_left = ms_page_round(m->next.bytes);
}

void ms_map_prefault_step(ms_map *m)
{
    uint64_t len = ms_page_round(m->next.bytes);
    uint64_t off = len - m->prefault_left;
    uint64_t n = m->prefault_left < PREFAULT_STEP ? m->prefault_left : PREFAULT_STEP;
    ms_pages_populate(m->next.base + off, n);
    m->prefault_left -= n;
}

/* The map shrank well below the doubling point: give the prepared array
 * back rather than hold twice the memory (hysteresis of one entry per
 * bucket, so a map hovering near the mark does not map and unmap). */
void ms_map_prefault_drop(ms_map *m)
{
    ms_map_array_free(m, &m->next);
    m->prefault_left = 0;
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
    if (bigger && m->next.base) {
        a = m->next; /* prepared (pre-faulted, maybe partly) ahead of time */
        m->next = (struct barray){0};
        m->prefault_left = 0;
    } else if (!ms_map_array_alloc(m, B, &a)) {
        return false;
    }
    m->old = m->cur;
    m->oldbuckets = m->buckets;
    m->cur = a;
    m->buckets = a.base;
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
    ms_map_set_marks(m);
    return true;
}

/* Where evacuated entries go: X (same index) or Y (index + old size). */
struct evac_dst {
    uint8_t *b;
    unsigned i;
};

/* Take the next overflow bucket for a destination that is full.  Cannot
 * fail: the reserve taken in hash_grow covers it. */
static void __attribute__((noinline)) extend_dst(ms_map *m, struct evac_dst *d)
{
    uint8_t *ovf = ms_arena_alloc_units(&m->arena, 1);
    if (!ovf)
        ms_map_fatal("bad map state: evacuation reserve exhausted");
    link_overflow(m, d->b, ovf);
    d->b = ovf;
    d->i = 0;
}

/* Move the entries of one bucket of an old chain to X or Y; returns the
 * evacuation markers for its slots (EVAC_EMPTY where there was none). */
HOT uint64_t move_entries(ms_map *m, uint8_t *c, struct evac_dst xy[2], uint64_t newbit,
                          uint32_t ks)
{
    uint64_t marks = SWAR_LO * EVAC_EMPTY;
    for (uint64_t full = swar_full(bkt_top_word(c)); full; full &= full - 1) {
        unsigned i = swar_first(full);
        uint8_t top = c[i];
        if (top < MIN_TOPHASH)
            ms_map_fatal("bad map state: marker in an unevacuated bucket");
        const uint8_t *k = key_at(c, i, ks);
        unsigned y = !m->same_size && (ms_hash_bytes(k, ks, m->seed) & newbit) != 0;
        marks -= (uint64_t)(EVAC_EMPTY - EVAC_X - y) << (8 * i);
        struct evac_dst *d = &xy[y];
        if (d->i == BUCKET_CNT)
            extend_dst(m, d);
        d->b[d->i] = top;
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
HOT void move_chain(ms_map *m, uint64_t ob, uint8_t *b, uint32_t ks)
{
    uint64_t newbit = noldbuckets(m);
    struct evac_dst xy[2] = {{bkt_at(m, m->buckets, ob), 0}, {NULL, 0}};
    if (!m->same_size)
        xy[1].b = bkt_at(m, m->buckets, ob + newbit);
    uint8_t *c = bkt_overflow(m, b);
    uint64_t marks = move_entries(m, b, xy, newbit, ks);
    memcpy(b, &marks, BUCKET_CNT);
    bkt_set_overflow(m, b, NULL);
    while (c) {
        uint8_t *next = bkt_overflow(m, c);
        move_entries(m, c, xy, newbit, ks);
        ms_arena_free_units(&m->arena, c, 1);
        m->novf_old--;
        c = next;
    }
}

static void move_bucket(ms_map *m, uint64_t ob, uint8_t *b)
{
    if (m->keysize == 8)
        move_chain(m, ob, b, 8);
    else
        move_chain(m, ob, b, m->keysize);
}

static void finish_growth(ms_map *m)
{
    ms_map_array_free(m, &m->old);
    m->oldbuckets = NULL;
    m->same_size = false;
    m->nevacuate = 0;
    m->ns_growing += ms_map_now_ns() - m->grow_start_ns;
}

/* Give back the pages of the old array that lie wholly below nevacuate. */
static void release_old_prefix(ms_map *m)
{
    struct barray *a = &m->old;
    if (!a->mapped)
        return;
    uint64_t done = (m->nevacuate * m->bsize) & ~(uint64_t)(ms_page_size() - 1);
    if (done - a->released < RELEASE_STEP)
        return;
    ms_pages_discard(a->base + a->released, done - a->released);
    a->released = done;
    if (a->released - a->unmapped >= UNMAP_STEP) {
        ms_pages_unmap(a->base + a->unmapped, a->released - a->unmapped);
        a->unmapped = a->released;
    }
}

/* Go's advanceEvacuationMark: nevacuate moves past the bucket just
 * evacuated and any already evacuated after it (bounded scan); the growth
 * ends when it reaches the end of the old array. */
static void advance_mark(ms_map *m)
{
    uint64_t nold = noldbuckets(m);
    uint64_t stop = m->nevacuate + 1 + ADVANCE_SCAN;
    if (stop > nold)
        stop = nold;
    m->nevacuate++;
    while (m->nevacuate < stop && bkt_evacuated(bkt_at(m, m->oldbuckets, m->nevacuate)))
        m->nevacuate++;
    if (m->nevacuate == nold)
        finish_growth(m);
    else
        release_old_prefix(m);
}

static void evacuate(ms_map *m, uint64_t ob)
{
    if (ob < m->nevacuate)
        return;
    uint8_t *b = bkt_at(m, m->oldbuckets, ob);
    if (!bkt_evacuated(b))
        move_bucket(m, ob, b);
    if (ob == m->nevacuate)
        advance_mark(m);
}

/* Ask for an old bucket and the two new buckets it evacuates to, all at
 * once, without reading any of them (reading the old bucket's marker
 * first would wait for it): evacuating is then one memory round trip
 * instead of three in a row (old bucket, then X, then Y).  If the bucket
 * was evacuated already, one of X and Y is the caller's bucket anyway. */
static void prefetch_evacuation(const ms_map *m, uint64_t ob)
{
    if (ob < m->nevacuate || ob >= noldbuckets(m))
        return;
    const uint8_t *b = bkt_at(m, m->oldbuckets, ob);
    __builtin_prefetch(b);
    bkt_prefetch(m, b);
    const uint8_t *x = bkt_at(m, m->buckets, ob);
    __builtin_prefetch(x, 1);
    bkt_prefetch(m, x);
    if (!m->same_size) {
        const uint8_t *y = bkt_at(m, m->buckets, ob + noldbuckets(m));
        __builtin_prefetch(y, 1);
        bkt_prefetch(m, y);
    }
}

/* Evacuate the old bucket at nevacuate, asking for the one a few steps
 * ahead (and its destinations) on the way. */
static void evacuate_next(ms_map *m)
{
    prefetch_evacuation(m, m->nevacuate + 2);
    evacuate(m, m->nevacuate);
}

/* Go's growWork, done by every operation while growing: the old bucket
 * that holds the caller's bucket (so the operation then only looks at the
 * new array), plus the one at nevacuate, so the growth makes progress even
 * when the caller keeps touching the same keys. */
void ms_map_grow_work(ms_map *m, uint64_t bucket)
{
    uint64_t ob = bucket & (noldbuckets(m) - 1);
    m->ops_while_growing++;
    prefetch_evacuation(m, ob);
    evacuate(m, ob);
    if (m->oldbuckets)
        evacuate_next(m);
}

bool ms_map_maintain(ms_map *m, unsigned budget)
{
    for (; budget && m->oldbuckets; budget--)
        evacuate_next(m);
    for (; budget && m->prefault_left; budget--)
        ms_map_prefault_step(m);
    return m->oldbuckets != NULL;
}
