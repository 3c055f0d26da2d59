/*
 * gomaps_options.c — the options of `mapscope gomaps`: defaults (one place, a
 * comment per field in gomaps.h), --help, and parsing with a one-line error
 * naming what was wrong and what is accepted.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "gomaps.h"

struct ms_gomaps_env env;

static const struct ms_gomaps_env env_defaults = {
    .interval = 1.0,
    .linger = 10.0,
    .max_rate = 400,
    .max_maps = 16384,
    .scan_limit = 256ULL << 20,
    .rescan = 30.0,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mapscope gomaps -p PID [options]\n"
               "       mapscope gomaps [options] -- PROGRAM [ARGS...]\n"
               "\n"
               "Attach eBPF uprobes to a running Go program and find its problem maps.  Classic\n"
               "maps (Go 1.17-1.23; 1.24/1.25 with GOEXPERIMENT=noswissmap): maps stuck\n"
               "mid-growth, overflow-chain bloat, large bucket arrays held by nearly empty maps.\n"
               "Swiss-table maps (Go 1.24-1.27): capacity retained by emptied, cleared or shrunk\n"
               "maps, tables grown by tombstones, large group arrays held by sparse maps.\n"
               "\n"
               "  -p, --pid PID           attach to this process\n"
               "  -d, --duration S        stop after S seconds (default: until Ctrl-C or exit)\n"
               "  -i, --interval S        poll map headers and refresh the table every S s (1)\n"
               "  -l, --linger S          no evacuation progress for S s = lingering (10)\n"
               "  -j, --json FILE         write the findings as JSON lines to FILE\n"
               "  -q, --quiet             no refreshing table, only the final report\n"
               "      --max-probe-rate N  detach a probe hit more than N times/s (400)\n"
               "      --max-maps N        follow at most N maps (16384)\n"
               "      --probe-entry       probe makeBucketArray's entry, not its large-array\n"
               "                          branch (costlier: fires for small maps too)\n"
               "      --no-scan           with -p: do not scan the heap at attach for maps that\n"
               "                          already exist (they are then seen only when they grow)\n"
               "      --scan-limit SIZE   bytes the attach-time heap scan may read (256M)\n"
               "      --rescan S          scan the heap again every S s for big maps no probe saw\n"
               "                          (a large make hint never used), also without -p (30;\n"
               "                          0 = never; a large sized make of a classic map is\n"
               "                          looked for 1 s after its array is made)\n"
               "  -v, --verbose           say what was found in the binary; libbpf messages\n"
               "  -h, --help              this text\n"
               "\n"
               "Needs root: uprobes need CAP_SYS_ADMIN on current kernels (with only CAP_BPF and\n"
               "CAP_PERFMON, perf_event_open refuses them with EACCES), and reading the maps\n"
               "needs CAP_SYS_PTRACE.  Exit status: 0 done, 1 runtime failure (process gone\n"
               "before attach, ...), 2 usage, 5 no permission, 6 unsupported (not Go, a Go\n"
               "release not known yet, kernel without BPF/uprobes).\n"
               "\n"
               "EXAMPLES:\n"
               "  mapscope gomaps -p $(pidof api) --duration 120\n"
               "  mapscope gomaps --linger 5 --json maps.jsonl -- ./server -config prod.conf\n"
               "  mapscope report maps.jsonl\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* SIZE: bytes with an optional K, M or G suffix. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = *end == 'K' || *end == 'k'   ? 10
                : *end == 'M' || *end == 'm' ? 20
                : *end == 'G' || *end == 'g' ? 30
                                             : 0;
    if (shift)
        end++;
    if (errno || end == s || *end || *s == '-' || v == 0 || v > (1ULL << (40 - shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int ms_gomaps_parse_args(int argc, char **argv)
{
    env = env_defaults;
    enum { OPT_RATE = 256, OPT_MAPS, OPT_ENTRY, OPT_NOSCAN, OPT_SCANLIMIT, OPT_RESCAN };
    static const struct option opts[] = {
        {"pid", required_argument, NULL, 'p'},
        {"duration", required_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"linger", required_argument, NULL, 'l'},
        {"json", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"max-probe-rate", required_argument, NULL, OPT_RATE},
        {"max-maps", required_argument, NULL, OPT_MAPS},
        {"probe-entry", no_argument, NULL, OPT_ENTRY},
        {"no-scan", no_argument, NULL, OPT_NOSCAN},
        {"scan-limit", required_argument, NULL, OPT_SCANLIMIT},
        {"rescan", required_argument, NULL, OPT_RESCAN},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    double v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+p:d:i:l:j:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_num(optarg, 1, INT_MAX, &v) < 0 || v != (int)v)
                return ms_gm_fail(MS_EXIT_USAGE, "bad pid '%s' (accepted: a process id)", optarg);
            env.pid = (pid_t)v;
            break;
        case 'd':
            if (parse_num(optarg, 0.1, 1e7, &env.duration) < 0)
                return ms_gm_fail(MS_EXIT_USAGE, "bad --duration '%s' (accepted: seconds > 0)",
                                  optarg);
            break;
        case 'i':
            if (parse_num(optarg, 0.05, 3600, &env.interval) < 0)
                return ms_gm_fail(MS_EXIT_USAGE,
                                  "bad --interval '%s' (accepted: 0.05 to 3600 seconds)", optarg);
            break;
        case 'l':
            if (parse_num(optarg, 0, 1e7, &env.linger) < 0)
                return ms_gm_fail(MS_EXIT_USAGE, "bad --linger '%s' (accepted: seconds >= 0)",
                                  optarg);
            break;
        case 'j':
            env.json = optarg;
            break;
        case 'q':
            env.quiet = true;
            break;
        case OPT_RATE:
            if (parse_num(optarg, 1, 1e7, &v) < 0)
                return ms_gm_fail(MS_EXIT_USAGE,
                                  "bad --max-probe-rate '%s' (accepted: hits/s >= 1)", optarg);
            env.max_rate = (unsigned)v;
            break;
        case OPT_MAPS:
            if (parse_num(optarg, 1, 1 << 22, &v) < 0)
                return ms_gm_fail(MS_EXIT_USAGE, "bad --max-maps '%s' (accepted: 1 to 4194304)",
                                  optarg);
            env.max_maps = (size_t)v;
            break;
        case OPT_ENTRY:
            env.probe_entry = true;
            break;
        case OPT_NOSCAN:
            env.no_scan = true;
            break;
        case OPT_SCANLIMIT:
            if (parse_size(optarg, &env.scan_limit) < 0)
                return ms_gm_fail(
                    MS_EXIT_USAGE,
                    "bad --scan-limit '%s' (accepted: bytes > 0 with an optional K, M or "
                    "G suffix, up to 1T)",
                    optarg);
            break;
        case OPT_RESCAN:
            if (parse_num(optarg, 0, 1e7, &env.rescan) < 0 || (env.rescan > 0 && env.rescan < 1))
                return ms_gm_fail(MS_EXIT_USAGE,
                                  "bad --rescan '%s' (accepted: seconds >= 1, or 0 for never)",
                                  optarg);
            break;
        case 'v':
            env.verbose = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "(see 'mapscope gomaps --help')\n");
            return MS_EXIT_USAGE;
        }
    }
    if (optind < argc)
        env.cmd = argv + optind;
    if (!env.pid == !env.cmd)
        return ms_gm_fail(MS_EXIT_USAGE, "give either -p PID or -- PROGRAM [ARGS] (see --help)");
    return 0;
}

struct ms_gm_opts ms_gomaps_probe_opts(void)
{
    return (struct ms_gm_opts){.verbose = env.verbose,
                               .probe_entry = env.probe_entry,
                               .max_rate = env.max_rate,
                               .scan_limit = env.scan_limit};
}
