/*
 * alloc_fn.c — allocation wrappers (valgrind's --alloc-fn): frames of
 * functions that only wrap malloc are taken off the inner end of every
 * stack, so a stack starts at the code that asked for memory.
 *
 * Services allocate through wrappers of their own (redis' zmalloc, nginx's
 * ngx_alloc, glib's g_malloc, CPython's PyObject_Malloc, gnulib's xmalloc);
 * left in, every leak "happens" in the wrapper and every stack of a flame
 * graph ends in it.  Trimming them in the profile, once, after
 * symbolization, means every output (text, JSON, HTML's where column,
 * folded, pprof, diff, the run summary) names the same site; stacks that
 * differed only inside a wrapper become one and their figures add up.
 *
 * A frame is a wrapper's when its function (the real one, not an inlined
 * callee) matches a pattern: a name or an fnmatch(3) glob ("zmalloc*"),
 * compared with the demangled name and with it cut at its parameter list
 * ("operator new(unsigned long)" is also "operator new").  A wrapper
 * inlined into its caller is no frame of its own and stays.  At least one
 * frame is always kept.  Suppressions are matched before the trimming, so
 * suppressions written for the full stacks (valgrind's) keep working.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* The common libraries' wrappers: mapscope-report(1) lists them.  The ones
 * of a program of one's own are added with --alloc-fn or "alloc-fn:NAME"
 * lines in a suppressions file. */
static const char *const default_fns[] = {
    /* libstdc++ and glibc */
    "operator new*", "strdup", "strndup", "__strdup", "__strndup",
    /* redis (zmalloc.c) */
    "zmalloc*", "zcalloc*", "zrealloc*", "ztrymalloc*", "ztrycalloc*", "ztryrealloc*", "zstrdup",
    /* redis' strings (sds.c): every string is made or grown through these, so
     * without them the top leak of redis is always "_sdsnewlen" */
    "_sdsnewlen", "sdsnewlen", "sdstrynewlen", "sdsnew", "sdsempty", "sdsdup", "_sdsMakeRoomFor",
    "sdsMakeRoomFor*", "sdscat*", "sdscpy*", "sdsResize", "sdsRemoveFreeSpace",
    /* nginx */
    "ngx_alloc", "ngx_calloc", "ngx_memalign", "ngx_palloc*", "ngx_pnalloc", "ngx_pcalloc",
    "ngx_pmemalign",
    /* glib */
    "g_malloc*", "g_try_malloc*", "g_realloc*", "g_try_realloc*", "g_slice_alloc*", "g_strdup",
    "g_strndup", "g_memdup*", "g_aligned_alloc*",
    /* CPython */
    "PyObject_Malloc", "PyObject_Calloc", "PyObject_Realloc", "_PyObject_Malloc",
    "_PyObject_Calloc", "_PyObject_Realloc", "PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc",
    "PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc", "_PyMem_RawMalloc",
    "_PyMem_RawCalloc", "_PyMem_RawRealloc", "_PyMem_DebugRaw*", "pymalloc_alloc",
    /* gnulib, binutils, gcc's libiberty */
    "xmalloc", "xcalloc", "xzalloc", "xrealloc", "xstrdup", "xstrndup", "xmemdup", "xnmalloc",
    "xnrealloc", "x2realloc", "x2nrealloc", "xreallocarray", "xcharalloc"};

void ms_alloc_fns_add(struct ms_alloc_fns *a, const char *pattern)
{
    *MS_VEC_PUSH(*a) = ms_xstrdup(pattern);
}

void ms_alloc_fns_defaults(struct ms_alloc_fns *a)
{
    for (size_t i = 0; i < sizeof default_fns / sizeof default_fns[0]; i++)
        ms_alloc_fns_add(a, default_fns[i]);
}

