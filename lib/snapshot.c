/*
 * snapshot.c — one dump, record by record (the format is dump_format.h).
 *
 * Called at exit, by the helper thread (interval, trigger file, signal) and
 * never from a signal handler.  One dump at a time (a mutex); the program's
 * threads keep running and allocating meanwhile: each shard of the books
 * is locked only while it is walked, so a dump is a consistent picture of
 * each shard, not a stop-the-world one.
 *
 * Order of records: PROCESS, SETTINGS, MODULE..., then STACK + STACK_STATS
 * for every stack that saw an event, LINGER groups, TIMELINE, TOTALS,
 * ENGINE, END.  A reader of a truncated file keeps every complete record.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "books.h"
#include "cfi.h"
#include "complain.h"
#include "dump_format.h"
#include "dump_peak.h"
#include "dump_write.h"
#include "guard.h"
#include "inherit.h"
#include "lifecycle.h"
#include "linger.h"
#include "map.h"
#include "modules.h"
#include "own_fd.h"
#include "reach_dump.h"
#include "shim_base.h"
#include "shim_config.h"
#include "shim_mem.h"
#include "snapshot.h"
#include "stack_table.h"
#include "timeline.h"
#include "unwind.h"

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t seq;

uint64_t ms_timeline_interval(void);
void ms_stack_table_stats(uint64_t *dropped, uint64_t *bytes_frames);
struct ms_smap *ms_stack_index_map(void);

void ms_snapshot_lock(void)
{
    pthread_mutex_lock(&snap_lock);
}

void ms_snapshot_unlock(void)
{
    pthread_mutex_unlock(&snap_lock);
}

void ms_snapshot_reinit_after_fork(void)
{
    pthread_mutex_init(&snap_lock, NULL);
    seq = 0;
    ms_dump_peak_after_fork();
}

static size_t read_small_file(const char *path, char *buf, size_t cap)
{
    struct ms_fd f;
    if (ms_fd_open(&f, path, O_RDONLY, 0) != 0)
        return 0;
    size_t n = 0;
    while (n < cap) {
        ssize_t k = read(f.fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    if (ms_fd_close(&f) == EBADF)
        return 0; /* what was read may be the program's */
    return n;
}

static void write_process(struct ms_dw *w, unsigned reason, uint32_t s)
{
    static char exe[PATH_MAX], cmd[4096];
    size_t n = ms_exe_path(exe, sizeof exe);
    size_t cn = read_small_file("/proc/self/cmdline", cmd, sizeof cmd);
    while (cn > 0 && cmd[cn - 1] == '\0')
        cn--; /* arguments are separated, not terminated, by NUL */
    ms_dw_rec_begin(w, MS_REC_PROCESS);
    ms_dw_u32(w, (uint32_t)getpid());
    ms_dw_u32(w, (uint32_t)getppid());
    ms_dw_u64(w, ms_start_unix_ns);
    ms_dw_u64(w, ms_clock_ns(CLOCK_REALTIME));
    ms_dw_u32(w, reason);
    ms_dw_u32(w, s);
    ms_dw_strn(w, exe, n);
    ms_dw_strn(w, cmd, cn);
    ms_dw_rec_end(w);
}

static void pair_str(struct ms_dw *w, const char *name, const char *value)
{
    ms_dw_str(w, name);
    ms_dw_str(w, value);
}

/* Seconds as text: integers when whole, else up to 3 decimals. */
static void secs(char *buf, size_t cap, uint64_t ns)
{
    if (ns % 1000000000u == 0)
        snprintf(buf, cap, "%llu", (unsigned long long)(ns / 1000000000u));
    else
        snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ns / 1000000000u),
                 (unsigned long long)(ns % 1000000000u / 1000000u));
}

