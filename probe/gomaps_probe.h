/*
 * gomaps_probe.h — the Go-map probe as a library: what the `mapscope gomaps`
 * command (tools/gomaps.c) calls, one job per file: inspecting the binary
 * (gomap_inspect.c), placing, loading and attaching the uprobes
 * (gomap_attach.c), the overhead guard (gomap_guard.c) and the attach-time heap
 * scan (gomap_scan.c); the trackers behind trackers.h follow the maps.  Nothing
 * here knows the command's options or exit codes: functions take the few
 * settings they need and return a status the command maps to its exit code.
 */
#ifndef MS_GOMAPS_PROBE_H
#define MS_GOMAPS_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gobin.h"
#include "gomap.h"
#include "maptrack.h"
#include "swiss.h"

#define MS_GM_PROG "mapscope gomaps" /* every message starts with it */

/* Why something was refused. */
enum ms_gm_status {
    MS_GM_OK = 0,
    MS_GM_FAILURE,     /* the run cannot go on (process gone, ...) */
    MS_GM_NOPERM,      /* privileges or capabilities missing */
    MS_GM_UNSUPPORTED, /* not Go, a Go release not known, kernel without BPF/uprobes */
};

/* The settings the probe side needs. */
struct ms_gm_opts {
    bool verbose;        /* say what was found, libbpf's messages */
    bool probe_entry;    /* classic: makeBucketArray's entry, not its large branch */
    unsigned max_rate;   /* probe hits/s before a probe is detached */
    uint64_t scan_limit; /* bytes the heap scan may read */
};

/* gomap_util.c: "mapscope gomaps: <message>" on stderr; returns status. */
int ms_gm_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double ms_gm_now(void); /* CLOCK_MONOTONIC seconds */

/* gomap_inspect.c: read the binary at path (label names it in messages); fills the
 * layout of its map implementation (classic: lay; Swiss: swl, and lay for the heap). */
int ms_gm_inspect(struct ms_gobin *bin, const char *path, const char *label,
                  const struct ms_gm_opts *o, struct ms_golayout *lay, struct sw_layout *swl);
uint64_t ms_gm_func_addr(const struct ms_gobin *bin, const char *name, uint64_t *end);

/* gomap_attach.c: where the uprobes go, the BPF object, the links. */
struct ms_gm_probes;
int ms_gm_probes_plan(struct ms_gm_probes **out, const struct ms_gobin *bin,
                      const struct ms_gm_opts *o);
/* Configure and load the BPF object for process pid. */
int ms_gm_probes_load(struct ms_gm_probes *p, pid_t pid, const struct ms_golayout *lay,
                      const struct sw_layout *swl);
int ms_gm_probes_attach(struct ms_gm_probes *p, pid_t pid, const char *path,
                        const struct ms_gobin *bin);
int ms_gm_probes_events_fd(const struct ms_gm_probes *p);
int ms_gm_probes_stacks_fd(const struct ms_gm_probes *p);
/* A per-CPU counter of the probe (an event kind's hits, or a gomap_stat), summed. */
uint64_t ms_gm_probes_stat(const struct ms_gm_probes *p, unsigned int key);
/* Detach the probes of one event kind (-1: all). */
void ms_gm_probes_detach(struct ms_gm_probes *p, int kind);
bool ms_gm_probes_detached(const struct ms_gm_probes *p, int kind);
const char *ms_gm_probe_name(int kind);
void ms_gm_probes_free(struct ms_gm_probes *p);

/* gomap_guard.c: the overhead guard, run once a second. */
struct ms_gm_guard {
    unsigned max_rate;
    uint64_t prev[GOMAP_EV_KINDS];
    unsigned over[GOMAP_EV_KINDS];
};
void ms_gm_guard_check(struct ms_gm_guard *g, struct ms_gm_probes *p, double dt);

/* gomap_scan.c: the maps the process already has, handed to the tracker.  The heap is
 * scanned again every --rescan seconds, and for classic maps soon after a large sized
 * make (at_attach false): a map made with a large size hint that never grows is seen by
 * no probe. */
void ms_gm_scan_classic(struct gm_tracker *tr, struct gm_scan_stats *sc, const struct ms_gm_opts *o,
                        bool at_attach);
void ms_gm_scan_swiss(struct sw_tracker *tr, const struct ms_golayout *lay,
                      const struct ms_gm_opts *o, bool at_attach);

#endif /* MS_GOMAPS_PROBE_H */
