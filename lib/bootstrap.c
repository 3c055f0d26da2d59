/*
 * bootstrap.c — finding the real allocator, and what to do until it is found.
 *
 * The hooks forward to the next definition of each function in the lookup
 * order (dlsym(RTLD_NEXT)), which is glibc's malloc unless the program
 * brings its own allocator.  dlsym itself may call calloc/malloc (for its
 * error buffer) before it has returned the real calloc: those calls are
 * served from a small static buffer, and free/realloc recognise its
 * pointers by address.  The buffer never gives memory back (a few hundred
 * bytes are ever used).
 *
 * malloc_usable_size is not interposed.  It was, only so that a block of
 * this buffer would never reach the real allocator's; but a program that
 * accounts its memory by it (redis-server calls it on every allocation and
 * free) paid for the extra crossing on every call: in sampled mode that
 * was half of what the shim cost redis-server (CPU time on its allocating
 * tests 1.067x -> 1.031x of native without it, medians of 9 rounds).
 * Program code almost never holds a block of this buffer: only a thread
 * that allocates while another is in the middle of the shim's start gets
 * one.  For that case each block carries, just before it, the size field
 * of a glibc chunk that is marked mmapped, so glibc's malloc_usable_size
 * answers from that field alone and reads nothing else.
 *
 * If dlsym cannot find a function (a statically linked allocator, an odd
 * loader), glibc's __libc_* entry points are the fallback: the program still
 * runs, just with glibc's allocator.
 *
 * The same lookup finds the vDSO's clock_gettime (shim_base.h says why the
 * shim calls it directly).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "bootstrap.h"
#include "guard.h"
#include "shim_base.h"

struct ms_real ms_real;

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* 64 KiB is far more than dlsym needs (glibc asks for ~32 bytes), and
 * leaves room for allocations by other libraries' constructors that might
 * run before the lookup finishes. */
#define BOOT_SIZE MS_BOOT_SIZE
alignas(64) unsigned char ms_boot_buf[MS_BOOT_SIZE];
static _Atomic size_t boot_used;

/* Each bootstrap block is preceded by two words: its size (for realloc),
 * then a glibc chunk size field (see the top of this file): the usable
 * size rounded up to 16 plus glibc's 16-byte chunk header, with the
 * IS_MMAPPED bit (2). */
#define BOOT_HEADER      (2 * sizeof(size_t))
#define GLIBC_IS_MMAPPED 2u

void *ms_bootstrap_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    for (;;) {
        size_t used = atomic_load(&boot_used);
        /* Aligned as an address: the buffer itself is only 64-aligned. */
        uintptr_t base = (uintptr_t)ms_boot_buf;
        size_t start = ((base + used + BOOT_HEADER + align - 1) & ~(uintptr_t)(align - 1)) - base;
        if (start + size > BOOT_SIZE || start + size < start)
            return NULL;
        if (atomic_compare_exchange_weak(&boot_used, &used, start + size)) {
            size_t chunk = (((size + 15) & ~(size_t)15) + 16) | GLIBC_IS_MMAPPED;
            memcpy(ms_boot_buf + start - BOOT_HEADER, &size, sizeof(size_t));
            memcpy(ms_boot_buf + start - sizeof(size_t), &chunk, sizeof(size_t));
            return ms_boot_buf + start;
        }
    }
}

size_t ms_bootstrap_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - BOOT_HEADER, sizeof(size_t));
    return n;
}

int (*ms_vdso_clock_gettime)(clockid_t, struct timespec *);

static void *next_sym(const char *name, void *fallback)
{
    void *f = dlsym(RTLD_NEXT, name);
    return f ? f : fallback;
}

static int libc_posix_memalign(void **out, size_t align, size_t size)
{
    /* Only reached when dlsym found no posix_memalign: glibc's rules. */
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0)
        return EINVAL;
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static void *libc_aligned_alloc(size_t align, size_t size)
{
    return __libc_memalign(align, size);
}

void ms_real_resolve(void)
{
    static _Atomic int done;
    if (atomic_load_explicit(&done, memory_order_acquire))
        return;
    /* Recursion (dlsym calling calloc) lands in the hooks, which see
     * ms_real.calloc still NULL and use the bootstrap buffer. */
    ms_guard_enter();
    struct ms_real r;
    r.malloc = next_sym("malloc", (void *)__libc_malloc);
    r.free = next_sym("free", (void *)__libc_free);
    r.calloc = next_sym("calloc", (void *)__libc_calloc);
    r.realloc = next_sym("realloc", (void *)__libc_realloc);
    r.posix_memalign = next_sym("posix_memalign", (void *)libc_posix_memalign);
    r.aligned_alloc = next_sym("aligned_alloc", (void *)libc_aligned_alloc);
    r.memalign = next_sym("memalign", (void *)__libc_memalign);
    r.valloc = next_sym("valloc", (void *)__libc_valloc);
    r.pvalloc = next_sym("pvalloc", (void *)__libc_pvalloc);
    /* Publish the functions one by one, calloc/malloc last-but-used-first:
     * any of them being non-NULL means it is usable. */
    ms_real.free = r.free;
    ms_real.realloc = r.realloc;
    ms_real.posix_memalign = r.posix_memalign;
    ms_real.aligned_alloc = r.aligned_alloc;
    ms_real.memalign = r.memalign;
    ms_real.valloc = r.valloc;
    ms_real.pvalloc = r.pvalloc;
    ms_real.calloc = r.calloc;
    ms_real.malloc = r.malloc;
    /* The vDSO is already loaded (NOLOAD only finds it); a kernel without
     * one leaves glibc's clock_gettime in use. */
    void *vdso = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (vdso)
        ms_vdso_clock_gettime =
            (int (*)(clockid_t, struct timespec *))dlsym(vdso, "__vdso_clock_gettime");
    atomic_store_explicit(&done, 1, memory_order_release);
    ms_guard_leave();
}
