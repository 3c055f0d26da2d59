/*
 * modules.h — loaded objects for offline symbolization (modules.c).
 */
#ifndef MS_MODULES_H
#define MS_MODULES_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct ms_dw; /* a dump being written (dump_write.h) */

void ms_modules_write(struct ms_dw *w);
/* The GNU build-id of a loaded object, from its PT_NOTE segment in memory
 * (*id = NULL when it has none). */
struct dl_phdr_info;
void ms_build_id(const struct dl_phdr_info *info, const unsigned char **id, size_t *len);
/* The program's path (/proc/self/exe's link) in buf, NUL-terminated; its
 * length, 0 (and "") when the kernel does not say. */
size_t ms_exe_path(char *buf, size_t size);
/* Lowest and highest runtime address of its PT_LOAD segments (hi = 0: none). */
void ms_object_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);

#pragma GCC visibility pop

#endif /* MS_MODULES_H */
