/*
 * shim.h — the internal interfaces between the files of libmapscope.so.
 *
 * The shim is a handful of small files with one job each (see lib/shim.am):
 *
 *   interpose.c    the exported functions (the only public symbols): sampled
 *                  mode's fast path, a jump to the hooks for everything else
 *   hooks.c        the recording allocation functions
 *   bootstrap.c    finding the real allocator; the static buffer dlsym needs
 *   lifecycle.c    start-up, warm-up, exit dump, fork handlers
 *   config.c       MAPSCOPE_* environment variables
 *   exec_env.c     keeps exec'd children unprofiled unless asked
 *   stacks.c       one call stack per allocation -> stack id
 *   unwind_fp.c    frame-pointer walk        unwind_lu.c  libunwind, loaded RTLD_LOCAL
 *   unwind_lu_fds.c  libunwind without descriptors (its imports redirected by imports.c)
 *   cfi.c          .eh_frame rules for the cached DWARF walk (unwind_dwarf.c)
 *   stack_cache.c  per-thread cache of validated walks; the per-thread block
 *   nursery.c      each thread's youngest live blocks, before the map
 *   stack_table.c  deduplicated stacks and their counters
 *   books.c        live blocks (the map engine), totals, peak
 *   inherit.c      a fork child's inherited blocks, kept apart from its own
 *   sampler.c      Poisson sampling by bytes and the unsampled-free filter
 *   timeline.c     heap over time, bounded
 *   linger.c       blocks alive past the threshold, by stack
 *   modules.c      loaded objects for offline symbolization
 *   dump_write.c   record encoder and safe file output
 *   snapshot.c     one dump, record by record
 *   dump_peak.c    the peak a dump reports, stack by stack
 *   helper.c       the helper thread: interval, trigger, signal, timeline
 *   privdrop.c     the setuid family, seen coming (exported)
 *   output.c       where dumps go after a privilege drop
 *   run_notes.c    notes for `mapscope run`: processes started, complaints
 *   trigger.c      snapshot requests through a file, served once per process
 *   shim_mem.c     the shim's own mmap-backed memory, accounted
 *
 * Everything here has hidden visibility (the library is built with
 * -fvisibility=hidden); only interpose.c exports symbols.
 */
#ifndef MS_SHIM_H
#define MS_SHIM_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#if defined(__has_include) && __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define MS_HAVE_SINGLE_THREADED 1
#endif

#include "dump_format.h"

/* Everything declared here is the library's own: referenced directly, not
 * through the GOT (the exported functions are marked one by one). */
#pragma GCC visibility push(hidden)

#define MS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define MS_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------ config.c -- */

/* enum ms_unwind, MS_DEPTH_* and the parsers: the option grammar, shared
 * with `mapscope run`. */
#include "option_grammar.h"

struct ms_config {
    char output[PATH_MAX]; /* dump path prefix, absolute after ms_config_resolve */
    uint64_t interval_ns;  /* periodic snapshots; 0 = none */
    uint64_t sample_bytes; /* mean bytes between samples; 0 = every allocation */
    unsigned depth;        /* frames recorded, 1..MS_DEPTH_MAX */
    enum ms_unwind unwind;
    uint64_t linger_ns;     /* age from which a live block lingers; 0 = off */
    bool follow_children;   /* keep LD_PRELOAD for exec'd children */
    int signal;             /* snapshot signal; 0 = none */
    char trigger[PATH_MAX]; /* snapshot when this file appears; "" = none */
    uint64_t timeline_ns;   /* timeline resolution; 0 = no timeline */
    uint32_t max_stacks;    /* bound of the stack table */
    enum ms_reach_when reach;
};

/* Reads one environment variable (getenv in the shim; a table in tests). */
typedef const char *(*ms_getenv_fn)(const char *name);
/* Receives one complete line (with '\n') describing a rejected value. */
typedef void (*ms_complain_fn)(const char *line);

