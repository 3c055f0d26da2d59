#!/usr/bin/env bash
# alloc_fn.sh — allocation wrappers (--alloc-fn, the default list, alloc-fn:
# lines in a suppressions file) are taken off stacks in every output: text,
# JSON, folded, pprof and the run summary (HTML's where column: tests/report/html.sh); stacks that differed
# only inside a wrapper become one.  tests/programs/wrappers.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
MAPSCOPE="$top_builddir/tools/mapscope"
# Wrappers, not leak kinds (tests/shim/leak_kinds.sh): without a reachability
# scan every block still allocated is a leak, as the expected figures say.
export MAPSCOPE_REACH=off

run_shim -- "$PROGS/wrappers" || fail "wrappers: exit $?"
d=$(the_dump)
report() { "$MAPSCOPE" report -q "$@" "$d"; }

# Folded leaves (innermost frame of each line) with their values.
leaves() { report --folded=leaked "$@" | sed 's/.*;//' | sort | tr '\n' ' '; }

got=$(leaves --no-default-alloc-fns)
[ "$got" = "my_alloc 400 two_ways 1200 xmalloc 300 " ] ||
    fail "no wrappers skipped: leaves '$got'"
got=$(leaves)
[ "$got" = "leak_x 300 my_alloc 400 two_ways 1200 " ] ||
    fail "default list (xmalloc): leaves '$got'"
got=$(leaves --alloc-fn 'my_*' --alloc-fn two_ways)
[ "$got" = "leak_pool 400 leak_two 1200 leak_x 300 " ] ||
    fail "--alloc-fn 'my_*' two_ways: leaves '$got'"
# The same from a suppressions file.
printf 'leak:nothing_matches_this\nalloc-fn:my_alloc\nalloc-fn: my_pool_get \nalloc-fn:two_ways\n' \
    > "$W/known.supp"
got=$(leaves --suppressions "$W/known.supp")
[ "$got" = "leak_pool 400 leak_two 1200 leak_x 300 " ] || fail "alloc-fn: lines: leaves '$got'"

# two_ways' two malloc calls: two stacks, one once it is skipped (JSON).
n=$(report --json --alloc-fn two_ways | grep -o '"function":"leak_two"' | wc -l)
[ "$n" -ge 1 ] || fail "leak_two missing from JSON"
nleaks_before=$(report --json | grep -o '"leaks":\[.*\],"peak"' | grep -o '"bytes":600,' | wc -l)
nleaks_after=$(report --json --alloc-fn two_ways | grep -o '"leaks":\[.*\],"peak"' |
    grep -o '"bytes":1200,' | wc -l)
[ "$nleaks_before" = 2 ] && [ "$nleaks_after" = 1 ] ||
    fail "two_ways stacks: $nleaks_before of 600 B before, $nleaks_after of 1200 B after (want 2, 1)"

# Text: the top leak's first frame is the caller.
report --alloc-fn two_ways > "$W/t.txt"
sed -n '/^== Leaks/,/^== /p' "$W/t.txt" | sed -n '3,4p' | grep -q 'leak_two' ||
    fail "text: first frame of the top leak is not leak_two: $(sed -n '/^== Leaks/,+5p' "$W/t.txt")"

# pprof: the locations of the samples start at the caller.
if command -v go > /dev/null || [ -x /usr/lib/go-1.23/bin/go ]; then
    GO=$(command -v go || echo /usr/lib/go-1.23/bin/go)
    report --alloc-fn 'my_*' --pprof "$W/p.pb.gz" > /dev/null
    HOME=$W GOFLAGS= "$GO" tool pprof -traces -sample_index=inuse_space "$W/p.pb.gz" \
        > "$W/traces" 2> /dev/null || fail "go tool pprof failed"
    ! grep -q 'my_alloc\|my_pool_get' "$W/traces" || fail "pprof: wrapper frames left"
    grep -q 'leak_pool' "$W/traces" || fail "pprof: leak_pool missing"
fi

# The run summary names the caller too.
out=$("$MAPSCOPE" run -o "$W/r" --alloc-fn two_ways -- "$PROGS/wrappers" 2>&1) || fail "run: $?"
echo "$out" | grep -q 'top leak 1.2 KiB in 4 blocks at leak_two' || fail "run summary: $out"
echo "alloc_fn: wrappers skipped in every output"
