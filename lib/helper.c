/*
 * helper.c — periodic work: timeline points and birth clamping from the
 * allocation path, and the shim's thread for what needs a clock of its own
 * (interval snapshots, the trigger file, the snapshot signal).
 *
 * No thread in a single-threaded program unless asked for: a second thread
 * in the process turns glibc's malloc from its single-threaded fast path
 * (no locked instructions) to its locking one, which alone cost ~20% on an
 * allocation-heavy program.  So there, timeline points and the clamping of
 * birth ticks are done by whichever recorded allocation comes first after
 * they are due (ms_maintain: one comparison per recorded allocation; in
 * sampled mode only sampled allocations are recorded, and between them the
 * estimates do not change); a program that does not allocate has no heap
 * changes to record.  The thread is started for MAPSCOPE_INTERVAL,
 * MAPSCOPE_TRIGGER or MAPSCOPE_SIGNAL, and when the program starts a
 * thread of its own (its pthread_create, interpose.c): glibc's malloc has
 * left its fast path then anyway, and the helper spares every allocation
 * its clock read by keeping the current birth tick (books.c,
 * ms_books_publish_tick).  While it runs, it does the periodic work.
 *
 * Dumps are never written from a signal handler (the books' locks and
 * write(2) loops are not async-signal-safe, and the signal may interrupt
 * the very malloc that holds a lock).  The handler only counts the request
 * in a word of memory and wakes this thread with a futex; the thread waits
 * on that word with a timeout that is the nearest of: the next timeline
 * point, the next interval snapshot, the next look at the trigger file
 * (once a second, trigger.c), the next clamp of birth ticks.  No
 * descriptor is involved: a pipe would be two descriptors the program can
 * see, pass to its children, close, and get back for its own sockets.
 * The thread blocks every signal, so the program's signals go to the
 * program's threads, and it is marked busy for its whole life, so what it
 * allocates (thread start-up, stat) is never counted.
 *
 * After fork only the forking thread exists in the child: the child's
 * handler (lifecycle.c) calls ms_helper_after_fork_child, which starts a
 * new one if it was asked for; otherwise the child, single-threaded, reads
 * the clock again until it starts a thread of its own.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "books.h"
#include "complain.h"
#include "dump_format.h"
#include "guard.h"
#include "helper.h"
#include "lifecycle.h"
#include "own_fd.h"
#include "shim_base.h"
#include "shim_config.h"
#include "shim_mem.h"
#include "snapshot.h"
#include "timeline.h"
#include "trigger.h"

#define TRIGGER_PERIOD_NS 1000000000ull

uint64_t ms_timeline_interval(void);

/* Snapshot signals received (the futex word) and the count served. */
static _Atomic uint32_t signals_got;
static uint32_t signals_served;
static _Atomic int started; /* the helper runs (or is being started) in this process */
static bool asked;          /* for MAPSCOPE_INTERVAL, _TRIGGER or _SIGNAL */

/* The real pthread_create: the helper's own start must not come back
 * through the exported one. */
static int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* Periodic work due (coarse monotonic ns); one thread at a time does it. */
_Atomic uint64_t ms_maintain_due;
static _Atomic int maintaining;
static uint64_t last_tl, last_clamp;
/* The last timeline point repeated the one before (timeline.c): nothing
 * happens, so the next look waits QUIET_NS, not one interval.  Only the
 * helper ever sees that (an allocation that does the work has just
 * changed the figures): an idle service's helper wakes a few times a
 * second, not a hundred. */
static bool tl_quiet;
#define QUIET_NS 1000000000ull

/* How long after the last timeline point the next look is due. */
static uint64_t tl_wait(uint64_t tl_iv)
{
    return tl_quiet && tl_iv < QUIET_NS ? QUIET_NS : tl_iv;
}