void ms_config_defaults(struct ms_config *c);
/* Fill c from the environment; each bad value is reported through complain
 * and replaced by its default.  Returns the number of bad values. */
int ms_config_load(struct ms_config *c, ms_getenv_fn get, ms_complain_fn complain);
/* Make output and trigger absolute against cwd (a program may chdir later). */
void ms_config_resolve(struct ms_config *c, const char *cwd);

extern struct ms_config ms_cfg;

/* ---------------------------------------------------------- shim_mem.c -- */

/* The shim's own memory: mmap'd, counted, never from malloc. */
enum ms_mem_kind {
    MS_MEM_STACKS,  /* stack table: frames and counters */
    MS_MEM_CACHE,   /* per-thread stack caches, unwind rules */
    MS_MEM_SAMPLER, /* unsampled-free filter */
    MS_MEM_TIMELINE,
    MS_MEM_DUMP, /* dump buffers and scratch */
    MS_MEM_KINDS
};
void *ms_mem_map(size_t bytes, enum ms_mem_kind kind);
void ms_mem_unmap(void *p, size_t bytes, enum ms_mem_kind kind);
uint64_t ms_mem_bytes(enum ms_mem_kind kind);
const char *ms_mem_kind_name(enum ms_mem_kind kind);

/* ------------------------------------------------------------- clock ---- */

/* Monotonic nanoseconds through the vDSO (no syscall). */
static inline uint64_t ms_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Coarse clock (resolution a few ms, a few ns to read): block birth times. */
static inline uint64_t ms_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ----------------------------------------------------- threads -------- */

/* True while the process has one thread (glibc's __libc_single_threaded:
 * false before pthread_create starts the second thread, and never true
 * again but in a fork child).  Then nobody can contend for a lock of the
 * shim's, and a plain store takes it, as glibc's own locks do. */
static inline bool ms_one_thread(void)
{
#ifdef MS_HAVE_SINGLE_THREADED
    return __libc_single_threaded;
#else
    return false;
#endif
}

/* -------------------------------------------------------- bootstrap.c -- */

struct ms_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
};
extern struct ms_real ms_real;

/* Resolve ms_real (idempotent; safe to call recursively from dlsym). */
void ms_real_resolve(void);
/* The static buffer used before the real allocator is known. */
#define MS_BOOT_SIZE (64u * 1024u)
extern unsigned char ms_boot_buf[MS_BOOT_SIZE];
void *ms_bootstrap_alloc(size_t size, size_t align);
static inline bool ms_bootstrap_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)ms_boot_buf < MS_BOOT_SIZE;
}
size_t ms_bootstrap_size(const void *p);

/* ------------------------------------------------------------ hooks.c -- */

/* What the exported functions (interpose.c) jump to when they do not
 * finish a call themselves: the recording versions. */
void *ms_hook_malloc(size_t size);
void ms_hook_free(void *p);
void *ms_hook_calloc(size_t n, size_t size);
void *ms_hook_realloc(void *p, size_t size);
void *ms_hook_reallocarray(void *p, size_t n, size_t size);
int ms_hook_posix_memalign(void **out, size_t align, size_t size);
void *ms_hook_aligned_alloc(size_t align, size_t size);
void *ms_hook_memalign(size_t align, size_t size);
void *ms_hook_valloc(size_t size);
void *ms_hook_pvalloc(size_t size);

/* -------------------------------------------------------- lifecycle.c -- */

enum ms_state {
    MS_STATE_OFF = 0,  /* not started */
    MS_STATE_STARTING, /* ms_start running */
    MS_STATE_LIVE,     /* recording */
    MS_STATE_DISABLED, /* start-up failed: pass everything through */
};
extern _Atomic int ms_state;
extern uint64_t ms_start_unix_ns, ms_start_mono_ns;

/* getenv that never calls the program's own getenv. */
const char *ms_env_get(const char *name);

/* Start recording (idempotent).  Called from the first hook and from the
 * library constructor. */
void ms_start(void);
/* _exit/_Exit: write the exit dump when it is safe (lifecycle.c), then
 * leave. */
