/*
 * linger.h — blocks alive past the threshold, by stack (linger.c).
 */
#ifndef MS_LINGER_H
#define MS_LINGER_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

struct ms_dw; /* a dump being written (dump_write.h) */

#define MS_LINGER_BINS 8
void ms_linger_write(struct ms_dw *w, uint64_t now_mono_ns);

#pragma GCC visibility pop

#endif /* MS_LINGER_H */
