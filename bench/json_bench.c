/*
 * json_bench.c — how fast json-c and jansson read the report's largest
 * JSON, and how much memory their trees take: the measurement behind the
 * choice of the report's JSON reader (tools/json_read.c).
 *
 *   json_bench FILE [ROUNDS]
 *
 * Reads FILE (e.g. `mapscope report --json` of a 3.6M-block dump, 11 MB)
 * two ways per library: as one document, and as JSON lines (one object per
 * line, the shape of `mapscope gomaps --json`, made by splitting the
 * document's top-level arrays).  Rounds alternate between the libraries and
 * the medians are printed, with each figure's ratio to json-c's measured in
 * the same run (the machine is shared and noisy).  Memory is the heap the
 * parsed tree holds (mallinfo2), not the process's peak.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_bench.h"

double ms_bench_cpu(void)
{
    struct timespec ts;
    /* CPU time, not wall time: the machine is shared, and a run that waits
     * for a core is not slower code. */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t ms_bench_heap(void)
{
    return mallinfo2().uordblks + mallinfo2().hblkhd;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round of lib over the n texts: *secs gets the CPU time of parsing
 * and freeing; returns the heap bytes the trees held (measured outside the
 * timed parts: mallinfo2 walks the free lists and costs as much as a
 * parse). */
static size_t one_round(const struct ms_bench_lib *lib, const struct ms_bench_span *t, size_t n,
                        double *secs)
{
    size_t before = ms_bench_heap();
    double t0 = ms_bench_cpu();
    void **trees = lib->parse_all(t, n);
    double t1 = ms_bench_cpu();
    size_t held = ms_bench_heap() - before - n * sizeof *trees; /* the trees, not the array */
    double t2 = ms_bench_cpu();
    lib->free_all(trees, n);
    free(trees);
    *secs = (t1 - t0) + (ms_bench_cpu() - t2);
    return held;
}

/* buf cut at its newlines. */
static struct ms_bench_span *split_lines(const char *buf, size_t len, size_t *n)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += buf[i] == '\n';
    struct ms_bench_span *v = calloc(cap, sizeof *v);
    *n = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        v[(*n)++] = (struct ms_bench_span){p, k};
        p += k + 1;
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: json_bench FILE [ROUNDS]\n", stderr);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (rounds < 1 || rounds > 1000)
        rounds = 7;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char *doc = NULL;
    size_t dlen = 0;
    FILE *m = open_memstream(&doc, &dlen);
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, k, m);
    fclose(f);
    fclose(m);
    size_t llen, nlines;
    char *lines = ms_bench_as_lines(doc, &llen);
    struct ms_bench_span whole = {doc, dlen}, *line = split_lines(lines, llen, &nlines);

    const struct ms_bench_lib *libs[] = {&ms_bench_jsonc, &ms_bench_jansson};
    for (int shape = 0; shape < 2; shape++) {
        const struct ms_bench_span *texts = shape ? line : &whole;
        size_t ntexts = shape ? nlines : 1, len = shape ? llen : dlen;
        double t[2][1000];
        size_t mem[2] = {0, 0};
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < 2; i++) {
                int lib = (r % 2) ? 1 - i : i; /* alternate which goes first */
                mem[lib] = one_round(libs[lib], texts, ntexts, &t[lib][r]);
            }
        double base = median(t[0], rounds);
        printf("%s: %.1f MB in %zu text%s, CPU time, median of %d rounds\n",
               shape ? "JSON lines" : "one document", (double)len / 1e6, ntexts,
               ntexts == 1 ? "" : "s", rounds);
        for (int lib = 0; lib < 2; lib++) {
            double md = median(t[lib], rounds);
            printf("  %-8s %7.1f ms  %6.0f MB/s  x%.2f of json-c   tree %6.1f MB (%.1f x input)\n",
                   libs[lib]->name, md * 1e3, (double)len / 1e6 / md, md / base,
                   (double)mem[lib] / 1e6, (double)mem[lib] / (double)len);
        }
    }
    free(line);
    free(doc);
    free(lines);
    return 0;
}
