/*
 * trackers.h — the one small interface the gomaps event loop drives, whatever
 * the target's map implementation: feed probe events, poll headers, show the
 * live table or the final report, write the JSON lines, free.  trackers.c
 * adapts the classic tracker (maptrack.c) and the Swiss one (swisstrack.c).
 */
#ifndef MS_TRACKERS_H
#define MS_TRACKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gomap.h"

struct gm_tracker_ops {
    const char *impl; /* "classic" or "swiss" */
    void (*event)(void *tr, const struct gomap_event *e);
    int (*poll)(void *tr, double now); /* -1: the process is gone */
    /* the live table (final = false) or the final report */
    void (*show)(void *tr, FILE *f, double linger, double elapsed, bool final);
    int (*write_json)(void *tr, FILE *f, double linger, double elapsed);
    /* what the BPF side counted: morestack re-entries dropped, events lost */
    void (*probe_stats)(void *tr, uint64_t dups, uint64_t lost);
    void (*set_clock)(void *tr, double start, double now);
    void (*free)(void *tr);
};

extern const struct gm_tracker_ops ms_gm_classic_ops, ms_gm_swiss_ops;

#endif /* MS_TRACKERS_H */
