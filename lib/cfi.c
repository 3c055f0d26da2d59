/*
 * cfi.c — unwind rules for one return address, read by elfutils' libdw.
 *
 * Only the rule-cache miss path of the DWARF walk comes here: once per
 * distinct return address.  The object holding the address is found with
 * dl_iterate_phdr; its file is opened once with libelf (ELF_C_READ_MMAP,
 * the descriptor closed at once so the program's descriptors are never
 * disturbed) and checked against the build-id of the image in memory, so a
 * file replaced on disk since it was loaded is never trusted; libdw's
 * dwarf_getcfi_elf reads its .eh_frame, and dwarf_cfi_addrframe executes the
 * CIE's and FDE's call-frame instructions up to the address.  What is ours
 * is only the translation of that frame state into the few shapes the
 * walker models (struct ms_cfi_rule), and the table of open objects.
 *
 * libdw is opened with dlopen(RTLD_LOCAL) from the library constructor,
 * like libunwind (unwind_lu.c), so none of its symbols, nor libelf's, libz's
 * or liblzma's, enter the program's namespace.  It runs with the calling
 * thread's guard up, so its mallocs go straight to the real allocator,
 * uncounted, and under one mutex: a Dwarf_CFI is not safe for concurrent
 * lookups, and misses are rare enough that one lock costs nothing.
 *
 * Anything the walker does not model (signal frames, a CFA in a register
 * other than rsp or rbp, arbitrary expressions, a return address not at
 * CFA - 8) is MS_CFI_NONE, and the walker hands that stack to libunwind.
 * When an object is unloaded (dlclose), the table is emptied and the rule
 * cache forgotten, so rules of a vanished object are never applied to
 * another one loaded at the same place.
 */
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "bootstrap.h"
#include "cfi.h"
#include "complain.h"
#include "guard.h"
#include "modules.h"
#include "own_fd.h"
#include "shim_base.h"
#include "unwind.h"

enum { REG_RBP = 6, REG_RSP = 7 };

/* What we use of libdw and libelf, found with dlsym in the private handle
 * (whose search scope includes libdw's own dependency, libelf). */
static struct {
    unsigned (*elf_version)(unsigned);
    Elf *(*elf_begin)(int, Elf_Cmd, Elf *);
    int (*elf_cntl)(Elf *, Elf_Cmd);
    int (*elf_end)(Elf *);
    ssize_t (*build_id)(Elf *, const void **);
    Dwarf_CFI *(*getcfi_elf)(Elf *);
    int (*cfi_end)(Dwarf_CFI *);
    int (*addrframe)(Dwarf_CFI *, Dwarf_Addr, Dwarf_Frame **);
    int (*frame_info)(Dwarf_Frame *, Dwarf_Addr *, Dwarf_Addr *, bool *);
    int (*frame_cfa)(Dwarf_Frame *, Dwarf_Op **, size_t *);
    int (*frame_register)(Dwarf_Frame *, int, Dwarf_Op[3], Dwarf_Op **, size_t *);
} dw;
static _Atomic int loaded; /* 1 once every function above is known */

/* Objects met so far.  cfi == NULL: nothing usable (no file, a different
 * file, no .eh_frame); the entry stays so the file is not reopened. */
#define OBJECTS_MAX 256
struct object {
    uintptr_t lo, hi, bias;
    Elf *elf;
    Dwarf_CFI *cfi;
};
static struct object objects[OBJECTS_MAX];
static unsigned nobjects;
static unsigned long long subs_seen; /* dl_iterate_phdr's count of unloads */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t n_opened, n_lookups, ns_lookups;

#define SYM(field, name)                                                                           \
    do {                                                                                           \
        *(void **)&dw.field = dlsym(h, name);                                                      \
        ok = ok && dw.field != NULL;                                                               \
    } while (0)

int ms_cfi_load(void)
{
    if (atomic_load(&loaded))
        return 0;
    ms_guard_enter();
    void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    bool ok = h != NULL;
    if (ok) {
        SYM(elf_version, "elf_version");
        SYM(elf_begin, "elf_begin");
        SYM(elf_cntl, "elf_cntl");
        SYM(elf_end, "elf_end");
        SYM(build_id, "dwelf_elf_gnu_build_id");
        SYM(getcfi_elf, "dwarf_getcfi_elf");
        SYM(cfi_end, "dwarf_cfi_end");
        SYM(addrframe, "dwarf_cfi_addrframe");
        SYM(frame_info, "dwarf_frame_info");
        SYM(frame_cfa, "dwarf_frame_cfa");
        SYM(frame_register, "dwarf_frame_register");
    }
    if (ok && dw.elf_version(EV_CURRENT) == EV_NONE)
        ok = false;
    ms_guard_leave();
    if (!ok) {
        ms_complain_once(MS_ONCE_UNWIND,
                         "mapscope: cannot use libdw.so.1 (%s): stacks are walked by libunwind "
                         "(install libdw1 for the faster default unwinder)\n",
                         h ? "a function is missing" : "not found");
        return -1;
    }
    atomic_store(&loaded, 1);
    return 0;
}

