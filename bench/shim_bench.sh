#!/usr/bin/env bash
# shim_bench.sh — what libmapscope.so costs, against heaptrack, in one run.
#
#   bench/shim_bench.sh [REPS]          (make bench-shim runs it from the build tree)
#
# Workloads: the allocation-churn program (tests/programs/churn, 8192
# distinct stacks) with 1 and 2 threads, sqlite3 on a generated script,
# python3 (PYTHONMALLOC=malloc) on a dict/list-heavy script, and 10000 short
# threads one after another (tests/programs/thread_per_request: what a
# thread costs).  Each runs
# natively, under the shim with full tracking, under the shim sampled
# (MAPSCOPE_SAMPLE=512K) and under heaptrack's recorder (Debian's heaptrack
# 1.4: `heaptrack --raw`, its name for --record-only), REPS times in
# rotation; the medians of wall time and peak RSS are compared with the
# native run of the same round.  Then the books' memory per live block is
# read from the shim's own dumps at several live-set sizes (the engine's
# bytes, which change in steps as its bucket array doubles).  The machine
# is shared: medians are reported, and the spread is printed so a noisy run
# shows.  Also printed: what a process start costs under the shim (loading
# libunwind and libdw, the exit dump) and under heaptrack's wrapper script
# (part of heaptrack's figures), and the cost of the dwarf unwinder's
# rule-cache misses (a libdw lookup per distinct return address), from the
# python3 run's own dump.  Last, when valgrind is installed, instruction
# counts (callgrind) of smaller runs of the same workloads natively, sampled
# and in full: deterministic, so they show the shim's own work on a noisy
# machine, though not what cache and TLB misses cost.
#
# Services under load, the client outside the shim: redis-server under
# redis-benchmark -P 16 (every test of its default suite, after an untimed
# pass of it, -n $REDIS_REQUESTS each, default 100000; REDIS_SERVER and
# REDIS_BENCHMARK name other binaries, REDIS_TESTS fewer tests), and Python's
# ThreadingHTTPServer (a thread per connection) answering 1500 requests,
# each on a new connection: the loss of requests per second, per test, and
# for redis also the server's CPU time per test (its main thread's, from
# /proc/PID/schedstat in ns): a 50-ms test's rate moves by 5-10% between
# native runs on a shared 2-core machine, its server's CPU time by ~2.5%.
#
# The last line is machine-readable; each figure is the worst workload's:
#   shim-bench: overhead_vs_heaptrack=R sampled_overhead_pct=P bytes_per_live_block=B
#     threads_x=T threads_sampled_x=TS redis_loss_pct=L redis_sampled_loss_pct=LS
#     httpd_loss_pct=H httpd_sampled_loss_pct=HS redis_cpu_pct=C redis_sampled_cpu_pct=CS
# (on one line; "-" when a server is not installed).
# where R = (shim time / native - 1) / (heaptrack time / native - 1).
set -u
REPS=${1:-5}
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
SHIM="$top_builddir/lib/.libs/libmapscope.so"
MSDUMP="$top_builddir/tests/shim/msdump"
CHURN="$top_builddir/tests/programs/churn"
TPR="$top_builddir/tests/programs/thread_per_request"
for f in "$SHIM" "$MSDUMP" "$CHURN" "$TPR"; do
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
    printf "select count(*), sum(length(b)) from t where b like %c%%7%%%c;\n", 39, 39
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
    "threads|$TPR -n 10000 -a 40"
)
modes=(native full sampled heaptrack)

# run MODE CMD...: prints "wall_s maxrss_kb cpu_s" (or "- - -" when the run failed)
run() {
    local mode=$1
    shift
    local pre=()
    case "$mode" in
    native) ;;
    full) pre=(env MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM") ;;
    sampled) pre=(env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_SAMPLE=512K LD_PRELOAD="$SHIM") ;;
    heaptrack)
        [ -n "$HT" ] || { echo "- - -"; return; }
        pre=("$HT" --raw -o "$W/ht")
        ;;
    esac
    if /usr/bin/time -f "%e %M %U %S" -o "$W/time" env PYTHONMALLOC=malloc "${pre[@]}" "$@" \
        < script.sql > "$W/out.$mode" 2> "$W/err.$mode"; then
        awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$W/time"
    else
        echo "- - -"
    fi
    rm -f "$W"/d.* "$W"/ht*
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "shim benchmark: $REPS rounds per workload, modes rotated within each round"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
echo "Each ratio is the median over the rounds of (mode / native of the same round), so a"
echo "slow round hurts all modes alike; cpu = user+sys, less sensitive to other load."
printf '%-9s %8s | %6s %6s %6s | %6s %6s %6s | %6s %6s | %6s %6s | %6s\n' workload native_s \
    full_x samp_x htrk_x fullcpu sampcpu htrkcpu rss_f rss_h R R_cpu spread
