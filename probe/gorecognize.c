/*
 * gorecognize.c — which map implementation a Go binary uses, and from what.
 *
 * The build info says it directly: the toolchain version (Swiss tables are the
 * default from Go 1.24) and GOEXPERIMENT (noswissmap in 1.24/1.25,
 * mapsplitgroup in 1.27).  A binary can lack build info (some release builds
 * strip it, e.g. esbuild's npm binary), but never its function table, which the
 * runtime needs for tracebacks: Swiss-table runtimes have the
 * internal/runtime/maps package and no runtime.hashGrow, classic ones the
 * reverse.  The same table bounds the version from below, which is all the
 * Swiss layouts need: (*table).pruneTombstones arrived in 1.25 (the Map header
 * gained tombstonePossible), and 1.27 moved the map hash functions into the
 * maps package together with its new map type descriptor.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gobin.h"

#define MAPS "internal/runtime/maps."

static bool has(const struct ms_gobin *bin, const char *name)
{
    return ms_gopcln_func(bin->pcln, name, NULL) != 0;
}

/* The oldest Swiss-table release whose runtime has the functions this binary has. */
static int swiss_minor_from_functions(const struct ms_gobin *bin)
{
    if (has(bin, MAPS "AlgInit") || has(bin, MAPS "MemHash64") || has(bin, MAPS "MemHash"))
        return 27;
    if (has(bin, MAPS "(*table).pruneTombstones"))
        return 25;
    return 24;
}

int ms_gobin_recognize(struct ms_gobin *bin)
{
    bin->impl = MS_GOMAP_UNKNOWN;
    bin->impl_from = NULL;
    if (bin->version[0] && bin->major) {
        bin->impl = bin->swiss ? MS_GOMAP_SWISS : MS_GOMAP_CLASSIC;
        bin->impl_from = "build info";
        return 0;
    }
    if (!bin->pcln)
        return -1;
    bool swiss = ms_gopcln_count_prefix(bin->pcln, MAPS) > 0;
    bool classic = has(bin, "runtime.hashGrow");
    if (swiss == classic)
        return -1;
    bin->impl = swiss ? MS_GOMAP_SWISS : MS_GOMAP_CLASSIC;
    bin->impl_from = "function table";
    bin->swiss = swiss;
    if (swiss) {
        /* The Swiss layouts depend on the version only through these bounds. */
        bin->major = 1;
        bin->minor = swiss_minor_from_functions(bin);
        bin->version_guessed = true;
        /* for reports: what is known, "go1.25+" */
        snprintf(bin->version, sizeof bin->version, "go1.%d+", bin->minor);
    }
    return 0;
}

const char *ms_gobin_describe(const struct ms_gobin *bin, char *buf, size_t len)
{
    const char *impl = bin->impl == MS_GOMAP_SWISS     ? "Swiss-table maps"
                       : bin->impl == MS_GOMAP_CLASSIC ? "classic maps"
                                                       : "map implementation unknown";
    char ver[256];
    if (bin->version_guessed)
        snprintf(ver, sizeof ver, "no build info, Go %d.%d or later by its runtime functions",
                 bin->major, bin->minor);
    else if (bin->version[0])
        snprintf(ver, sizeof ver, "%s%s%s", bin->version,
                 bin->experiment[0] && !strstr(bin->version, "X:") ? " GOEXPERIMENT=" : "",
                 bin->experiment[0] && !strstr(bin->version, "X:") ? bin->experiment : "");
    else
        snprintf(ver, sizeof ver, "no build info, Go version unknown");
    snprintf(buf, len, "%s, %s%s%s%s", ver, impl, bin->impl_from ? " (from the " : "",
             bin->impl_from ? bin->impl_from : "", bin->impl_from ? ")" : "");
    return buf;
}
