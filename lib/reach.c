/*
 * reach.c — one reachability scan, at a dump: valgrind's leak kinds for
 * every live block, by stack (records LEAK_KINDS and REACH, dump_format.h).
 *
 * A running service cannot be stopped for a heap scan, so the scan runs in
 * a child process over a frozen copy of the memory:
 *   1. take the books' locks (every shard, every thread's nursery), so no
 *      thread is inside them and the copy is consistent;
 *   2. when there are other threads, start the stopper (reach_stop.c), a
 *      child that ptrace-stops them and takes their registers;
 *   3. fork the scanner: its memory and those registers are of one instant;
 *   4. let the stopper release the threads, release the locks: the
 *      program runs again;
 *   5. wait for the scanner's verdict (per-stack sums in shared memory),
 *      write the records.
 * The program's threads are held from 1 to 4: the time to stop them and to
 * fork (copying the page tables: about 1 ms per 5 GiB mapped, see
 * libmapscope(7)); the scan itself runs beside the program, which only pays
 * a copy of each page it writes while the scan runs.
 *
 * Both children are raw clone()s with no exit signal: no fork handlers run
 * (the stopped threads may hold glibc's locks, which glibc's fork would
 * take), the program gets no SIGCHLD and its waitpid(-1) cannot reap them
 * (only a wait with __WALL or __WCLONE sees such children).  They start
 * with every signal blocked and die with their parent (raw_fork), so the
 * program's signal handlers never run in them.  In the children only
 * system calls and the shim's own code run; nothing calls malloc.  The
 * scanner's own tables come from shim_mem.c, so they are among the shim's
 * own ranges, which are never roots.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "books.h"
#include "bootstrap.h"
#include "dump_format.h"
#include "dump_write.h"
#include "guard.h"
#include "helper.h"
#include "map.h"
#include "modules.h"
#include "nursery.h"
#include "option_grammar.h"
#include "own_fd.h"
#include "packed.h"
#include "pages.h"
#include "reach.h"
#include "reach_dump.h"
#include "shim_base.h"
#include "shim_config.h"
#include "shim_mem.h"
#include "stack_table.h"

void ms_stack_cache_lock(void);
void ms_stack_cache_unlock(void);

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif

struct verdict {
    uint64_t k[MS_KF_COUNT];
};

/* Shared between the parent and both children: this header, the stopped
 * threads, then one verdict per stack id. */
struct shared {
    _Atomic int32_t done; /* the scanner's verdict is complete */
    uint32_t failed;      /* enum ms_reach_failure */
    uint64_t blocks, unreadable, root_bytes, heap_bytes;
    struct ms_rstop stop;
    uint32_t nstacks;
    uint32_t threads; /* other threads when the scan began */
    struct verdict *v;
};

/* The shim's own image (its data holds the books' roots) and whether the
 * real allocator is glibc's (its chunk headers; see reach.h). */
static uintptr_t img_lo, img_hi;
static bool glibc;
static size_t tls_static_size; /* glibc's, for dead threads' stacks */

static int find_self(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    uintptr_t me = (uintptr_t)ctx, lo, hi;
    ms_object_range(info, &lo, &hi);
    if (me < lo || me >= hi)
        return 0;
    size_t page = ms_page_size();
    img_lo = lo & ~(page - 1);
    img_hi = (hi + page - 1) & ~(page - 1);
    return 1;
}

static void once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ms_reach_write);
    void *lm = dlsym(RTLD_NEXT, "__libc_malloc");
    glibc = lm && lm == (void *)ms_real.malloc;
    /* ld.so's (GLIBC_PRIVATE, as LeakSanitizer uses it). */
    void (*tls_info)(size_t *, size_t *);
    *(void **)&tls_info = dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    if (tls_info) {
        size_t align;
        tls_info(&tls_static_size, &align);
    }
}

static uintptr_t glibc_tail(const struct ms_rblock *b)
{
    uintptr_t sz = ((const uintptr_t *)b->addr)[-1];
    if (sz & 2) /* IS_MMAPPED: no chunk follows */
        return 0;
    return b->addr + (sz & ~(uintptr_t)7) - 2 * sizeof(uintptr_t);
}

/* The kernel's signal set (rt_sigprocmask's size argument). */
typedef uint64_t ksigset;
#define KSIG(s) ((ksigset)1 << ((s)-1))

