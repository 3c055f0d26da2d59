/*
 * run.c — `mapscope run [options] -- program args...`: run a program under
 * libmapscope.so and say, at the end, where the dump is and what it shows.
 *
 * The program must not notice: its stdin/stdout/stderr, environment (plus
 * LD_PRELOAD and MAPSCOPE_*), process group and exit status are its own.
 * Every catchable termination and reload signal sent to mapscope (INT,
 * TERM, QUIT, HUP, USR1, USR2, ALRM) is passed on to it, so a service
 * manager or a script can stop (QUIT: nginx's graceful stop) or reload it
 * through mapscope (forward_signals).  When it dies of a signal, mapscope
 * dies of the same signal, so callers see the same status.  Everything
 * mapscope says goes to stderr, including, for each process of the tree
 * that left no dump, which one and why (run_notes.c).
 *
 * LD_PRELOAD cannot work for statically linked programs (no dynamic loader)
 * or setuid/setgid ones (the loader ignores it), so those are refused up
 * front with the reason instead of producing no dump.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "notes_format.h"
#include "commands.h"
#include "pipeline.h"
#include "run_notes.h"

static const char usage_text[] =
    "usage: mapscope run [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Run PROGRAM under libmapscope.so (LD_PRELOAD).  At exit the dump is written to\n"
    "PATH.<pid> and a summary is printed on stderr; `mapscope report` reads the dump.\n"
    "\n"
    "  -o, --output PATH        dump path prefix (default mapscope.dump in the current\n"
    "                           directory; snapshots are PATH.<pid>.<seq>)\n"
    "  -i, --interval DUR       also write a snapshot every DUR (e.g. 600, 10m; 0 = off)\n"
    "  -s, --sample BYTES       sample one allocation per BYTES on average (e.g. 512K);\n"
    "                           0 = record every allocation (default)\n"
    "  -d, --depth N            frames recorded per stack (1..256)\n"
    "      --unwind METHOD      dwarf (default: cached CFI walk), libunwind, or fp\n"
    "                           (frame pointers: fastest, truncated in code built without)\n"
    "  -l, --linger DUR         blocks alive longer than DUR count as lingering (default 60s)\n"
    "  -f, --follow-children    also profile the programs it executes, one dump each\n"
    "                           (the default: `make test`, wrapper scripts)\n"
    "      --no-follow-children profile only PROGRAM itself (and its forks)\n"
    "      --signal SIG         write a snapshot when the program gets SIG (e.g. USR2)\n"
    "      --trigger PATH       every process writes a snapshot each time PATH is created\n"
    "                           or touched (`touch PATH`; it is never removed)\n"
    "      --timeline DUR       heap-over-time starting resolution (default 10ms)\n"
    "      --reach WHEN         valgrind's leak kinds by a reachability scan: exit (the\n"
    "                           exit dump, default), all (every snapshot too) or off\n"
    "      --shim PATH          use this libmapscope.so\n"
    "      --alloc-fn NAME      a malloc wrapper of the program's (name or glob): the\n"
    "                           summary names its caller; repeatable (common libraries'\n"
    "                           wrappers are known: mapscope-report(1))\n"
    "  -q, --quiet              no summary at the end\n"
    "\n"
    "The exit status is the program's (a program killed by a signal kills mapscope with\n"
    "the same signal); 1 when mapscope itself fails, 2 for a bad command line.\n"
    "\n"
    "examples:\n"
    "  mapscope run -- ./leaky\n"
    "  mapscope run -o /var/tmp/svc.dump --interval 10m --sample 512K -- ./svc -c prod.conf\n"
    "  mapscope run -o t.dump -- make test    # then: mapscope report t.dump.*\n";

enum {
    OPT_SHIM = 256,
    OPT_NO_FOLLOW,
    OPT_ALLOC_FN,
    OPT_HELP,
    /* OPT_GRAMMAR + enum ms_opt: a setting of the shared grammar, checked
     * and passed on the same way whatever it is. */
    OPT_GRAMMAR = 1024
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"interval", required_argument, NULL, 'i'},
    {"sample", required_argument, NULL, 's'},
    {"depth", required_argument, NULL, 'd'},
    {"unwind", required_argument, NULL, OPT_GRAMMAR + MS_OPT_UNWIND},
    {"linger", required_argument, NULL, 'l'},
    {"follow-children", no_argument, NULL, 'f'},
    {"no-follow-children", no_argument, NULL, OPT_NO_FOLLOW},
    {"signal", required_argument, NULL, OPT_GRAMMAR + MS_OPT_SIGNAL},
    {"trigger", required_argument, NULL, OPT_GRAMMAR + MS_OPT_TRIGGER},
    {"timeline", required_argument, NULL, OPT_GRAMMAR + MS_OPT_TIMELINE},
    {"reach", required_argument, NULL, OPT_GRAMMAR + MS_OPT_REACH},
    {"shim", required_argument, NULL, OPT_SHIM},
    {"alloc-fn", required_argument, NULL, OPT_ALLOC_FN},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* An option and the shim variable it sets. */
