/*
 * symbolize.c — offline symbolization of the profile's frames with elfutils
 * (libdwfl/libdw): function, file:line and inlined frames.
 *
 * Each module recorded in the dump is opened on its own, placed at its ELF
 * addresses (frames are module-relative after merge.c), and checked by
 * build-id: a binary rebuilt since the run would give confident wrong
 * answers, which is worse than none.  When the file is missing or differs,
 * the debug file with the recorded build-id is looked for under
 * /usr/lib/debug/.build-id (and --debug-dir), then, with DEBUGINFOD_URLS
 * set, on the debuginfod servers it names (libdwfl's own client, by
 * build-id); failing that the module's frames stay raw addresses and one
 * warning names the module.  Separate debug info of a matching binary
 * (the usual case for a distribution's stripped programs) is found by
 * libdwfl's standard search: build-id and .gnu_debuglink in the debug
 * directories, then the debuginfod servers.  Frames left without a name
 * are counted per module (ms_pmodule.unnamed) so the report can say how
 * many and how to get them.
 *
 * Every frame is a return address, so the call instruction is looked up at
 * address - 1 (otherwise a call at the very end of a function, e.g. to a
 * noreturn function, is attributed to the next function).
 */
#include "config.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"

/* libstdc++'s demangler (C linkage); C++ frames are unreadable without it. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* A symbol's name as people read it: demangled, without the symbol
 * version elfutils appends to dynamic symbols ("malloc@@GLIBC_2.2.5"). */
static char *demangle(const char *name)
{
    if (!name)
        return NULL;
    const char *at = strchr(name, '@');
    char *plain = at && at != name ? ms_xstrndup(name, (size_t)(at - name)) : ms_xstrdup(name);
    if (plain[0] == '_' && plain[1] == 'Z') {
        int status = -1;
        char *d = __cxa_demangle(plain, NULL, NULL, &status);
        if (d && status == 0) {
            free(plain);
            return d;
        }
        free(d);
    }
    return plain;
}

const char *ms_basename(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "";
}

/* Open a regular file for reading without hanging on FIFOs or devices. */
static int open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

struct symctx {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    char *debuginfo_path;
};

static const Dwfl_Callbacks callbacks_template = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* Report file `path` as the module, at its own ELF addresses.  Returns
 * false when elfutils cannot use it. */
static bool open_module(struct symctx *sc, Dwfl_Callbacks *cb, const char *name, const char *path)
{
    int fd = open_regular(path);
    if (fd < 0)
        return false;
    sc->dwfl = dwfl_begin(cb);
    if (!sc->dwfl) {
        close(fd);
        return false;
    }
    /* base 0 relative to p_vaddr: the module sits at its link addresses. */
    sc->mod = dwfl_report_elf(sc->dwfl, name, path, fd, 0, true);
    dwfl_report_end(sc->dwfl, NULL, NULL);
    if (!sc->mod) {
        close(fd);
        dwfl_end(sc->dwfl);
        sc->dwfl = NULL;
        return false;
    }
    return true;
}

static void close_module(struct symctx *sc)
{
    if (sc->dwfl)
        dwfl_end(sc->dwfl);
    sc->dwfl = NULL;
    sc->mod = NULL;
}

static bool build_id_matches(struct symctx *sc, const struct ms_pmodule *m)
{
    if (!m->build_id_len)
        return true; /* nothing recorded: nothing to check */
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(sc->mod, &bits, &vaddr);
    return n > 0 && (uint32_t)n == m->build_id_len && !memcmp(bits, m->build_id, (size_t)n);
}

static char *hex(const unsigned char *b, uint32_t n)
{
    char *s = ms_xmalloc((size_t)n * 2 + 1);
    for (uint32_t i = 0; i < n; i++)
        sprintf(s + 2 * i, "%02x", b[i]);
    s[2 * n] = 0;
    return s;
}

/* Try DIR/.build-id/xx/rest.debug for each debug directory. */
static bool open_by_build_id(struct symctx *sc, Dwfl_Callbacks *cb, const struct ms_pmodule *m,
                             const struct ms_symbolize_opts *o)
{
    if (m->build_id_len < 2)
        return false;
    char *h = hex(m->build_id, m->build_id_len);
    bool ok = false;
    for (size_t i = 0; i <= o->ndebug_dirs && !ok; i++) {
        const char *dir = i < o->ndebug_dirs ? o->debug_dirs[i] : "/usr/lib/debug";
        char *path = ms_xasprintf("%s/.build-id/%.2s/%s.debug", dir, h, h + 2);
        ok = open_module(sc, cb, m->path, path) && build_id_matches(sc, m);
        if (!ok)
            close_module(sc);
        free(path);
    }
    free(h);
    return ok;
}

