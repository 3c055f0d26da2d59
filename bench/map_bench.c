/*
 * map_bench.c — `make bench`: mapscope's map engine against
 * absl::flat_hash_map and GLib's GHashTable on the shim's workload:
 * pointer-like 8-byte keys (16-byte aligned addresses in one dense range)
 * with 8-byte values.
 *
 * For 1K, 1M and 10M keys: ns per insert (filling an empty table, growth
 * included), per hit lookup, per miss lookup and per delete, each phase in
 * its own random key order, and the table's bytes per entry when full.
 * Then the latency of every single insert over a fill to 10M keys (cycle
 * counter): p50, p99, p99.99 and max.  Every figure is the median of
 * several runs, the tables taking turns, because the machines this runs on
 * are shared; the load average is printed at the start and the end, and
 * absl's and GHashTable's latency tails next to ours, so that a reader can
 * tell the machine's noise from the table's.  The last line is
 * machine-readable (ratios at 10M keys; lookup_vs_absl is the worse of the
 * hit and miss ratios).
 *
 * Environment: MS_BENCH_REPS (runs per size, default 5; the latency fills
 * use min(reps, 3)), MS_BENCH_MAX (largest size, default 10000000).
 * This is a figure-printing program, not a test: it fails only when a
 * table gives a wrong answer.
 */
#include "map.h"
#include "map_bench.h"

#include <glib.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_BASE 0x00007f3a10000000ull

enum { T_OURS, T_ABSL, T_GLIB, NTABLES };
static const char *const table_name[NTABLES] = {"mapscope", "absl", "GHashTable"};

