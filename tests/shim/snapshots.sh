#!/usr/bin/env bash
# snapshots.sh — dumps while the program runs: at an interval, once per
# change of the trigger file (never removed), and on the configured signal (off by
# default: without MAPSCOPE_SIGNAL the signal keeps its normal effect).
# Each snapshot is PATH.<pid>.<seq>; the exit dump PATH.<pid> is newest.
# Also checks the timeline and the lingering-blocks records.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

# A program that keeps a few blocks and sleeps: python is handy, but the
# shim is also tested on sleep(1) itself, which allocates a little.
prog=(sleep 3.2)

# Interval 1s: snapshots .1 .2 (.3 at most) and the exit dump.
run_shim MAPSCOPE_INTERVAL=1 MAPSCOPE_TIMELINE=1s -- "${prog[@]}" || fail "interval run: exit $?"
pid=$(basename "$(the_dump)" | cut -d. -f2)
[ -f "$W/d.$pid.1" ] && [ -f "$W/d.$pid.2" ] || fail "interval: snapshots missing: $(ls "$W")"
for f in "$W/d.$pid".*; do
    "$MSDUMP" "$f" > "$W/all" || fail "$f unreadable"
done
"$MSDUMP" "$W/d.$pid.2" | grep -q '^process .* reason=1 seq=2 ' || fail "snapshot 2: wrong reason/seq"
"$MSDUMP" "$W/d.$pid" | grep -q '^process .* reason=0 seq=0 ' || fail "exit dump: wrong reason/seq"
# Timeline: sleep allocates nothing while it sleeps, and a point that
# repeats the previous one is not kept (timeline.c): the first point, and
# the one at the moment of the dump (one a second were kept before, 3..5).
n=$("$MSDUMP" "$W/d.$pid" | grep -c '^timeline ')
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "timeline points: $n, want 1..2 for 3.2 s of sleep at 1s"
# check_timeline DUMP MIN: at least MIN points, in time order, whose
# allocations add up to the dump's total and whose last point is the dump's
# live heap (the final point is taken when the dump is written).
check_timeline() {
    "$MSDUMP" "$1" > "$W/all" || fail "$1 unreadable"
    awk -v min="$2" '
        /^timeline / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                       if (n && v["t_ns"] + 0 <= t) bad = "points out of order"
                       t = v["t_ns"] + 0; sum += v["allocs"]; live = v["live_bytes"]; n++ }
        /^total allocations=/ { split($2, kv, "="); total = kv[2] }
        /^total inuse_bytes=/ { split($2, kv, "="); inuse = kv[2] }
        END { if (bad) { print bad; exit 1 }
              if (n < min) { print n " points, want at least " min; exit 1 }
              if (sum != total) { print "allocations over the points " sum ", total " total; exit 1 }
              if (live != inuse) { print "last point live " live ", dump in use " inuse; exit 1 } }
    ' "$W/all" || fail "timeline of $1 (above)"
}
check_timeline "$W/d.$pid" 1
# A program shorter than one interval still has a timeline (its last point).
rm -f "$W"/d.*
run_shim MAPSCOPE_TIMELINE=1h -- ls / > /dev/null || fail "ls run: exit $?"
check_timeline "$(the_dump)" 1
# The default resolution (10 ms) draws a curve for a run of a fraction of a
# second: churn allocates for ~0.3-1 s.
rm -f "$W"/d.*
run_shim -- "$PROGS/churn" -n 2000000 > /dev/null || fail "churn run: exit $?"
check_timeline "$(the_dump)" 10
# Lingering, exactly: 50 blocks of 1000 bytes kept for 1.5 s linger under
# a 1 s threshold, on their own stack, aged 1.5 s to the tick (62.5 ms);
# the 7 blocks made just before exit do not.
# check_linger DUMP: the lingering records are exactly keep_old's 50 blocks.
check_linger() {
    "$MSDUMP" --stacks "$1" > "$W/stacks" || fail "$1 unreadable"
    "$MSDUMP" "$1" > "$W/all"
    grep '^linger ' "$W/all" > "$W/linger"
    [ "$(wc -l < "$W/linger")" = 1 ] || fail "lingering groups: $(cat "$W/linger"), want only keep_old's"
    read -r blocks bytes oldest < <(sed 's/.* blocks=\([0-9]*\) bytes=\([0-9]*\) oldest_ns=\([0-9]*\).*/\1 \2 \3/' "$W/linger")
    [ "$blocks/$bytes" = 50/50000 ] || fail "lingering: $blocks blocks, $bytes bytes; want 50, 50000"
    [ "$oldest" -ge 1000000000 ] && [ "$oldest" -le 3000000000 ] || fail "oldest age $oldest ns"
    grep -q '^setting linger_tick_ns=62500000$' "$W/all" || fail "birth tick is not linger/16"
    grep -qE 'live_blocks=50 .* frames=keep_old;main;' "$W/stacks" || fail "keep_old's stack"
}
rm -f "$W"/d.*
run_shim MAPSCOPE_LINGER=1s -- "$PROGS/lingering" 1500 > "$W/out" || fail "linger run: exit $?"
check_linger "$(the_dump)"
# A single-threaded program gets no thread of the shim's (helper.c).
[ "$(cat "$W/out")" = "threads 1 lingering" ] || fail "single-threaded program under the shim: $(cat "$W/out")"
# The same once the program has had a thread: the shim's helper runs then
# (one thread more) and keeps the birth tick, which must go on moving (a
# stuck tick would make keep_young's blocks as old as keep_old's).
rm -f "$W"/d.*
run_shim MAPSCOPE_LINGER=1s -- "$PROGS/lingering" 1500 thread > "$W/out" || fail "linger run (thread): exit $?"
# The thread's own block (glibc's, from pthread_create) lingers too.
"$MSDUMP" "$(the_dump)" | grep '^linger ' > "$W/linger"
grep -q ' blocks=50 bytes=50000 ' "$W/linger" || fail "with a thread, keep_old's blocks do not linger: $(cat "$W/linger")"
grep -q ' bytes=500 ' "$W/linger" && fail "with a thread, keep_young's blocks linger (the birth tick stood still)"
[ "$(wc -l < "$W/linger")" -le 2 ] || fail "with a thread, lingering groups: $(cat "$W/linger")"
[ "$(cat "$W/out")" = "threads 2 lingering mapscope" ] ||
    fail "after a thread, want the program's and the helper (named mapscope): $(cat "$W/out")"