/* A fork with no exit signal, no fork handlers and every signal blocked.
 *
 * The child is a copy of the program: it has the program's signal
 * handlers, and they must never run there.  The stopper, as the tracer,
 * gets a SIGCHLD for each thread it stops; with the program's SIGCHLD
 * handler (nginx: waitpid(-1, WNOHANG) in a loop) that handler ran in the
 * stopper, reaped the tracee's ptrace stop as "unknown process N exited on
 * signal 127" (a stop's status, 0x..7f) into the program's log, and left
 * the stopper waiting for a stop already taken.  A signal to the process
 * group (the terminal's SIGINT, a master's kill(0, ...)) reached both
 * children too, and ran the program's handler in a copy of the program.
 * So signals are blocked in the calling thread across the clone (blocking
 * them in the child would leave a moment in which one is delivered there)
 * and the child keeps them blocked; only SIGKILL and SIGSTOP remain, and
 * they have no handlers.  The scanner unblocks its own fault handlers.
 *
 * The child dies with the thread that made it (PR_SET_PDEATHSIG): a scan
 * must not outlive the program, nor be left to whoever reaps orphans.
 * Returns the child's pid in the parent, 0 in the child, -1 on failure. */
static pid_t raw_fork(void)
{
    ksigset all = ~(ksigset)0, old = 0;
    pid_t parent = getpid();
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    pid_t pid = (pid_t)syscall(SYS_clone, 0ul, 0ul, NULL, NULL, 0ul);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent) /* the program died before the line above */
            syscall(SYS_exit_group, 0);
        return 0;
    }
    int e = errno;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    errno = e;
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    while (syscall(SYS_wait4, pid, &st, __WALL, NULL) < 0 && errno == EINTR) {
    }
}

/* Wait for child pid until deadline (monotonic ns); past it, kill it (a
 * stuck scan must not hang the program's exit).  False when killed. */
