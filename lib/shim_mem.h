/*
 * shim_mem.h — the shim's own memory: mmap'd, counted, never from malloc (shim_mem.c).
 */
#ifndef MS_SHIM_MEM_H
#define MS_SHIM_MEM_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* The shim's own memory: mmap'd, counted, never from malloc. */
enum ms_mem_kind {
    MS_MEM_STACKS,  /* stack table: frames and counters */
    MS_MEM_CACHE,   /* per-thread stack caches, unwind rules */
    MS_MEM_SAMPLER, /* unsampled-free filter */
    MS_MEM_TIMELINE,
    MS_MEM_DUMP, /* dump buffers and scratch */
    MS_MEM_KINDS
};
void *ms_mem_map(size_t bytes, enum ms_mem_kind kind);
void ms_mem_unmap(void *p, size_t bytes, enum ms_mem_kind kind);
uint64_t ms_mem_bytes(enum ms_mem_kind kind);
const char *ms_mem_kind_name(enum ms_mem_kind kind);

#pragma GCC visibility pop

#endif /* MS_SHIM_MEM_H */
