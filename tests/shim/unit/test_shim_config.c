/*
 * test_shim_config.c — the option grammar (format/option_grammar.c) and the
 * MAPSCOPE_* configuration loader:
 * accepted forms, rejected forms (one stderr line each, naming the
 * variable, the default kept), path resolution, and LD_PRELOAD filtering.
 */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../check_run.h"
#include "exec_env.h"
#include "option_grammar.h"
#include "shim_config.h"

#define NS(s) ((uint64_t)(s)*1000000000ull)

START_TEST(durations)
{
    uint64_t v;
    ck_assert_int_eq(ms_parse_duration("600", true, &v), 0);
    ck_assert_uint_eq(v, NS(600));
    ck_assert_int_eq(ms_parse_duration("10m", true, &v), 0);
    ck_assert_uint_eq(v, NS(600));
    ck_assert_int_eq(ms_parse_duration("2h", true, &v), 0);
    ck_assert_uint_eq(v, NS(7200));
    ck_assert_int_eq(ms_parse_duration("250ms", true, &v), 0);
    ck_assert_uint_eq(v, 250000000ull);
    ck_assert_int_eq(ms_parse_duration("5S", true, &v), 0);
    ck_assert_uint_eq(v, NS(5));
    ck_assert_int_eq(ms_parse_duration("off", true, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ms_parse_duration("0", true, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ms_parse_duration("2d", true, &v), 0);
    ck_assert_uint_eq(v, NS(2 * 86400));
    ck_assert_int_eq(ms_parse_duration("NONE", true, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ms_parse_duration("0", false, &v), 0); /* a number; ranges are per option */
    ck_assert_int_eq(ms_parse_duration("off", false, &v), -1);
    const char *bad[] = {"", "abc", "-5", "5x", "5 s", "1.5s", "s", "99999999999999999999", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(ms_parse_duration(bad[i], true, &v) == -1, "accepted '%s'", bad[i]);
    ck_assert_int_eq(ms_parse_duration(NULL, true, &v), -1);
}
END_TEST

START_TEST(byte_sizes)
{
    uint64_t v;
    ck_assert_int_eq(ms_parse_bytes("512K", true, &v), 0);
    ck_assert_uint_eq(v, 512 * 1024);
    ck_assert_int_eq(ms_parse_bytes("1m", true, &v), 0);
    ck_assert_uint_eq(v, 1 << 20);
    ck_assert_int_eq(ms_parse_bytes("2GiB", true, &v), 0);
    ck_assert_uint_eq(v, 2ull << 30);
    ck_assert_int_eq(ms_parse_bytes("4096", true, &v), 0);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(ms_parse_bytes("off", true, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(ms_parse_bytes("12T", true, &v), 0);
    ck_assert_uint_eq(v, 12ull << 40);
    ck_assert_int_eq(ms_parse_bytes("3kIb", true, &v), 0);
    ck_assert_uint_eq(v, 3 << 10);
    ck_assert_int_eq(ms_parse_bytes("none", false, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("12X", true, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("5 K", true, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("K", true, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("-1", true, &v), -1);
    ck_assert_int_eq(ms_parse_bytes("18446744073709551615K", true, &v), -1); /* overflow */
}
END_TEST

START_TEST(integers_and_bools)
{
    uint64_t v;
    bool b;
    ck_assert_int_eq(ms_parse_uint("1", 1, 256, &v), 0);
    ck_assert_int_eq(ms_parse_uint("256", 1, 256, &v), 0);
    ck_assert_uint_eq(v, 256);
    ck_assert_int_eq(ms_parse_uint("0", 1, 256, &v), -1);
    ck_assert_int_eq(ms_parse_uint("257", 1, 256, &v), -1);
    ck_assert_int_eq(ms_parse_uint("12a", 1, 256, &v), -1);
    ck_assert_int_eq(ms_parse_bool("1", &b), 0);
    ck_assert(b);
    ck_assert_int_eq(ms_parse_bool("no", &b), 0);
    ck_assert(!b);
    ck_assert_int_eq(ms_parse_bool("2", &b), -1);
    ck_assert_int_eq(ms_parse_bool("", &b), -1);
}
END_TEST

START_TEST(signals)
{
    int s;
    ck_assert_int_eq(ms_parse_signal("USR2", &s), 0);
    ck_assert_int_eq(s, SIGUSR2);
    ck_assert_int_eq(ms_parse_signal("sigusr1", &s), 0);
    ck_assert_int_eq(s, SIGUSR1);
    ck_assert_int_eq(ms_parse_signal("12", &s), 0);
    ck_assert_int_eq(s, 12);
    ck_assert_int_eq(ms_parse_signal("RTMIN+2", &s), 0);
    ck_assert_int_eq(s, SIGRTMIN + 2);
    ck_assert_int_eq(ms_parse_signal("RTMAX", &s), 0);
    ck_assert_int_eq(s, SIGRTMAX);
    ck_assert_int_eq(ms_parse_signal("off", &s), 0);
    ck_assert_int_eq(s, 0);
    const char *bad[] = {"KILL", "SIGSTOP", "SEGV",     "9",       "19", "11",
                         "65",   "USR3",    "RTMIN+99", "RTMIN-1", "",   NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(ms_parse_signal(bad[i], &s) == -1, "accepted '%s'", bad[i]);
    ck_assert_str_eq(ms_signal_name(SIGUSR2), "USR2");
}
END_TEST

/* The option table: ranges per option, the off words only where 0 is off,
 * and the refusal both the shim and `mapscope run` print. */
START_TEST(option_table)
{
    struct ms_opt_value v;
    ck_assert_int_eq(ms_opt_parse(MS_OPT_LINGER, "2d", &v), 0);
    ck_assert_uint_eq(v.num, NS(2 * 86400));
    ck_assert_int_eq(ms_opt_parse(MS_OPT_INTERVAL, "500ms", &v), -1); /* at least 1s */
    ck_assert_int_eq(ms_opt_parse(MS_OPT_INTERVAL, "1s", &v), 0);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_INTERVAL, "None", &v), 0);
    ck_assert_uint_eq(v.num, 0);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_TIMELINE, "9ms", &v), -1);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_TIMELINE, "0", &v), 0);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_SAMPLE, "1T", &v), 0);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_SAMPLE, "2T", &v), -1);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_SAMPLE, "OFF", &v), 0);
    ck_assert_uint_eq(v.num, 0);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_DEPTH, "off", &v), -1); /* no off: depth 0 is no stack */
    ck_assert_int_eq(ms_opt_parse(MS_OPT_DEPTH, "0", &v), -1);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_DEPTH, "256", &v), 0);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_UNWIND, "LibUnwind", &v), 0);
    ck_assert_uint_eq(v.num, MS_UNWIND_LIBUNWIND);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_FOLLOW_CHILDREN, "Yes", &v), 0);
    ck_assert(v.on);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_SIGNAL, "USR2", &v), 0);
    ck_assert_int_eq(v.sig, SIGUSR2);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_OUTPUT, "", &v), -1);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_TRIGGER, "", &v), 0); /* empty: no trigger */
    ck_assert_int_eq(ms_opt_parse(MS_OPT_MAX_STACKS, "1048576", &v), -1);
    ck_assert_int_eq(ms_opt_parse(MS_OPT_COUNT, "1", &v), -1);
    for (int id = 0; id < MS_OPT_COUNT; id++)
        ck_assert_int_eq(ms_opt_parse((enum ms_opt)id, NULL, &v), -1);

    char line[256];
    size_t n = ms_opt_refusal(line, sizeof line, MS_OPT_LINGER, "2w");
    ck_assert_str_eq(line, "MAPSCOPE_LINGER='2w' is not valid (accepted: 0, off, or "
                           "N[ms|s|m|h|d], no unit = seconds, e.g. 60s or 1h)");
    ck_assert_uint_eq(n, strlen(line));
    ms_opt_refusal(line, sizeof line, MS_OPT_DEPTH, "a\nb"); /* stays one line */
    ck_assert_str_eq(line,
                     "MAPSCOPE_DEPTH='a?b' is not valid (accepted: an integer from 1 to 256)");
    ck_assert_uint_eq(ms_opt_refusal(line, 10, MS_OPT_DEPTH, "x"), 9); /* truncated, terminated */
    ck_assert_str_eq(line, "MAPSCOPE_");
}
END_TEST

