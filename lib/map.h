/*
 * map.h — mapscope's map engine: the hash map that keeps the shim's books.
 *
 * A C hash map with fixed-size keys and values chosen at creation, built on
 * the classic Go runtime map (runtime/map.go, Go 1.19-1.23): 8-slot buckets
 * with a tophash byte per slot, overflow buckets, load factor 6.5, doubling
 * and same-size growth, and incremental evacuation.  The design and the
 * reason for every constant are written up at the top of map.c.
 *
 * Because it lives inside a malloc interposer it never calls malloc/free
 * (bucket arrays come from mmap, small objects from its own arena), every
 * operation does bounded work, and a growth always completes within a
 * bounded number of operations of any kind, so old bucket arrays never
 * linger.
 *
 * One ms_map is single-threaded.  ms_smap (below) shards many maps over
 * locks for use by many threads.
 */
#ifndef MS_MAP_H
#define MS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest key and value sizes the engine accepts, in bytes (as Go's
 * maxKeySize/maxElemSize, but without the indirect fallback: the shim's keys
 * and values are small). */
#define MS_MAP_MAX_KEY 128
#define MS_MAP_MAX_VAL 128

/* Chain-length histogram buckets in ms_map_stats: index i counts buckets
 * whose chain holds i overflow buckets; the last bin counts longer chains. */
#define MS_MAP_CHAIN_BINS 8

typedef struct ms_map ms_map;

/* What the engine reports about itself.  The shim writes this into every
 * dump so users see the profiler's own cost. */
struct ms_map_stats {
    uint64_t count;             /* live entries */
    uint32_t B;                 /* log2 of the number of regular buckets */
    uint32_t oldB;              /* B of the old array while growing, else 0 */
    bool growing;               /* old buckets alive */
    bool same_size_growing;     /* the current growth is a same-size one */
    uint64_t buckets;           /* regular buckets (2^B) */
    uint64_t overflow_buckets;  /* overflow buckets in use (new and old) */
    uint64_t nevacuate;         /* evacuation progress while growing */
    uint64_t bytes_buckets;     /* bytes mapped for the current bucket array */
    uint64_t bytes_old;         /* bytes mapped for the old bucket array */
    uint64_t bytes_overflow;    /* bytes of overflow buckets in use */
    uint64_t bytes_arena;       /* bytes mapped by the small-object arena */
    uint64_t bytes_total;       /* everything the map has mapped */
    uint64_t grows_doubling;    /* growths that doubled the array */
    uint64_t grows_same_size;   /* same-size growths (overflow compaction) */
    uint64_t ops_while_growing; /* operations performed with old buckets alive */
    uint64_t ns_growing;        /* nanoseconds spent with old buckets alive */
    uint64_t longest_chain;     /* most overflow buckets behind one bucket */
    uint64_t chain_hist[MS_MAP_CHAIN_BINS];
    uint64_t bytes_next; /* the next doubling's array, faulted in ahead of time
                            (just before a doubling; counted in bytes_total) */
};

/* Create a map.  keysize and valsize are fixed for the map's life
 * (1..MS_MAP_MAX_KEY, 0..MS_MAP_MAX_VAL); hint sizes the first bucket array
 * (as make(map[k]v, hint)).  The hash seed is random (getrandom).  Returns
 * NULL when out of memory or when a size is out of range. */
ms_map *ms_map_create(uint32_t keysize, uint32_t valsize, size_t hint);

/* As ms_map_create with a fixed seed: for tests, and for ms_smap, whose
 * shards share one seed so the shard is chosen from the same hash. */
ms_map *ms_map_create_seeded(uint32_t keysize, uint32_t valsize, size_t hint, uint64_t seed);

/* Flags of ms_map_create_flags and ms_smap_create.  MS_MAP_ADDRESS_KEYS:
 * the keys are addresses (keysize 8), hashed so that keys close in memory
 * fall in nearby buckets (ms_hash_addr in hash.h says why); any other key
 * works too, only slower. */
#define MS_MAP_ADDRESS_KEYS 1u

/* As ms_map_create_seeded, with flags (above).  NULL also for unknown
 * flags and MS_MAP_ADDRESS_KEYS with keysize other than 8. */
ms_map *ms_map_create_flags(uint32_t keysize, uint32_t valsize, size_t hint, uint64_t seed,
                            unsigned flags);

/* Unmap everything the map owns. NULL is accepted. */
void ms_map_destroy(ms_map *m);

/* The engine's hash of key for m (seeded).  The *_h variants below take a
 * hash computed by this function so a caller that already hashed the key
 * (the sharded wrapper) does not hash it twice. */
uint64_t ms_map_hash(const ms_map *m, const void *key);

/* Insert key if absent.  Returns a pointer to the key's value slot (zeroed
 * when the key is new; *inserted tells which), or NULL when out of memory
 * (the map is unchanged).  The pointer is valid until the next operation on
 * m.  inserted may be NULL. */
