/*
 * map_test_util.h — helpers shared by the map engine's Check tests: a
 * trivially correct reference model (a directly indexed array over a small
 * key universe), pointer-like keys, full comparisons, and recipes that put
 * a map in a given growth state using only the public API.
 */
#ifndef MS_MAP_TEST_UTIL_H
#define MS_MAP_TEST_UTIL_H

#include "map.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../check_run.h"

/* Check's ck_assert_* record the location on every call (a write to its
 * message file), which dominates a loop of millions of operations.  These
 * cost nothing until they fail, then report through ck_abort_msg. */
#define MUST(c)                                                                                    \
    do {                                                                                           \
        if (__builtin_expect(!(c), 0))                                                             \
            ck_abort_msg("%s:%d: assertion '%s' failed", __FILE__, __LINE__, #c);                  \
    } while (0)
#define MUST_EQ(a, b)                                                                              \
    do {                                                                                           \
        unsigned long long a_ = (a), b_ = (b);                                                     \
        if (__builtin_expect(a_ != b_, 0))                                                         \
            ck_abort_msg("%s:%d: %s == %s failed (%llu != %llu)", __FILE__, __LINE__, #a, #b, a_,  \
                         b_);                                                                      \
    } while (0)

/* The tests' random numbers (xorshift64: fast, and a failure replays from
 * its seed). */
static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* A test case with a time limit, added to su. */
static inline TCase *add_tcase(Suite *su, const char *name, double timeout_s)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout_s);
    suite_add_tcase(su, tc);
    return tc;
}

/* Run a suite with Check's summary line in the log; exit status for main. */
static inline int run_suite(Suite *su)
{
    return ms_check_run(su, 0);
}

/* Keys look like malloc'd addresses: 16-byte aligned, in one dense range. */
#define KEY_BASE 0x00007f3a10000000ull
static inline uint64_t ptr_key(uint64_t i)
{
    return KEY_BASE + i * 16;
}
static inline uint64_t key_index(uint64_t k)
{
    return (k - KEY_BASE) / 16;
}

/* Reference model: index i of the universe present or not, with a value. */
struct ref {
    size_t n;
    uint8_t *present;
    uint64_t *val;
    size_t count;
};

static inline void ref_init(struct ref *r, size_t n)
{
    r->n = n;
    r->present = calloc(n, 1);
    r->val = calloc(n, sizeof *r->val);
    r->count = 0;
    MUST(r->present && r->val);
}

static inline void ref_free(struct ref *r)
{
    free(r->present);
    free(r->val);
}

static inline void ref_put(struct ref *r, uint64_t i, uint64_t v)
{
    if (!r->present[i])
        r->count++;
    r->present[i] = 1;
    r->val[i] = v;
}

static inline void ref_del(struct ref *r, uint64_t i)
{
    if (r->present[i])
        r->count--;
    r->present[i] = 0;
}

static inline void ref_clear(struct ref *r)
{
    memset(r->present, 0, r->n);
    r->count = 0;
}

static inline void assert_consistent(const ms_map *m)
{
    const char *err = ms_map_check(m);
    if (err)
        ck_abort_msg("ms_map_check: %s", err);
}

/* Put (key i -> v) in both. */
static inline void both_put(ms_map *m, struct ref *r, uint64_t i, uint64_t v)
{
    uint64_t k = ptr_key(i);
    bool inserted = false;
    uint64_t *slot = ms_map_assign(m, &k, &inserted);
    MUST(slot != NULL);
    MUST_EQ(inserted, !r->present[i]);
    if (inserted)
        MUST_EQ(*slot, 0);
    else
        MUST_EQ(*slot, r->val[i]);
    *slot = v;
    ref_put(r, i, v);
}

static inline void both_del(ms_map *m, struct ref *r, uint64_t i)
{
    uint64_t k = ptr_key(i), out = 0;
    bool was = ms_map_delete(m, &k, &out);
    MUST_EQ(was, r->present[i]);
    if (was)
        MUST_EQ(out, r->val[i]);
    ref_del(r, i);
}

static inline void assert_lookup(ms_map *m, struct ref *r, uint64_t i)
{
    uint64_t k = ptr_key(i);
    uint64_t *v = ms_map_lookup(m, &k);
    if (r->present[i]) {
        if (!v)
            ck_abort_msg("key %llu missing", (unsigned long long)i);
        MUST_EQ(*v, r->val[i]);
    } else {
        if (v)
            ck_abort_msg("key %llu should be absent", (unsigned long long)i);
    }
}

/* Iterate the whole map: every entry is in the reference with its value,
 * seen once, and nothing in the reference is missing. */
