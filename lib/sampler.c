/*
 * sampler.c — Poisson sampling by bytes, for production use.
 *
 * As tcmalloc, jemalloc and Go's MemProfileRate: picture sample points
 * scattered over the stream of allocated bytes as a Poisson process with
 * mean spacing R (MAPSCOPE_SAMPLE).  An allocation is recorded when at least
 * one point falls inside it, which happens with probability
 * p(s) = 1 - exp(-s/R) for a block of s bytes; weighting each recorded
 * block by 1/p(s) makes every count and byte total an unbiased estimate.
 * Big blocks (s >> R) are always recorded with weight ~1; a 32-byte block at
 * R = 512 KiB is recorded once in ~16000 and then stands for ~16000.
 * Zero-byte allocations are never sampled (their weight would be infinite).
 *
 * Per thread the process is a countdown of bytes to the next point, drawn
 * from the exponential distribution; the memoryless property makes a
 * per-thread countdown exactly the same process as a global one, with no
 * shared state.  The hot path is a subtraction and a compare.
 *
 * The free path must not cost a map lookup for the ~all frees of unsampled
 * blocks.  A counting filter of 2^16 one-byte counters, indexed by a hash of
 * the address, holds the sampled live blocks: a zero counter proves the block
 * was not sampled.  With n sampled live blocks a free of an unsampled block
 * looks into the map with probability ~n/2^16 (at R = 512 KiB, 100 MB live
 * is ~200 sampled blocks: 0.3%) (a counter that reached 255 stays there:
 * that only costs lookups, never correctness).  Every free reads the
 * filter, so what it reads is one bit per counter ("non-zero"), 8 KiB that
 * stay in the L1 cache instead of 64 KiB that would push the allocator's
 * own data out of it; the counters are touched only when a sample is added
 * or removed, which is rare, under a lock that keeps the bits right.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "books.h"
#include "guard.h"
#include "sampler.h"
#include "shim_base.h"
#include "shim_mem.h"

#define FILTER_BITS MS_FILTER_BITS

static uint64_t mean_bytes;
static uint8_t *counters; /* under filter_lock */
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;
/* Until sampled mode is live (and always in full mode) the filter reads all
 * ones: every free goes to its hook (interpose.c). */
static _Atomic uint64_t all_ones[(1u << FILTER_BITS) / 64] = {
    [0 ...((1u << FILTER_BITS) / 64 - 1)] = ~0ull};
_Atomic uint64_t *ms_filter_words = all_ones;
static _Atomic uint64_t seed_counter;

void ms_sampler_init(uint64_t mean)
{
    mean_bytes = mean;
}

/* xorshift64*: fast, good enough for interval draws. */
uint64_t ms_rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t ms_sample_interval(uint64_t mean, double u)
{
    double v = -log(u) * (double)mean;
    if (v < 1.0)
        return 1;
    if (v > 9.0e18)
        return (uint64_t)9.0e18;
    return (uint64_t)v;
}

static uint64_t draw(void)
{
    uint64_t r = ms_rng_next(&ms_self.rng);
    double u = (double)((r >> 11) + 1) * 0x1.0p-53; /* (0, 1] */
    return ms_sample_interval(mean_bytes, u);
}

bool ms_sampler_take(size_t size)
{
    int64_t left = ms_self.sample_left - (int64_t)size;
    if (MS_LIKELY(left > 0)) {
        ms_self.sample_left = left;
        return false;
    }
    if (MS_UNLIKELY(ms_self.rng == 0)) {
        /* First allocation on this thread: seed, and draw the first point. */
        uint64_t c = atomic_fetch_add_explicit(&seed_counter, 1, memory_order_relaxed);
        ms_self.rng = splitmix((uintptr_t)&ms_self ^ ms_now_ns() ^ (c << 32)) | 1;
        left = (int64_t)draw() - (int64_t)size;
        if (left > 0) {
            ms_self.sample_left = left;
            return false;
        }
    }
    if (size == 0) {
        ms_self.sample_left = left > 0 ? left : 1;
        return false;
    }
    /* At least one point fell in this block; find the first one after it. */
    while (left <= 0)
        left += (int64_t)draw();
    ms_self.sample_left = left;
    return true;
}

uint64_t ms_sample_weight_fp(uint64_t size)
{
    double p = -expm1(-(double)size / (double)mean_bytes);
    double w = (double)(1u << ms_count_shift) / p;
    if (!(w < 1.8e19))
        return UINT64_MAX / 2;
    return (uint64_t)(w + 0.5);
}

int ms_filter_init(void)
{
    size_t nbits = (size_t)1 << FILTER_BITS;
    counters = ms_mem_map(nbits, MS_MEM_SAMPLER);
    _Atomic uint64_t *words = ms_mem_map(nbits / 8, MS_MEM_SAMPLER);
    if (!counters || !words)
        return -1;
    ms_filter_words = words; /* before recording starts: no sampled block yet */
    return 0;
}

/* Counter i changes by delta (+1, -1); its bit follows. */
static void filter_change(const void *p, int delta)
{
    size_t i = ms_filter_index(p);
    _Atomic uint64_t *w = &ms_filter_words[i >> 6];
    uint64_t bit = 1ull << (i & 63);
    pthread_mutex_lock(&filter_lock);
    uint8_t c = counters[i];
    if (c != 255 && (delta > 0 || c != 0)) /* 255: stuck (only costs lookups) */
        counters[i] = c = (uint8_t)(c + delta);
    if (c)
        atomic_fetch_or_explicit(w, bit, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(w, ~bit, memory_order_relaxed);
    pthread_mutex_unlock(&filter_lock);
}

void ms_filter_add(const void *p)
{
    filter_change(p, 1);
}

void ms_filter_remove(const void *p)
{
    filter_change(p, -1);
}

void ms_filter_lock(void)
{
    pthread_mutex_lock(&filter_lock);
}

void ms_filter_unlock(void)
{
    pthread_mutex_unlock(&filter_lock);
}
