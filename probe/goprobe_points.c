/*
 * goprobe_points.c — where to put uprobes: the functions of rare map events and,
 * inside a function, its RET instructions or one branch.
 *
 * RET instructions, for return-value probes:
 * uretprobes must never be used on Go code: they overwrite the return address
 * on the goroutine stack, and when the runtime moves that stack (or walks it
 * for GC or a traceback) it finds a return pc it does not know and throws
 * ("unexpected return pc").  So to see a return value we put plain uprobes on
 * each RET instruction of the function.
 *
 * Finding RETs without a disassembler: the pclntab's pc-to-SP-delta table
 * (pcsp) starts a new range at every instruction that changes the stack
 * pointer.  After the epilogue (ADDQ $frame, SP; POPQ BP) the delta is back to
 * 0, so each RET is exactly a range with delta 0 that starts after the entry
 * and whose first byte is 0xC3.  Range starts are instruction boundaries, so a
 * 0xC3 there is the RET opcode, never a byte inside another instruction.  The
 * other delta-0 range, the morestack call at the end, starts with CALL.
 */
#include "config.h"

#include <string.h>

#include "gobin.h"

struct ret_walk {
    const struct ms_gobin *bin;
    uint64_t entry;
    uint64_t *rets;
    int max, n;
};

static void on_range(uint64_t pc, uint64_t end, int32_t sp, void *arg)
{
    struct ret_walk *w = arg;
    (void)end;
    if (sp != 0 || pc == w->entry)
        return;
    const uint8_t *b = ms_gobin_at(w->bin, pc, 1);
    if (b && *b == 0xc3 && w->n < w->max)
        w->rets[w->n++] = pc;
}

int ms_gobin_rets(const struct ms_gobin *bin, uint64_t entry, uint64_t *rets, int max)
{
    struct ret_walk w = {bin, entry, rets, max, 0};
    if (!bin->pcln || ms_gopcln_walk(bin->pcln, entry, MS_PCSP, on_range, &w) < 0)
        return -1;
    return w.n;
}

/*
 * Code inlined from another file, to probe only one branch of a function.
 * runtime.makeBucketArray calls roundupsize (runtime/msize.go) only for arrays
 * of 16 buckets or more, and the compiler inlines it; the first instruction
 * the pc-to-file table attributes to msize.go therefore runs once per large
 * array and never for the small arrays of small maps, which are by far the
 * most frequent (a map outgrowing its first bucket).  A probe there costs
 * nothing for small maps.
 */
struct inl_walk {
    const struct ms_gobin *bin;
    uint64_t entry, found;
    const char *suffix;
};

static void on_file(uint64_t pc, uint64_t end, int32_t fileno, void *arg)
{
    struct inl_walk *w = arg;
    (void)end;
    if (w->found)
        return;
    const char *f = ms_gopcln_file(w->bin->pcln, w->entry, fileno);
    size_t l = f ? strlen(f) : 0, sl = strlen(w->suffix);
    if (l >= sl && !strcmp(f + l - sl, w->suffix))
        w->found = pc;
}

uint64_t ms_gobin_inlined_pc(const struct ms_gobin *bin, uint64_t entry, const char *suffix)
{
    struct inl_walk w = {bin, entry, 0, suffix};
    if (!bin->pcln || ms_gopcln_walk(bin->pcln, entry, MS_PCFILE, on_file, &w) < 0)
        return 0;
    return w.found;
}

/*
 * The Swiss-table events.  All of these run once per grow, split, group-array
 * allocation or clear, never per map operation.  The function table gives them
 * in stripped binaries too; .symtab is the fallback for a name the pclntab
 * lacks.  Not (*table).grow or split: PGO builds inline them into rehash.
 */
static void point(const struct ms_gobin *bin, struct ms_gopoint *pt, const char *func)
{
    memset(pt, 0, sizeof *pt);
    pt->func = func;
    pt->entry = bin->pcln ? ms_gopcln_func(bin->pcln, func, &pt->end) : 0;
    if (!pt->entry)
        pt->entry = ms_gobin_symbol(bin, func);
    pt->nret = pt->entry ? ms_gobin_rets(bin, pt->entry, pt->rets, MS_GOPOINT_MAXRET) : -1;
}

int ms_gobin_swiss_points(const struct ms_gobin *bin, struct ms_goswiss_points *pts)
{
    point(bin, &pts->rehash, "internal/runtime/maps.(*table).rehash");
    point(bin, &pts->install_split, "internal/runtime/maps.(*Map).installTableSplit");
    point(bin, &pts->newarray, "internal/runtime/maps.newarray");
    point(bin, &pts->grow_to_table, "internal/runtime/maps.(*Map).growToTable");
    point(bin, &pts->clear, "internal/runtime/maps.(*Map).Clear");
    point(bin, &pts->mapclear, "runtime.mapclear");
    point(bin, &pts->prune, "internal/runtime/maps.(*table).pruneTombstones");
    return pts->rehash.entry && pts->newarray.entry && pts->newarray.nret > 0 ? 0 : -1;
}
