#!/usr/bin/env bash
# shim_bench.sh — what libmapscope.so costs, against heaptrack, in one run.
#
#   bench/shim_bench.sh [REPS]          (make bench-shim runs it from the build tree)
#
# Workloads: the allocation-churn program (tests/programs/churn, 8192
# distinct stacks) with 1 and 2 threads, sqlite3 on a generated script, and
# python3 (PYTHONMALLOC=malloc) on a dict/list-heavy script.  Each runs
# natively, under the shim with full tracking, under the shim sampled
# (MAPSCOPE_SAMPLE=512K) and under heaptrack's recorder (Debian's heaptrack
# 1.4: `heaptrack --raw`, its name for --record-only), REPS times in
# rotation; the medians of wall time and peak RSS are compared with the
# native run of the same round.  Then the books' memory per live block is
# read from the shim's own dumps at several live-set sizes (the engine's
# bytes, which change in steps as its bucket array doubles).  The machine
# is shared: medians are reported, and the spread is printed so a noisy run
# shows.
#
# The last line is machine-readable; each figure is the worst workload's:
#   shim-bench: overhead_vs_heaptrack=R sampled_overhead_pct=P bytes_per_live_block=B
# where R = (shim time / native - 1) / (heaptrack time / native - 1).
set -u
REPS=${1:-5}
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
SHIM="$top_builddir/lib/.libs/libmapscope.so"
MSDUMP="$top_builddir/tests/shim/msdump"
CHURN="$top_builddir/tests/programs/churn"
for f in "$SHIM" "$MSDUMP" "$CHURN"; do
    [ -e "$f" ] || { echo "shim_bench: $f is not built (run make check first, or make bench-shim)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/ms-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1

HT=$(command -v heaptrack || true)
[ -n "$HT" ] || echo "heaptrack not installed (apt-get install heaptrack): the comparison column is empty"
PY=/usr/bin/python3

# ---------------------------------------------------------------- inputs --
awk 'BEGIN {
    print "create table t(a integer primary key, b text, c real);"
    print "begin;"
    for (i = 0; i < 100000; i++)
        printf "insert into t(b, c) values(%c%s%d%c, %d.5);\n", 39, substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, i % 30), i, 39, i
    print "commit;"
    print "select count(*), sum(length(b)) from t where b like %c%7%%%c;", 39, 39
    print "create index tb on t(b);"
    print "select count(*) from t group by length(b) order by 1 desc limit 3;"
    print "update t set c = c * 2 where a % 3 = 0;"
    print "delete from t where a % 5 = 0;"
    print "select count(*), max(c) from t;"
}' > script.sql
cat > work.py << 'PY'
d = {}
for i in range(300000):
    d[str(i)] = [i, str(i * 2), (i, i + 1)]
s = 0
for k, v in d.items():
    s += len(v[1])
l = [[j for j in range(i % 20)] for i in range(200000)]
e = {k: v for k, v in d.items() if v[0] % 3}
print(s, len(l), len(e))
PY

# name | command (stdin from script.sql for sqlite3)
workloads=(
    "churn-1t|$CHURN -t 1 -n 2000000 -s 12"
    "churn-2t|$CHURN -t 2 -n 1000000 -s 12"
    "sqlite3|sqlite3 :memory:"
    "python3|$PY work.py"
)
modes=(native full sampled heaptrack)

# run MODE CMD...: prints "wall_s maxrss_kb" (or "- -" when the run failed)
run() {
    local mode=$1
    shift
    local pre=()
    case "$mode" in
    native) ;;
    full) pre=(env MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM") ;;
    sampled) pre=(env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_SAMPLE=512K LD_PRELOAD="$SHIM") ;;
    heaptrack)
        [ -n "$HT" ] || { echo "- -"; return; }
        pre=("$HT" --raw -o "$W/ht")
        ;;
    esac
    if /usr/bin/time -f "%e %M" -o "$W/time" env PYTHONMALLOC=malloc "${pre[@]}" "$@" \
        < script.sql > "$W/out.$mode" 2> "$W/err.$mode"; then
        cat "$W/time"
    else
        echo "- -"
    fi
    rm -f "$W"/d.* "$W"/ht*
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "shim benchmark: $REPS rounds per workload, modes rotated within each round"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %9s %9s %9s %9s | %8s %8s %8s | %7s %7s %7s\n' workload native_s full_x sampled_x htrack_x \
    rss_nat full_rx htrk_rx R samp_% spread
