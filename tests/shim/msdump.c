/*
 * msdump.c — a small dump decoder for the shim's tests.
 *
 * Not the report (tools/ has the real reader): just enough to let the
 * end-to-end tests check what the shim wrote.  It validates the header and
 * every record's length and CRC, and prints one line per record in a
 * key=value form that awk and grep can check:
 *
 *   msdump FILE            every record
 *   msdump --stacks FILE   one line per stack: its counters and its frames,
 *                          symbolized from the ELF symbol tables of the
 *                          modules recorded in the dump (func;func;...)
 *   msdump --totals FILE   name=value per total (TOTALS, ENGINE)
 *
 * Exit status: 0 for a complete file, 4 when it ends early (every complete
 * record before the cut is still printed), 1 for damage or bad usage.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump_format.h"

struct module {
    uint64_t bias, start, end;
    char path[4096];
    Elf *elf;
    int fd, tried;
};

static struct module mods[512];
static int nmods;

struct rd {
    const unsigned char *p, *end;
    int bad;
};

static uint64_t get(struct rd *r, unsigned n)
{
    uint64_t v = 0;
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p, n);
    r->p += n;
    return v;
}

static size_t getstr(struct rd *r, char *out, size_t cap)
{
    uint32_t n = (uint32_t)get(r, 4);
    if (r->bad || n > (size_t)(r->end - r->p)) {
        r->bad = 1;
        out[0] = 0;
        return 0;
    }
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(out, r->p, k);
    out[k] = 0;
    r->p += n;
    return n;
}

/* Function containing vaddr in module m (symtab, else dynsym). */
static const char *symbolize(uint64_t addr, char *buf, size_t cap)
{
    for (int i = 0; i < nmods; i++) {
        struct module *m = &mods[i];
        if (addr < m->start || addr >= m->end)
            continue;
        if (!m->tried) {
            m->tried = 1;
            m->fd = open(m->path, O_RDONLY);
            if (m->fd >= 0)
                m->elf = elf_begin(m->fd, ELF_C_READ, NULL);
        }
        uint64_t va = addr - 1 - m->bias;
        const char *best = NULL;
        for (int pass = 0; pass < 2 && !best && m->elf; pass++) {
            Elf_Scn *scn = NULL;
            while ((scn = elf_nextscn(m->elf, scn)) != NULL) {
                GElf_Shdr sh;
                gelf_getshdr(scn, &sh);
                if (sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM))
                    continue;
                Elf_Data *d = elf_getdata(scn, NULL);
                size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
                for (size_t k = 0; k < n; k++) {
                    GElf_Sym s;
                    gelf_getsym(d, (int)k, &s);
                    if (GELF_ST_TYPE(s.st_info) != STT_FUNC || s.st_value == 0)
                        continue;
                    if (va >= s.st_value && va < s.st_value + (s.st_size ? s.st_size : 1)) {
                        best = elf_strptr(m->elf, sh.sh_link, s.st_name);
                        break;
                    }
                }
            }
        }
        if (best) {
            snprintf(buf, cap, "%s", best);
            return buf;
        }
        break;
    }
    snprintf(buf, cap, "0x%llx", (unsigned long long)addr);
    return buf;
}

struct stack {
    uint32_t id, n;
    uint64_t *frames;
};
static struct stack *stacks;
static size_t nstacks, capstacks;

static const char *const sf_names[] = {"allocs",      "bytes_allocated", "frees",  "bytes_freed",
                                       "live_blocks", "live_bytes",      "failed", "peak_blocks",
                                       "peak_bytes",  "temporary"};

static void print_frames(uint32_t id)
{
    char buf[512];
    for (size_t i = 0; i < nstacks; i++) {
        if (stacks[i].id != id)
            continue;
        printf(" frames=");
        for (uint32_t k = 0; k < stacks[i].n; k++)
            printf("%s%s", k ? ";" : "", symbolize(stacks[i].frames[k], buf, sizeof buf));
        return;
    }
    printf(" frames=?");
}

