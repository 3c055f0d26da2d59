/*
 * gobin_check.c — Check unit tests of the Go binary inspection in probe/.
 *
 * Run by gobin.test, which builds real Go binaries from linger.go (plain,
 * stripped, stripped position-independent) and passes what independent tools
 * say about them: the toolchain version (go env GOVERSION), function
 * addresses (nm on the plain build), the RET instructions of runtime.makemap
 * (objdump), the line of `func main` (grep).  The parsers must agree with
 * those on every build, and must survive corrupted binaries (fuzz case).
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
    memset(&dw.count, 0xff, sizeof dw - offsetof(struct ms_golayout, count));
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

int main(void)
{
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
