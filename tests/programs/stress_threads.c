/*
 * stress_threads.c — threads hammering the allocator, for exact totals.
 *
 *   stress_threads -t THREADS -n OPS [-x] [-f FORKS]
 *
 * Each thread does OPS operations on a ring of 1024 slots: malloc, free,
 * realloc (grow and shrink), calloc, in a fixed pattern, then frees all but
 * LEAK blocks of LEAK_SIZE bytes.  The program prints the totals the dump
 * must show (allocations, frees, blocks and bytes in use) on one line.
 *   -x   exit(0) from main while the threads are still allocating (no
 *        expected totals then: the point is not to crash or hang)
 *   -f N main forks N children while the threads run; each child execs
 *        /bin/true (half of them) or exits through exit(0) after a malloc
 *        (the other half); main waits for them all
 *   -d N main dlopens and dlcloses libz N times while the threads run (the
 *        loader's lock against the shim's unwinder, which reads the
 *        loaded objects' unwind tables)
 *   -p   instead of the above, pairs of threads: a producer allocates OPS
 *        blocks and hands them over a ring to a consumer, which reallocs
 *        every 4th and frees them all (blocks freed by a thread other than
 *        the one that allocated them, most of them still young); prints
 *        the same expect line (everything freed)
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RING      1024
#define LEAK      7
#define LEAK_SIZE 33

static long ops = 100000;
static int forever;

struct result {
    uint64_t allocs, frees, bytes_in_use;
};

static void *worker(void *arg)
{
    struct result *res = arg;
    void *ring[RING] = {0};
    size_t sizes[RING] = {0};
    uint64_t allocs = 0, frees = 0;
    for (long i = 0; forever || i < ops; i++) {
        unsigned k = (unsigned)(i * 7) % RING;
        size_t sz = 8 + (size_t)(i % 509);
        switch (i % 5) {
        case 0:
        case 1:
            if (ring[k]) {
                free(ring[k]);
                frees++;
            }
            ring[k] = malloc(sz);
            allocs++;
            break;
        case 2:
            if (ring[k]) {
                /* realloc of a live block: one free plus one allocation */
                ring[k] = realloc(ring[k], sz * 2);
                frees++;
            } else {
                ring[k] = realloc(NULL, sz * 2);
            }
            sz *= 2;
            allocs++;
            break;
        case 3:
            if (ring[k]) {
                free(ring[k]);
                frees++;
            }
            ring[k] = calloc(1, sz);
            allocs++;
            break;
        default:
            if (ring[k]) {
                free(ring[k]);
                frees++;
                ring[k] = NULL;
            }
            continue;
        }
        if (!ring[k])
            abort();
        sizes[k] = sz;
        ((char *)ring[k])[0] = (char)i;
    }
    for (unsigned k = 0; k < RING; k++) {
        if (ring[k]) {
            free(ring[k]);
            frees++;
        }
    }
    uint64_t bytes = 0;
    for (int j = 0; j < LEAK; j++) {
        void *volatile leak = malloc(LEAK_SIZE);
        (void)leak;
        allocs++;
        bytes += LEAK_SIZE;
    }
    (void)sizes;
    res->allocs = allocs;
    res->frees = frees;
    res->bytes_in_use = bytes;
    return NULL;
}

/* Producer/consumer pairs: a single-producer single-consumer ring. */
#define QLEN 256
struct pc {
    void *q[QLEN];
    _Atomic unsigned long head, tail;
    struct result res;
};

static void *producer(void *arg)
{
    struct pc *pc = arg;
    for (long i = 0; i < ops; i++) {
        while (pc->head - atomic_load(&pc->tail) == QLEN)
            ;
        void *p = malloc(16 + (size_t)(i % 200));
        if (!p)
            abort();
        pc->q[pc->head % QLEN] = p;
        atomic_fetch_add(&pc->head, 1);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct pc *pc = arg;
    uint64_t allocs = 0, frees = 0;
    for (long i = 0; i < ops; i++) {
        while (atomic_load(&pc->head) == pc->tail)
            ;
        void *p = pc->q[pc->tail % QLEN];
        atomic_fetch_add(&pc->tail, 1);
        if (i % 4 == 0) {
            p = realloc(p, 300); /* a free (of the producer's block) and an allocation */
            if (!p)
                abort();
            allocs++;
            frees++;
        }
        free(p);
        frees++;
    }
    pc->res.allocs = allocs;
    pc->res.frees = frees;
    return NULL;
}

static int producer_consumer(int pairs)
{
    pthread_t t[64];
    static struct pc pcs[32];
    for (int i = 0; i < pairs; i++) {
        pthread_create(&t[2 * i], NULL, producer, &pcs[i]);
        pthread_create(&t[2 * i + 1], NULL, consumer, &pcs[i]);
    }
    uint64_t allocs = 0, frees = 0;
    for (int i = 0; i < 2 * pairs; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < pairs; i++) {
        allocs += (uint64_t)ops + pcs[i].res.allocs;
        frees += pcs[i].res.frees;
    }
    printf("expect allocations=%llu frees=%llu inuse_blocks=%llu inuse_bytes=0\n",
           (unsigned long long)allocs, (unsigned long long)frees,
           (unsigned long long)(allocs - frees));
    return 0;
}

int main(int argc, char **argv)
{
    int nthreads = 2, forks = 0, pc = 0, dl = 0, opt;
    while ((opt = getopt(argc, argv, "t:n:xf:pd:")) != -1) {
        if (opt == 't')
            nthreads = atoi(optarg);
        else if (opt == 'n')
            ops = atol(optarg);
        else if (opt == 'x')
            forever = 1;
        else if (opt == 'f')
            forks = atoi(optarg);
        else if (opt == 'p')
            pc = 1;
        else if (opt == 'd')
            dl = atoi(optarg);
        else
            return 2;
    }
    if (nthreads < 1 || nthreads > 64)
        return 2;
    if (pc)
        return producer_consumer(nthreads / 2 > 0 ? nthreads / 2 : 1);
    pthread_t t[64];
    struct result res[64];
    memset(res, 0, sizeof res);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, &res[i]);
    if (forever) {
        usleep(200000);
        exit(0); /* while the threads allocate */
    }
    for (int i = 0; i < dl; i++) {
        void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h)
            return 5;
        if (!dlsym(h, "crc32"))
            return 6;
        dlclose(h);
    }
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (i % 2 == 0) {
                execl("/bin/true", "true", (char *)NULL);
                _exit(127);
            }
            void *volatile p = malloc(100);
            free(p);
            exit(0);
        }
        if (pid < 0)
            return 3;
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 4;
    }
    uint64_t allocs = 0, frees = 0, bytes = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        allocs += res[i].allocs;
        frees += res[i].frees;
        bytes += res[i].bytes_in_use;
    }
    printf("expect allocations=%llu frees=%llu inuse_blocks=%llu inuse_bytes=%llu\n",
           (unsigned long long)allocs, (unsigned long long)frees,
           (unsigned long long)(allocs - frees), (unsigned long long)bytes);
    return 0;
}
