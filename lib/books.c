/*
 * books.c — the live blocks and the figures derived from them.
 *
 * Every live block the shim records is one entry in the map engine:
 * address -> 8 bytes packing the requested size (28 bits), the stack id (20
 * bits) and the birth time (16 bits of coarse ticks).  Why so tight: the
 * engine stores 8 keys and 8 values per 144-byte bucket (tophash, keys,
 * values, overflow pointer) at a load between 3.25 and 6.5 of 8 over a
 * doubling cycle, i.e. 144 * ln 2 / 3.25 = 30.7 bytes per live block on
 * average.  A 16-byte value (size, stack, birth unpacked) makes that 44
 * bytes; the budget is 40.
 *   - Sizes of 2^28 - 1 bytes and more (rare, and big enough that another
 *     16 bytes do not matter) keep their size in a second, small map.
 *   - Stack ids are bounded by the stack table (2^20 - 1).
 *   - Birth is counted in ticks of linger/16 (at least 1 ms) modulo 2^16.
 *     The helper thread clamps births older than 2^15 ticks every 2^13
 *     ticks, so an age never wraps: it saturates at 2^15 ticks (34 hours at
 *     the default 60 s threshold), and the dump says ages are lower bounds.
 *
 * Counters: in full mode each event counts 1.  In sampled mode each sample
 * stands for 1/p events (p = its probability, see sampler.c); counts keep 8
 * fractional bits (ms_count_shift) so the scaled estimates stay unbiased,
 * and bytes are scaled and rounded to whole bytes.  A free of a sampled
 * block subtracts exactly what its allocation added (the weight is a
 * function of the size), so live figures never drift.
 *
 * The map hashes addresses with MS_MAP_ADDRESS_KEYS (hash.h says why): a
 * 64 KiB region's blocks share a run of buckets, so neighbours allocated or
 * freed together cost one miss, not one each.
 *
 * Where a live block is kept: in full mode, first in its thread's nursery
 * (nursery.c: the youngest blocks, most of which die there without ever
 * touching the map), then in the map.  In sampled mode, directly in the
 * map (it holds few blocks).
 *
 * Peak: the global peak of live bytes is tracked exactly; the per-stack
 * figures at that moment are kept lazily (heaptrack's peak view without its
 * offline pass).  Each new peak bumps an epoch; before a stack's counters
 * change, a stack whose snapshot is from an older epoch copies its current
 * live figures, which are exactly its figures at the newest peak since
 * nothing changed them after it.  Cost: one load and compare per event.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "books.h"
#include "complain.h"
#include "guard.h"
#include "helper.h"
#include "inherit.h"
#include "lifecycle.h"
#include "map.h"
#include "nursery.h"
#include "packed.h"
#include "sampler.h"
#include "shim_base.h"
#include "shim_config.h"
#include "stack_table.h"
#include "stacks.h"

unsigned ms_count_shift;

/* 8 shards: enough that a handful of allocating threads rarely meet on one
 * lock (each holds it for one map operation), few enough that the shards'
 * fixed costs (each engine's arena keeps the small bucket arrays it grew
 * out of as overflow buckets) stay small next to the buckets: with 64
 * shards they were ~13 bytes per live block at a million blocks, with 8
 * about 2. */
#define LIVE_SHARD_BITS 3

static ms_smap *live;
static ms_smap *big;
static uint64_t tick_ns;

/* Process-wide figures.  Threads count in their own ms_tcount (no locked
 * instruction per event); `dead` holds retired threads' figures and those of
 * threads without a share.  Peak detection needs the process-wide live
 * bytes at each allocation: a thread's candidate is the shared `live_bytes`
 * plus its own unpublished delta, and it adds that delta to the shared
 * figure (two locked adds) only when it passes PUBLISH bytes either way.  A
 * new peak is written with plain stores, so the allocation path has no
 * locked instruction even while the heap grows (when every allocation is a
 * new peak).  Single-threaded, the peak and the per-stack figures at it are
 * exact.  With several threads, each sees the others' deltas up to PUBLISH
 * bytes late, and two threads writing a peak at once race (the last store
 * wins): the peak may be low by up to PUBLISH bytes per other thread.  The
 * epoch and peak are read on every event and written at a new peak: they
 * sit in the hot line below. */
#define PUBLISH (256 * 1024)

/* What every event reads sits in one cache line (`hot`): the mode, the
 * tick conversion, the waiting-free count (below), the shared live bytes
 * and the peak with its epoch.  Spread over six lines of .data and .bss
 * before, each could miss once redis-server's own work had pushed it out
 * (on redis-server, 5-8% of ms_on_alloc's or account_free's samples sat on
 * the loads of `sampled`, `pending.n`, `ms_start_mono_ns` and the peak
 * epoch).  The line is written at a new peak and a publish, which every
 * thread has to see anyway. */
