/*
 * out_text_timeline.c — the heap over time as a chart in the text report.
 *
 * A service's report is often read over ssh, where the HTML chart is out of
 * reach, and the first question about a heap is its shape: did it rise and
 * come back, or climb and stay?  So the text report draws the live bytes of
 * the timeline in a small ASCII chart (ASCII, because reports end up in CI
 * logs and mail that mangle anything else) and states the figures a reader
 * would otherwise estimate from it: the highest point and when, the end,
 * and how much the heap moved over the second half of the run.
 *
 * Columns are slices of time, not of points: the timeline's points are
 * irregular (its resolution coarsens as a run goes on, and each dump adds
 * a point at its own moment).  A column shows the highest point in its
 * slice; a slice without a point keeps the level of the one before, since
 * the live heap holds between two points as far as the timeline knows.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "pipeline.h"

#define WIDTH  60 /* columns of the chart at most */
#define HEIGHT 8  /* rows */

/* Live bytes at time t: the last point at or before t (the first point
 * before it starts). */
static uint64_t live_at(const struct ms_tl_point *v, size_t n, uint64_t t)
{
    size_t i = 0;
    while (i + 1 < n && v[i + 1].t_ns <= t)
        i++;
    return v[i].live_bytes;
}

/* The chart's highest point and the totals' peak are different figures
 * when the peak fell between two points, or when several processes are
 * merged (the totals add each process's own peak, the chart adds the
 * processes up at each moment): say so instead of showing two peaks. */
static void peak_note(FILE *out, const struct ms_profile *p, uint64_t highest)
{
    char b1[32], b2[32];
    uint64_t peak = ms_profile_total(p, MS_TOTAL_PEAK_BYTES);
    if (p->processes.n > 1)
        fprintf(out,
                "   (the chart adds the processes up at each moment; the peak in the totals, "
                "%s, adds each process's own peak)\n",
                ms_fmt_bytes(b1, peak));
    else if (peak > highest)
        fprintf(out,
                "   (the peak, %s at %s, fell between two points of the chart: points are "
                "taken every few ms, the peak is exact)\n",
                ms_fmt_bytes(b1, peak),
                ms_fmt_duration(b2, ms_profile_total(p, MS_TOTAL_PEAK_TIME_NS)));
}

void ms_text_timeline(FILE *out, const struct ms_profile *p)
{
    const struct ms_tl_point *v = p->timeline.v;
    size_t n = p->timeline.n;
    char b1[32], b2[32], b3[32];
    if (!n)
        return;
    size_t top = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i].live_bytes > v[top].live_bytes)
            top = i;
    uint64_t t0 = v[0].t_ns, span = v[n - 1].t_ns - t0;
    fprintf(out, "\n== Heap over time (live bytes): %zu %s", n, n == 1 ? "point" : "points");
    if (n > 1)
        fprintf(out, " over %s, every %s at most", ms_fmt_duration(b1, span),
                ms_fmt_duration(b2, p->timeline_interval_ns));
    fputc('\n', out);
    if (n < 2 || !span || !v[top].live_bytes) {
        fprintf(out, "   %s in %" PRIu64 " blocks at %s\n", ms_fmt_bytes(b1, v[n - 1].live_bytes),
                v[n - 1].live_blocks, ms_fmt_duration(b2, v[n - 1].t_ns));
        return;
    }

    size_t w = n < WIDTH ? n : WIDTH;
    uint64_t col[WIDTH];
    size_t k = 0; /* next point to place */
    uint64_t level = v[0].live_bytes;
    for (size_t c = 0; c < w; c++) {
        /* Slice c ends at t0 + span*(c+1)/w; the last one takes the end. */
        uint64_t end = c + 1 == w ? UINT64_MAX : t0 + (uint64_t)((double)span * (c + 1) / w);
        uint64_t hi = 0;
        bool any = false;
        for (; k < n && v[k].t_ns < end; k++) {
            if (!any || v[k].live_bytes > hi)
                hi = v[k].live_bytes;
            any = true;
            level = v[k].live_bytes;
        }
        col[c] = any ? hi : level;
    }

    uint64_t max = v[top].live_bytes;
    for (int r = HEIGHT; r >= 1; r--) {
        char line[WIDTH + 1];
        for (size_t c = 0; c < w; c++) {
            /* Cell r is filled when the column reaches r/HEIGHT of the top
             * (rounded); a non-zero column shows at least a dot. */
            double filled = (double)col[c] / (double)max * HEIGHT + 0.5; /* no overflow */
            line[c] = filled >= r ? '#' : (r == 1 && col[c] ? '.' : ' ');
        }
        line[w] = 0;
        const char *label = r == HEIGHT ? ms_fmt_bytes(b1, max) : r == 1 ? "0 B" : "";
        fprintf(out, "   %10s |%s\n", label, line);
    }
    char axis[WIDTH + 1];
    memset(axis, '-', w);
    axis[w] = 0;
    fprintf(out, "   %10s +%s\n", "", axis);
    if (t0)
        ms_fmt_duration(b1, t0);
    else
        strcpy(b1, "0");
    ms_fmt_duration(b2, v[n - 1].t_ns);
    /* The end's label ends under the last column, at least a space away. */
    int pad = (int)w - (int)strlen(b1);
    if (pad < (int)strlen(b2) + 1)
        pad = (int)strlen(b2) + 1;
    fprintf(out, "   %10s  %s%*s\n", "", b1, pad, b2);

    uint64_t mid = live_at(v, n, t0 + span / 2), last = v[n - 1].live_bytes;
    uint64_t moved = last > mid ? last - mid : mid - last;
    double rate = (double)moved / ((double)span / 2 / 1e9);
    fprintf(out, "   highest point %s at %s; at the end %s in %" PRIu64 " blocks\n",
            ms_fmt_bytes(b1, max), ms_fmt_duration(b2, v[top].t_ns), ms_fmt_bytes(b3, last),
            v[n - 1].live_blocks);
    peak_note(out, p, max);
    fprintf(out, "   second half of the run: %s%s (%s%s/s)\n", last >= mid ? "+" : "-",
            ms_fmt_bytes(b1, moved), last >= mid ? "+" : "-",
            ms_fmt_bytes(b2, rate < 1.8e19 ? (uint64_t)rate : UINT64_MAX));
}
