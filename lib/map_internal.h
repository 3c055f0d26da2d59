/*
 * map_internal.h — the map engine's data structures and the small helpers
 * shared by its files (map.c: operations; map_grow.c: growth and
 * evacuation; map_iter.c: iteration; map_check.c: invariant checker and
 * statistics).  Not part of the API: see map.h, and the design notes at the
 * top of map.c.
 */
#ifndef MS_MAP_INTERNAL_H
#define MS_MAP_INTERNAL_H

#include "arena.h"
#include "hash.h"
#include "map.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Slots per bucket (Go's bucketCnt): 8, so the tophash bytes of a bucket
 * are exactly one 64-bit word and are matched in one go (SWAR, below). */
#define BUCKET_BITS 3
#define BUCKET_CNT  (1u << BUCKET_BITS)

/* Maximum average load per bucket that triggers doubling: 6.5 (Go's
 * loadFactorNum/loadFactorDen).  See the table in map.c for why. */
#define LOAD_NUM 13
#define LOAD_DEN 2

/* tophash values below MIN_TOPHASH are markers (Go's values, same names):
 *   EMPTY_REST  the slot is empty and so is every later slot of the chain
 *               (lookups stop here);
 *   EMPTY_ONE   the slot is empty;
 *   EVAC_X/Y    old bucket only: the entry went to the low (X) or high (Y)
 *               half of the new array; EVAC_X + 1 == EVAC_Y so the choice
 *               is a bit;
 *   EVAC_EMPTY  old bucket only: the slot was empty when evacuated.
 * Zero-filled memory is a bucket of EMPTY_REST slots, so a fresh mapping
 * needs no initialisation. */
enum {
    EMPTY_REST = 0,
    EMPTY_ONE = 1,
    EVAC_X = 2,
    EVAC_Y = 3,
    EVAC_EMPTY = 4,
    MIN_TOPHASH = 5,
};

/* Largest B.  2^40 buckets of even the smallest layout is 24 TiB: mmap
 * fails long before; the cap only keeps shifts well defined and leaves the
 * hash bits ms_smap uses for sharding (bits 40..55) out of bucket indexes. */
#define MAX_B 40

/* Arrays of at least this many bytes get their own mapping; smaller ones
 * are runs of arena units.  16 KiB (four pages): below it a mapping of its
 * own would waste most of a page per small map (the shim keeps many), above
 * it unmapping the array when the map outgrows it is worth a syscall. */
#define ARRAY_MMAP_MIN (16u << 10)

/* A bucket array: from the arena when small, its own mapping when big
 * (so it can be unmapped as soon as it is not needed, and progressively:
 * its first `released` bytes are given back already, of which the first
 * `unmapped` are unmapped too; see release_old_prefix). */
struct barray {
    uint8_t *base;
    uint64_t bytes;    /* nbuckets * bucketsize */
    uint64_t released; /* own mapping only: bytes at the start whose pages are given back */
    uint64_t unmapped; /* own mapping only: bytes at the start no longer mapped */
    bool mapped;       /* own mapping (else: arena units) */
};

struct ms_map {
    uint64_t count;     /* live entries */
    uint8_t B;          /* log2 of the number of buckets in `buckets` */
    bool same_size;     /* the current growth keeps B (overflow compaction) */
    uint16_t noverflow; /* Go's approximate overflow-bucket count; see incr_noverflow */
    uint32_t keysize;   /* bytes per key */
    uint32_t valsize;   /* bytes per value */
    uint32_t bsize;     /* bytes per bucket */
    uint32_t valoff;    /* offset of the first value in a bucket */
    uint32_t ovfoff;    /* offset of the overflow pointer (the last word) */
    uint8_t hintB;      /* B asked for at creation; clear goes back to at most this */
    uint32_t shard;     /* index in its ms_smap, if any (for ms_smap_unlock) */
    uint64_t seed;      /* hash seed */
    uint64_t seed2;     /* seed of the iterator's tie-break hash (keys > 8 bytes) */
    uint64_t rng;       /* xorshift state for incr_noverflow */

