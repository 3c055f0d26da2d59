/*
 * hooks.c — recording the allocation calls.
 *
 * The exported functions (interpose.c) jump here for every call they do not
 * finish themselves.  Each hook forwards to the real allocator with glibc's
 * exact semantics and, when the calling thread is not already inside the
 * shim, records what happened.  Counting follows valgrind memcheck so the
 * figures compare:
 *   - every successful malloc/calloc/memalign/... is one allocation (size 0
 *     included); a NULL result is one failed allocation, never a leak;
 *   - realloc(NULL, n) is an allocation; realloc(p, 0) is a free (glibc
 *     frees p and returns NULL); realloc(p, n) is one free plus one
 *     allocation even when the block is resized in place;
 *   - free(NULL) is nothing; freeing a pointer the shim never saw (made
 *     before it started) is counted apart as an unknown free.
 *
 * Order matters for threads: a block is removed from the books before the
 * real free/realloc can hand its address to another thread, and added after
 * the real allocator returned it.
 *
 * The exported function reaches its hook by a tail jump, so the hook's
 * return address is the program's: MS_CALLER_FRAME() (this file is compiled
 * with frame pointers) reads the caller's return address, stack pointer and
 * frame pointer, which lets the unwinders start exactly at the program's
 * frame without walking through the shim.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "books.h"
#include "bootstrap.h"
#include "guard.h"
#include "hooks.h"
#include "lifecycle.h"
#include "shim_base.h"
#include "stacks.h"

/* Enter the shim if this call is to be recorded. */
static int hook_enter_slow(void)
{
    if (ms_self.busy)
        return 0;
    if (atomic_load_explicit(&ms_state, memory_order_acquire) == MS_STATE_OFF)
        ms_start();
    if (atomic_load_explicit(&ms_state, memory_order_acquire) != MS_STATE_LIVE)
        return 0;
    ms_self.busy = 1;
    return 1;
}

static inline int hook_enter(void)
{
    if (MS_LIKELY(atomic_load_explicit(&ms_state, memory_order_relaxed) == MS_STATE_LIVE &&
                  !ms_self.busy)) {
        ms_self.busy = 1;
        return 1;
    }
    return hook_enter_slow();
}

static inline void hook_leave(void)
{
    ms_self.busy = 0;
}

/* Until dlsym has returned, the real functions are unknown: serve from the
 * bootstrap buffer (only dlsym itself and the loader get here). */
static void *boot_alloc(size_t size, size_t align)
{
    void *p = ms_bootstrap_alloc(size, align);
    if (!p)
        errno = ENOMEM;
    return p;
}

static inline void note_result(void *p, size_t size, const struct ms_frame0 *f)
{
    if (p)
        ms_on_alloc(p, size, f);
    else
        ms_on_failed(f);
}

void *ms_hook_malloc(size_t size)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    if (MS_UNLIKELY(!hook_enter())) {
        if (MS_UNLIKELY(!ms_real.malloc))
            return boot_alloc(size, 16);
        return ms_real.malloc(size);
    }
    void *p = ms_real.malloc(size);
    note_result(p, size, &f);
    hook_leave();
    return p;
}

void ms_hook_free(void *p)
{
    if (!p)
        return;
    if (MS_UNLIKELY(ms_bootstrap_owns(p)))
        return;
    if (hook_enter()) {
        ms_on_free(p);
        hook_leave();
    }
    if (MS_UNLIKELY(!ms_real.free))
        ms_real_resolve();
    ms_real.free(p);
}

void *ms_hook_calloc(size_t n, size_t size)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    size_t total;
    bool overflow = __builtin_mul_overflow(n, size, &total);
    if (MS_UNLIKELY(!hook_enter())) {
        if (MS_UNLIKELY(!ms_real.calloc)) {
            if (overflow) {
                errno = ENOMEM;
                return NULL;
            }
            return boot_alloc(total, 16); /* static memory is zeroed */
        }
        return ms_real.calloc(n, size);
    }
    void *p = ms_real.calloc(n, size);
    note_result(p, overflow ? 0 : total, &f);
    hook_leave();
    return p;
}

/* realloc for a block that came from the bootstrap buffer: move it to the
 * real heap.  The new block is the program's, so it is recorded. */
