/*
 * unwind_lu_fds.c — libunwind without descriptors.
 *
 * libunwind (1.6 and still today) opens a pipe when it initialises, keeps
 * it for the life of the process, and uses it to check that an address is
 * readable before an unwind step it does not trust (a frame without unwind
 * information, a guessed frame): it read(2)s one byte from its read end
 * and write(2)s the byte at the address into its write end.  Inside a
 * profiled program that is two descriptors the program never opened (a
 * child sees them through fork+exec of pass_fds, `ls /proc/self/fd` shows
 * them), and a daemon that closes every inherited descriptor and opens its
 * own sockets gets those numbers back: libunwind would then read a byte of
 * the program's incoming data and write a byte of memory to the program's
 * peer.  A pipe made "later" or closed "after" does not help: libunwind
 * keeps the numbers and reopens a pipe when a read fails.
 *
 * So libunwind's own imports are redirected (imports.c): its pipe2 makes
 * no pipe (both ends -1); a read from a negative descriptor answers "empty
 * pipe" (EAGAIN, which libunwind takes as healthy, so it never reopens);
 * and the write of one byte to a negative descriptor, by write(2) or
 * syscall(SYS_write), becomes process_vm_readv of that byte from our own
 * process, which tells readable from unreadable memory exactly as the pipe
 * did (EFAULT), without a descriptor.  Every other call is passed on
 * unchanged (libunwind also reads files and /proc/self/maps).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "imports.h"
#include "stacks.h"

/* Is the byte at addr readable?  Returns 1 (the byte count a write of it
 * would return) or -1 with errno set, like the pipe write it replaces. */
static ssize_t probe(const void *addr)
{
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)addr, 1};
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    return n == 1 ? 1 : -1;
}

static int lu_pipe2(int fds[2], int flags)
{
    (void)flags;
    fds[0] = fds[1] = -1;
    return 0;
}

static int lu_pipe(int fds[2])
{
    return lu_pipe2(fds, 0);
}

static ssize_t lu_read(int fd, void *buf, size_t n)
{
    if (fd < 0) {
        errno = EAGAIN;
        return -1;
    }
    return read(fd, buf, n);
}

static ssize_t lu_write(int fd, const void *buf, size_t n)
{
    if (fd < 0 && n == 1)
        return probe(buf);
    return write(fd, buf, n);
}

static long lu_syscall(long nr, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, nr);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_write && (int)a[0] < 0 && a[2] == 1)
        return probe((const void *)a[1]);
    return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

unsigned ms_unwind_lu_no_fds(void *handle)
{
    static const struct ms_import subs[] = {
        {"pipe2", (void *)lu_pipe2}, {"pipe", (void *)lu_pipe},       {"read", (void *)lu_read},
        {"write", (void *)lu_write}, {"syscall", (void *)lu_syscall},
    };
    return ms_imports_redirect(handle, subs, sizeof subs / sizeof subs[0]);
}
