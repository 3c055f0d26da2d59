/*
 * gomaps.c — `mapscope gomaps`: attach the Go-map probe to a Go process.
 *
 * One straight path, libbpf-tools style: parse options → find or start the
 * target → inspect its binary (Go version, map implementation, function
 * addresses, struct offsets) → plan, configure and load the BPF object →
 * attach uprobes → release a started child → loop (events, header polls,
 * table, overhead guard) → detach → final report.  The probe is a library
 * (probe/gomaps_probe.h); the classic and Swiss trackers sit behind one
 * interface (probe/trackers.h).
 *
 * The target is never stopped or written to: uprobes on a handful of rare
 * runtime functions, process_vm_readv of map headers, nothing else.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "gomaps.h"
#include "trackers.h"

/* After a Ctrl-C at the terminal (which reached a started program too), how long to
 * wait for that program to finish its own shutdown before the report. */
#define CTRL_C_WAIT 10.0

struct run {
    struct gm_tracker tr; /* classic maps */
    struct sw_tracker sw; /* Swiss-table maps */
    const struct gm_tracker_ops *ops;
    void *cur; /* &tr or &sw */
    double linger;
    pid_t child;
    int child_status;
    bool child_exited;
};

static int handle_event(void *ctx, void *data, size_t len)
{
    struct run *r = ctx;
    if (len >= sizeof(struct gomap_event))
        r->ops->event(r->cur, data);
    return 0;
}

static bool target_alive(struct run *r)
{
    if (r->child) {
        int st;
        pid_t w = waitpid(r->child, &st, WNOHANG);
        if (w == r->child) {
            r->child_exited = true;
            r->child_status = st;
            return false;
        }
        return w == 0;
    }
    return kill(env.pid, 0) == 0 || errno == EPERM;
}

/* After a Ctrl-C that reached the program too: let it finish exiting first. */
static void wait_child(struct run *r, double secs)
{
    int seen = ms_gomaps_nsignals;
    double t0 = ms_gm_now();
    bool told = false;
    while (target_alive(r) && ms_gomaps_nsignals == seen && ms_gm_now() - t0 < secs) {
        if (!told && ms_gm_now() - t0 > 1) {
            fprintf(stderr,
                    PROG ": waiting up to %.0f s for pid %d to exit (Ctrl-C again to stop "
                         "waiting)\n",
                    secs, (int)r->child);
            told = true;
        }
        usleep(20000);
    }
}

