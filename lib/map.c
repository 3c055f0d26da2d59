/*
 * map.c — mapscope's map engine: creation, lookup, insert, delete, clear.
 *
 * This is a hash table after the classic Go runtime map (runtime/map.go,
 * Go 1.19-1.23).  The data is an array of 2^B buckets.  Each bucket holds
 * up to 8 entries: 8 tophash bytes, the 8 keys, then the 8 values, and a
 * pointer to an overflow bucket.  The low B bits of a key's hash pick the
 * bucket; the top 8 bits (the tophash, moved above the marker values 0-4)
 * tell the entries of one bucket apart without comparing keys.  When more
 * than 8 keys fall in a bucket, overflow buckets are chained behind it.
 * (Where a bucket's parts are kept in memory is the first departure from
 * Go below.)
 *
 * Lookups compare the 8 tophash bytes of a bucket with the wanted one in a
 * single 64-bit word operation (SWAR, map_internal.h), compare keys only
 * where a byte matched, and stop at the first bucket holding an emptyRest
 * marker: deletes keep the invariant that nothing follows an emptyRest
 * slot, so a miss rarely reads past the first bucket.
 *
 * When the average load passes 6.5 entries per bucket the array doubles;
 * when there are about as many overflow buckets as buckets (a map that
 * grew, then lost most entries, leaving sparse chains) a same-size growth
 * compacts the chains.  Growth is incremental: the old array stays as
 * oldbuckets and each operation moves ("evacuates") a bounded number of old
 * buckets to the new array: the entries of old bucket i go to new bucket i
 * (X) or i + 2^oldB (Y) by the next hash bit (always X in a same-size
 * growth); the old bucket keeps only markers saying where each went.
 *
 * Picking the load factor (Go's measurements, 8-byte keys and values,
 * maximally loaded tables, i.e. just before growth):
 *
 *   loadFactor  %overflow  bytes/entry  hitprobe  missprobe
 *         4.00       2.13        20.77      3.00       4.00
 *         5.00       6.85        14.77      3.50       5.00
 *         6.00      15.27        11.67      4.00       6.00
 *         6.50      20.90        10.79      4.25       6.50
 *         7.00      27.14        10.15      4.50       7.00
 *         8.00      41.10         9.40      5.00       8.00
 *
 * (%overflow: buckets with an overflow bucket; bytes/entry: overhead per
 * entry; hit/missprobe: entries checked per lookup.)  Beyond 6.5, each
 * half step saves under a byte per entry while adding 6-7 points of
 * buckets with an overflow chain, and following a chain is another cache
 * miss.  Our probes are cheaper than Go's (the SWAR match checks a whole
 * bucket in one word compare), which only strengthens the space argument
 * below 6.5; we keep Go's value.
 *
 * Where this engine departs from Go, and why — it lives inside a malloc
 * interposer (lib/ shim), keeping the books of every allocation:
 *
 *  - A bucket's parts live apart (map_internal.h).  Its tophash word (the
 *    8 tophash bytes) sits in a dense region of the array, 8 bytes per
 *    bucket; its overflow word (the overflow pointer) in a second dense
 *    region; its data (8 keys, then 8 values) in a third.  An overflow
 *    bucket is one arena unit holding the three in a row.  Go keeps them
 *    together, so every lookup and insert starts by fetching the bucket's
 *    first cache line; for a map bigger than the caches that is a memory
 *    access even when the key is absent.  Dense, the tophash words of 1M
 *    entries are 2 MB (the second-level cache holds them) and of 10M,
 *    16 MB (the last-level cache), as dense per entry as a Swiss table's
 *    control bytes: a miss, or an insert's search for a free slot, is
 *    decided there.  Measured on the project's 2-vCPU VM (map-bench,
 *    ratios to absl::flat_hash_map, medians of 7 runs): misses went from
 *    2.6x (1M keys) and 3.4x (10M) with Go's layout to 1.5x and 2.9x;
 *    hits stay 1.4-1.5x because the data part is asked for together with
 *    the tophash word (home(), below), and inserts went from 1.6x/1.7x to
 *    1.4x/1.5x (with the growth changes in map_grow.c).  Same bytes: 144
 *    per bucket of 8-byte keys and values either way.
 *
 *  - The overflow word of a chain's first bucket also holds a 16-bit
 *    filter of the tophashes stored in the chain's overflow buckets
 *    (map_internal.h).  At 10M keys a tenth of the first buckets are full;
 *    without the filter a miss there must read the overflow bucket, a
 *    memory access.  With it, only keys whose filter bit is set (in a
 *    tenth of those) go on.
 *
 *  - It never calls malloc or free.  Big bucket arrays are their own
 *    mmap'd mappings; small arrays, overflow buckets and the map itself
 *    come from a per-map arena (arena.c) of mmap'd chunks with a free list.
 *    Overflow buckets of an evacuated old bucket are recycled at once.
 *
 *  - Growth always finishes.  A Go map evacuates only on writes, so a map
 *    whose writes stop mid-growth keeps its old array forever — one of the
 *    pathologies mapscope's gomaps probe reports.  Here every operation
 *    (lookup, insert, delete, iteration step) evacuates the old bucket it
 *    touches plus, in order from nevacuate, a few more (EVAC_STEPS work
 *    units, where Go moves one bucket: in order, evacuation streams
 *    through memory; at random it waits for it; map_grow.c has the
 *    figures), and ms_map_maintain lets an owner with idle time do more.
 *    Each operation advances nevacuate by at least one, so a growth ends
 *    within 2^oldB operations of any kind (usually within an eighth of
 *    that); a doubling starts at 6.5 * 2^oldB entries, so even if every
 *    one of those operations is an insert the map reaches only 3.75
 *    entries per new bucket before the growth is done — never a second
 *    growth pending.
 *
 *  - No operation does unbounded work: evacuation is per bucket, the scan
 *    that advances nevacuate is capped (ADVANCE_SCAN), and the old array is
 *    given back a few pages at a time as nevacuate passes them
 *    (RELEASE_STEP, UNMAP_STEP) instead of in one multi-millisecond munmap
 *    at the end.  The next doubling's array is faulted in a few pages per
 *    operation just before the doubling (PREFAULT_STEP), so the growth's
 *    random writes take no page faults.  Evacuation cannot run out of
 *    memory half-way: a growth starts only after the arena holds enough
 *    free units for it (see ms_map_hash_grow).
 *
 *  - Operations only ever look at the new array: a lookup evacuates the
 *    old bucket first instead of searching it (Go's lookups read the old
 *    bucket, which is why Go's growth needs writes to progress).  So a
 *    new bucket is empty until its old bucket is evacuated, and evacuation
 *    appends to empty destination buckets, in chain order.
 *
 *  - Iteration does not walk a snapshot of the bucket array (Go's iterator
 *    keeps the old array alive for that); it visits entries in the order of
 *    their bit-reversed hash, which no growth changes.  See map_iter.c.
 *
 *  - The seed is never changed after creation (Go re-seeds an emptied map
 *    against hash flooding): callers pass hashes they computed (the *_h
 *    calls, ms_smap) and iterators depend on a stable order.  The seed is
 *    random per map (getrandom), and every key bit reaches both ends of
 *    the hash (hash.h), because the shim's keys are addresses: a few
 *    dense, aligned ranges.  Maps of addresses (MS_MAP_ADDRESS_KEYS, the
 *    shim's books) hash them so that a 64 KiB region's keys share a run of
 *    buckets (ms_hash_addr in hash.h): blocks allocated and freed together
 *    then touch the same cache lines and pages of the map.
 *
 *  - The map reports on itself (ms_map_stats) and checks itself
 *    (ms_map_check), see map_check.c.
 *
 * What map-bench measures against absl is partly the C call: absl's
 * lookups are inlined into the benchmark loop, ours are a function call
 * per operation, which keeps fewer lookups in flight (through an
 * out-of-line wrapper absl's 10M-key misses measured ~26-35 ns instead of
 * ~15-20).  The hot paths below are written to need no stack frame for
 * that reason.
 */
