/*
 * pipeline.h — the report pipeline's interface, after the model and its
 * first stages (profile.h: read, merge, symbolize): building a profile in
 * one call (pipeline.c), the views computed from it (aggregate.c),
 * suppressions (suppress.c), allocation wrappers (alloc_fn.c), leak kinds
 * (leak_kinds.c), gomaps findings (findings.c) and the output writers
 * (out_*.c, diff.c).  Its users: `mapscope report` (report.c), the summary
 * of `mapscope run` (run.c), the tests and the fuzz target.
 */
#ifndef MS_PIPELINE_H
#define MS_PIPELINE_H

#include <stdio.h>

#include "profile.h"
#include "text_out.h" /* ms_json_str, ms_fmt_size */

/* What a stack is ranked by. */
enum ms_metric {
    MS_M_LEAKED,    /* live at dump time (at exit: never freed) */
    MS_M_PEAK,      /* live at the moment of the global peak */
    MS_M_ALLOCATED, /* bytes allocated over the run */
    MS_M_ALLOCS,    /* number of allocations (hot spots) */
    MS_M_TEMPORARY, /* temporary allocations */
    MS_M_LINGERING, /* live longer than the linger threshold */
    MS_M_LOST,      /* definitely, indirectly or possibly lost (leak_kinds.c) */
    MS_M_REACHABLE, /* still reachable at the dump */
    MS_M_COUNT
};

extern const char *const ms_metric_names[MS_M_COUNT];

/* The figure a stack is ranked by, and its companion (blocks for byte
 * metrics, bytes for count metrics). */
uint64_t ms_metric_value(const struct ms_pstack *s, enum ms_metric m);
uint64_t ms_metric_other(const struct ms_pstack *s, enum ms_metric m);

/* Indices of the stacks with a non-zero figure for m, largest first (ties
 * by stack order, so output is deterministic).  Returns the count; *out is
 * malloc'ed. */
size_t ms_view(const struct ms_profile *p, enum ms_metric m, uint32_t **out);

/* The age from which the dumps recorded lingering blocks (the run's
 * --linger), 0 when unknown. */
uint64_t ms_linger_recorded(const struct ms_profile *p);
/* --lingering[=DUR]: keep only lingering blocks at least the threshold
 * applied old and return it.  Ages are recorded in bins (1, 4, 16, ... x
 * the run's threshold): the threshold applied is the largest boundary at
 * or below want_ns, or the recorded threshold when want_ns is finer, so
 * whole bins are kept and no bin is labelled with an age some of its
 * blocks do not have. */
uint64_t ms_linger_filter(struct ms_profile *p, uint64_t want_ns);

/* ------------------------------------------------------------- options -- */

struct ms_report_opts {
    size_t top;                  /* stacks per section in text/HTML (0 = all) */
    bool top_given;              /* --top was given: JSON is cut too (else it has all) */
    size_t frames;               /* frames printed per stack (0 = all) */
    bool lingering_only;         /* --lingering: only that view */
    uint64_t linger_min_ns;      /* the lingering threshold applied (ms_linger_filter) */
    uint64_t linger_asked_ns;    /* --lingering=DUR as given (0: none) */
    const char *title;           /* shown in text/HTML headings */
    const char *const *problems; /* damaged-input messages, shown in every output */
    size_t nproblems;
};

/* ------------------------------------------------------------ findings -- */

/* One finding from `mapscope gomaps --json` (JSON lines). */
struct ms_finding {
    uint64_t pid, count, B, bucket_bytes, old_bytes, overflow_buckets;
    /* Swiss-table maps (impl "swiss"): slots, tables, directory length, bytes held */
    bool swiss;
    uint64_t peak_count, capacity, tables, dir_len, tombstones, bytes_held, wasted_bytes;
    double lingering_s;
    char *map, *finding, *key_type, *elem_type, *site;
    char *reason;       /* e.g. "stalled", "emptied" (may be NULL) */
    char *site_kind;    /* "created", "first_growth", ... (may be NULL) */
    bool before_attach; /* found by gomaps' heap scan: ages count from attach */
    char *why, *advice;
    char *json; /* the object itself, re-serialised, for --json and HTML */
};

/* A gomaps "summary" record: the process-wide figures of one run. */
struct ms_findings_summary {
    uint64_t pid, maps, growing, bucket_bytes, old_bytes, overflow_bytes, findings;
    bool swiss;
    uint64_t bytes_held, count, capacity, tombstones;
    char *go_version, *binary;
    char *json;
};

