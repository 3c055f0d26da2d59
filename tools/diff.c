/*
 * diff.c — `mapscope report --diff OLD NEW`: which stacks' live memory grew
 * between two dumps (two interval snapshots of a service, or two runs).
 *
 * Stacks are matched by their module-relative frames (module path and
 * build-id plus offset), so the two dumps may come from different
 * processes with different load addresses.  Only growth is listed (a leak
 * is memory that grows); stacks that shrank are counted.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* A stack of either profile with its comparison key. */
struct dstack {
    char *key;
    const struct ms_pstack *old, *cur;
};

static char *stack_key(const struct ms_profile *p, const struct ms_pstack *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return ms_xstrdup("");
    for (uint32_t i = 0; i < s->nframes; i++) {
        const struct ms_frame *f = &p->frames.v[s->frames[i]];
        if (f->module >= 0) {
            const struct ms_pmodule *mod = &p->modules.v[f->module];
            fprintf(m, "%s@", mod->path);
            for (uint32_t k = 0; k < mod->build_id_len; k++)
                fprintf(m, "%02x", mod->build_id[k]);
        }
        fprintf(m, "+%" PRIx64 ";", f->offset);
    }
    fclose(m);
    return buf ? buf : ms_xstrdup("");
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct dstack *)a)->key, ((const struct dstack *)b)->key);
}

static int64_t delta_bytes(const struct dstack *d)
{
    return (int64_t)((d->cur ? d->cur->f[MS_SF_LIVE_BYTES] : 0) -
                     (d->old ? d->old->f[MS_SF_LIVE_BYTES] : 0));
}

static int64_t delta_blocks(const struct dstack *d)
{
    return (int64_t)((d->cur ? d->cur->f[MS_SF_LIVE_BLOCKS] : 0) -
                     (d->old ? d->old->f[MS_SF_LIVE_BLOCKS] : 0));
}

static int cmp_growth(const void *a, const void *b)
{
    int64_t x = delta_bytes(a), y = delta_bytes(b);
    if (x != y)
        return x > y ? -1 : 1;
    return cmp_key(a, b);
}

/* Pair up the stacks of both profiles; returns those that grew, largest
 * growth first, in *out (count returned); *shrunk counts the others. */
static size_t pair(const struct ms_profile *old, const struct ms_profile *cur, struct dstack **out,
                   size_t *shrunk)
{
    size_t n = old->stacks.n + cur->stacks.n, k = 0;
    struct dstack *all = ms_xcalloc(n, sizeof *all);
    for (size_t i = 0; i < old->stacks.n; i++, k++) {
        all[k].key = stack_key(old, &old->stacks.v[i]);
        all[k].old = &old->stacks.v[i];
    }
    for (size_t i = 0; i < cur->stacks.n; i++, k++) {
        all[k].key = stack_key(cur, &cur->stacks.v[i]);
        all[k].cur = &cur->stacks.v[i];
    }
    ms_sort(all, n, sizeof *all, cmp_key);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && !strcmp(all[u - 1].key, all[i].key)) {
            /* The same stack in both (at most one entry per profile). */
            if (all[i].old)
                all[u - 1].old = all[i].old;
            if (all[i].cur)
                all[u - 1].cur = all[i].cur;
            free(all[i].key);
        } else {
            all[u++] = all[i];
        }
    }
    size_t g = 0;
    *shrunk = 0;
    for (size_t i = 0; i < u; i++) {
        if (delta_bytes(&all[i]) > 0 || (delta_bytes(&all[i]) == 0 && delta_blocks(&all[i]) > 0))
            all[g++] = all[i];
        else {
            *shrunk += delta_bytes(&all[i]) < 0;
            free(all[i].key);
        }
    }
    ms_sort(all, g, sizeof *all, cmp_growth);
    *out = all;
    return g;
}

static void free_pairs(struct dstack *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].key);
    free(d);
}

static void signed_bytes(char *buf, int64_t v)
{
    char b[32];
    snprintf(buf, 40, "%s%s", v < 0 ? "-" : "+",
             ms_fmt_bytes(b, v < 0 ? (uint64_t)-v : (uint64_t)v));
}

static const struct ms_process *proc0(const struct ms_profile *p)
{
    static const struct ms_process none = {.file = "?", .exe = "", .cmdline = ""};
    return p->processes.n ? &p->processes.v[0] : &none;
}

