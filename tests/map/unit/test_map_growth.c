/*
 * test_map_growth.c — every operation in every growth state, and the
 * promises about growth:
 *  - each operation (insert, update, lookup hit/miss, delete hit/miss,
 *    iteration, count, stats, maintain, clear) on a map that is not
 *    growing, in the middle of a doubling, in the middle of a same-size
 *    growth, and right after a growth completed, checked against the
 *    reference and the invariant checker;
 *  - a growth completes within 2^oldB operations of any one kind (lookups
 *    only, misses only, deletes only, iteration steps only, maintain);
 *  - iteration across growth: entries present throughout are seen exactly
 *    once while the map doubles (several times) and compacts under the
 *    iterator, with deletes (of the current entry, and of others) and
 *    inserts during the iteration, and a clear in the middle.
 */
#include "map_test_util.h"

#include <stdio.h>

enum state { S_NONE, S_DOUBLING, S_SAME_SIZE, S_JUST_DONE, NSTATES };
static const char *const state_name[NSTATES] = {"none", "mid-doubling", "mid-same-size",
                                                "just-completed"};

#define U (1u << 17)

/* Universe indexes: [0, U/2) for ordinary keys, [U/2, 3U/4) for the
 * colliding bursts that cause same-size growth, [3U/4, U) for the bursts
 * under an iterator. */
struct fixture {
    ms_map *m;
    struct ref r;
    uint64_t next; /* next unused ordinary index */
    struct ms_map_stats before;
};

static void setup(struct fixture *f, enum state s)
{
    ref_init(&f->r, U);
    f->next = 0;
    if (s == S_SAME_SIZE) {
        /* Fixed B = 9 (hint 3000): 1000 entries, then sparse chains. */
        f->m = ms_map_create_seeded(8, 8, 3000, 11);
        for (int i = 0; i < 1000; i++, f->next++)
            both_put(f->m, &f->r, f->next, f->next * 5);
        drive_to_same_size(f->m, &f->r, U / 2, U / 4 * 3);
    } else {
        f->m = ms_map_create_seeded(8, 8, 0, 12);
        for (int i = 0; i < 3000; i++, f->next++)
            both_put(f->m, &f->r, f->next, f->next * 5);
        drive_to_completion(f->m);
        if (s != S_NONE)
            drive_to_doubling(f->m, &f->r, &f->next);
        if (s == S_JUST_DONE)
            drive_to_completion(f->m);
    }
    f->before = stats_of(f->m);
    bool growing = s == S_DOUBLING || s == S_SAME_SIZE;
    ck_assert_int_eq(f->before.growing, growing);
    ck_assert_int_eq(f->before.same_size_growing, s == S_SAME_SIZE);
    if (growing) /* far from done: one operation cannot finish it */
        ck_assert_uint_lt(f->before.nevacuate + 64, 1ull << f->before.oldB);
    if (s == S_JUST_DONE)
        ck_assert_uint_ge(f->before.grows_doubling, 1);
    assert_consistent(f->m);
}

static void teardown(struct fixture *f)
{
    assert_consistent(f->m);
    assert_same(f->m, &f->r);
    ref_free(&f->r);
    ms_map_destroy(f->m);
}

/* A present key: the first one in the universe. */
static uint64_t present_index(const struct fixture *f)
{
    for (uint64_t i = 0; i < f->r.n; i++)
        if (f->r.present[i])
            return i;
    ck_abort_msg("no key present");
    return 0;
}

enum op {
    OP_INSERT,
    OP_UPDATE,
    OP_LOOKUP_HIT,
    OP_LOOKUP_MISS,
    OP_DELETE_HIT,
    OP_DELETE_MISS,
    OP_ITERATE,
    OP_COUNT,
    OP_STATS,
    OP_MAINTAIN,
    OP_CLEAR,
    NOPS
};
static const char *const op_name[NOPS] = {"insert",     "update",      "lookup-hit", "lookup-miss",
                                          "delete-hit", "delete-miss", "iterate",    "count",
                                          "stats",      "maintain",    "clear"};

