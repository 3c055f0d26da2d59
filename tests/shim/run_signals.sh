#!/usr/bin/env bash
# run_signals.sh — `mapscope run` passes every catchable termination and
# reload signal sent to it (INT, TERM, QUIT, HUP, USR1, USR2) to the
# program, once each, and the program's exit dump is still written.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

MS="$top_builddir/tools/mapscope"
[ -x "$MS" ] || fail "$MS not built"
# The program reports each signal it gets; TERM ends it.  (env resets INT
# and QUIT, which a non-interactive shell ignores for background jobs and a
# program could then not trap.)
prog='for s in INT QUIT HUP USR1 USR2; do trap "echo got $s" $s; done
trap "echo got TERM; exit 0" TERM
echo ready
while :; do sleep 0.05; done'
env --default-signal=INT,QUIT "$MS" run -q -o "$W/d" -- bash -c "$prog" > "$W/out" 2> "$W/err" &
ms=$!
for i in $(seq 100); do
    grep -q ready "$W/out" 2> /dev/null && break
    sleep 0.05
done
grep -q ready "$W/out" || fail "the program did not start: $(cat "$W/err")"
for s in INT QUIT HUP USR1 USR2 TERM; do
    kill -s $s $ms
    for i in $(seq 100); do
        grep -q "got $s" "$W/out" && break
        sleep 0.05
    done
done
wait $ms || fail "mapscope run: exit $?: $(cat "$W/err")"
want="ready"$'\n'"$(printf 'got %s\n' INT QUIT HUP USR1 USR2 TERM)"
[ "$(cat "$W/out")" = "$want" ] || fail "the program got: $(cat "$W/out")"
ls "$W"/d.[0-9]* > /dev/null 2>&1 || fail "no exit dump"
echo "run_signals: INT QUIT HUP USR1 USR2 TERM passed on, once each"
