/*
 * swissfindings.c — which Swiss-table maps are a problem, and why.
 *
 * A Swiss map grows a table at once (rehash) and never shrinks, so the
 * classic findings about lingering old arrays have no analogue; what remains
 * is capacity held without live entries.  One finding per map, the most
 * specific first:
 *
 * tombstone_bloat: tables grew while the live count did not (GM_SWISS_CHURN_GROWS
 *   growths at no new live peak, each in a table holding tombstones; tombstones
 *   alone prove nothing: deletes leave them in any emptied map), and it has room for
 *   GM_SWISS_ROOM times its peak.  Go 1.24 never prunes tombstones (golang/go#70886);
 *   1.25+ prunes them on the fast assign paths only.
 * large_span: the map is sparse (live entries under 1/GM_SWISS_SPARSE_DEN of its
 *   usable slots for --linger seconds) and most of what it holds is in large
 *   objects (group arrays or a directory over 32 KiB, each its own span).
 * retained_capacity: the same, held in small objects.
 *
 * Nothing is flagged below GM_SWISS_MIN_WASTE unused bytes: small waste is the
 * price of any hash table.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "swiss.h"

/* Bytes held beyond what the live entries need, at the map's own bytes per slot. */
static uint64_t wasted(const struct sw_map *m)
{
    uint64_t held = ms_sw_held(m), usable = m->capacity * 7 / 8;
    if (!usable || m->used >= usable)
        return 0;
    return held - (uint64_t)((double)held * (double)m->used / (double)usable);
}

/* Which Go and which assign path explain tombstones that were never pruned. */
static void tomb_cause(const struct sw_tracker *tr, const struct sw_map *m, char *buf, size_t len)
{
    if (tr->lay.minor <= 24) {
        snprintf(buf, len, "Go 1.%d never prunes tombstones (golang/go#70886)", tr->lay.minor);
        return;
    }
    const char *k = m->type ? m->type->key : "?";
    bool fast = !strcmp(k, "string") || !strcmp(k, "int64") || !strcmp(k, "uint64") ||
                !strcmp(k, "int32") || !strcmp(k, "uint32") || !strcmp(k, "int") ||
                !strcmp(k, "uint") || !strcmp(k, "uintptr") || k[0] == '*';
    snprintf(buf, len,
             "Go 1.%d prunes tombstones only on the fast assign paths (4/8-byte and string keys, "
             "values up to 128 bytes); %s (%u prunes seen)",
             tr->lay.minor,
             fast ? "this map's inserts reach the generic path (values over 128 bytes) or "
                    "prune too little"
                  : "this map's key type takes the generic runtime.mapassign path, which never "
                    "prunes",
             m->prunes);
}

