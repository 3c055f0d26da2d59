/*
 * gobin_check.c — Check unit tests of the Go binary inspection in probe/.
 *
 * Run by gobin.test in two modes.  With GOMAPS_MANIFEST: one line per binary
 * built from inspect.go with each Go toolchain and build mode, carrying what
 * independent tools say about it (go env GOVERSION, nm, objdump, and the
 * program's own output: its map type, main.main as loaded, the frames the
 * runtime reports inside inlined calls); implementation, layout, probe points,
 * type names and inline frames must agree on every binary, also with its build
 * info removed.  Without it: the older checks on linger.go built plain,
 * stripped and stripped position-independent (function addresses from nm, the
 * RETs of runtime.makemap from objdump, the line of `func main` from grep), and
 * corrupted binaries (fuzz case), which nothing may crash on.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gobin.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v, "%s not set (run through gobin.test)", name);
    return v;
}

static void open_bin(struct ms_gobin *b, const char *path)
{
    char err[512];
    ck_assert_msg(ms_gobin_open(b, path, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ms_gobin_buildinfo(b), 0);
    ck_assert_msg(ms_gopcln_load(b, err, sizeof err) == 0, "%s", err);
}

static const char *const builds[] = {"GOMAPS_BIN", "GOMAPS_BIN_STRIPPED", "GOMAPS_BIN_PIE"};

START_TEST(test_buildinfo)
{
    struct ms_gobin b;
    open_bin(&b, env(builds[_i]));
    ck_assert_str_eq(b.version, env("GOMAPS_GOVERSION"));
    int ma, mi;
    ck_assert_int_eq(ms_go_parse_version(env("GOMAPS_GOVERSION"), &ma, &mi), 0);
    ck_assert_int_eq(b.major, ma);
    ck_assert_int_eq(b.minor, mi);
    ck_assert(!b.swiss);
    ms_gobin_close(&b);
}
END_TEST

START_TEST(test_parse_version)
{
    int ma = 0, mi = 0;
    ck_assert_int_eq(ms_go_parse_version("go1.24.1", &ma, &mi), 0);
    ck_assert_int_eq(ma * 100 + mi, 124);
    ck_assert_int_eq(ms_go_parse_version("go1.23 X:noswissmap", &ma, &mi), 0);
    ck_assert_int_eq(ma * 100 + mi, 123);
    ck_assert_int_eq(ms_go_parse_version("devel go1.25-abcdef", &ma, &mi), 0);
    ck_assert_int_eq(ma * 100 + mi, 125);
    ck_assert_int_eq(ms_go_parse_version("go", &ma, &mi), -1);
    ck_assert_int_eq(ms_go_parse_version("gox.1", &ma, &mi), -1);
    ck_assert_int_eq(ms_go_parse_version("1.19", &ma, &mi), -1);
}
END_TEST

/* GOMAPS_FUNCS = "name=0xaddr name=0xaddr ..." from nm on the plain build */
START_TEST(test_pclntab_funcs)
{
    struct ms_gobin b;
    open_bin(&b, env(builds[_i]));
    char *list = strdup(env("GOMAPS_FUNCS")), *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save), n++) {
        char *eq = strchr(tok, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = 0;
        uint64_t want = strtoull(eq + 1, NULL, 16), end = 0;
        uint64_t got = ms_gopcln_func(b.pcln, tok, &end);
        ck_assert_msg(got == want, "%s: pclntab says %#llx, nm %#llx (%s)", tok,
                      (unsigned long long)got, (unsigned long long)want, builds[_i]);
        ck_assert(end > got);
        const char *fn, *file;
        int line;
        ck_assert_int_eq(ms_gopcln_lookup(b.pcln, got + 1, &fn, &file, &line), 0);
        ck_assert_str_eq(fn, tok);
    }
    ck_assert_int_ge(n, 4);
    free(list);
    ms_gobin_close(&b);
}
END_TEST

START_TEST(test_lines)
{
    struct ms_gobin b;
    open_bin(&b, env(builds[_i]));
    uint64_t main_main = ms_gopcln_func(b.pcln, "main.main", NULL);
    const char *fn, *file;
    int line;
    ck_assert_int_eq(ms_gopcln_lookup(b.pcln, main_main, &fn, &file, &line), 0);
    ck_assert_str_eq(fn, "main.main");
    ck_assert_ptr_nonnull(file);
    ck_assert_msg(strlen(file) > 9 && !strcmp(file + strlen(file) - 9, "linger.go"), "%s", file);
    ck_assert_int_eq(line, atoi(env("GOMAPS_MAIN_LINE")));
    ck_assert_int_eq(ms_gopcln_lookup(b.pcln, 0x10, &fn, &file, &line), -1);
    ms_gobin_close(&b);
}
END_TEST

