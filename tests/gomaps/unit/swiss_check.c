/*
 * swiss_check.c — unit tests of the Swiss-map tracker and its finding rules,
 * without root, BPF or a Go process: Map headers, directories, tables and type
 * descriptors are laid out in a fake remote memory the tracker reads through
 * its remote-reader interface, and probe events are built by hand.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../check_run.h"
#include "fake_remote.h"
#include "swiss.h"

static struct sw_layout lay;

#define TYPE_ADDR  0x500000ULL
#define GROUP_TYPE 0x500100ULL

/* A map type descriptor whose groups are groupsize bytes, with or without pointers. */
static void make_type(uint64_t groupsize, bool pointers)
{
    uint8_t *t = region(TYPE_ADDR, 128), *g = region(GROUP_TYPE, 64);
    put(t, lay.mt_group, GROUP_TYPE, 8);
    put(t, lay.mt_groupsize, groupsize, 8);
    put(g, 0, groupsize, 8);
    put(g, lay.type_ptrbytes, pointers ? 8 : 0, 8);
}

/* A Map header at m with a directory at dir of the given tables (pointer per entry). */
static uint8_t *make_map(uint64_t m, uint64_t used, uint64_t seed, uint64_t dir,
                         const uint64_t *tables, unsigned gdepth)
{
    uint8_t *h = region(m, 48);
    uint64_t n = 1ULL << gdepth;
    put(h, lay.used, used, 8);
    put(h, lay.seed, seed, 8);
    put(h, lay.dirptr, dir, 8);
    put(h, lay.dirlen, n, 8);
    h[lay.gdepth] = (uint8_t)gdepth;
    h[lay.gshift] = (uint8_t)(64 - gdepth);
    uint8_t *d = region(dir, n * 8);
    memcpy(d, tables, n * 8);
    return h;
}

/* A table header at t: capacity slots, used live, tombs deleted, local depth ld. */
static uint8_t *make_table(uint64_t t, uint64_t capacity, uint64_t used, uint64_t tombs,
                           unsigned ld)
{
    uint8_t *p = region(t, 32);
    put(p, lay.t_used, used, 2);
    put(p, lay.t_cap, capacity, 2);
    put(p, lay.t_growth, ms_sw_max_growth(capacity) - used - tombs, 2);
    p[lay.t_ldepth] = (uint8_t)ld;
    put(p, lay.t_groups, 0x900000 + t, 8);
    put(p, lay.t_mask, capacity / 8 - 1, 8);
    return p;
}

static struct sw_tracker tr;

static void setup(void)
{
    ck_assert_int_eq(ms_swiss_layout(1, 24, &lay), 0);
    ms_sw_init(&tr, 1, &fake_remote, NULL, &lay, -1, 64);
}

static void teardown(void)
{
    ms_sw_free(&tr);
    reset_mem();
}

/* ------------------------------------------------------------------ tests -- */

START_TEST(layout_versions)
{
    struct sw_layout l;
    ck_assert_int_eq(ms_swiss_layout(1, 23, &l), -1);
    ck_assert_int_eq(ms_swiss_layout(1, 28, &l), -1);
    ck_assert_int_eq(ms_swiss_layout(1, 24, &l), 0);
    ck_assert(!l.has_tomb_possible);
    ck_assert_int_eq(ms_swiss_layout(1, 27, &l), 0);
    ck_assert(l.has_tomb_possible);
    ck_assert_uint_eq(l.map_size, 48);
    ck_assert_uint_eq(l.table_size, 32);
}
END_TEST

