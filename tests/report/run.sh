#!/bin/sh
# run.sh — end to end with the real shim: `mapscope run` on the bundled
# example (whose leaks are known exactly: see examples/sessiond.c), then
# `mapscope report` on its dump.  Exit status and signals pass through,
# options reach the shim, static and setuid programs are refused, children
# are followed and merged, two runs diff.
. "$top_srcdir/tests/report/common.sh"
[ -z "${MS_SANITIZED:-}" ] || skip "LD_PRELOAD end-to-end test: not run in the sanitizer build"
[ -e "$top_builddir/lib/.libs/libmapscope.so" ] || fail "libmapscope.so not built"
SUPP=$top_srcdir/examples/sessiond.supp
SRC=$top_srcdir/examples/sessiond.c
line_of() { grep -n "$1" "$SRC" | head -1 | cut -d: -f1; }
L_TOKEN=$(line_of 'malloc(33)') L_LOG=$(line_of 'malloc(4096)') L_CONFIG=$(line_of 'strdup("listen')

cd "$T"
"$MS" run -o "$T/d" -- "$EX" > "$T/out" 2> "$T/err" || fail "run exited $?: $(cat "$T/err")"
cat "$T/err"
grep -q "^sessiond: 2000 requests" "$T/out" || fail "the program's stdout is its own"
dump=$(ls "$T"/d.[0-9]*)
[ "$(echo "$dump" | wc -l)" = 1 ] || fail "one dump expected: $dump"
grep -q "^mapscope: dump written to $dump\$" "$T/err" || fail "dump location"
grep -Eq "^mapscope:   peak [0-9.]+ KiB in [0-9]+ blocks\$" "$T/err" || fail "peak line"
# "leaked" only for lost blocks: the tokens; the config copy, the log
# buffer and stdout's buffer are still reachable through globals.
grep -q "^mapscope:   leaked 64.1 KiB in 1990 blocks from 1 stack (definitely lost 64.1 KiB, indirectly 0 B, possibly 0 B)\$" "$T/err" ||
    fail "leak line"
grep -q "^mapscope:   still reachable 8.0 KiB in 3 blocks (not leaks)\$" "$T/err" || fail "still reachable line"
grep -q "^mapscope:   top leak 64.1 KiB in 1990 blocks at make_token (sessiond.c:$L_TOKEN)\$" "$T/err" ||
    fail "top leak line"

# The report names exactly the leaking function with file:line (the
# allocation call in the source), and the still reachable blocks apart.
"$MS" report --frames 0 --suppressions "$SUPP" "$dump" > "$T/text" || fail "report $?"
sed -n '/^== Leaks/,/^== Still reachable/p' "$T/text" > "$T/leaks"
sed -n '/^== Still reachable/,/^== Peak/p' "$T/text" > "$T/reach"
cat "$T/leaks" "$T/reach"
[ "$(grep -c '^  #' "$T/leaks")" = 1 ] || fail "exactly one leak"
grep -q "^== Leaks: lost blocks (definitely, indirectly or possibly lost): 64.1 KiB in 1990 blocks from 1 stack" "$T/leaks" ||
    fail "leak totals: 1990 x 33 bytes"
grep -A2 '^  #1 ' "$T/leaks" | grep -q "^      definitely lost 64.1 KiB in 1990 blocks\$" || fail "kind of the leak"
grep -A2 '^  #1 ' "$T/leaks" | grep -q "^        make_token (sessiond.c:$L_TOKEN)\$" || fail "make_token is the leak's first frame"
[ "$(grep -c '^  #' "$T/reach")" = 3 ] || fail "three still reachable stacks"
for want in "log_open (sessiond.c:$L_LOG)" "load_config (sessiond.c:$L_CONFIG)"; do
    grep -q "^        $want\$" "$T/reach" || fail "$want is not listed as still reachable"
done

