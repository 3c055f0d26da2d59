/*
 * lifecycle.c — start-up, warm-up, the exit dump and fork.
 *
 * Start-up happens in two steps.  ms_start (start.c) runs in whichever
 * comes first, the program's first allocation or the library constructor.
 * Everything that may take the loader's lock or start a thread (loading libunwind, warming the
 * unwinder, the helper thread, the signal handler, pthread_atfork) waits for the constructor, which
 * runs after libc is initialised and outside any malloc.
 *
 * The exit dump is written by the library destructor, which runs after
 * the program's own destructors and atexit handlers (so their frees are
 * counted) and before libc's.  Other threads may still allocate then: the
 * books stay valid after the dump, forever.  A process that leaves with
 * _exit or _Exit skips destructors, and some do so every time (dash, the
 * /bin/sh that runs make's recipes, ends with _exit): the shim interposes
 * them (interpose.c) and writes the exit dump there, except where that
 * could hurt: in a child made by vfork or a raw clone (it shares the
 * parent's memory; recognised by a pid that no fork handler recorded), or
 * when _exit is called from a signal handler that interrupted the shim on
 * the same thread (its locks may be held).  abort and fatal signals skip
 * the dump; interval snapshots are the safety net.
 *
 * fork: the prepare handler takes every lock of the shim, in one order, so
 * the child gets consistent books; the child reinitialises the locks,
 * starts its own helper thread, and will write its own dumps under its own
 * pid.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "books.h"
#include "cfi.h"
#include "dump_format.h"
#include "guard.h"
#include "helper.h"
#include "inherit.h"
#include "lifecycle.h"
#include "notes.h"
#include "privdrop.h"
#include "reach_dump.h"
#include "sampler.h"
#include "shim_config.h"
#include "snapshot.h"
#include "stack_table.h"
#include "stacks.h"
#include "trigger.h"
#include "unwind.h"

void ms_timeline_lock(void);
void ms_timeline_unlock(void);
void ms_timeline_reinit_lock(void);
void ms_stack_cache_lock(void);
void ms_stack_cache_unlock(void);

/* The pid the books belong to: set at start and in each fork child (fork
 * runs the handlers below; vfork and clone do not). */
static _Atomic int books_pid;
static void (*real_exit)(int);

bool ms_own_books(void)
{
    return atomic_load(&books_pid) == getpid();
}

static void fork_prepare(void)
{
    ms_guard_enter();
    ms_cfi_lock();
    ms_snapshot_lock();
    ms_filter_lock();
    ms_timeline_lock();
    ms_stack_cache_lock();
    ms_stack_table_lock_all();
    ms_books_lock_all();
}

static void fork_parent(void)
{
    ms_books_unlock_all();
    ms_stack_table_unlock_all();
    ms_stack_cache_unlock();
    ms_timeline_unlock();
    ms_filter_unlock();
    ms_snapshot_unlock();
    ms_cfi_unlock();
    ms_guard_leave();
}

static void fork_child(void)
{
    atomic_store(&books_pid, getpid());
    ms_books_reinit_locks();
    ms_stack_table_reinit_locks();
    ms_stack_cache_after_fork_child();
    ms_timeline_reinit_lock();
    ms_snapshot_reinit_after_fork();
    ms_inherit_after_fork_child(); /* the parent's blocks stay the parent's */
    ms_helper_after_fork_child();
    ms_note_start();
    ms_filter_unlock();
    ms_cfi_unlock();
    ms_guard_leave();
}

__attribute__((constructor)) static void ms_ctor(void)
{
    ms_start();
    if (atomic_load(&ms_state) != MS_STATE_LIVE)
        return;
    ms_guard_enter();
    atomic_store(&books_pid, getpid());
    ms_note_start();
    ms_privdrop_resolve();
    *(void **)&real_exit = dlsym(RTLD_NEXT, "_exit");
    ms_stacks_warm_up();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (ms_cfg.signal)
        ms_signal_install(ms_cfg.signal);
    ms_trigger_init();
    /* A thread only when something needs a clock of its own (helper.c). */
    if (ms_cfg.interval_ns || ms_cfg.trigger[0] || ms_cfg.signal)
        ms_helper_start();
    ms_guard_leave();
}

static _Atomic int exit_dumped;

__attribute__((destructor)) static void ms_dtor(void)
{
    MS_REACH_ENTRY();
    if (atomic_load(&ms_state) != MS_STATE_LIVE || atomic_exchange(&exit_dumped, 1))
        return;
    ms_snapshot(MS_DUMP_AT_EXIT);
}

void ms_exit_now(int status)
{
    MS_REACH_ENTRY();
    if (atomic_load(&ms_state) == MS_STATE_LIVE && !ms_guarded() &&
        atomic_load(&books_pid) == getpid() && !atomic_exchange(&exit_dumped, 1))
        ms_snapshot(MS_DUMP_AT_EXIT);
    if (real_exit)
        real_exit(status);
    for (;;)
        syscall(SYS_exit_group, status);
}
