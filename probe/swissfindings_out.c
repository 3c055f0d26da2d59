/*
 * swissfindings_out.c — Swiss-table maps on the terminal and as JSON lines.
 *
 * Same shapes as the classic output (findings_text.c, findings_json.c): a live
 * table of the maps that matter most, a final report with every finding's why
 * and what to do, and one JSON object per finding plus a summary record, in the
 * contract mapscope-gomaps(8) documents (`map` is the Map header's address).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "swiss.h"

static const char *type_str(const struct sw_map *m, char *buf, size_t len)
{
    snprintf(buf, len, "map[%s]%s", m->type ? m->type->key : "?", m->type ? m->type->elem : "?");
    return buf;
}

static const char *site_str(const struct sw_tracker *tr, const struct sw_map *m, char *buf,
                            size_t len)
{
    return ms_gm_site_name(tr->proc.bin, tr->proc.bias, &m->site,
                           m->before_attach ? "unknown (existed before attach, not seen growing)"
                                            : "unknown (not seen growing)",
                           buf, len);
}

static const struct sw_finding *finding_of(const struct sw_map *m, const struct sw_finding *fs,
                                           size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fs[i].m == m)
            return &fs[i];
    return NULL;
}

static const struct sw_finding *sort_fs;
static size_t sort_n;

static int by_interest(const void *a, const void *b)
{
    const struct sw_map *x = *(const struct sw_map *const *)a,
                        *y = *(const struct sw_map *const *)b;
    int fx = finding_of(x, sort_fs, sort_n) != NULL, fy = finding_of(y, sort_fs, sort_n) != NULL;
    if (fx != fy)
        return fy - fx;
    uint64_t hx = ms_sw_held(x), hy = ms_sw_held(y);
    return hx < hy ? 1 : hx > hy ? -1 : 0;
}

void ms_sw_print_table(FILE *f, const struct sw_tracker *tr, const struct sw_finding *fs, size_t n,
                       const struct sw_summary *s, double elapsed, bool clear)
{
    char a[16], b[16], ty[200];
    if (clear)
        fputs("\033[H\033[J", f);
    fprintf(f,
            "mapscope gomaps: pid %d (%s, %s, Swiss tables)  %.0fs  maps %zu  held %s  "
            "large %s  findings %zu\n",
            (int)tr->proc.pid, tr->proc.bin ? tr->proc.bin->path : "?",
            tr->proc.bin ? tr->proc.bin->version : "?", elapsed, s->maps,
            ms_fmt_size(a, sizeof a, s->held, MS_SIZE_TAG),
            ms_fmt_size(b, sizeof b, s->large_bytes, MS_SIZE_TAG), n);
    fprintf(f, "%-14s %-9s %9s %6s %8s %8s %-36s %s\n", "MAP", "LIVE", "CAPACITY", "TABLES",
            "TOMBS", "HELD", "TYPE", "FLAGS");
    const struct sw_map **order = malloc(tr->n * sizeof *order);
    if (!order)
        return;
    for (size_t i = 0; i < tr->n; i++)
        order[i] = &tr->maps[i];
    sort_fs = fs, sort_n = n;
    qsort(order, tr->n, sizeof *order, by_interest);
    for (size_t i = 0, shown = 0; i < tr->n && shown < 20; i++) {
        const struct sw_map *m = order[i];
        if (!m->polled)
            continue;
        const struct sw_finding *x = finding_of(m, fs, n);
        fprintf(f, "0x%-12llx %-9llu %9llu %6llu %8llu %8s %-36.36s %s\n", (unsigned long long)m->m,
                (unsigned long long)m->used, (unsigned long long)m->capacity,
                (unsigned long long)m->tables, (unsigned long long)m->tombstones,
                ms_fmt_size(a, sizeof a, ms_sw_held(m), MS_SIZE_TAG), type_str(m, ty, sizeof ty),
                x ? ms_gm_finding_def(x->kind)->flag : "");
        shown++;
    }
    free(order);
    fflush(f);
}

void ms_sw_print_report(FILE *f, const struct sw_tracker *tr, const struct sw_finding *fs, size_t n,
                        const struct sw_summary *s, double elapsed)
{
    char a[16], b[16], c[16], ty[200], site[512];
    fprintf(f, "\nmapscope gomaps report: pid %d, %s, %s (Swiss-table maps), watched %.1f s\n",
            (int)tr->proc.pid, tr->proc.bin ? tr->proc.bin->path : "?",
            tr->proc.bin ? tr->proc.bin->version : "?", elapsed);
    if (!n)
        fprintf(f, "\nno findings: no map held much more capacity than its live entries, "
                   "and no table grew from tombstones\n");
    for (size_t i = 0; i < n; i++) {
        const struct sw_finding *x = &fs[i];
        const struct sw_map *m = x->m;
        fprintf(f, "\n[%s/%s] map 0x%llx %s%s\n", ms_gm_finding_name(x->kind), x->reason,
                (unsigned long long)m->m, type_str(m, ty, sizeof ty),
                m->type_from == SW_TYPE_UNKNOWN ? " (type unknown)" : "");
        fprintf(f,
                "  live %llu (peak seen %llu), capacity %llu slots in %llu tables, directory "
                "%llu, tombstones %llu; holds %s (groups %s, large objects %s), %s unused\n",
                (unsigned long long)m->used, (unsigned long long)m->peak_used,
                (unsigned long long)m->capacity, (unsigned long long)m->tables,
                (unsigned long long)m->dirlen, (unsigned long long)m->tombstones,
                ms_fmt_size(a, sizeof a, x->held, MS_SIZE_TAG),
                ms_fmt_size(b, sizeof b, m->group_bytes, MS_SIZE_TAG),
                ms_fmt_size(c, sizeof c, m->large_bytes, MS_SIZE_TAG),
                ms_fmt_size(ty, sizeof ty, x->wasted, MS_SIZE_TAG));
        fprintf(f, "  growths %u (splits %u, %u at no new live peak), clears %llu\n", m->grows,
                m->splits, m->churn_grows, (unsigned long long)m->clearseq);
        fprintf(f, "  %s %s\n", ms_gm_site_label(ms_gm_site_kind_name(m->site.kind)),
                site_str(tr, m, site, sizeof site));
        fprintf(f, "  why: %s\n  what to do: %s\n", x->why, x->advice);
    }
    fprintf(f,
            "\nprocess summary: %zu maps followed: %s held, %llu live entries in %llu slots, "
            "%llu tombstones, %s in large objects\n",
            s->maps, ms_fmt_size(a, sizeof a, s->held, MS_SIZE_TAG), (unsigned long long)s->used,
            (unsigned long long)s->capacity, (unsigned long long)s->tombstones,
            ms_fmt_size(b, sizeof b, s->large_bytes, MS_SIZE_TAG));
    double min = elapsed / 60.0;
    fprintf(f,
            "large group-array allocations (over 32 KiB, own span) by growths: %llu (%s, "
            "%.1f/min)\n",
            (unsigned long long)tr->st.large_arrays,
            ms_fmt_size(a, sizeof a, tr->st.large_bytes, MS_SIZE_TAG),
            min > 0 ? tr->st.large_arrays / min : 0.0);
    fprintf(f,
            "probe hits: table growths %llu, tombstone prunes %llu (re-entries dropped %llu, "
            "not attributed %llu, events lost %llu); maps retired (freed or reused) %llu (%llu "
            "at an address retired before), evicted %llu\n",
            (unsigned long long)tr->st.rehash, (unsigned long long)tr->st.prunes,
            (unsigned long long)tr->st.dups, (unsigned long long)tr->st.unattributed,
            (unsigned long long)tr->st.lost, (unsigned long long)tr->st.dropped,
            (unsigned long long)tr->proc.retired.repeats, (unsigned long long)tr->st.evicted);
    fflush(f);
}

int ms_sw_write_json(FILE *f, const struct sw_tracker *tr, const struct sw_finding *fs, size_t n,
                     const struct sw_summary *s, double elapsed)
{
    static const char *const type_from[] = {"probe", "heap", "unknown"};
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        const struct sw_finding *x = &fs[i];
        const struct sw_map *m = x->m;
        ms_gm_json_finding_head(f, GM_IMPL_SWISS, (int)tr->proc.pid, m->m, x->kind, x->reason,
                                m->type ? m->type->key : "?", m->type ? m->type->elem : "?");
        fprintf(f,
                ",\"count\":%llu,\"peak_count\":%llu,\"capacity\":%llu,\"tables\":%llu,"
                "\"dir_len\":%llu,\"tombstones\":%llu,\"group_size\":%llu,\"bytes_held\":%llu,"
                "\"group_bytes\":%llu,\"table_bytes\":%llu,\"dir_bytes\":%llu,"
                "\"large_arrays\":%llu,\"large_bytes\":%llu,\"wasted_bytes\":%llu,"
                "\"grows\":%u,\"splits\":%u,\"churn_grows\":%u,\"grows_per_min\":%.2f,"
                "\"prunes\":%u,\"clears\":%llu",
                (unsigned long long)m->used, (unsigned long long)m->peak_used,
                (unsigned long long)m->capacity, (unsigned long long)m->tables,
                (unsigned long long)m->dirlen, (unsigned long long)m->tombstones,
                (unsigned long long)(m->type ? m->type->groupsize : 0), (unsigned long long)x->held,
                (unsigned long long)m->group_bytes, (unsigned long long)m->table_bytes,
                (unsigned long long)m->dir_bytes, (unsigned long long)m->large_arrays,
                (unsigned long long)m->large_bytes, (unsigned long long)x->wasted, m->grows,
                m->splits, m->churn_grows, x->grows_per_min, m->prunes,
                (unsigned long long)m->clearseq);
        ms_gm_json_finding_tail(f, tr->proc.bin, tr->proc.bias, &m->site,
                                site_str(tr, m, buf, sizeof buf), m->before_attach,
                                type_from[m->type_from], x->why, x->advice);
    }
    ms_gm_json_summary_head(f, GM_IMPL_SWISS, (int)tr->proc.pid,
                            tr->proc.bin ? tr->proc.bin->version : "",
                            tr->proc.bin ? tr->proc.bin->path : "", elapsed);
    fprintf(f,
            ",\"maps\":%zu,\"bytes_held\":%llu,\"capacity\":%llu,\"count\":%llu,"
            "\"tombstones\":%llu,\"large_bytes\":%llu",
            s->maps, (unsigned long long)s->held, (unsigned long long)s->capacity,
            (unsigned long long)s->used, (unsigned long long)s->tombstones,
            (unsigned long long)s->large_bytes);
    return ms_gm_json_summary_tail(f, tr->st.large_arrays, tr->st.large_bytes, n);
}