#include "map_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

void ms_map_fatal(const char *what)
{
    static const char prefix[] = "mapscope: map engine: ";
    ssize_t r = write(2, prefix, sizeof prefix - 1);
    r = write(2, what, strlen(what));
    r = write(2, "\n", 1);
    (void)r;
    abort();
}

ms_map *ms_map_create_seeded(uint32_t keysize, uint32_t valsize, size_t hint, uint64_t seed)
{
    return ms_map_create_flags(keysize, valsize, hint, seed, 0);
}

ms_map *ms_map_create_flags(uint32_t keysize, uint32_t valsize, size_t hint, uint64_t seed,
                            unsigned flags)
{
    if (keysize < 1 || keysize > MS_MAP_MAX_KEY || valsize > MS_MAP_MAX_VAL ||
        (flags & ~MS_MAP_ADDRESS_KEYS) || ((flags & MS_MAP_ADDRESS_KEYS) && keysize != 8))
        return NULL;
    /* Data part: 8 keys then 8 values.  An overflow bucket (arena unit) is
     * its tophash word, overflow word and data, in a row. */
    uint32_t dsize = BUCKET_CNT * (keysize + valsize);
    uint32_t bsize = TOP_BYTES + OVF_BYTES + dsize;

    unsigned B = 0;
    while (B < MAX_B && ms_map_overload(hint, B))
        B++;

    /* The map struct, one bucket and a few overflow buckets fit the first
     * chunk; bigger first arrays get their own mapping (or a later chunk). */
    struct ms_arena arena;
    if (!ms_arena_init(&arena, bsize, sizeof(ms_map) + 16 + 8 * (size_t)bsize))
        return NULL;
    ms_map *m = ms_arena_alloc_raw(&arena, sizeof *m);
    memset(m, 0, sizeof *m);
    m->keysize = keysize;
    m->valsize = valsize;
    m->bsize = bsize;
    m->dsize = dsize;
    m->w8 = keysize == 8 && valsize == 8;
    m->addr_keys = (flags & MS_MAP_ADDRESS_KEYS) != 0;
    m->hintB = (uint8_t)B;
    m->seed = seed;
    m->seed2 = ms_mix64(seed ^ 0x6a09e667f3bcc909ull);
    m->rng = ms_mix64(seed + 0x9e3779b97f4a7c15ull) | 1;
    m->arena = arena;
    if (!ms_map_array_alloc(m, B, &m->cur)) {
        arena = m->arena;
        ms_arena_destroy(&arena);
        return NULL;
    }
    m->tops = m->cur.r[R_TOP].base;
    m->ovfs = m->cur.r[R_OVF].base;
    m->kvs = m->cur.r[R_KV].base;
    m->B = (uint8_t)B;
    ms_map_sync_path(m);
    ms_map_set_marks(m);
    return m;
}

