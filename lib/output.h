/*
 * output.h — where this process's dumps go, also after a privilege drop (output.c).
 */
#ifndef MS_OUTPUT_H
#define MS_OUTPUT_H

#include <sys/types.h>

#pragma GCC visibility push(hidden)

/* Where this process's dumps go: the configured prefix, or, when the
 * process cannot create files in its directory (it dropped privileges),
 * the per-user directory prepared for it (output.c).  At start-up. */
void ms_output_init(void);
/* The process is about to take the effective uid `uid`: while still
 * privileged, prepare a directory it can write its dumps in. */
void ms_output_prepare_uid(uid_t uid);
/* The effective uid changed: write to the place prepared for it. */
void ms_output_after_uid_change(void);

#pragma GCC visibility pop

#endif /* MS_OUTPUT_H */
