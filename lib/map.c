/*
 * map.c — mapscope's map engine: creation, lookup, insert, delete, clear.
 *
 * This is a hash table after the classic Go runtime map (runtime/map.go,
 * Go 1.19-1.23).  The data is an array of 2^B buckets.  Each bucket holds
 * up to 8 entries: 8 tophash bytes, then the 8 keys, then the 8 values,
 * then a pointer to an overflow bucket.  The low B bits of a key's hash
 * pick the bucket; the top 8 bits (the tophash, moved above the marker
 * values 0-4) tell the entries of one bucket apart without comparing keys.
 * When more than 8 keys fall in a bucket, overflow buckets are chained
 * behind it.
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
 *  - It never calls malloc or free.  Big bucket arrays are their own
 *    mmap'd mappings; small arrays, overflow buckets and the map itself
 *    come from a per-map arena (arena.c) of mmap'd chunks with a free list.
 *    Overflow buckets of an evacuated old bucket are recycled at once.
 *
 *  - Growth always finishes.  A Go map evacuates only on writes, so a map
 *    whose writes stop mid-growth keeps its old array forever — one of the
 *    pathologies mapscope's gomaps probe reports.  Here every operation
 *    (lookup, insert, delete, iteration step) evacuates the old bucket it
 *    touches plus the one at nevacuate, and ms_map_maintain lets an owner
 *    with idle time do more.  Each operation advances nevacuate by at
 *    least one, so a growth ends within 2^oldB operations of any kind; a
 *    doubling starts at 6.5 * 2^oldB entries, so even if every one of
 *    those operations is an insert the map reaches only 3.75 entries per
 *    new bucket before the growth is done — never a second growth pending.
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
 *    dense, aligned ranges.
 *
 *  - The map reports on itself (ms_map_stats) and checks itself
 *    (ms_map_check), see map_check.c.
 */
#include "map_internal.h"

#include <stdlib.h>
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

static uint32_t round8(uint32_t n)
{
    return (n + 7) & ~7u;
}

