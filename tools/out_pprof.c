/*
 * out_pprof.c — `mapscope report --pprof FILE`: the profile in pprof's
 * format (profile.proto, gzip-compressed), for `go tool pprof`, Pyroscope
 * and the rest of pprof's ecosystem.
 *
 * Sample types follow Go's heap profiles so pprof's habits apply:
 * alloc_objects/alloc_space (everything allocated), inuse_objects/
 * inuse_space (live at the dump: leaked when the dump is the exit dump;
 * the default view), plus peak_objects/peak_space (live at the global
 * peak), lost_objects/lost_space (definitely, indirectly or possibly lost)
 * and reachable_objects/reachable_space (still reachable), the leak kinds
 * of the dump's reachability scan (0 without one).  One location per distinct frame, with its
 * inlined functions as extra lines; one mapping per module with its build-id, so pprof can fetch
 * symbols itself if ours were missing.  The message is generated from
 * tools/profile.proto by protoc-c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "pipeline.h"
#include "strtab.h"

typedef Perftools__Profiles__Profile PProfile;
typedef Perftools__Profiles__ValueType PValueType;
typedef Perftools__Profiles__Sample PSample;
typedef Perftools__Profiles__Mapping PMapping;
typedef Perftools__Profiles__Location PLocation;
typedef Perftools__Profiles__Line PLine;
typedef Perftools__Profiles__Function PFunction;

/* --------------------------------------------------------- functions -- */

/* A function is a (name, file) pair. */
struct fn {
    const char *name, *file;
};

static int cmp_fn(const void *a, const void *b)
{
    const struct fn *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->file, y->file);
}

static const char *const sample_names[][2] = {
    {"alloc_objects", "count"},   {"alloc_space", "bytes"},  {"inuse_objects", "count"},
    {"inuse_space", "bytes"},     {"peak_objects", "count"}, {"peak_space", "bytes"},
    {"lost_objects", "count"},    {"lost_space", "bytes"},   {"reachable_objects", "count"},
    {"reachable_space", "bytes"},
};
#define NVALUES (sizeof sample_names / sizeof sample_names[0])

static void sample_values(const struct ms_pstack *s, int64_t *v)
{
    v[0] = (int64_t)s->f[MS_SF_ALLOCS];
    v[1] = (int64_t)s->f[MS_SF_BYTES_ALLOCATED];
    v[2] = (int64_t)s->f[MS_SF_LIVE_BLOCKS];
    v[3] = (int64_t)s->f[MS_SF_LIVE_BYTES];
    v[4] = (int64_t)s->f[MS_SF_PEAK_BLOCKS];
    v[5] = (int64_t)s->f[MS_SF_PEAK_BYTES];
    v[7] = (int64_t)ms_metric_value(s, MS_M_LOST);
    v[6] = (int64_t)ms_metric_other(s, MS_M_LOST);
    v[9] = (int64_t)ms_metric_value(s, MS_M_REACHABLE);
    v[8] = (int64_t)ms_metric_other(s, MS_M_REACHABLE);
}

static char *hex_id(const struct ms_pmodule *m)
{
    char *h = ms_xmalloc((size_t)m->build_id_len * 2 + 1);
    for (uint32_t i = 0; i < m->build_id_len; i++)
        sprintf(h + 2 * i, "%02x", m->build_id[i]);
    h[2 * m->build_id_len] = 0;
    return h;
}

/* Everything the protobuf message points to, freed at the end. */
struct build {
    struct ms_strtab st;
    struct fn *fns;
    size_t nfns;
    char **build_ids;
    char *comment;
    PValueType *vt, period_type;
    PSample *samples, **sample_ptrs;
    int64_t *values;
    uint64_t *locids;
    PMapping *maps, **map_ptrs;
    PLocation *locs, **loc_ptrs;
    PLine *lines, **line_ptrs;
    PFunction *funcs, **func_ptrs;
    PValueType **vt_ptrs;
    int64_t comment_idx;
};

static uint64_t fn_id(const struct build *b, const struct ms_sym *s)
{
    struct fn key = {s->function ? s->function : "", s->file ? s->file : ""};
    const struct fn *hit = ms_search(&key, b->fns, b->nfns, sizeof key, cmp_fn);
    return hit ? (uint64_t)(hit - b->fns) + 1 : 0;
}