    uint8_t *buckets;       /* 2^B buckets; never NULL */
    uint64_t generation;    /* bumped whenever `buckets` changes (iterators' caches) */
    uint8_t *oldbuckets;    /* the previous array; non-NULL only while growing */
    uint64_t nevacuate;     /* old buckets below this are evacuated (and may be unmapped) */
    struct barray cur;      /* what `buckets` lives in */
    struct barray old;      /* what `oldbuckets` lives in */
    struct barray next;     /* the next doubling's array, being pre-faulted (or empty) */
    uint64_t prefault_left; /* bytes of `next` still to fault in; 0 when none */
    uint64_t prefault_at;   /* count at which to start preparing `next` */

    uint64_t novf_cur; /* overflow buckets chained to `buckets` (exact) */
    uint64_t novf_old; /* overflow buckets chained to unevacuated old buckets */

    uint64_t grows_doubling;
    uint64_t grows_same_size;
    uint64_t ops_while_growing;
    uint64_t ns_growing;    /* completed growths */
    uint64_t grow_start_ns; /* start of the current growth */

    struct ms_arena arena; /* overflow buckets, small arrays, this struct */
};

/* ---------------------------------------------------------------------
 * Bucket layout (Go's bmap): tophash[8] | 8 keys | 8 values | overflow
 * pointer.  Keys together then values together: no padding between a
 * small key and a large value (Go's reason), and a lookup reads the
 * tophash word and the keys, which for 8-byte keys share the bucket's
 * first 72 bytes.
 */
static inline uint64_t bkt_top_word(const uint8_t *b)
{
    uint64_t w;
    memcpy(&w, b, 8);
    return w;
}

/* The hot paths are written once, as always-inline functions that take the
 * key size as a parameter, and instantiated twice: with the constant 8 (the
 * shim's keys are addresses: offsets fold to constants, keys compare as one
 * word) and with the map's key size. */
#define HOT static inline __attribute__((always_inline))

HOT uint8_t *key_at(uint8_t *b, unsigned i, uint32_t ks)
{
    return b + 8 + (size_t)i * ks;
}

HOT uint8_t *val_at(const ms_map *m, uint8_t *b, unsigned i, uint32_t ks)
{
    return b + 8 + BUCKET_CNT * ks + (size_t)i * m->valsize;
}

HOT bool key_eq(const void *a, const void *b, uint32_t ks)
{
    if (ks == 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x == y;
    }
    return memcmp(a, b, ks) == 0;
}

static inline uint8_t *bkt_key(const ms_map *m, uint8_t *b, unsigned i)
{
    return key_at(b, i, m->keysize);
}

static inline uint8_t *bkt_val(const ms_map *m, uint8_t *b, unsigned i)
{
    return val_at(m, b, i, m->keysize);
}

static inline uint8_t *bkt_overflow(const ms_map *m, const uint8_t *b)
{
    uint8_t *o;
    memcpy(&o, b + m->ovfoff, sizeof o);
    return o;
}

static inline void bkt_set_overflow(const ms_map *m, uint8_t *b, uint8_t *o)
{
    memcpy(b + m->ovfoff, &o, sizeof o);
}

static inline uint8_t *bkt_at(const ms_map *m, uint8_t *arr, uint64_t i)
{
    return arr + i * m->bsize;
}

/* A bucket of 8-byte keys and values is 144 bytes: its tophash word, keys
 * and values usually sit on three different cache lines.  Asking for the
 * other two while the first is on its way turns three dependent misses (tophash,
 * then key, then value) into one round trip. */
static inline void bkt_prefetch(const ms_map *m, const uint8_t *b)
{
    __builtin_prefetch(b + 64, 1);
    __builtin_prefetch(b + m->ovfoff, 1);
}

/* Copy a key or value; 8 bytes (the shim's keys) without a libc call. */
static inline void copy_bytes(void *dst, const void *src, uint32_t n)
{
    if (n == 8)
        memcpy(dst, src, 8);
    else
        memcpy(dst, src, n);
}

/* ---------------------------------------------------------------------
 * SWAR: the 8 tophash bytes as one word.  zero_bytes() sets the high bit of
 * every byte of x that is zero, exactly (no false positives: the addition
 * cannot carry out of a byte), so the lowest set bit gives the first slot.
 */
#define SWAR_LO 0x0101010101010101ull
#define SWAR_HI 0x8080808080808080ull

