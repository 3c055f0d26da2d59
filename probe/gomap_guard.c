/*
 * gomap_guard.c — the overhead guard of mapscope gomaps: a probe that fires so
 * often that its cost would show in the target is detached, and the run goes on
 * with what the other probes and the header polls see (maps already followed are
 * kept).
 */
#include "config.h"

#include <stdio.h>

#include "gomaps_probe.h"

/*
 * The overhead guard: a probe hit more than max_rate/s goes.  Classic probes go
 * after one such second.  A Swiss table's rehash fires in bursts while a big map
 * fills (one split per ~500 inserts) and then falls silent, so its probes go only
 * after SWISS_GUARD_SECONDS such seconds in a row: a burst costs the target a
 * little once, while losing the probe would hide every later growth.
 */
#define SWISS_GUARD_SECONDS 10

void ms_gm_guard_check(struct ms_gm_guard *g, struct ms_gm_probes *p, double dt)
{
    uint64_t *prev = g->prev;
    unsigned *over = g->over;
    for (int k = 1; k < GOMAP_EV_KINDS && dt > 0; k++) {
        uint64_t sum = ms_gm_probes_stat(p, (unsigned int)k);
        double rate = (double)(sum - prev[k]) / dt;
        prev[k] = sum;
        over[k] = rate > g->max_rate ? over[k] + 1 : 0;
        unsigned need = k >= GOMAP_EV_SWISS_REHASH ? SWISS_GUARD_SECONDS : 1;
        if (over[k] >= need && !ms_gm_probes_detached(p, k)) {
            ms_gm_probes_detach(p, k);
            fprintf(stderr,
                    MS_GM_PROG ": %s hit %.0f times/s (over --max-probe-rate %u): detached it to "
                               "keep the target's slowdown small; maps it would have shown are "
                               "found only through the other probes now\n",
                    ms_gm_probe_name(k), rate, g->max_rate);
        }
    }
}
