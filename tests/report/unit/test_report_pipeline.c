/*
 * test_report_pipeline.c — merge (newest dump per process, processes added
 * up, frames made module-relative), views, suppressions (LSan and valgrind
 * styles), the findings JSON reader, and the size/duration parsers.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../check_run.h"
#include "json_read.h"
#include "pipeline.h"

/* A dump of `pid` with one module at `bias` and one stack whose single
 * frame is bias + off, leaking `live` bytes in one block. */
static void mk(struct ms_dump *d, uint32_t pid, uint32_t reason, uint32_t seq, uint64_t bias,
               uint64_t off, uint64_t live)
{
    memset(d, 0, sizeof *d);
    d->file = ms_xasprintf("dump.%u.%u", pid, seq);
    d->have_process = true;
    d->pid = pid;
    d->reason = reason;
    d->seq = seq;
    d->start_ns = 1000;
    struct ms_module *m = MS_VEC_PUSH(d->modules);
    m->bias = bias;
    m->start = bias;
    m->end = bias + 0x10000;
    m->path = ms_xstrdup("/nonexistent/prog");
    m->build_id = (unsigned char *)ms_xstrdup("ab");
    m->build_id_len = 2;
    struct ms_raw_stack *s = MS_VEC_PUSH(d->stacks);
    s->id = 7;
    s->nframes = 1;
    s->frames = ms_xcalloc(1, sizeof *s->frames);
    s->frames[0] = bias + off;
    struct ms_stack_stats *st = MS_VEC_PUSH(d->stats);
    st->stack_id = 7;
    st->f[MS_SF_ALLOCS] = 1;
    st->f[MS_SF_LIVE_BLOCKS] = 1;
    st->f[MS_SF_LIVE_BYTES] = live;
    st->f[MS_SF_BYTES_ALLOCATED] = live;
    struct ms_nv *t = MS_VEC_PUSH(d->totals);
    t->name = ms_xstrdup("inuse_bytes");
    t->value = live;
}

START_TEST(test_newest_per_pid_and_pids_merged)
{
    struct ms_dump d[4];
    mk(&d[0], 100, MS_DUMP_INTERVAL, 1, 0x10000, 0x100, 10);
    mk(&d[1], 100, MS_DUMP_AT_EXIT, 0, 0x10000, 0x100, 30); /* newest of pid 100 */
    mk(&d[2], 100, MS_DUMP_INTERVAL, 2, 0x10000, 0x100, 20);
    mk(&d[3], 200, MS_DUMP_AT_EXIT, 0, 0x70000, 0x100, 5); /* other pid, other bias */
    bool use[4];
    struct ms_profile p = {0};
    ms_profile_merge(d, 4, use, &p);
    ck_assert(!use[0] && use[1] && !use[2] && use[3]);
    ck_assert_uint_eq(p.processes.n, 2);
    /* Same module-relative frame in both processes: one stack. */
    ck_assert_uint_eq(p.frames.n, 1);
    ck_assert_uint_eq(p.frames.v[0].offset, 0x100);
    ck_assert_uint_eq(p.stacks.n, 1);
    ck_assert_uint_eq(p.stacks.v[0].f[MS_SF_LIVE_BYTES], 35);
    ck_assert_uint_eq(ms_profile_total(&p, "inuse_bytes"), 35);
    ms_profile_free(&p);
    for (int i = 0; i < 4; i++)
        ms_dump_free(&d[i]);
}
END_TEST

/* Points at T ns after the process start, live bytes L. */
static void add_points(struct ms_dump *d, uint64_t interval, const uint64_t (*tl)[2], size_t n)
{
    d->timeline_interval_ns = interval;
    for (size_t i = 0; i < n; i++) {
        struct ms_tl_point *pt = MS_VEC_PUSH(d->timeline);
        memset(pt, 0, sizeof *pt);
        pt->t_ns = tl[i][0];
        pt->live_bytes = tl[i][1];
    }
}

