/*
 * unwind_lu.c — libunwind's unw_backtrace, loaded privately.
 *
 * libunwind exports backtrace() and _Unwind_Backtrace(); linked into a
 * preload library it would replace glibc's and libgcc's versions for the
 * whole program.  Debian's static libunwind archives are not built as PIC,
 * so they cannot be linked into a shared object; instead libunwind.so.8 is
 * opened with RTLD_LOCAL, which keeps every symbol it defines out of the
 * program's namespace.  This happens once, in the library constructor (never
 * inside an arbitrary malloc: dlopen from inside the loader is unsafe), and
 * is followed by a warm-up call (the first unw_backtrace costs ~0.5 ms while
 * libunwind reads the unwind tables).
 *
 * unw_backtrace walks from its own frame; the shim's frames are dropped by
 * finding the program's return address (the first frame the exported hook
 * saw) in the result.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "complain.h"
#include "guard.h"
#include "option_grammar.h"
#include "stacks.h"

#define UNW_CACHE_PER_THREAD 2 /* libunwind.h's unw_caching_policy_t */
#define SHIM_FRAMES_MAX      24

static int (*lu_backtrace)(void **buf, int size);
static _Atomic int lu_state; /* 0 not tried, 1 loaded, -1 unavailable */

int ms_unwind_lu_load(void)
{
    int st = atomic_load(&lu_state);
    if (st)
        return st > 0 ? 0 : -1;
    ms_guard_enter();
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        ms_unwind_lu_no_fds(h); /* before its first use: unwind_lu_fds.c */
        lu_backtrace = (int (*)(void **, int))dlsym(h, "unw_backtrace");
        /* A per-thread cache: libunwind's global cache takes a lock. */
        int (*policy)(void *, int) = (int (*)(void *, int))dlsym(h, "_ULx86_64_set_caching_policy");
        void **as = (void **)dlsym(h, "_ULx86_64_local_addr_space");
        if (policy && as)
            policy(*as, UNW_CACHE_PER_THREAD);
    }
    atomic_store(&lu_state, lu_backtrace ? 1 : -1);
    ms_guard_leave();
    if (!lu_backtrace)
        ms_complain_once(MS_ONCE_UNWIND,
                         "mapscope: cannot load libunwind.so.8 (%s); stacks come from the "
                         "built-in walkers only\n",
                         h ? "no unw_backtrace" : "not found");
    return lu_backtrace ? 0 : -1;
}

unsigned ms_unwind_lu(const struct ms_frame0 *f, uintptr_t *out, unsigned max)
{
    void *buf[MS_DEPTH_MAX + SHIM_FRAMES_MAX];
    if (atomic_load_explicit(&lu_state, memory_order_acquire) <= 0)
        return ms_unwind_fp(f, out, max);
    int n = lu_backtrace(buf, (int)(max + SHIM_FRAMES_MAX));
    for (int i = 0; i < n && i < SHIM_FRAMES_MAX; i++) {
        if ((uintptr_t)buf[i] == f->ip) {
            unsigned k = (unsigned)(n - i) < max ? (unsigned)(n - i) : max;
            memcpy(out, &buf[i], k * sizeof(uintptr_t));
            return k;
        }
    }
    /* The hook's frame was not found (should not happen): keep what the
     * program's own frame gives rather than shim frames. */
    out[0] = f->ip;
    return 1;
}
