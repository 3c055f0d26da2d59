/*
 * util.h — small helpers shared by the mapscope command's files: memory
 * allocation that cannot return NULL, growable arrays, and the printing of
 * sizes and durations (parsing them is format/option_grammar.h's job).
 *
 * The tools run offline on a developer's machine, so running out of memory
 * is reported once and ends the command (exit 1) instead of threading NULL
 * checks through every parser.
 */
#ifndef MS_UTIL_H
#define MS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* p, or exit with "out of memory" when it is NULL. */
void *ms_xcheck(void *p);
void *ms_xmalloc(size_t n);
void *ms_xcalloc(size_t n, size_t size);
void *ms_xrealloc(void *p, size_t n);
char *ms_xstrdup(const char *s);
char *ms_xstrndup(const char *s, size_t n);
char *ms_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *v (of element size `size`, *cap elements) so that it holds at least
 * `need` elements; new space is zeroed.  Capacity doubles, so pushes are
 * amortised O(1). */
void ms_grow(void **v, size_t *cap, size_t need, size_t size);

/* A growable array of T: { T *v; size_t n, cap; }.  MS_VEC_PUSH returns a
 * pointer to a new zeroed element at the end. */
#define MS_VEC(T)                                                                                  \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }
#define MS_VEC_PUSH(vec)                                                                           \
    (ms_grow((void **)&(vec).v, &(vec).cap, (vec).n + 1, sizeof *(vec).v), &(vec).v[(vec).n++])

/* The whole content of path, read as a stream (pipes and /dev/fd/N work,
 * e.g. `<(zcat maps.jsonl.gz)`), NUL-terminated, length in *len;
 * NULL with errno set when it cannot be opened or read. */
char *ms_read_file(const char *path, size_t *len);

/* PROGRAM as execvp would find it (malloc'd): a name with a '/' as it is, else
 * the first regular executable file of that name in $PATH (unset or empty:
 * /usr/local/bin:/usr/bin:/bin); NULL when there is none.  `mapscope run` and
 * `mapscope gomaps` both look their program up with it. */
char *ms_find_program(const char *prog);

/* qsort and bsearch that accept an empty array given as NULL (the C
 * library's declare the pointer nonnull even when n is 0). */
void ms_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *ms_search(const void *key, const void *base, size_t n, size_t size,
                int (*cmp)(const void *, const void *));

/* "12.3 MiB", "512 B": binary units, one decimal above KiB (common/text_out.h's
 * MS_SIZE_IEC).  buf must hold at least 32 bytes; returns buf. */
char *ms_fmt_bytes(char *buf, uint64_t bytes);
/* "1.5 s", "2 h 03 m", "850 ms" for a duration in nanoseconds. */
char *ms_fmt_duration(char *buf, uint64_t ns);

/* Sizes and durations are parsed by the option grammar the shim uses too
 * (ms_parse_bytes, ms_parse_duration). */
#include "option_grammar.h"

#endif /* MS_UTIL_H */
