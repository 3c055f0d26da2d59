/*
 * findings_format.c — the names and generic texts of the gomaps findings,
 * used by the probe (which writes them) and by mapscope report (which reads
 * them).  See findings_format.h.
 */
#include "config.h"

#include <string.h>

#include "findings_format.h"

static const struct gm_finding_def defs[GM_FINDING_KINDS] = {
    [GM_LINGERING] = {"lingering_oldbuckets", "LINGER", "classic",
                      "evacuation only advances on writes; with no writes the old array stays. "
                      "Write to the map, or copy it into a fresh one",
                      "growth stalled: old bucket array held"},
    [GM_OVERFLOW_BLOAT] = {"overflow_bloat", "OVERFLOW", "classic",
                           "insert/delete churn near the load factor grows overflow chains "
                           "(same-size grows compact them). Rebuild the map",
                           "overflow chains"},
    [GM_LARGE_SPAN] = {"large_span", "LARGE", "both",
                       "Go maps never shrink; a map that was once big keeps its large arrays "
                       "(each its own span). Copy the survivors into a fresh map",
                       "large arrays held by a mostly empty map"},
    [GM_RETAINED_CAPACITY] = {"retained_capacity", "RETAINED", "swiss",
                              "Go maps never shrink (golang/go#20135): deletes and clear() keep "
                              "every table. Copy the survivors into a fresh map",
                              "capacity far above the live entries"},
    [GM_TOMBSTONE_BLOAT] = {"tombstone_bloat", "TOMBSTONE", "swiss",
                            "deleted slots (tombstones) count against the load factor, so "
                            "insert/delete churn grows tables with no more live entries "
                            "(golang/go#70886). Rebuild the map periodically",
                            "tables grown by tombstones"},
};

const struct gm_finding_def *ms_gm_finding_def(enum gm_finding_kind k)
{
    return (unsigned)k < GM_FINDING_KINDS ? &defs[k] : NULL;
}

const char *ms_gm_finding_name(enum gm_finding_kind k)
{
    return (unsigned)k < GM_FINDING_KINDS ? defs[k].name : "?";
}

int ms_gm_finding_kind(const char *name)
{
    for (int k = 0; name && k < GM_FINDING_KINDS; k++)
        if (!strcmp(name, defs[k].name))
            return k;
    return -1;
}

static const char *const site_names[GM_SITE_KINDS] = {"unknown", "created", "first_growth",
                                                      "cleared", "heap_profile"};
static const char *const site_labels[GM_SITE_KINDS] = {"site:", "created at", "first grew at",
                                                       "cleared at", "bucket array allocated at"};

const char *ms_gm_site_kind_name(enum gm_site_kind k)
{
    return (unsigned)k < GM_SITE_KINDS ? site_names[k] : "unknown";
}

const char *ms_gm_site_label(const char *kind_name)
{
    for (int k = 0; kind_name && k < GM_SITE_KINDS; k++)
        if (!strcmp(kind_name, site_names[k]))
            return site_labels[k];
    return "site:";
}
