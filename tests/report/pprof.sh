#!/bin/sh
# pprof.sh — `go tool pprof` (Debian golang-go) reads --pprof output and
# shows the dump's totals for every sample type and the leaking functions.
. "$top_srcdir/tests/report/common.sh"
GO=$(command -v go || ls /usr/lib/go/bin/go 2>/dev/null || true)
[ -n "$GO" ] || skip "go not installed (apt-get install golang-go): cannot check --pprof with go tool pprof"
export HOME="$T" GOCACHE="$T/gocache" GOFLAGS=-mod=mod GOTOOLCHAIN=local

make_dump "$T/d.4242"
"$MS" report --pprof "$T/heap.pb.gz" "$T/d.4242" || fail "--pprof exited $?"
gzip -t "$T/heap.pb.gz" || fail "not gzip"

total() { # sample_index -> "Total samples = N..." figure
    "$GO" tool pprof -top -symbolize=none -unit=B -nodefraction=0 -sample_index="$1" \
        "$T/heap.pb.gz" 2> "$T/pprof.err" | sed -n 's/.*Total samples = \([0-9]*\).*/\1/p'
}
for pair in inuse_space:$INUSE_BYTES alloc_space:$BYTES_ALLOCATED \
            inuse_objects:$INUSE_BLOCKS alloc_objects:$ALLOCATIONS peak_space:$PEAK_BYTES; do
    idx=${pair%:*} want=${pair#*:}
    got=$(total "$idx")
    [ "$got" = "$want" ] || fail "pprof $idx total '$got', want $want ($(cat "$T/pprof.err"))"
done
"$GO" tool pprof -top -symbolize=none -nodefraction=0 "$T/heap.pb.gz" > "$T/top" 2>&1 || fail "pprof -top"
cat "$T/top"
grep -q "Type: inuse_space" "$T/top" || fail "default sample type is inuse_space"
for fn in make_token log_open load_config session_new main; do
    grep -q " $fn\$" "$T/top" || fail "pprof -top lacks $fn"
done
grep -q parse_request "$T/top" && fail "parse_request leaks nothing"
"$GO" tool pprof -raw -symbolize=none "$T/heap.pb.gz" > "$T/raw" 2>&1 || fail "pprof -raw"
grep -q "PeriodType: space bytes" "$T/raw" || fail "period type"
grep -Eq "^1: 0x555555554000/.*sessiond [0-9a-f]{40} \[FN\]\[FL\]\[LN\]" "$T/raw" ||
    fail "main mapping with build-id and symbol flags"
echo "pprof: ok"
