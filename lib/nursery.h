/*
 * nursery.h — each thread's youngest live blocks, in front of the books.
 *
 * See nursery.c.  The nursery lives in the thread's block (stack_cache.c),
 * which is why its layout is public to the shim's files.
 */
#ifndef MS_NURSERY_H
#define MS_NURSERY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_NURSERY_BITS 14
/* Blocks pushed out of their slot wait in a ring this long before their
 * map insert (nursery.c); a power of two. */
#define MS_NURSERY_RING 4

struct ms_nslot {
    _Atomic uintptr_t addr; /* 0 = empty */
    uint64_t packed;        /* the block's packed value (books.c), valid while addr is set */
};

struct ms_nursery {
    _Atomic int lock;       /* thieves' spinlock; the owner's too while revoked */
    _Atomic int revoked;    /* a thief came: the owner takes the lock (nursery.c) */
    _Atomic int owner_busy; /* the owner is in an operation without the lock */
    uint32_t locked_ops;    /* owner, under the lock: operations since revoked */
    uint32_t ring_head;     /* owner: the ring's oldest entry, replaced next */
    /* Evicted blocks on their way to the map (0 = empty), in the same
     * line for the owner's checks. */
    struct ms_nslot ring[MS_NURSERY_RING] __attribute__((aligned(64)));
    struct ms_nslot slot[1u << MS_NURSERY_BITS];
};

/* Once per process (and in a fork child): whether the owner may work
 * without a locked instruction (needs membarrier(2), Linux 4.14). */
void ms_nursery_init(void);

struct ms_stack_cache;

/* The slot of address p.  Blocks are told apart at 8 bytes, not only 16:
 * glibc's chunks are 16-byte aligned, but jemalloc (redis-server) and
 * tcmalloc hand out 8-byte blocks side by side, and two of them used to
 * share a slot: redis-server's 4-byte argument of one request and that of
 * the next pushed each other into the map, an eviction (a map insert and
 * delete) per request.  Bit 3 flips the slot's top bit, so 16-byte
 * aligned addresses keep the slots they had (nursery.c's figures). */
static inline size_t ms_nursery_index(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return (size_t)((a >> 4) ^ (a >> 14) ^ ((a & 8) << (MS_NURSERY_BITS - 4))) &
           ((1u << MS_NURSERY_BITS) - 1);
}

/* Owner thread, before it puts p: the block p will push out of its slot
 * (if any) goes to the map then, a cache miss in a big map.  Start that
 * load now (no lock: a stale read only wastes the hint).  The slot's test
 * is inline (a call per allocation for a load, on redis-server mostly of
 * an empty slot); the map's prefetch is not. */
void ms_nursery_prefetch_in_map(uintptr_t a);
static inline struct ms_nslot *ms_nursery_slot(struct ms_nursery *n, const void *p)
{
    return &n->slot[ms_nursery_index(p)];
}
static inline void ms_nursery_prefetch_evictee(const struct ms_nslot *s)
{
    uintptr_t a = atomic_load_explicit(&s->addr, memory_order_relaxed);
    if (a)
        ms_nursery_prefetch_in_map(a);
}

/* Owner thread: record a new block; a block already in its slot moves to
 * the books first.  Returns false when that move ran out of memory. */
bool ms_nursery_put_slow(struct ms_nursery *n, void *p, uint64_t packed);
/* Owner thread: remove p from its own nursery if it is there. */
bool ms_nursery_take_own_slow(struct ms_nursery *n, void *p, uint64_t *packed);

/* The owner's common cases, inline: a put into an empty slot, a take from
 * the slot, while no other thread has revoked the owner's bias (nursery.c
 * explains the protocol).  Everything else (an eviction, the ring, the
 * lock) is the out-of-line function's.  Inline because a malloc/free pair
 * cost 610-780 of the shim's instructions (callgrind, a tight loop at
 * stack depth 3 to 12), of which the calls into this file, their register
 * saves and repeated tests were ~50. */
extern bool ms_nursery_biased; /* membarrier registered: owners may run biased */

/* The owner enters n without the lock; false: it must take the lock (the
 * slow functions do). */
static inline bool ms_nursery_enter_biased(struct ms_nursery *n)
{
    if (__builtin_expect(!ms_nursery_biased, 0))
        return false;
    atomic_store_explicit(&n->owner_busy, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (__builtin_expect(!atomic_load_explicit(&n->revoked, memory_order_relaxed), 1))
        return true;
    atomic_store_explicit(&n->owner_busy, 0, memory_order_release);
    return false;
}

static inline void ms_nursery_leave_biased(struct ms_nursery *n)
{
    atomic_store_explicit(&n->owner_busy, 0, memory_order_release);
}

/* s: p's slot (ms_nursery_slot), found once for the prefetch and the put. */
static inline bool ms_nursery_put(struct ms_nursery *n, struct ms_nslot *s, void *p,
                                  uint64_t packed)
{
    /* Only the owner fills a slot: an empty one stays empty until it does
     * (a thief only ever empties one). */
    if (__builtin_expect(!atomic_load_explicit(&s->addr, memory_order_relaxed), 1) &&
        ms_nursery_enter_biased(n)) {
        s->packed = packed;
        atomic_store_explicit(&s->addr, (uintptr_t)p, memory_order_release);
        ms_nursery_leave_biased(n);
        return true;
    }
    return ms_nursery_put_slow(n, p, packed);
}

static inline bool ms_nursery_take_own(struct ms_nursery *n, void *p, uint64_t *packed)
{
    struct ms_nslot *s = ms_nursery_slot(n, p);
    if (__builtin_expect(atomic_load_explicit(&s->addr, memory_order_relaxed) == (uintptr_t)p, 1) &&
        ms_nursery_enter_biased(n)) {
        /* Entered, no thief can be at work: p is still there. */
        *packed = s->packed;
        atomic_store_explicit(&s->addr, 0, memory_order_relaxed);
        ms_nursery_leave_biased(n);
        return true;
    }
    return ms_nursery_take_own_slow(n, p, packed);
}
/* Any other thread: the same, from another thread's nursery. */
bool ms_nursery_take(struct ms_nursery *n, void *p, uint64_t *packed);
/* Remove p from any other thread's nursery (a block allocated by one
 * thread and freed by another while still young).  mine may be NULL. */
bool ms_nursery_steal(void *p, uint64_t *packed, const struct ms_nursery *mine);
/* Move entries at least min_age ticks old (0: all) into the books. */
void ms_nursery_drain(struct ms_nursery *n, uint32_t min_age);
/* Every thread's nursery: fn(key = &addr, val = &packed) under its lock. */
void ms_nursery_visit_all(bool (*fn)(const void *key, void *val, void *ctx), void *ctx);
void ms_nursery_drain_all(uint32_t min_age);
/* Any thread but the owner (a thief, the helper, a dump, fork): exclusive
 * use of n until unlock. */
void ms_nursery_lock(struct ms_nursery *n);
void ms_nursery_unlock(struct ms_nursery *n);
/* A fork child, one thread left: locks free, the owner biased again. */
void ms_nursery_reset_after_fork(struct ms_nursery *n);

/* The thread registry (stack_cache.c): visit every thread's block under
 * the registry lock. */
void ms_tblock_foreach(void (*fn)(struct ms_stack_cache *c, void *ctx), void *ctx);
struct ms_nursery *ms_tblock_nursery(struct ms_stack_cache *c);
struct ms_thread;
struct ms_thread *ms_tblock_self(struct ms_stack_cache *c);

#endif /* MS_NURSERY_H */