worst_R=0 worst_P=0 worst_Rc=0 threads_x=- threads_sx=-
for w in "${workloads[@]}"; do
    name=${w%%|*}
    cmd=${w#*|}
    : > "$W/rounds"
    for rep in $(seq "$REPS"); do
        declare -A T=() R=() C=()
        # Rotate the order so no mode always runs right after another.
        for k in 0 1 2 3; do
            m=${modes[$(((k + rep) % 4))]}
            read -r t r c < <(run "$m" $cmd)
            T[$m]=$t R[$m]=$r C[$m]=$c
        done
        echo "${T[native]} ${T[full]} ${T[sampled]} ${T[heaptrack]} ${R[native]} ${R[full]} ${R[heaptrack]} ${C[native]} ${C[full]} ${C[sampled]} ${C[heaptrack]}" >> "$W/rounds"
    done
    line=$(awk '
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n == 0 ? -1 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
        }
        $1 != "-" && $1 > 0 {
            n++; tn[n] = $1
            fx[n] = $2 / $1; sx[n] = $3 / $1; rf[n] = $6 / $5
            cf[n] = ($8 > 0) ? $9 / $8 : 1; cs[n] = ($8 > 0) ? $10 / $8 : 1
            if ($4 != "-") { h++; hx[h] = $4 / $1; rh[h] = $7 / $5; ch[h] = ($8 > 0) ? $11 / $8 : 1 }
            if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1
        }
        END {
            F = med(fx, n); S = med(sx, n); H = med(hx, h); CF = med(cf, n); CS = med(cs, n); CH = med(ch, h)
            RR = (H > 1) ? (F - 1) / (H - 1) : -1; RC = (CH > 1) ? (CF - 1) / (CH - 1) : -1
            printf "%8.3f | %6.2f %6.3f %6s | %6.2f %6.3f %6s | %6.2f %6s | %6s %6s | %5.0f%% %.1f\n",
                med(tn, n), F, S, (H < 0 ? "-" : sprintf("%.2f", H)), CF, CS, (CH < 0 ? "-" : sprintf("%.2f", CH)),
                med(rf, n), (h ? sprintf("%.2f", med(rh, h)) : "-"), (RR < 0 ? "-" : sprintf("%.3f", RR)),
                (RC < 0 ? "-" : sprintf("%.3f", RC)), (lo > 0 ? (hi - lo) / lo * 100 : 0), (S - 1) * 100
        }' "$W/rounds")
    printf '%-9s %s\n' "$name" "${line% *}"
    R=$(echo "$line" | awk '{ print $14 }')
    Rc=$(echo "$line" | awk '{ print $15 }')
    P=${line##* }
    worst_R=$(awk -v a="$worst_R" -v b="$R" 'BEGIN { print (b != "-" && b > a) ? b : a }')
    worst_Rc=$(awk -v a="$worst_Rc" -v b="$Rc" 'BEGIN { print (b != "-" && b > a) ? b : a }')
    worst_P=$(awk -v a="$worst_P" -v b="$P" 'BEGIN { print (b > a) ? b : a }')
    if [ "$name" = threads ]; then
        threads_x=$(echo "$line" | awk '{ print $3 }')
        threads_sx=$(echo "$line" | awk '{ print $4 }')
    fi
done
echo "(x = wall time / native; cpu = cpu time / native; rss = peak RSS / native;"
echo " R = (full_x - 1) / (htrk_x - 1), on wall time; R_cpu the same on cpu time;"
echo " spread = (slowest - fastest) / fastest native run: above ~20% the machine was busy)"
echo "worst R on cpu time: $worst_Rc"
echo "load at the end of the workloads: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------ services --
# Servers under load, the client outside the shim: requests per second of
# the server natively, in full tracking and sampled, rotated within each
# round; the loss is 1 - median over the rounds of (mode / native of the
# same round), per test.  The client shares the 2 cores with the server,
# as it would on a small host.
#
# serve MODE PORT READY_CMD CLIENT_CMD -- SERVER...: start the server under
# MODE, wait until READY_CMD succeeds, print the client's output, stop it.
serve() {
    local mode=$1 ready=$2 client=$3
    shift 4
    local pre=()
    case "$mode" in
    full) pre=(env MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM") ;;
    sampled) pre=(env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_SAMPLE=512K LD_PRELOAD="$SHIM") ;;
    esac
    "${pre[@]}" "$@" > "$W/server.out" 2>&1 &
    local pid=$! i
    for i in $(seq 200); do
        sh -c "$ready" > /dev/null 2>&1 && break
        sleep 0.05
    done
    MS_SERVER_PID=$pid sh -c "$client" 2> /dev/null
    kill "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    rm -f "$W"/d.*
}

# service_rounds NAME -- SERVE-ARGS...: REPS rounds of native, full and
# sampled (rotated); the client prints "test rps" lines, or "test rps
# cpu_us" with the server's CPU time for the test.  Prints one line per
# test and leaves the worst losses in svc_full and svc_samp, and the worst
# CPU increases (or "-") in svc_full_cpu and svc_samp_cpu.
service_rounds() {
    local name=$1 rep k m
    shift 2
    : > "$W/svc"
    local smodes=(native full sampled)
    for rep in $(seq "$REPS"); do
        for k in 0 1 2; do
            m=${smodes[$(((k + rep) % 3))]}
            serve "$m" "$@" | awk -v m="$m" -v r="$rep" 'NF == 2 || NF == 3 { print r, m, $1, $2, (NF == 3 ? $3 : "-") }' >> "$W/svc"
        done
    done
    awk -v name="$name" '
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n == 0 ? -1 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
        }
        # v[round, mode, test, figure]: "rps", and "cpu" when the client measured it
        { v[$1, $2, $3, "rps"] = $4; v[$1, $2, $3, "cpu"] = $5; if (!($3 in seen)) { seen[$3] = 1; order[++nt] = $3 } if ($1 > nr) nr = $1 }
        # median over the rounds of mode / native for figure a, or -1
        function ratio(a, mode, T,   r, k, x) {
            k = 0; delete x
            for (r = 1; r <= nr; r++)
                if (v[r, "native", T, a] > 0 && v[r, mode, T, a] > 0) x[++k] = v[r, mode, T, a] / v[r, "native", T, a]
            return k ? med(x, k) : -1
        }
        END {
            wf = 0; ws = 0; cf = -1; cs = -1
            for (t = 1; t <= nt; t++) {
                T = order[t]; nn = 0; delete nat
                for (r = 1; r <= nr; r++) if (v[r, "native", T, "rps"] > 0) nat[++nn] = v[r, "native", T, "rps"]
                f = ratio("rps", "full", T); s = ratio("rps", "sampled", T)
                if (f < 0 || s < 0) { printf "  %-10s %-12s failed\n", name, T; wf = ws = 100; continue }
                lf = (1 - f) * 100; ls = (1 - s) * 100
                fc = ratio("cpu", "full", T); sc = ratio("cpu", "sampled", T); cpu = ""
                if (fc > 0 && sc > 0) {
                    cpu = sprintf("   cpu %+6.1f%% / %+5.1f%%", (fc - 1) * 100, (sc - 1) * 100)
                    if (cf < (fc - 1) * 100) cf = (fc - 1) * 100
                    if (cs < (sc - 1) * 100) cs = (sc - 1) * 100
                }
                printf "  %-10s %-12s native %10.0f/s   full %6.1f%%   sampled %6.1f%%%s\n", name, T, med(nat, nn), lf, ls, cpu
                if (lf > wf) wf = lf; if (ls > ws) ws = ls
            }
            printf "%.1f %.1f %s %s\n", wf, ws, cf < 0 ? "-" : sprintf("%.1f", cf), cs < 0 ? "-" : sprintf("%.1f", cs) > "/dev/stderr"
        }' "$W/svc" 2> "$W/svc.worst"
    read -r svc_full svc_samp svc_full_cpu svc_samp_cpu < "$W/svc.worst"
}

