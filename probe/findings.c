/*
 * findings.c — which tracked maps are a problem, and why.
 *
 * Three findings, each a consequence of how Go's classic map works:
 *
 * lingering_oldbuckets: a growth allocated a new bucket array and keeps the
 *   old one until every old bucket is evacuated; evacuation happens only as a
 *   side effect of writes (two old buckets per insert or delete).  A map that
 *   stops being written mid-growth holds both arrays forever.  Flagged when
 *   nevacuate has not moved for --linger seconds.
 * overflow_bloat: buckets hold 8 entries; more chain into overflow buckets,
 *   which are only reclaimed by a growth.  Insert/delete churn near the load
 *   factor piles them up until Go runs a same-size grow that copies the whole
 *   map to compact them, again and again.  Flagged at two or more same-size
 *   grows seen, or at overflow buckets >= half the regular buckets (a random
 *   fill reaches about a fifth: runtime/map.go's own table).
 * large_span: a bucket array above 32 KiB is a dedicated span and maps never
 *   shrink, so an emptied or mostly empty map keeps all of it.  Flagged when
 *   the array is a large object and the map has held fewer than 1/16 of the
 *   entries it has room for (6.5 per bucket) for --linger seconds; or when a
 *   big growth is still copying (progressing, so not lingering) after
 *   --linger seconds, holding both arrays at once.
 *
 * Maps the attach-time heap scan found were already in their state when we
 * attached; every duration is measured from then, and the texts say so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maptrack.h"

#define BLOAT_RATIO_NUM   1 /* overflow buckets >= 1/2 of 2^B */
#define BLOAT_RATIO_DEN   2
#define BLOAT_MIN_BUCKETS 8 /* tiny maps' chains are not worth a finding */
#define BLOAT_SAMESIZE    2

/* Overflow buckets: exact from extra.overflow when Go keeps it, else noverflow, which
 * above B = 15 is incremented with probability 1/2^(B-15) (incrnoverflow). */
static uint64_t overflow_buckets(const struct gm_map *m)
{
    if (m->ovf_known)
        return m->ovf_len;
    return m->B >= 16 ? (uint64_t)m->noverflow << (m->B - 15) : m->noverflow;
}

