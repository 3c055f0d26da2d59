/*
 * fork_tree.c — a master and its forked workers, like a pre-forking
 * service: every process keeps some blocks and sleeps, the workers
 * optionally drop privileges first (setgid, setgroups, setuid, as nginx
 * and memcached -u do).
 *
 *   fork_tree WORKERS SECONDS [USER [raw]]
 *
 * With "raw" the workers change their ids with the raw system calls, which
 * no library sees (the shim cannot prepare for them).
 *
 * Prints "worker PID" per worker; exits 0 when every worker exited 0.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *keep[64]; /* global: the compiler must keep the allocations */

static void hold(int n, size_t size)
{
    for (int i = 0; i < n && i < 64; i++)
        keep[i] = malloc(size);
}

static int worker(double secs, const char *user, bool raw)
{
    if (user && raw) {
        struct passwd *pw = getpwnam(user);
        if (!pw || syscall(SYS_setresgid, pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
            syscall(SYS_setresuid, pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
            perror("dropping privileges");
            return 3;
        }
    } else if (user) {
        struct passwd *pw = getpwnam(user);
        if (!pw || setgid(pw->pw_gid) != 0 || setgroups(0, NULL) != 0 || setuid(pw->pw_uid) != 0) {
            perror("dropping privileges");
            return 3;
        }
    }
    hold(20, 100);
    usleep((useconds_t)(secs * 1e6));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fork_tree WORKERS SECONDS [USER]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    double secs = atof(argv[2]);
    const char *user = argc > 3 ? argv[3] : NULL;
    bool raw = argc > 4 && !strcmp(argv[4], "raw");
    setvbuf(stdout, NULL, _IOLBF, 0);
    hold(10, 1000);
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            exit(worker(secs, user, raw));
        if (p < 0) {
            perror("fork");
            return 2;
        }
        printf("worker %d\n", (int)p);
    }
    int bad = 0, st;
    while (wait(&st) > 0)
        bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    return bad;
}
