/*
 * own_fd.h — descriptors of the shim's own (own_fd.c says why and how):
 * a private descriptor table for the helper thread, and elsewhere high,
 * identity-checked numbers the shim never writes to or closes once the
 * program has taken them over.
 */
#ifndef MS_OWN_FD_H
#define MS_OWN_FD_H

#include <stdbool.h>
#include <sys/types.h>

struct ms_fd {
    int fd; /* -1: none */
    dev_t dev;
    ino_t ino;
};

/* Give the calling thread a descriptor table of its own, empty (helper
 * thread); false when refused (a seccomp filter), and nothing changed. */
bool ms_fd_make_private(void);
/* Does the calling thread have one? */
bool ms_fd_private(void);

/* open(2) for the shim (O_CLOEXEC added); 0 or an errno value. */
int ms_fd_open(struct ms_fd *f, const char *path, int flags, mode_t mode);
/* Is f still the file the shim opened (not replaced by the program)? */
bool ms_fd_intact(const struct ms_fd *f);
/* Close f if it is still the shim's; 0, EBADF when the program had taken
 * the number over (left to the program), or close's errno. */
int ms_fd_close(struct ms_fd *f);

/* pipe2(O_CLOEXEC) with both ends out of the low numbers; 0 or errno. */
int ms_fd_pipe(int fds[2]);

/* A descriptor of the shim's own on the program's descriptor fd (through
 * /proc/self/fd, so it works from a private table too), or -1. */
int ms_fd_open_program(int fd, int flags);

#endif