static void write_settings(struct ms_dw *w)
{
    char iv[32], ln[32], tl[32], sb[32], dp[16], ms[16], sg[16], lt[32];
    secs(iv, sizeof iv, ms_cfg.interval_ns);
    secs(ln, sizeof ln, ms_cfg.linger_ns);
    snprintf(lt, sizeof lt, "%llu", (unsigned long long)ms_birth_tick_ns());
    secs(tl, sizeof tl, ms_cfg.timeline_ns);
    snprintf(sb, sizeof sb, "%llu", (unsigned long long)ms_cfg.sample_bytes);
    snprintf(dp, sizeof dp, "%u", ms_cfg.depth);
    snprintf(ms, sizeof ms, "%u", ms_cfg.max_stacks);
    const char *signame = ms_signal_name(ms_cfg.signal);
    if (!ms_cfg.signal)
        strcpy(sg, "off");
    else if (signame)
        snprintf(sg, sizeof sg, "%s", signame);
    else
        snprintf(sg, sizeof sg, "%d", ms_cfg.signal);
    ms_dw_rec_begin(w, MS_REC_SETTINGS);
    ms_dw_u32(w, 13);
    pair_str(w, "output", ms_cfg.output);
    pair_str(w, "interval_s", iv);
    pair_str(w, "sample_bytes", sb);
    pair_str(w, "depth", dp);
    pair_str(w, "unwind", ms_unwind_name(ms_cfg.unwind));
    pair_str(w, "linger_s", ln);
    /* Per process, not a cost: a setting, so that merging the dumps of a
     * process tree never adds it up. */
    pair_str(w, "linger_tick_ns", lt);
    pair_str(w, "follow_children", ms_cfg.follow_children ? "1" : "0");
    pair_str(w, "signal", sg);
    pair_str(w, "trigger", ms_cfg.trigger);
    pair_str(w, "timeline_s", tl);
    pair_str(w, "max_stacks", ms);
    pair_str(w, "reach", ms_reach_name(ms_cfg.reach));
    ms_dw_rec_end(w);
}

