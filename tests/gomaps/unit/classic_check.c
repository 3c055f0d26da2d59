/*
 * classic_check.c — unit tests of the classic-map tracker and finding rules
 * without root, BPF or a Go process: the tracker polls hmap headers laid out in a
 * fake remote memory; the rules judge tracked-map states built by hand.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "../../check_run.h"
#include "fake_remote.h"
#include "maptrack.h"

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
    tr.proc.start = 100;
    tr.proc.now = 200;
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
    m->first_seen = tr.proc.start;
    return m;
}

/* The findings on the maps built so far (--linger 10), want of them (free them). */
static struct gm_finding *judged(size_t want)
{
    struct gm_options o = {.linger = 10};
    struct gm_finding *fs = NULL;
    struct gm_summary s;
    ck_assert_uint_eq(ms_gm_findings(&tr, &o, &fs, &s), want);
    return fs;
}

/* judged(1), that one finding kind for reason. */
static struct gm_finding *judged_one(enum gm_finding_kind kind, const char *reason)
{
    struct gm_finding *fs = judged(1);
    ck_assert_int_eq(fs[0].kind, kind);
    ck_assert_str_eq(fs[0].reason, reason);
    return fs;
}

START_TEST(healthy_map_not_flagged)
{
    map(14, 90000);
    struct gm_finding *fs = judged(0);
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
    struct gm_finding *fs = judged_one(GM_LINGERING, "stalled");
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
    struct gm_finding *fs = judged_one(GM_LARGE_SPAN, "mid_growth");
    free(fs);
}
END_TEST

