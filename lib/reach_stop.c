/*
 * reach_stop.c — stop the program's other threads and take their registers.
 *
 * A pointer may live only in another thread's registers (or in a stack
 * slot below what the thread has written since).  A forked copy of the
 * process has the memory of every thread but the registers of the forking
 * thread only, and a thread cannot ptrace its own siblings.  So, as
 * LeakSanitizer does, a child process (this code, started by reach.c)
 * attaches to every other thread with PTRACE_SEIZE, stops it with
 * PTRACE_INTERRUPT, reads its general registers (PTRACE_GETREGSET), and
 * tells the parent, which then forks the scanner: the scanner's memory and
 * these registers are of the same instant.  The parent then lets the
 * stopper detach.  Threads created while the stopper works are found by
 * listing /proc/PID/task again until nothing new appears.
 *
 * A stop may intercept a signal on its way to a thread
 * (signal-delivery-stop); that signal is given back at detach, so the
 * program sees it as before.  Syscalls the stop interrupted are restarted
 * by the kernel.  When ptrace is refused (Yama, seccomp, no permission, a
 * debugger already attached), the state says so and the scan runs without
 * other threads' registers (reach.c says what that changes).
 *
 * Only raw system calls here: the child is a copy of a process whose other
 * threads may hold any lock.  It runs with every signal blocked (reach.c's
 * raw_fork): as the tracer it gets a SIGCHLD for every stop, and the
 * program's SIGCHLD handler, inherited, would reap those stops with its
 * waitpid(-1) before stop_one's wait4 could.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reach.h"

#ifndef PTRACE_SEIZE
#define PTRACE_SEIZE 0x4206
#endif
#ifndef PTRACE_INTERRUPT
#define PTRACE_INTERRUPT 0x4207
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* Index of the stack pointer in the NT_PRSTATUS register set. */
#if defined(__x86_64__)
#define SP_INDEX 19 /* struct user_regs_struct: ..., rip, cs, eflags, rsp */
#elif defined(__aarch64__)
#define SP_INDEX 31 /* struct user_pt_regs: regs[31], sp */
#else
#define SP_INDEX (-1)
#endif

static bool known(const struct ms_rstop *st, int tid)
{
    for (uint32_t i = 0; i < st->n; i++)
        if (st->th[i].tid == tid)
            return true;
    return false;
}

/* Attach to and stop one thread; false when it is gone or refused (*err). */
static bool stop_one(int tid, struct ms_rthread *t, int *err)
{
    if (syscall(SYS_ptrace, PTRACE_SEIZE, tid, 0, 0) != 0) {
        if (errno != ESRCH)
            *err = errno;
        return false;
    }
    if (syscall(SYS_ptrace, PTRACE_INTERRUPT, tid, 0, 0) != 0) {
        syscall(SYS_ptrace, PTRACE_DETACH, tid, 0, 0);
        return false;
    }
    int status;
    for (;;) {
        pid_t r = (pid_t)syscall(SYS_wait4, tid, &status, __WALL, NULL);
        if (r == tid)
            break;
        if (r < 0 && errno != EINTR)
            return false;
    }
    if (!WIFSTOPPED(status))
        return false; /* it exited meanwhile */
    t->tid = tid;
    t->signal = (status >> 16) == 0 ? WSTOPSIG(status) : 0;
    if (t->signal == SIGTRAP || t->signal == SIGSTOP)
        t->signal = 0; /* ptrace's own stops */
    struct iovec io = {t->regs, sizeof t->regs};
    t->nregs = 0;
    t->sp = 0;
    if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) == 0) {
        t->nregs = (uint32_t)(io.iov_len / sizeof(uintptr_t));
        if (SP_INDEX >= 0 && (uint32_t)SP_INDEX < t->nregs)
            t->sp = t->regs[SP_INDEX];
    }
    return true;
}

/* One pass over /proc/PID/task: stop the threads not yet stopped.  Returns
 * how many were new. */
static unsigned sweep(int pid, int skip_tid, int own_tid, struct ms_rstop *st, int *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        return 0;
    }
    unsigned fresh = 0;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            int tid = 0;
            for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++)
                tid = tid * 10 + (*c - '0');
            if (tid <= 0 || tid == skip_tid || tid == own_tid || known(st, tid))
                continue;
            if (st->n == st->max) {
                *err = EOVERFLOW;
                continue;
            }
            if (stop_one(tid, &st->th[st->n], err)) {
                st->n++;
                fresh++;
            }
        }
    }
    close(fd);
    return fresh;
}

void ms_reach_stopper(int pid, int skip_tid, int own_tid, struct ms_rstop *st, int done_fd,
                      int go_fd)
{
    char c = 0;
    int err = 0;
    /* Wait until the parent has allowed us to trace it (Yama). */
    while (read(go_fd, &c, 1) < 0 && errno == EINTR) {
    }
    st->n = 0;
    for (int round = 0; round < 64 && !err; round++)
        if (!sweep(pid, skip_tid, own_tid, st, &err) && round > 0)
            break;
    atomic_store(&st->state, err ? -err : 1);
    while (write(done_fd, "s", 1) < 0 && errno == EINTR) {
    }
    while (read(go_fd, &c, 1) < 0 && errno == EINTR) {
    }
    for (uint32_t i = 0; i < st->n; i++)
        syscall(SYS_ptrace, PTRACE_DETACH, st->th[i].tid, 0, st->th[i].signal);
    for (;;)
        syscall(SYS_exit_group, 0);
}