static struct {
    struct {
        _Atomic uint64_t peak_bytes, peak_epoch;
        _Atomic int64_t live_bytes;
        uint64_t tick_inv;          /* 2^64 / tick_ns: ticks by multiplication, not division */
        uint64_t start_mono;        /* ms_start_mono_ns, set before the books start */
        _Atomic unsigned pending_n; /* frees waiting (see pending; set by the owner) */
        _Atomic uint64_t ticker;    /* TICKING | the birth tick, while the helper keeps it */
        bool sampled;
    } hot __attribute__((aligned(64)));
    _Atomic int64_t live_blocks;
    _Atomic uint64_t peak_blocks, peak_time;
    struct ms_tcount dead __attribute__((aligned(64)));
} g __attribute__((aligned(64)));

_Static_assert(sizeof g.hot <= 64, "what every event reads fits one cache line");

#define RELAXED memory_order_relaxed

/* Owner-only update of a per-thread counter: a plain add, visible to
 * concurrent readers as a whole value. */
static inline void tc_add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, RELAXED) + v, RELAXED);
}

void ms_tcount_add(struct ms_tcount *sum, const struct ms_tcount *c)
{
    for (int i = 0; i < MS_TC_N; i++)
        tc_add(&sum->v[i], atomic_load_explicit(&c->v[i], RELAXED));
}

static inline void publish(struct ms_tcount *tc)
{
    atomic_fetch_add_explicit(&g.hot.live_bytes, tc->live_bytes_delta, RELAXED);
    atomic_fetch_add_explicit(&g.live_blocks, tc->live_blocks_delta, RELAXED);
    tc->live_bytes_delta = tc->live_blocks_delta = 0;
}

void ms_tcount_retire(struct ms_tcount *c)
{
    publish(c);
    for (int i = 0; i < MS_TC_N; i++)
        atomic_fetch_add_explicit(&g.dead.v[i], atomic_load_explicit(&c->v[i], RELAXED), RELAXED);
}

/* The calling thread's counters, or the shared ones (atomically). */
static inline void count(_Atomic uint64_t *mine, _Atomic uint64_t *shared, uint64_t v)
{
    if (MS_LIKELY(mine != NULL))
        tc_add(mine, v);
    else
        atomic_fetch_add_explicit(shared, v, RELAXED);
}

#define COUNT(tc, i, x) count((tc) ? &(tc)->v[i] : NULL, &g.dead.v[i], (x))

/* A free's map delete, deferred.  A block that left the nursery lives in
 * the map, and its free costs a cache miss there (a big map is tens of MB,
 * so a TLB miss too).  So the free starts loading the bucket and leaves its
 * address in a small ring; the delete and the accounting happen PENDING
 * frees later, when the ring needs the slot, or earlier when something
 * reads the books.  One deferred free hid the miss only when the program
 * worked long enough before its next event; python3's teardown frees a
 * million map-resident blocks back to back, so each delete still waited
 * for its bucket (ms_map_delete_h took most of the shim's samples in that
 * phase, ~0.3 s of the run).  With a ring of several, the loads of several
 * frees overlap: with 4, python3's CPU time under the shim went from 2.23x
 * to 2.02x of native (medians of 5 runs; 8 and 16 were no better).
 *
 * Only while the process has one thread: then nobody else can put an
 * address back into the map in between, and no other thread reads figures
 * that lack the waiting frees.  What must see the books whole flushes the
 * ring first: an allocation that gets an address still waiting (glibc
 * hands a freed address back at once, so the check is the common case, a
 * few compares in one cache line), an allocation that would set a new
 * peak (waiting frees only lower the live figures, so any other
 * allocation's peak check is unaffected and the peak stays exact), the
 * periodic work (timeline points read the totals), a dump
 * (ms_books_flush), fork, and a new thread's first allocation (the
 * process has two threads from then on).  Each slot is taken by an atomic
 * exchange, so a dump flushing from another thread and the owner never
 * both process one free. */
#define PENDING 4 /* a power of two */

static struct {
    _Atomic uintptr_t p[PENDING]; /* 0 = none */
    bool temporary[PENDING];      /* nothing was allocated between its allocation and free */
    unsigned head;                /* the owner's next slot (the oldest waiting free) */
} pending;                        /* and g.hot.pending_n: slots in use (0: nothing to check) */

static void account_free_out(void *p, uint64_t packed, bool temporary);

