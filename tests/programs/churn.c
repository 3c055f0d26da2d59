/*
 * churn.c — an allocation-churn workload for the shim's benchmark and
 * stress tests.
 *
 *   churn [-t THREADS] [-n OPS_PER_THREAD] [-s STACK_BITS] [-l LIVE] [-k]
 *
 * Each thread keeps a ring of LIVE blocks; each operation frees the oldest
 * and allocates a new one of a pseudo-random size (16 B to 4 KiB, a few
 * larger) from one of 2^STACK_BITS distinct call stacks (a path of
 * STACK_BITS calls through two different functions, chosen by the bits of a
 * random number), and writes to it.  Every 8th operation is a realloc.  At
 * the end every block is freed, unless -k (keep) is given: then the LIVE
 * blocks of each thread are still live at exit (to measure the books' cost
 * per live block from the exit dump).  Prints one line: the checksum of what it
 * wrote (so the work cannot be optimised away) — identical with and without
 * the shim.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long ops = 1000000, live = 4096;
static int bits = 12, threads = 1, keep;

struct ctx {
    uint64_t rng, sum;
    void **ring;
};

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t pick_size(uint64_t r)
{
    if ((r & 63) == 0)
        return 4096 + (r >> 8) % 60000;
    return 16 + (r >> 8) % 4080;
}

__attribute__((noinline, noipa)) static void *path(int depth, uint64_t route, size_t size,
                                                   void *old);

__attribute__((noinline, noipa)) static void *go_left(int depth, uint64_t route, size_t size,
                                                      void *old)
{
    void *p = path(depth - 1, route >> 1, size, old);
    __asm__ volatile("" ::: "memory");
    return p;
}

__attribute__((noinline, noipa)) static void *go_right(int depth, uint64_t route, size_t size,
                                                       void *old)
{
    void *p = path(depth - 1, route >> 1, size, old);
    __asm__ volatile("" ::: "memory");
    return p;
}

__attribute__((noinline, noipa)) static void *path(int depth, uint64_t route, size_t size,
                                                   void *old)
{
    if (depth == 0) {
        void *p = old ? realloc(old, size) : malloc(size);
        __asm__ volatile("" ::: "memory");
        return p;
    }
    return (route & 1) ? go_left(depth, route, size, old) : go_right(depth, route, size, old);
}

static void *worker(void *arg)
{
    struct ctx *c = arg;
    for (long i = 0; i < ops; i++) {
        long k = i % live;
        uint64_t r = next(&c->rng);
        size_t size = pick_size(r);
        void *old = c->ring[k];
        unsigned char *p;
        if ((i & 7) == 7 && old) {
            p = path(bits, r >> 20, size, old);
        } else {
            free(old);
            p = path(bits, r >> 20, size, NULL);
        }
        if (!p) {
            fprintf(stderr, "churn: out of memory\n");
            exit(1);
        }
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)r;
        c->sum += p[0] + p[size / 2];
        c->ring[k] = p;
    }
    if (!keep)
        for (long k = 0; k < live; k++)
            free(c->ring[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "t:n:s:l:k")) != -1) {
        switch (opt) {
        case 't':
            threads = atoi(optarg);
            break;
        case 'n':
            ops = atol(optarg);
            break;
        case 's':
            bits = atoi(optarg);
            break;
        case 'l':
            live = atol(optarg);
            break;
        case 'k':
            keep = 1;
            break;
        default:
            fprintf(stderr, "usage: churn [-t threads] [-n ops] [-s stack_bits] [-l live] [-k]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 64 || ops < 1 || bits < 0 || bits > 20 || live < 1) {
        fprintf(stderr, "churn: bad arguments\n");
        return 2;
    }
    struct ctx *cs = calloc((size_t)threads, sizeof *cs);
    pthread_t *ts = calloc((size_t)threads, sizeof *ts);
    for (int t = 0; t < threads; t++) {
        cs[t].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1);
        cs[t].ring = calloc((size_t)live, sizeof(void *));
        pthread_create(&ts[t], NULL, worker, &cs[t]);
    }
    uint64_t sum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ts[t], NULL);
        sum += cs[t].sum;
        if (!keep)
            free(cs[t].ring);
    }
    printf("churn: checksum %llu\n", (unsigned long long)sum);
    free(cs);
    free(ts);
    return 0;
}
