/*
 * unwind_dwarf.c — the default stack walker: .eh_frame rules, cached.
 *
 * libunwind's unw_backtrace costs ~10 ns a frame (it looks each frame up in
 * a hashed cache of decoded rules and keeps a full register cursor) plus a
 * fixed cost per call; at 15-20 frames a stack that alone is more than the
 * whole budget of the shim.  The rules themselves are simple on x86-64:
 * this walker keeps them, pre-decoded, in a direct-mapped table of 2^16
 * 64-bit words (one word per return address, so threads read and fill it
 * without locks and a torn entry cannot happen), and a frame costs a hash, a
 * load, a compare and one or two stack loads.
 *
 * Word layout (0 = empty):
 *   bits  0-30  tag: return address >> 16 (user addresses are < 2^47)
 *   bit  31     set in every filled entry
 *   bits 32-33  CFA kind        bits 34-51  CFA offset (signed 18 bits)
 *   bits 52-53  rbp kind        bits 54-61  rbp offset / 8 (signed 8 bits)
 *   bit  62     outermost frame (return address undefined)
 *   bit  63     no usable rule here: libunwind walks this stack
 * Rules whose offsets do not fit are looked up in .eh_frame every time
 * (correct, just slower).  The table index mixes both halves of the address
 * so objects mapped 64 KiB apart do not collide.
 *
 * Every stack read is bounds-checked against [caller's sp, top of stack):
 * a wrong rule gives a short stack, never a fault.
 */
#include <string.h>

#include "cfi.h"
#include "guard.h"
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

static void decode(uint64_t w, struct ms_cfi_rule *r)
{
    r->ok = !(w & W_FALLBACK);
    r->last = !!(w & W_LAST);
    r->cfa_kind = (uint8_t)((w >> 32) & 3);
    int32_t off = (int32_t)((w >> 34) & 0x3ffff);
    r->cfa_off = (off ^ 0x20000) - 0x20000; /* sign-extend 18 bits */
    r->bp_kind = (uint8_t)((w >> 52) & 3);
    r->bp_off = (int32_t)(int8_t)(uint8_t)(w >> 54) * 8;
}

/* Rule for the frame whose return address is ra. */
static inline void rule_for(uintptr_t ra, struct ms_cfi_rule *r)
{
    _Atomic uint64_t *slot = &rules[slot_of(ra)];
    uint64_t w = atomic_load_explicit(slot, memory_order_relaxed);
    if (MS_LIKELY((uint32_t)w == (uint32_t)tag_of(ra))) {
        decode(w, r);
        return;
    }
    /* Miss: read .eh_frame (the call site is at ra - 1). */
    int found = ms_cfi_find(ra - 1, r) == 0;
    if (!found)
        r->ok = 0;
    uint64_t nw = ra < (1ull << 47) ? encode(ra, r, found) : 0;
    if (nw)
        atomic_store_explicit(slot, nw, memory_order_relaxed);
    atomic_fetch_add_explicit(found && r->ok ? &n_rules : &n_fallbacks, 1, memory_order_relaxed);
}

/* Bookkeeping of the reads that decided the walk (see unwind.h). */
struct tracer {
    struct ms_walk_trace *t;
    uintptr_t sp0;
    int bp_src; /* read that produced the current rbp; -1: the starting rbp */
    bool needed[MS_TRACE_MAX];
};

static inline int note_read(struct tracer *tr, uintptr_t addr, uint64_t val, bool needed)
{
    struct ms_walk_trace *t = tr->t;
    if (!t)
        return -1;
    if (t->nreads == MS_TRACE_MAX || addr - tr->sp0 > UINT32_MAX) {
        t->cacheable = false;
        return -1;
    }
    t->off[t->nreads] = (uint32_t)(addr - tr->sp0);
    t->val[t->nreads] = val;
    tr->needed[t->nreads] = needed;
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
        tr->needed[tr->bp_src] = true;
}

static void finish_trace(struct tracer *tr)
{
    struct ms_walk_trace *t = tr->t;
    if (!t)
        return;
    unsigned k = 0;
    for (unsigned i = 0; i < t->nreads; i++) {
        if (tr->needed[i]) {
            t->off[k] = t->off[i];
            t->val[k] = t->val[i];
            k++;
        }
    }
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
    struct tracer tr = {t, f->sp, -1, {false}};
    unsigned n = 0;
    if (t) {
        t->nreads = 0;
        t->cacheable = true;
        t->need_bp0 = false;
    }
    while (n < max) {
        out[n++] = ip;
        if (n == max)
            break;
        struct ms_cfi_rule r;
        rule_for(ip, &r);
        if (MS_UNLIKELY(!r.ok)) {
            /* A frame these rules cannot describe: libunwind does it all. */
            if (t)
                t->cacheable = false;
            return ms_unwind_lu(f, out, max);
        }
        if (r.last)
            break;
        uintptr_t cfa;
        if (r.cfa_kind == MS_CFA_SP) {
            cfa = sp + (intptr_t)r.cfa_off;
        } else {
            need_bp(&tr);
            cfa = bp + (intptr_t)r.cfa_off;
            if (r.cfa_kind == MS_CFA_DEREF) {
                if (!in_stack(cfa, f->sp, hi))
                    break;
                uintptr_t a = cfa;
                cfa = *(const uintptr_t *)a;
                note_read(&tr, a, cfa, true);
            }
        }
        if (cfa <= sp || !in_stack(cfa - 8, f->sp, hi))
            break;
        uintptr_t ra = *(const uintptr_t *)(cfa - 8);
        note_read(&tr, cfa - 8, ra, true);
        if (r.bp_kind != MS_BP_SAME) {
            uintptr_t a;
            if (r.bp_kind == MS_BP_AT_CFA) {
                a = cfa + (intptr_t)r.bp_off;
            } else {
                need_bp(&tr);
                a = bp + (intptr_t)r.bp_off;
            }
            if (!in_stack(a, f->sp, hi))
                break;
            bp = *(const uintptr_t *)a;
            tr.bp_src = note_read(&tr, a, bp, false);
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