/* A module whose file is gone (or differs), by its build-id alone:
 * libdwfl's build-id search for the ELF file tries the debug directories,
 * then the debuginfod servers of DEBUGINFOD_URLS (executable, then debug
 * info).  The module is placed at its ELF addresses, as open_module does. */
static bool open_by_debuginfod(struct symctx *sc, Dwfl_Callbacks *cb, const struct ms_pmodule *m)
{
    const char *urls = getenv("DEBUGINFOD_URLS");
    if (!urls || !*urls || !m->build_id_len || m->end <= m->start || m->start < m->bias)
        return false;
    sc->dwfl = dwfl_begin(cb);
    if (!sc->dwfl)
        return false;
    sc->mod = dwfl_report_module(sc->dwfl, m->path, m->start - m->bias, m->end - m->bias);
    if (sc->mod && dwfl_module_report_build_id(sc->mod, m->build_id, m->build_id_len, 0) != 0)
        sc->mod = NULL;
    dwfl_report_end(sc->dwfl, NULL, NULL);
    Dwarf_Addr bias;
    if (!sc->mod || !dwfl_module_getelf(sc->mod, &bias) || !build_id_matches(sc, m)) {
        close_module(sc);
        return false;
    }
    return true;
}

/* The pseudo-modules the kernel maps (vDSO) have no file to read. */
static bool is_pseudo(const char *path)
{
    return !*path || path[0] == '[' || !strncmp(path, "linux-vdso", 10) ||
           !strncmp(path, "linux-gate", 10);
}

static void warn_module(const struct ms_symbolize_opts *o, const struct ms_pmodule *m,
                        const char *why)
{
    if (!o->quiet)
        fprintf(stderr, "mapscope report: warning: %s: %s; its frames are shown as raw addresses\n",
                m->path, why);
}

/* Open module m for symbolization: the recorded file if its build-id
 * matches, else a debug file with the recorded build-id. */
static bool open_checked(struct symctx *sc, Dwfl_Callbacks *cb, const struct ms_pmodule *m,
                         const struct ms_symbolize_opts *o)
{
    if (is_pseudo(m->path))
        return false;
    bool exists = open_module(sc, cb, m->path, m->path);
    if (exists && build_id_matches(sc, m))
        return true;
    close_module(sc);
    if (open_by_build_id(sc, cb, m, o) || open_by_debuginfod(sc, cb, m))
        return true;
    warn_module(o, m,
                exists ? "build-id differs from the one recorded in the dump (the file was "
                         "rebuilt or replaced since the run) and no debug file with the "
                         "recorded build-id was found (debug directories, DEBUGINFOD_URLS)"
                       : "cannot be read (missing here?) and no debug file with its build-id "
                         "was found (debug directories, DEBUGINFOD_URLS)");
    return false;
}

/* --------------------------------------------------------------- frames -- */

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *s = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
        s = dwarf_formstring(&a);
    if (!s && dwarf_attr_integrate(die, DW_AT_name, &a))
        s = dwarf_formstring(&a);
    return s;
}

struct symvec {
    struct ms_sym *v;
    size_t n, cap;
};

static void push_sym(struct symvec *v, const char *fn, const char *file, int line)
{
    struct ms_sym *s = MS_VEC_PUSH(*v);
    s->function = demangle(fn);
    s->file = file ? ms_xstrdup(file) : NULL;
    s->line = line;
}

