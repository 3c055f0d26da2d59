/*
 * gomaps.h — what the three files of the `mapscope gomaps` command share: its
 * settings (gomaps_options.c parses them), starting and watching the target
 * (gomaps_target.c), and the straight path and event loop (gomaps.c).  The
 * probe itself is the library behind probe/gomaps_probe.h.
 */
#ifndef MS_GOMAPS_H
#define MS_GOMAPS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gomaps_probe.h"

#define PROG MS_GM_PROG

struct ms_gomaps_env {
    pid_t pid;           /* -p: attach to this process */
    char **cmd;          /* -- PROG ARGS: start this, probes attached first */
    double duration;     /* --duration: stop after this many seconds (0 = until Ctrl-C / exit) */
    double interval;     /* --interval: header poll and table refresh period */
    double linger;       /* --linger: seconds without evacuation progress = lingering */
    const char *json;    /* --json: findings as JSON lines to this file */
    unsigned max_rate;   /* --max-probe-rate: probe hits/s before a probe is detached */
    size_t max_maps;     /* --max-maps: maps followed at once */
    bool quiet;          /* -q: no refreshing table */
    bool probe_entry;    /* --probe-entry: makeBucketArray's entry, not its large branch */
    bool verbose;        /* -v: libbpf and inspection details on stderr */
    bool no_scan;        /* --no-scan: no heap scan for the maps that exist at attach */
    uint64_t scan_limit; /* --scan-limit: bytes the heap scan may read */
    double rescan;       /* --rescan: Swiss maps: scan the heap again every S s (0 = never) */
};
extern struct ms_gomaps_env env;

/* gomaps_options.c: parse argv into env; 0 go on, -1 done (--help), else an exit code. */
int ms_gomaps_parse_args(int argc, char **argv);
/* The probe library's view of the settings. */
struct ms_gm_opts ms_gomaps_probe_opts(void);

/* gomaps_target.c: PROGRAM as execvp would find it and executable (malloc'd), or NULL. */
char *ms_gomaps_resolve_program(const char *name);
/* Fork PROGRAM, held before exec until a byte is written to *gate. */
pid_t ms_gomaps_spawn_held(char **cmd, int *gate);
/* SIGINT/SIGTERM stop the run (see gomaps_target.c). */
extern volatile sig_atomic_t ms_gomaps_stop_signal, ms_gomaps_stop_from_tty, ms_gomaps_nsignals;
void ms_gomaps_catch_signals(void);

#endif /* MS_GOMAPS_H */
