/*
 * stack_table.c — every distinct call stack once, with its counters.
 *
 * A stack is identified by a 64-bit hash of its frames.  The index (hash ->
 * stack id) is the map engine, sharded so threads interning stacks at the
 * same time rarely wait for each other; the frames themselves live in an
 * append-only arena and never move, so a stack id stays valid (and its
 * frames readable without a lock) for the life of the process.  A hash
 * collision between different stacks is detected by comparing frames and
 * resolved by probing the next key (hash + k * golden ratio).
 *
 * The table is bounded (MAPSCOPE_MAX_STACKS, at most 2^20 - 1 because live
 * blocks store stack ids in 20 bits).  When it is full, new stacks are
 * counted under stack id 0, an entry with no frames, and the dump says how
 * many events were attributed to it: heaptrack's recorder grows without
 * bound on workloads with many distinct stacks; this one cannot.
 *
 * Entries sit in chunks of 4096, mapped on first use, found through a fixed
 * directory: id -> entry is two loads, no lock.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "complain.h"
#include "guard.h"
#include "map.h"
#include "packed.h"
#include "shim_base.h"
#include "shim_mem.h"
#include "stack_table.h"

#define CHUNK_SHIFT MS_STACK_CHUNK_SHIFT
#define CHUNK_SIZE  (1u << CHUNK_SHIFT)
#define NCHUNKS     ((MS_STACK_MAX + 1) >> CHUNK_SHIFT)
#define ARENA_CHUNK (1u << 20) /* frames arena grows 1 MiB at a time */
#define MAX_PROBES  4

static ms_smap *index_map;
struct ms_stack_entry *_Atomic ms_stack_chunks[NCHUNKS];
static _Atomic uint32_t nstacks; /* ids 0 .. nstacks-1 are allocated */
static uint32_t max_stacks;
static _Atomic uint64_t dropped;
static _Atomic uint64_t arena_bytes;

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *arena_cur;
static size_t arena_left;

uint32_t ms_thread_id(void)
{
    static _Atomic uint32_t next = 1;
    if (MS_UNLIKELY(!ms_self.tid))
        ms_self.tid = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
    return ms_self.tid;
}

uint32_t ms_stack_count(void)
{
    return atomic_load_explicit(&nstacks, memory_order_acquire);
}

/* Copy frames into the arena (never freed: stack ids are forever). */
static const uintptr_t *arena_copy(const uintptr_t *frames, unsigned n)
{
    size_t bytes = (size_t)n * sizeof(uintptr_t);
    if (bytes == 0)
        bytes = sizeof(uintptr_t);
    pthread_mutex_lock(&arena_lock);
    if (arena_left < bytes) {
        unsigned char *c = ms_mem_map(ARENA_CHUNK, MS_MEM_STACKS);
        if (!c) {
            pthread_mutex_unlock(&arena_lock);
            return NULL;
        }
        arena_cur = c;
        arena_left = ARENA_CHUNK;
    }
    uintptr_t *dst = (uintptr_t *)arena_cur;
    arena_cur += bytes;
    arena_left -= bytes;
    atomic_fetch_add_explicit(&arena_bytes, bytes, memory_order_relaxed);
    pthread_mutex_unlock(&arena_lock);
    memcpy(dst, frames, (size_t)n * sizeof(uintptr_t));
    return dst;
}

/* Reserve the next id and make sure its chunk is mapped. */
static uint32_t new_id(void)
{
    uint32_t id = atomic_load_explicit(&nstacks, memory_order_relaxed);
    do {
        if (id >= max_stacks)
            return 0;
    } while (!atomic_compare_exchange_weak(&nstacks, &id, id + 1));
    unsigned ci = id >> CHUNK_SHIFT;
    if (!atomic_load_explicit(&ms_stack_chunks[ci], memory_order_acquire)) {
        pthread_mutex_lock(&arena_lock);
        if (!atomic_load_explicit(&ms_stack_chunks[ci], memory_order_relaxed)) {
            void *c = ms_mem_map(CHUNK_SIZE * sizeof(struct ms_stack_entry), MS_MEM_STACKS);
            atomic_store_explicit(&ms_stack_chunks[ci], c, memory_order_release);
        }
        pthread_mutex_unlock(&arena_lock);
        if (!atomic_load_explicit(&ms_stack_chunks[ci], memory_order_acquire))
            return 0; /* out of memory: the id stays unused (no frames) */
    }
    return id;
}

