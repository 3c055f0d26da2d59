/*
 * own_ranges.c — which address ranges are the shim's own memory.
 *
 * The reachability scan (reach*.c) reads every writable mapping of the
 * process as a root, except memory that belongs to the profiler: the books
 * hold the address of every live block as a key (and stale keys of freed
 * ones in recycled buckets), so scanning them would make every block look
 * reachable.  All of the shim's memory comes from two places (pages.c for
 * the map engine, shim_mem.c for everything else), and both note here each
 * range they map and unmap.  The kernel may merge a shim mapping with an
 * adjacent one of the program, so the scan needs ranges, not mappings.
 *
 * A fixed table (no allocation: this is called from inside the allocator)
 * behind a spinlock; mapping and unmapping are rare (bucket arrays, arena
 * chunks, per-thread blocks).  An unmap may cover part of a range (the map
 * engine releases a finished old array in pieces): the range is cut.  When
 * the table is full, ms_own_ranges says so and the scan is not attempted,
 * since its verdicts could not be trusted.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pages.h"

#define OWN_MAX 16384

static struct {
    uintptr_t lo, hi;
} tab[OWN_MAX];
static size_t ntab;
static bool overflowed;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void take(void)
{
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
        __builtin_ia32_pause();
}

static void give(void)
{
    atomic_flag_clear_explicit(&lock, memory_order_release);
}

static void add(uintptr_t lo, uintptr_t hi)
{
    if (ntab < OWN_MAX) {
        tab[ntab].lo = lo;
        tab[ntab++].hi = hi;
    } else {
        overflowed = true;
    }
}

void ms_own_mapped(const void *p, size_t len)
{
    if (!p || !len)
        return;
    take();
    add((uintptr_t)p, (uintptr_t)p + len);
    give();
}

void ms_own_unmapped(const void *p, size_t len)
{
    uintptr_t lo = (uintptr_t)p, hi = lo + len;
    if (!p || !len)
        return;
    take();
    /* Newest first: what is unmapped is usually recent. */
    for (size_t i = ntab; i-- > 0;) {
        if (tab[i].hi <= lo || tab[i].lo >= hi)
            continue;
        uintptr_t a = tab[i].lo, b = tab[i].hi;
        tab[i] = tab[--ntab];
        if (a < lo)
            add(a, lo);
        if (b > hi)
            add(hi, b);
    }
    give();
}

size_t ms_own_ranges(uintptr_t (*out)[2], size_t max, bool *complete)
{
    take();
    size_t n = ntab < max ? ntab : max;
    for (size_t i = 0; i < n; i++) {
        out[i][0] = tab[i].lo;
        out[i][1] = tab[i].hi;
    }
    *complete = !overflowed && n == ntab;
    give();
    return n;
}

void ms_own_after_fork(void)
{
    atomic_flag_clear(&lock);
}
