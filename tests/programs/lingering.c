/*
 * lingering.c — blocks of known age for the lingering-blocks records.
 *
 *   lingering MS    keep 50 blocks of 1000 bytes (from keep_old), sleep MS
 *                   milliseconds, then allocate 7 blocks of 500 bytes (from
 *                   keep_young) and exit without freeing anything.
 *
 * Under MAPSCOPE_LINGER shorter than MS (and well above the time the young
 * blocks live), the exit dump's LINGER records hold exactly the 50 old
 * blocks, 50000 bytes, on keep_old's stack, and nothing from keep_young.
 * Used by tests/shim/snapshots.sh.
 */
#define _GNU_SOURCE
#include <stdlib.h>
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

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 1500;
    for (int i = 0; i < 50; i++)
        keep_old();
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    for (int i = 0; i < 7; i++)
        keep_young();
    return 0;
}
