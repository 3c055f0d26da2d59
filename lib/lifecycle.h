/*
 * lifecycle.h — start-up, the exit dump, whose books these are (lifecycle.c, start.c).
 */
#ifndef MS_LIFECYCLE_H
#define MS_LIFECYCLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

enum ms_state {
    MS_STATE_OFF = 0,  /* not started */
    MS_STATE_STARTING, /* ms_start running */
    MS_STATE_LIVE,     /* recording */
    MS_STATE_DISABLED, /* start-up failed: pass everything through */
};
extern _Atomic int ms_state;
extern uint64_t ms_start_unix_ns, ms_start_mono_ns;

/* getenv that never calls the program's own getenv. */
const char *ms_env_get(const char *name);

/* Start recording (idempotent).  Called from the first hook and from the
 * library constructor. */
void ms_start(void);
/* _exit/_Exit: write the exit dump when it is safe (lifecycle.c), then
 * leave. */
__attribute__((noreturn)) void ms_exit_now(int status);
/* Is the caller the process the books belong to (false in a child of
 * vfork or of a raw clone, which shares its parent's memory)? */
bool ms_own_books(void);

#pragma GCC visibility pop

#endif /* MS_LIFECYCLE_H */
