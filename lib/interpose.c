/*
 * interpose.c — the functions libmapscope.so exports.
 *
 * These are the library's only public symbols (lib/libmapscope.map): the
 * allocation functions, _exit/_Exit and pthread_create (malloc_usable_size
 * is left to the real allocator: bootstrap.c says why).  Each is as
 * small as it can be: the sampled-mode fast path is finished here, and
 * every other call jumps (a tail call, no frame of its own) to its hook in
 * hooks.c, which records it.
 *
 * Why the tail jump matters: the hook finds the program's frame from its
 * own return address (MS_CALLER_FRAME, hooks.c), which is the program's
 * only if nothing of this file is left on the stack.  So this file is built
 * without frame pointers and with sibling calls (lib/shim.am), its
 * functions keep no state across the jump, and tests/shim/known_leaks.sh
 * checks, frame by frame, that stacks start at the program's call.
 *
 * Sampled mode's fast path: most allocations are not sampled.  They cost a
 * countdown of bytes in thread-local storage (sampler.c) and a jump to the
 * real allocator; most frees cost one bit of the sampled-block filter and a
 * jump; a realloc, both.  No test of the mode: outside sampled mode (and
 * before the start, and on threads not yet seeded) the countdown is never
 * positive and the filter reads all ones, so every call goes to its hook.
 * An allocation by the shim itself (the thread is inside the shim) may take
 * the fast path too: it is not recorded either way, and a sample point it
 * reaches is kept for the program's next allocation (the hook passes it
 * through and leaves the countdown at or below zero).  Nothing else: no guard, no clock, no call
 * into the books.  So in sampled mode a failed allocation is counted only when it was sampled (a
 * failing request is usually huge, and sampled with a probability near 1),
 * and the periodic work (timeline points, birth clamping) waits for a
 * sampled allocation or the helper thread.
 */
/* Whatever CFLAGS the build was given (-O0 included), these functions must
 * jump to the hooks without a frame: lib/shim.am asks for it, and this
 * makes sure a later -O0 on the command line cannot take it back. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O2", "omit-frame-pointer", "optimize-sibling-calls")
#endif

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "bootstrap.h"
#include "guard.h"
#include "helper.h"
#include "hooks.h"
#include "lifecycle.h"
#include "sampler.h"
#include "shim_base.h"

#define MS_EXPORT __attribute__((visibility("default")))

/* Sampled mode: take size bytes from the countdown; true when they did not
 * reach the next sample point (then the call is not recorded at all).
 * Compared unsigned, so a size beyond INT64_MAX (a request that can only
 * fail, and must be seen failing) goes to the hook. */
static inline bool unsampled(size_t size)
{
    int64_t left = ms_self.sample_left;
    if (MS_LIKELY(left > 0) && MS_LIKELY((uint64_t)left > size)) {
        ms_self.sample_left = left - (int64_t)size;
        return true;
    }
    return false;
}

MS_EXPORT void *malloc(size_t size)
{
    if (MS_LIKELY(unsampled(size)))
        return ms_real.malloc(size);
    return ms_hook_malloc(size);
}

/* Sampled mode: a block the filter has never seen was not sampled.  The
 * countdown is read first: outside sampled mode it is never positive, so
 * full mode goes to the hook without reading the filter (a random line of
 * 8 KiB per free, all ones there).  In sampled mode a countdown at or
 * below zero (a thread not seeded yet, a sample point waiting for the next
 * allocation) sends the free to the hook, which checks the filter itself. */
static inline bool unsampled_block(const void *p)
{
    return MS_LIKELY(ms_self.sample_left > 0) && MS_LIKELY(!ms_filter_maybe(p)) &&
           MS_LIKELY(!ms_bootstrap_owns(p));
}

MS_EXPORT void free(void *p)
{
    if (unsampled_block(p)) {
        ms_real.free(p);
        return;
    }
    ms_hook_free(p);
}

MS_EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (!__builtin_mul_overflow(n, size, &total) && MS_LIKELY(unsampled(total)))
        return ms_real.calloc(n, size);
    return ms_hook_calloc(n, size);
}

MS_EXPORT void *realloc(void *p, size_t size)
{
    /* An unsampled block (or none) becoming an unsampled one. */
    if (unsampled_block(p) && MS_LIKELY(unsampled(size)))
        return ms_real.realloc(p, size);
    return ms_hook_realloc(p, size);
}

MS_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    return ms_hook_reallocarray(p, n, size);
}

MS_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    return ms_hook_posix_memalign(out, align, size);
}

MS_EXPORT void *aligned_alloc(size_t align, size_t size)
{
    return ms_hook_aligned_alloc(align, size);
}

MS_EXPORT void *memalign(size_t align, size_t size)
{
    return ms_hook_memalign(align, size);
}

MS_EXPORT void *valloc(size_t size)
{
    return ms_hook_valloc(size);
}

MS_EXPORT void *pvalloc(size_t size)
{
    return ms_hook_pvalloc(size);
}

/* The program's threads: the first one it starts also starts the shim's
 * helper, which spares every allocation a clock read from then on
 * (helper.c). */
MS_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    return ms_pthread_create(t, attr, fn, arg);
}

/* A process leaving with _exit (dash always does) still gets its exit dump
 * when that is safe (lifecycle.c). */
MS_EXPORT void _exit(int status)
{
    ms_exit_now(status);
}

MS_EXPORT void _Exit(int status)
{
    ms_exit_now(status);
}
