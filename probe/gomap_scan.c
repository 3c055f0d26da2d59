/*
 * gomap_scan.c — the maps a process already had when mapscope gomaps attached
 * (-p): the heap scan (goheap.c) run once after the probes are in place, its
 * finds handed to the classic or Swiss tracker, and what it did said in one
 * line.  For Swiss maps it also leaves the tracker what it needs to tell
 * reachable maps from garbage after the next GC cycle.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "gomaps_probe.h"

/* The maps the process already has: scanned once, after the probes are in place so
 * nothing falls between the two (a map growing meanwhile is seen by both); later
 * scans (at_attach false: sc is then the caller's scratch) adopt maps made since with
 * a large size hint, which no probe follows. */
void ms_gm_scan_classic(struct gm_tracker *tr, struct gm_scan_stats *sc, const struct ms_gm_opts *o,
                        bool at_attach)
{
    struct gm_found *found = NULL;
    size_t n = 0;
    uint64_t bias = 0;
    ms_gobin_load_bias(tr->proc.bin, tr->proc.pid, &bias);
    ms_gm_heap_scan(tr->proc.pid, tr->proc.bin, &tr->lay, NULL, bias, o->scan_limit, &found, &n,
                    sc);
    size_t taken = ms_gm_adopt(tr, found, n, ms_gm_now(), at_attach, sc);
    free(found);
    if (!at_attach) {
        if (o->verbose || taken)
            fprintf(stderr,
                    MS_GM_PROG ": heap scan: %zu new maps with large bucket arrays (%.1f MiB "
                               "read in %.0f ms)%s%s\n",
                    taken, (double)sc->bytes_read / (1 << 20), sc->ms, sc->failed ? ": " : "",
                    sc->failed ? sc->failed : "");
        return;
    }
    tr->scanned = true;
    tr->scan = sc;
    if (sc->failed) {
        fprintf(stderr,
                MS_GM_PROG ": heap scan at attach not done: %s; maps that already exist are seen "
                           "only when they grow, are cleared or are made\n",
                sc->failed);
        return;
    }
    fprintf(stderr,
            MS_GM_PROG ": heap scan at attach: %llu spans (%llu in use, %llu holding map headers, "
                       "%llu live headers checked), %.1f MiB read in %.0f ms: %zu maps with large "
                       "bucket arrays existed before attach, %zu with their type recognised%s\n",
            (unsigned long long)sc->spans, (unsigned long long)sc->inuse_spans,
            (unsigned long long)sc->hmap_spans, (unsigned long long)sc->slots,
            (double)sc->bytes_read / (1 << 20), sc->ms, sc->found, sc->typed,
            sc->truncated ? "; stopped at --scan-limit or after 5 s, maps in the rest of the "
                            "heap are seen only when they grow"
                          : "");
    if (o->verbose)
        fprintf(stderr,
                MS_GM_PROG ": heap scan: mheap_.allspans at 0x%llx (%llu candidates), liveness "
                           "from %s\n",
                (unsigned long long)sc->allspans, (unsigned long long)sc->allspans_candidates,
                sc->sweepgen_known ? "the sweep generation" : "allocation or mark bits");
}

/* The heap structures of the Swiss binary (its layout, for the slot checks after a GC). */
static struct ms_golayout heap_lay;

static int slot_live(void *ctx, uint64_t span, uint64_t slot, uint32_t sweepgen)
{
    return ms_gm_heap_slot_live((pid_t)(intptr_t)ctx, &heap_lay, span, slot, sweepgen);
}

void ms_gm_scan_swiss(struct sw_tracker *tr, const struct ms_golayout *lay,
                      const struct ms_gm_opts *o, bool at_attach)
{
    struct gm_scan_stats sc = {0};
    struct gm_found *found = NULL;
    size_t n = 0, named = 0, adopted = 0;
    uint64_t bias = 0;
    ms_gobin_load_bias(tr->proc.bin, tr->proc.pid, &bias);
    heap_lay = *lay;
    ms_gm_heap_scan(tr->proc.pid, tr->proc.bin, &heap_lay, &tr->lay, bias, o->scan_limit, &found,
                    &n, &sc);
    double now = ms_gm_now();
    for (size_t i = 0; i < n; i++) {
        struct sw_type proto = {.groupsize = found[i].groupsize, .pointers = !found[i].ptr_free};
        snprintf(proto.key, sizeof proto.key, "%s", found[i].key);
        snprintf(proto.elem, sizeof proto.elem, "%s", found[i].elem);
        struct sw_map *m = ms_sw_adopt(tr, found[i].h, 0, proto.groupsize ? &proto : NULL, now);
        if (!m)
            continue; /* followed already, or no room */
        adopted++;
        m->before_attach = at_attach;
        m->scan_gen = sc.sweepgen;
        named += found[i].named;
        if (!found[i].named)
            m->type_from = SW_TYPE_UNKNOWN;
        m->hdr_span = found[i].hdr_span;
        m->hdr_slot = found[i].hdr_slot;
    }
    free(found);
    if (!sc.failed && sc.sweepgen_known) {
        tr->gc_addr = sc.sweepgen_addr;
        tr->slot_live = slot_live;
        tr->slot_ctx = (void *)(intptr_t)tr->proc.pid;
    }
    if (!at_attach) { /* a later scan: only new maps are news */
        if (o->verbose || adopted)
            fprintf(stderr,
                    MS_GM_PROG ": heap scan: %zu new Swiss maps holding 64 KiB or more "
                               "(%.1f MiB read in %.0f ms)%s%s\n",
                    adopted, (double)sc.bytes_read / (1 << 20), sc.ms, sc.failed ? ": " : "",
                    sc.failed ? sc.failed : "");
        return;
    }
    if (sc.failed)
        fprintf(stderr,
                MS_GM_PROG ": heap scan at attach not done: %s; maps that already exist are seen "
                           "only when a table grows\n",
                sc.failed);
    else
        fprintf(stderr,
                MS_GM_PROG
                ": heap scan at attach: %llu spans (%llu in use), %.1f MiB read in %.0f ms: "
                "%zu Swiss maps holding 64 KiB or more existed before attach, %zu with "
                "their type from the heap's type records%s\n",
                (unsigned long long)sc.spans, (unsigned long long)sc.inuse_spans,
                (double)sc.bytes_read / (1 << 20), sc.ms, n, named,
                sc.truncated ? "; stopped at --scan-limit or after 5 s" : "");
}
