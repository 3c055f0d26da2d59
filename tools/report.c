/*
 * report.c — `mapscope report`: options, reading the inputs, and the one
 * straight path read -> merge -> symbolize -> suppress -> write.
 *
 * Inputs are dumps and gomaps findings files, told apart by content (a dump
 * starts with "MAPSCOPE", a findings file with a JSON object), so a shell
 * glob of both just works.  Damaged input never stops the report: every
 * problem is printed (file and offset), results come from what was intact,
 * and the exit status says MS_EXIT_PARTIAL so scripts notice.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "pipeline.h"

static const char usage_text[] =
    "usage: mapscope report [options] DUMP|FINDINGS...\n"
    "       mapscope report --diff [options] OLD NEW\n"
    "\n"
    "Turn dumps written by libmapscope.so (several: merged, newest dump per process)\n"
    "and `mapscope gomaps --json` findings into a report.  Default: text on stdout.\n"
    "\n"
    "output (one of; default text):\n"
    "  --json                 the report as JSON (schema in mapscope-report(1))\n"
    "  --folded[=METRIC]      folded stacks for flame graphs; METRIC: lost (default when\n"
    "                         the dumps have leak kinds), leaked (every block still\n"
    "                         allocated; the default otherwise), reachable, peak,\n"
    "                         allocated, allocations, temporary, lingering\n"
    "  --pprof FILE           gzipped profile.proto for `go tool pprof`, Pyroscope\n"
    "  --html FILE            one self-contained HTML page: flame graphs, heap chart, leaks\n"
    "  --lingering[=DUR]      only blocks alive longer than the threshold (or DUR: 1h, 30m)\n"
    "  -o, --output FILE      write text/JSON/folded output to FILE instead of stdout\n"
    "\n"
    "what to show:\n"
    "  --top N                stacks per section (default 10; 0 = all)\n"
    "  --frames N             frames per stack (default 16; 0 = all)\n"
    "  --diff                 compare two dumps (OLD NEW): live-byte growth by stack\n"
    "\n"
    "CI gate:\n"
    "  --fail-on-leak BYTES   exit 3 when unsuppressed leaked bytes exceed BYTES (0 = any)\n"
    "  --fail-leak-kinds SET  which kinds --fail-on-leak counts (default definite,indirect;\n"
    "                         add possible, reachable, or say all); dumps without leak\n"
    "                         kinds count every block still allocated\n"
    "  --suppressions FILE    leaks to ignore (LSan 'leak:PATTERN' or valgrind {...} style);\n"
    "                         may be repeated; its alloc-fn:NAME lines name wrappers\n"
    "\n"
    "allocation wrappers (valgrind's --alloc-fn):\n"
    "  --alloc-fn NAME        a function that wraps malloc (name or glob): stacks start\n"
    "                         at its caller; repeatable.  Common libraries' wrappers\n"
    "                         (zmalloc, ngx_alloc, g_malloc, PyObject_Malloc, xmalloc,\n"
    "                         operator new, ...) are skipped by default\n"
    "  --no-default-alloc-fns keep the common libraries' wrappers in stacks\n"
    "\n"
    "symbols:\n"
    "  --debug-dir DIR        also look for DIR/.build-id/xx/yyyy.debug (repeatable)\n"
    "  -q, --quiet            no warnings about missing binaries or damaged input\n"
    "\n"
    "exit status: 0 ok, 1 failure, 2 usage, 3 leaks over --fail-on-leak,\n"
    "4 some input damaged (the report covers the intact part).\n"
    "\n"
    "examples:\n"
    "  mapscope report mapscope.dump.4242\n"
    "  mapscope report --html leaks.html --pprof heap.pb.gz svc.dump.*\n"
    "  mapscope report --diff svc.dump.4242.1 svc.dump.4242.7\n"
    "  mapscope report --fail-on-leak 0 --suppressions known.supp t.dump.*\n";

enum {
    OPT_JSON = 256,
    OPT_FOLDED,
    OPT_PPROF,
    OPT_HTML,
    OPT_TOP,
    OPT_FRAMES,
    OPT_DIFF,
    OPT_FAIL,
    OPT_SUPP,
    OPT_LINGER,
    OPT_DEBUGDIR,
    OPT_ALLOCFN,
    OPT_NO_DEFAULT_ALLOCFN,
    OPT_FAIL_KINDS,
    OPT_HELP
};

static const struct option long_opts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"folded", optional_argument, NULL, OPT_FOLDED},
    {"pprof", required_argument, NULL, OPT_PPROF},
    {"html", required_argument, NULL, OPT_HTML},
    {"output", required_argument, NULL, 'o'},
    {"top", required_argument, NULL, OPT_TOP},
    {"frames", required_argument, NULL, OPT_FRAMES},
    {"diff", no_argument, NULL, OPT_DIFF},
    {"fail-on-leak", required_argument, NULL, OPT_FAIL},
    {"fail-leak-kinds", required_argument, NULL, OPT_FAIL_KINDS},
    {"suppressions", required_argument, NULL, OPT_SUPP},
    {"lingering", optional_argument, NULL, OPT_LINGER},
    {"debug-dir", required_argument, NULL, OPT_DEBUGDIR},
    {"alloc-fn", required_argument, NULL, OPT_ALLOCFN},
    {"no-default-alloc-fns", no_argument, NULL, OPT_NO_DEFAULT_ALLOCFN},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct args {
    bool json, folded, diff, quiet, fail_set;
    enum ms_metric folded_metric;
    const char *pprof, *html, *output;
    uint64_t fail_limit;
    unsigned fail_kinds; /* bits 1 << MS_KIND_* */
    MS_VEC(const char *) supp_files;
    MS_VEC(const char *) debug_dirs;
    struct ms_report_opts ro;
    struct ms_supps supps;
    struct ms_alloc_fns alloc_fns;
    bool no_default_alloc_fns;
};

