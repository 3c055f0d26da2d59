/*
 * gopclntab.c — the Go function table (pclntab): names, entries, file:line.
 *
 * Every Go binary keeps its pclntab, stripped or not, because the runtime
 * needs it for stack traces and garbage collection.  So it is how we find the
 * runtime's map functions in stripped binaries and how we symbolize the Go
 * stacks the probe records.  It is a pcHeader followed by tables the header
 * points to (function names, compilation-unit file lists, file names, the
 * pc-value tables, and the function table of {entry, _func} pairs).
 *
 * Where the table lives: internally linked binaries have a `.gopclntab`
 * section; externally linked ones (cgo) put it in `.data.rel.ro`, and stripped
 * ones may have no section names left.  We try, in order, the section, the
 * pointer at the start of runtime.firstmoduledata, and a scan of the file for
 * the header's magic, validating every candidate before use.
 *
 * Three header formats exist: Go 1.16-1.17 (magic 0xfffffffa, absolute entry
 * addresses), Go 1.18-1.19 (0xfffffff0, 32-bit entry offsets from textStart)
 * and Go 1.20+ (0xfffffff1, _func gains startLine).
 *
 * Inlined calls: the compiler records, per function, an inline tree (funcdata
 * FUNCDATA_InlTree) and a pc-value table (PCDATA_InlTreeIndex) that says
 * which tree node, if any, the code at a pc was inlined from.  The pc's file
 * and line are those of the innermost inlined function; each node names that
 * function and gives parentPc, an instruction of the caller at the call site,
 * whose own file, line and tree index continue the chain outwards.  This is
 * how the runtime's tracebacks expand inlined frames, and what makes a frame
 * read "(*scrapeCache).trackStaleness scrape.go:1037" rather than the outer
 * function with the inlined function's line.  The node layout changed in 1.20
 * (20 bytes with a parent index and file/line, then 16 bytes with startLine);
 * funcdata are addresses before 1.18 and offsets from moduledata.gofunc since.
 */
#include "config.h"

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"

enum { FMT_116 = 116, FMT_118 = 118, FMT_120 = 120 };

struct ms_gopcln {
    const struct ms_gobin *bin; /* for funcdata, which live outside the table */
    const uint8_t *base;        /* the pcHeader */
    size_t size;                /* bytes readable from base */
    uint64_t addr;              /* virtual address of the pcHeader */
    int fmt;
    uint64_t nfunc, text_start;
    uint64_t funcname_off, cu_off, filetab_off, pctab_off, pcln_off;
    const char *origin;
};

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Pointer into the table at off with n readable bytes, or NULL. */
static const uint8_t *at(const struct ms_gopcln *p, uint64_t off, uint64_t n)
{
    if (off > p->size || n > p->size - off)
        return NULL;
    return p->base + off;
}

/* A NUL-terminated string inside the table, or NULL. */
static const char *str_at(const struct ms_gopcln *p, uint64_t off)
{
    if (off >= p->size)
        return NULL;
    const char *s = (const char *)p->base + off;
    if (!memchr(s, 0, p->size - off))
        return NULL;
    return s;
}

static int format_of(uint32_t magic)
{
    switch (magic) {
    case 0xfffffffa:
        return FMT_116;
    case 0xfffffff0:
        return FMT_118;
    case 0xfffffff1:
        return FMT_120;
    }
    return 0;
}

/* Parse and validate a header candidate at b (size bytes readable). */
static int parse_header(struct ms_gopcln *p, const uint8_t *b, size_t size, uint64_t addr)
{
    if (size < 72)
        return -1;
    int fmt = format_of(rd32(b));
    if (!fmt || b[4] || b[5] || b[6] != 1 || b[7] != 8)
        return -1;
    memset(p, 0, sizeof *p);
    p->base = b;
    p->size = size;
    p->addr = addr;
    p->fmt = fmt;
    p->nfunc = rd64(b + 8);
    const uint8_t *o = b + (fmt == FMT_116 ? 24 : 32);
    p->text_start = fmt == FMT_116 ? 0 : rd64(b + 24);
    p->funcname_off = rd64(o);
    p->cu_off = rd64(o + 8);
    p->filetab_off = rd64(o + 16);
    p->pctab_off = rd64(o + 24);
    p->pcln_off = rd64(o + 32);
    uint64_t ftab_entry = fmt == FMT_116 ? 16 : 8;
    if (p->nfunc == 0 || p->nfunc > (1u << 24))
        return -1;
    /* The tables follow the header in this order. */
    if (!(p->funcname_off >= 64 && p->funcname_off <= p->cu_off && p->cu_off <= p->filetab_off &&
          p->filetab_off <= p->pctab_off && p->pctab_off <= p->pcln_off))
        return -1;
    if (!at(p, p->pcln_off, (p->nfunc + 1) * ftab_entry))
        return -1;
    return 0;
}

