/*
 * linger.c — live blocks older than the threshold, grouped by stack.
 *
 * A service that never exits never gets an exit-time leak report; what it
 * has instead are blocks that stay alive far longer than anything should
 * (libleak's "expire").  At each dump the live blocks are walked once, one
 * shard of the books at a time, and those older than MAPSCOPE_LINGER are
 * added up per stack with an age histogram whose bins start at 1, 4, 16,
 * ... 4^7 times the threshold.  The per-stack groups are kept in a map
 * engine instance of their own (stack id -> group index) for the duration of
 * the dump, so the cost is proportional to the lingering stacks, not to all
 * stacks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "books.h"
#include "dump_format.h"
#include "dump_write.h"
#include "linger.h"
#include "map.h"
#include "nursery.h"
#include "packed.h"
#include "sampler.h"
#include "shim_config.h"
#include "shim_mem.h"

struct group {
    uint32_t stack;
    uint64_t blocks, bytes, oldest;
    uint64_t bin_blocks[MS_LINGER_BINS], bin_bytes[MS_LINGER_BINS];
};

struct walk {
    ms_map *index; /* stack id -> group number */
    struct group *groups;
    size_t n, cap;
    uint32_t now_tick;
    uint64_t tick_ns, threshold;
    bool failed;
};

static bool grow(struct walk *w)
{
    size_t cap = w->cap ? w->cap * 2 : 256;
    struct group *g = ms_mem_map(cap * sizeof *g, MS_MEM_DUMP);
    if (!g)
        return false;
    if (w->groups) {
        memcpy(g, w->groups, w->n * sizeof *g);
        ms_mem_unmap(w->groups, w->cap * sizeof *g, MS_MEM_DUMP);
    }
    w->groups = g;
    w->cap = cap;
    return true;
}

static bool visit(const void *key, void *val, void *ctx)
{
    struct walk *w = ctx;
    uint64_t v;
    void *p;
    memcpy(&v, val, sizeof v);
    memcpy(&p, key, sizeof p);
    uint64_t age = (uint64_t)((w->now_tick - ms_packed_birth(v)) & 0xffffu) * w->tick_ns;
    if (age < w->threshold)
        return true;
    uint32_t stack = ms_packed_stack(v);
    bool fresh;
    uint32_t *gi = ms_map_assign(w->index, &stack, &fresh);
    if (!gi) {
        w->failed = true;
        return false;
    }
    if (fresh) {
        if (w->n == w->cap && !grow(w)) {
            ms_map_delete(w->index, &stack, NULL);
            w->failed = true;
            return false;
        }
        *gi = (uint32_t)w->n;
        memset(&w->groups[w->n], 0, sizeof(struct group));
        w->groups[w->n++].stack = stack;
    }
    struct group *g = &w->groups[*gi];
    uint64_t size = ms_books_size_of(p, v);
    uint64_t bytes = size, blocks = 1ull << ms_count_shift;
    if (ms_count_shift) {
        blocks = ms_sample_weight_fp(size);
        bytes = (uint64_t)(((unsigned __int128)size * blocks + (1u << (ms_count_shift - 1))) >>
                           ms_count_shift);
    }
    g->blocks += blocks;
    g->bytes += bytes;
    if (age > g->oldest)
        g->oldest = age;
    unsigned bin = 0;
    uint64_t edge = w->threshold * 4;
    while (bin + 1 < MS_LINGER_BINS && age >= edge) {
        bin++;
        edge *= 4;
    }
    g->bin_blocks[bin] += blocks;
    g->bin_bytes[bin] += bytes;
    return true;
}

static uint64_t units(uint64_t v)
{
    return ms_count_shift ? (v + (1ull << (ms_count_shift - 1))) >> ms_count_shift : v;
}

void ms_linger_write(struct ms_dw *dw, uint64_t now_mono_ns)
{
    (void)now_mono_ns;
    if (!ms_cfg.linger_ns)
        return;
    struct walk w = {0};
    w.index = ms_map_create(sizeof(uint32_t), sizeof(uint32_t), 64);
    if (!w.index)
        return;
    w.now_tick = ms_books_now_tick();
    w.tick_ns = ms_birth_tick_ns();
    w.threshold = ms_cfg.linger_ns;
    ms_smap_foreach(ms_books_live_map(), visit, &w);
    if (!w.failed)
        ms_nursery_visit_all(visit, &w);
    for (size_t i = 0; i < w.n; i++) {
        struct group *g = &w.groups[i];
        ms_dw_rec_begin(dw, MS_REC_LINGER);
        ms_dw_u32(dw, g->stack);
        ms_dw_u32(dw, MS_LINGER_BINS);
        ms_dw_u64(dw, units(g->blocks));
        ms_dw_u64(dw, g->bytes);
        ms_dw_u64(dw, g->oldest);
        uint64_t edge = w.threshold;
        for (unsigned b = 0; b < MS_LINGER_BINS; b++, edge *= 4) {
            ms_dw_u64(dw, edge);
            ms_dw_u64(dw, units(g->bin_blocks[b]));
            ms_dw_u64(dw, g->bin_bytes[b]);
        }
        ms_dw_rec_end(dw);
    }
    if (w.groups)
        ms_mem_unmap(w.groups, w.cap * sizeof(struct group), MS_MEM_DUMP);
    ms_map_destroy(w.index);
}