static int usage_error(const char *fmt, const char *what)
{
    fputs("mapscope report: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\n(see 'mapscope report --help')\n", stderr);
    return MS_EXIT_USAGE;
}

static int parse_count(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    a->ro.top = 10;
    a->fail_kinds = MS_KINDS_FAIL_DEFAULT;
    a->ro.frames = 16;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:q", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_FOLDED: {
            a->folded = true;
            a->folded_metric = MS_M_COUNT; /* lost or leaked, once the dumps are read */
            if (!optarg)
                break;
            int m = 0;
            while (m < MS_M_COUNT && strcmp(ms_metric_names[m], optarg))
                m++;
            if (m == MS_M_COUNT)
                return usage_error("--folded=%s: unknown metric (accepted: lost, leaked, "
                                   "reachable, peak, allocated, allocations, temporary, "
                                   "lingering)",
                                   optarg);
            a->folded_metric = (enum ms_metric)m;
            break;
        }
        case OPT_PPROF:
            a->pprof = optarg;
            break;
        case OPT_HTML:
            a->html = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case OPT_TOP:
            if (parse_count(optarg, &a->ro.top))
                return usage_error("--top %s: expected a number of stacks (0 = all)", optarg);
            a->ro.top_given = true;
            break;
        case OPT_FRAMES:
            if (parse_count(optarg, &a->ro.frames))
                return usage_error("--frames %s: expected a number of frames (0 = all)", optarg);
            break;
        case OPT_DIFF:
            a->diff = true;
            break;
        case OPT_FAIL:
            if (ms_parse_bytes(optarg, false, &a->fail_limit))
                return usage_error("--fail-on-leak %s: expected bytes, N[K|M|G] (e.g. 0, 4K)",
                                   optarg);
            a->fail_set = true;
            break;
        case OPT_FAIL_KINDS:
            if (ms_kinds_parse(optarg, &a->fail_kinds))
                return usage_error("--fail-leak-kinds %s: expected kinds separated by commas "
                                   "(definite, indirect, possible, reachable) or all",
                                   optarg);
            break;
        case OPT_SUPP:
            *MS_VEC_PUSH(a->supp_files) = optarg;
            break;
        case OPT_ALLOCFN:
            if (!*optarg)
                return usage_error("--alloc-fn %s: expected a function name or a glob (e.g. "
                                   "zmalloc, 'my_alloc*')",
                                   "''");
            ms_alloc_fns_add(&a->alloc_fns, optarg);
            break;
        case OPT_NO_DEFAULT_ALLOCFN:
            a->no_default_alloc_fns = true;
            break;
        case OPT_DEBUGDIR:
            *MS_VEC_PUSH(a->debug_dirs) = optarg;
            break;
        case OPT_LINGER:
            a->ro.lingering_only = true;
            if (optarg && ms_parse_duration(optarg, false, &a->ro.linger_asked_ns))
                return usage_error("--lingering=%s: expected a duration, N[s|m|h|d] (e.g. 1h)",
                                   optarg);
            break;
        case 'q':
            a->quiet = true;
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return -1;
        default:
            return MS_EXIT_USAGE;
        }
    }
    if ((a->json && a->folded))
        return usage_error("%s: --json and --folded both write to the output; pick one", "options");
    return 0;
}

/* ----------------------------------------------------------------- inputs -- */

enum kind { K_DUMP, K_FINDINGS, K_UNREADABLE };