/* GOMAPS_MAKEMAP_RETS = "0xaddr ..." from objdump on the plain build */
START_TEST(test_rets)
{
    struct ms_gobin b;
    open_bin(&b, env(builds[_i]));
    uint64_t rets[32];
    int n = ms_gobin_rets(&b, ms_gopcln_func(b.pcln, "runtime.makemap", NULL), rets, 32);
    char *list = strdup(env("GOMAPS_MAKEMAP_RETS")), *save = NULL;
    int k = 0;
    for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save), k++) {
        ck_assert_int_lt(k, n);
        ck_assert_msg(rets[k] == strtoull(tok, NULL, 16), "RET %d: %#llx vs objdump %s", k,
                      (unsigned long long)rets[k], tok);
    }
    ck_assert_int_eq(k, n);
    ck_assert_int_ge(n, 1);
    free(list);
    ms_gobin_close(&b);
}
END_TEST

START_TEST(test_layout)
{
    struct ms_gobin b;
    struct ms_golayout tab, dw;
    open_bin(&b, env(builds[_i]));
    ck_assert_int_eq(ms_golayout_builtin(b.major, b.minor, &tab), 0);
    dw = tab;
    memset(&dw.count, 0xff,
           offsetof(struct ms_golayout, sl_offset_size) - offsetof(struct ms_golayout, count));
    int d = ms_golayout_dwarf(&b, &dw);
    if (_i == 0) { /* only the plain build keeps DWARF */
        ck_assert_int_eq(d, 1);
        ck_assert_msg(ms_golayout_diff(&tab, &dw) == NULL, "DWARF differs in %s",
                      ms_golayout_diff(&tab, &dw));
    } else {
        ck_assert_int_eq(d, 0);
    }
    ck_assert_int_eq(ms_golayout_builtin(1, 16, &tab), -1);
    ck_assert_int_eq(ms_golayout_builtin(1, 25, &tab), 0);
    ck_assert_int_eq(tab.extra, 48);
    ms_gobin_close(&b);
}
END_TEST

/* Type names through moduledata (PIE binaries relocate it at load time: not from the file). */
START_TEST(test_types)
{
    struct ms_gobin b;
    char buf[128];
    open_bin(&b, env(builds[_i]));
    ck_assert_int_eq(ms_gotypes_init(&b), 0);
    uint64_t t = strtoull(env("GOMAPS_TYPE_ADDR"), NULL, 16);
    ck_assert_str_eq(ms_gotype_name(&b, t, buf, sizeof buf), env("GOMAPS_TYPE_NAME"));
    ck_assert_str_eq(ms_gotype_name(&b, 0, buf, sizeof buf), "?");
    ck_assert_str_eq(ms_gotype_name(&b, 1, buf, sizeof buf), "?");
    /* The map types, as the heap scan recognises maps: map[string]int has buckets of
     * 8 + 8 x 16 + 8 x 8 + 8 = 208 bytes; pointer words: each key's data pointer and
     * the overflow link, never a key length or an int. */
    struct ms_golayout lay;
    static struct ms_gomaptype mt[4096];
    ck_assert_int_eq(ms_golayout_builtin(b.major, b.minor, &lay), 0);
    size_t n = ms_gotypes_maps(&b, &lay, mt, 4096), seen = 0;
    ck_assert_uint_ge(n, 2);
    for (size_t i = 0; i < n; i++) {
        ck_assert(mt[i].bucketsize >= 16 && mt[i].bucketsize <= 2064);
        if (mt[i].addr != t)
            continue;
        seen++;
        ck_assert_uint_eq(mt[i].bucketsize, 208);
        ck_assert_uint_eq(mt[i].keysize, 16);
        ck_assert_uint_eq(mt[i].elemsize, 8);
        ck_assert(!mt[i].ptr_free);
        ck_assert_uint_eq(mt[i].ptrwords, 26);
        ck_assert_ptr_nonnull(mt[i].ptrmask);
        for (unsigned w = 0; w < 26; w++)
            ck_assert_msg(((mt[i].ptrmask[w / 8] >> (w % 8)) & 1) ==
                              (w == 25 || (w >= 1 && w <= 16 && w % 2)),
                          "pointer bit of word %u", w);
        ck_assert_uint_eq(mt[i].key_pointee, 0);
        ck_assert_uint_eq(mt[i].elem_pointee, 0);
    }
    ck_assert_uint_eq(seen, 1);
    ms_gobin_close(&b);
}
END_TEST