void ms_maintain(uint64_t now)
{
    if (atomic_exchange_explicit(&maintaining, 1, memory_order_acquire))
        return;
    int saved = errno; /* the timeline may map memory; the program's errno stays */
    ms_complain_flush();
    uint64_t tl_iv = ms_timeline_interval();
    uint64_t clamp_period = ms_birth_tick_ns() << 13;
    if (!last_tl)
        last_tl = last_clamp = ms_start_mono_ns;
    if (tl_iv && now >= last_tl + tl_wait(tl_iv)) {
        tl_quiet = !ms_timeline_tick(now);
        last_tl += tl_iv * ((now - last_tl) / tl_iv);
    }
    if (now >= last_clamp + clamp_period) {
        ms_books_clamp_births();
        last_clamp = now;
    }
    uint64_t due = last_clamp + clamp_period;
    uint64_t tl_due = last_tl + tl_wait(tl_iv);
    if (tl_iv && tl_due < due)
        due = tl_due;
    atomic_store_explicit(&ms_maintain_due, due, memory_order_relaxed);
    atomic_store_explicit(&maintaining, 0, memory_order_release);
    errno = saved;
}

/* Only a memory increment and a futex wake: both async-signal-safe. */
static void on_signal(int sig)
{
    int e = errno;
    (void)sig;
    atomic_fetch_add_explicit(&signals_got, 1, memory_order_release);
    syscall(SYS_futex, &signals_got, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    errno = e;
}

/* Sleep until a snapshot signal arrives after `seen` was read, or ms
 * milliseconds pass. */
static void wait_signal(uint32_t seen, uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    syscall(SYS_futex, &signals_got, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

int ms_signal_install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        ms_complain_once(MS_ONCE_SIGNAL, "mapscope: cannot take signal %d for snapshots: %s\n", sig,
                         strerror(errno));
        return -1;
    }
    return 0;
}

static uint64_t next_at(uint64_t last, uint64_t period, uint64_t now)
{
    if (!period)
        return UINT64_MAX;
    uint64_t t = last + period;
    return t > now ? t : now;
}

_Atomic int ms_helper_tid;

static void *helper_main(void *arg)
{
    (void)arg;
    ms_self.busy = 1; /* for good: nothing this thread does is the program's */
    atomic_store(&ms_helper_tid, (int)syscall(SYS_gettid));
    /* Snapshots are written here: in a descriptor table of our own, no
     * number the program counts on is taken, even for a moment, and no
     * fork of the program copies a dump's descriptor (own_fd.c). */
    ms_fd_make_private();
    /* Named, so that an operator who counts a service's threads (top -H,
     * ps -L) sees whose the one more is. */
    prctl(PR_SET_NAME, "mapscope", 0, 0, 0);
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    struct timespec res;
    uint64_t coarse_res = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0
                              ? (uint64_t)res.tv_sec * 1000000000u + (uint64_t)res.tv_nsec
                              : 4000000u;
    uint64_t now = ms_coarse_ns();
    uint64_t last_iv = now, last_trig = now;
    for (;;) {
        now = ms_coarse_ns();
        uint64_t due = atomic_load_explicit(&ms_maintain_due, memory_order_relaxed);
        uint64_t d = ms_books_publish_tick(now); /* when the next tick starts */
        if (d < due)
            due = d;
        if ((d = next_at(last_iv, ms_cfg.interval_ns, now)) < due)
            due = d;
        if (ms_cfg.trigger[0] && (d = next_at(last_trig, TRIGGER_PERIOD_NS, now)) < due)
            due = d;
        /* The wait is on the precise clock: past due by the coarse
         * clock's resolution, it wakes when the coarse clock says due
         * (once, not again a millisecond later for the same work). */
        uint64_t wait_ms = due > now ? (due - now + coarse_res + 999999) / 1000000 : 0;
        if (wait_ms > 3600000)
            wait_ms = 3600000;
        uint32_t got = atomic_load_explicit(&signals_got, memory_order_acquire);
        if (got == signals_served && wait_ms)
            wait_signal(got, wait_ms);
        now = ms_coarse_ns();
        ms_books_publish_tick(now); /* before the work below, which may take long */
        got = atomic_load_explicit(&signals_got, memory_order_acquire);
        if (got != signals_served) {
            signals_served = got; /* signals while one dump is written make one more */
            ms_snapshot(MS_DUMP_SIGNAL);
        }
        if (now >= atomic_load_explicit(&ms_maintain_due, memory_order_relaxed))
            ms_maintain(now);
        if (ms_cfg.interval_ns && now >= last_iv + ms_cfg.interval_ns) {
            ms_snapshot(MS_DUMP_INTERVAL);
            last_iv = now;
        }
        if (ms_cfg.trigger[0] && now >= last_trig + TRIGGER_PERIOD_NS) {
            if (ms_trigger_requested())
                ms_snapshot(MS_DUMP_TRIGGER);
            last_trig = now;
        }
    }
    return NULL;
}

static bool resolve_create(void)
{
    if (!real_create)
        *(void **)&real_create = dlsym(RTLD_NEXT, "pthread_create");
    return real_create != NULL;
}

/* The helper's stack is the shim's own memory (shim_mem.c), as the rest
 * of its memory is: the reachability scan (reach.c) reads every other
 * writable mapping as a root, and a stack that walked the books and the
 * nurseries holds the addresses of the program's blocks, which would keep
 * leaked ones "reachable".  The lowest page is a guard.  Kept for the
 * process's life: the helper never ends, and a fork child, where the
 * parent's helper does not exist, starts its own on the same memory. */
#define HELPER_STACK (256 * 1024)
#define GUARD        4096
static void *helper_stack;

static bool stack_ready(void)
{
    if (!helper_stack) {
        void *m = ms_mem_map(HELPER_STACK + GUARD, MS_MEM_DUMP);
        if (!m)
            return false;
        mprotect(m, GUARD, PROT_NONE);
        helper_stack = (char *)m + GUARD;
    }
    return true;
}

/* loud: say so when the thread cannot start (it was asked for; a helper
 * that only keeps the tick is missed by nobody: allocations read the
 * clock instead). */
static int start_thread(bool loud)
{
    if (!resolve_create())
        return -1;
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (!stack_ready() || pthread_attr_setstack(&a, helper_stack, HELPER_STACK) != 0) {
        pthread_attr_destroy(&a);
        if (loud)
            ms_complain_once(MS_ONCE_HELPER,
                             "mapscope: no memory for the helper thread's stack: no timeline, "
                             "interval, trigger or signal snapshots; the exit dump is still "
                             "written\n");
        return -1;
    }
    /* The new thread must not inherit a signal the program relies on
     * being deliverable to it: block everything around the creation. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = real_create(&t, &a, helper_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        if (loud)
            ms_complain_once(MS_ONCE_HELPER,
                             "mapscope: cannot start the helper thread (%s): no timeline, "
                             "interval, trigger or signal snapshots; the exit dump is still "
                             "written\n",
                             strerror(rc));
        return -1;
    }
    return 0;
}

static int start_once(bool loud)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&started, &expect, 1))
        return 0;
    return start_thread(loud);
}

int ms_helper_start(void)
{
    asked = true;
    return start_once(true);
}

/* Once per process, tried once: a failure (a thread limit, a sandbox) is
 * not retried at every thread the program starts. */
int ms_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (MS_UNLIKELY(!atomic_load_explicit(&started, memory_order_relaxed)) &&
        atomic_load_explicit(&ms_state, memory_order_acquire) == MS_STATE_LIVE) {
        int saved = errno;
        ms_guard_enter(); /* what the start allocates is not the program's */
        start_once(false);
        ms_guard_leave();
        errno = saved;
    }
    if (MS_UNLIKELY(!resolve_create()))
        return EAGAIN;
    return real_create(t, attr, fn, arg);
}

void ms_helper_after_fork_child(void)
{
    atomic_store(&maintaining, 0); /* in case another thread was at it */
    /* A signal the parent had not served yet is the parent's. */
    signals_served = atomic_load(&signals_got);
    ms_books_stop_ticking(); /* the parent's helper is not here to keep it */
    atomic_store(&ms_helper_tid, 0);
    atomic_store(&started, 0);
    if (asked)
        start_once(true);
}