struct setting {
    const char *env;
    const char *value;
};

struct run_args {
    struct setting set[16]; /* one per variable (add() replaces), fewer than 16 exist */
    size_t nset;
    const char *output;
    const char *shim;
    bool quiet;
    struct ms_alloc_fns alloc_fns; /* --alloc-fn, for the summary */
};

/* True (after one line on stderr) when the shim would refuse value for
 * option id: the shim's grammar and words (format/option_grammar.h), so a
 * value the shim would replace by its default stops here instead. */
static bool refused(enum ms_opt id, const char *value)
{
    struct ms_opt_value v;
    if (ms_opt_parse(id, value, &v) == 0)
        return false;
    char why[1024];
    ms_opt_refusal(why, sizeof why, id, value);
    fprintf(stderr, "mapscope run: %s: %s\n", ms_opt_specs[id].flag, why);
    return true;
}

/* Set a shim variable for the program; a repeated option replaces the
 * earlier value, as the last one wins on any command line. */
static void add(struct run_args *a, const char *env, const char *value)
{
    size_t i = 0;
    while (i < a->nset && strcmp(a->set[i].env, env))
        i++;
    if (i == sizeof a->set / sizeof a->set[0])
        return; /* not reached: fewer variables than slots */
    a->set[i].env = env;
    a->set[i].value = value;
    if (i == a->nset)
        a->nset++;
}

/* The grammar setting an option stands for, or -1. */
static int grammar_opt(int c)
{
    switch (c) {
    case 'o':
        return MS_OPT_OUTPUT;
    case 'i':
        return MS_OPT_INTERVAL;
    case 's':
        return MS_OPT_SAMPLE;
    case 'd':
        return MS_OPT_DEPTH;
    case 'l':
        return MS_OPT_LINGER;
    default:
        return c >= OPT_GRAMMAR && c < OPT_GRAMMAR + MS_OPT_COUNT ? c - OPT_GRAMMAR : -1;
    }
}