/* Corrupted binaries: flip bytes in the headers and tables; nothing may crash. */
START_TEST(test_fuzz)
{
    const char *path = env("GOMAPS_BIN_STRIPPED");
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    unsigned char *img = malloc((size_t)size), *mut = malloc((size_t)size);
    ck_assert_int_eq(fread(img, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    struct ms_gobin b;
    open_bin(&b, path);
    uint64_t paddr, baddr;
    size_t psize, bsize;
    const uint8_t *p = ms_gobin_section(&b, ".gopclntab", &paddr, &psize);
    const uint8_t *bi = ms_gobin_section(&b, ".go.buildinfo", &baddr, &bsize);
    ck_assert(p && bi);
    size_t poff = (size_t)(p - b.image), boff = (size_t)(bi - b.image);
    ms_gobin_close(&b);
    char tmp[] = "/tmp/gobin-fuzz.XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_ge(fd, 0);
    srand(1);
    for (int iter = 0; iter < 150; iter++) {
        memcpy(mut, img, (size_t)size);
        for (int k = 0; k < 1 + iter % 16; k++) {
            size_t at;
            switch (rand() % 4) {
            case 0:
                at = poff + (size_t)(rand() % 128);
                break; /* pcHeader */
            case 1:
                at = poff + (size_t)rand() % psize;
                break; /* tables */
            case 2:
                at = boff + (size_t)(rand() % 64);
                break; /* buildinfo */
            default:
                at = (size_t)rand() % (size_t)size;
                break; /* anywhere */
            }
            mut[at] = (unsigned char)rand();
        }
        ck_assert_int_eq(pwrite(fd, mut, (size_t)size, 0), size);
        char err[512];
        if (ms_gobin_open(&b, tmp, err, sizeof err) < 0)
            continue;
        ms_gobin_buildinfo(&b);
        if (ms_gopcln_load(&b, err, sizeof err) == 0) {
            uint64_t end, rets[32];
            uint64_t mm = ms_gopcln_func(b.pcln, "runtime.makemap", &end);
            ms_gobin_rets(&b, mm, rets, 32);
            const char *fn, *file;
            int line;
            for (uint64_t pc = mm; pc < mm + 256; pc += 7)
                ms_gopcln_lookup(b.pcln, pc, &fn, &file, &line);
            char buf[64];
            struct ms_golayout lay;
            struct ms_gomaptype mt[64];
            if (ms_gotypes_init(&b) == 0) {
                ms_gotype_name(&b, strtoull(env("GOMAPS_TYPE_ADDR"), NULL, 16), buf, sizeof buf);
                if (ms_golayout_builtin(b.major, b.minor, &lay) == 0)
                    ms_gotypes_maps(&b, &lay, mt, 64);
            }
        }
        ms_gobin_close(&b);
    }
    close(fd);
    unlink(tmp);
    free(img);
    free(mut);
}
END_TEST

/* ------------------------------------------------- the toolchain matrix -- */

#define MAXBIN 64
struct entry {
    char *bin, *label, *go, *impl, *funcs, *rets, *type, *main, *inl;
    int split, dwarf;
};
static struct entry ents[MAXBIN];
static int nents;

/* "KEY=value" fields separated by tabs; the program's own lines are "WORD k=v ...". */
static void parse_manifest(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(EXIT_FAILURE);
    }
    char line[16384];
    while (nents < MAXBIN && fgets(line, sizeof line, f)) {
        struct entry *e = &ents[nents++];
        line[strcspn(line, "\n")] = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, "\t", &save); t; t = strtok_r(NULL, "\t", &save)) {
            char *v = strchr(t, '=');
            if (!strncmp(t, "TYPE ", 5))
                e->type = strdup(t + 5);
            else if (!strncmp(t, "MAIN addr=", 10))
                e->main = strdup(t + 10);
            else if (!strncmp(t, "INLINE ", 7))
                e->inl = strdup(t + 7);
            else if (v) {
                *v++ = 0;
                if (!strcmp(t, "bin"))
                    e->bin = strdup(v);
                else if (!strcmp(t, "label"))
                    e->label = strdup(v);
                else if (!strcmp(t, "go"))
                    e->go = strdup(v);
                else if (!strcmp(t, "impl"))
                    e->impl = strdup(v);
                else if (!strcmp(t, "funcs"))
                    e->funcs = strdup(v);
                else if (!strcmp(t, "rets"))
                    e->rets = strdup(v);
                else if (!strcmp(t, "split"))
                    e->split = atoi(v);
                else if (!strcmp(t, "dwarf"))
                    e->dwarf = atoi(v);
            }
        }
        if (!(e->bin && e->go && e->impl && e->funcs && e->rets && e->type && e->main)) {
            fprintf(stderr, "%s: line %d incomplete\n", path, nents);
            exit(EXIT_FAILURE);
        }
    }
    fclose(f);
}

