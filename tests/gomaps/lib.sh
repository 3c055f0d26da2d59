# lib.sh — shared helpers of the mapscope gomaps end-to-end tests (sourced).
#
# The Go test programs print TRUTH lines (their own map state, read through
# unsafe); the tests run mapscope gomaps on them and compare its JSON-lines
# findings with those lines.  eBPF needs root: without it, or without the
# probe or Go, a test exits 77 (SKIP) and says why.

set -u
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
src="$top_srcdir/tests/gomaps"
mapscope="$top_builddir/tools/mapscope"
fails=0
W=$(mktemp -d "${TMPDIR:-/tmp}/gomaps-test.XXXXXX")
trap 'kill_bg; rm -rf "$W"' EXIT
bg_pids=""
kill_bg() { for p in $bg_pids; do kill "$p" 2>/dev/null; done; return 0; }

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }

need_go() {
    GO=$(command -v go || echo /usr/lib/go/bin/go)
    [ -x "$GO" ] || skip "Go toolchain not found (apt-get install golang-go)"
    command -v jq >/dev/null || skip "jq not found (apt-get install jq)"
}

need_probe() {
    grep -q '^#define MS_HAVE_PROBE 1' "$top_builddir/config.h" ||
        skip "mapscope was configured without the eBPF probe"
    [ "$(id -u)" -eq 0 ] || skip "attaching eBPF uprobes needs root"
    need_go
}

