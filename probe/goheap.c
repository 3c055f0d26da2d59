/*
 * goheap.c — find the maps a Go process already has, without any probe event.
 *
 * Attached to a running process (mapscope gomaps -p), the probes see a map
 * only when it next grows, is cleared or is made.  A map that is already
 * stuck mid-growth or already emptied — what someone attaching to a process
 * in trouble most wants to see — would stay invisible.  So once the probes
 * are in place, the Go heap is walked once, read-only, with process_vm_readv
 * (the process is never stopped or written to):
 *
 *   mheap_.allspans, found in the runtime's data by its shape (a slice of at
 *   least 8192 pointers, the runtime's first allocation, to span structures
 *   that check out), lists every span
 *     → in-use spans: start, pages, size class, allocation and mark bits
 *     → the spans of hmap's size class: every live slot is a candidate header
 *     → kept only when it is unmistakably a map: B, flags and count within the
 *       invariants, nevacuate one of the values Go leaves in it, its bucket
 *       array the start of a large heap object of exactly the size
 *       makeBucketArray allocates for 2^B buckets of some bucket size, its old
 *       array (half or equal) and its mapextra heap objects too.
 *
 * A slot is live when Go's allocation bits say so in a span swept since the
 * last collection, or its mark bits in a span not swept yet (mspan.sweepgen
 * against mheap_.sweepgen; when that cannot be read, either bit counts).
 * Only maps whose current bucket array is a large object (over 32 KiB, its
 * own span) are reported: those are the ones that matter for memory, and the
 * ones whose sizes make the identification certain.
 *
 * Where the map grew: Go's heap profiler samples one allocation per 512 KiB
 * on average, so a large bucket array almost always carries a profile record
 * (a "special" on its span pointing at the profile bucket with the allocation
 * stack); that stack is the map's site.
 *
 * Cost: a byte budget bounds everything read (the span table, the span
 * structures, the pages of hmap's size class, a few words per map), and a time
 * budget the whole scan (the probes' events wait in their ring buffer meanwhile).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "maptrack.h"
#include "swiss.h"

#define PAGE         8192ULL
#define ALLSPANS_MIN 8192 /* recordspan's first allocation: 64 KiB of pointers */
#define SPAN_BATCH   512  /* span structures per read */
#define HMAP_BATCH   64   /* hmap-class spans per read */
#define MAX_BUCKETSZ 2064 /* 8 tophash + 8 x 128-byte keys + 8 x 128-byte elems + link */
#define MIN_BUCKETSZ 16
#define MEM_PROFILE  1 /* runtime.memProfile bucketType */
#define STATE_IN_USE 1 /* runtime.mSpanInUse */
#define MAX_MAPTYPES 8192

struct span {
    uint64_t addr, start, npages, elemsize, nelems, freeindex, allocbits, markbits, specials;
    uint32_t sweepgen;
    uint8_t spanclass;
};

struct scan {
    pid_t pid;
    double deadline; /* ms on the monotonic clock: the scan stops there too */
    const struct ms_gobin *bin;
    uint64_t bias;
    const struct ms_gomaptype *mt; /* the binary's map types */
    size_t nmt;
    const struct ms_golayout *lay;
    int minor;
    uint64_t limit;
    struct gm_scan_stats *st;
    struct span *spans;
    size_t n, cap;
    uint32_t H; /* mheap_.sweepgen */
    bool H_known;
    const struct sw_layout *swl; /* Swiss maps: their layout; NULL for classic */
};

static double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Read n remote ranges; ok[i] says which arrived whole.  -1 when over budget or the
 * process is gone.  A range that cannot be read stops process_vm_readv: skip it. */
static int readv_ok(struct scan *s, struct iovec *lv, struct iovec *rv, size_t n, bool *ok)
{
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += lv[i].iov_len;
    if (s->st->bytes_read + want > s->limit || ms_now() > s->deadline) {
        s->st->truncated = true;
        return -1;
    }
    for (size_t i = 0; i < n;) {
        size_t k = n - i > 1024 ? 1024 : n - i; /* IOV_MAX */
        ssize_t got = process_vm_readv(s->pid, lv + i, k, rv + i, k, 0);
        if (got < 0 && errno == ESRCH)
            return -1;
        size_t g = got > 0 ? (size_t)got : 0, j = i;
        s->st->bytes_read += g;
        for (; j < i + k && g >= lv[j].iov_len; j++) {
            ok[j] = true;
            g -= lv[j].iov_len;
        }
        if (j < i + k)
            ok[j++] = false;
        i = j;
    }
    return 0;
}

static int rd(struct scan *s, uint64_t addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    bool ok = false;
    return readv_ok(s, &l, &r, 1, &ok) == 0 && ok ? 0 : -1;
}

