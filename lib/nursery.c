/*
 * nursery.c — each thread's youngest live blocks, kept out of the map.
 *
 * Most blocks die young.  A block that goes into the books' map and out
 * again costs two map operations, each a lock and, with a large live set,
 * cache misses on a random bucket.  So a new block first goes into its
 * thread's nursery: 16384 slots (256 KiB) indexed by address, in the
 * thread's own memory.  Measured share of frees found there: sqlite3 99.6%
 * already with 1024 slots; python3 48% at any size (its other blocks live
 * until exit); the benchmark's allocation churn, whose blocks die 4096
 * allocations later, 2% with 1024 slots, 37% with 4096, 78% with 16384,
 * which made it 10% faster.  A free by the
 * same thread finds it there; a block whose slot is needed by a newer one
 * moves on to the map.  Counters are unaffected (books.c counts at
 * allocation and free); only where the live block is kept changes.
 *
 * The move to the map waits in a ring of MS_NURSERY_RING blocks: a block
 * pushed out of its slot enters the ring, and the ring's oldest block goes
 * into the map.  The map insert is a cache (and TLB) miss in a big map;
 * books.c asks for the evictee's bucket before walking the stack, which
 * was not long enough to hide it (python3 builds a heap of 2.5M blocks,
 * one eviction per allocation: ms_map_assign_h was ~18% of the shim's
 * samples).  From the ring, the insert comes MS_NURSERY_RING evictions
 * after its bucket was asked for.  A block in the ring is still the
 * nursery's: frees, thieves, drains and visits look there too.
 *
 * Other threads must find young blocks too (one thread allocates, another
 * frees).  The freeing thread looks in its own nursery, then the map, then
 * every other thread's nursery at the block's slot and its ring (one load
 * each; the lock only on a match), then the map once more.  That last
 * lookup closes the race with an eviction: a block only moves forward,
 * slot -> ring -> map, and the owner writes where it goes *before*
 * clearing where it was, so a block missed in the map, its slot and the
 * ring (read in that order) was already in the map when the ring was
 * read.
 *
 * Dumps walk the nurseries too (the lingering report), the helper thread
 * moves old entries to the map (so birth ticks are clamped in one place),
 * a thread's nursery is emptied into the map when it exits, and in a fork
 * child the other threads' nurseries are.
 */
#include <linux/membarrier.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "books.h"
#include "map.h"
#include "nursery.h"
#include "packed.h"
#include "shim_base.h"

#define index_of ms_nursery_index

/* The owner's operations are biased: almost nobody else ever touches a
 * thread's nursery, so the owner works without a locked instruction (an
 * uncontended lock costs ~10 ns, twice per malloc/free pair: 15% of
 * redis-server's throughput under redis-benchmark).  The rare other users
 * (a thread freeing a block still young here, the helper, a dump, fork)
 * take the lock, and the first of them revokes the bias, Dekker-style
 * with membarrier(2) standing in for the owner's missing fence:
 *   owner:  owner_busy = 1; [compiler barrier]; read revoked;
 *           0: work, owner_busy = 0.   1: owner_busy = 0, take the lock.
 *   thief:  take the lock; if !revoked { revoked = 1; membarrier() };
 *           wait for owner_busy == 0; work; give the lock back.
 * membarrier runs a full barrier on every thread of the process, so either
 * the owner's read sees revoked, or the thief's read sees owner_busy (as
 * if the owner had fenced between its store and its load).  After a
 * revocation the owner uses the lock; every REBIAS of its operations it
 * clears revoked again (under the lock), so a thread that steals all the
 * time costs one membarrier per REBIAS operations, not one per steal. */
#define REBIAS 4096

bool ms_nursery_biased; /* nursery.h */

