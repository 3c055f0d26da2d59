/*
 * map_grow.c — growth of the map engine: when to grow, the bucket arrays,
 * and incremental evacuation from the old array to the new one.
 *
 * The design is Go's (hashGrow, growWork, evacuate, advanceEvacuationMark
 * in runtime/map.go); what differs, and why, is in map.c's header.  In
 * short: every operation (not only writes) evacuates the old bucket it
 * touches plus the one at nevacuate, old overflow buckets are recycled the
 * moment their bucket is evacuated, and the old array is unmapped a few
 * pages at a time behind nevacuate, so a growth ends within 2^oldB
 * operations of any kind and never with one big munmap.
 */
#include "map_internal.h"

#include "pages.h"

#include <time.h>

/* Arrays of at least this many bytes get their own mapping; smaller ones
 * are runs of arena units.  16 KiB (four pages): below it a mapping of its
 * own would waste most of a page per small map (the shim keeps many), above
 * it unmapping the array when the map outgrows it is worth a syscall. */
#define ARRAY_MMAP_MIN (16u << 10)

/* Unmap the old array behind nevacuate in steps of at least this many
 * bytes.  Measured on the project's VMs: munmap of 4 KiB costs ~2.9 µs
 * (median), of 16 KiB ~3.3 µs, of 64 KiB ~6.6 µs and of a whole 150 MB
 * array ~0.5 ms.  16 KiB keeps every step below the 5 µs an insert may
 * take, with few enough steps that the syscall cost per operation stays
 * small (one step per ~110 evacuated buckets of 144 bytes). */
#define RELEASE_STEP (16u << 10)

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

/* Go's overLoadFactor: more than 6.5 entries per bucket on average (and
 * more than one bucket's worth, so tiny maps stay in one bucket). */
bool ms_map_overload(uint64_t count, unsigned B)
{
    return count > BUCKET_CNT && count > LOAD_NUM * ((1ull << B) / LOAD_DEN);
}

/* Go's tooManyOverflowBuckets: "too many" is about as many overflow
 * buckets as regular buckets.  The count saturates at 2^15 (a uint16) so
 * the threshold is capped at 2^15; above B = 15 incr_noverflow counts
 * probabilistically so that the capped counter still means ~2^B.  Too low
 * a threshold wastes work compacting, too high lets a map that grew and
 * shrank keep lots of memory in sparse chains. */
bool ms_map_too_many_overflow(uint16_t noverflow, unsigned B)
{
    if (B > 15)
        B = 15;
    return noverflow >= (1u << B);
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
 * novf_old free units in reserve for evacuation (see move_bucket), so an
 * insert may only take a unit beyond that. */
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
        ms_pages_unmap(a->base + a->released, len - a->released);
    } else {
        ms_arena_free_units(&m->arena, a->base, a->bytes / m->bsize);
    }
    *a = (struct barray){0};
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
    if (!ms_map_array_alloc(m, B, &a))
        return false;
    m->old = m->cur;
    m->oldbuckets = m->buckets;
    m->cur = a;
    m->buckets = a.base;
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
    return true;
}

/* Where evacuated entries go: X (same index) or Y (index + old size). */
struct evac_dst {
    uint8_t *b;
    unsigned i;
};

static void copy_entry(const ms_map *m, struct evac_dst *d, uint8_t top, const uint8_t *k,
                       const uint8_t *v)
{
    d->b[d->i] = top;
    memcpy(bkt_key(m, d->b, d->i), k, m->keysize);
    memcpy(bkt_val(m, d->b, d->i), v, m->valsize);
    d->i++;
}

/* Go's evacuate() body: move every entry of old bucket ob (and its
 * overflow chain) to the new array, in chain order, appending to X or Y.
 * The new buckets X and Y are empty: every operation evacuates the old
 * bucket before it touches the new ones.  The old main bucket keeps only
 * its evacuation markers; its overflow buckets go back to the arena at
 * once (Go must keep them for iterators that walk the old array; ours
 * never do, see map_iter.c). */
static void move_bucket(ms_map *m, uint64_t ob, uint8_t *b)
{
    uint64_t newbit = noldbuckets(m);
    struct evac_dst xy[2] = {{bkt_at(m, m->buckets, ob), 0}, {NULL, 0}};
    if (!m->same_size)
        xy[1].b = bkt_at(m, m->buckets, ob + newbit);
    uint8_t marks[BUCKET_CNT];
    uint64_t freed = 0;

    for (uint8_t *c = b; c;) {
        uint8_t *next = bkt_overflow(m, c);
        for (unsigned i = 0; i < BUCKET_CNT; i++) {
            uint8_t top = c[i];
            if (top <= EMPTY_ONE) {
                marks[i] = EVAC_EMPTY; /* only used when c == b */
                continue;
            }
            if (top < MIN_TOPHASH)
                ms_map_fatal("bad map state: marker in an unevacuated bucket");
            const uint8_t *k = bkt_key(m, c, i);
            unsigned y = !m->same_size && (map_hash(m, k) & newbit) != 0;
            marks[i] = (uint8_t)(EVAC_X + y);
            struct evac_dst *d = &xy[y];
            if (d->i == BUCKET_CNT) {
                /* Cannot fail: the reserve taken in hash_grow covers it. */
                uint8_t *ovf = ms_arena_alloc_units(&m->arena, 1);
                if (!ovf)
                    ms_map_fatal("bad map state: evacuation reserve exhausted");
                link_overflow(m, d->b, ovf);
                d->b = ovf;
                d->i = 0;
            }
            copy_entry(m, d, top, k, bkt_val(m, c, i));
        }
        if (c == b) {
            memcpy(b, marks, BUCKET_CNT);
        } else {
            ms_arena_free_units(&m->arena, c, 1);
            freed++;
        }
        c = next;
    }
    bkt_set_overflow(m, b, NULL);
    m->novf_old -= freed;
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
    ms_pages_unmap(a->base + a->released, done - a->released);
    a->released = done;
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

void ms_map_evacuate(ms_map *m, uint64_t ob)
{
    if (ob < m->nevacuate)
        return;
    uint8_t *b = bkt_at(m, m->oldbuckets, ob);
    if (!bkt_evacuated(b))
        move_bucket(m, ob, b);
    if (ob == m->nevacuate)
        advance_mark(m);
}

/* Go's growWork, done by every operation while growing: the old bucket
 * that holds the caller's bucket (so the operation then only looks at the
 * new array), plus the one at nevacuate, so the growth makes progress even
 * when the caller keeps touching the same keys. */
void ms_map_grow_work(ms_map *m, uint64_t bucket)
{
    m->ops_while_growing++;
    ms_map_evacuate(m, bucket & (noldbuckets(m) - 1));
    if (m->oldbuckets)
        ms_map_evacuate(m, m->nevacuate);
}

bool ms_map_maintain(ms_map *m, unsigned budget)
{
    for (; budget && m->oldbuckets; budget--)
        ms_map_evacuate(m, m->nevacuate);
    return m->oldbuckets != NULL;
}
