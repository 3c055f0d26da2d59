/*
 * pipeline.c — a profile from dumps in one call, the stages in the order
 * every user needs them (report.c, run.c's summary, the fuzz target): the
 * order matters, suppressions match the stacks as recorded and only then
 * are wrappers' frames taken off.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "pipeline.h"
#include "util.h"

void ms_profile_build(struct ms_dump *dumps, size_t n, const struct ms_build_opts *o,
                      struct ms_profile *p)
{
    bool *use = ms_xcalloc(n ? n : 1, sizeof *use);
    ms_profile_merge(dumps, n, use, p);
    free(use);
    ms_symbolize(p, &o->sym);
    if (o->supps)
        ms_supp_apply(o->supps, p);
    if (o->alloc_fns)
        ms_alloc_fns_apply(o->alloc_fns, p);
}