/* ------------------------------------------------------- which object -- */

struct where {
    uintptr_t pc;
    bool found;
    uintptr_t lo, hi, bias;
    char path[PATH_MAX];
    unsigned char id[64]; /* build-id of the loaded image (copied: it may be unloaded) */
    size_t idlen;
    unsigned long long subs;
};

/* The loaded image's build-id, copied (the object may be unloaded before
 * the file is checked against it). */
static void note_build_id(const struct dl_phdr_info *info, struct where *w)
{
    const unsigned char *id;
    size_t len;
    ms_build_id(info, &id, &len);
    if (id && len <= sizeof w->id) {
        memcpy(w->id, id, len);
        w->idlen = len;
    }
}

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct where *w = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        w->subs = info->dlpi_subs;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool inside = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        lo = s < lo ? s : lo;
        hi = e > hi ? e : hi;
        if (w->pc >= s && w->pc < e)
            inside = true;
    }
    if (!inside)
        return 0;
    w->found = true;
    w->lo = lo;
    w->hi = hi;
    w->bias = info->dlpi_addr;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
    size_t n = strnlen(name, sizeof w->path - 1);
    memcpy(w->path, name, n);
    w->path[n] = '\0';
    note_build_id(info, w);
    return 1;
}

static void forget_objects(void)
{
    for (unsigned i = 0; i < nobjects; i++) {
        if (objects[i].cfi)
            dw.cfi_end(objects[i].cfi);
        if (objects[i].elf)
            dw.elf_end(objects[i].elf);
    }
    nobjects = 0;
    ms_unwind_dwarf_forget();
}

/* The ELF at path if it is the object that was loaded (same build id, when
 * the object has one); NULL otherwise. */
static Elf *open_elf(const char *path, const struct where *w)
{
    struct ms_fd f;
    if (ms_fd_open(&f, path, O_RDONLY, 0) != 0)
        return NULL;
    Elf *e = dw.elf_begin(f.fd, ELF_C_READ_MMAP, NULL);
    /* The whole file is mapped: libelf needs the descriptor no more, and
     * the program may close or reuse descriptor numbers at will. */
    if (e)
        dw.elf_cntl(e, ELF_C_FDDONE);
    if (ms_fd_close(&f) == EBADF && e) { /* mapped what the program put there */
        dw.elf_end(e);
        return NULL;
    }
    if (!e)
        return NULL;
    const void *id = NULL;
    ssize_t idlen = dw.build_id(e, &id);
    if (w->idlen && (idlen != (ssize_t)w->idlen || memcmp(id, w->id, w->idlen) != 0)) {
        dw.elf_end(e); /* not the file that was loaded */
        return NULL;
    }
    return e;
}

/* Open the object's file and its CFI; *o keeps whatever was found.  The
 * program itself is read through /proc/self/exe (the file it runs, even if
 * its path now names an upgraded one) and, if that is another file, by the
 * name the kernel gives for it: under valgrind /proc/self/exe opens
 * valgrind's tool, whose build id does not match, and every walk through
 * the program's frames fell back to libunwind, uncached. */
static void open_object(struct object *o, const struct where *w)
{
    memset(o, 0, sizeof *o);
    o->lo = w->lo;
    o->hi = w->hi;
    o->bias = w->bias;
    Elf *e = open_elf(w->path, w);
    if (!e && strcmp(w->path, "/proc/self/exe") == 0) {
        static char exe[PATH_MAX]; /* under mu: not on the allocating thread's stack */
        if (ms_exe_path(exe, sizeof exe))
            e = open_elf(exe, w);
    }
    if (!e)
        return;
    o->elf = e;
    o->cfi = dw.getcfi_elf(e);
    atomic_fetch_add_explicit(&n_opened, 1, memory_order_relaxed);
}

/* The object containing pc, opened on first use; NULL when unknown. */
static struct object *object_for(uintptr_t pc)
{
    struct where w;
    w.pc = pc;
    w.found = false;
    w.idlen = 0;
    w.subs = subs_seen;
    dl_iterate_phdr(find_object, &w);
    if (w.subs != subs_seen) {
        forget_objects(); /* something was unloaded */
        subs_seen = w.subs;
    }
    if (!w.found)
        return NULL;
    for (unsigned i = 0; i < nobjects; i++)
        if (objects[i].bias == w.bias && objects[i].lo == w.lo && objects[i].hi == w.hi)
            return &objects[i];
    if (nobjects == OBJECTS_MAX)
        forget_objects();
    struct object *o = &objects[nobjects++];
    open_object(o, &w);
    return o;
}

/* ----------------------------------------------------------- the rule -- */

