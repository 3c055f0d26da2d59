/*
 * inherit.c — what a forked child inherited from its parent.
 *
 * fork copies the parent's books into the child.  Left there, every block
 * of the parent would be reported again by each child (as its in-use
 * figures, its peak, its leaks) and a merged report of the tree would add
 * the parent's heap once per child: redis with two BGSAVE children said
 * "leaked 71.4 MiB" for a 24 MiB dataset.  So the child's fork handler hands
 * the books over (books.c: the maps as they are, no copy) and starts from
 * zero: its dumps count only its own allocations, and the inherited blocks
 * stay the parent's, reported once, by the parent.
 *
 * The handed-over maps are kept as one level per fork (a child of a child
 * has two: its grandparent's blocks and its parent's own), so a free of an
 * inherited block is recognised: it is counted as such (inherited_frees,
 * inherited_bytes_freed) instead of as a free the shim never saw, and it
 * changes none of the child's own figures.  Nothing is copied: the child
 * touches a page of the inherited maps only to remove a block it frees, so
 * the copy-on-write cost of the fork stays what the program caused itself.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "books.h"
#include "dump_format.h"
#include "dump_write.h"
#include "inherit.h"
#include "map.h"
#include "packed.h"
#include "sampler.h"

/* Deeper fork chains than this fold their oldest levels together. */
#define MAX_LEVELS 8

unsigned ms_inherit_levels;

static struct {
    ms_smap *live, *big;
} level[MAX_LEVELS];

/* Figures at the latest fork (units as the books': counts << shift in
 * sampled mode) and the child's frees of inherited blocks since. */
static uint64_t at_fork_blocks, at_fork_bytes;
static _Atomic uint64_t freed_blocks, freed_bytes;

void ms_timeline_after_fork_child(void);

static bool fold_one(const void *key, void *val, void *ctx)
{
    ms_smap_put(ctx, key, val);
    return true;
}

void ms_inherit_after_fork_child(void)
{
    ms_smap *old_live, *old_big;
    struct ms_totals t;
    if (ms_books_hand_over(&old_live, &old_big, &t) != 0)
        return;
    /* Everything alive in the parent: its own blocks and what it had
     * inherited itself and not freed. */
    at_fork_blocks = t.live_blocks + at_fork_blocks - ms_books_units(atomic_load(&freed_blocks));
    at_fork_bytes = t.live_bytes + at_fork_bytes - atomic_load(&freed_bytes);
    atomic_store(&freed_blocks, 0);
    atomic_store(&freed_bytes, 0);
    if (ms_inherit_levels == MAX_LEVELS) {
        /* Fold the new level into the newest kept one (rare: a chain of
         * nine forks without exec). */
        ms_smap_foreach(old_live, fold_one, level[MAX_LEVELS - 1].live);
        ms_smap_foreach(old_big, fold_one, level[MAX_LEVELS - 1].big);
    } else {
        level[ms_inherit_levels].live = old_live;
        level[ms_inherit_levels].big = old_big;
        ms_inherit_levels++;
    }
    ms_timeline_after_fork_child();
}

bool ms_inherit_free(void *p)
{
    for (unsigned i = ms_inherit_levels; i-- > 0;) {
        uint64_t packed, size;
        if (!ms_smap_take(level[i].live, &p, &packed))
            continue;
        size = ms_packed_size(packed);
        if (size == MS_SIZE_BIG)
            ms_smap_take(level[i].big, &p, &size);
        if (ms_count_shift)
            ms_filter_remove(p);
        uint64_t bytes, w = ms_books_weight(size, &bytes);
        atomic_fetch_add_explicit(&freed_blocks, w, memory_order_relaxed);
        atomic_fetch_add_explicit(&freed_bytes, bytes, memory_order_relaxed);
        return true;
    }
    return false;
}

/* fork: a grandchild must not inherit a shard lock held mid-free by
 * another thread (books.c takes these with its own). */
void ms_inherit_lock_all(void)
{
    for (unsigned i = 0; i < ms_inherit_levels; i++) {
        ms_smap_lock_all(level[i].live);
        ms_smap_lock_all(level[i].big);
    }
}

void ms_inherit_unlock_all(void)
{
    for (unsigned i = ms_inherit_levels; i-- > 0;) {
        ms_smap_unlock_all(level[i].big);
        ms_smap_unlock_all(level[i].live);
    }
}

void ms_inherit_reinit_locks(void)
{
    for (unsigned i = 0; i < ms_inherit_levels; i++) {
        ms_smap_reinit_locks(level[i].live);
        ms_smap_reinit_locks(level[i].big);
    }
}

static void nv(struct ms_dw *w, const char *name, uint64_t v)
{
    ms_dw_str(w, name);
    ms_dw_u64(w, v);
}

void ms_inherit_write(struct ms_dw *w)
{
    if (!ms_inherit_levels)
        return;
    ms_dw_rec_begin(w, MS_REC_TOTALS);
    ms_dw_u32(w, 4);
    nv(w, MS_TOTAL_INHERITED_BLOCKS, at_fork_blocks);
    nv(w, MS_TOTAL_INHERITED_BYTES, at_fork_bytes);
    nv(w, MS_TOTAL_INHERITED_FREES, ms_books_units(atomic_load(&freed_blocks)));
    nv(w, MS_TOTAL_INHERITED_BYTES_FREED, atomic_load(&freed_bytes));
    ms_dw_rec_end(w);
}
