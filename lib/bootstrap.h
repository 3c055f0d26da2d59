/*
 * bootstrap.h — the real allocator and the static buffer used before it is known (bootstrap.c).
 */
#ifndef MS_BOOTSTRAP_H
#define MS_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct ms_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
};
extern struct ms_real ms_real;

/* Resolve ms_real (idempotent; safe to call recursively from dlsym). */
void ms_real_resolve(void);
/* The static buffer used before the real allocator is known. */
#define MS_BOOT_SIZE (64u * 1024u)
extern unsigned char ms_boot_buf[MS_BOOT_SIZE];
void *ms_bootstrap_alloc(size_t size, size_t align);
static inline bool ms_bootstrap_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)ms_boot_buf < MS_BOOT_SIZE;
}
size_t ms_bootstrap_size(const void *p);

#pragma GCC visibility pop

#endif /* MS_BOOTSTRAP_H */
