/*
 * gomap.h — what the Go-map probe (gomap.bpf.c) and its loader share.
 *
 * One event per probe hit, sent over a ring buffer.  The probes sit only where
 * rare things happen (classic: a bucket array of 16+ buckets being made, a sized
 * make returning; Swiss: a table of 128+ slots growing or splitting, tombstones
 * pruned); everything per-operation is learnt by polling the map headers from
 * user space instead.
 */
#ifndef MS_GOMAP_H
#define MS_GOMAP_H

#define GOMAP_HDR_MAX         64          /* bytes of hmap header copied at the probe */
#define GOMAP_STACK_DEPTH     32          /* frames kept per recorded stack */
#define GOMAP_DEDUP_WINDOW_NS 50000000ULL /* 50 ms: a morestack re-entry comes sooner */

#define GOMAP_TBL_MAX 32 /* bytes of a Swiss table header copied at the probe */

enum gomap_event_kind {
    GOMAP_EV_BUCKETS = 1,  /* classic: runtime.makeBucketArray, large-array branch (16+ buckets) */
    GOMAP_EV_SWISS_REHASH, /* Swiss: (*table).rehash(t, typ, m) of a table of 128+ slots */
    GOMAP_EV_SWISS_PRUNE,  /* Swiss: (*table).pruneTombstones(t, typ, m), Go 1.25+ */
    GOMAP_EV_KINDS,
};

/* Per-CPU counters, indexed by event kind for hits, then these. */
enum gomap_stat {
    GOMAP_STAT_DUP = GOMAP_EV_KINDS, /* morestack re-entries dropped (entry fallback) */
    GOMAP_STAT_LOST,                 /* ring buffer full */
    GOMAP_STAT_NOSTACK,              /* bpf_get_stackid failed */
    GOMAP_STAT_MAX,
};

/*
 * For GOMAP_EV_BUCKETS the probe also reads two frames up the frame-pointer
 * chain.  Go's register ABI gives every register argument a home slot in its
 * caller's frame (at the callee's frame pointer + 16, + 24, ...), and a function
 * that needs an argument after a call spills it there: hashGrow(t, h) and
 * mapclear(t, h) keep h, mapassign*(t, h, key) keeps t and h across their call
 * of hashGrow.  Which slots mean something depends on who called; user space
 * decides from the return addresses and validates every pointer it uses.
 */
struct gomap_event {
    unsigned int kind;
    unsigned int tid;
    int stack_id; /* user stack in the stacks map, < 0 when none */
    unsigned int hdr_len;
    unsigned long long ts;      /* CLOCK_MONOTONIC ns */
    unsigned long long g;       /* current goroutine (R14 in the register ABI) */
    unsigned long long t;       /* RAX: *maptype at makeBucketArray entry (and usually after) */
    unsigned long long h;       /* BUCKETS: caller's 2nd home slot; MAKEMAP: return value */
    unsigned long long b;       /* BL at makeBucketArray entry; 0xff when not known */
    unsigned long long caller;  /* return address into the caller */
    unsigned long long caller2; /* return address into the caller's caller */
    unsigned long long t2, h2;  /* caller's caller's 1st and 2nd home slots */
    unsigned char hdr[GOMAP_HDR_MAX]; /* the hmap (Swiss: Map) header at h, at the probe */
    /* Swiss events: t = typ (RBX), h = m (RCX), t2 = the table (RAX), its header here */
    unsigned int tbl_len, pad;
    unsigned char tbl[GOMAP_TBL_MAX];
};

#endif /* MS_GOMAP_H */
