/*
 * json_bench_jsonc.c — json-c's side of bench/json_bench.c, read as the
 * report reads (tools/json_read.c: strict mode, nesting capped at 64).
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_bench.h"

static json_object *parse(json_tokener *t, const char *p, size_t n)
{
    json_tokener_reset(t);
    json_object *o = json_tokener_parse_ex(t, p, (int)n);
    if (!o && json_tokener_get_error(t) == json_tokener_continue)
        o = json_tokener_parse_ex(t, "", 1);
    if (!o)
        fprintf(stderr, "json-c: %s\n", json_tokener_error_desc(json_tokener_get_error(t)));
    return o;
}

static void **parse_all(const struct ms_bench_span *t, size_t n)
{
    void **trees = calloc(n, sizeof *trees);
    json_tokener *tok = json_tokener_new_ex(64);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    for (size_t i = 0; i < n; i++)
        trees[i] = parse(tok, t[i].p, t[i].n);
    json_tokener_free(tok);
    return trees;
}

static void free_all(void **trees, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_put(trees[i]);
}

const struct ms_bench_lib ms_bench_jsonc = {"json-c", parse_all, free_all};

/* The document's top-level array elements, one per line (the JSON-lines
 * shape), re-serialised compactly by json-c. */
char *ms_bench_as_lines(const char *buf, size_t *out_len)
{
    json_object *doc = json_tokener_parse(buf);
    char *mem = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&mem, &n);
    json_object_object_foreach(doc, key, val)
    {
        (void)key;
        if (!json_object_is_type(val, json_type_array))
            continue;
        for (size_t i = 0; i < json_object_array_length(val); i++)
            fprintf(m, "%s\n",
                    json_object_to_json_string_ext(json_object_array_get_idx(val, i),
                                                   JSON_C_TO_STRING_PLAIN));
    }
    fclose(m);
    json_object_put(doc);
    *out_len = n;
    return mem;
}