size_t ms_sw_findings(const struct sw_tracker *tr, const struct sw_options *o,
                      struct sw_finding **out, struct sw_summary *sum)
{
    size_t n = 0, cap = 0;
    struct sw_finding *fs = NULL;
    memset(sum, 0, sizeof *sum);
    double minutes = (tr->proc.now - tr->proc.start) / 60.0;
    for (size_t i = 0; i < tr->n; i++) {
        const struct sw_map *m = &tr->maps[i];
        if (!m->polled)
            continue;
        uint64_t held = ms_sw_held(m), waste = wasted(m), usable = m->capacity * 7 / 8;
        sum->maps++;
        sum->held += held;
        sum->capacity += m->capacity;
        sum->used += m->used;
        sum->tombstones += m->tombstones;
        sum->large_bytes += m->large_bytes;
        if (!m->type || !m->type->groupsize || waste < GM_SWISS_MIN_WASTE)
            continue;
        char h1[32], h2[32], cause[320];
        ms_fmt_size(h1, sizeof h1, held, MS_SIZE_ROUND);
        ms_fmt_size(h2, sizeof h2, waste, MS_SIZE_ROUND);
        bool roomy = usable >= GM_SWISS_ROOM * (m->peak_used > m->used ? m->peak_used : m->used);
        bool churn = m->churn_grows >= GM_SWISS_CHURN_GROWS;
        bool sparse = m->sparse_since && tr->proc.now - m->sparse_since >= o->linger;
        struct sw_finding *f;
        if (roomy && churn) {
            if (!(f = ms_gm_push(&fs, &n, &cap, sizeof *fs, 16)))
                break;
            f->kind = GM_TOMBSTONE_BLOAT;
            f->reason = "churn";
            tomb_cause(tr, m, cause, sizeof cause);
            snprintf(f->why, sizeof f->why,
                     "%llu live entries (peak seen %llu) in %llu tables of %llu slots with %llu "
                     "tombstones; %u of %u growths while watched came at no new live peak "
                     "(%.1f growths/min): deleted slots count against the load factor, so "
                     "insert/delete churn grows tables; %s. It holds %s, %s of it unused",
                     (unsigned long long)m->used, (unsigned long long)m->peak_used,
                     (unsigned long long)m->tables, (unsigned long long)m->capacity,
                     (unsigned long long)m->tombstones, m->churn_grows, m->grows,
                     minutes > 0 ? m->grows / minutes : 0.0, cause, h1, h2);
            snprintf(f->advice, sizeof f->advice, "%s",
                     tr->lay.minor <= 24
                         ? "rebuild the map periodically (copy the live entries into a fresh "
                           "map), or build with Go 1.25 or later, which prunes tombstones on "
                           "the fast paths"
                         : "rebuild the map periodically (copy the live entries into a fresh "
                           "map); with a struct, interface, float or array key, a key on the "
                           "fast path (an int64 or string built from it) lets Go prune");
        } else if (sparse) {
            bool large = m->large_bytes * 2 >= held;
            if (!(f = ms_gm_push(&fs, &n, &cap, sizeof *fs, 16)))
                break;
            f->kind = large ? GM_LARGE_SPAN : GM_RETAINED_CAPACITY;
            bool history = m->peak_used || m->grows || m->tombstones;
            f->reason = m->used            ? (m->peak_used >= 2 * m->used ? "shrunk" : "sparse")
                        : m->clearseq      ? "cleared"
                        : history          ? "emptied"
                        : m->before_attach ? "empty"
                                           : "preallocated_unused";
            snprintf(f->why, sizeof f->why,
                     "%llu live entries (peak seen %llu%s) in %llu tables with %llu slots "
                     "(directory of %llu)%s: it holds %s%s, %s of it unused; maps never shrink "
                     "(golang/go#20135), %s",
                     (unsigned long long)m->used, (unsigned long long)m->peak_used,
                     m->before_attach ? " since attach" : "", (unsigned long long)m->tables,
                     (unsigned long long)m->capacity, (unsigned long long)m->dirlen,
                     m->clearseq ? ", cleared with clear()" : "", h1,
                     large ? " mostly in large objects, each its own span" : "", h2,
                     m->clearseq        ? "and clear() keeps every table"
                     : history          ? "deletes keep every table"
                     : m->before_attach ? "and nothing shows it ever held more: made with a "
                                          "large size hint and never filled, or emptied before "
                                          "mapscope attached"
                                        : "and it never grew while watched: made with a large "
                                          "size hint and never filled");
            if (ms_sw_maybe_garbage(m)) {
                size_t l = strlen(f->why);
                snprintf(f->why + l, sizeof f->why - l,
                         ". Found by a heap scan %s and unchanged since, with no GC cycle "
                         "completed yet: it may be garbage the next GC frees",
                         m->before_attach ? "at attach" : "while watched");
                snprintf(f->advice, sizeof f->advice,
                         "if nothing references it any more, nothing to do (the next GC frees "
                         "it); if it is still in use, copy its live entries into a new map and "
                         "drop this one");
            } else
                snprintf(f->advice, sizeof f->advice, "%s",
                         !strcmp(f->reason, "preallocated_unused") || !strcmp(f->reason, "empty")
                             ? "if it is not about to be filled, size the make hint to the real "
                               "population, or set the variable to a fresh map (or nil)"
                             : "copy the live entries into a new map (m2 := make(map[K]V, len(m)); "
                               "for k, v := range m { m2[k] = v }) and drop this one; after "
                               "clear(m), m = make(map[K]V) instead when it will not refill");
        } else {
            continue;
        }
        f->m = m;
        f->held = held;
        f->wasted = waste;
        f->grows_per_min = minutes > 0 ? m->grows / minutes : 0;
    }
    *out = fs;
    return n;
}
