/*
 * out_html.c — `mapscope report --html FILE`: one self-contained page
 * (flame graphs of leaked, peak and allocated memory with zoom and search,
 * the heap over time, the leak and lingering tables, gomaps findings, the
 * profiler's own cost) that opens offline and can be attached to a ticket.
 *
 * The page is tools/report_template.html, compiled into the binary at
 * build time (report_template.c).  The data inserted at the template's
 * marker is the --json document with its stack arrays replaced by a
 * compact form the page expands: a string table, a frame table and every
 * stack as frame ids plus its figures.  Every stack is needed for exact
 * flame graphs, and the --json form repeats each frame's strings in every
 * stack and view (a 5 MB dump of python3 gave 121 MB of HTML that way).
 * ms_json_str escapes '<', so no input can close the <script> element.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "report_template.h"
#include "strtab.h"

#define MARKER "/*MAPSCOPE_DATA*/"

/* Every stack's figures, in the order the page reads them. */
static void stack_figures(FILE *out, const struct ms_pstack *s, int64_t supp, size_t site)
{
    const uint64_t *f = s->f;
    fprintf(out,
            ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
            ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%" PRId64 ",[",
            f[MS_SF_LIVE_BYTES], f[MS_SF_LIVE_BLOCKS], f[MS_SF_PEAK_BYTES], f[MS_SF_PEAK_BLOCKS],
            f[MS_SF_BYTES_ALLOCATED], f[MS_SF_ALLOCS], f[MS_SF_FREES], f[MS_SF_TEMPORARY],
            s->lg_bytes, s->lg_blocks, (double)s->lg_oldest_ns / 1e9, supp);
    for (uint32_t b = 0; b < s->lg_nbins; b++)
        fprintf(out, "%s[%.3f,%" PRIu64 ",%" PRIu64 "]", b ? "," : "",
                (double)s->lg_bins[b].min_age_ns / 1e9, s->lg_bins[b].blocks, s->lg_bins[b].bytes);
    fputc(']', out);
    for (int k = 0; k < MS_KF_COUNT; k++) /* leak kinds: enum ms_kind_field */
        fprintf(out, ",%" PRIu64, s->k[k]);
    fprintf(out, ",%zu]", site);
}

/* {head, strings, frames, stacks, tail}: see the comment at the top. */
static void write_data(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                       const struct ms_findings *f)
{
    /* Expanded frames (one per function, inlined ones too): profile frame
     * i has ids base[i] .. base[i+1]-1. */
    size_t nf = p->frames.n;
    size_t *base = ms_xcalloc(nf + 1, sizeof *base);
    for (size_t i = 0; i < nf; i++)
        base[i + 1] = base[i] + (p->frames.v[i].nsym ? p->frames.v[i].nsym : 1);
    char **labels = ms_xcalloc(base[nf], sizeof *labels);
    struct ms_strtab st = {0};
    char buf[512];
    for (size_t i = 0; i < nf; i++) {
        const struct ms_frame *fr = &p->frames.v[i];
        for (size_t k = 0; k < base[i + 1] - base[i]; k++) {
            labels[base[i] + k] = ms_xstrdup(ms_frame_label(p, fr, (uint32_t)k, buf, sizeof buf));
            ms_strtab_add(&st, labels[base[i] + k]);
            ms_strtab_add(&st, fr->nsym ? fr->sym[k].file : NULL);
        }
        ms_strtab_add(&st, fr->module >= 0 ? p->modules.v[fr->module].path : NULL);
    }
    for (size_t i = 0; i < p->stacks.n; i++)
        ms_strtab_add(&st, p->stacks.v[i].suppressed);
    ms_strtab_finish(&st);

    fputc('{', out);
    ms_json_head(out, p);
    /* --top: rows per table (0 = all). */
    fprintf(out, ",\"top\":%zu,\"lingering_min_s\":%.3f", o->top, (double)o->linger_min_ns / 1e9);
    fputs(",\"strings\":[", out);
    for (size_t i = 0; i < st.n; i++) {
        if (i)
            fputc(',', out);
        ms_json_str(out, st.v[i]);
    }
    fputs("],\"frames\":[", out);
    for (size_t i = 0; i < nf; i++) {
        const struct ms_frame *fr = &p->frames.v[i];
        int64_t mod = ms_strtab_index(&st, fr->module >= 0 ? p->modules.v[fr->module].path : NULL);
        size_t n = base[i + 1] - base[i];
        for (size_t k = 0; k < n; k++)
            fprintf(out, "%s[%" PRId64 ",%" PRId64 ",%d,%" PRId64 ",%d]", base[i] + k ? "," : "",
                    ms_strtab_index(&st, labels[base[i] + k]),
                    ms_strtab_index(&st, fr->nsym ? fr->sym[k].file : NULL),
                    fr->nsym ? fr->sym[k].line : 0, mod, k + 1 < n);
    }
    fputs("],\"stacks\":[", out);
    for (size_t i = 0; i < p->stacks.n; i++) {
        const struct ms_pstack *s = &p->stacks.v[i];
        fputs(i ? ",[[" : "[[", out);
        bool first = true;
        for (uint32_t k = 0; k < s->nframes; k++)
            for (size_t id = base[s->frames[k]]; id < base[s->frames[k] + 1]; id++) {
                fprintf(out, "%s%zu", first ? "" : ",", id);
                first = false;
            }
        fputc(']', out);
        /* The site the "where" column names: the text report's choice
         * (ms_stack_site), one rule for both. */
        struct ms_xframe *x;
        size_t nx = ms_expand_stack(p, s, &x);
        size_t site = nx ? ms_stack_site(p, x, nx) : 0;
        free(x);
        stack_figures(out, s, s->suppressed ? ms_strtab_index(&st, s->suppressed) : -1, site);
    }
    fputc(']', out);
    ms_json_tail(out, p, o, f);
    fputs("}", out);
    for (size_t i = 0; i < base[nf]; i++)
        free(labels[i]);
    free(labels);
    free(base);
    ms_strtab_free(&st);
}

int ms_out_html(const char *path, const struct ms_profile *p, const struct ms_report_opts *o,
                const struct ms_findings *f)
{
    const char *tpl = (const char *)ms_report_template;
    const char *mark = strstr(tpl, MARKER);
    if (!mark) { /* a build problem, not a user one */
        fputs("mapscope report: internal error: HTML template has no data marker\n", stderr);
        return -1;
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "mapscope report: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fwrite(tpl, 1, (size_t)(mark - tpl), out);
    write_data(out, p, o, f);
    fputs(mark + strlen(MARKER), out);
    int bad = ferror(out);
    bad |= fclose(out);
    if (bad) {
        fprintf(stderr, "mapscope report: writing %s failed\n", path);
        return -1;
    }
    return 0;
}
