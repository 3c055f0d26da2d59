/*
 * dump_write.c — encoding records and putting the file in place safely.
 *
 * Output must never hurt the program: no stdio, no malloc, one buffer of
 * the shim's own, write(2) in large pieces.  The file is created under a
 * temporary name with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC and mode 0600 (a
 * dump holds the program's memory layout: it is for its owner; O_EXCL and
 * O_NOFOLLOW refuse symlinks and files planted under the name; O_CLOEXEC
 * keeps the descriptor out of exec'd children), and renamed over the final
 * name only when complete, so a reader never sees half a dump under the
 * final name.  On the first error (ENOSPC, EACCES, EFBIG...) writing stops,
 * the temporary file is removed and the error is returned; the caller
 * reports it once.
 *
 * The descriptor is the shim's own (own_fd.c): a private table on the
 * helper thread, elsewhere a high number whose identity is checked before
 * every write and the close, so a number the program took over (dup2 onto
 * it while the dump was being written) is never written to or closed: the
 * dump fails with EBADF instead.
 *
 * The format is in dump_format.h: each record is type, flags, length,
 * payload, CRC-32.  Records are built in the buffer, so the length and CRC
 * are filled in when the record ends; a record is at most REC_BUDGET bytes
 * (callers split long tables using ms_dw_room).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "dump_format.h"
#include "dump_write.h"
#include "own_fd.h"
#include "shim_base.h"
#include "shim_mem.h"

#define BUF_SIZE   (512u * 1024u)
#define REC_BUDGET (64u * 1024u)

struct ms_dw {
    struct ms_fd f;
    int err;
    uint32_t records;
    size_t len, rec_start;
    unsigned char *buf;
    char final[PATH_MAX], tmp[PATH_MAX];
};

static struct ms_dw the_writer;

static void flush(struct ms_dw *w)
{
    size_t off = 0;
    if (w->len && !w->err && !ms_fd_intact(&w->f))
        w->err = EBADF;
    while (off < w->len && !w->err) {
        ssize_t k = write(w->f.fd, w->buf + off, w->len - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->err = errno;
        } else if (k == 0) {
            w->err = EIO;
        } else {
            off += (size_t)k;
        }
    }
    w->len = 0;
}

static void put(struct ms_dw *w, const void *p, size_t n)
{
    if (w->err)
        return;
    if (w->len + n > BUF_SIZE ||
        w->len - w->rec_start + n > REC_BUDGET + MS_DUMP_REC_HEAD + MS_DUMP_REC_TAIL) {
        w->err = E2BIG; /* a caller broke the record budget: a bug, not a crash */
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

struct ms_dw *ms_dw_open(const char *final_path)
{
    struct ms_dw *w = &the_writer;
    if (!w->buf) {
        w->buf = ms_mem_map(BUF_SIZE, MS_MEM_DUMP);
        if (!w->buf) {
            errno = ENOMEM;
            return NULL;
        }
    }
    w->err = 0;
    w->records = 0;
    w->len = w->rec_start = 0;
    snprintf(w->final, sizeof w->final, "%s", final_path);
    w->f.fd = -1;
    for (int attempt = 0; attempt < 8 && w->f.fd < 0; attempt++) {
        snprintf(w->tmp, sizeof w->tmp, "%s.tmp%04x", final_path,
                 (unsigned)((ms_now_ns() >> 4) + (unsigned)attempt * 7919u) & 0xffffu);
        int e = ms_fd_open(&w->f, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (e == EBADF) /* created, but the number was taken: not ours to use */
            unlink(w->tmp);
        if (e && e != EEXIST) {
            errno = e;
            return NULL;
        }
    }
    if (w->f.fd < 0) {
        errno = EEXIST;
        return NULL;
    }
    unsigned char hdr[MS_DUMP_HEADER_SIZE];
    uint16_t version = MS_DUMP_VERSION, hsize = MS_DUMP_HEADER_SIZE;
    uint32_t flags = 0;
    memcpy(hdr, MS_DUMP_MAGIC, MS_DUMP_MAGIC_LEN);
    memcpy(hdr + 8, &version, 2);
    memcpy(hdr + 10, &hsize, 2);
    memcpy(hdr + 12, &flags, 4);
    put(w, hdr, sizeof hdr);
    w->rec_start = w->len;
    return w;
}

void ms_dw_rec_begin(struct ms_dw *w, unsigned type)
{
    if (w->len + REC_BUDGET + MS_DUMP_REC_HEAD + MS_DUMP_REC_TAIL > BUF_SIZE)
        flush(w);
    w->rec_start = w->len;
    uint16_t t = (uint16_t)type, flags = 0;
    uint32_t len = 0;
    put(w, &t, 2);
    put(w, &flags, 2);
    put(w, &len, 4);
}

void ms_dw_u16(struct ms_dw *w, uint16_t v)
{
    put(w, &v, sizeof v);
}

void ms_dw_u32(struct ms_dw *w, uint32_t v)
{
    put(w, &v, sizeof v);
}

void ms_dw_u64(struct ms_dw *w, uint64_t v)
{
    put(w, &v, sizeof v);
}

void ms_dw_bytes(struct ms_dw *w, const void *p, size_t n)
{
    put(w, p, n);
}

void ms_dw_strn(struct ms_dw *w, const void *s, size_t n)
{
    ms_dw_u32(w, (uint32_t)n);
    put(w, s, n);
}

void ms_dw_str(struct ms_dw *w, const char *s)
{
    ms_dw_strn(w, s, strlen(s));
}

size_t ms_dw_room(const struct ms_dw *w)
{
    size_t used = w->len - w->rec_start - MS_DUMP_REC_HEAD;
    return used >= REC_BUDGET ? 0 : REC_BUDGET - used;
}

void ms_dw_rec_end(struct ms_dw *w)
{
    if (w->err)
        return;
    uint32_t len = (uint32_t)(w->len - w->rec_start - MS_DUMP_REC_HEAD);
    memcpy(w->buf + w->rec_start + 4, &len, 4);
    uint32_t crc = ms_crc32(0, w->buf + w->rec_start, w->len - w->rec_start);
    put(w, &crc, 4);
    w->records++;
    w->rec_start = w->len;
}

int ms_dw_close(struct ms_dw *w)
{
    ms_dw_rec_begin(w, MS_REC_END);
    ms_dw_u32(w, w->records);
    ms_dw_rec_end(w);
    flush(w);
    int err = w->err;
    int cerr = ms_fd_close(&w->f);
    if (!err)
        err = cerr;
    if (!err && rename(w->tmp, w->final) != 0)
        err = errno;
    if (err)
        unlink(w->tmp);
    return err;
}
