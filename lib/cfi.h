/*
 * cfi.h — unwind rules for one instruction address, from .eh_frame.
 *
 * The cached DWARF walk (unwind_dwarf.c) needs, for each return address, how
 * to find the caller: where the canonical frame address (CFA, the caller's
 * stack pointer) is, where the return address is, and how to restore the
 * frame pointer.  On x86-64 compiled code that is almost always one of a
 * few shapes, which fit in one 64-bit word (so the rule cache can be read
 * and written by many threads without locks: a word is never torn).
 */
#ifndef MS_CFI_H
#define MS_CFI_H

#include <stdint.h>

enum ms_cfa_kind {
    MS_CFA_SP = 0,   /* CFA = rsp + off */
    MS_CFA_BP = 1,   /* CFA = rbp + off */
    MS_CFA_DEREF = 2 /* CFA = *(rbp + off)  (gcc's stack-realigning prologues) */
};
enum ms_bp_kind {
    MS_BP_SAME = 0,   /* rbp unchanged in the caller */
    MS_BP_AT_CFA = 1, /* caller's rbp saved at CFA + off */
    MS_BP_AT_BP = 2,  /* caller's rbp saved at rbp + off */
};

struct ms_cfi_rule {
    uint8_t ok;       /* the frame can be walked with this rule */
    uint8_t last;     /* the return address is undefined: outermost frame */
    uint8_t cfa_kind; /* enum ms_cfa_kind */
    uint8_t bp_kind;  /* enum ms_bp_kind */
    int32_t cfa_off;
    int32_t bp_off;
};

/* Rules for the instruction at pc (for a return address: pc = ra - 1), read
 * from the .eh_frame of the object that contains it.  Returns 0 and fills
 * *r, or -1 when there is no usable description (no unwind info, a rule the
 * walker does not model such as a signal frame): the caller falls back to
 * libunwind. */
int ms_cfi_find(uintptr_t pc, struct ms_cfi_rule *r);

/* The same, from an .eh_frame_hdr image given explicitly (tests). */
int ms_cfi_find_in(const unsigned char *eh_frame_hdr, uintptr_t pc, struct ms_cfi_rule *r);

#endif /* MS_CFI_H */