void ms_diff_text(FILE *out, const struct ms_profile *old, const struct ms_profile *cur,
                  const struct ms_report_opts *o)
{
    size_t shrunk;
    struct dstack *d;
    size_t n = pair(old, cur, &d, &shrunk);
    const struct ms_process *po = proc0(old), *pc = proc0(cur);
    char b1[32], b2[32], b3[40];
    uint64_t ob = ms_profile_total(old, MS_TOTAL_INUSE_BYTES);
    uint64_t cb = ms_profile_total(cur, MS_TOTAL_INUSE_BYTES);
    fprintf(out,
            "mapscope report --diff\n  old: %s (pid %" PRIu32 ")\n  new: %s (pid %" PRIu32 ")\n",
            po->file, po->pid, pc->file, pc->pid);
    signed_bytes(b3, (int64_t)(cb - ob));
    fprintf(out, "\n== In use: %s -> %s (%s)", ms_fmt_bytes(b1, ob), ms_fmt_bytes(b2, cb), b3);
    if (pc->dump_ns > po->dump_ns && po->dump_ns)
        fprintf(out, " in %s", ms_fmt_duration(b1, pc->dump_ns - po->dump_ns));
    fputc('\n', out);
    fprintf(out, "\n== Growth by stack: %zu %s grew, %zu shrank\n", n, n == 1 ? "stack" : "stacks",
            shrunk);
    size_t shown = o->top && n > o->top ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct ms_pstack *s = d[i].cur ? d[i].cur : d[i].old;
        const struct ms_profile *p = d[i].cur ? cur : old;
        signed_bytes(b3, delta_bytes(&d[i]));
        int64_t db = delta_blocks(&d[i]);
        uint64_t now = d[i].cur ? d[i].cur->f[MS_SF_LIVE_BLOCKS] : 0;
        fprintf(out, "\n  #%zu %s, %+" PRId64 " %s (now %s in %" PRIu64 " %s)\n", i + 1, b3, db,
                db == 1 || db == -1 ? "block" : "blocks",
                ms_fmt_bytes(b1, d[i].cur ? d[i].cur->f[MS_SF_LIVE_BYTES] : 0), now,
                now == 1 ? "block" : "blocks");
        ms_text_stack(out, p, s, o->frames);
    }
    if (shown < n)
        fprintf(out, "\n  ... %zu more (--top 0 shows all)\n", n - shown);
    free_pairs(d, n);
}

static void side(FILE *out, const char *name, const struct ms_profile *p)
{
    const struct ms_process *pr = proc0(p);
    fprintf(out, "\"%s\":{\"file\":", name);
    ms_json_str(out, pr->file);
    fprintf(out,
            ",\"pid\":%" PRIu32 ",\"seq\":%" PRIu32 ",\"dump_unix_ns\":%" PRIu64
            ",\"inuse_bytes\":%" PRIu64 ",\"inuse_blocks\":%" PRIu64 "}",
            pr->pid, pr->seq, pr->dump_ns, ms_profile_total(p, MS_TOTAL_INUSE_BYTES),
            ms_profile_total(p, MS_TOTAL_INUSE_BLOCKS));
}

void ms_diff_json(FILE *out, const struct ms_profile *old, const struct ms_profile *cur,
                  const struct ms_report_opts *o)
{
    size_t shrunk;
    struct dstack *d;
    size_t n = pair(old, cur, &d, &shrunk);
    fputs("{\"schema\":1,", out);
    side(out, "old", old);
    fputc(',', out);
    side(out, "new", cur);
    fprintf(out, ",\"shrunk_stacks\":%zu,\"growth\":[", shrunk);
    size_t shown = o->top_given && o->top && n > o->top ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct ms_pstack *s = d[i].cur ? d[i].cur : d[i].old;
        fprintf(out,
                "%s{\"bytes\":%" PRId64 ",\"blocks\":%" PRId64 ",\"bytes_new\":%" PRIu64
                ",\"blocks_new\":%" PRIu64 ",\"stack\":",
                i ? "," : "", delta_bytes(&d[i]), delta_blocks(&d[i]),
                d[i].cur ? d[i].cur->f[MS_SF_LIVE_BYTES] : 0,
                d[i].cur ? d[i].cur->f[MS_SF_LIVE_BLOCKS] : 0);
        ms_json_stack(out, d[i].cur ? cur : old, s);
        fputc('}', out);
    }
    fputs("]}\n", out);
    free_pairs(d, n);
}
