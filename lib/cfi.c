/*
 * cfi.c — reading x86-64 unwind rules from .eh_frame (DWARF CFI).
 *
 * Only the rule-cache miss path of the DWARF walk comes here: once per
 * distinct return address.  It finds the object holding the address
 * (dl_iterate_phdr), binary-searches the object's .eh_frame_hdr table for
 * the FDE, and runs the CIE's and FDE's call-frame instructions up to the
 * address, keeping only what the walker needs: the CFA rule, the rbp rule,
 * and whether the return address is defined.  The format is in the DWARF 4
 * standard (section 6.4) and the LSB's .eh_frame chapter.
 *
 * Anything outside the common shapes (signal trampolines, CFA in another
 * register, arbitrary expressions, a table not sorted by the usual
 * encoding) returns -1 and the walker lets libunwind do that stack.  All
 * reads stay within the section bounds known from the headers; a malformed
 * table gives -1, not a fault.
 */
#include <link.h>
#include <string.h>

#include "cfi.h"

enum {
    DW_EH_PE_absptr = 0x00,
    DW_EH_PE_uleb128 = 0x01,
    DW_EH_PE_udata2 = 0x02,
    DW_EH_PE_udata4 = 0x03,
    DW_EH_PE_udata8 = 0x04,
    DW_EH_PE_sleb128 = 0x09,
    DW_EH_PE_sdata2 = 0x0a,
    DW_EH_PE_sdata4 = 0x0b,
    DW_EH_PE_sdata8 = 0x0c,
    DW_EH_PE_pcrel = 0x10,
    DW_EH_PE_datarel = 0x30,
    DW_EH_PE_indirect = 0x80,
    DW_EH_PE_omit = 0xff,
};

enum { REG_RBP = 6, REG_RSP = 7, REG_RA = 16 };

/* A bounded reader: every read checks the end first. */
struct rd {
    const unsigned char *p, *end;
    int bad;
};

static uint64_t rd_fixed(struct rd *r, unsigned n)
{
    uint64_t v = 0;
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p, n); /* little-endian host */
    r->p += n;
    return v;
}

static uint64_t rd_uleb(struct rd *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->bad || r->p >= r->end || shift > 63) {
            r->bad = 1;
            return 0;
        }
        unsigned char b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            return v;
    }
}

static int64_t rd_sleb(struct rd *r)
{
    int64_t v = 0;
    unsigned shift = 0;
    unsigned char b;
    do {
        if (r->bad || r->p >= r->end || shift > 63) {
            r->bad = 1;
            return 0;
        }
        b = *r->p++;
        v |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        v |= -((int64_t)1 << shift);
    return v;
}

/* An encoded pointer; data_base is the .eh_frame_hdr address (datarel). */
static uintptr_t rd_encoded(struct rd *r, uint8_t enc, uintptr_t data_base)
{
    if (enc == DW_EH_PE_omit)
        return 0;
    uintptr_t field = (uintptr_t)r->p, v;
    switch (enc & 0x0f) {
    case DW_EH_PE_absptr:
    case DW_EH_PE_udata8:
    case DW_EH_PE_sdata8:
        v = (uintptr_t)rd_fixed(r, 8);
        break;
    case DW_EH_PE_uleb128:
        v = (uintptr_t)rd_uleb(r);
        break;
    case DW_EH_PE_udata2:
        v = (uintptr_t)rd_fixed(r, 2);
        break;
    case DW_EH_PE_udata4:
        v = (uintptr_t)rd_fixed(r, 4);
        break;
    case DW_EH_PE_sleb128:
        v = (uintptr_t)rd_sleb(r);
        break;
    case DW_EH_PE_sdata2:
        v = (uintptr_t)(int16_t)rd_fixed(r, 2);
        break;
    case DW_EH_PE_sdata4:
        v = (uintptr_t)(int32_t)rd_fixed(r, 4);
        break;
    default:
        r->bad = 1;
        return 0;
    }
    switch (enc & 0x70) {
    case 0:
        break;
    case DW_EH_PE_pcrel:
        v += field;
        break;
    case DW_EH_PE_datarel:
        v += data_base;
        break;
    default:
        r->bad = 1; /* textrel/funcrel/aligned: not used on x86-64 Linux */
        return 0;
    }
    if (enc & DW_EH_PE_indirect)
        r->bad = 1; /* only personality pointers use it; those are skipped */
    return v;
}

/* Rule state while running call-frame instructions. */
struct regs {
    int cfa_reg, cfa_deref;
    int64_t cfa_off;
    int bp_kind;
    int64_t bp_off;
    int ra_undef, ra_bad;
    int64_t ra_off;
};

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    int signal_frame;
    int has_z; /* FDEs carry an augmentation length */
    const unsigned char *insns, *insns_end;
};