static uint64_t units(uint64_t v)
{
    return ms_count_shift ? (v + (1ull << (ms_count_shift - 1))) >> ms_count_shift : v;
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* One stack's figures now, in the dump's units; false when it has none to
 * write. */
static bool read_figures(struct ms_stack_entry *e, uint64_t peak_epoch, uint64_t f[MS_SF_COUNT])
{
    if (!e || !__atomic_load_n(&e->frames, __ATOMIC_ACQUIRE))
        return false;
    struct ms_stack_counters *c = &e->c;
    uint64_t allocs = ms_sc_get(c, MS_SC_ALLOCS), frees = ms_sc_get(c, MS_SC_FREES),
             bytes = ms_sc_get(c, MS_SC_BYTES), freed = ms_sc_get(c, MS_SC_BYTES_FREED),
             failed = ms_sc_get(c, MS_SC_FAILED);
    if (allocs == 0 && failed == 0)
        return false;
    uint64_t live_blocks = allocs - frees, live_bytes = bytes - freed;
    uint64_t peak_blocks = live_blocks, peak_bytes = live_bytes;
    if (LD(c->snap_epoch) == peak_epoch) {
        peak_blocks = LD(c->snap_blocks);
        peak_bytes = LD(c->snap_bytes);
    }
    f[MS_SF_ALLOCS] = units(allocs);
    f[MS_SF_BYTES_ALLOCATED] = bytes;
    f[MS_SF_FREES] = units(frees);
    f[MS_SF_BYTES_FREED] = freed;
    f[MS_SF_LIVE_BLOCKS] = units(live_blocks);
    f[MS_SF_LIVE_BYTES] = live_bytes;
    f[MS_SF_FAILED] = units(failed);
    f[MS_SF_PEAK_BLOCKS] = units(peak_blocks);
    f[MS_SF_PEAK_BYTES] = peak_bytes;
    f[MS_SF_TEMPORARY] = units(ms_sc_get(c, MS_SC_TEMPORARY));
    return true;
}

static void write_stack(struct ms_dw *w, uint32_t id, const struct ms_stack_entry *e,
                        const uint64_t f[MS_SF_COUNT])
{
    ms_dw_rec_begin(w, MS_REC_STACK);
    ms_dw_u32(w, id);
    ms_dw_u32(w, e->nframes);
    ms_dw_bytes(w, e->frames, e->nframes * sizeof(uint64_t));
    ms_dw_rec_end(w);
    ms_dw_rec_begin(w, MS_REC_STACK_STATS);
    ms_dw_u32(w, id);
    ms_dw_u32(w, MS_SF_COUNT);
    for (unsigned i = 0; i < MS_SF_COUNT; i++)
        ms_dw_u64(w, f[i]);
    ms_dw_rec_end(w);
}

/* Every stack's records.  The figures are read once, then the peak
 * picture is chosen (dump_peak.c): t's peak figures become the sums of the
 * stacks' and, in full mode, its in-use figures too, so the dump's peak is
 * never below its own present. */
static void write_stacks(struct ms_dw *w, struct ms_totals *t)
{
    uint32_t n = ms_stack_count();
    struct ms_stack_figs *v = ms_dump_figs(n);
    if (!v) { /* out of memory: the figures as they are, in one pass */
        uint64_t f[MS_SF_COUNT];
        for (uint32_t id = 0; id < n; id++)
            if (read_figures(ms_stack_entry(id), t->peak_epoch, f))
                write_stack(w, id, ms_stack_entry(id), f);
        return;
    }
    for (uint32_t id = 0; id < n; id++)
        v[id].present = read_figures(ms_stack_entry(id), t->peak_epoch, v[id].f);
    ms_dump_peak_choose(v, n, t);
    uint64_t live_bytes = 0, live_blocks = 0;
    for (uint32_t id = 0; id < n; id++) {
        if (!v[id].present)
            continue;
        write_stack(w, id, ms_stack_entry(id), v[id].f);
        live_bytes += v[id].f[MS_SF_LIVE_BYTES];
        live_blocks += v[id].f[MS_SF_LIVE_BLOCKS];
    }
    if (!ms_count_shift) /* sampled: per-stack rounding; the totals' own are better */
        t->live_bytes = live_bytes, t->live_blocks = live_blocks;
}

/* Timeline points, split into records that respect the record budget. */
struct tl_ctx {
    struct ms_dw *w;
    uint64_t interval;
    struct ms_timeline_point buf[1024];
    unsigned n;
};

static void tl_flush(struct tl_ctx *t)
{
    if (!t->n)
        return;
    ms_dw_rec_begin(t->w, MS_REC_TIMELINE);
    ms_dw_u64(t->w, t->interval);
    ms_dw_u32(t->w, t->n);
    for (unsigned i = 0; i < t->n; i++) {
        ms_dw_u64(t->w, t->buf[i].t_ns);
        ms_dw_u64(t->w, t->buf[i].live_bytes);
        ms_dw_u64(t->w, t->buf[i].live_blocks);
        ms_dw_u64(t->w, t->buf[i].allocs);
        ms_dw_u64(t->w, t->buf[i].bytes);
    }
    ms_dw_rec_end(t->w);
    t->n = 0;
}

static void tl_point(const struct ms_timeline_point *p, void *ctx)
{
    struct tl_ctx *t = ctx;
    t->buf[t->n++] = *p;
    if (t->n == sizeof t->buf / sizeof t->buf[0])
        tl_flush(t);
}

static void write_timeline(struct ms_dw *w)
{
    static struct tl_ctx t; /* 40 KiB: not on the (possibly small) stack */
    t.w = w;
    t.n = 0;
    t.interval = ms_timeline_interval();
    if (!t.interval)
        return;
    /* The interval is read before the points; a merge in between would
     * only happen from this thread's own tick, which is not running.  The
     * last point is the moment of this snapshot. */
    ms_timeline_read(tl_point, &t, ms_now_ns());
    tl_flush(&t);
}

static void nv(struct ms_dw *w, const char *name, uint64_t v)
{
    ms_dw_str(w, name);
    ms_dw_u64(w, v);
}

static void write_totals(struct ms_dw *w, const struct ms_totals *t)
{
    uint64_t overflow, frame_bytes;
    ms_stack_table_stats(&overflow, &frame_bytes);
    ms_dw_rec_begin(w, MS_REC_TOTALS);
    ms_dw_u32(w, 16);
    nv(w, MS_TOTAL_ALLOCATIONS, t->allocs);
    nv(w, MS_TOTAL_FREES, t->frees);
    nv(w, MS_TOTAL_BYTES_ALLOCATED, t->bytes_alloc);
    nv(w, MS_TOTAL_BYTES_FREED, t->bytes_freed);
    nv(w, MS_TOTAL_INUSE_BLOCKS, t->live_blocks);
    nv(w, MS_TOTAL_INUSE_BYTES, t->live_bytes);
    nv(w, MS_TOTAL_PEAK_BYTES, t->peak_bytes);
    nv(w, MS_TOTAL_PEAK_BLOCKS, t->peak_blocks);
    nv(w, MS_TOTAL_PEAK_TIME_NS, t->peak_time_ns);
    nv(w, MS_TOTAL_FAILED, t->failed);
    nv(w, MS_TOTAL_UNKNOWN_FREES, t->unknown_frees);
    nv(w, MS_TOTAL_TEMPORARY, t->temporary);
    nv(w, MS_TOTAL_STACKS, ms_stack_count() - 1); /* id 0 is the catch-all */
    nv(w, MS_TOTAL_SAMPLED, t->sampled);
    nv(w, MS_TOTAL_DROPPED, t->dropped);
    nv(w, "stacks_overflowed", overflow);
    ms_dw_rec_end(w);
}

static unsigned map_stats(struct ms_dw *w, const char *prefix, const struct ms_map_stats *s,
                          bool write)
{
    static const char *const names[] = {
        "count",           "B",
        "buckets",         "overflow_buckets",
        "bytes_buckets",   "bytes_old",
        "bytes_overflow",  "bytes_arena",
        "bytes_total",     "grows_doubling",
        "grows_same_size", "ops_while_growing",
        "ns_growing",      "longest_chain",
        "growing",
    };
    const uint64_t vals[] = {
        s->count,           s->B,
        s->buckets,         s->overflow_buckets,
        s->bytes_buckets,   s->bytes_old,
        s->bytes_overflow,  s->bytes_arena,
        s->bytes_total,     s->grows_doubling,
        s->grows_same_size, s->ops_while_growing,
        s->ns_growing,      s->longest_chain,
        s->growing,
    };
    unsigned n = sizeof vals / sizeof vals[0];
    if (write) {
        char name[64];
        for (unsigned i = 0; i < n; i++) {
            snprintf(name, sizeof name, "%s%s", prefix, names[i]);
            nv(w, name, vals[i]);
        }
        for (unsigned i = 0; i < MS_MAP_CHAIN_BINS; i++) {
            snprintf(name, sizeof name, "%schain_hist.%u", prefix, i);
            nv(w, name, s->chain_hist[i]);
        }
    }
    return n + MS_MAP_CHAIN_BINS;
}

static void write_engine(struct ms_dw *w)
{
    struct ms_map_stats live, big, idx;
    ms_smap_stats(ms_books_live_map(), &live);
    ms_smap_stats(ms_books_big_map(), &big);
    ms_smap_stats(ms_stack_index_map(), &idx);
    uint64_t overflow, frame_bytes, hits, misses, threads, rules, fallbacks, objects, lookups,
        lookup_ns;
    ms_stack_table_stats(&overflow, &frame_bytes);
    ms_stack_cache_counts(&hits, &misses, &threads);
    ms_unwind_dwarf_counts(&rules, &fallbacks);
    ms_cfi_counts(&objects, &lookups, &lookup_ns);
    uint64_t own = 0;
    for (int k = 0; k < MS_MEM_KINDS; k++)
        own += ms_mem_bytes((enum ms_mem_kind)k);
    uint64_t mapped = own + live.bytes_total + big.bytes_total + idx.bytes_total;
    /* What the books cost per live block: the live map's bytes (and the
     * big-block map's) over the blocks it holds, x100. */
    uint64_t per_block = live.count ? (live.bytes_total + big.bytes_total) * 100 / live.count : 0;

    unsigned n = map_stats(w, "", &live, false) * 3 + MS_MEM_KINDS + 13;
    ms_dw_rec_begin(w, MS_REC_ENGINE);
    ms_dw_u32(w, n);
    map_stats(w, "map.", &live, true);
    map_stats(w, "bigmap.", &big, true);
    map_stats(w, "stackindex.", &idx, true);
    char name[64];
    for (int k = 0; k < MS_MEM_KINDS; k++) {
        snprintf(name, sizeof name, "shim.bytes_%s", ms_mem_kind_name((enum ms_mem_kind)k));
        nv(w, name, ms_mem_bytes((enum ms_mem_kind)k));
    }
    nv(w, "shim.bytes_mapped", mapped);
    nv(w, "shim.bytes_per_live_block_x100", per_block);
    nv(w, "stacks.count", ms_stack_count());
    nv(w, "stacks.bytes_frames", frame_bytes);
    nv(w, "stacks.overflowed", overflow);
    nv(w, "stack_cache.hits", hits);
    nv(w, "stack_cache.misses", misses);
    nv(w, "stack_cache.threads", threads);
    nv(w, "unwind.rules", rules);
    nv(w, "unwind.fallbacks", fallbacks);
    nv(w, "unwind.objects", objects);
    nv(w, "unwind.lookups", lookups);
    nv(w, "unwind.lookup_ns", lookup_ns);
    ms_dw_rec_end(w);
}

static void dump_path(char *buf, size_t cap, unsigned reason, uint32_t s)
{
    if (reason == MS_DUMP_AT_EXIT)
        snprintf(buf, cap, "%s.%d", ms_cfg.output, (int)getpid());
    else
        snprintf(buf, cap, "%s.%d.%u", ms_cfg.output, (int)getpid(), s);
}

int ms_snapshot(unsigned reason)
{
    int saved_errno = errno;
    ms_guard_enter();
    ms_books_flush();
    pthread_mutex_lock(&snap_lock);
    uint32_t s = reason == MS_DUMP_AT_EXIT ? 0 : ++seq;
    char path[PATH_MAX + 64];
    dump_path(path, sizeof path, reason, s);

    /* A file-size limit raises SIGXFSZ, which would kill the program for
     * the profiler's sake: keep it blocked while writing, and discard one
     * that we caused. */
    sigset_t xfsz, old, pending;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &old);

    int err = 0;
    struct ms_dw *w = ms_dw_open(path);
    if (!w) {
        err = errno;
    } else {
        struct ms_totals t, now;
        write_process(w, reason, s);
        write_settings(w);
        ms_modules_write(w);
        ms_books_totals(&t);
        write_stacks(w, &t);
        ms_linger_write(w, ms_now_ns());
        ms_reach_write(w, reason);
        write_timeline(w);
        /* The latest counts, after the walk; the peak (and in full mode
         * the in-use figures) as the stacks say. */
        ms_books_totals(&now);
        now.peak_bytes = t.peak_bytes, now.peak_blocks = t.peak_blocks;
        now.peak_time_ns = t.peak_time_ns;
        if (!ms_count_shift)
            now.live_bytes = t.live_bytes, now.live_blocks = t.live_blocks;
        write_totals(w, &now);
        ms_inherit_write(w);
        write_engine(w);
        err = ms_dw_close(w);
    }

    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGXFSZ) && !sigismember(&old, SIGXFSZ)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&xfsz, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        ms_complain_once(MS_ONCE_WRITE,
                         "mapscope: cannot write %s: %s (profiling goes on; later dumps are "
                         "tried again, and this message is not repeated)\n",
                         path,
                         err == EBADF ? "the program put a descriptor of its own on the number "
                                        "the dump was using (dup2 or close while it was written)"
                                      : strerror(err));
    pthread_mutex_unlock(&snap_lock);
    ms_complain_flush(); /* on a program thread: what the helper could not say */
    ms_guard_leave();
    errno = saved_errno;
    return err ? -1 : 0;
}
