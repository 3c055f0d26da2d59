/*
 * test_shim_stack_table.c — stack deduplication: one id per distinct stack,
 * hash collisions told apart, the bound respected (overflow to stack 0),
 * and concurrent interning by several threads giving one id per stack.
 */
#include <check.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../check_run.h"
#include "stack_table.h"
#include "stacks.h"

#define MAX 300

START_TEST(dedup_collisions_bound)
{
    ck_assert_int_eq(ms_stack_table_init(MAX), 0);
    uintptr_t a[3] = {0x1000, 0x2000, 0x3000}, b[3] = {0x1000, 0x2000, 0x3001};
    uint32_t ia = ms_stack_intern(a, 3, ms_stack_hash(a, 3));
    uint32_t ib = ms_stack_intern(b, 3, ms_stack_hash(b, 3));
    ck_assert_uint_ne(ia, 0);
    ck_assert_uint_ne(ib, 0);
    ck_assert_uint_ne(ia, ib);
    ck_assert_uint_eq(ms_stack_intern(a, 3, ms_stack_hash(a, 3)), ia);
    /* Same hash, different frames: a different id; each found again. */
    uintptr_t c[2] = {0x77, 0x88};
    uint32_t ic = ms_stack_intern(c, 2, ms_stack_hash(a, 3));
    ck_assert_uint_ne(ic, ia);
    ck_assert_uint_eq(ms_stack_intern(c, 2, ms_stack_hash(a, 3)), ic);
    ck_assert_uint_eq(ms_stack_intern(a, 3, ms_stack_hash(a, 3)), ia);
    struct ms_stack_entry *e = ms_stack_entry(ic);
    ck_assert_uint_eq(e->nframes, 2);
    ck_assert_uint_eq(e->frames[1], 0x88);
    /* An empty stack is a stack too. */
    uint32_t ie = ms_stack_intern(NULL, 0, ms_stack_hash(NULL, 0));
    ck_assert_uint_ne(ie, 0);
    /* Fill to the bound: then new stacks are counted under id 0. */
    uint32_t last = 0;
    for (uintptr_t i = 0; i < 2 * MAX; i++) {
        uintptr_t f[1] = {0x10000 + i};
        last = ms_stack_intern(f, 1, ms_stack_hash(f, 1));
        ck_assert_uint_lt(last, MAX);
    }
    ck_assert_uint_eq(last, 0);
    ck_assert_uint_eq(ms_stack_count(), MAX);
    uint64_t dropped, bytes;
    ms_stack_table_stats(&dropped, &bytes);
    ck_assert_uint_gt(dropped, MAX - 10);
    /* Known stacks are still found when the table is full. */
    ck_assert_uint_eq(ms_stack_intern(b, 3, ms_stack_hash(b, 3)), ib);
    ck_assert_uint_eq(ms_stack_entry(0)->nframes, 0);
}
END_TEST

/* Two threads intern the same 200 stacks in opposite orders. */
static uint32_t ids[2][200];

static void *interner(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int k = 0; k < 200; k++) {
        int i = t ? 199 - k : k;
        uintptr_t f[4] = {0xabc000 + (uintptr_t)i, 0x1, 0x2, (uintptr_t)i * 7};
        ids[t][i] = ms_stack_intern(f, 4, ms_stack_hash(f, 4));
    }
    return NULL;
}

START_TEST(concurrent)
{
    ck_assert_int_eq(ms_stack_table_init(100000), 0);
    pthread_t a, b;
    pthread_create(&a, NULL, interner, (void *)0);
    pthread_create(&b, NULL, interner, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    for (int i = 0; i < 200; i++) {
        ck_assert_uint_ne(ids[0][i], 0);
        ck_assert_uint_eq(ids[0][i], ids[1][i]);
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(ids[0][i], ids[0][j]);
    }
    ck_assert_uint_eq(ms_stack_count(), 201);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shim_stack_table");
    TCase *tc = tcase_create("stack_table");
    tcase_add_test(tc, dedup_collisions_bound);
    tcase_add_test(tc, concurrent);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