/* ----------------------------------------------------------------- spans -- */

static void decode_span(const struct ms_golayout *l, uint64_t addr, const uint8_t *b,
                        struct span *sp, uint8_t *state)
{
    sp->addr = addr;
    sp->start = ms_gm_rdn(b + l->sp_start, 8);
    sp->npages = ms_gm_rdn(b + l->sp_npages, 8);
    sp->freeindex = ms_gm_rdn(b + l->sp_freeindex, l->sp_idx_size);
    sp->nelems = ms_gm_rdn(b + l->sp_nelems, l->sp_idx_size);
    sp->allocbits = ms_gm_rdn(b + l->sp_allocbits, 8);
    sp->markbits = ms_gm_rdn(b + l->sp_gcmarkbits, 8);
    sp->sweepgen = (uint32_t)ms_gm_rdn(b + l->sp_sweepgen, 4);
    sp->spanclass = b[l->sp_spanclass];
    sp->elemsize = ms_gm_rdn(b + l->sp_elemsize, 8);
    sp->specials = ms_gm_rdn(b + l->sp_specials, 8);
    *state = b[l->sp_state];
}

/* Does an in-use span look like one?  A layout we misread fails this at once. */
static bool span_ok(const struct span *sp)
{
    if (!sp->start || sp->start % PAGE || !sp->npages || sp->npages > (1ULL << 27))
        return false;
    uint64_t bytes = sp->npages * PAGE;
    if ((sp->spanclass >> 1) == 0) /* a large object: one element, the whole span */
        return sp->elemsize == bytes && sp->nelems == 1;
    /* small objects; Go 1.22+ keeps pointer bitmaps at the end of some spans (1/64 of
     * it), Go 1.26's GC also its inline mark bits (128 bytes per 8 KiB page) */
    if (sp->spanclass >> 1 > 67 || sp->elemsize < 8 || sp->elemsize > 32768 || !sp->nelems ||
        sp->nelems > bytes / sp->elemsize || sp->freeindex > sp->nelems)
        return false; /* (also keeps every slot index inside the span's pages) */
    uint64_t used = sp->nelems * sp->elemsize;
    return used <= bytes && used + sp->elemsize + bytes / 32 > bytes;
}

static size_t span_len(const struct ms_golayout *l)
{
    return l->sp_specials + 8;
}

/* Read the span structures at ptrs[0..n): in-use ones are kept.  -1 on budget. */
static int read_spans(struct scan *s, const uint64_t *ptrs, size_t n, size_t *bad)
{
    size_t sl = span_len(s->lay);
    uint8_t *buf = malloc(SPAN_BATCH * sl);
    struct iovec lv[SPAN_BATCH], rv[SPAN_BATCH];
    bool ok[SPAN_BATCH];
    int rc = buf ? 0 : -1;
    for (size_t base = 0; rc == 0 && base < n; base += SPAN_BATCH) {
        size_t k = n - base < SPAN_BATCH ? n - base : SPAN_BATCH, m = 0;
        for (size_t i = 0; i < k; i++)
            if (ptrs[base + i] && ptrs[base + i] % 8 == 0) {
                lv[m] = (struct iovec){buf + m * sl, sl};
                rv[m] = (struct iovec){(void *)(uintptr_t)ptrs[base + i], sl};
                m++;
            }
        if (readv_ok(s, lv, rv, m, ok) < 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < m; i++) {
            struct span sp;
            uint8_t state;
            if (!ok[i])
                continue;
            decode_span(s->lay, (uint64_t)(uintptr_t)rv[i].iov_base, lv[i].iov_base, &sp, &state);
            s->st->spans++;
            if (state != STATE_IN_USE)
                continue;
            if (!span_ok(&sp)) {
                (*bad)++;
                continue;
            }
            if (s->n == s->cap) {
                size_t nc = s->cap ? s->cap * 2 : 4096;
                struct span *ns = realloc(s->spans, nc * sizeof *ns);
                if (!ns) {
                    rc = -1;
                    break;
                }
                s->spans = ns;
                s->cap = nc;
            }
            s->spans[s->n++] = sp;
        }
    }
    free(buf);
    return rc;
}

