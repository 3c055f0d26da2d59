/*
 * json_read.c — read JSON with json-c (see json_read.h for the choice).
 *
 * json-c does the lexing and the tree; this file adds what the report's
 * contract needs on top: the whole input must be one value (json-c stops at
 * the end of the first), numbers must be finite (json-c takes NaN and 1e999
 * even in strict mode, and they cannot be written back as JSON), and the
 * tree is written back with the report's own string escaping.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>

#include "json_read.h"
#include "report.h"

#define MAX_DEPTH 64

/* True when every number in j is finite (depth is bounded by the parser). */
static bool finite_numbers(struct json_object *j)
{
    switch (json_object_get_type(j)) {
    case json_type_double:
        return isfinite(json_object_get_double(j));
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(j); i++)
            if (!finite_numbers(json_object_array_get_idx(j, i)))
                return false;
        return true;
    case json_type_object: {
        json_object_object_foreach(j, key, val)
        {
            (void)key;
            if (!finite_numbers(val))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

struct json_object *ms_json_read(const char *s, size_t len, const char **err, size_t *errpos)
{
    if (len > INT32_MAX) {
        *err = "input too large";
        *errpos = 0;
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
    if (!tok) {
        *err = "out of memory";
        *errpos = 0;
        return NULL;
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
    if (!o) {
        *err = e == json_tokener_success ? "null is not accepted here" : json_tokener_error_desc(e);
        return NULL;
    }
    /* Strict mode already refused anything but white space after the value. */
    if (!finite_numbers(o)) {
        json_object_put(o);
        *err = "number out of range or not a number";
        *errpos = 0;
        return NULL;
    }
    return o;
}

void ms_json_write_tree(FILE *out, struct json_object *j)
{
    switch (json_object_get_type(j)) {
    case json_type_null:
        fputs("null", out);
        break;
    case json_type_boolean:
        fputs(json_object_get_boolean(j) ? "true" : "false", out);
        break;
    case json_type_int: {
        /* json-c keeps integers above INT64_MAX as unsigned; get_int64
         * clamps them to INT64_MAX. */
        int64_t v = json_object_get_int64(j);
        if (v == INT64_MAX)
            fprintf(out, "%" PRIu64, json_object_get_uint64(j));
        else
            fprintf(out, "%" PRId64, v);
        break;
    }
    case json_type_double: {
        double d = json_object_get_double(j);
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            fprintf(out, "%.0f", d);
        else
            fprintf(out, "%.17g", d);
        break;
    }
    case json_type_string:
        ms_json_str(out, json_object_get_string(j));
        break;
    case json_type_array:
        fputc('[', out);
        for (size_t i = 0; i < json_object_array_length(j); i++) {
            if (i)
                fputc(',', out);
            ms_json_write_tree(out, json_object_array_get_idx(j, i));
        }
        fputc(']', out);
        break;
    case json_type_object: {
        bool first = true;
        fputc('{', out);
        json_object_object_foreach(j, key, val)
        {
            if (!first)
                fputc(',', out);
            first = false;
            ms_json_str(out, key);
            fputc(':', out);
            ms_json_write_tree(out, val);
        }
        fputc('}', out);
        break;
    }
    }
}
