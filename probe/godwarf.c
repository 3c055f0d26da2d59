/*
 * godwarf.c — map- and heap-structure field offsets from the binary's DWARF.
 *
 * Go binaries keep DWARF unless built with -ldflags=-w.  The runtime's own
 * struct types are described there, so when DWARF is present it is the
 * ground truth for hmap, mapextra and maptype offsets, and for the mheap,
 * mspan, special and profile-bucket fields the heap scan reads; the loader compares it
 * with the built-in table (golayout.c) and trusts DWARF when they differ.
 * Only the "runtime" and "internal/abi" compilation units are searched, and
 * only their top-level types, so this stays fast on large binaries.
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
static int apply(Dwarf_Die *die, const struct want *w, size_t n, struct ms_golayout *l)
{
    const char *name = dwarf_diename(die);
    int found = 0;
    if (!name || dwarf_tag(die) != DW_TAG_structure_type)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, w[i].type) && member_offset(die, w[i].member, w[i].dst, NULL) == 0)
            found++;
    unsigned off;
    if (!strcmp(name, "runtime.mspan")) /* uintptr until Go 1.21, uint16 since */
        member_offset(die, "freeindex", &off, &l->sp_idx_size);
    Dwarf_Word sz;
    Dwarf_Attribute a;
    if (dwarf_attr(die, DW_AT_byte_size, &a) && dwarf_formudata(&a, &sz) == 0) {
        if (!strcmp(name, "runtime.hmap"))
            l->hmap_size = (unsigned)sz;
        else if (!strcmp(name, "runtime.bucket"))
            l->bk_hdr = (unsigned)sz; /* the stack follows the header */
    }
    return found;
}

int ms_golayout_dwarf(const struct ms_gobin *bin, struct ms_golayout *l)
{
    unsigned mh_sweepgen = ~0u, mh_allspans = ~0u;
    const struct want w[] = {
        {"runtime.hmap", "count", &l->count},
        {"runtime.hmap", "flags", &l->flags},
        {"runtime.hmap", "B", &l->B},
        {"runtime.hmap", "noverflow", &l->noverflow},
        {"runtime.hmap", "hash0", &l->hash0},
        {"runtime.hmap", "buckets", &l->buckets},
        {"runtime.hmap", "oldbuckets", &l->oldbuckets},
        {"runtime.hmap", "nevacuate", &l->nevacuate},
        {"runtime.hmap", "extra", &l->extra},
        {"runtime.mapextra", "overflow", &l->x_overflow},
        {"runtime.mapextra", "oldoverflow", &l->x_oldoverflow},
        {"runtime.mapextra", "nextOverflow", &l->x_nextoverflow},
        /* Go <= 1.20 */
        {"runtime.maptype", "key", &l->mt_key},
        {"runtime.maptype", "elem", &l->mt_elem},
        {"runtime.maptype", "bucket", &l->mt_bucket},
        {"runtime.maptype", "keysize", &l->mt_keysize},
        {"runtime.maptype", "elemsize", &l->mt_elemsize},
        {"runtime.maptype", "bucketsize", &l->mt_bucketsize},
        {"runtime._type", "size", &l->type_size},
        {"runtime._type", "tflag", &l->type_tflag},
        {"runtime._type", "kind", &l->type_kind},
        {"runtime._type", "str", &l->type_str},
        /* Go 1.21+ moved the type descriptors to internal/abi */
        {"internal/abi.MapType", "Key", &l->mt_key},
        {"internal/abi.MapType", "Elem", &l->mt_elem},
        {"internal/abi.MapType", "Bucket", &l->mt_bucket},
        {"internal/abi.MapType", "KeySize", &l->mt_keysize},
        {"internal/abi.MapType", "ValueSize", &l->mt_elemsize},
        {"internal/abi.MapType", "BucketSize", &l->mt_bucketsize},
        {"internal/abi.OldMapType", "Key", &l->mt_key},
        {"internal/abi.OldMapType", "Elem", &l->mt_elem},
        {"internal/abi.OldMapType", "Bucket", &l->mt_bucket},
        {"internal/abi.OldMapType", "KeySize", &l->mt_keysize},
        {"internal/abi.OldMapType", "ValueSize", &l->mt_elemsize},
        {"internal/abi.OldMapType", "BucketSize", &l->mt_bucketsize},
        {"internal/abi.Type", "Size_", &l->type_size},
        {"internal/abi.Type", "TFlag", &l->type_tflag},
        {"internal/abi.Type", "Kind_", &l->type_kind},
        {"internal/abi.Type", "Str", &l->type_str},
        /* the heap */
        {"runtime.mheap", "sweepgen", &mh_sweepgen},
        {"runtime.mheap", "allspans", &mh_allspans},
        {"runtime.mspan", "startAddr", &l->sp_start},
        {"runtime.mspan", "npages", &l->sp_npages},
        {"runtime.mspan", "freeindex", &l->sp_freeindex},
        {"runtime.mspan", "nelems", &l->sp_nelems},
        {"runtime.mspan", "allocBits", &l->sp_allocbits},
        {"runtime.mspan", "gcmarkBits", &l->sp_gcmarkbits},
        {"runtime.mspan", "sweepgen", &l->sp_sweepgen},
        {"runtime.mspan", "spanclass", &l->sp_spanclass},
        {"runtime.mspan", "state", &l->sp_state},
        {"runtime.mspan", "elemsize", &l->sp_elemsize},
        {"runtime.mspan", "specials", &l->sp_specials},
        {"runtime.special", "offset", &l->sl_offset},
        {"runtime.special", "kind", &l->sl_kind},
        {"runtime.specialprofile", "b", &l->sl_bucket},
        {"runtime.bucket", "typ", &l->bk_typ},
        {"runtime.bucket", "size", &l->bk_size},
        {"runtime.bucket", "nstk", &l->bk_nstk},
    };
    Dwarf *dw = dwarf_begin_elf(bin->elf, DWARF_C_READ, NULL);
    if (!dw)
        return 0;
    int found = 0;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, d;
        if (dwarf_offdie(dw, off + hsize, &cu)) {
            const char *n = dwarf_diename(&cu);
            if (n && (!strcmp(n, "runtime") || !strcmp(n, "internal/abi")) &&
                dwarf_child(&cu, &d) == 0)
                do
                    found += apply(&d, w, sizeof w / sizeof w[0], l);
                while (dwarf_siblingof(&d, &d) == 0);
        }
        off = next;
    }
    dwarf_end(dw);
    if (mh_sweepgen != ~0u && mh_allspans != ~0u && mh_allspans > mh_sweepgen)
        l->mh_sweepgen_back = mh_allspans - mh_sweepgen;
    /* hmap alone has 9 fields; anything less means this DWARF is not usable. */
    return found >= 9 ? 1 : found ? -1 : 0;
}
