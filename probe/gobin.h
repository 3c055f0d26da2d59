/*
 * gobin.h — what mapscope gomaps learns from a Go executable before attaching.
 *
 * A Go binary carries everything a probe needs even when stripped: the pclntab
 * (function entries, names, file:line, stack-pointer deltas) because the runtime
 * itself needs it for tracebacks, .go.buildinfo (toolchain version and
 * GOEXPERIMENT), and the type descriptors the runtime uses for reflection.  The
 * files behind this header each read one of those; nothing here touches the
 * running process.  Every offset read from the file is bounds-checked: target
 * binaries are untrusted input.
 */
#ifndef MS_GOBIN_H
#define MS_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ms_gopcln; /* parsed pclntab, see gopclntab.c */

/* The runtime's map implementation: classic buckets (Go 1.17-1.23; 1.24/1.25 built with
 * GOEXPERIMENT=noswissmap) or Swiss tables (internal/runtime/maps, Go 1.24 and later). */
enum ms_gomap_impl { MS_GOMAP_UNKNOWN, MS_GOMAP_CLASSIC, MS_GOMAP_SWISS };
/* A field the runtime of this version does not have. */
#define MS_GO_NOFIELD 0xffffffffu

struct ms_gorel {
    uint64_t at, addend;
};

/* A Go executable read into memory (goelf.c). */
struct ms_gobin {
    char *path;
    uint8_t *image; /* the whole file */
    size_t image_size;
    void *elf; /* libelf handle over image (Elf *) */
    struct ms_gopcln *pcln;
    struct ms_gorel *rel; /* R_X86_64_RELATIVE relocations, sorted (PIE) */
    size_t nrel;
    /* from .go.buildinfo (gobuildinfo.c) */
    char version[64];     /* "go1.19.8"; "" when the binary has no build info */
    char experiment[128]; /* GOEXPERIMENT value, "" when none */
    int major, minor;     /* 1, 19 */
    bool swiss;           /* uses Swiss-table maps (Go >= 1.24 unless noswissmap) */
    /* gorecognize.c: the map implementation, what told it, and when the binary has no
     * build info, the oldest Go release its function table fits (major/minor are then
     * that release, version reads "go1.N+" and version_guessed is set). */
    enum ms_gomap_impl impl;
    const char *impl_from; /* "build info", "function table"; NULL when unknown */
    bool version_guessed;
    bool split_group;    /* GOEXPERIMENT=mapsplitgroup (Go 1.27+): a group's keys, then its elems */
    uint64_t types_base; /* moduledata.types: base of type name offsets (gotypes.c) */
    uint64_t types_end;  /* moduledata.etypes */
    uint64_t gofunc;     /* moduledata.gofunc: base of funcdata offsets (Go 1.18+) */
};

/* goelf.c: load/inspect ELF.  Error text goes to err (one line). */
int ms_gobin_open(struct ms_gobin *bin, const char *path, char *err, size_t errlen);
void ms_gobin_close(struct ms_gobin *bin);
/* The bytes of a section by name, or NULL. */
const uint8_t *ms_gobin_section(const struct ms_gobin *bin, const char *name, uint64_t *addr,
                                size_t *size);
/* Where a section is loaded, data or not (.bss): 0, or -1 when there is no such section. */
int ms_gobin_section_range(const struct ms_gobin *bin, const char *name, uint64_t *addr,
                           uint64_t *size);
/* Bytes at a virtual address backed by the file (PT_LOAD), at least len long, or NULL. */
const uint8_t *ms_gobin_at(const struct ms_gobin *bin, uint64_t vaddr, size_t len);
/* The pointer at vaddr as the loader leaves it at link-time addresses (applying a
 * R_X86_64_RELATIVE relocation there, as position-independent binaries have); 0 when
 * read, -1 when vaddr is not file-backed. */
int ms_gobin_word(const struct ms_gobin *bin, uint64_t vaddr, uint64_t *out);
/* gotypes.c: the runtime's moduledata for the pclntab header at hdr (any Go version);
 * 0 when not found.  Its field at +176 is the start of Go's text. */
uint64_t ms_gobin_moduledata(const struct ms_gobin *bin, uint64_t hdr);
/* Virtual address to file offset (for uprobes); 0 when not in an executable segment. */
uint64_t ms_gobin_file_offset(const struct ms_gobin *bin, uint64_t vaddr);
/* Load bias of the binary in process pid (0 unless PIE); -1 while it is not mapped yet. */
int ms_gobin_load_bias(const struct ms_gobin *bin, int pid, uint64_t *bias);
/* Address of an ELF symbol from .symtab, 0 when absent (stripped). */
uint64_t ms_gobin_symbol(const struct ms_gobin *bin, const char *name);

/* gobuildinfo.c: fill version/experiment/major/minor/swiss; 0 when found, -1 otherwise. */
int ms_gobin_buildinfo(struct ms_gobin *bin);
/* Parse "go1.N[.M][ X:exp,...]" into major/minor; -1 when not a Go version string. */
int ms_go_parse_version(const char *v, int *major, int *minor);

