/*
 * out_json.c — `mapscope report --json`: the whole report as one JSON
 * object, for scripts.
 *
 * The schema is documented in mapscope-report(1) ("JSON OUTPUT") and is a
 * promise: names are only ever added, never renamed or removed, and
 * "schema" changes only if a field changes meaning.  Addresses are hex
 * strings (JSON numbers lose precision above 2^53 in most parsers); counts
 * and bytes are integers.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define MS_JSON_SCHEMA 1

static const char *reason_name(uint32_t r)
{
    static const char *const names[] = {"exit", "interval", "signal", "trigger", "api"};
    return r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

static void nv_object(FILE *out, const struct ms_nv *v, size_t n)
{
    fputc('{', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        ms_json_str(out, v[i].name);
        fprintf(out, ":%" PRIu64, v[i].value);
    }
    fputc('}', out);
}

/* totals: the names the schema promises always appear (0 when a dump did
 * not record them), then whatever else the dumps carried. */
static void totals(FILE *out, const struct ms_profile *p)
{
    static const char *const promised[] = {
        MS_TOTAL_ALLOCATIONS,   MS_TOTAL_FREES,        MS_TOTAL_BYTES_ALLOCATED,
        MS_TOTAL_BYTES_FREED,   MS_TOTAL_INUSE_BLOCKS, MS_TOTAL_INUSE_BYTES,
        MS_TOTAL_PEAK_BYTES,    MS_TOTAL_PEAK_BLOCKS,  MS_TOTAL_FAILED,
        MS_TOTAL_UNKNOWN_FREES, MS_TOTAL_TEMPORARY};
    const size_t np = sizeof promised / sizeof promised[0];
    fputc('{', out);
    for (size_t i = 0; i < np; i++)
        fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", promised[i],
                ms_profile_total(p, promised[i]));
    for (size_t i = 0; i < p->totals.n; i++) {
        size_t k = 0;
        while (k < np && strcmp(promised[k], p->totals.v[i].name))
            k++;
        if (k < np)
            continue;
        fputc(',', out);
        ms_json_str(out, p->totals.v[i].name);
        fprintf(out, ":%" PRIu64, p->totals.v[i].value);
    }
    fprintf(out, ",\"leak_scans\":%" PRIu64, ms_profile_scans(p));
    if (ms_profile_scans(p)) {
        uint64_t k[MS_KF_COUNT];
        ms_kinds_totals(p, k);
        ms_json_kinds(out, k);
    }
    fputc('}', out);
}

static void entry_linger(FILE *out, const struct ms_pstack *s)
{
    fprintf(out, ",\"oldest_age_s\":%.3f,\"histogram\":[", (double)s->lg_oldest_ns / 1e9);
    for (uint32_t b = 0; b < s->lg_nbins; b++)
        fprintf(out, "%s{\"min_age_s\":%.3f,\"blocks\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
                b ? "," : "", (double)s->lg_bins[b].min_age_ns / 1e9, s->lg_bins[b].blocks,
                s->lg_bins[b].bytes);
    fputc(']', out);
}

/* One view as an array.  Every entry has bytes, blocks and stack; the
 * other fields depend on the view. */
