/*
 * strtab.c — two-pass string table (see strtab.h).  Sorting once beats
 * hashing here: the table is built once and then only looked up.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "strtab.h"
#include "util.h"

void ms_strtab_add(struct ms_strtab *t, const char *s)
{
    *MS_VEC_PUSH(*t) = s ? s : "";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ms_strtab_finish(struct ms_strtab *t)
{
    ms_strtab_add(t, ""); /* "" sorts first, so it lands at index 0 */
    ms_sort(t->v, t->n, sizeof *t->v, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < t->n; i++)
        if (!u || strcmp(t->v[u - 1], t->v[i]))
            t->v[u++] = t->v[i];
    t->n = u;
}

int64_t ms_strtab_index(const struct ms_strtab *t, const char *s)
{
    if (!s)
        s = "";
    const char **hit = ms_search(&s, t->v, t->n, sizeof *t->v, cmp_str);
    return hit ? hit - t->v : 0;
}

void ms_strtab_free(struct ms_strtab *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}