/* A fake environment for ms_config_load. */
static const char *const *fake_env;
static char complaints[8192];
static int ncomplaints;

static const char *fake_get(const char *name)
{
    for (int i = 0; fake_env[i]; i += 2)
        if (!strcmp(fake_env[i], name))
            return fake_env[i + 1];
    return NULL;
}

static void fake_complain(const char *line)
{
    ncomplaints++;
    strncat(complaints, line, sizeof complaints - strlen(complaints) - 1);
}

START_TEST(loader_good_values)
{
    static const char *const env[] = {"MAPSCOPE_OUTPUT",
                                      "/var/tmp/svc.dump",
                                      "MAPSCOPE_INTERVAL",
                                      "10m",
                                      "MAPSCOPE_SAMPLE",
                                      "512K",
                                      "MAPSCOPE_DEPTH",
                                      "32",
                                      "MAPSCOPE_UNWIND",
                                      "fp",
                                      "MAPSCOPE_LINGER",
                                      "1h",
                                      "MAPSCOPE_FOLLOW_CHILDREN",
                                      "1",
                                      "MAPSCOPE_SIGNAL",
                                      "USR2",
                                      "MAPSCOPE_TRIGGER",
                                      "snap.now",
                                      "MAPSCOPE_TIMELINE",
                                      "500ms",
                                      "MAPSCOPE_MAX_STACKS",
                                      "5000",
                                      NULL};
    struct ms_config c;
    fake_env = env;
    ncomplaints = 0;
    complaints[0] = 0;
    ck_assert_int_eq(ms_config_load(&c, fake_get, fake_complain), 0);
    ck_assert_int_eq(ncomplaints, 0);
    ck_assert_str_eq(c.output, "/var/tmp/svc.dump");
    ck_assert_uint_eq(c.interval_ns, NS(600));
    ck_assert_uint_eq(c.sample_bytes, 512 * 1024);
    ck_assert_uint_eq(c.depth, 32);
    ck_assert_int_eq(c.unwind, MS_UNWIND_FP);
    ck_assert_uint_eq(c.linger_ns, NS(3600));
    ck_assert(c.follow_children);
    ck_assert_int_eq(c.signal, SIGUSR2);
    ck_assert_uint_eq(c.timeline_ns, 500000000ull);
    ck_assert_uint_eq(c.max_stacks, 5000);
    ms_config_resolve(&c, "/srv/app");
    ck_assert_str_eq(c.output, "/var/tmp/svc.dump"); /* already absolute */
    ck_assert_str_eq(c.trigger, "/srv/app/snap.now");
}
END_TEST

