/*
 * dumpgen.c — test-only dump writer (see dumpgen.h).  Independent of the
 * shim's writer on purpose: the reader is tested against the format as
 * documented, not against one implementation of it.
 */
#include "dumpgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_format.h"

static void put(struct dg *g, const void *p, size_t n)
{
    if (g->len + n > g->cap) {
        while (g->len + n > g->cap)
            g->cap = g->cap ? g->cap * 2 : 4096;
        g->buf = realloc(g->buf, g->cap);
        if (!g->buf)
            abort();
    }
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

static void le(struct dg *g, uint64_t v, int n)
{
    unsigned char b[8];
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(g, b, (size_t)n);
}

static void patch32(struct dg *g, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        g->buf[at + (size_t)i] = (unsigned char)(v >> (8 * i));
}

void dg_raw(struct dg *g, const void *p, size_t n)
{
    put(g, p, n);
}

void dg_init(struct dg *g)
{
    memset(g, 0, sizeof *g);
    put(g, MS_DUMP_MAGIC, MS_DUMP_MAGIC_LEN);
    le(g, MS_DUMP_VERSION, 2);
    le(g, MS_DUMP_HEADER_SIZE, 2);
    le(g, 0, 4);
}

void dg_begin(struct dg *g, uint16_t type)
{
    g->rec_start = g->len;
    le(g, type, 2);
    le(g, 0, 2);
    le(g, 0, 4); /* length, patched by dg_end */
}

void dg_u32(struct dg *g, uint32_t v)
{
    le(g, v, 4);
}

void dg_u64(struct dg *g, uint64_t v)
{
    le(g, v, 8);
}

void dg_bytes(struct dg *g, const void *b, uint32_t n)
{
    le(g, n, 4);
    put(g, b, n);
}

void dg_str(struct dg *g, const char *s)
{
    dg_bytes(g, s, (uint32_t)strlen(s));
}

void dg_end(struct dg *g)
{
    size_t payload = g->len - g->rec_start - MS_DUMP_REC_HEAD;
    patch32(g, g->rec_start + 4, (uint32_t)payload);
    le(g, ms_crc32(0, g->buf + g->rec_start, g->len - g->rec_start), 4);
    g->records++;
}

void dg_finish(struct dg *g)
{
    uint32_t n = g->records;
    dg_begin(g, MS_REC_END);
    dg_u32(g, n);
    dg_end(g);
}

int dg_write(const struct dg *g, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(g->buf, 1, g->len, f);
    return (fclose(f) == 0 && w == g->len) ? 0 : -1;
}

void dg_free(struct dg *g)
{
    free(g->buf);
    memset(g, 0, sizeof *g);
}

void dg_process(struct dg *g, uint32_t pid, uint32_t ppid, uint64_t start_ns, uint64_t dump_ns,
                uint32_t reason, uint32_t seq, const char *exe, const char *cmdline)
{
    dg_begin(g, MS_REC_PROCESS);
    dg_u32(g, pid);
    dg_u32(g, ppid);
    dg_u64(g, start_ns);
    dg_u64(g, dump_ns);
    dg_u32(g, reason);
    dg_u32(g, seq);
    dg_str(g, exe);
    /* arguments are NUL-separated in the file; spaces here stand for them */
    size_t n = strlen(cmdline);
    char *c = malloc(n + 1);
    if (!c)
        abort();
    for (size_t i = 0; i <= n; i++)
        c[i] = cmdline[i] == ' ' ? 0 : cmdline[i];
    dg_bytes(g, c, (uint32_t)n);
    free(c);
    dg_end(g);
}

void dg_stack(struct dg *g, uint32_t id, const uint64_t *frames, uint32_t n)
{
    dg_begin(g, MS_REC_STACK);
    dg_u32(g, id);
    dg_u32(g, n);
    for (uint32_t i = 0; i < n; i++)
        dg_u64(g, frames[i]);
    dg_end(g);
}

void dg_stats(struct dg *g, uint32_t id, const uint64_t *fields, uint32_t n)
{
    dg_begin(g, MS_REC_STACK_STATS);
    dg_u32(g, id);
    dg_u32(g, n);
    for (uint32_t i = 0; i < n; i++)
        dg_u64(g, fields[i]);
    dg_end(g);
}

void dg_nv(struct dg *g, uint16_t type, const char *const *names, const uint64_t *values,
           uint32_t n)
{
    dg_begin(g, type);
    dg_u32(g, n);
    for (uint32_t i = 0; i < n; i++) {
        dg_str(g, names[i]);
        dg_u64(g, values[i]);
    }
    dg_end(g);
}
