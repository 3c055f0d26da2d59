/*
 * swiss.h — the loader's model of a Go process's Swiss-table maps (Go >= 1.24).
 *
 * A Swiss map is a 48-byte Map header (the map value points at it), a
 * directory of table pointers and, per table, a 32-byte header and one group
 * array.  Growth is never incremental: (*table).rehash replaces a table at
 * once, by one of twice the capacity or by two 1024-slot tables (a split), so
 * the classic "lingering old array" state does not exist.  What does go wrong
 * is capacity: maps never shrink, and deleted slots (tombstones) count against
 * the load factor.  swisstrack.c follows maps from the rehash probe and the
 * heap scan, re-reading their headers, directories and table headers through
 * a remote reader (process_vm_readv, or a fake one in the unit tests);
 * swissfindings.c judges them; swissfindings_out.c prints the judgement.
 */
#ifndef MS_SWISS_H
#define MS_SWISS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "findings_format.h"
#include "gomap.h"
#include "gosite.h"

struct ms_gobin;

/* The fields of internal/runtime/maps.Map, table and the map type descriptor the
 * tracker reads, taken from the inspection's layout (struct ms_golayout). */
struct sw_layout {
    unsigned map_size, used, seed, dirptr, dirlen, gdepth, gshift, writing, tomb_possible, clearseq;
    bool has_tomb_possible;
    unsigned table_size, t_used, t_cap, t_growth, t_ldepth, t_index, t_groups, t_mask;
    unsigned mt_key, mt_elem, mt_group, mt_groupsize, type_ptrbytes;
    int minor; /* Go 1.minor: prunes tombstones from 1.25 */
};
/* From the inspection's layout of a Swiss binary of Go 1.minor; -1 when it is not a
 * Swiss layout or a release past the last one checked. */
struct ms_golayout;
int ms_swiss_layout_from(const struct ms_golayout *g, int minor, struct sw_layout *l);
/* The same from the built-in table of Go major.minor. */
int ms_swiss_layout(int major, int minor, struct sw_layout *l);

#define SW_MAX_TABLE_CAP 1024      /* internal/runtime/maps.maxTableCapacity */
#define SW_MAX_DIRLEN    (1 << 20) /* directories longer than this are not read */
#define SW_GROUP_SLOTS   8

/* Max live entries of a table before it must grow (7/8 load; one group: all but one). */
uint64_t ms_sw_max_growth(uint64_t capacity);
/* What mallocgc really allocates for an object of size bytes (malloc header included). */
uint64_t ms_sw_alloc_bytes(uint64_t size, bool pointers);

struct sw_type {
    uint64_t t;         /* runtime address of the map type descriptor (0: not known) */
    uint64_t groupsize; /* bytes of one group: 8 control bytes + 8 slots */
    bool pointers;      /* groups hold pointers (malloc header above 512 bytes) */
    char key[96], elem[96];
};

enum sw_type_from { SW_TYPE_PROBE, SW_TYPE_HEAP, SW_TYPE_UNKNOWN };

struct sw_map {
    uint64_t m; /* address of the Map header: the map value */
    const struct sw_type *type;
    enum sw_type_from type_from;
    /* last polled header */
    uint64_t used, seed, dirptr, dirlen, clearseq;
    uint8_t gdepth;
    bool tomb_possible;
    /* summed over its distinct tables at the last poll */
    uint64_t capacity, tables, tombstones;
    uint64_t group_bytes, table_bytes, dir_bytes, large_arrays, large_bytes;
    /* history while watched */
    uint64_t peak_used, peak_capacity;
    uint64_t ev_peak; /* most live entries at any rehash event */
    unsigned grows, splits, churn_grows, prunes, clears;
    double first_seen, sparse_since;
    uint64_t last_tbl, last_cap; /* the last rehash event: a morestack re-entry repeats it */
    double last_ev;
    struct gm_site site;
    bool before_attach; /* found by the heap scan at attach */
    bool scanned;       /* found by a heap scan (at attach, or a later one) */
    uint32_t scan_gen;  /* mheap_.sweepgen during that scan */
    /* Reachability of a map the scan found: the heap holds garbage until the next GC
     * cycle frees it.  A map that changed while watched is in use; one whose slot is
     * still allocated after a GC cycle completed is reachable. */
    bool changed, gc_checked;
    uint64_t hdr_span, hdr_slot;
    bool polled;
    const char *dead;
    unsigned suspect;
};

struct sw_stats {
    uint64_t rehash, prunes, dups, lost, large_arrays, large_bytes;
    uint64_t dropped, evicted, unattributed;
};

struct sw_tracker {
    struct gm_proc proc; /* the process, as every tracker sees it; first (trackers.c) */
    struct sw_layout lay;
    struct sw_map *maps;
    size_t n, cap, max;
    struct sw_type **types; /* each allocated once (ms_gm_keep): maps point at them */
    size_t ntypes, captypes;
    struct sw_stats st;
    /* after a heap scan: mheap_.sweepgen (+2 per GC cycle), and how to ask whether a
     * slot is still allocated (1 yes, 0 freed, -1 unknown) */
    uint64_t gc_addr;
    int (*slot_live)(void *ctx, uint64_t span, uint64_t slot, uint32_t sweepgen);
    void *slot_ctx;
};

void ms_sw_init(struct sw_tracker *tr, pid_t pid, const struct ms_remote *rd,
                const struct ms_gobin *bin, const struct sw_layout *lay, int stacks_fd,
                size_t max_maps);
void ms_sw_free(struct sw_tracker *tr);
void ms_sw_event(struct sw_tracker *tr, const struct gomap_event *e);
/* Start following the map at m (a heap scan found it); its type descriptor when
 * known, else proto (names and group size from the heap's type record) or NULL.
 * NULL when it is followed already (a probe event came first: it knows more) or the
 * table is full. */
struct sw_map *ms_sw_adopt(struct sw_tracker *tr, uint64_t m, uint64_t type_addr,
                           const struct sw_type *proto, double now);
/* May the map be garbage the next GC collects (found by a scan, not yet shown alive)? */
bool ms_sw_maybe_garbage(const struct sw_map *m);
/* Re-read every map; -1 when the process is gone. */
int ms_sw_poll(struct sw_tracker *tr, double now);

/* swissfindings.c */
struct sw_finding {
    enum gm_finding_kind kind;
    const struct sw_map *m;
    const char *reason;
    uint64_t held, wasted; /* bytes held (groups + tables + directory), of which unused */
    double grows_per_min;
    char why[1024], advice[320];
};
struct sw_summary {
    size_t maps;
    uint64_t held, capacity, used, tombstones, large_bytes;
};
struct sw_options {
    double linger; /* seconds a map must stay sparse before it is flagged */
};
size_t ms_sw_findings(const struct sw_tracker *tr, const struct sw_options *o,
                      struct sw_finding **out, struct sw_summary *sum);
uint64_t ms_sw_held(const struct sw_map *m);

/* swissfindings_out.c */
void ms_sw_print_table(FILE *f, const struct sw_tracker *tr, const struct sw_finding *fs, size_t n,
                       const struct sw_summary *s, double elapsed, bool clear);
void ms_sw_print_report(FILE *f, const struct sw_tracker *tr, const struct sw_finding *fs, size_t n,
                        const struct sw_summary *s, double elapsed);
int ms_sw_write_json(FILE *f, const struct sw_tracker *tr, const struct sw_finding *fs, size_t n,
                     const struct sw_summary *s, double elapsed);

#endif /* MS_SWISS_H */
