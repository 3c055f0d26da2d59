/*
 * hooks.h — the recording allocation functions the exported ones jump to (hooks.c).
 */
#ifndef MS_HOOKS_H
#define MS_HOOKS_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/* What the exported functions (interpose.c) jump to when they do not
 * finish a call themselves: the recording versions. */
void *ms_hook_malloc(size_t size);
void ms_hook_free(void *p);
void *ms_hook_calloc(size_t n, size_t size);
void *ms_hook_realloc(void *p, size_t size);
void *ms_hook_reallocarray(void *p, size_t n, size_t size);
int ms_hook_posix_memalign(void **out, size_t align, size_t size);
void *ms_hook_aligned_alloc(size_t align, size_t size);
void *ms_hook_memalign(size_t align, size_t size);
void *ms_hook_valloc(size_t size);
void *ms_hook_pvalloc(size_t size);

#pragma GCC visibility pop

#endif /* MS_HOOKS_H */
