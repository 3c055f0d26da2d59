#!/bin/bash
# bench-gomaps-service.sh — what attaching `mapscope gomaps -p` costs a real Go service
# under load: etcd (Debian's etcd-server, which nobody here wrote) answering range
# requests on 127.0.0.1 through its HTTP gateway, loaded by hey (Debian's HTTP load
# generator).
#
# Each run loads the same etcd process for LOAD_S seconds; at ATTACH_S seconds it either
# attaches gomaps -p (a probed run, attached until the end) or does nothing (a plain
# run).  Throughput is read from etcd's own counter of served ranges
# (etcd_mvcc_range_total on /metrics), sampled every 0.25 s, so the load generator's
# view does not matter.  Per run: the rate before the attach point (from 1 s to ATTACH_S),
# in the first second after it, and from 2 s after it to the end; each run's rates are
# divided by its own rate before (this takes out most of the machine's noise), and the
# medians of those ratios over alternating probed and plain runs are compared.
#   RUNS (default 9 each), LOAD_S (14), ATTACH_S (5), CONC (16 hey workers).
# The service: ETCD=/path/to/etcd, else Debian's etcd-server from forky (Swiss-table maps,
# Go 1.26), fetched once with apt-get download into the build tree.  ETCD_SUITE=bookworm
# takes Debian 12's etcd 3.4 (Go 1.19, classic maps) instead.  Needs root, hey and curl.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
. "$top_srcdir/tests/gomaps/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "attaching eBPF uprobes needs root"
command -v hey >/dev/null || skip "hey not found (apt-get install hey)"
command -v curl >/dev/null || skip "curl not found (apt-get install curl)"
runs=${RUNS:-9}
load_s=${LOAD_S:-14}
attach_s=${ATTACH_S:-5}
conc=${CONC:-16}
suite=${ETCD_SUITE:-forky}

etcd=${ETCD:-}
if [ -z "$etcd" ]; then
    cache="$top_builddir/tests/gomaps/bench-svc/$suite"
    etcd="$cache/usr/bin/etcd"
    if [ ! -x "$etcd" ]; then
        mkdir -p "$cache"
        (cd "$cache" && apt-get download "etcd-server/$suite" >/dev/null 2>&1 &&
            dpkg-deb -x etcd-server_*.deb .) || skip "cannot fetch etcd-server/$suite with apt-get download"
    fi
fi
[ -x "$etcd" ] || skip "no etcd at $etcd"

port=$((23000 + RANDOM % 2000))
url="http://127.0.0.1:$port"
"$etcd" --data-dir "$W/etcd" --listen-client-urls "$url" --advertise-client-urls "$url" \
    --listen-peer-urls "http://127.0.0.1:$((port + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
    --initial-cluster "default=http://127.0.0.1:$((port + 1))" >"$W/etcd.log" 2>&1 &
svc=$!
bg_pids="$bg_pids $svc"
for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
curl -sf "$url/health" >/dev/null || { cat "$W/etcd.log"; echo "FAIL: etcd did not start"; exit 1; }
# 1000 keys under one prefix; each request reads 10 of them
for i in $(seq 1000); do
    printf '{"key":"%s","value":"%s"}\n' "$(printf 'k/%04d' "$i" | base64)" \
        "$(head -c 96 /dev/urandom | base64 -w0)"
done >"$W/puts"
while read -r body; do curl -sf -X POST -d "$body" "$url/v3/kv/put" >/dev/null; done <"$W/puts"
range=$(printf '{"key":"%s","range_end":"%s","limit":10}' "$(printf 'k/' | base64)" \
    "$(printf 'k0' | base64)")

