/*
 * mkdump.c — write a mapscope dump from a text description, for tests and
 * the fuzz seed corpus (no shim needed).
 *
 *   mkdump SPEC OUT [--truncate N] [--flip OFFSET]...
 *
 * SPEC lines (# comments):
 *   process PID PPID START_NS DUMP_NS REASON SEQ EXE [ARGS...]
 *   setting NAME VALUE
 *   module BIAS PATH [auto|none|HEX]   start/end (and build-id with auto)
 *                                      from the ELF file's PT_LOAD segments
 *   stack ID FRAME...                  FRAME: 0xADDR, or @N:SYMBOL[+OFF] =
 *                                      module N's bias + SYMBOL's value + OFF
 *   stats ID V0 V1 ...                 enum ms_stack_field order
 *   linger ID BLOCKS BYTES OLDEST_NS [MIN_NS BLOCKS BYTES]...
 *   timeline INTERVAL_NS [T LIVE_BYTES LIVE_BLOCKS ALLOCS ALLOC_BYTES]...
 *   total NAME VALUE      engine NAME VALUE
 *   raw TYPE HEXBYTES                  a record with any payload
 *   end [COUNT]                        the END record
 */
#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump_format.h"
#include "dumpgen.h"

struct mod {
    uint64_t bias;
    char *path;
};
static struct mod mods[64];
static int nmods;

static void die(int line, const char *msg)
{
    fprintf(stderr, "mkdump: line %d: %s\n", line, msg);
    exit(2);
}

static Elf *open_elf(const char *path, int *fd)
{
    elf_version(EV_CURRENT);
    *fd = open(path, O_RDONLY);
    if (*fd < 0)
        return NULL;
    return elf_begin(*fd, ELF_C_READ, NULL);
}

static void elf_range(const char *path, uint64_t *lo, uint64_t *hi, unsigned char *id,
                      uint32_t *idlen)
{
    int fd;
    Elf *e = open_elf(path, &fd);
    *lo = 0, *hi = 0x100000, *idlen = 0;
    if (!e)
        return;
    size_t n;
    uint64_t l = UINT64_MAX, h = 0;
    if (elf_getphdrnum(e, &n) == 0)
        for (size_t i = 0; i < n; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(e, (int)i, &ph))
                continue;
            if (ph.p_type == PT_LOAD) {
                if (ph.p_vaddr < l)
                    l = ph.p_vaddr;
                if (ph.p_vaddr + ph.p_memsz > h)
                    h = ph.p_vaddr + ph.p_memsz;
            }
            if (ph.p_type == PT_NOTE) {
                Elf_Data *d =
                    elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
                size_t off = 0, name_off, desc_off;
                GElf_Nhdr nh;
                while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0)
                    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz <= 64) {
                        memcpy(id, (char *)d->d_buf + desc_off, nh.n_descsz);
                        *idlen = nh.n_descsz;
                    }
            }
        }
    if (l != UINT64_MAX)
        *lo = l, *hi = h;
    elf_end(e);
    close(fd);
}

static uint64_t symbol(const char *path, const char *name, int line)
{
    int fd;
    Elf *e = open_elf(path, &fd);
    if (!e)
        die(line, "cannot open module ELF for @ frame");
    Elf_Scn *scn = NULL;
    uint64_t val = 0;
    bool found = false;
    while (!found && (scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; d && i < n && !found; i++) {
            GElf_Sym s;
            if (!gelf_getsym(d, (int)i, &s))
                continue;
            const char *nm = elf_strptr(e, sh.sh_link, s.st_name);
            if (nm && !strcmp(nm, name) && s.st_value) {
                val = s.st_value;
                found = true;
            }
        }
    }
    elf_end(e);
    close(fd);
    if (!found)
        die(line, "symbol not found in module");
    return val;
}

