/*
 * gobuildinfo.c — the Go toolchain version and GOEXPERIMENT of a binary.
 *
 * The linker writes a `.go.buildinfo` blob ("\xff Go buildinf:", pointer size,
 * flags) that `go version -m` reads.  Since Go 1.18 (flag bit 2) the version
 * and module info follow inline as varint-prefixed strings; before that, two
 * pointers to string headers follow.  The version decides the map
 * implementation: Go 1.24 switched to Swiss tables unless built with
 * GOEXPERIMENT=noswissmap, which the version string ("go1.24.1 X:noswissmap")
 * and the "build GOEXPERIMENT=" line of the module info both record.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"

static const char magic[] = "\xff Go buildinf:";
#define MAGIC_LEN  14
#define HEADER_LEN 32

int ms_go_parse_version(const char *v, int *major, int *minor)
{
    if (!strncmp(v, "devel ", 6))
        v += 6;
    if (strncmp(v, "go", 2) != 0)
        return -1;
    char *end;
    long ma = strtol(v + 2, &end, 10);
    if (end == v + 2 || *end != '.' || ma < 1 || ma > 99)
        return -1;
    const char *p = end + 1;
    long mi = strtol(p, &end, 10);
    if (end == p || mi < 0 || mi > 999)
        return -1;
    *major = (int)ma;
    *minor = (int)mi;
    return 0;
}

/* A varint-prefixed string at *p (bounded by end); advances *p.  NULL when malformed. */
static const uint8_t *read_varstr(const uint8_t **p, const uint8_t *end, size_t *len)
{
    uint64_t n = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        n |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (n > (uint64_t)(end - *p))
                return NULL;
            const uint8_t *s = *p;
            *p += n;
            *len = (size_t)n;
            return s;
        }
    }
    return NULL;
}

/* A Go string header (pointer, length) at vaddr, for pre-1.18 build info. */
static const uint8_t *read_strhdr(const struct ms_gobin *bin, uint64_t vaddr, size_t *len)
{
    const uint8_t *h = ms_gobin_at(bin, vaddr, 16);
    if (!h)
        return NULL;
    uint64_t ptr, n;
    memcpy(&ptr, h, 8);
    memcpy(&n, h + 8, 8);
    if (n > 1 << 20)
        return NULL;
    *len = (size_t)n;
    return ms_gobin_at(bin, ptr, (size_t)n);
}

static void copy_str(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (dst[i] < 0x20 || dst[i] > 0x7e)
            dst[i] = '?';
}

/* GOEXPERIMENT from the "build\tGOEXPERIMENT=..." line of the module info. */
static void experiment_from_modinfo(struct ms_gobin *bin, const uint8_t *mi, size_t n)
{
    static const char key[] = "\tGOEXPERIMENT=";
    for (size_t i = 0; i + sizeof key - 1 <= n; i++) {
        if (memcmp(mi + i, key, sizeof key - 1) != 0)
            continue;
        size_t s = i + sizeof key - 1, e = s;
        while (e < n && mi[e] != '\n')
            e++;
        copy_str(bin->experiment, sizeof bin->experiment, mi + s, e - s);
        return;
    }
}

/* Locate the blob: by section name, else by its magic in the data segments. */
static const uint8_t *find_blob(const struct ms_gobin *bin, size_t *len)
{
    const uint8_t *p = ms_gobin_section(bin, ".go.buildinfo", NULL, len);
    if (p && *len >= HEADER_LEN && !memcmp(p, magic, MAGIC_LEN))
        return p;
    /* Section headers may be gone; the blob is 16-byte aligned in a data segment. */
    for (size_t off = 0; off + HEADER_LEN <= bin->image_size; off += 16)
        if (!memcmp(bin->image + off, magic, MAGIC_LEN)) {
            *len = bin->image_size - off;
            return bin->image + off;
        }
    return NULL;
}

int ms_gobin_buildinfo(struct ms_gobin *bin)
{
    size_t len;
    const uint8_t *b = find_blob(bin, &len);
    if (!b)
        return -1;
    uint8_t ptrsize = b[MAGIC_LEN], flags = b[MAGIC_LEN + 1];
    const uint8_t *ver = NULL, *mod = NULL;
    size_t vlen = 0, mlen = 0;
    if (flags & 2) {
        const uint8_t *p = b + HEADER_LEN, *end = b + len;
        ver = read_varstr(&p, end, &vlen);
        if (ver)
            mod = read_varstr(&p, end, &mlen);
    } else if (ptrsize == 8 && !(flags & 1)) {
        uint64_t vp, mp;
        memcpy(&vp, b + 16, 8);
        memcpy(&mp, b + 24, 8);
        ver = read_strhdr(bin, vp, &vlen);
        mod = read_strhdr(bin, mp, &mlen);
    } else {
        return -1; /* big-endian or 32-bit: not a target we support */
    }
    if (!ver)
        return -1;
    copy_str(bin->version, sizeof bin->version, ver, vlen);
    if (mod)
        experiment_from_modinfo(bin, mod, mlen);
    /* The version string also carries experiments that differ from the default
     * ("go1.24.4 X:noswissmap", "go1.27.3-X:mapsplitgroup"). */
    const char *x = strstr(bin->version, "X:");
    if (x && !bin->experiment[0])
        snprintf(bin->experiment, sizeof bin->experiment, "%s", x + 2);
    if (ms_go_parse_version(bin->version, &bin->major, &bin->minor) < 0)
        return -1;
    bool noswiss = strstr(bin->experiment, "noswissmap") != NULL;
    bool swiss_on = strstr(bin->experiment, "swissmap") && !noswiss;
    bin->swiss = swiss_on || (bin->major == 1 && bin->minor >= 24 && !noswiss) || bin->major > 1;
    bin->split_group = bin->swiss && strstr(bin->experiment, "mapsplitgroup") &&
                       !strstr(bin->experiment, "nomapsplitgroup");
    return 0;
}