ms_map *ms_map_create(uint32_t keysize, uint32_t valsize, size_t hint)
{
    return ms_map_create_seeded(keysize, valsize, hint, ms_hash_random_seed());
}

void ms_map_destroy(ms_map *m)
{
    if (!m)
        return;
    if (m->oldtops && m->old.mapped)
        ms_map_array_free(m, &m->old);
    if (m->cur.mapped)
        ms_map_array_free(m, &m->cur);
    ms_map_array_free(m, &m->next);
    struct ms_arena arena = m->arena; /* m itself lives in the arena */
    ms_arena_destroy(&arena);
}

uint64_t ms_map_hash(const ms_map *m, const void *key)
{
    return map_hash(m, key);
}

size_t ms_map_count(const ms_map *m)
{
    return m->count;
}

/* The hot paths (lookup, insert, delete) are written once, as
 * always-inline functions taking the key and value sizes as their first
 * parameters, and instantiated for 8-byte keys and values (the shim's
 * main books: offsets fold to constants, keys compare and values copy as
 * one word) and for the map's sizes.  Everything rare (a step of growth
 * work or pre-faulting, starting a growth, an insert that needs an
 * overflow bucket) is out of line and reached by a tail call, so the fast
 * paths need no stack frame: an operation on a big map spends its time
 * waiting for memory, and the fewer instructions each one takes, the more
 * of them the processor overlaps (measured: an insert that only writes a
 * free slot of the first bucket, written inline in the benchmark loop,
 * takes 40 ns at 10M keys, the same through a function with a frame and
 * the general chain walk 63 ns). */

static void __attribute__((noinline)) background_work(ms_map *m, uint64_t h)
{
    if (m->oldtops)
        ms_map_grow_work(m, h & m->mask);
    else
        ms_map_prefault_step(m);
}

/* Search the chain starting at b (a first bucket) for key: returns the
 * bucket holding it (top NULL when absent) and its slot.  Only tophash
 * words are read until a tophash matches (then the slot's value is asked
 * for while its key is compared); the search stops at the first bucket
 * with an emptyRest slot.  It leaves the first bucket only when the
 * filter in its overflow word admits the tophash. */