static int parse_cie(const unsigned char *at, const unsigned char *limit, uintptr_t data_base,
                     struct cie *c)
{
    struct rd r = {at, limit, 0};
    uint64_t len = rd_fixed(&r, 4);
    if (len == 0xffffffffu)
        len = rd_fixed(&r, 8);
    if (r.bad || len > (uint64_t)(limit - r.p))
        return -1;
    const unsigned char *end = r.p + len;
    r.end = end;
    if (rd_fixed(&r, 4) != 0) /* CIE id */
        return -1;
    uint8_t version = (uint8_t)rd_fixed(&r, 1);
    if (version != 1 && version != 3)
        return -1;
    const char *aug = (const char *)r.p;
    size_t auglen = strnlen(aug, (size_t)(end - r.p));
    if (auglen == (size_t)(end - r.p))
        return -1;
    r.p += auglen + 1;
    if (strstr(aug, "eh"))
        rd_fixed(&r, 8);
    c->code_align = rd_uleb(&r);
    c->data_align = rd_sleb(&r);
    c->ra_reg = version == 1 ? rd_fixed(&r, 1) : rd_uleb(&r);
    c->fde_enc = DW_EH_PE_absptr;
    c->signal_frame = 0;
    c->has_z = aug[0] == 'z';
    if (aug[0] == 'z') {
        uint64_t alen = rd_uleb(&r);
        if (r.bad || alen > (uint64_t)(end - r.p))
            return -1;
        const unsigned char *aend = r.p + alen;
        for (const char *a = aug + 1; *a; a++) {
            if (*a == 'R')
                c->fde_enc = (uint8_t)rd_fixed(&r, 1);
            else if (*a == 'L')
                rd_fixed(&r, 1);
            else if (*a == 'P') {
                uint8_t penc = (uint8_t)rd_fixed(&r, 1);
                rd_encoded(&r, penc & 0x7f, data_base); /* skip the personality */
            } else if (*a == 'S')
                c->signal_frame = 1;
            else
                break; /* unknown: the length lets us skip the rest */
        }
        r.p = aend;
    } else if (aug[0] != '\0') {
        return -1;
    }
    if (r.bad)
        return -1;
    c->insns = r.p;
    c->insns_end = end;
    return 0;
}

/* Expression "DW_OP_breg6 k [DW_OP_deref]": returns 1 with *off = k, and
 * *deref set, when the block is exactly that. */
static int breg6_expr(const unsigned char *p, uint64_t len, int64_t *off, int *deref)
{
    struct rd r = {p, p + len, 0};
    if (len < 2 || rd_fixed(&r, 1) != 0x76) /* DW_OP_breg6 */
        return 0;
    *off = rd_sleb(&r);
    *deref = 0;
    if (!r.bad && r.p < r.end && *r.p == 0x06) { /* DW_OP_deref */
        *deref = 1;
        r.p++;
    }
    return !r.bad && r.p == r.end;
}

#define STATE_DEPTH 8

/* Run instructions [p, end) until the location passes pc.  init is the
 * state after the CIE's instructions (for DW_CFA_restore). */