/* gorecognize.c: set impl/impl_from (and, without build info, a lower bound of the
 * version) from the build info, else the function table.  Needs ms_gobin_buildinfo and
 * ms_gopcln_load first.  0 when recognized, -1 when neither says. */
int ms_gobin_recognize(struct ms_gobin *bin);
/* One line saying what was recognized, for messages ("go1.26.10, Swiss-table maps (from
 * the build info)"). */
const char *ms_gobin_describe(const struct ms_gobin *bin, char *buf, size_t len);

/* gopclntab.c: the function table. */
int ms_gopcln_load(struct ms_gobin *bin, char *err, size_t errlen);
void ms_gopcln_free(struct ms_gopcln *p);
/* Which kind of table was found (for messages and tests): ".gopclntab", "magic scan", ... */
const char *ms_gopcln_origin(const struct ms_gopcln *p);
size_t ms_gopcln_nfunc(const struct ms_gopcln *p);
uint64_t ms_gopcln_pcheader_addr(const struct ms_gopcln *p);
/* Entry and end of a function by exact name; 0 when absent. */
uint64_t ms_gopcln_func(const struct ms_gopcln *p, const char *name, uint64_t *end);
/* How many functions have a name starting with prefix. */
size_t ms_gopcln_count_prefix(const struct ms_gopcln *p, const char *prefix);
/* The function whose code is at pc — when the compiler inlined it into another, the
 * inlined one — and its file, line (NULL/0 when unknown).  -1 when pc is in no function. */
int ms_gopcln_lookup(const struct ms_gopcln *p, uint64_t pc, const char **func, const char **file,
                     int *line);
/* The source frames at pc, innermost first: each inlined call, then the function the code
 * belongs to; each with its file:line at pc (for an outer frame: the call site of the one
 * before).  Returns how many were stored (up to max), -1 when pc is in no function.  For
 * Go 1.18+ the inline trees are found through moduledata (ms_gotypes_init) or, when not
 * stripped, the go:func.* symbol; without either, one frame. */
struct ms_goframe {
    const char *func, *file;
    int line;
};
int ms_gopcln_frames(const struct ms_gopcln *p, uint64_t pc, struct ms_goframe *out, int max);
/* "func file:line", or for inlined code "inner file:line (inlined into outer file:line)";
 * "0x..." when pc is in no function.  Returns buf. */
const char *ms_gopcln_describe(const struct ms_gopcln *p, uint64_t pc, char *buf, size_t len);
/* Walk one pc-value table of the function at entry: cb(pc, end, value) per range
 * (stack-pointer delta, file number or line). */
enum ms_pctab { MS_PCSP, MS_PCFILE, MS_PCLN };
int ms_gopcln_walk(const struct ms_gopcln *p, uint64_t entry, enum ms_pctab table,
                   void (*cb)(uint64_t pc, uint64_t end, int32_t value, void *arg), void *arg);
/* Name of file number fileno of the function at entry (its compilation unit's list). */
const char *ms_gopcln_file(const struct ms_gopcln *p, uint64_t entry, int32_t fileno);

/* goprobe_points.c: where to put uprobes inside a function. */
/* Addresses of the RET instructions of the function at entry. */
int ms_gobin_rets(const struct ms_gobin *bin, uint64_t entry, uint64_t *rets, int max);
/* First instruction of code inlined from a file ending in suffix, 0 when none. */
uint64_t ms_gobin_inlined_pc(const struct ms_gobin *bin, uint64_t entry, const char *suffix);
/* A function worth a uprobe: entry (0 when the binary lacks it), end, and its RETs (for a
 * result: never uretprobes on Go code). */
#define MS_GOPOINT_MAXRET 16
struct ms_gopoint {
    const char *func;
    uint64_t entry, end;
    int nret; /* -1 when the RETs could not be found */
    uint64_t rets[MS_GOPOINT_MAXRET];
};
/* The rare events of Swiss-table maps (every grow, split, group-array allocation, clear,
 * tombstone pruning).  Link-time addresses; ms_gobin_file_offset gives uprobe offsets. */
struct ms_goswiss_points {
    struct ms_gopoint rehash;        /* maps.(*table).rehash(t, typ, m): every grow/split */
    struct ms_gopoint install_split; /* maps.(*Map).installTableSplit: a table split */
    struct ms_gopoint newarray;      /* maps.newarray(typ, n) -> group array (RAX at RET) */
    struct ms_gopoint grow_to_table; /* maps.(*Map).growToTable: small map to first table */
    struct ms_gopoint clear;         /* maps.(*Map).Clear */
    struct ms_gopoint mapclear;      /* runtime.mapclear(t, m): clear(m) */
    struct ms_gopoint prune;         /* maps.(*table).pruneTombstones (Go 1.25+) */
};
/* Fill the Swiss probe points; 0 when rehash and newarray were found, -1 otherwise. */
int ms_gobin_swiss_points(const struct ms_gobin *bin, struct ms_goswiss_points *pts);

