#!/usr/bin/env bash
# reach_waitpid.sh — the reachability scan's processes are never the
# program's business (issue 11): a pre-forking program that reaps in its
# SIGCHLD handler with waitpid(-1, WNOHANG), as nginx's master does, with a
# scan at every snapshot (MAPSCOPE_REACH=all, snapshots asked for by
# signal all along, so the stopper ptrace-stops its other threads) and at
# each child's exit, and with signals sent to its whole process group
# (tests/programs/reach_waitpid.c).  No wait result or SIGCHLD may come
# from a pid it did not fork, and its handlers may run only in its own
# processes.  Before the fix the program's SIGCHLD handler ran in the
# stopper, reaped the stopper's ptrace stops and printed them as unknown
# pids (nginx: "unknown process N exited on signal 127").
#
# REACH_WAITPID_SECONDS (default 5) makes the run longer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
PROG="$PROGS/reach_waitpid"
[ -x "$PROG" ] || fail "$PROG not built"
secs=${REACH_WAITPID_SECONDS:-5}
usr2=$(kill -l USR2)

run_shim MAPSCOPE_REACH=all MAPSCOPE_SIGNAL=USR2 -- "$PROG" "$secs" "$usr2" > "$W/out" 2> "$W/err"
rc=$?
# Any process running the program's code prints what it saw wrong.
if grep -q '^reach_waitpid: ' "$W/err"; then
    fail "the program saw the scan's processes: $(sort "$W/err" | uniq -c | sort -rn | head -5)"
fi
[ $rc = 0 ] || fail "reach_waitpid: exit $rc: $(cat "$W/out" "$W/err")"
read -r _ _ pid _ forked _ reaped _ < "$W/out"
[ "$forked" -gt 10 ] && [ "$forked" = "$reaped" ] || fail "summary: $(cat "$W/out")"

# The scans ran: the last snapshot of the main process with the other
# threads stopped (written by the helper, it stops the main thread and the
# allocator), and its exit dump, where the allocator has been joined and
# the only other thread is the shim's helper, which is never stopped.
snap=$(ls "$W" | grep -E "^d\.$pid\.[0-9]+$" | sort -t. -k3 -n | tail -1)
[ -n "$snap" ] || fail "no snapshot of the main process $pid: $(ls "$W" | head)"
for d in "$W/$snap" "$W/d.$pid"; do
    [ "$(total reach.scans "$d")" = 1 ] || fail "$d: no scan ($(total reach.failed "$d") failed)"
done
[ "$(total reach.threads_stopped "$W/$snap")" -ge 1 ] || fail "$snap: no thread stopped"
[ "$(total reach.threads "$W/d.$pid")" = 0 ] || fail "exit dump: the helper was counted as a thread to stop"
echo "reach_waitpid: $forked children reaped, none unknown; scans with stopped threads"