int main(int argc, char **argv)
{
    int mode = 0; /* 0 all, 1 stacks, 2 totals */
    int ai = 1;
    if (ai < argc && !strcmp(argv[ai], "--stacks"))
        mode = 1, ai++;
    else if (ai < argc && !strcmp(argv[ai], "--totals"))
        mode = 2, ai++;
    if (ai >= argc) {
        fprintf(stderr, "usage: msdump [--stacks|--totals] FILE\n");
        return 1;
    }
    elf_version(EV_CURRENT);
    FILE *f = fopen(argv[ai], "rb");
    if (!f) {
        perror(argv[ai]);
        return 1;
    }
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (len < MS_DUMP_HEADER_SIZE || memcmp(buf, MS_DUMP_MAGIC, MS_DUMP_MAGIC_LEN) != 0) {
        fprintf(stderr, "msdump: %s: not a mapscope dump\n", argv[ai]);
        return 1;
    }
    uint16_t version, hsize;
    memcpy(&version, buf + 8, 2);
    memcpy(&hsize, buf + 10, 2);
    if (mode == 0)
        printf("header version=%u header_size=%u\n", version, hsize);
    size_t off = hsize;
    int ended = 0;
    uint32_t nrec = 0;
    /* Pass 1 (all modes): collect modules and stacks; print in mode 0. */
    static unsigned char *recs[1 << 20];
    while (off + MS_DUMP_REC_HEAD + MS_DUMP_REC_TAIL <= len) {
        uint16_t type;
        uint32_t plen, crc;
        memcpy(&type, buf + off, 2);
        memcpy(&plen, buf + off + 4, 4);
        if (plen > MS_DUMP_MAX_RECORD || off + MS_DUMP_REC_HEAD + plen + MS_DUMP_REC_TAIL > len)
            break;
        memcpy(&crc, buf + off + MS_DUMP_REC_HEAD + plen, 4);
        if (ms_crc32(0, buf + off, MS_DUMP_REC_HEAD + plen) != crc) {
            fprintf(stderr, "msdump: record %u: bad CRC\n", nrec);
            return 1;
        }
        recs[nrec++] = buf + off;
        off += MS_DUMP_REC_HEAD + plen + MS_DUMP_REC_TAIL;
        if (type == MS_REC_END) {
            ended = 1;
            break;
        }
    }
    char s1[4096], s2[4096];
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < nrec; i++) {
            uint16_t type;
            uint32_t plen;
            memcpy(&type, recs[i], 2);
            memcpy(&plen, recs[i] + 4, 4);
            struct rd r = {recs[i] + MS_DUMP_REC_HEAD, recs[i] + MS_DUMP_REC_HEAD + plen, 0};
            if (pass == 0) {
                if (type == MS_REC_MODULE && nmods < 512) {
                    struct module *m = &mods[nmods++];
                    m->bias = get(&r, 8);
                    m->start = get(&r, 8);
                    m->end = get(&r, 8);
                    getstr(&r, m->path, sizeof m->path);
                } else if (type == MS_REC_STACK) {
                    if (nstacks == capstacks)
                        stacks = realloc(stacks, (capstacks = capstacks * 2 + 64) * sizeof *stacks);
                    struct stack *s = &stacks[nstacks++];
                    s->id = (uint32_t)get(&r, 4);
                    s->n = (uint32_t)get(&r, 4);
                    s->frames = calloc(s->n + 1, 8);
                    for (uint32_t j = 0; j < s->n; j++)
                        s->frames[j] = get(&r, 8);
                }
                continue;
            }
            switch (type) {
            case MS_REC_PROCESS: {
                uint32_t pid = (uint32_t)get(&r, 4), ppid = (uint32_t)get(&r, 4);
                uint64_t st = get(&r, 8), dt = get(&r, 8);
                uint32_t reason = (uint32_t)get(&r, 4), seq = (uint32_t)get(&r, 4);
                getstr(&r, s1, sizeof s1);
                size_t cl = getstr(&r, s2, sizeof s2);
                for (size_t j = 0; j < cl && j < sizeof s2 - 1; j++)
                    if (!s2[j])
                        s2[j] = ' ';
                if (mode == 0)
                    printf("process pid=%u ppid=%u start_ns=%llu dump_ns=%llu reason=%u seq=%u "
                           "exe=%s cmdline=%s\n",
                           pid, ppid, (unsigned long long)st, (unsigned long long)dt, reason, seq,
                           s1, s2);
                break;
            }
            case MS_REC_SETTINGS:
            case MS_REC_TOTALS:
            case MS_REC_ENGINE: {
                uint32_t n = (uint32_t)get(&r, 4);
                for (uint32_t j = 0; j < n && !r.bad; j++) {
                    getstr(&r, s1, sizeof s1);
                    if (type == MS_REC_SETTINGS) {
                        getstr(&r, s2, sizeof s2);
                        if (mode == 0)
                            printf("setting %s=%s\n", s1, s2);
                    } else {
                        uint64_t v = get(&r, 8);
                        if (mode != 1)
                            printf("%s%s=%llu\n",
                                   mode == 0 ? (type == MS_REC_TOTALS ? "total " : "engine ") : "",
                                   s1, (unsigned long long)v);
                    }
                }
                break;
            }
            case MS_REC_MODULE:
                if (mode == 0) {
                    uint64_t b = get(&r, 8), st = get(&r, 8), en = get(&r, 8);
                    getstr(&r, s1, sizeof s1);
                    size_t bl = getstr(&r, s2, sizeof s2);
                    printf("module bias=0x%llx start=0x%llx end=0x%llx build_id_len=%zu path=%s\n",
                           (unsigned long long)b, (unsigned long long)st, (unsigned long long)en,
                           bl, s1);
                }
                break;
            case MS_REC_STACK:
                if (mode == 0) {
                    uint32_t id = (uint32_t)get(&r, 4), n = (uint32_t)get(&r, 4);
                    printf("stack id=%u nframes=%u", id, n);
                    print_frames(id);
                    printf("\n");
                }
                break;
            case MS_REC_STACK_STATS:
                if (mode != 2) {
                    uint32_t id = (uint32_t)get(&r, 4), n = (uint32_t)get(&r, 4);
                    printf("%s=%u", mode == 0 ? "stats id" : "stack", id);
                    for (uint32_t j = 0; j < n; j++) {
                        uint64_t v = get(&r, 8);
                        if (j < MS_SF_COUNT)
                            printf(" %s=%llu", sf_names[j], (unsigned long long)v);
                    }
                    if (mode == 1)
                        print_frames(id);
                    printf("\n");
                }
                break;
            case MS_REC_LINGER:
                if (mode == 0) {
                    uint32_t id = (uint32_t)get(&r, 4), nb = (uint32_t)get(&r, 4);
                    uint64_t bl = get(&r, 8), by = get(&r, 8), old = get(&r, 8);
                    printf("linger stack=%u blocks=%llu bytes=%llu oldest_ns=%llu bins=", id,
                           (unsigned long long)bl, (unsigned long long)by, (unsigned long long)old);
                    for (uint32_t j = 0; j < nb; j++) {
                        uint64_t a = get(&r, 8), b = get(&r, 8), c = get(&r, 8);
                        printf("%s%llu:%llu:%llu", j ? "," : "", (unsigned long long)a,
                               (unsigned long long)b, (unsigned long long)c);
                    }
                    printf("\n");
                }
                break;
            case MS_REC_TIMELINE:
                if (mode == 0) {
                    uint64_t iv = get(&r, 8);
                    uint32_t n = (uint32_t)get(&r, 4);
                    for (uint32_t j = 0; j < n && !r.bad; j++) {
                        uint64_t t = get(&r, 8), lb = get(&r, 8), lk = get(&r, 8), a = get(&r, 8),
                                 b = get(&r, 8);
                        printf(
                            "timeline interval_ns=%llu t_ns=%llu live_bytes=%llu live_blocks=%llu "
                            "allocs=%llu bytes=%llu\n",
                            (unsigned long long)iv, (unsigned long long)t, (unsigned long long)lb,
                            (unsigned long long)lk, (unsigned long long)a, (unsigned long long)b);
                    }
                }
                break;
            case MS_REC_END:
                if (mode == 0)
                    printf("end records=%llu\n", (unsigned long long)get(&r, 4));
                break;
            default:
                if (mode == 0)
                    printf("unknown type=%u len=%u\n", type, plen);
            }
            if (r.bad) {
                fprintf(stderr, "msdump: record %u (type %u) is malformed\n", i, type);
                return 1;
            }
        }
    }
    if (!ended) {
        fprintf(stderr, "msdump: %s: incomplete (no END record)\n", argv[ai]);
        return 4;
    }
    return 0;
}
