/*
 * goelf.c — a Go executable as ELF: sections, loadable segments, symbols.
 *
 * The file is read into memory once (not mapped: a binary replaced or
 * truncated under us must not turn into SIGBUS in the tool) and parsed with
 * libelf.  Everything else in probe/ asks this file for bytes by section name
 * or by virtual address, and every answer is bounds-checked against the
 * segment that backs it.
 *
 * Position-independent binaries leave the pointers in their data (moduledata's
 * table addresses among them) as zeros for the dynamic loader to fill from
 * R_X86_64_RELATIVE relocations; ms_gobin_word reads a pointer as it will be
 * once loaded at link-time addresses, so stripped PIE builds can be read like
 * the others.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gobin.h"
#include "read_full.h"

/* Big enough for any real Go service; bigger files are refused rather than read. */
#define MAX_IMAGE_BYTES (4ULL << 30)

static int read_whole(const char *path, uint8_t **out, size_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 64 ||
        (unsigned long long)st.st_size > MAX_IMAGE_BYTES) {
        snprintf(err, errlen, "%s is not a regular executable file", path);
        close(fd);
        return -1;
    }
    uint8_t *buf = malloc((size_t)st.st_size);
    size_t done = buf ? ms_read_full(fd, buf, (size_t)st.st_size) : 0;
    close(fd);
    if (!buf || done != (size_t)st.st_size) {
        snprintf(err, errlen, "cannot read %s", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *size = done;
    return 0;
}

static int cmp_rel(const void *a, const void *b)
{
    const struct ms_gorel *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* The R_X86_64_RELATIVE relocations of every SHT_RELA section, sorted by address. */
static void load_relative(struct ms_gobin *bin)
{
    size_t cap = 0;
    for (Elf_Scn *scn = elf_nextscn(bin->elf, NULL); scn; scn = elf_nextscn(bin->elf, scn)) {
        GElf_Shdr sh;
        Elf_Data *d;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
            !(d = elf_getdata(scn, NULL)))
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; i++) {
            GElf_Rela r;
            if (!gelf_getrela(d, (int)i, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_RELATIVE)
                continue;
            if (bin->nrel == cap) {
                size_t nc = cap ? cap * 2 : 1024;
                struct ms_gorel *m = realloc(bin->rel, nc * sizeof *m);
                if (!m)
                    return;
                bin->rel = m;
                cap = nc;
            }
            bin->rel[bin->nrel++] = (struct ms_gorel){r.r_offset, (uint64_t)r.r_addend};
        }
    }
    if (bin->nrel)
        qsort(bin->rel, bin->nrel, sizeof *bin->rel, cmp_rel);
}

int ms_gobin_word(const struct ms_gobin *bin, uint64_t vaddr, uint64_t *out)
{
    const uint8_t *p = ms_gobin_at(bin, vaddr, 8);
    if (!p)
        return -1;
    memcpy(out, p, 8);
    size_t lo = 0, hi = bin->nrel;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bin->rel[mid].at < vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < bin->nrel && bin->rel[lo].at == vaddr)
        *out = bin->rel[lo].addend;
    return 0;
}

int ms_gobin_open(struct ms_gobin *bin, const char *path, char *err, size_t errlen)
{
    memset(bin, 0, sizeof *bin);
    elf_version(EV_CURRENT);
    if (read_whole(path, &bin->image, &bin->image_size, err, errlen) < 0)
        return -1;
    Elf *elf = elf_memory((char *)bin->image, bin->image_size);
    GElf_Ehdr eh;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        snprintf(err, errlen, "%s is not an ELF executable", path);
        if (elf)
            elf_end(elf);
        free(bin->image);
        bin->image = NULL;
        return -1;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
        snprintf(err, errlen,
                 "%s is not an x86-64 executable (only amd64 Go binaries are supported)", path);
        elf_end(elf);
        free(bin->image);
        bin->image = NULL;
        return -1;
    }
    bin->elf = elf;
    bin->path = strdup(path);
    load_relative(bin);
    return 0;
}

void ms_gobin_close(struct ms_gobin *bin)
{
    if (bin->pcln)
        ms_gopcln_free(bin->pcln);
    if (bin->elf)
        elf_end(bin->elf);
    free(bin->image);
    free(bin->path);
    free(bin->rel);
    memset(bin, 0, sizeof *bin);
}

