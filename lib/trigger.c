/*
 * trigger.c — snapshot requests through a file (MAPSCOPE_TRIGGER).
 *
 * A request is a change of the file: creating it, or touching it again
 * (`touch FILE`).  Every process that loaded the shim looks at the file
 * once a second with stat(2), and serves a request when the file's change
 * time (st_ctime, which the kernel sets on every creation, write, touch or
 * rename and which no user can set back) is later than the last request
 * it served; then it remembers that time.  So one request reaches every
 * process of a tree exactly once each: nobody deletes the file (deleting
 * raced: the first process to see it took the request from all others,
 * and a process that could not delete it, after dropping privileges,
 * served it again every second), nobody holds a descriptor, and a process
 * needs only search permission on the file's directories.
 *
 * A process starts with "served" = the moment it started, so a file left
 * from an earlier run is not a request; a forked child inherits its
 * parent's memory (a request the parent served before the fork is not
 * served twice by the same books, one it had not yet seen is served by
 * both).  Requests less than a second apart may be served as one, and
 * changes less than COALESCE_NS after a served one are the same request:
 * `touch` of a missing file creates it and then sets its times, two
 * changes of the change time a moment apart, and a process that looked in
 * between served one request twice (seen in tests/shim/fork_tree.sh).  The
 * change time has the kernel's coarse clock resolution (a few ms), so the
 * start time is read from the same coarse clock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "complain.h"
#include "shim_config.h"
#include "trigger.h"

#define COALESCE_NS 200000000ull

/* The change time of the last request served (ns since the epoch), and
 * whether it was a request (not the start-up time). */
static uint64_t served_ns;
static bool served_request;

static uint64_t ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

void ms_trigger_init(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    served_ns = ts_ns(&ts);
}

bool ms_trigger_requested(void)
{
    struct stat st;
    if (!ms_cfg.trigger[0])
        return false;
    if (stat(ms_cfg.trigger, &st) != 0) {
        if (errno == EACCES) /* e.g. after dropping privileges */
            ms_complain_once(MS_ONCE_TRIGGER,
                             "mapscope: uid %u cannot look up the trigger file %s (%s): "
                             "snapshot requests do not reach process %d (make its directories "
                             "searchable)\n",
                             (unsigned)geteuid(), ms_cfg.trigger, strerror(errno), (int)getpid());
        return false;
    }
    uint64_t changed = ts_ns(&st.st_ctim);
    if (changed <= served_ns || (served_request && changed < served_ns + COALESCE_NS))
        return false;
    served_ns = changed;
    served_request = true;
    return true;
}
