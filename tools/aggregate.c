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

#include "pipeline.h"

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

uint64_t ms_linger_recorded(const struct ms_profile *p)
{
    /* The smallest bin boundary is the run's threshold (bins start at 1x
     * it); without lingering blocks, the run's setting says it. */
    uint64_t t = 0;
    for (size_t i = 0; i < p->stacks.n; i++)
        if (p->stacks.v[i].lg_nbins && (!t || p->stacks.v[i].lg_bins[0].min_age_ns < t))
            t = p->stacks.v[i].lg_bins[0].min_age_ns;
    for (size_t i = 0; !t && i < p->settings.n; i++)
        if (!strcmp(p->settings.v[i].name, "linger_s"))
            t = (uint64_t)(strtod(p->settings.v[i].value, NULL) * 1e9 + 0.5);
    return t;
}

uint64_t ms_linger_filter(struct ms_profile *p, uint64_t want_ns)
{
    uint64_t recorded = ms_linger_recorded(p);
    /* The largest bin boundary at or below the request, over every stack
     * (one shim version uses the same boundaries everywhere). */
    uint64_t applied = recorded;
    for (size_t i = 0; i < p->stacks.n; i++)
        for (uint32_t b = 0; b < p->stacks.v[i].lg_nbins; b++) {
            uint64_t edge = p->stacks.v[i].lg_bins[b].min_age_ns;
            if (edge <= want_ns && edge > applied)
                applied = edge;
        }
    for (size_t i = 0; i < p->stacks.n; i++) {
        struct ms_pstack *s = &p->stacks.v[i];
        if (!s->lg_blocks)
            continue;
        if (s->lg_oldest_ns < want_ns) { /* none of its blocks is that old */
            s->lg_blocks = s->lg_bytes = 0;
            continue;
        }
        if (applied <= recorded)
            continue;
        /* Whole bins from the applied boundary on: every block counted is
         * at least that old, and every block that old is counted. */
        uint64_t blocks = 0, bytes = 0;
        for (uint32_t b = 0; b < s->lg_nbins; b++)
            if (s->lg_bins[b].min_age_ns >= applied) {
                blocks += s->lg_bins[b].blocks;
                bytes += s->lg_bins[b].bytes;
            }
        s->lg_blocks = blocks;
        s->lg_bytes = bytes;
    }
    return applied;
}

size_t ms_stack_site(const struct ms_profile *p, const struct ms_xframe *x, size_t n)
{
    /* The program's own code is where a leak is fixed: the first frame in
     * one of the profiled executables (symbolized or not: in a stripped
     * program its offset still beats libc's start-up code, the first frame
     * with a line there), else the first with a source line (allocation
     * wrappers in libc or libstdc++ without debug info have none), else the
     * innermost frame.  The HTML page's "where" column shows this frame
     * too (out_html.c passes its index). */
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