START_TEST(test_timeline_merged_on_wall_clock)
{
    const uint64_t ms = 1000000;
    struct ms_dump d[2];
    mk(&d[0], 100, MS_DUMP_AT_EXIT, 0, 0x10000, 0x100, 10);
    mk(&d[1], 200, MS_DUMP_AT_EXIT, 0, 0x70000, 0x100, 5);
    d[1].start_ns = 1000 + 25 * ms; /* started 25 ms after pid 100 */
    /* pid 100: 10 ms points and its dump's own point at 34 ms; pid 200: one
     * point, at its dump (10 ms after it started: 35 ms on pid 100's clock). */
    const uint64_t a[][2] = {{10 * ms, 100}, {20 * ms, 300}, {30 * ms, 200}, {34 * ms, 50}};
    const uint64_t b[][2] = {{10 * ms, 7}};
    add_points(&d[0], 10 * ms, a, 4);
    add_points(&d[1], 10 * ms, b, 1);
    bool use[2];
    struct ms_profile p = {0};
    ms_profile_merge(d, 2, use, &p);
    ck_assert_uint_eq(p.timeline_interval_ns, 10 * ms);
    ck_assert_uint_eq(p.timeline.n, 4); /* slots from the earliest start: 0, 10, 20, 30 ms */
    /* Slots are dated by their latest point; levels add up per slot. */
    ck_assert_uint_eq(p.timeline.v[0].t_ns, 0);
    ck_assert_uint_eq(p.timeline.v[0].live_bytes, 0);
    ck_assert_uint_eq(p.timeline.v[1].t_ns, 10 * ms);
    ck_assert_uint_eq(p.timeline.v[1].live_bytes, 100);
    ck_assert_uint_eq(p.timeline.v[2].t_ns, 20 * ms);
    ck_assert_uint_eq(p.timeline.v[2].live_bytes, 300);
    ck_assert_uint_eq(p.timeline.v[3].t_ns, 35 * ms);
    ck_assert_uint_eq(p.timeline.v[3].live_bytes, 50 + 7);
    /* The text chart: its figures, and the columns' heights (0, 100, 300,
     * 57 of 300 in 8 rows: 0, 3, 8 and 2 cells). */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ms_text_timeline(f, &p);
    fclose(f);
    ck_assert_msg(strstr(text, "== Heap over time (live bytes): 4 points over 35 ms"), "%s", text);
    ck_assert_msg(strstr(text, "highest point 300 B at 20 ms; at the end 57 B"), "%s", text);
    ck_assert_msg(strstr(text, "second half of the run: -43 B (-2.4 KiB/s)"), "%s", text);
    ck_assert_msg(strstr(text, "     300 B |  # \n"), "%s", text);
    ck_assert_msg(strstr(text, "|  # \n              |  # \n              | ## \n"), "%s", text);
    ck_assert_msg(strstr(text, "| ## \n              | ###\n          0 B | ###\n"), "%s", text);
    free(text);
    ms_profile_free(&p);
    for (int i = 0; i < 2; i++)
        ms_dump_free(&d[i]);
}
END_TEST

START_TEST(test_snapshots_only)
{
    struct ms_dump d[2];
    mk(&d[0], 100, MS_DUMP_INTERVAL, 1, 0x10000, 0x100, 10);
    mk(&d[1], 100, MS_DUMP_INTERVAL, 2, 0x10000, 0x200, 20);
    bool use[2];
    struct ms_profile p = {0};
    ms_profile_merge(d, 2, use, &p);
    ck_assert(!use[0] && use[1]);
    ck_assert_uint_eq(ms_profile_total(&p, "inuse_bytes"), 20);
    ms_profile_free(&p);
    for (int i = 0; i < 2; i++)
        ms_dump_free(&d[i]);
}
END_TEST

START_TEST(test_view_order)
{
    struct ms_dump d[3];
    mk(&d[0], 1, 0, 0, 0x10000, 0x100, 10);
    mk(&d[1], 2, 0, 0, 0x10000, 0x200, 300);
    mk(&d[2], 3, 0, 0, 0x10000, 0x300, 0);
    bool use[3];
    struct ms_profile p = {0};
    ms_profile_merge(d, 3, use, &p);
    uint32_t *idx;
    size_t n = ms_view(&p, MS_M_LEAKED, &idx);
    ck_assert_uint_eq(n, 2); /* zero-byte stack left out */
    ck_assert_uint_eq(p.stacks.v[idx[0]].f[MS_SF_LIVE_BYTES], 300);
    ck_assert_uint_eq(p.stacks.v[idx[1]].f[MS_SF_LIVE_BYTES], 10);
    free(idx);
    ms_profile_free(&p);
    for (int i = 0; i < 3; i++)
        ms_dump_free(&d[i]);
}
END_TEST

