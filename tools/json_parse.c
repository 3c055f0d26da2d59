/*
 * json_parse.c — recursive-descent JSON reader (see json_parse.h).  Input
 * is untrusted: nesting is capped so a line of '[' cannot exhaust the
 * stack, and every read is checked against the end of the buffer.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_parse.h"
#include "report.h"

#define MAX_DEPTH 64

struct jp {
    const char *s, *end, *p;
    const char *err;
};

static void ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int fail(struct jp *j, const char *msg)
{
    if (!j->err)
        j->err = msg;
    return -1;
}

static int hex4(struct jp *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return fail(j, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *j->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(j, "bad \\u escape");
    }
    *out = v;
    return 0;
}

static void put_utf8(char **o, unsigned cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xc0 | cp >> 6);
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xe0 | cp >> 12);
        *u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *u++ = (unsigned char)(0xf0 | cp >> 18);
        *u++ = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *o = (char *)u;
}

static int string(struct jp *j, char **out)
{
    j->p++; /* opening quote */
    /* The decoded string is never longer than the encoded one (a \uXXXX
     * escape is 6 bytes for at most 4; a surrogate pair 12 for 4). */
    const char *q = j->p;
    while (q < j->end && *q != '"')
        q += *q == '\\' && q + 1 < j->end ? 2 : 1;
    if (q >= j->end)
        return fail(j, "unterminated string");
    char *buf = ms_xmalloc((size_t)(q - j->p) + 1), *o = buf;
    /* Decode with the closing quote as the end, so no escape can read or
     * write past the string. */
    const char *real_end = j->end;
    j->end = q;
    int rc = 0;
    while (j->p < j->end && !rc) {
        unsigned char c = (unsigned char)*j->p++;
        if (c < 0x20) {
            rc = fail(j, "control character in string");
            break;
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        char e = *j->p++;
        unsigned cp;
        switch (e) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            if (hex4(j, &cp)) {
                rc = -1;
                break;
            }
            if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u') {
                unsigned lo;
                j->p += 2;
                if (hex4(j, &lo)) {
                    rc = -1;
                    break;
                }
                cp = lo >= 0xdc00 && lo < 0xe000 ? 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)
                                                 : 0xfffd;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd; /* lone surrogate */
            }
            if (cp)
                put_utf8(&o, cp);
            break;
        default:
            rc = fail(j, "bad escape in string");
        }
    }
    j->end = real_end;
    if (rc) {
        free(buf);
        return -1;
    }
    j->p++; /* closing quote */
    *o = 0;
    *out = buf;
    return 0;
}

static int value(struct jp *j, struct ms_json *v, int depth);

static int container(struct jp *j, struct ms_json *v, int depth, bool obj)
{
    v->type = obj ? MS_J_OBJ : MS_J_ARR;
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
        j->p++;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        ws(j);
        char *key = NULL;
        if (obj) {
            if (j->p >= j->end || *j->p != '"')
                return fail(j, "expected a string key");
            if (string(j, &key))
                return -1;
            ws(j);
            if (j->p >= j->end || *j->p != ':') {
                free(key);
                return fail(j, "expected ':'");
            }
            j->p++;
        }
        if (v->n == cap) {
            cap = cap ? cap * 2 : 4;
            v->items = ms_xrealloc(v->items, cap * sizeof *v->items);
            if (obj)
                v->keys = ms_xrealloc(v->keys, cap * sizeof *v->keys);
        }
        memset(&v->items[v->n], 0, sizeof *v->items);
        if (obj)
            v->keys[v->n] = key;
        v->n++;
        if (value(j, &v->items[v->n - 1], depth + 1))
            return -1;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
            j->p++;
            return 0;
        }
        return fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int number(struct jp *j, struct ms_json *v)
{
    const char *q = j->p;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || *q < '0' || *q > '9')
        return fail(j, "unexpected character");
    while (q < j->end && strchr("0123456789+-.eE", *q))
        q++;
    char tmp[64];
    size_t n = (size_t)(q - j->p);
    if (n >= sizeof tmp)
        return fail(j, "number too long");
    memcpy(tmp, j->p, n);
    tmp[n] = 0;
    char *end;
    v->num = strtod(tmp, &end);
    if (*end || !isfinite(v->num))
        return fail(j, "bad number");
    v->type = MS_J_NUM;
    j->p = q;
    return 0;
}

static int literal(struct jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
        return fail(j, "unexpected character");
    j->p += n;
    return 0;
}

static int value(struct jp *j, struct ms_json *v, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(j, "nested too deeply");
    ws(j);
    if (j->p >= j->end)
        return fail(j, "unexpected end of input");
    switch (*j->p) {
    case '{':
        return container(j, v, depth, true);
    case '[':
        return container(j, v, depth, false);
    case '"':
        v->type = MS_J_STR;
        return string(j, &v->str);
    case 't':
        v->type = MS_J_BOOL;
        v->b = true;
        return literal(j, "true");
    case 'f':
        v->type = MS_J_BOOL;
        return literal(j, "false");
    case 'n':
        v->type = MS_J_NULL;
        return literal(j, "null");
    default:
        return number(j, v);
    }
}

int ms_json_parse(const char *s, size_t len, struct ms_json *out, const char **err, size_t *errpos)
{
    struct jp j = {s, s + len, s, NULL};
    memset(out, 0, sizeof *out);
    int rc = value(&j, out, 0);
    if (!rc) {
        ws(&j);
        if (j.p != j.end)
            rc = fail(&j, "trailing characters after the value");
    }
    if (rc) {
        ms_json_free(out);
        *err = j.err;
        *errpos = (size_t)(j.p - s);
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