START_TEST(alloc_sizes)
{
    /* 128 groups of 136 bytes (map[int64]int64): 17408, a size class of its own */
    ck_assert_uint_eq(ms_sw_alloc_bytes(128 * 136, false), 18432);
    /* with pointers above 512 bytes an 8-byte malloc header comes first */
    ck_assert_uint_eq(ms_sw_alloc_bytes(512, true), 512);
    ck_assert_uint_eq(ms_sw_alloc_bytes(520, true), 576);
    ck_assert_uint_eq(ms_sw_alloc_bytes(128 * 200, true), 27264);
    /* 128 groups of 264 bytes (map[string]string): a large object, whole pages */
    ck_assert_uint_eq(ms_sw_alloc_bytes(128 * 264, true), 40960);
    ck_assert_uint_eq(ms_sw_max_growth(8), 7);
    ck_assert_uint_eq(ms_sw_max_growth(1024), 896);
}
END_TEST

/* Three tables over four directory entries (one of local depth 1 covers two). */
static void three_tables(uint64_t used_total)
{
    make_type(136, false);
    uint64_t t[4] = {0x700000, 0x700000, 0x700100, 0x700200};
    make_table(0x700000, 1024, 100, 50, 1);
    make_table(0x700100, 1024, 200, 0, 2);
    make_table(0x700200, 512, 0, 10, 2);
    make_map(0x600000, used_total, 42, 0x610000, t, 2);
}

/* three_tables(300) at 0x600000, followed as the heap scan hands it over and polled
 * once; returns its header's bytes (the region before the directory's). */
static uint8_t *polled_three_tables(void)
{
    three_tables(300);
    ck_assert_ptr_nonnull(ms_sw_adopt(&tr, 0x600000, TYPE_ADDR, NULL, 1.0));
    ck_assert_int_eq(ms_sw_poll(&tr, 2.0), 0);
    return mem[nmem - 2].bytes;
}

START_TEST(poll_sums_tables)
{
    polled_three_tables();
    ck_assert_uint_eq(tr.n, 1);
    struct sw_map *m = &tr.maps[0];
    ck_assert_uint_eq(m->tables, 3);
    ck_assert_uint_eq(m->capacity, 2560);
    ck_assert_uint_eq(m->tombstones, 60);
    ck_assert_uint_eq(m->used, 300);
    ck_assert_uint_eq(m->dirlen, 4);
    ck_assert_uint_eq(m->group_bytes, 2 * 18432 + ms_sw_alloc_bytes(64 * 136, false));
    ck_assert_uint_eq(ms_sw_held(m), m->group_bytes + 3 * 32 + 32);
}
END_TEST

START_TEST(retire_on_new_seed)
{
    put(polled_three_tables(), lay.seed, 43, 8);
    ck_assert_int_eq(ms_sw_poll(&tr, 3.0), 0);
    ck_assert_uint_eq(tr.n, 1); /* one odd read is not enough */
    ck_assert_int_eq(ms_sw_poll(&tr, 4.0), 0);
    ck_assert_uint_eq(tr.n, 0);
    ck_assert_uint_eq(tr.st.dropped, 1);
}
END_TEST

START_TEST(retired_noted_once_per_address)
{
    char *buf = NULL;
    size_t len = 0;
    tr.proc.log = open_memstream(&buf, &len);
    for (int round = 0; round < 3; round++) {
        put(polled_three_tables(), lay.seed, 43, 8); /* the memory changes hands */
        ms_sw_poll(&tr, 3.0);
        ms_sw_poll(&tr, 4.0);
        ck_assert_uint_eq(tr.n, 0);
        reset_mem();
    }
    fclose(tr.proc.log);
    tr.proc.log = NULL;
    ck_assert_uint_eq(tr.st.dropped, 3);
    ck_assert_uint_eq(tr.proc.retired.repeats, 2);
    ck_assert_ptr_nonnull(strstr(buf, "map 0x600000 retired: hash seed changed"));
    ck_assert_ptr_null(strstr(strstr(buf, "retired") + 1, "retired"));
    free(buf);
}
END_TEST

START_TEST(new_seed_after_clear_is_same_map)
{
    uint8_t *h = polled_three_tables();
    put(h, lay.seed, 43, 8);
    put(h, lay.clearseq, 1, 8);
    put(h, lay.used, 0, 8);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ms_sw_poll(&tr, 3.0 + i), 0);
    ck_assert_uint_eq(tr.n, 1);
    ck_assert_uint_eq(tr.maps[0].clears, 1);
}
END_TEST