/* Entry address and _func offset (from pcln_off) of function i (i <= nfunc). */
static int ftab(const struct ms_gopcln *p, uint64_t i, uint64_t *entry, uint64_t *funcoff)
{
    if (p->fmt == FMT_116) {
        const uint8_t *e = at(p, p->pcln_off + i * 16, 16);
        if (!e)
            return -1;
        *entry = rd64(e);
        *funcoff = rd64(e + 8);
    } else {
        const uint8_t *e = at(p, p->pcln_off + i * 8, 8);
        if (!e)
            return -1;
        *entry = p->text_start + rd32(e);
        *funcoff = rd32(e + 4);
    }
    return 0;
}

/* Fields of a _func record that we use. */
struct func {
    uint64_t entry, end;
    const char *name;
    uint32_t pcsp, pcfile, pcln, cu;
    uint64_t rec;     /* offset of the _func record in the table */
    uint32_t npcdata; /* pc-data table offsets follow the record at rec + pcdata_at */
    uint8_t nfuncdata;
};

/* Where the pc-data offsets start in a _func record, per format. */
static unsigned pcdata_at(const struct ms_gopcln *p)
{
    return p->fmt == FMT_118 ? 40 : 44;
}

static int func_at(const struct ms_gopcln *p, uint64_t i, struct func *f)
{
    uint64_t funcoff, next_off;
    if (i >= p->nfunc || ftab(p, i, &f->entry, &funcoff) < 0 ||
        ftab(p, i + 1, &f->end, &next_off) < 0)
        return -1;
    unsigned shift = p->fmt == FMT_116 ? 4 : 0; /* Go 1.16's entry field is 8 bytes */
    const uint8_t *r = at(p, p->pcln_off + funcoff, 40 + shift);
    if (!r)
        return -1;
    f->name = str_at(p, p->funcname_off + rd32(r + 4 + shift));
    f->pcsp = rd32(r + 16 + shift);
    f->pcfile = rd32(r + 20 + shift);
    f->pcln = rd32(r + 24 + shift);
    f->cu = rd32(r + 32 + shift);
    f->npcdata = rd32(r + 28 + shift);
    const uint8_t *nfd = at(p, p->pcln_off + funcoff + pcdata_at(p) - 1, 1);
    f->nfuncdata = nfd ? *nfd : 0; /* the byte before the pc-data offsets */
    f->rec = p->pcln_off + funcoff;
    return f->name ? 0 : -1;
}

static int validate(struct ms_gopcln *p)
{
    struct func f;
    if (func_at(p, 0, &f) < 0)
        return -1;
    /* Function entries must ascend; check a handful spread over the table. */
    uint64_t prev = 0;
    for (uint64_t k = 0; k <= 8; k++) {
        uint64_t e, fo;
        if (ftab(p, k * p->nfunc / 8, &e, &fo) < 0 || e < prev)
            return -1;
        prev = e;
    }
    return 0;
}

static int try_at(struct ms_gopcln *p, const struct ms_gobin *bin, const uint8_t *b, size_t size,
                  uint64_t addr)
{
    if (parse_header(p, b, size, addr) < 0)
        return -1;
    if (p->fmt != FMT_116 && p->text_start == 0) {
        /* Position-independent and externally linked builds leave the field 0: Go's text
         * starts at runtime.text, which moduledata also records; .text is a last resort
         * (an external linker puts C start-up code before Go's). */
        uint64_t t = ms_gobin_symbol(bin, "runtime.text"), md;
        if (!t && (md = ms_gobin_moduledata(bin, addr)) != 0)
            ms_gobin_word(bin, md + 176, &t);
        if (!t)
            ms_gobin_section(bin, ".text", &t, NULL);
        p->text_start = t;
    }
    return validate(p);
}

