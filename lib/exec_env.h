/*
 * exec_env.h — exec'd children unprofiled unless asked (exec_env.c).
 */
#ifndef MS_EXEC_ENV_H
#define MS_EXEC_ENV_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/* Remove this library from LD_PRELOAD so exec'd children run unprofiled. */
void ms_exec_env_unfollow(void);
/* Remove entries naming `self` from an LD_PRELOAD value (space or colon
 * separated) into out; exposed for tests. */
void ms_preload_without(const char *value, const char *self, char *out, size_t outsz);

#pragma GCC visibility pop

#endif /* MS_EXEC_ENV_H */
