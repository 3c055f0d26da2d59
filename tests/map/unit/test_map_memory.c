/*
 * test_map_memory.c — the map engine gives memory back: the old bucket
 * array shrinks as evacuation passes it and is gone when the growth
 * completes, a clear leaves one small array, destroy leaves nothing, and
 * the kernel agrees (resident set and address space measured from /proc,
 * not only the engine's own counters).
 */
#include "map_test_util.h"

#include <stdio.h>
#include <unistd.h>

/* A field of /proc/self/status, in KiB. */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    fclose(f);
    ck_assert_int_ge(v, 0);
    return v;
}

static uint64_t page_round(uint64_t n)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

/* Map a fresh map is at after `count` inserts: doublings happen at
 * 6.5 * 2^B entries (13 * 2^(B-1)). */
#define GROW_AT(B) (13ull << ((B)-1))

/* Fill until the doubling from B = 14 to 15 has started (the old array,
 * 2.3 MB, has its own mapping). */
static ms_map *map_mid_doubling(struct ref *r, uint64_t *next)
{
    ms_map *m = ms_map_create_seeded(8, 8, 0, 3);
    for (*next = 0; *next <= GROW_AT(14); (*next)++)
        both_put(m, r, *next, *next);
    ck_assert(ms_map_maintain(m, 0)); /* growing */
    return m;
}

START_TEST(old_array_released_progressively)
{
    struct ref r;
    ref_init(&r, 1u << 20);
    uint64_t next;
    ms_map *m = map_mid_doubling(&r, &next);
    struct ms_map_stats st = stats_of(m);
    ck_assert(st.growing && !st.same_size_growing);
    uint64_t nold = 1ull << st.oldB, old_bytes = nold * 144;
    ck_assert_uint_ge(st.bytes_old, old_bytes - 4096);
    uint64_t last = st.bytes_old;
    long rss_start = status_kb("VmRSS");
    /* Walk the growth in quarters: what is left of the old array shrinks
     * with it (to within a release step and a page). */
    for (int q = 1; q < 4; q++) {
        while (stats_of(m).nevacuate < nold * q / 4)
            ck_assert(ms_map_maintain(m, 64));
        st = stats_of(m);
        uint64_t left = (nold - st.nevacuate) * 144;
        ck_assert_uint_lt(st.bytes_old, last);
        /* Three regions (tophash words, overflow words, data), each behind
         * by at most a release step, a partial page and its page rounding. */
        ck_assert_uint_le(st.bytes_old, left + 3 * (16384 + 8192));
        ck_assert_uint_ge(st.bytes_old, left);
        last = st.bytes_old;
    }
    drive_to_completion(m);
    st = stats_of(m);
    ck_assert(!st.growing);
    ck_assert_uint_eq(st.bytes_old, 0);
    /* The kernel saw the old array go: resident memory fell by most of it
     * (the new array was faulted in before the growth started). */
    long rss_end = status_kb("VmRSS");
    ck_assert_int_le(rss_end, rss_start - (long)(old_bytes / 1024) * 3 / 4);
    assert_consistent(m);
    assert_same(m, &r);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(bytes_drop_after_growth_and_clear)
{
    struct ref r;
    ref_init(&r, 1u << 20);
    long vm_before = status_kb("VmSize");
    uint64_t next;
    ms_map *m = map_mid_doubling(&r, &next);
    struct ms_map_stats during = stats_of(m);
    drive_to_completion(m);
    struct ms_map_stats after = stats_of(m);
    ck_assert_uint_lt(after.bytes_total, during.bytes_total);
    ck_assert_uint_eq(after.bytes_total, after.bytes_arena + page_round(after.bytes_buckets));
    /* Fill more, then clear: back to one small array. */
    for (int i = 0; i < 200000; i++, next++)
        both_put(m, &r, next, next);
    struct ms_map_stats full = stats_of(m);
    long rss_full = status_kb("VmRSS");
    ms_map_clear(m);
    ref_clear(&r);
    struct ms_map_stats cleared = stats_of(m);
    ck_assert_uint_le(cleared.bytes_total, 128 * 1024);
    ck_assert_uint_eq(cleared.overflow_buckets, 0);
    long rss_cleared = status_kb("VmRSS");
    ck_assert_int_le(rss_cleared, rss_full - (long)(full.bytes_total / 1024) * 3 / 4);
    assert_consistent(m);
    /* Destroy: every mapping the engine made is gone. */
    ms_map_destroy(m);
    ck_assert_int_eq(status_kb("VmSize"), vm_before);
    ref_free(&r);
}
END_TEST

/* The next doubling's array is faulted in ahead of time, just before the
 * doubling, and then used by it; a map that shrinks away from the
 * doubling point gives it back. */
START_TEST(next_array_prepared_and_dropped)
{
    struct ref r;
    ref_init(&r, 1u << 20);
    ms_map *m = ms_map_create_seeded(8, 8, 0, 5);
    uint64_t next = 0, grow_at = GROW_AT(14);
    /* Past the doubling to B = 14, then towards the next one (at 6.5 *
     * 2^14 entries) until the preparation of the B = 15 array starts. */
    for (; next < grow_at - 1000; next++)
        both_put(m, &r, next, next);
    drive_to_completion(m);
    ck_assert_uint_eq(stats_of(m).bytes_next, 0);
    while (stats_of(m).bytes_next == 0) {
        both_put(m, &r, next, next), next++;
        ck_assert(!stats_of(m).growing);
    }
    ck_assert_uint_eq(stats_of(m).B, 14);
    ck_assert_uint_gt(r.count, grow_at * 9 / 10);
    ck_assert_uint_le(r.count, grow_at);
    /* Deleting well below the mark gives it back. */
    uint64_t first = 0;
    while (stats_of(m).bytes_next != 0)
        for (int i = 0; i < 256; i++)
            both_del(m, &r, first++);
    ck_assert_uint_lt(r.count, grow_at);
    /* Refill: prepared again, then the doubling takes the array over and
     * preparation stops. */
    while (!ms_map_maintain(m, 0)) /* 0: only asks whether it is growing */
        both_put(m, &r, next, next), next++;
    struct ms_map_stats st = stats_of(m);
    ck_assert_uint_eq(st.B, 15);
    ck_assert_uint_eq(st.bytes_next, 0);
    assert_consistent(m);
    assert_same(m, &r);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_memory");
    TCase *tc = add_tcase(su, "memory", 300);
    tcase_add_test(tc, old_array_released_progressively);
    tcase_add_test(tc, bytes_drop_after_growth_and_clear);
    tcase_add_test(tc, next_array_prepared_and_dropped);
    return run_suite(su);
}