static enum ms_gomap_impl want_impl(const struct entry *e)
{
    return !strcmp(e->impl, "swiss") ? MS_GOMAP_SWISS : MS_GOMAP_CLASSIC;
}

static void open_entry(struct ms_gobin *b, const struct entry *e)
{
    open_bin(b, e->bin);
    ck_assert_int_eq(ms_gobin_recognize(b), 0);
}

/* How far the program's own addresses are from link-time ones (PIE load bias, else 0). */
static uint64_t bias_of(const struct ms_gobin *b, const struct entry *e)
{
    return strtoull(e->main, NULL, 16) - ms_gopcln_func(b->pcln, "main.main", NULL);
}

/* nm's address of name in e->funcs ("name=0xaddr ..."), 0 when nm did not list it. */
static uint64_t nm_addr(const struct entry *e, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = e->funcs; (p = strstr(p, name)); p += l)
        if ((p == e->funcs || p[-1] == ' ') && p[l] == '=')
            return strtoull(p + l + 1, NULL, 16);
    return 0;
}

START_TEST(test_m_recognize)
{
    const struct entry *e = &ents[_i];
    struct ms_gobin b;
    char buf[256];
    open_entry(&b, e);
    ck_assert_msg(!strncmp(b.version, e->go, strlen(e->go)), "%s: version %s, go env %s", e->label,
                  b.version, e->go);
    ck_assert_msg(b.impl == want_impl(e), "%s: %s", e->label,
                  ms_gobin_describe(&b, buf, sizeof buf));
    ck_assert_str_eq(b.impl_from, "build info");
    ck_assert_int_eq(b.split_group, e->split);
    ck_assert_int_eq(b.version_guessed, 0);
    ms_gobin_close(&b);
}
END_TEST

/* The built-in table must be exactly what the binary's DWARF says, field by field. */
START_TEST(test_m_layout)
{
    const struct entry *e = &ents[_i];
    struct ms_gobin b;
    struct ms_golayout tab, dw;
    open_entry(&b, e);
    ck_assert_int_eq(ms_golayout_for(&b, &tab), 0);
    ck_assert_int_eq(tab.impl, want_impl(e));
    ck_assert_int_eq(tab.split_group, e->split);
    dw = tab;
    dw.impl = MS_GOMAP_UNKNOWN;
    int d = ms_golayout_dwarf(&b, &dw);
    ck_assert_msg(d == (e->dwarf ? 1 : 0), "%s: DWARF %d", e->label, d);
    if (d == 1) {
        ck_assert_int_eq(dw.impl, want_impl(e));
        ck_assert_msg(ms_golayout_diff(&tab, &dw) == NULL, "%s: DWARF differs in %s", e->label,
                      ms_golayout_diff(&tab, &dw));
    }
    /* Fields that only some versions have. */
    if (tab.impl == MS_GOMAP_CLASSIC)
        ck_assert_uint_eq(tab.hmap_size, b.minor >= 24 ? 56 : 48);
    else {
        ck_assert_uint_eq(tab.m_size, 48);
        ck_assert(b.minor >= 25 ? tab.m_tombstones == 35 : tab.m_tombstones == MS_GO_NOFIELD);
        ck_assert_uint_eq(tab.smt_size, b.minor >= 27 ? 136 : 112);
    }
    ms_gobin_close(&b);
}
END_TEST

