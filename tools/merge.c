/*
 * merge.c — turn the dumps given to `mapscope report` into one profile.
 *
 * Which dumps count: a process writes snapshots (seq 1, 2, ...) and an exit
 * dump; each is a complete picture at its time, so only the newest of one
 * process is used (the exit dump counting as newest).  Dumps of different
 * processes (a fork tree, `make test`) are all used and added up.  A
 * process is its pid plus start time, so a recycled pid is another process.
 *
 * How stacks compare: a return address means nothing outside its process
 * (ASLR moves every module), so each frame becomes (module, offset in the
 * module's ELF file) and modules are identified by path and build-id.
 * Identical stacks from different processes or runs then merge, and the
 * symbolizer looks up each distinct frame once.  Deduplication sorts and
 * merges runs of equal keys: no hashing, O(n log n).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* ---------------------------------------------------------------- select -- */

/* Is dump a newer than dump b of the same process? */
static bool newer(const struct ms_dump *a, const struct ms_dump *b)
{
    bool ax = a->reason == MS_DUMP_AT_EXIT, bx = b->reason == MS_DUMP_AT_EXIT;
    if (ax != bx)
        return ax;
    if (a->seq != b->seq)
        return a->seq > b->seq;
    return a->dump_ns > b->dump_ns;
}

static void select_newest(struct ms_dump *dumps, size_t n, bool *use)
{
    for (size_t i = 0; i < n; i++) {
        /* A dump whose PROCESS record was lost cannot be matched with
         * another: it is used on its own. */
        use[i] = true;
        if (!dumps[i].have_process)
            continue;
        for (size_t j = 0; j < n && use[i]; j++) {
            if (j == i || !dumps[j].have_process || dumps[j].pid != dumps[i].pid ||
                dumps[j].start_ns != dumps[i].start_ns)
                continue;
            /* j is the same process: i loses to a newer one, and to an
             * equally new one listed earlier (the same file given twice). */
            if (newer(&dumps[j], &dumps[i]) || (!newer(&dumps[i], &dumps[j]) && j < i))
                use[i] = false;
        }
    }
}

/* --------------------------------------------------------------- modules -- */

static int32_t module_index(struct ms_profile *p, const struct ms_module *m)
{
    for (size_t i = 0; i < p->modules.n; i++) {
        struct ms_pmodule *g = &p->modules.v[i];
        if (!strcmp(g->path, m->path ? m->path : "") && g->build_id_len == m->build_id_len &&
            !memcmp(g->build_id, m->build_id, m->build_id_len))
            return (int32_t)i;
    }
    struct ms_pmodule *g = MS_VEC_PUSH(p->modules);
    g->path = ms_xstrdup(m->path);
    g->build_id = ms_xmalloc(m->build_id_len);
    memcpy(g->build_id, m->build_id, m->build_id_len);
    g->build_id_len = m->build_id_len;
    g->bias = m->bias, g->start = m->start, g->end = m->end;
    return (int32_t)(p->modules.n - 1);
}

/* A dump's modules sorted by start address, with their profile index. */
struct modref {
    uint64_t start, end, bias;
    int32_t index;
};

