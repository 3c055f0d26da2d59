/*
 * findings_format.h — the gomaps findings contract, written once.
 *
 * `mapscope gomaps` (probe/) writes findings (text and JSON lines) and
 * `mapscope report` (tools/) reads them back; both take the finding names,
 * which implementation each belongs to, the site kinds and the generic
 * why/what-to-do texts from here, so the two sides cannot drift apart.  It
 * sits in format/ beside the dump format because neither side owns it.  The
 * JSON-lines schema itself is documented in mapscope-gomaps(8).  Plain data:
 * no libbpf, no process access, no allocation.
 */
#ifndef MS_FINDINGS_FORMAT_H
#define MS_FINDINGS_FORMAT_H

#include <stdint.h>

/* Every finding gomaps can report.  Classic maps: the first three; Swiss-table
 * maps: large_span (shared) and the last two. */
enum gm_finding_kind {
    GM_LINGERING,         /* lingering_oldbuckets (classic) */
    GM_OVERFLOW_BLOAT,    /* overflow_bloat (classic) */
    GM_LARGE_SPAN,        /* large_span (both) */
    GM_RETAINED_CAPACITY, /* retained_capacity (Swiss) */
    GM_TOMBSTONE_BLOAT,   /* tombstone_bloat (Swiss) */
    GM_FINDING_KINDS
};

struct gm_finding_def {
    const char *name;  /* as written in the "finding" field */
    const char *flag;  /* short column tag of the live table */
    const char *impl;  /* "classic", "swiss" or "both" */
    const char *why;   /* the generic reason, for records that carry none */
    const char *label; /* one-line title for reports */
};

/* Where a map's stack comes from ("site_kind"). */
enum gm_site_kind {
    GM_SITE_NONE,
    GM_SITE_CREATED,
    GM_SITE_GREW,
    GM_SITE_CLEARED,
    GM_SITE_PROFILE,
    GM_SITE_KINDS
};

/* The JSON lines (mapscope-gomaps(8)): every object names its type in GM_JSON_RECORD;
 * readers skip the types they do not know.  An object without it but with a
 * "finding" field is a finding (the first releases wrote no record type).  Records
 * of Swiss-table maps carry GM_JSON_IMPL = GM_IMPL_SWISS; classic ones have none. */
#define GM_JSON_RECORD   "record"
#define GM_REC_FINDING   "finding"   /* one map, one finding */
#define GM_REC_HEAP_SCAN "heap_scan" /* what the attach-time heap scan did */
#define GM_REC_SUMMARY   "summary"   /* the process-wide figures, last */
#define GM_JSON_IMPL     "impl"
#define GM_IMPL_SWISS    "swiss"

/* Swiss-map thresholds, shared by the rules and the man page's wording. */
#define GM_SWISS_MIN_WASTE   (128u << 10) /* bytes: smaller waste is never flagged */
#define GM_SWISS_SPARSE_DEN  4            /* live < 1/4 of the usable slots = sparse */
#define GM_SWISS_CHURN_GROWS 2            /* growths at no new live peak before tombstone_bloat */
#define GM_SWISS_ROOM        4            /* tombstone_bloat: room for this many times the peak */

const struct gm_finding_def *ms_gm_finding_def(enum gm_finding_kind k);
const char *ms_gm_finding_name(enum gm_finding_kind k);
/* The kind of a finding name; -1 when unknown (a newer gomaps). */
int ms_gm_finding_kind(const char *name);
/* JSON "site_kind" word and the report's label ("created at", ...). */
const char *ms_gm_site_kind_name(enum gm_site_kind k);
/* Label for a site_kind word as read from JSON; "site:" when unknown. */
const char *ms_gm_site_label(const char *kind_name);

#endif /* MS_FINDINGS_FORMAT_H */
