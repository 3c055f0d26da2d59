/*
 * findings_text.c — the terminal table and the final report of mapscope gomaps.
 *
 * The table is what a person watches while attached: the maps that matter
 * most (findings first, then by bytes held), redrawn in place on a terminal.
 * The final report names every finding with its why and what to do, then the
 * process summary and what the probes cost.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "maptrack.h"

static const char *type_str(const struct gm_map *m, char *buf, size_t len)
{
    snprintf(buf, len, "map[%s]%s", m->type ? m->type->key : "?", m->type ? m->type->elem : "?");
    return buf;
}

static const char *type_note(const struct gm_map *m)
{
    switch (m->type_from) {
    case GM_TYPE_BUCKET_SIZE:
        return " (type recognised by its bucket size)";
    case GM_TYPE_CONTENT:
        return " (type recognised by its bucket size and entries)";
    case GM_TYPE_AMBIGUOUS:
        return " (several map types have this bucket size)";
    case GM_TYPE_UNKNOWN:
        return " (type unknown)";
    default:
        return "";
    }
}

static const char *flags_of(const struct gm_map *m, const struct gm_finding *fs, size_t n,
                            char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (fs[i].m == m) {
            size_t l = strlen(buf);
            snprintf(buf + l, len - l, "%s%s", l ? "," : "", ms_gm_finding_def(fs[i].kind)->flag);
        }
    return buf;
}

static const struct gm_tracker *sort_tr;
static const struct gm_finding *sort_fs;
static size_t sort_n;

static int score(const struct gm_map *m)
{
    for (size_t i = 0; i < sort_n; i++)
        if (sort_fs[i].m == m)
            return 1;
    return 0;
}

static int by_interest(const void *a, const void *b)
{
    const struct gm_map *x = *(const struct gm_map *const *)a,
                        *y = *(const struct gm_map *const *)b;
    int sx = score(x), sy = score(y);
    if (sx != sy)
        return sy - sx;
    uint64_t bx = x->type ? ms_gm_array_bytes(x->type->bucketsize, x->B) : 0;
    uint64_t by = y->type ? ms_gm_array_bytes(y->type->bucketsize, y->B) : 0;
    return bx < by ? 1 : bx > by ? -1 : 0;
}

void ms_gm_print_table(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                       const struct gm_summary *s, double elapsed, bool clear)
{
    char a[16], b[16], c[16], ty[200], fl[64];
    if (clear)
        fputs("\033[H\033[J", f);
    fprintf(f,
            "mapscope gomaps: pid %d (%s, %s)  %.0fs  maps %zu  growing %zu  buckets %s  old %s  "
            "overflow %s  findings %zu\n",
            (int)tr->proc.pid, tr->proc.bin->path, tr->proc.bin->version, elapsed, s->maps,
            s->growing, ms_fmt_size(a, sizeof a, s->bucket_bytes, MS_SIZE_TAG),
            ms_fmt_size(b, sizeof b, s->old_bytes, MS_SIZE_TAG),
            ms_fmt_size(c, sizeof c, s->overflow_bytes, MS_SIZE_TAG), n);
    fprintf(f, "%-14s %-9s %3s %9s %8s %8s %6s %-36s %s\n", "MAP", "COUNT", "B", "BUCKETS", "OLD",
            "EVAC", "OVF", "TYPE", "FLAGS");
    const struct gm_map **order = malloc(tr->n * sizeof *order);
    if (!order)
        return;
    for (size_t i = 0; i < tr->n; i++)
        order[i] = &tr->maps[i];
    sort_tr = tr, sort_fs = fs, sort_n = n;
    qsort(order, tr->n, sizeof *order, by_interest);
    size_t shown = 0;
    for (size_t i = 0; i < tr->n && shown < 20; i++) {
        const struct gm_map *m = order[i];
        if (!m->type || !m->polled)
            continue;
        unsigned oldB = (m->flags & 8) ? m->B : (m->B ? m->B - 1 : 0);
        uint64_t old = m->growing ? ms_gm_array_bytes(m->type->bucketsize, oldB) : 0;
        char ev[24] = "-";
        if (m->growing)
            snprintf(ev, sizeof ev, "%llu/%llu", (unsigned long long)m->nevacuate, 1ULL << oldB);
        fprintf(f, "0x%-12llx %-9llu %3u %9s %8s %8s %6u %-36.36s %s\n", (unsigned long long)m->h,
                (unsigned long long)m->count, m->B,
                ms_fmt_size(a, sizeof a, ms_gm_array_bytes(m->type->bucketsize, m->B), MS_SIZE_TAG),
                ms_fmt_size(b, sizeof b, old, MS_SIZE_TAG), ev, m->noverflow,
                type_str(m, ty, sizeof ty), flags_of(m, fs, n, fl, sizeof fl));
        shown++;
    }
    free(order);
    fflush(f);
}

void ms_gm_print_report(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                        const struct gm_summary *s, double elapsed)
{
    char a[16], b[16], c[16], d[16], ty[200], site[512];
    fprintf(f, "\nmapscope gomaps report: pid %d, %s, %s, watched %.1f s\n", (int)tr->proc.pid,
            tr->proc.bin->path, tr->proc.bin->version, elapsed);
    if (tr->scanned && tr->scan) {
        const struct gm_scan_stats *sc = tr->scan;
        if (sc->failed)
            fprintf(f,
                    "heap scan at attach: not done: %s; maps that existed before attach are "
                    "seen only when they grow or are cleared\n",
                    sc->failed);
        else
            fprintf(f,
                    "heap scan at attach: %zu maps with large bucket arrays existed before attach "
                    "(%zu followed); their lingering and emptiness are measured from attach\n",
                    sc->found, sc->adopted);
    }
    if (!n)
        fprintf(f, "\nno findings: no map lingered mid-growth, bloated with overflow chains or "
                   "sat mostly empty on a large bucket array\n");
    for (size_t i = 0; i < n; i++) {
        const struct gm_finding *x = &fs[i];
        const struct gm_map *m = x->m;
        fprintf(f, "\n[%s/%s] map 0x%llx %s%s\n", ms_gm_finding_name(x->kind), x->reason,
                (unsigned long long)m->h, type_str(m, ty, sizeof ty), type_note(m));
        fprintf(f,
                "  count %llu, B %u (%llu buckets of %u bytes), buckets %s, old %s, overflow "
                "buckets %llu (%s outside the array)\n",
                (unsigned long long)m->count, m->B, 1ULL << m->B, m->type->bucketsize,
                ms_fmt_size(a, sizeof a, x->bucket_bytes, MS_SIZE_TAG),
                ms_fmt_size(b, sizeof b, x->old_bytes, MS_SIZE_TAG),
                (unsigned long long)x->overflow_buckets,
                ms_fmt_size(c, sizeof c, x->overflow_bytes, MS_SIZE_TAG));
        if (x->kind == GM_LINGERING)
            fprintf(f, "  lingering %.1f s; old overflow buckets %llu (%s outside the old array)\n",
                    x->lingering_s, (unsigned long long)x->old_overflow_buckets,
                    ms_fmt_size(d, sizeof d, x->old_overflow_bytes, MS_SIZE_TAG));
        const char *kind = ms_gm_site_label(ms_gm_site_kind_name(m->site.kind));
        fprintf(f, "  %s %s%s\n", kind, ms_gm_site(tr, m, site, sizeof site),
                m->site.kind == GM_SITE_PROFILE && m->before_attach
                    ? " (from Go's heap profile; the map existed before attach)"
                    : "");
        fprintf(f, "  why: %s\n  what to do: %s\n", x->why, x->advice);
    }
    fprintf(f,
            "\nprocess summary: %zu maps followed (%zu growing): bucket arrays %s, old arrays "
            "%s, overflow buckets %llu (%s)\n",
            s->maps, s->growing, ms_fmt_size(a, sizeof a, s->bucket_bytes, MS_SIZE_TAG),
            ms_fmt_size(b, sizeof b, s->old_bytes, MS_SIZE_TAG),
            (unsigned long long)s->overflow_buckets,
            ms_fmt_size(c, sizeof c, s->overflow_bytes, MS_SIZE_TAG));
    double min = elapsed / 60.0;
    fprintf(f, "large bucket-array allocations (over 32 KiB, own span): %llu (%s, %.1f/min)\n",
            (unsigned long long)tr->st.large_arrays,
            ms_fmt_size(a, sizeof a, tr->st.large_array_bytes, MS_SIZE_TAG),
            min > 0 ? tr->st.large_arrays / min : 0.0);
    fprintf(f,
            "probe hits: bucket arrays %llu (large sized makes %llu) (re-entries dropped %llu, "
            "events lost %llu); maps retired (freed or reused) %llu (%llu at an address "
            "retired before), evicted %llu\n",
            (unsigned long long)tr->st.events[GOMAP_EV_BUCKETS],
            (unsigned long long)tr->st.preallocs, (unsigned long long)tr->st.dups,
            (unsigned long long)tr->st.lost, (unsigned long long)tr->st.maps_dropped,
            (unsigned long long)tr->proc.retired.repeats, (unsigned long long)tr->st.maps_evicted);
    fflush(f);
}
