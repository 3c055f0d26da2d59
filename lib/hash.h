/*
 * hash.h — the map engine's seeded 64-bit hash.
 *
 * The shim's keys are addresses: malloc returns 16-byte aligned pointers in
 * a few dense ranges, so their low bits are constant and their high bits
 * nearly so.  The identity (GLib's g_direct_hash) or a weak mix would put
 * them in a handful of buckets.  The map uses the low B bits of the hash
 * for the bucket index and the top 8 bits for the tophash, so both ends
 * must depend on every key bit: a full avalanche mixer is needed.
 *
 * Keys of at most 8 bytes (the shim's) take one 64x64->128-bit multiply of
 * (key ^ seed) by an odd constant, folded (high half xor low half): every
 * input bit reaches both the bucket bits and the tophash bits, in about 5
 * cycles.  A bijective mixer (two multiply rounds, ms_mix64) measured ~10%
 * slower lookups; a single multiply without the fold leaves the low bits
 * depending only on the low key bits.  The fold is not a bijection, so two
 * keys can share a 64-bit hash; the iterator, which orders entries by
 * hash, breaks such ties with a second hash (map_iter.c).
 *
 * The seed comes from getrandom(2) per map, as Go's hash0 comes from
 * fastrand: a program whose allocation addresses happen to collide under
 * one seed does not collide under the next run's.
 */
#ifndef MS_HASH_H
#define MS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A bijective 64-bit finalizer (xor-shift / odd-multiply rounds, the
 * constants of splitmix64's output function): every input bit affects every
 * output bit with probability close to 1/2.  Finalises long keys, and
 * derives seeds. */
static inline uint64_t ms_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* 64x64->128 multiply folded to 64 bits: one multiply absorbs a whole word. */
static inline uint64_t ms_mum(uint64_t a, uint64_t b)
{
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Load up to 8 bytes little-endian, zero-padded. */
static inline uint64_t ms_load_tail(const uint8_t *p, size_t n)
{
    uint64_t w = 0;
    memcpy(&w, p, n);
    return w;
}

static inline uint64_t ms_hash_bytes(const void *key, size_t len, uint64_t seed)
{
    const uint8_t *p = key;
    if (len == 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        return ms_mum(w ^ seed, 0x9e3779b97f4a7c15ull);
    }
    if (len < 8)
        return ms_mum(ms_load_tail(p, len) ^ seed, 0x9e3779b97f4a7c15ull);
    /* Longer keys: absorb each word with a 128-bit multiply against a
     * seeded constant, then finalise.  The length is mixed in first so
     * that keys of different sizes differ (the map's keys all have the
     * same size, but the function is general). */
    uint64_t acc = seed ^ (len * 0x9e3779b97f4a7c15ull);
    const uint64_t k = (seed | 1) ^ 0xa0761d6478bd642full;
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc = ms_mum(acc ^ w, k);
    }
    if (len)
        acc = ms_mum(acc ^ ms_load_tail(p, len), k ^ 0xe7037ed1a0b428dbull);
    return ms_mix64(acc);
}

/* The hash of an address key (maps created with MS_MAP_ADDRESS_KEYS: the
 * shim's books of live blocks).  ms_hash_bytes scatters keys over the whole
 * array, so each insert and delete in a big map touches a tophash word and
 * a data part in two random pages: a cache miss and, past a few MB of
 * books, a page-table walk for each.  But blocks allocated together lie
 * together (a fresh heap grows upwards; a freed structure gives back
 * neighbours) and are freed together.  So this hash keeps memory's
 * neighbourhoods: the bits above 64 KiB pick a random place in the array
 * (the seeded multiply), and the block's position in its 64 KiB region
 * (4096 16-byte granules) is xored into the low bits, so a region's blocks
 * fall in 4096 consecutive buckets, in address order: their tophash words
 * share cache lines, their data parts share pages, and consecutive blocks
 * are accesses the processor's prefetchers follow.
 *
 * The position (to 8 bytes) is also mixed into the tophash byte (the top
 * 8 bits), which the region alone would decide: in an array of fewer than
 * 4096 buckets, one region's granules 2^B apart share a bucket and would
 * share a tophash too.  The bits just below it (ms_smap's shard bits) stay
 * the region's, so a region stays in one shard.  Two keys in one granule
 * (jemalloc's 8-byte blocks side by side) share a bucket, their tophash
 * told apart by bit 3.
 *
 * Measured (python3 PYTHONMALLOC=malloc, 4.8 M allocations, CPU ratio to
 * native, medians of 5-11 alternating runs): 1.82-1.85x with
 * ms_hash_bytes, 1.75x with 4 KiB regions, 1.62-1.67x with 64 KiB; 1 MiB
 * and 16 MiB regions were no better.  Folding the position (pos ^ pos >> 6,
 * to spread one stride's blocks over a small array) cost 3-4 % of that and
 * was left out: in a small array, blocks of one stride in one region may
 * use a quarter of the buckets or fewer (longer chains, all in cache); in a
 * big one, each region's random start evens them out. */
#define MS_HASH_ADDR_REGION_SHIFT 16
static inline uint64_t ms_hash_addr(uint64_t a, uint64_t seed)
{
    uint64_t pos = (a >> 4) & ((1u << (MS_HASH_ADDR_REGION_SHIFT - 4)) - 1);
    uint64_t h = ms_mum((a >> MS_HASH_ADDR_REGION_SHIFT) ^ seed, 0x9e3779b97f4a7c15ull);
    uint64_t top =
        ((a >> 3) & ((1u << (MS_HASH_ADDR_REGION_SHIFT - 3)) - 1)) * 0xd6e8feb86659fd93ull;
    return h ^ pos ^ (top & 0xff00000000000000ull);
}

/* A random 64-bit seed from getrandom(2); falls back to a mix of clocks,
 * addresses and the pid when the kernel cannot give one (very early boot,
 * seccomp filters).  Never blocks. */
uint64_t ms_hash_random_seed(void);

#endif /* MS_HASH_H */
