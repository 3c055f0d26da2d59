/*
 * golayout.c — the built-in tables of the Go map's field offsets, for both
 * implementations.
 *
 * Classic maps: hmap, mapextra, maptype and _type have been stable from Go 1.17
 * (the first register-ABI release on amd64, which our probes assume) through
 * 1.23; 1.24 and 1.25 built with GOEXPERIMENT=noswissmap add hmap.clearSeq
 * before `extra` (hmap 56 bytes).  Swiss tables (internal/runtime/maps, Go
 * 1.24+): the Map and table headers are the same in 1.24-1.27 except that 1.25
 * uses Map's padding byte for tombstonePossible; the map type descriptor
 * changed in 1.27.  Every offset was checked against the DWARF of binaries
 * built with go1.19.8, 1.23.5, 1.24.4 (both implementations), 1.26.10 and
 * 1.27.3 (with and without GOEXPERIMENT=mapsplitgroup) and against their
 * runtime sources.  No 1.25 toolchain was at hand: its tables follow 1.26 where
 * 1.24 and 1.26 differ (tombstonePossible, _KindSpecialProfile), as its release
 * notes and DESIGN.md's source reading say.  When the binary has DWARF,
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
    /* 1.22's uint16 freeindex and nelems moved the bitmaps up 8 bytes and left the
     * fields after them where 1.17-1.20 had them, as if 1.21's pinnerBits were gone. */
    bool narrow = minor >= 22;
    unsigned pin = minor == 21 ? 8 : 0; /* pinnerBits */
    l->sp_idx_size = narrow ? 2 : 8;
    l->sp_nelems = narrow ? 50 : 56;
    l->sp_allocbits = narrow ? 64 : 72;
    l->sp_gcmarkbits = narrow ? 72 : 80;
    l->sp_sweepgen = 88 + pin;
    l->sp_spanclass = 98 + pin;
    l->sp_state = 99 + pin;
    l->sp_elemsize = 104 + pin;
    l->sp_specials = 128 + pin;
    /* special {next *special; offset; kind byte}: offset is a uint16 until 1.23 and a
     * uintptr since 1.24.  _KindSpecialProfile: 2 until 1.22, 3 once 1.23 added weak
     * handles, 4 once 1.25 put _KindSpecialTinyBlock first. */
    l->sl_offset = 8;
    l->sl_offset_size = minor <= 23 ? 2 : 8;
    l->sl_kind = minor <= 23 ? 10 : 16;
    l->sl_bucket = minor <= 23 ? 16 : 24;
    l->sl_profile_kind = minor <= 22 ? 2 : minor <= 24 ? 3 : 4;
    /* runtime.bucket: next, allnext *bucket; typ bucketType; hash, size, nstk uintptr */
    l->bk_typ = 16;
    l->bk_size = 32;
    l->bk_nstk = 40;
    l->bk_hdr = 48;
}

/* The fields one implementation does not have. */
static void no_classic(struct ms_golayout *l)
{
    l->hmap_size = l->count = l->flags = l->B = l->noverflow = l->hash0 = l->buckets =
        l->oldbuckets = l->nevacuate = l->extra = MS_GO_NOFIELD;
    l->x_overflow = l->x_oldoverflow = l->x_nextoverflow = MS_GO_NOFIELD;
    l->mt_bucket = l->mt_keysize = l->mt_elemsize = l->mt_bucketsize = MS_GO_NOFIELD;
}

static void no_swiss(struct ms_golayout *l)
{
    l->m_size = l->m_used = l->m_seed = l->m_dirptr = l->m_dirlen = l->m_globaldepth =
        l->m_globalshift = l->m_writing = l->m_tombstones = l->m_clearseq = MS_GO_NOFIELD;
    l->t_size = l->t_used = l->t_capacity = l->t_growthleft = l->t_localdepth = l->t_index =
        l->t_groups = l->t_lengthmask = MS_GO_NOFIELD;
    l->g_ctrl = l->g_slots = MS_GO_NOFIELD;
    l->smt_size = l->mt_group = l->mt_hasher = l->mt_groupsize = l->mt_slotsize = l->mt_elemoff =
        l->mt_keysoff = l->mt_keystride = l->mt_elemsoff = l->mt_elemstride = l->mt_flags =
            MS_GO_NOFIELD;
}

/* runtime._type (internal/abi.Type): size, ptrdata uintptr; hash uint32; tflag, align,
 * fieldAlign, kind uint8; equal func; gcdata *byte; str nameOff; ptrToThis typeOff */
static void type_layout(struct ms_golayout *l)
{
    l->type_size = 0;
    l->type_tflag = 20;
    l->type_kind = 23;
    l->type_str = 40;
}