/* Bytes readable from vaddr to the end of its segment. */
static const uint8_t *segment_rest(const struct ms_gobin *bin, uint64_t vaddr, size_t *size)
{
    const uint8_t *b = ms_gobin_at(bin, vaddr, 72);
    if (!b)
        return NULL;
    size_t lo = 72, hi = bin->image_size;
    while (lo < hi) { /* largest n for which [vaddr, vaddr+n) is file-backed */
        size_t mid = lo + (hi - lo + 1) / 2;
        if (ms_gobin_at(bin, vaddr, mid))
            lo = mid;
        else
            hi = mid - 1;
    }
    *size = lo;
    return b;
}

/* Every 8-byte aligned spot of the non-executable loadable segments (where the linker
 * puts read-only data: .gopclntab, .data.rel.ro.gopclntab, or unnamed when stripped). */
static int scan_magic(struct ms_gopcln *p, const struct ms_gobin *bin)
{
    size_t n;
    if (elf_getphdrnum(bin->elf, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(bin->elf, (int)i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X))
            continue;
        const uint8_t *s = ms_gobin_at(bin, ph.p_vaddr, ph.p_filesz);
        for (size_t off = 0; s && off + 72 <= ph.p_filesz; off += 8)
            if (format_of(rd32(s + off)) &&
                try_at(p, bin, s + off, ph.p_filesz - off, ph.p_vaddr + off) == 0)
                return 0;
    }
    return -1;
}

int ms_gopcln_load(struct ms_gobin *bin, char *err, size_t errlen)
{
    struct ms_gopcln *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t addr;
    size_t size;
    const uint8_t *b = ms_gobin_section(bin, ".gopclntab", &addr, &size);
    const char *origin = ".gopclntab section";
    int ok = b && try_at(p, bin, b, size, addr) == 0;
    if (!ok) {
        uint64_t md = ms_gobin_symbol(bin, "runtime.firstmoduledata");
        const uint8_t *m = md ? ms_gobin_at(bin, md, 8) : NULL;
        b = m ? segment_rest(bin, rd64(m), &size) : NULL;
        origin = "runtime.firstmoduledata";
        ok = b && try_at(p, bin, b, size, rd64(m)) == 0;
    }
    if (!ok) {
        ok = scan_magic(p, bin) == 0;
        origin = "pclntab magic scan";
    }
    if (!ok) {
        snprintf(err, errlen, "%s has no Go function table (pclntab): not a Go program", bin->path);
        free(p);
        return -1;
    }
    p->origin = origin;
    p->bin = bin;
    bin->pcln = p;
    return 0;
}

void ms_gopcln_free(struct ms_gopcln *p)
{
    free(p);
}

const char *ms_gopcln_origin(const struct ms_gopcln *p)
{
    return p->origin;
}

size_t ms_gopcln_nfunc(const struct ms_gopcln *p)
{
    return (size_t)p->nfunc;
}

uint64_t ms_gopcln_pcheader_addr(const struct ms_gopcln *p)
{
    return p->addr;
}

uint64_t ms_gopcln_func(const struct ms_gopcln *p, const char *name, uint64_t *end)
{
    struct func f;
    for (uint64_t i = 0; i < p->nfunc; i++)
        if (func_at(p, i, &f) == 0 && !strcmp(f.name, name)) {
            if (end)
                *end = f.end;
            return f.entry;
        }
    return 0;
}

size_t ms_gopcln_count_prefix(const struct ms_gopcln *p, const char *prefix)
{
    struct func f;
    size_t n = 0, len = strlen(prefix);
    for (uint64_t i = 0; i < p->nfunc; i++)
        if (func_at(p, i, &f) == 0 && !strncmp(f.name, prefix, len))
            n++;
    return n;
}

static int find_func(const struct ms_gopcln *p, uint64_t pc, struct func *f)
{
    uint64_t lo = 0, hi = p->nfunc; /* entry(lo) <= pc < entry(hi) */
    uint64_t e, fo;
    if (ftab(p, 0, &e, &fo) < 0 || pc < e || ftab(p, p->nfunc, &e, &fo) < 0 || pc >= e)
        return -1;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ftab(p, mid, &e, &fo) < 0)
            return -1;
        if (e <= pc)
            lo = mid;
        else
            hi = mid;
    }
    return func_at(p, lo, f);
}

