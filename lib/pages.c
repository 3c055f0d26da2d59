/*
 * pages.c — anonymous mappings for the map engine (see pages.h).
 *
 * Transparent huge pages are refused on every mapping (MADV_NOHUGEPAGE).
 * With THP set to "always", the first touch of each 2 MiB of a new bucket
 * array would fault in (and zero, possibly after compacting memory) a whole
 * huge page: measured at 0.1-3.5 ms on the project's VMs, inside whichever
 * malloc call of the profiled program happened to touch it.  Ordinary
 * 4 KiB faults cost ~1.5 µs there.  The engine promises bounded latency per
 * operation, so it takes the TLB misses instead.
 */
#include "pages.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

size_t ms_page_size(void)
{
    static size_t page;
    if (!page) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    return page;
}

size_t ms_page_round(size_t bytes)
{
    size_t page = ms_page_size();
    return (bytes + page - 1) & ~(page - 1);
}

void *ms_pages_map(size_t bytes)
{
    size_t len = ms_page_round(bytes);
    if (len < bytes) /* wrapped around */
        return NULL;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_NOHUGEPAGE
    (void)madvise(p, len, MADV_NOHUGEPAGE);
#endif
    ms_own_mapped(p, len);
    return p;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older C libraries lack the name */
#endif

void ms_pages_populate(void *p, size_t len)
{
    static int no_populate; /* the kernel said EINVAL once: do not ask again */
    if (!no_populate) {
        if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
            return;
        if (errno != EINVAL)
            return; /* out of memory: leave the pages to fault in later */
        no_populate = 1;
    }
    size_t page = ms_page_size();
    for (size_t off = 0; off < len; off += page)
        ((volatile char *)p)[off] = 0;
}

void ms_pages_discard(void *p, size_t len)
{
    if (len)
        (void)madvise(p, len, MADV_DONTNEED);
}

void ms_pages_unmap(void *p, size_t bytes)
{
    if (p && bytes) {
        (void)munmap(p, ms_page_round(bytes));
        ms_own_unmapped(p, ms_page_round(bytes));
    }
}