# --json totals equal the dump's TOTALS record (read here independently).
"$MS" report --json "$dump" > "$T/json" || fail "--json"
python3 - "$dump" "$T/json" <<'PY' || fail "JSON totals differ from the dump's"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"MAPSCOPE"
o, totals = struct.unpack_from("<H", b, 10)[0], {}
while o + 12 <= len(b):
    t, _, n = struct.unpack_from("<HHI", b, o)
    p = b[o + 8:o + 8 + n]
    if t == 8:
        (cnt,), q = struct.unpack_from("<I", p), 4
        for _ in range(cnt):
            (ln,) = struct.unpack_from("<I", p, q); q += 4
            name = p[q:q + ln].decode(); q += ln
            (totals[name],) = struct.unpack_from("<Q", p, q); q += 8
    o += 8 + n + 4
j = json.load(open(sys.argv[2]))["totals"]
for k in ("allocations", "frees", "bytes_allocated", "inuse_blocks", "inuse_bytes", "peak_bytes",
          "failed", "unknown_frees"):
    assert j[k] == totals.get(k, 0), (k, j[k], totals.get(k))
print("totals equal:", {k: j[k] for k in ("allocations", "inuse_bytes", "peak_bytes")})
PY
tot() { python3 -c "import json,sys; print(json.load(open('$T/json'))['totals']['$1'])"; }