/* Function entries (nm) and the RETs of the function whose result a probe reads (objdump). */
START_TEST(test_m_points)
{
    const struct entry *e = &ents[_i];
    struct ms_gobin b;
    open_entry(&b, e);
    char *list = strdup(e->funcs), *save = NULL;
    int n = 0;
    for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save), n++) {
        char *eq = strchr(t, '=');
        *eq = 0;
        uint64_t got = ms_gopcln_func(b.pcln, t, NULL), want = strtoull(eq + 1, NULL, 16);
        ck_assert_msg(got == want, "%s: %s at %#llx, nm %#llx", e->label, t,
                      (unsigned long long)got, (unsigned long long)want);
    }
    free(list);
    ck_assert_int_ge(n, 4);
    uint64_t rets[MS_GOPOINT_MAXRET];
    int nret = -1;
    if (b.impl == MS_GOMAP_SWISS) {
        struct ms_goswiss_points p;
        ck_assert_int_eq(ms_gobin_swiss_points(&b, &p), 0);
        const struct ms_gopoint *all[] = {&p.rehash,        &p.install_split, &p.newarray,
                                          &p.grow_to_table, &p.clear,         &p.mapclear,
                                          &p.prune};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            ck_assert_msg(all[i]->entry == nm_addr(e, all[i]->func), "%s: %s at %#llx", e->label,
                          all[i]->func, (unsigned long long)all[i]->entry);
        ck_assert(p.prune.entry ? b.minor >= 25 : b.minor < 25);
        nret = p.newarray.nret;
        memcpy(rets, p.newarray.rets, sizeof rets);
    } else {
        nret = ms_gobin_rets(&b, ms_gopcln_func(b.pcln, "runtime.makemap", NULL), rets,
                             MS_GOPOINT_MAXRET);
    }
    /* e->rets: "FUNC 0xaddr 0xaddr ..." */
    char *rl = strdup(e->rets);
    save = NULL;
    int k = 0;
    strtok_r(rl, " ", &save);
    for (char *t = strtok_r(NULL, " ", &save); t; t = strtok_r(NULL, " ", &save), k++) {
        ck_assert_int_lt(k, nret);
        ck_assert_msg(rets[k] == strtoull(t, NULL, 16), "%s: RET %d at %#llx, objdump %s", e->label,
                      k, (unsigned long long)rets[k], t);
    }
    ck_assert_int_eq(k, nret);
    ck_assert_int_ge(nret, 1);
    free(rl);
    ms_gobin_close(&b);
}
END_TEST

/* The map type the program printed, named from the file (PIE: moduledata's pointers
 * come from relocations, and the address the program saw is moved by the load bias). */
START_TEST(test_m_types)
{
    const struct entry *e = &ents[_i];
    struct ms_gobin b;
    char buf[128], want[128];
    unsigned long long addr;
    open_entry(&b, e);
    ck_assert_int_eq(sscanf(e->type, "addr=%llx name=%127s", &addr, want), 2);
    ck_assert_int_eq(ms_gotypes_init(&b), 0);
    addr -= bias_of(&b, e);
    ck_assert_str_eq(ms_gotype_name(&b, addr, buf, sizeof buf), want);
    ms_gobin_close(&b);
}
END_TEST

/* A copy of the binary with its build info destroyed (as some release builds ship):
 * the implementation and, for Swiss maps, the oldest fitting version come from the
 * function table. */
START_TEST(test_m_no_buildinfo)
{
    const struct entry *e = &ents[_i];
    struct ms_gobin b;
    char err[512], buf[256];
    open_bin(&b, e->bin);
    size_t len;
    const uint8_t *bi = ms_gobin_section(&b, ".go.buildinfo", NULL, &len);
    ck_assert_ptr_nonnull(bi);
    size_t off = (size_t)(bi - b.image), size = b.image_size;
    uint8_t *img = malloc(size);
    memcpy(img, b.image, size);
    int minor = b.minor;
    ms_gobin_close(&b);
    memset(img + off, 0, 16);
    char tmp[] = "/tmp/gobin-nobi.XXXXXX";
    int fd = mkstemp(tmp);
    ck_assert_int_eq(write(fd, img, size), (ssize_t)size);
    close(fd);
    free(img);
    ck_assert_int_eq(ms_gobin_open(&b, tmp, err, sizeof err), 0);
    ck_assert_int_eq(ms_gobin_buildinfo(&b), -1);
    ck_assert_int_eq(ms_gopcln_load(&b, err, sizeof err), 0);
    ck_assert_int_eq(ms_gobin_recognize(&b), 0);
    ms_gobin_describe(&b, buf, sizeof buf);
    ck_assert_msg(b.impl == want_impl(e), "%s: %s", e->label, buf);
    ck_assert_str_eq(b.impl_from, "function table");
    if (b.impl == MS_GOMAP_SWISS) {
        ck_assert(b.version_guessed);
        ck_assert_int_eq(b.minor, minor >= 27 ? 27 : minor >= 25 ? 25 : 24);
        ck_assert_msg(strstr(buf, "Swiss-table maps (from the function table)"), "%s", buf);
        struct ms_golayout l;
        ck_assert_int_eq(ms_golayout_for(&b, &l), 0);
    } else {
        ck_assert(!b.version_guessed);
        ck_assert_msg(strstr(buf, "Go version unknown, classic maps"), "%s", buf);
    }
    ms_gobin_close(&b);
    unlink(tmp);
}
END_TEST

