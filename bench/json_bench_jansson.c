/*
 * json_bench_jansson.c — jansson's side of bench/json_bench.c.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "json_bench.h"

static void **parse_all(const struct ms_bench_span *t, size_t n)
{
    void **trees = calloc(n, sizeof *trees);
    json_error_t err;
    for (size_t i = 0; i < n; i++)
        if (!(trees[i] = json_loadb(t[i].p, t[i].n, JSON_REJECT_DUPLICATES, &err)))
            fprintf(stderr, "jansson: %s\n", err.text);
    return trees;
}

static void free_all(void **trees, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(trees[i]);
}

const struct ms_bench_lib ms_bench_jansson = {"jansson", parse_all, free_all};