static int parse(int argc, char **argv, struct run_args *a)
{
    int c;
    optind = 1;
    /* Programs the program executes are profiled unless asked otherwise:
     * under `mapscope run`, a wrapper script or `make test` is the usual
     * case, and a report of the wrapper alone would silently miss every
     * leak.  (The shim's own default, for LD_PRELOAD set by hand, is off.) */
    add(a, "MAPSCOPE_FOLLOW_CHILDREN", "1");
    /* '+': stop at the first non-option, the program's name. */
    while ((c = getopt_long(argc, argv, "+o:i:s:d:l:fq", long_opts, NULL)) != -1) {
        int g = grammar_opt(c);
        if (g >= 0) {
            if (refused((enum ms_opt)g, optarg))
                return MS_EXIT_USAGE;
            if (g == MS_OPT_OUTPUT)
                a->output = optarg; /* MAPSCOPE_OUTPUT, set when the program starts */
            else
                add(a, ms_opt_specs[g].env, optarg);
            continue;
        }
        switch (c) {
        case 'f':
            add(a, "MAPSCOPE_FOLLOW_CHILDREN", "1");
            break;
        case OPT_NO_FOLLOW:
            add(a, "MAPSCOPE_FOLLOW_CHILDREN", "0");
            break;
        case OPT_SHIM:
            a->shim = optarg;
            break;
        case OPT_ALLOC_FN:
            ms_alloc_fns_add(&a->alloc_fns, optarg);
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
    if (optind >= argc) {
        fputs("mapscope run: no program given (usage: mapscope run [options] -- PROGRAM "
              "[ARGS...])\n",
              stderr);
        return MS_EXIT_USAGE;
    }
    return 0;
}

/* ------------------------------------------------------------- the shim -- */

static char *usable(const char *path)
{
    char real[PATH_MAX];
    if (access(path, R_OK) == 0 && realpath(path, real))
        return ms_xstrdup(real);
    return NULL;
}

/* The shim next to this mapscope in a build tree, else the installed one. */
static char *find_shim(const char *given)
{
    if (given)
        return usable(given);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = 0;
        /* tools/mapscope or tools/.libs/mapscope in the build tree. */
        static const char *const rel[] = {"/../lib/.libs/libmapscope.so",
                                          "/../../lib/.libs/libmapscope.so"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char *cand = ms_xasprintf("%s%s", self, rel[i]);
            char *r = usable(cand);
            free(cand);
            if (r)
                return r;
        }
    }
    return usable(MS_PKGLIBDIR "/libmapscope.so");
}

/* ----------------------------------------------------- program checks -- */

/* Returns NULL when LD_PRELOAD can work for path, else why not.  Scripts
 * are checked through their interpreter. */
static char *why_not_preloadable(const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return NULL; /* let exec report it */
    if (st.st_mode & (S_ISUID | S_ISGID))
        return ms_xasprintf("%s is set%s: the dynamic loader ignores LD_PRELOAD for such "
                            "programs, so it cannot be profiled (profile a copy without the "
                            "bit, run as its owner)",
                            path, st.st_mode & S_ISUID ? "uid" : "gid");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    char head[256] = {0};
    ssize_t n = pread(fd, head, sizeof head - 1, 0);
    if (n > 2 && head[0] == '#' && head[1] == '!' && depth < 4) {
        close(fd);
        char *p = head + 2, *e;
        while (*p == ' ' || *p == '\t')
            p++;
        for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++)
            ;
        *e = 0;
        return *p ? why_not_preloadable(p, depth + 1) : NULL;
    }
    char *why = NULL;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    size_t nph = 0;
    if (elf && elf_kind(elf) == ELF_K_ELF && elf_getphdrnum(elf, &nph) == 0) {
        bool interp = false, dynamic = false;
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf, (int)i, &ph))
                continue;
            interp |= ph.p_type == PT_INTERP;
            dynamic |= ph.p_type == PT_DYNAMIC;
        }
        GElf_Ehdr eh;
        bool exec = gelf_getehdr(elf, &eh) && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN);
        if (exec && !interp)
            why = ms_xasprintf("%s is statically linked%s: there is no dynamic loader to "
                               "load libmapscope.so (LD_PRELOAD), so it cannot be profiled; "
                               "build it dynamically linked",
                               path, dynamic ? " (static-pie)" : "");
    }
    if (elf)
        elf_end(elf);
    close(fd);
    return why;
}

/* ----------------------------------------------------------- running -- */

static volatile sig_atomic_t child_pid;

/* A signal from the terminal (Ctrl-C, Ctrl-\\, hangup: si_code SI_KERNEL)
 * went to the whole foreground process group, the program included:
 * passing it on would deliver it twice.  Any other was sent to mapscope
 * alone, and is the program's. */
