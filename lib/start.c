/*
 * start.c — the shim's state, start-up, and its one way to complain (on
 * stderr, or in a note for `mapscope run`: format/notes_format.h).
 *
 * ms_start runs in whichever comes first, the program's first allocation or
 * the library constructor (lifecycle.c).  It only does what is safe inside
 * any malloc call: find the real allocator, read the environment, map the
 * books.  Until it has finished, calls pass straight through (uncounted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#include "guard.h"
#include "own_fd.h"
#include "unwind.h"
#include "books.h"
#include "bootstrap.h"
#include "complain.h"
#include "exec_env.h"
#include "lifecycle.h"
#include "notes.h"
#include "output.h"
#include "sampler.h"
#include "shim_base.h"
#include "shim_config.h"
#include "stack_table.h"
#include "timeline.h"

__thread struct ms_thread ms_self __attribute__((tls_model("initial-exec")));
_Atomic int ms_state;
uint64_t ms_start_unix_ns, ms_start_mono_ns;

static _Atomic unsigned char said[MS_ONCE_KEYS];

/* What descriptor 2 was when the shim started.  A daemon may close it and
 * get the number back for a socket or a data file: a complaint is written
 * only while 2 is still the file it was, never into one the shim does not
 * know. */
static dev_t err_dev;
static ino_t err_ino;
static bool err_known;

static void remember_stderr(void)
{
    struct stat st;
    err_known = fstat(2, &st) == 0;
    err_dev = st.st_dev;
    err_ino = st.st_ino;
}

static bool stderr_unchanged(void)
{
    struct stat st;
    return err_known && fstat(2, &st) == 0 && st.st_dev == err_dev && st.st_ino == err_ino;
}

void ms_complain_once(int key, const char *fmt, ...)
{
    if (atomic_exchange(&said[key], 1))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n <= 0)
        return;
    /* Under `mapscope run` the complaint is run's to print: the program's
     * stderr may be a log, or a pipe another process reads as data. */
    if (ms_notes_on()) {
        ms_note_error(line, (size_t)n);
    } else if (ms_fd_private()) {
        /* The helper thread's own table has no stderr: reach the
         * program's through /proc, if it is still the one we started with. */
        int fd = ms_fd_open_program(2, O_WRONLY | O_APPEND | O_NOCTTY);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && err_known && st.st_dev == err_dev &&
            st.st_ino == err_ino)
            (void)!write(fd, line, (size_t)n);
        if (fd >= 0)
            close(fd);
    } else if (stderr_unchanged()) {
        (void)!write(2, line, (size_t)n);
    }
}

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

static const char *env(const char *name)
{
    return ms_env_get(name);
}

static void complain_line(const char *line)
{
    (void)!write(2, line, strlen(line));
}

void ms_start(void)
{
    int expect = MS_STATE_OFF;
    if (!atomic_compare_exchange_strong(&ms_state, &expect, MS_STATE_STARTING))
        return;
    int saved = errno;
    ms_guard_enter();
    remember_stderr();
    ms_real_resolve();
    ms_config_load(&ms_cfg, env, complain_line);
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        ms_config_resolve(&ms_cfg, cwd);
    ms_notes_init();
    ms_output_init();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ms_start_unix_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    ms_start_mono_ns = ms_coarse_ns();
    ms_sampler_init(ms_cfg.sample_bytes);
    int st = MS_STATE_LIVE;
    if (ms_stack_table_init(ms_cfg.max_stacks) != 0 || ms_books_init() != 0 ||
        ms_unwind_dwarf_init() != 0 || ms_stack_cache_init() != 0 ||
        (ms_cfg.sample_bytes && ms_filter_init() != 0) ||
        ms_timeline_init(ms_cfg.timeline_ns) != 0) {
        complain_line("mapscope: cannot map memory for the books; profiling is off\n");
        st = MS_STATE_DISABLED;
    }
    if (st == MS_STATE_LIVE && !ms_cfg.follow_children)
        ms_exec_env_unfollow();
    ms_guard_leave();
    atomic_store(&ms_state, st);
    errno = saved;
}
