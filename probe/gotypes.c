/*
 * gotypes.c — names of Go runtime types (the key and element of a map).
 *
 * A maptype's key and elem are *_type descriptors in the binary's read-only
 * data; each names itself through a nameOff, an offset from the module's
 * types base (moduledata.types).  The names are exactly what Go prints
 * ("string", "*main.Session", "map[int64][]uint8").  moduledata comes from
 * the runtime.firstmoduledata symbol or, in stripped binaries, from a scan of
 * the data sections for the structure that points at the pclntab header and
 * at the function-name table right after it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gobin.h"

/* Where moduledata keeps types, etypes and gofunc (the base of funcdata offsets, Go
 * 1.18+; 0: none).  Go 1.20 added covctrs/ecovctrs before types; 1.27 put typedesclen
 * between types and etypes and itaboffset/itabsize before rodata. */
struct md_fields {
    unsigned types, etypes, gofunc;
};

static struct md_fields md_fields(const struct ms_gobin *bin)
{
    if (bin->major == 1 && bin->minor < 18)
        return (struct md_fields){280, 288, 0};
    if (bin->major == 1 && bin->minor < 20)
        return (struct md_fields){280, 288, 304};
    if (bin->major == 1 && bin->minor < 27)
        return (struct md_fields){296, 304, 320};
    return (struct md_fields){296, 312, 344};
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Does a moduledata start at md?  Its pcHeader and funcnametab fields must agree with
 * the header (whose funcnameOffset sits at +24 in Go 1.16/1.17, at +32 since). */
static bool is_moduledata(const struct ms_gobin *bin, uint64_t md, uint64_t hdr)
{
    const uint8_t *h = ms_gobin_at(bin, hdr, 40);
    uint64_t w0, w1;
    if (!h || ms_gobin_word(bin, md, &w0) < 0 || w0 != hdr || ms_gobin_word(bin, md + 8, &w1) < 0)
        return false;
    uint32_t magic;
    memcpy(&magic, h, 4);
    return w1 == hdr + rd64(h + (magic == 0xfffffffa ? 24 : 32));
}

uint64_t ms_gobin_moduledata(const struct ms_gobin *bin, uint64_t hdr)
{
    uint64_t md = ms_gobin_symbol(bin, "runtime.firstmoduledata");
    if (md && is_moduledata(bin, md, hdr))
        return md;
    /* Go 1.26 gave moduledata its own section */
    static const char *const where[] = {".go.module", ".noptrdata", ".data", ".data.rel.ro"};
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        uint64_t addr, word;
        size_t size;
        const uint8_t *s = ms_gobin_section(bin, where[w], &addr, &size);
        for (size_t off = 0; s && off + 16 <= size; off += 8)
            if (ms_gobin_word(bin, addr + off, &word) == 0 && word == hdr &&
                is_moduledata(bin, addr + off, hdr))
                return addr + off;
    }
    return 0;
}

int ms_gotypes_init(struct ms_gobin *bin)
{
    if (!bin->pcln)
        return -1;
    uint64_t md = ms_gobin_moduledata(bin, ms_gopcln_pcheader_addr(bin->pcln));
    if (!md)
        return -1;
    struct md_fields f = md_fields(bin);
    uint64_t types, etypes, gofunc = 0;
    if (ms_gobin_word(bin, md + f.types, &types) < 0 ||
        ms_gobin_word(bin, md + f.etypes, &etypes) < 0 || !types || types >= etypes ||
        (f.gofunc && ms_gobin_word(bin, md + f.gofunc, &gofunc) < 0))
        return -1;
    bin->types_base = types;
    bin->types_end = etypes;
    bin->gofunc = gofunc;
    return 0;
}

/* The bytes of the name at nameOff str, or NULL (Go 1.17+ encoding: a flag byte, a
 * varint length, the bytes). */
static const uint8_t *name_at(const struct ms_gobin *bin, int32_t str, uint64_t *len)
{
    if (str <= 0 || !bin->types_base)
        return NULL;
    uint64_t l = 0, base = bin->types_base + (uint64_t)str;
    size_t i = 1;
    for (int shift = 0; i < 11; i++, shift += 7) {
        const uint8_t *b = ms_gobin_at(bin, base + i, 1);
        if (!b)
            return NULL;
        l |= (uint64_t)(*b & 0x7f) << shift;
        if (!(*b & 0x80))
            break;
    }
    *len = l;
    return l && l <= 4096 ? ms_gobin_at(bin, base + i + 1, l) : NULL;
}

