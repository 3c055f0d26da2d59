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

#include "pages.h"

struct walk {
    uint64_t entries;
    uint64_t overflow;
    uint64_t limit; /* more overflow buckets than exist: the chain loops */
};

static const char *check_slot_keys(const ms_map *m, uint8_t *c, unsigned i, uint8_t *first_after,
                                   unsigned from)
{
    const uint8_t *k = bkt_key(m, c, i);
    for (uint8_t *d = first_after; d; d = bkt_overflow(m, d), from = 0)
        for (unsigned j = from; j < BUCKET_CNT; j++)
            if (d[j] >= MIN_TOPHASH && key_equal(m, k, bkt_key(m, d, j)))
                return "a key is present twice";
    return NULL;
}

/* One live chain: bucket index idx under mask. */
static const char *check_chain(const ms_map *m, uint8_t *b, uint64_t idx, uint64_t mask,
                               struct walk *w)
{
    bool rest = false;
    int prev = -1; /* no previous slot */
    uint64_t hops = 0;
    for (uint8_t *c = b; c; c = bkt_overflow(m, c)) {
        if (c != b && ++hops > w->limit)
            return "an overflow chain loops";
        for (unsigned i = 0; i < BUCKET_CNT; i++) {
            uint8_t t = c[i];
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
                const char *err = i + 1 < BUCKET_CNT
                                      ? check_slot_keys(m, c, i, c, i + 1)
                                      : check_slot_keys(m, c, i, bkt_overflow(m, c), 0);
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

static bool bucket_empty(const ms_map *m, uint8_t *b)
{
    return bkt_top_word(b) == 0 && bkt_overflow(m, b) == NULL;
}

static const char *check_old(const ms_map *m, struct walk *w)
{
    uint64_t nold = noldbuckets(m);
    if (m->nevacuate >= nold)
        return "nevacuate is at or past the end of the old array while growing";
    for (uint64_t ob = m->nevacuate; ob < nold; ob++) {
        uint8_t *b = bkt_at(m, m->oldbuckets, ob);
        if (bkt_evacuated(b)) {
            for (unsigned i = 0; i < BUCKET_CNT; i++) {
                if (b[i] < EVAC_X || b[i] > EVAC_EMPTY)
                    return "an evacuated old bucket has a slot without a marker";
                if (m->same_size && b[i] == EVAC_Y)
                    return "a same-size growth sent an entry to Y";
            }
            if (bkt_overflow(m, b))
                return "an evacuated old bucket still has an overflow chain";
            continue;
        }
        const char *err = check_chain(m, b, ob, nold - 1, w);
        if (err)
            return err;
        if (!bucket_empty(m, bkt_at(m, m->buckets, ob)) ||
            (!m->same_size && !bucket_empty(m, bkt_at(m, m->buckets, ob + nold))))
            return "a new bucket was filled before its old bucket was evacuated";
    }
    return NULL;
}

const char *ms_map_check(const ms_map *m)
{
    if (!m->buckets || m->B > MAX_B)
        return "no bucket array, or B out of range";
    if (!m->oldbuckets && (m->same_size || m->nevacuate || m->novf_old))
        return "growth state set while not growing";
    if (m->prefault_left && !m->next.base)
        return "pre-faulting an array that does not exist";
    if (m->next.base && m->next.bytes != (uint64_t)m->bsize << (m->B + 1))
        return "the array prepared for the next doubling has the wrong size";
    struct walk w = {0, 0, m->novf_cur + m->novf_old};
    const char *err;
    if (m->oldbuckets) {
        if ((err = check_old(m, &w)))
            return err;
        if (w.overflow != m->novf_old)
            return "the old overflow-bucket count is wrong";
        w.overflow = 0;
    }
    uint64_t mask = bucket_mask(m->B);
    for (uint64_t j = 0; j <= mask; j++)
        if ((err = check_chain(m, bkt_at(m, m->buckets, j), j, mask, &w)))
            return err;
    if (w.overflow != m->novf_cur)
        return "the overflow-bucket count is wrong";
    if (w.entries != m->count)
        return "count does not match the entries present";
    return NULL;
}

/* Chain-length statistics of one chain. */
static void count_chain(const ms_map *m, const uint8_t *b, struct ms_map_stats *st)
{
    uint64_t k = 0;
    for (const uint8_t *c = bkt_overflow(m, b); c; c = bkt_overflow(m, c))
        k++;
    st->chain_hist[k < MS_MAP_CHAIN_BINS ? k : MS_MAP_CHAIN_BINS - 1]++;
    if (k > st->longest_chain)
        st->longest_chain = k;
}

static uint64_t mapped_bytes(const struct barray *a)
{
    return a->mapped ? ms_page_round(a->bytes) - a->released : 0;
}

void ms_map_stats(const ms_map *m, struct ms_map_stats *st)
{
    memset(st, 0, sizeof *st);
    bool growing = m->oldbuckets != NULL;
    st->count = m->count;
    st->B = m->B;
    st->oldB = growing ? (m->same_size ? m->B : m->B - 1u) : 0;
    st->growing = growing;
    st->same_size_growing = growing && m->same_size;
    st->buckets = 1ull << m->B;
    st->overflow_buckets = m->novf_cur + m->novf_old;
    st->nevacuate = growing ? m->nevacuate : 0;
    st->bytes_buckets = m->cur.bytes;
    st->bytes_old = growing ? (m->old.mapped ? mapped_bytes(&m->old) : m->old.bytes) : 0;
    st->bytes_overflow = st->overflow_buckets * m->bsize;
    st->bytes_arena = m->arena.mapped;
    st->bytes_next = m->next.base ? ms_page_round(m->next.bytes) - m->prefault_left : 0;
    /* Arena-hosted arrays are inside bytes_arena already; of the next
     * array, only what is faulted in counts (the rest is address space). */
    st->bytes_total = m->arena.mapped + mapped_bytes(&m->cur) +
                      (growing ? mapped_bytes(&m->old) : 0) + st->bytes_next;
    st->grows_doubling = m->grows_doubling;
    st->grows_same_size = m->grows_same_size;
    st->ops_while_growing = m->ops_while_growing;
    st->ns_growing = m->ns_growing + (growing ? ms_map_now_ns() - m->grow_start_ns : 0);
    for (uint64_t j = 0; j < st->buckets; j++)
        count_chain(m, bkt_at(m, m->buckets, j), st);
    if (growing)
        for (uint64_t ob = m->nevacuate; ob < noldbuckets(m); ob++)
            if (!old_evacuated(m, ob))
                count_chain(m, bkt_at(m, m->oldbuckets, ob), st);
}
