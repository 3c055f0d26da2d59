/*
 * test_map_random.c — randomized differential test of the map engine
 * against a trivially correct reference (a directly indexed array over the
 * key universe): over a million mixed operations in phases that grow,
 * churn (which builds the sparse chains behind same-size growth), shrink
 * and clear the map, with a full comparison and the invariant checker
 * every few thousand operations.  The seed is printed so a failure can be
 * replayed (MS_TEST_SEED=n).
 */
#include "map_test_util.h"

#include <stdio.h>
#include <time.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    return xorshift64(&rng_state);
}

static uint64_t test_seed(void)
{
    const char *e = getenv("MS_TEST_SEED");
    if (e && *e)
        return strtoull(e, NULL, 0);
    return (uint64_t)time(NULL) * 2654435761u + 1;
}

/* A phase: how many operations, over which part of the universe, and the
 * mix (percent inserts, percent deletes; the rest are lookups and other
 * operations). */
struct phase {
    const char *name;
    unsigned ops;
    uint64_t span;
    unsigned pct_put, pct_del;
    bool hot; /* a moving hot spot instead of uniform keys */
};

/* A "hot" phase inserts then deletes keys of one hash group after
 * another (groups by the low 8 bits of the hash), so one bucket after
 * another grows an overflow chain that stays behind, sparse.  That is what
 * same-size growth exists for, and uniform random keys almost never cause
 * it (a chain fills only where 9 keys meet). */
#define HOT_BITS   8
#define HOT_WINDOW 1000
static struct pool hot;

/* Operation n of a hot phase: the first half of each window inserts keys
 * of the window's class, the second half deletes them. */
static uint64_t hot_pick(unsigned n, unsigned *pct_put, unsigned *pct_del)
{
    unsigned c = (n / HOT_WINDOW) % (1u << HOT_BITS);
    bool filling = n % HOT_WINDOW < HOT_WINDOW / 2;
    *pct_put = filling ? 85 : 5;
    *pct_del = filling ? 5 : 85;
    uint32_t size = pool_size(&hot, c);
    return pool_get(&hot, c, (uint32_t)(rnd() % (size < 400 ? size : 400)));
}

static void run_phases(uint32_t check_every, unsigned flags)
{
    uint64_t seed = test_seed();
    rng_state = seed | 1;
    printf("test_map_random: seed %llu (replay with MS_TEST_SEED)\n", (unsigned long long)seed);
    fflush(stdout);

    const uint64_t U = 1u << 17;
    ms_map *m = ms_map_create_flags(8, 8, 0, seed, flags);
    MUST(m != NULL);
    struct ref r;
    ref_init(&r, U);
    pool_build(&hot, m, 0, U, HOT_BITS);
    static const struct phase phases[] = {
        {"hot-1", 60000, 0, 0, 0, true},
        {"grow", 150000, 1u << 17, 80, 5, false},
        {"churn", 150000, 1u << 17, 45, 45, false},
        {"shrink", 150000, 1u << 17, 5, 80, false},
        {"churn-small", 100000, 1u << 12, 48, 48, false},
        {"grow-again", 100000, 1u << 16, 70, 10, false},
        {"lookups", 50000, 1u << 17, 5, 5, false},
        {"churn-2", 100000, 1u << 17, 50, 48, false},
    };
    uint64_t total = 0;
    for (int round = 0; round < 2; round++) {
        for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++) {
            const struct phase *ph = &phases[p];
            for (unsigned n = 0; n < ph->ops; n++, total++) {
                unsigned pct_put = ph->pct_put, pct_del = ph->pct_del;
                uint64_t i = ph->hot ? hot_pick(n, &pct_put, &pct_del) : rnd() % ph->span;
                unsigned dice = (unsigned)(rnd() % 100);
                if (dice < pct_put) {
                    both_put(m, &r, i, rnd());
                } else if (dice < pct_put + pct_del) {
                    both_del(m, &r, i);
                } else if (dice < 98) {
                    assert_lookup(m, &r, i);
                } else if (dice == 98) {
                    ms_map_maintain(m, (unsigned)(rnd() % 4));
                } else {
                    MUST_EQ(ms_map_count(m), r.count);
                }
                if (total % check_every == 0) {
                    assert_consistent(m);
                    assert_same(m, &r);
                }
            }
            assert_consistent(m);
            assert_same(m, &r);
        }
        ms_map_clear(m);
        ref_clear(&r);
        assert_consistent(m);
        assert_same(m, &r);
    }
    struct ms_map_stats st = stats_of(m);
    printf("test_map_random: %llu operations, %llu doublings, %llu same-size growths\n",
           (unsigned long long)total, (unsigned long long)st.grows_doubling,
           (unsigned long long)st.grows_same_size);
    ck_assert_uint_ge(total, 1000000);
    /* The phases are meant to exercise both kinds of growth. */
    ck_assert_uint_gt(st.grows_doubling, 0);
    ck_assert_uint_gt(st.grows_same_size, 0);
    ref_free(&r);
    pool_free(&hot);
    ms_map_destroy(m);
}

