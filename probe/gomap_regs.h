/*
 * gomap_regs.h — the x86-64 user register frame, for the BPF side only.
 *
 * A hand-written subset instead of a generated vmlinux.h: the probe needs only
 * the registers of Go's register ABI, and this keeps the build independent of
 * the build machine's kernel.  preserve_access_index makes libbpf relocate the
 * field offsets against the running kernel's BTF (CO-RE).
 */
#ifndef MS_GOMAP_REGS_H
#define MS_GOMAP_REGS_H

struct pt_regs {
    unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs,
        flags, sp, ss;
} __attribute__((preserve_access_index));

#endif /* MS_GOMAP_REGS_H */
