/*
 * read_full.h — read a file descriptor until a buffer is full, for the probe
 * (Go binaries, goelf.c) and the report (dumps, dump_read.c) alike.
 */
#ifndef MS_READ_FULL_H
#define MS_READ_FULL_H

#include <stddef.h>

/* Read up to len bytes from fd into buf, going on after short reads and EINTR, until
 * len, end of file or an error; returns how many bytes were read (errno tells an
 * error from end of file when it is less than len). */
size_t ms_read_full(int fd, void *buf, size_t len);

#endif /* MS_READ_FULL_H */
