#!/bin/sh
# json_bench.sh — the measurement behind the report's JSON reader (json-c vs
# jansson; tools/json_read.h): build the --json report of a 3.6M-block dump
# (2000 stacks of 1800 live blocks, ~11 MB of JSON) with tests/report/mkdump
# and time both libraries reading it, as one document and as JSON lines.
#
#   top_builddir=... json_bench.sh [ROUNDS]
set -eu
: "${top_builddir:?run through make bench-json}"
rounds=${1:-15}
T=$(mktemp -d "${TMPDIR:-/tmp}/ms-json-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
EX=$top_builddir/examples/sessiond
LIBC=$(ldd "$EX" | awk '/libc\.so/ {print $3; exit}')
awk -v ex="$EX" -v libc="$LIBC" -v n=2000 -v b=1800 'BEGIN {
    print "process 4242 1 1700000000000000000 1700000010000000000 0 0 " ex " sessiond 2000"
    print "setting sample_bytes 0"
    print "module 0x555555554000 " ex " auto"
    print "module 0x7f1234500000 " libc " auto"
    split("make_token session_new main parse_request log_open load_config", fn, " ")
    srand(7)
    for (i = 1; i <= n; i++) {
        s = "stack " i
        for (k = 0; k < 8; k++)
            s = s " @0:" fn[1 + int(rand() * 6)] "+" int(rand() * 40)
        print s " @1:__libc_start_main+5"
        print "stats " i " " 2 * b " " 66 * b " " b " " 33 * b " " b " " 33 * b " 0 " b " " 33 * b " 0"
    }
    print "total inuse_blocks " n * b
    print "end"
}' > "$T/spec"
"$top_builddir/tests/report/mkdump" "$T/spec" "$T/big.dump"
"$top_builddir/tools/mapscope" report --json --top 0 --frames 0 "$T/big.dump" > "$T/big.json"
echo "input: --json report of a $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['inuse_blocks'])" "$T/big.json" 2>/dev/null || echo '?')-block dump"
"$top_builddir/bench/json_bench" "$T/big.json" "$rounds"
