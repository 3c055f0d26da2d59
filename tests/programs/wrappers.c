/*
 * wrappers.c — leaks through allocation wrappers, for --alloc-fn.
 *
 *   xmalloc       a wrapper of the default list (gnulib's name)
 *   my_alloc      the program's own wrapper, reached through my_pool_get
 *                 (two wrapper frames deep)
 *   two_ways      a wrapper with two malloc calls in it: once its frame is
 *                 taken off, both stacks are the same stack
 *
 * Leaks: leak_x 3 x 100 via xmalloc, leak_pool 2 x 200 via my_pool_get,
 * leak_two 4 x 300 via two_ways (2 through each call).  Used by
 * tests/shim/alloc_fn.sh; prints nothing unless something fails.
 */
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

__attribute__((noinline)) void *my_alloc(size_t n)
{
    return malloc(n);
}

__attribute__((noinline)) void *my_pool_get(size_t n)
{
    return my_alloc(n);
}

__attribute__((noinline)) void *two_ways(size_t n, int zero)
{
    if (zero)
        return calloc(1, n);
    return malloc(n);
}

__attribute__((noinline)) static void leak_x(void)
{
    for (int i = 0; i < 3; i++)
        sink = xmalloc(100);
}

__attribute__((noinline)) static void leak_pool(void)
{
    for (int i = 0; i < 2; i++)
        sink = my_pool_get(200);
}

__attribute__((noinline)) static void leak_two(void)
{
    for (int i = 0; i < 4; i++)
        sink = two_ways(300, i & 1);
}

int main(void)
{
    leak_x();
    leak_pool();
    leak_two();
    return 0;
}