worst_R=0 worst_P=0
for w in "${workloads[@]}"; do
    name=${w%%|*}
    cmd=${w#*|}
    for m in "${modes[@]}"; do : > "$W/t.$m"; : > "$W/r.$m"; : > "$W/q.$m"; done
    for rep in $(seq "$REPS"); do
        # Rotate the order so no mode always runs right after another.
        for k in 0 1 2 3; do
            m=${modes[$(((k + rep) % 4))]}
            read -r t r < <(run "$m" $cmd)
            [ "$t" = - ] && continue
            echo "$t" >> "$W/t.$m"
            echo "$r" >> "$W/r.$m"
        done
        # Per-round ratios against this round's native run (robust to drift).
    done
    tn=$(median < "$W/t.native") rn=$(median < "$W/r.native")
    tf=$(median < "$W/t.full") ts=$(median < "$W/t.sampled") th=$(median < "$W/t.heaptrack")
    rf=$(median < "$W/r.full") rh=$(median < "$W/r.heaptrack")
    spread=$(sort -g "$W/t.native" | awk '{ v[NR] = $1 } END { if (NR > 1 && v[1] > 0) printf "%.0f%%", (v[NR] - v[1]) / v[1] * 100; else print "-" }')
    line=$(awk -v tn="$tn" -v tf="$tf" -v ts="$ts" -v th="$th" -v rn="$rn" -v rf="$rf" -v rh="$rh" 'BEGIN {
        fx = tf / tn; sx = ts / tn
        hx = (th == "-") ? 0 : th / tn
        R = (hx > 1) ? (fx - 1) / (hx - 1) : -1
        printf "%9.3f %9.2f %9.3f %9s | %8d %8.2f %8s | %7s %7.1f",
            tn, fx, sx, (hx ? sprintf("%.2f", hx) : "-"), rn, rf / rn,
            (rh == "-" ? "-" : sprintf("%.2f", rh / rn)), (R < 0 ? "-" : sprintf("%.3f", R)), (sx - 1) * 100 }')
    printf '%-10s %s %7s\n' "$name" "$line" "$spread"
    R=$(echo "$line" | awk '{ print $9 }')
    P=$(echo "$line" | awk '{ print $10 }')
    worst_R=$(awk -v a="$worst_R" -v b="$R" 'BEGIN { print (b != "-" && b > a) ? b : a }')
    worst_P=$(awk -v a="$worst_P" -v b="$P" 'BEGIN { print (b > a) ? b : a }')
done
echo "(x = time / native time; rx = peak RSS / native; R = (full_x - 1) / (htrack_x - 1); spread = native max/min - 1)"

# The books' memory per live block, at several live-set sizes: the map
# engine's bytes (live map and big-block map) over the blocks it holds.
echo "books per live block (map engine bytes / live blocks, from the exit dump; 64 shards):"
worst_B=0
for live in 100000 300000 700000 1000000 2000000 3000000; do
    rm -f "$W"/d.*
    env MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM" "$CHURN" -t 1 -n "$live" -l "$live" -s 6 -k > /dev/null
    d=$(ls "$W"/d.* | head -1)
    x=$("$MSDUMP" --totals "$d" | sed -n 's/^shim.bytes_per_live_block_x100=//p')
    n=$("$MSDUMP" --totals "$d" | sed -n 's/^map.count=//p')
    b=$(awk -v x="$x" 'BEGIN { printf "%.1f", x / 100 }')
    printf '  %8d live blocks: %5s bytes each\n' "$n" "$b"
    worst_B=$(awk -v a="$worst_B" -v b="$b" 'BEGIN { print (b > a) ? b : a }')
done

# heaptrack's interpreter on a many-stacks x many-sizes trace: bounded here
# to 60 s and 4 GiB (it has been seen to run for hours and grow to 19 GB);
# the shim aggregates by stack as it goes and writes its dump at exit.
if [ -n "$HT" ] && [ -x /usr/lib/heaptrack/libexec/heaptrack_interpret ] && command -v zstd > /dev/null; then
    "$HT" --raw -o "$W/hti" "$CHURN" -t 1 -n 1000000 -s 12 > /dev/null 2>&1
    raw=$(ls "$W"/hti*.zst 2> /dev/null | head -1)
    if [ -n "$raw" ]; then
        s=$(date +%s.%N)
        ( ulimit -v 4194304; timeout 60 sh -c "zstd -dc '$raw' | /usr/lib/heaptrack/libexec/heaptrack_interpret > /dev/null" ) 2> /dev/null
        rc=$?
        e=$(date +%s.%N)
        case $rc in
        0) msg=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "finished in %.1f s", e - s }') ;;
        124) msg="did not finish within 60 s" ;;
        *) msg="failed (exit $rc; 4 GiB address-space limit)" ;;
        esac
        echo "heaptrack_interpret on the churn trace (8192 stacks x ~4000 sizes): $msg"
    fi
fi
echo "shim-bench: overhead_vs_heaptrack=$worst_R sampled_overhead_pct=$worst_P bytes_per_live_block=$worst_B"
