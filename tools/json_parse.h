/*
 * json_parse.h — a small JSON reader for the one JSON input the report
 * takes: gomaps findings, one object per line.  Strict (RFC 8259), bounded
 * nesting, every error with its byte offset; fuzzed with the dump reader.
 */
#ifndef MS_JSON_PARSE_H
#define MS_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum ms_json_type { MS_J_NULL, MS_J_BOOL, MS_J_NUM, MS_J_STR, MS_J_ARR, MS_J_OBJ };

struct ms_json {
    enum ms_json_type type;
    bool b;
    double num;
    char *str;             /* MS_J_STR (NUL-terminated; embedded NULs cut) */
    size_t n;              /* MS_J_ARR / MS_J_OBJ: number of items */
    char **keys;           /* MS_J_OBJ */
    struct ms_json *items; /* MS_J_ARR / MS_J_OBJ */
};

/* Parse exactly one JSON value (surrounding whitespace allowed).  Returns 0,
 * or -1 with *err (static text) and *errpos set. */
int ms_json_parse(const char *s, size_t len, struct ms_json *out, const char **err, size_t *errpos);
void ms_json_free(struct ms_json *j);
/* The member `key` of an object, or NULL. */
const struct ms_json *ms_json_get(const struct ms_json *obj, const char *key);
/* Write j back as compact JSON. */
void ms_json_write(FILE *out, const struct ms_json *j);

#endif /* MS_JSON_PARSE_H */
