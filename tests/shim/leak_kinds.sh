#!/usr/bin/env bash
# leak_kinds.sh — the shim's leak kinds (reachability scan at the exit dump)
# equal valgrind memcheck's on a program built to have each kind
# (tests/programs/leak_kinds.c): per allocating function and kind, the
# blocks and bytes must be the same, and so must the totals by kind.
#
# One stated exception: glibc's per-thread DTV (calloc'd by pthread_create,
# possibly lost in both tools since the thread's TCB points inside it) is
# 16 bytes per TLS module slot: the shim's process has more modules with
# TLS (libmapscope.so, libunwind) than valgrind's, so those blocks are
# compared by kind and count, not bytes.
#
# Also: the other threads were stopped for their registers (the 400-byte
# block is held only in a register of a thread blocked in read(2)), and a
# scan also runs on a requested snapshot of the running program.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
command -v valgrind > /dev/null 2>&1 || skip "valgrind not installed (apt-get install valgrind)"
PROG="$PROGS/leak_kinds"
[ -x "$PROG" ] || fail "$PROG not built"

# "KEY KIND BLOCKS BYTES" per loss record, KEY the first frame named lk_*
# (or main: the thread DTVs, allocated inside pthread_create).
key_awk='function key(frames,   n, f, i) {
    n = split(frames, f, ";")
    for (i = 1; i <= n; i++) if (f[i] ~ /^lk_/ || f[i] == "main") return f[i]
    return "other"
}'

# The same from a dump's per-stack kinds.
shim_records() {
    "$MSDUMP" --stacks "$1" > "$W/stacks" || fail "$1: dump unreadable"
    awk "$key_awk"'
{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
    k = key(v["frames"])
    n = split("definite indirect possible reachable", kind, " ")
    for (j = 1; j <= n; j++)
        if (v[kind[j] "_blocks"] > 0) print k, kind[j], v[kind[j] "_blocks"], v[kind[j] "_bytes"]
}' "$W/stacks" | sort
}

# The shim: the exit dump's per-stack kinds.
run_shim -- "$PROG" || fail "leak_kinds failed under the shim"
d=$(the_dump)
shim_records "$d" > "$W/shim.rec"

# valgrind on the same program.
valgrind --leak-check=full --show-leak-kinds=all --run-libc-freeres=no --run-cxx-freeres=no \
    "$PROG" > /dev/null 2> "$W/vg" || fail "valgrind failed: $(tail -5 "$W/vg")"