# Folded stacks add up to the totals.
for m in leaked:inuse_bytes peak:peak_bytes allocated:bytes_allocated lost:definitely_lost_bytes \
    reachable:still_reachable_bytes; do
    "$MS" report --folded="${m%:*}" "$dump" > "$T/folded"
    sum=$(awk '{s += $NF} END {print s + 0}' "$T/folded")
    [ "$sum" = "$(tot "${m#*:}")" ] || fail "folded ${m%:*} sums to $sum, ${m#*:} is $(tot "${m#*:}")"
done

# The CI gate on the real dump: 1990 x 33 = 65670 bytes definitely lost;
# counting still reachable blocks too: + 4096 + 47 = 69813 unsuppressed.
set +e
"$MS" report --fail-on-leak 65669 --suppressions "$SUPP" "$dump" > /dev/null 2>&1; rc1=$?
"$MS" report --fail-on-leak 65670 --suppressions "$SUPP" "$dump" > /dev/null 2>&1; rc2=$?
"$MS" report --fail-on-leak 69812 --fail-leak-kinds all --suppressions "$SUPP" "$dump" > /dev/null 2>&1; rc3=$?
"$MS" report --fail-on-leak 69813 --fail-leak-kinds all --suppressions "$SUPP" "$dump" > /dev/null 2>&1; rc4=$?
set -e
[ "$rc1" = 3 ] && [ "$rc2" = 0 ] && [ "$rc3" = 3 ] && [ "$rc4" = 0 ] ||
    fail "gate: $rc1 $rc2 $rc3 $rc4 (want 3 0 3 0)"

# pprof and HTML on the real dump.
if GO=$(command -v go); then
    HOME=$T GOCACHE=$T/gocache "$MS" report --pprof "$T/p.pb.gz" "$dump"
    HOME=$T GOCACHE=$T/gocache "$GO" tool pprof -top -unit=B -symbolize=none "$T/p.pb.gz" > "$T/top" 2>&1
    grep -q "Total samples = $(tot inuse_bytes)B" "$T/top" || fail "pprof total: $(head -8 "$T/top")"
    grep -q " make_token\$" "$T/top" || fail "pprof names make_token"
fi

# Options reach the shim (its settings are in the dump).
"$MS" run -q -o "$T/opt" --sample 512K --depth 8 --linger 2s -- "$EX" 10 > /dev/null
"$MS" report --json "$T"/opt.[0-9]* > "$T/oj"
python3 - "$T/oj" <<'PY' || fail "options did not reach the shim"
import json, sys
s = json.load(open(sys.argv[1]))["settings"]
assert s["sample_bytes"] == "524288" and s["depth"] == "8" and s["linger_s"] == "2", s
PY
# Every unwinder the shim offers is accepted by run and reaches the shim.
for m in dwarf libunwind fp; do
    rm -f "$T"/uw.*
    "$MS" run -q -o "$T/uw" --unwind "$m" -- "$EX" 10 > /dev/null || fail "run --unwind $m"
    "$MS" report --json "$T"/uw.[0-9]* > "$T/uj"
    python3 - "$T/uj" "$m" <<'PY' || fail "--unwind $m did not reach the shim"
import json, sys
s = json.load(open(sys.argv[1]))["settings"]
assert s["unwind"] == sys.argv[2], s
PY
done

# Exit status and death by signal pass through.
set +e
"$MS" run -q -o "$T/x" -- sh -c 'exit 7'; rc=$?
[ "$rc" = 7 ] || fail "exit status: $rc"
"$MS" run -q -o "$T/x" -- sh -c 'kill -TERM $$'; rc=$?
[ "$rc" = 143 ] || fail "killed by SIGTERM: status $rc, want 143"
"$MS" run -o "$T/x" -- /nonexistent/program 2> "$T/err"; rc=$?
[ "$rc" = 127 ] || fail "missing program: $rc"
set -e

# Static and setuid programs are refused with the reason.
printf 'int main(void) { return 0; }\n' > "$T/s.c"
if ${CC:-cc} -static -o "$T/static" "$T/s.c" 2> /dev/null; then
    set +e
    "$MS" run -- "$T/static" 2> "$T/err"; rc=$?
    set -e
    [ "$rc" = 1 ] && grep -q "statically linked" "$T/err" || fail "static: $rc $(cat "$T/err")"
else
    echo "note: no static libc here; static refusal not checked"
fi
cp /bin/true "$T/suid-true"
chmod u+s "$T/suid-true"
set +e
"$MS" run -- "$T/suid-true" 2> "$T/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "is setuid" "$T/err" || fail "setuid: $rc $(cat "$T/err")"

# Children followed (the default, and -f), one dump each, merged: 90 + 190
# tokens leaked.
for opt in "" -f; do
    rm -f "$T"/kids.*
    "$MS" run -q $opt -o "$T/kids" -- sh -c "'$EX' 100; '$EX' 200; true" > /dev/null
    "$MS" report --json "$T"/kids.* > "$T/kj"
    python3 - "$T/kj" <<'PY' || fail "children merged (option '$opt')"
import json, sys
d = json.load(open(sys.argv[1]))
assert len([p for p in d["processes"] if p["exe"].endswith("sessiond")]) == 2, d["processes"]
tok = [e for e in d["leaks"] if e["stack"][0]["function"] == "make_token"]
assert len(tok) == 1 and tok[0]["blocks"] == 280, tok
PY
done
# --no-follow-children: the shell alone (its own dump, no sessiond); the last
# of repeated options wins, and many repeated options are no problem.
rm -f "$T"/kids.*
"$MS" run -q -f --no-follow-children -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 -i 9 \
    -o "$T/kids" -- sh -c "'$EX' 100; '$EX' 200; true" > /dev/null || fail "--no-follow-children run"
set -- "$T"/kids.*
[ $# = 1 ] || fail "--no-follow-children: $# dumps, want the shell's only: $*"
"$MS" report --json "$1" > "$T/kj"
python3 - "$T/kj" <<'PY' || fail "--no-follow-children profiled sessiond"
import json, sys
d = json.load(open(sys.argv[1]))
assert [p["exe"] for p in d["processes"] if p["exe"].endswith("sessiond")] == [], d["processes"]
PY
# A wrapper that execs the program without following: no dump, and the
# summary says why.
"$MS" run --no-follow-children -o "$T/w" -- sh -c "exec '$EX' 10" > /dev/null 2> "$T/err"
grep -q "executed another program and --no-follow-children was given" "$T/err" ||
    fail "no hint for an exec'd program: $(cat "$T/err")"

# Two runs diff: only the token stack grows (990 -> 2990 blocks).
"$MS" run -q -o "$T/r1" -- "$EX" 1000 > /dev/null
"$MS" run -q -o "$T/r2" -- "$EX" 3000 > /dev/null
"$MS" report --diff "$T"/r1.[0-9]* "$T"/r2.[0-9]* > "$T/diff"
grep -q "^== Growth by stack: 1 stack grew" "$T/diff" || fail "diff: $(cat "$T/diff")"
grep -q "^  #1 +64.5 KiB, +2000 blocks" "$T/diff" || fail "diff figures: $(cat "$T/diff")"
grep -A1 "^  #1 " "$T/diff" | grep -q make_token || fail "diff names make_token"
echo "run: ok"