static int run(struct rd *r, const struct cie *c, uintptr_t loc, uintptr_t pc, struct regs *s,
               const struct regs *init)
{
    struct regs stack[STATE_DEPTH];
    int depth = 0;
    while (r->p < r->end && !r->bad) {
        uint8_t op = (uint8_t)rd_fixed(r, 1);
        uint8_t hi = op & 0xc0, lo = op & 0x3f;
        uint64_t reg = 0, delta = 0;
        int64_t off = 0;
        int advance = 0;
        if (hi == 0x40) {
            delta = lo * c->code_align;
            advance = 1;
        } else if (hi == 0x80) {
            reg = lo;
            off = (int64_t)rd_uleb(r) * c->data_align;
            goto set_offset;
        } else if (hi == 0xc0) {
            reg = lo;
            goto restore;
        } else {
            switch (op) {
            case 0x00: /* nop */
                break;
            case 0x01: /* set_loc */
                r->bad = 1;
                break;
            case 0x02:
                delta = rd_fixed(r, 1) * c->code_align;
                advance = 1;
                break;
            case 0x03:
                delta = rd_fixed(r, 2) * c->code_align;
                advance = 1;
                break;
            case 0x04:
                delta = rd_fixed(r, 4) * c->code_align;
                advance = 1;
                break;
            case 0x05: /* offset_extended */
                reg = rd_uleb(r);
                off = (int64_t)rd_uleb(r) * c->data_align;
                goto set_offset;
            case 0x06: /* restore_extended */
                reg = rd_uleb(r);
                goto restore;
            case 0x07: /* undefined */
                reg = rd_uleb(r);
                if (reg == REG_RA)
                    s->ra_undef = 1;
                else if (reg == REG_RBP)
                    s->bp_kind = MS_BP_SAME;
                break;
            case 0x08: /* same_value */
                reg = rd_uleb(r);
                if (reg == REG_RBP)
                    s->bp_kind = MS_BP_SAME;
                else if (reg == REG_RA)
                    s->ra_bad = 1;
                break;
            case 0x09: /* register */
                reg = rd_uleb(r);
                rd_uleb(r);
                if (reg == REG_RBP || reg == REG_RA)
                    s->ra_bad = 1;
                break;
            case 0x0a: /* remember_state */
                if (depth == STATE_DEPTH)
                    return -1;
                stack[depth++] = *s;
                break;
            case 0x0b: /* restore_state */
                if (depth == 0)
                    return -1;
                *s = stack[--depth];
                break;
            case 0x0c: /* def_cfa */
                s->cfa_reg = (int)rd_uleb(r);
                s->cfa_off = (int64_t)rd_uleb(r);
                s->cfa_deref = 0;
                break;
            case 0x0d: /* def_cfa_register */
                s->cfa_reg = (int)rd_uleb(r);
                s->cfa_deref = 0;
                break;
            case 0x0e: /* def_cfa_offset */
                s->cfa_off = (int64_t)rd_uleb(r);
                break;
            case 0x0f: { /* def_cfa_expression */
                uint64_t len = rd_uleb(r);
                int deref;
                if (r->bad || len > (uint64_t)(r->end - r->p) ||
                    !breg6_expr(r->p, len, &off, &deref) || !deref)
                    return -1;
                r->p += len;
                s->cfa_reg = REG_RBP;
                s->cfa_off = off;
                s->cfa_deref = 1;
                break;
            }
            case 0x10: { /* expression */
                reg = rd_uleb(r);
                uint64_t len = rd_uleb(r);
                if (r->bad || len > (uint64_t)(r->end - r->p))
                    return -1;
                if (reg == REG_RBP) {
                    int deref;
                    if (!breg6_expr(r->p, len, &off, &deref) || deref)
                        return -1;
                    s->bp_kind = MS_BP_AT_BP;
                    s->bp_off = off;
                } else if (reg == REG_RA) {
                    s->ra_bad = 1;
                }
                r->p += len;
                break;
            }
            case 0x11: /* offset_extended_sf */
                reg = rd_uleb(r);
                off = rd_sleb(r) * c->data_align;
                goto set_offset;
            case 0x12: /* def_cfa_sf */
                s->cfa_reg = (int)rd_uleb(r);
                s->cfa_off = rd_sleb(r) * c->data_align;
                s->cfa_deref = 0;
                break;
            case 0x13: /* def_cfa_offset_sf */
                s->cfa_off = rd_sleb(r) * c->data_align;
                break;
            case 0x14: /* val_offset */
                reg = rd_uleb(r);
                rd_uleb(r);
                if (reg == REG_RBP || reg == REG_RA)
                    s->ra_bad = 1;
                break;
            case 0x15: /* val_offset_sf */
                reg = rd_uleb(r);
                rd_sleb(r);
                if (reg == REG_RBP || reg == REG_RA)
                    s->ra_bad = 1;
                break;
            case 0x16: { /* val_expression */
                reg = rd_uleb(r);
                uint64_t len = rd_uleb(r);
                if (r->bad || len > (uint64_t)(r->end - r->p))
                    return -1;
                if (reg == REG_RBP || reg == REG_RA)
                    s->ra_bad = 1;
                r->p += len;
                break;
            }
            case 0x2e: /* GNU_args_size */
                rd_uleb(r);
                break;
            case 0x2f: /* GNU_negative_offset_extended */
                reg = rd_uleb(r);
                off = -(int64_t)rd_uleb(r) * c->data_align;
                goto set_offset;
            default:
                return -1;
            }
        }
        if (advance) {
            loc += delta;
            if (loc > pc)
                return r->bad ? -1 : 0;
        }
        continue;
    set_offset:
        if (reg == REG_RBP) {
            s->bp_kind = MS_BP_AT_CFA;
            s->bp_off = off;
        } else if (reg == REG_RA) {
            s->ra_off = off;
            s->ra_undef = 0;
        }
        continue;
    restore:
        if (!init)
            return -1;
        if (reg == REG_RBP) {
            s->bp_kind = init->bp_kind;
            s->bp_off = init->bp_off;
        } else if (reg == REG_RA) {
            s->ra_off = init->ra_off;
            s->ra_undef = init->ra_undef;
        }
    }
    return r->bad ? -1 : 0;
}

