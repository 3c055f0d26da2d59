/*
 * out_text.c — the default, human-readable report: totals, the heap over
 * time (out_text_timeline.c), peak, leaks,
 * lingering blocks, hot spots, temporary allocations, unknown frees, gomaps
 * findings and the profiler's own cost, each with symbolized stacks.
 *
 * Written for the on-call engineer reading a terminal: the most important
 * section first, sizes in binary units, each stack as "function
 * (file:line)" from the allocation outwards, like valgrind and heaptrack.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "findings_format.h"
#include "pipeline.h"

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void ms_text_stack(FILE *out, const struct ms_profile *p, const struct ms_pstack *s,
                   size_t max_frames)
{
    struct ms_xframe *x;
    size_t n = ms_expand_stack(p, s, &x);
    size_t shown = max_frames && n > max_frames ? max_frames : n;
    char buf[512];
    if (!n)
        fputs("        (stack not recorded)\n", out);
    for (size_t i = 0; i < shown; i++) {
        const struct ms_frame *fr = x[i].frame;
        const struct ms_sym *sym = fr->nsym ? &fr->sym[x[i].symi] : NULL;
        fprintf(out, "        %s", ms_frame_label(p, fr, x[i].symi, buf, sizeof buf));
        if (sym && sym->file)
            fprintf(out, " (%s:%d)", ms_basename(sym->file), sym->line);
        else if (sym && fr->module >= 0)
            fprintf(out, " [%s]", ms_basename(p->modules.v[fr->module].path));
        if (x[i].inlined)
            fputs(" [inlined]", out);
        fputc('\n', out);
    }
    if (shown < n)
        fprintf(out, "        ... %zu more %s (--frames 0 shows all)\n", n - shown,
                plural(n - shown, "frame", "frames"));
    free(x);
}

/* One ranked section.  `what` describes an entry's figure. */
static void section(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                    enum ms_metric m, const char *title, const char *empty)
{
    uint32_t *idx;
    size_t n = ms_view(p, m, &idx);
    size_t unsup = 0;
    uint64_t sum = 0, sum_other = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ms_pstack *s = &p->stacks.v[idx[i]];
        if (ms_stack_suppressed(s, m))
            continue;
        idx[unsup++] = idx[i];
        sum += ms_metric_value(s, m);
        sum_other += ms_metric_other(s, m);
    }
    n = unsup;
    char b1[32], b2[32];
    fprintf(out, "\n== %s", title);
    if (!n) {
        fprintf(out, "\n   %s\n", empty);
        free(idx);
        return;
    }
    bool counts = m == MS_M_ALLOCS || m == MS_M_TEMPORARY;
    if (counts)
        fprintf(out, ": %" PRIu64 " from %zu %s\n", sum, n, plural(n, "stack", "stacks"));
    else
        fprintf(out, ": %s in %" PRIu64 " %s from %zu %s\n", ms_fmt_bytes(b1, sum), sum_other,
                plural(sum_other, "block", "blocks"), n, plural(n, "stack", "stacks"));
    size_t shown = o->top && n > o->top ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct ms_pstack *s = &p->stacks.v[idx[i]];
        uint64_t v = ms_metric_value(s, m), other = ms_metric_other(s, m);
        fprintf(out, "\n  #%zu ", i + 1);
        switch (m) {
        case MS_M_ALLOCS:
            fprintf(out, "%" PRIu64 " allocations, %s in all, %" PRIu64 " freed\n", v,
                    ms_fmt_bytes(b1, other), s->f[MS_SF_FREES]);
            break;
        case MS_M_TEMPORARY:
            fprintf(out, "%" PRIu64 " temporary of %" PRIu64 " allocations (%.0f%%)\n", v, other,
                    other ? 100.0 * (double)v / (double)other : 0.0);
            break;
        default:
            fprintf(out, "%s in %" PRIu64 " %s", ms_fmt_bytes(b1, v), other,
                    plural(other, "block", "blocks"));
            if (m == MS_M_LEAKED || m == MS_M_LOST)
                fprintf(out, " (of %" PRIu64 " allocated here, %s in all)", s->f[MS_SF_ALLOCS],
                        ms_fmt_bytes(b2, s->f[MS_SF_BYTES_ALLOCATED]));
            if (m == MS_M_LINGERING)
                fprintf(out, ", oldest %s", ms_fmt_duration(b2, s->lg_oldest_ns));
            fputc('\n', out);
            if (m == MS_M_LOST)
                ms_text_kinds_stack(out, s);
        }
        if (m == MS_M_LINGERING && s->lg_nbins) {
            fputs("      ages:", out);
            for (uint32_t b = 0; b < s->lg_nbins; b++)
                if (s->lg_bins[b].blocks)
                    fprintf(out, " >=%s: %" PRIu64 " (%s)",
                            ms_fmt_duration(b1, s->lg_bins[b].min_age_ns), s->lg_bins[b].blocks,
                            ms_fmt_bytes(b2, s->lg_bins[b].bytes));
            fputc('\n', out);
        }
        ms_text_stack(out, p, s, o->frames);
    }
    if (shown < n)
        fprintf(out, "\n  ... %zu more %s (--top 0 shows all)\n", n - shown,
                plural(n - shown, "stack", "stacks"));
    free(idx);
}

