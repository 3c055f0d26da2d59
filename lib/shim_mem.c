/*
 * shim_mem.c — the shim's own memory.
 *
 * The shim never takes memory from the allocator it watches (that would
 * recurse and distort the figures).  Its tables come from mmap, and every
 * byte mapped is counted by purpose so each dump can say what the profiler
 * itself costs (the map engine counts its own bytes the same way).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "pages.h"
#include "shim_mem.h"

static _Atomic uint64_t mapped[MS_MEM_KINDS];

void *ms_mem_map(size_t bytes, enum ms_mem_kind kind)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    atomic_fetch_add_explicit(&mapped[kind], bytes, memory_order_relaxed);
    ms_own_mapped(p, ms_page_round(bytes));
    return p;
}

void ms_mem_unmap(void *p, size_t bytes, enum ms_mem_kind kind)
{
    if (!p)
        return;
    munmap(p, bytes);
    ms_own_unmapped(p, ms_page_round(bytes));
    atomic_fetch_sub_explicit(&mapped[kind], bytes, memory_order_relaxed);
}

uint64_t ms_mem_bytes(enum ms_mem_kind kind)
{
    return atomic_load_explicit(&mapped[kind], memory_order_relaxed);
}

const char *ms_mem_kind_name(enum ms_mem_kind kind)
{
    static const char *const names[MS_MEM_KINDS] = {"stacks", "stack_cache", "sampler", "timeline",
                                                    "dump"};
    return names[kind];
}
