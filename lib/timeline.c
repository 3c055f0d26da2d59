/*
 * timeline.c — the heap over time, in bounded memory.
 *
 * A point is taken every interval (MAPSCOPE_TIMELINE, default 10 ms) by
 * the helper thread or by the first recorded allocation after it is due:
 * live bytes and blocks at that moment, and what was allocated since the
 * previous point.  Services run for months and tests for a fraction of a
 * second, and both want a readable curve, so the resolution adapts: when
 * the table holds MAX_POINTS, adjacent pairs are merged (the later point's
 * live figures, the sum of the allocation figures) and the interval
 * doubles.  8192 points at 10 ms cover the first 82 s; after that the
 * table always holds between 4096 and 8192 points of whatever uptime, in
 * 320 KiB.  Every snapshot ends with one more point taken at the moment it
 * is written (not kept in the table), so even a program that lives less
 * than one interval has a timeline, and the last point agrees with the
 * totals of the same dump.
 *
 * A point that would repeat the previous one (nothing allocated, the same
 * live figures) is not kept: the helper thread, which takes the points in
 * every process with threads (helper.c), would otherwise fill the table
 * with an idle service's flat line and coarsen its busy hours for it.
 * When something changes again, the flat stretch's last moment is kept
 * first, so a chart drawn through the points stays flat until then.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "books.h"
#include "lifecycle.h"
#include "shim_mem.h"
#include "timeline.h"

#define MAX_POINTS 8192

static struct ms_timeline_point *pts;
static unsigned npts;
static uint64_t interval;
static uint64_t prev_allocs, prev_bytes;
static uint64_t quiet_at; /* the last point not kept, or 0 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int ms_timeline_init(uint64_t interval_ns)
{
    interval = interval_ns;
    if (!interval_ns)
        return 0;
    pts = ms_mem_map(MAX_POINTS * sizeof *pts, MS_MEM_TIMELINE);
    return pts ? 0 : -1;
}

uint64_t ms_timeline_interval(void);
uint64_t ms_timeline_interval(void)
{
    return interval;
}

void ms_timeline_halve(struct ms_timeline_point *p, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        struct ms_timeline_point a = p[2 * i], b = p[2 * i + 1];
        p[i] = b; /* the later time and live figures */
        p[i].allocs = a.allocs + b.allocs;
        p[i].bytes = a.bytes + b.bytes;
    }
}

/* The point at now from the books' totals (caller holds the lock). */
static void point_at(struct ms_timeline_point *p, const struct ms_totals *t, uint64_t now)
{
    p->t_ns = now - ms_start_mono_ns;
    p->live_bytes = t->live_bytes;
    p->live_blocks = t->live_blocks;
    p->allocs = t->allocs - prev_allocs;
    p->bytes = t->bytes_alloc - prev_bytes;
}

/* The next free point (caller holds the lock). */
static struct ms_timeline_point *next_point(void)
{
    if (npts == MAX_POINTS) {
        ms_timeline_halve(pts, MAX_POINTS);
        npts = MAX_POINTS / 2;
        interval *= 2;
    }
    return &pts[npts++];
}

bool ms_timeline_tick(uint64_t now)
{
    if (!pts)
        return true;
    struct ms_totals t;
    ms_books_totals(&t);
    ms_books_note_level(&t);
    pthread_mutex_lock(&lock);
    const struct ms_timeline_point *last = npts ? &pts[npts - 1] : NULL;
    if (last && t.allocs == prev_allocs && t.live_bytes == last->live_bytes &&
        t.live_blocks == last->live_blocks) {
        quiet_at = now;
        pthread_mutex_unlock(&lock);
        return false;
    }
    if (quiet_at) {
        struct ms_timeline_point flat = *last;
        flat.t_ns = quiet_at - ms_start_mono_ns;
        flat.allocs = flat.bytes = 0;
        *next_point() = flat;
        quiet_at = 0;
    }
    point_at(next_point(), &t, now);
    prev_allocs = t.allocs;
    prev_bytes = t.bytes_alloc;
    pthread_mutex_unlock(&lock);
    return true;
}

uint64_t ms_timeline_read(void (*fn)(const struct ms_timeline_point *, void *), void *ctx,
                          uint64_t now)
{
    struct ms_totals t;
    if (now)
        ms_books_totals(&t);
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < npts; i++)
        fn(&pts[i], ctx);
    if (now && pts && now > ms_start_mono_ns &&
        (!npts || now - ms_start_mono_ns > pts[npts - 1].t_ns)) {
        struct ms_timeline_point last;
        point_at(&last, &t, now);
        fn(&last, ctx);
    }
    uint64_t iv = interval;
    pthread_mutex_unlock(&lock);
    return iv;
}

void ms_timeline_lock(void);
void ms_timeline_lock(void)
{
    pthread_mutex_lock(&lock);
}

void ms_timeline_unlock(void);
void ms_timeline_unlock(void)
{
    pthread_mutex_unlock(&lock);
}

void ms_timeline_reinit_lock(void);
void ms_timeline_reinit_lock(void)
{
    pthread_mutex_init(&lock, NULL);
}

/* Fork child: the parent's points describe the parent's heap; the child's
 * timeline starts at the fork with its own figures (inherit.c). */
void ms_timeline_after_fork_child(void);
void ms_timeline_after_fork_child(void)
{
    npts = 0;
    prev_allocs = prev_bytes = quiet_at = 0;
}