/* Leaks: with a reachability scan, the lost blocks (still reachable ones
 * get their own section); without, every block still allocated. */
static void leaks(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o)
{
    if (ms_profile_scans(p))
        section(out, p, o, MS_M_LOST,
                "Leaks: lost blocks (definitely, indirectly or possibly lost)",
                "none: every block still allocated is reachable");
    else
        section(out, p, o, MS_M_LEAKED, "Leaks (still allocated at the dump)",
                "none: every allocation was freed");
}

static void header(FILE *out, const struct ms_profile *p)
{
    fputs("mapscope report", out);
    if (p->processes.n == 1) {
        const struct ms_process *pr = &p->processes.v[0];
        static const char *const why[] = {"at exit", "interval snapshot", "signal snapshot",
                                          "trigger snapshot", "snapshot on request"};
        fprintf(out, ": %s (pid %" PRIu32 "), %s", *pr->cmdline ? pr->cmdline : pr->exe, pr->pid,
                pr->reason < 5 ? why[pr->reason] : "dump");
        if (pr->seq)
            fprintf(out, " #%" PRIu32, pr->seq);
        if (pr->dump_ns > pr->start_ns && pr->start_ns) {
            char b[32];
            fprintf(out, " after %s", ms_fmt_duration(b, pr->dump_ns - pr->start_ns));
        }
        fprintf(out, "\n  dump: %s\n", pr->file);
    } else {
        fprintf(out, ": %zu processes merged\n", p->processes.n);
        for (size_t i = 0; i < p->processes.n && i < 20; i++)
            fprintf(out, "  pid %-7" PRIu32 " %s  (%s)\n", p->processes.v[i].pid,
                    *p->processes.v[i].cmdline ? p->processes.v[i].cmdline : p->processes.v[i].exe,
                    p->processes.v[i].file);
        if (p->processes.n > 20)
            fprintf(out, "  ... and %zu more\n", p->processes.n - 20);
    }
}

/* Fork children start with their parent's heap: those blocks are the
 * parent's (counted once, in the parent's figures), so they are shown
 * apart, with the children's frees of them. */
static void inherited(FILE *out, const struct ms_profile *p)
{
    char b1[32], b2[32];
    uint64_t blocks = ms_profile_total(p, MS_TOTAL_INHERITED_BLOCKS);
    if (!blocks)
        return;
    uint64_t frees = ms_profile_total(p, MS_TOTAL_INHERITED_FREES);
    fprintf(out,
            "   inherited         %s in %" PRIu64 " %s alive in a parent when a child forked:\n"
            "                     the parent's, counted once, in its figures; the children "
            "freed %" PRIu64 " of them (%s)\n",
            ms_fmt_bytes(b1, ms_profile_total(p, MS_TOTAL_INHERITED_BYTES)), blocks,
            plural(blocks, "block", "blocks"), frees,
            ms_fmt_bytes(b2, ms_profile_total(p, MS_TOTAL_INHERITED_BYTES_FREED)));
}

