/*
 * util.c — allocation, growable arrays, size/duration parsing and printing
 * for the mapscope command (see util.h for why allocation failure exits).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

void *ms_xcheck(void *p)
{
    if (!p) {
        fputs("mapscope: out of memory\n", stderr);
        exit(MS_EXIT_FAILURE);
    }
    return p;
}

void *ms_xmalloc(size_t n)
{
    return ms_xcheck(malloc(n ? n : 1));
}

void *ms_xcalloc(size_t n, size_t size)
{
    return ms_xcheck(calloc(n ? n : 1, size ? size : 1));
}

void *ms_xrealloc(void *p, size_t n)
{
    return ms_xcheck(realloc(p, n ? n : 1));
}

char *ms_xstrdup(const char *s)
{
    return ms_xcheck(strdup(s ? s : ""));
}

char *ms_xstrndup(const char *s, size_t n)
{
    return ms_xcheck(strndup(s, n));
}

char *ms_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return ms_xcheck(r < 0 ? NULL : s);
}

void ms_grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            ms_xcheck(NULL);
        ncap *= 2;
    }
    *v = ms_xrealloc(*v, ncap * size);
    memset((char *)*v + *cap * size, 0, (ncap - *cap) * size);
    *cap = ncap;
}

void ms_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

void *ms_search(const void *key, const void *base, size_t n, size_t size,
                int (*cmp)(const void *, const void *))
{
    return n ? bsearch(key, base, n, size, cmp) : NULL;
}

char *ms_fmt_bytes(char *buf, uint64_t bytes)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, 32, "%" PRIu64 " B", bytes);
    else
        snprintf(buf, 32, "%.1f %s", v, unit[u]);
    return buf;
}

char *ms_fmt_duration(char *buf, uint64_t ns)
{
    uint64_t s = ns / 1000000000u;
    if (ns < 1000000u)
        snprintf(buf, 32, "%" PRIu64 " us", ns / 1000u);
    else if (ns < 1000000000u)
        snprintf(buf, 32, "%" PRIu64 " ms", ns / 1000000u);
    else if (s < 60)
        snprintf(buf, 32, "%.1f s", (double)ns / 1e9);
    else if (s < 3600)
        snprintf(buf, 32, "%" PRIu64 " m %02" PRIu64 " s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, 32, "%" PRIu64 " h %02" PRIu64 " m", s / 3600, s / 60 % 60);
    else
        snprintf(buf, 32, "%" PRIu64 " d %02" PRIu64 " h", s / 86400, s / 3600 % 24);
    return buf;
}

/* Leading decimal number; *end past it.  -1 on no digits or overflow. */
static int parse_u64(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    *end = p;
    return 0;
}

static int scale(uint64_t v, uint64_t mult, uint64_t *out)
{
    if (mult && v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int ms_parse_bytes(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *p;
    if (!s || parse_u64(s, &v, &p))
        return -1;
    uint64_t mult = 1;
    switch (toupper((unsigned char)*p)) {
    case 'K':
        mult = 1ull << 10;
        p++;
        break;
    case 'M':
        mult = 1ull << 20;
        p++;
        break;
    case 'G':
        mult = 1ull << 30;
        p++;
        break;
    case 'T':
        mult = 1ull << 40;
        p++;
        break;
    default:
        break;
    }
    if (mult > 1 && *p == 'i')
        p++;
    if (*p == 'B' || *p == 'b')
        p++;
    if (*p)
        return -1;
    return scale(v, mult, out);
}

int ms_parse_duration(const char *s, uint64_t *out_ns)
{
    uint64_t v;
    const char *p;
    if (s && !strcmp(s, "off")) {
        *out_ns = 0;
        return 0;
    }
    if (!s || parse_u64(s, &v, &p))
        return -1;
    static const struct {
        const char *suffix;
        uint64_t ns;
    } units[] = {{"", 1000000000ull},   {"s", 1000000000ull},    {"ms", 1000000ull},
                 {"m", 60000000000ull}, {"h", 3600000000000ull}, {"d", 86400000000000ull}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(p, units[i].suffix))
            return scale(v, units[i].ns, out_ns);
    return -1;
}