HOT struct bkt find(uint32_t ks, uint32_t vs, const ms_map *m, struct bkt b, uint8_t top,
                    const void *key, unsigned *slot)
{
    uint64_t w = bkt_top_word(b);
    for (bool first = true;; first = false) {
        for (uint64_t hit = swar_match(w, top); hit; hit &= hit - 1) {
            unsigned i = swar_first(hit);
            if (!first)
                __builtin_prefetch(b.kv + BUCKET_CNT * ks + i * vs);
            if (key_eq(key_at(b, i, ks), key, ks)) {
                *slot = i;
                return b;
            }
        }
        if (__builtin_expect(swar_zero_bytes(w) != 0, 1)) /* emptyRest: nothing further */
            return (struct bkt){NULL, NULL, NULL};
        uint64_t o = bkt_ovf_word(b);
        if (first && !ovf_may_hold(o, top))
            return (struct bkt){NULL, NULL, NULL};
        b = unit_bkt((uint8_t *)(uintptr_t)(o & OVF_PTR_MASK));
        if (!b.top)
            return b;
        w = bkt_top_word(b);
    }
}

/* The first bucket of h's chain, its data part asked for at once.  A data
 * part is exactly 8 keys and 8 values (m->dsize), so its size folds to a
 * constant in the 8-byte instantiation.
 *
 * Why ask for the data before the tophash word says whether the key is
 * there: a hit needs the key's line and the value's, and waiting for the
 * tophash word first puts two cache misses in a row.  A miss never reads
 * them, so for it they are only memory traffic.  Measured (ratios to absl,
 * medians of 7 runs; see map.c): asking at once, hits 1.48x at 1M keys and
 * 1.44x at 10M, misses 1.52x and 2.9x; waiting, hits 2.07x and 2.58x,
 * misses 1.38x and 2.22x.  The books of a malloc interposer are looked up
 * mostly for keys that are there (frees of tracked blocks), so hits win.
 * Into all cache levels: non-temporal requests cost 1M-key hits their
 * gain (the lines came back from the last-level cache too late). */
HOT struct bkt home(uint32_t ks, uint32_t vs, const ms_map *m, uint64_t h)
{
    uint64_t i = h & m->mask;
    struct bkt b = {m->tops + i * TOP_BYTES, m->ovfs + i * OVF_BYTES,
                    m->kvs + i * BUCKET_CNT * (ks + vs)};
    __builtin_prefetch(b.kv, 1, 3);
    __builtin_prefetch(b.kv + 64, 1, 3);
    return b;
}

HOT void *lookup(uint32_t ks, uint32_t vs, ms_map *m, const void *key, uint64_t h)
{
    unsigned i;
    struct bkt b = find(ks, vs, m, home(ks, vs, m, h), tophash(h), key, &i);
    return b.top ? b.kv + BUCKET_CNT * ks + i * vs : NULL;
}

/* Store a new key in free slot i of b (its value zeroed). */
HOT void *put_new(uint32_t ks, uint32_t vs, ms_map *m, struct bkt b, unsigned i, const void *key,
                  uint64_t h, bool *inserted)
{
    memcpy(key_at(b, i, ks), key, ks);
    uint8_t *val = b.kv + BUCKET_CNT * ks + i * vs;
    memset(val, 0, vs);
    b.top[i] = tophash(h);
    m->count++;
    if (inserted)
        *inserted = true;
    return val;
}

/* A growth is due: over the load factor, or too many overflow buckets,
 * and not growing already. */
static bool growth_due(const ms_map *m)
{
    return !m->oldtops &&
           (ms_map_overload(m->count + 1, m->B) || ms_map_too_many_overflow(m->noverflow, m->B));
}

void *ms_map_assign_h(ms_map *m, const void *key, uint64_t h, bool *inserted);

/* An insert of an absent key off the fast path: a growth may be due (it
 * restarts the insert: the bucket moved; if it cannot get memory, the
 * insert carries on in this array), the first bucket may be full (take
 * the first free slot of the chain, or a new overflow bucket), or the
 * next array's preparation may be due. */
