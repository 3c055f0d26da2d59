/*
 * test_map_check.c — the invariant checker catches what it claims to, in
 * particular the invariants of the split bucket layout (map_internal.h):
 * every tophash stored in an overflow bucket has its bit in the overflow
 * filter of its chain's first bucket (else lookups miss the key, which the
 * test shows too), only first buckets carry filter bits, and an overflow
 * pointer leads to an arena unit, never into a bucket array.  Each case
 * builds a healthy map with overflow chains, checks that ms_map_check
 * passes, breaks one thing through the engine's internals, and expects the
 * checker to name it.
 */
#include "map_internal.h"
#include "map_test_util.h"

/* A map whose bucket 0 has a chain of two overflow buckets (24 keys that
 * all hash to bucket 0 of a 2^4 array), plus other entries. */
static ms_map *map_with_chain(struct ref *r)
{
    ms_map *m = ms_map_create_seeded(8, 8, 100, 99); /* B = 4: 16 buckets */
    ck_assert_uint_eq(stats_of(m).B, 4);
    uint64_t next = 0;
    for (int i = 0; i < 24; i++) {
        uint64_t k = index_in_bucket(m, &next, 0, 4);
        both_put(m, r, k, k + 1);
    }
    for (uint64_t i = 0; i < 40; i++) {
        uint64_t k = ptr_key(next + i);
        if ((ms_map_hash(m, &k) & 15) != 0)
            both_put(m, r, next + i, i);
    }
    ck_assert_uint_eq(stats_of(m).B, 4); /* no growth: still the chain we built */
    ck_assert_uint_ge(stats_of(m).longest_chain, 2);
    assert_consistent(m);
    return m;
}

/* The first live slot of the first overflow bucket of bucket 0's chain. */
static struct bkt first_overflow(ms_map *m, unsigned *slot)
{
    struct bkt b = bkt_next(m, cur_bkt(m, 0));
    ck_assert_ptr_nonnull(b.top);
    uint64_t full = swar_full(bkt_top_word(b));
    ck_assert_uint_ne(full, 0);
    *slot = swar_first(full);
    return b;
}

static void expect_broken(const ms_map *m, const char *want)
{
    const char *err = ms_map_check(m);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err, want);
}

START_TEST(healthy_chains_pass)
{
    struct ref r;
    ref_init(&r, 1u << 12);
    ms_map *m = map_with_chain(&r);
    /* Every key of the chain is found (the filter admits them). */
    for (uint64_t i = 0; i < r.n; i++)
        assert_lookup(m, &r, i);
    assert_same(m, &r);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(missing_filter_bit_caught)
{
    struct ref r;
    ref_init(&r, 1u << 12);
    ms_map *m = map_with_chain(&r);
    unsigned i;
    struct bkt b = first_overflow(m, &i);
    uint64_t key;
    memcpy(&key, bkt_key(m, b, i), 8);
    ck_assert_ptr_nonnull(ms_map_lookup(m, &key));
    /* Clear the filter bit of that entry's tophash in bucket 0 (and of any
     * other entry sharing it): the lookup no longer leaves the first
     * bucket, so the key is lost, and the checker says why. */
    struct bkt first = cur_bkt(m, 0);
    bkt_set_ovf_word(first, bkt_ovf_word(first) & ~ovf_filter_bit(b.top[i]));
    ck_assert_ptr_null(ms_map_lookup(m, &key));
    expect_broken(m, "an overflow entry's tophash is missing from its chain's filter");
    /* Put it back: healthy again. */
    bkt_filter_add(first, b.top[i]);
    ck_assert_ptr_nonnull(ms_map_lookup(m, &key));
    assert_consistent(m);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(filter_bits_on_overflow_bucket_caught)
{
    struct ref r;
    ref_init(&r, 1u << 12);
    ms_map *m = map_with_chain(&r);
    unsigned i;
    struct bkt b = first_overflow(m, &i);
    bkt_set_ovf_word(b, bkt_ovf_word(b) | ovf_filter_bit(7));
    expect_broken(m, "an overflow bucket has filter bits (only a chain's first bucket has)");
    bkt_set_ovf_word(b, bkt_ovf_word(b) & OVF_PTR_MASK);
    assert_consistent(m);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(overflow_pointer_into_array_caught)
{
    struct ref r;
    ref_init(&r, 1u << 12);
    ms_map *m = map_with_chain(&r);
    /* Bucket 1 (no chain of its own) pointing at bucket 2's header: its
     * "data" would be read from the header array. */
    struct bkt b1 = cur_bkt(m, 1), b2 = cur_bkt(m, 2);
    ck_assert_ptr_null(bkt_overflow_unit(m, b1));
    uint64_t saved = bkt_ovf_word(b1);
    bkt_set_overflow(m, b1, b2.top);
    expect_broken(m, "an overflow pointer points into a bucket array");
    bkt_set_ovf_word(b1, saved);
    assert_consistent(m);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(region_geometry_caught)
{
    struct ref r;
    ref_init(&r, 1u << 12);
    ms_map *m = map_with_chain(&r);
    uint8_t *kvs = m->kvs;
    m->kvs = m->tops + 8; /* data overlapping the headers */
    expect_broken(m, "a bucket array's size or regions disagree with the map");
    m->kvs = kvs;
    assert_consistent(m);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

/* The filter stays complete through growth: chains are rebuilt by
 * evacuation (doubling and same-size), and every key stays reachable. */
START_TEST(filter_survives_growth)
{
    struct ref r;
    ref_init(&r, 1u << 17);
    ms_map *m = ms_map_create_seeded(8, 8, 3000, 5);
    uint64_t next = 0;
    for (int i = 0; i < 1000; i++, next++)
        both_put(m, &r, next, next);
    drive_to_same_size(m, &r, 1u << 16, (1u << 16) + (1u << 15));
    while (ms_map_maintain(m, 1))
        assert_consistent(m);
    drive_to_doubling(m, &r, &next);
    while (ms_map_maintain(m, 3))
        assert_consistent(m);
    for (uint64_t i = 0; i < r.n; i += 7)
        assert_lookup(m, &r, i);
    assert_same(m, &r);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_check");
    TCase *tc = add_tcase(su, "check", 120);
    tcase_add_test(tc, healthy_chains_pass);
    tcase_add_test(tc, missing_filter_bit_caught);
    tcase_add_test(tc, filter_bits_on_overflow_bucket_caught);
    tcase_add_test(tc, overflow_pointer_into_array_caught);
    tcase_add_test(tc, region_geometry_caught);
    tcase_add_test(tc, filter_survives_growth);
    return run_suite(su);
}
