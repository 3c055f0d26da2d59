/*
 * map_check.c — the map engine looking at itself: the invariant checker
 * (ms_map_check, for tests and debugging) and the statistics the shim puts
 * in every dump (ms_map_stats).  Both walk every bucket chain: O(buckets).
 *
 * The invariants, each with the mechanism that relies on it:
 *  - every live slot's tophash is tophash(hash(key)) and its key hashes to
 *    the bucket it is in (lookups look nowhere else);
 *  - no key appears twice (assign's search stops at the first match);
 *  - after an emptyRest slot every later slot of the chain is emptyRest,
 *    and a chain never ends in emptyOne (lookups stop at emptyRest; deletes
 *    restore the canonical form);
 *  - while growing: old buckets at or after nevacuate are either wholly
 *    evacuated (markers only, no overflow chain; never Y in a same-size
 *    growth) or untouched, and the new buckets an untouched old bucket
 *    will fill are still empty (evacuation appends to empty buckets);
 *  - count, and the exact overflow-bucket counts, match what is there.
 */
#include "map_internal.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pages.h"

struct walk {
    uint64_t entries;
    uint64_t overflow;
    uint64_t limit; /* more overflow buckets than exist: the chain loops */
};

static bool in_region(const struct region *r, const uint8_t *p)
{
    return r->base && p >= r->base && p < r->base + r->bytes;
}

static bool in_array(const struct barray *a, const uint8_t *p)
{
    for (int r = 0; a->n && r < NREGIONS; r++)
        if (in_region(&a->r[r], p))
            return true;
    return false;
}

/* An overflow bucket is one arena unit holding its three parts: a pointer
 * into a bucket array would make the split layout read the wrong bytes. */
static const char *check_overflow_unit(const ms_map *m, const uint8_t *u)
{
    if (in_array(&m->cur, u) || in_array(&m->old, u) || in_array(&m->next, u))
        return "an overflow pointer points into a bucket array";
    if (!ms_arena_contains(&m->arena, u, m->bsize))
        return "an overflow bucket is not an arena unit";
    return NULL;
}

static const char *check_slot_keys(const ms_map *m, struct bkt c, unsigned i,
                                   struct bkt first_after, unsigned from)
{
    const uint8_t *k = bkt_key(m, c, i);
    for (struct bkt d = first_after; d.top; d = bkt_next(m, d), from = 0)
        for (unsigned j = from; j < BUCKET_CNT; j++)
            if (d.top[j] >= MIN_TOPHASH && key_equal(m, k, bkt_key(m, d, j)))
                return "a key is present twice";
    return NULL;
}

/* One live chain: bucket index idx under mask. */
static const char *check_chain(const ms_map *m, struct bkt b, uint64_t idx, uint64_t mask,
                               struct walk *w)
{
    bool rest = false;
    int prev = -1; /* no previous slot */
    uint64_t hops = 0;
    uint64_t filter = bkt_ovf_word(b) & ~OVF_PTR_MASK;
    /* First the chain itself, so that no pointer is followed before the
     * unit it leads to is known to be one. */
    for (struct bkt c = bkt_next(m, b); c.top; c = bkt_next(m, c)) {
        if (++hops > w->limit)
            return "an overflow chain loops";
        const char *err = check_overflow_unit(m, c.top);
        if (err)
            return err;
        if (bkt_ovf_word(c) & ~OVF_PTR_MASK)
            return "an overflow bucket has filter bits (only a chain's first bucket has)";
    }
    for (struct bkt c = b; c.top; c = bkt_next(m, c)) {
        for (unsigned i = 0; i < BUCKET_CNT; i++) {
            uint8_t t = c.top[i];
            if (rest && t != EMPTY_REST)
                return "a slot after an emptyRest slot is not emptyRest";
            if (t == EMPTY_REST) {
                if (prev == EMPTY_ONE)
                    return "an emptyOne slot is followed by emptyRest (should be emptyRest)";
                rest = true;
            } else if (t != EMPTY_ONE) {
                if (t < MIN_TOPHASH)
                    return "an evacuation marker in a live bucket";
                const uint8_t *k = bkt_key(m, c, i);
                uint64_t h = map_hash(m, k);
                if (tophash(h) != t)
                    return "a tophash does not match its key's hash";
                if ((h & mask) != idx)
                    return "a key is in the wrong bucket";
                if (c.top != b.top && !(filter & ovf_filter_bit(t)))
                    return "an overflow entry's tophash is missing from its chain's filter";
                const char *err = i + 1 < BUCKET_CNT ? check_slot_keys(m, c, i, c, i + 1)
                                                     : check_slot_keys(m, c, i, bkt_next(m, c), 0);
                if (err)
                    return err;
                w->entries++;
            }
            prev = t;
        }
    }
    if (prev == EMPTY_ONE)
        return "a chain ends in an emptyOne slot (should be emptyRest)";
    w->overflow += hops;
    return NULL;
}

