/*
 * output.c — where this process's dumps go, when it cannot write where it
 * was told to.
 *
 * Services drop privileges: nginx's workers and memcached -u become nobody
 * or memcache after start-up, and can then no longer create files in the
 * directory the dumps were configured for (a root-owned /root or /srv).
 * Dumps must stay private (mode 0600, created O_EXCL|O_NOFOLLOW, renamed
 * into place) and the output directory must stay as its owner made it, so
 * nothing is loosened.  Instead, while the process is still privileged
 * (privdrop.c sees the setuid call coming), a directory of its own is made
 * for the new user next to the dumps: PREFIX.u<UID> (mode 0700, owned by
 * that user), and from then on the process writes PREFIX.u<UID>/BASE.<pid>
 * (the usual names, in that directory).  Only when needed: a user that can
 * create files in the output directory (/var/tmp, /tmp) writes there.
 *
 * The directory is created by root in a directory the new user cannot
 * write; it is checked after creation through a descriptor opened with
 * O_DIRECTORY|O_NOFOLLOW (a directory, owned by root or that user, never a
 * symlink) before it is given to the user, so a name planted by another
 * user is refused, not used.  A program the dropped process executes
 * (followed children) finds the directory the same way at start-up: when
 * its output directory is not writable and PREFIX.u<its uid> is a
 * directory it owns that no one else can write.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "complain.h"
#include "output.h"
#include "own_fd.h"
#include "shim_config.h"
#include "snapshot.h"

static char configured[PATH_MAX]; /* the prefix as configured (absolute) */

static void parent_dir(char *out, size_t cap)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", configured);
    snprintf(out, cap, "%s", dirname(tmp));
}

static void user_dir(char *out, size_t cap, uid_t uid)
{
    snprintf(out, cap, "%s.u%u", configured, (unsigned)uid);
}

/* Can the caller's filesystem identity create files in dir? */
static bool can_create(const char *dir)
{
    return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0;
}

/* Point ms_cfg.output at the place this process can write. */
static void choose(void)
{
    char dir[PATH_MAX], ud[PATH_MAX + 16];
    parent_dir(dir, sizeof dir);
    snprintf(ms_cfg.output, sizeof ms_cfg.output, "%s", configured);
    if (can_create(dir))
        return;
    uid_t u = geteuid();
    user_dir(ud, sizeof ud, u);
    struct stat st;
    if (lstat(ud, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == u &&
        !(st.st_mode & (S_IWGRP | S_IWOTH)) && can_create(ud)) {
        char base[PATH_MAX];
        snprintf(base, sizeof base, "%s", configured);
        int n = snprintf(ms_cfg.output, sizeof ms_cfg.output, "%s/%s", ud, basename(base));
        if (n < 0 || (size_t)n >= sizeof ms_cfg.output)
            snprintf(ms_cfg.output, sizeof ms_cfg.output, "%s", configured);
    }
}

void ms_output_init(void)
{
    snprintf(configured, sizeof configured, "%s", ms_cfg.output);
    choose();
}

void ms_output_prepare_uid(uid_t uid)
{
    if (geteuid() != 0 || uid == 0 || uid == (uid_t)-1)
        return;
    int saved = errno;
    char dir[PATH_MAX], ud[PATH_MAX + 16];
    parent_dir(dir, sizeof dir);
    gid_t g = getegid();
    /* Ask the kernel as the new user (the filesystem identity is this
     * thread's alone, and is given back at once). */
    int old_uid = setfsuid(uid), old_gid = setfsgid(g);
    bool ok = can_create(dir);
    /* A directory of its own next to the dumps only helps if the user can
     * get there (every directory on the way searchable). */
    bool reach = ok || faccessat(AT_FDCWD, dir, X_OK, AT_EACCESS) == 0;
    setfsgid((gid_t)old_gid);
    setfsuid((uid_t)old_uid);
    if (ok) {
        errno = saved;
        return;
    }
    if (!reach) {
        ms_complain_once(MS_ONCE_PRIVDROP,
                         "mapscope: uid %u cannot reach %s (a directory on the way is not "
                         "searchable by it): the dumps of process %d will be missing; give an "
                         "output directory that user can reach (e.g. /var/tmp)\n",
                         (unsigned)uid, dir, (int)getpid());
        errno = saved;
        return;
    }
    user_dir(ud, sizeof ud, uid);
    struct ms_fd f = {.fd = -1};
    struct stat st;
    int e = mkdir(ud, 0700) == 0 || errno == EEXIST
                ? ms_fd_open(&f, ud, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)
                : errno;
    if (e || fstat(f.fd, &st) != 0 || (st.st_uid != 0 && st.st_uid != uid) ||
        fchown(f.fd, uid, g) != 0 || fchmod(f.fd, 0700) != 0) {
        ms_complain_once(MS_ONCE_PRIVDROP,
                         "mapscope: cannot prepare %s for uid %u (%s): its dumps will be "
                         "missing\n",
                         ud, (unsigned)uid, e ? strerror(e) : "exists, owned by another user");
    }
    ms_fd_close(&f);
    errno = saved;
}

void ms_output_after_uid_change(void)
{
    int saved = errno;
    ms_snapshot_lock();
    choose();
    ms_snapshot_unlock();
    errno = saved;
}