static void forward(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (info && info->si_code == SI_KERNEL)
        return;
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};

static void forward_signals(void)
{
    struct sigaction fwd = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&fwd.sa_mask);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaction(forwarded[i], &fwd, NULL);
}

static int wait_child(pid_t pid, int *status)
{
    forward_signals();
    pid_t r;
    while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
        ;
    return r < 0 ? -1 : 0;
}

static char *prepend_preload(const char *shim)
{
    const char *old = getenv("LD_PRELOAD");
    return old && *old ? ms_xasprintf("%s:%s", shim, old) : ms_xstrdup(shim);
}

static pid_t start(char **argv, const struct run_args *a, const char *shim, const char *notes)
{
    char *preload = prepend_preload(shim);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LD_PRELOAD", preload, 1);
        if (notes)
            setenv(MS_NOTES_ENV, notes, 1);
        if (a->output)
            setenv("MAPSCOPE_OUTPUT", a->output, 1);
        for (size_t i = 0; i < a->nset; i++)
            setenv(a->set[i].env, a->set[i].value, 1);
        execvp(argv[0], argv);
        int e = errno;
        fprintf(stderr, "mapscope run: cannot execute %s: %s\n", argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    free(preload);
    if (pid < 0)
        fprintf(stderr, "mapscope run: fork failed: %s\n", strerror(errno));
    return pid;
}

/* ----------------------------------------------------------- summary -- */

/* Dumps this run produced: PATH.* written since it started, and those of
 * processes that dropped privileges, in PATH.u<uid>/ (lib/output.c). */
static size_t find_dumps(const char *prefix, const struct timespec *since, char ***out)
{
    const char *slash = strrchr(prefix, '/');
    char *pattern = ms_xasprintf("%s.[0-9]*", prefix);
    char *per_user = ms_xasprintf("%s.u[0-9]*/%s.[0-9]*", prefix, slash ? slash + 1 : prefix);
    glob_t g;
    size_t n = 0;
    *out = NULL;
    int rc = glob(pattern, 0, NULL, &g);
    rc = glob(per_user, rc == 0 ? GLOB_APPEND : 0, NULL, &g) == 0 ? 0 : rc;
    free(per_user);
    if (rc == 0) {
        *out = ms_xcalloc(g.gl_pathc, sizeof **out);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat st;
            const char *name = g.gl_pathv[i];
            size_t len = strlen(name);
            /* temporary files of a dump being written are not dumps */
            if (len > 4 && !strcmp(name + len - 4, ".tmp"))
                continue;
            if (stat(name, &st) == 0 && S_ISREG(st.st_mode) &&
                (st.st_mtim.tv_sec > since->tv_sec ||
                 (st.st_mtim.tv_sec == since->tv_sec && st.st_mtim.tv_nsec >= since->tv_nsec)))
                (*out)[n++] = ms_xstrdup(name);
        }
        globfree(&g);
    }
    free(pattern);
    return n;
}

/* The summary's leak line: lost blocks, by kind, and what is still
 * reachable, when the dumps have leak kinds (a reachability scan); else
 * every block still allocated. */
static void summary_leaks(const struct ms_profile *p, size_t nstacks)
{
    char b1[32], b2[32], b3[32], b4[32];
    const char *st = nstacks == 1 ? "stack" : "stacks";
    if (!ms_profile_scans(p)) {
        fprintf(stderr, "mapscope:   leaked %s in %" PRIu64 " blocks from %zu %s\n",
                ms_fmt_bytes(b1, ms_profile_total(p, MS_TOTAL_INUSE_BYTES)),
                ms_profile_total(p, MS_TOTAL_INUSE_BLOCKS), nstacks, st);
        return;
    }
    uint64_t k[MS_KF_COUNT], blocks;
    ms_kinds_totals(p, k);
    uint64_t lost = ms_kinds_sum(k, MS_KINDS_LEAK, &blocks);
    fprintf(stderr,
            "mapscope:   leaked %s in %" PRIu64 " blocks from %zu %s (definitely lost %s, "
            "indirectly %s, possibly %s)\n",
            ms_fmt_bytes(b1, lost), blocks, nstacks, st, ms_fmt_bytes(b2, k[MS_KF_DEFINITE_BYTES]),
            ms_fmt_bytes(b3, k[MS_KF_INDIRECT_BYTES]), ms_fmt_bytes(b4, k[MS_KF_POSSIBLE_BYTES]));
    fprintf(stderr, "mapscope:   still reachable %s in %" PRIu64 " blocks (not leaks)\n",
            ms_fmt_bytes(b1, k[MS_KF_REACHABLE_BYTES]), k[MS_KF_REACHABLE_BLOCKS]);
}

