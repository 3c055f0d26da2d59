#!/usr/bin/env bash
# privdrop.sh — workers that drop privileges (setgid, setgroups, setuid
# to nobody, as nginx's and memcached -u do) still write their dumps, when
# the dump directory is root's: in PREFIX.u<uid>/, a private directory
# made for them while they were root; a trigger file they cannot delete
# fires once per request, not every second; the root-owned directory is
# left as it was; and the dumps stay private (0600 in a 0700 directory).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (to drop privileges); CI runs as root"
id nobody > /dev/null 2>&1 || skip "no user nobody"
uid=$(id -u nobody)
chmod 0755 "$W"  # searchable by nobody, writable by root only
(sleep 1.0 && touch "$W/trig") &
run_shim MAPSCOPE_TRIGGER="$W/trig" -- "$PROGS/fork_tree" 2 3 nobody > "$W/out" 2> "$W/err" ||
    fail "fork_tree: exit $?: $(cat "$W/err")"
wait
[ -s "$W/err" ] && fail "complaints on the program's stderr: $(cat "$W/err")"
mapfile -t pids < <(sed -n 's/^worker //p' "$W/out")
[ ${#pids[@]} = 2 ] || fail "workers: $(cat "$W/out")"
ud="$W/d.u$uid"
[ -d "$ud" ] || fail "no directory $ud for the workers' dumps: $(ls -la "$W")"
[ "$(stat -c '%U %a' "$ud")" = "nobody 700" ] || fail "$ud is $(stat -c '%U %a' "$ud")"
[ "$(stat -c '%U %a' "$W")" = "root 755" ] || fail "the dump directory was changed: $(stat -c '%U %a' "$W")"
for p in "${pids[@]}"; do
    [ -f "$ud/d.$p" ] || fail "worker $p: no exit dump in $ud: $(ls -la "$ud")"
    [ "$(stat -c '%U %a' "$ud/d.$p")" = "nobody 600" ] || fail "worker $p's dump: $(stat -c '%U %a' "$ud/d.$p")"
    "$MSDUMP" "$ud/d.$p" > "$W/dump" || fail "worker $p's dump unreadable"
    # 20 blocks of 100 bytes kept by the worker
    grep -qE 'live_blocks=20 .*frames=hold;worker;main' < <("$MSDUMP" --stacks "$ud/d.$p") ||
        fail "worker $p: its blocks are not in its dump"
    # one request, one snapshot (the file cannot be deleted by nobody)
    n=$(ls "$ud" | grep -cE "^d\.$p\.[0-9]+$")
    [ "$n" = 1 ] || fail "worker $p: $n trigger snapshots for one request: $(ls "$ud")"
done
# Through `mapscope run`: the summary counts the workers, and a worker
# that changed its uid where no library sees it (raw system call) cannot
# write its dump: run says which process and why, on its own stderr, and
# the program's stderr stays clean.
MS="$top_builddir/tools/mapscope"
[ -x "$MS" ] || fail "$MS not built"
"$MS" run -o "$W/r" -- "$PROGS/fork_tree" 2 0.3 nobody > "$W/out" 2> "$W/err" ||
    fail "run: exit $?: $(cat "$W/err")"
grep -q "dump written to $W/r\.[0-9]* (3 processes)" "$W/err" || fail "run summary: $(cat "$W/err")"
grep -q "left no dump" "$W/err" && fail "run reports missing dumps: $(cat "$W/err")"
# The report takes the glob a user types, the workers' directory included.
"$MS" report "$W"/r.* > "$W/report" 2> "$W/rerr" || fail "report of r.*: $(cat "$W/rerr")"
grep -q '3 processes merged' "$W/rerr" "$W/report" || fail "report of r.*: $(cat "$W/rerr")"
"$MS" run -o "$W/x" -- "$PROGS/fork_tree" 1 0.3 nobody raw > "$W/out" 2> "$W/err" ||
    fail "run (raw): exit $?: $(cat "$W/err")"
p=$(sed -n 's/^worker //p' "$W/out")
grep -q "^mapscope: process $p (.*fork_tree) left no dump: cannot write $W/x\.$p: Permission denied" \
    "$W/err" || fail "run does not say why worker $p left no dump: $(cat "$W/err")"
[ "$(grep -c 'left no dump' "$W/err")" = 1 ] || fail "other processes reported: $(cat "$W/err")"
echo "privdrop: the workers' dumps are in $ud (nobody, 0700), one trigger snapshot each"