static bool bucket_empty(struct bkt b)
{
    return bkt_top_word(b) == 0 && bkt_ovf_word(b) == 0;
}

/* The geometry of a bucket array of n buckets whose regions the map knows
 * as tops, ovfs and kvs: each region large enough, in order and disjoint
 * (consecutive within one run of arena units, or whole pages of one
 * mapping). */
static const char *check_array(const ms_map *m, const struct barray *a, uint64_t n,
                               const uint8_t *tops, const uint8_t *ovfs, const uint8_t *kvs)
{
    static const uint64_t per[NREGIONS] = {TOP_BYTES, OVF_BYTES, 0};
    if (a->n != n || a->r[R_TOP].base != tops || a->r[R_OVF].base != ovfs || a->r[R_KV].base != kvs)
        return "a bucket array's size or regions disagree with the map";
    size_t page = ms_page_size();
    for (int r = 0; r < NREGIONS; r++) {
        const struct region *g = &a->r[r];
        uint64_t need = n * (r == R_KV ? m->dsize : per[r]);
        if (g->bytes < need)
            return "a bucket array region is too small for its buckets";
        if (r > 0 && g->base != a->r[r - 1].base + a->r[r - 1].bytes)
            return "a bucket array's regions are not consecutive";
        if (a->mapped && (((uintptr_t)g->base | g->bytes) & (page - 1)))
            return "a mapped bucket array's regions are not whole pages";
        if (!a->mapped && (g->bytes != need || g->released))
            return "an arena bucket array's regions are not exactly its buckets";
        if (g->released > g->bytes || g->unmapped > g->released)
            return "a bucket array has released more than it holds";
    }
    if (!a->mapped && !ms_arena_contains(&m->arena, tops, n * m->bsize))
        return "an arena bucket array is not inside the arena";
    return NULL;
}

static const char *check_old(const ms_map *m, struct walk *w)
{
    uint64_t nold = noldbuckets(m);
    if (m->nevacuate >= nold)
        return "nevacuate is at or past the end of the old array while growing";
    if (m->old.mapped && (m->old.r[R_TOP].released > m->nevacuate * TOP_BYTES ||
                          m->old.r[R_OVF].released > m->nevacuate * OVF_BYTES ||
                          m->old.r[R_KV].released > m->nevacuate * m->dsize))
        return "old buckets not yet passed by nevacuate were released";
    for (uint64_t ob = m->nevacuate; ob < nold; ob++) {
        struct bkt b = old_bkt(m, ob);
        if (bkt_evacuated(b)) {
            for (unsigned i = 0; i < BUCKET_CNT; i++) {
                if (b.top[i] < EVAC_X || b.top[i] > EVAC_EMPTY)
                    return "an evacuated old bucket has a slot without a marker";
                if (m->same_size && b.top[i] == EVAC_Y)
                    return "a same-size growth sent an entry to Y";
            }
            if (bkt_ovf_word(b))
                return "an evacuated old bucket still has an overflow chain or filter";
            continue;
        }
        const char *err = check_chain(m, b, ob, nold - 1, w);
        if (err)
            return err;
        if (!bucket_empty(cur_bkt(m, ob)) ||
            (!m->same_size && !bucket_empty(cur_bkt(m, ob + nold))))
            return "a new bucket was filled before its old bucket was evacuated";
    }
    return NULL;
}