echo "services (requests per second; loss = 1 - mode / native of the same round, median; cpu = the server's CPU time per test, full / sampled, mode / native - 1, median):"
redis_full=- redis_samp=- redis_full_cpu=- redis_samp_cpu=-
RS=${REDIS_SERVER:-$(command -v redis-server || true)}
# Debian's redis-tools has the server's binary as redis-check-rdb (the
# name it is run by picks its role): no need for the redis-server package,
# which would start a system service.
if [ -z "$RS" ] && command -v redis-check-rdb > /dev/null; then
    ln -s "$(command -v redis-check-rdb)" "$W/redis-server" && RS="$W/redis-server"
fi
RB=${REDIS_BENCHMARK:-$(command -v redis-benchmark || true)}
if [ -n "$RS" ] && [ -n "$RB" ] && command -v redis-cli > /dev/null; then
    # redis-benchmark's default suite, named with -t, pipelined (-P 16) as a
    # busy server sees it; -n bounds each test.  Each server (native too)
    # first serves one untimed pass of the suite (-n 2000 per test): a test
    # lasts ~50 ms, and the first one would otherwise include the warm-up
    # (the unwinder's first look at each return address, ~0.65 us each; the
    # server's own tables growing), not the steady state a service runs in.
    RT=${REDIS_TESTS:-ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset}
    RN=${REDIS_REQUESTS:-100000}
    port=$((20000 + $$ % 20000))
    # The client: the untimed pass, then each test on its own, between two
    # reads of the server's CPU time (its main thread, where redis works).
    cat > redis_client.sh << 'SH'
