/*
 * read_full.c — read(2) until the buffer is full (see read_full.h).
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "read_full.h"

size_t ms_read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue; /* a signal (the tools catch SIGINT) is not the end of the file */
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}