static int cmp_modref(const void *a, const void *b)
{
    const struct modref *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The module holding a return address.  The call instruction is just
 * before it, so the address may equal a module's end. */
static const struct modref *find_module(const struct modref *m, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first module starting above addr */
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct modref *r = &m[lo - 1];
    return addr <= r->end ? r : NULL;
}

/* ---------------------------------------------------------------- frames -- */

struct fkey {
    int32_t module;
    uint64_t offset, address;
};

static int cmp_fkey(const void *a, const void *b)
{
    const struct fkey *x = a, *y = b;
    if (x->module != y->module)
        return x->module < y->module ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* A stack of one dump on its way into the profile. */
struct tstack {
    uint32_t nframes;
    struct fkey *keys; /* before frame dedup */
    uint32_t *frames;  /* after */
    uint64_t f[MS_SF_COUNT];
    uint64_t lg_blocks, lg_bytes, lg_oldest;
    uint32_t lg_nbins;
    struct ms_linger_bin *lg_bins;
    uint64_t k[MS_KF_COUNT];
};

static int cmp_raw_id(const void *a, const void *b)
{
    const struct ms_raw_stack *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const struct ms_raw_stack *find_stack(const struct ms_dump *d, uint32_t id)
{
    struct ms_raw_stack key = {.id = id};
    return ms_search(&key, d->stacks.v, d->stacks.n, sizeof key, cmp_raw_id);
}

static int cmp_tstack(const void *a, const void *b)
{
    const struct tstack *x = a, *y = b;
    uint32_t n = x->nframes < y->nframes ? x->nframes : y->nframes;
    for (uint32_t i = 0; i < n; i++)
        if (x->frames[i] != y->frames[i])
            return x->frames[i] < y->frames[i] ? -1 : 1;
    return x->nframes < y->nframes ? -1 : x->nframes > y->nframes;
}

static int cmp_bin(const void *a, const void *b)
{
    const struct ms_linger_bin *x = a, *y = b;
    return x->min_age_ns < y->min_age_ns ? -1 : x->min_age_ns > y->min_age_ns;
}

/* Add linger bins `add` into (*bins, *n): the union of the bin boundaries,
 * equal boundaries summed (exact when every dump used the same bins, which
 * one shim version does). */
static void merge_bins(struct ms_linger_bin **bins, uint32_t *n, const struct ms_linger_bin *add,
                       uint32_t nadd)
{
    if (!nadd)
        return;
    struct ms_linger_bin *all = ms_xcalloc((size_t)*n + nadd, sizeof *all);
    if (*n)
        memcpy(all, *bins, *n * sizeof *all);
    memcpy(all + *n, add, nadd * sizeof *all);
    uint32_t total = *n + nadd, out = 0;
    ms_sort(all, total, sizeof *all, cmp_bin);
    for (uint32_t i = 0; i < total; i++) {
        if (out && all[out - 1].min_age_ns == all[i].min_age_ns) {
            all[out - 1].blocks += all[i].blocks;
            all[out - 1].bytes += all[i].bytes;
        } else {
            all[out++] = all[i];
        }
    }
    free(*bins);
    *bins = all;
    *n = out;
}

/* Collect one dump's stacks (those with counters or lingering blocks). */
static void collect_stacks(struct ms_profile *p, struct ms_dump *d, struct tstack **ts, size_t *nts,
                           size_t *cap)
{
    struct modref *mods = ms_xcalloc(d->modules.n, sizeof *mods);
    for (size_t i = 0; i < d->modules.n; i++) {
        mods[i].start = d->modules.v[i].start;
        mods[i].end = d->modules.v[i].end;
        mods[i].bias = d->modules.v[i].bias;
        mods[i].index = module_index(p, &d->modules.v[i]);
    }
    ms_sort(mods, d->modules.n, sizeof *mods, cmp_modref);
    ms_sort(d->stacks.v, d->stacks.n, sizeof *d->stacks.v, cmp_raw_id);

    /* One entry per stats record, then one per linger record (merged with
     * the stats of the same stack later, when stacks are deduplicated). */
    size_t nitems = d->stats.n + d->lingers.n + d->kinds.n;
    for (size_t k = 0; k < nitems; k++) {
        bool is_stats = k < d->stats.n;
        bool is_kinds = k >= d->stats.n + d->lingers.n;
        uint32_t id = is_stats   ? d->stats.v[k].stack_id
                      : is_kinds ? d->kinds.v[k - d->stats.n - d->lingers.n].stack_id
                                 : d->lingers.v[k - d->stats.n].stack_id;
        ms_grow((void **)ts, cap, *nts + 1, sizeof **ts);
        struct tstack *t = &(*ts)[(*nts)++];
        const struct ms_raw_stack *rs = find_stack(d, id);
        /* A stats record whose stack was lost to damage still counts, with
         * an empty stack, so the totals by stack add up. */
        t->nframes = rs ? rs->nframes : 0;
        t->keys = ms_xcalloc(t->nframes, sizeof *t->keys);
        for (uint32_t i = 0; i < t->nframes; i++) {
            uint64_t a = rs->frames[i];
            const struct modref *m = find_module(mods, d->modules.n, a);
            t->keys[i].module = m ? m->index : -1;
            t->keys[i].offset = m ? a - m->bias : a;
            t->keys[i].address = a;
        }
        if (is_stats) {
            memcpy(t->f, d->stats.v[k].f, sizeof t->f);
        } else if (is_kinds) {
            memcpy(t->k, d->kinds.v[k - d->stats.n - d->lingers.n].k, sizeof t->k);
        } else {
            const struct ms_linger *l = &d->lingers.v[k - d->stats.n];
            t->lg_blocks = l->blocks, t->lg_bytes = l->bytes, t->lg_oldest = l->oldest_age_ns;
            merge_bins(&t->lg_bins, &t->lg_nbins, l->bins, l->nbins);
        }
    }
    free(mods);
}

/* Deduplicate every frame key into p->frames and rewrite stacks as indices. */
static void dedup_frames(struct ms_profile *p, struct tstack *ts, size_t nts)
{
    size_t total = 0;
    for (size_t i = 0; i < nts; i++)
        total += ts[i].nframes;
    struct fkey *all = ms_xcalloc(total, sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < nts; i++)
        for (uint32_t j = 0; j < ts[i].nframes; j++)
            all[k++] = ts[i].keys[j];
    /* ms_sort (qsort) is not stable, so the address kept for a frame is any of its
     * runtime addresses: they all symbolize the same. */
    ms_sort(all, total, sizeof *all, cmp_fkey);
    size_t u = 0;
    for (size_t i = 0; i < total; i++)
        if (!u || cmp_fkey(&all[u - 1], &all[i]))
            all[u++] = all[i];
    for (size_t i = 0; i < u; i++) {
        struct ms_frame *f = MS_VEC_PUSH(p->frames);
        f->module = all[i].module;
        f->offset = all[i].offset;
        f->address = all[i].address;
    }
    for (size_t i = 0; i < nts; i++) {
        ts[i].frames = ms_xcalloc(ts[i].nframes, sizeof *ts[i].frames);
        for (uint32_t j = 0; j < ts[i].nframes; j++) {
            struct fkey *hit = ms_search(&ts[i].keys[j], all, u, sizeof *all, cmp_fkey);
            ts[i].frames[j] = (uint32_t)(hit - all);
        }
        free(ts[i].keys);
        ts[i].keys = NULL;
    }
    free(all);
}

static void dedup_stacks(struct ms_profile *p, struct tstack *ts, size_t nts)
{
    ms_sort(ts, nts, sizeof *ts, cmp_tstack);
    /* Compare with the run's first stack, whose frames the profile keeps
     * (the duplicates' frames are freed as they merge). */
    size_t rep = 0;
    for (size_t i = 0; i < nts; i++) {
        struct ms_pstack *s;
        if (i && !cmp_tstack(&ts[rep], &ts[i])) {
            s = &p->stacks.v[p->stacks.n - 1];
            free(ts[i].frames);
        } else {
            rep = i;
            s = MS_VEC_PUSH(p->stacks);
            s->nframes = ts[i].nframes;
            s->frames = ts[i].frames;
        }
        struct ms_pstack add = {.lg_blocks = ts[i].lg_blocks,
                                .lg_bytes = ts[i].lg_bytes,
                                .lg_oldest_ns = ts[i].lg_oldest,
                                .lg_nbins = ts[i].lg_nbins,
                                .lg_bins = ts[i].lg_bins};
        memcpy(add.f, ts[i].f, sizeof add.f);
        memcpy(add.k, ts[i].k, sizeof add.k);
        ms_pstack_add(s, &add);
        free(ts[i].lg_bins);
    }
}

void ms_pstack_add(struct ms_pstack *s, const struct ms_pstack *add)
{
    for (int f = 0; f < MS_SF_COUNT; f++)
        s->f[f] += add->f[f];
    for (int f = 0; f < MS_KF_COUNT; f++)
        s->k[f] += add->k[f];
    s->lg_blocks += add->lg_blocks;
    s->lg_bytes += add->lg_bytes;
    if (add->lg_oldest_ns > s->lg_oldest_ns)
        s->lg_oldest_ns = add->lg_oldest_ns;
    merge_bins(&s->lg_bins, &s->lg_nbins, add->lg_bins, add->lg_nbins);
}

/* ---------------------------------------------------------- totals, etc. -- */

/* How a figure combines over processes: most add up; a few are a level, a
 * maximum or an instant, where the largest value is the honest summary. */
static bool combine_by_max(const char *name)
{
    static const char *const max_suffix[] = {".B",           ".oldB", "growing", "longest_chain",
                                             "peak_time_ns", "_max"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof max_suffix / sizeof max_suffix[0]; i++) {
        size_t k = strlen(max_suffix[i]);
        if (n >= k && !strcmp(name + n - k, max_suffix[i]))
            return true;
    }
    return false;
}

static void add_nv(struct ms_nv **v, size_t *n, size_t *cap, const struct ms_nv *src, size_t nsrc)
{
    for (size_t i = 0; i < nsrc; i++) {
        size_t j = 0;
        while (j < *n && strcmp((*v)[j].name, src[i].name))
            j++;
        if (j == *n) {
            ms_grow((void **)v, cap, *n + 1, sizeof **v);
            (*v)[j].name = ms_xstrdup(src[i].name);
            (*n)++;
        }
        uint64_t a = (*v)[j].value, b = src[i].value;
        (*v)[j].value = combine_by_max(src[i].name) ? (a > b ? a : b) : a + b;
    }
}

/* Heap over time for all processes together, on wall-clock time. */
static void merge_timelines(struct ms_profile *p, struct ms_dump *dumps, size_t n, const bool *use)
{
    uint64_t interval = 0, t0 = UINT64_MAX, tend = 0;
    for (size_t i = 0; i < n; i++) {
        if (!use[i] || !dumps[i].timeline.n)
            continue;
        struct ms_dump *d = &dumps[i];
        if (d->timeline_interval_ns > interval)
            interval = d->timeline_interval_ns;
        if (d->start_ns < t0)
            t0 = d->start_ns;
        uint64_t last = d->start_ns + d->timeline.v[d->timeline.n - 1].t_ns;
        if (last > tend)
            tend = last;
    }
    if (t0 == UINT64_MAX)
        return;
    if (!interval)
        interval = 1000000000u;
    /* Bound the chart: a long run at a fine resolution is coarsened. */
    const uint64_t max_slots = 100000;
    while ((tend - t0) / interval + 1 > max_slots && interval < UINT64_MAX / 2)
        interval *= 2;
    size_t nslots = (size_t)((tend - t0) / interval + 1);
    ms_grow((void **)&p->timeline.v, &p->timeline.cap, nslots, sizeof *p->timeline.v);
    p->timeline.n = nslots;
    p->timeline_interval_ns = interval;
    for (size_t s = 0; s < nslots; s++)
        p->timeline.v[s].t_ns = s * interval;
    for (size_t i = 0; i < n; i++) {
        if (!use[i] || !dumps[i].timeline.n)
            continue;
        struct ms_dump *d = &dumps[i];
        /* Each process contributes its latest level to every slot from its
         * first point to its last (the level holds between points). */
        size_t k = 0;
        struct ms_tl_point cur = {0};
        size_t first = (size_t)((d->start_ns + d->timeline.v[0].t_ns - t0) / interval);
        size_t last =
            (size_t)((d->start_ns + d->timeline.v[d->timeline.n - 1].t_ns - t0) / interval);
        for (size_t s = first; s <= last && s < nslots; s++) {
            while (k < d->timeline.n &&
                   (d->start_ns + d->timeline.v[k].t_ns - t0) / interval <= s) {
                /* A slot is dated by its latest point: its level is the
                 * level at that moment (a dump's last point is taken when
                 * it is written, mid-slot). */
                uint64_t at = d->start_ns + d->timeline.v[k].t_ns - t0;
                if (at > p->timeline.v[s].t_ns)
                    p->timeline.v[s].t_ns = at;
                cur.live_bytes = d->timeline.v[k].live_bytes;
                cur.live_blocks = d->timeline.v[k].live_blocks;
                p->timeline.v[s].allocs += d->timeline.v[k].allocs;
                p->timeline.v[s].alloc_bytes += d->timeline.v[k].alloc_bytes;
                k++;
            }
            p->timeline.v[s].live_bytes += cur.live_bytes;
            p->timeline.v[s].live_blocks += cur.live_blocks;
        }
    }
}

void ms_profile_merge(struct ms_dump *dumps, size_t n, bool *use, struct ms_profile *p)
{
    select_newest(dumps, n, use);
    struct tstack *ts = NULL;
    size_t nts = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (!use[i])
            continue;
        struct ms_dump *d = &dumps[i];
        collect_stacks(p, d, &ts, &nts, &cap);
        add_nv(&p->totals.v, &p->totals.n, &p->totals.cap, d->totals.v, d->totals.n);
        add_nv(&p->engine.v, &p->engine.n, &p->engine.cap, d->engine.v, d->engine.n);
        if (!p->settings.n)
            for (size_t k = 0; k < d->settings.n; k++) {
                struct ms_kv *kv = MS_VEC_PUSH(p->settings);
                kv->name = ms_xstrdup(d->settings.v[k].name);
                kv->value = ms_xstrdup(d->settings.v[k].value);
            }
        struct ms_process *pr = MS_VEC_PUSH(p->processes);
        pr->file = ms_xstrdup(d->file);
        pr->pid = d->pid, pr->ppid = d->ppid, pr->reason = d->reason, pr->seq = d->seq;
        pr->start_ns = d->start_ns, pr->dump_ns = d->dump_ns;
        pr->exe = ms_xstrdup(d->exe ? d->exe : "");
        pr->cmdline = ms_xstrdup(d->cmdline ? d->cmdline : "");
        pr->complete = d->complete;
    }
    dedup_frames(p, ts, nts);
    dedup_stacks(p, ts, nts);
    free(ts);
    merge_timelines(p, dumps, n, use);
}

uint64_t ms_profile_total(const struct ms_profile *p, const char *name)
{
    return ms_nv_get(p->totals.v, p->totals.n, name, NULL);
}

void ms_profile_free(struct ms_profile *p)
{
    for (size_t i = 0; i < p->modules.n; i++) {
        free(p->modules.v[i].path);
        free(p->modules.v[i].build_id);
    }
    for (size_t i = 0; i < p->frames.n; i++) {
        for (uint32_t k = 0; k < p->frames.v[i].nsym; k++) {
            free(p->frames.v[i].sym[k].function);
            free(p->frames.v[i].sym[k].file);
        }
        free(p->frames.v[i].sym);
    }
    for (size_t i = 0; i < p->stacks.n; i++) {
        free(p->stacks.v[i].frames);
        free(p->stacks.v[i].lg_bins);
    }
    for (size_t i = 0; i < p->processes.n; i++) {
        free(p->processes.v[i].file);
        free(p->processes.v[i].exe);
        free(p->processes.v[i].cmdline);
    }
    ms_nv_free(p->totals.v, p->totals.n);
    ms_nv_free(p->engine.v, p->engine.n);
    ms_kv_free(p->settings.v, p->settings.n);
    free(p->modules.v);
    free(p->frames.v);
    free(p->stacks.v);
    free(p->processes.v);
    free(p->timeline.v);
    memset(p, 0, sizeof *p);
}
