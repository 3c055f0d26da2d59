/*
 * own_fd.c — the shim's descriptors, kept out of the program's way.
 *
 * The shim opens files now and then (a dump, a note, an ELF file to read
 * its unwind tables, a /proc file), and a descriptor number is a name in
 * a table the program owns.  open(2) hands out the lowest free number, and
 * programs rely on knowing which numbers are free: Python's own
 * test_subprocess closes 0, 1 and 2, runs a child, and puts them back with
 * dup2; a daemon closes every number and opens its sockets.  Seen in CI:
 * the helper thread wrote an interval snapshot while the test had closed
 * fd 0, so the dump was opened as fd 0; the test's dup2 onto 0 silently
 * replaced it, the rest of the dump went to the program's stdin, and the
 * shim's close(0) closed the program's restored stdin (EBADF in the test).
 * A fork of the program while a dump is open also copies the descriptor
 * into a child that may never exec (a prefork worker keeps it for life).
 *
 * Two layers, so that no code path depends on luck:
 *  1. The helper thread (helper.c), which writes every interval, trigger
 *     and signal snapshot, gives itself a descriptor table of its own with
 *     unshare(CLONE_FILES) and closes its copies of the program's
 *     descriptors at once (a copy would keep a socket or a pipe open after
 *     the program closed it: a peer would never see EOF).  Its files are
 *     then invisible to the program: no number is taken, /proc/PID/fd does
 *     not list them, no fork copies them.
 *  2. Everywhere else (the exit dump, written by the exiting thread; reads
 *     on program threads; a helper whose unshare is refused by a seccomp
 *     filter) a descriptor is moved at once to a high number
 *     (F_DUPFD_CLOEXEC, near the lower of the soft RLIMIT_NOFILE and 4096:
 *     the kernel sizes the table to the highest number in use, so no
 *     higher), and its identity (device, inode) is recorded.  Before
 *     every write of a dump and before the close, the identity is checked:
 *     a descriptor the program took over (dup2 onto it, close_range) is
 *     never written to or closed by the shim; the dump is abandoned with a
 *     complaint instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "own_fd.h"

/* High numbers start this far below the cap. */
#define HIGH_SPAN 64
#define HIGH_CAP  4096

static __thread bool private_table __attribute__((tls_model("initial-exec")));

bool ms_fd_private(void)
{
    return private_table;
}

bool ms_fd_make_private(void)
{
    if (private_table)
        return true;
    if (unshare(CLONE_FILES) != 0)
        return false;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 0u, ~0u, 0u) == 0) {
        private_table = true;
        return true;
    }
#endif
    struct rlimit rl;
    rlim_t top = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (top > (1u << 20))
        top = 1u << 20;
    for (rlim_t fd = 0; fd < top; fd++)
        close((int)fd);
    private_table = true;
    return true;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A number out of the low range, or -1 when none is free there. */
static int move_high(int lo)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rlim_t cap = rl.rlim_cur < HIGH_CAP ? rl.rlim_cur : HIGH_CAP;
    if (cap <= 2 * HIGH_SPAN || (rlim_t)lo >= cap - HIGH_SPAN)
        return -1;
    return fcntl(lo, F_DUPFD_CLOEXEC, (int)(cap - HIGH_SPAN));
}

int ms_fd_open(struct ms_fd *f, const char *path, int flags, mode_t mode)
{
    f->fd = -1;
    int lo = open(path, flags | O_CLOEXEC, mode);
    if (lo < 0)
        return errno;
    if (private_table) { /* nobody else uses this table: nothing to check */
        f->fd = lo;
        return 0;
    }
    struct stat st;
    int fd = move_high(lo);
    if (fstat(fd >= 0 ? fd : lo, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return e; /* lo is left alone: it may no longer be ours */
    }
    /* Between open and the move the program may have put a descriptor of
     * its own on lo (dup2 onto a number it saw free): the path tells. */
    struct stat by_path;
    int r = (flags & O_NOFOLLOW) ? lstat(path, &by_path) : stat(path, &by_path);
    if (r == 0 && !same_file(&st, &by_path)) {
        if (fd >= 0)
            close(fd); /* a copy of the program's descriptor, ours to drop */
        return EBADF;
    }
    if (fd >= 0)
        close(lo);
    else
        fd = lo;
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return 0;
}

bool ms_fd_intact(const struct ms_fd *f)
{
    if (f->fd < 0)
        return false;
    if (private_table)
        return true;
    struct stat st;
    return fstat(f->fd, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino;
}

int ms_fd_close(struct ms_fd *f)
{
    int rc = 0;
    if (ms_fd_intact(f)) {
        if (close(f->fd) != 0 && errno != EINTR)
            rc = errno;
    } else if (f->fd >= 0) {
        rc = EBADF;
    }
    f->fd = -1;
    return rc;
}

int ms_fd_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return errno;
    if (private_table)
        return 0;
    /* No path to check a pipe's identity against: the move alone keeps it
     * out of the low numbers after the instant of its creation. */
    for (int i = 0; i < 2; i++) {
        int hi = move_high(fds[i]);
        if (hi >= 0) {
            close(fds[i]);
            fds[i] = hi;
        }
    }
    return 0;
}

int ms_fd_open_program(int fd, int flags)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct ms_fd f;
    if (ms_fd_open(&f, path, flags, 0) != 0)
        return -1;
    return f.fd;
}
