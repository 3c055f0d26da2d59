/*
 * arena.h — the map engine's small-object allocator: mmap'd chunks carved
 * into fixed-size units (one map bucket each), with a free list.
 *
 * The engine lives inside a malloc interposer, so it cannot call malloc.
 * Its small objects are all one size (a bucket: overflow buckets, and small
 * bucket arrays, which are runs of buckets), so a unit allocator with a
 * single free list is enough: no size classes, no fragmentation between
 * classes.  A freed run (a small bucket array the map grew out of) goes
 * back as single units and is reused as overflow buckets.
 *
 * Nothing is written into memory the arena does not hand out: when a
 * chunk cannot satisfy a request, its unused tail is kept as a "partial"
 * chunk for later single units rather than cut into free-list units,
 * because writing a free-list link into every unit of a 1 MiB tail would
 * fault in 256 fresh pages at once (~0.4 ms on the project's VMs) inside
 * whichever operation needed the new chunk.
 *
 * Every chunk lies below 2^48 (ARENA_ADDR_LIMIT): the map keeps a filter in
 * the top 16 bits of its pointers to overflow buckets.  Linux gives user
 * space addresses above 2^47 only to mmap calls that ask for them with a
 * hint, which the arena never passes, so a chunk beyond the limit is
 * treated as a failed mapping rather than expected.
 *
 * The arena struct holds no pointer to itself, so its owner may copy it
 * (the map bootstraps its arena on the stack, allocates itself from it and
 * then moves the arena inside).  One arena is single-threaded, like its map.
 */
#ifndef MS_ARENA_H
#define MS_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ms_arena_chunk;

#define ARENA_ADDR_LIMIT (1ull << 48)

struct ms_arena {
    size_t unit;                    /* bytes per unit: a multiple of 16 */
    struct ms_arena_chunk *chunks;  /* every mapping, newest first */
    struct ms_arena_chunk *cur;     /* the chunk being carved */
    uint8_t *bump, *end;            /* its unused space */
    struct ms_arena_chunk *partial; /* older chunks with unused space at their end */
    size_t partial_units;           /* units of unused space in `partial` chunks */
    void *free;                     /* free units, linked through their first word */
    size_t nfree;                   /* units on the free list */
    size_t mapped;                  /* bytes of all chunks */
    size_t next_chunk;              /* size of the next chunk to map */
};

/* Map a first chunk able to hold at least first_bytes.  False when mmap fails. */
bool ms_arena_init(struct ms_arena *a, size_t unit, size_t first_bytes);
/* Unmap every chunk.  Anything allocated from the arena (including its
 * owner, if it lives there) is gone afterwards. */
void ms_arena_destroy(struct ms_arena *a);
/* Unmap every chunk but the first, keep the first keep_bytes of the first
 * chunk (where the owner lives) and forget everything else. */
void ms_arena_reset(struct ms_arena *a, size_t keep_bytes);

/* bytes (rounded up to 16) from the bump pointer, for the owner's own
 * struct; never freed individually.  NULL when out of memory. */
void *ms_arena_alloc_raw(struct ms_arena *a, size_t bytes);
/* n contiguous zeroed units (n == 1 comes from the free list first).
 * NULL when out of memory. */
void *ms_arena_alloc_units(struct ms_arena *a, size_t n);
/* Give back n contiguous units starting at p. */
void ms_arena_free_units(struct ms_arena *a, void *p, size_t n);
/* Make sure the next n single-unit allocations succeed without mapping
 * memory.  False when the mapping needed for that fails. */
bool ms_arena_reserve(struct ms_arena *a, size_t n);
/* Single units available without mapping more memory. */
size_t ms_arena_capacity(const struct ms_arena *a);
/* Whether [p, p + len) lies inside one of the arena's chunks, past its
 * header (for invariant checks: O(chunks)). */
bool ms_arena_contains(const struct ms_arena *a, const void *p, size_t len);

#endif /* MS_ARENA_H */
