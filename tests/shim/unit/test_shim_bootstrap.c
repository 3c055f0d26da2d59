/*
 * test_shim_bootstrap.c — blocks of the bootstrap buffer (lib/bootstrap.c).
 *
 * Before the real allocator is known, the shim serves allocations from a
 * static buffer.  The shim does not interpose malloc_usable_size (a program
 * that accounts its memory by it, like redis-server, would pay a crossing
 * per call), so the real allocator's may be asked about such a block: each
 * carries the size field of a glibc chunk marked mmapped, from which
 * glibc's malloc_usable_size answers without reading anything else.  The
 * shim itself still needs the exact size (realloc of a bootstrap block).
 */
#include <check.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "../../check_run.h"
#include "bootstrap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

START_TEST(sizes_and_alignment)
{
    const size_t sizes[] = {0, 1, 15, 16, 17, 32, 100, 1000, 4097};
    const size_t aligns[] = {8, 16, 64, 256};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof aligns / sizeof aligns[0]; j++) {
            size_t n = sizes[i], a = aligns[j];
            unsigned char *p = ms_bootstrap_alloc(n, a);
            ck_assert_ptr_nonnull(p);
            ck_assert(ms_bootstrap_owns(p));
            ck_assert_uint_eq((uintptr_t)p % (a < 16 ? 16 : a), 0);
            ck_assert_uint_eq(ms_bootstrap_size(p), n);
            memset(p, 0xab, n); /* the block is all the caller's */
            ck_assert_uint_eq(ms_bootstrap_size(p), n);
        }
}
END_TEST

/* The word before a block is a glibc chunk size field: the usable size
 * rounded up to 16, plus the 16-byte chunk header, IS_MMAPPED (2) set,
 * the other two flag bits clear. */
START_TEST(glibc_chunk_field)
{
    const size_t sizes[] = {0, 1, 24, 33, 1000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = ms_bootstrap_alloc(sizes[i], 16);
        ck_assert_ptr_nonnull(p);
        size_t field;
        memcpy(&field, p - sizeof(size_t), sizeof field);
        size_t usable = (sizes[i] + 15) & ~(size_t)15;
        ck_assert_uint_eq(field & 7, 2);
        ck_assert_uint_eq((field & ~(size_t)7) - 16, usable);
#ifndef UNDER_ASAN
        /* glibc's own answer (ASan's interceptor would refuse a pointer it
         * did not hand out). */
        ck_assert_uint_eq(malloc_usable_size(p), usable);
#endif
    }
}
END_TEST

int main(void)
{
    const TTest *tests[] = {sizes_and_alignment, glibc_chunk_field};
    Suite *s = suite_create("shim_bootstrap");
    ms_check_case(s, "blocks", NULL, NULL, tests, sizeof tests / sizeof *tests);
    return ms_check_run(s, 1);
}