START_TEST(samesize_grows_are_overflow_bloat)
{
    struct gm_map *m = map(10, 5000);
    m->samesize_grows = 3;
    struct gm_finding *fs = judged_one(GM_OVERFLOW_BLOAT, "churn");
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
    struct gm_finding *fs = judged(3);
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

/* ---------------------------------------------------------------- tracker -- */

static struct ms_golayout lay;

#define MAPTYPE 0x500000ULL
#define BUCKETT 0x500100ULL

/* A maptype for map[int64]int64 (144-byte buckets, no pointers) in the fake memory. */
static void make_maptype(void)
{
    uint8_t *t = region(MAPTYPE, 128), *b = region(BUCKETT, 64);
    t[lay.type_kind] = 21; /* kindMap */
    put(t, lay.mt_bucket, BUCKETT, 8);
    t[lay.mt_keysize] = 8;
    t[lay.mt_elemsize] = 8;
    put(t, lay.mt_bucketsize, 144, 2);
    put(b, 8, 0, 8); /* ptrdata 0: pointer-free buckets */
}

/* An hmap at h: count, B, seed, bucket array, old array (growing when not 0), nevacuate. */
static uint8_t *make_hmap(uint64_t h, uint64_t count, unsigned B, uint32_t hash0, uint64_t buckets,
                          uint64_t old, uint64_t nevacuate)
{
    uint8_t *p = region(h, lay.hmap_size);
    put(p, lay.count, count, 8);
    p[lay.B] = (uint8_t)B;
    put(p, lay.hash0, hash0, 4);
    put(p, lay.buckets, buckets, 8);
    put(p, lay.oldbuckets, old, 8);
    put(p, lay.nevacuate, nevacuate, 8);
    return p;
}

static void tsetup(void)
{
    ck_assert_int_eq(ms_golayout_builtin(1, 19, &lay), 0);
    ms_gm_init(&tr, getpid(), &fake_remote, NULL, &lay, -1, 64);
    make_maptype();
}

static void tteardown(void)
{
    ms_gm_free(&tr);
    reset_mem();
}

/* Follow the map at h as the heap scan would hand it over (its header as read). */
static struct gm_map *adopt(uint64_t h)
{
    struct gm_found f = {.h = h, .bs_lo = 144, .bs_hi = 144, .ptr_free = true, .ntypes = 1};
    f.types[0] = MAPTYPE;
    ck_assert_int_eq(fake_read(NULL, h, f.hdr, lay.hmap_size), 0);
    struct gm_scan_stats st = {0};
    ck_assert_uint_eq(ms_gm_adopt(&tr, &f, 1, 1.0, true, &st), 1);
    ck_assert_uint_eq(st.typed, 1);
    return &tr.maps[0];
}

START_TEST(growth_progress_from_polls)
{
    uint8_t *h = make_hmap(0x600000, 1000, 8, 77, 0x700000, 0x710000, 10);
    adopt(0x600000);
    ck_assert(tr.maps[0].growing);
    ck_assert_int_eq(ms_gm_poll(&tr, 2.0), 0);
    ck_assert_uint_eq(tr.maps[0].nevacuate, 10);
    put(h, lay.nevacuate, 20, 8); /* evacuation moved on */
    ck_assert_int_eq(ms_gm_poll(&tr, 3.0), 0);
    ck_assert(tr.maps[0].progress == 3.0);
    put(h, lay.oldbuckets, 0, 8); /* done */
    ck_assert_int_eq(ms_gm_poll(&tr, 4.0), 0);
    ck_assert(!tr.maps[0].growing);
    ck_assert_str_eq(tr.maps[0].type->key, "?"); /* no binary to name it from */
    ck_assert_uint_eq(tr.maps[0].type->bucketsize, 144);
}
END_TEST

START_TEST(new_seed_retires)
{
    uint8_t *h = make_hmap(0x600000, 1000, 8, 77, 0x700000, 0, 0);
    adopt(0x600000);
    ck_assert_int_eq(ms_gm_poll(&tr, 2.0), 0);
    put(h, lay.hash0, 78, 4); /* another map's seed, and not emptied */
    ck_assert_int_eq(ms_gm_poll(&tr, 3.0), 0);
    ck_assert_uint_eq(tr.n, 1); /* a torn read is forgiven once */
    ck_assert_int_eq(ms_gm_poll(&tr, 4.0), 0);
    ck_assert_uint_eq(tr.n, 0);
    ck_assert_uint_eq(tr.st.maps_dropped, 1);
}
END_TEST

START_TEST(emptied_keeps_identity)
{
    uint8_t *h = make_hmap(0x600000, 1000, 8, 77, 0x700000, 0, 0);
    adopt(0x600000);
    ck_assert_int_eq(ms_gm_poll(&tr, 2.0), 0);
    put(h, lay.count, 0, 8); /* the last delete draws a new seed */
    put(h, lay.hash0, 78, 4);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ms_gm_poll(&tr, 3.0 + i), 0);
    ck_assert_uint_eq(tr.n, 1);
    ck_assert_uint_eq(tr.maps[0].peak_count, 1000);
}
END_TEST

START_TEST(unreadable_map_retired_others_kept)
{
    make_hmap(0x600000, 1000, 8, 77, 0x700000, 0, 0);
    make_hmap(0x680000, 2000, 9, 79, 0x720000, 0, 0);
    adopt(0x600000);
    adopt(0x680000);
    ck_assert_int_eq(ms_gm_poll(&tr, 2.0), 0);
    free(mem[nmem - 1].bytes); /* the second header goes away */
    mem[nmem - 1] = (struct region){0};
    ck_assert_int_eq(ms_gm_poll(&tr, 3.0), 0);
    ck_assert_uint_eq(tr.n, 1);
    ck_assert_uint_eq(tr.maps[0].h, 0x600000);
}
END_TEST

static Suite *suite(void)
{
    const TTest *rules[] = {healthy_map_not_flagged,       stalled_growth_lingers,
                            slow_big_growth_is_large_span, samesize_grows_are_overflow_bloat,
                            sparse_large_array_reasons,    array_sizes};
    const TTest *tracker[] = {growth_progress_from_polls, new_seed_retires, emptied_keeps_identity,
                              unreadable_map_retired_others_kept};
    Suite *s = suite_create("classic");
    ms_check_case(s, "rules", setup, teardown, rules, sizeof rules / sizeof *rules);
    ms_check_case(s, "tracker", tsetup, tteardown, tracker, sizeof tracker / sizeof *tracker);
    return s;
}

int main(void)
{
    return ms_check_run(suite(), 0);
}
