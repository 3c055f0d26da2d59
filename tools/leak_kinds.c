/*
 * leak_kinds.c — valgrind's leak kinds in the report: which blocks are
 * leaks (definitely, indirectly, possibly lost) and which are still
 * reachable, as the shim's reachability scan found them (records
 * LEAK_KINDS and REACH, lib/reach.c).
 *
 * Everything the outputs say about kinds comes from here, so the text,
 * JSON, HTML, folded and pprof outputs and --fail-on-leak count the same
 * blocks.  A profile "has kinds" when at least one merged dump had a scan;
 * dumps without one (sampled mode, MAPSCOPE_REACH=off, older shims) add
 * their live blocks to no kind, and the outputs say so.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "pipeline.h"

uint64_t ms_profile_scans(const struct ms_profile *p)
{
    return ms_nv_get(p->engine.v, p->engine.n, MS_REACH_SCANS, NULL);
}

const char *const ms_kind_names[MS_KIND_N] = {"definitely_lost", "indirectly_lost", "possibly_lost",
                                              "still_reachable"};

int ms_kinds_parse(const char *s, unsigned *set)
{
    static const char *const words[MS_KIND_N] = {"definite", "indirect", "possible", "reachable"};
    unsigned out = 0;
    const char *p = s;
    if (!strcmp(s, "all")) {
        *set = (1u << MS_KIND_N) - 1;
        return 0;
    }
    while (*p) {
        size_t n = strcspn(p, ",");
        int k = 0;
        while (k < MS_KIND_N && (strlen(words[k]) != n || strncmp(words[k], p, n)))
            k++;
        if (k == MS_KIND_N)
            return -1;
        out |= 1u << k;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1;
    }
    if (!out)
        return -1;
    *set = out;
    return 0;
}

uint64_t ms_kinds_sum(const uint64_t k[MS_KF_COUNT], unsigned set, uint64_t *blocks)
{
    uint64_t bytes = 0, nb = 0;
    for (int i = 0; i < MS_KIND_N; i++)
        if (set & (1u << i)) {
            nb += k[2 * i];
            bytes += k[2 * i + 1];
        }
    if (blocks)
        *blocks = nb;
    return bytes;
}

void ms_kinds_totals(const struct ms_profile *p, uint64_t k[MS_KF_COUNT])
{
    memset(k, 0, MS_KF_COUNT * sizeof *k);
    for (size_t i = 0; i < p->stacks.n; i++)
        for (int f = 0; f < MS_KF_COUNT; f++)
            k[f] += p->stacks.v[i].k[f];
}

uint64_t ms_unsuppressed_kinds(const struct ms_profile *p, unsigned set, uint64_t *blocks)
{
    uint64_t bytes = 0, nb = 0, b;
    for (size_t i = 0; i < p->stacks.n; i++) {
        const struct ms_pstack *s = &p->stacks.v[i];
        /* A suppression covers only the kinds its match-leak-kinds names. */
        unsigned left = s->suppressed ? set & ~s->supp_kinds : set;
        if (left) {
            bytes += ms_kinds_sum(s->k, left, &b);
            nb += b;
        }
    }
    if (blocks)
        *blocks = nb;
    return bytes;
}

bool ms_stack_suppressed(const struct ms_pstack *s, int m)
{
    if (!s->suppressed || (m != MS_M_LEAKED && m != MS_M_LOST))
        return false;
    if (m == MS_M_LEAKED)
        return true;
    for (int i = MS_KIND_DEFINITE; i <= MS_KIND_POSSIBLE; i++)
        if (s->k[2 * i] && !(s->supp_kinds & (1u << i)))
            return false; /* lost blocks of a kind no suppression named */
    return true;
}

void ms_json_kinds(FILE *out, const uint64_t k[MS_KF_COUNT])
{
    for (int i = 0; i < MS_KIND_N; i++)
        fprintf(out, ",\"%s_bytes\":%" PRIu64 ",\"%s_blocks\":%" PRIu64, ms_kind_names[i],
                k[2 * i + 1], ms_kind_names[i], k[2 * i]);
}

void ms_text_kinds_summary(FILE *out, const struct ms_profile *p)
{
    uint64_t scans = ms_profile_scans(p), k[MS_KF_COUNT];
    char b[32];
    static const char *const label[MS_KIND_N] = {"definitely lost", "indirectly lost",
                                                 "possibly lost", "still reachable"};
    if (!scans) {
        fputs("   leak kinds        not known: no reachability scan in these dumps (sampled "
              "mode or MAPSCOPE_REACH=off);\n"
              "                     the leaks below are every block still allocated\n",
              out);
        return;
    }
    ms_kinds_totals(p, k);
    for (int i = 0; i < MS_KIND_N; i++)
        fprintf(out, "   %-17s %s in %" PRIu64 " blocks\n", label[i], ms_fmt_bytes(b, k[2 * i + 1]),
                k[2 * i]);
    if (scans < p->processes.n)
        fprintf(out,
                "   (kinds from %" PRIu64 " of %zu processes: the others' dumps had no "
                "reachability scan)\n",
                scans, p->processes.n);
    uint64_t stopped = ms_nv_get(p->engine.v, p->engine.n, MS_REACH_STOPPED, NULL),
             threads = ms_nv_get(p->engine.v, p->engine.n, MS_REACH_THREADS, NULL);
    if (stopped < threads)
        fprintf(out,
                "   (registers of %" PRIu64 " of %" PRIu64 " other threads unknown: ptrace was "
                "refused; their whole stacks were read instead)\n",
                threads - stopped, threads);
}

void ms_text_kinds_stack(FILE *out, const struct ms_pstack *s)
{
    static const char *const label[MS_KIND_N] = {"definitely", "indirectly", "possibly",
                                                 "still reachable"};
    char b[32];
    const char *sep = "      ";
    for (int i = 0; i < MS_KIND_N; i++)
        if (s->k[2 * i]) {
            fprintf(out, "%s%s%s %s in %" PRIu64 " %s", sep, label[i], i < 3 ? " lost" : "",
                    ms_fmt_bytes(b, s->k[2 * i + 1]), s->k[2 * i],
                    s->k[2 * i] == 1 ? "block" : "blocks");
            sep = ", ";
        }
    if (*sep == ',')
        fputc('\n', out);
}
