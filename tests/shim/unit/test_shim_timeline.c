/*
 * test_shim_timeline.c — the timeline stays bounded and loses nothing.
 *
 * Merging pairs must keep the later point's time and live figures and add
 * up the allocation figures; a table that overflows must halve (interval
 * doubled, points in order, none lost in the sums); a read with a time
 * appends the point at that time without keeping it.
 */
#include <check.h>
#include <stdint.h>

#include "../../check_run.h"
#include "lifecycle.h"
#include "timeline.h"

#define MS 1000000ull

START_TEST(halve_keeps_later_live_and_sums_allocations)
{
    struct ms_timeline_point p[6];
    for (unsigned i = 0; i < 6; i++)
        p[i] = (struct ms_timeline_point){(i + 1) * 10, 100 + i, 10 + i, i + 1, 1000 * (i + 1)};
    ms_timeline_halve(p, 6);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(p[i].t_ns, (2 * i + 2) * 10);
        ck_assert_uint_eq(p[i].live_bytes, 100 + 2 * i + 1);
        ck_assert_uint_eq(p[i].live_blocks, 10 + 2 * i + 1);
        ck_assert_uint_eq(p[i].allocs, (2 * i + 1) + (2 * i + 2));
        ck_assert_uint_eq(p[i].bytes, 1000 * ((2 * i + 1) + (2 * i + 2)));
    }
}
END_TEST

struct seen {
    unsigned n;
    uint64_t last_t;
    int ordered;
};

static void visit(const struct ms_timeline_point *p, void *ctx)
{
    struct seen *s = ctx;
    if (s->n && p->t_ns <= s->last_t)
        s->ordered = 0;
    s->last_t = p->t_ns;
    s->n++;
}

START_TEST(full_table_halves_and_doubles_the_interval)
{
    ms_start_mono_ns = 1000 * MS;
    ck_assert_int_eq(ms_timeline_init(10 * MS), 0);
    const unsigned ticks = 8192 + 100;
    for (unsigned i = 1; i <= ticks; i++)
        ms_timeline_tick(ms_start_mono_ns + i * 10 * MS);
    struct seen s = {0, 0, 1};
    uint64_t iv = ms_timeline_read(visit, &s, 0);
    ck_assert_uint_eq(iv, 20 * MS);
    ck_assert_uint_eq(s.n, 4096 + 100);
    ck_assert(s.ordered);
    ck_assert_uint_eq(s.last_t, ticks * 10 * MS);
    /* With a time: one more point, at that time, not kept. */
    struct seen f = {0, 0, 1};
    ms_timeline_read(visit, &f, ms_start_mono_ns + ticks * 10 * MS + 3 * MS);
    ck_assert_uint_eq(f.n, s.n + 1);
    ck_assert_uint_eq(f.last_t, ticks * 10 * MS + 3 * MS);
    ck_assert(f.ordered);
    struct seen again = {0, 0, 1};
    ms_timeline_read(visit, &again, 0);
    ck_assert_uint_eq(again.n, s.n);
    /* A time not after the last point adds nothing. */
    struct seen same = {0, 0, 1};
    ms_timeline_read(visit, &same, ms_start_mono_ns + ticks * 10 * MS);
    ck_assert_uint_eq(same.n, s.n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shim_timeline");
    TCase *tc = tcase_create("timeline");
    tcase_add_test(tc, halve_keeps_later_live_and_sums_allocations);
    tcase_add_test(tc, full_table_halves_and_doubles_the_interval);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
