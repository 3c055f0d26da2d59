/*
 * util.c — allocation, growable arrays, size/duration printing for the
 * mapscope command (see util.h for why allocation failure exits).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "text_out.h"
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

char *ms_read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "re");
    if (!in)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, k;
    do {
        ms_grow((void **)&buf, &cap, n + 65536 + 1, 1); /* zeroed: the NUL is there */
        k = fread(buf + n, 1, cap - n - 1, in);
        n += k;
    } while (k > 0);
    int err = ferror(in) ? errno : 0;
    fclose(in);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
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

char *ms_find_program(const char *prog)
{
    if (strchr(prog, '/'))
        return ms_xstrdup(prog);
    const char *path = getenv("PATH");
    char *copy = ms_xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save;
    char *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *cand = ms_xasprintf("%s/%s", *dir ? dir : ".", prog);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            found = cand;
        else
            free(cand);
    }
    free(copy);
    return found;
}

char *ms_fmt_bytes(char *buf, uint64_t bytes)
{
    return ms_fmt_size(buf, 32, bytes, MS_SIZE_IEC);
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