rb=$1 port=$2 tests=$3 n=$4
cpu() { cut -d' ' -f1 "/proc/$MS_SERVER_PID/schedstat" 2> /dev/null; }
"$rb" -p "$port" -P 16 -n 2000 -t "$tests" -q > /dev/null 2>&1
for t in $(echo "$tests" | tr , ' '); do
    b=$(cpu)
    r=$("$rb" -p "$port" -P 16 -n "$n" -t "$t" -q --csv |
        awk -F'","' 'NR > 1 && !/needed/ { gsub(/"/, "", $1); sub(/ .*/, "", $1); print $1, $2 }')
    e=$(cpu)
    [ -n "$r" ] || continue
    if [ -n "$b" ] && [ -n "$e" ]; then echo "$r $(((e - b) / 1000))"; else echo "$r"; fi
done
redis-cli -p "$port" shutdown nosave
SH
    service_rounds redis -- "redis-cli -p $port ping | grep -q PONG" \
        "sh redis_client.sh $RB $port $RT $RN" \
        -- "$RS" --port "$port" --save "" --appendonly no --bind 127.0.0.1
    redis_full=$svc_full redis_samp=$svc_samp redis_full_cpu=$svc_full_cpu redis_samp_cpu=$svc_samp_cpu
    echo "  redis-server ($("$RS" --version | sed 's/ sha=.*//')), redis-benchmark -P 16 -n $RN: worst loss full $redis_full%, sampled $redis_samp%; worst CPU time full +$redis_full_cpu%, sampled +$redis_samp_cpu%"
else
    echo "  redis-server, redis-benchmark or redis-cli not installed (apt-get install redis-tools): no redis figures"
