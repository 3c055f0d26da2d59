/*
 * pages.h — the map engine's only contact with the kernel's memory
 * management: anonymous page mappings for bucket arrays and arena chunks.
 *
 * Kept in one place so every mapping gets the same treatment (no huge
 * pages, see pages.c) and the engine's byte accounting matches what it
 * asked the kernel for.
 */
#ifndef MS_PAGES_H
#define MS_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The page size (sysconf once, then cached). */
size_t ms_page_size(void);
/* bytes rounded up to a whole number of pages. */
size_t ms_page_round(size_t bytes);
/* A zero-filled private anonymous mapping of ms_page_round(bytes) bytes, or
 * NULL.  Pages are faulted in lazily, on first touch. */
void *ms_pages_map(size_t bytes);
/* Fault in [p, p + len) (page-aligned) now, writable, so that later first
 * touches cost nothing: MADV_POPULATE_WRITE where the kernel has it (5.14+),
 * else a write to each page. */
void ms_pages_populate(void *p, size_t len);
/* Give the pages of [p, p + len) (page-aligned) back to the kernel now
 * (MADV_DONTNEED), keeping the address range mapped (it reads as zeros). */
void ms_pages_discard(void *p, size_t len);
/* Unmap [p, p + ms_page_round(bytes)).  p must be page-aligned. */
void ms_pages_unmap(void *p, size_t bytes);

/* The shim's own memory (own_ranges.c): every mapping made by this file or
 * by shim_mem.c is noted, so the reachability scan never reads the books
 * as roots.  ms_own_ranges copies at most max ranges into out and says
 * whether that is all of them. */
void ms_own_mapped(const void *p, size_t len);
void ms_own_unmapped(const void *p, size_t len);
size_t ms_own_ranges(uintptr_t (*out)[2], size_t max, bool *complete);
/* In a child made without fork handlers: the lock may be held by a thread
 * that does not exist there. */
void ms_own_after_fork(void);

#endif /* MS_PAGES_H */
