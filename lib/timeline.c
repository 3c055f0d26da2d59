/*
 * timeline.c — the heap over time, in bounded memory.
 *
 * The helper thread adds a point every MAPSCOPE_TIMELINE (default 1 s):
 * live bytes and blocks at that moment, and what was allocated since the
 * previous point.  A service can run for months, so the table is bounded:
 * when it holds MAX_POINTS, adjacent pairs are merged (the later point's
 * live figures, the sum of the allocation figures) and the interval
 * doubles.  8192 points cover 2.3 hours at 1 s before the first merge and
 * any uptime afterwards, in 320 KiB.
 */
#include <pthread.h>

#include "shim.h"

#define MAX_POINTS 8192

static struct ms_timeline_point *pts;
static unsigned npts;
static uint64_t interval;
static uint64_t prev_allocs, prev_bytes;
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

void ms_timeline_tick(uint64_t now)
{
    if (!pts)
        return;
    struct ms_totals t;
    ms_books_totals(&t);
    pthread_mutex_lock(&lock);
    if (npts == MAX_POINTS) {
        for (unsigned i = 0; i < MAX_POINTS / 2; i++) {
            struct ms_timeline_point a = pts[2 * i], b = pts[2 * i + 1];
            pts[i] = b;
            pts[i].t_ns = b.t_ns;
            pts[i].allocs = a.allocs + b.allocs;
            pts[i].bytes = a.bytes + b.bytes;
        }
        npts = MAX_POINTS / 2;
        interval *= 2;
    }
    struct ms_timeline_point *p = &pts[npts++];
    p->t_ns = now - ms_start_mono_ns;
    p->live_bytes = t.live_bytes;
    p->live_blocks = t.live_blocks;
    p->allocs = t.allocs - prev_allocs;
    p->bytes = t.bytes_alloc - prev_bytes;
    prev_allocs = t.allocs;
    prev_bytes = t.bytes_alloc;
    pthread_mutex_unlock(&lock);
}

uint64_t ms_timeline_read(void (*fn)(const struct ms_timeline_point *, void *), void *ctx)
{
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < npts; i++)
        fn(&pts[i], ctx);
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
