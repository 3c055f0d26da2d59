#!/usr/bin/env bash
# reach_bench.sh — what the reachability scan costs (lib/reach.c).
#
#   bench/reach_bench.sh [REPS]          (make bench-reach runs it from the build tree)
#
# The allocation-churn program (tests/programs/churn -k: its ring of live
# blocks stays live at exit) with 2 threads and live sets of 10k, 100k and
# 400k blocks runs under the shim with the exit dump's scan
# (MAPSCOPE_REACH=exit, the default) and without it (MAPSCOPE_REACH=off),
# REPS times in alternation.  Printed per live set, medians: the wall time
# of both and their ratio, and from the scanned dumps' REACH record the
# pause (the program's threads held: locks, stopping the other thread,
# fork), the whole scan (child included), and the heap and root bytes read.
# The machine is shared: medians, and the spread of the pause.
#
# The last line is machine-readable (the largest live set):
#   reach-bench: blocks=N pause_ms=P scan_ms=S wall_ratio=R
set -u
REPS=${1:-5}
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
SHIM=$top_builddir/lib/.libs/libmapscope.so
MSDUMP=$top_builddir/tests/shim/msdump
CHURN=$top_builddir/tests/programs/churn
for f in "$SHIM" "$MSDUMP" "$CHURN"; do
    [ -e "$f" ] || { echo "reach-bench: $f not built (make check builds it)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/ms-reach-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f..%.2f", lo, hi }'; }
total() { "$MSDUMP" --totals "$2" | sed -n "s/^$1=//p" | head -1; }

last=""
for live in 5000 50000 200000; do
    : > "$W/t.exit"; : > "$W/t.off"; : > "$W/pause"; : > "$W/scan"; : > "$W/heap"; : > "$W/root"
    for r in $(seq 1 "$REPS"); do
        for mode in exit off; do
            rm -f "$W"/d.*
            s=$(date +%s%N)
            env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_REACH=$mode LD_PRELOAD="$SHIM" \
                "$CHURN" -t 2 -n "$live" -l "$live" -k > /dev/null || { echo "churn failed" >&2; exit 1; }
            e=$(date +%s%N)
            echo $(((e - s) / 1000000)) >> "$W/t.$mode"
            if [ $mode = exit ]; then
                d=$(ls "$W"/d.* | head -1)
                [ "$(total reach.scans "$d")" = 1 ] || { echo "no scan in $d" >&2; exit 1; }
                echo "$(total reach.pause_ns "$d") / 1000000" | bc -l >> "$W/pause"
                echo "$(total reach.scan_ns "$d") / 1000000" | bc -l >> "$W/scan"
                total reach.heap_bytes "$d" >> "$W/heap"
                total reach.root_bytes "$d" >> "$W/root"
                blocks=$(total reach.blocks "$d")
            fi
        done
    done
    te=$(median < "$W/t.exit") to=$(median < "$W/t.off")
    pause=$(median < "$W/pause") scan=$(median < "$W/scan")
    ratio=$(echo "$te / $to" | bc -l)
    printf "%7d live blocks: wall %s ms with the scan, %s ms without (x%.3f); pause %.2f ms (%s), scan %.1f ms; read %s heap + %s root bytes\n" \
        "$blocks" "$te" "$to" "$ratio" "$pause" "$(spread < "$W/pause")" \
        "$scan" "$(median < "$W/heap")" "$(median < "$W/root")"
    last=$(printf "reach-bench: blocks=%d pause_ms=%.2f scan_ms=%.1f wall_ratio=%.3f" "$blocks" "$pause" "$scan" "$ratio")
done
echo "$last"
