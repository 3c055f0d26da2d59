/*
 * test_report_dump.c — the dump reader (tools/dump_read.c) on good,
 * truncated, damaged and hostile input: every intact record is kept, the
 * first problem is named with its offset, nothing crashes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../check_run.h"
#include "../dumpgen.h"
#include "profile.h"

/* A small complete dump: process, settings, 1 module, 2 stacks with stats,
 * a linger record, a timeline, totals, engine, END. */
static void good_dump(struct dg *g)
{
    dg_init(g);
    dg_process(g, 4242, 1, 1000, 5000000000ull, MS_DUMP_AT_EXIT, 0, "/bin/prog", "prog -x 1");
    dg_begin(g, MS_REC_SETTINGS);
    dg_u32(g, 2);
    dg_str(g, "sample_bytes");
    dg_str(g, "0");
    dg_str(g, "depth");
    dg_str(g, "64");
    dg_end(g);
    dg_begin(g, MS_REC_MODULE);
    dg_u64(g, 0x400000);
    dg_u64(g, 0x400000);
    dg_u64(g, 0x500000);
    dg_str(g, "/bin/prog");
    dg_bytes(g, "\x01\x02\x03\x04", 4);
    dg_end(g);
    uint64_t f1[] = {0x401000, 0x402000}, f2[] = {0x403000};
    dg_stack(g, 1, f1, 2);
    dg_stack(g, 2, f2, 1);
    uint64_t s1[MS_SF_COUNT] = {10, 1000, 7, 700, 3, 300, 0, 5, 500, 2};
    uint64_t s2[MS_SF_COUNT] = {4, 40, 4, 40, 0, 0, 1, 1, 10, 4};
    dg_stats(g, 1, s1, MS_SF_COUNT);
    dg_stats(g, 2, s2, MS_SF_COUNT);
    dg_begin(g, MS_REC_LINGER);
    dg_u32(g, 1);
    dg_u32(g, 2);
    dg_u64(g, 3), dg_u64(g, 300), dg_u64(g, 90000000000ull);
    dg_u64(g, 60000000000ull), dg_u64(g, 2), dg_u64(g, 200);
    dg_u64(g, 80000000000ull), dg_u64(g, 1), dg_u64(g, 100);
    dg_end(g);
    dg_begin(g, MS_REC_TIMELINE);
    dg_u64(g, 1000000000);
    dg_u32(g, 2);
    for (int i = 0; i < 10; i++)
        dg_u64(g, (uint64_t)i * 100);
    dg_end(g);
    const char *tn[] = {"allocations", "frees", "inuse_bytes", "future_figure"};
    uint64_t tv[] = {14, 11, 300, 99};
    dg_nv(g, MS_REC_TOTALS, tn, tv, 4);
    const char *en[] = {"map.count", "shim.bytes_mapped"};
    uint64_t ev[] = {3, 65536};
    dg_nv(g, MS_REC_ENGINE, en, ev, 2);
    dg_finish(g);
}

START_TEST(test_good)
{
    struct dg g;
    good_dump(&g);
    struct ms_dump d = {0};
    ck_assert_int_eq(ms_dump_parse("good", g.buf, g.len, &d), 0);
    ck_assert_ptr_null(d.error);
    ck_assert(d.complete);
    ck_assert_uint_eq(d.pid, 4242);
    ck_assert_str_eq(d.exe, "/bin/prog");
    ck_assert_str_eq(d.cmdline, "prog -x 1");
    ck_assert_uint_eq(d.settings.n, 2);
    ck_assert_str_eq(ms_dump_setting(&d, "depth"), "64");
    ck_assert_uint_eq(d.modules.n, 1);
    ck_assert_uint_eq(d.modules.v[0].build_id_len, 4);
    ck_assert_uint_eq(d.stacks.n, 2);
    ck_assert_uint_eq(d.stacks.v[0].frames[1], 0x402000);
    ck_assert_uint_eq(d.stats.n, 2);
    ck_assert_uint_eq(d.stats.v[0].f[MS_SF_LIVE_BYTES], 300);
    ck_assert_uint_eq(d.lingers.n, 1);
    ck_assert_uint_eq(d.lingers.v[0].nbins, 2);
    ck_assert_uint_eq(d.lingers.v[0].bins[1].bytes, 100);
    ck_assert_uint_eq(d.timeline.n, 2);
    ck_assert_uint_eq(d.timeline.v[1].t_ns, 500);
    ck_assert_uint_eq(ms_nv_get(d.totals.v, d.totals.n, "inuse_bytes", NULL), 300);
    ck_assert_uint_eq(ms_nv_get(d.totals.v, d.totals.n, "future_figure", NULL), 99);
    ck_assert_uint_eq(ms_nv_get(d.engine.v, d.engine.n, "shim.bytes_mapped", NULL), 65536);
    ms_dump_free(&d);
    dg_free(&g);
}
END_TEST