static void run_op(struct fixture *f, enum op op)
{
    ms_map *m = f->m;
    uint64_t hit = present_index(f), miss = U - 1;
    ck_assert(!f->r.present[miss]);
    switch (op) {
    case OP_INSERT:
        both_put(m, &f->r, f->next, 99);
        assert_lookup(m, &f->r, f->next);
        f->next++;
        break;
    case OP_UPDATE:
        both_put(m, &f->r, hit, 12345);
        assert_lookup(m, &f->r, hit);
        break;
    case OP_LOOKUP_HIT:
        assert_lookup(m, &f->r, hit);
        break;
    case OP_LOOKUP_MISS:
        assert_lookup(m, &f->r, miss);
        break;
    case OP_DELETE_HIT:
        both_del(m, &f->r, hit);
        assert_lookup(m, &f->r, hit);
        break;
    case OP_DELETE_MISS:
        both_del(m, &f->r, miss);
        break;
    case OP_ITERATE:
        assert_same(m, &f->r);
        break;
    case OP_COUNT:
        ck_assert_uint_eq(ms_map_count(m), f->r.count);
        break;
    case OP_STATS: {
        struct ms_map_stats st = stats_of(m);
        ck_assert_uint_eq(st.count, f->r.count);
        ck_assert_int_eq(st.growing, f->before.growing);
        ck_assert_uint_eq(st.buckets, 1ull << st.B);
        if (st.growing) {
            ck_assert_uint_eq(st.oldB, st.same_size_growing ? st.B : st.B - 1);
            ck_assert_uint_gt(st.bytes_old, 0);
        } else {
            ck_assert_uint_eq(st.bytes_old, 0);
            ck_assert_uint_eq(st.nevacuate, 0);
        }
        uint64_t hist = 0;
        for (int i = 0; i < MS_MAP_CHAIN_BINS; i++)
            hist += st.chain_hist[i];
        ck_assert_uint_ge(hist, st.buckets);
        ck_assert_uint_ge(st.bytes_total, st.bytes_buckets > 16384 ? st.bytes_buckets : 0);
        break;
    }
    case OP_MAINTAIN: {
        bool more = ms_map_maintain(m, 5);
        struct ms_map_stats st = stats_of(m);
        ck_assert_int_eq(more, st.growing);
        if (f->before.growing)
            ck_assert_uint_ge(st.nevacuate, f->before.nevacuate + 5);
        break;
    }
    case OP_CLEAR: {
        ms_map_clear(m);
        ref_clear(&f->r);
        struct ms_map_stats st = stats_of(m);
        ck_assert(!st.growing);
        ck_assert_uint_le(st.bytes_total, 128 * 1024);
        for (uint64_t i = 0; i < 100; i++)
            assert_lookup(m, &f->r, i);
        both_put(m, &f->r, 7, 7);
        break;
    }
    default:
        ck_abort_msg("unknown op");
    }
    assert_consistent(m);
}

START_TEST(op_in_state)
{
    enum state s = (enum state)(_i / NOPS);
    enum op op = (enum op)(_i % NOPS);
    struct fixture f;
    setup(&f, s);
    run_op(&f, op);
    /* Growth state after one operation: still growing unless it was a
     * clear (or an iteration, which visits every bucket). */
    struct ms_map_stats st = stats_of(f.m);
    if (f.before.growing && op != OP_CLEAR && op != OP_ITERATE)
        ck_assert_msg(st.growing, "%s in state %s finished the growth", op_name[op], state_name[s]);
    teardown(&f);
}
END_TEST

/* ---- growth completes under any kind of operation -------------------- */

enum only {
    ONLY_LOOKUP_HIT,
    ONLY_LOOKUP_MISS,
    ONLY_DELETE_MISS,
    ONLY_ITER_STEP,
    ONLY_MAINTAIN,
    NONLY
};

START_TEST(growth_completes_under)
{
    enum only kind = (enum only)(_i % NONLY);
    bool same = _i >= NONLY;
    struct fixture f;
    setup(&f, same ? S_SAME_SIZE : S_DOUBLING);
    struct ms_map_stats st = stats_of(f.m);
    uint64_t bound = (1ull << st.oldB) - st.nevacuate, ops = 0;
    uint64_t hit = present_index(&f), miss = U - 1;
    ms_map_iter it;
    ms_map_iter_init(&it, f.m);
    while (ms_map_maintain(f.m, 0)) {
        const void *k;
        void *v;
        switch (kind) {
        case ONLY_LOOKUP_HIT:
            assert_lookup(f.m, &f.r, hit);
            break;
        case ONLY_LOOKUP_MISS:
            assert_lookup(f.m, &f.r, miss);
            break;
        case ONLY_DELETE_MISS:
            both_del(f.m, &f.r, miss);
            break;
        case ONLY_ITER_STEP:
            if (!ms_map_iter_next(&it, &k, &v))
                ms_map_iter_init(&it, f.m);
            break;
        case ONLY_MAINTAIN:
            ms_map_maintain(f.m, 1);
            break;
        default:
            ck_abort_msg("unknown kind");
        }
        ops++;
        ck_assert_uint_le(ops, bound);
    }
    st = stats_of(f.m);
    ck_assert_uint_eq(st.bytes_old, 0);
    printf("growth (%s) completed after %llu operations of kind %d (bound %llu)\n",
           same ? "same-size" : "doubling", (unsigned long long)ops, kind,
           (unsigned long long)bound);
    teardown(&f);
}
END_TEST

