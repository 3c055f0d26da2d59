/*
 * fork_inherit.c — a fork tree whose processes each allocate known blocks, so
 * a test can tell every process's own figures from what it inherited.
 *
 * The parent allocates 10 blocks of 1000 bytes, then forks, without exec:
 *   A  frees 3 inherited blocks, allocates 2 x 50 and frees one; _exit(0)
 *   B  allocates 1 x 70 and forks C, waits for it; _exit(0)
 *   C  (B's child: a double fork) frees 1 block inherited from the parent
 *      and B's 70-byte block, allocates 1 x 90; exit(0) (destructors run)
 *   D  frees 1 inherited block, allocates 1 x 30; returns from main
 * The parent waits for all, frees 1 block and returns: 9 x 1000 leaked.
 *
 * Used by tests/shim/fork_inherit.sh.  Prints nothing unless something fails.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *inh[10];
void *volatile sink;

__attribute__((noinline)) static void *get(size_t size)
{
    void *p = malloc(size);
    sink = p;
    return p;
}

static int wait_ok(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void child_c(void *b_block)
{
    free(inh[3]);
    free(b_block);
    get(90);
    exit(0);
}

static void child_b(void)
{
    void *mine = get(70);
    pid_t c = fork();
    if (c == 0)
        child_c(mine);
    _exit(c > 0 && wait_ok(c) ? 0 : 1);
}

int main(void)
{
    for (int i = 0; i < 10; i++)
        inh[i] = get(1000);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] < 0) {
            perror("fork");
            return 1;
        }
        if (kids[k] > 0)
            continue;
        if (k == 0) { /* A */
            for (int i = 0; i < 3; i++)
                free(inh[i]);
            get(50);
            free(get(50));
            _exit(0);
        }
        if (k == 1)
            child_b();
        free(inh[4]); /* D */
        get(30);
        return 0;
    }
    for (int k = 0; k < 3; k++)
        if (!wait_ok(kids[k])) {
            fprintf(stderr, "fork_inherit: child %d failed\n", k);
            return 1;
        }
    free(inh[9]);
    return 0;
}