static void summary(const char *prefix, const struct timespec *since, pid_t pid, bool exec_failed,
                    struct ms_alloc_fns *alloc_fns)
{
    char **files;
    size_t n = find_dumps(prefix, since, &files);
    if (!n) {
        if (!exec_failed)
            fprintf(stderr,
                    "mapscope: no dump was written to %s.%d: the program ended without running its "
                    "exit handlers (killed, _exit()), or it executed another program and "
                    "--no-follow-children was given; "
                    "--interval gives periodic snapshots\n",
                    prefix, (int)pid);
        free(files);
        return;
    }
    struct ms_dump *d = ms_xcalloc(n, sizeof *d);
    size_t nd = 0;
    char *main_dump = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ms_dump_read(files[i], &d[nd]) < 0) {
            ms_dump_free(&d[nd]);
            continue;
        }
        if (d[nd].pid == (uint32_t)pid && d[nd].reason == MS_DUMP_AT_EXIT)
            main_dump = files[i];
        nd++;
    }
    struct ms_profile p = {0};
    ms_alloc_fns_defaults(alloc_fns); /* the site named is the wrapper's caller */
    struct ms_build_opts bo = {.sym = {.quiet = true}, .alloc_fns = alloc_fns};
    ms_profile_build(d, nd, &bo, &p);
    size_t nproc = p.processes.n;
    char b1[32], b2[32];
    if (main_dump)
        fprintf(stderr, "mapscope: dump written to %s", main_dump);
    else
        fprintf(stderr, "mapscope: %zu dump %s written to %s.*", n, n == 1 ? "file" : "files",
                prefix);
    if (nproc > 1)
        fprintf(stderr, " (%zu processes)", nproc);
    fputc('\n', stderr);
    fprintf(stderr, "mapscope:   peak %s in %" PRIu64 " blocks%s\n",
            ms_fmt_bytes(b1, ms_profile_total(&p, MS_TOTAL_PEAK_BYTES)),
            ms_profile_total(&p, MS_TOTAL_PEAK_BLOCKS),
            nproc > 1 ? " (sum of per-process peaks)" : "");
    uint32_t *idx;
    /* "leaked" means lost blocks when the dumps have leak kinds. */
    enum ms_metric lm = ms_profile_scans(&p) ? MS_M_LOST : MS_M_LEAKED;
    size_t nleaks = ms_view(&p, lm, &idx);
    summary_leaks(&p, nleaks);
    if (nleaks) {
        const struct ms_pstack *s = &p.stacks.v[idx[0]];
        struct ms_xframe *x;
        size_t nf = ms_expand_stack(&p, s, &x);
        size_t k = ms_stack_site(&p, x, nf);
        char buf[512];
        uint64_t blocks = ms_metric_other(s, lm);
        fprintf(stderr, "mapscope:   top leak %s in %" PRIu64 " %s at ",
                ms_fmt_bytes(b2, ms_metric_value(s, lm)), blocks, blocks == 1 ? "block" : "blocks");
        if (nf) {
            const struct ms_frame *fr = x[k].frame;
            fputs(ms_frame_label(&p, fr, x[k].symi, buf, sizeof buf), stderr);
            if (fr->nsym && fr->sym[x[k].symi].file)
                fprintf(stderr, " (%s:%d)", ms_basename(fr->sym[x[k].symi].file),
                        fr->sym[x[k].symi].line);
        } else {
            fputs("(stack not recorded)", stderr);
        }
        fputc('\n', stderr);
        free(x);
    } else if (lm == MS_M_LOST) {
        fputs("mapscope:   no leaks: no block was lost\n", stderr);
    } else {
        fputs("mapscope:   no leaks: every allocation was freed\n", stderr);
    }
    if (main_dump && nproc == 1)
        fprintf(stderr, "mapscope: details: mapscope report %s\n", main_dump);
    else
        fprintf(stderr, "mapscope: details: mapscope report %s.*\n", prefix);
    free(idx);
    ms_profile_free(&p);
    for (size_t i = 0; i < nd; i++)
        ms_dump_free(&d[i]);
    free(d);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