static void collect_strings(struct build *b, const struct ms_profile *p)
{
    for (size_t i = 0; i < NVALUES; i++) {
        ms_strtab_add(&b->st, sample_names[i][0]);
        ms_strtab_add(&b->st, sample_names[i][1]);
    }
    ms_strtab_add(&b->st, "space");
    b->build_ids = ms_xcalloc(p->modules.n, sizeof *b->build_ids);
    for (size_t i = 0; i < p->modules.n; i++) {
        b->build_ids[i] = hex_id(&p->modules.v[i]);
        ms_strtab_add(&b->st, p->modules.v[i].path);
        ms_strtab_add(&b->st, b->build_ids[i]);
    }
    size_t nsyms = 0;
    for (size_t i = 0; i < p->frames.n; i++)
        nsyms += p->frames.v[i].nsym;
    b->fns = ms_xcalloc(nsyms, sizeof *b->fns);
    for (size_t i = 0; i < p->frames.n; i++)
        for (uint32_t k = 0; k < p->frames.v[i].nsym; k++) {
            const struct ms_sym *s = &p->frames.v[i].sym[k];
            b->fns[b->nfns].name = s->function ? s->function : "";
            b->fns[b->nfns].file = s->file ? s->file : "";
            ms_strtab_add(&b->st, s->function);
            ms_strtab_add(&b->st, s->file);
            b->nfns++;
        }
    ms_sort(b->fns, b->nfns, sizeof *b->fns, cmp_fn);
    size_t u = 0;
    for (size_t i = 0; i < b->nfns; i++)
        if (!u || cmp_fn(&b->fns[u - 1], &b->fns[i]))
            b->fns[u++] = b->fns[i];
    b->nfns = u;
    if (p->processes.n) {
        const struct ms_process *pr = &p->processes.v[0];
        b->comment =
            ms_xasprintf("mapscope: %s (pid %" PRIu32 ")%s", *pr->cmdline ? pr->cmdline : pr->exe,
                         pr->pid, p->processes.n > 1 ? " and other processes" : "");
        ms_strtab_add(&b->st, b->comment);
    }
    ms_strtab_finish(&b->st);
}

static void fill(struct build *b, const struct ms_profile *p, PProfile *pp)
{
    /* sample types */
    b->vt = ms_xcalloc(NVALUES, sizeof *b->vt);
    b->vt_ptrs = ms_xcalloc(NVALUES, sizeof *b->vt_ptrs);
    for (size_t i = 0; i < NVALUES; i++) {
        perftools__profiles__value_type__init(&b->vt[i]);
        b->vt[i].type = ms_strtab_index(&b->st, sample_names[i][0]);
        b->vt[i].unit = ms_strtab_index(&b->st, sample_names[i][1]);
        b->vt_ptrs[i] = &b->vt[i];
    }
    pp->n_sample_type = NVALUES;
    pp->sample_type = b->vt_ptrs;
    perftools__profiles__value_type__init(&b->period_type);
    b->period_type.type = ms_strtab_index(&b->st, "space");
    b->period_type.unit = ms_strtab_index(&b->st, "bytes");
    pp->period_type = &b->period_type;
    pp->default_sample_type = ms_strtab_index(&b->st, "inuse_space");
    for (size_t i = 0; i < p->settings.n; i++)
        if (!strcmp(p->settings.v[i].name, "sample_bytes"))
            pp->period = strtoll(p->settings.v[i].value, NULL, 10);

    /* mappings */
    b->maps = ms_xcalloc(p->modules.n, sizeof *b->maps);
    b->map_ptrs = ms_xcalloc(p->modules.n, sizeof *b->map_ptrs);
    for (size_t i = 0; i < p->modules.n; i++) {
        const struct ms_pmodule *m = &p->modules.v[i];
        PMapping *x = &b->maps[i];
        perftools__profiles__mapping__init(x);
        x->id = i + 1;
        x->memory_start = m->start;
        x->memory_limit = m->end;
        x->file_offset = m->start - m->bias;
        x->filename = ms_strtab_index(&b->st, m->path);
        x->build_id = ms_strtab_index(&b->st, b->build_ids[i]);
        x->has_functions = m->symbolized;
        x->has_filenames = x->has_line_numbers = m->has_lines;
        x->has_inline_frames = m->has_inlines;
        b->map_ptrs[i] = x;
    }
    pp->n_mapping = p->modules.n;
    pp->mapping = b->map_ptrs;

    /* functions */
    b->funcs = ms_xcalloc(b->nfns, sizeof *b->funcs);
    b->func_ptrs = ms_xcalloc(b->nfns, sizeof *b->func_ptrs);
    for (size_t i = 0; i < b->nfns; i++) {
        perftools__profiles__function__init(&b->funcs[i]);
        b->funcs[i].id = i + 1;
        b->funcs[i].name = b->funcs[i].system_name = ms_strtab_index(&b->st, b->fns[i].name);
        b->funcs[i].filename = ms_strtab_index(&b->st, b->fns[i].file);
        b->func_ptrs[i] = &b->funcs[i];
    }
    pp->n_function = b->nfns;
    pp->function = b->func_ptrs;

    /* locations: one per distinct frame, id = frame index + 1 */
    size_t nlines = 0;
    for (size_t i = 0; i < p->frames.n; i++)
        nlines += p->frames.v[i].nsym;
    b->locs = ms_xcalloc(p->frames.n, sizeof *b->locs);
    b->loc_ptrs = ms_xcalloc(p->frames.n, sizeof *b->loc_ptrs);
    b->lines = ms_xcalloc(nlines, sizeof *b->lines);
    b->line_ptrs = ms_xcalloc(nlines, sizeof *b->line_ptrs);
    size_t li = 0;
    for (size_t i = 0; i < p->frames.n; i++) {
        const struct ms_frame *f = &p->frames.v[i];
        PLocation *l = &b->locs[i];
        perftools__profiles__location__init(l);
        l->id = i + 1;
        if (f->module >= 0) {
            l->mapping_id = (uint64_t)f->module + 1;
            l->address = p->modules.v[f->module].bias + f->offset;
        } else {
            l->address = f->address;
        }
        l->line = &b->line_ptrs[li];
        l->n_line = f->nsym;
        for (uint32_t k = 0; k < f->nsym; k++, li++) {
            perftools__profiles__line__init(&b->lines[li]);
            b->lines[li].function_id = fn_id(b, &f->sym[k]);
            b->lines[li].line = f->sym[k].line;
            b->line_ptrs[li] = &b->lines[li];
        }
        b->loc_ptrs[i] = l;
    }
    pp->n_location = p->frames.n;
    pp->location = b->loc_ptrs;

    /* samples: one per stack, locations leaf first (our frame order) */
    size_t nlocids = 0;
    for (size_t i = 0; i < p->stacks.n; i++)
        nlocids += p->stacks.v[i].nframes;
    b->samples = ms_xcalloc(p->stacks.n, sizeof *b->samples);
    b->sample_ptrs = ms_xcalloc(p->stacks.n, sizeof *b->sample_ptrs);
    b->values = ms_xcalloc(p->stacks.n * NVALUES, sizeof *b->values);
    b->locids = ms_xcalloc(nlocids, sizeof *b->locids);
    size_t ns = 0, lk = 0;
    for (size_t i = 0; i < p->stacks.n; i++) {
        const struct ms_pstack *s = &p->stacks.v[i];
        PSample *x = &b->samples[ns];
        perftools__profiles__sample__init(x);
        x->value = &b->values[ns * NVALUES];
        x->n_value = NVALUES;
        sample_values(s, x->value);
        x->location_id = &b->locids[lk];
        x->n_location_id = s->nframes;
        for (uint32_t k = 0; k < s->nframes; k++)
            b->locids[lk++] = (uint64_t)s->frames[k] + 1;
        b->sample_ptrs[ns++] = x;
    }
    pp->n_sample = ns;
    pp->sample = b->sample_ptrs;

    pp->n_string_table = b->st.n;
    pp->string_table = (char **)b->st.v;
    if (b->comment) {
        b->comment_idx = ms_strtab_index(&b->st, b->comment);
        pp->n_comment = 1;
        pp->comment = &b->comment_idx;
    }
    if (p->processes.n) {
        pp->time_nanos = (int64_t)p->processes.v[0].start_ns;
        if (p->processes.v[0].dump_ns > p->processes.v[0].start_ns)
            pp->duration_nanos = (int64_t)(p->processes.v[0].dump_ns - p->processes.v[0].start_ns);
    }
}

