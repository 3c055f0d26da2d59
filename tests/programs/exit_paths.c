/*
 * exit_paths.c — processes that leave without running destructors.
 *
 *   exit_paths _exit    leak 3 blocks of 64 bytes, then _exit(0)
 *   exit_paths _Exit    the same with _Exit(0)
 *   exit_paths vfork    vfork; the child calls _exit(7) at once (it shares
 *                       the parent's memory: it must write no dump and
 *                       change nothing of the parent's books); the parent
 *                       checks the status, leaks 2 blocks and returns
 *   exit_paths fork     fork; the child leaks 4 blocks and leaves with
 *                       _exit(0) (its own dump, its own pid); the parent
 *                       leaks 1 block and returns
 *
 * Used by tests/shim/fork_exec.sh.  Prints nothing unless something fails
 * (exit status 1).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile sink;

__attribute__((noinline)) static void leak(int n, size_t size)
{
    for (int i = 0; i < n; i++)
        sink = malloc(size);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "_exit")) {
        leak(3, 64);
        _exit(0);
    }
    if (!strcmp(mode, "_Exit")) {
        leak(3, 64);
        _Exit(0);
    }
    if (!strcmp(mode, "vfork") || !strcmp(mode, "fork")) {
        int is_vfork = mode[0] == 'v';
        pid_t pid = is_vfork ? vfork() : fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            if (!is_vfork)
                leak(4, 32);
            _exit(is_vfork ? 7 : 0);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
            WEXITSTATUS(st) != (is_vfork ? 7 : 0)) {
            fprintf(stderr, "exit_paths: child status %#x\n", st);
            return 1;
        }
        leak(is_vfork ? 2 : 1, 16);
        return 0;
    }
    fprintf(stderr, "usage: exit_paths _exit|_Exit|vfork|fork\n");
    return 1;
}