START_TEST(differential)
{
    /* The sanitizer build is several times slower: compare less often. */
    const char *san = getenv("MS_SANITIZED");
    run_phases(san && *san ? 40000 : 10000, 0);
}
END_TEST

/* The same with the shim's hash of address keys (ptr_key's keys are dense
 * and 16-byte aligned: 32 regions of 64 KiB, so most buckets of the small
 * arrays hold keys of one region). */
START_TEST(differential_address_keys)
{
    const char *san = getenv("MS_SANITIZED");
    run_phases(san && *san ? 40000 : 10000, MS_MAP_ADDRESS_KEYS);
}
END_TEST

/* The generic paths (keys of other sizes, no values) against the same
 * reference: keys are 12 bytes (the index and a constant tail). */
START_TEST(differential_wide_keys)
{
    uint64_t seed = test_seed() + 1;
    rng_state = seed | 1;
    const uint64_t U = 1u << 14;
    ms_map *m = ms_map_create_seeded(12, 0, 0, seed);
    uint8_t *present = calloc(U, 1);
    size_t count = 0;
    for (unsigned n = 0; n < 300000; n++) {
        uint32_t key[3] = {(uint32_t)(rnd() % U), 0xdeadbeef, 7};
        unsigned dice = (unsigned)(rnd() % 100);
        if (dice < 50) {
            bool ins;
            MUST(ms_map_assign(m, key, &ins) != NULL);
            MUST_EQ(ins, !present[key[0]]);
            count += ins;
            present[key[0]] = 1;
        } else if (dice < 90) {
            bool was = ms_map_delete(m, key, NULL);
            MUST_EQ(was, present[key[0]]);
            count -= was;
            present[key[0]] = 0;
        } else {
            MUST_EQ(ms_map_lookup(m, key) != NULL, present[key[0]]);
        }
        if (n % 20000 == 0) {
            assert_consistent(m);
            MUST_EQ(ms_map_count(m), count);
            ms_map_iter it;
            const void *k;
            void *v;
            size_t seen = 0;
            ms_map_iter_init(&it, m);
            while (ms_map_iter_next(&it, &k, &v)) {
                uint32_t kk[3];
                memcpy(kk, k, 12);
                MUST(kk[0] < U && present[kk[0]] == 1);
                present[kk[0]] = 2; /* seen */
                seen++;
            }
            MUST_EQ(seen, count);
            for (uint64_t i = 0; i < U; i++)
                if (present[i] == 2)
                    present[i] = 1;
        }
    }
    free(present);
    ms_map_destroy(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_random");
    TCase *tc = add_tcase(su, "differential", 600);
    tcase_add_test(tc, differential);
    tcase_add_test(tc, differential_address_keys);
    tcase_add_test(tc, differential_wide_keys);
    return run_suite(su);
}