void ms_nursery_init(void)
{
    ms_nursery_biased =
        syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static void spin_lock(struct ms_nursery *n)
{
    /* Single-threaded (python3, sqlite3): no locked instruction (the map's
     * shard locks do the same). */
    if (ms_one_thread() && !atomic_load_explicit(&n->lock, memory_order_relaxed)) {
        atomic_store_explicit(&n->lock, 1, memory_order_relaxed);
        return;
    }
    unsigned spins = 0;
    while (atomic_exchange_explicit(&n->lock, 1, memory_order_acquire)) {
        while (atomic_load_explicit(&n->lock, memory_order_relaxed)) {
            if (++spins < 64)
                __builtin_ia32_pause();
            else
                sched_yield(); /* the holder was preempted: let it run */
        }
    }
}

void ms_nursery_lock(struct ms_nursery *n)
{
    spin_lock(n);
    if (!ms_nursery_biased || ms_one_thread())
        return; /* no owner can be in a biased operation */
    if (!atomic_load_explicit(&n->revoked, memory_order_relaxed)) {
        atomic_store_explicit(&n->revoked, 1, memory_order_relaxed);
        syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&n->owner_busy, memory_order_acquire)) {
        if (++spins < 64)
            __builtin_ia32_pause();
        else
            sched_yield();
    }
}

void ms_nursery_unlock(struct ms_nursery *n)
{
    atomic_store_explicit(&n->lock, 0, memory_order_release);
}

void ms_nursery_reset_after_fork(struct ms_nursery *n)
{
    atomic_store(&n->lock, 0);
    atomic_store(&n->owner_busy, 0);
    atomic_store(&n->revoked, 0);
}

/* The owner enters n for one operation: true when it took the lock. */
static inline bool owner_enter(struct ms_nursery *n)
{
    if (ms_nursery_enter_biased(n))
        return false;
    spin_lock(n);
    if (atomic_load_explicit(&n->revoked, memory_order_relaxed) && ++n->locked_ops >= REBIAS) {
        n->locked_ops = 0;
        atomic_store_explicit(&n->revoked, 0, memory_order_relaxed);
    }
    return true;
}

static inline void owner_leave(struct ms_nursery *n, bool locked)
{
    if (locked)
        ms_nursery_unlock(n);
    else
        ms_nursery_leave_biased(n);
}

/* Move slot s (locked, non-empty) into the map, then empty it. */
static bool evict(struct ms_nslot *s)
{
    uintptr_t a = atomic_load_explicit(&s->addr, memory_order_relaxed);
    bool ok = ms_smap_put(ms_books_live_map(), &a, &s->packed);
    atomic_store_explicit(&s->addr, 0, memory_order_release);
    return ok;
}

/* Owner, entered: move slot s (non-empty) into the ring; the ring's oldest
 * block goes into the map first.  Each block is written where it goes
 * before it is cleared where it was (see the top of this file). */
static bool evict_to_ring(struct ms_nursery *n, struct ms_nslot *s)
{
    struct ms_nslot *r = &n->ring[n->ring_head];
    bool ok = true;
    if (atomic_load_explicit(&r->addr, memory_order_relaxed))
        ok = evict(r);
    r->packed = s->packed;
    atomic_store_explicit(&r->addr, atomic_load_explicit(&s->addr, memory_order_relaxed),
                          memory_order_release);
    atomic_store_explicit(&s->addr, 0, memory_order_release);
    n->ring_head = (n->ring_head + 1) & (MS_NURSERY_RING - 1);
    return ok;
}

void ms_nursery_prefetch_in_map(uintptr_t a)
{
    ms_smap_prefetch(ms_books_live_map(), &a);
}

bool ms_nursery_put_slow(struct ms_nursery *n, void *p, uint64_t packed)
{
    struct ms_nslot *s = &n->slot[index_of(p)];
    bool ok = true;
    bool locked = owner_enter(n);
    if (atomic_load_explicit(&s->addr, memory_order_relaxed))
        ok = evict_to_ring(n, s);
    s->packed = packed;
    atomic_store_explicit(&s->addr, (uintptr_t)p, memory_order_release);
    owner_leave(n, locked);
    return ok;
}

/* Empty p's slot if it still holds p (the caller excludes the others). */
static inline bool take_slot(struct ms_nslot *s, void *p, uint64_t *packed)
{
    if (atomic_load_explicit(&s->addr, memory_order_relaxed) != (uintptr_t)p)
        return false;
    *packed = s->packed;
    atomic_store_explicit(&s->addr, 0, memory_order_relaxed);
    return true;
}

/* Where p is in n: its slot, else its place in the ring, else NULL
 * (lock-free reads: the caller checks again once it excludes the others). */
