/*
 * dump_peak.c — the peak a dump reports, and every stack's share of it.
 *
 * The books detect a new peak from each thread's view of the live bytes,
 * which includes the other threads' changes only in steps (books.c,
 * PUBLISH), and the per-stack figures at that peak are kept lazily, stack
 * by stack.  Taken as they are, a dump could show a peak lower than an
 * earlier dump's (memcached: 270,908,006 at exit after 270,909,488 in a
 * snapshot), lower than its own in-use bytes, or different from the sum of
 * its stacks' peak figures (a python http.server snapshot).  So a dump
 * reads every stack's figures once, then reports the highest of three
 * pictures, each complete stack by stack:
 *   - the stacks' figures at the latest detected peak,
 *   - their figures now (the present is higher than the detected peak),
 *   - the peak the previous dump reported (kept here, stack by stack),
 * and the dump's peak is the sum of the stacks' figures of that picture:
 * the peak view and `--folded=peak` add up to it, and no later dump of the
 * process reports a lower one.  The reported peak also becomes the level a
 * new peak must pass in the books.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "books.h"
#include "dump_format.h"
#include "dump_peak.h"
#include "lifecycle.h"
#include "shim_base.h"
#include "shim_mem.h"

static struct ms_stack_figs *figs; /* indexed by stack id */
static uint32_t cap;
static uint64_t rep_bytes, rep_blocks, rep_time; /* the last reported peak */

struct ms_stack_figs *ms_dump_figs(uint32_t n)
{
    if (n <= cap)
        return figs;
    uint32_t ncap = cap ? cap : 1024;
    while (ncap < n)
        ncap *= 2;
    struct ms_stack_figs *v = ms_mem_map((size_t)ncap * sizeof *v, MS_MEM_DUMP);
    if (!v)
        return NULL;
    if (figs) {
        memcpy(v, figs, (size_t)cap * sizeof *v);
        ms_mem_unmap(figs, (size_t)cap * sizeof *v, MS_MEM_DUMP);
    }
    figs = v, cap = ncap;
    return figs;
}

void ms_dump_peak_choose(struct ms_stack_figs *v, uint32_t n, struct ms_totals *t)
{
    uint64_t at_peak = 0, now = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!v[i].present)
            continue;
        at_peak += v[i].f[MS_SF_PEAK_BYTES];
        now += v[i].f[MS_SF_LIVE_BYTES];
    }
    enum { AT_PEAK, NOW, REPORTED } pick = AT_PEAK;
    uint64_t best = at_peak;
    if (now > best)
        pick = NOW, best = now;
    if (rep_bytes > best)
        pick = REPORTED, best = rep_bytes;
    uint64_t blocks = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct ms_stack_figs *s = &v[i];
        if (!s->present)
            continue;
        if (pick == NOW) {
            s->f[MS_SF_PEAK_BYTES] = s->f[MS_SF_LIVE_BYTES];
            s->f[MS_SF_PEAK_BLOCKS] = s->f[MS_SF_LIVE_BLOCKS];
        } else if (pick == REPORTED) {
            s->f[MS_SF_PEAK_BYTES] = s->rep_bytes;
            s->f[MS_SF_PEAK_BLOCKS] = s->rep_blocks;
        }
        s->rep_bytes = s->f[MS_SF_PEAK_BYTES];
        s->rep_blocks = s->f[MS_SF_PEAK_BLOCKS];
        blocks += s->rep_blocks;
    }
    if (pick == NOW)
        rep_time = ms_coarse_ns() - ms_start_mono_ns;
    else if (pick == AT_PEAK)
        rep_time = t->peak_time_ns;
    rep_bytes = best, rep_blocks = blocks;
    t->peak_bytes = best;
    t->peak_blocks = blocks;
    t->peak_time_ns = rep_time;
    ms_books_raise_peak(best, blocks);
}

void ms_dump_peak_after_fork(void)
{
    /* The child's figures start from zero (inherit.c). */
    if (figs)
        memset(figs, 0, (size_t)cap * sizeof *figs);
    rep_bytes = rep_blocks = rep_time = 0;
}