START_TEST(loader_bad_values)
{
    static const char *const env[] = {"MAPSCOPE_INTERVAL",
                                      "soon",
                                      "MAPSCOPE_SAMPLE",
                                      "lots",
                                      "MAPSCOPE_DEPTH",
                                      "0",
                                      "MAPSCOPE_UNWIND",
                                      "magic",
                                      "MAPSCOPE_LINGER",
                                      "-1",
                                      "MAPSCOPE_FOLLOW_CHILDREN",
                                      "maybe",
                                      "MAPSCOPE_SIGNAL",
                                      "KILL",
                                      "MAPSCOPE_TIMELINE",
                                      "1ms",
                                      "MAPSCOPE_MAX_STACKS",
                                      "3",
                                      "MAPSCOPE_OUTPUT",
                                      "",
                                      NULL};
    struct ms_config c, d;
    fake_env = env;
    ncomplaints = 0;
    complaints[0] = 0;
    ck_assert_int_eq(ms_config_load(&c, fake_get, fake_complain), 10);
    ck_assert_int_eq(ncomplaints, 10);
    ms_config_defaults(&d);
    ck_assert_mem_eq(&c, &d, sizeof c); /* every bad value fell back to its default */
    const char *vars[] = {"MAPSCOPE_INTERVAL",
                          "MAPSCOPE_SAMPLE",
                          "MAPSCOPE_DEPTH",
                          "MAPSCOPE_UNWIND",
                          "MAPSCOPE_LINGER",
                          "MAPSCOPE_FOLLOW_CHILDREN",
                          "MAPSCOPE_SIGNAL",
                          "MAPSCOPE_TIMELINE",
                          "MAPSCOPE_MAX_STACKS",
                          "MAPSCOPE_OUTPUT",
                          NULL};
    for (int i = 0; vars[i]; i++) {
        char want[64];
        snprintf(want, sizeof want, "mapscope: %s='", vars[i]);
        ck_assert_msg(strstr(complaints, want), "no complaint about %s", vars[i]);
    }
    /* One line each, each saying what is accepted. */
    int lines = 0;
    for (const char *p = complaints; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 10);
    ck_assert_ptr_nonnull(strstr(complaints, "accepted: dwarf, libunwind or fp"));
    ck_assert_ptr_nonnull(strstr(complaints, "accepted: an integer from 1 to 256"));
}
END_TEST

