/*
 * unwind_fp.c — the frame-pointer walk, and the stack bounds every walk
 * checks its reads against.
 *
 * With frame pointers each frame starts with the caller's frame pointer and
 * the return address: two loads per frame, ~35 ns for 24 frames.  Debian
 * builds programs and libraries without frame pointers, so on them this walk
 * stops after a frame or two (rbp holds data, and the bounds check below
 * ends the walk); it is the opt-in fast path for programs built with
 * -fno-omit-frame-pointer (MAPSCOPE_UNWIND=fp).
 *
 * A walk must never fault: every address it reads is checked to lie
 * between the caller's stack pointer and the top of the thread's stack.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "guard.h"
#include "shim_base.h"
#include "stacks.h"

/* Top of the calling thread's stack, found once per thread. */
uintptr_t ms_stack_top(void);
uintptr_t ms_stack_top(void)
{
    if (MS_LIKELY(ms_self.stack_hi))
        return ms_self.stack_hi;
    pthread_attr_t a;
    void *lo = NULL;
    size_t size = 0;
    uintptr_t hi = 0;
    ms_guard_enter(); /* the main thread's attributes come from /proc (stdio) */
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        if (pthread_attr_getstack(&a, &lo, &size) == 0)
            hi = (uintptr_t)lo + size;
        pthread_attr_destroy(&a);
    }
    ms_guard_leave();
    /* Unknown: allow 64 KiB above the caller, which is mapped in practice
     * for any thread that got as far as calling malloc. */
    ms_self.stack_hi = hi ? hi : ((uintptr_t)__builtin_frame_address(0) + 65536) & ~(uintptr_t)15;
    return ms_self.stack_hi;
}

unsigned ms_unwind_fp(const struct ms_frame0 *f, uintptr_t *out, unsigned max)
{
    uintptr_t hi = ms_stack_top();
    uintptr_t sp = f->sp, bp = f->bp;
    unsigned n = 0;
    if (max == 0)
        return 0;
    out[n++] = f->ip;
    while (n < max) {
        if (bp < sp || bp > hi - 16 || (bp & 7) != 0)
            break;
        uintptr_t next_bp = ((const uintptr_t *)bp)[0];
        uintptr_t ra = ((const uintptr_t *)bp)[1];
        if (ra < 4096)
            break;
        out[n++] = ra;
        sp = bp + 16;
        if (next_bp <= bp)
            break;
        bp = next_bp;
    }
    return n;
}