/* What a file is, from its first bytes. */
static enum kind classify(const char *path, char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *why = ms_xasprintf("%s: cannot open: %s", path, strerror(errno));
        return K_UNREADABLE;
    }
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n >= MS_DUMP_MAGIC_LEN && !memcmp(buf, MS_DUMP_MAGIC, MS_DUMP_MAGIC_LEN))
        return K_DUMP;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '{')
            return K_FINDINGS;
        if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' && buf[i] != '\r')
            break;
    }
    /* Neither: let the dump reader say exactly what is wrong with it. */
    return K_DUMP;
}

struct inputs {
    struct ms_dump *dumps;
    size_t ndumps;
    struct ms_findings findings;
    MS_VEC(char *) problems;
    bool partial, failed;
};

static void problem(struct inputs *in, bool quiet, char *msg)
{
    if (!quiet)
        fprintf(stderr, "mapscope report: %s\n", msg);
    *MS_VEC_PUSH(in->problems) = msg;
}

static void read_inputs(char **files, size_t n, bool quiet, struct inputs *in)
{
    in->dumps = ms_xcalloc(n, sizeof *in->dumps);
    for (size_t i = 0; i < n; i++) {
        char *why = NULL;
        enum kind k = classify(files[i], &why);
        if (k == K_UNREADABLE) {
            problem(in, quiet, why);
            in->failed = true;
        } else if (k == K_FINDINGS) {
            int rc = ms_findings_read(files[i], &in->findings);
            if (rc)
                in->partial = true;
            if (rc < 0)
                in->failed = true;
        } else {
            struct ms_dump *d = &in->dumps[in->ndumps];
            int rc = ms_dump_read(files[i], d);
            if (rc < 0) {
                problem(in, quiet, ms_xstrdup(d->error));
                in->failed = true;
                ms_dump_free(d);
                continue;
            }
            if (rc > 0) {
                problem(in, quiet,
                        ms_xasprintf("%s (%" PRIu32 " intact records used)", d->error, d->records));
                in->partial = true;
            }
            in->ndumps++;
        }
    }
}

static void free_inputs(struct inputs *in)
{
    for (size_t i = 0; i < in->ndumps; i++)
        ms_dump_free(&in->dumps[i]);
    free(in->dumps);
    ms_findings_free(&in->findings);
    for (size_t i = 0; i < in->problems.n; i++)
        free(in->problems.v[i]);
    free(in->problems.v);
}

static void build_profile(struct ms_dump *dumps, size_t n, struct args *a, struct ms_profile *p)
{
    struct ms_build_opts bo = {
        .sym = {.debug_dirs = a->debug_dirs.v, .ndebug_dirs = a->debug_dirs.n, .quiet = a->quiet},
        .supps = &a->supps,
        .alloc_fns = &a->alloc_fns,
    };
    ms_profile_build(dumps, n, &bo, p);
}

/* ------------------------------------------------------------------ main -- */

static FILE *open_output(const char *path)
{
    if (!path)
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "mapscope report: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_output(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f);
    else
        bad |= fflush(f);
    if (bad) {
        fprintf(stderr, "mapscope report: writing %s failed\n", path ? path : "stdout");
        return -1;
    }
    return 0;
}

static int run_diff(struct inputs *in, struct args *a)
{
    if (in->ndumps != 2) {
        fprintf(stderr,
                "mapscope report: --diff needs exactly two readable dumps, OLD NEW "
                "(got %zu)\n",
                in->ndumps);
        return MS_EXIT_USAGE;
    }
    struct ms_profile old = {0}, cur = {0};
    build_profile(&in->dumps[0], 1, a, &old);
    build_profile(&in->dumps[1], 1, a, &cur);
    FILE *out = open_output(a->output);
    int rc = MS_EXIT_FAILURE;
    if (out) {
        if (a->json)
            ms_diff_json(out, &old, &cur, &a->ro);
        else
            ms_diff_text(out, &old, &cur, &a->ro);
        rc = close_output(out, a->output) ? MS_EXIT_FAILURE : MS_EXIT_OK;
    }
    ms_profile_free(&old);
    ms_profile_free(&cur);
    return rc;
}

static int write_outputs(struct ms_profile *p, struct inputs *in, struct args *a)
{
    int rc = MS_EXIT_OK;
    if (a->pprof && ms_out_pprof(a->pprof, p))
        rc = MS_EXIT_FAILURE;
    if (a->html && ms_out_html(a->html, p, &a->ro, &in->findings))
        rc = MS_EXIT_FAILURE;
    bool text = !a->json && !a->folded && ((!a->pprof && !a->html) || a->output);
    if (!a->json && !a->folded && !text)
        return rc;
    FILE *out = open_output(a->output);
    if (!out)
        return MS_EXIT_FAILURE;
    if (a->json)
        ms_out_json(out, p, &a->ro, &in->findings);
    else if (a->folded)
        ms_out_folded(out, p,
                      a->folded_metric != MS_M_COUNT ? a->folded_metric
                      : ms_profile_scans(p)          ? MS_M_LOST
                                                     : MS_M_LEAKED);
    else
        ms_out_text(out, p, &a->ro, &in->findings, &a->supps);
    if (close_output(out, a->output))
        rc = MS_EXIT_FAILURE;
    return rc;
}

