/*
 * test_shim_reach.c — the reachability scan's classification (reach_scan.c)
 * on synthetic heaps, where every kind is known by construction.
 *
 * Blocks are slices of one test array, roots another; the cases are
 * memcheck's rules: start pointers from roots reach, interior ones only
 * possibly; a possibly lost block passes "possibly" on; lost blocks form
 * cliques in address order (a chain: its head definitely lost, the rest
 * indirectly; a cycle: its lowest block definitely lost); block memory
 * inside a root range is not a root; a root word equal to glibc's
 * next-chunk position (tail) does not count.  Also the sort and lookup,
 * and the shim's own-range table (own_ranges.c) cutting ranges on partial
 * unmaps.
 */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../check_run.h"
#include "pages.h"
#include "reach.h"

#define NB 8
static uintptr_t heap[NB][8]; /* block i is heap[i], 64 bytes */
static uintptr_t roots[16];
static struct ms_rblock b[NB];
static uint32_t mark[2 * NB + 1];
static struct ms_rscan s;

static uintptr_t at(int i, int word)
{
    return (uintptr_t)&heap[i][word];
}

static void setup(void)
{
    memset(heap, 0, sizeof heap);
    memset(roots, 0, sizeof roots);
    for (int i = 0; i < NB; i++)
        b[i] = (struct ms_rblock){.addr = at(i, 0), .size = 64, .stack = (uint32_t)i};
    /* Given out of order: the scan sorts. */
    struct ms_rblock t = b[0];
    b[0] = b[5];
    b[5] = t;
    ms_reach_sort(b, NB);
    ms_reach_begin(&s, b, NB, mark);
}

static uint32_t kind(int i)
{
    long k = ms_reach_find(&s, at(i, 0));
    ck_assert_int_ge(k, 0);
    return s.b[k].kind;
}

static void scan(void)
{
    ms_reach_root_range(&s, (uintptr_t)roots, (uintptr_t)(roots + 16));
    ms_reach_finish(&s);
}

START_TEST(sort_and_find)
{
    for (int i = 1; i < NB; i++)
        ck_assert(s.b[i - 1].addr < s.b[i].addr);
    ck_assert_int_eq(ms_reach_find(&s, at(3, 0)), 3);
    ck_assert_int_eq(ms_reach_find(&s, at(3, 7) + 7), 3);
    ck_assert_int_eq(ms_reach_find(&s, at(0, 0) - 1), -1);
    ck_assert_int_eq(ms_reach_find(&s, at(NB - 1, 7) + 8), -1);
}
END_TEST

START_TEST(start_pointer_reaches_through_blocks)
{
    roots[3] = at(0, 0);
    heap[0][2] = at(1, 0); /* reachable -> start pointer -> reachable */
    heap[1][5] = at(2, 4); /* reachable -> interior -> possibly lost */
    heap[2][0] = at(3, 0); /* possibly lost -> start -> possibly lost */
    scan();
    ck_assert_uint_eq(kind(0), MS_RK_REACHABLE);
    ck_assert_uint_eq(kind(1), MS_RK_REACHABLE);
    ck_assert_uint_eq(kind(2), MS_RK_POSSIBLE);
    ck_assert_uint_eq(kind(3), MS_RK_POSSIBLE);
    ck_assert_uint_eq(kind(4), MS_RK_DEFINITE);
}
END_TEST

START_TEST(possible_rises_to_reachable)
{
    roots[0] = at(0, 1); /* interior first */
    roots[9] = at(0, 0); /* then the start: reachable after all */
    heap[0][0] = at(1, 0);
    scan();
    ck_assert_uint_eq(kind(0), MS_RK_REACHABLE);
    ck_assert_uint_eq(kind(1), MS_RK_REACHABLE);
}
END_TEST

START_TEST(lost_chain_and_cycle)
{
    /* chain 2 -> 3 -> 4, nothing points at 2 */
    heap[2][0] = at(3, 0);
    heap[3][1] = at(4, 6); /* interior counts among lost blocks */
    /* cycle 6 <-> 5 */
    heap[6][0] = at(5, 0);
    heap[5][0] = at(6, 0);
    scan();
    ck_assert_uint_eq(kind(2), MS_RK_DEFINITE);
    ck_assert_uint_eq(kind(3), MS_RK_INDIRECT);
    ck_assert_uint_eq(kind(4), MS_RK_INDIRECT);
    ck_assert_uint_eq(kind(5), MS_RK_DEFINITE); /* the lower address leads */
    ck_assert_uint_eq(kind(6), MS_RK_INDIRECT);
}
END_TEST

