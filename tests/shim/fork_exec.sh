#!/usr/bin/env bash
# fork_exec.sh — fork: the child writes its own dump (its own pid), and the
# books stay consistent; exec: children are profiled only with
# MAPSCOPE_FOLLOW_CHILDREN=1; a process leaving with _exit/_Exit (dash
# always does) still writes its dump, but a vfork child never does; a
# fork+exec storm while threads allocate neither deadlocks nor crashes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

# bash -c 'true; true' forks and execs: by default only bash is profiled.
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
# dash (Debian's /bin/sh, which runs make's recipes) leaves with _exit: it
# writes its dump all the same.
if [ "$(readlink -f /bin/sh)" = /usr/bin/dash ]; then
    rm -f "$W"/d.*
    run_shim MAPSCOPE_FOLLOW_CHILDREN=1 -- /bin/sh -c '/bin/true; /bin/true; true' ||
        fail "dash run: exit $?"
    n=$(ls "$W"/d.* | grep -c '/d\.[0-9]*$')
    [ "$n" = 3 ] || fail "dash: $n dumps, want 3 (sh and two children)"
    "$MSDUMP" "$(ls "$W"/d.* | sort -t. -k2 -n | head -1)" | grep -q '^process .* exe=/usr/bin/dash ' ||
        fail "no dump from dash itself"
fi
# _exit, _Exit: the dump is written, with what was live; a vfork child
# (sharing its parent's memory) writes none; a fork child leaving with
# _exit writes its own.
for mode in _exit _Exit; do
    rm -f "$W"/d.*
    run_shim -- "$PROGS/exit_paths" $mode || fail "$mode: exit $?"
    d=$(the_dump)
    [ "$(total inuse_blocks "$d")/$(total inuse_bytes "$d")" = 3/192 ] ||
        fail "$mode: in use $(total inuse_blocks "$d") blocks, $(total inuse_bytes "$d") bytes; want 3, 192"
done
rm -f "$W"/d.*
run_shim -- "$PROGS/exit_paths" vfork || fail "vfork: exit $?"
d=$(the_dump)
[ "$(total inuse_blocks "$d")" = 2 ] || fail "vfork: parent's in use blocks $(total inuse_blocks "$d"), want 2"
rm -f "$W"/d.*
run_shim -- "$PROGS/exit_paths" fork || fail "fork: exit $?"
n=$(ls "$W"/d.* | grep -c '/d\.[0-9]*$')
[ "$n" = 2 ] || fail "fork + _exit: $n dumps, want 2"
got=$(for f in "$W"/d.*; do echo "$(total inuse_blocks "$f")/$(total inuse_bytes "$f")"; done | sort | tr '\n' ' ')
[ "$got" = "1/16 4/128 " ] || fail "fork + _exit: in use per process '$got', want '1/16 4/128 '"
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
