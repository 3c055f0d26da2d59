/*
 * run_notes.c — `mapscope run`'s side of the notes the shim leaves
 * (format/notes_format.h has the contract): which processes of the tree started
 * under the shim, and which of them left no exit dump, and why.
 *
 * A process of the tree can miss its dump for reasons only it knows (it
 * dropped privileges and could not create the file, the disk was full) or
 * that nobody can tell it (SIGKILL, abort, exec of a program that is not
 * followed).  Its own complaint would go to its stderr, which is often a
 * service's log or nothing at all; so the shim writes it into the notes
 * directory and run prints it here, on run's own stderr, with the pid and
 * the program.  The directory's contents are untrusted (any local user
 * can add a file to a mode-1733 directory): only regular files are read,
 * at most MS_NOTE_MAX bytes of each, and unprintable bytes are shown as
 * '?'.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notes_format.h"
#include "run_notes.h"
#include "util.h"

char *ms_notes_make(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = ms_xasprintf("%s/mapscope-run.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    /* Root's children may drop privileges and must still leave notes. */
    if (geteuid() == 0)
        chmod(dir, 01733);
    return dir;
}

/* One note's text (first line, printable), or NULL. */
static char *read_note(const char *dir, const char *name)
{
    char *path = ms_xasprintf("%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    free(path);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    char buf[MS_NOTE_MAX + 1];
    ssize_t n = read(fd, buf, MS_NOTE_MAX);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            *p = '?';
    return ms_xstrdup(buf);
}

/* Did pid leave its exit dump: PREFIX.<pid>, or BASE.<pid> in one of the
 * per-user directories PREFIX.u<uid> (lib/output.c)? */
static bool has_exit_dump(const char *prefix, long pid)
{
    struct stat st;
    char *path = ms_xasprintf("%s.%ld", prefix, pid);
    bool found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    free(path);
    if (found)
        return true;
    const char *slash = strrchr(prefix, '/');
    char *pattern = ms_xasprintf("%s.u[0-9]*/%s.%ld", prefix, slash ? slash + 1 : prefix, pid);
    glob_t g;
    found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
    if (found)
        globfree(&g);
    free(pattern);
    return found;
}

static const char *why_missing(long pid, const char *error, bool follow)
{
    if (error)
        return error;
    if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
        return "it is still running (its exit dump comes when it exits; --interval gives "
               "snapshots meanwhile)";
    return follow ? "it ended without running its exit handlers (killed by a signal, abort)"
                  : "it ended without running its exit handlers (killed by a signal, abort), or "
                    "it executed a program that is not profiled (--no-follow-children)";
}

size_t ms_notes_report(const char *dir, const char *prefix, bool follow)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t missing = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || strcmp(end, "." MS_NOTE_START) != 0 || has_exit_dump(prefix, pid))
            continue;
        char *start = read_note(dir, e->d_name);
        char *errname = ms_xasprintf("%ld.%s", pid, MS_NOTE_ERROR);
        char *error = read_note(dir, errname);
        const char *exe = start ? strchr(start, ' ') : NULL;
        if (error && !strncmp(error, "mapscope: ", 10))
            memmove(error, error + 10, strlen(error + 10) + 1);
        if (++missing <= 20)
            fprintf(stderr, "mapscope: process %ld (%s) left no dump: %s\n", pid,
                    exe && exe[1] ? exe + 1 : "?", why_missing(pid, error, follow));
        free(errname);
        free(error);
        free(start);
    }
    closedir(d);
    if (missing > 20)
        fprintf(stderr, "mapscope: ... and %zu more processes left no dump\n", missing - 20);
    return missing;
}

void ms_notes_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        int dfd = dirfd(d);
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dfd, e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}
