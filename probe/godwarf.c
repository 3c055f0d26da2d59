/*
 * godwarf.c — map- and heap-structure field offsets from the binary's DWARF.
 *
 * Go binaries keep DWARF unless built with -ldflags=-w.  The runtime's own
 * struct types are described there, so when DWARF is present it is the
 * ground truth for the map headers (classic hmap, mapextra, maptype; Swiss
 * maps.Map, maps.table, the map type descriptor), and for the mheap,
 * mspan, special and profile-bucket fields the heap scan reads; the loader compares it
 * with the built-in table (golayout.c) and trusts DWARF when they differ.
 * Which structures are there also tells the implementation, as Delve does:
 * runtime.hmap {count, B, buckets} or internal/runtime/maps.Map {used,
 * dirPtr, dirLen}.  Only the "runtime", "internal/abi" and
 * "internal/runtime/maps" compilation units are searched, and only their
 * top-level types, so this stays fast on large binaries.
 */
#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <string.h>

#include "gobin.h"

struct want {
    const char *type;   /* struct name in DWARF */
    const char *member; /* field name */
    unsigned *dst;
    enum ms_gomap_impl impl; /* a map-header field of this implementation */
};

/* Fields found, per implementation (index: enum ms_gomap_impl). */
struct found {
    int n[3];
};

static int member_offset(Dwarf_Die *st, const char *name, unsigned *dst, unsigned *size)
{
    Dwarf_Die m;
    if (dwarf_child(st, &m) != 0)
        return -1;
    do {
        const char *n = dwarf_diename(&m);
        Dwarf_Attribute a;
        Dwarf_Word off;
        if (dwarf_tag(&m) == DW_TAG_member && n && !strcmp(n, name) &&
            dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) == 0) {
            Dwarf_Die t;
            Dwarf_Word sz;
            if (size && dwarf_attr(&m, DW_AT_type, &a) && dwarf_formref_die(&a, &t) &&
                dwarf_aggregate_size(&t, &sz) == 0)
                *size = (unsigned)sz;
            else if (size)
                return -1;
            *dst = (unsigned)off;
            return 0;
        }
    } while (dwarf_siblingof(&m, &m) == 0);
    return -1;
}

/* Apply every wanted field of the structure type named by die. */
static void apply(Dwarf_Die *die, const struct want *w, size_t n, struct ms_golayout *l,
                  struct found *found, unsigned *lengthmask)
{
    const char *name = dwarf_diename(die);
    if (!name || dwarf_tag(die) != DW_TAG_structure_type)
        return;
    unsigned off;
    const char *as = name;
    if (!strcmp(name, "internal/abi.MapType") && member_offset(die, "GroupSize", &off, NULL) == 0)
        as = "internal/abi.MapType/swiss";
    for (size_t i = 0; i < n; i++)
        if ((!strcmp(name, w[i].type) || !strcmp(as, w[i].type)) &&
            member_offset(die, w[i].member, w[i].dst, NULL) == 0)
            found->n[w[i].impl]++;
    if (!strcmp(name, "runtime.mspan")) /* uintptr until Go 1.21, uint16 since */
        member_offset(die, "freeindex", &off, &l->sp_idx_size);
    else if (!strcmp(name, "runtime.special")) /* uint16 until Go 1.23, uintptr since */
        member_offset(die, "offset", &off, &l->sl_offset_size);
    else if (!strcmp(name, "internal/runtime/maps.groupsReference"))
        member_offset(die, "lengthMask", lengthmask, NULL);
    Dwarf_Word sz;
    Dwarf_Attribute a;
    if (dwarf_attr(die, DW_AT_byte_size, &a) && dwarf_formudata(&a, &sz) == 0) {
        if (!strcmp(name, "runtime.hmap"))
            l->hmap_size = (unsigned)sz;
        else if (!strcmp(name, "runtime.bucket"))
            l->bk_hdr = (unsigned)sz; /* the stack follows the header */
        else if (!strcmp(name, "internal/runtime/maps.Map"))
            l->m_size = (unsigned)sz;
        else if (!strcmp(name, "internal/runtime/maps.table"))
            l->t_size = (unsigned)sz;
        else if (!strcmp(name, "internal/abi.SwissMapType") || as != name)
            l->smt_size = (unsigned)sz;
    }
}

