/*
 * goret.c — the RET instructions of a Go function, for return-value probes.
 *
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
    if (!bin->pcln || ms_gopcln_pcsp(bin->pcln, entry, on_range, &w) < 0)
        return -1;
    return w.n;
}
