/*
 * aggregate.c — the views of a merged profile: which stacks matter for each
 * question (what leaked, what held the peak, what allocates most, what is
 * temporary, what lingers), ranked, plus the expansion of a stack into the
 * frames users read (inlined functions included).
 *
 * All views are one mechanism — rank stacks by one figure — so every output
 * (text, JSON, folded, pprof, HTML) agrees on the numbers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

const char *const ms_metric_names[MS_M_COUNT] = {
    [MS_M_LEAKED] = "leaked",      [MS_M_PEAK] = "peak",           [MS_M_ALLOCATED] = "allocated",
    [MS_M_ALLOCS] = "allocations", [MS_M_TEMPORARY] = "temporary", [MS_M_LINGERING] = "lingering",
    [MS_M_LOST] = "lost",          [MS_M_REACHABLE] = "reachable",
};

uint64_t ms_metric_value(const struct ms_pstack *s, enum ms_metric m)
{
    switch (m) {
    case MS_M_LEAKED:
        return s->f[MS_SF_LIVE_BYTES];
    case MS_M_PEAK:
        return s->f[MS_SF_PEAK_BYTES];
    case MS_M_ALLOCATED:
        return s->f[MS_SF_BYTES_ALLOCATED];
    case MS_M_ALLOCS:
        return s->f[MS_SF_ALLOCS];
    case MS_M_TEMPORARY:
        return s->f[MS_SF_TEMPORARY];
    case MS_M_LINGERING:
        return s->lg_bytes;
    case MS_M_LOST:
        return ms_kinds_sum(s->k, MS_KINDS_LEAK, NULL);
    case MS_M_REACHABLE:
        return s->k[MS_KF_REACHABLE_BYTES];
    default:
        return 0;
    }
}

uint64_t ms_metric_other(const struct ms_pstack *s, enum ms_metric m)
{
    switch (m) {
    case MS_M_LEAKED:
        return s->f[MS_SF_LIVE_BLOCKS];
    case MS_M_PEAK:
        return s->f[MS_SF_PEAK_BLOCKS];
    case MS_M_ALLOCATED:
        return s->f[MS_SF_ALLOCS];
    case MS_M_ALLOCS:
        return s->f[MS_SF_BYTES_ALLOCATED];
    case MS_M_TEMPORARY:
        return s->f[MS_SF_ALLOCS];
    case MS_M_LINGERING:
        return s->lg_blocks;
    case MS_M_LOST: {
        uint64_t blocks;
        ms_kinds_sum(s->k, MS_KINDS_LEAK, &blocks);
        return blocks;
    }
    case MS_M_REACHABLE:
        return s->k[MS_KF_REACHABLE_BLOCKS];
    default:
        return 0;
    }
}

/* ms_sort (qsort) has no context argument; the view being sorted is passed here. */
static const struct ms_profile *sort_p;
static enum ms_metric sort_m;

static int cmp_view(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint64_t vx = ms_metric_value(&sort_p->stacks.v[x], sort_m);
    uint64_t vy = ms_metric_value(&sort_p->stacks.v[y], sort_m);
    if (vx != vy)
        return vx > vy ? -1 : 1;
    return x < y ? -1 : x > y;
}

size_t ms_view(const struct ms_profile *p, enum ms_metric m, uint32_t **out)
{
    uint32_t *v = ms_xcalloc(p->stacks.n, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < p->stacks.n; i++)
        if (ms_metric_value(&p->stacks.v[i], m))
            v[n++] = (uint32_t)i;
    sort_p = p;
    sort_m = m;
    ms_sort(v, n, sizeof *v, cmp_view);
    *out = v;
    return n;
}

size_t ms_expand_stack(const struct ms_profile *p, const struct ms_pstack *s,
                       struct ms_xframe **out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < s->nframes; i++) {
        const struct ms_frame *fr = &p->frames.v[s->frames[i]];
        n += fr->nsym ? fr->nsym : 1;
    }
    struct ms_xframe *x = ms_xcalloc(n, sizeof *x);
    size_t k = 0;
    for (uint32_t i = 0; i < s->nframes; i++) {
        const struct ms_frame *fr = &p->frames.v[s->frames[i]];
        uint32_t ns = fr->nsym ? fr->nsym : 1;
        for (uint32_t j = 0; j < ns; j++) {
            x[k].frame = fr;
            x[k].symi = j;
            x[k].inlined = j + 1 < ns;
            k++;
        }
    }
    *out = x;
    return n;
}

uint64_t ms_unsuppressed_leak(const struct ms_profile *p, uint64_t *blocks)
{
    uint64_t bytes = 0, nb = 0;
    for (size_t i = 0; i < p->stacks.n; i++)
        if (!p->stacks.v[i].suppressed) {
            bytes += p->stacks.v[i].f[MS_SF_LIVE_BYTES];
            nb += p->stacks.v[i].f[MS_SF_LIVE_BLOCKS];
        }
    if (blocks)
        *blocks = nb;
    return bytes;
}

void ms_linger_filter(struct ms_profile *p, uint64_t min_ns)
{
    for (size_t i = 0; i < p->stacks.n; i++) {
        struct ms_pstack *s = &p->stacks.v[i];
        if (!s->lg_blocks)
            continue;
        if (s->lg_oldest_ns < min_ns) {
            s->lg_blocks = s->lg_bytes = 0;
            continue;
        }
        /* With a histogram, count the bins that reach the age asked for.
         * The bin holding that age is counted whole: a coarse bin may
         * overstate, but never hides a block that is old enough. */
        if (!s->lg_nbins)
            continue;
        uint64_t blocks = 0, bytes = 0;
        for (uint32_t b = 0; b < s->lg_nbins; b++)
            if (b + 1 == s->lg_nbins || s->lg_bins[b + 1].min_age_ns > min_ns) {
                blocks += s->lg_bins[b].blocks;
                bytes += s->lg_bins[b].bytes;
            }
        s->lg_blocks = blocks;
        s->lg_bytes = bytes;
    }
}

size_t ms_stack_site(const struct ms_profile *p, const struct ms_xframe *x, size_t n)
{
    /* The program's own code is where a leak is fixed: the first frame in
     * one of the profiled executables (symbolized or not: in a stripped
     * program its offset still beats libc's start-up code, the first frame
     * with a line there), else the first with a source line (allocation
     * wrappers in libc or libstdc++ without debug info have none), else the
     * innermost frame.  report_template.html's firstOwn() does the same. */
    for (size_t i = 0; i < n; i++) {
        const struct ms_frame *f = x[i].frame;
        if (f->module < 0)
            continue;
        for (size_t k = 0; k < p->processes.n; k++)
            if (!strcmp(p->modules.v[f->module].path, p->processes.v[k].exe))
                return i;
    }
    for (size_t i = 0; i < n; i++)
        if (x[i].frame->nsym && x[i].frame->sym[x[i].symi].file)
            return i;
    return 0;
}
