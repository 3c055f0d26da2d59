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
 * Ties: keys of up to 8 bytes have distinct hashes (the hash is a bijection
 * of such keys, hash.h).  Longer keys break ties with a second hash under
 * an independent seed; two distinct keys equal in both 64-bit hashes (odds
 * about 2^-128 per pair) would make the iterator skip one of them.
 *
 * Cost: each step hashes the entries of one bucket chain (6.5 on average
 * when full): iteration costs a few hashes per entry instead of Go's none.
 * Steps also do the growth work of an operation (they are operations).
 */
#include "map_internal.h"

struct iter_state {
    ms_map *m;
    uint64_t last_rh; /* rev(hash) of the entry returned last */
    uint64_t last_h2; /* its tie-break hash */
    uint32_t started; /* last_rh is valid */
    uint32_t done;
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

/* Tie-break hash: only keys longer than 8 bytes can tie. */
static inline uint64_t tie_hash(const ms_map *m, const void *key)
{
    return m->keysize <= 8 ? 0 : ms_hash_bytes(key, m->keysize, m->seed2);
}

/* Order of (rev(hash), tie hash) pairs. */
static inline bool pair_less(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
    return a1 < b1 || (a1 == b1 && a2 < b2);
}

struct pick {
    uint8_t *b;
    unsigned i;
    uint64_t rh, h2;
};

/* The entry of bucket's chain with the smallest (rev(hash), tie) above the
 * iterator's last one (when `after`), or the smallest of all. */
static bool scan_bucket(ms_map *m, uint64_t bucket, const struct iter_state *s, bool after,
                        struct pick *best)
{
    bool found = false;
    for (uint8_t *b = bkt_at(m, m->buckets, bucket); b; b = bkt_overflow(m, b)) {
        for (uint64_t full = swar_full(bkt_top_word(b)); full; full &= full - 1) {
            unsigned i = swar_first(full);
            const uint8_t *k = bkt_key(m, b, i);
            uint64_t rh = rev64(map_hash(m, k));
            uint64_t h2 = tie_hash(m, k);
            if (after && !pair_less(s->last_rh, s->last_h2, rh, h2))
                continue;
            if (found && !pair_less(rh, h2, best->rh, best->h2))
                continue;
            *best = (struct pick){b, i, rh, h2};
            found = true;
        }
    }
    return found;
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
        if (m->oldbuckets)
            ms_map_grow_work(m, bucket); /* the bucket's entries are now all in `buckets` */
        struct pick p;
        if (scan_bucket(m, bucket, s, after, &p)) {
            s->last_rh = p.rh;
            s->last_h2 = p.h2;
            s->started = 1;
            *key = bkt_key(m, p.b, p.i);
            *val = bkt_val(m, p.b, p.i);
            return true;
        }
    }
    s->done = 1;
    return false;
}
