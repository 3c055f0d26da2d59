#!/bin/sh
# valgrind.sh — the report is valgrind-clean (no invalid accesses, no
# definite or indirect leaks) on every output path, on a good and on a
# damaged dump, and `mapscope run` is too.
. "$top_srcdir/tests/report/common.sh"
[ -z "${MS_SANITIZED:-}" ] || skip "valgrind does not run sanitizer builds"
command -v valgrind > /dev/null || skip "valgrind not installed (apt-get install valgrind)"
make_dump "$T/d.4242"
make_dump "$T/d.4242.1" 500 1 1
write_spec "$T/spec"
"$MKDUMP" "$T/spec" "$T/cut" --truncate 300
printf 'leak:make_token\n' > "$T/s.supp"
vg() {
    set +e
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        "$MS" "$@" > "$T/vg.out" 2> "$T/vg.err"
    rc=$?
    set -e
    [ "$rc" != 99 ] || { cat "$T/vg.err"; fail "valgrind errors in: mapscope $*"; }
}
vg report "$T/d.4242"
vg report --json --suppressions "$T/s.supp" "$T/d.4242"
vg report --folded=peak "$T/d.4242"
vg report --pprof "$T/p.pb.gz" --html "$T/r.html" "$T/d.4242"
vg report --diff "$T/d.4242.1" "$T/d.4242"
vg report --lingering=5s "$T/cut" "$T/d.4242.1"
vg report "$T/missing" "$top_srcdir/tests/fuzz/corpus/findings.jsonl"
if [ -e "$top_builddir/lib/.libs/libmapscope.so" ]; then
    vg run -q -o "$T/r" -- "$EX" 50
fi
echo "valgrind: ok"
