/*
 * fd_daemon.c — a daemon's use of descriptors, to check that the shim
 * holds none of the program's.
 *
 * Like a daemon it first closes every descriptor from 3 to 255, then
 * idles (the shim must not burn CPU on a descriptor it lost), then opens
 * socket pairs, which take the lowest free numbers (exactly those a shim
 * would have held), and talks over them: every message sent on one end
 * must arrive, whole and in order, at the other.  Between messages it
 * allocates from a function without unwind information (built below in
 * assembly without CFI), so libunwind has to validate memory while
 * unwinding its frames — the moment it used to read and write its pipe.
 *
 *   fd_daemon IDLE_MS ROUNDS
 *
 * Prints idle_cpu_ms (CPU time of the whole process while idle), the
 * messages sent, lost and wrong, and cpu_ms/wall_ms of the talking part;
 * stops at the first message lost or wrong, and then exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAIRS 3

/* void *nocfi_malloc(size_t n): calls malloc through a frame-pointer frame
 * that has no .eh_frame entry. */
void *nocfi_malloc(size_t n);
__asm__(".text\n"
        ".globl nocfi_malloc\n"
        ".type nocfi_malloc, @function\n"
        "nocfi_malloc:\n"
        "  push %rbp\n"
        "  mov %rsp, %rbp\n"
        "  call malloc@PLT\n"
        "  pop %rbp\n"
        "  ret\n"
        ".size nocfi_malloc, .-nocfi_malloc\n");

static long cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

static long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fd_daemon IDLE_MS ROUNDS\n");
        return 2;
    }
    int idle = atoi(argv[1]), rounds = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int fd = 3; fd < 256; fd++)
        close(fd);

    long c0 = cpu_ms();
    usleep((useconds_t)idle * 1000);
    printf("idle_cpu_ms=%ld idle_ms=%d\n", cpu_ms() - c0, idle);

    int sv[PAIRS][2];
    for (int p = 0; p < PAIRS; p++) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[p]) != 0) {
            perror("socketpair");
            return 2;
        }
    }
    printf("fds");
    for (int p = 0; p < PAIRS; p++)
        printf(" %d/%d", sv[p][0], sv[p][1]);
    printf("\n");

    long w0 = wall_ms();
    c0 = cpu_ms();
    int sent = 0, lost = 0, wrong = 0;
    for (int i = 0; i < rounds && !lost && !wrong; i++) {
        for (int p = 0; p < PAIRS; p++) {
            uint64_t msg = ((uint64_t)p << 32) | (uint32_t)i, got = 0;
            /* Each way: the shim's old pipe ends were at both parities. */
            int from = sv[p][i & 1], to = sv[p][!(i & 1)];
            if (write(from, &msg, sizeof msg) != sizeof msg) {
                perror("write");
                return 2;
            }
            sent++;
            struct pollfd pfd = {to, POLLIN, 0};
            size_t have = 0;
            while (have < sizeof got && poll(&pfd, 1, 2000) == 1) {
                ssize_t k = read(to, (char *)&got + have, sizeof got - have);
                if (k <= 0)
                    break;
                have += (size_t)k;
            }
            if (have < sizeof got)
                lost++;
            else if (got != msg)
                wrong++;
            /* Nothing else may have arrived. */
            pfd.revents = 0;
            if (poll(&pfd, 1, 0) == 1) {
                char junk[64];
                (void)!read(to, junk, sizeof junk);
                wrong++;
            }
        }
        free(nocfi_malloc(24 + (size_t)(i & 7) * 8));
        usleep(1000);
    }
    printf("messages=%d lost=%d wrong=%d cpu_ms=%ld wall_ms=%ld\n", sent, lost, wrong,
           cpu_ms() - c0, wall_ms() - w0);
    return lost || wrong ? 1 : 0;
}
