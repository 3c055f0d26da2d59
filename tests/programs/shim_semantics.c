/*
 * shim_semantics.c — the allocation functions keep glibc's semantics.
 *
 * Run natively and under libmapscope.so by tests/shim/semantics.sh; both
 * runs must print the same single line ("semantics: ok") and exit 0.
 * Everything allocated is freed, so the dump must show nothing in use.
 * Counting, as valgrind does: 12 allocations from main (one of them
 * 300 MiB, which takes the shim's big-block path), 12 frees, 4 failed
 * calls (plus stdio's buffer for the output line, allocated in puts).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
void *volatile sink; /* keeps the compiler from eliding malloc/free pairs */

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("semantics: FAILED line %d: %s\n", __LINE__, #cond);                            \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main(void)
{
    /* malloc(0) gives a unique pointer; free(NULL) does nothing. */
    void *z = malloc(0);
    sink = z;
    CHECK(z != NULL);
    free(z);
    free(NULL);

    /* errno survives successful calls. */
    errno = 1234;
    void *p = malloc(100);
    sink = p;
    free(p);
    CHECK(errno == 1234);

    /* calloc zeroes; overflow is ENOMEM. */
    unsigned char *c = calloc(10, 10);
    CHECK(c != NULL);
    int zero = 1;
    for (int i = 0; i < 100; i++)
        zero &= c[i] == 0;
    CHECK(zero);
    free(c);
    errno = 0;
    volatile size_t huge = SIZE_MAX / 2 + 2;
    CHECK(calloc(huge, 2) == NULL && errno == ENOMEM);

    /* realloc(NULL, n) allocates; contents survive growth; realloc(p, 0)
     * frees and returns NULL (glibc). */
    char *r = realloc(NULL, 16);
    CHECK(r != NULL);
    memcpy(r, "0123456789abcde", 16);
    r = realloc(r, 4000);
    CHECK(r != NULL && memcmp(r, "0123456789abcde", 16) == 0);
    CHECK(realloc(r, 0) == NULL);

    /* reallocarray: overflow leaves the block alone and says ENOMEM. */
    char *ra = reallocarray(NULL, 8, 8);
    CHECK(ra != NULL);
    ra[0] = 'x';
    errno = 0;
    volatile size_t many = SIZE_MAX / 4;
    CHECK(reallocarray(ra, many, 8) == NULL && errno == ENOMEM && ra[0] == 'x');
    free(ra);

    /* posix_memalign reports errors by return value, not errno. */
    void *a = NULL;
    errno = 77;
    CHECK(posix_memalign(&a, 3, 10) == EINVAL && errno == 77 && a == NULL);
    CHECK(posix_memalign(&a, 64, 10) == 0 && ((uintptr_t)a & 63) == 0);
    free(a);

    /* The other aligned allocators. */
    void *al = aligned_alloc(128, 256);
    CHECK(al && ((uintptr_t)al & 127) == 0);
    free(al);
    void *m = memalign(32, 40);
    CHECK(m && ((uintptr_t)m & 31) == 0);
    free(m);
    void *v = valloc(10);
    CHECK(v && ((uintptr_t)v & 4095) == 0);
    free(v);
    void *pv = pvalloc(10);
    CHECK(pv && ((uintptr_t)pv & 4095) == 0 && malloc_usable_size(pv) >= 4096);
    free(pv);

    /* A failed malloc is NULL + ENOMEM. */
    errno = 0;
    volatile size_t too_big = SIZE_MAX - 4096;
    CHECK(malloc(too_big) == NULL && errno == ENOMEM);

    /* A block too big for the packed size field (>= 256 MiB). */
    char *big = malloc(300u << 20);
    CHECK(big != NULL);
    big[0] = 1;
    big[(300u << 20) - 1] = 2;
    CHECK(malloc_usable_size(big) >= (300u << 20));
    free(big);

    if (failures)
        return 1;
    printf("semantics: ok\n");
    return 0;
}