__attribute__((noreturn)) void ms_exit_now(int status);
/* Is the caller the process the books belong to (false in a child of
 * vfork or of a raw clone, which shares its parent's memory)? */
bool ms_own_books(void);
/* Complain on stderr once per key (a small integer naming the problem). */
void ms_complain_once(int key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum {
    MS_ONCE_WRITE = 0,
    MS_ONCE_OOM,
    MS_ONCE_STACKS_FULL,
    MS_ONCE_HELPER,
    MS_ONCE_UNWIND,
    MS_ONCE_SIGNAL,
    MS_ONCE_PRIVDROP,
    MS_ONCE_TRIGGER,
    MS_ONCE_KEYS
};

/* ----------------------------------------------------------- stacks.c -- */

/* Where the program called us: the return address into the caller and the
 * caller's stack pointer and frame pointer at the call.  Taken in the
 * exported function (built with frame pointers), so the shim's own frames are
 * never part of a stack. */
struct ms_frame0 {
    uintptr_t ip, sp, bp;
};

#define MS_CALLER_FRAME()                                                                          \
    ((struct ms_frame0){(uintptr_t)__builtin_return_address(0),                                    \
                        (uintptr_t)__builtin_frame_address(0) + 16,                                \
                        *(uintptr_t *)__builtin_frame_address(0)})

/* Stack id of the call described by f (0 when the stack table is full). */
uint32_t ms_stack_id(const struct ms_frame0 *f);
/* Capture frames without deduplicating (tests, warm-up). */
unsigned ms_stack_capture(const struct ms_frame0 *f, uintptr_t *out, unsigned max);
uint64_t ms_stack_hash(const uintptr_t *frames, unsigned n);
void ms_stacks_warm_up(void);

unsigned ms_unwind_fp(const struct ms_frame0 *f, uintptr_t *out, unsigned max);
int ms_unwind_lu_load(void);
unsigned ms_unwind_lu(const struct ms_frame0 *f, uintptr_t *out, unsigned max);

/* Make libunwind (its dlopen handle) hold no descriptor: unwind_lu_fds.c.
 * Returns the number of import slots redirected. */
unsigned ms_unwind_lu_no_fds(void *handle);

/* ----------------------------------------------------------- imports.c -- */

/* One import of a privately loaded library, and what it should call. */
struct ms_import {
    const char *name;
    void *fn;
};
/* Point handle's imports named in subs at their replacements; returns the
 * number of slots rewritten. */
unsigned ms_imports_redirect(void *handle, const struct ms_import *subs, unsigned nsubs);

/* A live block's value in the map engine, packed into 8 bytes so a bucket
 * of the engine costs 8 + 8x8 + 8x8 + 8 = 144 bytes for 8 blocks (see
 * books.c for why every byte counts). */
#define MS_SIZE_BITS  28
#define MS_STACK_BITS 20
#define MS_BIRTH_BITS 16
#define MS_SIZE_BIG   ((1u << MS_SIZE_BITS) - 1) /* real size in the big-block map */
#define MS_STACK_MAX  ((1u << MS_STACK_BITS) - 1)

/* ------------------------------------------------------ stack_table.c -- */

/* Per-stack counters.  Counts are in units of (1 << ms_count_shift): 1 in
 * full mode; sampled mode keeps 8 fractional bits of the scaled estimates.
 * Bytes are bytes.
 *
 * A stack's counters are mostly updated by one thread (the one that first
 * met it), so each counter exists twice: `own`, updated by that thread with
 * a plain add (no locked instruction), and `shared`, updated by every other
 * thread atomically.  A reader adds the two; no update is ever lost. */
enum {
    MS_SC_ALLOCS,
    MS_SC_BYTES,
    MS_SC_FREES,
    MS_SC_BYTES_FREED,
    MS_SC_FAILED,
    MS_SC_TEMPORARY,
    MS_SC_N
};

struct ms_stack_counters {
    _Atomic uint64_t own[MS_SC_N];
    /* Lazy snapshot at the global peak: valid when snap_epoch equals the
     * peak epoch of the dump, otherwise the current live figures are the
     * peak figures (nothing changed since). */
    _Atomic uint64_t snap_epoch, snap_blocks, snap_bytes;
    _Atomic uint64_t shared[MS_SC_N];
};

/* One stack.  The fields every event touches (owner, the owner's counters,
 * the peak epoch) share the first cache line of a 64-byte-aligned entry, so
 * an event costs one line of the stack table. */
struct ms_stack_entry {
    uint32_t owner; /* ms_thread_id() of the thread that updates `own` */
    uint32_t nframes;
    struct ms_stack_counters c;
    const uintptr_t *frames;
} __attribute__((aligned(64)));

static inline uint64_t ms_sc_get(const struct ms_stack_counters *c, int i)
{
    return atomic_load_explicit(&c->own[i], memory_order_relaxed) +
           atomic_load_explicit(&c->shared[i], memory_order_relaxed);
}

/* A small number naming the calling thread (never 0, never reused). */
uint32_t ms_thread_id(void);

int ms_stack_table_init(uint32_t max_stacks);
/* Find or add a stack; returns its id (>= 1), or 0 (the catch-all entry
 * with no frames) when the table is full or out of memory. */
uint32_t ms_stack_intern(const uintptr_t *frames, unsigned n, uint64_t hash);
/* id -> entry: two loads, no lock (entries never move). */
#define MS_STACK_CHUNK_SHIFT 12
extern struct ms_stack_entry *_Atomic ms_stack_chunks[(MS_STACK_MAX + 1) >> MS_STACK_CHUNK_SHIFT];
static inline struct ms_stack_entry *ms_stack_entry(uint32_t id)
{
    struct ms_stack_entry *c =
        atomic_load_explicit(&ms_stack_chunks[id >> MS_STACK_CHUNK_SHIFT], memory_order_acquire);
    return c ? &c[id & ((1u << MS_STACK_CHUNK_SHIFT) - 1)] : NULL;
}
uint32_t ms_stack_count(void); /* ids in use are 0 .. count-1 */
void ms_stack_table_stats(uint64_t *dropped, uint64_t *bytes_frames);
void ms_stack_table_lock_all(void);
void ms_stack_table_unlock_all(void);
void ms_stack_table_reinit_locks(void);

/* ------------------------------------------------------------ books.c -- */

int ms_books_init(void);
void ms_on_alloc(void *p, size_t size, const struct ms_frame0 *f);
void ms_on_failed(const struct ms_frame0 *f);
/* Remove p's record; returns false for pointers the shim never saw.  *out
 * receives the packed value when found. */
bool ms_books_take(void *p, uint64_t *out);
void ms_books_restore(void *p, uint64_t packed);
void ms_books_account_free(void *p, uint64_t packed);
void ms_on_free(void *p);
/* Finish a free whose bookkeeping was deferred (books.c): before reading
 * the books from elsewhere (a dump, another thread). */
void ms_books_flush(void);

/* A thread's share of the process-wide figures (counts in units of
 * 1 << ms_count_shift).  Only the owning thread writes them (plain load +
 * store, no locked instruction); dumps read them with relaxed loads.  The
 * live deltas are the part of the thread's live figures not yet added to
 * the shared ones used for peak detection (see books.c). */
enum {
    MS_TC_ALLOCS,
    MS_TC_FREES,
    MS_TC_BYTES_ALLOC,
    MS_TC_BYTES_FREED,
    MS_TC_FAILED,
    MS_TC_UNKNOWN_FREES,
    MS_TC_TEMPORARY,
    MS_TC_SAMPLED,
    MS_TC_DROPPED,
    MS_TC_N
};

struct ms_tcount {
    _Atomic uint64_t v[MS_TC_N];
    int64_t live_bytes_delta, live_blocks_delta;
};
/* The calling thread's block and share: ms_stack_cache_get and
 * ms_tcount_self (guard.h). */
/* Add every live thread's share into sum (registry order; under its lock). */
void ms_tcount_sum(struct ms_tcount *sum);
void ms_tcount_add(struct ms_tcount *sum, const struct ms_tcount *c);
/* A thread ends: its share joins the retired threads' figures. */
void ms_tcount_retire(struct ms_tcount *c);

struct ms_totals {
    uint64_t allocs, frees, bytes_alloc, bytes_freed, live_blocks, live_bytes;
    uint64_t peak_bytes, peak_blocks, peak_time_ns, peak_epoch, failed, unknown_frees;
    uint64_t temporary, sampled, dropped;
};
void ms_books_totals(struct ms_totals *t);
/* The helper's timeline point saw these exact figures. */
void ms_books_note_level(const struct ms_totals *t);
/* After a dump: a new peak has to pass what it reported (dump_peak.c). */
void ms_books_raise_peak(uint64_t bytes, uint64_t blocks);

/* -------------------------------------------------------- dump_peak.c -- */

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
extern unsigned ms_count_shift;
struct ms_smap;
struct ms_smap *ms_books_live_map(void);
struct ms_smap *ms_books_big_map(void);
uint64_t ms_books_size_of(void *p, uint64_t packed);
uint64_t ms_birth_tick_ns(void);
uint32_t ms_books_now_tick(void);
uint32_t ms_books_tick_of(uint64_t coarse_ns);
void ms_books_clamp_births(void);
void ms_books_lock_all(void);
void ms_books_unlock_all(void);
void ms_books_reinit_locks(void);

/* Fork child (inherit.c): swap the books for empty ones; the old maps and
 * the figures they held are handed over.  Returns -1 when out of memory. */
int ms_books_hand_over(struct ms_smap **old_live, struct ms_smap **old_big,
                       struct ms_totals *before);
/* A sampled event's weight (fixed point) and scaled bytes; units() of a
 * count.  In full mode 1, size and v. */
uint64_t ms_books_weight(uint64_t size, uint64_t *bytes);
uint64_t ms_books_units(uint64_t v);

/* ---------------------------------------------------------- inherit.c -- */

/* Blocks a fork child inherited: levels of handed-over books (0 outside
 * fork children, so the free path tests one word). */
extern unsigned ms_inherit_levels;
void ms_inherit_after_fork_child(void);
/* p is a block inherited from a parent: count its free and forget it. */
bool ms_inherit_free(void *p);
struct ms_dw;
/* A TOTALS record of the inherited_* figures (fork children only). */
void ms_inherit_write(struct ms_dw *w);
/* fork handlers (through ms_books_lock_all and co.). */
void ms_inherit_lock_all(void);
void ms_inherit_unlock_all(void);
void ms_inherit_reinit_locks(void);

static inline uint64_t ms_pack(uint64_t size, uint32_t stack, uint32_t birth)
{
    return (size < MS_SIZE_BIG ? size : MS_SIZE_BIG) | ((uint64_t)stack << MS_SIZE_BITS) |
           ((uint64_t)birth << (MS_SIZE_BITS + MS_STACK_BITS));
}
static inline uint32_t ms_packed_stack(uint64_t v)
{
    return (uint32_t)(v >> MS_SIZE_BITS) & MS_STACK_MAX;
}
static inline uint32_t ms_packed_birth(uint64_t v)
{
    return (uint32_t)(v >> (MS_SIZE_BITS + MS_STACK_BITS));
}
static inline uint64_t ms_packed_size(uint64_t v)
{
    return v & MS_SIZE_BIG;
}

/* ---------------------------------------------------------- sampler.c -- */

/* Mean interval R in bytes; 0 = every allocation. */
void ms_sampler_init(uint64_t mean_bytes);
/* Should an allocation of size bytes be recorded?  Per-thread countdown. */
bool ms_sampler_take(size_t size);
/* Weight of a sample of size bytes in fixed point (<< ms_count_shift):
 * 1 / (1 - exp(-size/R)), the inverse of the probability that a Poisson
 * process of mean interval R hits a block of that size. */
uint64_t ms_sample_weight_fp(uint64_t size);
/* Unsampled-free filter: a counting filter of sampled live addresses,
 * read through one bit per counter (sampler.c). */
#define MS_FILTER_BITS 16
int ms_filter_init(void);
void ms_filter_add(const void *p);
void ms_filter_remove(const void *p);
void ms_filter_lock(void); /* fork */
void ms_filter_unlock(void);
extern _Atomic uint64_t *ms_filter_words;
static inline size_t ms_filter_index(const void *p)
{
    return (size_t)(((uintptr_t)p * 0x9e3779b97f4a7c15ull) >> (64 - MS_FILTER_BITS));
}
/* False: p was certainly not sampled. */
static inline bool ms_filter_maybe(const void *p)
{
    size_t i = ms_filter_index(p);
    return (atomic_load_explicit(&ms_filter_words[i >> 6], memory_order_relaxed) >> (i & 63)) & 1;
}
/* Pure sampler pieces for tests: next interval from a uniform u in (0,1]. */
uint64_t ms_sample_interval(uint64_t mean, double u);
uint64_t ms_rng_next(uint64_t *state);

/* --------------------------------------------------------- timeline.c -- */

struct ms_timeline_point {
    uint64_t t_ns, live_bytes, live_blocks, allocs, bytes;
};
int ms_timeline_init(uint64_t interval_ns);
void ms_timeline_tick(uint64_t now_mono_ns);
/* Visit points in order, then (now != 0) a point taken at now that is not
 * kept; returns the current interval. */
uint64_t ms_timeline_read(void (*fn)(const struct ms_timeline_point *, void *), void *ctx,
                          uint64_t now);
/* Merge adjacent pairs of n points into the first n/2 (pure; for tests). */
void ms_timeline_halve(struct ms_timeline_point *p, unsigned n);

/* ----------------------------------------------------------- helper.c -- */

int ms_helper_start(void);
/* Periodic work (timeline point, birth clamping) when now (coarse
 * monotonic ns) has reached ms_maintain_due. */
extern _Atomic uint64_t ms_maintain_due;
void ms_maintain(uint64_t now);
static inline void ms_maybe_maintain(uint64_t now)
{
    if (MS_UNLIKELY(now >= atomic_load_explicit(&ms_maintain_due, memory_order_relaxed)))
        ms_maintain(now);
}
void ms_helper_after_fork_child(void);
int ms_signal_install(int sig);

/* ---------------------------------------------------------- trigger.c -- */

/* Remember the process's start as the last request served. */
void ms_trigger_init(void);
/* Does the trigger file carry a request this process has not served?  If
 * so it counts as served from now on. */
bool ms_trigger_requested(void);

/* -------------------------------------------------------- run_notes.c -- */

/* Notes for `mapscope run` (run_notes.h): read MAPSCOPE_NOTES; are they on;
 * "this process started"; a complaint (one line). */
void ms_notes_init(void);
bool ms_notes_on(void);
void ms_note_start(void);
void ms_note_error(const char *line, size_t len);

/* ---------------------------------------------------------- output.c -- */

/* Where this process's dumps go: the configured prefix, or, when the
 * process cannot create files in its directory (it dropped privileges),
 * the per-user directory prepared for it (output.c).  At start-up. */
void ms_output_init(void);
/* The process is about to take the effective uid `uid`: while still
 * privileged, prepare a directory it can write its dumps in. */
void ms_output_prepare_uid(uid_t uid);
/* The effective uid changed: write to the place prepared for it. */
void ms_output_after_uid_change(void);

/* --------------------------------------------------------- privdrop.c -- */

/* Find the real setuid family (from the constructor: not safe later in a
 * forked child). */
void ms_privdrop_resolve(void);

/* ---------------------------------------------------------- exec_env.c -- */

/* Remove this library from LD_PRELOAD so exec'd children run unprofiled. */
void ms_exec_env_unfollow(void);
/* Remove entries naming `self` from an LD_PRELOAD value (space or colon
 * separated) into out; exposed for tests. */
void ms_preload_without(const char *value, const char *self, char *out, size_t outsz);

/* --------------------------------------------------------- snapshot.c -- */

/* Write one dump.  reason: enum ms_dump_reason.  Returns 0 on success. */
int ms_snapshot(unsigned reason);
void ms_snapshot_lock(void);
void ms_snapshot_unlock(void);
void ms_snapshot_reinit_after_fork(void);

/* ------------------------------------------------------ dump_write.c -- */

struct ms_dw; /* a dump being written */
struct ms_dw *ms_dw_open(const char *final_path);
void ms_dw_rec_begin(struct ms_dw *w, unsigned type);
void ms_dw_u16(struct ms_dw *w, uint16_t v);
void ms_dw_u32(struct ms_dw *w, uint32_t v);
void ms_dw_u64(struct ms_dw *w, uint64_t v);
void ms_dw_bytes(struct ms_dw *w, const void *p, size_t n);
void ms_dw_str(struct ms_dw *w, const char *s);
void ms_dw_strn(struct ms_dw *w, const void *s, size_t n);
void ms_dw_rec_end(struct ms_dw *w);
/* Room left in the current record, so callers can split long tables. */
size_t ms_dw_room(const struct ms_dw *w);
/* Write END, flush, rename into place.  Returns 0, or an errno value (the
 * first error met; the temporary file is removed). */
int ms_dw_close(struct ms_dw *w);

/* ---------------------------------------------------------- modules.c -- */

void ms_modules_write(struct ms_dw *w);
/* The GNU build-id of a loaded object, from its PT_NOTE segment in memory
 * (*id = NULL when it has none). */
struct dl_phdr_info;
void ms_build_id(const struct dl_phdr_info *info, const unsigned char **id, size_t *len);
/* Lowest and highest runtime address of its PT_LOAD segments (hi = 0: none). */
void ms_object_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);

