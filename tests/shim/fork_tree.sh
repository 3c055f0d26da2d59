#!/usr/bin/env bash
# fork_tree.sh — one snapshot request (a change of the trigger file)
# reaches every process of a forked tree exactly once each: a master and
# three workers, two requests, so two trigger snapshots per process, and
# the file is still there for whoever comes next.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

(sleep 1.0 && touch "$W/trig" && sleep 1.3 && touch "$W/trig") &
run_shim MAPSCOPE_TRIGGER="$W/trig" -- "$PROGS/fork_tree" 3 4 > "$W/out" || fail "fork_tree: exit $?"
wait
mapfile -t pids < <(sed -n 's/^worker //p' "$W/out")
[ ${#pids[@]} = 3 ] || fail "fork_tree started ${#pids[@]} workers: $(cat "$W/out")"
master=$(basename "$(ls "$W"/d.* | grep -vE "/d\.($(IFS='|'; echo "${pids[*]}"))(\.|$)" |
    grep -E '/d\.[0-9]+$')" | cut -d. -f2)
[ -n "$master" ] || fail "no exit dump from the master: $(ls "$W")"
for p in "$master" "${pids[@]}"; do
    [ -f "$W/d.$p" ] || fail "process $p: no exit dump"
    n=0
    for f in "$W/d.$p".*; do
        [ -f "$f" ] || continue
        "$MSDUMP" "$f" | grep -q '^process .* reason=3 ' || fail "$f is not a trigger snapshot"
        n=$((n + 1))
    done
    [ $n = 2 ] || fail "process $p: $n trigger snapshots for 2 requests: $(ls "$W")"
done
[ -e "$W/trig" ] || fail "the trigger file was removed"
echo "fork_tree: 2 requests -> 2 snapshots in each of 4 processes"