START_TEST(retire_on_shorter_directory)
{
    uint8_t *h = polled_three_tables();
    put(h, lay.dirlen, 2, 8);
    h[lay.gdepth] = 1;
    h[lay.gshift] = 63;
    ms_sw_poll(&tr, 3.0);
    ms_sw_poll(&tr, 4.0);
    ck_assert_uint_eq(tr.n, 0);
}
END_TEST

START_TEST(gone_when_nothing_reads)
{
    polled_three_tables();
    reset_mem();
    ck_assert_int_eq(ms_sw_poll(&tr, 3.0), -1);
    ck_assert(tr.proc.target_gone);
    ck_assert_uint_eq(tr.n, 1); /* its maps did not die with it */
}
END_TEST

/* n tables of 1024 slots, used live entries spread over them; returns the map address. */
static uint64_t big_map(uint64_t used, unsigned gdepth, uint64_t groupsize, bool ptrs,
                        uint64_t clearseq)
{
    make_type(groupsize, ptrs);
    uint64_t n = 1ULL << gdepth, tabs[64];
    for (uint64_t i = 0; i < n; i++) {
        tabs[i] = 0x700000 + i * 0x100;
        make_table(tabs[i], 1024, used / n, 0, gdepth);
    }
    uint8_t *h = make_map(0x600000, used / n * n, 7, 0x610000, tabs, gdepth);
    put(h, lay.clearseq, clearseq, 8);
    return 0x600000;
}

static size_t judge(double linger, struct sw_finding **fs)
{
    struct sw_options o = {.linger = linger};
    struct sw_summary s;
    return ms_sw_findings(&tr, &o, fs, &s);
}

/* Follow the map at m as the heap scan hands it over, poll it once and judge it
 * (--linger 0): its findings, want of them (free them). */
static struct sw_finding *judged(uint64_t m, size_t want)
{
    ms_sw_adopt(&tr, m, TYPE_ADDR, NULL, 1.0);
    ms_sw_poll(&tr, 2.0);
    struct sw_finding *fs = NULL;
    ck_assert_uint_eq(judge(0, &fs), want);
    return fs;
}

START_TEST(emptied_is_retained_capacity)
{
    ms_sw_adopt(&tr, big_map(0, 4, 136, false, 0), TYPE_ADDR, NULL, 1.0);
    tr.maps[0].peak_used = 12000; /* it was full once */
    ms_sw_poll(&tr, 2.0);
    struct sw_finding *fs = NULL;
    ck_assert_uint_eq(judge(5, &fs), 0); /* not sparse for --linger yet */
    free(fs);
    ms_sw_poll(&tr, 8.0);
    ck_assert_uint_eq(judge(5, &fs), 1);
    ck_assert_int_eq(fs[0].kind, GM_RETAINED_CAPACITY);
    ck_assert_str_eq(fs[0].reason, "emptied");
    ck_assert_uint_eq(fs[0].held, 16 * 18432 + 16 * 32 + 128);
    ck_assert_uint_eq(fs[0].wasted, fs[0].held);
    free(fs);
}
END_TEST

START_TEST(cleared_reason)
{
    struct sw_finding *fs = judged(big_map(0, 4, 136, false, 3), 1);
    ck_assert_str_eq(fs[0].reason, "cleared");
    free(fs);
}
END_TEST

START_TEST(small_waste_not_flagged)
{
    /* 4 tables of 17 KiB: 74 KiB, under GM_SWISS_MIN_WASTE */
    struct sw_finding *fs = judged(big_map(0, 2, 136, false, 0), 0);
    free(fs);
}
END_TEST

START_TEST(full_map_not_flagged)
{
    struct sw_finding *fs = judged(big_map(16 * 800, 4, 136, false, 0), 0);
    free(fs);
}
END_TEST

