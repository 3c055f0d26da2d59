/*
 * stacks.c — from "the program called malloc here" to a stack id.
 *
 * The hot path of full tracking.  With the default DWARF walker a repeat
 * call site costs one validation of a cached walk (ms_stack_id, in
 * stack_cache.c so that the validation is inlined into it); a miss
 * (ms_stack_id_walk) walks the stack (unwind_dwarf.c), hashes the frames
 * and finds or adds them in the stack table.  The libunwind and frame-pointer walkers go
 * straight to the table.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cfi.h"
#include "guard.h"
#include "shim_base.h"
#include "shim_config.h"
#include "stack_table.h"
#include "stacks.h"
#include "unwind.h"

uint64_t ms_stack_hash(const uintptr_t *frames, unsigned n)
{
    uint64_t h = 0x84222325cbf29ce4ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= frames[i];
        h *= 0x9fb21c651e98df25ull;
        h ^= h >> 29;
    }
    return h ^ (h >> 32);
}

unsigned ms_stack_capture(const struct ms_frame0 *f, uintptr_t *out, unsigned max)
{
    switch (ms_cfg.unwind) {
    case MS_UNWIND_FP:
        return ms_unwind_fp(f, out, max);
    case MS_UNWIND_LIBUNWIND:
        return ms_unwind_lu(f, out, max);
    default:
        return ms_unwind_dwarf(f, out, max, NULL);
    }
}

/* A stack the cache did not answer (ms_stack_id, stack_cache.c): walk it,
 * and with the DWARF walker remember the walk in slot (c and slot NULL: no
 * cache, or another walker). */
__attribute__((noinline)) uint32_t ms_stack_id_walk(const struct ms_frame0 *f,
                                                    struct ms_stack_cache *c, void *slot)
{
    uintptr_t frames[MS_DEPTH_MAX];
    unsigned n;
    if (ms_cfg.unwind == MS_UNWIND_DWARF) {
        struct ms_walk_trace t;
        n = ms_unwind_dwarf(f, frames, ms_cfg.depth, &t);
        uint32_t id = ms_stack_intern(frames, n, ms_stack_hash(frames, n));
        if (slot)
            ms_stack_cache_fill(c, slot, f, &t, id);
        return id;
    }
    n = ms_stack_capture(f, frames, ms_cfg.depth);
    return ms_stack_intern(frames, n, ms_stack_hash(frames, n));
}

/* Before going live: load libunwind (the fallback of the DWARF walker and
 * the walker of MAPSCOPE_UNWIND=libunwind) and, for the DWARF walker,
 * libdw; then walk once, so the first recorded allocation does not pay for
 * reading unwind tables.  Without libdw the DWARF walker has no rules, so
 * libunwind takes over (and the dump's settings say so). */
__attribute__((noinline)) void ms_stacks_warm_up(void)
{
    uintptr_t frames[MS_DEPTH_MAX];
    struct ms_frame0 f = MS_CALLER_FRAME();
    ms_guard_enter();
    ms_unwind_lu_load();
    if (ms_cfg.unwind == MS_UNWIND_DWARF && ms_cfi_load() != 0)
        ms_cfg.unwind = MS_UNWIND_LIBUNWIND;
    ms_stack_top();
    ms_stack_capture(&f, frames, ms_cfg.depth);
    ms_guard_leave();
}