awk "$key_awk"'
function flush() { if (kind != "") print key(frames), kind, blocks, bytes; kind = "" }
/ are (definitely|indirectly|possibly) lost in loss record| are still reachable in loss record/ {
    flush()
    line = $0; sub(/^==[0-9]+== /, "", line)
    bytes = line; sub(/ .*/, "", bytes); gsub(/,/, "", bytes)
    if (line ~ /direct, /) { bytes = line; sub(/^[0-9,]+ \(/, "", bytes); sub(/ direct.*/, "", bytes); gsub(/,/, "", bytes) }
    blocks = line; sub(/.* bytes in /, "", blocks); sub(/ blocks? .*/, "", blocks); gsub(/,/, "", blocks)
    kind = line ~ /definitely/ ? "definite" : line ~ /indirectly/ ? "indirect" : line ~ /possibly/ ? "possible" : "reachable"
    frames = ""; next
}
kind != "" && /^==[0-9]+==    (at|by) / {
    f = $0; sub(/.*: /, "", f); sub(/ \(.*/, "", f); frames = frames ";" f; next
}
kind != "" { flush() }
END { flush() }' "$W/vg" | sort > "$W/vg.rec"

# Sum per (key, kind) on both sides.
sum() { awk '{ b[$1 " " $2] += $3; y[$1 " " $2] += $4 } END { for (k in b) print k, b[k], y[k] }' "$1" | sort; }
sum "$W/shim.rec" > "$W/shim.sum"
sum "$W/vg.rec" > "$W/vg.sum"
echo "--- valgrind (key kind blocks bytes)"
cat "$W/vg.sum"
echo "--- shim"
cat "$W/shim.sum"
[ -s "$W/vg.sum" ] || fail "no loss records parsed from valgrind's output"
for k in lk_global lk_lost lk_list lk_cycle lk_interior lk_thread_stack lk_thread_reg lk_tls \
    lk_main_tls lk_reach_tree lk_dead_thread; do
    grep -q "^$k " "$W/vg.sum" || fail "valgrind reported nothing for $k"
done
# Every function's kinds, blocks and bytes equal; main's (the DTVs) by kind and count.
join -a1 -a2 -e MISSING -o 0,1.2,1.3,2.2,2.3 <(awk '{ print $1 "/" $2, $3, $4 }' "$W/vg.sum") \
    <(awk '{ print $1 "/" $2, $3, $4 }' "$W/shim.sum") > "$W/joined"
while read -r k vb vy sb sy; do
    case "$k" in
    main/*) [ "$vb" = "$sb" ] || fail "$k: valgrind $vb blocks, shim $sb" ;;
    *) [ "$vb" = "$sb" ] && [ "$vy" = "$sy" ] || fail "$k: valgrind $vb blocks $vy bytes, shim $sb blocks $sy bytes" ;;
    esac
done < "$W/joined"
# Totals by kind: blocks equal (bytes differ only by the DTVs, checked above).
for kind in definite indirect possible reachable; do
    vb=$(awk -v k=$kind '$2 == k { n += $3 } END { print n + 0 }' "$W/vg.sum")
    sb=$(awk -v k=$kind '$2 == k { n += $3 } END { print n + 0 }' "$W/shim.sum")
    [ "$vb" = "$sb" ] || fail "$kind: valgrind $vb blocks in all, shim $sb"
done

# The threads were stopped for their registers, and the scan said so.
[ "$(total reach.scans "$d")" = 1 ] || fail "no reachability scan in the exit dump"
threads=$(total reach.threads "$d") stopped=$(total reach.threads_stopped "$d")
[ "$threads" -ge 3 ] && [ "$stopped" = "$threads" ] ||
    fail "other threads: $threads, stopped: $stopped (ptrace is expected to work as root)"

# The report: lost blocks as leaks, still reachable apart, JSON totals, the gate.
MS="$top_builddir/tools/mapscope"
"$MS" report "$d" > "$W/text" || fail "report failed"
grep -q "== Leaks: lost blocks" "$W/text" || fail "text report has no lost-blocks section"
grep -q "== Still reachable at the dump" "$W/text" || fail "text report has no still-reachable section"
"$MS" report --json "$d" > "$W/json" || fail "report --json failed"
for kind in definite indirect possible reachable; do
    name=$(case $kind in definite) echo definitely_lost ;; indirect) echo indirectly_lost ;;
        possible) echo possibly_lost ;; reachable) echo still_reachable ;; esac)
    want=$(awk -v k=$kind '$2 == k { n += $3 } END { print n + 0 }' "$W/shim.sum")
    got=$(jq ".totals.${name}_blocks" "$W/json")
    [ "$got" = "$want" ] || fail "JSON totals.${name}_blocks is $got, the dump says $want"
done
lost=$(jq '.totals.definitely_lost_bytes + .totals.indirectly_lost_bytes' "$W/json")
set +e
"$MS" report --fail-on-leak "$lost" "$d" > /dev/null 2>&1
rc1=$?
"$MS" report --fail-on-leak "$((lost - 1))" "$d" > /dev/null 2>&1
rc2=$?
"$MS" report --fail-on-leak "$lost" --fail-leak-kinds definite,indirect,possible "$d" > /dev/null 2>&1
rc3=$?
"$MS" report --fail-leak-kinds bogus "$d" > /dev/null 2> "$W/err"
rc4=$?
set -e
[ $rc1 = 0 ] && [ $rc2 = 3 ] && [ $rc3 = 3 ] ||
    fail "--fail-on-leak counted the wrong kinds (status $rc1 $rc2 $rc3, want 0 3 3)"
[ $rc4 = 2 ] && grep -q "definite, indirect, possible, reachable" "$W/err" ||
    fail "--fail-leak-kinds bogus: status $rc4, $(cat "$W/err")"

# Suppressions cover only the kinds their match-leak-kinds names (valgrind's
# rule): the gate (definite + indirect) still fails with only definite
# suppressed, passes with both, or with no match-leak-kinds line (all).
gate_with() { # KINDS-LINE -> the gate's exit status with a catch-all suppression
    printf '{\n   all\n   Memcheck:Leak\n%s\n   ...\n}\n' "$1" > "$W/supp"
    set +e
    "$MS" report --suppressions "$W/supp" --fail-on-leak 0 "$d" > "$W/supp.out" 2>&1
    echo $?
    set -e
}
r1=$(gate_with "   match-leak-kinds: definite")
r2=$(gate_with "   match-leak-kinds: definite,indirect")
r3=$(gate_with "")
r4=$(gate_with "   match-leak-kinds: reachable")
r5=$(gate_with "   match-leak-kinds: sometimes")
[ "$r1/$r2/$r3/$r4/$r5" = 3/0/0/3/2 ] ||
    fail "match-leak-kinds: gate statuses $r1/$r2/$r3/$r4/$r5, want 3/0/0/3/2"
grep -q "match-leak-kinds takes definite" "$W/supp.out" || fail "bad kinds: $(cat "$W/supp.out")"
gate_with "   match-leak-kinds: definite" > /dev/null
"$MS" report --suppressions "$W/supp" "$d" > "$W/supp.text" || fail "report with suppressions failed"
sed -n '/^== Leaks/,/^== Still/p' "$W/supp.text" | grep -q "^ *indirectly lost" ||
    fail "a suppression of definite leaks hid the indirectly lost stacks too"

# Folded and pprof: the lost view adds up to the lost totals.
lostall=$(jq '.totals.definitely_lost_bytes + .totals.indirectly_lost_bytes + .totals.possibly_lost_bytes' "$W/json")
"$MS" report --folded "$d" > "$W/folded" || fail "--folded failed"
[ "$(awk '{ s += $NF } END { print s + 0 }' "$W/folded")" = "$lostall" ] ||
    fail "--folded (lost, the default with kinds) does not add up to $lostall"
"$MS" report --folded=reachable "$d" > "$W/folded" || fail "--folded=reachable failed"
[ "$(awk '{ s += $NF } END { print s + 0 }' "$W/folded")" = "$(jq .totals.still_reachable_bytes "$W/json")" ] ||
    fail "--folded=reachable does not add up to still_reachable_bytes"
if GO=$(command -v go || ls /usr/lib/go-*/bin/go 2> /dev/null | tail -1) && [ -n "$GO" ]; then
    "$MS" report --pprof "$W/p.pb.gz" "$d" || fail "--pprof failed"
    HOME=$W GOCACHE=$W/gocache "$GO" tool pprof -raw -symbolize=none "$W/p.pb.gz" > "$W/raw" 2>&1 ||
        fail "pprof cannot read the profile: $(tail -3 "$W/raw")"
    grep -q "lost_space/bytes" "$W/raw" && grep -q "reachable_space/bytes" "$W/raw" ||
        fail "pprof lacks the lost/reachable sample types"
fi
# HTML: the leak table has the lost blocks, still reachable ones apart.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
    "$MS" report --html "$W/r.html" "$d" || fail "--html failed"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-sync \
        --disable-background-networking --user-data-dir="$W/chrome" --virtual-time-budget=5000 \
        --dump-dom "file://$W/r.html" > "$W/dom.html" 2> /dev/null || fail "chromium failed"
    grep -q 'data-ready="1"' "$W/dom.html" || fail "HTML page script did not finish"
    grep -q 'Leaks: lost blocks (definitely, indirectly or possibly lost)' "$W/dom.html" ||
        fail "HTML leak table is not the lost blocks"
    grep -oP '<table id="leaks">.*?</table>' "$W/dom.html" | grep -q '<summary>lk_lost ' ||
        fail "HTML leak table lacks lk_lost"
    grep -oP '<table id="leaks">.*?</table>' "$W/dom.html" | grep -q '<summary>lk_global ' &&
        fail "HTML leak table lists the still reachable lk_global"
    grep -oP '<table id="reachable">.*?</table>' "$W/dom.html" | grep -q '<summary>lk_global ' ||
        fail "HTML still reachable table lacks lk_global"
else
    echo "chromium not installed: the HTML page not checked"
fi

# On request, while the program runs (its threads blocked, main asleep): a
# snapshot by trigger file, taken by the helper thread, has the same kinds.
rm -f "$W"/d.*
( sleep 0.6; touch "$W/trig" ) &
run_shim MAPSCOPE_REACH=all MAPSCOPE_TRIGGER="$W/trig" -- "$PROG" wait || fail "leak_kinds wait failed"
snap=$(ls "$W"/d.*.1 2>/dev/null | head -1)
[ -n "$snap" ] || fail "no snapshot written on request: $(ls "$W")"
[ "$(total reach.scans "$snap")" = 1 ] || fail "the requested snapshot has no scan"
[ "$(total reach.threads_stopped "$snap")" = 4 ] ||
    fail "snapshot: $(total reach.threads_stopped "$snap") threads stopped, want 4 (main and 3)"
shim_records "$snap" > "$W/snap.rec"
sum "$W/snap.rec" > "$W/snap.sum"
diff "$W/shim.sum" "$W/snap.sum" || fail "the snapshot's kinds differ from the exit dump's"
echo "leak kinds: equal to valgrind's"
