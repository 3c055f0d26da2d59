/*
 * classic_check.c — unit tests of the classic-map finding rules (findings.c):
 * tracked-map states built by hand, judged without root, BPF or a Go process.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../check_run.h"
#include "maptrack.h"

/* The BPF stack map, as the tracker sees it in tests: no stacks. */
int ms_gm_stack_lookup(int stacks_fd, int id, uint64_t out[GOMAP_STACK_DEPTH])
{
    (void)stacks_fd;
    (void)id;
    memset(out, 0, GOMAP_STACK_DEPTH * sizeof out[0]);
    return -1;
}

static struct gm_tracker tr;
static struct gm_type ty = {.t = 0x1000,
                            .bucketsize = 144,
                            .keysize = 8,
                            .elemsize = 8,
                            .ptr_free = true,
                            .key = "int64",
                            .elem = "int64"};

static void setup(void)
{
    memset(&tr, 0, sizeof tr);
    tr.start = 100;
    tr.now = 200;
    tr.maps = calloc(8, sizeof *tr.maps);
    tr.cap = 8;
}

static void teardown(void)
{
    free(tr.maps);
}

/* A polled map of 2^B buckets holding count entries. */
static struct gm_map *map(unsigned B, uint64_t count)
{
    struct gm_map *m = &tr.maps[tr.n++];
    memset(m, 0, sizeof *m);
    m->h = 0xc000000000 + tr.n * 0x100;
    m->type = &ty;
    m->polled = true;
    m->B = (uint8_t)B;
    m->count = m->peak_count = count;
    m->first_seen = tr.start;
    return m;
}

static size_t judge(struct gm_finding **fs)
{
    struct gm_options o = {.linger = 10};
    struct gm_summary s;
    return ms_gm_findings(&tr, &o, fs, &s);
}

START_TEST(healthy_map_not_flagged)
{
    map(14, 90000);
    struct gm_finding *fs = NULL;
    ck_assert_uint_eq(judge(&fs), 0);
    free(fs);
}
END_TEST

START_TEST(stalled_growth_lingers)
{
    struct gm_map *m = map(15, 110000);
    m->growing = true;
    m->nevacuate = 100;
    m->grow_start = 150;
    m->progress = 180; /* 20 s without evacuation progress, over --linger 10 */
    struct gm_finding *fs = NULL;
    ck_assert_uint_eq(judge(&fs), 1);
    ck_assert_int_eq(fs[0].kind, GM_LINGERING);
    ck_assert_str_eq(fs[0].reason, "stalled");
    ck_assert(fs[0].lingering_s > 19.9 && fs[0].lingering_s < 20.1);
    ck_assert_uint_eq(fs[0].old_bytes, ms_gm_array_bytes(144, 14));
    free(fs);
}
END_TEST

START_TEST(slow_big_growth_is_large_span)
{
    struct gm_map *m = map(15, 110000);
    m->growing = true;
    m->grow_start = 150; /* copying for 50 s, */
    m->progress = 199;   /* still advancing */
    struct gm_finding *fs = NULL;
    ck_assert_uint_eq(judge(&fs), 1);
    ck_assert_int_eq(fs[0].kind, GM_LARGE_SPAN);
    ck_assert_str_eq(fs[0].reason, "mid_growth");
    free(fs);
}
END_TEST

START_TEST(samesize_grows_are_overflow_bloat)
{
    struct gm_map *m = map(10, 5000);
    m->samesize_grows = 3;
    struct gm_finding *fs = NULL;
    ck_assert_uint_eq(judge(&fs), 1);
    ck_assert_int_eq(fs[0].kind, GM_OVERFLOW_BLOAT);
    ck_assert_str_eq(fs[0].reason, "churn");
    free(fs);
}
END_TEST

START_TEST(sparse_large_array_reasons)
{
    struct gm_map *emptied = map(17, 0), *prealloc = map(17, 0), *empty = map(17, 0);
    struct gm_map *recent = map(17, 0);
    emptied->peak_count = 800000;
    prealloc->from_makemap = true;
    prealloc->peak_count = 0;
    empty->before_attach = true;
    empty->peak_count = 0;
    emptied->sparse_since = prealloc->sparse_since = empty->sparse_since = 150;
    recent->sparse_since = 195; /* sparse for 5 s only: under --linger */
    struct gm_finding *fs = NULL;
    ck_assert_uint_eq(judge(&fs), 3);
    ck_assert_str_eq(fs[0].reason, "emptied");
    ck_assert_str_eq(fs[1].reason, "preallocated_unused");
    ck_assert_str_eq(fs[2].reason, "empty");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(fs[i].kind, GM_LARGE_SPAN);
        ck_assert_uint_eq(fs[i].bucket_bytes, ms_gm_array_bytes(144, 17));
    }
    free(fs);
}
END_TEST

START_TEST(array_sizes)
{
    /* 2^B buckets plus 2^(B-4) preallocated overflow buckets, in Go's size classes */
    ck_assert_uint_eq(ms_gm_array_nbuckets(4), 17);
    ck_assert_uint_eq(ms_gm_array_bytes(144, 4), ms_go_roundupsize(17 * 144));
    ck_assert_uint_eq(ms_go_roundupsize(2448), 2688);
    ck_assert_uint_eq(ms_go_roundupsize(40000), 40960);
    /* overflow buckets beyond the preallocated tail are objects of their own */
    ck_assert_uint_eq(ms_gm_overflow_bytes(144, 4, 0), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("classic");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, healthy_map_not_flagged);
    tcase_add_test(tc, stalled_growth_lingers);
    tcase_add_test(tc, slow_big_growth_is_large_span);
    tcase_add_test(tc, samesize_grows_are_overflow_bloat);
    tcase_add_test(tc, sparse_large_array_reasons);
    tcase_add_test(tc, array_sizes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ms_check_run(suite(), 0);
}
