/*
 * reach_scan.c — valgrind's leak kinds by a conservative mark of the heap.
 *
 * Pure code over memory the caller says is readable: the sorted live
 * blocks, root ranges and root words.  Every aligned word is a candidate
 * pointer; a word that falls in a block (its requested bytes, or exactly at
 * the start of a zero-sized block) refers to it, through its start or its
 * interior.  The two passes are memcheck's (see reach.h for the kinds):
 *
 *  1. From the roots: a start pointer from a root or from a still reachable
 *     block makes a block still reachable; any other pointer makes an
 *     unreached block possibly lost.  A block whose state rises is pushed
 *     again, so what it points to rises with it.  Each block is pushed at
 *     most twice (unreached -> possible -> reachable).
 *  2. Cliques: each block still unreached, in address order, leads a walk
 *     over the unreached blocks it points to (start or interior), which
 *     become indirectly lost; a leader met by a later walk becomes
 *     indirectly lost too.  Each block is pushed at most once.
 * So the mark stack never holds more than 2n entries, and nothing here
 * allocates (the scan runs in a forked child that must not touch the
 * program's allocator).
 */
#include "reach.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WORD sizeof(uintptr_t)

static bool before(const struct ms_rblock *a, const struct ms_rblock *b)
{
    return a->addr < b->addr;
}

static void sift(struct ms_rblock *b, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && before(&b[c], &b[c + 1]))
            c++;
        if (!before(&b[i], &b[c]))
            return;
        struct ms_rblock t = b[i];
        b[i] = b[c];
        b[c] = t;
        i = c;
    }
}

void ms_reach_sort(struct ms_rblock *b, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(b, i, n);
    for (size_t k = n; k-- > 1;) {
        struct ms_rblock t = b[0];
        b[0] = b[k];
        b[k] = t;
        sift(b, 0, k);
    }
}

void ms_reach_begin(struct ms_rscan *s, struct ms_rblock *b, size_t n, uint32_t *mark)
{
    s->b = b;
    s->n = n;
    s->mark = mark;
    s->top = 0;
    s->lo = n ? b[0].addr : 1;
    s->hi = 0;
    for (size_t i = 0; i < n; i++) {
        b[i].kind = MS_RK_DEFINITE;
        uintptr_t end = b[i].addr + (b[i].size ? b[i].size : 1);
        if (end > s->hi)
            s->hi = end;
    }
    s->root_bytes = s->block_bytes = s->faults = 0;
}

long ms_reach_find(const struct ms_rscan *s, uintptr_t w)
{
    if (w < s->lo || w >= s->hi)
        return -1;
    size_t lo = 0, hi = s->n; /* the answer is the last block with addr <= w */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->b[mid].addr <= w)
            lo = mid;
        else
            hi = mid;
    }
    const struct ms_rblock *b = &s->b[lo];
    if (w < b->addr)
        return -1;
    if (w - b->addr < b->size || (b->size == 0 && w == b->addr))
        return (long)lo;
    return -1;
}

static void push(struct ms_rscan *s, size_t i)
{
    if (s->top < 2 * s->n + 1)
        s->mark[s->top++] = (uint32_t)i;
}

/* Pass 1: w was read from a root (prior_definite, from_root) or from a
 * block that is still reachable (prior_definite) or possibly lost. */
static void reach(struct ms_rscan *s, uintptr_t w, bool prior_definite, bool from_root)
{
    long i = ms_reach_find(s, w);
    if (i < 0)
        return;
    struct ms_rblock *b = &s->b[i];
    if (b->kind == MS_RK_REACHABLE)
        return;
    bool start = w == b->addr;
    if (!start && from_root && s->tail && w == s->tail(b))
        return;
    if (start && prior_definite) {
        b->kind = MS_RK_REACHABLE;
        push(s, (size_t)i);
    } else if (b->kind == MS_RK_DEFINITE) {
        b->kind = MS_RK_POSSIBLE;
        push(s, (size_t)i);
    }
}

void ms_reach_root_word(struct ms_rscan *s, uintptr_t w)
{
    reach(s, w, true, true);
}

static void root_words(struct ms_rscan *s, uintptr_t lo, uintptr_t hi)
{
    lo = (lo + WORD - 1) & ~(uintptr_t)(WORD - 1);
    hi &= ~(uintptr_t)(WORD - 1);
    if (lo >= hi)
        return;
    s->root_bytes += hi - lo;
    for (const uintptr_t *p = (const uintptr_t *)lo; p < (const uintptr_t *)hi; p++) {
        uintptr_t w = *p;
        if (w >= s->lo && w < s->hi)
            reach(s, w, true, true);
    }
}

void ms_reach_root_range(struct ms_rscan *s, uintptr_t lo, uintptr_t hi)
{
    /* The first block that ends after lo, then the gaps between blocks. */
    size_t a = 0, b = s->n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (s->b[mid].addr + s->b[mid].size <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    uintptr_t at = lo;
    for (size_t i = a; i < s->n && s->b[i].addr < hi && at < hi; i++) {
        if (s->b[i].addr > at)
            root_words(s, at, s->b[i].addr);
        uintptr_t end = s->b[i].addr + s->b[i].size;
        if (end > at)
            at = end;
    }
    if (at < hi)
        root_words(s, at, hi);
}

/* The words of block i, each passed to fn. */
#define BLOCK_WORDS(s, i, w, body)                                                                 \
    do {                                                                                           \
        const struct ms_rblock *blk_ = &(s)->b[i];                                                 \
        const uintptr_t *p_ = (const uintptr_t *)blk_->addr;                                       \
        size_t nw_ = blk_->size / WORD;                                                            \
        (s)->block_bytes += nw_ * WORD;                                                            \
        for (size_t k_ = 0; k_ < nw_; k_++) {                                                      \
            uintptr_t w = p_[k_];                                                                  \
            if (w >= (s)->lo && w < (s)->hi)                                                       \
                body;                                                                              \
        }                                                                                          \
    } while (0)

static void clique(struct ms_rscan *s, size_t leader)
{
    push(s, leader);
    while (s->top) {
        size_t j = s->mark[--s->top];
        BLOCK_WORDS(s, j, w, {
            long k = ms_reach_find(s, w);
            if (k >= 0 && (size_t)k != leader && s->b[k].kind == MS_RK_DEFINITE) {
                s->b[k].kind = MS_RK_INDIRECT;
                push(s, (size_t)k);
            }
        });
    }
}

void ms_reach_finish(struct ms_rscan *s)
{
    while (s->top) {
        size_t i = s->mark[--s->top];
        bool def = s->b[i].kind == MS_RK_REACHABLE;
        BLOCK_WORDS(s, i, w, reach(s, w, def, false));
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->b[i].kind == MS_RK_DEFINITE)
            clique(s, i);
}
