/*
 * msdump.c — the shim tests' view of a dump, printed by the report's reader.
 *
 * The dump is read by the report's own reader (tools/dump_read.c) and its
 * stacks named by the report's symbolizer (tools/symbolize.c), both from
 * tools/libmsreport.la: this file only prints, one line per item in a
 * key=value form that grep and awk can check:
 *
 *   msdump FILE            process, settings, modules, stack counters,
 *                          lingering groups, timeline, totals, engine
 *   msdump --stacks FILE   one line per stack: its counters, then its
 *                          frames by function (innermost first, `;`)
 *   msdump --totals FILE   name=value for every total and engine figure
 *
 * Exit status: 0 for a complete, intact file; 1 otherwise (what was intact
 * is printed all the same, and the reader's message goes to stderr).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "profile.h"

static const char *const field[MS_SF_COUNT] = {
    "allocs",     "bytes_allocated", "frees",       "bytes_freed", "live_blocks",
    "live_bytes", "failed",          "peak_blocks", "peak_bytes",  "temporary"};

static void print_fields(const uint64_t *f)
{
    for (int i = 0; i < MS_SF_COUNT; i++)
        printf(" %s=%llu", field[i], (unsigned long long)f[i]);
}

/* Leak kinds (records LEAK_KINDS), in the order of enum ms_kind_field. */
static void print_kinds(const uint64_t *k)
{
    static const char *const kf[MS_KF_COUNT] = {
        "definite_blocks", "definite_bytes", "indirect_blocks",  "indirect_bytes",
        "possible_blocks", "possible_bytes", "reachable_blocks", "reachable_bytes"};
    for (int i = 0; i < MS_KF_COUNT; i++)
        printf(" %s=%llu", kf[i], (unsigned long long)k[i]);
}

static void print_nv(const char *prefix, const struct ms_nv *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%s=%llu\n", prefix, v[i].name, (unsigned long long)v[i].value);
}

static void print_all(const struct ms_dump *d)
{
    if (d->have_process)
        printf("process pid=%u ppid=%u start_ns=%llu dump_ns=%llu reason=%u seq=%u exe=%s "
               "cmdline=%s\n",
               d->pid, d->ppid, (unsigned long long)d->start_ns, (unsigned long long)d->dump_ns,
               d->reason, d->seq, d->exe ? d->exe : "", d->cmdline ? d->cmdline : "");
    for (size_t i = 0; i < d->settings.n; i++)
        printf("setting %s=%s\n", d->settings.v[i].name, d->settings.v[i].value);
    for (size_t i = 0; i < d->modules.n; i++) {
        const struct ms_module *m = &d->modules.v[i];
        printf("module bias=0x%llx start=0x%llx end=0x%llx build_id_len=%u path=%s\n",
               (unsigned long long)m->bias, (unsigned long long)m->start,
               (unsigned long long)m->end, m->build_id_len, m->path);
    }
    for (size_t i = 0; i < d->stacks.n; i++)
        printf("stack id=%u nframes=%u\n", d->stacks.v[i].id, d->stacks.v[i].nframes);
    for (size_t i = 0; i < d->stats.n; i++) {
        printf("stats id=%u", d->stats.v[i].stack_id);
        print_fields(d->stats.v[i].f);
        printf("\n");
    }
    for (size_t i = 0; i < d->lingers.n; i++) {
        const struct ms_linger *l = &d->lingers.v[i];
        printf("linger stack=%u blocks=%llu bytes=%llu oldest_ns=%llu bins=", l->stack_id,
               (unsigned long long)l->blocks, (unsigned long long)l->bytes,
               (unsigned long long)l->oldest_age_ns);
        for (uint32_t b = 0; b < l->nbins; b++)
            printf("%s%llu:%llu:%llu", b ? "," : "", (unsigned long long)l->bins[b].min_age_ns,
                   (unsigned long long)l->bins[b].blocks, (unsigned long long)l->bins[b].bytes);
        printf("\n");
    }
    for (size_t i = 0; i < d->kinds.n; i++) {
        printf("kinds stack=%u", d->kinds.v[i].stack_id);
        print_kinds(d->kinds.v[i].k);
        printf("\n");
    }
    for (size_t i = 0; i < d->timeline.n; i++) {
        const struct ms_tl_point *t = &d->timeline.v[i];
        printf("timeline interval_ns=%llu t_ns=%llu live_bytes=%llu live_blocks=%llu allocs=%llu "
               "bytes=%llu\n",
               (unsigned long long)d->timeline_interval_ns, (unsigned long long)t->t_ns,
               (unsigned long long)t->live_bytes, (unsigned long long)t->live_blocks,
               (unsigned long long)t->allocs, (unsigned long long)t->alloc_bytes);
    }
    print_nv("total ", d->totals.v, d->totals.n);
    print_nv("engine ", d->engine.v, d->engine.n);
    printf("end records=%u\n", d->records);
}

/* Each stack of the dump with its counters and its frames' functions (the
 * real function of each frame, not the inlined callees the report also
 * shows). */
static void print_stacks(struct ms_dump *d)
{
    struct ms_profile p;
    bool use = true;
    memset(&p, 0, sizeof p);
    ms_profile_merge(d, 1, &use, &p);
    struct ms_symbolize_opts so = {.quiet = true};
    ms_symbolize(&p, &so);
    char buf[512];
    for (size_t i = 0; i < p.stacks.n; i++) {
        const struct ms_pstack *s = &p.stacks.v[i];
        printf("stack=%zu", i);
        print_fields(s->f);
        print_kinds(s->k);
        printf(" frames=");
        for (uint32_t k = 0; k < s->nframes; k++) {
            const struct ms_frame *fr = &p.frames.v[s->frames[k]];
            printf("%s%s", k ? ";" : "",
                   ms_frame_label(&p, fr, fr->nsym ? fr->nsym - 1 : 0, buf, sizeof buf));
        }
        printf("\n");
    }
    ms_profile_free(&p);
}

int main(int argc, char **argv)
{
    const char *mode = argc == 3 ? argv[1] : "";
    if ((argc != 2 && argc != 3) ||
        (argc == 3 && strcmp(mode, "--stacks") != 0 && strcmp(mode, "--totals") != 0)) {
        fprintf(stderr, "usage: msdump [--stacks|--totals] FILE\n");
        return 1;
    }
    struct ms_dump d;
    memset(&d, 0, sizeof d);
    int rc = ms_dump_read(argv[argc - 1], &d);
    if (rc < 0) {
        fprintf(stderr, "msdump: %s\n", d.error ? d.error : "cannot read");
        ms_dump_free(&d);
        return 1;
    }
    if (!strcmp(mode, "--stacks")) {
        print_stacks(&d);
    } else if (!strcmp(mode, "--totals")) {
        print_nv("", d.totals.v, d.totals.n);
        print_nv("", d.engine.v, d.engine.n);
    } else {
        print_all(&d);
    }
    if (rc != 0 || !d.complete)
        fprintf(stderr, "msdump: %s\n", d.error ? d.error : "incomplete dump");
    int status = rc == 0 && d.complete ? 0 : 1;
    ms_dump_free(&d);
    return status;
}