const char *ms_gotype_name(const struct ms_gobin *bin, uint64_t type_addr, char *buf, size_t len)
{
    snprintf(buf, len, "?");
    const uint8_t *t = type_addr ? ms_gobin_at(bin, type_addr, 48) : NULL;
    if (!t)
        return buf;
    uint8_t tflag = t[20];
    int32_t str;
    uint64_t l;
    memcpy(&str, t + 40, 4);
    const uint8_t *s = name_at(bin, str, &l);
    if (!s)
        return buf;
    if ((tflag & 2) && s[0] == '*') { /* tflagExtraStar: the name is stored as "*T" */
        s++;
        l--;
    }
    /* Generic code passes shape types ("go.shape.int64_0"): print the underlying type. */
    if (l > 9 && !memcmp(s, "go.shape.", 9)) {
        s += 9;
        l -= 9;
        size_t k = l;
        while (k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9')
            k--;
        if (k > 0 && k < l && s[k - 1] == '_')
            l = k - 1;
    }
    if (l >= len)
        l = len - 1;
    memcpy(buf, s, l);
    buf[l] = 0;
    for (size_t k = 0; k < l; k++)
        if ((unsigned char)buf[k] < 0x20 || (unsigned char)buf[k] > 0x7e)
            buf[k] = '?';
    return buf;
}

/* For a pointer type *T (kindPtr = 22; ptrtype.elem follows the 48-byte _type): the
 * size of T; 0 for other types. */
static uint64_t pointee_size(const struct ms_gobin *bin, const struct ms_golayout *lay,
                             uint64_t type)
{
    const uint8_t *t = type ? ms_gobin_at(bin, type, 56) : NULL;
    if (!t || (t[lay->type_kind] & 31) != 22)
        return 0;
    const uint8_t *e = ms_gobin_at(bin, rd64(t + 48), 8);
    return e ? rd64(e + lay->type_size) : 0;
}

/*
 * Every map type descriptor between moduledata.types and etypes.  Type
 * descriptors are 8-byte aligned there; a map's is recognised by its kind
 * (kindMap = 21, low five bits), its size and pointer bytes (a map value is one
 * pointer), a name starting "map[" and a bucket type pointer back into the same
 * range, so other data cannot pass for one.
 */
size_t ms_gotypes_maps(const struct ms_gobin *bin, const struct ms_golayout *lay,
                       struct ms_gomaptype *out, size_t max)
{
    size_t n = 0;
    uint64_t lo = bin->types_base, hi = bin->types_end;
    if (!lo || hi <= lo || hi - lo > (1ULL << 30))
        return 0;
    size_t need = lay->mt_bucketsize + 2;
    for (uint64_t a = (lo + 7) & ~7ULL; a + need <= hi && n < max; a += 8) {
        const uint8_t *t = ms_gobin_at(bin, a, need);
        if (!t)
            break;
        if ((t[lay->type_kind] & 31) != 21 || rd64(t + lay->type_size) != 8 || rd64(t + 8) != 8)
            continue;
        int32_t str;
        uint64_t l;
        memcpy(&str, t + lay->type_str, 4);
        const uint8_t *nm = name_at(bin, str, &l);
        if (!nm || l < 6)
            continue;
        if ((t[lay->type_tflag] & 2) && nm[0] == '*') { /* tflagExtraStar */
            nm++;
            l--;
        }
        uint64_t bucket = rd64(t + lay->mt_bucket);
        const uint8_t *bt = bucket >= lo && bucket < hi ? ms_gobin_at(bin, bucket, 16) : NULL;
        if (memcmp(nm, "map[", 4) != 0 || !bt)
            continue;
        uint16_t bs;
        memcpy(&bs, t + lay->mt_bucketsize, 2);
        const uint8_t *btt = ms_gobin_at(bin, bucket, lay->type_str + 4);
        uint64_t ptrdata = btt ? rd64(btt + 8) : 0; /* _type.ptrdata of the bucket */
        memset(&out[n], 0, sizeof out[n]);
        out[n].addr = a;
        out[n].bucketsize = bs;
        out[n].keysize = t[lay->mt_keysize];
        out[n].elemsize = t[lay->mt_elemsize];
        out[n].ptr_free = ptrdata == 0;
        /* _type.gcdata (after equal, before str): a bitmap unless kindGCProg (64) */
        if (btt && ptrdata && ptrdata <= bs && !(btt[lay->type_kind] & 64)) {
            out[n].ptrwords = (unsigned)(ptrdata / 8);
            out[n].ptrmask =
                ms_gobin_at(bin, rd64(btt + lay->type_str - 8), (out[n].ptrwords + 7) / 8);
        }
        out[n].key_pointee = pointee_size(bin, lay, rd64(t + lay->mt_key));
        out[n].elem_pointee = pointee_size(bin, lay, rd64(t + lay->mt_elem));
        n++;
    }
    return n;
}