static void totals(FILE *out, const struct ms_profile *p)
{
    char b1[32], b2[32];
    uint64_t t_alloc = ms_profile_total(p, MS_TOTAL_ALLOCATIONS);
    fputs("\n== Totals\n", out);
    fprintf(out, "   allocations       %" PRIu64 " (%s), frees %" PRIu64 "\n", t_alloc,
            ms_fmt_bytes(b1, ms_profile_total(p, MS_TOTAL_BYTES_ALLOCATED)),
            ms_profile_total(p, MS_TOTAL_FREES));
    fprintf(out, "   in use at dump    %s in %" PRIu64 " blocks\n",
            ms_fmt_bytes(b1, ms_profile_total(p, MS_TOTAL_INUSE_BYTES)),
            ms_profile_total(p, MS_TOTAL_INUSE_BLOCKS));
    inherited(out, p);
    fprintf(out, "   peak              %s in %" PRIu64 " blocks",
            ms_fmt_bytes(b1, ms_profile_total(p, MS_TOTAL_PEAK_BYTES)),
            ms_profile_total(p, MS_TOTAL_PEAK_BLOCKS));
    if (p->processes.n == 1 && ms_profile_total(p, MS_TOTAL_PEAK_TIME_NS))
        fprintf(out, " at %s", ms_fmt_duration(b2, ms_profile_total(p, MS_TOTAL_PEAK_TIME_NS)));
    if (p->processes.n > 1)
        fputs(" (sum of each process's own peak)", out);
    fputc('\n', out);
    uint64_t temp = ms_profile_total(p, MS_TOTAL_TEMPORARY);
    uint64_t failed = ms_profile_total(p, MS_TOTAL_FAILED);
    fprintf(out, "   temporary         %" PRIu64 " %s freed right away\n", temp,
            plural(temp, "allocation", "allocations"));
    fprintf(out, "   failed            %" PRIu64 " allocation %s returned NULL\n", failed,
            plural(failed, "call", "calls"));
    ms_text_kinds_summary(out, p);
    uint64_t dropped = ms_profile_total(p, MS_TOTAL_DROPPED);
    if (dropped)
        fprintf(out,
                "   dropped           %" PRIu64 " events not recorded (the profiler ran "
                "out of room): figures are lower bounds\n",
                dropped);
}

/* Frames without names, and how to get them (distribution binaries are
 * stripped: memcached was all "memcached+0x11d1d"). */
static void names_note(FILE *out, const struct ms_profile *p)
{
    char mods[512];
    uint64_t n;
    const char *hint = ms_names_hint(p, &n, mods, sizeof mods);
    if (!hint)
        return;
    fprintf(out, "\n== Names: %" PRIu64 " %s without a function name (%s)\n", n,
            plural(n, "frame", "frames"), mods);
    /* The hint, wrapped at word boundaries for a terminal. */
    for (const char *s = hint; *s;) {
        size_t len = strlen(s), cut = len;
        if (len > 94) {
            cut = 94;
            while (cut > 0 && s[cut] != ' ')
                cut--;
            if (!cut)
                cut = 94;
        }
        fprintf(out, "   %.*s\n", (int)cut, s);
        s += cut;
        while (*s == ' ')
            s++;
    }
}

static void unknown_frees(FILE *out, const struct ms_profile *p)
{
    uint64_t n = ms_profile_total(p, MS_TOTAL_UNKNOWN_FREES);
    fprintf(out, "\n== Unknown frees: %" PRIu64 "\n", n);
    fputs(n ? "   free()/realloc() of pointers the profiler never saw allocated: made before it "
              "started\n   (the loader, early constructors) or by another allocator; counted, "
              "never fatal\n"
            : "   none\n",
          out);
}

/* An engine figure (ENGINE records, summed over processes). */
static uint64_t eng(const struct ms_profile *p, const char *name, bool *found)
{
    return ms_nv_get(p->engine.v, p->engine.n, name, found);
}