static void *realloc_from_boot(void *p, size_t size, const struct ms_frame0 *f)
{
    if (!ms_real.malloc)
        ms_real_resolve();
    size_t old = ms_bootstrap_size(p);
    int rec = hook_enter();
    void *q = ms_real.malloc(size ? size : 1);
    if (q)
        memcpy(q, p, old < size ? old : size);
    if (rec) {
        note_result(q, size, f);
        hook_leave();
    }
    return q;
}

static inline void *realloc_impl(void *p, size_t size, const struct ms_frame0 *f)
{
    if (MS_UNLIKELY(p && ms_bootstrap_owns(p)))
        return realloc_from_boot(p, size, f);
    if (MS_UNLIKELY(!hook_enter())) {
        if (MS_UNLIKELY(!ms_real.realloc)) {
            if (!p)
                return boot_alloc(size, 16);
            ms_real_resolve();
        }
        return ms_real.realloc(p, size);
    }
    void *q;
    if (!p) {
        q = ms_real.realloc(NULL, size);
        note_result(q, size, f);
    } else {
        /* Take p out of the books first: once the real realloc returns,
         * p's address may already belong to another thread's block. */
        uint64_t packed = 0;
        bool known = ms_books_take(p, &packed);
        q = ms_real.realloc(p, size);
        if (!q && size != 0) {
            /* Failed: p is untouched and still the program's. */
            if (known)
                ms_books_restore(p, packed);
            ms_on_failed(f);
        } else {
            int saved = errno;
            if (known)
                ms_books_account_free(p, packed);
            else
                ms_on_free(p); /* counts the unknown free */
            errno = saved;
            if (q) /* realloc(p, 0) returns NULL in glibc; others may not */
                ms_on_alloc(q, size, f);
        }
    }
    hook_leave();
    return q;
}

void *ms_hook_realloc(void *p, size_t size)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    return realloc_impl(p, size, &f);
}

void *ms_hook_reallocarray(void *p, size_t n, size_t size)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        if (hook_enter()) {
            ms_on_failed(&f);
            hook_leave();
        }
        errno = ENOMEM;
        return NULL;
    }
    return realloc_impl(p, total, &f);
}

int ms_hook_posix_memalign(void **out, size_t align, size_t size)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    if (MS_UNLIKELY(!hook_enter())) {
        if (MS_UNLIKELY(!ms_real.posix_memalign)) {
            void *p = ms_bootstrap_alloc(size, align);
            if (!p)
                return ENOMEM;
            *out = p;
            return 0;
        }
        return ms_real.posix_memalign(out, align, size);
    }
    int rc = ms_real.posix_memalign(out, align, size);
    note_result(rc == 0 ? *out : NULL, size, &f);
    hook_leave();
    return rc;
}

/* The three "aligned" allocators share one shape. */
#define MS_ALIGNED_HOOK(name, call, boot_align, recorded_size)                                     \
    {                                                                                              \
        struct ms_frame0 f = MS_CALLER_FRAME();                                                    \
        if (MS_UNLIKELY(!hook_enter())) {                                                          \
            if (MS_UNLIKELY(!ms_real.name))                                                        \
                return boot_alloc(size, boot_align);                                               \
            return call;                                                                           \
        }                                                                                          \
        void *p = call;                                                                            \
        note_result(p, recorded_size, &f);                                                         \
        hook_leave();                                                                              \
        return p;                                                                                  \
    }

void *ms_hook_aligned_alloc(size_t align, size_t size)
    MS_ALIGNED_HOOK(aligned_alloc, ms_real.aligned_alloc(align, size), align, size)

        void *ms_hook_memalign(size_t align, size_t size)
            MS_ALIGNED_HOOK(memalign, ms_real.memalign(align, size), align, size)

                void *ms_hook_valloc(size_t size)
                    MS_ALIGNED_HOOK(valloc, ms_real.valloc(size), 4096, size)

    /* pvalloc rounds the size up to whole pages; record what it allocated. */
    static size_t page_round(size_t size)
{
    size_t pg = 4096;
    size_t r = (size + pg - 1) & ~(pg - 1);
    return (size == 0 || r < size) ? pg : r;
}

void *ms_hook_pvalloc(size_t size)
    MS_ALIGNED_HOOK(pvalloc, ms_real.pvalloc(size), 4096, page_round(size))
