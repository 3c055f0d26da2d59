/*
 * privdrop.c — the setuid family, seen coming.
 *
 * A worker that drops privileges (nginx's workers, memcached -u, Python's
 * subprocess with user=) can no longer create its dumps where root could.
 * The shim exports setuid, seteuid, setreuid and setresuid so that, while
 * the process is still privileged, output.c can prepare a directory the
 * new user may write its dumps in; after the call succeeds the process
 * writes there.  Everything else is the real function's: same arguments,
 * same result, same errno; glibc's own broadcast to every thread of the
 * process still happens inside it.  A program that changes its uid with a
 * raw syscall is not seen: `mapscope run` then reports its missing dumps
 * and why.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <unistd.h>

#include "lifecycle.h"
#include "output.h"
#include "privdrop.h"

#define MS_EXPORT __attribute__((visibility("default")))

static int (*real_setuid)(uid_t);
static int (*real_seteuid)(uid_t);
static int (*real_setreuid)(uid_t, uid_t);
static int (*real_setresuid)(uid_t, uid_t, uid_t);

void ms_privdrop_resolve(void)
{
    *(void **)&real_setuid = dlsym(RTLD_NEXT, "setuid");
    *(void **)&real_seteuid = dlsym(RTLD_NEXT, "seteuid");
    *(void **)&real_setreuid = dlsym(RTLD_NEXT, "setreuid");
    *(void **)&real_setresuid = dlsym(RTLD_NEXT, "setresuid");
}

/* Before the call: prepare for the effective uid it will give. */
static uid_t before(uid_t new_euid)
{
    if (!real_setresuid)
        ms_privdrop_resolve(); /* called before our constructor ran */
    uid_t was = geteuid();
    if (atomic_load(&ms_state) == MS_STATE_LIVE && new_euid != (uid_t)-1 && new_euid != was)
        ms_output_prepare_uid(new_euid);
    return was;
}

/* After it: write where the new user can.  Not in a child of vfork, whose
 * memory (and settings) are its parent's. */
static int after(int rc, uid_t was)
{
    if (rc == 0 && atomic_load(&ms_state) == MS_STATE_LIVE && geteuid() != was && ms_own_books())
        ms_output_after_uid_change();
    return rc;
}

MS_EXPORT int setuid(uid_t uid)
{
    uid_t was = before(uid);
    return after(real_setuid(uid), was);
}

MS_EXPORT int seteuid(uid_t euid)
{
    uid_t was = before(euid);
    return after(real_seteuid(euid), was);
}

MS_EXPORT int setreuid(uid_t ruid, uid_t euid)
{
    uid_t was = before(euid);
    return after(real_setreuid(ruid, euid), was);
}

MS_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
    uid_t was = before(euid);
    return after(real_setresuid(ruid, euid, suid), was);
}