static int by_start(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The in-use span holding addr, or NULL. */
static const struct span *span_of(const struct scan *s, uint64_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->spans[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    const struct span *sp = &s->spans[lo - 1];
    return addr < sp->start + sp->npages * PAGE ? sp : NULL;
}

/* ------------------------------------------------------------- allspans -- */

/* Is there a slice of span pointers at w (ptr, len, cap)?  Its first entries must be
 * spans that check out; returns its length, 0 when not. */
static uint64_t allspans_at(struct scan *s, const uint64_t *w)
{
    uint64_t p = w[0], len = w[1], cap = w[2];
    if (!p || p % 8 || !len || len > cap || cap < ALLSPANS_MIN || cap > (1ULL << 28))
        return 0;
    uint64_t first[16];
    size_t k = len < 16 ? (size_t)len : 16, bad = 0, before = s->n;
    uint64_t counted = s->st->spans;
    if (rd(s, p, first, k * 8) < 0 || read_spans(s, first, k, &bad) < 0)
        return 0;
    size_t good = s->n - before;
    s->n = before; /* only a test: the real walk comes later */
    s->st->spans = counted;
    return !bad && good ? len : 0;
}

/* Find mheap_.allspans: its address (of the slice header) and its array and length. */
static int find_allspans(struct scan *s, const struct ms_gobin *bin, uint64_t bias, uint64_t *at,
                         uint64_t *arr, uint64_t *len)
{
    /* mheap_ holds pointers, so the linker puts it in .bss; the rest just in case */
    static const char *const secs[] = {".bss", ".noptrbss", ".data", ".noptrdata"};
    uint64_t mh = ms_gobin_symbol(bin, "runtime.mheap_");
    *len = 0;
    for (size_t i = 0; i < sizeof secs / sizeof secs[0] && !*len; i++) {
        uint64_t addr, size;
        if (ms_gobin_section_range(bin, secs[i], &addr, &size) < 0 || size < 24 ||
            size > (64ULL << 20))
            continue;
        uint64_t *w = malloc(size);
        if (!w || rd(s, addr + bias, w, size) < 0) {
            free(w);
            continue;
        }
        for (size_t k = 0; k + 3 <= size / 8; k++) {
            uint64_t l = allspans_at(s, w + k);
            uint64_t here = addr + bias + k * 8;
            /* more than one (an old runtime's snapshot of it, say): the one inside
             * mheap_ when the symbol says where that is, else the longest */
            bool in_mheap = mh && here - bias >= mh && here - bias < mh + 65536;
            if (l && (in_mheap || l > *len)) {
                *at = here;
                *arr = w[k];
                *len = l;
                s->st->allspans_candidates++;
                if (in_mheap)
                    break;
            }
        }
        free(w);
    }
    return *len ? 0 : -1;
}

/* The sweep generation: it must agree with (nearly) every span's, else it is unknown. */
static void learn_sweepgen(struct scan *s, uint64_t allspans_at)
{
    uint32_t H;
    if (rd(s, allspans_at - s->lay->mh_sweepgen_back, &H, 4) < 0 || H % 2)
        return;
    size_t agree = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint32_t d = s->spans[i].sweepgen - H;
        agree += d == 0 || d == (uint32_t)-2 || d == (uint32_t)-1 || d == 1 || d == 3;
    }
    s->H = H;
    s->H_known = s->n && agree * 10 >= s->n * 9;
}

static bool bit(const uint8_t *bits, uint64_t i)
{
    return (bits[i / 8] >> (i % 8)) & 1;
}

static bool live_bits(const struct scan *s, const struct span *sp, bool a, bool m)
{
    if (!s->H_known)
        return a || m;
    uint32_t d = sp->sweepgen - s->H;
    if (d == (uint32_t)-2 || d == 1) /* not swept since the last mark: marks are the truth */
        return m;
    if (d == (uint32_t)-1) /* being swept right now */
        return a || m;
    return a;
}

static bool slot_live(const struct scan *s, const struct span *sp, const uint8_t *alloc,
                      const uint8_t *mark, uint64_t i)
{
    return live_bits(s, sp, i < sp->freeindex || bit(alloc, i), bit(mark, i));
}

/* ----------------------------------------------------------------- hmaps -- */

/* Bytes the allocator gives an array of 2^B buckets of bs bytes (hdr: Go 1.22+ puts an
 * 8-byte type header in front of small objects with pointers above 512 bytes). */
static uint64_t array_alloc(unsigned bs, unsigned B, unsigned hdr)
{
    return ms_go_roundupsize(ms_gm_array_nbuckets(B) * bs + hdr);
}

/* Narrow [*lo, *hi] to the bucket sizes for which 2^B buckets make an object of the
 * span's element size; false when none does. */
static bool fit(const struct scan *s, const struct span *sp, uint64_t off, unsigned B, unsigned *lo,
                unsigned *hi)
{
    bool large = (sp->spanclass >> 1) == 0, noscan = sp->spanclass & 1;
    unsigned hdr = !large && !noscan && s->minor >= 22 && sp->elemsize > 512 ? 8 : 0;
    if (off % sp->elemsize != hdr)
        return false; /* not the start of an object */
    unsigned nlo = MAX_BUCKETSZ + 8, nhi = 0;
    for (unsigned bs = *lo; bs <= *hi; bs += 8)
        if (array_alloc(bs, B, large ? 0 : hdr) == sp->elemsize) {
            nlo = bs < nlo ? bs : nlo;
            nhi = bs;
        }
    *lo = nlo;
    *hi = nhi;
    return nlo <= nhi;
}

/* The allocation stack of the large object of span sp, from Go's heap profile. */
static int profile_site(struct scan *s, const struct span *sp, uint64_t *site, int max)
{
    const struct ms_golayout *l = s->lay;
    uint64_t sl = sp->specials;
    for (int k = 0; sl && sl % 8 == 0 && k < 16; k++) {
        uint8_t rec[32];
        if (rd(s, sl, rec, l->sl_bucket + 8) < 0)
            return 0;
        uint64_t off = ms_gm_rdn(rec + l->sl_offset, l->sl_offset_size);
        if (off > 0)
            return 0; /* sorted by offset: nothing for the object at the span's start */
        if (rec[l->sl_kind] == l->sl_profile_kind) {
            uint64_t bk = ms_gm_rdn(rec + l->sl_bucket, 8);
            uint8_t hdr[128];
            if (l->bk_hdr > sizeof hdr || !bk || rd(s, bk, hdr, l->bk_hdr) < 0)
                return 0;
            uint64_t nstk = ms_gm_rdn(hdr + l->bk_nstk, 8);
            if (ms_gm_rdn(hdr + l->bk_typ, 8) != MEM_PROFILE ||
                ms_gm_rdn(hdr + l->bk_size, 8) != sp->elemsize || !nstk || nstk > 1024)
                return 0;
            int n = nstk < (uint64_t)max ? (int)nstk : max;
            return rd(s, bk + l->bk_hdr, site, (size_t)n * 8) == 0 ? n : 0;
        }
        sl = ms_gm_rdn(rec, 8);
    }
    return 0;
}

/* ----------------------------------------------------------------- types -- */

#define MIN_TOPHASH  5  /* tophash of a filled slot; below: empty or evacuated */
#define TYPE_BUCKETS 32 /* buckets read to judge candidate types by their entries */
#define BAD_POINTER  1000

/* Could v be a pointer a Go program stores: into the heap or the binary's data? */
static bool pointer_ok(const struct scan *s, uint64_t v)
{
    return span_of(s, v) || (v > s->bias && ms_gobin_at(s->bin, v - s->bias, 1));
}

/* A pointer to a T of size sz usually points at the start of a heap object of T's
 * size class (or into the binary's data); count it against the type when not. */
static unsigned pointee_misfit(const struct scan *s, uint64_t v, uint64_t sz)
{
    const struct span *sp = sz && v ? span_of(s, v) : NULL;
    return sp && sp->elemsize != ms_go_roundupsize(sz) ? 1 : 0;
}

/* How badly do the filled slots of buckets [b, b + n * bs) fit type t?  A word the
 * type says is a pointer must be nil or point somewhere real (and, for a *T key or
 * element, to an object of T's size); a word it says is not should rarely point
 * into the heap. */
static unsigned misfit(const struct scan *s, const struct ms_gomaptype *t, const uint8_t *b,
                       size_t n, unsigned bs)
{
    unsigned bad = 0;
    for (size_t k = 0; k < n; k++, b += bs)
        for (unsigned i = 0; i < 8; i++) {
            if (b[i] < MIN_TOPHASH)
                continue;
            unsigned ranges[2][2] = {{8 + i * t->keysize, t->keysize},
                                     {8 + 8 * t->keysize + i * t->elemsize, t->elemsize}};
            for (int r = 0; r < 2; r++)
                for (unsigned off = (ranges[r][0] + 7) & ~7u;
                     off + 8 <= ranges[r][0] + ranges[r][1] && off + 8 <= bs; off += 8) {
                    uint64_t v = ms_gm_rdn(b + off, 8), w = off / 8;
                    bool ptr = w < t->ptrwords && ((t->ptrmask[w / 8] >> (w % 8)) & 1);
                    if (ptr && v && !pointer_ok(s, v))
                        bad += BAD_POINTER;
                    else if (!ptr && span_of(s, v))
                        bad++;
                    else if (ptr && off == ranges[r][0])
                        bad += pointee_misfit(s, v, r ? t->elem_pointee : t->key_pointee);
                }
        }
    return bad;
}

/*
 * Which of the binary's map types is the map at f?  Its arrays' sizes allow bucket
 * sizes [bs_lo, bs_hi], and its array is pointer-free or not.  Several types often
 * fit (map[string]int and map[int64]string have the same bucket size); for maps
 * with pointers, the entries tell them apart: read some buckets holding entries
 * and keep the types whose pointer words (the bucket type's GC bitmap) fit them.
 */
static void recognise(struct scan *s, struct gm_found *f, uint64_t from, uint64_t nbuckets)
{
    size_t fit[64], nfit = 0;
    for (size_t j = 0; j < s->nmt; j++)
        if (s->mt[j].bucketsize >= f->bs_lo && s->mt[j].bucketsize <= f->bs_hi &&
            s->mt[j].ptr_free == f->ptr_free) {
            if (nfit < sizeof fit / sizeof fit[0])
                fit[nfit] = j;
            nfit++;
        }
    if (nfit > 1 && nfit <= sizeof fit / sizeof fit[0] && !f->ptr_free && f->bs_lo == f->bs_hi) {
        size_t n = nbuckets < TYPE_BUCKETS ? (size_t)nbuckets : TYPE_BUCKETS;
        uint8_t *b = malloc(n * f->bs_lo);
        if (b && rd(s, from, b, n * f->bs_lo) == 0) {
            unsigned score[64], best = ~0u;
            for (size_t k = 0; k < nfit; k++) {
                const struct ms_gomaptype *t = &s->mt[fit[k]];
                score[k] = t->ptrmask ? misfit(s, t, b, n, f->bs_lo) : BAD_POINTER - 1;
                best = score[k] < best ? score[k] : best;
            }
            size_t w = 0;
            for (size_t k = 0; k < nfit; k++)
                if (score[k] == best && best < BAD_POINTER)
                    fit[w++] = fit[k];
            if (w) {
                f->by_content = w < nfit;
                nfit = w;
            }
        }
        free(b);
    }
    f->ntypes = nfit;
    for (size_t k = 0; k < nfit && k < GM_FOUND_TYPES; k++)
        f->types[k] = s->mt[fit[k]].addr;
}

/* Is the header at h a live map with a large bucket array?  Fills f when it is. */
static bool check_hmap(struct scan *s, uint64_t h, const uint8_t *b, struct gm_found *f)
{
    const struct ms_golayout *l = s->lay;
    uint64_t count = ms_gm_rdn(b + l->count, 8), buckets = ms_gm_rdn(b + l->buckets, 8);
    uint64_t old = ms_gm_rdn(b + l->oldbuckets, 8), nevac = ms_gm_rdn(b + l->nevacuate, 8);
    uint64_t extra = ms_gm_rdn(b + l->extra, 8);
    unsigned B = b[l->B], flags = b[l->flags];
    if (B < 4 || B > 40 || flags > 15 || !buckets || count > 13 * (1ULL << (B - 1)) + 8)
        return false;
    const struct span *sb = span_of(s, buckets), *so = NULL;
    if (!sb || (sb->spanclass >> 1) != 0 || sb->start != buckets)
        return false; /* the current array must be a large object, seen from its start */
    unsigned oldB = (flags & 8) ? B : B - 1, lo = MIN_BUCKETSZ, hi = MAX_BUCKETSZ;
    if (old ? nevac >= (1ULL << oldB)
            : nevac != 0 && nevac != (1ULL << (B - 1)) && nevac != (1ULL << B))
        return false; /* growing: below the old bucket count; done: 0 or where it ended */
    if (!fit(s, sb, 0, B, &lo, &hi))
        return false;
    if (old) {
        so = span_of(s, old);
        if (!so || (so->spanclass & 1) != (sb->spanclass & 1) ||
            !fit(s, so, old - so->start, oldB, &lo, &hi))
            return false;
    }
    if (extra) {
        const struct span *se = span_of(s, extra);
        if (!se || (se->spanclass >> 1) == 0 || (extra - se->start) % se->elemsize)
            return false;
    }
    memset(f, 0, sizeof *f);
    f->h = h;
    memcpy(f->hdr, b, l->hmap_size);
    f->arr_span = sb->addr;
    f->arr_bytes = sb->elemsize;
    f->old_bytes = so ? so->elemsize : 0;
    f->bs_lo = lo;
    f->bs_hi = hi;
    f->ptr_free = sb->spanclass & 1;
    /* its entries: in the old array's unevacuated buckets while it grows */
    if (old)
        recognise(s, f, old + nevac * lo, (1ULL << oldB) - nevac);
    else
        recognise(s, f, buckets, 1ULL << B);
    /* where the current array was allocated, else the old one (the growth before) */
    f->nsite = profile_site(s, sb, f->site, GM_SITE_FRAMES);
    if (!f->nsite && so && (so->spanclass >> 1) == 0)
        f->nsite = profile_site(s, so, f->site, GM_SITE_FRAMES);
    return true;
}

/* ----------------------------------------------------------- Swiss maps -- */

#define SW_SP_LARGETYPE 152         /* mspan.largeType (Go 1.22+): a large object's type */
#define SW_MIN_HELD     (64u << 10) /* maps holding less are not followed */

/* Is addr the start of a heap object (after its 8-byte malloc header, if any)?
 * Its span, and the object's base in *base. */
static const struct span *object_at(const struct scan *s, uint64_t addr, uint64_t *base)
{
    const struct span *sp = span_of(s, addr);
    if (!sp)
        return NULL;
    uint64_t off = (addr - sp->start) % sp->elemsize;
    if (off != 0 && off != 8)
        return NULL;
    *base = addr - off;
    return sp;
}

/* The group type's name "noalg.map.group[K]V" gives the map's key and element. */
static bool parse_group_name(const char *n, char *key, size_t kl, char *elem, size_t el)
{
    const char *p = strstr(n, "map.group[");
    if (!p)
        return false;
    p += strlen("map.group[");
    int depth = 1;
    const char *q = p;
    for (; *q && depth; q++)
        depth += *q == '[' ? 1 : *q == ']' ? -1 : 0;
    if (depth || !*q)
        return false;
    snprintf(key, kl, "%.*s", (int)(q - 1 - p), p);
    snprintf(elem, el, "%s", q);
    return true;
}

/* The type record of the group array at groups (a pointer-holding object records
 * its type: small ones in a malloc header before it, large ones in their span). */
static void swiss_type(struct scan *s, uint64_t groups, struct gm_found *f)
{
    uint64_t base, typ = 0, size = 0;
    const struct span *sp = object_at(s, groups, &base);
    if (!sp || (sp->spanclass & 1)) /* noscan: no pointers, no type record */
        return;
    if ((sp->spanclass >> 1) == 0) {
        if (base != groups || rd(s, sp->addr + SW_SP_LARGETYPE, &typ, 8) < 0)
            return;
    } else if (base + 8 != groups || rd(s, base, &typ, 8) < 0) {
        return;
    }
    char name[256];
    if (!typ || rd(s, typ, &size, 8) < 0 || size < 16 || size > 8 + 8 * 256 ||
        !strcmp(ms_gotype_name(s->bin, typ - s->bias, name, sizeof name), "?"))
        return;
    if (parse_group_name(name, f->key, sizeof f->key, f->elem, sizeof f->elem)) {
        f->groupsize = size;
        f->named = true;
    }
}

/* Is the 48-byte slot at m a live Swiss Map with tables, holding SW_MIN_HELD or more?
 * Its directory must be a heap object, every table a 32-byte object with a sound
 * header and a group array in the heap, and the tables' live entries must add up
 * to the header's count. */
static bool check_swiss(struct scan *s, uint64_t m, const uint8_t *b, struct gm_found *f)
{
    const struct sw_layout *l = s->swl;
    uint64_t used = ms_gm_rdn(b + l->used, 8), dir = ms_gm_rdn(b + l->dirptr, 8);
    uint64_t dirlen = ms_gm_rdn(b + l->dirlen, 8), base;
    unsigned gd = b[l->gdepth];
    if (!dir || !dirlen || dirlen > 65536 || (dirlen & (dirlen - 1)) || dirlen != 1ULL << gd ||
        b[l->gshift] != 64 - gd || b[l->writing] > 1)
        return false;
    const struct span *ds = object_at(s, dir, &base);
    if (!ds || ds->elemsize < dirlen * 8)
        return false;
    uint64_t *tabs = malloc(dirlen * 8), sum = 0, held = ds->elemsize, first_groups = 0;
    bool ok = tabs && rd(s, dir, tabs, dirlen * 8) == 0;
    uint64_t tabs0 = ok ? tabs[0] : 0;
    for (uint64_t i = 0; ok && i < dirlen;) {
        uint8_t t[32];
        const struct span *ts = object_at(s, tabs[i], &base);
        ok = ts && ts->elemsize == 32 && base == tabs[i] && rd(s, tabs[i], t, 32) == 0;
        if (!ok)
            break;
        uint64_t cap = ms_gm_rdn(t + l->t_cap, 2), tu = ms_gm_rdn(t + l->t_used, 2);
        uint64_t left = ms_gm_rdn(t + l->t_growth, 2), ld = t[l->t_ldepth];
        uint64_t groups = ms_gm_rdn(t + l->t_groups, 8), mask = ms_gm_rdn(t + l->t_mask, 8);
        const struct span *gs = object_at(s, groups, &base);
        ok = cap >= 8 && cap <= 1024 && !(cap & (cap - 1)) && ld <= gd &&
             tu + left <= ms_sw_max_growth(cap) && mask + 1 == cap / 8 && gs;
        if (!ok)
            break;
        sum += tu;
        held += 32 + gs->elemsize;
        if (!first_groups)
            first_groups = groups;
        i = (i >> (gd - ld) << (gd - ld)) + (1ULL << (gd - ld));
    }
    free(tabs);
    if (!ok || sum != used || held < SW_MIN_HELD)
        return false;
    memset(f, 0, sizeof *f);
    f->h = m;
    memcpy(f->hdr, b, l->map_size);
    f->arr_bytes = held;
    swiss_type(s, first_groups, f);
    if (!f->named) {
        /* no type record (pointer-free groups): the largest group size whose arrays
         * come out at the size the allocator gave, so the bytes held are exact */
        const struct span *gs = object_at(s, first_groups, &base);
        uint8_t t[32];
        uint64_t n = rd(s, tabs0, t, 32) == 0 ? ms_gm_rdn(t + l->t_mask, 8) + 1 : 0;
        f->ptr_free = gs->spanclass & 1;
        for (uint64_t g = n ? (gs->elemsize / n) & ~7ULL : 0; g >= 16; g -= 8)
            if (ms_sw_alloc_bytes(g * n, !f->ptr_free) == gs->elemsize) {
                f->groupsize = g;
                break;
            }
        snprintf(f->key, sizeof f->key, "?");
        snprintf(f->elem, sizeof f->elem, "?");
    }
    return true;
}

int ms_gm_heap_slot_live(pid_t pid, const struct ms_golayout *lay, uint64_t span, uint64_t slot,
                         uint32_t H)
{
    struct gm_scan_stats st = {0};
    struct scan s = {.pid = pid, .lay = lay, .limit = 1 << 20, .st = &st, .H = H, .H_known = true};
    s.deadline = ms_now() + 1000;
    uint8_t b[256], state, alloc = 0, mark = 0;
    struct span sp;
    if (span_len(lay) > sizeof b || rd(&s, span, b, span_len(lay)) < 0)
        return -1;
    decode_span(lay, span, b, &sp, &state);
    if (state != STATE_IN_USE || !span_ok(&sp) || slot >= sp.nelems)
        return 0;
    if (rd(&s, sp.allocbits + slot / 8, &alloc, 1) < 0 ||
        rd(&s, sp.markbits + slot / 8, &mark, 1) < 0)
        return -1;
    return live_bits(&s, &sp, slot < sp.freeindex || ((alloc >> (slot % 8)) & 1),
                     (mark >> (slot % 8)) & 1)
               ? 1
               : 0;
}

static int push_found(struct gm_found **fs, size_t *n, size_t *cap, const struct gm_found *f)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct gm_found *p = realloc(*fs, nc * sizeof *p);
        if (!p)
            return -1;
        *fs = p;
        *cap = nc;
    }
    (*fs)[(*n)++] = *f;
    return 0;
}