static void free_build(struct build *b, size_t nmodules)
{
    for (size_t i = 0; i < nmodules; i++)
        free(b->build_ids[i]);
    free(b->build_ids);
    ms_strtab_free(&b->st);
    free(b->fns);
    free(b->comment);
    free(b->vt);
    free(b->vt_ptrs);
    free(b->samples);
    free(b->sample_ptrs);
    free(b->values);
    free(b->locids);
    free(b->maps);
    free(b->map_ptrs);
    free(b->locs);
    free(b->loc_ptrs);
    free(b->lines);
    free(b->line_ptrs);
    free(b->funcs);
    free(b->func_ptrs);
}

int ms_out_pprof(const char *path, const struct ms_profile *p)
{
    struct build b = {0};
    PProfile pp;
    perftools__profiles__profile__init(&pp);
    collect_strings(&b, p);
    fill(&b, p, &pp);
    size_t len = perftools__profiles__profile__get_packed_size(&pp);
    uint8_t *buf = ms_xmalloc(len);
    perftools__profiles__profile__pack(&pp, buf);
    free_build(&b, p->modules.n);

    int rc = 0;
    gzFile gz = gzopen(path, "wb9");
    if (!gz) {
        fprintf(stderr, "mapscope report: cannot write %s: %s\n", path,
                errno ? strerror(errno) : "gzopen failed");
        rc = -1;
    } else {
        size_t off = 0;
        while (off < len && rc == 0) {
            unsigned chunk = len - off > (1u << 30) ? 1u << 30 : (unsigned)(len - off);
            int w = gzwrite(gz, buf + off, chunk);
            if (w <= 0)
                rc = -1;
            off += (size_t)(w > 0 ? w : 0);
        }
        if (gzclose(gz) != Z_OK)
            rc = -1;
        if (rc)
            fprintf(stderr, "mapscope report: writing %s failed\n", path);
    }
    free(buf);
    return rc;
}