fi
# Python's ThreadingHTTPServer: a thread per connection, each request a
# new connection (http.client, 1500 requests) from a client outside the
# shim.
cat > httpd.py << 'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.path * 50).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
cat > httpc.py << 'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
t = time.monotonic()
for i in range(n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/item/%d" % i)
    c.getresponse().read()
    c.close()
print("requests", n / (time.monotonic() - t))
PY
hport=$((40000 + $$ % 20000))
PYTHONMALLOC=malloc service_rounds httpd -- "$PY -c 'import socket; socket.create_connection((\"127.0.0.1\", $hport)).close()'" \
    "$PY httpc.py $hport 1500" -- "$PY" httpd.py "$hport"
httpd_full=$svc_full httpd_samp=$svc_samp

# Fixed costs per process: 50 starts of /bin/true, natively, under the shim
# (dwarf unwinder: libunwind and libdw loaded, an exit dump written) and
# under heaptrack's wrapper (a shell script that starts zstd).
per_start() {
    local s e
    s=$(date +%s%N)
    for _ in $(seq 50); do "$@" > /dev/null 2>&1; done
    e=$(date +%s%N)
    awk -v d=$((e - s)) 'BEGIN { printf "%.2f", d / 50 / 1e6 }'
    rm -f "$W"/d.* "$W"/ht*
}
t_nat=$(per_start env /bin/true)
t_shim=$(per_start env MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM" /bin/true)
t_ht=-
[ -n "$HT" ] && t_ht=$(per_start "$HT" --raw -o "$W/ht" /bin/true)
echo "a process start (/bin/true, 50 runs): native $t_nat ms, shim $t_shim ms, heaptrack --raw $t_ht ms"

# The dwarf unwinder's rule-cache misses on python3: each is one libdw
# lookup (dl_iterate_phdr, then dwarf_cfi_addrframe on the object's file),
# timed by the shim itself (ENGINE unwind.lookups / unwind.lookup_ns).
rm -f "$W"/d.*
env PYTHONMALLOC=malloc MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM" "$PY" work.py > /dev/null
d=$(ls "$W"/d.* | head -1)
"$MSDUMP" --totals "$d" > "$W/tot"
awk -F= '{ v[$1] = $2 } END {
    printf "dwarf unwinder on python3: %d rule-cache misses (libdw lookups, %d objects opened), %.0f ns each, %.1f ms in all; stack cache %d hits, %d misses\n",
        v["unwind.lookups"], v["unwind.objects"], v["unwind.lookups"] ? v["unwind.lookup_ns"] / v["unwind.lookups"] : 0,
        v["unwind.lookup_ns"] / 1e6, v["stack_cache.hits"], v["stack_cache.misses"] }' "$W/tot"

# Instruction counts: valgrind's launcher runs first, so the shim is kept in
# LD_PRELOAD for its child (MAPSCOPE_FOLLOW_CHILDREN=1).
if command -v valgrind > /dev/null 2>&1; then
    head -4000 script.sql > small.sql
    echo "commit;" >> small.sql
    sed 's/300000/30000/; s/200000/20000/' work.py > small.py
    ir() {
        env PYTHONMALLOC=malloc MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_FOLLOW_CHILDREN=1 "$@" < small.sql 2>&1 > /dev/null |
            sed -n 's/.*Collected : //p' | tail -1
        rm -f "$W"/d.*
    }
    echo "instruction counts (callgrind, smaller inputs; ratio to native; no cache or TLB effects):"
    for w in "churn-1t|$CHURN -t 1 -n 300000 -s 12" "sqlite3|sqlite3 :memory:" "python3|$PY small.py"; do
        name=${w%%|*}
        cmd=${w#*|}
        vg=(valgrind --tool=callgrind --callgrind-out-file=/dev/null)
        n=$(ir "${vg[@]}" $cmd)
        smp=$(ir MAPSCOPE_SAMPLE=512K LD_PRELOAD="$SHIM" "${vg[@]}" $cmd)
        full=$(ir LD_PRELOAD="$SHIM" "${vg[@]}" $cmd)
        awk -v name="$name" -v n="$n" -v s="$smp" -v f="$full" 'BEGIN {
            if (n > 0) printf "  %-9s native %12d  sampled %.3f  full %.3f\n", name, n, s / n, f / n }'
    done
fi

# The books' memory per live block: the map engine's bytes (live map and
# big-block map) over the blocks it holds, read from the exit dump of churn
# -k, which leaves its blocks live.  The figure changes in steps as the
# engine's bucket arrays double, so it is sampled at 8 live-set sizes spread
# evenly (in log scale) over one doubling, 1M to 2M blocks; the average over
# the cycle is the figure, min and max are shown.
echo "books per live block (map engine bytes / live blocks in the map, exit dump of churn -k):"
: > "$W/bpb"
for k in 0 1 2 3 4 5 6 7; do
    live=$(awk -v k=$k 'BEGIN { printf "%d", 1000000 * 2 ^ (k / 8) }')
    rm -f "$W"/d.*
    env MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM" "$CHURN" -t 1 -n "$live" -l "$live" -s 6 -k > /dev/null
    d=$(ls "$W"/d.* | head -1)
    x=$("$MSDUMP" --totals "$d" | sed -n 's/^shim.bytes_per_live_block_x100=//p')
    n=$("$MSDUMP" --totals "$d" | sed -n 's/^map.count=//p')
    awk -v x="$x" 'BEGIN { printf "%.1f\n", x / 100 }' >> "$W/bpb"
    printf '  %8d blocks in the map: %5s bytes each\n' "$n" "$(tail -1 "$W/bpb")"
done
worst_B=$(awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
    END { printf "%.1f", s / NR > "/dev/stderr"; printf "%.1f", s / NR }' "$W/bpb" 2> /dev/null)
awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
    END { printf "  over the doubling cycle: mean %.1f, min %.1f, max %.1f bytes per live block\n", s / NR, lo, hi }' "$W/bpb"

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
echo "shim-bench: overhead_vs_heaptrack=$worst_R sampled_overhead_pct=$worst_P bytes_per_live_block=$worst_B threads_x=$threads_x threads_sampled_x=$threads_sx redis_loss_pct=$redis_full redis_sampled_loss_pct=$redis_samp httpd_loss_pct=$httpd_full httpd_sampled_loss_pct=$httpd_samp redis_cpu_pct=$redis_full_cpu redis_sampled_cpu_pct=$redis_samp_cpu"
