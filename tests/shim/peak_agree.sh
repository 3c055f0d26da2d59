#!/usr/bin/env bash
# peak_agree.sh — the figures of a threaded program agree: every dump's
# peak is the sum of its stacks' peak figures (so --folded=peak adds up to
# it) and is never below its own in-use bytes, and no dump of a process
# reports a lower peak than an earlier one (the exit dump last).  Four
# threads allocate while snapshots are requested with a signal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
MAPSCOPE="$top_builddir/tools/mapscope"

# env execs the program, so $! is its pid (run_shim's timeout would be
# the one signalled); the loop is the watchdog instead.
env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_SIGNAL=USR2 LD_PRELOAD="$SHIM" \
    "$PROGS/stress_threads" -t 4 -n 3000000 > /dev/null &
pid=$!
sleep 0.3 # the signal handler is installed by the library's constructor
for i in $(seq 1200); do
    kill -0 $pid 2> /dev/null || break
    kill -USR2 $pid 2> /dev/null
    sleep 0.05
done
kill -9 $pid 2> /dev/null && fail "stress_threads still running after a minute"
wait $pid || fail "stress_threads: exit $?"
n=0
prev=0
# Snapshots in order (PATH.pid.seq), then the exit dump.
d=$(the_dump)
files=()
for ((s = 1; ; s++)); do
    [ -f "$d.$s" ] || break
    files+=("$d.$s")
done
for f in "${files[@]}" "$d"; do
    n=$((n + 1))
    peak=$(total peak_bytes "$f")
    peak_blocks=$(total peak_blocks "$f")
    inuse=$(total inuse_bytes "$f")
    sum=$("$MSDUMP" --stacks "$f" | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "=");
        if (a[1] == "peak_bytes") b += a[2]; if (a[1] == "peak_blocks") k += a[2] } }
        END { printf "%d/%d", b, k }')
    [ "$sum" = "$peak/$peak_blocks" ] ||
        fail "$f: stacks' peak figures add up to $sum, the dump's peak is $peak/$peak_blocks"
    [ "$peak" -ge "$inuse" ] || fail "$f: peak $peak below in use $inuse"
    [ "$peak" -ge "$prev" ] || fail "$f: peak $peak below an earlier dump's $prev"
    prev=$peak
done
[ $n -ge 3 ] || fail "only $n dumps (snapshots were not written)"
# The report of the exit dump: --folded=peak adds up to the peak.
folded=$("$MAPSCOPE" report -q --folded=peak "$d" | awk '{ s += $NF } END { print s }')
[ "$folded" = "$(total peak_bytes "$d")" ] || fail "--folded=peak sums to $folded, peak $(total peak_bytes "$d")"
echo "peak_agree: $n dumps; peaks add up, never decrease, never below in use"
