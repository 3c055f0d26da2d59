/*
 * map_bench.h — what the map engine benchmark's drivers share: the
 * workload (keys and the orders they are used in), the figures each driver
 * returns, and the cycle-counter latency histogram.  Included from C
 * (map_bench.c: mapscope's engine and GLib) and C++ (map_bench_absl.cc).
 */
#ifndef MS_MAP_BENCH_H
#define MS_MAP_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One workload: n distinct keys, each used once per phase, in a different
 * random order per phase; miss keys are never inserted. */
struct mb_keys {
    size_t n;
    const uint64_t *ins;  /* insertion order */
    const uint64_t *hit;  /* lookup order (all present) */
    const uint64_t *miss; /* absent keys */
    const uint64_t *del;  /* deletion order */
};

/* Nanoseconds per operation of each phase, and the table's bytes per entry
 * when full. */
struct mb_result {
    double insert, hit, miss, del;
    double bytes_per_entry;
    uint64_t checksum; /* keeps the lookups from being optimised away */
};

/* Phase timing: thread CPU time (user + system, so page faults count) per
 * phase, summed over a driver's iterations.  On a shared machine, time
 * spent preempted by other processes is not the table's cost.  Single-
 * insert latencies (below) are wall time and do include interruptions. */
enum { MB_INSERT, MB_HIT, MB_MISS, MB_DELETE, MB_NPHASES };
struct mb_phases {
    double t[MB_NPHASES];
    double last;
};

static inline double mb_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void mb_phase_begin(struct mb_phases *p)
{
    p->last = mb_cpu_ns();
}

static inline void mb_phase_end(struct mb_phases *p, int phase)
{
    double now = mb_cpu_ns();
    p->t[phase] += now - p->last;
    p->last = now;
}

/* Per-operation figures from the summed phases (bytes_per_entry is set by
 * the driver). */
static inline void mb_phases_result(const struct mb_phases *p, size_t n, unsigned iters,
                                    uint64_t checksum, struct mb_result *r)
{
    double ops = (double)n * iters;
    r->insert = p->t[MB_INSERT] / ops;
    r->hit = p->t[MB_HIT] / ops;
    r->miss = p->t[MB_MISS] / ops;
    r->del = p->t[MB_DELETE] / ops;
    r->checksum = checksum;
}

/* Latency of single inserts, in TSC cycles: a linear histogram with
 * MB_LAT_RES-cycle bins up to MB_LAT_BINS * MB_LAT_RES cycles, the count
 * above that, and the exact maximum. */
#define MB_LAT_BINS (1u << 18)
#define MB_LAT_RES  4u
struct mb_latency {
    uint64_t *bins; /* MB_LAT_BINS entries */
    uint64_t above;
    uint64_t max;
    uint64_t n;
};

/* Serialising reads of the time-stamp counter around the timed operation:
 * lfence keeps the start read from running ahead of earlier work, rdtscp
 * waits for the operation to finish. */
static inline uint64_t mb_tsc_start(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

static inline uint64_t mb_tsc_stop(void)
{
    unsigned aux;
    uint64_t t = __rdtscp(&aux);
    _mm_lfence();
    return t;
}

static inline void mb_lat_add(struct mb_latency *l, uint64_t cycles)
{
    uint64_t bin = cycles / MB_LAT_RES;
    if (bin < MB_LAT_BINS)
        l->bins[bin]++;
    else
        l->above++;
    if (cycles > l->max)
        l->max = cycles;
    l->n++;
}

/* absl::flat_hash_map<uint64_t, uint64_t> (map_bench_absl.cc). */
void mb_absl_run(const struct mb_keys *k, unsigned iters, struct mb_result *r);
void mb_absl_fill_latency(const struct mb_keys *k, struct mb_latency *l);

#ifdef __cplusplus
}
#endif

#endif /* MS_MAP_BENCH_H */
