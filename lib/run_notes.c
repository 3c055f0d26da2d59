/*
 * run_notes.c — the shim's side of the notes `mapscope run` reads
 * (format/notes_format.h has the contract): "this process started", and its
 * complaints.
 *
 * Only when MAPSCOPE_NOTES names a directory (run sets it; with LD_PRELOAD
 * set by hand complaints go to stderr as before).  No stdio and no malloc:
 * notes are written from the fork handler and from _exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "lifecycle.h"
#include "modules.h"
#include "notes.h"
#include "notes_format.h"
#include "own_fd.h"

static char notes_dir[PATH_MAX];

void ms_notes_init(void)
{
    const char *d = ms_env_get(MS_NOTES_ENV);
    if (d && d[0] == '/' && strlen(d) < sizeof notes_dir - 32)
        strcpy(notes_dir, d);
}

bool ms_notes_on(void)
{
    return notes_dir[0] != '\0';
}

/* replace: a later image of the process (exec) names itself; otherwise
 * the first note of a kind wins (the first complaint is the cause). */
static void note(const char *kind, const char *text, size_t len, bool replace)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%d.%s", notes_dir, (int)getpid(), kind);
    int saved = errno;
    struct ms_fd f;
    if (ms_fd_open(&f, path, O_WRONLY | O_CREAT | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL),
                   0600) == 0) {
        if (ms_fd_intact(&f))
            (void)!write(f.fd, text, len);
        ms_fd_close(&f);
    }
    errno = saved;
}

void ms_note_start(void)
{
    if (!ms_notes_on())
        return;
    char line[PATH_MAX + 32], exe[PATH_MAX];
    ms_exe_path(exe, sizeof exe);
    int len = snprintf(line, sizeof line, "%d %s\n", (int)getppid(), exe);
    note(MS_NOTE_START, line, len > 0 && (size_t)len < sizeof line ? (size_t)len : 0, true);
}

void ms_note_error(const char *line, size_t len)
{
    note(MS_NOTE_ERROR, line, len, false);
}