static int read_uvarint(const uint8_t **q, const uint8_t *end, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; *q < end && shift < 35; shift += 7) {
        uint8_t b = *(*q)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/*
 * Walk a pc-value table: cb(pc, end, value) for each range, as the runtime's
 * step() decodes it (zig-zag value deltas, pc deltas in instruction quanta).
 * Returns the value at target (or the last value when target is 0), -1 on error.
 */
static int pcvalue(const struct ms_gopcln *p, const struct func *f, uint32_t off, uint64_t target,
                   int32_t *value, void (*cb)(uint64_t, uint64_t, int32_t, void *), void *arg)
{
    if (off == 0)
        return -1;
    const uint8_t *q = at(p, p->pctab_off + off, 1), *end = p->base + p->size;
    if (!q)
        return -1;
    int32_t val = -1;
    uint64_t pc = f->entry;
    for (int first = 1;; first = 0) {
        uint32_t uv, pcd;
        if (q >= end)
            return -1;
        if (*q == 0 && !first) { /* end of table */
            *value = val;
            return target ? -1 : 0;
        }
        if (read_uvarint(&q, end, &uv) < 0 || read_uvarint(&q, end, &pcd) < 0)
            return -1;
        val += (int32_t)(-(uv & 1) ^ (uv >> 1));
        uint64_t next = pc + pcd; /* pc quantum is 1 on amd64 */
        if (next > f->end || pcd == 0)
            return -1;
        if (cb)
            cb(pc, next, val, arg);
        if (target && target < next) {
            *value = val;
            return 0;
        }
        pc = next;
    }
}

/* File and line of pc in f (NULL/0 when unknown). */
static void position(const struct ms_gopcln *p, const struct func *f, uint64_t pc,
                     const char **file, int *line)
{
    int32_t fileno, ln;
    *file = NULL;
    *line = 0;
    if (pcvalue(p, f, f->pcfile, pc, &fileno, NULL, NULL) == 0 && fileno >= 0) {
        const uint8_t *cu = at(p, p->cu_off + ((uint64_t)f->cu + (uint64_t)fileno) * 4, 4);
        if (cu && rd32(cu) != 0xffffffff)
            *file = str_at(p, p->filetab_off + rd32(cu));
    }
    if (pcvalue(p, f, f->pcln, pc, &ln, NULL, NULL) == 0 && ln > 0)
        *line = ln;
}

enum { PCDATA_INLTREEINDEX = 2, FUNCDATA_INLTREE = 3 };

/* The inline-tree index at pc (-1: not inlined code, or no tree). */
static int32_t inl_index(const struct ms_gopcln *p, const struct func *f, uint64_t pc)
{
    if (f->npcdata <= PCDATA_INLTREEINDEX)
        return -1;
    const uint8_t *o = at(p, f->rec + pcdata_at(p) + PCDATA_INLTREEINDEX * 4, 4);
    int32_t v;
    if (!o || rd32(o) == 0 || pcvalue(p, f, rd32(o), pc, &v, NULL, NULL) < 0)
        return -1;
    return v;
}

/* Address of f's inline tree, 0 when it has none (or it cannot be located). */
static uint64_t inl_tree(const struct ms_gopcln *p, const struct func *f)
{
    if (f->nfuncdata <= FUNCDATA_INLTREE || f->npcdata > 1024)
        return 0;
    uint64_t off = f->rec + pcdata_at(p) + (uint64_t)f->npcdata * 4;
    if (p->fmt == FMT_116) { /* absolute addresses, 8-byte aligned in memory */
        if ((p->addr + off) & 4)
            off += 4;
        const uint8_t *a = at(p, off + FUNCDATA_INLTREE * 8, 8);
        return a ? rd64(a) : 0;
    }
    const uint8_t *o = at(p, off + FUNCDATA_INLTREE * 4, 4);
    if (!o || rd32(o) == 0xffffffff)
        return 0;
    uint64_t gofunc = p->bin->gofunc;
    if (!gofunc) /* moduledata not read (ms_gotypes_init): the symbol, when not stripped */
        gofunc = ms_gobin_symbol(p->bin, p->fmt == FMT_118 ? "go.func.*" : "go:func.*");
    return gofunc ? gofunc + rd32(o) : 0;
}

int ms_gopcln_frames(const struct ms_gopcln *p, uint64_t pc, struct ms_goframe *out, int max)
{
    struct func f;
    if (max < 1 || find_func(p, pc, &f) < 0)
        return -1;
    uint64_t tree = inl_tree(p, &f);
    size_t node = p->fmt == FMT_120 ? 16 : 20;
    int n = 0;
    for (int32_t ix = tree ? inl_index(p, &f, pc) : -1; ix >= 0 && n < max - 1;
         ix = inl_index(p, &f, pc)) {
        const uint8_t *c = ms_gobin_at(p->bin, tree + (uint64_t)ix * node, node);
        if (!c || ix > (1 << 20))
            break;
        int32_t nameoff = (int32_t)rd32(c + (p->fmt == FMT_120 ? 4 : 12));
        int32_t parentpc = (int32_t)rd32(c + (p->fmt == FMT_120 ? 8 : 16));
        const char *name = nameoff >= 0 ? str_at(p, p->funcname_off + (uint64_t)nameoff) : NULL;
        if (!name || parentpc < 0 || f.entry + (uint64_t)parentpc >= f.end)
            break;
        out[n].func = name;
        position(p, &f, pc, &out[n].file, &out[n].line);
        n++;
        pc = f.entry + (uint64_t)parentpc; /* an instruction at the call site */
    }
    out[n].func = f.name;
    position(p, &f, pc, &out[n].file, &out[n].line);
    return n + 1;
}

int ms_gopcln_lookup(const struct ms_gopcln *p, uint64_t pc, const char **func, const char **file,
                     int *line)
{
    struct ms_goframe fr[16];
    if (ms_gopcln_frames(p, pc, fr, 16) < 0)
        return -1;
    /* the innermost frame: the function whose code this is, inlined or not */
    *func = fr[0].func;
    *file = fr[0].file;
    *line = fr[0].line;
    return 0;
}

const char *ms_gopcln_describe(const struct ms_gopcln *p, uint64_t pc, char *buf, size_t len)
{
    struct ms_goframe fr[8];
    int n = ms_gopcln_frames(p, pc, fr, 8);
    if (n < 0) {
        snprintf(buf, len, "0x%llx", (unsigned long long)pc);
        return buf;
    }
    size_t at_ = 0;
    for (int i = 0; i < n && at_ < len; i++) {
        int w;
        if (fr[i].file && fr[i].line)
            w = snprintf(buf + at_, len - at_, "%s%s %s:%d",
                         i == 1 ? " (inlined into "
                         : i    ? ", "
                                : "",
                         fr[i].func, fr[i].file, fr[i].line);
        else
            w = snprintf(buf + at_, len - at_, "%s%s",
                         i == 1 ? " (inlined into "
                         : i    ? ", "
                                : "",
                         fr[i].func);
        if (w < 0)
            break;
        at_ += (size_t)w;
    }
    if (n > 1 && at_ < len)
        snprintf(buf + at_, len - at_, ")");
    return buf;
}

int ms_gopcln_walk(const struct ms_gopcln *p, uint64_t entry, enum ms_pctab table,
                   void (*cb)(uint64_t pc, uint64_t end, int32_t value, void *arg), void *arg)
{
    struct func f;
    int32_t last;
    if (find_func(p, entry, &f) < 0 || f.entry != entry)
        return -1;
    uint32_t off = table == MS_PCSP ? f.pcsp : table == MS_PCFILE ? f.pcfile : f.pcln;
    return pcvalue(p, &f, off, 0, &last, cb, arg);
}

const char *ms_gopcln_file(const struct ms_gopcln *p, uint64_t entry, int32_t fileno)
{
    struct func f;
    if (fileno < 0 || find_func(p, entry, &f) < 0)
        return NULL;
    const uint8_t *cu = at(p, p->cu_off + ((uint64_t)f.cu + (uint64_t)fileno) * 4, 4);
    return cu && rd32(cu) != 0xffffffff ? str_at(p, p->filetab_off + rd32(cu)) : NULL;
}