/* Fill fr->sym for address a of the open module. */
static void symbolize_frame(struct symctx *sc, struct ms_pmodule *m, struct ms_frame *fr)
{
    Dwarf_Addr a = fr->offset ? fr->offset - 1 : 0;
    struct symvec syms = {0};

    GElf_Off off;
    GElf_Sym esym;
    const char *symname = dwfl_module_addrinfo(sc->mod, a, &off, &esym, NULL, NULL, NULL);

    const char *file = NULL;
    int line = 0;
    Dwfl_Line *ln = dwfl_module_getsrc(sc->mod, a);
    if (ln)
        file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);

    /* Walk the DWARF scopes around a, innermost first: each inlined
     * subroutine is a frame whose caller position is its DW_AT_call_file /
     * DW_AT_call_line; the enclosing subprogram is the real function. */
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(sc->mod, a, &bias);
    Dwarf_Die *scopes = NULL;
    int nscopes = cu ? dwarf_getscopes(cu, a - bias, &scopes) : 0;
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (cu && dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
        files = NULL;
    bool have_subprogram = false;
    for (int i = 0; i < nscopes && !have_subprogram; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_inlined_subroutine) {
            push_sym(&syms, die_name(&scopes[i]), file, line);
            Dwarf_Attribute at;
            Dwarf_Word cf = 0, cl = 0;
            if (dwarf_attr(&scopes[i], DW_AT_call_file, &at))
                dwarf_formudata(&at, &cf);
            if (dwarf_attr(&scopes[i], DW_AT_call_line, &at))
                dwarf_formudata(&at, &cl);
            file = files && cf < nfiles ? dwarf_filesrc(files, cf, NULL, NULL) : NULL;
            line = (int)cl;
        } else if (tag == DW_TAG_subprogram) {
            /* The symbol table's name is the full (linkage) name; DWARF's
             * may be the short one. */
            push_sym(&syms, symname ? symname : die_name(&scopes[i]), file, line);
            have_subprogram = true;
        }
    }
    free(scopes);
    if (!have_subprogram && (symname || file))
        push_sym(&syms, symname, file, line);
    if (syms.n) {
        m->has_lines |= file != NULL;
        m->has_inlines |= syms.n > 1;
    }
    fr->sym = syms.v;
    fr->nsym = (uint32_t)syms.n;
}

void ms_symbolize(struct ms_profile *p, const struct ms_symbolize_opts *o)
{
    /* Debug directories for libdwfl's separate-debuginfo search. */
    char *dipath = ms_xstrdup(":.debug:/usr/lib/debug");
    for (size_t i = 0; i < o->ndebug_dirs; i++) {
        char *n = ms_xasprintf("%s:%s", dipath, o->debug_dirs[i]);
        free(dipath);
        dipath = n;
    }
    Dwfl_Callbacks cb = callbacks_template;
    cb.debuginfo_path = &dipath;

    /* Frames are sorted by module (merge.c), so each module is opened once. */
    size_t i = 0;
    while (i < p->frames.n) {
        int32_t mi = p->frames.v[i].module;
        size_t j = i;
        while (j < p->frames.n && p->frames.v[j].module == mi)
            j++;
        if (mi >= 0) {
            struct symctx sc = {0};
            struct ms_pmodule *m = &p->modules.v[mi];
            if (open_checked(&sc, &cb, m, o)) {
                m->symbolized = true;
                for (size_t k = i; k < j; k++)
                    symbolize_frame(&sc, m, &p->frames.v[k]);
            }
            close_module(&sc);
            if (!is_pseudo(m->path))
                for (size_t k = i; k < j; k++)
                    m->unnamed += !p->frames.v[k].nsym || !p->frames.v[k].sym[0].function;
        }
        i = j;
    }
    free(dipath);
}

const char *ms_names_hint(const struct ms_profile *p, uint64_t *unnamed, char *mods, size_t cap)
{
    uint64_t n = 0;
    size_t len = 0;
    mods[0] = 0;
    for (size_t i = 0; i < p->modules.n; i++) {
        const struct ms_pmodule *m = &p->modules.v[i];
        if (!m->unnamed)
            continue;
        n += m->unnamed;
        if (len < cap)
            len += (size_t)snprintf(mods + len, cap - len, "%s%s %" PRIu32, len ? ", " : "",
                                    ms_basename(m->path), m->unnamed);
    }
    *unnamed = n;
    if (!n)
        return NULL;
    const char *urls = getenv("DEBUGINFOD_URLS");
    return urls && *urls
               ? "neither the debug directories nor the debuginfod servers of DEBUGINFOD_URLS "
                 "had their debug info: install the distribution's debug packages (Debian: "
                 "PKG-dbgsym from the debian-debug archive) or give --debug-dir DIR "
                 "(DIR/.build-id/xx/yyyy.debug)"
               : "the binaries are stripped (or missing) and their debug info is not installed: "
                 "set "
                 "DEBUGINFOD_URLS (e.g. https://debuginfod.debian.net) and the report fetches "
                 "it by build-id, or install the distribution's debug packages (Debian: "
                 "PKG-dbgsym from the debian-debug archive), or give --debug-dir DIR";
}

const char *ms_frame_label(const struct ms_profile *p, const struct ms_frame *fr, uint32_t symi,
                           char *buf, size_t len)
{
    if (symi < fr->nsym && fr->sym[symi].function)
        return fr->sym[symi].function;
    if (fr->module >= 0)
        snprintf(buf, len, "%s+0x%" PRIx64, ms_basename(p->modules.v[fr->module].path), fr->offset);
    else
        snprintf(buf, len, "0x%" PRIx64, fr->address);
    return buf;
}
