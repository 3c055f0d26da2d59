/*
 * findings_json.c — the findings as JSON lines (schema in mapscope-gomaps(8)).
 *
 * One object per line: a "finding" record per (map, finding), a "heap_scan"
 * record when the attach-time heap scan ran, then one "summary" record for the
 * process.  `mapscope report` reads these; readers
 * must skip record types they do not know.
 */
#include "config.h"

#include <string.h>

#include "maptrack.h"

int ms_gm_write_json(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                     const struct gm_summary *s, double elapsed)
{
    static const char *const type_from[] = {"probe", "bucket_size", "bucket_contents", "ambiguous",
                                            "unknown"};
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        const struct gm_finding *x = &fs[i];
        const struct gm_map *m = x->m;
        fprintf(f,
                "{\"record\":\"finding\",\"pid\":%d,\"map\":\"0x%llx\",\"finding\":\"%s\","
                "\"reason\":\"%s\",\"key_type\":",
                (int)tr->pid, (unsigned long long)m->h, ms_gm_finding_name(x->kind), x->reason);
        ms_json_str(f, m->type->key);
        fputs(",\"elem_type\":", f);
        ms_json_str(f, m->type->elem);
        fprintf(f,
                ",\"count\":%llu,\"B\":%u,\"bucket_size\":%u,\"bucket_bytes\":%llu,"
                "\"old_bytes\":%llu,\"overflow_buckets\":%llu,\"overflow_bytes\":%llu,"
                "\"old_overflow_buckets\":%llu,\"old_overflow_bytes\":%llu,\"nevacuate\":%llu,"
                "\"lingering_s\":%.1f,"
                "\"grows\":%u,\"samesize_grows\":%u,\"samesize_per_min\":%.2f,"
                "\"peak_count\":%llu,\"before_attach\":%s,\"type_from\":\"%s\","
                "\"site_kind\":\"%s\",\"site\":",
                (unsigned long long)m->count, m->B, m->type->bucketsize,
                (unsigned long long)x->bucket_bytes, (unsigned long long)x->old_bytes,
                (unsigned long long)x->overflow_buckets, (unsigned long long)x->overflow_bytes,
                (unsigned long long)x->old_overflow_buckets,
                (unsigned long long)x->old_overflow_bytes, (unsigned long long)m->nevacuate,
                x->lingering_s, m->grows, m->samesize_grows, x->samesize_per_min,
                (unsigned long long)m->peak_count, m->before_attach ? "true" : "false",
                type_from[m->type_from], ms_gm_site_kind_name(m->site.kind));
        ms_json_str(f, ms_gm_site(tr, m, buf, sizeof buf));
        fputs(",\"stack\":[", f);
        for (int k = 0; k < m->site.n; k++) {
            if (k)
                fputc(',', f);
            ms_json_str(f, ms_gm_symbolize(tr, m->site.pc[k] - (k > 0), buf, sizeof buf));
        }
        fputs("],\"why\":", f);
        ms_json_str(f, x->why);
        fputs(",\"advice\":", f);
        ms_json_str(f, x->advice);
        fputs("}\n", f);
    }
    if (tr->scanned && tr->scan) { /* the attach-time heap scan, as one more record */
        const struct gm_scan_stats *sc = tr->scan;
        fprintf(f, "{\"record\":\"heap_scan\",\"pid\":%d,\"done\":%s,", (int)tr->pid,
                sc->failed ? "false" : "true");
        if (sc->failed) {
            fputs("\"failed\":", f);
            ms_json_str(f, sc->failed);
            fputc(',', f);
        }
        fprintf(f,
                "\"spans\":%llu,\"inuse_spans\":%llu,\"hmap_spans\":%llu,\"slots\":%llu,"
                "\"bytes_read\":%llu,\"truncated\":%s,\"maps\":%zu,\"followed\":%zu,"
                "\"typed\":%zu,\"ms\":%.1f}\n",
                (unsigned long long)sc->spans, (unsigned long long)sc->inuse_spans,
                (unsigned long long)sc->hmap_spans, (unsigned long long)sc->slots,
                (unsigned long long)sc->bytes_read, sc->truncated ? "true" : "false", sc->found,
                sc->adopted, sc->typed, sc->ms);
    }
    fprintf(f, "{\"record\":\"summary\",\"pid\":%d,\"go_version\":", (int)tr->pid);
    ms_json_str(f, tr->bin->version);
    fputs(",\"binary\":", f);
    ms_json_str(f, tr->bin->path);
    fprintf(f,
            ",\"duration_s\":%.1f,\"maps\":%zu,\"growing\":%zu,\"bucket_bytes\":%llu,"
            "\"old_bytes\":%llu,\"overflow_buckets\":%llu,\"overflow_bytes\":%llu,"
            "\"large_arrays\":%llu,\"large_array_bytes\":%llu,\"findings\":%zu}\n",
            elapsed, s->maps, s->growing, (unsigned long long)s->bucket_bytes,
            (unsigned long long)s->old_bytes, (unsigned long long)s->overflow_buckets,
            (unsigned long long)s->overflow_bytes, (unsigned long long)tr->st.large_arrays,
            (unsigned long long)tr->st.large_array_bytes, n);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
