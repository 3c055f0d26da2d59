/*
 * json_read.h — the report's JSON reader, for the JSON it takes in (gomaps
 * findings, one object per line): Debian's json-c parses, and the result is
 * handed over as a plain tree (struct ms_json) so no library type reaches
 * the rest of the report.  Strict, bounded nesting, every error with its
 * byte offset; fuzzed with the dump reader (tests/fuzz/).
 *
 * json-c was chosen over jansson by measurement (`make bench-json`: the
 * --json report of a 3.6M-block dump, 10.7 MB, CPU time, medians of 11
 * alternating rounds, 10 runs on a loaded 2-core VM): as one document
 * jansson took 0.96-1.27x json-c's time, as JSON lines, the shape the
 * report reads, 1.56-2.2x; jansson's trees are ~20% smaller (6.9 vs 8.7
 * bytes per input byte), which does not matter here: findings are read and
 * freed a line at a time.  The hand-written parser this replaced was
 * faster still (0.6-0.8x json-c's time, 5.3 bytes per input byte); the
 * library is taken for its upkeep and fuzzing by others, not for speed.
 */
#ifndef MS_JSON_READ_H
#define MS_JSON_READ_H

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

/* Parse exactly one JSON value from s (len bytes, no NUL needed; white
 * space around it allowed) with json-c's strict mode: no trailing commas,
 * comments or trailing garbage (it still takes single-quoted object keys);
 * NaN and infinities are refused too; nesting deeper than 64 is refused (a
 * line of '[' must not exhaust anything).  Returns 0, or -1 with *err
 * (static text) and *errpos (where reading stopped) set. */
int ms_json_parse(const char *s, size_t len, struct ms_json *out, const char **err, size_t *errpos);
void ms_json_free(struct ms_json *j);
/* The member `key` of an object, or NULL. */
const struct ms_json *ms_json_get(const struct ms_json *obj, const char *key);
/* Write j back as compact JSON, strings through ms_json_str (so '<' is
 * escaped and the text can sit inside an HTML <script> element). */
void ms_json_write(FILE *out, const struct ms_json *j);

#endif /* MS_JSON_READ_H */
