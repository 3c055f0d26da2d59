/*
 * json_bench_jansson.c — jansson's side of bench/json_bench.c.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_bench.h"

size_t ms_bench_parse_jansson(const char *buf, size_t len, int lines, double *secs)
{
    json_t **keep = calloc(lines ? len / 2 + 1 : 1, sizeof *keep);
    size_t n = 0, before = ms_bench_heap(); /* the trees only, not keep[] */
    json_error_t err;
    double t0 = ms_bench_cpu();
    if (!lines) {
        keep[n] = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
        if (!keep[n++])
            fprintf(stderr, "jansson: %s\n", err.text);
    } else {
        for (const char *p = buf, *end = buf + len; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
            json_t *o = json_loadb(p, k, JSON_REJECT_DUPLICATES, &err);
            if (o)
                keep[n++] = o;
            p += k + 1;
        }
    }
    double t1 = ms_bench_cpu();
    size_t held = ms_bench_heap() - before;
    double t2 = ms_bench_cpu();
    for (size_t i = 0; i < n; i++)
        json_decref(keep[i]);
    *secs = (t1 - t0) + (ms_bench_cpu() - t2);
    free(keep);
    return held;
}
