/*
 * complain.c — the shim's one way to complain: once per problem, in a note
 * for `mapscope run` (format/notes_format.h) or on the program's stderr
 * while it is still the file it was at start-up.
 *
 * Leaf code: every module may complain, so this calls nothing of theirs
 * but the notes and the descriptor helpers.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "complain.h"
#include "notes.h"
#include "own_fd.h"

static _Atomic unsigned char said[MS_ONCE_KEYS];

/* What descriptor 2 was when the shim started.  A daemon may close it and
 * get the number back for a socket or a data file: a complaint is written
 * only while 2 is still the file it was, never into one the shim does not
 * know. */
static dev_t err_dev;
static ino_t err_ino;
static bool err_known;

void ms_complain_init(void)
{
    struct stat st;
    err_known = fstat(2, &st) == 0;
    err_dev = st.st_dev;
    err_ino = st.st_ino;
}

/* Is fd the file descriptor 2 was at start-up? */
static bool is_first_stderr(int fd)
{
    struct stat st;
    return err_known && fstat(fd, &st) == 0 && st.st_dev == err_dev && st.st_ino == err_ino;
}

static bool stderr_unchanged(void)
{
    return is_first_stderr(2);
}

/* A complaint of the helper thread that /proc could not deliver (a socket,
 * e.g. systemd's journal stream, cannot be reopened): it waits here for a
 * program thread's periodic work (ms_complain_flush).  One slot, used once:
 * the first such complaint is the cause. */
enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_DONE };
static char pending[1024];
static size_t pending_len;
static _Atomic int pending_state;

void ms_complain_flush(void)
{
    int ready = SLOT_READY;
    if (atomic_load_explicit(&pending_state, memory_order_relaxed) != SLOT_READY ||
        ms_fd_private() || !atomic_compare_exchange_strong(&pending_state, &ready, SLOT_DONE))
        return;
    if (stderr_unchanged())
        (void)!write(2, pending, pending_len);
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
        if (fd >= 0 && is_first_stderr(fd))
            (void)!write(fd, line, (size_t)n);
        else if (fd < 0) {
            int free_slot = SLOT_FREE;
            if (atomic_compare_exchange_strong(&pending_state, &free_slot, SLOT_FILLING)) {
                memcpy(pending, line, (size_t)n);
                pending_len = (size_t)n;
                atomic_store(&pending_state, SLOT_READY);
            }
        }
        if (fd >= 0)
            close(fd);
    } else if (stderr_unchanged()) {
        (void)!write(2, line, (size_t)n);
    }
}