/* A profile with one stack of named frames (innermost first). */
static void named_profile(struct ms_profile *p, const char *const *fn, size_t n)
{
    memset(p, 0, sizeof *p);
    struct ms_pmodule *m = MS_VEC_PUSH(p->modules);
    m->path = ms_xstrdup("/usr/lib/x86_64-linux-gnu/libfoo.so.1");
    m->build_id = ms_xmalloc(1);
    struct ms_pstack *s = MS_VEC_PUSH(p->stacks);
    s->nframes = (uint32_t)n;
    s->frames = ms_xcalloc(n, sizeof *s->frames);
    s->f[MS_SF_LIVE_BYTES] = 64;
    s->f[MS_SF_LIVE_BLOCKS] = 1;
    for (size_t i = 0; i < n; i++) {
        struct ms_frame *f = MS_VEC_PUSH(p->frames);
        f->module = 0;
        f->offset = 0x1000 + i;
        f->nsym = 1;
        f->sym = ms_xcalloc(1, sizeof *f->sym);
        f->sym[0].function = ms_xstrdup(fn[i]);
        f->sym[0].file = ms_xasprintf("/src/%s.c", fn[i]);
        f->sym[0].line = 10 + (int)i;
        s->frames[i] = (uint32_t)i;
    }
}

/* The site of an allocation is the program's own innermost frame, even
 * when the program is stripped (no function, no line) and libc frames on
 * both sides of it have lines: "prog+0x1234" says where to look, libc's
 * allocation wrapper or start-up code does not. */
START_TEST(test_stack_site_prefers_program)
{
    struct ms_profile p;
    static const char *const fn[] = {"xmalloc", "prog_frame", "__libc_start_call_main"};
    named_profile(&p, fn, 3);
    struct ms_pmodule *exe = MS_VEC_PUSH(p.modules);
    exe->path = ms_xstrdup("/usr/bin/prog");
    exe->build_id = ms_xmalloc(1);
    struct ms_process *pr = MS_VEC_PUSH(p.processes);
    pr->exe = ms_xstrdup("/usr/bin/prog");
    struct ms_frame *f = &p.frames.v[1]; /* stripped: no symbol at all */
    f->module = 1;
    free(f->sym[0].function);
    free(f->sym[0].file);
    free(f->sym);
    f->sym = NULL;
    f->nsym = 0;
    struct ms_xframe *x;
    size_t n = ms_expand_stack(&p, &p.stacks.v[0], &x);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(ms_stack_site(&p, x, n), 1);
    free(x);
    /* Without the program's frame, the first frame with a line wins. */
    f->module = 0;
    n = ms_expand_stack(&p, &p.stacks.v[0], &x);
    ck_assert_uint_eq(ms_stack_site(&p, x, n), 0);
    free(x);
    ms_profile_free(&p);
}
END_TEST

static const char *suppressed_by(const char *text)
{
    static const char *const fn[] = {"xstrdup", "foo_init", "main"};
    struct ms_profile p;
    named_profile(&p, fn, 3);
    struct ms_supps s = {0};
    ck_assert_int_eq(ms_supp_parse("t.supp", text, &s), 0);
    ms_supp_apply(&s, &p);
    static char name[128];
    snprintf(name, sizeof name, "%s", p.stacks.v[0].suppressed ? p.stacks.v[0].suppressed : "-");
    ms_profile_free(&p);
    ms_supp_free(&s);
    return name;
}