/* The shim's own memory, by what it holds. */
static void overhead_memory(FILE *out, const struct ms_profile *p)
{
    char b[6][32];
    bool found;
    uint64_t mapped = eng(p, "shim.bytes_mapped", &found);
    if (!found)
        return;
    uint64_t books = eng(p, "map.bytes_total", NULL) + eng(p, "bigmap.bytes_total", NULL);
    uint64_t blocks = eng(p, "map.count", NULL);
    fprintf(out, "   profiler memory   %s mapped by the shim: live-block books %s",
            ms_fmt_bytes(b[0], mapped), ms_fmt_bytes(b[1], books));
    if (blocks)
        fprintf(out, " (%.1f B per live block)", (double)books / (double)blocks);
    fprintf(out,
            ",\n                     stack table %s + index %s, unwind caches %s,\n"
            "                     timeline %s, dump buffers %s\n",
            ms_fmt_bytes(b[2], eng(p, "shim.bytes_stacks", NULL)),
            ms_fmt_bytes(b[3], eng(p, "stackindex.bytes_total", NULL)),
            ms_fmt_bytes(b[4], eng(p, "shim.bytes_stack_cache", NULL)),
            ms_fmt_bytes(b[5], eng(p, "shim.bytes_timeline", NULL)),
            ms_fmt_bytes(b[0], eng(p, "shim.bytes_dump", NULL)));
}

/* The map engine holding the live blocks: the project's own map, held to
 * what it reports about others (size, growth, how long old arrays stay). */
static void overhead_map(FILE *out, const struct ms_profile *p)
{
    bool found;
    uint64_t count = eng(p, "map.count", &found);
    if (!found)
        return;
    char b1[32];
    fprintf(out,
            "   live-block map    %" PRIu64 " blocks in %" PRIu64 " buckets + %" PRIu64
            " overflow buckets, longest chain %" PRIu64 "\n",
            count, eng(p, "map.buckets", NULL), eng(p, "map.overflow_buckets", NULL),
            eng(p, "map.longest_chain", NULL));
    uint64_t ns = eng(p, "map.ns_growing", NULL), ops = eng(p, "map.ops_while_growing", NULL);
    if (!eng(p, "map.grows_doubling", NULL) && !eng(p, "map.grows_same_size", NULL)) {
        fputs("                     never grew\n", out);
        return;
    }
    fprintf(out,
            "                     grew %" PRIu64 " times by doubling, %" PRIu64
            " in place; old bucket arrays stayed\n"
            "                     mapped %s in all while moved over %" PRIu64
            " operations (a sum over the map's\n"
            "                     shards%s: how long, not time spent moving)\n",
            eng(p, "map.grows_doubling", NULL), eng(p, "map.grows_same_size", NULL),
            ms_fmt_duration(b1, ns), ops, p->processes.n > 1 ? " and processes" : "");
}

static void overhead_unwind(FILE *out, const struct ms_profile *p)
{
    bool found;
    uint64_t hits = eng(p, "stack_cache.hits", &found), misses = eng(p, "stack_cache.misses", NULL);
    if (!found)
        return;
    fprintf(out, "   unwinding         %" PRIu64 " stacks from the cache, %" PRIu64 " walked", hits,
            misses);
    if (hits + misses)
        fprintf(out, " (%.1f %% from the cache)", 100.0 * (double)hits / (double)(hits + misses));
    fprintf(out,
            ";\n                     %" PRIu64 " unwind rules from %" PRIu64 " objects, %" PRIu64
            " walks left to libunwind\n",
            eng(p, "unwind.rules", NULL), eng(p, "unwind.objects", NULL),
            eng(p, "unwind.fallbacks", NULL));
}