static void say_exit(const struct run *r)
{
    int st = r->child_status;
    if (WIFEXITED(st))
        fprintf(stderr, PROG ": pid %d exited with status %d\n", (int)r->child, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        fprintf(stderr, PROG ": pid %d was killed by signal %d (%s)\n", (int)r->child, WTERMSIG(st),
                strsignal(WTERMSIG(st)));
}

static void show(struct run *r, double elapsed, bool final)
{
    r->ops->show(r->cur, stdout, r->linger, elapsed, final);
}

static int write_json(struct run *r, double elapsed)
{
    FILE *f = fopen(env.json, "we");
    int rc = -1;
    if (f) {
        rc = r->ops->write_json(r->cur, f, r->linger, elapsed);
        if (fclose(f) != 0)
            rc = -1;
    }
    if (rc < 0)
        fprintf(stderr, PROG ": cannot write %s: %s (the report above is complete)\n", env.json,
                strerror(errno));
    return rc;
}

/* The command's exit code for a probe-library status. */
static int exit_code(int status)
{
    return status == MS_GM_OK            ? MS_EXIT_OK
           : status == MS_GM_NOPERM      ? MS_EXIT_NOPERM
           : status == MS_GM_UNSUPPORTED ? MS_EXIT_UNSUPPORTED
                                         : MS_EXIT_FAILURE;
}

/* The target: an existing process (exe and label from /proc), or a program to start. */
static int find_target(char *exe, char *label, size_t len, char **prog)
{
    if (env.pid) {
        if (kill(env.pid, 0) < 0 && errno == ESRCH)
            return ms_gm_fail(MS_GM_FAILURE, "no process with pid %d", (int)env.pid);
        snprintf(exe, len, "/proc/%d/exe", (int)env.pid);
        ssize_t l = readlink(exe, label, len - 1);
        if (l < 0)
            return ms_gm_fail(errno == EACCES || errno == EPERM ? MS_GM_NOPERM : MS_GM_FAILURE,
                              "cannot look at pid %d: %s%s", (int)env.pid, strerror(errno),
                              errno == EACCES || errno == EPERM ? " (run as root)" : "");
        label[l] = 0;
        return MS_GM_OK;
    }
    *prog = ms_gomaps_resolve_program(env.cmd[0]);
    if (!*prog)
        return ms_gm_fail(MS_GM_FAILURE, "cannot find program '%s'", env.cmd[0]);
    snprintf(exe, len, "%s", *prog);
    snprintf(label, len, "%s", *prog);
    return MS_GM_OK;
}

/* The tracker of the binary's map implementation, behind trackers.h. */
static void start_tracker(struct run *r, pid_t pid, const struct ms_gobin *bin,
                          const struct ms_golayout *lay, const struct sw_layout *swl, int stacks_fd)
{
    r->linger = env.linger;
    struct ms_remote rd = ms_remote_pid(pid);
    if (bin->swiss) {
        ms_sw_init(&r->sw, pid, &rd, bin, swl, stacks_fd, env.max_maps);
        r->sw.proc.log = env.verbose ? stderr : NULL;
        r->ops = &ms_gm_swiss_ops;
        r->cur = &r->sw;
    } else {
        ms_gm_init(&r->tr, pid, &rd, bin, lay, stacks_fd, env.max_maps);
        r->tr.proc.log = env.verbose ? stderr : NULL;
        r->ops = &ms_gm_classic_ops;
        r->cur = &r->tr;
    }
}

/* Events, header polls, the live table and the guard until the run ends; why it ended. */
static const char *loop(struct run *r, struct ring_buffer *rb, struct ms_gm_probes *probes,
                        const struct ms_golayout *lay, double start)
{
    bool tty = isatty(STDOUT_FILENO) && !env.quiet;
    double next_poll = start, next_guard = start + 1, last_guard = start;
    bool rescan = env.rescan > 0 && !env.no_scan, swiss = r->ops == &ms_gm_swiss_ops;
    double next_scan = start + env.rescan;
    struct ms_gm_opts o = ms_gomaps_probe_opts();
    struct ms_gm_guard guard = {.max_rate = env.max_rate};
    for (;;) {
        int e = ring_buffer__poll(rb, 100);
        if (e < 0 && e != -EINTR)
            return "ring buffer error";
        double now = ms_gm_now();
        if (ms_gomaps_stop_signal)
            return ms_gomaps_stop_signal != SIGINT ? "terminated"
                   : r->child && ms_gomaps_stop_from_tty
                       ? "interrupted (Ctrl-C at the terminal, which the program got too)"
                       : "interrupted";
        if (!target_alive(r))
            return "target exited";
        if (now >= next_guard) {
            ms_gm_guard_check(&guard, probes, now - last_guard);
            last_guard = now;
            next_guard = now + 1;
        }
        /* classic: a large sized make asks for a scan soon after (defect 2) */
        bool asked = !swiss && !env.no_scan && r->tr.rescan_at && now >= r->tr.rescan_at;
        if ((rescan && now >= next_scan) || asked) {
            struct gm_scan_stats sc = {0};
            if (swiss)
                ms_gm_scan_swiss(&r->sw, lay, &o, false);
            else
                ms_gm_scan_classic(&r->tr, &sc, &o, false);
            r->tr.rescan_at = 0;
            next_scan = ms_gm_now() + (env.rescan > 0 ? env.rescan : 1e18);
        }
        if (now >= next_poll) {
            if (r->ops->poll(r->cur, now) < 0)
                return "target exited";
            if (tty)
                show(r, now - start, false);
            next_poll += env.interval;
            if (next_poll < now)
                next_poll = now + env.interval;
        }
        if (env.duration && now - start >= env.duration)
            return "duration reached";
    }
}

int ms_cmd_gomaps(int argc, char **argv)
{
    struct ms_gobin bin = {0};
    struct ms_golayout lay;
    struct sw_layout swl;
    struct ms_gm_probes *probes = NULL;
    struct ring_buffer *rb = NULL;
    struct run r = {0};
    char exe[PATH_MAX], label[PATH_MAX];
    char *prog = NULL;
    int gate = -1, rc;

    rc = ms_gomaps_parse_args(argc, argv);
    if (rc)
        return rc < 0 ? MS_EXIT_OK : rc;
    struct ms_gm_opts o = ms_gomaps_probe_opts();
    rc = find_target(exe, label, sizeof exe, &prog);
    if (!rc)
        rc = ms_gm_inspect(&bin, exe, label, &o, &lay, &swl);
    if (!rc)
        rc = ms_gm_probes_plan(&probes, &bin, &o);
    if (rc)
        goto cleanup;
    if (env.cmd) {
        r.child = ms_gomaps_spawn_held(env.cmd, &gate);
        if (r.child < 0) {
            rc = ms_gm_fail(MS_GM_FAILURE, "cannot start %s: %s", prog, strerror(errno));
            goto cleanup;
        }
    }
    pid_t pid = env.pid ? env.pid : r.child;
    rc = ms_gm_probes_load(probes, pid, &lay, &swl);
    if (!rc)
        rc = ms_gm_probes_attach(probes, pid, exe, &bin);
    if (rc)
        goto cleanup;
    rb = ring_buffer__new(ms_gm_probes_events_fd(probes), handle_event, &r, NULL);
    if (!rb) {
        rc = ms_gm_fail(MS_GM_UNSUPPORTED, "cannot open the BPF ring buffer: %s", strerror(errno));
        goto cleanup;
    }
    start_tracker(&r, pid, &bin, &lay, &swl, ms_gm_probes_stacks_fd(probes));
    ms_gomaps_catch_signals();
    struct gm_scan_stats scan = {0};
    if (env.pid && !env.no_scan && !bin.swiss)
        ms_gm_scan_classic(&r.tr, &scan, &o, true);
    else if (env.pid && !env.no_scan)
        ms_gm_scan_swiss(&r.sw, &lay, &o, true);
    if (gate >= 0) { /* probes are in place: let the program run */
        if (write(gate, "g", 1) != 1) {
            rc = ms_gm_fail(MS_GM_FAILURE, "cannot release %s", prog);
            goto cleanup;
        }
        close(gate);
        gate = -1;
    }
    double start = ms_gm_now();
    r.ops->set_clock(r.cur, start, start);
    fprintf(stderr, PROG ": attached to pid %d (%s, %s); %s\n", (int)pid, label, bin.version,
            env.duration ? "stops at --duration" : "Ctrl-C to stop");
    const char *ended = loop(&r, rb, probes, &lay, start);
    /* Detach first, so the target runs unprobed while we write the report. */
    ms_gm_probes_detach(probes, -1);
    ring_buffer__consume(rb);
    r.ops->probe_stats(r.cur, ms_gm_probes_stat(probes, GOMAP_STAT_DUP),
                       ms_gm_probes_stat(probes, GOMAP_STAT_LOST));
    bool gone = bin.swiss ? r.sw.proc.target_gone : r.tr.proc.target_gone;
    double end = ms_gm_now();
    if (!gone && !r.child_exited && target_alive(&r))
        r.ops->poll(r.cur, end);
    else
        r.ops->set_clock(r.cur, start, end);
    fprintf(stderr, PROG ": %s; probes detached\n", ended);
    if (r.child && ms_gomaps_stop_signal == SIGINT && ms_gomaps_stop_from_tty)
        wait_child(&r, CTRL_C_WAIT);
    if (r.child_exited)
        say_exit(&r);
    show(&r, end - start, true);
    if (r.child && !r.child_exited && !gone && target_alive(&r))
        fprintf(stderr, PROG ": pid %d keeps running\n", (int)r.child);
    rc = MS_GM_OK;
    if (env.json && write_json(&r, end - start) < 0)
        rc = MS_GM_FAILURE;

cleanup:
    if (gate >= 0) { /* never attached: the held child exits without running */
        close(gate);
        waitpid(r.child, NULL, 0);
    }
    ring_buffer__free(rb);
    ms_gm_probes_free(probes);
    if (r.ops)
        r.ops->free(r.cur);
    ms_gobin_close(&bin);
    free(prog);
    return exit_code(rc);
}
