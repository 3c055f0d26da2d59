/*
 * fd_numbers.c — a program that counts on knowing which descriptor numbers
 * are free, as Python's test_subprocess does (it closes 0, 1 and 2, runs a
 * child, then puts them back with dup2) and as daemons do.
 *
 * It closes its stdin and, ROUNDS times: allocates, raises SIGNAL (under
 * MAPSCOPE_SIGNAL the shim's helper thread writes a snapshot at once),
 * watches descriptors 0..63 for 20 ms — any that turns up was not open
 * when the watch began, so someone else opened it ("taken") —,
 * then puts stdin back on 0 with dup2, checks it is stdin, and closes it
 * again (a close that fails means someone closed it: "stolen").
 * Prints "rounds=N taken=T stolen=S"; exit status 1 when T or S is not 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Descriptors open before the watch (inherited, stdout, stderr, saved). */
static char known[64];

/* Descriptors in 0..63 that were not open when the watch began. */
static int strangers(void)
{
    int n = 0;
    for (int fd = 0; fd < 64; fd++) {
        if (known[fd] || fcntl(fd, F_GETFD) == -1)
            continue;
        char link[64], target[256];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t k = readlink(link, target, sizeof target - 1);
        target[k > 0 ? k : 0] = '\0';
        fprintf(stderr, "fd_numbers: descriptor %d appeared: %s\n", fd, target);
        n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 40;
    int sig = argc > 2 ? atoi(argv[2]) : SIGUSR2;
    int saved = dup(0);
    struct stat want, st;
    if (saved < 0 || fstat(saved, &want) != 0) {
        perror("fd_numbers: dup(0)");
        return 2;
    }
    close(0);
    for (int fd = 0; fd < 64; fd++)
        known[fd] = fcntl(fd, F_GETFD) != -1;
    int taken = 0, stolen = 0;
    enum { N = 4000 };
    static void *blocks[N];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++) {
            free(blocks[i]);
            blocks[i] = malloc(16 + (size_t)(i * 37 + r) % 400);
        }
        raise(sig);
        for (uint64_t end = now_ms() + 20; now_ms() < end;)
            taken += strangers();
        if (dup2(saved, 0) != 0 || fstat(0, &st) != 0 || st.st_dev != want.st_dev ||
            st.st_ino != want.st_ino)
            stolen++;
        usleep(1000);
        if (close(0) != 0) {
            fprintf(stderr, "fd_numbers: close(0): %s\n", strerror(errno));
            stolen++;
        }
    }
    for (int i = 0; i < N; i++)
        free(blocks[i]);
    printf("rounds=%d taken=%d stolen=%d\n", rounds, taken, stolen);
    return taken || stolen;
}
