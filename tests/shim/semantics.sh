#!/usr/bin/env bash
# semantics.sh — glibc's semantics survive the shim (tests/programs/
# shim_semantics.c checks them from inside), and the dump counts them as
# valgrind would: 12 allocations from main including one of 300 MiB, 12 frees,
# 4 failed calls, nothing in use.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

native=$("$PROGS/shim_semantics") || fail "natively: exit $? ($native)"
shimmed=$(run_shim -- "$PROGS/shim_semantics") || fail "under the shim: exit $? ($shimmed)"
[ "$native" = "$shimmed" ] || fail "output differs: '$native' vs '$shimmed'"
d=$(the_dump)
"$MSDUMP" --stacks "$d" | grep -F 'frames=main;' > "$W/main" || fail "no stacks from main"
sum() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) s += a[2] } } END { print s + 0 }' "$W/main"; }
[ "$(sum allocs)" = 12 ] || fail "allocs from main: $(sum allocs), want 12"
[ "$(sum frees)" = 12 ] || fail "frees from main: $(sum frees), want 12"
[ "$(sum failed)" = 4 ] || fail "failed from main: $(sum failed), want 4"
[ "$(sum live_blocks)" = 0 ] || fail "live blocks from main: $(sum live_blocks)"
big=$((300 * 1024 * 1024))
[ "$(sum bytes_allocated)" -gt "$big" ] || fail "the 300 MiB block was not counted: $(sum bytes_allocated)"
[ "$(sum bytes_allocated)" = "$(sum bytes_freed)" ] || fail "bytes allocated and freed differ"
echo "semantics: identical behaviour, counts as expected"
