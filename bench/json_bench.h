/*
 * json_bench.h — the contenders of bench/json_bench.c, one file per library
 * (json-c's and jansson's headers cannot be included together: both
 * declare json_object).
 */
#ifndef MS_JSON_BENCH_H
#define MS_JSON_BENCH_H

#include <stddef.h>

/* Parse buf (len bytes) as one document, or (lines) as one JSON value per
 * line, keeping every tree alive until all are read, then free them all.
 * Returns the heap bytes the trees held; *secs gets the CPU time of reading
 * and freeing (measuring the heap is left out: mallinfo2 walks the free
 * lists and costs as much as a parse). */
size_t ms_bench_parse_jsonc(const char *buf, size_t len, int lines, double *secs);
size_t ms_bench_parse_jansson(const char *buf, size_t len, int lines, double *secs);
/* CPU seconds of this process. */
double ms_bench_cpu(void);
/* The document's top-level arrays' elements, one per line (malloc'd). */
char *ms_bench_as_lines(const char *buf, size_t *out_len);
/* Heap bytes in use now (mallinfo2). */
size_t ms_bench_heap(void);

#endif
