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

/* moduledata.types: Go 1.20 added covctrs/ecovctrs before it. */
static unsigned types_field(const struct ms_gobin *bin)
{
    return (bin->major == 1 && bin->minor < 20) ? 280 : 296;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Does a moduledata start at md?  Its pcHeader and funcnametab fields must agree. */
static int is_moduledata(const struct ms_gobin *bin, uint64_t md, uint64_t hdr)
{
    const uint8_t *m = ms_gobin_at(bin, md, types_field(bin) + 16);
    const uint8_t *h = ms_gobin_at(bin, hdr, 40);
    if (!m || !h || rd64(m) != hdr)
        return 0;
    uint64_t fn_off = rd64(h + (bin->minor < 18 ? 24 : 32));
    uint64_t types = rd64(m + types_field(bin)), etypes = rd64(m + types_field(bin) + 8);
    return rd64(m + 8) == hdr + fn_off && types && types < etypes;
}

int ms_gotypes_init(struct ms_gobin *bin)
{
    if (!bin->pcln)
        return -1;
    uint64_t hdr = ms_gopcln_pcheader_addr(bin->pcln);
    uint64_t md = ms_gobin_symbol(bin, "runtime.firstmoduledata");
    if (!md || !is_moduledata(bin, md, hdr)) {
        md = 0;
        static const char *const where[] = {".noptrdata", ".data"};
        for (size_t w = 0; !md && w < 2; w++) {
            uint64_t addr;
            size_t size;
            const uint8_t *s = ms_gobin_section(bin, where[w], &addr, &size);
            for (size_t off = 0; s && off + 8 <= size; off += 8)
                if (rd64(s + off) == hdr && is_moduledata(bin, addr + off, hdr)) {
                    md = addr + off;
                    break;
                }
        }
    }
    if (!md)
        return -1;
    bin->types_base = rd64(ms_gobin_at(bin, md, types_field(bin) + 8) + types_field(bin));
    return 0;
}

const char *ms_gotype_name(const struct ms_gobin *bin, uint64_t type_addr, char *buf, size_t len)
{
    snprintf(buf, len, "?");
    const uint8_t *t = type_addr ? ms_gobin_at(bin, type_addr, 48) : NULL;
    if (!t || !bin->types_base)
        return buf;
    uint8_t tflag = t[20];
    int32_t str;
    memcpy(&str, t + 40, 4);
    /* name: one flag byte, varint length, the bytes (Go 1.17+ encoding). */
    const uint8_t *n = ms_gobin_at(bin, bin->types_base + (uint64_t)(int64_t)str, 2);
    if (!n || str <= 0)
        return buf;
    uint64_t l = 0;
    size_t i = 1;
    for (int shift = 0; i < 11; i++, shift += 7) {
        const uint8_t *b = ms_gobin_at(bin, bin->types_base + (uint64_t)str + i, 1);
        if (!b)
            return buf;
        l |= (uint64_t)(*b & 0x7f) << shift;
        if (!(*b & 0x80))
            break;
    }
    const uint8_t *s = ms_gobin_at(bin, bin->types_base + (uint64_t)str + i + 1, l);
    if (!s || l == 0 || l > 4096)
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
