/*
 * reach_waitpid.c — a pre-forking service's child reaping, to check that
 * the shim's reachability scan (its stopper and scanner processes) is
 * never seen by the program: nginx's master reaps in its SIGCHLD handler
 * with waitpid(-1, WNOHANG) and logs any pid it did not fork.
 *
 *   reach_waitpid SECONDS [SIGNAL]
 *
 * For SECONDS the main thread forks short-lived children (each allocates,
 * sometimes asks for a snapshot of its own, and exits through exit(), so
 * its exit dump scans; some are killed instead) while a second thread
 * allocates, and, with SIGNAL (the shim's MAPSCOPE_SIGNAL number), asks for
 * snapshots of itself all along.  Every wait result and every SIGCHLD's
 * sender is checked against the pids this program forked.
 *
 * Now and then SIGUSR1 goes to the whole process group (its own), as a
 * master signals its workers.  The program's handlers must run only in
 * the processes it made.
 *
 * Prints a line starting "reach_waitpid: " for each wrong thing seen, in
 * whichever process saw it ("unknown pid N status S", "SIGCHLD from
 * unknown pid N", "... handler ran in pid N"), then a summary; exits 1
 * when the main process saw any.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXKIDS 65536

static pid_t kids[MAXKIDS];
static volatile sig_atomic_t nkids, live;
static volatile sig_atomic_t unknown, foreign_sigchld, reaped, pings;
static pid_t me; /* this process: set again in each child */
static atomic_int stop;

static int ours(pid_t pid)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] == pid)
            return 1;
    return 0;
}

/* Async-signal-safe: a line with two numbers, by write(2). */
static void say(const char *what, long a, const char *mid, long b)
{
    char buf[160], num[24];
    size_t n = 0;
    const char *parts[4] = {what, NULL, mid, NULL};
    long nums[2] = {a, b};
    for (int p = 0; p < 4; p++) {
        const char *s = parts[p];
        if (!s) {
            long v = nums[p / 2];
            int k = 0;
            unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;
            do
                num[k++] = (char)('0' + u % 10);
            while ((u /= 10) && k < 22);
            if (v < 0)
                num[k++] = '-';
            while (k && n < sizeof buf - 2)
                buf[n++] = num[--k];
            continue;
        }
        while (*s && n < sizeof buf - 2)
            buf[n++] = *s++;
    }
    buf[n++] = '\n';
    ssize_t r = write(2, buf, n);
    (void)r;
}

static void check(pid_t pid, int status)
{
    if (ours(pid)) {
        reaped++;
        live--;
        return;
    }
    unknown++;
    say("reach_waitpid: unknown pid ", pid, " status ", status);
}

/* A handler of this program must run only in a process it made. */
static int alien(const char *which)
{
    pid_t p = getpid();
    if (p == me)
        return 0;
    say(which, p, " is not ", me);
    return 1;
}

/* nginx's ngx_process_get_status, in short. */
static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    int saved = errno;
    alien("reach_waitpid: SIGCHLD handler ran in pid ");
    if (si->si_code != SI_USER && si->si_code != SI_QUEUE && si->si_pid > 0 && !ours(si->si_pid)) {
        foreign_sigchld++;
        say("reach_waitpid: SIGCHLD from unknown pid ", si->si_pid, " code ", si->si_code);
    }
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0)
            break;
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        check(pid, status);
    }
    errno = saved;
}

/* A signal to the whole process group, as a master sends its workers. */
static void on_usr1(int sig)
{
    (void)sig;
    int saved = errno;
    if (!alien("reach_waitpid: SIGUSR1 handler ran in pid "))
        pings++;
    errno = saved;
}

static void *allocator(void *arg)
{
    (void)arg;
    void *keep[64] = {0};
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        free(keep[i % 64]);
        keep[i % 64] = malloc(16 + i % 512);
        if (i % 1024 == 0)
            usleep(100);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

static void child(int snap_sig, unsigned n)
{
    void *volatile p[16];
    for (int i = 0; i < 16; i++)
        p[i] = malloc(64 + (size_t)i * 32);
    if (snap_sig && n % 3 == 0)
        kill(getpid(), snap_sig);
    struct timespec ts = {0, (long)(n % 7) * 1000000};
    nanosleep(&ts, NULL);
    free(p[0]);
    exit(0); /* the exit dump (and its scan) runs */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: reach_waitpid SECONDS [SIGNAL]\n");
        return 2;
    }
    double secs = atof(argv[1]);
    int snap_sig = argc > 2 ? atoi(argv[2]) : 0;

    me = getpid();
    setpgid(0, 0); /* its own group: the group signals below stay in it */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);

    /* Only the main thread reaps (the allocator inherits SIGCHLD blocked),
     * so a child is in kids[] before its status can be looked at. */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, allocator, NULL)) {
        fprintf(stderr, "reach_waitpid: pthread_create failed\n");
        return 2;
    }
    pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
    sigset_t forking = chld;
    sigaddset(&forking, SIGUSR1);

    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned n = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (el >= secs || nkids >= MAXKIDS)
            break;
        if (live < 4) {
            /* Until the child knows its pid and the parent its child. */
            pthread_sigmask(SIG_BLOCK, &forking, &old);
            pid_t pid = fork();
            if (pid == 0) {
                me = getpid();
                pthread_sigmask(SIG_SETMASK, &old, NULL);
                child(snap_sig, n);
            }
            if (pid > 0) {
                kids[nkids] = pid;
                nkids++;
                live++;
                if (n % 5 == 4)
                    kill(pid, SIGTERM);
            }
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            n++;
        }
        if (snap_sig && n % 2 == 0)
            kill(getpid(), snap_sig);
        if (n % 8 == 0)
            kill(0, SIGUSR1);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    /* The rest, blocking, as a master does at its exit. */
    pthread_sigmask(SIG_BLOCK, &chld, NULL);
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        check(pid, status);
    }
    printf("reach_waitpid: pid %d forked %d reaped %d unknown %d foreign_sigchld %d\n", (int)me,
           (int)nkids, (int)reaped, (int)unknown, (int)foreign_sigchld);
    return unknown || foreign_sigchld || reaped != nkids ? 1 : 0;
}
