#!/usr/bin/env bash
# stress.sh — threads doing millions of malloc/free/realloc/calloc: the
# stacks of the worker threads add up exactly to what the program counted;
# short threads reusing each other's per-thread blocks count exactly too;
# a program that exits while its threads allocate neither crashes nor hangs
# and leaves a complete dump; sampled mode stays consistent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

for t in 2 4; do
    rm -f "$W"/d.*
    exp=$(run_shim -- "$PROGS/stress_threads" -t $t -n 1000000) || fail "$t threads: exit $?"
    d=$(the_dump)
    got=$(sum_stacks "$d" 'frames=([^ ]*;)?worker;')
    [ "$got" = "$exp" ] || fail "$t threads: dump says '$got', program says '$exp'"
    [ "$(total unknown_frees "$d")" = 0 ] || fail "$t threads: unknown frees"
    [ "$(total dropped "$d")" = 0 ] || fail "$t threads: dropped events"
    echo "$t threads: $exp"
done

# exact LABEL REGEX PROGRAM ARGS...: run under the shim; the stacks whose
# frames match REGEX add up to the program's "expect" line, and no free is
# "unknown".  Prints the line.
exact() {
    local label=$1 re=$2 exp d got
    shift 2
    rm -f "$W"/d.*
    exp=$(run_shim -- "$@") || fail "$label: exit $?"
    d=$(the_dump)
    got=$(sum_stacks "$d" "$re")
    [ "$got" = "$exp" ] || fail "$label: dump says '$got', program says '$exp'"
    [ "$(total unknown_frees "$d")" = 0 ] || fail "$label: $(total unknown_frees "$d") unknown frees"
    echo "$label: $exp"
}

# Blocks freed (and realloc'd) by another thread than the one that
# allocated them, mostly while still young: the workers' stacks of both
# kinds add up to zero in use, and no free is "unknown".
for t in 2 4; do
    exact "producer/consumer, $t threads" 'frames=([^ ]*;)?(producer|consumer);' \
        "$PROGS/stress_threads" -p -t $t -n 500000
done

# Short threads, one after another and 12 at a time (more than the 8
# blocks the shim parks for new threads): each thread's block is reused
# by the next, with the young blocks of the thread before still in its
# nursery; the block each thread hands to main is freed after the thread
# is gone.  Every request's allocation and free is counted, none unknown.
for p in 1 12; do
    exact "600 short threads, $p at a time" 'frames=([^ ]*;)?request;' \
        "$PROGS/thread_per_request" -n 600 -a 40 -p $p -c
done

# dlopen/dlclose in a loop while two threads allocate: no deadlock between
# the loader's locks and the shim's (timeout 300 s in run_shim), exact totals.
rm -f "$W"/d.*
exp=$(run_shim -- "$PROGS/stress_threads" -t 2 -n 1000000 -d 300) || fail "dlopen loop: exit $?"
d=$(the_dump)
got=$(sum_stacks "$d" 'frames=([^ ]*;)?worker;')
[ "$got" = "$exp" ] || fail "dlopen loop: dump says '$got', program says '$exp'"
echo "dlopen/dlclose x300 while allocating: $exp"

# Exit while threads allocate, 5 times.
for i in 1 2 3 4 5; do
    rm -f "$W"/d.*
    run_shim -- "$PROGS/stress_threads" -t 3 -x || fail "exit-while-allocating: exit $?"
    "$MSDUMP" "$(the_dump)" > /dev/null || fail "exit-while-allocating: incomplete dump"
done

# Sampled mode with threads: runs, and estimates are in the right range.
rm -f "$W"/d.*
exp=$(run_shim MAPSCOPE_SAMPLE=4K -- "$PROGS/stress_threads" -t 2 -n 1000000) || fail "sampled: exit $?"
d=$(the_dump)
for what in allocations frees; do
    want=$(echo "$exp" | sed "s/.* $what=\([0-9]*\).*/\1/; s/^expect $what=\([0-9]*\).*/\1/")
    got=$(total $what "$d")
    awk -v g="$got" -v w="$want" 'BEGIN { r = g / w; exit !(r > 0.9 && r < 1.1) }' ||
        fail "sampled: estimated $got $what for $want (more than 10% off)"
done
# Every sampled block freed is taken out exactly as it went in: the live
# estimate is the sampled blocks still live (the program keeps 14 blocks,
# so at most a few samples' weight), not the drift of missed frees.
[ "$(total inuse_blocks "$d")" -lt 2000 ] || fail "sampled: $(total inuse_blocks "$d") blocks live at exit"
[ "$(total sampled_allocations "$d")" -gt 0 ] || fail "sampled: no samples"
echo "stress: exact totals with threads; exits while allocating are clean; sampling estimates within 10%"
