/*
 * gosite.h — what both map trackers share: reading the target's memory, the
 * stack a probe recorded and naming the frame users care about.
 */
#ifndef MS_GOSITE_H
#define MS_GOSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <stdio.h>

#include "findings_format.h"
#include "text_out.h" /* ms_json_str, ms_fmt_size: bytes for people */
#include "gomap.h"

struct ms_gobin;

/* How a tracker reads the target: process_vm_readv in the tool, a fake in unit tests.
 * read returns 0 when all len bytes were read, -1 otherwise. */
struct ms_remote {
    int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
    void *ctx;
    /* Optional: n ranges of len bytes at addrs[] into out (n x len) in one go; returns
     * how many leading ranges were read whole, sets *gone when the process is. */
    size_t (*readv)(void *ctx, const uint64_t *addrs, size_t n, size_t len, uint8_t *out,
                    bool *gone);
};
/* The real reader: ctx is the pid, cast to a pointer (readv: process_vm_readv). */
int ms_remote_pid_read(void *ctx, uint64_t addr, void *buf, size_t len);
struct ms_remote ms_remote_pid(pid_t pid);
/* rd->readv, or rd->read range by range up to the first that fails. */
size_t ms_remote_readv(const struct ms_remote *rd, const uint64_t *addrs, size_t n, size_t len,
                       uint8_t *out, bool *gone);

#define GM_SITE_FRAMES 12

/* Where a map was created or grew: runtime return addresses, first one a PC. */
struct gm_site {
    enum gm_site_kind kind;
    uint64_t pc[GM_SITE_FRAMES];
    int n;
};

/* Fill s from event e's stack (BPF stack map stacks_fd); keeps an earlier site. */
void ms_gm_site_from_event(struct gm_site *s, int stacks_fd, const struct gomap_event *e,
                           enum gm_site_kind kind);
/* gostack_bpf.c: the frames of stack id in the BPF stack map (zero-terminated); -1 when
 * gone.  Unit tests link their own. */
int ms_gm_stack_lookup(int stacks_fd, int id, uint64_t out[GOMAP_STACK_DEPTH]);
/* "func file:line" of the first frame outside the Go runtime, else fallback. */
const char *ms_gm_site_name(const struct ms_gobin *bin, uint64_t bias, const struct gm_site *s,
                            const char *fallback, char *buf, size_t len);
/* "func file:line" of pc (0x... when unknown). */
const char *ms_gm_pc_name(const struct ms_gobin *bin, uint64_t bias, uint64_t pc, char *buf,
                          size_t len);

/* Room for one more element at the end of a growable array (*v with *n used of *cap,
 * elements of elem bytes, first capacity first): the new element, zeroed; NULL when out
 * of memory. */
void *ms_gm_push(void *v, size_t *n, size_t *cap, size_t elem, size_t first);
/* Free such an array (*v) and leave it empty (NULL, 0 used of 0). */
void ms_gm_array_free(void *v, size_t *n, size_t *cap);
/* A table of pointers to copies that never move, so that other records may point at
 * them (the trackers' map types): push a copy of the elem bytes at item onto *v (n of
 * cap); the copy, NULL when out of memory.  ms_gm_kept_free frees the copies and the
 * table. */
void *ms_gm_keep(void *v, size_t *n, size_t *cap, const void *item, size_t elem);
void ms_gm_kept_free(void *v, size_t *n, size_t *cap);

/* The -v notes of retired maps, one per address: a map on a goroutine stack, or an
 * address Go keeps reusing for new maps, would otherwise repeat its note at every
 * growth (issue 9, defect 6).  Later retirements of an address are only counted. */
#define GM_RETIRED_SEEN 1024
struct gm_retired_log {
    uint64_t addr[GM_RETIRED_SEEN]; /* open addressing, 0 = free */
    uint64_t repeats;               /* notes not printed: an address seen before */
};
/* Print "map 0x... retired: why" to log (NULL: nothing) unless addr was noted before. */
void ms_gm_note_retired(FILE *log, struct gm_retired_log *seen, uint64_t addr, const char *why);

/* The process a tracker follows, the same for the classic (maptrack.h) and the Swiss
 * (swiss.h) tracker: each embeds one as its member proc. */
struct gm_proc {
    pid_t pid;
    struct ms_remote rd; /* how the target is read */
    const struct ms_gobin *bin;
    uint64_t bias; /* runtime address - link address (PIE) */
    bool bias_known;
    int stacks_fd; /* the BPF stack map, -1 in tests */
    double start, now;
    bool target_gone;
    FILE *log;                     /* -v: retirements and other decisions, NULL = silent */
    struct gm_retired_log retired; /* addresses whose retirement was noted */
};
/* The little-endian field of n bytes (1 to 8) at p of a header read from the process. */
uint64_t ms_gm_rdn(const uint8_t *p, unsigned n);

void ms_gm_proc_init(struct gm_proc *p, pid_t pid, const struct ms_remote *rd,
                     const struct ms_gobin *bin, int stacks_fd);
/* The load bias, once the process maps the binary (an event or a poll means it does). */
void ms_gm_learn_bias(struct gm_proc *p);
/* The Go names of a map type's key and element types, whose descriptors are at the
 * runtime addresses key_rt and elem_rt; "?" for what the binary does not name (or
 * without a binary). */
void ms_gm_type_names(const struct gm_proc *p, uint64_t key_rt, uint64_t elem_rt, char *key,
                      size_t keylen, char *elem, size_t elemlen);

/* findings_json.c: the parts of the JSON-lines records (mapscope-gomaps(8)) that the
 * classic and the Swiss writers share.  A finding record is the head, the writer's own
 * fields (each starting with ','), then the tail, which ends the line; a summary
 * record likewise.  impl: NULL for classic maps (no "impl" field), else its word. */
void ms_gm_json_finding_head(FILE *f, const char *impl, int pid, uint64_t map,
                             enum gm_finding_kind kind, const char *reason, const char *key,
                             const char *elem);
void ms_gm_json_finding_tail(FILE *f, const struct ms_gobin *bin, uint64_t bias,
                             const struct gm_site *site, const char *site_text, bool before_attach,
                             const char *type_from, const char *why, const char *advice);
void ms_gm_json_summary_head(FILE *f, const char *impl, int pid, const char *go_version,
                             const char *binary, double elapsed);
/* Ends the summary line and flushes: 0, or -1 when the output failed. */
int ms_gm_json_summary_tail(FILE *f, uint64_t large_arrays, uint64_t large_array_bytes,
                            size_t findings);

#endif /* MS_GOSITE_H */
