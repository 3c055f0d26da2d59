/*
 * reach.h — the reachability scan: valgrind's leak kinds for live blocks.
 *
 * reach_scan.c  the classification itself (pure: blocks, roots -> kinds)
 * reach_roots.c which memory is a root (/proc/self/maps, minus the shim's)
 * reach_stop.c  stopping the other threads for their registers (ptrace)
 * reach.c       one scan at a dump: freeze, fork, scan, records 10 and 11
 *
 * The kinds are valgrind memcheck's (mc_leakcheck.c), so that the figures
 * can be compared with `valgrind --leak-check=full` exactly:
 *   still reachable   a chain of start pointers leads to it from a root
 *   possibly lost     reached from a root, but only through some pointer
 *                     into its interior (or through a possibly lost block)
 *   indirectly lost   not reached from a root, but pointed to (start or
 *                     interior) by a lost block
 *   definitely lost   the rest: no pointer to it from anything reached
 * The lost blocks are grouped into cliques in address order, as valgrind
 * does: in a cycle of lost blocks, the lowest-addressed block that no other
 * lost block outside the cycle points to is definitely lost, the others are
 * indirectly lost.
 */
#ifndef MS_REACH_H
#define MS_REACH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ms_reach_kind {
    MS_RK_DEFINITE = 0, /* "Unreached" while scanning, definitely lost at the end */
    MS_RK_INDIRECT,
    MS_RK_POSSIBLE,
    MS_RK_REACHABLE,
    MS_RK_N
};

struct ms_rblock {
    uintptr_t addr;
    uint64_t size; /* requested bytes: pointers past them do not count */
    uint32_t stack;
    uint32_t kind; /* enum ms_reach_kind */
};

struct ms_rscan {
    struct ms_rblock *b; /* sorted by address, not overlapping */
    size_t n;
    uint32_t *mark; /* the mark stack: room for 2n + 1 indices */
    size_t top;
    uintptr_t lo, hi; /* lowest block address, highest block end */
    /* glibc keeps pointers to the header of the chunk after a block (its
     * bins, the top chunk); the header's first word lies inside the
     * block's last 8 bytes.  When set, a root word equal to tail(b) does
     * not count as a pointer into b. */
    uintptr_t (*tail)(const struct ms_rblock *b);
    uint64_t root_bytes, block_bytes; /* bytes read, for the record */
    uint64_t faults;                  /* root ranges cut short by a fault */
};

/* Sort blocks by address (heap sort: no allocation, no recursion). */
void ms_reach_sort(struct ms_rblock *b, size_t n);
/* Start a scan of n sorted blocks, all marked definitely lost; mark must
 * hold 2n + 1 entries. */
void ms_reach_begin(struct ms_rscan *s, struct ms_rblock *b, size_t n, uint32_t *mark);
/* Roots: the aligned words of [lo, hi), skipping the blocks inside it (a
 * block is scanned only when reached), and one word (a register). */
void ms_reach_root_range(struct ms_rscan *s, uintptr_t lo, uintptr_t hi);
void ms_reach_root_word(struct ms_rscan *s, uintptr_t w);
/* After the roots: follow the reached blocks, then group the rest into
 * cliques.  Each block's kind is then final. */
void ms_reach_finish(struct ms_rscan *s);
/* Index of the block that holds address w, or -1. */
long ms_reach_find(const struct ms_rscan *s, uintptr_t w);

/* ---------------------------------------------------- reach_roots.c -- */

/* One line of /proc/self/maps. */
enum { MS_RMAP_READ = 1, MS_RMAP_ROOT = 2, MS_RMAP_ANON = 4 };
struct ms_rmap {
    uintptr_t lo, hi;
    unsigned flags;
};
/* Bytes below a stack pointer that still belong to the live frame. */
#if defined(__x86_64__)
#define MS_REDZONE 128
#else
#define MS_REDZONE 0
#endif
/* Read /proc/self/maps (text into buf) into at most max entries.
 * *complete is false when buf or out was too small: retry with more. */
size_t ms_reach_maps(struct ms_rmap *out, size_t max, char *buf, size_t cap, bool *complete);
/* Whether [lo, hi) lies in readable mappings. */
bool ms_reach_readable(const struct ms_rmap *m, size_t n, uintptr_t lo, uintptr_t hi);
/* What is known of the threads when the roots are read. */
struct ms_rthreads {
    const uintptr_t *sps; /* stack pointers: a stack is read from there up */
    size_t nsp;
    /* Thread pointers of every live thread (all of them, or none: tps is
     * NULL when some thread could not be stopped).  A glibc thread stack
     * whose TCB is none of them is a dead thread's, kept in glibc's stack
     * cache: only its TLS (tls_size bytes below the TCB) and TCB are read,
     * as valgrind reads only what the thread had not left. */
    const uintptr_t *tps;
    size_t ntp;
    size_t tls_size; /* glibc's static TLS size, 0 when unknown */
    /* Called with each dead thread's TCB before its TLS is read (the
     * shim's own TLS there holds a stale block address). */
    void (*dead_tcb)(uintptr_t tcb, uintptr_t lo, uintptr_t hi); /* its writable piece */
};
/* Scan every root mapping less the excluded ranges ex (sorted, disjoint). */
void ms_reach_scan_roots(struct ms_rscan *s, const struct ms_rmap *m, size_t n,
                         const uintptr_t (*ex)[2], size_t nex, const struct ms_rthreads *t);
/* reach.c: run fn(s, lo, hi, ex, nex) so that a fault (SIGSEGV, SIGBUS:
 * a file mapping past its end) ends it early; returns true on a fault. */
typedef void (*ms_reach_range_fn)(struct ms_rscan *s, uintptr_t lo, uintptr_t hi,
                                  const uintptr_t (*ex)[2], size_t nex);
bool ms_reach_guarded_range(struct ms_rscan *s, uintptr_t lo, uintptr_t hi,
                            const uintptr_t (*ex)[2], size_t nex, ms_reach_range_fn fn);

/* ----------------------------------------------------- reach_stop.c -- */

/* General registers of one stopped thread. */
#define MS_RREGS 40
struct ms_rthread {
    int32_t tid;
    int32_t signal; /* a signal its stop intercepted, given back at detach */
    uintptr_t sp;
    uint32_t nregs;
    uintptr_t regs[MS_RREGS];
};

/* What the stopper child reports, in memory shared with the parent. */
struct ms_rstop {
    _Atomic int32_t state; /* 0 running, 1 all stopped, -errno: could not stop */
    uint32_t n, max;       /* threads stopped / room in th[] */
    struct ms_rthread *th;
};
/* In the stopper child: stop every thread of pid except skip_tid (the
 * dump's) and own_tid (the shim's helper, 0 for none) with ptrace, take
 * their registers, report through st and byte on done_fd, wait for a byte
 * (or EOF) on go_fd, let them go, and exit. */
__attribute__((noreturn)) void ms_reach_stopper(int pid, int skip_tid, int own_tid,
                                                struct ms_rstop *st, int done_fd, int go_fd);

#endif /* MS_REACH_H */