size_t ms_alloc_fns_load(const char *path, struct ms_alloc_fns *a)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0; /* ms_supp_load says what is wrong with the file */
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        char *t = line + strspn(line, " \t");
        if (strncmp(t, MS_ALLOC_FN_PREFIX, strlen(MS_ALLOC_FN_PREFIX)))
            continue;
        t += strlen(MS_ALLOC_FN_PREFIX);
        t += strspn(t, " \t");
        size_t len = strcspn(t, "\r\n");
        while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
            len--;
        if (!len)
            continue;
        t[len] = '\0';
        ms_alloc_fns_add(a, t);
        n++;
    }
    fclose(f);
    return n;
}

void ms_alloc_fns_free(struct ms_alloc_fns *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

static bool name_matches(const struct ms_alloc_fns *a, const char *fn)
{
    const char *paren = strchr(fn, '(');
    char cut[512];
    size_t len = paren ? (size_t)(paren - fn) : 0;
    if (len >= sizeof cut)
        len = 0;
    if (len) {
        memcpy(cut, fn, len);
        cut[len] = '\0';
    }
    for (size_t i = 0; i < a->n; i++)
        if (!fnmatch(a->v[i], fn, 0) || (len && !fnmatch(a->v[i], cut, 0)))
            return true;
    return false;
}

bool ms_alloc_fn_frame(const struct ms_alloc_fns *a, const struct ms_frame *fr)
{
    const char *fn = fr->nsym ? fr->sym[fr->nsym - 1].function : NULL;
    return fn && name_matches(a, fn);
}

static const struct ms_pstack *cmp_base;

/* Same frames and same suppression (stacks a different suppression, or
 * none, matched stay apart). */
static int cmp_same(const struct ms_pstack *a, const struct ms_pstack *b)
{
    if (a->nframes != b->nframes)
        return a->nframes < b->nframes ? -1 : 1;
    int c = memcmp(a->frames, b->frames, a->nframes * sizeof *a->frames);
    if (c)
        return c;
    return strcmp(a->suppressed ? a->suppressed : "", b->suppressed ? b->suppressed : "");
}

static int cmp_stack(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    int c = cmp_same(&cmp_base[i], &cmp_base[j]);
    return c ? c : (i < j ? -1 : 1); /* the first of equal stacks is kept */
}

void ms_alloc_fns_apply(const struct ms_alloc_fns *a, struct ms_profile *p)
{
    if (!a->n)
        return;
    bool *wrapper = ms_xcalloc(p->frames.n ? p->frames.n : 1, sizeof *wrapper);
    for (size_t i = 0; i < p->frames.n; i++)
        wrapper[i] = ms_alloc_fn_frame(a, &p->frames.v[i]);
    size_t trimmed = 0;
    for (size_t i = 0; i < p->stacks.n; i++) {
        struct ms_pstack *s = &p->stacks.v[i];
        uint32_t k = 0;
        while (k + 1 < s->nframes && wrapper[s->frames[k]])
            k++;
        if (!k)
            continue;
        memmove(s->frames, s->frames + k, (s->nframes - k) * sizeof *s->frames);
        s->nframes -= k;
        trimmed++;
    }
    free(wrapper);
    if (!trimmed)
        return;
    /* Stacks that became equal are one stack now. */
    uint32_t *idx = ms_xcalloc(p->stacks.n, sizeof *idx);
    for (size_t i = 0; i < p->stacks.n; i++)
        idx[i] = (uint32_t)i;
    cmp_base = p->stacks.v;
    ms_sort(idx, p->stacks.n, sizeof *idx, cmp_stack);
    bool *gone = ms_xcalloc(p->stacks.n, sizeof *gone);
    for (size_t i = 1, rep = 0; i < p->stacks.n; i++) {
        struct ms_pstack *r = &p->stacks.v[idx[rep]], *s = &p->stacks.v[idx[i]];
        if (!cmp_same(r, s)) {
            ms_pstack_add(r, s);
            gone[idx[i]] = true;
        } else {
            rep = i;
        }
    }
    size_t out = 0;
    for (size_t i = 0; i < p->stacks.n; i++) {
        if (gone[i]) {
            free(p->stacks.v[i].frames);
            free(p->stacks.v[i].lg_bins);
            continue;
        }
        p->stacks.v[out++] = p->stacks.v[i];
    }
    p->stacks.n = out;
    free(gone);
    free(idx);
}