static uint64_t frame(const char *tok, int line)
{
    if (tok[0] != '@')
        return strtoull(tok, NULL, 0);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", tok + 1);
    char *colon = strchr(buf, ':');
    if (!colon)
        die(line, "frame @N:SYMBOL[+OFF]");
    *colon = 0;
    int m = atoi(buf);
    if (m < 0 || m >= nmods)
        die(line, "no such module");
    char *plus = strchr(colon + 1, '+');
    uint64_t off = 0;
    if (plus) {
        *plus = 0;
        off = strtoull(plus + 1, NULL, 0);
    }
    return mods[m].bias + symbol(mods[m].path, colon + 1, line) + off;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mkdump SPEC OUT [--truncate N] [--flip OFFSET]...\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    struct dg g;
    dg_init(&g);
    char line[8192];
    int ln = 0;
    while (fgets(line, sizeof line, in)) {
        ln++;
        char *tok[600];
        int nt = 0;
        for (char *s = strtok(line, " \t\r\n"); s && nt < 600; s = strtok(NULL, " \t\r\n"))
            tok[nt++] = s;
        if (!nt || tok[0][0] == '#')
            continue;
        const char *k = tok[0];
        if (!strcmp(k, "process") && nt >= 8) {
            char cmd[4096] = "";
            for (int i = 8; i < nt; i++) {
                strncat(cmd, tok[i], sizeof cmd - strlen(cmd) - 2);
                if (i + 1 < nt)
                    strcat(cmd, " ");
            }
            dg_process(&g, (uint32_t)atoi(tok[1]), (uint32_t)atoi(tok[2]),
                       strtoull(tok[3], NULL, 0), strtoull(tok[4], NULL, 0), (uint32_t)atoi(tok[5]),
                       (uint32_t)atoi(tok[6]), tok[7], cmd);
        } else if (!strcmp(k, "setting") && nt >= 3) {
            dg_begin(&g, MS_REC_SETTINGS);
            dg_u32(&g, 1);
            dg_str(&g, tok[1]);
            dg_str(&g, tok[2]);
            dg_end(&g);
        } else if (!strcmp(k, "module") && nt >= 3) {
            uint64_t bias = strtoull(tok[1], NULL, 0), lo, hi;
            unsigned char id[64];
            uint32_t idlen;
            elf_range(tok[2], &lo, &hi, id, &idlen);
            if (nt >= 4 && !strcmp(tok[3], "none"))
                idlen = 0;
            else if (nt >= 4 && strcmp(tok[3], "auto")) {
                idlen = 0;
                for (const char *h = tok[3]; h[0] && h[1] && idlen < 64; h += 2)
                    id[idlen++] = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
            }
            if (nmods < 64) {
                mods[nmods].bias = bias;
                mods[nmods++].path = strdup(tok[2]);
            }
            dg_begin(&g, MS_REC_MODULE);
            dg_u64(&g, bias);
            dg_u64(&g, bias + lo);
            dg_u64(&g, bias + hi);
            dg_str(&g, tok[2]);
            dg_bytes(&g, id, idlen);
            dg_end(&g);
        } else if (!strcmp(k, "stack") && nt >= 2) {
            uint64_t fr[600];
            for (int i = 2; i < nt; i++)
                fr[i - 2] = frame(tok[i], ln);
            dg_stack(&g, (uint32_t)atoi(tok[1]), fr, (uint32_t)(nt - 2));
        } else if (!strcmp(k, "stats") && nt >= 2) {
            uint64_t v[600];
            for (int i = 2; i < nt; i++)
                v[i - 2] = strtoull(tok[i], NULL, 0);
            dg_stats(&g, (uint32_t)atoi(tok[1]), v, (uint32_t)(nt - 2));
        } else if (!strcmp(k, "linger") && nt >= 5 && (nt - 5) % 3 == 0) {
            dg_begin(&g, MS_REC_LINGER);
            dg_u32(&g, (uint32_t)atoi(tok[1]));
            dg_u32(&g, (uint32_t)((nt - 5) / 3));
            for (int i = 2; i < nt; i++)
                dg_u64(&g, strtoull(tok[i], NULL, 0));
            dg_end(&g);
        } else if (!strcmp(k, "timeline") && nt >= 2 && (nt - 2) % 5 == 0) {
            dg_begin(&g, MS_REC_TIMELINE);
            dg_u64(&g, strtoull(tok[1], NULL, 0));
            dg_u32(&g, (uint32_t)((nt - 2) / 5));
            for (int i = 2; i < nt; i++)
                dg_u64(&g, strtoull(tok[i], NULL, 0));
            dg_end(&g);
        } else if ((!strcmp(k, "total") || !strcmp(k, "engine")) && nt == 3) {
            const char *names[1] = {tok[1]};
            uint64_t v[1] = {strtoull(tok[2], NULL, 0)};
            dg_nv(&g, !strcmp(k, "total") ? MS_REC_TOTALS : MS_REC_ENGINE, names, v, 1);
        } else if (!strcmp(k, "raw") && nt >= 2) {
            dg_begin(&g, (uint16_t)atoi(tok[1]));
            for (const char *h = nt > 2 ? tok[2] : ""; h[0] && h[1]; h += 2) {
                unsigned char b = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
                dg_raw(&g, &b, 1);
            }
            dg_end(&g);
        } else if (!strcmp(k, "end")) {
            if (nt >= 2)
                g.records = (uint32_t)atoi(tok[1]);
            dg_finish(&g);
        } else {
            die(ln, "unknown or malformed line");
        }
    }
    fclose(in);
    for (int i = 3; i + 1 < argc; i += 2) {
        size_t v = strtoull(argv[i + 1], NULL, 0);
        if (!strcmp(argv[i], "--truncate"))
            g.len = v < g.len ? g.len - v : 0;
        else if (!strcmp(argv[i], "--flip") && v < g.len)
            g.buf[v] ^= 0xff;
    }
    int rc = dg_write(&g, argv[2]);
    dg_free(&g);
    return rc ? 1 : 0;
}
