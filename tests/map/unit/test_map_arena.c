/*
 * test_map_arena.c — the map engine's unit allocator (lib/arena.c) on its
 * own: randomized allocations of single units and runs, frees, reserves
 * and resets, with every live block tagged so that any overlap between
 * blocks, or a block that is not zeroed when handed out, is caught; plus
 * the capacity promise that reserve() makes to evacuation.
 */
#include "arena.h"
#include "map_test_util.h"

#include <stdio.h>

#define UNIT 144

struct block {
    uint8_t *p;
    size_t n; /* units */
    uint32_t tag;
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    return xorshift64(&rng_state);
}

static void fill(struct block *b)
{
    for (size_t i = 0; i < b->n * UNIT; i += 4)
        memcpy(b->p + i, &b->tag, 4);
}

static void verify(const struct block *b)
{
    for (size_t i = 0; i < b->n * UNIT; i += 4) {
        uint32_t t;
        memcpy(&t, b->p + i, 4);
        if (t != b->tag)
            ck_abort_msg("block %u overwritten at byte %zu (found tag %u)", b->tag, i, t);
    }
}

static void verify_zero(const uint8_t *p, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        if (p[i])
            ck_abort_msg("a fresh block is not zeroed at byte %zu", i);
}

START_TEST(random_alloc_free_reserve)
{
    struct ms_arena a;
    ck_assert(ms_arena_init(&a, UNIT, 1000));
    ck_assert_ptr_nonnull(ms_arena_alloc_raw(&a, 300));
    enum { MAXLIVE = 3000 };
    struct block *live = calloc(MAXLIVE, sizeof *live);
    size_t nlive = 0;
    uint32_t tag = 1;
    for (int op = 0; op < 200000; op++) {
        /* Phases: allocation-heavy (the free list runs dry, single units
         * come from the current chunk and then from partial chunks, big
         * runs leave partial chunks behind), then free-heavy. */
        bool growing = (op / 5000) % 2 == 0;
        unsigned dice = (unsigned)(rnd() % 100);
        unsigned p_alloc = growing ? 90 : 40;
        if (dice < p_alloc && nlive < MAXLIVE) {
            /* Mostly single units (overflow buckets), sometimes runs
             * (small bucket arrays), now and then a run too big for the
             * current chunk. */
            unsigned kind = (unsigned)(rnd() % 100);
            size_t n = kind < 85 ? 1 : kind < 97 ? (size_t)1 << (rnd() % 7) : 200 + rnd() % 3000;
            uint8_t *p = ms_arena_alloc_units(&a, n);
            MUST(p != NULL);
            verify_zero(p, n * UNIT);
            live[nlive] = (struct block){p, n, tag++};
            fill(&live[nlive++]);
        } else if (dice < 95 && nlive) {
            size_t i = rnd() % nlive;
            verify(&live[i]);
            ms_arena_free_units(&a, live[i].p, live[i].n);
            live[i] = live[--nlive];
        } else {
            /* reserve(n): the next n single units come without mapping. */
            size_t n = rnd() % 5000;
            MUST(ms_arena_reserve(&a, n));
            MUST(ms_arena_capacity(&a) >= n);
            size_t mapped = a.mapped;
            size_t take = n < MAXLIVE - nlive ? n : MAXLIVE - nlive;
            for (size_t j = 0; j < take; j++) {
                uint8_t *p = ms_arena_alloc_units(&a, 1);
                MUST(p != NULL);
                live[nlive] = (struct block){p, 1, tag++};
                fill(&live[nlive++]);
            }
            MUST_EQ(a.mapped, mapped);
        }
        if (op % 2000 == 0)
            for (size_t i = 0; i < nlive; i++)
                verify(&live[i]);
    }
    for (size_t i = 0; i < nlive; i++)
        verify(&live[i]);
    printf("arena: %zu bytes mapped at the end, %zu live blocks\n", a.mapped, nlive);

    /* Reset keeps the first chunk (and the raw block at its start). */
    size_t first = 0;
    ms_arena_reset(&a, 300);
    first = a.mapped;
    ck_assert_uint_le(first, 4096);
    ck_assert_uint_eq(ms_arena_capacity(&a) * UNIT <= first, 1);
    uint8_t *p = ms_arena_alloc_units(&a, 1);
    ck_assert_ptr_nonnull(p);
    verify_zero(p, UNIT);
    ms_arena_destroy(&a);
    free(live);
}
END_TEST

/* Freed runs come back as single units, in full. */
START_TEST(free_run_becomes_units)
{
    struct ms_arena a;
    ck_assert(ms_arena_init(&a, UNIT, 100));
    uint8_t *run = ms_arena_alloc_units(&a, 64);
    ck_assert_ptr_nonnull(run);
    size_t cap = ms_arena_capacity(&a);
    ms_arena_free_units(&a, run, 64);
    ck_assert_uint_eq(ms_arena_capacity(&a), cap + 64);
    size_t mapped = a.mapped;
    for (int i = 0; i < 64; i++) {
        uint8_t *u = ms_arena_alloc_units(&a, 1);
        ck_assert(u >= run && u < run + 64 * UNIT);
        ck_assert_uint_eq((size_t)(u - run) % UNIT, 0);
    }
    ck_assert_uint_eq(a.mapped, mapped);
    ms_arena_destroy(&a);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("map_arena");
    TCase *tc = add_tcase(su, "arena", 300);
    tcase_add_test(tc, random_alloc_free_reserve);
    tcase_add_test(tc, free_run_becomes_units);
    return run_suite(su);
}