/* Cut the file at every length: never a crash, an error naming an offset
 * unless the cut is exactly at the end, and the number of intact records
 * read never decreases as the file gets longer. */
START_TEST(test_truncated_everywhere)
{
    struct dg g;
    good_dump(&g);
    uint32_t last = 0;
    for (size_t len = 0; len < g.len; len++) {
        struct ms_dump d = {0};
        int rc = ms_dump_parse("cut", g.buf, len, &d);
        ck_assert_int_ne(rc, 0);
        ck_assert_ptr_nonnull(d.error);
        ck_assert_msg(strstr(d.error, "cut: offset "), "error names the offset: %s", d.error);
        ck_assert_uint_ge(d.records, last);
        last = d.records;
        ms_dump_free(&d);
    }
    ck_assert_uint_eq(last, g.records - 1); /* everything but END */
    dg_free(&g);
}
END_TEST

/* A flipped byte inside one record: that record is skipped (CRC), the ones
 * after it are still read. */
START_TEST(test_damaged_record_skipped)
{
    struct dg g;
    good_dump(&g);
    /* The first STACK record starts after header, PROCESS, SETTINGS,
     * MODULE: find it by scanning record headers. */
    size_t off = MS_DUMP_HEADER_SIZE;
    while (g.buf[off] != MS_REC_STACK) {
        uint32_t plen = (uint32_t)g.buf[off + 4] | (uint32_t)g.buf[off + 5] << 8 |
                        (uint32_t)g.buf[off + 6] << 16 | (uint32_t)g.buf[off + 7] << 24;
        off += MS_DUMP_REC_HEAD + plen + MS_DUMP_REC_TAIL;
    }
    g.buf[off + MS_DUMP_REC_HEAD + 5] ^= 0x40; /* inside the frames */
    struct ms_dump d = {0};
    ck_assert_int_eq(ms_dump_parse("flip", g.buf, g.len, &d), 1);
    ck_assert_ptr_nonnull(strstr(d.error, "CRC"));
    char want[64];
    snprintf(want, sizeof want, "offset %zu:", off);
    ck_assert_msg(strstr(d.error, want), "%s names %s", d.error, want);
    ck_assert_uint_eq(d.stacks.n, 1); /* the other stack */
    ck_assert_uint_eq(d.stats.n, 2);  /* records after the damage */
    ck_assert_uint_eq(d.timeline.n, 2);
    ck_assert_uint_eq(d.engine.n, 2);
    ms_dump_free(&d);
    dg_free(&g);
}
END_TEST