static inline int64_t sword(Dwarf_Word v)
{
    return (int64_t)v;
}

/* A register saved at CFA + off ([call_frame_cfa, plus_uconst off] or just
 * [call_frame_cfa] for off 0): returns 1 with *off. */
static int at_cfa(const Dwarf_Op *ops, size_t n, int64_t *off)
{
    if (n < 1 || n > 2 || ops[0].atom != DW_OP_call_frame_cfa)
        return 0;
    if (n == 1) {
        *off = 0;
        return 1;
    }
    if (ops[1].atom != DW_OP_plus_uconst)
        return 0;
    *off = sword(ops[1].number);
    return 1;
}

static int translate(Dwarf_Frame *fr, struct ms_cfi_rule *out)
{
    Dwarf_Addr start, end;
    bool signal = false;
    int ra_reg = dw.frame_info(fr, &start, &end, &signal);
    if (ra_reg < 0 || signal)
        return MS_CFI_NONE;
    memset(out, 0, sizeof *out);

    Dwarf_Op mem[3], *ops;
    size_t n;
    /* The return address: undefined in the outermost frame, else at CFA-8. */
    if (dw.frame_register(fr, ra_reg, mem, &ops, &n) != 0 || ops == NULL)
        return MS_CFI_NONE;
    if (n == 0) {
        out->ok = out->last = 1;
        return 0;
    }
    int64_t off;
    if (!at_cfa(ops, n, &off) || off != -8)
        return MS_CFI_NONE;

    /* The CFA: a register plus an offset, or gcc's realigned-stack form
     * *(rbp + off). */
    if (dw.frame_cfa(fr, &ops, &n) != 0 || n == 0)
        return MS_CFI_NONE;
    if (n == 1 && ops[0].atom == DW_OP_bregx &&
        (ops[0].number == REG_RSP || ops[0].number == REG_RBP)) {
        out->cfa_kind = ops[0].number == REG_RSP ? MS_CFA_SP : MS_CFA_BP;
        off = sword(ops[0].number2);
    } else if (n == 2 && ops[0].atom == DW_OP_breg6 && ops[1].atom == DW_OP_deref) {
        out->cfa_kind = MS_CFA_DEREF;
        off = sword(ops[0].number);
    } else {
        return MS_CFI_NONE;
    }
    if (off < INT32_MIN || off > INT32_MAX)
        return MS_CFI_NONE;
    out->cfa_off = (int32_t)off;

    /* The caller's rbp: unchanged (same value; undefined is read the same
     * way, as libunwind does), saved at CFA + off, or at rbp + off. */
    if (dw.frame_register(fr, REG_RBP, mem, &ops, &n) != 0)
        return MS_CFI_NONE;
    if (ops == NULL || n == 0) {
        out->bp_kind = MS_BP_SAME;
        off = 0;
    } else if (at_cfa(ops, n, &off)) {
        out->bp_kind = MS_BP_AT_CFA;
    } else if (ops[n - 1].atom == DW_OP_breg6 &&
               (n == 1 || (n == 2 && ops[0].atom == DW_OP_call_frame_cfa))) {
        out->bp_kind = MS_BP_AT_BP;
        off = sword(ops[n - 1].number);
    } else {
        return MS_CFI_NONE;
    }
    if (off < INT32_MIN || off > INT32_MAX)
        return MS_CFI_NONE;
    out->bp_off = (int32_t)off;
    out->ok = 1;
    return 0;
}

int ms_cfi_find(uintptr_t pc, struct ms_cfi_rule *r)
{
    if (!atomic_load_explicit(&loaded, memory_order_acquire))
        return MS_CFI_UNAVAILABLE;
    uint64_t t0 = ms_now_ns();
    int rc = MS_CFI_NONE;
    ms_guard_enter();
    pthread_mutex_lock(&mu);
    struct object *o = object_for(pc);
    Dwarf_Frame *fr = NULL;
    if (o && o->cfi && dw.addrframe(o->cfi, pc - o->bias, &fr) == 0) {
        rc = translate(fr, r);
        ms_real.free(fr); /* malloc'd by libdw, through the guard */
    }
    pthread_mutex_unlock(&mu);
    ms_guard_leave();
    atomic_fetch_add_explicit(&n_lookups, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&ns_lookups, ms_now_ns() - t0, memory_order_relaxed);
    return rc;
}

void ms_cfi_counts(uint64_t *objs, uint64_t *lookups, uint64_t *ns)
{
    *objs = atomic_load_explicit(&n_opened, memory_order_relaxed);
    *lookups = atomic_load_explicit(&n_lookups, memory_order_relaxed);
    *ns = atomic_load_explicit(&ns_lookups, memory_order_relaxed);
}

void ms_cfi_lock(void)
{
    pthread_mutex_lock(&mu);
}

void ms_cfi_unlock(void)
{
    pthread_mutex_unlock(&mu);
}
