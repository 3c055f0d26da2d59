/*
 * sampler.h — Poisson sampling by bytes and the unsampled-free filter (sampler.c).
 */
#ifndef MS_SAMPLER_H
#define MS_SAMPLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Mean interval R in bytes; 0 = every allocation. */
void ms_sampler_init(uint64_t mean_bytes);
/* Should an allocation of size bytes be recorded?  Per-thread countdown. */
bool ms_sampler_take(size_t size);
/* Weight of a sample of size bytes in fixed point (<< ms_count_shift):
 * 1 / (1 - exp(-size/R)), the inverse of the probability that a Poisson
 * process of mean interval R hits a block of that size. */
uint64_t ms_sample_weight_fp(uint64_t size);
/* Unsampled-free filter: a counting filter of sampled live addresses,
 * read through one bit per counter (sampler.c). */
#define MS_FILTER_BITS 16
int ms_filter_init(void);
void ms_filter_add(const void *p);
void ms_filter_remove(const void *p);
void ms_filter_lock(void); /* fork */
void ms_filter_unlock(void);
extern _Atomic uint64_t *ms_filter_words;
static inline size_t ms_filter_index(const void *p)
{
    return (size_t)(((uintptr_t)p * 0x9e3779b97f4a7c15ull) >> (64 - MS_FILTER_BITS));
}
/* False: p was certainly not sampled. */
static inline bool ms_filter_maybe(const void *p)
{
    size_t i = ms_filter_index(p);
    return (atomic_load_explicit(&ms_filter_words[i >> 6], memory_order_relaxed) >> (i & 63)) & 1;
}
/* Pure sampler pieces for tests: next interval from a uniform u in (0,1]. */
uint64_t ms_sample_interval(uint64_t mean, double u);
uint64_t ms_rng_next(uint64_t *state);

#pragma GCC visibility pop

#endif /* MS_SAMPLER_H */
