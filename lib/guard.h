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

/* Per-thread state.  Kept small: it lives in every thread's static TLS. */
struct ms_thread {
    int busy;                     /* >0: inside the shim; hooks pass through */
    int64_t sample_left;          /* sampler: bytes until the next sample */
    uintptr_t last_alloc;         /* address of this thread's latest allocation
                                     (temporary-allocation detection) */
    struct ms_stack_cache *cache; /* validated stack cache, mmap'd on demand */
    uint32_t cache_state;         /* 0 = none yet, 1 = ready, 2 = unavailable */
    uint64_t rng;                 /* sampler's random state (0 = not seeded) */
    uintptr_t stack_hi;           /* end of this thread's stack (0 = unknown) */
    uint32_t tid;                 /* ms_thread_id(), 0 until first asked */
    int32_t maint_countdown;      /* sampled mode: allocations until the next clock look */
};

extern __thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));

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
