/*
 * state.c — the shim's leaf state: the per-thread block (guard.h), the
 * lifecycle state and start times (lifecycle.h), and the environment read
 * without the program's getenv.  Defined apart from start-up (start.c),
 * which calls every module, so that what every module reads depends on
 * nothing.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guard.h"
#include "lifecycle.h"

__thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));
_Atomic int ms_state;
uint64_t ms_start_unix_ns, ms_start_mono_ns;

/* getenv without getenv: the program may define its own (bash does, and
 * its version does not work before bash's main), and the executable's
 * definition would be the one called. */
const char *ms_env_get(const char *name)
{
    extern char **environ;
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}
