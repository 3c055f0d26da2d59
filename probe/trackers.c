/*
 * trackers.c — the classic and Swiss trackers behind trackers.h's interface.
 * Each adapter only forwards: the judgement stays in findings.c and
 * swissfindings.c, the printing in their output files.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "maptrack.h"
#include "swiss.h"
#include "trackers.h"

/* Both trackers open with their struct gm_proc, so either one is its proc. */
_Static_assert(offsetof(struct gm_tracker, proc) == 0, "gm_tracker must start with proc");
_Static_assert(offsetof(struct sw_tracker, proc) == 0, "sw_tracker must start with proc");

static void set_clock(void *tr, double start, double now)
{
    struct gm_proc *p = tr;
    p->start = start;
    p->now = now;
}

/* ---------------------------------------------------------------- classic -- */

static void c_event(void *tr, const struct gomap_event *e)
{
    ms_gm_event(tr, e);
}

static int c_poll(void *tr, double now)
{
    return ms_gm_poll(tr, now);
}

static void c_show(void *tr, FILE *f, double linger, double elapsed, bool final)
{
    struct gm_options o = {.linger = linger};
    struct gm_finding *fs = NULL;
    struct gm_summary s;
    size_t n = ms_gm_findings(tr, &o, &fs, &s);
    if (final)
        ms_gm_print_report(f, tr, fs, n, &s, elapsed);
    else
        ms_gm_print_table(f, tr, fs, n, &s, elapsed, true);
    free(fs);
}

static int c_json(void *tr, FILE *f, double linger, double elapsed)
{
    struct gm_options o = {.linger = linger};
    struct gm_finding *fs = NULL;
    struct gm_summary s;
    size_t n = ms_gm_findings(tr, &o, &fs, &s);
    int rc = ms_gm_write_json(f, tr, fs, n, &s, elapsed);
    free(fs);
    return rc;
}

static void c_stats(void *tr, uint64_t dups, uint64_t lost)
{
    struct gm_tracker *t = tr;
    t->st.dups = dups;
    t->st.lost = lost;
}

static void c_free(void *tr)
{
    ms_gm_free(tr);
}

const struct gm_tracker_ops ms_gm_classic_ops = {"classic", c_event, c_poll,    c_show,
                                                 c_json,    c_stats, set_clock, c_free};

/* ------------------------------------------------------------------ swiss -- */

static void s_event(void *tr, const struct gomap_event *e)
{
    ms_sw_event(tr, e);
}

static int s_poll(void *tr, double now)
{
    return ms_sw_poll(tr, now);
}

static void s_show(void *tr, FILE *f, double linger, double elapsed, bool final)
{
    struct sw_options o = {.linger = linger};
    struct sw_finding *fs = NULL;
    struct sw_summary s;
    size_t n = ms_sw_findings(tr, &o, &fs, &s);
    if (final)
        ms_sw_print_report(f, tr, fs, n, &s, elapsed);
    else
        ms_sw_print_table(f, tr, fs, n, &s, elapsed, true);
    free(fs);
}

static int s_json(void *tr, FILE *f, double linger, double elapsed)
{
    struct sw_options o = {.linger = linger};
    struct sw_finding *fs = NULL;
    struct sw_summary s;
    size_t n = ms_sw_findings(tr, &o, &fs, &s);
    int rc = ms_sw_write_json(f, tr, fs, n, &s, elapsed);
    free(fs);
    return rc;
}

static void s_stats(void *tr, uint64_t dups, uint64_t lost)
{
    struct sw_tracker *t = tr;
    t->st.dups += dups;
    t->st.lost = lost;
}

static void s_free(void *tr)
{
    ms_sw_free(tr);
}

const struct gm_tracker_ops ms_gm_swiss_ops = {"swiss", s_event, s_poll,    s_show,
                                               s_json,  s_stats, set_clock, s_free};
