#!/bin/sh
# debuginfod.sh — names for stripped binaries from a debuginfod server:
# Debian's debuginfod, started on loopback, serves a folder holding the
# debug file of a stripped test program (and the program itself).  Without
# DEBUGINFOD_URLS the report names no function of it and says how many
# frames lack names and how to get them; with it, the frames are named,
# also when the binary itself is gone (fetched by build-id).
. "$top_srcdir/tests/report/common.sh"
command -v debuginfod > /dev/null || skip "debuginfod not installed (apt-get install debuginfod)"
command -v objcopy > /dev/null && command -v strip > /dev/null || skip "binutils not installed"
PROG=$top_builddir/tests/programs/wrappers
[ -x "$PROG" ] || fail "$PROG not built"
unset DEBUGINFOD_URLS

mkdir -p "$T/bin" "$T/srv" "$T/cache"
cp "$PROG" "$T/bin/wrappers"
objcopy --only-keep-debug "$T/bin/wrappers" "$T/srv/wrappers.debug"
strip -s "$T/bin/wrappers"
cp "$T/bin/wrappers" "$T/srv/wrappers"
"$MS" run -q -o "$T/d" -- "$T/bin/wrappers" || fail "wrappers under the shim: exit $?"

# Without a server: raw offsets, and the report says why and what to do.
"$MS" report -q "$T"/d.* > "$T/plain" || fail "report exited $?"
grep -q "leak_x" "$T/plain" && fail "names without debug info?"
grep -q "^== Names: [0-9]* frames without a function name (wrappers [0-9]*)" "$T/plain" ||
    fail "no note of the frames without names: $(grep -A2 '^== Names' "$T/plain")"
grep -q "DEBUGINFOD_URLS" "$T/plain" || fail "the note does not say how to get names"
"$MS" report -q --json "$T"/d.* | grep -q '"unnamed_frames":[1-9]' || fail "JSON: unnamed_frames"

# The server, on a free port of 127.0.0.1's.
id=$(readelf -n "$T/bin/wrappers" | awk '/Build ID/ { print $3 }')
[ -n "$id" ] || fail "the test program has no build-id"
port=$((20000 + $$ % 20000))
for try in 1 2 3 4 5; do
    debuginfod -F -p $port -d "$T/db.sqlite" "$T/srv" > "$T/debuginfod.log" 2>&1 &
    server=$!
    sleep 1
    kill -0 $server 2> /dev/null && break
    port=$((port + 1))
done
kill -0 $server 2> /dev/null || fail "debuginfod did not start: $(tail -3 "$T/debuginfod.log")"
trap 'kill $server 2> /dev/null; wait $server 2> /dev/null; rm -rf "$T"' EXIT
URL=http://127.0.0.1:$port
ok=
for i in $(seq 60); do # the first scan of the folder
    if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=5)" \
        "$URL/buildid/$id/debuginfo" 2> /dev/null; then
        ok=1
        break
    fi
    sleep 0.5
done
[ -n "$ok" ] || fail "debuginfod does not serve $id: $(tail -3 "$T/debuginfod.log")"

named() { # what the folded output of the report says with the server
    DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH="$T/cache$1" "$MS" report -q --folded=leaked "$T"/d.* |
        sed 's/^.*;main;/main;/' | sort | tr '\n' ' '
}
want="main;leak_pool;my_pool_get;my_alloc 400 main;leak_two;two_ways 1200 main;leak_x 300 "
got=$(named 1)
[ "$got" = "$want" ] || fail "with debuginfod: '$got', want '$want'"
DEBUGINFOD_URLS=$URL DEBUGINFOD_CACHE_PATH="$T/cache1" "$MS" report -q "$T"/d.* > "$T/named"
grep -q "^== Names:.*wrappers" "$T/named" && fail "names still missing with debuginfod"
# The binary gone: fetched by build-id (executable and debug info).
rm "$T/bin/wrappers"
got=$(named 2)
[ "$got" = "$want" ] || fail "binary gone, with debuginfod: '$got', want '$want'"
echo "debuginfod: names from the server for a stripped and for a missing binary"