const char *ms_map_check(const ms_map *m)
{
    if (!m->tops || !m->ovfs || !m->kvs || m->B > MAX_B)
        return "no bucket array, or B out of range";
    if (!m->oldtops &&
        (m->same_size || m->nevacuate || m->novf_old || m->oldovfs || m->oldkvs || m->old.n))
        return "growth state set while not growing";
    if (m->prefault_left && !m->next.n)
        return "pre-faulting an array that does not exist";
    const char *err = check_array(m, &m->cur, 1ull << m->B, m->tops, m->ovfs, m->kvs);
    if (!err && m->oldtops)
        err = check_array(m, &m->old, noldbuckets(m), m->oldtops, m->oldovfs, m->oldkvs);
    if (!err && m->next.n) {
        const struct region *r = m->next.r;
        err = check_array(m, &m->next, 2ull << m->B, r[R_TOP].base, r[R_OVF].base, r[R_KV].base);
        if (!err && !m->next.mapped)
            err = "the array prepared for the next doubling is not a mapping of its own";
    }
    if (err)
        return err;
    struct walk w = {0, 0, m->novf_cur + m->novf_old};
    if (m->oldtops) {
        if ((err = check_old(m, &w)))
            return err;
        if (w.overflow != m->novf_old)
            return "the old overflow-bucket count is wrong";
        w.overflow = 0;
    }
    uint64_t mask = bucket_mask(m->B);
    for (uint64_t j = 0; j <= mask; j++)
        if ((err = check_chain(m, cur_bkt(m, j), j, mask, &w)))
            return err;
    if (w.overflow != m->novf_cur)
        return "the overflow-bucket count is wrong";
    if (w.entries != m->count)
        return "count does not match the entries present";
    return NULL;
}

/* Chain-length statistics of one chain. */
static void count_chain(const ms_map *m, struct bkt b, struct ms_map_stats *st)
{
    uint64_t k = 0;
    for (struct bkt c = bkt_next(m, b); c.top; c = bkt_next(m, c))
        k++;
    st->chain_hist[k < MS_MAP_CHAIN_BINS ? k : MS_MAP_CHAIN_BINS - 1]++;
    if (k > st->longest_chain)
        st->longest_chain = k;
}

/* Bytes an array holds: a mapping less what was given back already, or
 * its units (inside the arena's bytes). */
static uint64_t array_bytes(const struct barray *a)
{
    uint64_t b = 0;
    for (int r = 0; a->n && r < NREGIONS; r++)
        b += a->r[r].bytes - a->r[r].released;
    return b;
}

static uint64_t mapped_bytes(const struct barray *a)
{
    return a->mapped ? array_bytes(a) : 0;
}

void ms_map_stats(const ms_map *m, struct ms_map_stats *st)
{
    memset(st, 0, sizeof *st);
    bool growing = m->oldtops != NULL;
    st->count = m->count;
    st->B = m->B;
    st->oldB = growing ? (m->same_size ? m->B : m->B - 1u) : 0;
    st->growing = growing;
    st->same_size_growing = growing && m->same_size;
    st->buckets = 1ull << m->B;
    st->overflow_buckets = m->novf_cur + m->novf_old;
    st->nevacuate = growing ? m->nevacuate : 0;
    st->bytes_buckets = array_bytes(&m->cur);
    st->bytes_old = growing ? array_bytes(&m->old) : 0;
    st->bytes_overflow = st->overflow_buckets * m->bsize;
    st->bytes_arena = m->arena.mapped;
    st->bytes_next = m->next.n ? array_bytes(&m->next) - m->prefault_left : 0;
    /* Arena-hosted arrays are inside bytes_arena already; of the next
     * array, only what is faulted in counts (the rest is address space). */
    st->bytes_total = m->arena.mapped + mapped_bytes(&m->cur) +
                      (growing ? mapped_bytes(&m->old) : 0) + st->bytes_next;
    st->grows_doubling = m->grows_doubling;
    st->grows_same_size = m->grows_same_size;
    st->ops_while_growing = m->ops_while_growing;
    st->ns_growing = m->ns_growing + (growing ? ms_map_now_ns() - m->grow_start_ns : 0);
    for (uint64_t j = 0; j < st->buckets; j++)
        count_chain(m, cur_bkt(m, j), st);
    if (growing)
        for (uint64_t ob = m->nevacuate; ob < noldbuckets(m); ob++)
            if (!old_evacuated(m, ob))
                count_chain(m, old_bkt(m, ob), st);
}
