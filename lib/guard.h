/*
 * guard.h — the shim's re-entrancy guard and per-thread state.
 *
 * Everything the shim calls while it works (libunwind, dl_iterate_phdr,
 * dlsym, the loader, pthread_create) may call malloc.  Those calls must go
 * straight to the real allocator and must not be counted: they are the
 * profiler's, not the program's.  One thread-local flag decides it, read by
 * every hook first thing.
 *
 * The TLS model is initial-exec: the general-dynamic model calls
 * __tls_get_addr, which may allocate the thread's TLS block lazily, i.e. call
 * malloc, i.e. recurse into us before the guard can be read.  Initial-exec
 * TLS lives in the static TLS block set up before the thread runs any code.
 * The shim is loaded at startup (LD_PRELOAD), so initial-exec is always
 * available to it.
 */
#ifndef MS_GUARD_H
#define MS_GUARD_H

#include <stdint.h>

struct ms_stack_cache; /* stack_cache.c */
struct ms_tcount;      /* books.h */
struct ms_nursery;     /* nursery.h */

/* Per-thread state.  Kept small (two cache lines): it lives in every
 * thread's static TLS, and the hooks' fast paths read it first. */
struct ms_thread {
    int busy;                     /* >0: inside the shim; hooks pass through */
    uint32_t cache_state;         /* thread block: 0 = none yet, 1 = ready, 2 = unavailable */
    uint32_t tid;                 /* ms_thread_id(), 0 until first asked */
    int64_t sample_left;          /* sampler: bytes until the next sample */
    uintptr_t last_alloc;         /* this thread's latest recorded allocation, and */
    int64_t last_left;            /* sample_left just after it: when both still hold at
                                     its free, nothing was allocated in between (a
                                     temporary), without a store per unsampled call */
    struct ms_stack_cache *cache; /* the thread block (stack_cache.c), mmap'd on demand; */
    struct ms_tcount *tc;         /* and in it: this thread's counters */
    struct ms_nursery *nursery;   /* and its young blocks */
    int *errno_p;                 /* the thread's errno (set with the block) */
    uint64_t rng;                 /* sampler's random state (0 = not seeded) */
    uintptr_t stack_hi;           /* end of this thread's stack (0 = unknown) */
};

extern __thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));

/* The calling thread's block (stack cache, counters, nursery), mapped on
 * its first allocation; NULL when it has none (mapping failed, or the
 * thread is exiting).  The first call maps it (stack_cache.c). */
struct ms_stack_cache *ms_stack_cache_make(void);
static inline struct ms_stack_cache *ms_stack_cache_get(void)
{
    if (__builtin_expect(ms_self.cache_state == 1, 1))
        return ms_self.cache;
    return ms_stack_cache_make();
}

/* The calling thread's share of the totals, or NULL (then the shared
 * atomic counters are used: books.c). */
static inline struct ms_tcount *ms_tcount_self(void)
{
    return ms_stack_cache_get() ? ms_self.tc : (struct ms_tcount *)0;
}

/* Enter/leave the shim on this thread.  Nested use is allowed. */
static inline void ms_guard_enter(void)
{
    ms_self.busy++;
}

static inline void ms_guard_leave(void)
{
    ms_self.busy--;
}

static inline int ms_guarded(void)
{
    return ms_self.busy != 0;
}

#endif /* MS_GUARD_H */
