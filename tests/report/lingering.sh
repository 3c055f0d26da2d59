#!/bin/sh
# lingering.sh — --lingering[=DUR] applies a threshold the dump can tell
# apart and says which: ages are recorded in bins of 1, 4, 16, ... times
# the run's --linger (here 10 s: bins from 10 s, 40 s, 2 m 40 s), so a
# request is taken down to a bin boundary (never a bin labelled with an age
# some of its blocks lack), a request finer than 10 s gets 10 s and a
# warning, and no DUR means the run's threshold (never "at least 0 us").
. "$top_srcdir/tests/report/common.sh"

write_spec "$T/spec"
# make_token: 3 blocks 10-40 s old, 2 of 40-160 s, 1 older (200 s);
# log_open: 1 block of 20 s.
sed -e '/^linger /d' -e 's/^setting depth 64$/setting depth 64\nsetting linger_s 10/' \
    -e 's/^end$//' "$T/spec" > "$T/spec2"
cat >> "$T/spec2" <<SPEC
linger 1 6 198 200000000000 10000000000 3 99 40000000000 2 66 160000000000 1 33
linger 3 1 4096 20000000000 10000000000 1 4096
end
SPEC
"$MKDUMP" "$T/spec2" "$T/d.4242" || fail "mkdump failed"

# title BLOCKS: the lingering section of `report --lingering...`
check() { # ARGS WANT_TITLE WANT_TOTAL
    "$MS" report "$1" "$T/d.4242" > "$T/out" 2> "$T/err" || fail "report $1: exit $?"
    grep -q "^== Lingering allocations (alive at least $2)" "$T/out" ||
        fail "report $1: title: $(grep '^== Lingering' "$T/out")"
    if [ -n "$3" ]; then
        grep -q "^== Lingering allocations (alive at least $2): $3" "$T/out" ||
            fail "report $1: total: $(grep '^== Lingering' "$T/out"), want $3"
    fi
}
check --lingering "10.0 s" "4.2 KiB in 7 blocks from 2 stacks"
grep -q "0 us" "$T/out" && fail "--lingering: 0 us in the output"
check --lingering=10s "10.0 s" "4.2 KiB in 7 blocks"
# Finer than recorded: 10 s applied, a warning and a note.
check --lingering=5s "10.0 s" "4.2 KiB in 7 blocks"
grep -q "finer than the dumps recorded" "$T/err" || fail "--lingering=5s: no warning: $(cat "$T/err")"
grep -q "asked for 5.0 s" "$T/out" || fail "--lingering=5s: no note"
# 1 m: the 40 s bin is the last boundary at or below; log_open (20 s)
# is out, make_token's bins from 40 s are in (3 blocks, 99 bytes).
check --lingering=1m "40.0 s" "99 B in 3 blocks from 1 stack"
grep -q "shown: the bins from 40.0 s on" "$T/out" || fail "--lingering=1m: no note"
# Exactly a boundary: no note.
check --lingering=40s "40.0 s" "99 B in 3 blocks"
grep -q "asked for" "$T/out" && fail "--lingering=40s: a note although nothing was rounded"
check --lingering=3m "2 m 40 s" "33 B in 1 block"
"$MS" report --json --lingering=1m "$T/d.4242" | grep -q '"lingering_min_s":40.000,' ||
    fail "JSON: lingering_min_s"
# The full report's section says the threshold too.
"$MS" report "$T/d.4242" | grep -q "^== Lingering allocations (alive at least 10.0 s)" ||
    fail "full report: lingering title"
echo "lingering: thresholds applied and named"