static bool reap_by(pid_t pid, uint64_t deadline)
{
    int st;
    for (;;) {
        long r = syscall(SYS_wait4, pid, &st, __WALL | WNOHANG, NULL);
        if (r == pid || (r < 0 && errno != EINTR))
            return true;
        if (ms_now_ns() > deadline) {
            kill(pid, SIGKILL);
            reap(pid);
            return false;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* How long the stopper may take to stop the threads (a thread in an
 * uninterruptible sleep stops only when it wakes), and the scanner to scan
 * (about 1.5 GB/s here: 10 minutes is far beyond any heap we have seen). */
#define STOP_WAIT_MS 2000
#define SCAN_WAIT_NS (600ull * 1000000000ull)

/* Threads of this process other than the caller. */
static unsigned other_threads(void)
{
    struct ms_fd f;
    if (ms_fd_open(&f, "/proc/self/task", O_RDONLY | O_DIRECTORY, 0) != 0)
        return 0;
    int fd = f.fd;
    unsigned n = 0;
    int helper = atomic_load(&ms_helper_tid);
    char buf[4096] __attribute__((aligned(8)));
    long k;
    while ((k = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < k;) {
            const char *name = buf + off + 19; /* d_ino, d_off, d_reclen, d_type */
            off += *(unsigned short *)(buf + off + 16);
            n += name[0] >= '0' && name[0] <= '9' && atoi(name) != helper;
        }
    ms_fd_close(&f);
    return n ? n - 1 : 0;
}

/* The exit dump's thread: its stack from the program's last frame, and
 * the registers the program had when it called the shim. */
uintptr_t ms_reach_entry_regs[8];
static uintptr_t entry_cfa;
static int entry_tid;

void ms_reach_entry(uintptr_t cfa, uintptr_t saved_fp)
{
    ms_reach_entry_regs[7] = saved_fp;
    entry_cfa = cfa;
    entry_tid = (int)syscall(SYS_gettid);
}

/* ------------------------------------------------------ the scanner -- */

static sigjmp_buf fault_jb;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
    (void)sig;
    if (fault_armed)
        siglongjmp(fault_jb, 1);
    syscall(SYS_exit_group, 3); /* unguarded: the parent reports a crash */
}

bool ms_reach_guarded_range(struct ms_rscan *s, uintptr_t lo, uintptr_t hi,
                            const uintptr_t (*ex)[2], size_t nex, ms_reach_range_fn fn)
{
    if (sigsetjmp(fault_jb, 1)) {
        fault_armed = 0;
        return true;
    }
    fault_armed = 1;
    fn(s, lo, hi, ex, nex);
    fault_armed = 0;
    return false;
}

/* The thread pointer, and its index in the stopped threads' registers. */
#if defined(__x86_64__)
#define TP_INDEX 21 /* struct user_regs_struct: ..., rsp, ss, fs_base */
static uintptr_t thread_pointer(void)
{
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}
#else
#define TP_INDEX MS_RREGS
static uintptr_t thread_pointer(void)
{
    return 0;
}
#endif

struct gather {
    struct ms_rblock *b;
    size_t n, cap;
};

static bool gather_one(const void *key, void *val, void *ctx)
{
    struct gather *g = ctx;
    if (g->b && g->n < g->cap) {
        uintptr_t p;
        uint64_t v;
        memcpy(&p, key, sizeof p);
        memcpy(&v, val, sizeof v);
        g->b[g->n].addr = p;
        g->b[g->n].size = ms_books_size_of((void *)p, v);
        g->b[g->n].stack = ms_packed_stack(v);
    }
    g->n++;
    return true;
}

/* A dead thread's ms_self, found by its TCB: the offset from the thread
 * pointer is the same in every thread (initial-exec TLS). */
static void forget_dead(uintptr_t tcb, uintptr_t lo, uintptr_t hi)
{
    intptr_t off = (intptr_t)((uintptr_t)&ms_self - thread_pointer());
    uintptr_t self = tcb + (uintptr_t)off;
    if (self >= lo && self + sizeof(struct ms_thread) <= hi)
        ((struct ms_thread *)self)->last_alloc = 0;
}

static void forget_last(struct ms_stack_cache *c, void *ctx)
{
    (void)ctx;
    struct ms_thread *t = ms_tblock_self(c);
    if (t)
        t->last_alloc = 0;
}

static void *scratch(size_t bytes)
{
    return ms_mem_map(bytes ? bytes : 1, MS_MEM_DUMP);
}

/* The excluded ranges, sorted and merged: the shim's own memory and image. */
static size_t exclusions(uintptr_t (**out)[2], bool *complete)
{
    size_t cap = 16384 + 8;
    uintptr_t(*ex)[2] = scratch(cap * sizeof *ex);
    struct ms_rblock *tmp = scratch(cap * sizeof *tmp);
    if (!ex || !tmp)
        return 0;
    size_t n = ms_own_ranges(ex, cap - 1, complete);
    if (img_hi) {
        ex[n][0] = img_lo;
        ex[n++][1] = img_hi;
    }
    for (size_t i = 0; i < n; i++) {
        tmp[i].addr = ex[i][0];
        tmp[i].size = ex[i][1] - ex[i][0];
    }
    ms_reach_sort(tmp, n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uintptr_t lo = tmp[i].addr, hi = lo + tmp[i].size;
        if (m && lo <= ex[m - 1][1]) {
            if (hi > ex[m - 1][1])
                ex[m - 1][1] = hi;
        } else {
            ex[m][0] = lo;
            ex[m++][1] = hi;
        }
    }
    *out = ex;
    return m;
}

static struct ms_rmap *read_maps(size_t *n)
{
    for (size_t cap = 1u << 20; cap <= (1u << 28); cap *= 4) {
        size_t max = cap / 32;
        char *buf = scratch(cap);
        struct ms_rmap *m = scratch(max * sizeof *m);
        if (!buf || !m)
            return NULL;
        bool complete;
        *n = ms_reach_maps(m, max, buf, cap, &complete);
        if (complete)
            return m;
    }
    return NULL;
}

__attribute__((noreturn)) static void scanner(struct shared *sh, uintptr_t my_sp, bool mine)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    /* raw_fork blocked every signal; a blocked fault kills (the kernel
     * resets its action), so these two only are let through. */
    ksigset faults = KSIG(SIGSEGV) | KSIG(SIGBUS);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &faults, NULL, sizeof faults);
    /* Alone in this copy: the locks the parent holds are ours to drop. */
    ms_own_after_fork();
    ms_books_unlock_all();
    ms_stack_cache_unlock();

    /* Each thread's TLS keeps its latest allocation's address (for
     * temporaries): in this copy, forget it, or it would be a root. */
    ms_tblock_foreach(forget_last, NULL);
    ms_self.last_alloc = 0;

    struct gather g = {0};
    ms_smap_foreach(ms_books_live_map(), gather_one, &g);
    ms_nursery_visit_all(gather_one, &g);
    g.cap = g.n;
    g.n = 0;
    g.b = scratch(g.cap * sizeof *g.b);
    uint32_t *mark = scratch((2 * g.cap + 1) * sizeof *mark);
    size_t nmaps = 0, nex = 0;
    struct ms_rmap *maps = read_maps(&nmaps);
    bool complete = false;
    uintptr_t(*ex)[2] = NULL;
    nex = exclusions(&ex, &complete);
    if (!g.b || !mark || !maps || !ex) {
        sh->failed = MS_RF_MEMORY;
        syscall(SYS_exit_group, 0);
    }
    if (!complete) {
        sh->failed = MS_RF_RANGES;
        syscall(SYS_exit_group, 0);
    }
    ms_smap_foreach(ms_books_live_map(), gather_one, &g);
    ms_nursery_visit_all(gather_one, &g);
    if (g.n > g.cap)
        g.n = g.cap;
    ms_reach_sort(g.b, g.n);

    /* Only blocks in readable memory (one freed by a thread that was not
     * stopped may be gone); glibc's header before each block too. */
    size_t keep = 0;
    uintptr_t head = glibc ? 2 * sizeof(uintptr_t) : 0;
    for (size_t i = 0; i < g.n; i++) {
        uintptr_t lo = g.b[i].addr - head, hi = g.b[i].addr + (g.b[i].size ? g.b[i].size : 1);
        if (ms_reach_readable(maps, nmaps, lo, hi))
            g.b[keep++] = g.b[i];
        else
            sh->unreadable++;
    }

    struct ms_rscan s;
    ms_reach_begin(&s, g.b, keep, mark);
    s.tail = glibc ? glibc_tail : NULL;
    static uintptr_t sps[1 + 4096], tps[1 + 4096]; /* in the shim's image: never roots */
    size_t nsp = 0, ntp = 0;
    tps[ntp++] = thread_pointer();
    if (mine) {
        /* A program thread: its stack above the shim's entry frame, and the
         * registers it had then. */
        sps[nsp++] = entry_cfa + MS_REDZONE;
        for (unsigned r = 0; r < 8; r++)
            ms_reach_root_word(&s, ms_reach_entry_regs[r]);
    } else {
        /* The helper thread runs only the shim: its stack is no root. */
        for (size_t i = 0; i < nmaps; i++)
            if (my_sp >= maps[i].lo && my_sp < maps[i].hi)
                maps[i].flags &= ~(unsigned)MS_RMAP_ROOT;
    }
    for (uint32_t t = 0; t < sh->stop.n; t++) {
        const struct ms_rthread *th = &sh->stop.th[t];
        if (th->sp && nsp < sizeof sps / sizeof sps[0])
            sps[nsp++] = th->sp;
        if (th->nregs > TP_INDEX && ntp < sizeof tps / sizeof tps[0])
            tps[ntp++] = th->regs[TP_INDEX];
        for (uint32_t r = 0; r < th->nregs; r++)
            ms_reach_root_word(&s, th->regs[r]);
    }
    /* Dead threads' stacks are told from live ones only when every thread
     * was stopped (each live thread's pointer known). */
    struct ms_rthreads rt = {sps, nsp, NULL, 0, tls_static_size, forget_dead};
    if (atomic_load(&sh->stop.state) == 1 || !sh->threads) {
        rt.tps = tps;
        rt.ntp = ntp;
    }
    ms_reach_scan_roots(&s, maps, nmaps, (const uintptr_t(*)[2])ex, nex, &rt);
    ms_reach_finish(&s);

    static const int field[MS_RK_N] = {
        [MS_RK_DEFINITE] = MS_KF_DEFINITE_BLOCKS,
        [MS_RK_INDIRECT] = MS_KF_INDIRECT_BLOCKS,
        [MS_RK_POSSIBLE] = MS_KF_POSSIBLE_BLOCKS,
        [MS_RK_REACHABLE] = MS_KF_REACHABLE_BLOCKS,
    };
    for (size_t i = 0; i < keep; i++) {
        uint32_t id = g.b[i].stack < sh->nstacks ? g.b[i].stack : 0;
        struct verdict *v = &sh->v[id];
        v->k[field[g.b[i].kind]] += 1;
        v->k[field[g.b[i].kind] + 1] += g.b[i].size;
    }
    sh->blocks = keep;
    sh->root_bytes = s.root_bytes;
    sh->heap_bytes = s.block_bytes;
    atomic_store(&sh->done, 1);
    syscall(SYS_exit_group, 0);
    __builtin_unreachable();
}

/* Fork the scanner.  mine: this thread is the program's (the exit dump),
 * and MS_REACH_ENTRY said where its frames and registers are. */
__attribute__((noinline)) static pid_t fork_scanner(struct shared *sh, bool mine)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    pid_t pid = raw_fork();
    if (pid == 0)
        scanner(sh, sp, mine);
    return pid;
}

