/*
 * reach_dump.h — the reachability scan as a dump calls it (reach.c; the scan itself: reach.h).
 */
#ifndef MS_REACH_DUMP_H
#define MS_REACH_DUMP_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

struct ms_dw; /* a dump being written (dump_write.h) */

/* Sort the live blocks into valgrind's leak kinds and write them (records
 * LEAK_KINDS and REACH), when MAPSCOPE_REACH asks for it at this dump. */
void ms_reach_write(struct ms_dw *w, unsigned reason);
/* Where the program's part of this thread's stack begins, and its
 * callee-saved registers, at the entry of a dump on a program thread (the
 * exit dump): the shim's own frames below hold stale copies of block
 * addresses (its walks of the books) and are not scanned.  Called first
 * thing by MS_REACH_ENTRY in the entry function. */
extern uintptr_t ms_reach_entry_regs[8];
void ms_reach_entry(uintptr_t cfa, uintptr_t saved_fp);
#if defined(__x86_64__)
#define MS_REACH_ENTRY()                                                                           \
    do {                                                                                           \
        __asm__ volatile("mov %%rbx, 0(%%rdi)\n\tmov %%r12, 8(%%rdi)\n\tmov %%r13, 16(%%rdi)\n\t"  \
                         "mov %%r14, 24(%%rdi)\n\tmov %%r15, 32(%%rdi)"                            \
                         :                                                                         \
                         : "D"(ms_reach_entry_regs)                                                \
                         : "memory");                                                              \
        ms_reach_entry((uintptr_t)__builtin_frame_address(0) + 16,                                 \
                       *(uintptr_t *)__builtin_frame_address(0));                                  \
    } while (0)
#else
#define MS_REACH_ENTRY() ((void)0) /* the scan reads this thread's stack from the dump's frame */
#endif

#pragma GCC visibility pop

#endif /* MS_REACH_DUMP_H */
