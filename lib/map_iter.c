/*
 * map_iter.c — iteration over a map engine, correct across growth.
 *
 * Go's iterator walks a snapshot of the bucket array and, when the map
 * grows under it, keeps reading the old array (which the garbage collector
 * keeps alive for it) and looks up entries that moved.  This engine unmaps
 * old arrays as soon as evacuation passes them, and a caller-allocated
 * iterator cannot be registered with the map (nothing would tell the map
 * when an abandoned one is gone), so the iterator must not depend on where
 * entries are stored.
 *
 * It depends only on their hashes.  Entries are returned in increasing
 * order of rev(hash), the hash with its bits reversed.  The bucket of an
 * entry is its hash's low B bits, i.e. the top B bits of rev(hash): bucket
 * k at resolution B holds exactly the entries whose rev(hash) lies in the
 * k-th of 2^B equal intervals, in bit-reversed bucket order.  A doubling
 * splits each interval in two, a same-size growth or an evacuation changes
 * nothing about the intervals, a clear makes them coarser.  So the iterator
 * keeps only the last rev(hash) it returned; each step looks at the bucket
 * whose interval contains it, takes the smallest rev(hash) above it, or
 * moves on to the next interval's bucket.  Every entry present for the
 * whole iteration is returned exactly once, whatever happens to the map in
 * between, and deleting the current entry is harmless.
 *
 * Ties: two distinct keys may share a 64-bit hash (odds ~n^2/2^65 for n
 * keys).  The order is then (rev(hash), second hash), the second hash under
 * an independent seed, computed only when hashes tie.  Two distinct keys
 * equal in both (odds about 2^-128 per pair) would make the iterator skip
 * one of them.
 *
 * Cost: a step must find the smallest rev(hash) above the last one in its
 * bucket's chain, which means hashing the chain's entries.  So that a
 * bucket is hashed once rather than once per entry, the iterator keeps the
 * next few entries of the bucket it is in, sorted (positions and hashes,
 * in its caller-provided storage).  The cache is used only while the
 * bucket array is the same one (the map's generation, not its address:
 * a later array may be mapped where an earlier one was), and each cached
 * entry is checked before
 * it is returned (slot still full, same hash): entries deleted since are
 * skipped, entries inserted since may be missed, as the contract allows.
 * Steps also do the growth work of an operation (they are operations),
 * and ask for the next interval's bucket ahead of time (bit-reversed order
 * jumps across the array).
 */
#include "map_internal.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries of the current bucket the iterator keeps ahead (see above): 8
 * fill the caller's storage exactly, and a bucket holds 6.5 on average
 * when the map is fullest. */
#define ITER_CACHE 8

/* How far ahead a step asks for a tophash word.  A dump iterates the live
 * map, which a program that freed its heap before exiting (python3) leaves
 * nearly empty but as big as it ever was: 2^19 buckets, each visited in
 * bit-reversed order.  Reading the data parts of those empty buckets (64
 * MB, ahead of time) and their overflow words took ~60 ms of the exit
 * dump's time; empty buckets now cost their tophash word, read early enough
 * that it is there when the step comes (~16 ms). */
#define TOP_AHEAD 16

struct iter_state {
    ms_map *m;
    uint64_t last_rh; /* rev(hash) of the entry returned last */
    uint64_t last_h2; /* its tie-break hash */
    uint32_t started; /* last_rh is valid */
    uint32_t done;
    uint64_t cache_gen;      /* m->generation when the cache was filled, plus one (0: none) */
    uint64_t cache_bucket;   /* the bucket the cached entries are in */
    uint8_t cache_B;         /* m->B then */
    uint8_t n, next;         /* cached entries, and the next one to return */
    uint8_t complete;        /* every entry of the bucket after `last` was cached */
    uint8_t pos[ITER_CACHE]; /* (overflow bucket << 3) | slot */
    uint64_t rh[ITER_CACHE]; /* their rev(hash), ascending */
};