/* ------------------------------------------------------ the parent ---- */

static void nv(struct ms_dw *w, const char *name, uint64_t v)
{
    ms_dw_str(w, name);
    ms_dw_u64(w, v);
}

static void write_records(struct ms_dw *w, const struct shared *sh, unsigned failed,
                          unsigned threads, uint64_t pause_ns, uint64_t scan_ns)
{
    if (!failed)
        for (uint32_t id = 0; id < sh->nstacks; id++) {
            const struct verdict *v = &sh->v[id];
            uint64_t any = 0;
            for (int k = 0; k < MS_KF_COUNT; k++)
                any |= v->k[k];
            if (!any)
                continue;
            ms_dw_rec_begin(w, MS_REC_LEAK_KINDS);
            ms_dw_u32(w, id);
            ms_dw_u32(w, MS_KF_COUNT);
            for (int k = 0; k < MS_KF_COUNT; k++)
                ms_dw_u64(w, v->k[k]);
            ms_dw_rec_end(w);
        }
    ms_dw_rec_begin(w, MS_REC_REACH);
    ms_dw_u32(w, 10);
    nv(w, MS_REACH_SCANS, !failed);
    nv(w, MS_REACH_FAILED, failed);
    nv(w, MS_REACH_THREADS, threads);
    nv(w, MS_REACH_STOPPED, sh ? sh->stop.n : 0);
    nv(w, MS_REACH_BLOCKS, sh ? sh->blocks : 0);
    nv(w, MS_REACH_UNREADABLE, sh ? sh->unreadable : 0);
    nv(w, MS_REACH_ROOT_BYTES, sh ? sh->root_bytes : 0);
    nv(w, MS_REACH_HEAP_BYTES, sh ? sh->heap_bytes : 0);
    nv(w, MS_REACH_PAUSE_NS, pause_ns);
    nv(w, MS_REACH_SCAN_NS, scan_ns);
    ms_dw_rec_end(w);
}

