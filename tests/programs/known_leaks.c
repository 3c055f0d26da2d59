/*
 * known_leaks.c — a program whose heap history is known exactly.
 *
 * Used by the shim's end-to-end tests (and by the report's): run it under
 * libmapscope.so and every figure in the dump can be checked.  Each
 * function below makes its allocation calls from exactly one call site, so
 * each function is one stack, named by the function.  It prints nothing.
 *
 * Expected per stack (see tests/shim/known_leaks.expected):
 *   kl_leak_malloc          3 x malloc(24), leaked
 *   kl_leak_calloc          5 x calloc(4, 10), leaked
 *   kl_leak_memalign        2 x posix_memalign(64, 100), leaked
 *   kl_leak_aligned_alloc   1 x aligned_alloc(256, 512), leaked
 *   kl_chain_start          malloc(10)            } one block reallocated
 *   kl_chain_grow           realloc(p, 100)       } twice; the last
 *   kl_chain_leak           realloc(p, 1000)      } block (1000 B) leaks
 *   kl_freed_correctly      100 x malloc(64) + free
 *   kl_zero_malloc          malloc(50), then kl_zero_realloc: realloc(p, 0) frees it
 *   kl_null_realloc         realloc(NULL, 30), freed
 *   kl_memalign             memalign(32, 40), freed
 *   kl_valloc               valloc(100), freed after kl_memalign's block (so not
 *                           a temporary: a free came between, heaptrack's rule)
 *   kl_fail_malloc          malloc(huge) -> NULL
 *   kl_fail_calloc          calloc(SIZE_MAX, 2) -> NULL (overflow)
 *   kl_fail_memalign        posix_memalign(&p, 3, 10) -> EINVAL
 *   kl_fail_reallocarray    reallocarray(NULL, SIZE_MAX, 2) -> NULL
 *   kl_peak                 malloc(100000), freed: the global peak is
 *                           all the leaks above plus this block
 * free(NULL) is called too (it counts as nothing).
 *
 * Built without inlining or sibling calls so that each function keeps its
 * own frame (and with frame pointers, so MAPSCOPE_UNWIND=fp sees the same
 * stacks).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KL __attribute__((noinline, used))

/* Keeps blocks reachable (they are leaked all the same: never freed) and
 * stops the compiler from dropping allocations. */
void *volatile kl_sink[64];
static int sink_n;

/* Loop bounds the compiler cannot see, so no loop is unrolled into
 * several call sites. */
volatile int kl_three = 3, kl_five = 5, kl_two = 2, kl_hundred = 100;

static void keep(void *p)
{
    kl_sink[sink_n++ & 63] = p;
}

KL void kl_leak_malloc(void)
{
    for (int i = 0; i < kl_three; i++)
        keep(malloc(24));
}

KL void kl_leak_calloc(void)
{
    for (int i = 0; i < kl_five; i++)
        keep(calloc(4, 10));
}

KL void kl_leak_memalign(void)
{
    for (int i = 0; i < kl_two; i++) {
        void *p = NULL;
        if (posix_memalign(&p, 64, 100) == 0)
            keep(p);
    }
}

KL void kl_leak_aligned_alloc(void)
{
    keep(aligned_alloc(256, 512));
}

KL void *kl_chain_start(void)
{
    return malloc(10);
}

KL void *kl_chain_grow(void *p)
{
    return realloc(p, 100);
}

KL void *kl_chain_leak(void *p)
{
    return realloc(p, 1000);
}

KL void kl_freed_correctly(void)
{
    for (int i = 0; i < kl_hundred; i++) {
        char *p = malloc(64);
        if (p)
            memset(p, i, 64);
        keep(p);
        free(p);
    }
}

KL void *kl_zero_malloc(void)
{
    return malloc(50);
}

KL void *kl_zero_realloc(void *p)
{
    return realloc(p, 0); /* glibc: frees p, returns NULL */
}

KL void *kl_null_realloc(void)
{
    return realloc(NULL, 30);
}

KL void *kl_memalign(void)
{
    return memalign(32, 40);
}

KL void *kl_valloc(void)
{
    return valloc(100);
}

KL void *kl_fail_malloc(void)
{
    volatile size_t huge = SIZE_MAX / 2;
    return malloc(huge);
}

KL void *kl_fail_calloc(void)
{
    volatile size_t n = SIZE_MAX;
    return calloc(n, 2);
}

KL int kl_fail_memalign(void)
{
    void *p = NULL;
    volatile size_t align = 3;
    return posix_memalign(&p, align, 10);
}

KL void *kl_fail_reallocarray(void)
{
    volatile size_t n = SIZE_MAX;
    return reallocarray(NULL, n, 2);
}

KL void kl_peak(void)
{
    char *p = malloc(100000);
    if (p)
        p[0] = 1;
    keep(p);
    free(p);
}

int main(void)
{
    kl_leak_malloc();
    kl_leak_calloc();
    kl_leak_memalign();
    kl_leak_aligned_alloc();
    keep(kl_chain_leak(kl_chain_grow(kl_chain_start())));
    kl_freed_correctly();
    void *z = kl_zero_malloc();
    if (kl_zero_realloc(z) != NULL)
        return 10;
    void *n = kl_null_realloc();
    free(n);
    void *m = kl_memalign(), *v = kl_valloc();
    free(m);
    free(v);
    if (kl_fail_malloc() != NULL || kl_fail_calloc() != NULL || kl_fail_memalign() != EINVAL ||
        kl_fail_reallocarray() != NULL)
        return 11;
    free(NULL);
    kl_peak();
    return 0;
}