/* Do the waiting free in slot i, if another thread did not already. */
static void flush_slot(unsigned i)
{
    uintptr_t a = atomic_exchange_explicit(&pending.p[i], 0, memory_order_acquire);
    if (!a)
        return; /* another thread flushed it */
    uint64_t packed;
    void *p = (void *)a;
    /* The free happened before whatever the thread did since: the latest
     * allocation may still be a temporary (account_free would forget it). */
    uintptr_t last = ms_self.last_alloc;
    if (ms_smap_take(live, &p, &packed))
        account_free_out(p, packed, pending.temporary[i]);
    else if (MS_UNLIKELY(ms_inherit_levels) && ms_inherit_free(p))
        ; /* a fork child freed a block of its parent's (inherit.c) */
    else
        COUNT(ms_tcount_self(), MS_TC_UNKNOWN_FREES, 1);
    ms_self.last_alloc = last;
}

/* Every waiting free, oldest first. */
static void __attribute__((noinline)) flush_pending(void)
{
    for (unsigned k = 0; k < PENDING; k++)
        flush_slot((pending.head + k) & (PENDING - 1));
    atomic_store_explicit(&g.hot.pending_n, 0, RELAXED);
}

static inline bool any_pending(void)
{
    return MS_UNLIKELY(atomic_load_explicit(&g.hot.pending_n, RELAXED) != 0);
}

static inline void flush(void)
{
    if (any_pending())
        flush_pending();
}

/* Address p is about to enter the books (an allocation) or leave them (a
 * realloc): a free of p still waiting must be done first.  With threads,
 * everything waiting is done (the process just got its second thread). */
static inline void flush_for(uintptr_t p)
{
    if (any_pending()) {
        bool hit = !ms_one_thread();
        for (unsigned i = 0; i < PENDING; i++)
            hit |= atomic_load_explicit(&pending.p[i], RELAXED) == p;
        if (hit)
            flush_pending();
    }
}

/* Leave p's delete for later; the oldest waiting free is done now if its
 * slot is needed. */
static inline void defer_free(void *p, bool temporary)
{
    unsigned i = pending.head;
    if (atomic_load_explicit(&pending.p[i], RELAXED))
        flush_slot(i);
    else
        atomic_store_explicit(&g.hot.pending_n, atomic_load_explicit(&g.hot.pending_n, RELAXED) + 1,
                              RELAXED);
    pending.temporary[i] = temporary;
    atomic_store_explicit(&pending.p[i], (uintptr_t)p, memory_order_release);
    pending.head = (i + 1) & (PENDING - 1);
}

void ms_books_flush(void)
{
    int saved = errno;
    flush();
    errno = saved;
}

struct ms_smap *ms_books_live_map(void)
{
    return live;
}

struct ms_smap *ms_books_big_map(void)
{
    return big;
}

uint64_t ms_birth_tick_ns(void)
{
    return tick_ns;
}

/* Ticks since the start at coarse time ns, by multiplication (the
 * allocation path's formula, and so everyone's: a birth and a dump's "now"
 * must come from the same one, or an age could wrap). */
static inline uint64_t ticks_at(uint64_t coarse_ns)
{
    uint64_t ns = coarse_ns - g.hot.start_mono;
    return (uint64_t)(((unsigned __int128)ns * g.hot.tick_inv) >> 64);
}

uint32_t ms_books_tick_of(uint64_t coarse_ns)
{
    return (uint32_t)ticks_at(coarse_ns) & 0xffffu;
}

uint32_t ms_books_now_tick(void)
{
    return ms_books_tick_of(ms_coarse_ns());
}

/* Birth ticks without a clock.  Reading the coarse clock (through the
 * vDSO) on every allocation cost redis-server ~4% of its CPU time under
 * redis-benchmark (allocating tests, 7 rounds: 1.287x of native with it,
 * 1.243x with none), a sixth of the shim's cost there, for a value that
 * changes once a tick (linger/16, at least 1 ms; 3.75 s by default).  So
 * while the helper thread runs (helper.c: in every process with threads
 * of its own), it keeps the current tick in the hot line, and an
 * allocation only loads it; the helper also does the periodic work then.
 * Without the helper (a single-threaded program) an allocation reads the
 * clock and does the periodic work when due, as before.  A birth read from
 * the ticker lags by the helper's wake-up delay past the tick's start
 * (well under a millisecond on an idle core), as one read from the coarse
 * clock lags by the clock's resolution. */
#define TICKING (1ull << 32)

uint64_t ms_books_publish_tick(uint64_t now)
{
    uint64_t t = ticks_at(now);
    atomic_store_explicit(&g.hot.ticker, TICKING | (t & 0xffffu), RELAXED);
    /* The multiplication may count one tick short exactly at a tick's
     * start; the next start is then one more tick away, never now. */
    uint64_t next = g.hot.start_mono + (t + 1) * tick_ns;
    return next > now ? next : next + tick_ns;
}

