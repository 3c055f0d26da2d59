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

/* ---------------------------------------------------------------------
 * Bucket layout.  A bucket is Go's bmap cut in three: its tophash word
 * (the 8 tophash bytes), its overflow word (the overflow pointer, plus a
 * filter, see below) and its data: 8 keys, then 8 values (keys together
 * then values together: no padding between a small key and a large
 * value, Go's reason).  A bucket array keeps each part of all its buckets
 * in a region of its own: the tophash words densely (8 bytes per bucket),
 * the overflow words densely, the data parts.  An overflow bucket is one
 * arena unit: tophash word, overflow word, data.  The overflow pointer
 * points at the next overflow bucket's unit.
 *
 * Why (measured; map.c's header has the figures): a lookup that misses,
 * and the search for a free slot of an insert, read only tophash words.
 * Inline, each is the first cache line of a 144-byte bucket, a memory
 * access in a big map; dense, they are 2 MB for 1M entries (which the
 * second-level cache holds) and 16 MB for 10M (the last-level cache), as
 * dense as a Swiss table's control bytes.  A lookup reads the overflow
 * word only when the first bucket is full.
 */
#define TOP_BYTES 8 /* tophash word */
#define OVF_BYTES 8 /* overflow word */

/* A bucket: where its three parts are. */
struct bkt {
    uint8_t *top; /* tophash word */
    uint8_t *ovf; /* overflow word */
    uint8_t *kv;  /* keys, values */
};

/* The regions of a bucket array, in address order. */
enum { R_TOP, R_OVF, R_KV, NREGIONS };

/* One region of a bucket array.  For an array with its own mapping, the
 * region's first `released` bytes are given back already, of which the
 * first `unmapped` are unmapped too (see release_old_prefix). */
struct region {
    uint8_t *base;
    uint64_t bytes;    /* length (page-rounded when mapped) */
    uint64_t released; /* own mapping only */
    uint64_t unmapped; /* own mapping only */
};

/* A bucket array of 2^B buckets: from the arena when small (one run of
 * units holding the three regions one after the other), its own mapping
 * when big (the regions each page-rounded, in order), so it can be
 * unmapped as soon as it is not needed, and progressively. */
struct barray {
    struct region r[NREGIONS];
    uint64_t n;  /* buckets */
    bool mapped; /* own mapping (else: arena units) */
};

struct ms_map {
    /* What every operation reads, together at the start (one cache line
     * for the common case). */
    uint64_t count;      /* live entries */
    uint8_t B;           /* log2 of the number of buckets in the current array */
    uint8_t path;        /* which code the operations take (PATH_*, ms_map_sync_path) */
    bool same_size;      /* the current growth keeps B (overflow compaction) */
    bool w8;             /* keys and values are 8 bytes: the fast instantiation */
    bool addr_keys;      /* keys are addresses: ms_hash_addr (MS_MAP_ADDRESS_KEYS) */
    uint16_t noverflow;  /* Go's approximate overflow-bucket count; see incr_noverflow */
    uint32_t keysize;    /* bytes per key */
    uint32_t valsize;    /* bytes per value */
    uint32_t dsize;      /* bytes per data part */
    uint64_t mask;       /* 2^B - 1 */
    uint64_t seed;       /* hash seed */
    uint8_t *tops;       /* tophash words of the 2^B buckets (cur.r[R_TOP].base) */
    uint8_t *ovfs;       /* their overflow words */
    uint8_t *kvs;        /* their data parts */
    uint8_t *oldtops;    /* the previous array's; non-NULL only while growing */
    uint64_t fast_limit; /* inserts take the fast path while count is below this (set_marks) */

    uint8_t *oldovfs;       /* (old.r[R_OVF].base) */
    uint8_t *oldkvs;        /* (old.r[R_KV].base) */
    uint32_t bsize;         /* bytes per overflow bucket (arena unit): all three parts */
    uint8_t hintB;          /* B asked for at creation; clear goes back to at most this */
    uint32_t shard;         /* index in its ms_smap, if any (for ms_smap_unlock) */
    uint64_t seed2;         /* seed of the iterator's tie-break hash (keys > 8 bytes) */
    uint64_t rng;           /* xorshift state for incr_noverflow */
    uint64_t generation;    /* bumped whenever the array changes (iterators' caches) */
    uint64_t nevacuate;     /* old buckets below this are evacuated (and may be unmapped) */
    struct barray cur;      /* the current array */
    struct barray old;      /* the old array, while growing */
    struct barray next;     /* the next doubling's array, being pre-faulted (or empty) */
    uint64_t prefault_left; /* bytes of `next` still to fault in; 0 when none */
    uint64_t prefault_at;   /* count at which to start preparing `next` */