struct ms_findings {
    struct ms_finding *v;
    size_t n, cap;
    struct {
        struct ms_findings_summary *v;
        size_t n, cap;
    } summaries;
};

/* Read a findings file.  Returns 0, or 1 when some lines were damaged (an
 * error naming file:line is printed on stderr and the rest is read), or -1
 * when the file cannot be read. */
int ms_findings_read(const char *path, struct ms_findings *f);
int ms_findings_parse(const char *name, const char *buf, size_t len, struct ms_findings *f);
void ms_findings_free(struct ms_findings *f);

/* --------------------------------------------------------- suppressions -- */

struct ms_supp;
struct ms_supps {
    struct ms_supp *v;
    size_t n, cap;
};

/* Load LSan-style ("leak:PATTERN") and valgrind-style ({ name / Tool:Kind /
 * fun:, obj:, ... }) suppressions.  Returns 0, or -1 with a message naming
 * FILE:LINE on stderr. */
int ms_supp_load(const char *path, struct ms_supps *s);
int ms_supp_parse(const char *name, const char *text, struct ms_supps *s);
/* Mark p's stacks matched by a suppression (ms_pstack.suppressed). */
void ms_supp_apply(struct ms_supps *s, struct ms_profile *p);
void ms_supp_free(struct ms_supps *s);
/* How many stacks/bytes each suppression matched (for the report). */
size_t ms_supp_count(const struct ms_supps *s);
const char *ms_supp_name(const struct ms_supps *s, size_t i, uint64_t *stacks, uint64_t *bytes);

/* Bytes and blocks leaked by stacks no suppression matched. */
uint64_t ms_unsuppressed_leak(const struct ms_profile *p, uint64_t *blocks);
/* Is s left out of a leak listing by metric m?  For the lost blocks, only
 * when its suppressions cover every lost kind it has (match-leak-kinds). */
bool ms_stack_suppressed(const struct ms_pstack *s, int m);

/* ---------------------------------------------------- allocation wrappers -- */

/* Functions whose frames are taken off the inner end of stacks
 * (valgrind's --alloc-fn): names or fnmatch(3) globs. */
struct ms_alloc_fns {
    char **v;
    size_t n, cap;
};
/* A suppressions file line naming one: "alloc-fn:NAME". */
#define MS_ALLOC_FN_PREFIX "alloc-fn:"
void ms_alloc_fns_defaults(struct ms_alloc_fns *a);
void ms_alloc_fns_add(struct ms_alloc_fns *a, const char *pattern);
/* The alloc-fn: lines of a suppressions file; returns how many. */
size_t ms_alloc_fns_load(const char *path, struct ms_alloc_fns *a);
void ms_alloc_fns_free(struct ms_alloc_fns *a);
/* Is fr a wrapper's frame (its real function matches)? */
bool ms_alloc_fn_frame(const struct ms_alloc_fns *a, const struct ms_frame *fr);
/* Trim wrappers' frames off every stack of p (symbolized) and merge the
 * stacks that became equal. */
void ms_alloc_fns_apply(const struct ms_alloc_fns *a, struct ms_profile *p);

/* ----------------------------------------------------------- leak kinds -- */

/* Valgrind's kinds in the order of enum ms_kind_field's pairs. */
enum { MS_KIND_DEFINITE, MS_KIND_INDIRECT, MS_KIND_POSSIBLE, MS_KIND_REACHABLE, MS_KIND_N };
#define MS_KINDS_LEAK                                                                              \
    ((1u << MS_KIND_DEFINITE) | (1u << MS_KIND_INDIRECT) | (1u << MS_KIND_POSSIBLE))
#define MS_KINDS_FAIL_DEFAULT ((1u << MS_KIND_DEFINITE) | (1u << MS_KIND_INDIRECT))
/* "definitely_lost", ...: the JSON names' stems. */
extern const char *const ms_kind_names[MS_KIND_N];
/* A set of kinds: "definite,indirect,possible,reachable" (any of them,
 * comma-separated) or "all"; bits 1 << MS_KIND_*.  -1 when malformed. */
int ms_kinds_parse(const char *s, unsigned *set);
/* Bytes (and *blocks) of the kinds in set, from a stack's or the totals'
 * figures (enum ms_kind_field order). */