START_TEST(test_suppressions)
{
    ck_assert_str_eq(suppressed_by("leak:foo_init\n"), "leak:foo_init");
    ck_assert_str_eq(suppressed_by("leak:^foo_\n"), "leak:^foo_");
    ck_assert_str_eq(suppressed_by("leak:libfoo.so\n"), "leak:libfoo.so");
    ck_assert_str_eq(suppressed_by("# comment\nleak:bar_init\n"), "-");
    ck_assert_str_eq(suppressed_by("leak:^init$\n"), "-");
    /* valgrind style, as --gen-suppressions writes it (starts in malloc). */
    ck_assert_str_eq(suppressed_by("{\n   foo-once\n   Memcheck:Leak\n   match-leak-kinds: "
                                   "definite\n   fun:malloc\n   fun:xstrdup\n   fun:foo_*\n}\n"),
                     "foo-once");
    ck_assert_str_eq(suppressed_by("{\n  any\n  Memcheck:Leak\n  ...\n  fun:main\n}\n"), "any");
    ck_assert_str_eq(suppressed_by("{\n  obj\n  Memcheck:Leak\n  obj:*/libfoo.so*\n}\n"), "obj");
    ck_assert_str_eq(suppressed_by("{\n  src\n  Memcheck:Leak\n  ...\n  src:foo_init.c:11\n}\n"),
                     "src");
    ck_assert_str_eq(suppressed_by("{\n  order\n  Memcheck:Leak\n  fun:foo_init\n}\n"), "-");
    ck_assert_str_eq(suppressed_by("{\n  cond\n  Memcheck:Cond\n  fun:xstrdup\n}\n"), "-");
    struct ms_supps s = {0};
    ck_assert_int_eq(ms_supp_parse("bad.supp", "{\n name\n Memcheck:Leak\n fun:x\n", &s), -1);
    ck_assert_int_eq(ms_supp_parse("bad.supp", "this is not a rule\n", &s), -1);
    ms_supp_free(&s);
}
END_TEST

START_TEST(test_findings)
{
    const char *in =
        "{\"pid\":12,\"map\":\"0xc000123000\",\"finding\":\"lingering_oldbuckets\","
        "\"key_type\":\"string\",\"elem_type\":\"*main.Session\",\"count\":100000,\"B\":14,"
        "\"bucket_bytes\":50331648,\"old_bytes\":25165824,\"overflow_buckets\":3,"
        "\"lingering_s\":12.5,\"site\":{\"function\":\"main.newStore\",\"file\":\"store.go\","
        "\"line\":88}}\n"
        "\n"
        "{\"pid\":12, \"finding\": \"large_span\", \"map\": \"0xc0001\", \"site\": \"x.go:1\"}\n"
        "{not json}\n"
        "[1,2]\n";
    struct ms_findings f = {0};
    ck_assert_int_eq(ms_findings_parse("f.jsonl", in, strlen(in), &f), 1);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_str_eq(f.v[0].finding, "lingering_oldbuckets");
    ck_assert_uint_eq(f.v[0].old_bytes, 25165824);
    ck_assert_uint_eq(f.v[0].B, 14);
    ck_assert_str_eq(f.v[0].site, "main.newStore (store.go:88)");
    ck_assert(f.v[0].lingering_s > 12.4 && f.v[0].lingering_s < 12.6);
    ck_assert_str_eq(f.v[1].site, "x.go:1");
    ck_assert_ptr_nonnull(strstr(f.v[0].json, "\"elem_type\":\"*main.Session\""));
    ms_findings_free(&f);
}
END_TEST

static int parses(const char *s)
{
    struct ms_json j;
    const char *err;
    size_t pos;
    int rc = ms_json_parse(s, strlen(s), &j, &err, &pos);
    if (!rc)
        ms_json_free(&j);
    return rc == 0;
}

