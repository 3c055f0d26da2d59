/*
 * out_folded.c — `mapscope report --folded[=METRIC]`: folded stacks
 * ("outer;inner value" per line), the input of flamegraph.pl, speedscope
 * and inferno.
 *
 * One metric per output so the numbers mean one thing: leaked bytes, bytes
 * live at the peak, or bytes allocated.  The values of a metric add up to
 * the matching total (inuse_bytes, peak_bytes, bytes_allocated).  Inlined
 * functions are frames of their own, as in the text report.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* A frame name with the folded format's separators (';', newline) made
 * harmless; the value is after the last space, so spaces may stay. */
static void put_name(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == ';' ? ':' : (*s == '\n' || *s == '\r') ? ' ' : *s, out);
}

struct line {
    char *stack;
    uint64_t value;
};

static int cmp_line(const void *a, const void *b)
{
    return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

/* The folded text of one stack (malloc'ed). */
static char *fold(const struct ms_profile *p, const struct ms_pstack *s)
{
    char buf[512], *text = NULL;
    size_t len = 0;
    FILE *f = ms_xcheck(open_memstream(&text, &len));
    struct ms_xframe *x;
    size_t n = ms_expand_stack(p, s, &x);
    if (!n)
        fputs("[unknown stack]", f);
    for (size_t k = n; k-- > 0;) {
        put_name(f, ms_frame_label(p, x[k].frame, x[k].symi, buf, sizeof buf));
        if (k)
            fputc(';', f);
    }
    free(x);
    if (fclose(f))
        ms_xcheck(NULL);
    return text;
}

void ms_out_folded(FILE *out, const struct ms_profile *p, enum ms_metric m)
{
    /* Stacks that differ only in addresses within the same functions (two
     * calls from one function, different lines) fold to the same text:
     * one line each, with the values added, as the consumers expect. */
    struct line *v = ms_xcalloc(p->stacks.n ? p->stacks.n : 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < p->stacks.n; i++) {
        uint64_t val = ms_metric_value(&p->stacks.v[i], m);
        if (!val)
            continue;
        v[n].stack = fold(p, &p->stacks.v[i]);
        v[n++].value = val;
    }
    ms_sort(v, n, sizeof *v, cmp_line);
    for (size_t i = 0; i < n;) {
        uint64_t sum = 0;
        size_t j = i;
        for (; j < n && !strcmp(v[j].stack, v[i].stack); j++)
            sum += v[j].value;
        fprintf(out, "%s %" PRIu64 "\n", v[i].stack, sum);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].stack);
    free(v);
}