static int rule_from(const struct regs *s, struct ms_cfi_rule *out)
{
    memset(out, 0, sizeof *out);
    if (s->ra_bad)
        return -1;
    if (s->ra_undef) {
        out->ok = 1;
        out->last = 1;
        return 0;
    }
    if (s->ra_off != -8)
        return -1;
    if (s->cfa_deref)
        out->cfa_kind = MS_CFA_DEREF;
    else if (s->cfa_reg == REG_RSP)
        out->cfa_kind = MS_CFA_SP;
    else if (s->cfa_reg == REG_RBP)
        out->cfa_kind = MS_CFA_BP;
    else
        return -1;
    if (s->cfa_off < INT32_MIN || s->cfa_off > INT32_MAX || s->bp_off < INT32_MIN ||
        s->bp_off > INT32_MAX)
        return -1;
    out->cfa_off = (int32_t)s->cfa_off;
    out->bp_kind = (uint8_t)s->bp_kind;
    out->bp_off = (int32_t)s->bp_off;
    out->ok = 1;
    return 0;
}

int ms_cfi_find_in(const unsigned char *hdr, uintptr_t pc, struct ms_cfi_rule *out)
{
    /* .eh_frame_hdr: version, eh_frame_ptr_enc, fde_count_enc, table_enc. */
    if (hdr[0] != 1 || hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
        return -1;
    struct rd r = {hdr + 4, hdr + 4 + 16, 0};
    rd_encoded(&r, hdr[1], (uintptr_t)hdr);
    uint64_t count = rd_encoded(&r, hdr[2], (uintptr_t)hdr);
    if (r.bad || count == 0 || count > (1u << 26))
        return -1;
    const int32_t *table = (const int32_t *)r.p;
    uintptr_t base = (uintptr_t)hdr;
    /* Last entry whose initial location is <= pc. */
    size_t lo = 0, hi = count;
    if ((uintptr_t)(base + table[0]) > pc)
        return -1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (base + (intptr_t)table[2 * mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    const unsigned char *fde = (const unsigned char *)(base + (intptr_t)table[2 * lo + 1]);

    /* The FDE: length, CIE pointer, pc_begin, pc_range, augmentation, insns.
     * Its length bounds every read below (the section end is not known
     * here; the length field is trusted like the loader trusts it). */
    struct rd f = {fde, fde + 12, 0};
    uint64_t len = rd_fixed(&f, 4);
    if (len == 0 || len == 0xffffffffu || len > (1u << 24))
        return -1;
    f.end = fde + 4 + len;
    const unsigned char *cie_field = f.p;
    uint32_t cie_off = (uint32_t)rd_fixed(&f, 4);
    if (f.bad || cie_off == 0)
        return -1;
    struct cie c;
    if (parse_cie(cie_field - cie_off, cie_field - cie_off + (1u << 24), base, &c) != 0)
        return -1;
    if (c.signal_frame)
        return -1;
    uintptr_t pc_begin = rd_encoded(&f, c.fde_enc, base);
    uintptr_t pc_range = rd_encoded(&f, c.fde_enc & 0x0f, base);
    if (f.bad || pc < pc_begin || pc >= pc_begin + pc_range)
        return -1;
    if (c.has_z) {
        uint64_t alen = rd_uleb(&f);
        if (f.bad || alen > (uint64_t)(f.end - f.p))
            return -1;
        f.p += alen;
    }
    struct regs init = {.cfa_reg = REG_RSP, .cfa_off = 8, .bp_kind = MS_BP_SAME, .ra_off = -8};
    struct rd ci = {c.insns, c.insns_end, 0};
    if (run(&ci, &c, 0, UINTPTR_MAX, &init, NULL) != 0)
        return -1;
    struct regs s = init;
    if (run(&f, &c, pc_begin, pc, &s, &init) != 0)
        return -1;
    return rule_from(&s, out);
}

struct find_ctx {
    uintptr_t pc;
    const unsigned char *hdr;
    int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find_ctx *fc = arg;
    const unsigned char *hdr = NULL;
    int inside = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && fc->pc >= start && fc->pc < start + ph->p_memsz)
            inside = 1;
        else if (ph->p_type == PT_GNU_EH_FRAME)
            hdr = (const unsigned char *)start;
    }
    if (!inside)
        return 0;
    fc->hdr = hdr;
    fc->found = 1;
    return 1;
}

int ms_cfi_find(uintptr_t pc, struct ms_cfi_rule *r)
{
    struct find_ctx fc = {pc, NULL, 0};
    dl_iterate_phdr(find_object, &fc);
    if (!fc.found || !fc.hdr)
        return -1;
    return ms_cfi_find_in(fc.hdr, pc, r);
}
