#!/bin/sh
# damaged.sh — truncated, corrupted and hostile dumps: a clear error naming
# the file and offset, results from every intact record, exit status 4,
# never a crash.
. "$top_srcdir/tests/report/common.sh"
make_dump "$T/good"
size=$(wc -c < "$T/good")

run() { # file -> status in $rc, output in $T/out, $T/err
    set +e
    "$MS" report "$@" > "$T/out" 2> "$T/err"
    rc=$?
    set -e
    [ "$rc" -lt 128 ] || fail "report crashed (status $rc) on $*"
}

# Cut short in the middle of the totals: everything before is reported.
write_spec "$T/spec"
"$MKDUMP" "$T/spec" "$T/cut" --truncate 300
run "$T/cut"
[ "$rc" = 4 ] || fail "truncated dump: exit $rc, want 4"
grep -Eq "^mapscope report: $T/cut: offset [0-9]+: truncated" "$T/err" || fail "$(cat "$T/err")"
grep -q "intact records used" "$T/err" || fail "says how much was used"
grep -q "make_token (sessiond.c:" "$T/out" || fail "leaks from the intact part are reported"
grep -q "^== Problems with the input" "$T/out" || fail "problem repeated in the report"

# A flipped byte in a STACK record: that record is skipped, the rest used.
off=$(python3 - "$T/good" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
o = 16
while True:
    t, _, n = struct.unpack_from("<HHI", b, o)
    if t == 4:  # first STACK record
        print(o + 8 + 12); break
    o += 8 + n + 4
PY
)
"$MKDUMP" "$T/spec" "$T/flip" --flip "$off"
run "$T/flip"
[ "$rc" = 4 ] || fail "corrupted dump: exit $rc"
grep -Eq "$T/flip: offset [0-9]+: STACK record fails its CRC check" "$T/err" || fail "$(cat "$T/err")"
grep -q "log_open (sessiond.c:" "$T/out" || fail "other stacks still symbolized"
grep -q "in use at dump    68.2 KiB" "$T/out" || fail "totals after the damage still read"

# No END record: incomplete.
"$MKDUMP" "$T/spec" "$T/noend" --truncate 16
run "$T/noend"
[ "$rc" = 4 ] && grep -q "without its END record" "$T/err" || fail "missing END: $(cat "$T/err")"

# A good dump next to a damaged one: both used, status 4.
cp "$T/good" "$T/good.1"
run --json "$T/good.1" "$T/cut"
[ "$rc" = 4 ] || fail "mixed input: exit $rc"
python3 -c "import json,sys; d=json.load(open('$T/out')); assert d['problems'], d" ||
    fail "JSON lists the problems"

# Not a dump at all, an empty file, a directory, a FIFO: errors, no hang.
echo "hello" > "$T/text"
: > "$T/empty"
mkfifo "$T/fifo"
for f in "$T/text" "$T/empty" "$T" "$T/fifo" "$T/missing"; do
    run "$f"
    [ "$rc" = 1 ] || fail "$f: exit $rc, want 1"
    grep -q "^mapscope report: $f: " "$T/err" || fail "$f: $(cat "$T/err")"
done

# Random garbage after a valid header, and random bytes anywhere: no crash.
i=0
while [ $i -lt 40 ]; do
    head -c 16 "$T/good" > "$T/junk"
    head -c $((i * 37 + 1)) /dev/urandom >> "$T/junk"
    run "$T/junk"
    cp "$T/good" "$T/mut"
    printf '\377\000\377' | dd of="$T/mut" bs=1 seek=$(( (i * 7919) % size )) conv=notrunc 2>/dev/null
    run "$T/mut"
    i=$((i + 1))
done
echo "damaged: ok"
