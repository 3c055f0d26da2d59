/*
 * test_map_basic.c — the map engine's API, operation by operation, on small
 * maps: creation limits, insert/update/lookup/delete for several key and
 * value sizes, clear, stats, iteration, and the ms_smap wrapper.
 */
#include "map_test_util.h"

#include <stdio.h>

START_TEST(create_limits)
{
    ck_assert_ptr_null(ms_map_create(0, 8, 0));
    ck_assert_ptr_null(ms_map_create(MS_MAP_MAX_KEY + 1, 8, 0));
    ck_assert_ptr_null(ms_map_create(8, MS_MAP_MAX_VAL + 1, 0));
    ms_map *m = ms_map_create(MS_MAP_MAX_KEY, MS_MAP_MAX_VAL, 0);
    ck_assert_ptr_nonnull(m);
    ms_map_destroy(m);
    m = ms_map_create(1, 0, 0);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(ms_map_count(m), 0);
    ms_map_destroy(m);
    ms_map_destroy(NULL);
    /* A huge hint cannot be mapped: NULL, not a crash. */
    ck_assert_ptr_null(ms_map_create(8, 8, SIZE_MAX));
}
END_TEST

START_TEST(hint_sizes_first_array)
{
    ms_map *m = ms_map_create(8, 8, 1000);
    struct ms_map_stats st = stats_of(m);
    /* 1000 entries need 2^8 buckets at 6.5 per bucket (2^7 holds 832). */
    ck_assert_uint_eq(st.B, 8);
    struct ref r;
    ref_init(&r, 1000);
    for (uint64_t i = 0; i < 1000; i++)
        both_put(m, &r, i, i);
    ck_assert_uint_eq(stats_of(m).grows_doubling, 0);
    assert_consistent(m);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(insert_lookup_update_delete)
{
    ms_map *m = ms_map_create_seeded(8, 8, 0, 42);
    struct ref r;
    ref_init(&r, 5000);
    for (uint64_t i = 0; i < 5000; i += 2)
        both_put(m, &r, i, i * 10);
    assert_consistent(m);
    for (uint64_t i = 0; i < 5000; i++)
        assert_lookup(m, &r, i);
    for (uint64_t i = 0; i < 5000; i += 4)
        both_put(m, &r, i, i + 1); /* update */
    for (uint64_t i = 0; i < 5000; i += 3)
        both_del(m, &r, i);
    assert_consistent(m);
    for (uint64_t i = 0; i < 5000; i++)
        assert_lookup(m, &r, i);
    assert_same(m, &r);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

/* Keys and values of other sizes go through the generic paths (memcmp,
 * the long-key hash, the iterator's tie-break hash). */
static void odd_sizes(uint32_t ks, uint32_t vs, unsigned n)
{
    ms_map *m = ms_map_create_seeded(ks, vs, 0, 7);
    ck_assert_ptr_nonnull(m);
    uint8_t key[MS_MAP_MAX_KEY], val[MS_MAP_MAX_VAL];
    for (unsigned i = 0; i < n; i++) {
        memset(key, 0xa5, ks);
        memcpy(key, &i, ks < sizeof i ? ks : sizeof i);
        bool ins;
        uint8_t *slot = ms_map_assign(m, key, &ins);
        ck_assert_ptr_nonnull(slot);
        ck_assert(ins);
        for (uint32_t j = 0; j < vs; j++)
            ck_assert_uint_eq(slot[j], 0);
        memset(slot, (int)(i & 0xff), vs);
    }
    ck_assert_uint_eq(ms_map_count(m), n);
    assert_consistent(m);
    for (unsigned i = 0; i < n; i++) {
        memset(key, 0xa5, ks);
        memcpy(key, &i, ks < sizeof i ? ks : sizeof i);
        uint8_t *slot = ms_map_lookup(m, key);
        ck_assert_ptr_nonnull(slot);
        if (vs)
            ck_assert_uint_eq(slot[vs - 1], i & 0xff);
        if (i % 2) {
            ck_assert(ms_map_delete(m, key, val));
            if (vs)
                ck_assert_uint_eq(val[0], i & 0xff);
        }
    }
    ck_assert_uint_eq(ms_map_count(m), n - n / 2);
    ms_map_iter it;
    const void *k;
    void *v;
    unsigned seen = 0;
    ms_map_iter_init(&it, m);
    while (ms_map_iter_next(&it, &k, &v)) {
        unsigned i = 0;
        memcpy(&i, k, ks < sizeof i ? ks : sizeof i);
        ck_assert_uint_eq(i % 2, 0);
        seen++;
    }
    ck_assert_uint_eq(seen, n - n / 2);
    assert_consistent(m);
    ms_map_destroy(m);
}

START_TEST(key_value_sizes)
{
    odd_sizes(1, 0, 256);
    odd_sizes(2, 1, 20000);
    odd_sizes(4, 4, 20000);
    odd_sizes(12, 3, 20000);
    odd_sizes(20, 24, 20000);
    odd_sizes(MS_MAP_MAX_KEY, MS_MAP_MAX_VAL, 3000);
}
END_TEST

START_TEST(hash_is_seeded)
{
    ms_map *a = ms_map_create_seeded(8, 8, 0, 1), *b = ms_map_create_seeded(8, 8, 0, 1);
    ms_map *c = ms_map_create_seeded(8, 8, 0, 2);
    uint64_t k = ptr_key(12345);
    ck_assert_uint_eq(ms_map_hash(a, &k), ms_map_hash(b, &k));
    ck_assert_uint_ne(ms_map_hash(a, &k), ms_map_hash(c, &k));
    /* Random seeds differ from map to map. */
    ms_map *d = ms_map_create(8, 8, 0), *e = ms_map_create(8, 8, 0);
    ck_assert_uint_ne(ms_map_hash(d, &k), ms_map_hash(e, &k));
    /* Pointer-like keys spread over both ends of the hash: all 256 top
     * bytes and all 256 low bytes appear among 64K keys. */
    uint8_t top[256] = {0}, low[256] = {0};
    for (uint64_t i = 0; i < 65536; i++) {
        k = ptr_key(i);
        uint64_t h = ms_map_hash(a, &k);
        top[h >> 56] = 1;
        low[h & 255] = 1;
    }
    for (int i = 0; i < 256; i++)
        ck_assert(top[i] && low[i]);
    ms_map_destroy(a);
    ms_map_destroy(b);
    ms_map_destroy(c);
    ms_map_destroy(d);
    ms_map_destroy(e);
}
END_TEST

/* MS_MAP_ADDRESS_KEYS: only for 8-byte keys; unknown flags are refused. */
START_TEST(address_keys_create)
{
    ck_assert_ptr_null(ms_map_create_flags(12, 8, 0, 1, MS_MAP_ADDRESS_KEYS));
    ck_assert_ptr_null(ms_map_create_flags(8, 8, 0, 1, 2));
    ck_assert_ptr_null(ms_smap_create(4, 8, 2, 0, MS_MAP_ADDRESS_KEYS));
    ms_map *m = ms_map_create_flags(8, 8, 0, 1, MS_MAP_ADDRESS_KEYS);
    ck_assert_ptr_nonnull(m);
    ms_map_destroy(m);
}
END_TEST

/* The address hash keeps a 64 KiB region's blocks in 4096 consecutive
 * buckets, in address order (what makes the shim's books cheap), yet
 * spreads regions over the whole array, keeps each region's shard bits
 * (bits 53-55 for ms_smap's 8 shards) and, in small arrays, gives one
 * region's blocks that share a bucket different tophash bytes. */
START_TEST(address_keys_locality)
{
    ms_map *m = ms_map_create_flags(8, 8, 0, 5, MS_MAP_ADDRESS_KEYS);
    const uint64_t base = 0x00007f3a12340000ull; /* a region's start */
    uint64_t k = base, h0 = ms_map_hash(m, &k);
    uint8_t tops[4096] = {0};
    unsigned distinct_tops = 0, same_top8 = 0;
    for (uint64_t g = 0; g < 4096; g++) {
        k = base + 16 * g;
        uint64_t h = ms_map_hash(m, &k);
        /* Low 12 bits: the granule's position, relative to the region's. */
        ck_assert_uint_eq((h ^ h0) & 4095, g);
        /* Bits 12..55 (bucket bits above the region's 4096 and shard
         * bits): the region's. */
        ck_assert_uint_eq((h ^ h0) & 0x00fffffffffff000ull, 0);
        if (!tops[h >> 56]++)
            distinct_tops++;
        /* Its 8-byte neighbour (jemalloc's smallest blocks) takes the same
         * bucket with, mostly, another tophash. */
        uint64_t k8 = k + 8, h8 = ms_map_hash(m, &k8);
        ck_assert_uint_eq(h8 << 8, h << 8);
        same_top8 += (h8 >> 56) == (h >> 56);
    }
    /* 4096 granules, 256 tophash values: nearly all used. */
    ck_assert_uint_ge(distinct_tops, 200);
    ck_assert_uint_le(same_top8, 64);
    /* Regions land all over: the low 12 bits of the region's start vary
     * (4096 regions cover most of the 4096 offsets), and so do its top
     * bytes. */
    static uint8_t starts[4096], rtops[256];
    unsigned n_starts = 0, n_tops = 0;
    for (uint64_t r = 0; r < 4096; r++) {
        k = base + (r << 16);
        uint64_t h = ms_map_hash(m, &k);
        n_starts += !starts[h & 4095]++;
        n_tops += !rtops[h >> 56]++;
    }
    ck_assert_uint_ge(n_starts, 2000);
    ck_assert_uint_ge(n_tops, 250);
    ms_map_destroy(m);
}
END_TEST

/* Address patterns that would defeat a hash of low bits alone: blocks one
 * page apart (one position in every region), 64-byte chunks in a single
 * region, mmap'd blocks 2 MiB apart.  Every key is found, the map is
 * consistent and no chain grows long. */
START_TEST(address_keys_strides)
{
    static const struct {
        uint64_t stride, n;
    } pat[] = {{4096, 200000}, {64, 1024}, {64, 4096}, {2u << 20, 20000}, {48, 300000}};
    for (size_t p = 0; p < sizeof pat / sizeof pat[0]; p++) {
        ms_map *m = ms_map_create_flags(8, 8, 0, 9 + p, MS_MAP_ADDRESS_KEYS);
        for (uint64_t i = 0; i < pat[p].n; i++) {
            uint64_t k = 0x00007f0000000010ull + i * pat[p].stride;
            uint64_t *v = ms_map_assign(m, &k, NULL);
            MUST(v != NULL);
            *v = i;
        }
        assert_consistent(m);
        for (uint64_t i = 0; i < pat[p].n; i++) {
            uint64_t k = 0x00007f0000000010ull + i * pat[p].stride;
            uint64_t *v = ms_map_lookup(m, &k);
            MUST(v != NULL && *v == i);
        }
        struct ms_map_stats st = stats_of(m);
        printf("address_keys_strides: stride %llu x %llu: B %u, %llu overflow buckets, longest "
               "chain %llu\n",
               (unsigned long long)pat[p].stride, (unsigned long long)pat[p].n, st.B,
               (unsigned long long)st.overflow_buckets, (unsigned long long)st.longest_chain);
        ck_assert_uint_le(st.longest_chain, 8);
        ck_assert_uint_le(st.overflow_buckets, st.buckets);
        ms_map_destroy(m);
    }
}
END_TEST

START_TEST(h_variants_agree)
{
    ms_map *m = ms_map_create(8, 8, 0);
    uint64_t k = ptr_key(9), h = ms_map_hash(m, &k);
    uint64_t *v = ms_map_assign_h(m, &k, h, NULL);
    *v = 77;
    ck_assert_ptr_eq(ms_map_lookup(m, &k), ms_map_lookup_h(m, &k, h));
    uint64_t out = 0;
    ck_assert(ms_map_delete_h(m, &k, h, &out));
    ck_assert_uint_eq(out, 77);
    ck_assert(!ms_map_delete_h(m, &k, h, NULL));
    ck_assert_ptr_null(ms_map_lookup_h(m, &k, h));
    ms_map_destroy(m);
}
END_TEST

START_TEST(clear_resets)
{
    ms_map *m = ms_map_create(8, 8, 0);
    struct ref r;
    ref_init(&r, 100000);
    for (uint64_t i = 0; i < 100000; i++)
        both_put(m, &r, i, i);
    ms_map_clear(m);
    ref_clear(&r);
    ck_assert_uint_eq(ms_map_count(m), 0);
    assert_consistent(m);
    struct ms_map_stats st = stats_of(m);
    ck_assert(!st.growing);
    ck_assert_uint_eq(st.overflow_buckets, 0);
    for (uint64_t i = 0; i < 100000; i += 7)
        assert_lookup(m, &r, i);
    for (uint64_t i = 0; i < 1000; i++)
        both_put(m, &r, i * 3, i);
    assert_same(m, &r);
    assert_consistent(m);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(stats_basic)
{
    ms_map *m = ms_map_create(8, 8, 0);
    struct ms_map_stats st = stats_of(m);
    ck_assert_uint_eq(st.count, 0);
    ck_assert_uint_eq(st.B, 0);
    ck_assert_uint_eq(st.buckets, 1);
    ck_assert_uint_eq(st.chain_hist[0], 1);
    ck_assert_uint_gt(st.bytes_total, 0);
    struct ref r;
    ref_init(&r, 10000);
    for (uint64_t i = 0; i < 10000; i++)
        both_put(m, &r, i, i);
    drive_to_completion(m);
    st = stats_of(m);
    ck_assert_uint_eq(st.count, 10000);
    ck_assert_uint_eq(st.B, 11); /* 10000 / 6.5 -> 2^11 buckets */
    ck_assert_uint_eq(st.grows_doubling, 11);
    ck_assert_uint_gt(st.ops_while_growing, 0);
    ck_assert_uint_gt(st.ns_growing, 0);
    uint64_t buckets = 0;
    for (int i = 0; i < MS_MAP_CHAIN_BINS; i++)
        buckets += st.chain_hist[i];
    ck_assert_uint_eq(buckets, st.buckets);
    ck_assert_uint_eq(st.bytes_overflow, st.overflow_buckets * 144);
    ck_assert_uint_ge(st.bytes_total, st.bytes_buckets);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

START_TEST(maintain_idle)
{
    ms_map *m = ms_map_create(8, 8, 0);
    ck_assert(!ms_map_maintain(m, 100));
    ms_map_destroy(m);
}
END_TEST

START_TEST(iteration_basic)
{
    ms_map *m = ms_map_create(8, 8, 0);
    ms_map_iter it;
    const void *k;
    void *v;
    ms_map_iter_init(&it, m);
    ck_assert(!ms_map_iter_next(&it, &k, &v));
    ck_assert(!ms_map_iter_next(&it, &k, &v)); /* stays at the end */
    struct ref r;
    ref_init(&r, 3000);
    for (uint64_t i = 0; i < 3000; i++)
        both_put(m, &r, i, i ^ 0x55);
    assert_same(m, &r);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

/* ---- ms_smap -------------------------------------------------------- */

static bool sum_visit(const void *k, void *v, void *ctx)
{
    uint64_t val;
    memcpy(&val, v, 8);
    *(uint64_t *)ctx += val;
    (void)k;
    return true;
}

static bool stop_visit(const void *k, void *v, void *ctx)
{
    (void)k;
    (void)v;
    return ++*(unsigned *)ctx < 5;
}

START_TEST(smap_basic)
{
    ck_assert_ptr_null(ms_smap_create(8, 8, 13, 0, 0));
    ms_smap *s = ms_smap_create(8, 8, 4, 1000, 0);
    ck_assert_ptr_nonnull(s);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        uint64_t k = ptr_key(i), v = i + 1;
        ck_assert(ms_smap_put(s, &k, &v));
        sum += v;
    }
    ck_assert_uint_eq(ms_smap_count(s), 20000);
    uint64_t k = ptr_key(17), v = 0;
    ck_assert(ms_smap_get(s, &k, &v));
    ck_assert_uint_eq(v, 18);
    v = 5;
    ck_assert(ms_smap_put(s, &k, &v)); /* overwrite */
    sum += 5 - 18;
    ck_assert(ms_smap_get(s, &k, &v));
    ck_assert_uint_eq(v, 5);
    uint64_t got = 0;
    ms_smap_foreach(s, sum_visit, &got);
    ck_assert_uint_eq(got, sum);
    unsigned visits = 0;
    ms_smap_foreach(s, stop_visit, &visits);
    ck_assert_uint_eq(visits, 5);
    ck_assert(ms_smap_take(s, &k, &v));
    ck_assert_uint_eq(v, 5);
    ck_assert(!ms_smap_take(s, &k, NULL));
    ck_assert(!ms_smap_get(s, &k, NULL));
    ck_assert_uint_eq(ms_smap_count(s), 19999);

    /* Compound update under the shard lock. */
    uint64_t h;
    k = ptr_key(100);
    ms_map *m = ms_smap_lock(s, &k, &h);
    uint64_t *slot = ms_map_lookup_h(m, &k, h);
    ck_assert_ptr_nonnull(slot);
    *slot += 1000;
    ms_smap_unlock(s, m);
    ck_assert(ms_smap_get(s, &k, &v));
    ck_assert_uint_eq(v, 1101);

    struct ms_map_stats st;
    ms_smap_stats(s, &st);
    ck_assert_uint_eq(st.count, 19999);
    ck_assert_uint_gt(st.bytes_total, 0);

    ms_smap_lock_all(s);
    ms_smap_unlock_all(s);
    ms_smap_lock_all(s);
    ms_smap_reinit_locks(s); /* as a fork child would */
    ck_assert(ms_smap_get(s, &k, &v));
    ms_smap_destroy(s);
    ms_smap_destroy(NULL);

    s = ms_smap_create(8, 8, 0, 0, 0); /* one shard */
    k = 1;
    v = 2;
    ck_assert(ms_smap_put(s, &k, &v));
    ck_assert(ms_smap_get(s, &k, &v));
    ms_smap_destroy(s);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_basic");
    TCase *tc = add_tcase(su, "api", 120);
    tcase_add_test(tc, create_limits);
    tcase_add_test(tc, hint_sizes_first_array);
    tcase_add_test(tc, insert_lookup_update_delete);
    tcase_add_test(tc, key_value_sizes);
    tcase_add_test(tc, hash_is_seeded);
    tcase_add_test(tc, address_keys_create);
    tcase_add_test(tc, address_keys_locality);
    tcase_add_test(tc, address_keys_strides);
    tcase_add_test(tc, h_variants_agree);
    tcase_add_test(tc, clear_resets);
    tcase_add_test(tc, stats_basic);
    tcase_add_test(tc, maintain_idle);
    tcase_add_test(tc, iteration_basic);
    tcase_add_test(tc, smap_basic);
    return run_suite(su);
}
