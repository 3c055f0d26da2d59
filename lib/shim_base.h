/*
 * shim_base.h — what every file of the shim needs: branch hints, the clocks, the one-thread test.
 */
#ifndef MS_SHIM_BASE_H
#define MS_SHIM_BASE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#if defined(__has_include) && __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define MS_HAVE_SINGLE_THREADED 1
#endif

/* The library's own: referenced directly, not through the GOT (only
 * interpose.c and privdrop.c export symbols, one by one). */
#pragma GCC visibility push(hidden)

#define MS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define MS_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The vDSO's clock_gettime, called directly rather than through the
 * shim's PLT and glibc's wrapper (bootstrap.c finds it; NULL until then,
 * or when there is no vDSO). */
extern int (*ms_vdso_clock_gettime)(clockid_t, struct timespec *);

/* Nanoseconds of clock id, through the vDSO (no syscall). */
static inline uint64_t ms_clock_ns(clockid_t id)
{
    struct timespec ts;
    if (__builtin_expect(ms_vdso_clock_gettime != NULL, 1))
        ms_vdso_clock_gettime(id, &ts);
    else
        clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic nanoseconds. */
static inline uint64_t ms_now_ns(void)
{
    return ms_clock_ns(CLOCK_MONOTONIC);
}

/* Coarse clock (resolution a few ms, a few ns to read): block birth times.
 * Through glibc it was about a fifth of the shim's CPU time in
 * redis-server under redis-benchmark (its allocating tests, medians of 7
 * rounds: 1.322x of native CPU with the clock, 1.248x with none), and the
 * direct call took some of that away (1.292x in that series, 1.283x ->
 * 1.275x in another: near the noise).  Now read by every recorded
 * allocation only in a process without the helper thread (books.c,
 * ms_books_publish_tick). */
static inline uint64_t ms_coarse_ns(void)
{
    return ms_clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* True while the process has one thread (glibc's __libc_single_threaded:
 * false before pthread_create starts the second thread, and never true
 * again but in a fork child).  Then nobody can contend for a lock of the
 * shim's, and a plain store takes it, as glibc's own locks do. */
static inline bool ms_one_thread(void)
{
#ifdef MS_HAVE_SINGLE_THREADED
    return __libc_single_threaded;
#else
    return false;
#endif
}

#pragma GCC visibility pop

#endif /* MS_SHIM_BASE_H */