/* Yama's ptrace_scope 1 lets a process trace only its descendants or a
 * tracer it names with PR_SET_PTRACER (our stopper is the program's child,
 * tracing its parent).  Naming one replaces any tracer the program named
 * itself (crash reporters do), so it is done only where it is needed. */
static bool yama_needs_tracer(void)
{
    char c = 0;
    struct ms_fd f;
    if (ms_fd_open(&f, "/proc/sys/kernel/yama/ptrace_scope", O_RDONLY, 0) != 0)
        return false;
    bool one = read(f.fd, &c, 1) == 1 && c == '1';
    ms_fd_close(&f);
    return one;
}

/* Start the stopper and wait until it has stopped the other threads. */
static pid_t stop_others(struct shared *sh, int *go_fd, bool name_tracer)
{
    int go[2], done[2];
    *go_fd = -1;
    if (ms_fd_pipe(go))
        return -1;
    if (ms_fd_pipe(done)) {
        close(go[0]);
        close(go[1]);
        return -1;
    }
    int pid = getpid(), tid = (int)syscall(SYS_gettid);
    pid_t c = raw_fork();
    if (c == 0) {
        close(go[1]);
        close(done[0]);
        ms_reach_stopper(pid, tid, atomic_load(&ms_helper_tid), &sh->stop, done[1], go[0]);
    }
    close(go[0]);
    close(done[1]);
    if (c > 0) {
        char b = 'g';
        if (name_tracer)
            prctl(PR_SET_PTRACER, (unsigned long)c, 0, 0, 0);
        while (write(go[1], &b, 1) < 0 && errno == EINTR) {
        }
        struct pollfd pf = {done[0], POLLIN, 0};
        int r;
        while ((r = poll(&pf, 1, STOP_WAIT_MS)) < 0 && errno == EINTR) {
        }
        if (r == 0) {
            /* Killing the stopper detaches every thread it stopped. */
            kill(c, SIGKILL);
            reap(c);
            if (name_tracer)
                prctl(PR_SET_PTRACER, 0ul, 0, 0, 0);
            close(go[1]);
            close(done[0]);
            sh->stop.n = 0;
            atomic_store(&sh->stop.state, -ETIMEDOUT);
            return -1;
        }
        while (read(done[0], &b, 1) < 0 && errno == EINTR) {
        }
        *go_fd = go[1];
    } else {
        close(go[1]);
    }
    close(done[0]);
    return c;
}

