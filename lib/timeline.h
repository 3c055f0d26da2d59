/*
 * timeline.h — heap over time, bounded (timeline.c).
 */
#ifndef MS_TIMELINE_H
#define MS_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct ms_timeline_point {
    uint64_t t_ns, live_bytes, live_blocks, allocs, bytes;
};
int ms_timeline_init(uint64_t interval_ns);
/* Take the point at now; false when it repeated the previous one and was
 * not kept (timeline.c). */
bool ms_timeline_tick(uint64_t now_mono_ns);
/* Visit points in order, then (now != 0) a point taken at now that is not
 * kept; returns the current interval. */
uint64_t ms_timeline_read(void (*fn)(const struct ms_timeline_point *, void *), void *ctx,
                          uint64_t now);
/* Merge adjacent pairs of n points into the first n/2 (pure; for tests). */
void ms_timeline_halve(struct ms_timeline_point *p, unsigned n);

#pragma GCC visibility pop

#endif /* MS_TIMELINE_H */
