/*
 * gomap.h — what the Go-map probe (gomap.bpf.c) and its loader share.
 *
 * One event per probe hit, sent over a ring buffer.  The probes sit only on
 * rare runtime functions (a map growing, a bucket array being allocated, a
 * map made with a size hint, a map cleared); everything per-operation is
 * learnt by polling the hmap headers from user space instead.
 */
#ifndef MS_GOMAP_H
#define MS_GOMAP_H

#define GOMAP_HDR_MAX         64          /* bytes of hmap header copied at the probe */
#define GOMAP_STACK_DEPTH     32          /* frames kept per recorded stack */
#define GOMAP_DEDUP_WINDOW_NS 50000000ULL /* 50 ms: a morestack re-entry comes sooner */

enum gomap_event_kind {
    GOMAP_EV_GROW = 1, /* runtime.hashGrow(t, h) entry */
    GOMAP_EV_BUCKETS,  /* runtime.makeBucketArray(t, b, dirtyalloc) entry */
    GOMAP_EV_MAKEMAP,  /* runtime.makemap RET: h = return value */
    GOMAP_EV_CLEAR,    /* runtime.mapclear(t, h) entry */
    GOMAP_EV_OVERFLOW, /* runtime.(*hmap).newoverflow(h, t, b) entry (opt-in) */
    GOMAP_EV_KINDS,
};

/* Per-CPU counters, indexed by event kind for hits, then these. */
enum gomap_stat {
    GOMAP_STAT_DUP = GOMAP_EV_KINDS, /* morestack re-entries dropped */
    GOMAP_STAT_LOST,                 /* ring buffer full */
    GOMAP_STAT_NOSTACK,              /* bpf_get_stackid failed */
    GOMAP_STAT_MAX,
};

struct gomap_event {
    unsigned int kind;
    unsigned int tid;
    int stack_id; /* user stack in the stacks map, < 0 when none */
    unsigned int hdr_len;
    unsigned long long ts;            /* CLOCK_MONOTONIC ns */
    unsigned long long g;             /* current goroutine (R14 in the register ABI) */
    unsigned long long t;             /* *maptype, 0 when the probe cannot see it */
    unsigned long long h;             /* *hmap, 0 when the probe cannot see it */
    unsigned long long arg;           /* makeBucketArray: b; newoverflow: bucket */
    unsigned long long arg2;          /* makeBucketArray: dirtyalloc */
    unsigned long long caller;        /* return address at [SP]: the frame a FP walk misses */
    unsigned char hdr[GOMAP_HDR_MAX]; /* the hmap header as it was at the probe */
};

#endif /* MS_GOMAP_H */
