/*
 * test_report_symbolize.c — offline symbolization (tools/symbolize.c) of
 * this test's own return addresses, recorded the way the shim records
 * them: module = this executable at its load bias with its build-id.
 * Checks function, file:line, inlined frames, the build-id check (a
 * mismatch gives raw addresses, not wrong names), missing files, FIFOs
 * named as modules (no hang), and the .build-id debug directory lookup.
 */
#define _GNU_SOURCE
#include <check.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../check_run.h"
#include "profile.h"

#define NOINLINE __attribute__((noinline))

static uint64_t ra[2];
static int line_plain, line_inl, line_outer;

NOINLINE void capture(int i);
NOINLINE void capture(int i)
{
    ra[i] = (uint64_t)(uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

NOINLINE static void caller_plain(void)
{
    line_plain = __LINE__ + 1;
    capture(0);
    __asm__ volatile("" ::: "memory"); /* no tail call: keep the return address here */
}

static inline __attribute__((always_inline)) void inlined_helper(void)
{
    line_inl = __LINE__ + 1;
    capture(1);
    __asm__ volatile("" ::: "memory");
}

NOINLINE static void caller_inl(void)
{
    line_outer = __LINE__ + 1;
    inlined_helper();
    __asm__ volatile("" ::: "memory");
}

/* This executable as the shim would record it. */
static struct ms_module self_mod;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            if (info->dlpi_addr + ph->p_vaddr < lo)
                lo = info->dlpi_addr + ph->p_vaddr;
            if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
                hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        }
        if (ph->p_type == PT_NOTE) {
            const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const void *)p;
                const char *name = p + sizeof *nh;
                const char *desc = name + ((nh->n_namesz + 3) & ~3u);
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                    self_mod.build_id = malloc(nh->n_descsz);
                    memcpy(self_mod.build_id, desc, nh->n_descsz);
                    self_mod.build_id_len = nh->n_descsz;
                }
                p = desc + ((nh->n_descsz + 3) & ~3u);
            }
        }
    }
    self_mod.bias = info->dlpi_addr;
    self_mod.start = lo;
    self_mod.end = hi;
    return 1; /* the first object is the executable */
}

static void setup_self(void)
{
    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = 0;
    free(self_mod.build_id);
    memset(&self_mod, 0, sizeof self_mod);
    dl_iterate_phdr(phdr_cb, NULL);
    self_mod.path = exe;
    caller_plain();
    caller_inl();
}

/* A one-process dump whose two stacks are the captured return addresses,
 * with module `m`, merged into a profile and symbolized. */
static void profile_for(const struct ms_module *m, struct ms_profile *p,
                        const struct ms_symbolize_opts *o)
{
    struct ms_dump d = {0};
    d.file = strdup("self");
    d.have_process = true;
    d.pid = 1;
    struct ms_module *mm = MS_VEC_PUSH(d.modules);
    *mm = *m;
    mm->path = strdup(m->path);
    mm->build_id = malloc(m->build_id_len ? m->build_id_len : 1);
    memcpy(mm->build_id, m->build_id, m->build_id_len);
    for (uint32_t i = 0; i < 2; i++) {
        struct ms_raw_stack *s = MS_VEC_PUSH(d.stacks);
        s->id = i + 1;
        s->nframes = 1;
        s->frames = malloc(sizeof *s->frames);
        s->frames[0] = ra[i];
        struct ms_stack_stats *st = MS_VEC_PUSH(d.stats);
        st->stack_id = i + 1;
        st->f[MS_SF_ALLOCS] = 1;
    }
    bool use[1];
    ms_profile_merge(&d, 1, use, p);
    ms_dump_free(&d);
    ms_symbolize(p, o);
}

static const struct ms_frame *frame_of(const struct ms_profile *p, uint64_t addr)
{
    for (size_t i = 0; i < p->frames.n; i++)
        if (p->frames.v[i].address == addr)
            return &p->frames.v[i];
    return NULL;
}

START_TEST(test_function_file_line)
{
    setup_self();
    struct ms_profile p = {0};
    struct ms_symbolize_opts o = {0};
    profile_for(&self_mod, &p, &o);
    ck_assert(p.modules.v[0].symbolized);
    const struct ms_frame *f = frame_of(&p, ra[0]);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->nsym, 1);
    ck_assert_str_eq(f->sym[0].function, "caller_plain");
    ck_assert_str_eq(ms_basename(f->sym[0].file), "test_report_symbolize.c");
    ck_assert_int_eq(f->sym[0].line, line_plain);
    ms_profile_free(&p);
}
END_TEST