int ms_golayout_builtin(int major, int minor, struct ms_golayout *l)
{
    if (major != 1 || minor < 17 || minor > 25)
        return -1;
    memset(l, 0, sizeof *l);
    l->impl = MS_GOMAP_CLASSIC;
    no_swiss(l);
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
    if (minor >= 24) { /* noswissmap builds of 1.24/1.25: clearSeq uint64 before extra */
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
    type_layout(l);
    heap_layout(minor, l);
    return 0;
}

int ms_golayout_swiss(int major, int minor, bool split_group, struct ms_golayout *l)
{
    if (major != 1 || minor < 24)
        return -1;
    memset(l, 0, sizeof *l);
    l->impl = MS_GOMAP_SWISS;
    no_classic(l);
    no_swiss(l);
    /* maps.Map: used uint64; seed uintptr; dirPtr unsafe.Pointer; dirLen int; globalDepth,
     * globalShift uint8; writing uint8; tombstonePossible bool (1.25+); clearSeq uint64 */
    l->m_size = 48;
    l->m_used = 0;
    l->m_seed = 8;
    l->m_dirptr = 16;
    l->m_dirlen = 24;
    l->m_globaldepth = 32;
    l->m_globalshift = 33;
    l->m_writing = 34;
    if (minor >= 25)
        l->m_tombstones = 35;
    l->m_clearseq = 40;
    /* maps.table: used, capacity, growthLeft uint16; localDepth uint8; index int;
     * groups groupsReference{data unsafe.Pointer; lengthMask uint64} */
    l->t_size = 32;
    l->t_used = 0;
    l->t_capacity = 2;
    l->t_growthleft = 4;
    l->t_localdepth = 6;
    l->t_index = 8;
    l->t_groups = 16;
    l->t_lengthmask = 24;
    /* group: ctrl uint64 (one byte per slot), then 8 slots */
    l->g_ctrl = 8;
    l->g_slots = 8;
    l->split_group = split_group;
    /* descriptor: Type (48 bytes); Key, Elem, Group *Type; Hasher func; GroupSize uintptr;
     * then SlotSize, ElemOff (1.24-1.26) or KeysOff, KeyStride, ElemsOff, ElemStride,
     * ElemOff (1.27); Flags uint32 */
    l->mt_key = 48;
    l->mt_elem = 56;
    l->mt_group = 64;
    l->mt_hasher = 72;
    l->mt_groupsize = 80;
    if (minor <= 26) {
        l->mt_slotsize = 88;
        l->mt_elemoff = 96;
        l->mt_flags = 104;
        l->smt_size = 112;
    } else {
        l->mt_keysoff = 88;
        l->mt_keystride = 96;
        l->mt_elemsoff = 104;
        l->mt_elemstride = 112;
        l->mt_elemoff = 120;
        l->mt_flags = 128;
        l->smt_size = 136;
    }
    type_layout(l);
    heap_layout(minor, l);
    return 0;
}

int ms_golayout_for(const struct ms_gobin *bin, struct ms_golayout *out)
{
    switch (bin->impl) {
    case MS_GOMAP_CLASSIC:
        return ms_golayout_builtin(bin->major, bin->minor, out);
    case MS_GOMAP_SWISS:
        return ms_golayout_swiss(bin->major, bin->minor, bin->split_group, out);
    default:
        return -1;
    }
}

const char *ms_golayout_diff(const struct ms_golayout *a, const struct ms_golayout *b)
{
#define CMP(f)                                                                                     \
    if (a->f != b->f)                                                                              \
        return #f;
    CMP(impl)
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
    CMP(sl_offset_size)
    CMP(m_size)
    CMP(m_used)
    CMP(m_seed)
    CMP(m_dirptr)
    CMP(m_dirlen)
    CMP(m_globaldepth)
    CMP(m_globalshift)
    CMP(m_writing)
    CMP(m_tombstones)
    CMP(m_clearseq)
    CMP(t_size)
    CMP(t_used)
    CMP(t_capacity)
    CMP(t_growthleft)
    CMP(t_localdepth)
    CMP(t_index)
    CMP(t_groups)
    CMP(t_lengthmask)
    CMP(g_ctrl)
    CMP(g_slots)
    CMP(smt_size)
    CMP(mt_group)
    CMP(mt_hasher)
    CMP(mt_groupsize)
    CMP(mt_slotsize)
    CMP(mt_elemoff)
    CMP(mt_keysoff)
    CMP(mt_keystride)
    CMP(mt_elemsoff)
    CMP(mt_elemstride)
    CMP(mt_flags)
#undef CMP
    return NULL;
}
