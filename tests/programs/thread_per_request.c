/*
 * thread_per_request.c — a thread-per-request server's allocation pattern,
 * without the network: what a thread costs under the shim.
 *
 *   thread_per_request [-n THREADS] [-a ALLOCS] [-p PARALLEL] [-c]
 *
 * Starts THREADS threads (default 3000) one after another; each serves one
 * "request" (ALLOCS allocations of 16 to 4 KiB, default 40, most freed
 * before the thread returns, one handed to the main thread) and exits;
 * main joins it and frees what it handed over (a block freed by a thread
 * other than the one that made it, after that thread is gone).  -p runs
 * PARALLEL threads at a time (default 1).  -c prints the totals the
 * request function's stacks must show in the dump (the stress test).
 *
 * The point is the per-thread fixed cost (the shim's per-thread block:
 * mapping, page faults, registration, the drain at exit), so each thread
 * does little work, as a short request does.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long allocs_per_thread = 40;

static void *request(void *arg)
{
    (void)arg;
    void *keep[64];
    long n = allocs_per_thread < 64 ? allocs_per_thread : 64;
    for (long i = 0; i < n; i++) {
        size_t sz = 16 + (size_t)((i * 97) % 4080);
        keep[i] = malloc(sz);
        if (keep[i])
            memset(keep[i], (int)i, 16);
    }
    for (long i = 1; i < n; i++)
        free(keep[i]);
    return n > 0 ? keep[0] : NULL; /* the response, freed by main */
}

int main(int argc, char **argv)
{
    long threads = 3000;
    long parallel = 1;
    int check = 0, opt;
    while ((opt = getopt(argc, argv, "n:a:p:c")) != -1) {
        switch (opt) {
        case 'n':
            threads = strtol(optarg, NULL, 10);
            break;
        case 'a':
            allocs_per_thread = strtol(optarg, NULL, 10);
            break;
        case 'p':
            parallel = strtol(optarg, NULL, 10);
            break;
        case 'c':
            check = 1;
            break;
        default:
            fprintf(stderr,
                    "usage: thread_per_request [-n THREADS] [-a ALLOCS 0..64] [-p 1..256] [-c]\n");
            return 2;
        }
    }
    if (threads < 0 || allocs_per_thread < 0 || allocs_per_thread > 64 || parallel < 1 ||
        parallel > 256) {
        fprintf(stderr, "thread_per_request: -n must be >= 0, -a within 0..64, -p within 1..256\n");
        return 2;
    }
    for (long t = 0; t < threads; t += parallel) {
        pthread_t th[256];
        long k, n = threads - t < parallel ? threads - t : parallel;
        for (k = 0; k < n; k++)
            if (pthread_create(&th[k], NULL, request, NULL) != 0) {
                perror("thread_per_request: pthread_create");
                return 1;
            }
        for (k = 0; k < n; k++) {
            void *resp = NULL;
            pthread_join(th[k], &resp);
            free(resp);
        }
    }
    if (check)
        printf("expect allocations=%ld frees=%ld inuse_blocks=0 inuse_bytes=0\n",
               threads * allocs_per_thread, threads * allocs_per_thread);
    return 0;
}
