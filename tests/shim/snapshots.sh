#!/usr/bin/env bash
# snapshots.sh — dumps while the program runs: at an interval, when the
# trigger file appears (it is removed), and on the configured signal (off by
# default: without MAPSCOPE_SIGNAL the signal keeps its normal effect).
# Each snapshot is PATH.<pid>.<seq>; the exit dump PATH.<pid> is newest.
# Also checks the timeline and the lingering-blocks records.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

# A program that keeps a few blocks and sleeps: python is handy, but the
# shim is also tested on sleep(1) itself, which allocates a little.
prog=(sleep 3.2)

# Interval 1s: snapshots .1 .2 (.3 at most) and the exit dump.
run_shim MAPSCOPE_INTERVAL=1 -- "${prog[@]}" || fail "interval run: exit $?"
pid=$(basename "$(the_dump)" | cut -d. -f2)
[ -f "$W/d.$pid.1" ] && [ -f "$W/d.$pid.2" ] || fail "interval: snapshots missing: $(ls "$W")"
for f in "$W/d.$pid".*; do
    "$MSDUMP" "$f" > "$W/all" || fail "$f unreadable"
done
"$MSDUMP" "$W/d.$pid.2" | grep -q '^process .* reason=1 seq=2 ' || fail "snapshot 2: wrong reason/seq"
"$MSDUMP" "$W/d.$pid" | grep -q '^process .* reason=0 seq=0 ' || fail "exit dump: wrong reason/seq"
# Timeline: about one point a second.
n=$("$MSDUMP" "$W/d.$pid" | grep -c '^timeline ')
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "timeline points: $n, want 2..4 for 3.2 s"
# Lingering: with a 1 s threshold, sleep's start-up blocks linger at exit.
rm -f "$W"/d.*
run_shim MAPSCOPE_LINGER=1s -- sleep 1.5 || fail "linger run: exit $?"
"$MSDUMP" "$(the_dump)" | grep -q '^linger stack=[0-9]* blocks=[1-9]' || fail "no lingering blocks"
rm -f "$W"/d.*
run_shim MAPSCOPE_LINGER=1h -- sleep 0.2 || fail "linger run 2: exit $?"
"$MSDUMP" "$(the_dump)" | grep -q '^linger ' && fail "blocks linger under a 1h threshold"

# Trigger file: appears after 0.5 s, is seen within ~1 s, and is removed.
rm -f "$W"/d.*
( sleep 0.5; touch "$W/trig" ) &
run_shim MAPSCOPE_TRIGGER="$W/trig" -- sleep 2.5 || fail "trigger run: exit $?"
wait
pid=$(basename "$(the_dump)" | cut -d. -f2)
[ -f "$W/d.$pid.1" ] || fail "trigger: no snapshot: $(ls "$W")"
[ -e "$W/trig" ] && fail "trigger file not removed"
"$MSDUMP" "$W/d.$pid.1" | grep -q '^process .* reason=3 seq=1 ' || fail "trigger: wrong reason"

# Signal: USR2 makes a snapshot and does not kill the program.
rm -f "$W"/d.*
env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_SIGNAL=USR2 LD_PRELOAD="$SHIM" sleep 2 &
spid=$!
sleep 0.7
kill -USR2 $spid
wait $spid || fail "signal run: exit $? (the signal killed it?)"
[ -f "$W/d.$spid.1" ] || fail "signal: no snapshot: $(ls "$W")"
"$MSDUMP" "$W/d.$spid.1" | grep -q '^process .* reason=2 seq=1 ' || fail "signal: wrong reason"
# Without MAPSCOPE_SIGNAL the shim takes no signal: USR2 kills as usual.
env MAPSCOPE_OUTPUT="$W/e" LD_PRELOAD="$SHIM" sleep 2 &
spid=$!
sleep 0.5
kill -USR2 $spid
wait $spid && fail "USR2 did not terminate an unconfigured program"
echo "snapshots: interval, trigger, signal, timeline and lingering blocks all written"
