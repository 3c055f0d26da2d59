/*
 * map_shard.c — ms_smap: the map engine for many threads.
 *
 * One engine is single-threaded.  The shim is called from every thread of
 * the profiled program, so it spreads its books over 2^shard_bits engines,
 * each behind its own mutex: two threads contend only when their keys fall
 * in the same shard.  All shards share one hash seed, so the key is hashed
 * once, outside any lock: some of its bits choose the shard, and the same
 * hash goes to the shard's engine (the *_h calls).
 *
 * Which bits: the engine uses the low B bits (bucket) and the top 8 bits
 * (tophash).  Every key of a shard has the same shard bits, so those bits
 * must be neither: taking them from the top would leave the tophash of a
 * shard only 8 - shard_bits bits of entropy (many false matches); taking
 * them from the bottom would leave a shard's buckets mostly empty.  So the
 * shard is bits 56 - shard_bits .. 55, just below the tophash byte (and
 * above any bucket index: B <= MAX_B = 40).
 *
 * Locks are plain pthread mutexes: they never allocate, and glibc's are
 * safe to re-initialise in a fork child (ms_smap_reinit_locks).  The
 * struct itself is one anonymous mapping (no malloc).
 */
#include "map_internal.h"

#include "pages.h"

#include <pthread.h>

/* 2^12 shards at most: far beyond the thread counts where a mutex per
 * shard stops being enough, and the shard array stays within a few pages
 * of 64-byte slots. */
#define SMAP_MAX_SHARD_BITS 12

/* One cache line per shard so that threads working on different shards do
 * not bounce each other's lock line. */
struct shard {
    pthread_mutex_t mu;
    ms_map *m;
} __attribute__((aligned(64)));

struct ms_smap {
    unsigned bits;
    size_t bytes; /* of this mapping */
    struct shard shards[];
};

static inline struct shard *shard_of(ms_smap *s, uint64_t h)
{
    if (s->bits == 0)
        return &s->shards[0];
    return &s->shards[(h >> (56 - s->bits)) & ((1u << s->bits) - 1)];
}

ms_smap *ms_smap_create(uint32_t keysize, uint32_t valsize, unsigned shard_bits, size_t hint)
{
    if (shard_bits > SMAP_MAX_SHARD_BITS)
        return NULL;
    size_t n = (size_t)1 << shard_bits;
    size_t bytes = sizeof(ms_smap) + n * sizeof(struct shard);
    ms_smap *s = ms_pages_map(bytes);
    if (!s)
        return NULL;
    s->bits = shard_bits;
    s->bytes = bytes;
    uint64_t seed = ms_hash_random_seed();
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_init(&s->shards[i].mu, NULL);
        s->shards[i].m = ms_map_create_seeded(keysize, valsize, hint >> shard_bits, seed);
        if (!s->shards[i].m) {
            ms_smap_destroy(s);
            return NULL;
        }
        s->shards[i].m->shard = (uint32_t)i;
    }
    return s;
}

void ms_smap_destroy(ms_smap *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++) {
        ms_map_destroy(s->shards[i].m);
        pthread_mutex_destroy(&s->shards[i].mu);
    }
    ms_pages_unmap(s, s->bytes);
}

static struct shard *lock_shard(ms_smap *s, const void *key, uint64_t *h)
{
    *h = ms_map_hash(s->shards[0].m, key);
    struct shard *sh = shard_of(s, *h);
    pthread_mutex_lock(&sh->mu);
    return sh;
}

ms_map *ms_smap_lock(ms_smap *s, const void *key, uint64_t *hash_out)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    if (hash_out)
        *hash_out = h;
    return sh->m;
}

void ms_smap_unlock(ms_smap *s, ms_map *m)
{
    struct shard *sh = &s->shards[m->shard & ((1u << s->bits) - 1)];
    if (sh->m != m)
        ms_map_fatal("ms_smap_unlock: the engine is not a shard of this map");
    pthread_mutex_unlock(&sh->mu);
}

bool ms_smap_put(ms_smap *s, const void *key, const void *val)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    void *slot = ms_map_assign_h(sh->m, key, h, NULL);
    if (slot)
        memcpy(slot, val, sh->m->valsize);
    pthread_mutex_unlock(&sh->mu);
    return slot != NULL;
}

bool ms_smap_get(ms_smap *s, const void *key, void *val_out)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    void *slot = ms_map_lookup_h(sh->m, key, h);
    if (slot && val_out)
        memcpy(val_out, slot, sh->m->valsize);
    pthread_mutex_unlock(&sh->mu);
    return slot != NULL;
}

bool ms_smap_take(ms_smap *s, const void *key, void *val_out)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    bool found = ms_map_delete_h(sh->m, key, h, val_out);
    pthread_mutex_unlock(&sh->mu);
    return found;
}

size_t ms_smap_count(ms_smap *s)
{
    size_t total = 0;
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++) {
        pthread_mutex_lock(&s->shards[i].mu);
        total += ms_map_count(s->shards[i].m);
        pthread_mutex_unlock(&s->shards[i].mu);
    }
    return total;
}

void ms_smap_foreach(ms_smap *s, ms_smap_visit_fn fn, void *ctx)
{
    bool go = true;
    for (size_t i = 0; go && i < ((size_t)1 << s->bits); i++) {
        struct shard *sh = &s->shards[i];
        pthread_mutex_lock(&sh->mu);
        ms_map_iter it;
        const void *k;
        void *v;
        ms_map_iter_init(&it, sh->m);
        while (go && ms_map_iter_next(&it, &k, &v))
            go = fn(k, v, ctx);
        pthread_mutex_unlock(&sh->mu);
    }
}

void ms_smap_stats(ms_smap *s, struct ms_map_stats *st)
{
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++) {
        struct ms_map_stats one;
        pthread_mutex_lock(&s->shards[i].mu);
        ms_map_stats(s->shards[i].m, &one);
        pthread_mutex_unlock(&s->shards[i].mu);
        st->count += one.count;
        if (one.B > st->B)
            st->B = one.B;
        if (one.oldB > st->oldB)
            st->oldB = one.oldB;
        st->growing |= one.growing;
        st->same_size_growing |= one.same_size_growing;
        st->buckets += one.buckets;
        st->overflow_buckets += one.overflow_buckets;
        st->nevacuate += one.nevacuate;
        st->bytes_buckets += one.bytes_buckets;
        st->bytes_old += one.bytes_old;
        st->bytes_overflow += one.bytes_overflow;
        st->bytes_arena += one.bytes_arena;
        st->bytes_total += one.bytes_total;
        st->bytes_next += one.bytes_next;
        st->grows_doubling += one.grows_doubling;
        st->grows_same_size += one.grows_same_size;
        st->ops_while_growing += one.ops_while_growing;
        st->ns_growing += one.ns_growing;
        if (one.longest_chain > st->longest_chain)
            st->longest_chain = one.longest_chain;
        for (int b = 0; b < MS_MAP_CHAIN_BINS; b++)
            st->chain_hist[b] += one.chain_hist[b];
    }
    st->bytes_total += ms_page_round(s->bytes);
}

void ms_smap_lock_all(ms_smap *s)
{
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++)
        pthread_mutex_lock(&s->shards[i].mu);
}

void ms_smap_unlock_all(ms_smap *s)
{
    for (size_t i = (size_t)1 << s->bits; i-- > 0;)
        pthread_mutex_unlock(&s->shards[i].mu);
}

void ms_smap_reinit_locks(ms_smap *s)
{
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++)
        pthread_mutex_init(&s->shards[i].mu, NULL);
}
