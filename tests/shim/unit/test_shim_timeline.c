/*
 * test_shim_timeline.c — the timeline stays bounded and loses nothing.
 *
 * Merging pairs must keep the later point's time and live figures and add
 * up the allocation figures; a table that overflows must halve (interval
 * doubled, points in order, none lost in the sums); a read with a time
 * appends the point at that time without keeping it; a point that repeats
 * the previous one is not kept, but the last of such a flat stretch is,
 * once something changes.
 */
#include <check.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../../check_run.h"
#include "books.h"
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

/* The books' totals gain one allocation of 16 bytes (a retired thread's
 * figures), so the next point differs from the last. */
static void allocate_one(void)
{
    struct ms_tcount c = {0};
    atomic_store(&c.v[MS_TC_ALLOCS], 1);
    atomic_store(&c.v[MS_TC_BYTES_ALLOC], 16);
    ms_tcount_retire(&c);
}

struct pts {
    unsigned n;
    struct ms_timeline_point p[8];
};

static void keep(const struct ms_timeline_point *p, void *ctx)
{
    struct pts *s = ctx;
    if (s->n < 8)
        s->p[s->n] = *p;
    s->n++;
}

START_TEST(repeated_points_are_not_kept_but_a_flat_stretch_ends_with_one)
{
    ms_start_mono_ns = 1000 * MS;
    ck_assert_int_eq(ms_timeline_init(10 * MS), 0);
    allocate_one();
    ck_assert(ms_timeline_tick(ms_start_mono_ns + 10 * MS));
    ck_assert(!ms_timeline_tick(ms_start_mono_ns + 20 * MS));
    ck_assert(!ms_timeline_tick(ms_start_mono_ns + 30 * MS));
    struct pts s = {0};
    ms_timeline_read(keep, &s, 0);
    ck_assert_uint_eq(s.n, 1);
    allocate_one();
    allocate_one();
    ck_assert(ms_timeline_tick(ms_start_mono_ns + 40 * MS));
    s.n = 0;
    ms_timeline_read(keep, &s, 0);
    ck_assert_uint_eq(s.n, 3);
    /* flat until the last quiet look (30 ms), then the change */
    ck_assert_uint_eq(s.p[1].t_ns, 30 * MS);
    ck_assert_uint_eq(s.p[1].live_bytes, s.p[0].live_bytes);
    ck_assert_uint_eq(s.p[1].live_blocks, s.p[0].live_blocks);
    ck_assert_uint_eq(s.p[1].allocs, 0);
    ck_assert_uint_eq(s.p[2].t_ns, 40 * MS);
    ck_assert_uint_eq(s.p[2].allocs, 2);
    ck_assert_uint_eq(s.p[2].bytes, 32);
    ck_assert_uint_eq(s.p[2].live_bytes, s.p[0].live_bytes + 32);
}
END_TEST

START_TEST(full_table_halves_and_doubles_the_interval)
{
    ms_start_mono_ns = 1000 * MS;
    ck_assert_int_eq(ms_timeline_init(10 * MS), 0);
    const unsigned ticks = 8192 + 100;
    for (unsigned i = 1; i <= ticks; i++) {
        allocate_one();
        ms_timeline_tick(ms_start_mono_ns + i * 10 * MS);
    }
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
    const TTest *tests[] = {halve_keeps_later_live_and_sums_allocations,
                            full_table_halves_and_doubles_the_interval,
                            repeated_points_are_not_kept_but_a_flat_stretch_ends_with_one};
    Suite *s = suite_create("shim_timeline");
    ms_check_case(s, "timeline", NULL, NULL, tests, sizeof tests / sizeof *tests);
    return ms_check_run(s, 0);
}
