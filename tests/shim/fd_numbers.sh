#!/usr/bin/env bash
# fd_numbers.sh — the shim's files never take a descriptor number the
# program counts on being free.  Seen in CI before the fix: Python's
# test_subprocess closed fd 0 while an interval snapshot was being
# written, the dump got number 0, the test's dup2 onto 0 replaced it, the
# rest of the dump went to the program's stdin and the shim's close(0)
# closed the program's restored stdin (EBADF).  Here a program keeps fd 0
# free, asks for a snapshot 40 times (MAPSCOPE_SIGNAL) and watches 0 and
# 3..63 while each is written, then puts stdin back with dup2 and closes
# it; every snapshot and the exit dump must be complete.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

for unwind in dwarf libunwind; do
    rm -f "$W"/d.*
    run_shim MAPSCOPE_SIGNAL=USR2 MAPSCOPE_UNWIND=$unwind -- \
        "$PROGS/fd_numbers" 40 "$(kill -l USR2)" < /dev/null > "$W/out" 2> "$W/err" ||
        fail "$unwind: the program saw the shim's descriptors: $(cat "$W/out" "$W/err" | head -5)"
    grep -q '^rounds=40 taken=0 stolen=0$' "$W/out" || fail "$unwind: $(cat "$W/out")"
    snaps=$(ls "$W"/d.* | grep -cE '/d\.[0-9]+\.[0-9]+$')
    [ "$snaps" -ge 5 ] || fail "$unwind: only $snaps snapshots were written"
    for f in "$W"/d.*; do
        case $f in *.tmp*) fail "$unwind: a temporary dump was left: $f" ;; esac
        "$MSDUMP" "$f" > /dev/null 2>&1 || fail "$unwind: $f is not a complete dump"
    done
    echo "$unwind: 40 rounds, $snaps snapshots + the exit dump complete, no descriptor seen"
done
