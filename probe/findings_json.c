/*
 * findings_json.c — the findings as JSON lines (schema in mapscope-gomaps(8)).
 *
 * One object per line: a "finding" record per (map, finding), a "heap_scan"
 * record when the attach-time heap scan ran, then one "summary" record for the
 * process.  `mapscope report` reads these; readers must skip record types they
 * do not know.  The parts every record shares, whatever the map implementation
 * (type, pid, the map's identity, its site and stack, why and what to do), are
 * written here once, for the classic writer below and the Swiss one
 * (swissfindings_out.c); the record and field names come from the findings
 * contract (format/findings_format.h).
 */
#include "config.h"

#include <string.h>

#include "maptrack.h"

/* {"record":"<record>"[,"impl":"<impl>"],"pid":<pid> */
static void record_head(FILE *f, const char *record, const char *impl, int pid)
{
    fprintf(f, "{\"" GM_JSON_RECORD "\":\"%s\"", record);
    if (impl)
        fprintf(f, ",\"" GM_JSON_IMPL "\":\"%s\"", impl);
    fprintf(f, ",\"pid\":%d", pid);
}

void ms_gm_json_finding_head(FILE *f, const char *impl, int pid, uint64_t map,
                             enum gm_finding_kind kind, const char *reason, const char *key,
                             const char *elem)
{
    record_head(f, GM_REC_FINDING, impl, pid);
    fprintf(f, ",\"map\":\"0x%llx\",\"finding\":\"%s\",\"reason\":\"%s\",\"key_type\":",
            (unsigned long long)map, ms_gm_finding_name(kind), reason);
    ms_json_str(f, key);
    fputs(",\"elem_type\":", f);
    ms_json_str(f, elem);
}

void ms_gm_json_finding_tail(FILE *f, const struct ms_gobin *bin, uint64_t bias,
                             const struct gm_site *site, const char *site_text, bool before_attach,
                             const char *type_from, const char *why, const char *advice)
{
    char buf[512];
    fprintf(f, ",\"before_attach\":%s,\"type_from\":\"%s\",\"site_kind\":\"%s\",\"site\":",
            before_attach ? "true" : "false", type_from, ms_gm_site_kind_name(site->kind));
    ms_json_str(f, site_text);
    fputs(",\"stack\":[", f);
    for (int k = 0; k < site->n; k++) {
        if (k)
            fputc(',', f);
        /* a return address: the call is the instruction before it */
        ms_json_str(f, ms_gm_pc_name(bin, bias, site->pc[k] - (k > 0), buf, sizeof buf));
    }
    fputs("],\"why\":", f);
    ms_json_str(f, why);
    fputs(",\"advice\":", f);
    ms_json_str(f, advice);
    fputs("}\n", f);
}

void ms_gm_json_summary_head(FILE *f, const char *impl, int pid, const char *go_version,
                             const char *binary, double elapsed)
{
    record_head(f, GM_REC_SUMMARY, impl, pid);
    fputs(",\"go_version\":", f);
    ms_json_str(f, go_version);
    fputs(",\"binary\":", f);
    ms_json_str(f, binary);
    fprintf(f, ",\"duration_s\":%.1f", elapsed);
}

int ms_gm_json_summary_tail(FILE *f, uint64_t large_arrays, uint64_t large_array_bytes,
                            size_t findings)
{
    fprintf(f, ",\"large_arrays\":%llu,\"large_array_bytes\":%llu,\"findings\":%zu}\n",
            (unsigned long long)large_arrays, (unsigned long long)large_array_bytes, findings);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int ms_gm_write_json(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                     const struct gm_summary *s, double elapsed)
{
    static const char *const type_from[] = {"probe", "bucket_size", "bucket_contents", "ambiguous",
                                            "unknown"};
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        const struct gm_finding *x = &fs[i];
        const struct gm_map *m = x->m;
        ms_gm_json_finding_head(f, NULL, (int)tr->proc.pid, m->h, x->kind, x->reason, m->type->key,
                                m->type->elem);
        fprintf(f,
                ",\"count\":%llu,\"B\":%u,\"bucket_size\":%u,\"bucket_bytes\":%llu,"
                "\"old_bytes\":%llu,\"overflow_buckets\":%llu,\"overflow_bytes\":%llu,"
                "\"old_overflow_buckets\":%llu,\"old_overflow_bytes\":%llu,\"nevacuate\":%llu,"
                "\"lingering_s\":%.1f,"
                "\"grows\":%u,\"samesize_grows\":%u,\"samesize_per_min\":%.2f,"
                "\"peak_count\":%llu",
                (unsigned long long)m->count, m->B, m->type->bucketsize,
                (unsigned long long)x->bucket_bytes, (unsigned long long)x->old_bytes,
                (unsigned long long)x->overflow_buckets, (unsigned long long)x->overflow_bytes,
                (unsigned long long)x->old_overflow_buckets,
                (unsigned long long)x->old_overflow_bytes, (unsigned long long)m->nevacuate,
                x->lingering_s, m->grows, m->samesize_grows, x->samesize_per_min,
                (unsigned long long)m->peak_count);
        ms_gm_json_finding_tail(f, tr->proc.bin, tr->proc.bias, &m->site,
                                ms_gm_site(tr, m, buf, sizeof buf), m->before_attach,
                                type_from[m->type_from], x->why, x->advice);
    }
    if (tr->scanned && tr->scan) { /* the attach-time heap scan, as one more record */
        const struct gm_scan_stats *sc = tr->scan;
        record_head(f, GM_REC_HEAP_SCAN, NULL, (int)tr->proc.pid);
        fprintf(f, ",\"done\":%s,", sc->failed ? "false" : "true");
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
    ms_gm_json_summary_head(f, NULL, (int)tr->proc.pid, tr->proc.bin->version, tr->proc.bin->path,
                            elapsed);
    fprintf(f,
            ",\"maps\":%zu,\"growing\":%zu,\"bucket_bytes\":%llu,\"old_bytes\":%llu,"
            "\"overflow_buckets\":%llu,\"overflow_bytes\":%llu",
            s->maps, s->growing, (unsigned long long)s->bucket_bytes,
            (unsigned long long)s->old_bytes, (unsigned long long)s->overflow_buckets,
            (unsigned long long)s->overflow_bytes);
    return ms_gm_json_summary_tail(f, tr->st.large_arrays, tr->st.large_array_bytes, n);
}