_Static_assert(sizeof(struct iter_state) <= sizeof(ms_map_iter), "ms_map_iter too small");

static inline uint64_t rev64(uint64_t x)
{
    x = __builtin_bswap64(x);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    return x;
}

/* Tie-break hash. */
static inline uint64_t tie_hash(const ms_map *m, const void *key)
{
    return ms_hash_bytes(key, m->keysize, m->seed2);
}

struct pick {
    struct bkt b;
    unsigned i;
    uint64_t rh;
};

/* Is the entry (rh, key) after (brh, bkey)?  The tie hash only on a tie. */
static bool entry_after(const ms_map *m, uint64_t rh, const void *key, uint64_t brh, uint64_t bh2)
{
    return rh > brh || (rh == brh && tie_hash(m, key) > bh2);
}

/* The entry of bucket's chain with the smallest (rev(hash), tie) above the
 * iterator's last one (when `after`), or the smallest of all. */
static bool scan_bucket(ms_map *m, uint64_t bucket, const struct iter_state *s, bool after,
                        struct pick *best)
{
    bool found = false;
    for (struct bkt b = cur_bkt(m, bucket); b.top; b = bkt_next(m, b)) {
        for (uint64_t full = swar_full(bkt_top_word(b)); full; full &= full - 1) {
            unsigned i = swar_first(full);
            const uint8_t *k = bkt_key(m, b, i);
            uint64_t rh = rev64(map_hash(m, k));
            if (after && !entry_after(m, rh, k, s->last_rh, s->last_h2))
                continue;
            if (found && (rh > best->rh ||
                          (rh == best->rh && !entry_after(m, best->rh, bkt_key(m, best->b, best->i),
                                                          rh, tie_hash(m, k)))))
                continue;
            *best = (struct pick){b, i, rh};
            found = true;
        }
    }
    return found;
}

/* Cache the (up to ITER_CACHE) smallest entries of bucket's chain above
 * the last one returned (when `after`).  Returns false when two of them
 * (or one and the last one) share a hash (the cache orders by hash alone)
 * or the chain is too long for its positions: such a bucket takes the
 * exact path (scan_bucket). */
static bool fill_cache(ms_map *m, uint64_t bucket, struct iter_state *s, bool after)
{
    unsigned n = 0, total = 0, hop = 0;
    for (struct bkt b = cur_bkt(m, bucket); b.top; b = bkt_next(m, b), hop++) {
        if (hop > 31)
            return false; /* a position must fit in a byte: the exact path */
        for (uint64_t full = swar_full(bkt_top_word(b)); full; full &= full - 1) {
            unsigned i = swar_first(full);
            const uint8_t *k = bkt_key(m, b, i);
            uint64_t rh = rev64(map_hash(m, k));
            if (after && rh <= s->last_rh) {
                /* The entry returned last is skipped; another with its
                 * hash is a tie. */
                if (rh == s->last_rh && tie_hash(m, k) != s->last_h2)
                    return false;
                continue;
            }
            total++;
            /* Insertion into the sorted arrays, keeping the smallest. */
            unsigned j = n < ITER_CACHE ? n++ : ITER_CACHE;
            for (; j > 0 && s->rh[j - 1] >= rh; j--) {
                if (s->rh[j - 1] == rh)
                    return false;
                if (j < ITER_CACHE) {
                    s->rh[j] = s->rh[j - 1];
                    s->pos[j] = s->pos[j - 1];
                }
            }
            if (j < ITER_CACHE) {
                s->rh[j] = rh;
                s->pos[j] = (uint8_t)(hop << 3 | i);
            }
        }
    }
    s->cache_gen = m->generation + 1;
    s->cache_bucket = bucket;
    s->cache_B = m->B;
    s->n = (uint8_t)n;
    s->next = 0;
    s->complete = total <= ITER_CACHE;
    return true;
}