static inline void assert_same(ms_map *m, struct ref *r)
{
    MUST_EQ(ms_map_count(m), r->count);
    uint8_t *seen = calloc(r->n, 1);
    MUST(seen != NULL);
    ms_map_iter it;
    const void *k;
    void *v;
    size_t n = 0;
    ms_map_iter_init(&it, m);
    while (ms_map_iter_next(&it, &k, &v)) {
        uint64_t key, val;
        memcpy(&key, k, 8);
        memcpy(&val, v, 8);
        uint64_t i = key_index(key);
        if (!(i < r->n && r->present[i]))
            ck_abort_msg("iteration returned a key not in the map");
        if (seen[i])
            ck_abort_msg("iteration returned a key twice");
        MUST_EQ(val, r->val[i]);
        seen[i] = 1;
        n++;
    }
    MUST_EQ(n, r->count);
    free(seen);
}

static inline struct ms_map_stats stats_of(const ms_map *m)
{
    struct ms_map_stats st;
    ms_map_stats(m, &st);
    return st;
}

/* Next universe index >= *next whose key falls in bucket `bucket` of a
 * 2^B array (the low B bits of the hash pick the bucket). */
static inline uint64_t index_in_bucket(const ms_map *m, uint64_t *next, uint64_t bucket, unsigned B)
{
    for (;; (*next)++) {
        uint64_t k = ptr_key(*next);
        if ((ms_map_hash(m, &k) & ((1ull << B) - 1)) == bucket)
            return (*next)++;
    }
}

/* Universe indexes of [from, to) grouped by the low bits of their hash
 * (their bucket in a 2^bits array): keys that collide on demand. */
struct pool {
    uint32_t *idx;
    uint32_t *start; /* group g is idx[start[g]] .. idx[start[g + 1] - 1] */
    unsigned bits;
};

static inline void pool_build(struct pool *p, const ms_map *m, uint64_t from, uint64_t to,
                              unsigned bits)
{
    uint64_t groups = 1ull << bits, mask = groups - 1;
    p->bits = bits;
    p->idx = malloc((to - from) * sizeof *p->idx);
    p->start = calloc(groups + 1, sizeof *p->start);
    uint32_t *fill = calloc(groups, sizeof *fill);
    MUST(p->idx && p->start && fill);
    for (uint64_t i = from; i < to; i++) {
        uint64_t k = ptr_key(i);
        p->start[(ms_map_hash(m, &k) & mask) + 1]++;
    }
    for (uint64_t g = 0; g < groups; g++)
        p->start[g + 1] += p->start[g];
    for (uint64_t i = from; i < to; i++) {
        uint64_t k = ptr_key(i), g = ms_map_hash(m, &k) & mask;
        p->idx[p->start[g] + fill[g]++] = (uint32_t)i;
    }
    free(fill);
}

static inline uint32_t pool_size(const struct pool *p, uint64_t g)
{
    return p->start[g + 1] - p->start[g];
}

static inline uint32_t pool_get(const struct pool *p, uint64_t g, uint32_t j)
{
    return p->idx[p->start[g] + j];
}

static inline void pool_free(struct pool *p)
{
    free(p->idx);
    free(p->start);
}

/* Fill with fresh keys (from *next on) until a doubling is in progress. */
static inline void drive_to_doubling(ms_map *m, struct ref *r, uint64_t *next)
{
    for (;;) {
        struct ms_map_stats st = stats_of(m);
        if (st.growing && !st.same_size_growing)
            return;
        MUST(*next < r->n);
        both_put(m, r, *next, *next * 3 + 1);
        (*next)++;
    }
}

/* Build sparse overflow chains until a same-size growth starts: fill one
 * bucket past its 8 slots with colliding keys (from universe indexes
 * [from, to)) and delete them again, bucket after bucket (the chains stay,
 * so the overflow count climbs while the entry count does not).  Needs a
 * map that is not growing. */
static inline void drive_to_same_size(ms_map *m, struct ref *r, uint64_t from, uint64_t to)
{
    unsigned B = stats_of(m).B;
    struct pool p;
    pool_build(&p, m, from, to, B);
    for (uint64_t g = 0;; g = (g + 1) & ((1ull << B) - 1)) {
        uint32_t filled = 0, n = pool_size(&p, g) < 24 ? pool_size(&p, g) : 24;
        while (filled < n && !stats_of(m).growing) {
            uint32_t i = pool_get(&p, g, filled++);
            both_put(m, r, i, i + 7);
        }
        struct ms_map_stats st = stats_of(m);
        if (st.growing) {
            if (!st.same_size_growing || st.B != B)
                ck_abort_msg("expected a same-size growth, got a doubling");
            pool_free(&p);
            return;
        }
        for (uint32_t j = 0; j < filled; j++)
            both_del(m, r, pool_get(&p, g, j));
    }
}

/* Operations until the current growth is over. */
static inline void drive_to_completion(ms_map *m)
{
    while (ms_map_maintain(m, 1))
        ;
}

#endif /* MS_MAP_TEST_UTIL_H */