static void overhead(FILE *out, const struct ms_profile *p)
{
    char b[32];
    fprintf(out, "\n== Profiler overhead%s\n",
            p->processes.n > 1 ? " (summed over the processes)" : "");
    const char *sample = NULL, *unwind = NULL, *depth = NULL;
    for (size_t i = 0; i < p->settings.n; i++) {
        if (!strcmp(p->settings.v[i].name, "sample_bytes"))
            sample = p->settings.v[i].value;
        else if (!strcmp(p->settings.v[i].name, "unwind"))
            unwind = p->settings.v[i].value;
        else if (!strcmp(p->settings.v[i].name, "depth"))
            depth = p->settings.v[i].value;
    }
    if (!sample || !strcmp(sample, "0"))
        fputs("   sampling          off: every allocation recorded (exact figures)\n", out);
    else
        fprintf(out,
                "   sampling          one sample per %s bytes on average (figures are "
                "unbiased estimates)\n",
                sample);
    if (unwind || depth) {
        fprintf(out, "   stacks            %s unwinder, up to %s frames", unwind ? unwind : "?",
                depth ? depth : "?");
        bool found;
        uint64_t n = eng(p, "stacks.count", &found);
        if (found)
            fprintf(out, "; %" PRIu64 " distinct stacks (%s of frames)", n,
                    ms_fmt_bytes(b, eng(p, "stacks.bytes_frames", NULL)));
        fputc('\n', out);
    }
    if (!p->engine.n) {
        fputs("   (no engine figures in the dump)\n", out);
        return;
    }
    overhead_memory(out, p);
    overhead_map(out, p);
    overhead_unwind(out, p);
    fputs("   (every raw figure: --json, \"engine\")\n", out);
}

/* Why a finding matters and what to do, when the findings file did not
 * say (older gomaps output). */
void ms_out_findings_text(FILE *out, const struct ms_findings *f)
{
    char b1[32], b2[32], b3[32];
    fprintf(out, "\n== Go maps (mapscope gomaps findings): %zu\n", f->n);
    for (size_t i = 0; i < f->summaries.n; i++) {
        const struct ms_findings_summary *s = &f->summaries.v[i];
        if (s->swiss)
            fprintf(out,
                    "   pid %" PRIu64 " %s %s: %" PRIu64 " Swiss-table maps followed, %s held, "
                    "%" PRIu64 " live entries in %" PRIu64 " slots, %" PRIu64 " tombstones\n",
                    s->pid, s->binary ? s->binary : "", s->go_version ? s->go_version : "", s->maps,
                    ms_fmt_bytes(b1, s->bytes_held), s->count, s->capacity, s->tombstones);
        else
            fprintf(out,
                    "   pid %" PRIu64 " %s %s: %" PRIu64 " maps followed (%" PRIu64
                    " growing), bucket arrays %s, old arrays %s, overflow %s\n",
                    s->pid, s->binary ? s->binary : "", s->go_version ? s->go_version : "", s->maps,
                    s->growing, ms_fmt_bytes(b1, s->bucket_bytes), ms_fmt_bytes(b2, s->old_bytes),
                    ms_fmt_bytes(b3, s->overflow_bytes));
    }
    for (size_t i = 0; i < f->n; i++) {
        const struct ms_finding *x = &f->v[i];
        fprintf(out, "\n  #%zu %s%s%s: map %s in pid %" PRIu64 "\n", i + 1,
                x->finding ? x->finding : "?", x->reason ? "/" : "", x->reason ? x->reason : "",
                x->map ? x->map : "?", x->pid);
        if (x->key_type || x->elem_type)
            fprintf(out, "      map[%s]%s\n", x->key_type ? x->key_type : "?",
                    x->elem_type ? x->elem_type : "?");
        if (x->swiss)
            fprintf(out,
                    "      %" PRIu64 " entries (peak seen %" PRIu64 "), %" PRIu64
                    " slots in %" PRIu64 " tables, directory %" PRIu64 ", %" PRIu64
                    " tombstones, holds %s (%s unused)",
                    x->count, x->peak_count, x->capacity, x->tables, x->dir_len, x->tombstones,
                    ms_fmt_bytes(b1, x->bytes_held), ms_fmt_bytes(b2, x->wasted_bytes));
        else
            fprintf(out,
                    "      %" PRIu64 " entries, B=%" PRIu64 ", buckets %s, old buckets %s, "
                    "%" PRIu64 " overflow buckets",
                    x->count, x->B, ms_fmt_bytes(b1, x->bucket_bytes),
                    ms_fmt_bytes(b2, x->old_bytes), x->overflow_buckets);
        if (x->lingering_s > 0)
            fprintf(out, ", growth stalled for %s%.1f s", x->before_attach ? "at least " : "",
                    x->lingering_s);
        fputc('\n', out);
        if (x->site)
            fprintf(out, "      %s %s%s\n", ms_gm_site_label(x->site_kind), x->site,
                    x->before_attach ? " (the map existed before gomaps attached)" : "");
        int kind = ms_gm_finding_kind(x->finding);
        const char *why = x->why ? x->why : kind >= 0 ? ms_gm_finding_def(kind)->why : NULL;
        if (why)
            fprintf(out, "      why: %s\n", why);
        if (x->advice)
            fprintf(out, "      what to do: %s\n", x->advice);
    }
}

