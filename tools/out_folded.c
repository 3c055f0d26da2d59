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
#include <stdlib.h>

#include "report.h"

/* A frame name with the folded format's separators (';', newline) made
 * harmless; the value is after the last space, so spaces may stay. */
static void put_name(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == ';' ? ':' : (*s == '\n' || *s == '\r') ? ' ' : *s, out);
}

void ms_out_folded(FILE *out, const struct ms_profile *p, enum ms_metric m)
{
    char buf[512];
    for (size_t i = 0; i < p->stacks.n; i++) {
        const struct ms_pstack *s = &p->stacks.v[i];
        uint64_t v = ms_metric_value(s, m);
        if (!v)
            continue;
        struct ms_xframe *x;
        size_t n = ms_expand_stack(p, s, &x);
        if (!n)
            fputs("[unknown stack]", out);
        for (size_t k = n; k-- > 0;) {
            put_name(out, ms_frame_label(p, x[k].frame, x[k].symi, buf, sizeof buf));
            if (k)
                fputc(';', out);
        }
        fprintf(out, " %" PRIu64 "\n", v);
        free(x);
    }
}