size_t ms_gm_findings(const struct gm_tracker *tr, const struct gm_options *o,
                      struct gm_finding **out, struct gm_summary *sum)
{
    size_t n = 0, cap = 0;
    struct gm_finding *fs = NULL;
    memset(sum, 0, sizeof *sum);
    double minutes = (tr->proc.now - tr->proc.start) / 60.0;
    for (size_t i = 0; i < tr->n; i++) {
        const struct gm_map *m = &tr->maps[i];
        if (!m->type || !m->polled)
            continue;
        unsigned bs = m->type->bucketsize;
        unsigned oldB = (m->flags & 8) ? m->B : (m->B ? m->B - 1 : 0); /* sameSizeGrow */
        uint64_t bytes = ms_gm_array_bytes(bs, m->B);
        uint64_t old = m->growing ? ms_gm_array_bytes(bs, oldB) : 0;
        uint64_t ovf = overflow_buckets(m);
        uint64_t oldovf =
            m->growing ? (m->oldovf_known ? m->oldovf_len : m->grow_old_noverflow) : 0;
        sum->maps++;
        sum->growing += m->growing;
        sum->bucket_bytes += bytes;
        sum->old_bytes += old;
        sum->overflow_buckets += ovf;
        uint64_t ovf_bytes = ms_gm_overflow_bytes(bs, m->B, ovf);
        uint64_t oldovf_bytes = ms_gm_overflow_bytes(bs, oldB, oldovf);
        sum->overflow_bytes += ovf_bytes + oldovf_bytes;
        char b1[32], b2[32], b3[32];
        ms_fmt_size(b1, sizeof b1, bytes, MS_SIZE_ROUND);
        ms_fmt_size(b2, sizeof b2, old + oldovf_bytes, MS_SIZE_ROUND);
        double idle = tr->proc.now - m->progress;
        double growing_for = tr->proc.now - m->grow_start;
        struct gm_finding *f;
#define NEW(k, r)                                                                                  \
    if (!(f = ms_gm_push(&fs, &n, &cap, sizeof *fs, 16)))                                          \
        break;                                                                                     \
    f->kind = (k);                                                                                 \
    f->m = m;                                                                                      \
    f->reason = (r);                                                                               \
    f->bucket_bytes = bytes;                                                                       \
    f->old_bytes = old;                                                                            \
    f->overflow_buckets = ovf;                                                                     \
    f->overflow_bytes = ovf_bytes;                                                                 \
    f->old_overflow_buckets = oldovf;                                                              \
    f->old_overflow_bytes = oldovf_bytes;                                                          \
    f->samesize_per_min = minutes > 0 ? m->samesize_grows / minutes : 0;

        /* a map found by the heap scan was already like this when we attached */
        bool before = m->before_attach && !m->grows;
        if (m->growing && idle >= o->linger) {
            NEW(GM_LINGERING, "stalled");
            f->lingering_s = idle;
            snprintf(f->why, sizeof f->why,
                     "growth to 2^%u buckets started and evacuation has not moved for %s%.0f s%s "
                     "(%llu of %llu old buckets done); the old array (%s with its overflow "
                     "buckets) stays until every old bucket is copied, and copying happens only "
                     "on writes",
                     m->B, before ? "at least " : "", idle,
                     before ? " (it was already mid-growth when mapscope attached)" : "",
                     (unsigned long long)m->nevacuate, 1ULL << oldB, b2);
            snprintf(f->advice, sizeof f->advice,
                     "if the map is now read-mostly, copy it into a fresh map "
                     "(m2 := make(map[K]V, len(m)); for k, v := range m { m2[k] = v }) and drop "
                     "the old one; a burst of writes to it would also finish the growth");
        } else if (m->growing && old > GM_LARGE_OBJECT && growing_for >= o->linger) {
            NEW(GM_LARGE_SPAN, "mid_growth");
            snprintf(f->why, sizeof f->why,
                     "a growth has been copying for %s%.0f s (%llu of %llu old buckets done): the "
                     "map holds its old (%s) and new (%s) bucket arrays at once",
                     before ? "at least " : "", growing_for, (unsigned long long)m->nevacuate,
                     1ULL << oldB, b2, b1);
            snprintf(f->advice, sizeof f->advice,
                     "writes are too sparse to finish the growth quickly; presize the map "
                     "(make(map[K]V, n)) so it does not grow while large");
        }
        bool ratio =
            ovf >= BLOAT_MIN_BUCKETS && ovf * BLOAT_RATIO_DEN >= (1ULL << m->B) * BLOAT_RATIO_NUM;
        if (m->samesize_grows >= BLOAT_SAMESIZE || ratio) {
            NEW(GM_OVERFLOW_BLOAT, m->samesize_grows >= BLOAT_SAMESIZE ? "churn" : "chains");
            ms_fmt_size(b3, sizeof b3, ovf_bytes, MS_SIZE_ROUND);
            snprintf(f->why, sizeof f->why,
                     "%llu overflow buckets (%s outside the array) for %llu buckets, %u same-size "
                     "grows while "
                     "watched (%.1f/min): insert/delete churn leaves chains that only a full "
                     "same-size copy of the map compacts",
                     (unsigned long long)ovf, b3, 1ULL << m->B, m->samesize_grows,
                     f->samesize_per_min);
            snprintf(f->advice, sizeof f->advice,
                     "give the map room (a larger make hint keeps load and chains down), or "
                     "rebuild it periodically instead of deleting and re-inserting in place");
        }
        if (m->sparse_since && tr->proc.now - m->sparse_since >= o->linger && !m->growing) {
            bool unused = m->from_makemap && m->peak_count * 16 < 13 * ((1ULL << m->B) / 2);
            /* Found empty at attach: nevacuate is left where the last growth ended, so 0
             * means it never grew (made with a large hint) or was cleared (mapclear resets
             * it): no sign it ever held entries. */
            bool no_history = before && !m->clears && !m->peak_count && !m->nevacuate;
            const char *r = unused       ? "preallocated_unused"
                            : m->count   ? "sparse"
                            : no_history ? "empty"
                                         : "emptied";
            NEW(GM_LARGE_SPAN, r);
            snprintf(f->why, sizeof f->why,
                     "%llu entries (peak seen %llu%s) in a %s bucket array with room for %llu%s: "
                     "maps never shrink, so the array and its dedicated span stay",
                     (unsigned long long)m->count, (unsigned long long)m->peak_count,
                     before ? " since attach" : "", b1, 13ULL * ((1ULL << m->B) / 2),
                     !strcmp(r, "empty") ? " (it was made with a large size hint and never "
                                           "filled, or cleared, before mapscope attached)"
                                         : "");
            snprintf(f->advice, sizeof f->advice, "%s",
                     !strcmp(r, "preallocated_unused")
                         ? "the make hint reserved far more than is used: size the hint to the "
                           "real population or let the map grow on demand"
                     : !strcmp(r, "empty")
                         ? "if it is not about to be filled, set the variable to a fresh map "
                           "(or nil) to return the array to the heap"
                         : "copy the live entries into a new map and drop this one (or set the "
                           "variable to a fresh map) to return the array to the heap");
        }
#undef NEW
    }
    *out = fs;
    return n;
}
