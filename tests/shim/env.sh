#!/usr/bin/env bash
# env.sh — bad MAPSCOPE_* values: one stderr line each naming the variable
# and the accepted form, the default used, the program unaffected (same
# output and exit status), and a dump written all the same.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

want=$("$PROGS/shim_semantics")
for bad in MAPSCOPE_INTERVAL=soon MAPSCOPE_SAMPLE=lots MAPSCOPE_DEPTH=0 MAPSCOPE_DEPTH=999 \
    MAPSCOPE_UNWIND=magic MAPSCOPE_LINGER=-1 MAPSCOPE_FOLLOW_CHILDREN=maybe MAPSCOPE_SIGNAL=KILL \
    MAPSCOPE_SIGNAL=SEGV MAPSCOPE_TIMELINE=1ms MAPSCOPE_MAX_STACKS=x 'MAPSCOPE_SAMPLE=5 K'; do
    rm -f "$W"/d.*
    got=$(run_shim "$bad" -- "$PROGS/shim_semantics" 2> "$W/err") || fail "$bad: exit status $?"
    [ "$got" = "$want" ] || fail "$bad: output changed: $got"
    var=${bad%%=*}
    [ "$(wc -l < "$W/err")" = 1 ] || fail "$bad: expected one stderr line, got: $(cat "$W/err")"
    grep -q "^mapscope: $var='.*' is not valid (accepted: .*); using the default" "$W/err" ||
        fail "$bad: unexpected message: $(cat "$W/err")"
    d=$(the_dump)
    "$MSDUMP" "$d" > /dev/null || fail "$bad: dump unreadable"
done
# Good values are silent and show up in the dump's settings.
rm -f "$W"/d.*
run_shim MAPSCOPE_SAMPLE=64K MAPSCOPE_DEPTH=12 MAPSCOPE_LINGER=2h MAPSCOPE_SIGNAL=USR2 \
    MAPSCOPE_UNWIND=fp -- "$PROGS/shim_semantics" > /dev/null 2> "$W/err" || fail "good values: exit $?"
[ ! -s "$W/err" ] || fail "good values complained: $(cat "$W/err")"
d=$(the_dump)
"$MSDUMP" "$d" > "$W/all"
for s in sample_bytes=65536 depth=12 linger_s=7200 signal=USR2 unwind=fp; do
    grep -qx "setting $s" "$W/all" || fail "setting $s not in the dump"
done
echo "env: every bad value reported once and replaced by its default"