void ms_books_stop_ticking(void)
{
    atomic_store_explicit(&g.hot.ticker, 0, RELAXED);
}

int ms_books_init(void)
{
    g.hot.sampled = ms_cfg.sample_bytes != 0;
    g.hot.start_mono = ms_start_mono_ns;
    ms_count_shift = g.hot.sampled ? 8 : 0;
    tick_ns = ms_cfg.linger_ns ? ms_cfg.linger_ns / 16 : 1000000000ull;
    if (tick_ns < 1000000)
        tick_ns = 1000000;
    g.hot.tick_inv = (uint64_t)(((unsigned __int128)1 << 64) / tick_ns);
    live =
        ms_smap_create(sizeof(void *), sizeof(uint64_t), LIVE_SHARD_BITS, 0, MS_MAP_ADDRESS_KEYS);
    big = ms_smap_create(sizeof(void *), sizeof(uint64_t), 0, 0,
                         MS_MAP_ADDRESS_KEYS); /* blocks >= 256 MiB: few */
    return live && big ? 0 : -1;
}

/* Weight of one event: 1 in full mode, the sample's fixed-point weight in
 * sampled mode; *bytes receives the scaled size. */
static inline uint64_t weight(bool sampled, uint64_t size, uint64_t *bytes)
{
    if (!sampled) {
        *bytes = size;
        return 1;
    }
    uint64_t w = ms_sample_weight_fp(size);
    unsigned __int128 b = (unsigned __int128)size * w + (1u << (ms_count_shift - 1));
    *bytes = (uint64_t)(b >> ms_count_shift);
    return w;
}

/* A new peak of live bytes (plain stores: see the top of this file); now
 * is 0 when the caller did not read the clock (see ms_books_publish_tick). */
static inline void new_peak(int64_t bytes, int64_t blocks, uint64_t now)
{
    if (!now)
        now = ms_coarse_ns();
    atomic_store_explicit(&g.hot.peak_bytes, (uint64_t)bytes, RELAXED);
    atomic_store_explicit(&g.peak_blocks, blocks > 0 ? (uint64_t)blocks : 0, RELAXED);
    atomic_store_explicit(&g.peak_time, now - ms_start_mono_ns, RELAXED);
    atomic_store_explicit(&g.hot.peak_epoch, atomic_load_explicit(&g.hot.peak_epoch, RELAXED) + 1,
                          memory_order_release);
}

/* Live figures change by (bytes, blocks) at coarse time now: check for a
 * peak, publish when the thread's delta is large. */
/* Inlined into both callers: GCC kept it out of line, a call and its
 * register saves on every allocation and free. */
static inline __attribute__((always_inline)) void live_change(struct ms_tcount *tc, int64_t bytes,
                                                              int64_t blocks, uint64_t now)
{
    if (MS_UNLIKELY(!tc)) {
        if (bytes > 0)
            flush(); /* a peak is checked against the whole books */
        int64_t lb = atomic_fetch_add_explicit(&g.hot.live_bytes, bytes, RELAXED) + bytes;
        int64_t lk = atomic_fetch_add_explicit(&g.live_blocks, blocks, RELAXED) + blocks;
        if (bytes > 0 && lb > (int64_t)atomic_load_explicit(&g.hot.peak_bytes, RELAXED))
            new_peak(lb, lk, now);
        return;
    }
    tc->live_bytes_delta += bytes;
    tc->live_blocks_delta += blocks;
    if (bytes > 0) {
        int64_t cand = atomic_load_explicit(&g.hot.live_bytes, RELAXED) + tc->live_bytes_delta;
        if (MS_UNLIKELY(cand > (int64_t)atomic_load_explicit(&g.hot.peak_bytes, RELAXED)) &&
            any_pending()) {
            /* Waiting frees lower the live figures: is it still a peak? */
            flush_pending();
            cand = atomic_load_explicit(&g.hot.live_bytes, RELAXED) + tc->live_bytes_delta;
        }
        if (MS_UNLIKELY(cand > (int64_t)atomic_load_explicit(&g.hot.peak_bytes, RELAXED)))
            new_peak(cand, atomic_load_explicit(&g.live_blocks, RELAXED) + tc->live_blocks_delta,
                     now);
    }
    if (MS_UNLIKELY(tc->live_bytes_delta > PUBLISH || tc->live_bytes_delta < -PUBLISH))
        publish(tc);
}

/* Add v to a stack counter: plain for the stack's owner thread. */
static inline void sc_add(struct ms_stack_entry *e, int i, uint64_t v)
{
    if (MS_LIKELY(e->owner == ms_self.tid))
        tc_add(&e->c.own[i], v);
    else
        atomic_fetch_add_explicit(&e->c.shared[i], v, RELAXED);
}