counter() { curl -s "$url/metrics" | awk '$1 == "etcd_mvcc_range_total" { print $2; exit }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one_run probed|plain: writes "before first after" (requests per second) to $W/rates.$1
one_run() {
    local kind=$1 t0 now mpid=""
    hey -z "${load_s}s" -c "$conc" -m POST -d "$range" "$url/v3/kv/range" >"$W/hey.out" 2>&1 &
    local hpid=$!
    t0=$(date +%s.%N)
    : >"$W/samples"
    local attached=no
    while kill -0 $hpid 2>/dev/null; do
        now=$(date +%s.%N)
        echo "$(echo "$now - $t0" | bc) $(counter)" >>"$W/samples"
        if [ $attached = no ] && [ "$(echo "$now - $t0 >= $attach_s" | bc)" = 1 ]; then
            attached=yes
            echo "$(echo "$now - $t0" | bc) ATTACH" >>"$W/samples"
            if [ "$kind" = probed ]; then
                "$mapscope" gomaps -q -p "$svc" --duration $((load_s - attach_s + 1)) \
                    >"$W/gomaps.out" 2>"$W/gomaps.err" &
                mpid=$!
            fi
        fi
        sleep 0.25
    done
    wait $hpid
    [ -n "$mpid" ] && { wait $mpid || { cat "$W/gomaps.err"; echo "FAIL: gomaps -p $svc failed"; exit 1; }; }
    # rate between times a and b, from the counter samples (linear between samples)
    awk -v A="$attach_s" -v L="$load_s" '
        $2 == "ATTACH" { at = $1; next }
        $2 != "" { t[n] = $1; c[n] = $2; n++ }
        function at_time(x,   i) { for (i = 1; i < n; i++) if (t[i] >= x)
            return c[i - 1] + (c[i] - c[i - 1]) * (x - t[i - 1]) / (t[i] - t[i - 1]); return c[n - 1] }
        function rate(a, b) { return (at_time(b) - at_time(a)) / (b - a) }
        END { e = t[n - 1] < L ? t[n - 1] : L
              printf "%.1f %.1f %.1f\n", rate(1, at), rate(at, at + 1), rate(at + 2, e) }' \
        "$W/samples" >>"$W/rates.$kind"
}

: >"$W/rates.probed" >"$W/rates.plain"
version=?
for g in /usr/lib/go-1.27/bin/go /usr/lib/go-1.26/bin/go "$(command -v go)"; do
    [ -x "$g" ] && version=$("$g" version "$etcd" | sed 's/.*: //') && break
done
echo "gomaps overhead on a real service: $etcd ($version), pid $svc"
echo "  load: hey -c $conc POST /v3/kv/range (10 of 1000 keys) for $load_s s per run;" \
    "attach at $attach_s s; $runs runs each, alternating"
if ! "$mapscope" gomaps -q -p "$svc" --duration 0.5 >/dev/null 2>"$W/probe.err"; then
    echo "  gomaps cannot attach to it: $(head -n1 "$W/probe.err")"
    echo "  (no figures: the service's maps are not supported by this build)"
    exit 0
fi
one_run plain >/dev/null # warm-up, not counted
: >"$W/rates.plain"
for i in $(seq "$runs"); do # which goes first alternates
    if [ $((i % 2)) -eq 1 ]; then one_run plain; one_run probed; else one_run probed; one_run plain; fi
done

report() { # report KIND: the medians of the per-run ratios
    awk '{ printf "%.5f %.5f %.1f\n", $2 / $1, $3 / $1, $3 }' "$W/rates.$1" >"$W/ratios.$1"
    echo "$(cut -d' ' -f1 "$W/ratios.$1" | median) $(cut -d' ' -f2 "$W/ratios.$1" | median)" \
        "$(cut -d' ' -f3 "$W/ratios.$1" | median)"
}
read -r pf pa pabs <<<"$(report probed)"
read -r nf na nabs <<<"$(report plain)"
echo "  requests/s (before / first second / after), per run:"
echo "    plain:  $(awk '{ printf "%s/%s/%s  ", $1, $2, $3 }' "$W/rates.plain")"
echo "    probed: $(awk '{ printf "%s/%s/%s  ", $1, $2, $3 }' "$W/rates.probed")"
echo "  median rate after the attach point: plain $nabs/s, probed $pabs/s"
awk -v pf="$pf" -v pa="$pa" -v nf="$nf" -v na="$na" 'BEGIN {
    printf "  first second after attach: %+.2f %% (median ratio to the run'"'"'s own rate before: probed %.4f, plain %.4f; target >= -5 %%)\n", (pf / nf - 1) * 100, pf, nf
    printf "  steady, attached:          %+.2f %% (probed %.4f, plain %.4f; target >= -2 %%)\n", (pa / na - 1) * 100, pa, na }'
echo "  last probed run: $(grep -m1 '^probe hits' "$W/gomaps.out" | head -c 200)"
echo "  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
kill "$svc" 2>/dev/null
wait "$svc" 2>/dev/null
bg_pids=""
exit 0
