/*
 * unwind_dwarf.c — the default stack walker: libdw's CFI rules, cached.
 *
 * libunwind's unw_backtrace costs ~10 ns a frame (it looks each frame up in
 * a hashed cache of decoded rules and keeps a full register cursor) plus a
 * fixed cost per call; at 15-20 frames a stack that alone is more than the
 * whole budget of the shim.  The rules themselves are simple on x86-64:
 * libdw reads them from the object's .eh_frame once per return address
 * (cfi.c), and this walker keeps them, pre-decoded, in a direct-mapped
 * table of 2^16 64-bit words (one word per return address, so threads read
 * and fill it without locks and a torn entry cannot happen); a frame then
 * costs a hash, a load, a compare and one or two stack loads.  Like the
 * frame-pointer walk, the walk itself is ours; reading DWARF is libdw's.
 *
 * Word layout (0 = empty):
 *   bits  0-30  tag: return address >> 16 (user addresses are < 2^47)
 *   bit  31     set in every filled entry
 *   bits 32-33  CFA kind        bits 34-51  CFA offset (signed 18 bits)
 *   bits 52-53  rbp kind        bits 54-61  rbp offset / 8 (signed 8 bits)
 *   bit  62     outermost frame (return address undefined)
 *   bit  63     no usable rule here: libunwind walks this stack
 * Rules whose offsets do not fit are looked up through libdw every time
 * (correct, just slower).  The table index mixes both halves of the address
 * so objects mapped 64 KiB apart do not collide.
 *
 * Every stack read is bounds-checked against [caller's sp, top of stack):
 * a wrong rule gives a short stack, never a fault.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cfi.h"
#include "guard.h"
#include "shim_base.h"
#include "shim_mem.h"
#include "stacks.h"
#include "unwind.h"

#define RULE_BITS  16
#define RULE_SLOTS (1u << RULE_BITS)

static _Atomic uint64_t *rules;
static _Atomic uint64_t n_rules, n_fallbacks;

int ms_unwind_dwarf_init(void)
{
    rules = ms_mem_map(RULE_SLOTS * sizeof(uint64_t), MS_MEM_CACHE);
    return rules ? 0 : -1;
}

/* An object was unloaded: its rules must not serve whatever is loaded at
 * the same addresses next.  Word by word, so concurrent readers never see a
 * torn entry. */
void ms_unwind_dwarf_forget(void)
{
    for (uint32_t i = 0; rules && i < RULE_SLOTS; i++)
        atomic_store_explicit(&rules[i], 0, memory_order_relaxed);
}

void ms_unwind_dwarf_counts(uint64_t *nr, uint64_t *nf)
{
    *nr = atomic_load_explicit(&n_rules, memory_order_relaxed);
    *nf = atomic_load_explicit(&n_fallbacks, memory_order_relaxed);
}

#define W_FILLED   (1ull << 31)
#define W_LAST     (1ull << 62)
#define W_FALLBACK (1ull << 63)

static inline uint32_t slot_of(uintptr_t ra)
{
    return (uint32_t)((ra ^ (ra >> RULE_BITS)) & (RULE_SLOTS - 1));
}

static inline uint64_t tag_of(uintptr_t ra)
{
    return (uint64_t)(ra >> 16) | W_FILLED;
}

static uint64_t encode(uintptr_t ra, const struct ms_cfi_rule *r, int found)
{
    uint64_t w = tag_of(ra);
    if (!found || !r->ok)
        return w | W_FALLBACK;
    if (r->last)
        return w | W_LAST;
    if (r->cfa_off < -(1 << 17) || r->cfa_off >= (1 << 17) || (r->bp_off & 7) ||
        r->bp_off / 8 < -128 || r->bp_off / 8 > 127)
        return 0; /* does not fit: not cached */
    w |= (uint64_t)r->cfa_kind << 32;
    w |= ((uint64_t)(uint32_t)r->cfa_off & 0x3ffff) << 34;
    w |= (uint64_t)r->bp_kind << 52;
    w |= ((uint64_t)(uint8_t)(int8_t)(r->bp_off / 8)) << 54;
    return w;
}

/* The rule word for the frame whose return address is ra (W_FALLBACK
 * when the rules cannot describe it), or 0 with the rule in *wide when its
 * offsets do not fit a word. */
static inline uint64_t rule_for(uintptr_t ra, struct ms_cfi_rule *wide)
{
    _Atomic uint64_t *slot = &rules[slot_of(ra)];
    uint64_t w = atomic_load_explicit(slot, memory_order_relaxed);
    if (MS_LIKELY((uint32_t)w == (uint32_t)tag_of(ra)))
        return w;
    /* Miss: ask libdw (the call site is at ra - 1).  Before libdw is
     * loaded (allocations made ahead of the library constructor) the
     * answer is not remembered; a rule whose offsets do not fit a word is
     * asked for every time. */
    int rc = ms_cfi_find(ra - 1, wide);
    int found = rc == 0 && wide->ok;
    atomic_fetch_add_explicit(found ? &n_rules : &n_fallbacks, 1, memory_order_relaxed);
    if (MS_UNLIKELY(ra >= (1ull << 47))) /* no room for its tag: never stored */
        return found ? 0 : W_FALLBACK;
    uint64_t nw = encode(ra, wide, found);
    if (rc != MS_CFI_UNAVAILABLE && nw)
        atomic_store_explicit(slot, nw, memory_order_relaxed);
    return nw;
}

