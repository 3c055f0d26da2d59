/*
 * unwind.h — the cached DWARF walk and the trace that lets a walk be reused.
 *
 * A walk is a deterministic function of the starting registers (ip, sp, bp)
 * and of the stack words it reads.  The walker records the reads that
 * decided its result (return-address slots, and saved-rbp slots only when a
 * later frame's CFA depended on rbp); if a later allocation starts from the
 * same ip and sp and every one of those words still holds the same value,
 * the walk would produce the same stack, so its stack id can be reused
 * without walking (stack_cache.c).  This is exact, not a heuristic.
 */
#ifndef MS_UNWIND_H
#define MS_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "stacks.h"

struct ms_stack_cache; /* stack_cache.c */

#define MS_TRACE_MAX 48

struct ms_walk_trace {
    unsigned nreads;
    bool cacheable;             /* false: fell back to libunwind, or too many reads */
    bool fell_back;             /* libunwind walked (a frame the rules do not describe) */
    bool need_bp0;              /* the result depends on the starting rbp */
    uint32_t off[MS_TRACE_MAX]; /* address read - starting sp, in order */
};

int ms_unwind_dwarf_init(void);
/* Walk from f; fill t when not NULL. */
unsigned ms_unwind_dwarf(const struct ms_frame0 *f, uintptr_t *out, unsigned max,
                         struct ms_walk_trace *t);
uintptr_t ms_stack_top(void);

/* Stack id for f if a cached walk is still valid, else 0 (*slot receives the
 * slot to fill after walking). */
uint32_t ms_stack_cache_lookup(struct ms_stack_cache *c, const struct ms_frame0 *f, void **slot);
void ms_stack_cache_fill(struct ms_stack_cache *c, void *slot, const struct ms_frame0 *f,
                         const struct ms_walk_trace *t, uint32_t id);
/* ms_stack_id's miss path (stacks.c): walk f, intern, fill slot of c if any. */
uint32_t ms_stack_id_walk(const struct ms_frame0 *f, struct ms_stack_cache *c, void *slot);
int ms_stack_cache_init(void);
void ms_stack_cache_after_fork_child(void);
void ms_stack_cache_counts(uint64_t *hits, uint64_t *misses, uint64_t *threads);
void ms_unwind_dwarf_counts(uint64_t *rules, uint64_t *fallbacks);
/* Empty the rule cache (an object was unloaded; cfi.c). */
void ms_unwind_dwarf_forget(void);

#endif /* MS_UNWIND_H */
