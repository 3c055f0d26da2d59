/*
 * maptrack.h — the loader's model of the target's maps, and the findings.
 *
 * maptrack.c turns probe events into tracked maps and keeps them current by
 * polling their hmap headers (process_vm_readv); findings.c judges them;
 * findings_text.c and findings_json.c print the judgement.  Times are
 * CLOCK_MONOTONIC seconds, the clock bpf_ktime_get_ns() uses.
 */
#ifndef MS_MAPTRACK_H
#define MS_MAPTRACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "findings_format.h"
#include "gobin.h"
#include "gomap.h"
#include "gosite.h"

#define GM_LARGE_OBJECT        32768 /* bytes: Go's largest size class; bigger = own span */
#define GM_PREALLOC_SCAN_DELAY 1.0   /* s after a large sized make: its map is in the heap */

/* What we know about one maptype (read from the binary). */
struct gm_type {
    uint64_t t; /* runtime address of the maptype */
    unsigned bucketsize, keysize, elemsize;
    bool ptr_free; /* bucket holds no pointers: hmap.extra.overflow lists every overflow bucket */
    char key[96], elem[96];
};

/* Where a map's type came from: a probe event names its maptype; a map found by the
 * heap scan is recognised by the size of its buckets when exactly one of the
 * binary's map types fits, else its type is unknown (names "?" or the part all
 * fitting types share). */
enum gm_type_from {
    GM_TYPE_EVENT,
    GM_TYPE_BUCKET_SIZE, /* the only map type with buckets of that size and kind */
    GM_TYPE_CONTENT,     /* of several, the only one whose pointer words fit the entries */
    GM_TYPE_AMBIGUOUS,
    GM_TYPE_UNKNOWN
};

struct gm_map {
    uint64_t h;
    const struct gm_type *type; /* NULL until an event names the maptype */
    /* last polled header */
    uint64_t count, buckets, oldbuckets, nevacuate, extra;
    uint8_t B, flags;
    uint16_t noverflow;
    uint32_t hash0;
    bool hash0_known, polled;
    bool evented;                 /* a probe event changed it since the last poll */
    uint64_t ovf_len, oldovf_len; /* len(*extra.overflow / oldoverflow), ptr-free maps;
                                   * oldovf_len: chains of the old array, pointer maps */
    bool ovf_known, oldovf_known;
    bool chains_walked; /* oldovf_len of a pointer map counted at chains_nevacuate */
    uint64_t chains_nevacuate;
    /* growth */
    bool growing;
    uint64_t grow_old;           /* oldbuckets of the current growth */
    uint16_t grow_old_noverflow; /* noverflow when the growth began (old overflow buckets) */
    uint64_t last_nevacuate;
    double grow_start, progress; /* growth began / evacuation last advanced */
    unsigned grows, samesize_grows, clears;
    /* history */
    double first_seen, sparse_since;
    uint64_t peak_count, hint;
    bool from_makemap;
    /* where it was made or first grew */
    struct gm_site site;
    const char *dead; /* why the entry is being retired, NULL while live */
    unsigned suspect; /* consecutive polls that did not look like this map */
    /* found by the heap scan at attach (existed before): its type's origin, and the
     * span of the bucket array it had then, re-checked until the array changes so a
     * map collected since is retired */
    bool before_attach;
    enum gm_type_from type_from;
    uint64_t arr_span, arr_buckets;
};

struct gm_stats {
    uint64_t events[GOMAP_EV_KINDS];
    uint64_t bucket_arrays, large_arrays, large_array_bytes;
    uint64_t unattributed, maps_dropped, maps_evicted;
    uint64_t preallocs;  /* large bucket arrays made by makemap (sized makes) */
    uint64_t dups, lost; /* morestack re-entries dropped, events lost (ring buffer full) */
};

struct gm_tracker {
    struct gm_proc proc; /* the process, as every tracker sees it; first (trackers.c) */
    struct ms_golayout lay;
    struct gm_map *maps;
    size_t n, cap, max;
    struct gm_type **types; /* each allocated once (ms_gm_keep): maps point at them */
    size_t ntypes, captypes;
    double rescan_at; /* a large preallocation was seen: scan the heap then (0: no) */
    /* the large sized makes seen, until a scan adopts their maps: their map type and
     * where they were made name the map the scan finds */
#define GM_PREALLOCS 32
    struct gm_prealloc {
        uint64_t t; /* runtime address of its maptype (the type table may move) */
        struct gm_site site;
    } preallocs[GM_PREALLOCS];
    unsigned npreallocs;
    struct gm_stats st;
#define GM_CALLER_CACHE 64
    struct caller_cache {
        uint64_t ret;
        const char *name;
    } callers[GM_CALLER_CACHE];
    bool scanned; /* the attach-time heap scan ran: scan says what it did */
    struct gm_scan_stats *scan;
};

void ms_gm_init(struct gm_tracker *tr, pid_t pid, const struct ms_remote *rd,
                const struct ms_gobin *bin, const struct ms_golayout *lay, int stacks_fd,
                size_t max_maps);