static inline int32_t cfa_off_of(uint64_t w)
{
    int32_t off = (int32_t)((w >> 34) & 0x3ffff);
    return (off ^ 0x20000) - 0x20000; /* sign-extend 18 bits */
}

static inline int32_t bp_off_of(uint64_t w)
{
    return (int32_t)(int8_t)(uint8_t)(w >> 54) * 8;
}

/* Bookkeeping of the reads that decided the walk (see unwind.h): every
 * read is noted; a saved-rbp read counts only if a later frame used that
 * rbp (bit set in `needed`). */
struct tracer {
    struct ms_walk_trace *t;
    uintptr_t sp0;
    int bp_src; /* read that produced the current rbp; -1: the starting rbp */
    uint64_t needed;
};

static inline int note_read(struct tracer *tr, uintptr_t addr, bool needed)
{
    struct ms_walk_trace *t = tr->t;
    if (!t)
        return -1;
    if (t->nreads == MS_TRACE_MAX || addr - tr->sp0 > UINT32_MAX) {
        t->cacheable = false;
        return -1;
    }
    t->off[t->nreads] = (uint32_t)(addr - tr->sp0);
    tr->needed |= (uint64_t)needed << t->nreads;
    return (int)t->nreads++;
}

/* The current rbp decides something: its source read must be checked. */
static inline void need_bp(struct tracer *tr)
{
    if (!tr->t)
        return;
    if (tr->bp_src < 0)
        tr->t->need_bp0 = true;
    else
        tr->needed |= 1ull << tr->bp_src;
}

static void finish_trace(struct tracer *tr)
{
    struct ms_walk_trace *t = tr->t;
    if (!t || tr->needed == (t->nreads < 64 ? (1ull << t->nreads) - 1 : ~0ull))
        return; /* every read was needed */
    unsigned k = 0;
    for (unsigned i = 0; i < t->nreads; i++)
        if (tr->needed >> i & 1)
            t->off[k++] = t->off[i];
    t->nreads = k;
}

static inline bool in_stack(uintptr_t addr, uintptr_t lo, uintptr_t hi)
{
    return addr >= lo && addr <= hi - 8 && (addr & 7) == 0;
}

unsigned ms_unwind_dwarf(const struct ms_frame0 *f, uintptr_t *out, unsigned max,
                         struct ms_walk_trace *t)
{
    uintptr_t hi = ms_stack_top();
    uintptr_t ip = f->ip, sp = f->sp, bp = f->bp;
    struct tracer tr = {t, f->sp, -1, 0};
    unsigned n = 0;
    if (t) {
        t->nreads = 0;
        t->cacheable = true;
        t->fell_back = false;
        t->need_bp0 = false;
    }
    while (n < max) {
        out[n++] = ip;
        if (n == max)
            break;
        struct ms_cfi_rule wide;
        uint64_t w = rule_for(ip, &wide);
        if (MS_UNLIKELY(w & W_FALLBACK)) {
            /* A frame these rules cannot describe: libunwind does it all. */
            if (t) {
                t->cacheable = false;
                t->fell_back = true;
            }
            return ms_unwind_lu(f, out, max);
        }
        if (w & W_LAST)
            break;
        unsigned cfa_kind = (unsigned)(w >> 32) & 3, bp_kind = (unsigned)(w >> 52) & 3;
        int32_t cfa_off = cfa_off_of(w), bp_off = bp_off_of(w);
        if (MS_UNLIKELY(w == 0)) { /* a rule that does not fit a word */
            if (wide.last)
                break;
            cfa_kind = wide.cfa_kind;
            bp_kind = wide.bp_kind;
            cfa_off = wide.cfa_off;
            bp_off = wide.bp_off;
        }
        uintptr_t cfa;
        if (cfa_kind == MS_CFA_SP) {
            cfa = sp + (intptr_t)cfa_off;
        } else {
            need_bp(&tr);
            cfa = bp + (intptr_t)cfa_off;
            if (cfa_kind == MS_CFA_DEREF) {
                if (!in_stack(cfa, f->sp, hi))
                    break;
                uintptr_t a = cfa;
                cfa = *(const uintptr_t *)a;
                note_read(&tr, a, true);
            }
        }
        if (cfa <= sp || !in_stack(cfa - 8, f->sp, hi))
            break;
        uintptr_t ra = *(const uintptr_t *)(cfa - 8);
        note_read(&tr, cfa - 8, true);
        if (bp_kind != MS_BP_SAME) {
            uintptr_t a;
            if (bp_kind == MS_BP_AT_CFA) {
                a = cfa + (intptr_t)bp_off;
            } else {
                need_bp(&tr);
                a = bp + (intptr_t)bp_off;
            }
            if (!in_stack(a, f->sp, hi))
                break;
            bp = *(const uintptr_t *)a;
            tr.bp_src = note_read(&tr, a, false);
            if (tr.bp_src < 0 && t)
                t->cacheable = false;
        }
        sp = cfa;
        ip = ra;
        if (ra < 4096)
            break;
    }
    finish_trace(&tr);
    return n;
}