/* ------------------------------------------------------------ reach.c -- */

/* Sort the live blocks into valgrind's leak kinds and write them (records
 * LEAK_KINDS and REACH), when MAPSCOPE_REACH asks for it at this dump. */
void ms_reach_write(struct ms_dw *w, unsigned reason);
/* Where the program's part of this thread's stack begins, and its
 * callee-saved registers, at the entry of a dump on a program thread (the
 * exit dump): the shim's own frames below hold stale copies of block
 * addresses (its walks of the books) and are not scanned.  Called first
 * thing by MS_REACH_ENTRY in the entry function. */
extern uintptr_t ms_reach_entry_regs[8];
void ms_reach_entry(uintptr_t cfa, uintptr_t saved_fp);
#if defined(__x86_64__)
#define MS_REACH_ENTRY()                                                                           \
    do {                                                                                           \
        __asm__ volatile("mov %%rbx, 0(%%rdi)\n\tmov %%r12, 8(%%rdi)\n\tmov %%r13, 16(%%rdi)\n\t"  \
                         "mov %%r14, 24(%%rdi)\n\tmov %%r15, 32(%%rdi)"                            \
                         :                                                                         \
                         : "D"(ms_reach_entry_regs)                                                \
                         : "memory");                                                              \
        ms_reach_entry((uintptr_t)__builtin_frame_address(0) + 16,                                 \
                       *(uintptr_t *)__builtin_frame_address(0));                                  \
    } while (0)
#else
#define MS_REACH_ENTRY() ((void)0) /* the scan reads this thread's stack from the dump's frame */
#endif

/* ----------------------------------------------------------- linger.c -- */

#define MS_LINGER_BINS 8
void ms_linger_write(struct ms_dw *w, uint64_t now_mono_ns);

#pragma GCC visibility pop

#endif /* MS_SHIM_H */
