#!/bin/sh
# known_leaks.sh — the report on the shim's known-leak programs
# (tests/programs/known_leaks.c and known_leaks_cxx.cc, whose heap history
# is documented at their top): the leaks section names exactly the leaking
# functions, each with the file:line of its allocation call and the exact
# bytes and blocks; C++ frames are demangled.
. "$top_srcdir/tests/report/common.sh"
[ -z "${MS_SANITIZED:-}" ] || skip "LD_PRELOAD end-to-end test: not run in the sanitizer build"
KL=$top_builddir/tests/programs/known_leaks
KLX=$top_builddir/tests/programs/known_leaks_cxx
[ -x "$KL" ] || fail "tests/programs/known_leaks not built"
SRC=$top_srcdir/tests/programs/known_leaks.c
line_in() { # function pattern -> line of the first line matching pattern after "KL ... function("
    awk -v f="$1(" -v p="$2" 'index($0, f) && /^KL/ {in_f = 1} in_f && index($0, p) {print NR; exit}' "$3"
}

cd "$T"
"$MS" run -q -o "$T/kl" -- "$KL" || fail "known_leaks exited $?"
"$MS" report --frames 1 --top 0 "$T"/kl.[0-9]* > "$T/text" || fail "report $?"
sed -n '/^== Leaks/,/^== Peak/p' "$T/text" > "$T/leaks"
cat "$T/leaks"
# function, allocation call, bytes, blocks (from the program's own header)
cat > "$T/want" <<WANT
kl_chain_leak|realloc(p, 1000)|1000 B in 1 block
kl_leak_aligned_alloc|aligned_alloc(256, 512)|512 B in 1 block
kl_leak_calloc|calloc(4, 10)|200 B in 5 blocks
kl_leak_memalign|posix_memalign(&p, 64, 100)|200 B in 2 blocks
kl_leak_malloc|malloc(24)|72 B in 3 blocks
WANT
[ "$(grep -c '^  #' "$T/leaks")" = 5 ] || fail "exactly five leaking stacks"
# The exit dump's reachability scan finds them definitely lost, as
# valgrind --leak-check=full does on this program, so they are the leaks,
# each with its kind under its figures.
grep -q "^== Leaks: lost blocks (definitely, indirectly or possibly lost): 1.9 KiB in 12 blocks from 5 stacks" "$T/leaks" ||
    fail "leak totals (1000 + 512 + 200 + 200 + 72 = 1984 bytes)"
n=0
while IFS='|' read -r fn call figures; do
    n=$((n + 1))
    line=$(line_in "$fn" "$call" "$SRC")
    [ -n "$line" ] || fail "cannot find $call in $fn"
    # entry #n: its figures, then its first frame: the function at the call.
    grep -A2 "^  #$n $figures " "$T/leaks" | grep -q "^      definitely lost $figures\$" ||
        fail "leak #$n: want 'definitely lost $figures'"
    grep -A2 "^  #$n $figures " "$T/leaks" | grep -q "^        $fn (known_leaks.c:$line)\$" ||
        fail "leak #$n: want '$figures' at $fn (known_leaks.c:$line)"
done < "$T/want"
for fn in kl_freed_correctly kl_peak kl_null_realloc kl_zero_malloc; do
    grep -q "$fn" "$T/leaks" && fail "$fn does not leak"
done
grep -q "^   failed            4 allocation calls returned NULL" "$T/text" || fail "failed calls"

# C++: operator new demangled, the two leaking functions named with ().
if [ -x "$KLX" ]; then
    "$MS" run -q -o "$T/klx" -- "$KLX" || fail "known_leaks_cxx exited $?"
    # operator new is a wrapper of the default --alloc-fn list: kept here
    # to see it demangled, taken off in the default report.
    "$MS" report --json --no-default-alloc-fns "$T"/klx.[0-9]* > "$T/json" || fail "report --json"
    "$MS" report --json "$T"/klx.[0-9]* > "$T/json2" || fail "report --json"
    python3 - "$T/json" "$T/json2" <<'PY' || fail "C++ leaks"
import json, os, sys
d = json.load(open(sys.argv[1]))
exe = d["processes"][0]["exe"]
own = {}
for e in d["leaks"]:
    site = next((f for f in e["stack"] if f["module"] == exe), None)
    if site:
        own[site["function"]] = (e["bytes"], e["blocks"], [f["function"] for f in e["stack"]])
assert set(own) == {"kl_cxx_leak_array()", "kl_cxx_leak_object()"}, own
assert own["kl_cxx_leak_array()"][:2] == (80, 2), own
assert own["kl_cxx_leak_object()"][:2] == (48, 1), own
# libstdc++'s operator new[] tail-calls operator new: either may be innermost
assert own["kl_cxx_leak_array()"][2][0].startswith("operator new"), own
assert own["kl_cxx_leak_object()"][2][0] == "operator new(unsigned long)", own
# By default the stacks start at the functions that called new.
d2 = json.load(open(sys.argv[2]))
first = sorted(e["stack"][0]["function"] for e in d2["leaks"] if e["stack"][0]["module"] == exe)
assert first == ["kl_cxx_leak_array()", "kl_cxx_leak_object()"], first
print("C++ leaks:", own)
PY
fi
echo "known_leaks: ok"
