#!/usr/bin/env bash
# memcached.sh — memcached -u memcache under `mapscope run`: it drops to
# memcache after start-up and cannot delete the trigger file; two requests
# (touches, 3 s apart) give two snapshots, not one a second; its dumps are
# written in PREFIX.u<uid>/; it stores and returns 200 values as without
# the shim, and stops on TERM passed on by mapscope.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (memcached -u); CI runs as root"
MEMCACHED=$(command -v memcached || echo /usr/bin/memcached)
[ -x "$MEMCACHED" ] || fail "memcached not installed (build.sh installs it)"
id memcache > /dev/null 2>&1 || fail "no user memcache (made by Debian's memcached package)"
MS="$top_builddir/tools/mapscope"
[ -x "$MS" ] || fail "$MS not built"
chmod 0755 "$W"
port=$((20000 + ($$ + 7) % 20000))
"$MS" run -o "$W/m" --trigger "$W/trig" -- "$MEMCACHED" -u memcache -l 127.0.0.1 -p $port -t 2 \
    > "$W/out" 2> "$W/err" &
ms=$!
(sleep 40 && kill -9 $ms) 2> /dev/null &
watchdog=$!
/usr/bin/python3 - $port << 'PY' || fail "memcached did not answer as it should: $(cat "$W/err")"
import socket, sys, time
for i in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rb")
for i in range(200):
    v = b"v%d" % i * (1 + i % 50)
    s.sendall(b"set k%d 0 0 %d\r\n%s\r\n" % (i, len(v), v))
    assert f.readline() == b"STORED\r\n"
for i in range(200):
    v = b"v%d" % i * (1 + i % 50)
    s.sendall(b"get k%d\r\n" % i)
    assert f.readline() == b"VALUE k%d 0 %d\r\n" % (i, len(v))
    assert f.readline() == v + b"\r\n" and f.readline() == b"END\r\n"
PY
touch "$W/trig"
sleep 3
touch "$W/trig"
sleep 2.5
kill -TERM $ms
wait $ms
rc=$?
kill $watchdog 2> /dev/null
[ $rc = 0 ] || [ $rc = 143 ] || fail "mapscope run: exit $rc: $(cat "$W/err")"
uid=$(id -u memcache)
ud="$W/m.u$uid"
exits=$(ls "$ud" 2> /dev/null | grep -E '^m\.[0-9]+$')
[ -n "$exits" ] || fail "no exit dump in $ud: $(ls -R "$W"); $(cat "$W/err")"
pid=${exits#m.}
n=$(ls "$ud" | grep -cE "^m\.$pid\.[0-9]+$")
[ "$n" = 2 ] || fail "$n snapshots for 2 requests: $(ls "$ud")"
[ -e "$W/trig" ] || fail "the trigger file is gone"
grep -q "left no dump" "$W/err" && fail "run reports missing dumps: $(cat "$W/err")"
echo "memcached: 2 requests -> 2 snapshots as memcache, dumps in $ud"