/* Are exec'd children profiled in this run? */
static bool following(const struct run_args *a)
{
    for (size_t i = 0; i < a->nset; i++)
        if (!strcmp(a->set[i].env, "MAPSCOPE_FOLLOW_CHILDREN"))
            return !strcmp(a->set[i].value, "1");
    return false;
}

/* Die the way the program died, so a caller sees the same status. */
static int pass_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core); /* the program already dumped its own core */
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        return 128 + sig;
    }
    return MS_EXIT_FAILURE;
}

int ms_cmd_run(int argc, char **argv)
{
    struct run_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? MS_EXIT_OK : rc;
    char **prog = argv + optind;

    char *shim = find_shim(a.shim);
    if (!shim) {
        fprintf(stderr,
                "mapscope run: cannot find libmapscope.so (%s); looked next to this "
                "mapscope (../lib/.libs) and in %s\n",
                a.shim ? a.shim : "not built or not installed", MS_PKGLIBDIR);
        return MS_EXIT_FAILURE;
    }
    char *path = ms_find_program(prog[0]);
    if (!path) {
        fprintf(stderr, "mapscope run: %s: command not found in PATH\n", prog[0]);
        free(shim);
        return 127;
    }
    char *why = why_not_preloadable(path, 0);
    free(path);
    if (why) {
        fprintf(stderr, "mapscope run: %s\n", why);
        free(why);
        free(shim);
        return MS_EXIT_FAILURE;
    }

    /* A relative prefix is relative to our cwd, the same as the child's. */
    const char *prefix = a.output ? a.output : "mapscope.dump";
    /* Dumps are files modified after this instant (the filesystem's
     * timestamps are coarser than the clock, so step back a little). */
    struct timespec since;
    clock_gettime(CLOCK_REALTIME, &since);
    since.tv_sec -= since.tv_nsec < 20000000 ? 1 : 0;
    since.tv_nsec = since.tv_nsec < 20000000 ? since.tv_nsec + 980000000 : since.tv_nsec - 20000000;
    char *notes = ms_notes_make();
    pid_t pid = start(prog, &a, shim, notes);
    free(shim);
    if (pid < 0) {
        if (notes)
            ms_notes_remove(notes);
        free(notes);
        return MS_EXIT_FAILURE;
    }
    child_pid = pid;
    int status = 0;
    if (wait_child(pid, &status) < 0) {
        fprintf(stderr, "mapscope run: waiting for %s failed: %s\n", prog[0], strerror(errno));
        return MS_EXIT_FAILURE;
    }
    bool exec_failed = WIFEXITED(status) && WEXITSTATUS(status) >= 126;
    if (!a.quiet)
        summary(prefix, &since, pid, exec_failed, &a.alloc_fns);
    if (notes) {
        if (!a.quiet && !exec_failed)
            ms_notes_report(notes, prefix, following(&a));
        ms_notes_remove(notes);
        free(notes);
    }
    ms_alloc_fns_free(&a.alloc_fns);
    return pass_status(status);
}
