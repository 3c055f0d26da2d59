/*
 * findings.c — read `mapscope gomaps --json` output (JSON lines, schema in
 * mapscope-gomaps(8)) so the report can show Go-map findings next to the
 * heap profile.
 *
 * Each line is one JSON object with a "record" type: "finding" (one map,
 * one finding) or "summary" (the process-wide figures); other types are
 * skipped, as the format asks readers to.  An object without "record" but
 * with "finding" is a finding.  A bad line is reported with its line
 * number and skipped; every good line is kept.  Unknown fields are kept in
 * the re-serialised object (for --json and HTML) and ignored in the text.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "report.h"

static uint64_t num(const struct ms_json *o, const char *k)
{
    const struct ms_json *v = ms_json_get(o, k);
    if (v && v->type == MS_J_NUM && v->num >= 0 && v->num < 18446744073709551615.0)
        return (uint64_t)v->num;
    if (v && v->type == MS_J_STR) /* large counts may come as strings */
        return strtoull(v->str, NULL, 0);
    return 0;
}

static char *str(const struct ms_json *o, const char *k)
{
    const struct ms_json *v = ms_json_get(o, k);
    if (v && v->type == MS_J_STR)
        return ms_xstrdup(v->str);
    if (v && v->type == MS_J_NUM) /* e.g. a map address written as a number */
        return ms_xasprintf("0x%" PRIx64, (uint64_t)v->num);
    return NULL;
}

/* site: a string, or {function, file, line} (first frame of a stack). */
static char *site(const struct ms_json *o)
{
    const struct ms_json *v = ms_json_get(o, "site");
    if (v && v->type == MS_J_ARR && v->n)
        v = &v->items[0];
    if (!v || v->type != MS_J_OBJ)
        return str(o, "site");
    char *fn = str(v, "function"), *file = str(v, "file");
    uint64_t line = num(v, "line");
    char *s = file ? ms_xasprintf("%s (%s:%" PRIu64 ")", fn ? fn : "?", file, line)
                   : ms_xstrdup(fn ? fn : "?");
    free(fn);
    free(file);
    return s;
}

/* A record of a Swiss-table map ("impl":"swiss"; classic records have no impl). */
static bool is_swiss(const struct ms_json *o)
{
    const struct ms_json *v = ms_json_get(o, "impl");
    return v && v->type == MS_J_STR && !strcmp(v->str, "swiss");
}

static char *serialise(const struct ms_json *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        ms_json_write(m, o);
        fclose(m);
    }
    return buf ? buf : ms_xstrdup("{}");
}

static void take_summary(struct ms_findings *f, const struct ms_json *o)
{
    struct ms_findings_summary *x = MS_VEC_PUSH(f->summaries);
    x->pid = num(o, "pid");
    x->maps = num(o, "maps");
    x->growing = num(o, "growing");
    x->bucket_bytes = num(o, "bucket_bytes");
    x->old_bytes = num(o, "old_bytes");
    x->overflow_bytes = num(o, "overflow_bytes");
    x->findings = num(o, "findings");
    x->swiss = is_swiss(o);
    x->bytes_held = num(o, "bytes_held");
    x->count = num(o, "count");
    x->capacity = num(o, "capacity");
    x->tombstones = num(o, "tombstones");
    x->go_version = str(o, "go_version");
    x->binary = str(o, "binary");
    x->json = serialise(o);
}

static void take(struct ms_findings *f, const struct ms_json *o)
{
    struct ms_finding *x = MS_VEC_PUSH(*f);
    x->pid = num(o, "pid");
    x->count = num(o, "count");
    x->B = num(o, "B");
    x->bucket_bytes = num(o, "bucket_bytes");
    x->old_bytes = num(o, "old_bytes");
    x->overflow_buckets = num(o, "overflow_buckets");
    x->swiss = is_swiss(o);
    x->peak_count = num(o, "peak_count");
    x->capacity = num(o, "capacity");
    x->tables = num(o, "tables");
    x->dir_len = num(o, "dir_len");
    x->tombstones = num(o, "tombstones");
    x->bytes_held = num(o, "bytes_held");
    x->wasted_bytes = num(o, "wasted_bytes");
    const struct ms_json *l = ms_json_get(o, "lingering_s");
    x->lingering_s = l && l->type == MS_J_NUM ? l->num : 0;
    x->map = str(o, "map");
    x->finding = str(o, "finding");
    x->key_type = str(o, "key_type");
    x->elem_type = str(o, "elem_type");
    x->site = site(o);
    x->reason = str(o, "reason");
    x->site_kind = str(o, "site_kind");
    const struct ms_json *ba = ms_json_get(o, "before_attach");
    x->before_attach = ba && ba->type == MS_J_BOOL && ba->b;
    x->why = str(o, "why");
    x->advice = str(o, "advice");
    x->json = serialise(o);
}

int ms_findings_parse(const char *name, const char *buf, size_t len, struct ms_findings *f)
{
    int rc = 0;
    size_t lineno = 0;
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
        lineno++;
        const char *line = buf + off;
        off += n + (nl ? 1 : 0);
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
            k++;
        if (k == n)
            continue;
        struct ms_json o;
        const char *err;
        size_t pos;
        if (ms_json_parse(line, n, &o, &err, &pos)) {
            fprintf(stderr,
                    "mapscope report: %s:%zu: column %zu: %s (expected one JSON object "
                    "per line, as written by mapscope gomaps --json); line skipped\n",
                    name, lineno, pos + 1, err);
            rc = 1;
            continue;
        }
        const struct ms_json *rec = ms_json_get(&o, "record");
        const char *type = rec && rec->type == MS_J_STR ? rec->str : NULL;
        if (o.type != MS_J_OBJ || (!type && !ms_json_get(&o, "finding"))) {
            fprintf(stderr,
                    "mapscope report: %s:%zu: not a gomaps record (a JSON object with a "
                    "\"record\" or \"finding\" field); line skipped\n",
                    name, lineno);
            rc = 1;
        } else if (!type || !strcmp(type, "finding")) {
            take(f, &o);
        } else if (!strcmp(type, "summary")) {
            take_summary(f, &o);
        } /* else: a record type from a newer gomaps, skipped */
        ms_json_free(&o);
    }
    return rc;
}

int ms_findings_read(const char *path, struct ms_findings *f)
{
    size_t len;
    char *buf = ms_read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "mapscope report: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = ms_findings_parse(path, buf, len, f);
    free(buf);
    return rc;
}

void ms_findings_free(struct ms_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        struct ms_finding *x = &f->v[i];
        free(x->map);
        free(x->finding);
        free(x->key_type);
        free(x->elem_type);
        free(x->site);
        free(x->reason);
        free(x->site_kind);
        free(x->why);
        free(x->advice);
        free(x->json);
    }
    for (size_t i = 0; i < f->summaries.n; i++) {
        free(f->summaries.v[i].go_version);
        free(f->summaries.v[i].binary);
        free(f->summaries.v[i].json);
    }
    free(f->summaries.v);
    free(f->v);
    memset(f, 0, sizeof *f);
}