/* ---- iteration across growth ------------------------------------------ */

/* The universe index of an entry an iterator returned, marked as seen; an
 * entry seen twice fails. */
static uint64_t see(const void *k, uint8_t *seen)
{
    uint64_t key;
    memcpy(&key, k, 8);
    uint64_t i = key_index(key);
    MUST(i < U && !seen[i]);
    seen[i] = 1;
    return i;
}

/* Every key present for the whole iteration was seen. */
static void assert_seen_throughout(const uint8_t *throughout, const uint8_t *seen)
{
    for (uint64_t i = 0; i < U; i++)
        if (throughout[i] && !seen[i])
            ck_abort_msg("key %llu present throughout was not seen", (unsigned long long)i);
}

/* Iterate while inserting enough keys to double the map several times and
 * deleting some of the keys present at the start.  Keys present for the
 * whole iteration are seen exactly once; nothing else is seen twice, and
 * nothing never inserted is seen. */
START_TEST(iterate_across_doublings)
{
    ms_map *m = ms_map_create_seeded(8, 8, 0, 21);
    struct ref r;
    ref_init(&r, U);
    for (uint64_t i = 0; i < 2000; i++)
        both_put(m, &r, i, i);
    uint8_t *throughout = calloc(U, 1), *seen = calloc(U, 1);
    memcpy(throughout, r.present, U);
    uint64_t next = 2000;
    unsigned doublings = (unsigned)stats_of(m).grows_doubling;
    ms_map_iter it;
    const void *k;
    void *v;
    ms_map_iter_init(&it, m);
    unsigned step = 0;
    while (ms_map_iter_next(&it, &k, &v)) {
        uint64_t i = see(k, seen);
        MUST(i < next);
        MUST_EQ(*(uint64_t *)v, r.val[i]);
        /* 20 inserts per step: the map doubles several times. */
        for (int j = 0; j < 20 && next < U; j++, next++)
            both_put(m, &r, next, next);
        /* Delete a key present from the start (maybe seen already). */
        if (step % 3 == 0) {
            uint64_t d = (step * 7919u) % 2000;
            both_del(m, &r, d);
            throughout[d] = 0;
        }
        step++;
    }
    ck_assert_uint_ge(stats_of(m).grows_doubling, doublings + 3);
    assert_seen_throughout(throughout, seen);
    assert_consistent(m);
    assert_same(m, &r);
    free(throughout);
    free(seen);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

/* Deleting every entry as it is returned (the usual "drain" loop), starting
 * in each growth state: every entry is seen once and the map ends empty. */
START_TEST(drain_while_iterating)
{
    struct fixture f;
    setup(&f, (enum state)_i);
    uint8_t *seen = calloc(U, 1);
    size_t n = 0, want = f.r.count;
    ms_map_iter it;
    const void *k;
    void *v;
    ms_map_iter_init(&it, f.m);
    while (ms_map_iter_next(&it, &k, &v)) {
        uint64_t i = see(k, seen);
        MUST(f.r.present[i]);
        n++;
        both_del(f.m, &f.r, i);
    }
    ck_assert_uint_eq(n, want);
    ck_assert_uint_eq(ms_map_count(f.m), 0);
    free(seen);
    teardown(&f);
}
END_TEST

/* Iteration started in each growth state while bursts of colliding keys
 * are inserted and deleted under the iterator: chains grow and stay
 * behind, so growths (same-size ones too) happen during the iteration. */
START_TEST(iterate_while_compacting)
{
    struct fixture f;
    setup(&f, (enum state)_i);
    struct ms_map_stats st0 = stats_of(f.m);
    struct pool p;
    pool_build(&p, f.m, U / 4 * 3, U, st0.B);
    uint8_t *throughout = calloc(U, 1), *seen = calloc(U, 1);
    memcpy(throughout, f.r.present, U);
    ms_map_iter it;
    const void *k;
    void *v;
    ms_map_iter_init(&it, f.m);
    uint64_t step = 0;
    while (ms_map_iter_next(&it, &k, &v)) {
        see(k, seen);
        uint64_t g = step++ % (1ull << p.bits);
        uint32_t n = pool_size(&p, g) < 20 ? pool_size(&p, g) : 20;
        for (uint32_t j = 0; j < n; j++)
            both_put(f.m, &f.r, pool_get(&p, g, j), 1);
        for (uint32_t j = 0; j < n; j++)
            both_del(f.m, &f.r, pool_get(&p, g, j));
    }
    struct ms_map_stats st = stats_of(f.m);
    ck_assert_uint_gt(st.grows_same_size, st0.grows_same_size);
    assert_seen_throughout(throughout, seen);
    free(throughout);
    free(seen);
    pool_free(&p);
    teardown(&f);
}
END_TEST

/* Buckets with long chains: 20, 100 and 300 colliding keys in single
 * buckets (the iterator caches 8 entries of a bucket at a time, refills,
 * and takes an exact path for chains of more than 32 buckets), with every
 * third returned entry deleted and one other key deleted per step. */
START_TEST(iterate_long_chains)
{
    ms_map *m = ms_map_create_seeded(8, 8, 1500, 31); /* B = 8: ~512 keys per bucket in U */
    struct ref r;
    ref_init(&r, U);
    unsigned B = stats_of(m).B;
    struct pool p;
    pool_build(&p, m, 0, U, B);
    static const uint32_t sizes[] = {20, 100, 300};
    for (int g = 0; g < 3; g++)
        for (uint32_t j = 0; j < sizes[g] && j < pool_size(&p, (uint64_t)g); j++)
            both_put(m, &r, pool_get(&p, (uint64_t)g, j), j);
    for (uint64_t g = 3; g < 200; g++) /* a sprinkle of ordinary buckets */
        both_put(m, &r, pool_get(&p, g, 0), g);
    ck_assert_uint_eq(stats_of(m).B, B);
    ck_assert_uint_ge(stats_of(m).longest_chain, 33);
    uint8_t *throughout = calloc(U, 1), *seen = calloc(U, 1);
    memcpy(throughout, r.present, U);
    ms_map_iter it;
    const void *k;
    void *v;
    ms_map_iter_init(&it, m);
    unsigned step = 0;
    while (ms_map_iter_next(&it, &k, &v)) {
        uint64_t i = see(k, seen);
        MUST(r.present[i]);
        if (step % 3 == 0) {
            both_del(m, &r, i);
            throughout[i] = 0;
        }
        uint64_t other = pool_get(&p, step % 3, (step * 37) % sizes[step % 3]);
        if (r.present[other] && !seen[other]) {
            both_del(m, &r, other);
            throughout[other] = 0;
        }
        step++;
    }
    assert_seen_throughout(throughout, seen);
    assert_consistent(m);
    assert_same(m, &r);
    free(throughout);
    free(seen);
    pool_free(&p);
    ref_free(&r);
    ms_map_destroy(m);
}
END_TEST

/* A clear in the middle of an iteration ends it cleanly: nothing is
 * returned twice and nothing cleared is returned. */
START_TEST(iterate_then_clear)
{
    struct fixture f;
    setup(&f, S_DOUBLING);
    ms_map_iter it;
    const void *k;
    void *v;
    ms_map_iter_init(&it, f.m);
    for (int i = 0; i < 100; i++)
        ck_assert(ms_map_iter_next(&it, &k, &v));
    ms_map_clear(f.m);
    ref_clear(&f.r);
    ck_assert(!ms_map_iter_next(&it, &k, &v));
    /* Refill after the clear: an iterator on the refilled map works. */
    for (uint64_t i = 0; i < 500; i++)
        both_put(f.m, &f.r, i, i);
    teardown(&f);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_growth");
    TCase *tc = add_tcase(su, "states", 300);
    tcase_add_loop_test(tc, op_in_state, 0, NSTATES * NOPS);
    tcase_add_loop_test(tc, growth_completes_under, 0, 2 * NONLY);
    TCase *ti = add_tcase(su, "iteration", 300);
    tcase_add_test(ti, iterate_across_doublings);
    tcase_add_loop_test(ti, drain_while_iterating, 0, NSTATES);
    tcase_add_loop_test(ti, iterate_while_compacting, 0, NSTATES);
    tcase_add_test(ti, iterate_then_clear);
    tcase_add_test(ti, iterate_long_chains);
    return run_suite(su);
}
