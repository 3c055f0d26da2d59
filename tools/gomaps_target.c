/*
 * gomaps_target.c — the process `mapscope gomaps` watches: a program it starts
 * (held before exec until the probes are attached, so nothing early is missed)
 * and the signals that end a run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gomaps.h"
#include "util.h" /* ms_find_program */

/*
 * Signals.  SIGINT or SIGTERM stops the run: the probes are detached and the
 * report printed.  With -- PROGRAM the program shares our process group, so a
 * Ctrl-C typed at the terminal reaches it too, exactly as it would without
 * mapscope (as with perf record, strace, heaptrack or valgrind): the program
 * handles it its own way, we take a last look at its maps, detach, wait for
 * it to exit (up to CTRL_C_WAIT seconds; another Ctrl-C stops waiting) so the
 * report comes after its shutdown, and say how it ended.  The terminal's
 * SIGINT is told from one sent to us alone (kill) by si_code SI_KERNEL; a
 * signal sent to us alone leaves the program running, untouched, as -p does.
 */
volatile sig_atomic_t ms_gomaps_stop_signal, ms_gomaps_stop_from_tty, ms_gomaps_nsignals;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (!ms_gomaps_stop_signal) {
        ms_gomaps_stop_from_tty = si && si->si_code == SI_KERNEL;
        ms_gomaps_stop_signal = sig;
    }
    ms_gomaps_nsignals++;
}

void ms_gomaps_catch_signals(void)
{
    struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO};
    ms_gomaps_stop_signal = ms_gomaps_stop_from_tty = ms_gomaps_nsignals = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* PROGRAM as execvp would find it, and runnable: gomaps reads the binary
 * before it starts it, so a path that would not run is refused up front. */
char *ms_gomaps_resolve_program(const char *name)
{
    char *path = ms_find_program(name);
    if (path && access(path, X_OK) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* Fork PROGRAM, held before exec until release_child(). */
pid_t ms_gomaps_spawn_held(char **cmd, int *gate)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char go;
        close(fds[1]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (read(fds[0], &go, 1) != 1)
            _exit(127); /* the tool gave up before attaching: never run unprobed */
        execvp(cmd[0], cmd);
        fprintf(stderr, PROG ": cannot run %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    close(fds[0]);
    *gate = fds[1];
    return pid;
}