START_TEST(defaults)
{
    static const char *const env[] = {NULL};
    struct ms_config c;
    fake_env = env;
    ck_assert_int_eq(ms_config_load(&c, fake_get, fake_complain), 0);
    ck_assert_str_eq(c.output, "mapscope.dump");
    ck_assert_uint_eq(c.interval_ns, 0);
    ck_assert_uint_eq(c.sample_bytes, 0);
    ck_assert_uint_eq(c.depth, 64);
    ck_assert_int_eq(c.unwind, MS_UNWIND_DWARF);
    ck_assert_uint_eq(c.linger_ns, NS(60));
    ck_assert(!c.follow_children);
    ck_assert_int_eq(c.signal, 0);
    ck_assert_str_eq(c.trigger, "");
    ck_assert_uint_eq(c.timeline_ns, 10000000ull);
    ms_config_resolve(&c, "/home/u");
    ck_assert_str_eq(c.output, "/home/u/mapscope.dump");
}
END_TEST

START_TEST(preload_filter)
{
    char out[256];
    const char *self = "/usr/lib/x86_64-linux-gnu/libmapscope.so";
    ms_preload_without("/usr/lib/x86_64-linux-gnu/libmapscope.so", self, out, sizeof out);
    ck_assert_str_eq(out, "");
    ms_preload_without("libmapscope.so", self, out, sizeof out);
    ck_assert_str_eq(out, "");
    ms_preload_without("/opt/a.so:libmapscope.so /opt/b.so", self, out, sizeof out);
    ck_assert_str_eq(out, "/opt/a.so:/opt/b.so");
    ms_preload_without("/opt/notlibmapscope.so", self, out, sizeof out);
    ck_assert_str_eq(out, "/opt/notlibmapscope.so");
    ms_preload_without("  ", self, out, sizeof out);
    ck_assert_str_eq(out, "");
}
END_TEST

/* Random and mutated strings through every parser: never a crash, and
 * whatever is accepted is in range. */
START_TEST(fuzz_parsers)
{
    static const char alphabet[] = "0123456789smhkKMGgbBiIoOfFnNeE+-. \tSIGUSR2RTMINAX";
    static const char *const seeds[] = {"512K", "10m", "USR2", "RTMIN+3", "off", "1", "250ms", ""};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char buf[40];
    for (int i = 0; i < 200000; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t n = rng % (sizeof buf - 1);
        if (i % 2) {
            for (size_t k = 0; k < n; k++)
                buf[k] = alphabet[(rng >> (k % 50)) % (sizeof alphabet - 1)];
            buf[n] = 0;
        } else { /* a good value with one byte changed, cut or extended */
            snprintf(buf, sizeof buf, "%s", seeds[rng % 8]);
            size_t len = strlen(buf);
            if (len)
                buf[(rng >> 8) % len] = alphabet[(rng >> 16) % (sizeof alphabet - 1)];
            if ((rng >> 24) & 1)
                strncat(buf, "9", sizeof buf - strlen(buf) - 1);
        }
        uint64_t v;
        bool b;
        int sig;
        if (ms_parse_duration(buf, true, &v) == 0)
            ck_assert(v == 0 || v >= 1000000ull);
        ms_parse_bytes(buf, true, &v);
        /* Every option's parser and refusal on every 4th string (all of
         * them would take ~1 s under ASan, too near Check's 4 s timeout on
         * a loaded machine); plain tests, ck_abort_msg only on a failure,
         * as every ck_assert writes to Check's pipe. */
        for (int id = 0; i % 4 == 0 && id < MS_OPT_COUNT; id++) {
            struct ms_opt_value ov;
            char line[200];
            if (ms_opt_parse((enum ms_opt)id, buf, &ov) != 0 &&
                (ms_opt_refusal(line, sizeof line, (enum ms_opt)id, buf) >= sizeof line ||
                 strchr(line, '\n')))
                ck_abort_msg("refusal of '%s' for option %d is not one bounded line", buf, id);
        }
        if (ms_parse_uint(buf, 1, 256, &v) == 0)
            ck_assert(v >= 1 && v <= 256);
        ms_parse_bool(buf, &b);
        if (ms_parse_signal(buf, &sig) == 0)
            ck_assert(sig == 0 || (sig >= 1 && sig <= SIGRTMAX && sig != SIGKILL &&
                                   sig != SIGSTOP && sig != SIGSEGV));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shim_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, durations);
    tcase_add_test(tc, byte_sizes);
    tcase_add_test(tc, integers_and_bools);
    tcase_add_test(tc, signals);
    tcase_add_test(tc, option_table);
    tcase_add_test(tc, loader_good_values);
    tcase_add_test(tc, loader_bad_values);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, preload_filter);
    tcase_add_test(tc, fuzz_parsers);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
