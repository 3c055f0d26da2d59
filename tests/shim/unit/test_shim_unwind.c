/*
 * test_shim_unwind.c — the cached DWARF walk gives libunwind's stacks.
 *
 * The DWARF walker (unwind_dwarf.c, with rules read by libdw in cfi.c) is
 * the shim's default; its output must be what libunwind's unw_backtrace
 * gives for the same frame, through plain calls, deep recursion, callbacks
 * from libc (qsort) and threads — walked with libdw's rules, not handed to
 * libunwind — and through a signal handler (where the walker must hand over
 * to libunwind at the signal frame).  The validated stack cache must reuse
 * a walk only when the stack is really the same.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../check_run.h"
#include "cfi.h"
#include "guard.h"
#include "lifecycle.h"
#include "shim_config.h"
#include "stacks.h"
#include "unwind.h"

static int checks;

/* How the walk is expected to go: with libdw's rules all the way, or
 * handed to libunwind at some frame. */
static bool expect_fallback;

/* Walk from the caller of this function with both walkers; they must agree
 * frame for frame (libunwind's list is truncated to the same depth). */
__attribute__((noinline)) static void compare_here(void)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    uintptr_t a[MS_DEPTH_MAX], b[MS_DEPTH_MAX];
    struct ms_walk_trace t;
    unsigned na = ms_unwind_dwarf(&f, a, 64, &t);
    unsigned nb = ms_unwind_lu(&f, b, 64);
    ck_assert_msg(t.fell_back == expect_fallback, "walk %s libunwind",
                  expect_fallback ? "should have been handed to" : "was handed to");
    ck_assert_uint_ge(na, 2);
    ck_assert_uint_eq(na, nb);
    for (unsigned i = 0; i < na; i++)
        ck_assert_msg(a[i] == b[i], "frame %u: dwarf %#lx libunwind %#lx", i, (unsigned long)a[i],
                      (unsigned long)b[i]);
    checks++;
}

__attribute__((noinline)) static int recurse(int n)
{
    if (n == 0) {
        compare_here();
        return 0;
    }
    int r = recurse(n - 1) + 1;
    __asm__ volatile("" ::: "memory");
    return r;
}

static int cmp(const void *x, const void *y)
{
    static int once;
    if (!once++)
        compare_here();
    return *(const int *)x - *(const int *)y;
}

static void setup(void)
{
    ms_start();
    ck_assert_int_eq(ms_unwind_lu_load(), 0);
    ck_assert_int_eq(ms_cfi_load(), 0);
}

START_TEST(plain_and_recursive)
{
    setup();
    compare_here();
    recurse(5);
    recurse(100); /* deeper than 64: both truncate at 64 */
    ck_assert_int_eq(checks, 3);
}
END_TEST

START_TEST(through_libc_callback)
{
    setup();
    int v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    qsort(v, 64, sizeof v[0], cmp);
    ck_assert_int_eq(checks, 1);
}
END_TEST

static void *thread_main(void *arg)
{
    recurse(3);
    return arg;
}

START_TEST(in_a_thread)
{
    setup();
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    ck_assert_int_eq(checks, 1);
}
END_TEST

static void on_usr1(int sig)
{
    (void)sig;
    compare_here();
}

START_TEST(in_a_signal_handler)
{
    setup();
    expect_fallback = true;
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    ck_assert_int_eq(checks, 1);
}
END_TEST

__attribute__((noinline)) static uint32_t id_here(void)
{
    struct ms_frame0 f = MS_CALLER_FRAME();
    return ms_stack_id(&f);
}

/* One call site of id_here, so callers differ only deeper in the stack. */
__attribute__((noinline)) static uint32_t common(void)
{
    uint32_t r = id_here();
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline)) static uint32_t via_a(void)
{
    uint32_t r = common();
    __asm__ volatile("" ::: "memory");
    return r;
}

__attribute__((noinline)) static uint32_t via_b(void)
{
    uint32_t r = common();
    __asm__ volatile("" ::: "memory");
    return r;
}

START_TEST(validated_cache)
{
    setup();
    uint64_t h0, m0, th, h1, m1;
    ms_stack_cache_counts(&h0, &m0, &th);
    /* via_a and via_b reach id_here through common() at the same depth,
     * so with the same (ip, sp): only the validation tells them apart. */
    uint32_t a[2], b[2];
    for (volatile int i = 0; i < 2; i++) { /* one call site each */
        a[i] = via_a();
        b[i] = via_b();
    }
    uint32_t a1 = a[0], a2 = a[1], b1 = b[0], b2 = b[1];
    ms_stack_cache_counts(&h1, &m1, &th);
    ck_assert_uint_ne(a1, 0);
    ck_assert_uint_ne(a1, b1);
    ck_assert_uint_eq(a1, a2);
    ck_assert_uint_eq(b1, b2);
    ck_assert_uint_eq(m1 - m0, 2);
    ck_assert_uint_eq(h1 - h0, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shim_unwind");
    TCase *tc = tcase_create("unwind");
    tcase_add_test(tc, plain_and_recursive);
    tcase_add_test(tc, through_libc_callback);
    tcase_add_test(tc, in_a_thread);
    tcase_add_test(tc, in_a_signal_handler);
    tcase_add_test(tc, validated_cache);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