/* Two counters of an event (its count and its bytes) with one owner test. */
static inline void sc_add2(struct ms_stack_entry *e, int i, uint64_t v, int j, uint64_t u)
{
    if (MS_LIKELY(e->owner == ms_self.tid)) {
        tc_add(&e->c.own[i], v);
        tc_add(&e->c.own[j], u);
    } else {
        atomic_fetch_add_explicit(&e->c.shared[i], v, RELAXED);
        atomic_fetch_add_explicit(&e->c.shared[j], u, RELAXED);
    }
}

/* Before changing a stack's live figures: keep its figures at the latest
 * peak if it has not done so since that peak. */
static inline void keep_peak_figures(struct ms_stack_counters *c)
{
    uint64_t ep = atomic_load_explicit(&g.hot.peak_epoch, memory_order_acquire);
    if (MS_LIKELY(atomic_load_explicit(&c->snap_epoch, RELAXED) == ep))
        return;
    uint64_t blocks = ms_sc_get(c, MS_SC_ALLOCS) - ms_sc_get(c, MS_SC_FREES);
    uint64_t bytes = ms_sc_get(c, MS_SC_BYTES) - ms_sc_get(c, MS_SC_BYTES_FREED);
    atomic_store_explicit(&c->snap_blocks, blocks, RELAXED);
    atomic_store_explicit(&c->snap_bytes, bytes, RELAXED);
    atomic_store_explicit(&c->snap_epoch, ep, RELAXED);
}

/* errno: the program must never see the shim change it.  Nothing on the
 * common paths can (no system call; the map engine's mmap leaves it alone
 * when it succeeds), but the rare ones can (a stack walk that reads unwind
 * tables, an mmap that fails, a complaint written to stderr): so it is
 * saved and restored around every recorded event, through a pointer to
 * the thread's errno kept in its block (no call to __errno_location). */
static inline int *errno_of_thread(struct ms_stack_cache *tb)
{
    return MS_LIKELY(tb != NULL) ? ms_self.errno_p : &errno;
}

void ms_on_failed(const struct ms_frame0 *f)
{
    int saved = errno;
    uint32_t sid = ms_stack_id(f);
    struct ms_stack_entry *e = ms_stack_entry(sid);
    uint64_t one = 1ull << ms_count_shift;
    /* Counted apart: allocs are successful allocations only (as valgrind
     * counts them), so a failure is never a live block or a leak. */
    sc_add(e, MS_SC_FAILED, one);
    struct ms_tcount *tc = ms_tcount_self();
    COUNT(tc, MS_TC_FAILED, one);
    errno = saved;
}

/* The bodies of an allocation's and a free's accounting are written once
 * and specialized by the callers: `sampled` is a constant and `tb` is
 * known to be NULL or not in each copy, so the mode's and the thread
 * block's tests fold away (in full mode with a thread block, the common
 * case, a free had tested the mode three times and the block five: ~40 of
 * the ~150 instructions of the free's accounting). */
static inline __attribute__((always_inline)) void
on_alloc(void *p, size_t size, const struct ms_frame0 *f, bool sampled, struct ms_stack_cache *tb)
{
    ms_self.last_alloc = (uintptr_t)p;
    ms_self.last_left = ms_self.sample_left;
    struct ms_tcount *tc = tb ? ms_self.tc : NULL;
    int *ep = errno_of_thread(tb), saved = *ep;
    if (sampled)
        COUNT(tc, MS_TC_SAMPLED, 1);
    uint64_t bytes, w = weight(sampled, size, &bytes);
    /* The nursery's put below may move an older block to the map: its
     * bucket loads while the stack is walked. */
    struct ms_nslot *ns = NULL;
    if (tb && !sampled) {
        ns = ms_nursery_slot(ms_self.nursery, p);
        ms_nursery_prefetch_evictee(ns);
    }
    uint32_t sid = ms_stack_id(f);
    /* The stack's counters are updated last: their line (one of thousands
     * of entries, out of the caches by then on redis-server) loads while
     * the clock is read and the block is put in the nursery. */
    struct ms_stack_entry *e = ms_stack_entry(sid);
    __builtin_prefetch(e, 1);
    uint64_t tk = atomic_load_explicit(&g.hot.ticker, RELAXED), now = 0;
    uint32_t birth;
    if (MS_LIKELY(tk != 0)) {
        birth = (uint32_t)tk & 0xffffu;
    } else {
        now = ms_coarse_ns();
        birth = ms_books_tick_of(now);
    }
    uint64_t v = ms_pack(size, sid, birth);
    flush_for((uintptr_t)p);
    if (MS_UNLIKELY(size >= MS_SIZE_BIG)) {
        uint64_t sz = size;
        if (!ms_smap_put(big, &p, &sz))
            goto oom;
    }
    if (MS_UNLIKELY(!(tb && !sampled ? ms_nursery_put(ms_self.nursery, ns, p, v)
                                     : ms_smap_put(live, &p, &v))))
        goto oom;
    if (sampled)
        ms_filter_add(p);
    keep_peak_figures(&e->c);
    sc_add2(e, MS_SC_ALLOCS, w, MS_SC_BYTES, bytes);
    COUNT(tc, MS_TC_ALLOCS, w);
    COUNT(tc, MS_TC_BYTES_ALLOC, bytes);
    live_change(tc, (int64_t)bytes, (int64_t)w, now);
    if (!tk && MS_UNLIKELY(now >= atomic_load_explicit(&ms_maintain_due, RELAXED))) {
        flush(); /* a timeline point reads the totals */
        ms_maintain(now);
    }
    *ep = saved;
    return;
oom:
    COUNT(tc, MS_TC_DROPPED, 1);
    ms_complain_once(MS_ONCE_OOM, "mapscope: out of memory for the books; some allocations are "
                                  "not recorded (the dump counts them as dropped)\n");
    *ep = saved;
}

