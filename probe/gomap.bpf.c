// SPDX-License-Identifier: GPL-2.0
/*
 * gomap.bpf.c — uprobes on the Go runtime's rare map events.
 *
 * Arguments arrive in Go's register ABI (ABIInternal, amd64): integer args in
 * RAX, RBX, RCX, ...; R14 holds the current goroutine.  A uprobe hit costs
 * tens of microseconds on a VM, so only functions that run once per growth,
 * per bucket-array allocation, per sized make and per clear are probed, never
 * per-operation ones (mapassign, mapaccess, evacuate...).
 *
 * A Go function whose stack must grow is entered twice: its prologue calls
 * morestack, which copies the stack and restarts the function, so the entry
 * probe fires again with the same arguments.  Every probe records the last
 * hit per goroutine, and a hit identical to the previous one on the same
 * goroutine (same function, arguments and return address, within 50 ms) is
 * that re-entry and is dropped.  A genuine repeat cannot look like this:
 * hashGrow and mapclear always call makeBucketArray in between, and two
 * makemap calls are separated by their RET probes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "gomap_regs.h"
#include "gomap.h"

const volatile unsigned int target_tgid = 0;
const volatile unsigned int hdr_size = 48;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(key_size, sizeof(unsigned int));
    __uint(value_size, GOMAP_STACK_DEPTH * sizeof(unsigned long long));
    __uint(max_entries, 4096);
} stacks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, GOMAP_STAT_MAX);
    __type(key, unsigned int);
    __type(value, unsigned long long);
} stats SEC(".maps");

struct last_hit {
    unsigned long long kind, t, h, arg, caller, ts;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, unsigned long long); /* goroutine */
    __type(value, struct last_hit);
} last SEC(".maps");

static __always_inline void count(unsigned int idx)
{
    unsigned long long *v = bpf_map_lookup_elem(&stats, &idx);
    if (v)
        (*v)++;
}

static __always_inline int emit(struct pt_regs *ctx, unsigned int kind, unsigned long long t,
                                unsigned long long h, unsigned long long arg,
                                unsigned long long arg2)
{
    unsigned long long id = bpf_get_current_pid_tgid();
    if (target_tgid && (id >> 32) != target_tgid)
        return 0;
    count(kind);

    unsigned long long g = BPF_CORE_READ(ctx, r14), caller = 0;
    bpf_probe_read_user(&caller, sizeof caller, (void *)BPF_CORE_READ(ctx, sp));
    unsigned long long now = bpf_ktime_get_ns();
    struct last_hit cur = {kind, t, h, arg, caller, now};
    struct last_hit *prev = bpf_map_lookup_elem(&last, &g);
    if (prev && prev->kind == kind && prev->t == t && prev->h == h && prev->arg == arg &&
        prev->caller == caller && now - prev->ts < GOMAP_DEDUP_WINDOW_NS) {
        prev->ts = now;
        count(GOMAP_STAT_DUP);
        return 0;
    }
    bpf_map_update_elem(&last, &g, &cur, BPF_ANY);

    struct gomap_event *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
    if (!e) {
        count(GOMAP_STAT_LOST);
        return 0;
    }
    e->kind = kind;
    e->tid = (unsigned int)id;
    e->ts = now;
    e->g = g;
    e->t = t;
    e->h = h;
    e->arg = arg;
    e->arg2 = arg2;
    e->caller = caller;
    e->hdr_len = 0;
    unsigned int n = hdr_size;
    if (n > GOMAP_HDR_MAX)
        n = GOMAP_HDR_MAX;
    if (h && n && bpf_probe_read_user(e->hdr, n, (void *)h) == 0)
        e->hdr_len = n;
    e->stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    if (e->stack_id < 0)
        count(GOMAP_STAT_NOSTACK);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("uprobe")
int on_hashgrow(struct pt_regs *ctx)
{
    return emit(ctx, GOMAP_EV_GROW, BPF_CORE_READ(ctx, ax), BPF_CORE_READ(ctx, bx), 0, 0);
}

SEC("uprobe")
int on_bucket_array(struct pt_regs *ctx)
{
    return emit(ctx, GOMAP_EV_BUCKETS, BPF_CORE_READ(ctx, ax), 0, BPF_CORE_READ(ctx, bx) & 0xff,
                BPF_CORE_READ(ctx, cx));
}

SEC("uprobe")
int on_makemap_ret(struct pt_regs *ctx)
{
    return emit(ctx, GOMAP_EV_MAKEMAP, 0, BPF_CORE_READ(ctx, ax), 0, 0);
}

SEC("uprobe")
int on_mapclear(struct pt_regs *ctx)
{
    return emit(ctx, GOMAP_EV_CLEAR, BPF_CORE_READ(ctx, ax), BPF_CORE_READ(ctx, bx), 0, 0);
}

SEC("uprobe")
int on_newoverflow(struct pt_regs *ctx)
{
    return emit(ctx, GOMAP_EV_OVERFLOW, BPF_CORE_READ(ctx, bx), BPF_CORE_READ(ctx, ax),
                BPF_CORE_READ(ctx, cx), 0);
}

char LICENSE[] SEC("license") = "GPL";
