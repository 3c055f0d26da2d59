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
 * is ~200 sampled blocks: 0.3%) (a counter that reached 255
 * stays there: that only costs lookups, never correctness).
 */
#include <math.h>
#include <stdatomic.h>

#include "guard.h"
#include "shim.h"

#define FILTER_BITS 16 /* 64 KiB: stays in L2, so a free costs no cache miss */

static uint64_t mean_bytes;
static _Atomic uint8_t *filter;
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
    filter = ms_mem_map(1u << FILTER_BITS, MS_MEM_SAMPLER);
    return filter ? 0 : -1;
}

static inline size_t filter_index(const void *p)
{
    uint64_t x = (uintptr_t)p * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> (64 - FILTER_BITS));
}

void ms_filter_add(const void *p)
{
    _Atomic uint8_t *c = &filter[filter_index(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != 255 && !atomic_compare_exchange_weak_explicit(
                           c, &v, (uint8_t)(v + 1), memory_order_relaxed, memory_order_relaxed))
        ;
}

void ms_filter_remove(const void *p)
{
    _Atomic uint8_t *c = &filter[filter_index(p)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != 255 && v != 0 &&
           !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v - 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

bool ms_filter_maybe(const void *p)
{
    return atomic_load_explicit(&filter[filter_index(p)], memory_order_relaxed) != 0;
}