static bool same_frames(uint32_t id, const uintptr_t *frames, unsigned n)
{
    struct ms_stack_entry *e = ms_stack_entry(id);
    const uintptr_t *f = e ? __atomic_load_n(&e->frames, __ATOMIC_ACQUIRE) : NULL;
    return f && e->nframes == n && memcmp(f, frames, n * sizeof(uintptr_t)) == 0;
}

uint32_t ms_stack_intern(const uintptr_t *frames, unsigned n, uint64_t hash)
{
    for (unsigned probe = 0; probe < MAX_PROBES; probe++) {
        uint64_t key = hash + probe * 0x9e3779b97f4a7c15ull;
        uint64_t h;
        ms_map *m = ms_smap_lock(index_map, &key, &h);
        uint32_t *slot = ms_map_lookup_h(m, &key, h);
        if (slot) {
            uint32_t id = *slot;
            ms_smap_unlock(index_map, m);
            if (same_frames(id, frames, n))
                return id;
            continue; /* a different stack with the same hash: probe on */
        }
        uint32_t id = new_id();
        const uintptr_t *copy = id ? arena_copy(frames, n) : NULL;
        if (!copy) {
            ms_smap_unlock(index_map, m);
            break;
        }
        struct ms_stack_entry *e = ms_stack_entry(id);
        e->nframes = n;
        e->owner = ms_thread_id();
        __atomic_store_n(&e->frames, copy, __ATOMIC_RELEASE);
        slot = ms_map_assign_h(m, &key, h, NULL);
        if (slot)
            *slot = id;
        ms_smap_unlock(index_map, m);
        return id; /* even if the index is out of memory, this id is valid */
    }
    if (atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed) == 0)
        ms_complain_once(MS_ONCE_STACKS_FULL,
                         "mapscope: the stack table is full (%u stacks, MAPSCOPE_MAX_STACKS); "
                         "further new stacks are counted under stack 0\n",
                         max_stacks);
    return 0;
}

int ms_stack_table_init(uint32_t max)
{
    max_stacks = max < 2 ? 2 : max;
    /* 8 shards: a thread interns only stacks its stack cache has not seen,
     * which is rare, so contention is low; and each shard is an engine
     * with mappings of its own that every process pays for at start-up. */
    index_map = ms_smap_create(sizeof(uint64_t), sizeof(uint32_t), 3, 1024, 0);
    if (!index_map)
        return -1;
    /* Id 0: the catch-all stack, no frames. */
    uint32_t id = new_id();
    if (id != 0 || !ms_stack_entry(0))
        return -1;
    static const uintptr_t none[1];
    ms_stack_entry(0)->nframes = 0;
    ms_stack_entry(0)->owner = UINT32_MAX; /* shared by all: atomics only */
    __atomic_store_n(&ms_stack_entry(0)->frames, none, __ATOMIC_RELEASE);
    return 0;
}

void ms_stack_table_stats(uint64_t *ndropped, uint64_t *bytes_frames)
{
    *ndropped = atomic_load_explicit(&dropped, memory_order_relaxed);
    *bytes_frames = atomic_load_explicit(&arena_bytes, memory_order_relaxed);
}

struct ms_smap *ms_stack_index_map(void);
struct ms_smap *ms_stack_index_map(void)
{
    return index_map;
}

void ms_stack_table_lock_all(void)
{
    pthread_mutex_lock(&arena_lock);
    ms_smap_lock_all(index_map);
}

void ms_stack_table_unlock_all(void)
{
    ms_smap_unlock_all(index_map);
    pthread_mutex_unlock(&arena_lock);
}

void ms_stack_table_reinit_locks(void)
{
    pthread_mutex_init(&arena_lock, NULL);
    ms_smap_reinit_locks(index_map);
}