START_TEST(test_hostile_lengths)
{
    /* A record whose length is absurd, and one whose count fields lie. */
    struct dg g;
    dg_init(&g);
    dg_begin(&g, MS_REC_STACK);
    dg_u32(&g, 1);
    dg_u32(&g, 0xffffffffu); /* frames that are not there */
    dg_end(&g);
    dg_begin(&g, MS_REC_TOTALS);
    dg_u32(&g, 1);
    dg_u32(&g, 0x7fffffffu); /* a name longer than the record */
    dg_end(&g);
    dg_finish(&g);
    struct ms_dump d = {0};
    ck_assert_int_eq(ms_dump_parse("lie", g.buf, g.len, &d), 1);
    ck_assert_ptr_nonnull(strstr(d.error, "do not match its layout"));
    ck_assert_uint_eq(d.stacks.n, 0);
    ck_assert_uint_eq(d.totals.n, 0);
    ms_dump_free(&d);
    /* A length above the limit stops reading with a clear message. */
    unsigned char buf[64];
    memcpy(buf, g.buf, MS_DUMP_HEADER_SIZE);
    memset(buf + 16, 0, sizeof buf - 16);
    buf[16] = MS_REC_STACK;
    buf[20] = buf[21] = buf[22] = buf[23] = 0xff;
    struct ms_dump d2 = {0};
    ck_assert_int_eq(ms_dump_parse("big", buf, sizeof buf, &d2), 1);
    ck_assert_ptr_nonnull(strstr(d2.error, "offset 16: STACK record claims"));
    ms_dump_free(&d2);
    dg_free(&g);
}
END_TEST

START_TEST(test_not_a_dump)
{
    struct ms_dump d = {0};
    ck_assert_int_eq(ms_dump_parse("x", (const unsigned char *)"hello world, no dump", 20, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.error, "not a mapscope dump"));
    ms_dump_free(&d);
    struct dg g;
    dg_init(&g);
    g.buf[8] = 99; /* version */
    struct ms_dump d2 = {0};
    ck_assert_int_eq(ms_dump_parse("v", g.buf, g.len, &d2), -1);
    ck_assert_ptr_nonnull(strstr(d2.error, "version 99"));
    ms_dump_free(&d2);
    dg_free(&g);
    struct ms_dump d3 = {0};
    ck_assert_int_eq(ms_dump_read("/nonexistent/dump", &d3), -1);
    ck_assert_ptr_nonnull(strstr(d3.error, "cannot open"));
    ms_dump_free(&d3);
    struct ms_dump d4 = {0};
    ck_assert_int_eq(ms_dump_read("/", &d4), -1);
    ck_assert_ptr_nonnull(strstr(d4.error, "not a regular file"));
    ms_dump_free(&d4);
}
END_TEST

START_TEST(test_forward_compat)
{
    /* Unknown record types are skipped; extra stats fields ignored; short
     * stats read as zeros; END's count must match. */
    struct dg g;
    dg_init(&g);
    dg_begin(&g, 77);
    dg_u64(&g, 1);
    dg_end(&g);
    uint64_t many[MS_SF_COUNT + 3];
    for (int i = 0; i < MS_SF_COUNT + 3; i++)
        many[i] = (uint64_t)i + 1;
    dg_stats(&g, 5, many, MS_SF_COUNT + 3);
    dg_stats(&g, 6, many, 2);
    dg_finish(&g);
    struct ms_dump d = {0};
    ck_assert_int_eq(ms_dump_parse("fc", g.buf, g.len, &d), 0);
    ck_assert_uint_eq(d.stats.n, 2);
    ck_assert_uint_eq(d.stats.v[0].f[MS_SF_COUNT - 1], MS_SF_COUNT);
    ck_assert_uint_eq(d.stats.v[1].f[1], 2);
    ck_assert_uint_eq(d.stats.v[1].f[2], 0);
    ms_dump_free(&d);
    g.buf[g.len - 8] ^= 1; /* END's count... and its CRC now fails */
    struct ms_dump d2 = {0};
    ck_assert_int_eq(ms_dump_parse("fc2", g.buf, g.len, &d2), 1);
    ck_assert(!d2.complete);
    ms_dump_free(&d2);
    dg_free(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_dump");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_truncated_everywhere);
    tcase_add_test(tc, test_damaged_record_skipped);
    tcase_add_test(tc, test_hostile_lengths);
    tcase_add_test(tc, test_not_a_dump);
    tcase_add_test(tc, test_forward_compat);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
