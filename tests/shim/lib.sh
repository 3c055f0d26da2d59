# lib.sh — shared by the shim's end-to-end tests (sourced).
#
# Provides: $SHIM (the built libmapscope.so), $MSDUMP (the test decoder),
# $PROGS (tests/programs in the build tree), a private work directory $W
# (removed on exit), fail/skip helpers, and run_shim (run a command under
# the shim with a timeout, dumps going to $W/d).

set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
SHIM="$top_builddir/lib/.libs/libmapscope.so"
MSDUMP="$top_builddir/tests/shim/msdump"
PROGS="$top_builddir/tests/programs"
NAME=$(basename "$0" .sh)

fail() {
    echo "FAIL ($NAME): $*" >&2
    exit 1
}

skip() {
    echo "SKIP ($NAME): $*" >&2
    exit 77
}

if [ "${MS_SANITIZED:-}" = 1 ]; then
    skip "end-to-end LD_PRELOAD test: not run in the sanitizer build"
fi
[ -f "$SHIM" ] || fail "$SHIM not built"
[ -x "$MSDUMP" ] || fail "$MSDUMP not built"

W=$(mktemp -d "${TMPDIR:-/tmp}/ms-$NAME.XXXXXX")
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT

# run_shim [VAR=value...] -- command...: run under the shim, dumps to $W/d.
run_shim() {
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    shift
    timeout 300 env MAPSCOPE_OUTPUT="$W/d" "${envs[@]}" LD_PRELOAD="$SHIM" "$@"
}

# The exit dump of the only process that wrote one (fails otherwise).
the_dump() {
    local files=("$W"/d.[0-9]*)
    local exits=()
    local f
    for f in "${files[@]}"; do
        case "$f" in *.tmp*) continue ;; esac
        [[ "$(basename "$f")" =~ ^d\.[0-9]+$ ]] && exits+=("$f")
    done
    [ ${#exits[@]} -eq 1 ] || fail "expected one exit dump in $W, found ${#exits[@]}: ${files[*]}"
    echo "${exits[0]}"
}

# total NAME DUMP: one figure from the TOTALS/ENGINE records.
total() {
    "$MSDUMP" --totals "$2" | sed -n "s/^$1=//p" | head -1
}

# sum_stacks DUMP REGEX: add up the counters of the stacks whose frames
# match REGEX, printed as the "expect ..." line the stress programs print.
sum_stacks() {
    "$MSDUMP" --stacks "$1" | grep -E "$2" | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); s[a[1]] += a[2] } }
        END { printf "expect allocations=%d frees=%d inuse_blocks=%d inuse_bytes=%d\n",
              s["allocs"], s["frees"], s["live_blocks"], s["live_bytes"] }'
}
