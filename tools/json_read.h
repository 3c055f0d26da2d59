/*
 * json_read.h — the report's JSON reader: json-c (Debian's libjson-c),
 * strict and bounded, for the JSON the report takes in (gomaps findings,
 * one object per line).
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

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Parse exactly one JSON value from s (len bytes, no NUL needed; white
 * space around it allowed).  json-c's strict mode: no trailing commas, no
 * comments, no trailing garbage (it still takes single-quoted object keys);
 * plus no NaN or infinities; nesting deeper than 64 is refused (a line of
 * '[' must not exhaust anything).  Returns the tree (release it with
 * json_object_put), or NULL with *err (static text) and *errpos (the byte
 * offset where reading stopped) set. */
struct json_object *ms_json_read(const char *s, size_t len, const char **err, size_t *errpos);

/* Write j as compact JSON, strings through ms_json_str (so '<' is escaped
 * and the text can sit inside an HTML <script> element). */
void ms_json_write_tree(FILE *out, struct json_object *j);

#endif /* MS_JSON_READ_H */