ms_map *ms_map_create_seeded(uint32_t keysize, uint32_t valsize, size_t hint, uint64_t seed)
{
    if (keysize < 1 || keysize > MS_MAP_MAX_KEY || valsize > MS_MAP_MAX_VAL)
        return NULL;
    /* Bucket: tophash[8] | keys | values | padding to 8 | overflow pointer. */
    uint32_t valoff = 8 + BUCKET_CNT * keysize;
    uint32_t ovfoff = round8(valoff + BUCKET_CNT * valsize);
    uint32_t bsize = ovfoff + 8;

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
    m->valoff = valoff;
    m->ovfoff = ovfoff;
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
    m->buckets = m->cur.base;
    m->B = (uint8_t)B;
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
    if (m->oldbuckets && m->old.mapped)
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

/* Everything rare (growth work, pre-faulting, starting a growth, new
 * overflow buckets) is out of line, so the fast paths stay small. */

/* Growth work or a pre-fault step, whichever is pending. */
static void __attribute__((noinline)) background_work(ms_map *m, uint64_t bucket)
{
    if (m->oldbuckets)
        ms_map_grow_work(m, bucket);
    else
        ms_map_prefault_step(m);
}

/* The bucket for hash h, after any pending evacuation of it. */
HOT uint8_t *bucket_for(ms_map *m, uint64_t h)
{
    uint64_t bucket = h & bucket_mask(m->B);
    if (__builtin_expect(((uintptr_t)m->oldbuckets | m->prefault_left) != 0, 0))
        background_work(m, bucket);
    uint8_t *b = bkt_at(m, m->buckets, bucket);
    bkt_prefetch(m, b);
    return b;
}

/* Search b's chain for key: returns the bucket holding it and its slot. */
HOT uint8_t *find(const ms_map *m, uint8_t *b, const void *key, uint8_t top, unsigned *slot,
                  uint32_t ks)
{
    do {
        uint64_t w = bkt_top_word(b);
        for (uint64_t hit = swar_match(w, top); hit; hit &= hit - 1) {
            unsigned i = swar_first(hit);
            if (key_eq(key_at(b, i, ks), key, ks)) {
                *slot = i;
                return b;
            }
        }
        if (swar_zero_bytes(w)) /* an emptyRest slot: nothing further */
            return NULL;
        b = bkt_overflow(m, b);
    } while (b);
    return NULL;
}

HOT void *lookup(ms_map *m, const void *key, uint64_t h, uint32_t ks)
{
    uint8_t *b = bucket_for(m, h);
    unsigned i;
    if (m->count == 0)
        return NULL;
    b = find(m, b, key, tophash(h), &i, ks);
    return b ? val_at(m, b, i, ks) : NULL;
}

/* The two instantiations of each operation are separate functions, so the
 * 8-byte one keeps its own small prologue; the public entry points only
 * dispatch (tail calls). */
#define INSTANCES(name, ret, params, args)                                                         \
    static ret __attribute__((noinline)) name##_k8 params                                          \
    {                                                                                              \
        const uint32_t ks = 8;                                                                     \
        return name args;                                                                          \
    }                                                                                              \
    static ret __attribute__((noinline)) name##_any params                                         \
    {                                                                                              \
        const uint32_t ks = m->keysize;                                                            \
        return name args;                                                                          \
    }

INSTANCES(lookup, void *, (ms_map * m, const void *key, uint64_t h), (m, key, h, ks))

/* Generic keys hashed out of line: a call before the tail call would give
 * the dispatchers a prologue. */
static void *__attribute__((noinline)) lookup_hashing(ms_map *m, const void *key)
{
    return lookup_any(m, key, map_hash(m, key));
}

void *ms_map_lookup_h(ms_map *m, const void *key, uint64_t h)
{
    return m->keysize == 8 ? lookup_k8(m, key, h) : lookup_any(m, key, h);
}

void *ms_map_lookup(ms_map *m, const void *key)
{
    if (m->keysize == 8)
        return lookup_k8(m, key, ms_hash_bytes(key, 8, m->seed));
    return lookup_hashing(m, key);
}

HOT void *assign(ms_map *m, const void *key, uint64_t h, bool *inserted, uint32_t ks)
{
    uint8_t top = tophash(h);
again:;
    uint8_t *b = bucket_for(m, h);
    uint8_t *ins = NULL; /* first free slot seen */
    unsigned insi = 0;
    for (;;) {
        uint64_t w = bkt_top_word(b);
        for (uint64_t hit = swar_match(w, top); hit; hit &= hit - 1) {
            unsigned i = swar_first(hit);
            if (key_eq(key_at(b, i, ks), key, ks)) {
                if (inserted)
                    *inserted = false;
                return val_at(m, b, i, ks);
            }
        }
        uint64_t empty = swar_empty(w);
        if (!ins && empty) {
            ins = b;
            insi = swar_first(empty);
        }
        if (swar_zero_bytes(w))
            break; /* emptyRest: the key is not further along */
        uint8_t *next = bkt_overflow(m, b);
        if (!next)
            break;
        b = next;
    }
    /* Not found.  Over the load factor, or too many overflow buckets, and
     * not already growing: start a growth and start over (the bucket has
     * moved).  If the growth cannot get memory, carry on in this array. */
    bool due = ms_map_overload(m->count + 1, m->B) || ms_map_too_many_overflow(m->noverflow, m->B);
    if (__builtin_expect(due, 0) && !m->oldbuckets && ms_map_hash_grow(m))
        goto again;
    if (!ins) {
        ins = ms_map_new_overflow(m, b);
        if (!ins)
            return NULL;
        insi = 0;
    }
    memcpy(key_at(ins, insi, ks), key, ks);
    uint8_t *val = val_at(m, ins, insi, ks);
    if (m->valsize == 8)
        memset(val, 0, 8);
    else
        memset(val, 0, m->valsize);
    ins[insi] = top;
    if (__builtin_expect(++m->count >= m->prefault_at, 0))
        ms_map_prefault_start(m);
    if (inserted)
        *inserted = true;
    return val;
}

INSTANCES(assign, void *, (ms_map * m, const void *key, uint64_t h, bool *inserted),
          (m, key, h, inserted, ks))

static void *__attribute__((noinline)) assign_hashing(ms_map *m, const void *key, bool *inserted)
{
    return assign_any(m, key, map_hash(m, key), inserted);
}

void *ms_map_assign_h(ms_map *m, const void *key, uint64_t h, bool *inserted)
{
    return m->keysize == 8 ? assign_k8(m, key, h, inserted) : assign_any(m, key, h, inserted);
}

void *ms_map_assign(ms_map *m, const void *key, bool *inserted)
{
    if (m->keysize == 8)
        return assign_k8(m, key, ms_hash_bytes(key, 8, m->seed), inserted);
    return assign_hashing(m, key, inserted);
}

/* The bucket before b in the chain starting at first. */
static uint8_t *prev_bucket(const ms_map *m, uint8_t *first, const uint8_t *b)
{
    uint8_t *p = first;
    while (bkt_overflow(m, p) != b)
        p = bkt_overflow(m, p);
    return p;
}

/* After slot i of b became empty: if nothing live follows it, turn it and
 * the emptyOne run before it into emptyRest (Go's mapdelete), so lookups
 * keep stopping early. */
static void mark_empty_rest(const ms_map *m, uint8_t *first, uint8_t *b, unsigned i)
{
    if (i == BUCKET_CNT - 1) {
        uint8_t *next = bkt_overflow(m, b);
        if (next && next[0] != EMPTY_REST)
            return;
    } else if (b[i + 1] != EMPTY_REST) {
        return;
    }
    for (;;) {
        b[i] = EMPTY_REST;
        if (i == 0) {
            if (b == first)
                return;
            b = prev_bucket(m, first, b);
            i = BUCKET_CNT - 1;
        } else {
            i--;
        }
        if (b[i] != EMPTY_ONE)
            return;
    }
}

HOT bool delete (ms_map *m, const void *key, uint64_t h, void *val_out, uint32_t ks)
{
    uint8_t *first = bucket_for(m, h);
    unsigned i;
    if (m->count == 0)
        return false;
    uint8_t *b = find(m, first, key, tophash(h), &i, ks);
    if (!b)
        return false;
    if (val_out)
        memcpy(val_out, val_at(m, b, i, ks), m->valsize);
    b[i] = EMPTY_ONE;
    mark_empty_rest(m, first, b, i);
    m->count--;
    if (__builtin_expect(m->next.base != NULL, 0) && m->count + (1ull << m->B) < m->prefault_at)
        ms_map_prefault_drop(m);
    return true;
}

INSTANCES(delete, bool, (ms_map * m, const void *key, uint64_t h, void *val_out),
          (m, key, h, val_out, ks))

static bool __attribute__((noinline)) delete_hashing(ms_map *m, const void *key, void *val_out)
{
    return delete_any(m, key, map_hash(m, key), val_out);
}

bool ms_map_delete_h(ms_map *m, const void *key, uint64_t h, void *val_out)
{
    return m->keysize == 8 ? delete_k8(m, key, h, val_out) : delete_any(m, key, h, val_out);
}

bool ms_map_delete(ms_map *m, const void *key, void *val_out)
{
    if (m->keysize == 8)
        return delete_k8(m, key, ms_hash_bytes(key, 8, m->seed), val_out);
    return delete_hashing(m, key, val_out);
}

void ms_map_clear(ms_map *m)
{
    if (m->oldbuckets) {
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
    m->buckets = m->cur.base;
    m->generation++;
    m->B = (uint8_t)B;
    m->oldbuckets = NULL;
    m->old = (struct barray){0};
    m->same_size = false;
    m->nevacuate = 0;
    m->count = 0;
    m->noverflow = 0;
    m->novf_cur = 0;
    m->novf_old = 0;
    ms_map_set_marks(m);
}
