/*
 * modules.c — the loaded objects, so stacks can be symbolized offline.
 *
 * Stacks hold raw return addresses.  The report turns them into function
 * and line later, possibly on another machine, which needs for each object:
 * its path, where it was loaded (dl_iterate_phdr's bias, and the range of
 * its PT_LOAD segments) and its GNU build-id (read from the PT_NOTE segment
 * in memory, so no file is opened) to find the matching debug info.
 */
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "dump_format.h"
#include "dump_write.h"
#include "modules.h"

struct ctx {
    struct ms_dw *w;
    char exe[PATH_MAX];
};

void ms_build_id(const struct dl_phdr_info *info, const unsigned char **id, size_t *len)
{
    *id = NULL;
    *len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            size_t name = (n->n_namesz + 3u) & ~3u, desc = (n->n_descsz + 3u) & ~3u;
            const unsigned char *np = p + sizeof *n;
            if (np + name + desc > end)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(np, "GNU", 4) == 0) {
                *id = np + name;
                *len = n->n_descsz;
                return;
            }
            p = np + name + desc;
        }
    }
}

void ms_object_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < *lo)
            *lo = s;
        if (s + ph->p_memsz > *hi)
            *hi = s + ph->p_memsz;
    }
}

static int one(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct ctx *c = arg;
    uintptr_t lo, hi;
    (void)size;
    ms_object_range(info, &lo, &hi);
    if (hi == 0)
        return 0;
    const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : c->exe;
    const unsigned char *id;
    size_t idlen;
    ms_build_id(info, &id, &idlen);
    ms_dw_rec_begin(c->w, MS_REC_MODULE);
    ms_dw_u64(c->w, info->dlpi_addr);
    ms_dw_u64(c->w, lo);
    ms_dw_u64(c->w, hi);
    ms_dw_strn(c->w, path, strnlen(path, PATH_MAX));
    ms_dw_strn(c->w, id, idlen);
    ms_dw_rec_end(c->w);
    return 0;
}

size_t ms_exe_path(char *buf, size_t size)
{
    ssize_t n = size ? readlink("/proc/self/exe", buf, size - 1) : -1;
    if (n < 0)
        n = 0;
    if (size)
        buf[n] = '\0';
    return (size_t)n;
}

void ms_modules_write(struct ms_dw *w)
{
    struct ctx c;
    c.w = w;
    ms_exe_path(c.exe, sizeof c.exe);
    dl_iterate_phdr(one, &c);
}
