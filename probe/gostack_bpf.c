/*
 * gostack_bpf.c — a probe event's user stack, from the BPF stack map.  The one
 * place the trackers touch libbpf, so they can be unit-tested without it.
 */
#include "config.h"

#include <string.h>
#include <bpf/bpf.h>

#include "gosite.h"

int ms_gm_stack_lookup(int stacks_fd, int id, uint64_t out[GOMAP_STACK_DEPTH])
{
    unsigned int key = (unsigned int)id;
    memset(out, 0,
           GOMAP_STACK_DEPTH * sizeof out[0]); /* the kernel fills it; valgrind cannot see */
    if (stacks_fd < 0 || id < 0)
        return -1;
    return bpf_map_lookup_elem(stacks_fd, &key, out) == 0 ? 0 : -1;
}
