/*
 * golayout.c — the built-in table of the classic Go map's field offsets.
 *
 * The runtime's hmap, mapextra, maptype and _type layouts have been stable
 * from Go 1.17 (the first register-ABI release on amd64, which our probes
 * assume) through Go 1.24 built with GOEXPERIMENT=noswissmap; Go 1.25's
 * noswissmap hmap gains a field before `extra`.  When the binary has DWARF,
 * godwarf.c reads the same offsets from it and the loader compares the two,
 * so a runtime we have not seen is caught instead of misread.
 */
#include "config.h"

#include <string.h>

#include "gobin.h"

/*
 * The heap structures the attach-time scan reads (runtime/mheap.go, mprof.go),
 * checked against the sources of each release: mspan kept its leading fields
 * from 1.17 to 1.21 (1.21 inserted pinnerBits after gcmarkBits); 1.22 narrowed
 * freeindex and nelems to uint16.  mheap.allspans follows sweepgen (1.17 had
 * two more counters between them).  _KindSpecialProfile became 3 when 1.23 added
 * weak handles.  The scan checks every span it reads against these (start page
 * aligned, elemsize x nelems filling the span), so a runtime that moved them is
 * refused rather than misread.
 */
static void heap_layout(int minor, struct ms_golayout *l)
{
    l->mh_sweepgen_back = minor == 17 ? 16 : 8;
    l->sp_start = 24;
    l->sp_npages = 32;
    l->sp_freeindex = 48;
    if (minor <= 21) {
        l->sp_idx_size = 8;
        l->sp_nelems = 56;
        l->sp_allocbits = 72;
        l->sp_gcmarkbits = 80;
        unsigned pin = minor == 21 ? 8 : 0; /* pinnerBits */
        l->sp_sweepgen = 88 + pin;
        l->sp_spanclass = 98 + pin;
        l->sp_state = 99 + pin;
        l->sp_elemsize = 104 + pin;
        l->sp_specials = 128 + pin;
    } else {
        l->sp_idx_size = 2;
        l->sp_nelems = 50;
        l->sp_allocbits = 64;
        l->sp_gcmarkbits = 72;
        l->sp_sweepgen = 88;
        l->sp_spanclass = 98;
        l->sp_state = 99;
        l->sp_elemsize = 104;
        l->sp_specials = 128;
    }
    l->sl_offset = 8;
    l->sl_kind = 10;
    l->sl_bucket = 16;
    l->sl_profile_kind = minor <= 22 ? 2 : 3;
    /* runtime.bucket: next, allnext *bucket; typ bucketType; hash, size, nstk uintptr */
    l->bk_typ = 16;
    l->bk_size = 32;
    l->bk_nstk = 40;
    l->bk_hdr = 48;
}

int ms_golayout_builtin(int major, int minor, struct ms_golayout *l)
{
    if (major != 1 || minor < 17 || minor > 25)
        return -1;
    memset(l, 0, sizeof *l);
    /* runtime.hmap: count int; flags, B uint8; noverflow uint16; hash0 uint32;
     * buckets, oldbuckets unsafe.Pointer; nevacuate uintptr; extra *mapextra */
    l->hmap_size = 48;
    l->count = 0;
    l->flags = 8;
    l->B = 9;
    l->noverflow = 10;
    l->hash0 = 12;
    l->buckets = 16;
    l->oldbuckets = 24;
    l->nevacuate = 32;
    l->extra = 40;
    if (minor >= 25) { /* Go 1.25 added clearSeq uint64 before extra */
        l->extra = 48;
        l->hmap_size = 56;
    }
    /* runtime.mapextra: overflow, oldoverflow *[]*bmap; nextOverflow *bmap */
    l->x_overflow = 0;
    l->x_oldoverflow = 8;
    l->x_nextoverflow = 16;
    /* runtime.maptype (internal/abi.MapType / OldMapType): _type (48 bytes), key, elem,
     * bucket *_type, hasher func, keysize, elemsize uint8, bucketsize uint16 */
    l->mt_key = 48;
    l->mt_elem = 56;
    l->mt_bucket = 64;
    l->mt_keysize = 80;
    l->mt_elemsize = 81;
    l->mt_bucketsize = 82;
    /* runtime._type: size, ptrdata uintptr; hash uint32; tflag, align, fieldAlign, kind
     * uint8; equal func; gcdata *byte; str nameOff; ptrToThis typeOff */
    l->type_size = 0;
    l->type_tflag = 20;
    l->type_kind = 23;
    l->type_str = 40;
    heap_layout(minor, l);
    return 0;
}

const char *ms_golayout_diff(const struct ms_golayout *a, const struct ms_golayout *b)
{
#define CMP(f)                                                                                     \
    if (a->f != b->f)                                                                              \
        return #f;
    CMP(hmap_size)
    CMP(count)
    CMP(flags)
    CMP(B)
    CMP(noverflow)
    CMP(hash0)
    CMP(buckets)
    CMP(oldbuckets)
    CMP(nevacuate)
    CMP(extra)
    CMP(x_overflow)
    CMP(x_oldoverflow)
    CMP(x_nextoverflow)
    CMP(mt_key)
    CMP(mt_elem)
    CMP(mt_bucket)
    CMP(mt_keysize)
    CMP(mt_elemsize)
    CMP(mt_bucketsize)
    CMP(type_size)
    CMP(type_tflag)
    CMP(type_kind)
    CMP(type_str)
    CMP(mh_sweepgen_back)
    CMP(sp_start)
    CMP(sp_npages)
    CMP(sp_freeindex)
    CMP(sp_nelems)
    CMP(sp_idx_size)
    CMP(sp_allocbits)
    CMP(sp_gcmarkbits)
    CMP(sp_sweepgen)
    CMP(sp_spanclass)
    CMP(sp_state)
    CMP(sp_elemsize)
    CMP(sp_specials)
    CMP(sl_offset)
    CMP(sl_kind)
    CMP(sl_bucket)
    CMP(bk_typ)
    CMP(bk_size)
    CMP(bk_nstk)
    CMP(bk_hdr)
#undef CMP
    return NULL;
}
