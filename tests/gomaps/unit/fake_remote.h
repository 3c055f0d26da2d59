/*
 * fake_remote.h — a target's memory for the trackers' unit tests: regions at
 * chosen addresses, read through the trackers' remote-reader interface, and the
 * BPF stack map standing empty.  Included by one test file each (static state).
 */
#ifndef MS_FAKE_REMOTE_H
#define MS_FAKE_REMOTE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gosite.h"

/* ------------------------------------------------------------ fake memory -- */

#define REGIONS 64
static struct region {
    uint64_t addr;
    uint8_t *bytes;
    size_t len;
} mem[REGIONS];
static size_t nmem;

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < nmem; i++)
        if (addr >= mem[i].addr && addr + len <= mem[i].addr + mem[i].len) {
            memcpy(buf, mem[i].bytes + (addr - mem[i].addr), len);
            return 0;
        }
    return -1;
}

/* The trackers' remote reader over the fake memory. */
static const struct ms_remote fake_remote = {fake_read, NULL, NULL};

static uint8_t *region(uint64_t addr, size_t len)
{
    ck_assert_uint_lt(nmem, REGIONS);
    mem[nmem] = (struct region){addr, calloc(1, len), len};
    return mem[nmem++].bytes;
}

static void reset_mem(void)
{
    for (size_t i = 0; i < nmem; i++)
        free(mem[i].bytes);
    nmem = 0;
}

/* The BPF stack map, as the tracker sees it in tests: no stacks. */
int ms_gm_stack_lookup(int stacks_fd, int id, uint64_t out[GOMAP_STACK_DEPTH])
{
    (void)stacks_fd;
    (void)id;
    memset(out, 0, GOMAP_STACK_DEPTH * sizeof out[0]);
    return -1;
}

static void put(uint8_t *p, unsigned off, uint64_t v, unsigned n)
{
    memcpy(p + off, &v, n);
}

#endif /* MS_FAKE_REMOTE_H */
