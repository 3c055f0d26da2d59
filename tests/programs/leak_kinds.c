/*
 * leak_kinds.c — a program with one heap block (or structure) of each of
 * valgrind's leak kinds, for tests/shim/leak_kinds.sh, which checks the
 * shim's verdict against `valgrind --leak-check=full` run on the same
 * program.  Sizes differ per case so that every figure names its case:
 *
 *   lk_global       100 B  still reachable (a global points to it)
 *   lk_lost         200 B  definitely lost (the only pointer is overwritten)
 *   lk_list         48 B head definitely lost, 2 x 56 B nodes indirectly lost
 *   lk_cycle        2 x 72 B pointing at each other, nothing else: one
 *                   definitely, one indirectly lost (valgrind's cliques)
 *   lk_interior     64 B  possibly lost (a global points 16 bytes in)
 *   lk_thread_stack 300 B still reachable: only in a blocked thread's stack
 *   lk_thread_reg   400 B still reachable: only in a blocked thread's
 *                   register r12 (x86_64; elsewhere on its stack)
 *   lk_tls          500 B still reachable: only in a thread-local variable
 *                   of another blocked thread
 *   lk_main_tls     520 B still reachable: only in the main thread's TLS
 *   lk_reach_tree   a reachable 32 B block pointing to a 40 B block:
 *                   both still reachable
 *   lk_dead_thread  700 B definitely lost: only in the stack of a thread
 *                   that has exited (glibc keeps the dead stack mapped in
 *                   its cache, with the pointer in it; valgrind does not
 *                   count what a dead thread left behind)
 *
 * The threads block and main exits: the exit dump sees them blocked.  With
 * the argument "wait", main first sleeps 2 s (a snapshot on request).  Stale copies of pointers are
 * scrubbed off the stacks so that neither tool sees a dead frame's copy.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LK __attribute__((noinline, used))

void *volatile lk_keep_global;
char *volatile lk_keep_interior;
void *volatile lk_keep_tree;
static __thread void *volatile lk_tls_slot;
static __thread void *volatile lk_main_tls_slot;
static int block_pipe[2];
static pthread_barrier_t ready;

/* Overwrite the stack below the caller, where dead frames left copies. */
LK static void scrub(void)
{
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

/* Stored with the bits flipped, so no word anywhere holds the pointer. */
static uintptr_t hide(void *p)
{
    return ~(uintptr_t)p;
}

LK void lk_global(void)
{
    lk_keep_global = malloc(100);
}

LK void lk_lost(void)
{
    void *volatile p = malloc(200);
    p = NULL;
    (void)p;
}

struct node {
    struct node *next;
    char pad[40];
};

LK void lk_list(void)
{
    struct node *volatile head = malloc(48);
    head->next = malloc(56);
    head->next->next = malloc(56);
    head->next->next->next = NULL;
    head = NULL;
}

LK void lk_cycle(void)
{
    void **a = malloc(72), **b = malloc(72);
    memset(a, 0, 72);
    memset(b, 0, 72);
    a[0] = b;
    b[0] = a;
}

LK void lk_interior(void)
{
    char *p = calloc(1, 64);
    lk_keep_interior = p + 16;
}

LK void lk_reach_tree(void)
{
    void **root = malloc(32);
    memset(root, 0, 32);
    root[0] = malloc(40);
    lk_keep_tree = root;
}

LK void lk_main_tls(void)
{
    lk_main_tls_slot = malloc(520);
}

/* Blocks forever in read() on a pipe nobody writes. */
static void block(void)
{
    char c;
    while (read(block_pipe[0], &c, 1) != 0) {
    }
    for (;;)
        pause();
}

LK void *lk_thread_stack(void *arg)
{
    (void)arg;
    void *volatile held = malloc(300);
    scrub();
    pthread_barrier_wait(&ready);
    block();
    return (void *)held;
}

LK static uintptr_t alloc_hidden(void)
{
    return hide(malloc(400));
}

LK void *lk_thread_reg(void *arg)
{
    (void)arg;
    uintptr_t h = alloc_hidden();
    scrub();
    pthread_barrier_wait(&ready);
#if defined(__x86_64__)
    /* The pointer exists only in r12 while this thread sits in read(2). */
    char c;
    for (;;) {
        long ret;
        __asm__ volatile("mov %[h], %%r12\n\t"
                         "not %%r12\n\t"
                         "syscall\n\t"
                         "xor %%r12, %%r12"
                         : "=a"(ret)
                         : [h] "r"(h), "0"(0L), "D"((long)block_pipe[0]), "S"(&c), "d"(1L)
                         : "r12", "rcx", "r11", "memory");
        if (ret == 0)
            break;
    }
#else
    void *volatile held = (void *)~h;
    block();
    (void)held;
#endif
    block();
    return NULL;
}

LK void *lk_dead_thread(void *arg)
{
    (void)arg;
    void *volatile held = malloc(700);
    (void)held;
    return NULL;
}

LK void *lk_tls(void *arg)
{
    (void)arg;
    lk_tls_slot = malloc(500);
    scrub();
    pthread_barrier_wait(&ready);
    block();
    return NULL;
}

int main(int argc, char **argv)
{
    if (pipe(block_pipe))
        return 1;
    pthread_barrier_init(&ready, NULL, 4);
    lk_global();
    lk_lost();
    lk_list();
    lk_cycle();
    lk_interior();
    lk_reach_tree();
    lk_main_tls();
    pthread_t t[3];
    pthread_create(&t[0], NULL, lk_thread_stack, NULL);
    pthread_create(&t[1], NULL, lk_thread_reg, NULL);
    pthread_create(&t[2], NULL, lk_tls, NULL);
    pthread_barrier_wait(&ready);
    pthread_t dead;
    pthread_create(&dead, NULL, lk_dead_thread, NULL);
    pthread_join(dead, NULL);
    /* Let every thread reach its read(2). */
    usleep(100000);
    if (argc > 1 && !strcmp(argv[1], "wait"))
        sleep(2); /* time for a snapshot on request */
    scrub();
    return 0;
}