START_TEST(large_groups_are_large_span)
{
    /* map[string]string: 264-byte groups, a full table's array is a large object */
    struct sw_finding *fs = judged(big_map(16, 4, 264, true, 0), 1);
    ck_assert_int_eq(fs[0].kind, GM_LARGE_SPAN);
    ck_assert_str_eq(fs[0].reason, "sparse");
    ck_assert_uint_eq(tr.maps[0].large_arrays, 16);
    ck_assert_uint_eq(tr.maps[0].large_bytes, 16 * 40960);
    free(fs);
}
END_TEST

/* A rehash event of table t (capacity cap, used live, no growth left) of map m. */
static struct gomap_event rehash(uint64_t m, uint64_t t, uint64_t cap, uint64_t used,
                                 uint64_t map_used, double ts)
{
    struct gomap_event e = {.kind = GOMAP_EV_SWISS_REHASH, .stack_id = -1};
    e.ts = (unsigned long long)(ts * 1e9);
    e.t = TYPE_ADDR;
    e.h = m;
    e.t2 = t;
    e.hdr_len = 48;
    put(e.hdr, lay.used, map_used, 8);
    put(e.hdr, lay.dirptr, 0x610000, 8);
    put(e.hdr, lay.dirlen, 1, 8);
    e.hdr[lay.gshift] = 64;
    e.tbl_len = 32;
    put(e.tbl, lay.t_cap, cap, 2);
    put(e.tbl, lay.t_used, used, 2);
    return e;
}

START_TEST(growth_by_inserts_is_no_churn)
{
    make_type(136, false);
    for (int i = 0; i < 8; i++) {
        struct gomap_event e = rehash(0x600000, 0x700000 + i, 1024, 896, 896 * (i + 1), i);
        ms_sw_event(&tr, &e);
    }
    ck_assert_uint_eq(tr.n, 1);
    ck_assert_uint_eq(tr.maps[0].grows, 8);
    ck_assert_uint_eq(tr.maps[0].splits, 8);
    ck_assert_uint_eq(tr.maps[0].churn_grows, 0);
    ck_assert_uint_eq(tr.maps[0].type_from, SW_TYPE_PROBE);
}
END_TEST

START_TEST(growth_at_same_size_is_churn)
{
    make_type(136, false);
    for (int i = 0; i < 8; i++) {
        struct gomap_event e = rehash(0x600000, 0x700000 + i, 1024, 700, 6000, i);
        ms_sw_event(&tr, &e);
    }
    ck_assert_uint_eq(tr.maps[0].churn_grows, 7);
    /* then polled: 16 tables for 6000 live entries, room for four times the peak */
    big_map(6000, 5, 136, false, 0);
    ms_sw_poll(&tr, 10.0);
    struct sw_finding *fs = NULL;
    ck_assert_uint_eq(judge(1, &fs), 1);
    ck_assert_int_eq(fs[0].kind, GM_TOMBSTONE_BLOAT);
    ck_assert_str_eq(fs[0].reason, "churn");
    ck_assert_ptr_nonnull(strstr(fs[0].why, "Go 1.24 never prunes"));
    free(fs);
}
END_TEST

START_TEST(scan_does_not_replace_probe_map)
{
    make_type(136, false);
    struct gomap_event e = rehash(0x600000, 0x700000, 512, 448, 448, 1.0);
    ms_sw_event(&tr, &e);
    ck_assert_ptr_null(ms_sw_adopt(&tr, 0x600000, 0, NULL, 2.0));
    ck_assert_uint_eq(tr.n, 1);
    ck_assert_uint_eq(tr.maps[0].type_from, SW_TYPE_PROBE);
    ck_assert(!tr.maps[0].scanned);
}
END_TEST

