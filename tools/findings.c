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

/* The member k of object o, or NULL (also when o is not an object). */
static struct json_object *get(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v) ? v
                                                                                           : NULL;
}

/* A non-negative number as an integer; anything else is 0. */
static uint64_t as_u64(struct json_object *v)
{
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v) < 0 ? 0 : json_object_get_uint64(v);
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        return d >= 0 && d < 18446744073709551615.0 ? (uint64_t)d : 0;
    }
    if (json_object_is_type(v, json_type_string)) /* large counts may come as strings */
        return strtoull(json_object_get_string(v), NULL, 0);
    return 0;
}

static uint64_t num(struct json_object *o, const char *k)
{
    return as_u64(get(o, k));
}

static char *str(struct json_object *o, const char *k)
{
    struct json_object *v = get(o, k);
    if (json_object_is_type(v, json_type_string))
        return ms_xstrdup(json_object_get_string(v));
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
        return ms_xasprintf("0x%" PRIx64, as_u64(v)); /* e.g. a map address as a number */
    return NULL;
}

/* site: a string, or {function, file, line} (first frame of a stack). */
static char *site(struct json_object *o)
{
    struct json_object *v = get(o, "site");
    if (json_object_is_type(v, json_type_array) && json_object_array_length(v))
        v = json_object_array_get_idx(v, 0);
    if (!json_object_is_type(v, json_type_object))
        return str(o, "site");
    char *fn = str(v, "function"), *file = str(v, "file");
    uint64_t line = num(v, "line");
    char *s = file ? ms_xasprintf("%s (%s:%" PRIu64 ")", fn ? fn : "?", file, line)
                   : ms_xstrdup(fn ? fn : "?");
    free(fn);
    free(file);
    return s;
}

static char *serialise(struct json_object *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m) {
        ms_json_write_tree(m, o);
        fclose(m);
    }
    return buf ? buf : ms_xstrdup("{}");
}

static void take_summary(struct ms_findings *f, struct json_object *o)
{
    struct ms_findings_summary *x = MS_VEC_PUSH(f->summaries);
    x->pid = num(o, "pid");
    x->maps = num(o, "maps");
    x->growing = num(o, "growing");
    x->bucket_bytes = num(o, "bucket_bytes");
    x->old_bytes = num(o, "old_bytes");
    x->overflow_bytes = num(o, "overflow_bytes");
    x->findings = num(o, "findings");
    x->go_version = str(o, "go_version");
    x->binary = str(o, "binary");
    x->json = serialise(o);
}

static void take(struct ms_findings *f, struct json_object *o)
{
    struct ms_finding *x = MS_VEC_PUSH(*f);
    x->pid = num(o, "pid");
    x->count = num(o, "count");
    x->B = num(o, "B");
    x->bucket_bytes = num(o, "bucket_bytes");
    x->old_bytes = num(o, "old_bytes");
    x->overflow_buckets = num(o, "overflow_buckets");
    struct json_object *l = get(o, "lingering_s");
    x->lingering_s =
        json_object_is_type(l, json_type_double) || json_object_is_type(l, json_type_int)
            ? json_object_get_double(l)
            : 0;
    x->map = str(o, "map");
    x->finding = str(o, "finding");
    x->key_type = str(o, "key_type");
    x->elem_type = str(o, "elem_type");
    x->site = site(o);
    x->reason = str(o, "reason");
    x->site_kind = str(o, "site_kind");
    struct json_object *ba = get(o, "before_attach");
    x->before_attach = json_object_is_type(ba, json_type_boolean) && json_object_get_boolean(ba);
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
        const char *err;
        size_t pos;
        struct json_object *o = ms_json_read(line, n, &err, &pos);
        if (!o) {
            fprintf(stderr,
                    "mapscope report: %s:%zu: column %zu: %s (expected one JSON object "
                    "per line, as written by mapscope gomaps --json); line skipped\n",
                    name, lineno, pos + 1, err);
            rc = 1;
            continue;
        }
        struct json_object *rec = get(o, "record");
        const char *type =
            json_object_is_type(rec, json_type_string) ? json_object_get_string(rec) : NULL;
        if (!json_object_is_type(o, json_type_object) || (!type && !get(o, "finding"))) {
            fprintf(stderr,
                    "mapscope report: %s:%zu: not a gomaps record (a JSON object with a "
                    "\"record\" or \"finding\" field); line skipped\n",
                    name, lineno);
            rc = 1;
        } else if (!type || !strcmp(type, "finding")) {
            take(f, o);
        } else if (!strcmp(type, "summary")) {
            take_summary(f, o);
        } /* else: a record type from a newer gomaps, skipped */
        json_object_put(o);
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