    uint64_t novf_cur; /* overflow buckets chained to the current array (exact) */
    uint64_t novf_old; /* overflow buckets chained to unevacuated old buckets */

    uint64_t grows_doubling;
    uint64_t grows_same_size;
    uint64_t ops_while_growing;
    uint64_t ns_growing;    /* completed growths */
    uint64_t grow_start_ns; /* start of the current growth */

    struct ms_arena arena; /* overflow buckets, small arrays, this struct */
};

static inline uint64_t bkt_top_word(struct bkt b)
{
    uint64_t w;
    memcpy(&w, b.top, 8);
    return w;
}

/* The hot paths are written once, as always-inline functions that take the
 * key size as a parameter, and instantiated twice: with the constant 8 (the
 * shim's keys are addresses: offsets fold to constants, keys compare as one
 * word) and with the map's key size. */
#define HOT static inline __attribute__((always_inline))

HOT uint8_t *key_at(struct bkt b, unsigned i, uint32_t ks)
{
    return b.kv + (size_t)i * ks;
}

HOT uint8_t *val_at(const ms_map *m, struct bkt b, unsigned i, uint32_t ks)
{
    return b.kv + BUCKET_CNT * ks + (size_t)i * m->valsize;
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

static inline uint8_t *bkt_key(const ms_map *m, struct bkt b, unsigned i)
{
    return key_at(b, i, m->keysize);
}

static inline uint8_t *bkt_val(const ms_map *m, struct bkt b, unsigned i)
{
    return val_at(m, b, i, m->keysize);
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

/* The overflow bucket whose unit starts at u. */
static inline struct bkt unit_bkt(uint8_t *u)
{
    if (!u)
        return (struct bkt){NULL, NULL, NULL};
    return (struct bkt){u, u + TOP_BYTES, u + TOP_BYTES + OVF_BYTES};
}

/* The overflow word: the overflow pointer (the unit of the next bucket of
 * the chain, or NULL) in its low 48 bits and, in a chain's first bucket,
 * the overflow filter in its top 16 bits: bit (tophash & 15) is set for
 * every tophash stored in the chain's overflow buckets since the chain was
 * built (deletes leave bits set).  A lookup that finds no emptyRest in the
 * first bucket follows the chain only if the filter has its bit, so a
 * full bucket costs a miss one more dense word instead of a walk to the
 * overflow bucket (see map.c).  User-space addresses fit in 48 bits on
 * every Linux target (the arena checks). */
#define OVF_PTR_BITS 48
#define OVF_PTR_MASK ((1ull << OVF_PTR_BITS) - 1)

static inline uint64_t bkt_ovf_word(struct bkt b)
{
    uint64_t o;
    memcpy(&o, b.ovf, 8);
    return o;
}

static inline void bkt_set_ovf_word(struct bkt b, uint64_t o)
{
    memcpy(b.ovf, &o, 8);
}

static inline uint64_t ovf_filter_bit(uint8_t top)
{
    return 1ull << (OVF_PTR_BITS + (top & 15));
}

static inline uint8_t *bkt_overflow_unit(const ms_map *m, struct bkt b)
{
    (void)m;
    return (uint8_t *)(uintptr_t)(bkt_ovf_word(b) & OVF_PTR_MASK);
}

/* The next bucket of b's chain ({NULL...} at the end). */
static inline struct bkt bkt_next(const ms_map *m, struct bkt b)
{
    return unit_bkt(bkt_overflow_unit(m, b));
}

/* Link unit after b, keeping b's filter. */
static inline void bkt_set_overflow(const ms_map *m, struct bkt b, uint8_t *unit)
{
    (void)m;
    bkt_set_ovf_word(b, (bkt_ovf_word(b) & ~OVF_PTR_MASK) | (uintptr_t)unit);
}

/* A tophash was stored in an overflow bucket of the chain starting at first. */
static inline void bkt_filter_add(struct bkt first, uint8_t top)
{
    bkt_set_ovf_word(first, bkt_ovf_word(first) | ovf_filter_bit(top));
}

/* Whether a search for tophash top must go past first bucket b, given its
 * overflow word: the filter admits top.  (Asked only when b has no
 * emptyRest slot.) */
static inline bool ovf_may_hold(uint64_t ovf_word, uint8_t top)
{
    return (ovf_word >> (OVF_PTR_BITS + (top & 15))) & 1;
}

/* Bucket i of the array whose regions start at tops, ovfs and kvs. */
static inline struct bkt bkt_at(const ms_map *m, uint8_t *tops, uint8_t *ovfs, uint8_t *kvs,
                                uint64_t i)
{
    return (struct bkt){tops + i * TOP_BYTES, ovfs + i * OVF_BYTES, kvs + i * m->dsize};
}

static inline struct bkt cur_bkt(const ms_map *m, uint64_t i)
{
    return bkt_at(m, m->tops, m->ovfs, m->kvs, i);
}

static inline struct bkt old_bkt(const ms_map *m, uint64_t i)
{
    return bkt_at(m, m->oldtops, m->oldovfs, m->oldkvs, i);
}

/* Ask for a bucket's data part, for writing: its first two cache lines
 * (the keys and the values, for 8-byte keys and values). */
static inline void bkt_prefetch_kv(const ms_map *m, struct bkt b)
{
    __builtin_prefetch(b.kv, 1);
    __builtin_prefetch(b.kv + 64, 1);
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
 * Hash and keys.
 */
static inline uint8_t tophash(uint64_t h)
{
    unsigned top = (unsigned)(h >> 56);
    return (uint8_t)(top + MIN_TOPHASH * (top < MIN_TOPHASH));
}

static inline uint64_t bucket_mask(unsigned B)
{
    return (1ull << B) - 1;
}

/* The hash of a key of ks bytes (m->keysize; a constant where the caller's
 * instantiation has one). */
static inline uint64_t map_hash_ks(const ms_map *m, const void *key, uint32_t ks)
{
    if (m->addr_keys) {
        uint64_t a;
        memcpy(&a, key, 8);
        return ms_hash_addr(a, m->seed);
    }
    return ms_hash_bytes(key, ks, m->seed);
}

static inline uint64_t map_hash(const ms_map *m, const void *key)
{
    return map_hash_ks(m, key, m->keysize);
}

static inline bool key_equal(const ms_map *m, const void *a, const void *b)
{
    return key_eq(a, b, m->keysize);
}

/* An old bucket whose tophash[0] is a marker in EVAC_X..EVAC_EMPTY has been
 * moved to the new array (Go's evacuated()).  Old buckets below nevacuate
 * are evacuated by definition and their memory may already be unmapped, so
 * callers test the index first (old_evacuated). */
static inline bool bkt_evacuated(struct bkt b)
{
    return b.top[0] > EMPTY_ONE && b.top[0] < MIN_TOPHASH;
}

static inline uint64_t noldbuckets(const ms_map *m)
{
    return 1ull << (m->same_size ? m->B : m->B - 1);
}

static inline bool old_evacuated(const ms_map *m, uint64_t ob)
{
    return ob < m->nevacuate || bkt_evacuated(old_bkt(m, ob));
}

/* The code an operation takes, decided once per change of state rather
 * than tested piece by piece on every operation (each test is instructions
 * on the hot path, see map.c):
 *   PATH_W8     8-byte keys and values, no pending work;
 *   PATH_OTHER  other sizes, or growth work or pre-faulting pending. */
enum { PATH_W8, PATH_OTHER };

/* Recompute `path` and `mask`; called after every change of the array,
 * the growth state or the pre-fault state. */
static inline void ms_map_sync_path(ms_map *m)
{
    m->mask = bucket_mask(m->B);
    m->path = !m->w8 || m->oldtops || m->prefault_left ? PATH_OTHER : PATH_W8;
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
struct bkt ms_map_new_overflow(ms_map *m, struct bkt b);
bool ms_map_array_alloc(ms_map *m, unsigned B, struct barray *a);
void ms_map_array_free(ms_map *m, struct barray *a);
uint64_t ms_map_now_ns(void);

#endif /* MS_MAP_INTERNAL_H */
