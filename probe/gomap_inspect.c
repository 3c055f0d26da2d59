/*
 * gomap_inspect.c — what mapscope gomaps must know about a Go binary before it
 * attaches: its map implementation and Go release (build info, function table,
 * DWARF, through the inspection files behind gobin.h), the layouts to read its
 * maps with, and a one-line refusal naming what was recognised when it cannot.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gomaps_probe.h"

uint64_t ms_gm_func_addr(const struct ms_gobin *bin, const char *name, uint64_t *end)
{
    uint64_t e = 0, a = ms_gopcln_func(bin->pcln, name, &e);
    uint64_t s = ms_gobin_symbol(bin, name);
    if (s && !a)
        a = s;
    if (end)
        *end = e;
    return a;
}

int ms_gm_inspect(struct ms_gobin *bin, const char *path, const char *label,
                  const struct ms_gm_opts *o, struct ms_golayout *lay, struct sw_layout *swl)
{
    char err[512];
    if (ms_gobin_open(bin, path, err, sizeof err) < 0)
        return ms_gm_fail(errno == EACCES ? MS_GM_NOPERM : MS_GM_UNSUPPORTED, "%s", err);
    free(bin->path);
    bin->path = strdup(label);
    ms_gobin_buildinfo(bin);
    if (ms_gopcln_load(bin, err, sizeof err) < 0)
        return ms_gm_fail(MS_GM_UNSUPPORTED, "%s", err);
    char what[256];
    if (ms_gobin_recognize(bin) < 0)
        return ms_gm_fail(
            MS_GM_UNSUPPORTED,
            "%s: cannot tell its map implementation (%s; its function table has neither "
            "runtime.hashGrow nor internal/runtime/maps): supported are Go 1.17 and later",
            label, ms_gobin_describe(bin, what, sizeof what));
    ms_gobin_describe(bin, what, sizeof what);
    if (bin->swiss) {
        struct ms_golayout gl;
        /* Without build info the function table bounds the release from below, which is
         * all the Swiss layouts depend on (1.25's tombstonePossible, 1.27's descriptor). */
        if (bin->version_guessed)
            fprintf(stderr,
                    MS_GM_PROG ": note: %s: %s: using the layouts of Go 1.%d, the oldest "
                               "release with its map functions\n",
                    label, what, bin->minor);
        if (ms_golayout_for(bin, &gl) < 0 || ms_swiss_layout_from(&gl, bin->minor, swl) < 0)
            return ms_gm_fail(
                MS_GM_UNSUPPORTED,
                "%s was built with %s, whose Swiss-table maps are not known yet "
                "(supported: Swiss maps of Go 1.24 to 1.27, classic maps of Go 1.17 to "
                "1.25)",
                label, bin->version);
        struct ms_golayout dw = gl;
        const char *diff = ms_golayout_dwarf(bin, &dw) == 1 ? ms_golayout_diff(&gl, &dw) : NULL;
        if (diff && dw.impl != gl.impl)
            return ms_gm_fail(MS_GM_UNSUPPORTED,
                              "%s: its DWARF describes classic maps, its %s Swiss-table maps: "
                              "refusing to guess",
                              label, bin->impl_from);
        if (diff) {
            fprintf(stderr,
                    MS_GM_PROG ": note: %s's DWARF puts field %s elsewhere than the built-in %s "
                               "table; using DWARF\n",
                    label, diff, bin->version);
            if (ms_swiss_layout_from(&dw, bin->minor, swl) < 0)
                return ms_gm_fail(MS_GM_UNSUPPORTED,
                                  "%s: its DWARF describes a Swiss map we do not "
                                  "know",
                                  label);
        }
        *lay = diff ? dw : gl; /* also the heap structures, for the heap scan */
        if (ms_gotypes_init(bin) < 0 && o->verbose)
            fprintf(stderr, MS_GM_PROG ": note: runtime type names not found; map types print as "
                                       "'?'\n");
        if (o->verbose)
            fprintf(stderr, MS_GM_PROG ": %s: %s, pclntab from %s (%zu functions)\n", label, what,
                    ms_gopcln_origin(bin->pcln), ms_gopcln_nfunc(bin->pcln));
        return 0;
    }
    if (!bin->version[0])
        return ms_gm_fail(
            MS_GM_UNSUPPORTED,
            "%s: %s: the classic layouts depend on the Go version, which only the build "
            "info gives (supported: Go 1.17 and later with build info)",
            label, what);
    if (ms_golayout_for(bin, lay) < 0)
        return ms_gm_fail(
            MS_GM_UNSUPPORTED,
            "%s was built with %s: not supported (classic maps with the register ABI: "
            "Go 1.17 to 1.23, or 1.24/1.25 with GOEXPERIMENT=noswissmap)",
            label, bin->version);
    struct ms_golayout dw = *lay;
    int d = ms_golayout_dwarf(bin, &dw);
    const char *diff = d == 1 ? ms_golayout_diff(lay, &dw) : NULL;
    if (diff && dw.impl != lay->impl)
        return ms_gm_fail(MS_GM_UNSUPPORTED,
                          "%s: its DWARF describes %s maps, its %s %s maps: refusing to guess",
                          label, dw.impl == MS_GOMAP_SWISS ? "Swiss-table" : "classic",
                          bin->impl_from, lay->impl == MS_GOMAP_SWISS ? "Swiss-table" : "classic");
    if (diff) {
        fprintf(stderr,
                MS_GM_PROG ": note: %s's DWARF puts field %s elsewhere than the built-in %s "
                           "table; using DWARF\n",
                label, diff, bin->version);
        *lay = dw;
    }
    if (ms_gotypes_init(bin) < 0 && o->verbose)
        fprintf(stderr,
                MS_GM_PROG ": note: runtime type names not found; map types print as '?'\n");
    if (o->verbose)
        fprintf(stderr,
                MS_GM_PROG ": %s: %s%s%s, pclntab from %s (%zu functions), DWARF %s, symbols %s\n",
                label, bin->version, bin->experiment[0] ? " GOEXPERIMENT=" : "", bin->experiment,
                ms_gopcln_origin(bin->pcln), ms_gopcln_nfunc(bin->pcln),
                d == 1   ? (diff ? "differs (used)" : "agrees")
                : d == 0 ? "absent"
                         : "unusable",
                ms_gobin_symbol(bin, "runtime.main") ? "present" : "stripped");
    return 0;
}