/* The header of the section called name, -1 when there is none. */
static int find_section(const struct ms_gobin *bin, const char *name, GElf_Shdr *out)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(bin->elf, &shstrndx) != 0)
        return -1;
    for (Elf_Scn *scn = elf_nextscn(bin->elf, NULL); scn; scn = elf_nextscn(bin->elf, scn)) {
        const char *n;
        if (gelf_getshdr(scn, out) && (n = elf_strptr(bin->elf, shstrndx, out->sh_name)) &&
            !strcmp(n, name))
            return 0;
    }
    return -1;
}

const uint8_t *ms_gobin_section(const struct ms_gobin *bin, const char *name, uint64_t *addr,
                                size_t *size)
{
    GElf_Shdr sh;
    if (find_section(bin, name, &sh) < 0 || sh.sh_type == SHT_NOBITS)
        return NULL;
    if (sh.sh_offset > bin->image_size || sh.sh_size > bin->image_size - sh.sh_offset)
        return NULL;
    if (addr)
        *addr = sh.sh_addr;
    if (size)
        *size = sh.sh_size;
    return bin->image + sh.sh_offset;
}

int ms_gobin_section_range(const struct ms_gobin *bin, const char *name, uint64_t *addr,
                           uint64_t *size)
{
    GElf_Shdr sh;
    if (find_section(bin, name, &sh) < 0 || !(sh.sh_flags & SHF_ALLOC))
        return -1;
    *addr = sh.sh_addr;
    *size = sh.sh_size;
    return 0;
}

/* The PT_LOAD segment whose file-backed part holds [vaddr, vaddr+len). */
static int find_segment(const struct ms_gobin *bin, uint64_t vaddr, size_t len, GElf_Phdr *out)
{
    size_t n;
    if (elf_getphdrnum(bin->elf, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(bin->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz ||
            len > ph.p_filesz - (vaddr - ph.p_vaddr))
            continue;
        if (ph.p_offset > bin->image_size || ph.p_filesz > bin->image_size - ph.p_offset)
            return -1;
        *out = ph;
        return 0;
    }
    return -1;
}

const uint8_t *ms_gobin_at(const struct ms_gobin *bin, uint64_t vaddr, size_t len)
{
    GElf_Phdr ph;
    if (find_segment(bin, vaddr, len, &ph) < 0)
        return NULL;
    return bin->image + ph.p_offset + (vaddr - ph.p_vaddr);
}

uint64_t ms_gobin_file_offset(const struct ms_gobin *bin, uint64_t vaddr)
{
    GElf_Phdr ph;
    if (find_segment(bin, vaddr, 1, &ph) < 0 || !(ph.p_flags & PF_X))
        return 0;
    return ph.p_offset + (vaddr - ph.p_vaddr);
}

uint64_t ms_gobin_symbol(const struct ms_gobin *bin, const char *name)
{
    for (Elf_Scn *scn = elf_nextscn(bin->elf, NULL); scn; scn = elf_nextscn(bin->elf, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d)
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym s;
            if (!gelf_getsym(d, (int)i, &s))
                break;
            const char *sn = elf_strptr(bin->elf, sh.sh_link, s.st_name);
            if (sn && !strcmp(sn, name) && s.st_value)
                return s.st_value;
        }
    }
    return 0;
}

/* Load bias of a position-independent executable in process pid (0 for fixed-address
 * ones); -1 while the process does not map the binary yet (a child before its exec). */
int ms_gobin_load_bias(const struct ms_gobin *bin, int pid, uint64_t *out)
{
    GElf_Ehdr eh;
    *out = 0;
    if (!gelf_getehdr(bin->elf, &eh) || eh.e_type != ET_DYN)
        return 0;
    uint64_t lowest = UINT64_MAX;
    size_t n;
    if (elf_getphdrnum(bin->elf, &n) == 0)
        for (size_t i = 0; i < n; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(bin->elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < lowest)
                lowest = ph.p_vaddr & ~0xfffULL;
        }
    char path[64], exe[PATH_MAX], line[PATH_MAX + 128];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t el = readlink(path, exe, sizeof exe - 1);
    if (el <= 0)
        return -1;
    exe[el] = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    int found = -1;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long lo, off;
        int pathpos = 0;
        if (sscanf(line, "%llx-%*x %*s %llx %*s %*s %n", &lo, &off, &pathpos) >= 2 && pathpos &&
            off == 0 && !strncmp(line + pathpos, exe, (size_t)el)) {
            *out = lo - lowest;
            found = 0;
            break;
        }
    }
    if (f)
        fclose(f);
    return found;
}