int ms_golayout_dwarf(const struct ms_gobin *bin, struct ms_golayout *l)
{
    unsigned mh_sweepgen = ~0u, mh_allspans = ~0u;
    const struct want w[] = {
        {"runtime.hmap", "count", &l->count, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "flags", &l->flags, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "B", &l->B, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "noverflow", &l->noverflow, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "hash0", &l->hash0, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "buckets", &l->buckets, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "oldbuckets", &l->oldbuckets, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "nevacuate", &l->nevacuate, MS_GOMAP_CLASSIC},
        {"runtime.hmap", "extra", &l->extra, MS_GOMAP_CLASSIC},
        {"runtime.mapextra", "overflow", &l->x_overflow, MS_GOMAP_CLASSIC},
        {"runtime.mapextra", "oldoverflow", &l->x_oldoverflow, MS_GOMAP_CLASSIC},
        {"runtime.mapextra", "nextOverflow", &l->x_nextoverflow, MS_GOMAP_CLASSIC},
        /* Go <= 1.20 */
        {"runtime.maptype", "key", &l->mt_key, MS_GOMAP_CLASSIC},
        {"runtime.maptype", "elem", &l->mt_elem, MS_GOMAP_CLASSIC},
        {"runtime.maptype", "bucket", &l->mt_bucket, MS_GOMAP_CLASSIC},
        {"runtime.maptype", "keysize", &l->mt_keysize, MS_GOMAP_CLASSIC},
        {"runtime.maptype", "elemsize", &l->mt_elemsize, MS_GOMAP_CLASSIC},
        {"runtime.maptype", "bucketsize", &l->mt_bucketsize, MS_GOMAP_CLASSIC},
        {"runtime._type", "size", &l->type_size, MS_GOMAP_UNKNOWN},
        {"runtime._type", "tflag", &l->type_tflag, MS_GOMAP_UNKNOWN},
        {"runtime._type", "kind", &l->type_kind, MS_GOMAP_UNKNOWN},
        {"runtime._type", "str", &l->type_str, MS_GOMAP_UNKNOWN},
        /* Go 1.21+ moved the type descriptors to internal/abi */
        {"internal/abi.MapType", "Key", &l->mt_key, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType", "Elem", &l->mt_elem, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType", "Bucket", &l->mt_bucket, MS_GOMAP_CLASSIC},
        {"internal/abi.MapType", "KeySize", &l->mt_keysize, MS_GOMAP_CLASSIC},
        {"internal/abi.MapType", "ValueSize", &l->mt_elemsize, MS_GOMAP_CLASSIC},
        {"internal/abi.MapType", "BucketSize", &l->mt_bucketsize, MS_GOMAP_CLASSIC},
        {"internal/abi.OldMapType", "Key", &l->mt_key, MS_GOMAP_CLASSIC},
        {"internal/abi.OldMapType", "Elem", &l->mt_elem, MS_GOMAP_CLASSIC},
        {"internal/abi.OldMapType", "Bucket", &l->mt_bucket, MS_GOMAP_CLASSIC},
        {"internal/abi.OldMapType", "KeySize", &l->mt_keysize, MS_GOMAP_CLASSIC},
        {"internal/abi.OldMapType", "ValueSize", &l->mt_elemsize, MS_GOMAP_CLASSIC},
        {"internal/abi.OldMapType", "BucketSize", &l->mt_bucketsize, MS_GOMAP_CLASSIC},
        {"internal/abi.Type", "Size_", &l->type_size, MS_GOMAP_UNKNOWN},
        {"internal/abi.Type", "TFlag", &l->type_tflag, MS_GOMAP_UNKNOWN},
        {"internal/abi.Type", "Kind_", &l->type_kind, MS_GOMAP_UNKNOWN},
        {"internal/abi.Type", "Str", &l->type_str, MS_GOMAP_UNKNOWN},
        /* the heap */
        {"runtime.mheap", "sweepgen", &mh_sweepgen, MS_GOMAP_UNKNOWN},
        {"runtime.mheap", "allspans", &mh_allspans, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "startAddr", &l->sp_start, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "npages", &l->sp_npages, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "freeindex", &l->sp_freeindex, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "nelems", &l->sp_nelems, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "allocBits", &l->sp_allocbits, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "gcmarkBits", &l->sp_gcmarkbits, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "sweepgen", &l->sp_sweepgen, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "spanclass", &l->sp_spanclass, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "state", &l->sp_state, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "elemsize", &l->sp_elemsize, MS_GOMAP_UNKNOWN},
        {"runtime.mspan", "specials", &l->sp_specials, MS_GOMAP_UNKNOWN},
        {"runtime.special", "offset", &l->sl_offset, MS_GOMAP_UNKNOWN},
        {"runtime.special", "kind", &l->sl_kind, MS_GOMAP_UNKNOWN},
        {"runtime.specialprofile", "b", &l->sl_bucket, MS_GOMAP_UNKNOWN},
        {"runtime.bucket", "typ", &l->bk_typ, MS_GOMAP_UNKNOWN},
        {"runtime.bucket", "size", &l->bk_size, MS_GOMAP_UNKNOWN},
        {"runtime.bucket", "nstk", &l->bk_nstk, MS_GOMAP_UNKNOWN},
        /* Swiss tables (Go 1.24+) */
        {"internal/runtime/maps.Map", "used", &l->m_used, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "seed", &l->m_seed, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "dirPtr", &l->m_dirptr, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "dirLen", &l->m_dirlen, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "globalDepth", &l->m_globaldepth, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "globalShift", &l->m_globalshift, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "writing", &l->m_writing, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "tombstonePossible", &l->m_tombstones, MS_GOMAP_SWISS},
        {"internal/runtime/maps.Map", "clearSeq", &l->m_clearseq, MS_GOMAP_SWISS},
        {"internal/runtime/maps.table", "used", &l->t_used, MS_GOMAP_SWISS},
        {"internal/runtime/maps.table", "capacity", &l->t_capacity, MS_GOMAP_SWISS},
        {"internal/runtime/maps.table", "growthLeft", &l->t_growthleft, MS_GOMAP_SWISS},
        {"internal/runtime/maps.table", "localDepth", &l->t_localdepth, MS_GOMAP_SWISS},
        {"internal/runtime/maps.table", "index", &l->t_index, MS_GOMAP_SWISS},
        {"internal/runtime/maps.table", "groups", &l->t_groups, MS_GOMAP_SWISS},
        /* the descriptor: abi.SwissMapType in 1.24/1.25, abi.MapType since 1.26 */
        {"internal/abi.SwissMapType", "Key", &l->mt_key, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "Elem", &l->mt_elem, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "Group", &l->mt_group, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "Hasher", &l->mt_hasher, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "GroupSize", &l->mt_groupsize, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "SlotSize", &l->mt_slotsize, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "ElemOff", &l->mt_elemoff, MS_GOMAP_UNKNOWN},
        {"internal/abi.SwissMapType", "Flags", &l->mt_flags, MS_GOMAP_UNKNOWN},
        /* abi.MapType of 1.21-1.23 is the classic descriptor (Hasher, Flags too): only
         * one with a GroupSize is the Swiss one, matched under this name */
        {"internal/abi.MapType/swiss", "Group", &l->mt_group, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "Hasher", &l->mt_hasher, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "GroupSize", &l->mt_groupsize, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "SlotSize", &l->mt_slotsize, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "ElemOff", &l->mt_elemoff, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "KeysOff", &l->mt_keysoff, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "KeyStride", &l->mt_keystride, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "ElemsOff", &l->mt_elemsoff, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "ElemStride", &l->mt_elemstride, MS_GOMAP_UNKNOWN},
        {"internal/abi.MapType/swiss", "Flags", &l->mt_flags, MS_GOMAP_UNKNOWN},
    };
    Dwarf *dw = dwarf_begin_elf(bin->elf, DWARF_C_READ, NULL);
    if (!dw)
        return 0;
    struct found found = {{0}};
    unsigned lengthmask = ~0u;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, d;
        if (dwarf_offdie(dw, off + hsize, &cu)) {
            const char *n = dwarf_diename(&cu);
            if (n &&
                (!strcmp(n, "runtime") || !strcmp(n, "internal/abi") ||
                 !strcmp(n, "internal/runtime/maps")) &&
                dwarf_child(&cu, &d) == 0)
                do
                    apply(&d, w, sizeof w / sizeof w[0], l, &found, &lengthmask);
                while (dwarf_siblingof(&d, &d) == 0);
        }
        off = next;
    }
    dwarf_end(dw);
    if (mh_sweepgen != ~0u && mh_allspans != ~0u && mh_allspans > mh_sweepgen)
        l->mh_sweepgen_back = mh_allspans - mh_sweepgen;
    if (lengthmask != ~0u && l->t_groups != MS_GO_NOFIELD)
        l->t_lengthmask = l->t_groups + lengthmask;
    /* hmap alone has 9 fields; Map 8 (9 since 1.25) and table 6 more; anything less
     * means this DWARF is not usable. */
    int classic = found.n[MS_GOMAP_CLASSIC], swiss = found.n[MS_GOMAP_SWISS];
    if (classic >= 9 && !swiss)
        l->impl = MS_GOMAP_CLASSIC;
    else if (swiss >= 14 && !classic)
        l->impl = MS_GOMAP_SWISS;
    else
        return classic || swiss ? -1 : 0;
    return 1;
}
