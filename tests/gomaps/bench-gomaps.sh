#!/bin/bash
# bench-gomaps.sh — what attaching `mapscope gomaps` costs a map-heavy Go program.
#
# Runs bench.go (big maps built, probed and emptied; a sized make; 2000 small request
# maps per round) alternately without and with `mapscope gomaps` attached from the start
# (default settings), RUNS times each in one go, and prints the median wall times the
# program measures itself and their ratio.  Needs root (eBPF), Go and the probe build.
#   make bench-gomaps                  (RUNS=11 ROUNDS=10 by default)
# Wall time is what users feel; CPU time (user+system of the program, where uprobe traps
# are charged) is printed too because it is far less sensitive to a busy machine.
# Then the attach-time heap scan (-p): RUNS attaches to prexist.go (180 MB of maps) and
# to scanload.go (500 MB, 3 million candidate headers), the median milliseconds and bytes
# the scan reports.  (It reads the target's memory from
# outside and never stops it: the target pays nothing a wall clock could measure.)
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
runs=${RUNS:-11}
rounds=${ROUNDS:-10}
. "$top_srcdir/tests/gomaps/lib.sh"
need_probe
prog=$(build bench)

field() { sed -n "s/^BENCH.* $2=\([0-9.]*\).*/\1/p" "$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$W/base" >"$W/probed" >"$W/base.cpu" >"$W/probed.cpu"
"$prog" -rounds 1 >/dev/null # warm the page cache
plain() {
    "$prog" -rounds "$rounds" >"$W/o"
    field "$W/o" elapsed_ms >>"$W/base"
    field "$W/o" cpu_ms >>"$W/base.cpu"
}
probed() {
    "$mapscope" gomaps -q -- "$prog" -rounds "$rounds" >"$W/o" 2>"$W/e"
    field "$W/o" elapsed_ms >>"$W/probed"
    field "$W/o" cpu_ms >>"$W/probed.cpu"
    hits=$(sed -n 's/^probe hits: //p' "$W/o")
}
for i in $(seq "$runs"); do # which goes first alternates: neither gets the better slot
    if [ $((i % 2)) -eq 1 ]; then plain; probed; else probed; plain; fi
done
b=$(median <"$W/base")
p=$(median <"$W/probed")
echo "gomaps overhead: bench.go, $rounds rounds, $runs runs each, alternating"
echo "  without probe: median $b ms   ($(tr '\n' ' ' <"$W/base"))"
echo "  with probe:    median $p ms   ($(tr '\n' ' ' <"$W/probed"))"
echo "  last probed run: $hits"
bc=$(median <"$W/base.cpu")
pc=$(median <"$W/probed.cpu")
echo "  CPU time: median $bc ms without, $pc ms with"
awk -v b="$b" -v p="$p" -v bc="$bc" -v pc="$pc" 'BEGIN {
    printf "  wall-time ratio (median with / median without): %.4f (%+.2f %%)\n", p / b, (p / b - 1) * 100
    printf "  CPU-time ratio  (median with / median without): %.4f (%+.2f %%)\n", pc / bc, (pc / bc - 1) * 100 }'
# Each probed run follows its unprobed twin within seconds, so the two share the machine's
# load of the moment: the median of the per-pair ratios is steadier on a busy machine.
pw=$(paste "$W/probed" "$W/base" | awk '{ print $1 / $2 }' | median)
pc=$(paste "$W/probed.cpu" "$W/base.cpu" | awk '{ print $1 / $2 }' | median)
echo "  median of per-pair ratios: wall $pw, CPU $pc   (load average $(cut -d' ' -f1-3 /proc/loadavg))"

# The heap scan at attach: what it reads and how long it takes (scan_cost NAME), on the
# 180 MB of bad maps of prexist.go and on the 3 million candidate headers of scanload.go.
scan_cost() {
    start_ready "$(build "$1")" "$W/scan.out" -hold 600s
    : >"$W/scan.ms" >"$W/scan.mib"
    for i in $(seq "$runs"); do
        "$mapscope" gomaps -q -p "$target" --duration 0.1 >/dev/null 2>"$W/e"
        sed -n 's/.*checked), \([0-9.]*\) MiB read in \([0-9.]*\) ms: \([0-9]*\) maps.*/\2 \1 \3/p' \
            "$W/e" >"$W/s"
        sed -n 's/.* (\([0-9]*\) in use, \([0-9]*\) holding map headers, \([0-9]*\) live.*/\1 \3/p' \
            "$W/e" >"$W/s2"
        read -r ms mib maps <"$W/s"
        read -r spans headers <"$W/s2"
        echo "$ms" >>"$W/scan.ms"
        echo "$mib" >>"$W/scan.mib"
    done
    echo "heap scan at attach: $1.go, RSS $(awk '/VmRSS/ { print $2 / 1024 " MB" }' /proc/$target/status)," \
        "$spans spans in use, $headers headers checked, $maps maps found; $runs attaches"
    echo "  median $(median <"$W/scan.ms") ms, $(median <"$W/scan.mib") MiB read   (ms: $(tr '\n' ' ' <"$W/scan.ms"))"
    stop_target
}
scan_cost prexist
scan_cost scanload
