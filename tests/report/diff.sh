#!/bin/sh
# diff.sh — --diff OLD NEW finds the stack whose live bytes grew between two
# snapshots of one process, and only that one.
. "$top_srcdir/tests/report/common.sh"
make_dump "$T/d.4242.1" 500 1 1     # interval snapshot 1: 500 tokens leaked so far
make_dump "$T/d.4242.2" 1500 2 1    # snapshot 2: 1500
"$MS" report --diff "$T/d.4242.1" "$T/d.4242.2" > "$T/out" || fail "--diff exited $?"
cat "$T/out"
grep -q "^== Growth by stack: 1 stack grew, 0 shrank" "$T/out" || fail "exactly one stack grew"
grep -q "^  #1 +32.2 KiB, +1000 blocks (now 48.3 KiB in 1500 blocks)" "$T/out" || fail "growth figures"
sed -n '/^  #1/,$p' "$T/out" | grep -q "make_token (sessiond.c:" || fail "growing stack named"
"$MS" report --diff --json "$T/d.4242.1" "$T/d.4242.2" > "$T/json" || fail "--diff --json"
python3 - "$T/json" <<'PY' || fail "diff JSON"
import json, sys
d = json.load(open(sys.argv[1]))
g = d["growth"]
assert len(g) == 1 and g[0]["bytes"] == 33000 and g[0]["blocks"] == 1000, g
assert g[0]["stack"][0]["function"] == "make_token"
assert d["new"]["inuse_bytes"] - d["old"]["inuse_bytes"] == 33000
PY
# One block more: "1 block", singular.
make_dump "$T/d.4242.3" 1501 3 1
"$MS" report --diff "$T/d.4242.2" "$T/d.4242.3" > "$T/out1" || fail "--diff by one block"
grep -q "^  #1 +33 B, +1 block (now 48.4 KiB in 1501 blocks)" "$T/out1" ||
    fail "one block: $(grep '^  #1' "$T/out1")"
# Reversed: nothing grew.
"$MS" report --diff "$T/d.4242.2" "$T/d.4242.1" > "$T/out" || fail "reverse diff"
grep -q "^== Growth by stack: 0 stacks grew, 1 shrank" "$T/out" || fail "reverse: nothing grew"
# Merging: the newest snapshot of a pid wins.
"$MS" report --json "$T/d.4242.1" "$T/d.4242.2" > "$T/json" || fail "merge snapshots"
python3 -c "import json; d=json.load(open('$T/json')); assert d['totals']['inuse_blocks']==1502, d['totals']" ||
    fail "newest snapshot used"
set +e
"$MS" report --diff "$T/d.4242.1" > /dev/null 2> "$T/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "exactly two" "$T/err" || fail "--diff with one dump: $rc"
echo "diff: ok"
