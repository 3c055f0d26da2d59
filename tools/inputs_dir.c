/*
 * inputs_dir.c — a directory named as a report input stands for the dumps
 * in it.
 *
 * Processes that drop privileges write their dumps in PREFIX.u<uid>/ (see
 * lib/output.c), so the shell glob users type, `mapscope report
 * PREFIX.*`, names that directory among the dump files: it is read as the
 * dumps it holds (its regular files, not the temporary files of a dump
 * being written, in name order; not recursively).  Only a directory named
 * that way: any other directory stays an input error, as a typo should.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline.h"

/* Is path named like a per-user dump directory, "<anything>.u<digits>"? */
static bool per_user_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    size_t d = n;
    while (d > 0 && path[d - 1] >= '0' && path[d - 1] <= '9')
        d--;
    return d < n && d >= 2 && path[d - 1] == 'u' && path[d - 2] == '.';
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **ms_inputs_expand(char **files, size_t n, size_t *out_n)
{
    size_t cap = n + 16, k = 0;
    char **out = ms_xcalloc(cap, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        DIR *d = per_user_name(files[i]) && stat(files[i], &st) == 0 && S_ISDIR(st.st_mode)
                     ? opendir(files[i])
                     : NULL;
        if (!d) {
            if (k == cap)
                out = ms_xrealloc(out, (cap *= 2) * sizeof *out);
            out[k++] = ms_xstrdup(files[i]);
            continue;
        }
        size_t first = k;
        struct dirent *e;
        while ((e = readdir(d))) {
            char *path = ms_xasprintf("%s/%s", files[i], e->d_name);
            if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp") || stat(path, &st) != 0 ||
                !S_ISREG(st.st_mode)) {
                free(path);
                continue;
            }
            if (k == cap)
                out = ms_xrealloc(out, (cap *= 2) * sizeof *out);
            out[k++] = path;
        }
        closedir(d);
        qsort(out + first, k - first, sizeof *out, by_name);
    }
    *out_n = k;
    return out;
}

void ms_inputs_free(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}