static void release_others(pid_t stopper, int go_fd, bool name_tracer)
{
    if (stopper <= 0)
        return;
    char b = 'g';
    while (write(go_fd, &b, 1) < 0 && errno == EINTR) {
    }
    close(go_fd);
    reap(stopper);
    if (name_tracer)
        prctl(PR_SET_PTRACER, 0ul, 0, 0, 0);
}

void ms_reach_write(struct ms_dw *w, unsigned reason)
{
    /* "exit" scans the exit dump only: a scan of a running process holds
     * its threads for a fork, so a scan while it runs is asked for with
     * "all".  (nginx's "unknown process ... exited" under "all" was its
     * SIGCHLD handler running in the stopper: see raw_fork.) */
    if (ms_cfg.reach == MS_REACH_OFF ||
        (ms_cfg.reach == MS_REACH_EXIT && reason != MS_DUMP_AT_EXIT))
        return;
    uint64_t t0 = ms_now_ns();
    if (ms_count_shift) {
        write_records(w, NULL, MS_RF_SAMPLED, 0, 0, 0);
        return;
    }
    once();
    unsigned threads = other_threads();
    bool name_tracer = threads && yama_needs_tracer();
    size_t max_th = (size_t)threads * 2 + 64;

    ms_stack_cache_lock();
    ms_books_lock_all();
    uint64_t held = ms_now_ns();
    uint32_t nstacks = ms_stack_count();
    size_t bytes = sizeof(struct shared) + max_th * sizeof(struct ms_rthread) +
                   (size_t)nstacks * sizeof(struct verdict);
    bytes = ms_page_round(bytes);
    struct shared *sh =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned failed = 0;
    pid_t scanner = -1;
    if (sh == MAP_FAILED) {
        sh = NULL;
        failed = MS_RF_MEMORY;
    } else {
        ms_own_mapped(sh, bytes);
        sh->stop.th = (struct ms_rthread *)(sh + 1);
        sh->stop.max = (uint32_t)max_th;
        sh->nstacks = nstacks;
        sh->threads = threads;
        sh->v = (struct verdict *)(sh->stop.th + max_th);
        int go_fd = -1;
        pid_t stopper = threads ? stop_others(sh, &go_fd, name_tracer) : -1;
        scanner = fork_scanner(sh, entry_tid == (int)syscall(SYS_gettid) && entry_cfa);
        release_others(stopper, go_fd, name_tracer);
    }
    ms_books_unlock_all();
    ms_stack_cache_unlock();
    uint64_t pause = ms_now_ns() - held;

    if (sh && scanner < 0)
        failed = MS_RF_FORK;
    if (scanner > 0) {
        if (!reap_by(scanner, t0 + SCAN_WAIT_NS))
            failed = MS_RF_TIMEOUT;
        else if (!sh->done && !sh->failed)
            failed = MS_RF_CRASHED;
        else if (sh->failed)
            failed = sh->failed;
    }
    write_records(w, sh, failed, threads, pause, ms_now_ns() - t0);
    if (sh) {
        munmap(sh, bytes);
        ms_own_unmapped(sh, bytes);
    }
}