static double wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t *shuffled(size_t n, uint64_t offset)
{
    uint64_t *a = malloc(n * sizeof *a);
    if (!a) {
        fprintf(stderr, "map-bench: out of memory for %zu keys\n", n);
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        a[i] = KEY_BASE + i * 16 + offset;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd() % (i + 1);
        uint64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    return a;
}

static void fail(const char *table, const char *what)
{
    fprintf(stderr, "map-bench: %s gave a wrong answer: %s\n", table, what);
    exit(1);
}

/* ---- mapscope's engine ---------------------------------------------- */

static void ours_run(const struct mb_keys *k, unsigned iters, struct mb_result *r)
{
    struct mb_phases p = {{0}, 0};
    uint64_t sum = 0;
    size_t n = k->n;
    for (unsigned it = 0; it < iters; it++) {
        ms_map *m = ms_map_create(8, 8, 0);
        mb_phase_begin(&p);
        for (size_t i = 0; i < n; i++) {
            uint64_t *v = ms_map_assign(m, &k->ins[i], NULL);
            *v = k->ins[i] + 1;
        }
        mb_phase_end(&p, MB_INSERT);
        for (size_t i = 0; i < n; i++) {
            uint64_t *v = ms_map_lookup(m, &k->hit[i]);
            sum += *v;
        }
        mb_phase_end(&p, MB_HIT);
        for (size_t i = 0; i < n; i++)
            sum += ms_map_lookup(m, &k->miss[i]) == NULL;
        mb_phase_end(&p, MB_MISS);
        if (it == 0) {
            struct ms_map_stats st;
            ms_map_stats(m, &st);
            r->bytes_per_entry = (double)st.bytes_total / n;
        }
        mb_phase_begin(&p);
        for (size_t i = 0; i < n; i++)
            ms_map_delete(m, &k->del[i], NULL);
        mb_phase_end(&p, MB_DELETE);
        if (ms_map_count(m) != 0)
            fail("mapscope", "entries left after deleting every key");
        ms_map_destroy(m);
    }
    mb_phases_result(&p, n, iters, sum, r);
}

static void ours_fill_latency(const struct mb_keys *k, struct mb_latency *l)
{
    ms_map *m = ms_map_create(8, 8, 0);
    for (size_t i = 0; i < k->n; i++) {
        uint64_t key = k->ins[i];
        uint64_t t0 = mb_tsc_start();
        uint64_t *v = ms_map_assign(m, &key, NULL);
        *v = key + 1;
        uint64_t t1 = mb_tsc_stop();
        mb_lat_add(l, t1 - t0);
    }
    ms_map_destroy(m);
}

/* ---- GLib's GHashTable: pointer keys, as a C program would use it ---- */

static size_t malloc_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void glib_run(const struct mb_keys *k, unsigned iters, struct mb_result *r)
{
    struct mb_phases p = {{0}, 0};
    uint64_t sum = 0;
    size_t n = k->n;
    for (unsigned it = 0; it < iters; it++) {
        size_t before = malloc_in_use();
        GHashTable *h = g_hash_table_new(g_direct_hash, g_direct_equal);
        mb_phase_begin(&p);
        for (size_t i = 0; i < n; i++)
            g_hash_table_insert(h, (gpointer)k->ins[i], (gpointer)(k->ins[i] + 1));
        mb_phase_end(&p, MB_INSERT);
        for (size_t i = 0; i < n; i++)
            sum += (uint64_t)g_hash_table_lookup(h, (gpointer)k->hit[i]);
        mb_phase_end(&p, MB_HIT);
        for (size_t i = 0; i < n; i++)
            sum += g_hash_table_lookup(h, (gpointer)k->miss[i]) == NULL;
        mb_phase_end(&p, MB_MISS);
        if (it == 0)
            r->bytes_per_entry = (double)(malloc_in_use() - before) / n;
        mb_phase_begin(&p);
        for (size_t i = 0; i < n; i++)
            g_hash_table_remove(h, (gpointer)k->del[i]);
        mb_phase_end(&p, MB_DELETE);
        if (g_hash_table_size(h) != 0)
            fail("GHashTable", "entries left after deleting every key");
        g_hash_table_destroy(h);
    }
    mb_phases_result(&p, n, iters, sum, r);
}

static void glib_fill_latency(const struct mb_keys *k, struct mb_latency *l)
{
    GHashTable *h = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (size_t i = 0; i < k->n; i++) {
        uint64_t key = k->ins[i];
        uint64_t t0 = mb_tsc_start();
        g_hash_table_insert(h, (gpointer)key, (gpointer)(key + 1));
        uint64_t t1 = mb_tsc_stop();
        mb_lat_add(l, t1 - t0);
    }
    g_hash_table_destroy(h);
}

/* ---- harness --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double tsc_per_ns;

static void calibrate_tsc(void)
{
    double a = wall_ns();
    uint64_t c0 = mb_tsc_start();
    while (wall_ns() - a < 100e6)
        ;
    uint64_t c1 = mb_tsc_stop();
    tsc_per_ns = (double)(c1 - c0) / (wall_ns() - a);
}

/* Cycles at quantile q of a latency histogram. */
static double lat_quantile_us(const struct mb_latency *l, double q)
{
    uint64_t want = (uint64_t)(q * (double)l->n), seen = 0;
    for (uint64_t b = 0; b < MB_LAT_BINS; b++) {
        seen += l->bins[b];
        if (seen > want)
            return (double)(b * MB_LAT_RES) / tsc_per_ns / 1000;
    }
    return (double)l->max / tsc_per_ns / 1000;
}

struct workload {
    uint64_t *ins, *hit, *miss, *del;
    struct mb_keys k;
};

static void make_workload(struct workload *w, size_t n)
{
    w->ins = shuffled(n, 0);
    w->hit = shuffled(n, 0);
    w->miss = shuffled(n, 8); /* 8-byte aligned: between two keys, never present */
    w->del = shuffled(n, 0);
    w->k = (struct mb_keys){n, w->ins, w->hit, w->miss, w->del};
}

static void free_workload(struct workload *w)
{
    free(w->ins);
    free(w->hit);
    free(w->miss);
    free(w->del);
}

static void run_table(int t, const struct mb_keys *k, unsigned iters, struct mb_result *r)
{
    if (t == T_OURS)
        ours_run(k, iters, r);
    else if (t == T_ABSL)
        mb_absl_run(k, iters, r);
    else
        glib_run(k, iters, r);
    /* Every hit lookup returns key + 1 and every miss counts 1. */
    uint64_t want = 0;
    for (size_t i = 0; i < k->n; i++)
        want += k->hit[i] + 1 + 1;
    if (r->checksum != want * iters)
        fail(table_name[t], "lookups returned wrong values");
}

/* Median figures of one size: m[table] = {insert, hit, miss, del, bytes}. */
static void bench_size(size_t n, unsigned reps, double m[NTABLES][5])
{
    struct workload w;
    make_workload(&w, n);
    /* Small tables: repeat the whole workload so each phase runs ~10 ms. */
    unsigned iters = n >= 100000 ? 1 : (unsigned)(2000000 / n);
    double v[NTABLES][5][16];
    for (unsigned rep = 0; rep < reps; rep++) {
        for (int j = 0; j < NTABLES; j++) {
            int t = (int)((rep + (unsigned)j) % NTABLES); /* take turns going first */
            struct mb_result r = {0};
            run_table(t, &w.k, iters, &r);
            double f[5] = {r.insert, r.hit, r.miss, r.del, r.bytes_per_entry};
            for (int x = 0; x < 5; x++)
                v[t][x][rep] = f[x];
        }
    }
    for (int t = 0; t < NTABLES; t++)
        for (int x = 0; x < 5; x++)
            m[t][x] = median(v[t][x], reps);
    free_workload(&w);
}

static const char *size_name(size_t n)
{
    static char buf[32];
    if (n >= 1000000 && n % 1000000 == 0)
        snprintf(buf, sizeof buf, "%zuM", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0)
        snprintf(buf, sizeof buf, "%zuK", n / 1000);
    else
        snprintf(buf, sizeof buf, "%zu", n);
    return buf;
}

/* The machine's own noise, measured the way single inserts are: a loop of
 * ~50 ns of arithmetic timed per iteration for about half a second.  An
 * interruption longer than 5 us (a timer interrupt, another process
 * scheduled on this core) lands in whatever operation is being timed: a
 * fill of 10M inserts taking T seconds collects about T * rate of them, so
 * whenever that is over 1000 the p99.99 of any table is above 5 us. */
struct noise {
    double per_s; /* iterations slower than 5 us, per second */
    double max_us;
};

static struct noise measure_noise(void)
{
    volatile uint64_t x = 1;
    uint64_t slow = 0, worst = 0, limit = (uint64_t)(5000 * tsc_per_ns);
    double t0 = wall_ns();
    for (unsigned i = 0; i < 8000000; i++) {
        uint64_t a = mb_tsc_start();
        for (int j = 0; j < 16; j++)
            x = x * 0x9e3779b97f4a7c15ull + (uint64_t)j;
        uint64_t d = mb_tsc_stop() - a;
        slow += d > limit;
        if (d > worst)
            worst = d;
    }
    double secs = (wall_ns() - t0) / 1e9;
    return (struct noise){slow / secs, (double)worst / tsc_per_ns / 1000};
}

/* Fill to n keys timing each insert, reps times per table; medians of the
 * quantiles.  lat[table] = {p50, p99, p99.99, max} in µs. */
static void bench_latency(size_t n, unsigned reps, double lat[NTABLES][4])
{
    struct workload w;
    make_workload(&w, n);
    struct mb_latency l = {0};
    l.bins = calloc(MB_LAT_BINS, sizeof *l.bins);
    double v[NTABLES][4][16];
    for (unsigned rep = 0; rep < reps; rep++) {
        for (int j = 0; j < NTABLES; j++) {
            int t = (int)((rep + (unsigned)j) % NTABLES);
            memset(l.bins, 0, MB_LAT_BINS * sizeof *l.bins);
            l.above = l.max = l.n = 0;
            if (t == T_OURS)
                ours_fill_latency(&w.k, &l);
            else if (t == T_ABSL)
                mb_absl_fill_latency(&w.k, &l);
            else
                glib_fill_latency(&w.k, &l);
            v[t][0][rep] = lat_quantile_us(&l, 0.5);
            v[t][1][rep] = lat_quantile_us(&l, 0.99);
            v[t][2][rep] = lat_quantile_us(&l, 0.9999);
            v[t][3][rep] = (double)l.max / tsc_per_ns / 1000;
        }
    }
    for (int t = 0; t < NTABLES; t++)
        for (int x = 0; x < 4; x++)
            lat[t][x] = median(v[t][x], reps);
    free(l.bins);
    free_workload(&w);
}

/* "1.23 0.98 0.75" from /proc/loadavg, or "?" */
static const char *loadavg(void)
{
    static char buf[64];
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    int n = f ? fscanf(f, "%lf %lf %lf", &a, &b, &c) : 0;
    if (f)
        fclose(f);
    if (n != 3)
        return "?";
    snprintf(buf, sizeof buf, "%.2f %.2f %.2f", a, b, c);
    return buf;
}

/* Our ns/op over absl's; lookups: the worse of hits and misses. */
struct ratios {
    double insert, hit, miss, lookup, bytes;
};

static struct ratios ratios_of(double fig[NTABLES][5])
{
    struct ratios r = {fig[T_OURS][0] / fig[T_ABSL][0], fig[T_OURS][1] / fig[T_ABSL][1],
                       fig[T_OURS][2] / fig[T_ABSL][2], 0, fig[T_OURS][4] / fig[T_ABSL][4]};
    r.lookup = r.hit > r.miss ? r.hit : r.miss;
    return r;
}

static unsigned env_uint(const char *name, unsigned dflt, unsigned lo, unsigned hi)
{
    const char *e = getenv(name);
    if (!e || !*e)
        return dflt;
    char *end;
    unsigned long v = strtoul(e, &end, 10);
    if (*end || v < lo || v > hi) {
        fprintf(stderr, "map-bench: %s=%s: expected a whole number from %u to %u\n", name, e, lo,
                hi);
        exit(2);
    }
    return (unsigned)v;
}

int main(void)
{
    unsigned reps = env_uint("MS_BENCH_REPS", 5, 1, 15);
    unsigned maxn = env_uint("MS_BENCH_MAX", 10000000, 1000, 100000000);
    static const size_t sizes[] = {1000, 1000000, 10000000};
    double fig[3][NTABLES][5];
    size_t nsizes = 0;

    calibrate_tsc();
    printf("map-bench: mapscope's map engine vs absl::flat_hash_map and GLib GHashTable\n");
    printf("load average at start: %s (2 cores shared with other work: figures above ~1\n"
           "are noisy; ratios come from the same run, tables taking turns)\n",
           loadavg());
    printf("keys: 8-byte pointer-like (16-byte aligned, one dense range), values: 8 bytes;\n"
           "each phase in its own random key order; misses are absent keys between present ones.\n"
           "ns/op: thread CPU time (user+sys); medians of %u runs, tables taking turns;\n"
           "TSC %.3f GHz.\n\n",
           reps, tsc_per_ns);
    printf("%-5s %-11s %9s %9s %9s %9s %12s\n", "keys", "table", "insert", "hit", "miss", "delete",
           "bytes/entry");
    printf("%-5s %-11s %9s %9s %9s %9s\n", "", "", "ns/op", "ns/op", "ns/op", "ns/op");
    for (size_t s = 0; s < 3 && sizes[s] <= maxn; s++, nsizes++) {
        bench_size(sizes[s], reps, fig[s]);
        for (int t = 0; t < NTABLES; t++)
            printf("%-5s %-11s %9.1f %9.1f %9.1f %9.1f %12.1f\n", t ? "" : size_name(sizes[s]),
                   table_name[t], fig[s][t][0], fig[s][t][1], fig[s][t][2], fig[s][t][3],
                   fig[s][t][4]);
        printf("%-5s %-11s %8.2fx %8.2fx %8.2fx %8.2fx %11.2fx\n", "", "ours/absl",
               fig[s][0][0] / fig[s][1][0], fig[s][0][1] / fig[s][1][1],
               fig[s][0][2] / fig[s][1][2], fig[s][0][3] / fig[s][1][3],
               fig[s][0][4] / fig[s][1][4]);
        fflush(stdout);
    }

    size_t latn = maxn < 10000000 ? maxn : 10000000;
    unsigned latreps = reps < 3 ? reps : 3;
    double lat[NTABLES][4];
    bench_latency(latn, latreps, lat);
    printf("\nsingle-insert latency over a fill from empty to %s keys (median of %u fills), us\n",
           size_name(latn), latreps);
    printf("%-11s %9s %9s %9s %11s\n", "table", "p50", "p99", "p99.99", "max");
    for (int t = 0; t < NTABLES; t++)
        printf("%-11s %9.3f %9.3f %9.3f %11.1f\n", table_name[t], lat[t][0], lat[t][1], lat[t][2],
               lat[t][3]);
    struct noise nz = measure_noise();
    printf("%-11s %9s %9s %9s %11.1f   (a busy loop: %.0f interruptions > 5 us per second)\n",
           "timer noise", "", "", "", nz.max_us, nz.per_s);
    printf("(absl and GHashTable do no incremental work: their p99.99 shows this machine's\n"
           "noise, their max a whole-table rehash)\n");

    printf("\nload average at end: %s\n", loadavg());
    for (size_t s = 0; s < nsizes; s++) {
        if (sizes[s] < 1000000)
            continue;
        struct ratios r = ratios_of(fig[s]);
        printf("ratios at %s keys: insert %.2f, lookups %.2f (worse of hit %.2f and miss %.2f), "
               "bytes %.2f\n",
               size_name(sizes[s]), r.insert, r.lookup, r.hit, r.miss, r.bytes);
    }
    printf("insert latency p99.99/max, us: mapscope %.2f/%.1f, absl %.2f/%.1f, GHashTable "
           "%.2f/%.1f; machine: %.0f interruptions > 5 us per second, longest %.1f us\n",
           lat[T_OURS][2], lat[T_OURS][3], lat[T_ABSL][2], lat[T_ABSL][3], lat[T_GLIB][2],
           lat[T_GLIB][3], nz.per_s, nz.max_us);
    size_t last = nsizes - 1;
    struct ratios r = ratios_of(fig[last]);
    printf("map-bench: insert_vs_absl=%.2f lookup_vs_absl=%.2f bytes_vs_absl=%.2f "
           "insert_p9999_us=%.2f insert_max_us=%.1f absl_insert_max_us=%.1f\n",
           r.insert, r.lookup, r.bytes, lat[T_OURS][2], lat[T_OURS][3], lat[T_ABSL][3]);
    return 0;
}