/* The frames the runtime itself reported for a pc inside inlined calls ("pc=0x...
 * func@file:line ..."): the inline tree must give the same, innermost first, down to the
 * function the code belongs to. */
START_TEST(test_m_inline)
{
    const struct entry *e = &ents[_i];
    struct ms_gobin b;
    open_entry(&b, e);
    ck_assert_msg(ms_gotypes_init(&b) == 0, "%s: moduledata not found", e->label);
    uint64_t bias = bias_of(&b, e);
    char *list = strdup(e->inl), *save = NULL;
    char *t = strtok_r(list, " ", &save);
    ck_assert(!strncmp(t, "pc=", 3));
    uint64_t pc = strtoull(t + 3, NULL, 16) - bias;
    struct ms_goframe fr[8];
    int n = ms_gopcln_frames(b.pcln, pc, fr, 8);
    ck_assert_msg(n >= 2, "%s: %d frames at %#llx (no inlined call found)", e->label, n,
                  (unsigned long long)pc);
    for (int i = 0; i < n; i++) {
        t = strtok_r(NULL, " ", &save);
        ck_assert_msg(t != NULL, "%s: more frames than the runtime reports", e->label);
        char want[256];
        snprintf(want, sizeof want, "%s@%s:%d", fr[i].func,
                 fr[i].file ? strrchr(fr[i].file, '/') + 1 : "?", fr[i].line);
        ck_assert_msg(!strcmp(want, t), "%s: frame %d is %s, the runtime says %s", e->label, i,
                      want, t);
    }
    const char *fn, *file;
    int line;
    ck_assert_int_eq(ms_gopcln_lookup(b.pcln, pc, &fn, &file, &line), 0);
    ck_assert_str_eq(fn, fr[0].func);
    ck_assert_int_eq(line, fr[0].line);
    char buf[512];
    ms_gopcln_describe(b.pcln, pc, buf, sizeof buf);
    ck_assert_msg(strstr(buf, " (inlined into ") && strstr(buf, fr[n - 1].func), "%s", buf);
    free(list);
    ms_gobin_close(&b);
}
END_TEST

static int run_matrix(const char *manifest)
{
    parse_manifest(manifest);
    Suite *s = suite_create("gobin-matrix");
    TCase *tc = tcase_create("toolchains");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_m_recognize, 0, nents);
    tcase_add_loop_test(tc, test_m_layout, 0, nents);
    tcase_add_loop_test(tc, test_m_points, 0, nents);
    tcase_add_loop_test(tc, test_m_types, 0, nents);
    tcase_add_loop_test(tc, test_m_no_buildinfo, 0, nents);
    tcase_add_loop_test(tc, test_m_inline, 0, nents);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(void)
{
    if (getenv("GOMAPS_MANIFEST"))
        return run_matrix(getenv("GOMAPS_MANIFEST"));
    Suite *s = suite_create("gobin");
    TCase *tc = tcase_create("inspection");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_buildinfo, 0, 3);
    tcase_add_test(tc, test_parse_version);
    tcase_add_loop_test(tc, test_pclntab_funcs, 0, 2); /* PIE code sits elsewhere */
    tcase_add_loop_test(tc, test_lines, 0, 3);
    tcase_add_loop_test(tc, test_rets, 0, 2);
    tcase_add_loop_test(tc, test_layout, 0, 3);
    tcase_add_loop_test(tc, test_types, 0, 2);
    tcase_add_test(tc, test_fuzz);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
