/*
 * books.h — live blocks, totals and peak: the books (books.c).
 */
#ifndef MS_BOOKS_H
#define MS_BOOKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stacks.h"

#pragma GCC visibility push(hidden)

int ms_books_init(void);
void ms_on_alloc(void *p, size_t size, const struct ms_frame0 *f);
void ms_on_failed(const struct ms_frame0 *f);
/* Remove p's record; returns false for pointers the shim never saw.  *out
 * receives the packed value when found. */
bool ms_books_take(void *p, uint64_t *out);
void ms_books_restore(void *p, uint64_t packed);
void ms_books_account_free(void *p, uint64_t packed);
void ms_on_free(void *p);
/* Finish a free whose bookkeeping was deferred (books.c): before reading
 * the books from elsewhere (a dump, another thread). */
void ms_books_flush(void);

/* A thread's share of the process-wide figures (counts in units of
 * 1 << ms_count_shift).  Only the owning thread writes them (plain load +
 * store, no locked instruction); dumps read them with relaxed loads.  The
 * live deltas are the part of the thread's live figures not yet added to
 * the shared ones used for peak detection (see books.c). */
enum {
    MS_TC_ALLOCS,
    MS_TC_FREES,
    MS_TC_BYTES_ALLOC,
    MS_TC_BYTES_FREED,
    MS_TC_FAILED,
    MS_TC_UNKNOWN_FREES,
    MS_TC_TEMPORARY,
    MS_TC_SAMPLED,
    MS_TC_DROPPED,
    MS_TC_N
};

struct ms_tcount {
    _Atomic uint64_t v[MS_TC_N];
    int64_t live_bytes_delta, live_blocks_delta;
};
/* The calling thread's block and share: ms_stack_cache_get and
 * ms_tcount_self (guard.h). */
/* Add every live thread's share into sum (registry order; under its lock). */
void ms_tcount_sum(struct ms_tcount *sum);
void ms_tcount_add(struct ms_tcount *sum, const struct ms_tcount *c);
/* A thread ends: its share joins the retired threads' figures. */
void ms_tcount_retire(struct ms_tcount *c);

struct ms_totals {
    uint64_t allocs, frees, bytes_alloc, bytes_freed, live_blocks, live_bytes;
    uint64_t peak_bytes, peak_blocks, peak_time_ns, peak_epoch, failed, unknown_frees;
    uint64_t temporary, sampled, dropped;
};
void ms_books_totals(struct ms_totals *t);
/* The helper's timeline point saw these exact figures. */
void ms_books_note_level(const struct ms_totals *t);
/* After a dump: a new peak has to pass what it reported (dump_peak.c). */
void ms_books_raise_peak(uint64_t bytes, uint64_t blocks);

extern unsigned ms_count_shift;
struct ms_smap;
struct ms_smap *ms_books_live_map(void);
struct ms_smap *ms_books_big_map(void);
uint64_t ms_books_size_of(void *p, uint64_t packed);
uint64_t ms_birth_tick_ns(void);
uint32_t ms_books_now_tick(void);
uint32_t ms_books_tick_of(uint64_t coarse_ns);
/* The helper thread keeps the birth tick of coarse time now for the
 * allocations (books.c); returns when the next tick starts.  Stopped in a
 * fork child until its helper runs. */
uint64_t ms_books_publish_tick(uint64_t now);
void ms_books_stop_ticking(void);
void ms_books_clamp_births(void);
void ms_books_lock_all(void);
void ms_books_unlock_all(void);
void ms_books_reinit_locks(void);

/* Fork child (inherit.c): swap the books for empty ones; the old maps and
 * the figures they held are handed over.  Returns -1 when out of memory. */
int ms_books_hand_over(struct ms_smap **old_live, struct ms_smap **old_big,
                       struct ms_totals *before);
/* A sampled event's weight (fixed point) and scaled bytes; units() of a
 * count.  In full mode 1, size and v. */
uint64_t ms_books_weight(uint64_t size, uint64_t *bytes);
uint64_t ms_books_units(uint64_t v);

#pragma GCC visibility pop

#endif /* MS_BOOKS_H */
