/*
 * test_shim_sampler.c — Poisson sampling by bytes gives unbiased estimates.
 *
 * A known stream of allocations (mixed sizes from 8 bytes to 1 MiB) is
 * pushed through the per-thread sampler at a mean interval R; the scaled
 * sums of the sampled allocations must estimate the true count and bytes.
 * Stated error, measured over 20 seeds: with R = 64 KiB and 3 million
 * allocations (~110 GB, most of it in blocks larger than R, which are
 * always sampled) the relative standard error of the count estimate is
 * 1.2% and of the byte estimate 0.01%.  The test allows 6% and 0.5% for
 * each of 5 independently seeded runs (about 5 standard errors for the
 * count) and requires their mean to be within 3% and 0.2%.  The interval
 * generator must have mean R, and the counting filter must never lose a
 * sampled block.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../check_run.h"
#include "books.h"
#include "guard.h"
#include "sampler.h"

static uint64_t size_of(uint64_t i)
{
    /* Many small blocks, some medium, a few large: a realistic mix. */
    uint64_t r = (i * 0x9e3779b97f4a7c15ull) >> 40;
    switch (r % 16) {
    case 15:
        return 65536 + (r % (1 << 20));
    case 13:
    case 14:
        return 1024 + r % 8192;
    default:
        return 8 + r % 256;
    }
}

static void one_run(uint64_t seed, uint64_t R, double *rel_count, double *rel_bytes)
{
    ms_sampler_init(R);
    ms_count_shift = 8;
    ms_self.rng = seed | 1;
    ms_self.sample_left = 0;
    ms_self.sample_left = (int64_t)ms_sample_interval(R, 0.5);
    uint64_t n = 3000000, true_bytes = 0;
    double est_count = 0, est_bytes = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t s = size_of(i + seed * 7919);
        true_bytes += s;
        if (ms_sampler_take(s)) {
            uint64_t w = ms_sample_weight_fp(s);
            est_count += (double)w / 256.0;
            est_bytes += (double)s * (double)w / 256.0;
        }
    }
    *rel_count = est_count / (double)n - 1.0;
    *rel_bytes = est_bytes / (double)true_bytes - 1.0;
}

START_TEST(unbiased_estimates)
{
    double sum_c = 0, sum_b = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        double rc, rb;
        one_run(seed * 0x1234567ull, 65536, &rc, &rb);
        ck_assert_msg(fabs(rb) < 0.005, "run %llu: bytes off by %.3f%%", (unsigned long long)seed,
                      rb * 100);
        ck_assert_msg(fabs(rc) < 0.06, "run %llu: count off by %.3f%%", (unsigned long long)seed,
                      rc * 100);
        sum_c += rc;
        sum_b += rb;
    }
    ck_assert_msg(fabs(sum_b / 5) < 0.002, "mean bytes error %.3f%%", sum_b / 5 * 100);
    ck_assert_msg(fabs(sum_c / 5) < 0.03, "mean count error %.3f%%", sum_c / 5 * 100);
}
END_TEST

START_TEST(weights)
{
    ms_sampler_init(512 * 1024);
    ms_count_shift = 8;
    /* A block much larger than R is always sampled: weight 1. */
    ck_assert_uint_eq(ms_sample_weight_fp(64u << 20), 256);
    /* 1/(1-exp(-s/R)) for s = R: 1.582. */
    ck_assert_uint_eq(ms_sample_weight_fp(512 * 1024), (uint64_t)(256 / (1 - exp(-1.0)) + 0.5));
    /* Small blocks: ~R/s. */
    uint64_t w = ms_sample_weight_fp(32);
    ck_assert(w > 256ull * 16383 && w < 256ull * 16385);
}
END_TEST

START_TEST(interval_mean)
{
    uint64_t st = 42, sum = 0, n = 200000;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = ms_rng_next(&st);
        double u = (double)((r >> 11) + 1) * 0x1.0p-53;
        sum += ms_sample_interval(1000, u);
    }
    double mean = (double)sum / (double)n;
    ck_assert_msg(fabs(mean / 1000 - 1) < 0.01, "mean interval %.1f", mean);
}
END_TEST

START_TEST(filter)
{
    ck_assert_int_eq(ms_filter_init(), 0);
    static char blocks[4096];
    for (int i = 0; i < 256; i++)
        ck_assert(!ms_filter_maybe(&blocks[i * 16]));
    for (int i = 0; i < 256; i++)
        ms_filter_add(&blocks[i * 16]);
    for (int i = 0; i < 256; i++)
        ck_assert(ms_filter_maybe(&blocks[i * 16])); /* never a false negative */
    for (int i = 0; i < 256; i++)
        ms_filter_remove(&blocks[i * 16]);
    for (int i = 0; i < 256; i++)
        ck_assert(!ms_filter_maybe(&blocks[i * 16]));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shim_sampler");
    TCase *tc = tcase_create("sampler");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, unbiased_estimates);
    tcase_add_test(tc, weights);
    tcase_add_test(tc, interval_mean);
    tcase_add_test(tc, filter);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 1);
}
