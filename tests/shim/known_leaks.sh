#!/usr/bin/env bash
# known_leaks.sh — the dump of a program with known leaks says exactly what
# the program did, stack by stack (tests/shim/known_leaks.expected), with
# each unwinder; its totals match valgrind memcheck's for the same program.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
EXPECTED="$top_srcdir/tests/shim/known_leaks.expected"

# check_stacks DUMP FUNCTION...: each function's stack line equals the table.
check_stacks() {
    local dump=$1
    shift
    "$MSDUMP" --stacks "$dump" > "$W/stacks" || fail "msdump failed on $dump"
    local fn n
    for fn in "$@"; do
        # The stack whose innermost frame outside the allocator entry points
        # is fn: frames=fn;... or frames=operator new(...);fn();... (C++
        # names are demangled by the report's symbolizer).
        re="frames=(operator new(\\[\\])?\\(unsigned long\\);)?($fn|$fn\\(\\));"
        n=$(grep -cE "$re" "$W/stacks")
        [ "$n" = 1 ] || fail "$fn: expected exactly one stack, found $n (unwind=$UNW)"
        got=$(grep -E "$re" "$W/stacks" | awk '{
            for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
            print v["allocs"], v["bytes_allocated"], v["frees"], v["bytes_freed"], v["live_blocks"],
                v["live_bytes"], v["failed"], v["peak_blocks"], v["peak_bytes"], v["temporary"] }')
        want=$(awk -v f="$fn" '$1 == f { $1 = ""; sub(/^ +/, ""); gsub(/ +/, " "); print }' "$EXPECTED")
        [ -n "$want" ] || fail "$fn missing from $EXPECTED"
        [ "$got" = "$want" ] || fail "$fn (unwind=$UNW): got '$got', want '$want'"
    done
}

C_FUNCS=$(awk '/^kl_/ && $1 !~ /^kl_cxx/ { print $1 }' "$EXPECTED")
CXX_FUNCS=$(awk '/^kl_cxx/ { print $1 }' "$EXPECTED")

for UNW in dwarf libunwind fp; do
    rm -f "$W"/d.*
    out=$(run_shim MAPSCOPE_UNWIND=$UNW -- "$PROGS/known_leaks") || fail "known_leaks exited $? under the shim"
    [ -z "$out" ] || fail "known_leaks printed '$out'"
    d=$(the_dump)
    check_stacks "$d" $C_FUNCS
    # Totals of the whole process: nothing else allocates in this program.
    for kv in allocations=119 frees=107 bytes_allocated=108714 bytes_freed=106730 \
        inuse_blocks=12 inuse_bytes=1984 peak_bytes=101984 peak_blocks=13 failed=4 \
        unknown_frees=0 temporary=105 dropped=0; do
        v=$(total "${kv%%=*}" "$d")
        [ "$v" = "${kv#*=}" ] || fail "total ${kv%%=*}: got '$v', want ${kv#*=} (unwind=$UNW)"
    done
    # ... and LD_PRELOAD was removed from the environment of exec'd children
    # (the default), so a dump is this process's only.
done

UNW=dwarf
rm -f "$W"/d.*
run_shim -- "$PROGS/known_leaks_cxx" || fail "known_leaks_cxx exited $?"
d=$(the_dump)
check_stacks "$d" $CXX_FUNCS

# valgrind memcheck agrees on the whole-process totals (libstdc++'s
# emergency pool is freed by valgrind's --run-cxx-freeres unless disabled).
if command -v valgrind >/dev/null 2>&1; then
    for prog in known_leaks known_leaks_cxx; do
        rm -f "$W"/d.*
        run_shim -- "$PROGS/$prog" || fail "$prog exited $?"
        d=$(the_dump)
        valgrind --run-libc-freeres=no --run-cxx-freeres=no "$PROGS/$prog" 2> "$W/vg" ||
            fail "valgrind $prog failed"
        read -r vin vinb < <(sed -n 's/.*in use at exit: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p' "$W/vg" | tr -d ,)
        read -r va vf vb < <(sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated.*/\1 \2 \3/p' "$W/vg" | tr -d ,)
        [ "$(total allocations "$d")" = "$va" ] || fail "$prog: allocations $(total allocations "$d") vs valgrind $va"
        [ "$(total frees "$d")" = "$vf" ] || fail "$prog: frees $(total frees "$d") vs valgrind $vf"
        [ "$(total bytes_allocated "$d")" = "$vb" ] || fail "$prog: bytes $(total bytes_allocated "$d") vs valgrind $vb"
        [ "$(total inuse_bytes "$d")" = "$vin" ] || fail "$prog: in use $(total inuse_bytes "$d") vs valgrind $vin"
        [ "$(total inuse_blocks "$d")" = "$vinb" ] || fail "$prog: blocks $(total inuse_blocks "$d") vs valgrind $vinb"
        echo "$prog: shim and valgrind agree: $va allocs, $vf frees, $vb bytes, $vin bytes in $vinb blocks at exit"
    done
    # Under valgrind /proc/self/exe opens valgrind's tool, not the program: the
    # unwinder must still find the program's own rules (by its name), or every
    # walk falls back to libunwind and none is cached (stack_cache.hits=0).
    rm -f "$W"/d.*
    MAPSCOPE_FOLLOW_CHILDREN=1 MAPSCOPE_OUTPUT="$W/d" LD_PRELOAD="$SHIM" \
        valgrind --tool=none "$PROGS/churn" -t 1 -n 3000 -s 4 > /dev/null 2> "$W/vg" ||
        fail "churn under valgrind --tool=none failed: $(tail -3 "$W/vg")"
    d=$(the_dump)
    "$MSDUMP" --totals "$d" > "$W/totals"
    hits=$(sed -n 's/^stack_cache.hits=//p' "$W/totals")
    misses=$(sed -n 's/^stack_cache.misses=//p' "$W/totals")
    [ "${hits:-0}" -gt 2000 ] || fail "under valgrind: stack cache hits $hits, misses $misses (the program's frames fell back to libunwind)"
    echo "under valgrind: stack cache $hits hits, $misses misses"
else
    echo "valgrind not installed: comparison not run"
fi
echo "known_leaks: all stacks exact with dwarf, libunwind and fp unwinding"
