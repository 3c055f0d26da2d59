/*
 * hash.c — random seeds for the map engine's hash (see hash.h).
 *
 * getrandom(2) with GRND_NONBLOCK: inside an LD_PRELOAD shim the first map
 * may be created before the program's main(), possibly before the kernel's
 * entropy pool is ready; blocking there would hang the profiled program.
 */
#include "hash.h"

#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

uint64_t ms_hash_random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    /* Not cryptographic, only different from run to run and map to map. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    static uint64_t counter;
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
    x ^= (uint64_t)(uintptr_t)&seed ^ ((uint64_t)getpid() << 16);
    x += __atomic_add_fetch(&counter, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
    return ms_mix64(x);
}
