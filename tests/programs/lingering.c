/*
 * lingering.c — blocks of known age for the lingering-blocks records.
 *
 *   lingering MS [thread]
 *                   keep 50 blocks of 1000 bytes (from keep_old), sleep MS
 *                   milliseconds, then allocate 7 blocks of 500 bytes (from
 *                   keep_young) and exit without freeing anything.  With
 *                   `thread`, a thread is started and joined first, so the
 *                   process has had threads of its own (the shim's helper
 *                   keeps the birth tick then: lib/helper.c).
 *                   Prints the threads it has at the end ("threads N" and
 *                   their names, sorted, from /proc/self/task).
 *
 * Under MAPSCOPE_LINGER shorter than MS (and well above the time the young
 * blocks live), the exit dump's LINGER records hold exactly the 50 old
 * blocks, 50000 bytes, on keep_old's stack, and nothing from keep_young.
 * Used by tests/shim/snapshots.sh.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *volatile sink;

__attribute__((noinline)) static void keep_old(void)
{
    sink = malloc(1000);
}

__attribute__((noinline)) static void keep_young(void)
{
    sink = malloc(500);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 1500;
    if (argc > 2 && strcmp(argv[2], "thread") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 2;
    }
    for (int i = 0; i < 50; i++)
        keep_old();
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    for (int i = 0; i < 7; i++)
        keep_young();
    /* "threads N NAME..." (names sorted: the order of the directory is not
     * the order of creation) */
    int threads = 0;
    char names[8][32];
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (threads < 8) {
            names[threads][0] = 0;
            if (f && fgets(names[threads], sizeof names[threads], f))
                names[threads][strcspn(names[threads], "\n")] = 0;
        }
        if (f)
            fclose(f);
        threads++;
    }
    if (d)
        closedir(d);
    qsort(names, threads < 8 ? threads : 8, sizeof names[0], by_name);
    printf("threads %d", threads);
    for (int i = 0; i < threads && i < 8; i++)
        printf(" %s", names[i]);
    printf("\n");
    return 0;
}