START_TEST(later_leader_absorbs_earlier)
{
    /* 1 is lost and leads first; 7 (higher) points to 1: 7 leads. */
    heap[1][0] = at(2, 0);
    heap[7][3] = at(1, 0);
    scan();
    ck_assert_uint_eq(kind(7), MS_RK_DEFINITE);
    ck_assert_uint_eq(kind(1), MS_RK_INDIRECT);
    ck_assert_uint_eq(kind(2), MS_RK_INDIRECT);
}
END_TEST

START_TEST(blocks_inside_a_root_range_are_not_roots)
{
    heap[4][0] = at(5, 0); /* block 4 is lost: its pointer must not count */
    roots[0] = at(6, 0);
    ms_reach_root_range(&s, (uintptr_t)heap, (uintptr_t)(heap + NB));
    ms_reach_finish(&s);
    ck_assert_uint_eq(kind(5), MS_RK_INDIRECT);
    ck_assert_uint_eq(kind(6), MS_RK_DEFINITE); /* roots[] was not scanned */
}
END_TEST

static uintptr_t tail_of(const struct ms_rblock *blk)
{
    return blk->addr + blk->size - 8;
}

START_TEST(glibc_tail_word_is_ignored)
{
    s.tail = tail_of;
    roots[0] = at(2, 7); /* the next chunk's header */
    roots[1] = at(3, 6); /* any other interior pointer */
    scan();
    ck_assert_uint_eq(kind(2), MS_RK_DEFINITE);
    ck_assert_uint_eq(kind(3), MS_RK_POSSIBLE);
}
END_TEST

START_TEST(register_words_and_zero_sized_blocks)
{
    b[4].size = 0; /* a malloc(0) block: only its exact address refers to it */
    ms_reach_begin(&s, b, NB, mark);
    ms_reach_root_word(&s, at(4, 0));
    ms_reach_root_word(&s, at(5, 1));
    ms_reach_finish(&s);
    ck_assert_uint_eq(kind(4), MS_RK_REACHABLE);
    ck_assert_uint_eq(kind(5), MS_RK_POSSIBLE);
}
END_TEST

START_TEST(own_ranges_are_cut_by_partial_unmaps)
{
    uintptr_t r[8][2];
    bool complete;
    ms_own_mapped((void *)0x10000, 0x5000);
    ms_own_mapped((void *)0x40000, 0x1000);
    ms_own_unmapped((void *)0x12000, 0x1000); /* a hole: two pieces */
    ms_own_unmapped((void *)0x10000, 0x1000); /* the first page */
    ms_own_unmapped((void *)0x40000, 0x1000); /* all of the second */
    size_t n = ms_own_ranges(r, 8, &complete);
    ck_assert(complete);
    ck_assert_uint_eq(n, 2);
    uintptr_t lo0 = r[0][0] < r[1][0] ? 0 : 1;
    ck_assert_uint_eq(r[lo0][0], 0x11000);
    ck_assert_uint_eq(r[lo0][1], 0x12000);
    ck_assert_uint_eq(r[1 - lo0][0], 0x13000);
    ck_assert_uint_eq(r[1 - lo0][1], 0x15000);
    ck_assert_uint_eq(ms_own_ranges(r, 1, &complete), 1);
    ck_assert(!complete); /* more than asked for */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("shim_reach");
    TCase *tc = tcase_create("reach");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, sort_and_find);
    tcase_add_test(tc, start_pointer_reaches_through_blocks);
    tcase_add_test(tc, possible_rises_to_reachable);
    tcase_add_test(tc, lost_chain_and_cycle);
    tcase_add_test(tc, later_leader_absorbs_earlier);
    tcase_add_test(tc, blocks_inside_a_root_range_are_not_roots);
    tcase_add_test(tc, glibc_tail_word_is_ignored);
    tcase_add_test(tc, register_words_and_zero_sized_blocks);
    tcase_add_test(tc, own_ranges_are_cut_by_partial_unmaps);
    suite_add_tcase(su, tc);
    return ms_check_run(su, 0);
}