uint64_t ms_kinds_sum(const uint64_t k[MS_KF_COUNT], unsigned set, uint64_t *blocks);
void ms_kinds_totals(const struct ms_profile *p, uint64_t k[MS_KF_COUNT]);
/* Bytes and blocks of the kinds in set from stacks no suppression matched. */
uint64_t ms_unsuppressed_kinds(const struct ms_profile *p, unsigned set, uint64_t *blocks);
/* `,"definitely_lost_bytes":N,"definitely_lost_blocks":N,...` */
void ms_json_kinds(FILE *out, const uint64_t k[MS_KF_COUNT]);
/* The text report's kind lines: the totals, and one stack's breakdown. */
void ms_text_kinds_summary(FILE *out, const struct ms_profile *p);
void ms_text_kinds_stack(FILE *out, const struct ms_pstack *s);

/* -------------------------------------------------------------- outputs -- */

void ms_out_text(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                 const struct ms_findings *f, const struct ms_supps *s);
void ms_out_json(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                 const struct ms_findings *f);
void ms_out_folded(FILE *out, const struct ms_profile *p, enum ms_metric m);
int ms_out_pprof(const char *path, const struct ms_profile *p);
int ms_out_html(const char *path, const struct ms_profile *p, const struct ms_report_opts *o,
                const struct ms_findings *f);
/* A stack as indented "function (file:line)" lines, at most max_frames. */
void ms_text_stack(FILE *out, const struct ms_profile *p, const struct ms_pstack *s,
                   size_t max_frames);
/* The heap over time as an ASCII chart with its figures (text report). */
void ms_text_timeline(FILE *out, const struct ms_profile *p);
/* Findings as a text section (also used alone when no dump was given). */
void ms_out_findings_text(FILE *out, const struct ms_findings *f);

/* --diff OLD NEW: live-byte growth by stack. */
void ms_diff_text(FILE *out, const struct ms_profile *old, const struct ms_profile *cur,
                  const struct ms_report_opts *o);
void ms_diff_json(FILE *out, const struct ms_profile *old, const struct ms_profile *cur,
                  const struct ms_report_opts *o);

/* ------------------------------------------------------- shared helpers -- */

/* Frames of a stack as printed: every symbol of every frame (inlined ones
 * included), innermost first. */
struct ms_xframe {
    const struct ms_frame *frame;
    uint32_t symi; /* index into frame->sym, or 0 when unsymbolized */
    bool inlined;  /* an inlined callee, not the frame's real function */
};
size_t ms_expand_stack(const struct ms_profile *p, const struct ms_pstack *s,
                       struct ms_xframe **out);
/* Index in x[0..n) of the frame that best names where an allocation
 * happened: the first in the program's own executable. */
size_t ms_stack_site(const struct ms_profile *p, const struct ms_xframe *x, size_t n);

/* The parts of the --json document other than the stack arrays, shared
 * with the HTML page: `"schema":..,"totals":{..}` and `,"processes":..
 * ,"problems":[..]` (no braces). */
void ms_json_head(FILE *out, const struct ms_profile *p);
void ms_json_tail(FILE *out, const struct ms_profile *p, const struct ms_report_opts *o,
                  const struct ms_findings *f);
/* One stack as a JSON array of {function, file, line, module, address,
 * offset, inlined}. */
void ms_json_stack(FILE *out, const struct ms_profile *p, const struct ms_pstack *s);

/* inputs_dir.c: the inputs, with each directory replaced by the dumps in
 * it (for PREFIX.u<uid>/ of processes that dropped privileges); free the
 * result with ms_inputs_free. */
char **ms_inputs_expand(char **files, size_t n, size_t *out_n);
void ms_inputs_free(char **files, size_t n);

/* ------------------------------------------------------- one profile -- */

struct ms_build_opts {
    struct ms_symbolize_opts sym;
    struct ms_supps *supps;               /* NULL: none */
    const struct ms_alloc_fns *alloc_fns; /* NULL: none */
};
/* The pipeline's stages in their order: merge the dumps (ms_profile_merge;
 * use[] is not returned), symbolize, mark the suppressed stacks (on the
 * stacks as recorded), then take wrappers' frames off. */
void ms_profile_build(struct ms_dump *dumps, size_t n, const struct ms_build_opts *o,
                      struct ms_profile *p);

#endif /* MS_PIPELINE_H */
