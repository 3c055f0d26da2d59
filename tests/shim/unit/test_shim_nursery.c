/*
 * test_shim_nursery.c — which nursery slot a block takes.
 *
 * The nursery (lib/nursery.c) is direct-mapped by address: a block whose
 * slot is taken pushes the older block into the map.  Allocators hand out
 * blocks at 8-byte spacing (jemalloc's and tcmalloc's 8-byte class: the
 * allocator of Debian's redis-server), so neighbours 8 bytes apart must
 * not share a slot, or every request of a server like redis costs a map
 * insert and delete; and glibc's 16-byte aligned chunks keep the slots
 * the nursery's figures were measured with.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../check_run.h"
#include "nursery.h"

#define NSLOTS (1u << MS_NURSERY_BITS)

static size_t slot_of(uintptr_t a)
{
    return ms_nursery_index((const void *)a);
}

/* A slab of 8-byte blocks (8 KiB of them, one jemalloc run): every block
 * its own slot, at several bases. */
START_TEST(eight_byte_neighbours)
{
    static uint8_t used[NSLOTS];
    const uintptr_t bases[] = {0x7f3401d80000u, 0x7f3401d92000u, 0x5555555a1008u, 0x7ffff7a3c0e8u};
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        memset(used, 0, sizeof used);
        for (uintptr_t off = 0; off < 8192; off += 8) {
            size_t s = slot_of(bases[b] + off);
            ck_assert_uint_lt(s, NSLOTS);
            ck_assert_msg(!used[s], "blocks at %#lx and an 8-byte neighbour share slot %zu",
                          (unsigned long)(bases[b] + off), s);
            used[s] = 1;
        }
    }
}
END_TEST

/* 16-byte aligned addresses (glibc): slot = (a >> 4) ^ (a >> 14), the
 * slots the nursery's figures were measured with. */
START_TEST(sixteen_byte_chunks)
{
    const uintptr_t bases[] = {0x5555555c0000u, 0x7f3401d92010u};
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
        for (uintptr_t i = 0; i < 4 * NSLOTS; i++) {
            uintptr_t a = bases[b] + 16 * i;
            ck_assert_uint_eq(slot_of(a), ((a >> 4) ^ (a >> 14)) & (NSLOTS - 1));
        }
}
END_TEST

int main(void)
{
    const TTest *tests[] = {eight_byte_neighbours, sixteen_byte_chunks};
    Suite *s = suite_create("shim_nursery");
    ms_check_case(s, "slots", NULL, NULL, tests, sizeof tests / sizeof *tests);
    return ms_check_run(s, 1);
}