static bool cache_usable(const struct iter_state *s, const ms_map *m, uint64_t bucket)
{
    return s->cache_gen == m->generation + 1 && s->cache_B == m->B && s->cache_bucket == bucket;
}

/* The next cached entry that is still there, or NULL. */
static struct bkt cache_pop(struct iter_state *s, ms_map *m, unsigned *slot, uint64_t *rh)
{
    while (s->next < s->n) {
        unsigned k = s->next++;
        struct bkt b = cur_bkt(m, s->cache_bucket);
        for (unsigned hop = s->pos[k] >> 3; b.top && hop; hop--)
            b = bkt_next(m, b);
        unsigned i = s->pos[k] & 7;
        if (b.top && b.top[i] >= MIN_TOPHASH && rev64(map_hash(m, bkt_key(m, b, i))) == s->rh[k]) {
            *slot = i;
            *rh = s->rh[k];
            return b;
        }
    }
    return (struct bkt){NULL, NULL, NULL};
}

static bool give(struct iter_state *s, ms_map *m, struct bkt b, unsigned i, uint64_t rh,
                 const void **key, void **val)
{
    s->last_rh = rh;
    s->last_h2 = tie_hash(m, bkt_key(m, b, i));
    s->started = 1;
    *key = bkt_key(m, b, i);
    *val = bkt_val(m, b, i);
    return true;
}

void ms_map_iter_init(ms_map_iter *it, ms_map *m)
{
    struct iter_state *s = (struct iter_state *)it;
    memset(it, 0, sizeof *it);
    s->m = m;
}

bool ms_map_iter_next(ms_map_iter *it, const void **key, void **val)
{
    struct iter_state *s = (struct iter_state *)it;
    ms_map *m = s->m;
    if (s->done)
        return false;
    if (m->count == 0) {
        s->done = 1;
        return false;
    }
    unsigned B = m->B;
    uint64_t n = 1ull << B;
    /* The interval (at today's resolution) holding the last entry returned. */
    uint64_t r = s->started && B ? s->last_rh >> (64 - B) : 0;
    bool after = s->started;
    for (; r < n; r++, after = false) {
        uint64_t bucket = B ? rev64(r) >> (64 - B) : 0;
        if (m->oldtops)
            ms_map_grow_work(m, bucket); /* the bucket's entries are all in the current array now */
        /* Bit-reversed order jumps across the array: ask for the tophash
         * word of the bucket TOP_AHEAD intervals on, and for the data of the
         * next interval's bucket if its tophash word (asked for then) says
         * it holds anything. */
        if (r + TOP_AHEAD < n)
            __builtin_prefetch(cur_bkt(m, rev64(r + TOP_AHEAD) >> (64 - B)).top);
        if (r + 1 < n) {
            struct bkt nb = cur_bkt(m, rev64(r + 1) >> (64 - B));
            if (nb.top[0] != EMPTY_REST)
                bkt_prefetch_kv(m, nb);
        }
        /* An emptyRest first slot: the whole chain is empty (map_check.c's
         * invariant), nothing to read. */
        if (cur_bkt(m, bucket).top[0] == EMPTY_REST)
            continue;
        unsigned i;
        uint64_t rh;
        struct bkt b;
        if (cache_usable(s, m, bucket)) {
            if ((b = cache_pop(s, m, &i, &rh)).top)
                return give(s, m, b, i, rh, key, val);
            if (s->complete)
                continue; /* nothing more in this bucket */
        }
        if (fill_cache(m, bucket, s, after)) {
            if ((b = cache_pop(s, m, &i, &rh)).top)
                return give(s, m, b, i, rh, key, val);
            continue;
        }
        s->cache_gen = 0; /* hashes tie: the exact path */
        struct pick p;
        if (scan_bucket(m, bucket, s, after, &p))
            return give(s, m, p.b, p.i, p.rh, key, val);
    }
    s->done = 1;
    return false;
}
