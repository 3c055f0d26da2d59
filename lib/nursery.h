/*
 * nursery.h — each thread's youngest live blocks, in front of the books.
 *
 * See nursery.c.  The nursery lives in the thread's block (stack_cache.c),
 * which is why its layout is public to the shim's files.
 */
#ifndef MS_NURSERY_H
#define MS_NURSERY_H

#include <stdbool.h>
#include <stdint.h>

#define MS_NURSERY_BITS 14

struct ms_nslot {
    _Atomic uintptr_t addr; /* 0 = empty */
    uint64_t packed;        /* the block's packed value (books.c), valid while addr is set */
};

struct ms_nursery {
    _Atomic int lock; /* owner-mostly spinlock; thieves take it too */
    struct ms_nslot slot[1u << MS_NURSERY_BITS];
};

struct ms_stack_cache;

/* Owner thread: record a new block; a block already in its slot moves to
 * the books first.  Returns false when that move ran out of memory. */
bool ms_nursery_put(struct ms_nursery *n, void *p, uint64_t packed);
/* Any thread: remove p from n if it is there. */
bool ms_nursery_take(struct ms_nursery *n, void *p, uint64_t *packed);
/* Remove p from any other thread's nursery (a block allocated by one
 * thread and freed by another while still young).  mine may be NULL. */
bool ms_nursery_steal(void *p, uint64_t *packed, const struct ms_nursery *mine);
/* Move entries at least min_age ticks old (0: all) into the books. */
void ms_nursery_drain(struct ms_nursery *n, uint32_t min_age);
/* Every thread's nursery: fn(key = &addr, val = &packed) under its lock. */
void ms_nursery_visit_all(bool (*fn)(const void *key, void *val, void *ctx), void *ctx);
void ms_nursery_drain_all(uint32_t min_age);
void ms_nursery_lock(struct ms_nursery *n);
void ms_nursery_unlock(struct ms_nursery *n);

/* The thread registry (stack_cache.c): visit every thread's block under
 * the registry lock. */
void ms_tblock_foreach(void (*fn)(struct ms_stack_cache *c, void *ctx), void *ctx);
struct ms_nursery *ms_tblock_nursery(struct ms_stack_cache *c);
struct ms_thread;
struct ms_thread *ms_tblock_self(struct ms_stack_cache *c);

#endif /* MS_NURSERY_H */
