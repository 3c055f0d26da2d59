/*
 * json_read.c — read JSON with json-c (see json_read.h for the choice) and
 * hand the result over as a struct ms_json tree.
 *
 * json-c does the lexing and parsing; this file adds what the report's
 * contract needs on top: the whole input must be one value (json-c stops at
 * the end of the first), numbers must be finite (json-c takes NaN and 1e999
 * even in strict mode, and they cannot be written back as JSON), and the
 * tree is written back with the report's own string escaping.
 */
#include "config.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "pipeline.h"

#define MAX_DEPTH 64

/* Copy json-c's tree j into out; -1 on a number that is not finite.  The
 * depth is bounded by the parser's MAX_DEPTH. */
static int convert(struct json_object *j, struct ms_json *out)
{
    memset(out, 0, sizeof *out);
    switch (json_object_get_type(j)) {
    case json_type_null:
        out->type = MS_J_NULL;
        return 0;
    case json_type_boolean:
        out->type = MS_J_BOOL;
        out->b = json_object_get_boolean(j);
        return 0;
    case json_type_int:
        /* Integers above INT64_MAX are kept unsigned by json-c (and clamped
         * by its get_double's int path); as doubles, like every number. */
        out->type = MS_J_NUM;
        out->num = json_object_get_int64(j) == INT64_MAX ? (double)json_object_get_uint64(j)
                                                         : (double)json_object_get_int64(j);
        return 0;
    case json_type_double:
        out->type = MS_J_NUM;
        out->num = json_object_get_double(j);
        return isfinite(out->num) ? 0 : -1;
    case json_type_string:
        out->type = MS_J_STR;
        out->str = ms_xstrdup(json_object_get_string(j));
        return 0;
    case json_type_array:
        out->type = MS_J_ARR;
        out->n = json_object_array_length(j);
        out->items = ms_xcalloc(out->n, sizeof *out->items);
        for (size_t i = 0; i < out->n; i++)
            if (convert(json_object_array_get_idx(j, i), &out->items[i]) != 0)
                return -1;
        return 0;
    case json_type_object: {
        out->type = MS_J_OBJ;
        size_t cap = (size_t)json_object_object_length(j), i = 0;
        out->keys = ms_xcalloc(cap, sizeof *out->keys);
        out->items = ms_xcalloc(cap, sizeof *out->items);
        json_object_object_foreach(j, key, val)
        {
            out->keys[i] = ms_xstrdup(key);
            out->n = ++i; /* counted before converting, so a failure frees it */
            if (convert(val, &out->items[i - 1]) != 0)
                return -1;
        }
        return 0;
    }
    }
    return -1;
}

int ms_json_parse(const char *s, size_t len, struct ms_json *out, const char **err, size_t *errpos)
{
    memset(out, 0, sizeof *out);
    *err = NULL;
    *errpos = 0;
    if (len > INT32_MAX) {
        *err = "input too large";
        return -1;
    }
    json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
    if (!tok) {
        *err = "out of memory";
        return -1;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *o = json_tokener_parse_ex(tok, s, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    *errpos = json_tokener_get_parse_end(tok);
    /* A value that may go on (a number at the very end) is ended by a NUL,
     * json-c's end-of-input mark. */
    if (!o && e == json_tokener_continue) {
        o = json_tokener_parse_ex(tok, "", 1);
        e = json_tokener_get_error(tok);
    }
    json_tokener_free(tok);
    if (e != json_tokener_success) {
        *err = json_tokener_error_desc(e);
        return -1;
    }
    /* Strict mode already refused anything but white space after the
     * value; a top-level null is a NULL object, and converts as one. */
    int rc = convert(o, out);
    json_object_put(o);
    if (rc != 0) {
        ms_json_free(out);
        *err = "number out of range or not a number";
        *errpos = 0;
    }
    return rc;
}

void ms_json_free(struct ms_json *j)
{
    free(j->str);
    for (size_t i = 0; i < j->n; i++) {
        if (j->keys)
            free(j->keys[i]);
        ms_json_free(&j->items[i]);
    }
    free(j->keys);
    free(j->items);
    memset(j, 0, sizeof *j);
}

const struct ms_json *ms_json_get(const struct ms_json *obj, const char *key)
{
    if (!obj || obj->type != MS_J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (obj->keys[i] && !strcmp(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}

void ms_json_write(FILE *out, const struct ms_json *j)
{
    switch (j->type) {
    case MS_J_NULL:
        fputs("null", out);
        break;
    case MS_J_BOOL:
        fputs(j->b ? "true" : "false", out);
        break;
    case MS_J_NUM:
        if (j->num == floor(j->num) && fabs(j->num) < 9007199254740992.0)
            fprintf(out, "%.0f", j->num);
        else
            fprintf(out, "%.17g", j->num);
        break;
    case MS_J_STR:
        ms_json_str(out, j->str);
        break;
    case MS_J_ARR:
    case MS_J_OBJ:
        fputc(j->type == MS_J_OBJ ? '{' : '[', out);
        for (size_t i = 0; i < j->n; i++) {
            if (i)
                fputc(',', out);
            if (j->type == MS_J_OBJ) {
                ms_json_str(out, j->keys[i]);
                fputc(':', out);
            }
            ms_json_write(out, &j->items[i]);
        }
        fputc(j->type == MS_J_OBJ ? '}' : ']', out);
        break;
    }
}
