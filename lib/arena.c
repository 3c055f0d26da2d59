/*
 * arena.c — mmap'd unit allocator with a free list (see arena.h).
 *
 * Chunks grow geometrically from ARENA_MIN_CHUNK to ARENA_MAX_CHUNK: a
 * small map (the common case: the shim shards its books over many maps)
 * maps little, a big one does not call mmap for every few overflow
 * buckets.  When a chunk cannot satisfy a request, its unused tail is kept
 * (a "partial" chunk, see arena.h) and serves single units later.
 */
#include "arena.h"

#include "pages.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Each chunk starts with this header; units follow. */
struct ms_arena_chunk {
    struct ms_arena_chunk *next;         /* all chunks */
    struct ms_arena_chunk *next_partial; /* partial chunks */
    size_t size;
    uint8_t *bump; /* unused space from here to the end (partial chunks only) */
};

/* Size of the second chunk: 16 KiB (four pages) holds the small bucket
 * arrays a map passes through on its way to its own mapping (and, once
 * freed, they serve as overflow buckets); the shim keeps many small maps
 * (one per shard), so this is per-map overhead that should stay small. */
#define ARENA_MIN_CHUNK (16u << 10)
/* Largest chunk: beyond 1 MiB the mmap calls are already rare (one per
 * ~7000 overflow buckets of 144 bytes) and a bigger chunk only strands more
 * unused address space at the end of a map's life. */
#define ARENA_MAX_CHUNK (1u << 20)
#define CHUNK_HDR       ((sizeof(struct ms_arena_chunk) + 15) & ~(size_t)15)

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static void push_unit(struct ms_arena *a, void *p)
{
    *(void **)p = a->free;
    a->free = p;
    a->nfree++;
}

static size_t units_between(const struct ms_arena *a, const uint8_t *from, const uint8_t *to)
{
    return from ? (size_t)(to - from) / a->unit : 0;
}

/* The chunk being carved goes on the partial list if a unit still fits. */
static void shelve_current(struct ms_arena *a)
{
    if (units_between(a, a->bump, a->end) == 0)
        return;
    struct ms_arena_chunk *c = a->cur;
    c->bump = a->bump;
    c->next_partial = a->partial;
    a->partial = c;
    a->partial_units += units_between(a, a->bump, a->end);
}

/* Carve from the most recent partial chunk again. */
static bool resume_partial(struct ms_arena *a)
{
    struct ms_arena_chunk *c = a->partial;
    if (!c)
        return false;
    a->partial = c->next_partial;
    a->cur = c;
    a->bump = c->bump;
    a->end = (uint8_t *)c + c->size;
    a->partial_units -= units_between(a, a->bump, a->end);
    return true;
}

/* Map a chunk with room for at least `need` bytes after its header and
 * make it the bump region. */
static bool add_chunk(struct ms_arena *a, size_t need)
{
    size_t size = a->next_chunk;
    if (need > SIZE_MAX - CHUNK_HDR)
        return false;
    if (size < CHUNK_HDR + need)
        size = ms_page_round(CHUNK_HDR + need);
    struct ms_arena_chunk *c = ms_pages_map(size);
    if (!c)
        return false;
    if ((uintptr_t)c + size > ARENA_ADDR_LIMIT) { /* never seen: see arena.h */
        ms_pages_unmap(c, size);
        return false;
    }
    shelve_current(a);
    c->next = a->chunks;
    c->size = size;
    a->chunks = c;
    a->cur = c;
    a->bump = (uint8_t *)c + CHUNK_HDR;
    a->end = (uint8_t *)c + size;
    a->mapped += size;
    if (a->next_chunk < ARENA_MAX_CHUNK)
        a->next_chunk *= 2;
    return true;
}

bool ms_arena_init(struct ms_arena *a, size_t unit, size_t first_bytes)
{
    memset(a, 0, sizeof *a);
    a->unit = unit;
    a->next_chunk = ms_page_round(CHUNK_HDR + first_bytes);
    if (!add_chunk(a, first_bytes))
        return false;
    a->next_chunk = ARENA_MIN_CHUNK;
    return true;
}

void ms_arena_destroy(struct ms_arena *a)
{
    struct ms_arena_chunk *c = a->chunks;
    while (c) {
        struct ms_arena_chunk *next = c->next;
        ms_pages_unmap(c, c->size);
        c = next;
    }
}

void ms_arena_reset(struct ms_arena *a, size_t keep_bytes)
{
    struct ms_arena_chunk *c = a->chunks;
    while (c->next) { /* the first chunk is the last in the list */
        struct ms_arena_chunk *next = c->next;
        ms_pages_unmap(c, c->size);
        c = next;
    }
    a->chunks = c;
    a->cur = c;
    a->bump = (uint8_t *)c + CHUNK_HDR + round16(keep_bytes);
    a->end = (uint8_t *)c + c->size;
    a->partial = NULL;
    a->partial_units = 0;
    a->free = NULL;
    a->nfree = 0;
    a->mapped = c->size;
    a->next_chunk = ARENA_MIN_CHUNK;
}

void *ms_arena_alloc_raw(struct ms_arena *a, size_t bytes)
{
    bytes = round16(bytes);
    if ((size_t)(a->end - a->bump) < bytes && !add_chunk(a, bytes))
        return NULL;
    void *p = a->bump;
    a->bump += bytes;
    return p;
}

void *ms_arena_alloc_units(struct ms_arena *a, size_t n)
{
    void *p;
    if (n == 1 && a->free) {
        p = a->free;
        a->free = *(void **)p;
        a->nfree--;
    } else {
        if (n > SIZE_MAX / a->unit)
            return NULL;
        size_t bytes = n * a->unit;
        if ((size_t)(a->end - a->bump) < bytes && !(n == 1 && resume_partial(a)) &&
            !add_chunk(a, bytes))
            return NULL;
        p = a->bump;
        a->bump += bytes;
    }
    memset(p, 0, n * a->unit);
    return p;
}

void ms_arena_free_units(struct ms_arena *a, void *p, size_t n)
{
    uint8_t *u = p;
    for (size_t i = 0; i < n; i++)
        push_unit(a, u + i * a->unit);
}

size_t ms_arena_capacity(const struct ms_arena *a)
{
    return a->nfree + units_between(a, a->bump, a->end) + a->partial_units;
}

bool ms_arena_contains(const struct ms_arena *a, const void *p, size_t len)
{
    const uint8_t *u = p;
    for (const struct ms_arena_chunk *c = a->chunks; c; c = c->next) {
        const uint8_t *lo = (const uint8_t *)c + CHUNK_HDR, *hi = (const uint8_t *)c + c->size;
        if (u >= lo && u <= hi && len <= (size_t)(hi - u))
            return true;
    }
    return false;
}

bool ms_arena_reserve(struct ms_arena *a, size_t n)
{
    size_t have = ms_arena_capacity(a);
    if (have >= n)
        return true;
    if (n - have > SIZE_MAX / a->unit)
        return false;
    /* The current chunk's tail stays counted (as a partial chunk), so the
     * new chunk only has to hold the difference. */
    return add_chunk(a, (n - have) * a->unit);
}