# build NAME [go build flags...]: tests/gomaps/NAME.go + truth.go -> $W/NAME
build() {
    local name=$1 out=$W/$1
    shift
    [ $# -gt 0 ] && out=$W/$name.$(echo "$*" | tr -c 'a-z0-9' _)
    (cd "$src" && GOCACHE="$W/gocache" GOPATH="$W/gopath" HOME="$W" GOFLAGS= GO111MODULE=off \
        "$GO" build "$@" -o "$out" "$name.go" truth.go) || { echo "FAIL: go build $name"; exit 1; }
    echo "$out"
}

# swiss_toolchains: the installed Go toolchains with Swiss-table maps (one go binary per line)
swiss_toolchains() {
    local v
    for v in 1.24 1.26 1.27; do
        [ -x "/usr/lib/go-$v/bin/go" ] && echo "/usr/lib/go-$v/bin/go"
    done
    return 0
}

# build_cached GO NAME HELPER [go build flags...]: tests/gomaps/NAME.go + HELPER.go built
# with toolchain GO, kept in the build tree (rebuilt when a source is newer) so each CI
# run builds it once, with the user's Go build cache.  The file is NAME[.FLAGS].goVERSION.
build_cached() {
    local go=$1 name=$2 helper=$3 ver dir out tag=""
    shift 3
    [ $# -gt 0 ] && tag=.$(echo "$*" | tr -c 'a-z0-9' _)
    ver=$("$go" env GOVERSION) || { echo "FAIL: $go env GOVERSION" >&2; exit 1; }
    dir="$top_builddir/tests/gomaps/gocache"
    out="$dir/$name$tag.$ver"
    # the user's Go build cache, as gobin.test uses: the standard library is compiled
    # once per toolchain and machine, not per build tree (GOMAPS_GOCACHE: elsewhere)
    local gocache=${GOMAPS_GOCACHE:-$(env -u GOCACHE "$go" env GOCACHE 2>/dev/null)}
    [ -n "$gocache" ] || gocache="$dir/build"
    mkdir -p "$dir"
    if [ ! -x "$out" ] || [ "$src/$name.go" -nt "$out" ] || [ "$src/$helper.go" -nt "$out" ]; then
        (cd "$src" && GOCACHE="$gocache" GOPATH="$W/gopath" HOME="$W" GOFLAGS= GO111MODULE=off \
            GOTOOLCHAIN=local "$go" build "$@" -o "$out.tmp" "$name.go" "$helper.go" && mv "$out.tmp" "$out") >&2 ||
            { echo "FAIL: $go build $name" >&2; exit 1; }
    fi
    echo "$out"
}

# start_ready PROG OUT [ARGS...]: start PROG in the background (output in OUT) and wait
# until it prints READY, its maps built; sets $target.
start_ready() {
    local prog=$1 out=$2
    shift 2
    "$prog" "$@" >"$out" 2>&1 &
    target=$!
    bg_pids="$bg_pids $target"
    for _ in $(seq 600); do grep -q READY "$out" && return 0; sleep 0.1; done
    cat "$out"
    echo "FAIL: $prog never got READY"
    exit 1
}

# stop_target: end the background program started by start_ready
stop_target() {
    kill "$target" 2>/dev/null
    wait "$target" 2>/dev/null
    bg_pids=""
}

# field JSON NAME KIND FIELD: one field of the finding of that kind for map NAME
# (its address from the TRUTH lines in $W/out)
field() {
    finding "$1" "$(truth "$W/out" "$2" map)" "$3" | jq -r ".$4"
}

# truth OUTFILE NAME FIELD: a field of the program's own TRUTH line for map NAME
truth() {
    grep "^TRUTH name=$2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n1
}

# finding JSON MAP KIND: the finding record of that kind for that map ("" if none)
finding() {
    jq -c --arg m "$2" --arg k "$3" 'select(.record=="finding" and .map==$m and .finding==$k)' "$1"
}

eq() { # eq WHAT GOT WANT
    if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

# expect OUT JSON NAME KIND REASON FIELD=TRUTHFIELD...: the map NAME has finding KIND
# with REASON, and each listed JSON field equals the program's own figure.
expect() {
    local out=$1 json=$2 name=$3 kind=$4 reason=$5 addr rec f
    shift 5
    addr=$(truth "$out" "$name" map)
    [ -n "$addr" ] || { fail "$name: no TRUTH line"; return; }
    rec=$(finding "$json" "$addr" "$kind")
    if [ -z "$rec" ]; then
        fail "$name ($addr) not flagged $kind"
        return
    fi
    eq "$name $kind reason" "$(echo "$rec" | jq -r .reason)" "$reason"
    for f in "$@"; do
        eq "$name $kind ${f%%=*}" "$(echo "$rec" | jq -r ".${f%%=*}")" "$(truth "$out" "$name" "${f#*=}")"
    done
}

# expect_total JSON N: exactly N finding records in all (nothing else flagged)
expect_total() {
    eq "number of findings" "$(jq -c 'select(.record=="finding")' "$1" | wc -l)" "$2"
}

# not_flagged OUT JSON NAME: no finding of any kind for map NAME
not_flagged() {
    local addr
    addr=$(truth "$1" "$3" map)
    [ -n "$addr" ] || { fail "$3: no TRUTH line"; return; }
    eq "$3 ($addr) findings" "$(jq -c --arg m "$addr" 'select(.record=="finding" and .map==$m)' "$2" | wc -l)" 0
}

finish() {
    if [ "$fails" -ne 0 ]; then
        echo "$fails check(s) failed"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

# run_linger [go build flags...]: build linger.go with the flags, run it under
# mapscope gomaps from the start, and check every map against its TRUTH line.
# With types=no in the environment the key/elem names are not checked.
run_linger() {
    prog=$(build linger "$@")
    "$mapscope" gomaps -v ${gomaps_opts:-} --linger 1 --interval 0.2 --json "$W/f.json" -- "$prog" -hold 2.5s \
        >"$W/out" 2>"$W/err"
    rc=$?
    cat "$W/out" "$W/err"
    eq "exit status" "$rc" 0
    for m in linger_int64 linger_string linger_struct linger_big; do
        expect "$W/out" "$W/f.json" $m lingering_oldbuckets stalled \
            count=count B=B bucket_bytes=bucket_bytes old_bytes=old_bytes nevacuate=nevacuate
    done
    # int64 maps have pointer-free buckets: Go lists their overflow buckets, so the count is exact.
    for m in linger_int64 linger_big; do
        expect "$W/out" "$W/f.json" $m lingering_oldbuckets stalled old_overflow_buckets=oldoverflow_len
    done
    # pointer buckets: the chains still hanging off the old array, walked as Go does
    for m in linger_string linger_struct; do
        expect "$W/out" "$W/f.json" $m lingering_oldbuckets stalled old_overflow_buckets=oldoverflow_chains
    done
    [ "${types:-yes}" = no ] && { expect_total "$W/f.json" 4; return; }
    eq "key/elem of linger_string" "$(finding "$W/f.json" "$(truth "$W/out" linger_string map)" \
        lingering_oldbuckets | jq -r '.key_type + " " + .elem_type')" "string int"
    eq "key of linger_struct" "$(finding "$W/f.json" "$(truth "$W/out" linger_struct map)" \
        lingering_oldbuckets | jq -r .key_type)" "struct { main.a int32; main.b int32; main.s string }"
    site=$(finding "$W/f.json" "$(truth "$W/out" linger_big map)" lingering_oldbuckets | jq -r .site)
    case "$site" in
    main.fillUntilGrowing*truth.go:*) pass "site $site" ;;
    *) fail "site of linger_big: '$site'" ;;
    esac
    ling=$(finding "$W/f.json" "$(truth "$W/out" linger_int64 map)" lingering_oldbuckets | jq -r .lingering_s)
    awk -v l="$ling" 'BEGIN { exit !(l >= 1.0 && l <= 10) }' && pass "lingering_s $ling" ||
        fail "lingering_s $ling (want between --linger 1 and the run length)"
    not_flagged "$W/out" "$W/f.json" completed
    not_flagged "$W/out" "$W/f.json" presized
    expect_total "$W/f.json" 4
    grep -q '^\[lingering_oldbuckets/stalled\] map ' "$W/out" && pass "text report" || fail "text report"
}