/* Every live slot of the hmap-class spans that is a map with a large array. */
static int scan_hmaps(struct scan *s, struct gm_found **fs, size_t *nf)
{
    uint64_t esz = ms_go_roundupsize(s->swl ? s->swl->map_size : s->lay->hmap_size);
    size_t cap = 0, nb = 0;
    struct span *batch[HMAP_BATCH];
    for (size_t i = 0; i <= s->n; i++) {
        struct span *sp = i < s->n ? &s->spans[i] : NULL;
        if (sp && (sp->spanclass >> 1) && !(sp->spanclass & 1) && sp->elemsize == esz &&
            sp->npages <= 8)
            batch[nb++] = sp;
        if (nb < HMAP_BATCH && sp)
            continue;
        /* read the batch: the span's pages, its allocation bits and its mark bits */
        struct iovec lv[HMAP_BATCH * 3], rv[HMAP_BATCH * 3];
        bool ok[HMAP_BATCH * 3];
        size_t total = 0;
        for (size_t k = 0; k < nb; k++)
            total += batch[k]->npages * PAGE + 2 * ((batch[k]->nelems + 7) / 8);
        uint8_t *buf = total ? malloc(total) : NULL, *p = buf;
        if (total && !buf)
            return -1;
        for (size_t k = 0; k < nb; k++) {
            size_t bits = (batch[k]->nelems + 7) / 8, data = batch[k]->npages * PAGE;
            lv[3 * k] = (struct iovec){p, data};
            rv[3 * k] = (struct iovec){(void *)(uintptr_t)batch[k]->start, data};
            lv[3 * k + 1] = (struct iovec){p + data, bits};
            rv[3 * k + 1] = (struct iovec){(void *)(uintptr_t)batch[k]->allocbits, bits};
            lv[3 * k + 2] = (struct iovec){p + data + bits, bits};
            rv[3 * k + 2] = (struct iovec){(void *)(uintptr_t)batch[k]->markbits, bits};
            p += data + 2 * bits;
        }
        if (nb && readv_ok(s, lv, rv, 3 * nb, ok) < 0) {
            free(buf);
            return -1;
        }
        for (size_t k = 0; k < nb; k++) {
            if (!ok[3 * k] || !ok[3 * k + 1] || !ok[3 * k + 2])
                continue;
            const struct span *x = batch[k];
            const uint8_t *data = lv[3 * k].iov_base, *alloc = lv[3 * k + 1].iov_base,
                          *mark = lv[3 * k + 2].iov_base;
            s->st->hmap_spans++;
            for (uint64_t j = 0; j < x->nelems; j++) {
                struct gm_found f;
                if (!slot_live(s, x, alloc, mark, j))
                    continue;
                s->st->slots++;
                bool is_map = s->swl ? check_swiss(s, x->start + j * esz, data + j * esz, &f)
                                     : check_hmap(s, x->start + j * esz, data + j * esz, &f);
                if (is_map) {
                    f.hdr_span = x->addr;
                    f.hdr_slot = j;
                    if (push_found(fs, nf, &cap, &f) < 0) {
                        free(buf);
                        return -1;
                    }
                }
            }
        }
        free(buf);
        nb = 0;
    }
    return 0;
}

