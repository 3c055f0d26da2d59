#!/usr/bin/env bash
# python_subprocess.sh — Python's own test_subprocess passes with every
# Python process of it under the shim (`mapscope run`, children followed,
# snapshots every second): it checks descriptors a child inherits
# (test_pass_fds*, test_close_fds*), swaps and closes the standard
# descriptors, and runs children as another user.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

MS="$top_builddir/tools/mapscope"
[ -x "$MS" ] || fail "$MS not built"
/usr/bin/python3 -c 'import test.test_subprocess' 2> /dev/null ||
    fail "Python's test suite is not installed (build.sh installs libpython3.11-testsuite)"
chmod 0755 "$W" # children run as nobody write their dumps in d.u<uid>/
cd "$W" || fail "cannot enter $W"
timeout 300 "$MS" run -q -i 1 -o "$W/d" -- /usr/bin/python3 -m test -v test_subprocess > "$W/out" 2>&1 ||
    fail "test_subprocess under the shim: $(grep -E "^(FAIL|ERROR):|Error|failed" "$W/out" | head -20)"
grep -q 'Tests result: SUCCESS' "$W/out" || fail "no success line: $(tail -5 "$W/out")"
n=$(ls "$W"/d.[0-9]* "$W"/d.u*/d.[0-9]* 2> /dev/null | grep -cE '\.[0-9]+$')
[ "$n" -ge 100 ] || fail "only $n exit dumps: the children were not profiled"
echo "python_subprocess: test_subprocess passed under the shim ($n processes wrote exit dumps)"
