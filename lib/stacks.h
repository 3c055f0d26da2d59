/*
 * stacks.h — one call stack per allocation, and the unwinders (stacks.c, unwind_*.c).
 */
#ifndef MS_STACKS_H
#define MS_STACKS_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Where the program called us: the return address into the caller and the
 * caller's stack pointer and frame pointer at the call.  Taken in the
 * exported function (built with frame pointers), so the shim's own frames are
 * never part of a stack. */
struct ms_frame0 {
    uintptr_t ip, sp, bp;
};

#define MS_CALLER_FRAME()                                                                          \
    ((struct ms_frame0){(uintptr_t)__builtin_return_address(0),                                    \
                        (uintptr_t)__builtin_frame_address(0) + 16,                                \
                        *(uintptr_t *)__builtin_frame_address(0)})

/* Stack id of the call described by f (0 when the stack table is full). */
uint32_t ms_stack_id(const struct ms_frame0 *f);
/* Capture frames without deduplicating (tests, warm-up). */
unsigned ms_stack_capture(const struct ms_frame0 *f, uintptr_t *out, unsigned max);
uint64_t ms_stack_hash(const uintptr_t *frames, unsigned n);
void ms_stacks_warm_up(void);

unsigned ms_unwind_fp(const struct ms_frame0 *f, uintptr_t *out, unsigned max);
int ms_unwind_lu_load(void);
unsigned ms_unwind_lu(const struct ms_frame0 *f, uintptr_t *out, unsigned max);

/* Make libunwind (its dlopen handle) hold no descriptor: unwind_lu_fds.c.
 * Returns the number of import slots redirected. */
unsigned ms_unwind_lu_no_fds(void *handle);

#pragma GCC visibility pop

#endif /* MS_STACKS_H */
