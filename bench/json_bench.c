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

typedef size_t (*parse_fn)(const char *, size_t, int, double *);

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
    size_t llen;
    char *lines = ms_bench_as_lines(doc, &llen);
    size_t nlines = 0;
    for (size_t i = 0; i < llen; i++)
        nlines += lines[i] == '\n';

    static const char *const names[] = {"json-c", "jansson"};
    parse_fn fn[] = {ms_bench_parse_jsonc, ms_bench_parse_jansson};
    for (int shape = 0; shape < 2; shape++) {
        const char *buf = shape ? lines : doc;
        size_t len = shape ? llen : dlen;
        double t[2][1000];
        size_t mem[2] = {0, 0};
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < 2; i++) {
                int lib = (r % 2) ? 1 - i : i; /* alternate which goes first */
                mem[lib] = fn[lib](buf, len, shape, &t[lib][r]);
            }
        double base = median(t[0], rounds);
        printf("%s: %.1f MB%s, CPU time, median of %d rounds\n",
               shape ? "JSON lines" : "one document", (double)len / 1e6, shape ? "" : "", rounds);
        if (shape)
            printf("  (%zu lines)\n", nlines);
        for (int lib = 0; lib < 2; lib++) {
            double md = lib ? median(t[1], rounds) : base;
            printf("  %-8s %7.1f ms  %6.0f MB/s  x%.2f of json-c   tree %6.1f MB (%.1f x input)\n",
                   names[lib], md * 1e3, (double)len / 1e6 / md, md / base, (double)mem[lib] / 1e6,
                   (double)mem[lib] / (double)len);
        }
    }
    free(doc);
    free(lines);
    return 0;
}