static void *__attribute__((noinline))
assign_rare(ms_map *m, const void *key, uint64_t h, bool *inserted)
{
    if (growth_due(m) && ms_map_hash_grow(m))
        return ms_map_assign_h(m, key, h, inserted);
    struct bkt b = cur_bkt(m, h & m->mask), ins = {NULL, NULL, NULL};
    unsigned insi = 0;
    for (;;) {
        uint64_t empty = swar_empty(bkt_top_word(b));
        if (empty) {
            ins = b;
            insi = swar_first(empty);
            break;
        }
        struct bkt next = bkt_next(m, b);
        if (!next.top)
            break;
        b = next;
    }
    if (!ins.top) {
        ins = ms_map_new_overflow(m, b);
        if (!ins.top)
            return NULL;
    }
    struct bkt first = cur_bkt(m, h & m->mask);
    if (ins.top != first.top)
        bkt_filter_add(first, tophash(h));
    void *val = put_new(m->keysize, m->valsize, m, ins, insi, key, h, inserted);
    if (m->count >= m->prefault_at)
        ms_map_prefault_start(m);
    return val;
}

HOT void *assign(uint32_t ks, uint32_t vs, ms_map *m, const void *key, uint64_t h, bool *inserted)
{
    unsigned i;
    struct bkt first = home(ks, vs, m, h);
    struct bkt b = find(ks, vs, m, first, tophash(h), key, &i);
    if (b.top) {
        if (inserted)
            *inserted = false;
        return b.kv + BUCKET_CNT * ks + i * vs;
    }
    /* Absent.  The fast path: a free slot in the first bucket, and no
     * growth or preparation due (fast_limit, see ms_map_set_marks). */
    uint64_t empty = swar_empty(bkt_top_word(first));
    if (__builtin_expect(!empty || m->count >= m->fast_limit, 0))
        return assign_rare(m, key, h, inserted);
    return put_new(ks, vs, m, first, swar_first(empty), key, h, inserted);
}

/* The bucket before b in the chain starting at first. */
static struct bkt prev_bucket(const ms_map *m, struct bkt first, struct bkt b)
{
    struct bkt p = first;
    while (bkt_overflow_unit(m, p) != b.top)
        p = bkt_next(m, p);
    return p;
}

/* Whether slot i of b is followed by emptyRest (or is the chain's last). */
static inline bool rest_follows(const ms_map *m, struct bkt b, unsigned i)
{
    if (i == BUCKET_CNT - 1) {
        uint8_t *next = bkt_overflow_unit(m, b);
        return !next || next[0] == EMPTY_REST;
    }
    return b.top[i + 1] == EMPTY_REST;
}

/* After slot i of b (in h's chain) became empty with nothing live after
 * it: turn it and the emptyOne run before it into emptyRest (Go's
 * mapdelete), so lookups keep stopping early.  And if the map shrank well
 * below the doubling point, give the prepared next array back rather than
 * hold twice the memory (hysteresis of one entry per bucket, so a map
 * hovering near the mark does not map and unmap). */
static bool __attribute__((noinline)) delete_tidy(ms_map *m, uint64_t h, struct bkt b, unsigned i)
{
    if (rest_follows(m, b, i)) {
        struct bkt first = cur_bkt(m, h & m->mask);
        for (;;) {
            b.top[i] = EMPTY_REST;
            if (i == 0) {
                if (b.top == first.top)
                    break;
                b = prev_bucket(m, first, b);
                i = BUCKET_CNT - 1;
            } else {
                i--;
            }
            if (b.top[i] != EMPTY_ONE)
                break;
        }
    }
    if (m->next.n && m->count + (1ull << m->B) < m->prefault_at)
        ms_map_prefault_drop(m);
    return true;
}

HOT bool delete (uint32_t ks, uint32_t vs, ms_map *m, const void *key, uint64_t h, void *val_out)
{
    unsigned i;
    struct bkt b = find(ks, vs, m, home(ks, vs, m, h), tophash(h), key, &i);
    if (!b.top)
        return false;
    if (val_out)
        memcpy(val_out, b.kv + BUCKET_CNT * ks + i * vs, vs);
    b.top[i] = EMPTY_ONE;
    m->count--;
    if (__builtin_expect(m->next.n != 0, 0) || rest_follows(m, b, i))
        return delete_tidy(m, h, b, i);
    return true;
}

/* For each operation: the code for every path but the 8-byte fast ones
 * (name##_other: a step of pending work first, then the right
 * instantiation), and the dispatch the public entry points inline
 * (name##_go), which holds the 8-byte instantiation. */
