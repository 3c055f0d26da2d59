/*
 * json_bench.h — the contenders of bench/json_bench.c, one file per library
 * (json-c's and jansson's headers cannot be included together: both
 * declare json_object).
 */
#ifndef MS_JSON_BENCH_H
#define MS_JSON_BENCH_H

#include <stddef.h>

/* One JSON text: the whole document, or one line of the JSON-lines shape. */
struct ms_bench_span {
    const char *p;
    size_t n;
};

/* One library: parse each of the n texts into a tree (kept, all alive at
 * once, in the returned array), then free them all. */
struct ms_bench_lib {
    const char *name;
    void **(*parse_all)(const struct ms_bench_span *t, size_t n);
    void (*free_all)(void **trees, size_t n);
};
extern const struct ms_bench_lib ms_bench_jsonc, ms_bench_jansson;

/* CPU seconds of this process. */
double ms_bench_cpu(void);
/* The document's top-level arrays' elements, one per line (malloc'd). */
char *ms_bench_as_lines(const char *buf, size_t *out_len);
/* Heap bytes in use now (mallinfo2). */
size_t ms_bench_heap(void);

#endif