static void view(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                 const char *name, enum ms_metric m)
{
    uint32_t *idx;
    size_t n = ms_view(p, m, &idx);
    if (o->top_given && o->top && n > o->top)
        n = o->top;
    fprintf(out, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        const struct ms_pstack *s = &p->stacks.v[idx[i]];
        uint64_t bytes, blocks;
        switch (m) {
        case MS_M_ALLOCS:
        case MS_M_TEMPORARY:
            bytes = s->f[MS_SF_BYTES_ALLOCATED];
            blocks = s->f[MS_SF_ALLOCS];
            break;
        default:
            bytes = ms_metric_value(s, m);
            blocks = ms_metric_other(s, m);
        }
        fprintf(out, "%s{\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64, i ? "," : "", bytes, blocks);
        fprintf(out, ",\"allocations\":%" PRIu64 ",\"frees\":%" PRIu64, s->f[MS_SF_ALLOCS],
                s->f[MS_SF_FREES]);
        if (m == MS_M_TEMPORARY)
            fprintf(out, ",\"temporary\":%" PRIu64, s->f[MS_SF_TEMPORARY]);
        if (m == MS_M_LEAKED || m == MS_M_LOST || m == MS_M_REACHABLE) {
            fputs(",\"suppressed\":", out);
            ms_json_str(out, s->suppressed);
            if (ms_profile_scans(p))
                ms_json_kinds(out, s->k);
        }
        if (m == MS_M_LINGERING)
            entry_linger(out, s);
        fputs(",\"stack\":", out);
        ms_json_stack(out, p, s);
        fputc('}', out);
    }
    fputc(']', out);
    free(idx);
}

static void processes(FILE *out, const struct ms_profile *p)
{
    fputs(",\"processes\":[", out);
    for (size_t i = 0; i < p->processes.n; i++) {
        const struct ms_process *pr = &p->processes.v[i];
        fprintf(out, "%s{\"pid\":%" PRIu32 ",\"ppid\":%" PRIu32 ",\"exe\":", i ? "," : "", pr->pid,
                pr->ppid);
        ms_json_str(out, pr->exe);
        fputs(",\"cmdline\":", out);
        ms_json_str(out, pr->cmdline);
        fputs(",\"file\":", out);
        ms_json_str(out, pr->file);
        fprintf(out,
                ",\"reason\":\"%s\",\"seq\":%" PRIu32 ",\"start_unix_ns\":%" PRIu64
                ",\"dump_unix_ns\":%" PRIu64 ",\"complete\":%s}",
                reason_name(pr->reason), pr->seq, pr->start_ns, pr->dump_ns,
                pr->complete ? "true" : "false");
    }
    fputc(']', out);
}

static void timeline(FILE *out, const struct ms_profile *p)
{
    fprintf(out, ",\"timeline\":{\"interval_s\":%.3f,\"points\":[",
            (double)p->timeline_interval_ns / 1e9);
    for (size_t i = 0; i < p->timeline.n; i++) {
        const struct ms_tl_point *t = &p->timeline.v[i];
        fprintf(out, "%s[%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", i ? "," : "",
                (double)t->t_ns / 1e9, t->live_bytes, t->live_blocks, t->allocs, t->alloc_bytes);
    }
    fputs("]}", out);
}

void ms_json_head(FILE *out, const struct ms_profile *p)
{
    fprintf(out, "\"schema\":%d,\"totals\":", MS_JSON_SCHEMA);
    totals(out, p);
    /* Frames left without a function name, and how to get the names. */
    char mods[512];
    uint64_t unnamed;
    const char *hint = ms_names_hint(p, &unnamed, mods, sizeof mods);
    fprintf(out, ",\"unnamed_frames\":%" PRIu64 ",\"names_hint\":", unnamed);
    ms_json_str(out, hint);
}

void ms_json_tail(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                  const struct ms_findings *f)
{
    processes(out, p);
    fputs(",\"settings\":{", out);
    for (size_t i = 0; i < p->settings.n; i++) {
        if (i)
            fputc(',', out);
        ms_json_str(out, p->settings.v[i].name);
        fputc(':', out);
        ms_json_str(out, p->settings.v[i].value);
    }
    fputs("},\"engine\":", out);
    nv_object(out, p->engine.v, p->engine.n);
    timeline(out, p);
    fputs(",\"findings\":[", out);
    for (size_t i = 0; f && i < f->n; i++)
        fprintf(out, "%s%s", i ? "," : "", f->v[i].json);
    fputs("],\"findings_summary\":[", out);
    for (size_t i = 0; f && i < f->summaries.n; i++)
        fprintf(out, "%s%s", i ? "," : "", f->summaries.v[i].json);
    fputs("],\"problems\":[", out);
    for (size_t i = 0; i < o->nproblems; i++) {
        if (i)
            fputc(',', out);
        ms_json_str(out, o->problems[i]);
    }
    fputc(']', out);
}

void ms_out_json(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                 const struct ms_findings *f)
{
    fputc('{', out);
    ms_json_head(out, p);
    fprintf(out, ",\"lingering_min_s\":%.3f", (double)o->linger_min_ns / 1e9);
    view(out, p, o, "leaks", MS_M_LEAKED);
    view(out, p, o, "lost", MS_M_LOST);
    view(out, p, o, "still_reachable", MS_M_REACHABLE);
    view(out, p, o, "lingering", MS_M_LINGERING);
    view(out, p, o, "peak", MS_M_PEAK);
    view(out, p, o, "hotspots", MS_M_ALLOCS);
    view(out, p, o, "temporary", MS_M_TEMPORARY);
    ms_json_tail(out, p, o, f);
    fputs("}\n", out);
}