/* Two headers claiming one bucket array: neither can be trusted (a stale copy). */
static size_t drop_shared(struct gm_found *fs, size_t n, const struct ms_golayout *l)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        bool shared = false;
        for (size_t j = 0; j < n && !shared; j++)
            shared = j != i &&
                     ms_gm_rdn(fs[j].hdr + l->buckets, 8) == ms_gm_rdn(fs[i].hdr + l->buckets, 8);
        if (!shared)
            fs[w++] = fs[i];
    }
    return w;
}

int ms_gm_heap_scan(pid_t pid, const struct ms_gobin *bin, const struct ms_golayout *lay,
                    const struct sw_layout *swl, uint64_t bias, uint64_t limit,
                    struct gm_found **out, size_t *nout, struct gm_scan_stats *st)
{
    struct scan s = {.pid = pid,
                     .swl = swl,
                     .bin = bin,
                     .bias = bias,
                     .lay = lay,
                     .minor = bin->minor,
                     .limit = limit,
                     .st = st};
    struct ms_gomaptype *mt = malloc(MAX_MAPTYPES * sizeof *mt);
    s.mt = mt;
    s.nmt = mt && !swl ? ms_gotypes_maps(bin, lay, mt, MAX_MAPTYPES) : 0;
    double t0 = ms_now();
    s.deadline = t0 + GM_SCAN_MAX_MS;
    uint64_t at, arr, len;
    size_t bad = 0;
    int rc = -1;
    memset(st, 0, sizeof *st);
    *out = NULL;
    *nout = 0;
    if (find_allspans(&s, bin, bias, &at, &arr, &len) < 0) {
        st->failed = st->truncated
                         ? "the byte limit was reached before the span table was found"
                         : "the runtime's span table (mheap_.allspans) was not found, or its "
                           "spans do not match this Go version's layout";
        goto done;
    }
    st->allspans = at;
    /* the span pointers, a chunk at a time, and the spans they point to */
    enum { CHUNK = 8192 };
    uint64_t *ptrs = malloc(CHUNK * sizeof *ptrs);
    for (uint64_t i = 0; ptrs && i < len; i += CHUNK) {
        size_t k = len - i < CHUNK ? (size_t)(len - i) : CHUNK;
        if (rd(&s, arr + i * 8, ptrs, k * 8) < 0 || read_spans(&s, ptrs, k, &bad) < 0)
            break;
    }
    free(ptrs);
    st->inuse_spans = s.n;
    if (bad * 100 > s.n + bad || (!s.n && !st->truncated)) {
        st->failed = "the span structures do not match this Go version's layout";
        goto done;
    }
    qsort(s.spans, s.n, sizeof *s.spans, by_start);
    learn_sweepgen(&s, at);
    st->sweepgen_known = s.H_known;
    st->sweepgen_addr = at - lay->mh_sweepgen_back;
    st->sweepgen = s.H;
    if (scan_hmaps(&s, out, nout) < 0 && !st->truncated) {
        st->failed = "the process went away";
        goto done;
    }
    if (!swl)
        *nout = drop_shared(*out, *nout, lay);
    rc = 0;
done:
    st->found = *nout;
    st->ms = ms_now() - t0;
    free(s.spans);
    free(mt);
    return rc;
}
