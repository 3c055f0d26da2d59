/*
 * reach_roots.c — which memory the reachability scan reads as roots.
 *
 * Roots are what valgrind and LeakSanitizer use: every readable and
 * writable mapping (data and bss of every loaded object, thread stacks and
 * the static TLS glibc keeps at their top, the program's own anonymous
 * mappings, which is where allocators like Python's obmalloc put objects
 * that hold malloc'd pointers), taken from /proc/self/maps so that nothing
 * unreadable is touched (guard pages and PROT_NONE reservations are not
 * readable; device files are skipped, as valgrind skips them, since reading
 * them can have effects).  Not roots:
 *  - the glibc heap: "[heap]" and the 64 MiB-aligned heaps of glibc's other
 *    arenas hold the blocks themselves (scanned only when reached) and
 *    free chunks full of stale pointers;
 *  - the shim's own memory (own_ranges.c) and its own image, which hold
 *    the address of every block;
 *  - the part of a thread's stack below its stack pointer (less the
 *    128-byte red zone), when the stack pointer is known: dead frames.
 * Live blocks that lie inside a root mapping (glibc's mmap'd chunks) are
 * skipped by ms_reach_root_range.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "reach.h"

static uintptr_t hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return v;
        v = v * 16 + d;
    }
}

/* glibc's non-main arenas live in heaps of HEAP_MAX_SIZE (64 MiB on 64-bit
 * systems), aligned to it, that start with a heap_info whose first word
 * points to the arena, itself near the start of its first heap. */
#define GLIBC_HEAP_MAX (64ul << 20)

static bool glibc_heap(uintptr_t lo, uintptr_t hi)
{
    if (lo & (GLIBC_HEAP_MAX - 1) || hi - lo < 4096)
        return false;
    uintptr_t ar = *(const uintptr_t *)lo;
    return ar && (ar & (GLIBC_HEAP_MAX - 1)) < 4096;
}

static unsigned classify(const char *perms, const char *path, size_t plen, uintptr_t lo,
                         uintptr_t hi)
{
    if (perms[0] != 'r' || perms[1] != 'w')
        return 0;
    if (plen == 0)
        return glibc_heap(lo, hi) ? 0 : MS_RMAP_ROOT | MS_RMAP_ANON;
    if (path[0] == '[') {
        if (plen == 7 && !memcmp(path, "[stack]", 7))
            return MS_RMAP_ROOT;
        if (plen >= 6 && !memcmp(path, "[anon:", 6))
            return MS_RMAP_ROOT;
        return 0; /* [heap], [vvar], [vdso], [vsyscall], [uprobes] */
    }
    if (plen > 5 && !memcmp(path, "/dev/", 5)) {
        if ((plen == 9 && !memcmp(path, "/dev/zero", 9)) ||
            (plen > 9 && !memcmp(path, "/dev/shm/", 9)))
            return MS_RMAP_ROOT;
        return 0;
    }
    return MS_RMAP_ROOT;
}

size_t ms_reach_maps(struct ms_rmap *out, size_t max, char *buf, size_t cap, bool *complete)
{
    *complete = false;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            close(fd);
            return 0; /* the caller retries with more room */
        }
        ssize_t k = read(fd, buf + len, cap - len);
        if (k <= 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    size_t n = 0;
    const char *p = buf, *end = buf + len;
    while (p < end && n < max) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        uintptr_t lo = hex(&p);
        p++; /* '-' */
        uintptr_t hi = hex(&p);
        p++; /* ' ' */
        const char *perms = p;
        /* perms offset dev inode, then spaces and the path (maybe none) */
        for (int field = 0; field < 4 && p < eol; field++) {
            while (p < eol && *p != ' ')
                p++;
            while (p < eol && *p == ' ')
                p++;
        }
        if (eol - perms >= 4) {
            out[n].lo = lo;
            out[n].hi = hi;
            out[n].flags = (perms[0] == 'r' ? MS_RMAP_READ : 0) |
                           classify(perms, p, (size_t)(eol - p), lo, hi);
            n++;
        }
        p = eol + 1;
    }
    *complete = p >= end;
    return n;
}

bool ms_reach_readable(const struct ms_rmap *m, size_t n, uintptr_t lo, uintptr_t hi)
{
    /* Mappings are in address order: find the one holding lo, then follow
     * adjacent readable ones up to hi. */
    size_t a = 0, b = n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (m[mid].hi <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    uintptr_t at = lo;
    for (size_t i = a; i < n && at < hi; i++) {
        if (m[i].lo > at || !(m[i].flags & MS_RMAP_READ))
            return false;
        at = m[i].hi;
    }
    return at >= hi;
}

static void root_range(struct ms_rscan *s, uintptr_t lo, uintptr_t hi, const uintptr_t (*ex)[2],
                       size_t nex)
{
    (void)ex;
    (void)nex;
    ms_reach_root_range(s, lo, hi);
}

/* The start of what is left to read of a dead glibc thread's stack, or lo.
 * glibc keeps a thread's TCB (struct pthread) at the top of its stack, and
 * on x86_64 its first and third words (tcb, self) point to itself. */
static uintptr_t dead_stack_start(uintptr_t lo, uintptr_t hi, const struct ms_rthreads *t)
{
#if defined(__x86_64__)
    if (!t->tps || hi - lo < 65536)
        return lo;
    for (uintptr_t a = hi - 64; a >= hi - 65536 + 64; a -= 64) {
        const uintptr_t *w = (const uintptr_t *)a;
        if (w[0] != a || w[2] != a)
            continue;
        for (size_t k = 0; k < t->ntp; k++)
            if (t->tps[k] == a)
                return lo; /* a live thread's */
        if (t->dead_tcb)
            t->dead_tcb(a, lo, hi);
        return t->tls_size && a - t->tls_size > lo ? a - t->tls_size : lo;
    }
#else
    (void)hi;
    (void)t;
#endif
    return lo;
}

/* One piece of a root mapping (the shim's ranges cut out): a stack is read
 * from its lowest stack pointer (less the red zone, which leaf functions
 * use without moving the pointer), a dead thread's from its TLS. */
static void segment(struct ms_rscan *s, uintptr_t lo, uintptr_t hi, bool anon,
                    const struct ms_rthreads *t)
{
    uintptr_t low_sp = UINTPTR_MAX;
    for (size_t k = 0; k < t->nsp; k++)
        if (t->sps[k] >= lo && t->sps[k] < hi && t->sps[k] < low_sp)
            low_sp = t->sps[k];
    if (low_sp != UINTPTR_MAX) {
        if (low_sp - MS_REDZONE > lo)
            lo = low_sp - MS_REDZONE;
    } else if (anon) {
        lo = dead_stack_start(lo, hi, t);
    }
    if (ms_reach_guarded_range(s, lo, hi, NULL, 0, root_range))
        s->faults++;
}

void ms_reach_scan_roots(struct ms_rscan *s, const struct ms_rmap *m, size_t n,
                         const uintptr_t (*ex)[2], size_t nex, const struct ms_rthreads *t)
{
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(m[i].flags & MS_RMAP_ROOT))
            continue;
        bool anon = m[i].flags & MS_RMAP_ANON;
        uintptr_t at = m[i].lo, hi = m[i].hi;
        while (e < nex && ex[e][1] <= at)
            e++;
        for (size_t k = e; k < nex && ex[k][0] < hi && at < hi; k++) {
            if (ex[k][0] > at)
                segment(s, at, ex[k][0], anon, t);
            if (ex[k][1] > at)
                at = ex[k][1];
        }
        if (at < hi)
            segment(s, at, hi, anon, t);
    }
}
