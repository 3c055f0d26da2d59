/*
 * start.c — start-up: ms_start calls every module's initialisation (the
 * shim's leaf state is in state.c, its way to complain in complain.c).
 *
 * ms_start runs in whichever comes first, the program's first allocation or
 * the library constructor (lifecycle.c).  It only does what is safe inside
 * any malloc call: find the real allocator, read the environment, map the
 * books.  Until it has finished, calls pass straight through (uncounted).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "books.h"
#include "bootstrap.h"
#include "complain.h"
#include "exec_env.h"
#include "guard.h"
#include "lifecycle.h"
#include "notes.h"
#include "output.h"
#include "sampler.h"
#include "shim_base.h"
#include "shim_config.h"
#include "stack_table.h"
#include "timeline.h"
#include "unwind.h"

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
    ms_complain_init();
    ms_real_resolve();
    ms_config_load(&ms_cfg, env, complain_line);
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        ms_config_resolve(&ms_cfg, cwd);
    ms_notes_init();
    ms_output_init();
    ms_start_unix_ns = ms_clock_ns(CLOCK_REALTIME);
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
