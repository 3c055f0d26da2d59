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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "findings_format.h"
#include "json_read.h"
#include "pipeline.h"

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
    const struct ms_json *v = ms_json_get(o, GM_JSON_IMPL);
    return v && v->type == MS_J_STR && !strcmp(v->str, GM_IMPL_SWISS);
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

/* The fields copied as they are, by name: the JSON names are the members' names
 * (mapscope-gomaps(8)), so a table says it once for both record types. */
struct field {
    const char *name;
    size_t off;
};
/* A member of a finding (F) or a summary (S) record: uint64_t in the *_nums tables,
 * char * (malloc'd or NULL) in the *_strs ones. */
#define F(f) #f, offsetof(struct ms_finding, f)
#define S(f) #f, offsetof(struct ms_findings_summary, f)
static const struct field finding_nums[] = {
    {F(pid)},          {F(count)},      {F(B)},
    {F(bucket_bytes)}, {F(old_bytes)},  {F(overflow_buckets)},
    {F(peak_count)},   {F(capacity)},   {F(tables)},
    {F(dir_len)},      {F(tombstones)}, {F(bytes_held)},
    {F(wasted_bytes)}, {NULL, 0}};
static const struct field finding_strs[] = {{F(map)},       {F(finding)}, {F(key_type)},
                                            {F(elem_type)}, {F(reason)},  {F(site_kind)},
                                            {F(why)},       {F(advice)},  {NULL, 0}};
static const struct field summary_nums[] = {{S(pid)},          {S(maps)},       {S(growing)},
                                            {S(bucket_bytes)}, {S(old_bytes)},  {S(overflow_bytes)},
                                            {S(findings)},     {S(bytes_held)}, {S(count)},
                                            {S(capacity)},     {S(tombstones)}, {NULL, 0}};
static const struct field summary_strs[] = {{S(go_version)}, {S(binary)}, {NULL, 0}};
#undef F
#undef S

/* Copy the tabled fields of o into the record at x. */
static void take_fields(void *x, const struct ms_json *o, const struct field *nums,
                        const struct field *strs)
{
    for (const struct field *t = nums; t->name; t++)
        *(uint64_t *)((char *)x + t->off) = num(o, t->name);
    for (const struct field *t = strs; t->name; t++)
        *(char **)((char *)x + t->off) = str(o, t->name);
}

static void free_strs(void *x, const struct field *strs)
{
    for (const struct field *t = strs; t->name; t++)
        free(*(char **)((char *)x + t->off));
}

static void take_summary(struct ms_findings *f, const struct ms_json *o)
{
    struct ms_findings_summary *x = MS_VEC_PUSH(f->summaries);
    take_fields(x, o, summary_nums, summary_strs);
    x->swiss = is_swiss(o);
    x->json = serialise(o);
}

static void take(struct ms_findings *f, const struct ms_json *o)
{
    struct ms_finding *x = MS_VEC_PUSH(*f);
    take_fields(x, o, finding_nums, finding_strs);
    x->swiss = is_swiss(o);
    const struct ms_json *l = ms_json_get(o, "lingering_s");
    x->lingering_s = l && l->type == MS_J_NUM ? l->num : 0;
    x->site = site(o);
    const struct ms_json *ba = ms_json_get(o, "before_attach");
    x->before_attach = ba && ba->type == MS_J_BOOL && ba->b;
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
        const struct ms_json *rec = ms_json_get(&o, GM_JSON_RECORD);
        const char *type = rec && rec->type == MS_J_STR ? rec->str : NULL;
        if (o.type != MS_J_OBJ || (!type && !ms_json_get(&o, GM_REC_FINDING))) {
            fprintf(stderr,
                    "mapscope report: %s:%zu: not a gomaps record (a JSON object with a "
                    "\"record\" or \"finding\" field); line skipped\n",
                    name, lineno);
            rc = 1;
        } else if (!type || !strcmp(type, GM_REC_FINDING)) {
            take(f, &o);
        } else if (!strcmp(type, GM_REC_SUMMARY)) {
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
        free_strs(&f->v[i], finding_strs);
        free(f->v[i].site);
        free(f->v[i].json);
    }
    for (size_t i = 0; i < f->summaries.n; i++) {
        free_strs(&f->summaries.v[i], summary_strs);
        free(f->summaries.v[i].json);
    }
    free(f->summaries.v);
    free(f->v);
    memset(f, 0, sizeof *f);
}