START_TEST(reentry_dropped)
{
    make_type(136, false);
    struct gomap_event e = rehash(0x600000, 0x700000, 512, 448, 448, 1.0);
    ms_sw_event(&tr, &e);
    e.ts += 1000000; /* 1 ms later, identical: morestack restarted the call */
    ms_sw_event(&tr, &e);
    ck_assert_uint_eq(tr.maps[0].grows, 1);
    ck_assert_uint_eq(tr.st.dups, 1);
}
END_TEST

START_TEST(bad_event_not_attributed)
{
    struct gomap_event e = rehash(0x600000, 0x700000, 1000, 448, 448, 1.0); /* not a power */
    ms_sw_event(&tr, &e);
    ck_assert_uint_eq(tr.n, 0);
    ck_assert_uint_eq(tr.st.unattributed, 1);
}
END_TEST

static int fake_live;
static int fake_slot_live(void *ctx, uint64_t span, uint64_t slot, uint32_t sweepgen)
{
    (void)ctx;
    ck_assert_uint_eq(span, 0x800000);
    ck_assert_uint_eq(slot, 5);
    ck_assert_uint_eq(sweepgen, 12);
    return fake_live;
}

/* A map the scan found: judged only once a GC cycle completed since (sweepgen + 2). */
static void found_map_after_gc(int live)
{
    three_tables(300);
    uint8_t *gc = region(0x400000, 8);
    put(gc, 0, 10, 4);
    tr.gc_addr = 0x400000;
    tr.slot_live = fake_slot_live;
    fake_live = live;
    struct sw_map *m = ms_sw_adopt(&tr, 0x600000, TYPE_ADDR, NULL, 1.0);
    m->scan_gen = 10;
    m->hdr_span = 0x800000;
    m->hdr_slot = 5;
    ck_assert_int_eq(ms_sw_poll(&tr, 2.0), 0);
    ck_assert_uint_eq(tr.n, 1); /* no GC yet: cannot tell */
    ck_assert(ms_sw_maybe_garbage(&tr.maps[0]));
    put(gc, 0, 12, 4);
    ck_assert_int_eq(ms_sw_poll(&tr, 3.0), 0);
}

START_TEST(garbage_retired_after_gc)
{
    found_map_after_gc(0);
    ck_assert_uint_eq(tr.n, 0);
}
END_TEST

START_TEST(reachable_after_gc)
{
    found_map_after_gc(1);
    ck_assert_uint_eq(tr.n, 1);
    ck_assert(!ms_sw_maybe_garbage(&tr.maps[0]));
}
END_TEST

START_TEST(maybe_garbage_advice)
{
    struct sw_finding *fs = judged(big_map(0, 4, 136, false, 0), 1);
    ck_assert_str_eq(fs[0].reason, "empty");
    ck_assert_ptr_nonnull(strstr(fs[0].why, "may be garbage"));
    ck_assert_ptr_nonnull(strstr(fs[0].advice, "nothing to do"));
    free(fs);
}
END_TEST

static Suite *suite(void)
{
    const TTest *tracker[] = {layout_versions,
                              alloc_sizes,
                              poll_sums_tables,
                              retire_on_new_seed,
                              new_seed_after_clear_is_same_map,
                              retired_noted_once_per_address,
                              retire_on_shorter_directory,
                              gone_when_nothing_reads,
                              growth_by_inserts_is_no_churn,
                              growth_at_same_size_is_churn,
                              reentry_dropped,
                              scan_does_not_replace_probe_map,
                              bad_event_not_attributed,
                              garbage_retired_after_gc,
                              reachable_after_gc};
    const TTest *rules[] = {emptied_is_retained_capacity, cleared_reason,
                            small_waste_not_flagged,      full_map_not_flagged,
                            large_groups_are_large_span,  maybe_garbage_advice};
    Suite *s = suite_create("swiss");
    ms_check_case(s, "tracker", setup, teardown, tracker, sizeof tracker / sizeof *tracker);
    ms_check_case(s, "rules", setup, teardown, rules, sizeof rules / sizeof *rules);
    return s;
}

int main(void)
{
    return ms_check_run(suite(), 0);
}