START_TEST(test_json_parser)
{
    ck_assert(parses("{\"a\":[1,2.5e3,-0.5,true,false,null,\"x\\u00e9\\ud83d\\ude00\\n\"]}"));
    ck_assert(parses("  []  "));
    ck_assert(parses("123")); /* a number at the very end of the input */
    ck_assert(parses("null"));
    ck_assert(!parses("{\"a\":1,}"));
    ck_assert(!parses("{\"a\" 1}"));
    ck_assert(!parses("\"unterminated"));
    ck_assert(!parses("\"bad \\x escape\""));
    ck_assert(!parses("\"\\u12\""));
    ck_assert(!parses("[1] 2"));
    ck_assert(!parses("tru"));
    ck_assert(!parses("1e999"));
    ck_assert(!parses("[NaN]"));
    ck_assert(!parses("{\"a\":{\"b\":[-Infinity]}}"));
    ck_assert(!parses("// c\n{}"));
    ck_assert(!parses(""));
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = 0;
    ck_assert(!parses(deep)); /* nesting cap, not a stack overflow */
    struct ms_json j;
    const char *err;
    size_t pos;
    /* Only len bytes are read: the rest of the buffer is not JSON. */
    ck_assert_int_eq(ms_json_parse("{\"k\":\"v\"}garbage", 9, &j, &err, &pos), 0);
    ck_assert_str_eq(ms_json_get(&j, "k")->str, "v");
    ck_assert_ptr_null(ms_json_get(&j, "nope"));
    ms_json_free(&j);
    ck_assert_int_eq(ms_json_parse("[1,2", 4, &j, &err, &pos), -1);
    ck_assert_uint_eq(pos, 4);
    ck_assert_ptr_nonnull(err);
    /* Written back compactly, in order, '<' escaped for HTML. */
    const char *in = "{ \"s\": \"</script>\", \"n\": [-5, 2.5, 1e3, true, null], \"o\": {} }";
    ck_assert_int_eq(ms_json_parse(in, strlen(in), &j, &err, &pos), 0);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    ms_json_write(m, &j);
    fclose(m);
    ck_assert_str_eq(out, "{\"s\":\"\\u003c/script>\",\"n\":[-5,2.5,1000,true,null],\"o\":{}}");
    free(out);
    ms_json_free(&j);
}
END_TEST

/* Findings and suppressions are read whole, as streams: a pipe works. */
START_TEST(test_read_file)
{
    size_t len;
    errno = 0;
    ck_assert_ptr_null(ms_read_file("/nonexistent/x.jsonl", &len));
    ck_assert_int_eq(errno, ENOENT);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    static char big[200000]; /* more than one read's worth, and than a pipe holds */
    memset(big, 'x', sizeof big);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        ssize_t w = 0;
        for (size_t off = 0; off < sizeof big; off += (size_t)w)
            if ((w = write(fds[1], big + off, sizeof big - off)) <= 0)
                _exit(1);
        _exit(0);
    }
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    char *s = ms_read_file(path, &len);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(len, sizeof big);
    ck_assert_int_eq(s[len], '\0');
    ck_assert(memcmp(s, big, len) == 0);
    free(s);
}
END_TEST

START_TEST(test_parsers)
{
    uint64_t v;
    ck_assert_int_eq(ms_parse_bytes("512K", false, &v), 0);
    ck_assert_uint_eq(v, 524288);
    ck_assert_int_eq(ms_parse_bytes("2MiB", false, &v), 0);
    ck_assert_uint_eq(v, 2u << 20);
    ck_assert_int_eq(ms_parse_bytes("0", false, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ms_parse_bytes("12X", false, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("-1", false, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("99999999999999999999", false, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("17179869184G", false, &v), -1);
    ck_assert_int_eq(ms_parse_duration("10m", false, &v), 0);
    ck_assert_uint_eq(v, 600000000000ull);
    ck_assert_int_eq(ms_parse_duration("600", false, &v), 0);
    ck_assert_uint_eq(v, 600000000000ull);
    ck_assert_int_eq(ms_parse_duration("250ms", false, &v), 0);
    ck_assert_uint_eq(v, 250000000ull);
    ck_assert_int_eq(ms_parse_duration("1h", false, &v), 0);
    ck_assert_int_eq(ms_parse_duration("off", false, &v),
                     -1); /* the report's options have no off */
    ck_assert_int_eq(ms_parse_bytes("off", false, &v), -1);
    ck_assert_int_eq(ms_parse_duration("5x", false, &v), -1);
    char b[32];
    ck_assert_str_eq(ms_fmt_bytes(b, 512), "512 B");
    ck_assert_str_eq(ms_fmt_bytes(b, 1536), "1.5 KiB");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_add_test(tc, test_newest_per_pid_and_pids_merged);
    tcase_add_test(tc, test_snapshots_only);
    tcase_add_test(tc, test_timeline_merged_on_wall_clock);
    tcase_add_test(tc, test_view_order);
    tcase_add_test(tc, test_stack_site_prefers_program);
    tcase_add_test(tc, test_suppressions);
    tcase_add_test(tc, test_findings);
    tcase_add_test(tc, test_json_parser);
    tcase_add_test(tc, test_read_file);
    tcase_add_test(tc, test_parsers);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