/* The lingering section's title names the threshold really applied. */
static void linger_title(char *buf, size_t cap, const struct ms_report_opts *o)
{
    char b[32];
    if (o->linger_min_ns)
        snprintf(buf, cap, "Lingering allocations (alive at least %s)",
                 ms_fmt_duration(b, o->linger_min_ns));
    else
        snprintf(buf, cap, "Lingering allocations");
}

/* When the threshold applied is not the one asked for, say why. */
static void linger_note(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o)
{
    char b1[32], b2[32], b3[32];
    uint64_t rec = ms_linger_recorded(p);
    if (!o->linger_asked_ns || o->linger_asked_ns == o->linger_min_ns || !rec)
        return;
    if (o->linger_asked_ns < rec)
        fprintf(out,
                "\n   (asked for %s: the dumps noted blocks from %s on, the run's --linger; "
                "a finer threshold needs a run with a smaller --linger)\n",
                ms_fmt_duration(b1, o->linger_asked_ns), ms_fmt_duration(b2, rec));
    else
        fprintf(out,
                "\n   (asked for %s: ages are recorded in bins starting at %s x 1, 4, 16, ...; "
                "shown: the bins from %s on, the last boundary at or below it)\n",
                ms_fmt_duration(b1, o->linger_asked_ns), ms_fmt_duration(b2, rec),
                ms_fmt_duration(b3, o->linger_min_ns));
}

void ms_out_text(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                 const struct ms_findings *f, const struct ms_supps *s)
{
    char b[32];
    if (p->processes.n) {
        header(out, p);
        char title[96];
        linger_title(title, sizeof title, o);
        if (o->lingering_only) {
            section(out, p, o, MS_M_LINGERING, title,
                    o->linger_min_ns
                        ? "none"
                        : "none (the run recorded no ages: mapscope run --linger DUR)");
            linger_note(out, p, o);
        } else {
            totals(out, p);
            names_note(out, p);
            ms_text_timeline(out, p);
            leaks(out, p, o);
            for (size_t i = 0; s && i < ms_supp_count(s); i++) {
                uint64_t st, by;
                const char *name = ms_supp_name(s, i, &st, &by);
                if (st)
                    fprintf(out, "\n   suppressed by \"%s\": %" PRIu64 " %s, %s\n", name, st,
                            plural(st, "stack", "stacks"), ms_fmt_bytes(b, by));
            }
            if (ms_profile_scans(p))
                section(out, p, o, MS_M_REACHABLE,
                        "Still reachable at the dump (not leaks: a global, a stack or a register "
                        "points to them)",
                        "none");
            section(out, p, o, MS_M_PEAK, "Peak heap: stacks holding it at the peak",
                    "no peak recorded");
            section(out, p, o, MS_M_LINGERING, title, "none");
            linger_note(out, p, o);
            section(out, p, o, MS_M_ALLOCS, "Hot spots (most allocations)", "no allocations");
            section(out, p, o, MS_M_TEMPORARY, "Temporary allocations (freed right after)", "none");
            unknown_frees(out, p);
        }
    }
    if (f && (f->n || f->summaries.n))
        ms_out_findings_text(out, f);
    if (p->processes.n && !o->lingering_only)
        overhead(out, p);
    if (o->nproblems) {
        fputs("\n== Problems with the input (results are from the intact part)\n", out);
        for (size_t i = 0; i < o->nproblems; i++)
            fprintf(out, "   %s\n", o->problems[i]);
    }
}
