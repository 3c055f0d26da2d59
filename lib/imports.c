/*
 * imports.c — point some of a privately loaded library's imports at the
 * shim's own functions.
 *
 * The libraries the shim loads with dlopen(RTLD_LOCAL) (libunwind) call
 * libc through their own GOT.  A few of those calls must not reach libc
 * unchanged inside a profiled program (unwind_lu_fds.c says which and why),
 * yet exporting replacements from the shim would change them for the whole
 * program.  So the slots of that one library are rewritten, and nothing
 * else is: its dynamic section gives the symbol and string tables and the
 * relocations (PLT jump slots, and GOT entries for code built with
 * -fno-plt); a slot in the RELRO segment is made writable for the moment of
 * the write.  Called from the library constructor, before the library is
 * first used (the replaced slots hold what the loader bound with
 * RTLD_NOW).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imports.h"

struct relro {
    uintptr_t base, lo, hi; /* the object's RELRO range, absolute */
};

static int find_relro(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct relro *r = arg;
    if (info->dlpi_addr != r->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_RELRO) {
            r->lo = info->dlpi_addr + ph->p_vaddr;
            r->hi = r->lo + ph->p_memsz;
        }
    }
    return 1;
}

/* glibc stores absolute addresses in the dynamic section of a loaded
 * object on x86_64; other loaders may keep them relative. */
static uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) v)
{
    return v < base ? base + v : v;
}

static void write_slot(void **slot, void *fn, const struct relro *r)
{
    uintptr_t a = (uintptr_t)slot;
    if (a >= r->lo && a < r->hi) {
        long pg = sysconf(_SC_PAGESIZE);
        void *page = (void *)(a & ~(uintptr_t)(pg - 1));
        if (mprotect(page, (size_t)pg, PROT_READ | PROT_WRITE) != 0)
            return;
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
        mprotect(page, (size_t)pg, PROT_READ);
        return;
    }
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
}

static unsigned patch_table(const ElfW(Rela) * rel, size_t n, const ElfW(Sym) * symtab,
                            const char *strtab, const struct ms_import *subs, unsigned nsubs,
                            const struct relro *r)
{
    unsigned done = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned type = ELF64_R_TYPE(rel[i].r_info);
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
            continue;
        const char *name = strtab + symtab[ELF64_R_SYM(rel[i].r_info)].st_name;
        for (unsigned k = 0; k < nsubs; k++) {
            if (strcmp(name, subs[k].name) == 0) {
                write_slot((void **)(r->base + rel[i].r_offset), subs[k].fn, r);
                done++;
            }
        }
    }
    return done;
}

unsigned ms_imports_redirect(void *handle, const struct ms_import *subs, unsigned nsubs)
{
    struct link_map *lm = NULL;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_ld)
        return 0;
    struct relro r = {.base = lm->l_addr};
    dl_iterate_phdr(find_relro, &r);
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t jmprel_sz = 0, rela_sz = 0;
    bool is_rela = true;
    for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB:
            symtab = (const ElfW(Sym) *)dyn_addr(r.base, d->d_un.d_ptr);
            break;
        case DT_STRTAB:
            strtab = (const char *)dyn_addr(r.base, d->d_un.d_ptr);
            break;
        case DT_JMPREL:
            jmprel = (const ElfW(Rela) *)dyn_addr(r.base, d->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            jmprel_sz = d->d_un.d_val;
            break;
        case DT_PLTREL:
            is_rela = d->d_un.d_val == DT_RELA;
            break;
        case DT_RELA:
            rela = (const ElfW(Rela) *)dyn_addr(r.base, d->d_un.d_ptr);
            break;
        case DT_RELASZ:
            rela_sz = d->d_un.d_val;
            break;
        }
    }
    if (!symtab || !strtab || !is_rela) /* x86_64 objects use RELA only */
        return 0;
    unsigned done = 0;
    if (jmprel)
        done += patch_table(jmprel, jmprel_sz / sizeof *jmprel, symtab, strtab, subs, nsubs, &r);
    if (rela)
        done += patch_table(rela, rela_sz / sizeof *rela, symtab, strtab, subs, nsubs, &r);
    return done;
}
