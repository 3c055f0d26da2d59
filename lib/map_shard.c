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
 * The shard locks are the engine's own (below), not pthread mutexes: the
 * shim takes one on every malloc and free, so the uncontended path must be
 * two atomic instructions inline, not two calls into libc.  They never
 * allocate, sleep in the kernel when contended (a holder preempted by the
 * scheduler costs its waiters no CPU), and a fork child re-initialises
 * them (ms_smap_reinit_locks).  The struct itself is one anonymous mapping
 * (no malloc).
 */
#include "map_internal.h"

#include "pages.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__has_include) && __has_include(<sys/single_threaded.h>)
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/single_threaded.h>
#define MS_HAVE_SINGLE_THREADED 1
#endif

/* A futex lock (Drepper, "Futexes Are Tricky", mutex 3): 0 free, 1 held,
 * 2 held and someone may be asleep on it.  The holder that finds 2 when it
 * lets go wakes one sleeper.  Before sleeping, a locker spins a little:
 * the books' critical sections are a few hundred nanoseconds, much less
 * than a futex sleep and wake-up (~2 us each way on the project's VMs),
 * and spinning only reads the word, so waiters do not steal the line
 * from the holder. */
typedef struct {
    uint32_t word;
} shard_lock;

/* Reads of the lock word before sleeping: at ~40 cycles per pause on
 * current cores, about the length of a long critical section (an insert
 * that evacuates, ~2 us). */
#define LOCK_SPINS 100

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long futex(uint32_t *w, int op, uint32_t val)
{
    return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static void __attribute__((noinline)) lock_slow(shard_lock *l)
{
    for (int i = 0; i < LOCK_SPINS; i++) {
        uint32_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
        if (v == 0) {
            if (__atomic_compare_exchange_n(&l->word, &v, 1, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED))
                return;
        } else if (v == 2) {
            break; /* others are asleep already: join them */
        }
        cpu_relax();
    }
    /* Mark the lock contended; whoever holds it will wake a sleeper. */
    while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE) != 0)
        futex(&l->word, FUTEX_WAIT_PRIVATE, 2);
}

/* While the process has a single thread (glibc's __libc_single_threaded,
 * which turns false before the first pthread_create starts its thread and
 * stays false), nobody can contend: the lock is a plain store, as glibc's
 * own mutexes do.  The atomic instructions would cost about 10 ns per
 * lock and unlock on the shim's every malloc and free. */
static inline bool one_thread(void)
{
#ifdef MS_HAVE_SINGLE_THREADED
    return __libc_single_threaded;
#else
    return false;
#endif
}

static inline void lock_take(shard_lock *l)
{
    uint32_t free = 0;
    if (one_thread() && l->word == 0)
        l->word = 1;
    else if (!__atomic_compare_exchange_n(&l->word, &free, 1, false, __ATOMIC_ACQUIRE,
                                          __ATOMIC_RELAXED))
        lock_slow(l);
}

static inline void lock_give(shard_lock *l)
{
    if (one_thread())
        l->word = 0;
    else if (__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2)
        futex(&l->word, FUTEX_WAKE_PRIVATE, 1);
}

static void lock_init(shard_lock *l)
{
    __atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

/* 2^12 shards at most: far beyond the thread counts where a mutex per
 * shard stops being enough, and the shard array stays within a few pages
 * of 64-byte slots. */
#define SMAP_MAX_SHARD_BITS 12

/* One cache line per shard so that threads working on different shards do
 * not bounce each other's lock line. */
struct shard {
    shard_lock mu;
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

ms_smap *ms_smap_create(uint32_t keysize, uint32_t valsize, unsigned shard_bits, size_t hint,
                        unsigned flags)
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
        lock_init(&s->shards[i].mu);
        s->shards[i].m = ms_map_create_flags(keysize, valsize, hint >> shard_bits, seed, flags);
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
    }
    ms_pages_unmap(s, s->bytes);
}

static struct shard *lock_shard(ms_smap *s, const void *key, uint64_t *h)
{
    *h = map_hash(s->shards[0].m, key);
    struct shard *sh = shard_of(s, *h);
    lock_take(&sh->mu);
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
    lock_give(&sh->mu);
}

bool ms_smap_put(ms_smap *s, const void *key, const void *val)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    void *slot = ms_map_assign_h(sh->m, key, h, NULL);
    if (slot)
        memcpy(slot, val, sh->m->valsize);
    lock_give(&sh->mu);
    return slot != NULL;
}

bool ms_smap_get(ms_smap *s, const void *key, void *val_out)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    void *slot = ms_map_lookup_h(sh->m, key, h);
    if (slot && val_out)
        memcpy(val_out, slot, sh->m->valsize);
    lock_give(&sh->mu);
    return slot != NULL;
}

bool ms_smap_take(ms_smap *s, const void *key, void *val_out)
{
    uint64_t h;
    struct shard *sh = lock_shard(s, key, &h);
    bool found = ms_map_delete_h(sh->m, key, h, val_out);
    lock_give(&sh->mu);
    return found;
}

void ms_smap_prefetch(ms_smap *s, const void *key)
{
    uint64_t h = map_hash(s->shards[0].m, key);
    const ms_map *m = shard_of(s, h)->m;
    /* Read without the shard's lock: while the owner grows the array these
     * may mix two arrays, and the prefetch goes astray, which is harmless
     * (a prefetch never faults) and rare. */
    uint64_t i = h & __atomic_load_n(&m->mask, __ATOMIC_RELAXED);
    uint8_t *tops = __atomic_load_n(&m->tops, __ATOMIC_RELAXED);
    uint8_t *kv = __atomic_load_n(&m->kvs, __ATOMIC_RELAXED) + i * m->dsize;
    __builtin_prefetch(tops + i * TOP_BYTES, 1, 3);
    __builtin_prefetch(kv, 1, 3);
    __builtin_prefetch(kv + 64, 1, 3);
}

size_t ms_smap_count(ms_smap *s)
{
    size_t total = 0;
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++) {
        lock_take(&s->shards[i].mu);
        total += ms_map_count(s->shards[i].m);
        lock_give(&s->shards[i].mu);
    }
    return total;
}

void ms_smap_foreach(ms_smap *s, ms_smap_visit_fn fn, void *ctx)
{
    bool go = true;
    for (size_t i = 0; go && i < ((size_t)1 << s->bits); i++) {
        struct shard *sh = &s->shards[i];
        lock_take(&sh->mu);
        ms_map_iter it;
        const void *k;
        void *v;
        ms_map_iter_init(&it, sh->m);
        while (go && ms_map_iter_next(&it, &k, &v))
            go = fn(k, v, ctx);
        lock_give(&sh->mu);
    }
}

void ms_smap_stats(ms_smap *s, struct ms_map_stats *st)
{
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++) {
        struct ms_map_stats one;
        lock_take(&s->shards[i].mu);
        ms_map_stats(s->shards[i].m, &one);
        lock_give(&s->shards[i].mu);
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
        lock_take(&s->shards[i].mu);
}

void ms_smap_unlock_all(ms_smap *s)
{
    for (size_t i = (size_t)1 << s->bits; i-- > 0;)
        lock_give(&s->shards[i].mu);
}

void ms_smap_reinit_locks(ms_smap *s)
{
    for (size_t i = 0; i < ((size_t)1 << s->bits); i++)
        lock_init(&s->shards[i].mu);
}
