#!/usr/bin/env bash
# fork_exec.sh — fork: the child writes its own dump (its own pid), and the
# books stay consistent; exec: children are profiled only with
# MAPSCOPE_FOLLOW_CHILDREN=1; a fork+exec storm while threads allocate
# neither deadlocks nor crashes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

# bash -c 'true; true' forks and execs: by default only bash is profiled
# (bash, not dash: dash leaves with _exit, which skips the exit dump).
run_shim -- bash -c '/bin/true; /bin/true; echo done' > "$W/out" || fail "default run: exit $?"
[ "$(cat "$W/out")" = done ] || fail "default run output"
n=$(ls "$W"/d.* | grep -c '/d\.[0-9]*$')
[ "$n" = 1 ] || fail "default: $n dumps, want 1 (children must not be profiled)"
rm -f "$W"/d.*
run_shim MAPSCOPE_FOLLOW_CHILDREN=1 -- bash -c '/bin/true; /bin/true; echo done' > "$W/out" ||
    fail "follow run: exit $?"
n=$(ls "$W"/d.* | grep -c '/d\.[0-9]*$')
[ "$n" = 3 ] || fail "follow: $n dumps, want 3 (bash and two children)"
for f in "$W"/d.*; do "$MSDUMP" "$f" > /dev/null || fail "$f unreadable"; done
# LD_PRELOAD is left to the children only when following.
run_shim -- bash -c 'echo "[$LD_PRELOAD]"' > "$W/out"
[ "$(cat "$W/out")" = "[]" ] || fail "LD_PRELOAD not removed for children: $(cat "$W/out")"

# Fork storm with threads allocating: 40 forks (half exec /bin/true, half
# malloc and exit(0), which writes a dump of their own).
rm -f "$W"/d.*
out=$(run_shim -- "$PROGS/stress_threads" -t 2 -n 200000 -f 40) || fail "fork storm: exit $?"
parent=$(ls "$W"/d.* | grep -c '/d\.[0-9]*$')
[ "$parent" = 21 ] || fail "fork storm: $parent exit dumps, want 21 (parent + 20 exiting children)"
for f in "$W"/d.*; do
    "$MSDUMP" "$f" > /dev/null || fail "$f unreadable"
done
echo "fork_exec: children dump under their own pid; exec children follow only when asked"