void *ms_map_assign(ms_map *m, const void *key, bool *inserted);
void *ms_map_assign_h(ms_map *m, const void *key, uint64_t hash, bool *inserted);

/* Pointer to key's value slot, or NULL when absent.  Valid until the next
 * operation on m (lookups, too, advance evacuation). */
void *ms_map_lookup(ms_map *m, const void *key);
void *ms_map_lookup_h(ms_map *m, const void *key, uint64_t hash);

/* Remove key.  Returns true when it was present; its value is copied to
 * val_out first when val_out is not NULL. */
bool ms_map_delete(ms_map *m, const void *key, void *val_out);
bool ms_map_delete_h(ms_map *m, const void *key, uint64_t hash, void *val_out);

/* Remove every entry and give back all memory except one small bucket
 * array (a cleared map does not hold a huge array: the pathology mapscope
 * reports in Go programs). */
void ms_map_clear(ms_map *m);

size_t ms_map_count(const ms_map *m);

/* Do up to `budget` units of pending growth work (evacuating old buckets).
 * Returns true when growth work remains.  Operations do this themselves;
 * an owner with idle time may call it to finish a growth sooner. */
bool ms_map_maintain(ms_map *m, unsigned budget);

void ms_map_stats(const ms_map *m, struct ms_map_stats *st);

/* Check every internal invariant (each key in exactly one place, tophash
 * consistent with the hash and position, markers consistent, count right).
 * Returns 0 when consistent, else a static string naming the first broken
 * invariant.  O(n): for tests and debugging. */
const char *ms_map_check(const ms_map *m);

/* Iteration.  Sees each entry present for the whole iteration exactly
 * once, even across a growth; an entry inserted or deleted during the
 * iteration may or may not be seen.  Deleting the current entry (or any
 * other) while iterating is allowed; inserting is allowed.  The iterator
 * must not outlive the map.  Storage is opaque but caller-allocated, so
 * iterating never allocates. */
typedef struct ms_map_iter {
    uint64_t opaque[16];
} ms_map_iter;

void ms_map_iter_init(ms_map_iter *it, ms_map *m);
/* Next entry: returns false at the end; *key and *val point into the map
 * and are valid until the next operation on the map. */
bool ms_map_iter_next(ms_map_iter *it, const void **key, void **val);

/* ------------------------------------------------------------------------
 * ms_smap: a sharded map for many threads.  2^shard_bits engines, chosen by
 * high bits of the key's hash (just below the top byte, which the engines
 * use as tophash; see map_shard.c), each behind its own lock (which never
 * allocates), so threads rarely contend.  The locks are the engine's own
 * futex locks (a short spin, then sleep; plain stores while the process
 * has one thread); the owner may hold one while doing a compound update
 * (ms_smap_lock).  They are not recursive.
 */
typedef struct ms_smap ms_smap;

ms_smap *ms_smap_create(uint32_t keysize, uint32_t valsize, unsigned shard_bits, size_t hint,
                        unsigned flags);
void ms_smap_destroy(ms_smap *s);

/* Insert or overwrite. Returns false when out of memory. */
bool ms_smap_put(ms_smap *s, const void *key, const void *val);
/* Copy the value out. Returns false when absent. */
bool ms_smap_get(ms_smap *s, const void *key, void *val_out);
/* Delete, copying the value out first (val_out may be NULL). */
bool ms_smap_take(ms_smap *s, const void *key, void *val_out);
/* A hint, no lock taken and nothing changed: start loading the bucket
 * where key is (or would go), so that a put or take of it a little later
 * does not wait for memory.  In a big map each is a cache miss; started
 * before unrelated work (the shim's stack walk), the two overlap. */
void ms_smap_prefetch(ms_smap *s, const void *key);
size_t ms_smap_count(ms_smap *s);

/* Compound operations: lock the shard that owns key and return its engine
 * and the key's hash (for the *_h calls).  Unlock with ms_smap_unlock. */
ms_map *ms_smap_lock(ms_smap *s, const void *key, uint64_t *hash_out);
void ms_smap_unlock(ms_smap *s, ms_map *shard);

/* Visit every entry, one shard at a time under that shard's lock.  The
 * callback must not call back into s.  Returning false stops the walk. */
typedef bool (*ms_smap_visit_fn)(const void *key, void *val, void *ctx);
void ms_smap_foreach(ms_smap *s, ms_smap_visit_fn fn, void *ctx);

/* Sum of every shard's stats (B, oldB: the largest shard's). */
void ms_smap_stats(ms_smap *s, struct ms_map_stats *st);

/* For fork: take every shard lock (pthread_atfork prepare) and release
 * them (parent), or reinitialise them (child). */
void ms_smap_lock_all(ms_smap *s);
void ms_smap_unlock_all(ms_smap *s);
void ms_smap_reinit_locks(ms_smap *s);

#endif /* MS_MAP_H */