# The exit dump's reachability scan neither stops nor counts the helper
# (the shim's own thread: under valgrind, stopping it hung the process).
[ "$("$MSDUMP" "$(the_dump)" | grep -c '^engine reach.threads\(_stopped\)*=0$')" = 2 ] ||
    fail "the scan counted or stopped the helper: $("$MSDUMP" "$(the_dump)" | grep '^engine reach.threads')"
rm -f "$W"/d.*
run_shim MAPSCOPE_LINGER=1h -- "$PROGS/lingering" 200 || fail "linger run 2: exit $?"
"$MSDUMP" "$(the_dump)" | grep -q '^linger ' && fail "blocks linger under a 1h threshold"
# The same through `mapscope run --linger`, for a process tree: every
# process's dump has the 1 s threshold and its 62.5 ms tick, and the merged
# report says so (the tick is a setting, never added up over processes)
# and finds the 2 x 50 lingering blocks.
MS="$top_builddir/tools/mapscope"
if [ -x "$MS" ]; then
    rm -f "$W"/d.*
    "$MS" run -q -f -o "$W/d" --linger 1s -- /bin/sh -c "'$PROGS/lingering' 1200; '$PROGS/lingering' 1200; true" ||
        fail "mapscope run: exit $?"
    for f in "$W"/d.[0-9]*; do
        "$MSDUMP" "$f" | grep -q '^setting linger_tick_ns=62500000$' || fail "$f: tick not 62.5 ms"
    done
    "$MS" report --json "$W"/d.[0-9]* > "$W/report.json" || fail "mapscope report failed"
    /usr/bin/python3 - "$W/report.json" << 'PY' || fail "merged report: lingering blocks or tick wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["settings"]["linger_tick_ns"] == "62500000", r["settings"]
assert "linger.tick_ns" not in r["engine"], "the tick is summed as an engine figure"
old = [g for g in r["lingering"] if g["stack"] and g["stack"][0]["function"] == "keep_old"]
assert len(old) == 1 and old[0]["blocks"] == 100 and old[0]["bytes"] == 100000, r["lingering"]
young = [g for g in r["lingering"] if g["stack"] and g["stack"][0]["function"] == "keep_young"]
assert not young, young
PY
fi
# Python frees its objects when it finalizes, before the exit dump: a
# snapshot taken while it sleeps is where its long-lived objects linger
# (50 bytearrays of 1024 bytes, 1025 bytes each from malloc, one stack).
if [ -x /usr/bin/python3 ]; then
    rm -f "$W"/d.*
    run_shim PYTHONMALLOC=malloc MAPSCOPE_LINGER=1s MAPSCOPE_INTERVAL=2 -- /usr/bin/python3 -c '
import time
keep = [bytearray(1024) for i in range(50)]
time.sleep(2.5)' || fail "python3 linger run: exit $?"
    pid=$(basename "$(the_dump)" | cut -d. -f2)
    "$MSDUMP" "$W/d.$pid.1" | grep -q '^linger stack=[0-9]* blocks=50 bytes=51250 ' ||
        fail "python3: the 50 bytearrays do not linger in the snapshot taken at 2 s"
fi

# Trigger file: a request is a change of the file (created at 0.5 s,
# touched again at 1.7 s): each is served once (seen within ~1 s), the file
# stays, and a file left from before the start is no request.
rm -f "$W"/d.*
touch "$W/trig"
( sleep 0.5; rm -f "$W/trig"; touch "$W/trig"; sleep 1.2; touch "$W/trig" ) &
run_shim MAPSCOPE_TRIGGER="$W/trig" -- sleep 3.5 || fail "trigger run: exit $?"
wait
pid=$(basename "$(the_dump)" | cut -d. -f2)
[ -f "$W/d.$pid.1" ] && [ -f "$W/d.$pid.2" ] || fail "trigger: snapshots missing: $(ls "$W")"
[ -f "$W/d.$pid.3" ] && fail "trigger: a third snapshot for two requests: $(ls "$W")"
[ -e "$W/trig" ] || fail "trigger file removed (other processes of the tree need it)"
"$MSDUMP" "$W/d.$pid.1" | grep -q '^process .* reason=3 seq=1 ' || fail "trigger: wrong reason"
rm -f "$W"/d.*
run_shim MAPSCOPE_TRIGGER="$W/trig" -- sleep 1.5 || fail "stale trigger run: exit $?"
pid=$(basename "$(the_dump)" | cut -d. -f2)
[ -f "$W/d.$pid.1" ] && fail "trigger: a file older than the process was taken for a request"

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