void ms_on_alloc(void *p, size_t size, const struct ms_frame0 *f)
{
    if (g.hot.sampled) {
        if (MS_LIKELY(!ms_sampler_take(size)))
            return; /* nothing here touches errno */
        on_alloc(p, size, f, true, ms_stack_cache_get());
        return;
    }
    struct ms_stack_cache *tb = ms_stack_cache_get();
    if (MS_LIKELY(tb != NULL))
        on_alloc(p, size, f, false, tb);
    else
        on_alloc(p, size, f, false, NULL);
}

/* A block's size: the packed field, or for blocks of 2^28 - 1 bytes and
 * more the big-block map's entry (removed from it when take). */
static uint64_t block_size(void *p, uint64_t packed, bool take)
{
    uint64_t size = ms_packed_size(packed), sz;
    if (MS_UNLIKELY(size == MS_SIZE_BIG) &&
        (take ? ms_smap_take(big, &p, &sz) : ms_smap_get(big, &p, &sz)))
        size = sz;
    return size;
}

uint64_t ms_books_size_of(void *p, uint64_t packed)
{
    return block_size(p, packed, false);
}

/* Inlined into ms_on_free (a free in a process with threads comes here),
 * specialized like on_alloc. */
static inline __attribute__((always_inline)) bool books_take(void *p, uint64_t *out, bool sampled,
                                                             struct ms_stack_cache *tb)
{
    if (sampled) {
        if (MS_LIKELY(!ms_filter_maybe(p)) || !ms_smap_take(live, &p, out))
            return false;
        ms_filter_remove(p);
        return true;
    }
    flush_for((uintptr_t)p);
    /* Own nursery, map, other threads' nurseries, map again (nursery.c
     * explains the order). */
    struct ms_nursery *mine = tb ? ms_self.nursery : NULL;
    if (mine && ms_nursery_take_own(mine, p, out))
        return true;
    if (ms_smap_take(live, &p, out))
        return true;
    if (ms_nursery_steal(p, out, mine))
        return true;
    return ms_smap_take(live, &p, out);
}

bool ms_books_take(void *p, uint64_t *out)
{
    return books_take(p, out, g.hot.sampled, ms_stack_cache_get());
}

void ms_books_restore(void *p, uint64_t packed)
{
    if (ms_smap_put(live, &p, &packed) && g.hot.sampled)
        ms_filter_add(p);
}

/* Nothing was allocated or freed on this thread since p: a temporary
 * (heaptrack's definition, per thread). */
static inline bool is_temporary(void *p)
{
    if (ms_self.last_alloc == (uintptr_t)p && ms_self.last_left == ms_self.sample_left) {
        ms_self.last_alloc = 0;
        return true;
    }
    return false;
}

/* Inlined where a free is common (ms_on_free's paths); the rare callers
 * share one copy (account_free_out). */
static inline __attribute__((always_inline)) void
account_free(void *p, uint64_t packed, bool temporary, bool sampled, struct ms_tcount *tc)
{
    uint64_t bytes, w = weight(sampled, block_size(p, packed, true), &bytes);
    struct ms_stack_entry *e = ms_stack_entry(ms_packed_stack(packed));
    keep_peak_figures(&e->c);
    sc_add2(e, MS_SC_FREES, w, MS_SC_BYTES_FREED, bytes);
    if (temporary) {
        sc_add(e, MS_SC_TEMPORARY, w);
        COUNT(tc, MS_TC_TEMPORARY, w);
    }
    ms_self.last_alloc = 0; /* any free in between disqualifies (heaptrack) */
    COUNT(tc, MS_TC_FREES, w);
    COUNT(tc, MS_TC_BYTES_FREED, bytes);
    live_change(tc, -(int64_t)bytes, -(int64_t)w, 0);
}