#define OPERATION(name, ret, params, ...)                                                          \
    static ret __attribute__((noinline)) name##_other params                                       \
    {                                                                                              \
        if (m->oldtops || m->prefault_left)                                                        \
            background_work(m, h);                                                                 \
        if (m->w8)                                                                                 \
            return name(8, 8, __VA_ARGS__);                                                        \
        return name(m->keysize, m->valsize, __VA_ARGS__);                                          \
    }                                                                                              \
    HOT ret name##_go params                                                                       \
    {                                                                                              \
        if (__builtin_expect(m->path != PATH_W8, 0))                                               \
            return name##_other(__VA_ARGS__);                                                      \
        return name(8, 8, __VA_ARGS__);                                                            \
    }

OPERATION(lookup, void *, (ms_map * m, const void *key, uint64_t h), m, key, h)
OPERATION(assign, void *, (ms_map * m, const void *key, uint64_t h, bool *inserted), m, key, h,
          inserted)
OPERATION(delete, bool, (ms_map * m, const void *key, uint64_t h, void *val_out), m, key, h,
          val_out)

/* Off the fast paths, keys are hashed out of line: a call before the tail
 * call would give the entry points a stack frame. */
static void *__attribute__((noinline)) lookup_hashing(ms_map *m, const void *key)
{
    return lookup_other(m, key, map_hash(m, key));
}

static void *__attribute__((noinline)) assign_hashing(ms_map *m, const void *key, bool *inserted)
{
    return assign_other(m, key, map_hash(m, key), inserted);
}

static bool __attribute__((noinline)) delete_hashing(ms_map *m, const void *key, void *val_out)
{
    return delete_other(m, key, map_hash(m, key), val_out);
}

void *ms_map_lookup_h(ms_map *m, const void *key, uint64_t h)
{
    return lookup_go(m, key, h);
}

void *ms_map_lookup(ms_map *m, const void *key)
{
    if (m->path != PATH_W8)
        return lookup_hashing(m, key);
    return lookup_go(m, key, map_hash_ks(m, key, 8));
}

void *ms_map_assign_h(ms_map *m, const void *key, uint64_t h, bool *inserted)
{
    return assign_go(m, key, h, inserted);
}

void *ms_map_assign(ms_map *m, const void *key, bool *inserted)
{
    if (m->path != PATH_W8)
        return assign_hashing(m, key, inserted);
    return assign_go(m, key, map_hash_ks(m, key, 8), inserted);
}

bool ms_map_delete_h(ms_map *m, const void *key, uint64_t h, void *val_out)
{
    return delete_go(m, key, h, val_out);
}

bool ms_map_delete(ms_map *m, const void *key, void *val_out)
{
    if (m->path != PATH_W8)
        return delete_hashing(m, key, val_out);
    return delete_go(m, key, map_hash_ks(m, key, 8), val_out);
}

void ms_map_clear(ms_map *m)
{
    if (m->oldtops) {
        m->ns_growing += ms_map_now_ns() - m->grow_start_ns;
        if (m->old.mapped)
            ms_map_array_free(m, &m->old);
    }
    if (m->cur.mapped)
        ms_map_array_free(m, &m->cur);
    ms_map_prefault_drop(m);
    /* Every other block of the arena is free now: drop all chunks but the
     * first, which holds this struct. */
    ms_arena_reset(&m->arena, sizeof *m);
    /* Back to an array from the arena (never a mapping of its own), as big
     * as the creation hint asked for within that. */
    unsigned B = m->hintB;
    while (B > 0 && ((uint64_t)m->bsize << B) >= ARRAY_MMAP_MIN)
        B--;
    /* B = 0 fits the first chunk (see create), so this cannot fail. */
    if (!ms_map_array_alloc(m, B, &m->cur)) {
        B = 0;
        if (!ms_map_array_alloc(m, 0, &m->cur))
            ms_map_fatal("bad map state: no room for one bucket after clear");
    }
    m->tops = m->cur.r[R_TOP].base;
    m->ovfs = m->cur.r[R_OVF].base;
    m->kvs = m->cur.r[R_KV].base;
    m->generation++;
    m->B = (uint8_t)B;
    m->oldtops = NULL;
    m->prefault_left = 0;
    m->oldovfs = NULL;
    m->oldkvs = NULL;
    m->old = (struct barray){0};
    m->same_size = false;
    m->nevacuate = 0;
    m->count = 0;
    m->noverflow = 0;
    m->novf_cur = 0;
    m->novf_old = 0;
    ms_map_sync_path(m);
    ms_map_set_marks(m);
}
