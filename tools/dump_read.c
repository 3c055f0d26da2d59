/*
 * dump_read.c — parse a mapscope dump file (format/dump_format.h,
 * man/mapscope-dump.5) into a struct ms_dump.
 *
 * Dumps are hostile input: a service killed mid-write leaves a truncated
 * file, a disk error damages one, and anyone can hand the report a crafted
 * file.  So every length is checked against what is left before it is
 * used, nothing is allocated from a length before that check, and every
 * record's CRC is verified before its payload is believed.  A damaged
 * record is skipped and reading resynchronises on the next record (whose
 * own CRC says whether the resync worked), so the report keeps every intact
 * record; the first problem is described as "FILE: offset N: what".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "read_full.h"

/* A bounds-checked reader over one record's payload.  Any read past the
 * end sets `bad` and yields zeros, so parsers can read a whole record and
 * check once at the end. */
struct cur {
    const unsigned char *p, *end;
    bool bad;
};

static bool need(struct cur *c, size_t n)
{
    if (c->bad || (size_t)(c->end - c->p) < n) {
        c->bad = true;
        return false;
    }
    return true;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t rd(struct cur *c, int n)
{
    if (!need(c, (size_t)n))
        return 0;
    uint64_t v = get_le(c->p, n);
    c->p += n;
    return v;
}

#define rd16(c) ((uint16_t)rd(c, 2))
#define rd32(c) ((uint32_t)rd(c, 4))
#define rd64(c) rd(c, 8)

/* A string: u32 length + bytes.  Returned NUL-terminated (and with any
 * embedded NUL cut), or NULL when it does not fit. */
static char *rdstr(struct cur *c, size_t *len_out)
{
    uint32_t len = rd32(c);
    if (!need(c, len))
        return NULL;
    char *s = ms_xstrndup((const char *)c->p, len);
    if (len_out)
        *len_out = len;
    c->p += len;
    return s;
}

/* Copy of the raw bytes of a string (build-ids are binary). */
static unsigned char *rdbytes(struct cur *c, uint32_t *len_out)
{
    uint32_t len = rd32(c);
    if (!need(c, len))
        return NULL;
    unsigned char *b = ms_xmalloc(len);
    memcpy(b, c->p, len);
    c->p += len;
    *len_out = len;
    return b;
}

/* Count n of elements of `size` bytes each that must fit in what is left. */
static bool count_fits(struct cur *c, uint64_t n, size_t size)
{
    if (c->bad || n > (uint64_t)(c->end - c->p) / size) {
        c->bad = true;
        return false;
    }
    return true;
}

static void problem(struct ms_dump *d, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(struct ms_dump *d, uint64_t off, const char *fmt, ...)
{
    if (d->error)
        return; /* the first problem is the one worth naming */
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->error = ms_xasprintf("%s: offset %" PRIu64 ": %s", d->file, off, msg);
}

static void nv_list(struct cur *c, struct ms_dump *d, bool engine)
{
    uint32_t n = rd32(c);
    if (!count_fits(c, n, 12)) /* each entry is at least a u32 length and a u64 */
        return;
    for (uint32_t i = 0; i < n && !c->bad; i++) {
        char *name = rdstr(c, NULL);
        uint64_t v = rd64(c);
        if (c->bad) {
            free(name);
            return;
        }
        struct ms_nv *e = engine ? MS_VEC_PUSH(d->engine) : MS_VEC_PUSH(d->totals);
        e->name = name;
        e->value = v;
    }
}

static void rec_process(struct cur *c, struct ms_dump *d)
{
    uint32_t pid = rd32(c), ppid = rd32(c);
    uint64_t start = rd64(c), dumpt = rd64(c);
    uint32_t reason = rd32(c), seq = rd32(c);
    size_t cl_len = 0;
    char *exe = rdstr(c, NULL);
    /* cmdline: NUL-separated arguments; kept with spaces for display. */
    uint32_t len = rd32(c);
    char *cmd = NULL;
    if (need(c, len)) {
        cmd = ms_xmalloc((size_t)len + 1);
        /* Arguments are NUL-separated; they and any control characters
         * (a newline in `python3 -c '...'`) become spaces, so a command
         * line prints on one line. */
        for (uint32_t i = 0; i < len; i++)
            cmd[i] = c->p[i] < 0x20 || c->p[i] == 0x7f ? ' ' : (char)c->p[i];
        cl_len = len;
        while (cl_len && cmd[cl_len - 1] == ' ')
            cl_len--;
        cmd[cl_len] = 0;
        c->p += len;
    }
    if (c->bad || d->have_process) { /* a second PROCESS record is ignored */
        free(exe);
        free(cmd);
        return;
    }
    d->have_process = true;
    d->pid = pid, d->ppid = ppid, d->start_ns = start, d->dump_ns = dumpt;
    d->reason = reason, d->seq = seq, d->exe = exe, d->cmdline = cmd;
}

static void rec_settings(struct cur *c, struct ms_dump *d)
{
    uint32_t n = rd32(c);
    if (!count_fits(c, n, 8))
        return;
    for (uint32_t i = 0; i < n; i++) {
        char *name = rdstr(c, NULL), *val = rdstr(c, NULL);
        if (c->bad) {
            free(name);
            free(val);
            return;
        }
        struct ms_kv *kv = MS_VEC_PUSH(d->settings);
        kv->name = name;
        kv->value = val;
    }
}

static void rec_module(struct cur *c, struct ms_dump *d)
{
    struct ms_module m = {0};
    m.bias = rd64(c), m.start = rd64(c), m.end = rd64(c);
    m.path = rdstr(c, NULL);
    m.build_id = rdbytes(c, &m.build_id_len);
    if (c->bad) {
        free(m.path);
        free(m.build_id);
        return;
    }
    *MS_VEC_PUSH(d->modules) = m;
}

static void rec_stack(struct cur *c, struct ms_dump *d)
{
    uint32_t id = rd32(c), n = rd32(c);
    if (!count_fits(c, n, 8))
        return;
    struct ms_raw_stack *s = MS_VEC_PUSH(d->stacks);
    s->id = id;
    s->nframes = n;
    s->frames = ms_xcalloc(n, sizeof *s->frames);
    for (uint32_t i = 0; i < n; i++)
        s->frames[i] = rd64(c);
}

/* u32 stack_id | u32 n | n x u64: the first max fields into f (fields we
 * do not know yet are skipped, missing ones stay 0).  False when n does
 * not fit the record. */
static bool stack_fields(struct cur *c, uint32_t *id, uint64_t *f, uint32_t max)
{
    *id = rd32(c);
    uint32_t n = rd32(c);
    if (!count_fits(c, n, 8))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = rd64(c);
        if (i < max)
            f[i] = v;
    }
    return true;
}

static void rec_stack_stats(struct cur *c, struct ms_dump *d)
{
    struct ms_stack_stats s = {0};
    if (stack_fields(c, &s.stack_id, s.f, MS_SF_COUNT))
        *MS_VEC_PUSH(d->stats) = s;
}

static void rec_leak_kinds(struct cur *c, struct ms_dump *d)
{
    struct ms_stack_kinds s = {0};
    if (stack_fields(c, &s.stack_id, s.k, MS_KF_COUNT))
        *MS_VEC_PUSH(d->kinds) = s;
}

static void rec_linger(struct cur *c, struct ms_dump *d)
{
    struct ms_linger l = {0};
    l.stack_id = rd32(c);
    l.nbins = rd32(c);
    l.blocks = rd64(c), l.bytes = rd64(c), l.oldest_age_ns = rd64(c);
    if (!count_fits(c, l.nbins, 24))
        return;
    l.bins = ms_xcalloc(l.nbins, sizeof *l.bins);
    for (uint32_t i = 0; i < l.nbins; i++) {
        l.bins[i].min_age_ns = rd64(c);
        l.bins[i].blocks = rd64(c);
        l.bins[i].bytes = rd64(c);
    }
    *MS_VEC_PUSH(d->lingers) = l;
}

static void rec_timeline(struct cur *c, struct ms_dump *d)
{
    uint64_t interval = rd64(c);
    uint32_t n = rd32(c);
    if (!count_fits(c, n, 40))
        return;
    d->timeline_interval_ns = interval;
    for (uint32_t i = 0; i < n; i++) {
        struct ms_tl_point *pt = MS_VEC_PUSH(d->timeline);
        pt->t_ns = rd64(c), pt->live_bytes = rd64(c), pt->live_blocks = rd64(c);
        pt->allocs = rd64(c), pt->alloc_bytes = rd64(c);
    }
}

static const char *type_name(uint16_t t)
{
    switch (t) {
    case MS_REC_PROCESS:
        return "PROCESS";
    case MS_REC_SETTINGS:
        return "SETTINGS";
    case MS_REC_MODULE:
        return "MODULE";
    case MS_REC_STACK:
        return "STACK";
    case MS_REC_STACK_STATS:
        return "STACK_STATS";
    case MS_REC_LINGER:
        return "LINGER";
    case MS_REC_TIMELINE:
        return "TIMELINE";
    case MS_REC_TOTALS:
        return "TOTALS";
    case MS_REC_ENGINE:
        return "ENGINE";
    case MS_REC_LEAK_KINDS:
        return "LEAK_KINDS";
    case MS_REC_REACH:
        return "REACH";
    case MS_REC_END:
        return "END";
    default:
        return "unknown";
    }
}

/* Parse one verified record.  Returns false when its payload does not match
 * its declared layout. */
static bool parse_record(uint16_t type, struct cur *c, struct ms_dump *d, uint32_t *end_count)
{
    switch (type) {
    case MS_REC_PROCESS:
        rec_process(c, d);
        break;
    case MS_REC_SETTINGS:
        rec_settings(c, d);
        break;
    case MS_REC_MODULE:
        rec_module(c, d);
        break;
    case MS_REC_STACK:
        rec_stack(c, d);
        break;
    case MS_REC_STACK_STATS:
        rec_stack_stats(c, d);
        break;
    case MS_REC_LINGER:
        rec_linger(c, d);
        break;
    case MS_REC_TIMELINE:
        rec_timeline(c, d);
        break;
    case MS_REC_TOTALS:
        nv_list(c, d, false);
        break;
    case MS_REC_ENGINE:
    case MS_REC_REACH: /* the scan's figures are the profiler's, like the engine's */
        nv_list(c, d, true);
        break;
    case MS_REC_LEAK_KINDS:
        rec_leak_kinds(c, d);
        break;
    case MS_REC_END:
        *end_count = rd32(c);
        break;
    default:
        return true; /* a newer writer's record: skipped by design */
    }
    return !c->bad;
}

int ms_dump_parse(const char *name, const unsigned char *buf, size_t len, struct ms_dump *d)
{
    if (!d->file)
        d->file = ms_xstrdup(name);
    if (len < MS_DUMP_HEADER_SIZE || memcmp(buf, MS_DUMP_MAGIC, MS_DUMP_MAGIC_LEN)) {
        problem(d, 0,
                "not a mapscope dump (no \"MAPSCOPE\" header; expected a file written by "
                "libmapscope.so)");
        return -1;
    }
    uint16_t version = (uint16_t)get_le(buf + 8, 2);
    uint16_t hsize = (uint16_t)get_le(buf + 10, 2);
    if (version != MS_DUMP_VERSION) {
        problem(d, 8, "dump format version %u (this mapscope reads version %d)", version,
                MS_DUMP_VERSION);
        return -1;
    }
    if (hsize < MS_DUMP_HEADER_SIZE || hsize > len) {
        problem(d, 10, "header size %u is impossible (expected %d)", hsize, MS_DUMP_HEADER_SIZE);
        return -1;
    }
    size_t off = hsize;
    bool end_seen = false;
    uint32_t end_count = 0;
    while (off < len && !end_seen) {
        size_t left = len - off;
        if (left < MS_DUMP_REC_HEAD + MS_DUMP_REC_TAIL) {
            problem(d, off, "truncated: a record needs at least %d bytes, %zu left",
                    MS_DUMP_REC_HEAD + MS_DUMP_REC_TAIL, left);
            break;
        }
        uint16_t type = (uint16_t)get_le(buf + off, 2);
        uint32_t plen = (uint32_t)get_le(buf + off + 4, 4);
        if (plen > MS_DUMP_MAX_RECORD) {
            /* No writer produces this: the length itself is garbage, so
             * there is nothing to resynchronise on. */
            problem(d, off,
                    "%s record claims %" PRIu32 " bytes (limit %u): damaged; rest of "
                    "file ignored",
                    type_name(type), plen, MS_DUMP_MAX_RECORD);
            break;
        }
        if ((size_t)plen > left - MS_DUMP_REC_HEAD - MS_DUMP_REC_TAIL) {
            problem(d, off, "truncated: %s record of %" PRIu32 " bytes, only %zu left",
                    type_name(type), plen, left - MS_DUMP_REC_HEAD);
            break;
        }
        size_t total = MS_DUMP_REC_HEAD + (size_t)plen;
        uint32_t crc = (uint32_t)get_le(buf + off + total, 4);
        if (ms_crc32(0, buf + off, total) != crc) {
            problem(d, off, "%s record fails its CRC check: damaged record skipped",
                    type_name(type));
        } else {
            struct cur c = {buf + off + MS_DUMP_REC_HEAD, buf + off + total, false};
            if (!parse_record(type, &c, d, &end_count))
                problem(d, off, "%s record's contents do not match its layout: skipped",
                        type_name(type));
            else if (type == MS_REC_END)
                end_seen = true;
            else
                d->records++;
        }
        off += total + MS_DUMP_REC_TAIL;
    }
    if (end_seen && end_count != d->records && !d->error)
        problem(d, off, "END record counts %" PRIu32 " records but %" PRIu32 " were read",
                end_count, d->records);
    if (!end_seen && !d->error)
        problem(d, off,
                "incomplete: the file ends without its END record (cut short, or "
                "the process died while writing it)");
    d->complete = end_seen && !d->error;
    return d->complete ? 0 : 1;
}

int ms_dump_read(const char *path, struct ms_dump *d)
{
    d->file = ms_xstrdup(path);
    /* O_NONBLOCK: a FIFO named as a dump must not hang the report. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        d->error = ms_xasprintf("%s: cannot open: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        d->error = ms_xasprintf("%s: not a regular file (expected a dump written by "
                                "libmapscope.so)",
                                path);
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    unsigned char *buf = ms_xmalloc(len);
    size_t got = ms_read_full(fd, buf, len);
    close(fd);
    int rc = ms_dump_parse(path, buf, got, d);
    free(buf);
    return rc;
}

void ms_dump_free(struct ms_dump *d)
{
    free(d->file);
    free(d->exe);
    free(d->cmdline);
    free(d->error);
    ms_kv_free(d->settings.v, d->settings.n);
    for (size_t i = 0; i < d->modules.n; i++) {
        free(d->modules.v[i].path);
        free(d->modules.v[i].build_id);
    }
    for (size_t i = 0; i < d->stacks.n; i++)
        free(d->stacks.v[i].frames);
    for (size_t i = 0; i < d->lingers.n; i++)
        free(d->lingers.v[i].bins);
    ms_nv_free(d->totals.v, d->totals.n);
    ms_nv_free(d->engine.v, d->engine.n);
    free(d->modules.v);
    free(d->stacks.v);
    free(d->stats.v);
    free(d->lingers.v);
    free(d->kinds.v);
    free(d->timeline.v);
    memset(d, 0, sizeof *d);
}

void ms_nv_free(struct ms_nv *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

void ms_kv_free(struct ms_kv *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

uint64_t ms_nv_get(const struct ms_nv *v, size_t n, const char *name, bool *found)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name)) {
            if (found)
                *found = true;
            return v[i].value;
        }
    if (found)
        *found = false;
    return 0;
}

const char *ms_dump_setting(const struct ms_dump *d, const char *name)
{
    for (size_t i = 0; i < d->settings.n; i++)
        if (!strcmp(d->settings.v[i].name, name))
            return d->settings.v[i].value;
    return NULL;
}