static __attribute__((noinline)) void account_free_out(void *p, uint64_t packed, bool temporary)
{
    account_free(p, packed, temporary, g.hot.sampled, ms_tcount_self());
}

void ms_books_account_free(void *p, uint64_t packed)
{
    account_free_out(p, packed, is_temporary(p));
}

static inline __attribute__((always_inline)) void on_free(void *p, bool sampled,
                                                          struct ms_stack_cache *tb)
{
    struct ms_tcount *tc = tb ? ms_self.tc : NULL;
    int *ep = errno_of_thread(tb), saved = *ep;
    uint64_t packed;
    if (!sampled && tb && ms_one_thread()) {
        /* Young: in the nursery.  Otherwise in the map (or unknown): the
         * delete waits (see pending). */
        if (ms_nursery_take_own(ms_self.nursery, p, &packed)) {
            account_free(p, packed, is_temporary(p), false, tc);
        } else {
            ms_smap_prefetch(live, &p);
            defer_free(p, is_temporary(p));
        }
        ms_self.last_alloc = 0; /* a free in between, recorded or not (heaptrack) */
        *ep = saved;
        return;
    }
    if (books_take(p, &packed, sampled, tb))
        account_free(p, packed, is_temporary(p), sampled, tc);
    else if (MS_UNLIKELY(ms_inherit_levels) && ms_inherit_free(p))
        ; /* a fork child freed a block of its parent's (inherit.c) */
    else if (!sampled)
        COUNT(tc, MS_TC_UNKNOWN_FREES, 1);
    ms_self.last_alloc = 0; /* a free in between, recorded or not */
    *ep = saved;
}

void ms_on_free(void *p)
{
    if (g.hot.sampled) {
        if (MS_LIKELY(!ms_filter_maybe(p)))
            return; /* never sampled: no lookup, errno untouched */
        on_free(p, true, ms_stack_cache_get());
        return;
    }
    struct ms_stack_cache *tb = ms_stack_cache_get();
    if (MS_LIKELY(tb != NULL))
        on_free(p, false, tb);
    else
        on_free(p, false, NULL);
}

static uint64_t units(uint64_t v)
{
    return ms_count_shift ? (v + (1ull << (ms_count_shift - 1))) >> ms_count_shift : v;
}

void ms_books_totals(struct ms_totals *t)
{
    struct ms_tcount sum;
    memset(&sum, 0, sizeof sum);
    ms_tcount_add(&sum, &g.dead);
    ms_tcount_sum(&sum);
#define LD(f) atomic_load_explicit(&sum.v[MS_TC_##f], RELAXED)
    t->allocs = units(LD(ALLOCS));
    t->frees = units(LD(FREES));
    t->bytes_alloc = LD(BYTES_ALLOC);
    t->bytes_freed = LD(BYTES_FREED);
    t->live_blocks = units(LD(ALLOCS) - LD(FREES));
    t->live_bytes = LD(BYTES_ALLOC) - LD(BYTES_FREED);
    t->failed = units(LD(FAILED));
    t->unknown_frees = LD(UNKNOWN_FREES);
    t->temporary = units(LD(TEMPORARY));
    t->sampled = LD(SAMPLED);
    t->dropped = LD(DROPPED);
#undef LD
    t->peak_bytes = atomic_load_explicit(&g.hot.peak_bytes, RELAXED);
    t->peak_blocks = units(atomic_load_explicit(&g.peak_blocks, RELAXED));
    t->peak_time_ns = atomic_load_explicit(&g.peak_time, RELAXED);
    t->peak_epoch = atomic_load_explicit(&g.hot.peak_epoch, memory_order_acquire);
    /* A peak is never below the present. */
    if (t->live_bytes > t->peak_bytes) {
        t->peak_bytes = t->live_bytes;
        t->peak_blocks = t->live_blocks;
    }
}

/* A timeline point saw the exact live figures above the detected peak
 * (threads publish in steps): that level is a peak, with a new epoch, so
 * the chart never shows a point above the peak. */
void ms_books_note_level(const struct ms_totals *t)
{
    if (t->live_bytes > atomic_load_explicit(&g.hot.peak_bytes, RELAXED))
        new_peak((int64_t)t->live_bytes, (int64_t)(t->live_blocks << ms_count_shift),
                 ms_coarse_ns());
}

/* After a dump: what it reported as the peak (the sum of its stacks' peak
 * figures) is the level a later peak has to pass, so a later dump never
 * reports a lower one. */