void ms_gm_free(struct gm_tracker *tr);
void ms_gm_event(struct gm_tracker *tr, const struct gomap_event *e);
/* Re-read every tracked map's header; returns -1 when the process is gone. */
int ms_gm_poll(struct gm_tracker *tr, double now);
/* Buckets makeBucketArray asks for: 2^B, plus 2^(B-4) preallocated overflow from B = 4. */
uint64_t ms_gm_array_nbuckets(unsigned B);
/* Bytes of a bucket array of 2^B buckets as makeBucketArray allocates it. */
uint64_t ms_gm_array_bytes(unsigned bucketsize, unsigned B);
/* Bytes of the overflow buckets that live outside the bucket array: makeBucketArray
 * preallocates a tail of them for B >= 4, used first; the rest are separate objects. */
uint64_t ms_gm_overflow_bytes(unsigned bucketsize, unsigned B, uint64_t noverflow);
/* Go's size classes: what mallocgc really allocates for size bytes. */
uint64_t ms_go_roundupsize(uint64_t size);
/* Symbolize pc: "func file:line" into buf. */
const char *ms_gm_symbolize(const struct gm_tracker *tr, uint64_t pc, char *buf, size_t len);
/* The first frame outside the Go runtime: the site users care about. */
const char *ms_gm_site(const struct gm_tracker *tr, const struct gm_map *m, char *buf, size_t len);

/* goheap.c: the maps the process already had when the probes were attached. */
struct gm_found {
    uint64_t h;
    uint8_t hdr[GOMAP_HDR_MAX]; /* its header as read */
    uint64_t arr_span;          /* the span of its bucket array, to see it freed later */
    uint64_t arr_bytes, old_bytes;
    unsigned bs_lo, bs_hi;         /* bucket sizes that give arrays of exactly these sizes */
    bool ptr_free;                 /* the bucket array is a pointer-free (noscan) object */
    uint64_t site[GM_SITE_FRAMES]; /* allocation stack from Go's heap profile */
    int nsite;
    /* the binary's map types (link-time addresses) that fit: by bucket size and kind,
     * then, among several, by whether their pointer words fit the entries */
#define GM_FOUND_TYPES 8
    uint64_t types[GM_FOUND_TYPES];
    size_t ntypes; /* how many fit (more than are listed when > GM_FOUND_TYPES) */
    bool by_content;
    /* Swiss maps: the span and slot of the Map header (to check it survives the next
     * GC), and its type from the group array's heap type record (named = found) */
    uint64_t hdr_span, hdr_slot;
    char key[96], elem[96];
    uint64_t groupsize;
    bool named;
};

struct gm_scan_stats {
    uint64_t allspans; /* address of mheap_.allspans */
    uint64_t allspans_candidates, spans, inuse_spans, hmap_spans, slots, bytes_read;
    size_t found, adopted, typed;
    double ms;
    bool truncated;         /* stopped at the byte or time limit */
    bool sweepgen_known;    /* liveness from the sweep generation, else either bit */
    const char *failed;     /* why there was no scan, NULL when there was */
    uint64_t sweepgen_addr; /* mheap_.sweepgen: +2 per GC cycle */
    uint32_t sweepgen;      /* its value during the scan */
};

#define GM_SCAN_MAX_MS 5000.0 /* the heap scan stops after this long, read or not */
/* swl: scan for Swiss maps with that layout; NULL: classic maps. */
struct sw_layout;
int ms_gm_heap_scan(pid_t pid, const struct ms_gobin *bin, const struct ms_golayout *lay,
                    const struct sw_layout *swl, uint64_t bias, uint64_t limit,
                    struct gm_found **out, size_t *nout, struct gm_scan_stats *st);
/* Is slot of the span at span allocated, judged like the scan does with the sweep
 * generation H?  1 yes, 0 no (freed), -1 cannot tell. */
int ms_gm_heap_slot_live(pid_t pid, const struct ms_golayout *lay, uint64_t span, uint64_t slot,
                         uint32_t H);
/* maptrack.c: follow the found maps from now on, their types recognised where the
 * binary's map types allow (at_attach: the scan at attach, else a later one); returns
 * how many were taken. */
size_t ms_gm_adopt(struct gm_tracker *tr, const struct gm_found *f, size_t n, double now,
                   bool at_attach, struct gm_scan_stats *st);

struct gm_finding {
    enum gm_finding_kind kind;
    const struct gm_map *m;
    const char *reason; /* short tag: "stalled", "churn", "empty", ... */
    uint64_t bucket_bytes, old_bytes, overflow_buckets, overflow_bytes, old_overflow_buckets;
    uint64_t old_overflow_bytes; /* overflow bytes: only buckets allocated outside the array */
    double lingering_s, samesize_per_min;
    char why[512], advice[320];
};

struct gm_summary {
    size_t maps, growing;
    uint64_t bucket_bytes, old_bytes, overflow_bytes, overflow_buckets;
};

struct gm_options {
    double linger; /* seconds without evacuation progress = lingering */
};

/* findings.c: judge every live map; returns the number of findings (array grows). */
size_t ms_gm_findings(const struct gm_tracker *tr, const struct gm_options *o,
                      struct gm_finding **out, struct gm_summary *sum);

/* findings_text.c / findings_json.c */
void ms_gm_print_table(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                       const struct gm_summary *s, double elapsed, bool clear);
void ms_gm_print_report(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                        const struct gm_summary *s, double elapsed);
int ms_gm_write_json(FILE *f, const struct gm_tracker *tr, const struct gm_finding *fs, size_t n,
                     const struct gm_summary *s, double elapsed);

#endif /* MS_MAPTRACK_H */
