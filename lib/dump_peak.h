/*
 * dump_peak.h — the peak a dump reports, stack by stack (dump_peak.c).
 */
#ifndef MS_DUMP_PEAK_H
#define MS_DUMP_PEAK_H

#include <stdbool.h>
#include <stdint.h>

#include "books.h"
#include "dump_format.h"

#pragma GCC visibility push(hidden)

/* One stack's figures as a dump writes them (enum ms_stack_field), and
 * its figures at the peak the previous dump reported. */
struct ms_stack_figs {
    uint64_t f[MS_SF_COUNT];
    uint64_t rep_bytes, rep_blocks;
    bool present; /* written by this dump */
};
/* Room for n stacks' figures (kept between dumps), or NULL. */
struct ms_stack_figs *ms_dump_figs(uint32_t n);
/* Choose the dump's peak picture (see dump_peak.c), rewrite the stacks'
 * peak figures to it and set t's peak figures to their sums. */
void ms_dump_peak_choose(struct ms_stack_figs *v, uint32_t n, struct ms_totals *t);
void ms_dump_peak_after_fork(void);

#pragma GCC visibility pop

#endif /* MS_DUMP_PEAK_H */