static inline uint64_t swar_zero_bytes(uint64_t x)
{
    uint64_t y = (x & ~SWAR_HI) + ~SWAR_HI;
    return ~(y | x | ~SWAR_HI);
}

/* Slots whose tophash is t. */
static inline uint64_t swar_match(uint64_t w, uint8_t t)
{
    return swar_zero_bytes(w ^ (SWAR_LO * t));
}

/* Empty slots (EMPTY_REST or EMPTY_ONE: the values 0 and 1). */
static inline uint64_t swar_empty(uint64_t w)
{
    return swar_zero_bytes(w & ~SWAR_LO);
}

/* Full slots (tophash >= MIN_TOPHASH) of a bucket that is not an
 * evacuated old bucket: the non-empty ones. */
static inline uint64_t swar_full(uint64_t w)
{
    return ~swar_empty(w) & SWAR_HI;
}

static inline unsigned swar_first(uint64_t mask)
{
    return (unsigned)__builtin_ctzll(mask) >> 3;
}

/* ---------------------------------------------------------------------
 * Hash and keys.
 */
static inline uint8_t tophash(uint64_t h)
{
    uint8_t top = (uint8_t)(h >> 56);
    return top < MIN_TOPHASH ? top + MIN_TOPHASH : top;
}

static inline uint64_t bucket_mask(unsigned B)
{
    return (1ull << B) - 1;
}

static inline uint64_t map_hash(const ms_map *m, const void *key)
{
    return ms_hash_bytes(key, m->keysize, m->seed);
}

static inline bool key_equal(const ms_map *m, const void *a, const void *b)
{
    return key_eq(a, b, m->keysize);
}

/* An old bucket whose tophash[0] is a marker in EVAC_X..EVAC_EMPTY has been
 * moved to the new array (Go's evacuated()).  Old buckets below nevacuate
 * are evacuated by definition and their memory may already be unmapped, so
 * callers test the index first (old_evacuated). */
static inline bool bkt_evacuated(const uint8_t *b)
{
    return b[0] > EMPTY_ONE && b[0] < MIN_TOPHASH;
}

static inline uint64_t noldbuckets(const ms_map *m)
{
    return 1ull << (m->same_size ? m->B : m->B - 1);
}

static inline bool old_evacuated(const ms_map *m, uint64_t ob)
{
    return ob < m->nevacuate || bkt_evacuated(bkt_at(m, m->oldbuckets, ob));
}

/* Go's overLoadFactor: more than 6.5 entries per bucket on average (and
 * more than one bucket's worth, so tiny maps stay in one bucket). */
static inline bool ms_map_overload(uint64_t count, unsigned B)
{
    return count > BUCKET_CNT && count > LOAD_NUM * ((1ull << B) / LOAD_DEN);
}

/* Go's tooManyOverflowBuckets: "too many" is about as many overflow
 * buckets as regular buckets.  The count saturates at 2^15 (a uint16) so
 * the threshold is capped at 2^15; above B = 15 incr_noverflow counts
 * probabilistically so that the capped counter still means ~2^B.  Too low
 * a threshold wastes work compacting, too high lets a map that grew and
 * shrank keep lots of memory in sparse chains. */
static inline bool ms_map_too_many_overflow(uint16_t noverflow, unsigned B)
{
    if (B > 15)
        B = 15;
    return noverflow >= (1u << B);
}

/* map.c: stop loudly on a broken invariant (Go's throw("bad map state")). */
void ms_map_fatal(const char *what) __attribute__((noreturn));

/* map_grow.c */
bool ms_map_hash_grow(ms_map *m);
void ms_map_set_marks(ms_map *m);
void ms_map_prefault_start(ms_map *m);
void ms_map_prefault_step(ms_map *m);
void ms_map_prefault_drop(ms_map *m);
void ms_map_grow_work(ms_map *m, uint64_t bucket);
uint8_t *ms_map_new_overflow(ms_map *m, uint8_t *b);
bool ms_map_array_alloc(ms_map *m, unsigned B, struct barray *a);
void ms_map_array_free(ms_map *m, struct barray *a);
uint64_t ms_map_now_ns(void);

#endif /* MS_MAP_INTERNAL_H */