/* gotypes.c: find moduledata.types; name of the runtime type at addr. */
int ms_gotypes_init(struct ms_gobin *bin);
/* The map types the binary describes (link-time addresses), for recognising a map
 * found without a probe event by the size of its buckets.  Returns how many were
 * stored in out (up to max); 0 when the type data cannot be read from the file
 * (position-independent binaries relocate it at load time). */
struct ms_gomaptype {
    uint64_t addr;
    unsigned bucketsize, keysize, elemsize; /* sizes as stored in the bucket */
    bool ptr_free;                          /* the bucket type holds no pointers */
    const uint8_t *ptrmask; /* its pointer bitmap, 1 bit per word (NULL: a GC program) */
    unsigned ptrwords;      /* words the bitmap covers */
    uint64_t key_pointee, elem_pointee; /* key or elem is *T: the size of T, else 0 */
};
struct ms_golayout;
size_t ms_gotypes_maps(const struct ms_gobin *bin, const struct ms_golayout *lay,
                       struct ms_gomaptype *out, size_t max);
/* Writes the type's name ("map[string]*main.Session") into buf; returns buf, "?" if unknown. */
const char *ms_gotype_name(const struct ms_gobin *bin, uint64_t type_addr, char *buf, size_t len);

/* Field offsets of the runtime's map and heap structures (golayout.c / godwarf.c). */
struct ms_golayout {
    enum ms_gomap_impl impl;
    /* Classic maps (MS_GO_NOFIELD in a Swiss layout) */
    unsigned hmap_size;       /* bytes of the hmap header */
    unsigned sl_profile_kind; /* _KindSpecialProfile: a constant, never in DWARF */
    unsigned count, flags, B, noverflow, hash0, buckets, oldbuckets, nevacuate, extra;
    unsigned x_overflow, x_oldoverflow, x_nextoverflow; /* in mapextra */
    unsigned mt_key, mt_elem, mt_bucket, mt_keysize, mt_elemsize, mt_bucketsize;
    unsigned type_size, type_tflag, type_kind, type_str; /* in runtime._type */
    /* The heap, for the attach-time scan (goheap.c).  mheap: how far before allspans
     * the sweep generation sits.  mspan: its fields; idx_size is the width of
     * freeindex and nelems (uintptr until Go 1.21, uint16 since 1.22). */
    unsigned mh_sweepgen_back;
    unsigned sp_start, sp_npages, sp_freeindex, sp_nelems, sp_idx_size, sp_allocbits, sp_gcmarkbits,
        sp_sweepgen, sp_spanclass, sp_state, sp_elemsize, sp_specials;
    /* special {next; offset uint16; kind byte}, specialprofile.b, profile bucket */
    unsigned sl_offset, sl_kind, sl_bucket;
    unsigned bk_typ, bk_size, bk_nstk, bk_hdr; /* bk_hdr: bytes before the stack */
    unsigned sl_offset_size; /* special.offset: uint16 until Go 1.23, uintptr since 1.24 */
    /* Swiss tables (MS_GO_NOFIELD in a classic layout).  internal/runtime/maps.Map: */
    unsigned m_size, m_used, m_seed, m_dirptr, m_dirlen, m_globaldepth, m_globalshift, m_writing,
        m_tombstones /* tombstonePossible, Go 1.25+ */, m_clearseq;
    /* maps.table (groups is a groupsReference {data, lengthMask}) */
    unsigned t_size, t_used, t_capacity, t_growthleft, t_localdepth, t_index, t_groups,
        t_lengthmask;
    /* A group: a ctrl word of g_slots bytes, then g_slots slots (key+elem each), or with
     * split_group all keys then all elems.  The map type descriptor (abi.SwissMapType in
     * 1.24/1.25, abi.MapType since 1.26; mt_key/mt_elem above): Go 1.27 replaced SlotSize
     * by KeysOff/KeyStride/ElemsOff/ElemStride. */
    unsigned g_ctrl, g_slots;
    bool split_group;
    unsigned smt_size, mt_group, mt_hasher, mt_groupsize, mt_slotsize, mt_elemoff, mt_keysoff,
        mt_keystride, mt_elemsoff, mt_elemstride, mt_flags;
};
/* Built-in table for a Go version; -1 when the version has no classic-map table. */
int ms_golayout_builtin(int major, int minor, struct ms_golayout *out);
/* Built-in Swiss-table layout (Go 1.24 and later); -1 before 1.24. */
int ms_golayout_swiss(int major, int minor, bool split_group, struct ms_golayout *out);
/* The built-in table of the binary's recognized implementation and version. */
int ms_golayout_for(const struct ms_gobin *bin, struct ms_golayout *out);
/* From DWARF when present: 1 = read, 0 = no DWARF, -1 = DWARF present but unusable.
 * Fields DWARF does not describe are left as they are; impl is set from the field
 * names found (count/B/buckets or used/dirPtr/dirLen, as Delve tells them apart). */
int ms_golayout_dwarf(const struct ms_gobin *bin, struct ms_golayout *out);
/* Names the first field where two layouts differ, NULL when they agree. */
const char *ms_golayout_diff(const struct ms_golayout *a, const struct ms_golayout *b);

#endif /* MS_GOBIN_H */