static inline struct ms_nslot *find(struct ms_nursery *n, const void *p)
{
    struct ms_nslot *s = &n->slot[index_of(p)];
    if (atomic_load_explicit(&s->addr, memory_order_acquire) == (uintptr_t)p)
        return s;
    for (unsigned i = 0; i < MS_NURSERY_RING; i++)
        if (atomic_load_explicit(&n->ring[i].addr, memory_order_acquire) == (uintptr_t)p)
            return &n->ring[i];
    return NULL;
}

bool ms_nursery_take_own_slow(struct ms_nursery *n, void *p, uint64_t *packed)
{
    struct ms_nslot *s = find(n, p);
    if (!s)
        return false;
    bool locked = owner_enter(n);
    bool found = take_slot(s, p, packed);
    owner_leave(n, locked);
    return found;
}

bool ms_nursery_take(struct ms_nursery *n, void *p, uint64_t *packed)
{
    if (!find(n, p))
        return false;
    ms_nursery_lock(n);
    /* The owner may have moved p on (slot -> ring -> map) meanwhile. */
    struct ms_nslot *s = find(n, p);
    bool found = s && take_slot(s, p, packed);
    ms_nursery_unlock(n);
    return found;
}

struct steal {
    void *p;
    uint64_t packed;
    const struct ms_nursery *mine;
    bool found;
};

static void steal_one(struct ms_stack_cache *c, void *ctx)
{
    struct steal *st = ctx;
    struct ms_nursery *n = ms_tblock_nursery(c);
    if (!st->found && n != st->mine)
        st->found = ms_nursery_take(n, st->p, &st->packed);
}

bool ms_nursery_steal(void *p, uint64_t *packed, const struct ms_nursery *mine)
{
    struct steal st = {p, 0, mine, false};
    ms_tblock_foreach(steal_one, &st);
    if (st.found)
        *packed = st.packed;
    return st.found;
}

void ms_nursery_drain(struct ms_nursery *n, uint32_t min_age)
{
    uint32_t now = ms_books_now_tick();
    ms_nursery_lock(n);
    for (size_t i = 0; i < (1u << MS_NURSERY_BITS); i++) {
        struct ms_nslot *s = &n->slot[i];
        if (!atomic_load_explicit(&s->addr, memory_order_relaxed))
            continue;
        uint32_t age = (now - ms_packed_birth(s->packed)) & 0xffffu;
        if (age >= min_age)
            evict(s);
    }
    for (unsigned i = 0; i < MS_NURSERY_RING; i++) {
        struct ms_nslot *s = &n->ring[i];
        if (atomic_load_explicit(&s->addr, memory_order_relaxed) &&
            ((now - ms_packed_birth(s->packed)) & 0xffffu) >= min_age)
            evict(s);
    }
    ms_nursery_unlock(n);
}

static void drain_one(struct ms_stack_cache *c, void *ctx)
{
    ms_nursery_drain(ms_tblock_nursery(c), *(uint32_t *)ctx);
}

void ms_nursery_drain_all(uint32_t min_age)
{
    ms_tblock_foreach(drain_one, &min_age);
}

struct visit {
    bool (*fn)(const void *key, void *val, void *ctx);
    void *ctx;
};

static void visit_one(struct ms_stack_cache *c, void *ctx)
{
    struct visit *v = ctx;
    struct ms_nursery *n = ms_tblock_nursery(c);
    ms_nursery_lock(n);
    for (size_t i = 0; i < (1u << MS_NURSERY_BITS); i++) {
        struct ms_nslot *s = &n->slot[i];
        uintptr_t a = atomic_load_explicit(&s->addr, memory_order_relaxed);
        if (a)
            v->fn(&a, &s->packed, v->ctx);
    }
    for (unsigned i = 0; i < MS_NURSERY_RING; i++) {
        struct ms_nslot *s = &n->ring[i];
        uintptr_t a = atomic_load_explicit(&s->addr, memory_order_relaxed);
        if (a)
            v->fn(&a, &s->packed, v->ctx);
    }
    ms_nursery_unlock(n);
}

void ms_nursery_visit_all(bool (*fn)(const void *key, void *val, void *ctx), void *ctx)
{
    struct visit v = {fn, ctx};
    ms_tblock_foreach(visit_one, &v);
}