START_TEST(test_inlined_frames)
{
    setup_self();
    struct ms_profile p = {0};
    struct ms_symbolize_opts o = {0};
    profile_for(&self_mod, &p, &o);
    const struct ms_frame *f = frame_of(&p, ra[1]);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->nsym, 2);
    ck_assert_str_eq(f->sym[0].function, "inlined_helper");
    ck_assert_int_eq(f->sym[0].line, line_inl);
    ck_assert_str_eq(f->sym[1].function, "caller_inl");
    ck_assert_int_eq(f->sym[1].line, line_outer);
    ck_assert_str_eq(ms_basename(f->sym[1].file), "test_report_symbolize.c");
    ck_assert(p.modules.v[0].has_inlines);
    ms_profile_free(&p);
}
END_TEST

START_TEST(test_build_id_mismatch_gives_raw)
{
    setup_self();
    ck_assert_uint_gt(self_mod.build_id_len, 0);
    struct ms_module other = self_mod;
    unsigned char bad[64];
    memcpy(bad, self_mod.build_id, self_mod.build_id_len);
    bad[0] ^= 0xff;
    other.build_id = bad;
    struct ms_profile p = {0};
    struct ms_symbolize_opts o = {.quiet = true};
    profile_for(&other, &p, &o);
    ck_assert(!p.modules.v[0].symbolized);
    const struct ms_frame *f = frame_of(&p, ra[0]);
    ck_assert_uint_eq(f->nsym, 0);
    char buf[512];
    const char *label = ms_frame_label(&p, f, 0, buf, sizeof buf);
    ck_assert_msg(strstr(label, "test_report_symbolize+0x"), "raw label: %s", label);
    ms_profile_free(&p);
}
END_TEST

START_TEST(test_missing_and_fifo_modules)
{
    setup_self();
    struct ms_symbolize_opts o = {.quiet = true};
    struct ms_module gone = self_mod;
    gone.path = "/nonexistent/prog";
    struct ms_profile p = {0};
    profile_for(&gone, &p, &o);
    ck_assert(!p.modules.v[0].symbolized);
    ms_profile_free(&p);

    char dir[] = "/tmp/ms-symtest-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char fifo[PATH_MAX];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    struct ms_module f = self_mod;
    f.path = fifo;
    struct ms_profile p2 = {0};
    profile_for(&f, &p2, &o); /* must return, not block on open() */
    ck_assert(!p2.modules.v[0].symbolized);
    ms_profile_free(&p2);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

START_TEST(test_debug_dir_by_build_id)
{
    setup_self();
    /* The binary "moved away", its debug file is under DIR/.build-id. */
    char dir[] = "/tmp/ms-dbgtest-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char hex[200] = "";
    for (uint32_t i = 0; i < self_mod.build_id_len; i++)
        sprintf(hex + 2 * i, "%02x", self_mod.build_id[i]);
    /* sub is short (a mkdtemp name and two hex digits); dbg has room for it
     * and the rest of the hex. */
    char sub[256], dbg[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(sub, sizeof sub, "%s/.build-id/%.2s", dir, hex);
    snprintf(dbg, sizeof dbg, "%s/%s.debug", sub, hex + 2);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s'", sub, self_mod.path, dbg);
    ck_assert_int_eq(system(cmd), 0);
    struct ms_module moved = self_mod;
    moved.path = "/nonexistent/moved-away";
    const char *dirs[] = {dir};
    struct ms_symbolize_opts o = {.debug_dirs = dirs, .ndebug_dirs = 1, .quiet = true};
    struct ms_profile p = {0};
    profile_for(&moved, &p, &o);
    ck_assert(p.modules.v[0].symbolized);
    const struct ms_frame *f = frame_of(&p, ra[0]);
    ck_assert_uint_ge(f->nsym, 1);
    ck_assert_str_eq(f->sym[f->nsym - 1].function, "caller_plain");
    ms_profile_free(&p);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_symbolize");
    TCase *tc = tcase_create("symbolize");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_function_file_line);
    tcase_add_test(tc, test_inlined_frames);
    tcase_add_test(tc, test_build_id_mismatch_gives_raw);
    tcase_add_test(tc, test_missing_and_fifo_modules);
    tcase_add_test(tc, test_debug_dir_by_build_id);
    suite_add_tcase(s, tc);
    return ms_check_run(s, 0);
}
