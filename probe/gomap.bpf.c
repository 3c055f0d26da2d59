// SPDX-License-Identifier: GPL-2.0
/*
 * gomap.bpf.c — uprobes on the Go runtime's rare map events.
 *
 * Arguments arrive in Go's register ABI (ABIInternal, amd64): integer args in
 * RAX, RBX, RCX, ...; R14 holds the current goroutine.  A uprobe hit costs
 * tens of microseconds on a VM, so per-operation functions (mapassign,
 * mapaccess, evacuate...) are never probed, and neither are the entries of
 * hashGrow or makeBucketArray: services grow thousands of small maps a second
 * (every map that outgrows its first bucket).  Instead one probe sits inside
 * makeBucketArray's large-array branch (16 buckets or more), which runs once
 * per growth, sized make or clear of a map worth following.  makemap is not
 * probed (it runs for every make with a size hint); a large sized make is found
 * by a heap scan the loader runs after this probe saw its array.  Never a
 * uretprobe: it corrupts Go stacks.
 *
 * When the branch cannot be found (or with --probe-entry) makeBucketArray's
 * entry is probed instead.  A Go function whose stack must grow is entered
 * twice there (its prologue calls morestack, which copies the stack and
 * restarts it), so an entry hit identical to the previous hit on the same
 * goroutine within 50 ms (same maptype, B and return address, same map: its
 * address, seed and bucket array) is that re-entry and is dropped.  A real
 * second call differs: a new growth of the same map has a new bucket array,
 * a new map at the same (stack) address a new seed.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "gomap_regs.h"
#include "gomap.h"

const volatile unsigned int target_tgid = 0;
const volatile unsigned int hdr_size = 48;
const volatile bool array_probe_at_entry = false;
const volatile unsigned int buckets_off = 16;    /* hmap.buckets */
const volatile unsigned int hash0_off = 12;      /* hmap.hash0 */
const volatile unsigned int swiss_min_cap = 128; /* rehash of smaller tables: no event */

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
    unsigned long long t, h, buckets, b_caller, hash0, ts;
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

static __always_inline unsigned long long peek(unsigned long long addr)
{
    unsigned long long v = 0;
    if (addr)
        bpf_probe_read_user(&v, sizeof v, (void *)addr);
    return v;
}

/* A morestack re-entry repeats the previous entry hit of the goroutine exactly. */
static __always_inline bool reentry(unsigned long long g, struct last_hit *cur)
{
    struct last_hit *prev = bpf_map_lookup_elem(&last, &g);
    if (prev && prev->t == cur->t && prev->h == cur->h && prev->buckets == cur->buckets &&
        prev->b_caller == cur->b_caller && prev->hash0 == cur->hash0 &&
        cur->ts - prev->ts < GOMAP_DEDUP_WINDOW_NS) {
        prev->ts = cur->ts;
        return true;
    }
    bpf_map_update_elem(&last, &g, cur, BPF_ANY);
    return false;
}

static __always_inline struct gomap_event *start(unsigned int kind)
{
    unsigned long long id = bpf_get_current_pid_tgid();
    if (target_tgid && (id >> 32) != target_tgid)
        return NULL;
    count(kind);
    struct gomap_event *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
    if (!e) {
        count(GOMAP_STAT_LOST);
        return NULL;
    }
    __builtin_memset(e, 0, sizeof *e);
    e->kind = kind;
    e->tid = (unsigned int)id;
    e->ts = bpf_ktime_get_ns();
    return e;
}

static __always_inline int finish(struct pt_regs *ctx, struct gomap_event *e)
{
    unsigned int n = hdr_size;
    if (n > GOMAP_HDR_MAX)
        n = GOMAP_HDR_MAX;
    if (e->h && n && bpf_probe_read_user(e->hdr, n, (void *)e->h) == 0)
        e->hdr_len = n;
    e->stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    if (e->stack_id < 0)
        count(GOMAP_STAT_NOSTACK);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("uprobe")
int on_bucket_array(struct pt_regs *ctx)
{
    unsigned long long bp = BPF_CORE_READ(ctx, bp), caller, fbp;
    if (array_probe_at_entry) { /* before the prologue: BP is still the caller's */
        caller = peek(BPF_CORE_READ(ctx, sp));
        fbp = bp;
    } else {
        caller = peek(bp + 8);
        fbp = peek(bp);
    }
    unsigned long long g = BPF_CORE_READ(ctx, r14), h = peek(fbp + 24);
    if (array_probe_at_entry) {
        /* the map (caller's h slot) and its current array tell two growths apart */
        struct last_hit cur = {BPF_CORE_READ(ctx, ax),
                               h,
                               peek(h + buckets_off),
                               (BPF_CORE_READ(ctx, bx) & 0xff) | (caller << 8),
                               peek(h + hash0_off) & 0xffffffff,
                               bpf_ktime_get_ns()};
        if (reentry(g, &cur)) {
            count(GOMAP_STAT_DUP);
            return 0;
        }
    }
    struct gomap_event *e = start(GOMAP_EV_BUCKETS);
    if (!e)
        return 0;
    e->g = g;
    e->t = BPF_CORE_READ(ctx, ax);
    e->b = array_probe_at_entry ? (BPF_CORE_READ(ctx, bx) & 0xff) : 0xff;
    e->caller = caller;
    e->h = h;
    e->caller2 = peek(fbp + 8);
    unsigned long long bp2 = peek(fbp);
    e->t2 = peek(bp2 + 16);
    e->h2 = peek(bp2 + 24);
    return finish(ctx, e);
}

/*
 * Swiss maps: (*table).rehash(t, typ, m) and (*table).pruneTombstones(t, typ, m),
 * t = RAX, typ = RBX, m = RCX.  rehash runs once per table growth or split, never
 * per operation; tables below swiss_min_cap slots cannot hold memory worth a
 * finding, so their hits end here without an event.
 */
static __always_inline int swiss_event(struct pt_regs *ctx, unsigned int kind)
{
    unsigned long long t = BPF_CORE_READ(ctx, ax);
    unsigned short th[3] = {0}; /* table.used, capacity, growthLeft */
    if (t)
        bpf_probe_read_user(th, sizeof th, (void *)t);
    if (th[1] < swiss_min_cap)
        return 0;
    /* pruneTombstones is entered before every growth on the fast paths and returns
     * at once below 10% tombstones (its own test): only real prunes are events */
    unsigned int max = th[1] * 7 / 8;
    if (kind == GOMAP_EV_SWISS_PRUNE && (th[0] + th[2] > max || (max - th[0] - th[2]) * 10 < th[1]))
        return 0;
    struct gomap_event *e = start(kind);
    if (!e)
        return 0;
    e->g = BPF_CORE_READ(ctx, r14);
    e->t = BPF_CORE_READ(ctx, bx);
    e->h = BPF_CORE_READ(ctx, cx);
    e->t2 = t;
    e->b = 0xff;
    e->caller = peek(BPF_CORE_READ(ctx, sp)); /* at entry, [SP] is the return address */
    if (t && bpf_probe_read_user(e->tbl, GOMAP_TBL_MAX, (void *)t) == 0)
        e->tbl_len = GOMAP_TBL_MAX;
    return finish(ctx, e);
}

SEC("uprobe")
int on_swiss_rehash(struct pt_regs *ctx)
{
    return swiss_event(ctx, GOMAP_EV_SWISS_REHASH);
}

SEC("uprobe")
int on_swiss_prune(struct pt_regs *ctx)
{
    return swiss_event(ctx, GOMAP_EV_SWISS_PRUNE);
}

char LICENSE[] SEC("license") = "GPL";