void ms_books_raise_peak(uint64_t bytes, uint64_t blocks)
{
    if (bytes > atomic_load_explicit(&g.hot.peak_bytes, RELAXED)) {
        atomic_store_explicit(&g.hot.peak_bytes, bytes, RELAXED);
        atomic_store_explicit(&g.peak_blocks, blocks << ms_count_shift, RELAXED);
    }
}

/* Called by the helper thread every 2^13 ticks: saturate old births so
 * that ages never wrap (see the top of this file). */
static bool clamp_one(const void *key, void *val, void *ctx)
{
    uint32_t now = *(const uint32_t *)ctx;
    uint64_t v;
    __builtin_memcpy(&v, val, sizeof v);
    uint32_t age = (now - ms_packed_birth(v)) & 0xffffu;
    if (age > 0x8000u) {
        uint32_t birth = (now - 0x8000u) & 0xffffu;
        v = (v & ~(0xffffull << (MS_SIZE_BITS + MS_STACK_BITS))) |
            ((uint64_t)birth << (MS_SIZE_BITS + MS_STACK_BITS));
        __builtin_memcpy(val, &v, sizeof v);
    }
    (void)key;
    return true;
}

void ms_books_clamp_births(void)
{
    /* Blocks that stayed in a nursery this long move to the map first. */
    ms_nursery_drain_all(0x1000u);
    uint32_t now = ms_books_now_tick();
    ms_smap_foreach(live, clamp_one, &now);
}

void ms_books_lock_all(void)
{
    /* A free still waiting is the parent's: a fork child must not meet it
     * in its own books (it would count as a free of an inherited block). */
    flush();
    ms_smap_lock_all(live);
    ms_smap_lock_all(big);
    ms_inherit_lock_all();
}

void ms_books_unlock_all(void)
{
    ms_inherit_unlock_all();
    ms_smap_unlock_all(big);
    ms_smap_unlock_all(live);
}

void ms_books_reinit_locks(void)
{
    ms_smap_reinit_locks(live);
    ms_smap_reinit_locks(big);
    ms_inherit_reinit_locks();
}

/* Fork child: the books it inherited describe the parent's heap, which the
 * parent's own dumps report.  Hand the live maps over to inherit.c as they
 * are (no copy: the child touches none of their pages unless it frees an
 * inherited block, so copy-on-write copies nothing) and start empty ones;
 * every figure starts again from zero, so the child's allocations, in-use
 * figures, peak and leaks are its own.  Runs in the child's fork handler,
 * single-threaded; *before receives the figures handed over. */
int ms_books_hand_over(struct ms_smap **old_live, struct ms_smap **old_big,
                       struct ms_totals *before)
{
    ms_nursery_drain_all(0); /* young blocks join the map handed over */
    ms_books_totals(before);
    ms_smap *nl =
        ms_smap_create(sizeof(void *), sizeof(uint64_t), LIVE_SHARD_BITS, 0, MS_MAP_ADDRESS_KEYS);
    ms_smap *nb = ms_smap_create(sizeof(void *), sizeof(uint64_t), 0, 0, MS_MAP_ADDRESS_KEYS);
    if (!nl || !nb) {
        if (nl)
            ms_smap_destroy(nl);
        if (nb)
            ms_smap_destroy(nb);
        return -1; /* the child keeps the parent's books, as before */
    }
    *old_live = live, *old_big = big;
    live = nl, big = nb;
    atomic_store(&g.hot.live_bytes, 0);
    atomic_store(&g.live_blocks, 0);
    memset(&g.dead, 0, sizeof g.dead);
    atomic_store(&g.hot.peak_bytes, 0);
    atomic_store(&g.peak_blocks, 0);
    atomic_store(&g.peak_time, 0);
    if (ms_stack_cache_get())
        memset(ms_self.tc, 0, sizeof *ms_self.tc);
    ms_self.last_alloc = 0;
    uint32_t n = ms_stack_count();
    for (uint32_t id = 0; id < n; id++) {
        struct ms_stack_entry *e = ms_stack_entry(id);
        /* Only entries with figures are written: the others' pages stay
         * shared with the parent. */
        if (e && (ms_sc_get(&e->c, MS_SC_ALLOCS) || ms_sc_get(&e->c, MS_SC_FAILED) ||
                  atomic_load_explicit(&e->c.snap_epoch, RELAXED)))
            memset(&e->c, 0, sizeof e->c);
    }
    return 0;
}

uint64_t ms_books_weight(uint64_t size, uint64_t *bytes)
{
    return weight(g.hot.sampled, size, bytes);
}

uint64_t ms_books_units(uint64_t v)
{
    return units(v);
}
