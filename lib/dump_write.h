/*
 * dump_write.h — the record encoder and safe file output (dump_write.c).
 */
#ifndef MS_DUMP_WRITE_H
#define MS_DUMP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct ms_dw; /* a dump being written */
struct ms_dw *ms_dw_open(const char *final_path);
void ms_dw_rec_begin(struct ms_dw *w, unsigned type);
void ms_dw_u16(struct ms_dw *w, uint16_t v);
void ms_dw_u32(struct ms_dw *w, uint32_t v);
void ms_dw_u64(struct ms_dw *w, uint64_t v);
void ms_dw_bytes(struct ms_dw *w, const void *p, size_t n);
void ms_dw_str(struct ms_dw *w, const char *s);
void ms_dw_strn(struct ms_dw *w, const void *s, size_t n);
void ms_dw_rec_end(struct ms_dw *w);
/* Room left in the current record, so callers can split long tables. */
size_t ms_dw_room(const struct ms_dw *w);
/* Write END, flush, rename into place.  Returns 0, or an errno value (the
 * first error met; the temporary file is removed). */
int ms_dw_close(struct ms_dw *w);

#pragma GCC visibility pop

#endif /* MS_DUMP_WRITE_H */
