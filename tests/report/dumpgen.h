/*
 * dumpgen.h — builds mapscope dump files for tests, without the shim:
 * well-formed ones in the format of format/dump_format.h, and damaged ones
 * (truncated, flipped bytes, lying lengths) for the reader's error paths
 * and the fuzz corpus.
 */
#ifndef MS_DUMPGEN_H
#define MS_DUMPGEN_H

#include <stddef.h>
#include <stdint.h>

struct dg {
    unsigned char *buf;
    size_t len, cap;
    uint32_t records;
    /* current record */
    size_t rec_start;
};

void dg_init(struct dg *g); /* writes the header */
void dg_begin(struct dg *g, uint16_t type);
void dg_u32(struct dg *g, uint32_t v);
void dg_u64(struct dg *g, uint64_t v);
void dg_str(struct dg *g, const char *s);
void dg_bytes(struct dg *g, const void *b, uint32_t n);
void dg_raw(struct dg *g, const void *p, size_t n); /* bytes as they are */
void dg_end(struct dg *g);                          /* closes the record: length, CRC */
void dg_finish(struct dg *g);                       /* the END record */
int dg_write(const struct dg *g, const char *path);
void dg_free(struct dg *g);

/* Convenience records. */
void dg_process(struct dg *g, uint32_t pid, uint32_t ppid, uint64_t start_ns, uint64_t dump_ns,
                uint32_t reason, uint32_t seq, const char *exe, const char *cmdline);
void dg_stack(struct dg *g, uint32_t id, const uint64_t *frames, uint32_t n);
void dg_stats(struct dg *g, uint32_t id, const uint64_t *fields, uint32_t n);
void dg_nv(struct dg *g, uint16_t type, const char *const *names, const uint64_t *values,
           uint32_t n);

#endif
