#!/usr/bin/env bash
# options.sh — every setting both ways, `mapscope run --option` and the
# MAPSCOPE_* variable, through the one grammar (format/option_grammar.c):
# a value one side accepts the other accepts (and the shim stays silent); a
# value the shim refuses, `run` refuses before starting the program (exit 2)
# with the very same words.  Before the shared grammar, `run --linger 2d`
# passed the command and the shim then ran with its default.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"
MS="$top_builddir/tools/mapscope"
[ -x "$MS" ] || fail "$MS not built"
long=$(printf 'p%.0s' $(seq 1 5000))
# A refused MAPSCOPE_OUTPUT falls back to mapscope.dump in the current
# directory: keep that in the work directory.
cd "$W"

# flag|VARIABLE|good values|bad values ('' is the empty string).
cases=(
    "--output|MAPSCOPE_OUTPUT|$W/o|''"
    "--interval|MAPSCOPE_INTERVAL|9 10m 1d 0 off NONE 1S|500ms soon 2x 1.5s -1"
    "--sample|MAPSCOPE_SAMPLE|512K 1MiB 2gb 1T 0 off none|lots 2T 5K2 K ''"
    "--depth|MAPSCOPE_DEPTH|1 8 256|0 257 1k +5"
    "--unwind|MAPSCOPE_UNWIND|fp dwarf libunwind FP|magic ''"
    "--linger|MAPSCOPE_LINGER|2d 500ms 1h 0 off|-1 2w 1.5h"
    "--signal|MAPSCOPE_SIGNAL|USR2 sigusr1 RTMIN+1 12 0 off|KILL SEGV 9 USR3 RTMIN-1"
    "--trigger|MAPSCOPE_TRIGGER|$W/t|$long"
    "--timeline|MAPSCOPE_TIMELINE|10ms 1s 0 off|1ms 9ms x"
    "--reach|MAPSCOPE_REACH|exit all off EXIT|sometimes ''"
    "|MAPSCOPE_FOLLOW_CHILDREN|1 0 yes no true off|maybe 2"
    "|MAPSCOPE_MAX_STACKS|16 5000 1048575|3 1048576 many"
)

n_good=0 n_bad=0
for c in "${cases[@]}"; do
    IFS='|' read -r flag var goods bads <<< "$c"
    for v in $goods; do
        # The shim takes it without a word...
        run_shim "$var=$v" -- true 2> "$W/err" || fail "$var=$v: exit $?"
        [ ! -s "$W/err" ] || fail "$var=$v refused by the shim: $(cat "$W/err")"
        # ...and so does run, and what run passes on the shim accepts too.
        if [ -n "$flag" ]; then
            "$MS" run -q -o "$W/r" "$flag" "$v" -- true 2> "$W/err" ||
                fail "run $flag $v: exit $?: $(cat "$W/err")"
            [ ! -s "$W/err" ] || fail "run $flag $v: the shim complained: $(cat "$W/err")"
        fi
        n_good=$((n_good + 1))
    done
    for v in $bads; do
        [ "$v" = "''" ] && v=
        # The shim: one line, the default kept, the program unaffected.
        run_shim "$var=$v" -- true 2> "$W/err" || fail "$var=$v: exit $?"
        [ "$(wc -l < "$W/err")" = 1 ] || fail "$var=$v: expected one line: $(cat "$W/err")"
        shim_says=$(sed -n "s/^mapscope: \(.*\); using the default (.*)\$/\1/p" "$W/err")
        [ -n "$shim_says" ] || fail "$var=$v: unexpected message: $(cat "$W/err")"
        case "$shim_says" in "$var='"*"' is not valid (accepted: "*")") ;;
        *) fail "$var=$v: message does not name the variable: $shim_says" ;; esac
        if [ -n "$flag" ]; then
            # run: exit 2 before the program starts (it would create $W/ran).
            rm -f "$W/ran"
            "$MS" run -q -o "$W/r" "$flag" "$v" -- touch "$W/ran" 2> "$W/err"
            rc=$?
            [ "$rc" = 2 ] || fail "run $flag '$v': exit $rc, want 2: $(cat "$W/err")"
            [ ! -e "$W/ran" ] || fail "run $flag '$v': the program was started"
            [ "$(wc -l < "$W/err")" = 1 ] || fail "run $flag '$v': expected one line: $(cat "$W/err")"
            [ "$(cat "$W/err")" = "mapscope run: $flag: $shim_says" ] ||
                fail "run $flag '$v' says '$(cat "$W/err")', the shim says '$shim_says'"
        fi
        n_bad=$((n_bad + 1))
    done
done
echo "options: $n_good good values accepted and $n_bad bad ones refused alike by run and the shim"