/* --fail-on-leak: the kinds asked for when the dumps have them (LSan's
 * view by default: definitely and indirectly lost), else every block still
 * allocated. */
static int fail_gate(const struct ms_profile *p, const struct args *a)
{
    uint64_t blocks, bytes;
    bool kinds = ms_profile_scans(p) > 0;
    char b1[32], b2[32], what[96] = "";
    if (kinds) {
        bytes = ms_unsuppressed_kinds(p, a->fail_kinds, &blocks);
        for (int k = 0; k < MS_KIND_N; k++)
            if (a->fail_kinds & (1u << k))
                snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", *what ? "+" : "",
                         ms_kind_names[k]);
    } else {
        bytes = ms_unsuppressed_leak(p, &blocks);
    }
    if (bytes <= a->fail_limit)
        return MS_EXIT_OK;
    fprintf(stderr,
            "mapscope report: %s leaked in %" PRIu64 " blocks (%s%snot suppressed), "
            "over the --fail-on-leak limit of %s\n",
            ms_fmt_bytes(b1, bytes), blocks, what, *what ? ", " : "",
            ms_fmt_bytes(b2, a->fail_limit));
    return MS_EXIT_LEAKS;
}

int ms_cmd_report(int argc, char **argv)
{
    struct args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        ms_alloc_fns_free(&a.alloc_fns);
        free(a.supp_files.v);
        free(a.debug_dirs.v);
        return rc < 0 ? MS_EXIT_OK : rc;
    }
    if (optind >= argc) {
        ms_alloc_fns_free(&a.alloc_fns);
        free(a.supp_files.v);
        free(a.debug_dirs.v);
        return usage_error("%s: no input given (dump files written by libmapscope.so, or "
                           "gomaps findings)",
                           "report");
    }
    for (size_t i = 0; i < a.supp_files.n; i++) {
        if (ms_supp_load(a.supp_files.v[i], &a.supps)) {
            ms_supp_free(&a.supps);
            ms_alloc_fns_free(&a.alloc_fns);
            free(a.supp_files.v);
            free(a.debug_dirs.v);
            return MS_EXIT_USAGE;
        }
        ms_alloc_fns_load(a.supp_files.v[i], &a.alloc_fns);
    }
    if (!a.no_default_alloc_fns)
        ms_alloc_fns_defaults(&a.alloc_fns);

    struct inputs in = {0};
    size_t nfiles;
    char **files = ms_inputs_expand(argv + optind, (size_t)(argc - optind), &nfiles);
    read_inputs(files, nfiles, a.quiet, &in);
    ms_inputs_free(files, nfiles);
    a.ro.problems = (const char *const *)in.problems.v;
    a.ro.nproblems = in.problems.n;

    if (!in.ndumps && !in.findings.n && !in.findings.summaries.n) {
        fprintf(stderr, "mapscope report: no usable input\n");
        rc = MS_EXIT_FAILURE;
    } else if (a.diff) {
        rc = run_diff(&in, &a);
    } else {
        struct ms_profile p = {0};
        build_profile(in.dumps, in.ndumps, &a, &p);
        a.ro.linger_min_ns = ms_linger_filter(&p, a.ro.linger_asked_ns);
        if (a.ro.linger_asked_ns && a.ro.linger_asked_ns < a.ro.linger_min_ns && !a.quiet) {
            char b1[32], b2[32];
            fprintf(stderr,
                    "mapscope report: --lingering=%s is finer than the dumps recorded: "
                    "blocks are noted from %s on (the run's --linger); showing %s\n",
                    ms_fmt_duration(b1, a.ro.linger_asked_ns),
                    ms_fmt_duration(b2, a.ro.linger_min_ns), b2);
        }
        rc = write_outputs(&p, &in, &a);
        if (a.fail_set && rc == MS_EXIT_OK)
            rc = fail_gate(&p, &a);
        ms_profile_free(&p);
    }
    if (rc == MS_EXIT_OK && (in.partial || in.failed))
        rc = MS_EXIT_PARTIAL;
    free_inputs(&in);
    ms_supp_free(&a.supps);
    ms_alloc_fns_free(&a.alloc_fns);
    free(a.supp_files.v);
    free(a.debug_dirs.v);
    return rc;
}
