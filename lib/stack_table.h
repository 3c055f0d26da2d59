/*
 * stack_table.h — deduplicated stacks and their counters (stack_table.c).
 */
#ifndef MS_STACK_TABLE_H
#define MS_STACK_TABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "packed.h"

#pragma GCC visibility push(hidden)

/* Per-stack counters.  Counts are in units of (1 << ms_count_shift): 1 in
 * full mode; sampled mode keeps 8 fractional bits of the scaled estimates.
 * Bytes are bytes.
 *
 * A stack's counters are mostly updated by one thread (the one that first
 * met it), so each counter exists twice: `own`, updated by that thread with
 * a plain add (no locked instruction), and `shared`, updated by every other
 * thread atomically.  A reader adds the two; no update is ever lost. */
enum {
    MS_SC_ALLOCS,
    MS_SC_BYTES,
    MS_SC_FREES,
    MS_SC_BYTES_FREED,
    MS_SC_FAILED,
    MS_SC_TEMPORARY,
    MS_SC_N
};

struct ms_stack_counters {
    _Atomic uint64_t own[MS_SC_N];
    /* Lazy snapshot at the global peak: valid when snap_epoch equals the
     * peak epoch of the dump, otherwise the current live figures are the
     * peak figures (nothing changed since). */
    _Atomic uint64_t snap_epoch, snap_blocks, snap_bytes;
    _Atomic uint64_t shared[MS_SC_N];
};

/* One stack.  The fields every event touches (owner, the owner's counters,
 * the peak epoch) share the first cache line of a 64-byte-aligned entry, so
 * an event costs one line of the stack table. */
struct ms_stack_entry {
    uint32_t owner; /* ms_thread_id() of the thread that updates `own` */
    uint32_t nframes;
    struct ms_stack_counters c;
    const uintptr_t *frames;
} __attribute__((aligned(64)));

static inline uint64_t ms_sc_get(const struct ms_stack_counters *c, int i)
{
    return atomic_load_explicit(&c->own[i], memory_order_relaxed) +
           atomic_load_explicit(&c->shared[i], memory_order_relaxed);
}

/* A small number naming the calling thread (never 0, never reused). */
uint32_t ms_thread_id(void);

int ms_stack_table_init(uint32_t max_stacks);
/* Find or add a stack; returns its id (>= 1), or 0 (the catch-all entry
 * with no frames) when the table is full or out of memory. */
uint32_t ms_stack_intern(const uintptr_t *frames, unsigned n, uint64_t hash);
/* id -> entry: two loads, no lock (entries never move). */
#define MS_STACK_CHUNK_SHIFT 12
extern struct ms_stack_entry *_Atomic ms_stack_chunks[(MS_STACK_MAX + 1) >> MS_STACK_CHUNK_SHIFT];
static inline struct ms_stack_entry *ms_stack_entry(uint32_t id)
{
    struct ms_stack_entry *c =
        atomic_load_explicit(&ms_stack_chunks[id >> MS_STACK_CHUNK_SHIFT], memory_order_acquire);
    return c ? &c[id & ((1u << MS_STACK_CHUNK_SHIFT) - 1)] : NULL;
}
uint32_t ms_stack_count(void); /* ids in use are 0 .. count-1 */
void ms_stack_table_stats(uint64_t *dropped, uint64_t *bytes_frames);
void ms_stack_table_lock_all(void);
void ms_stack_table_unlock_all(void);
void ms_stack_table_reinit_locks(void);

#pragma GCC visibility pop

#endif /* MS_STACK_TABLE_H */
