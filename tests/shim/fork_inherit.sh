#!/usr/bin/env bash
# fork_inherit.sh — a fork tree is counted once: each child's dump holds only
# its own allocations (in use, peak, leaks), the blocks it inherited are
# shown apart with its frees of them, and the merged report adds each block
# once.  tests/programs/fork_inherit.c: children leaving with _exit, exit and
# return from main, a double fork, no exec.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
MAPSCOPE="$top_builddir/tools/mapscope"

check_tree() { # $1: label; the shim's settings follow
    local label=$1
    shift
    rm -f "$W"/d.*
    run_shim "$@" -- "$PROGS/fork_inherit" || fail "$label: exit $?"
    local n
    n=$(ls "$W"/d.* | grep -c '/d\.[0-9]*$')
    [ "$n" = 5 ] || fail "$label: $n dumps, want 5 (parent, A, B, C, D)"
    # Per process: in use blocks/bytes, peak bytes, inherited blocks/bytes,
    # inherited frees/bytes freed (- for none: the parent).
    local got f
    got=$(for f in "$W"/d.*; do
        echo "$(total inuse_blocks "$f")/$(total inuse_bytes "$f")/$(total peak_bytes "$f")" \
            "$(total inherited_blocks "$f")/$(total inherited_bytes "$f")" \
            "$(total inherited_frees "$f")/$(total inherited_bytes_freed "$f")"
    done | sort)
    local want="1/30/30 10/10000 1/1000
1/50/100 10/10000 3/3000
1/70/70 10/10000 0/0
1/90/90 11/10070 2/1070
9/9000/10000 / /"
    [ "$got" = "$want" ] || fail "$label: per-process figures
$got
want
$want"
    # Merged: every block once (9000 + 50 + 70 + 90 + 30), the tree's peak
    # the sum of the processes' own peaks.
    "$MAPSCOPE" report --json "$W"/d.* > "$W/r.json" 2> "$W/r.err" || fail "$label: report failed"
    grep -q '"inuse_bytes":9240,' "$W/r.json" || fail "$label: merged in use: $(head -c 300 "$W/r.json")"
    grep -q '"peak_bytes":10290,' "$W/r.json" || fail "$label: merged peak: $(head -c 300 "$W/r.json")"
    "$MAPSCOPE" report "$W"/d.* > "$W/r.txt" 2>&1 || fail "$label: text report failed"
    grep -q "inherited .* in 41 blocks alive in a parent" "$W/r.txt" ||
        fail "$label: text report lacks the inherited line"
}

check_tree "full mode"
check_tree "frame-pointer unwinder" MAPSCOPE_UNWIND=fp
# Sampled mode (the inherited blocks are in the map, frees of them pass
# the sampler's filter): one sample per byte on average takes every block
# of these sizes with a weight of 1, so the figures are exact.
check_tree "sampled mode" MAPSCOPE_SAMPLE=1
echo "fork_inherit: each process counts its own blocks; inherited ones are apart; merged once"
