#!/usr/bin/env bash
# descriptors.sh — the shim holds no descriptor the program can see or
# reuse: a program (and its forked child) lists the same descriptors with
# and without the shim, whatever starts the helper thread; and a daemon
# that closes 3..255, idles, then talks over socket pairs loses no byte
# and burns no CPU while the shim takes interval, signal and trigger
# snapshots (with both unwinders: libunwind used to keep a pipe, and to
# read and write it when it validates memory).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

# What the program sees: its descriptors, in the process and in a forked
# child, after it allocated (so every unwinder ran).
lister='
import os
blocks = [bytearray(64) for i in range(1000)]
print("parent", sorted(os.listdir("/proc/self/fd")))
pid = os.fork()
if pid == 0:
    more = [bytearray(64) for i in range(1000)]
    print("child", sorted(os.listdir("/proc/self/fd")), flush=True)
    os._exit(0)
os.waitpid(pid, 0)'
[ -x /usr/bin/python3 ] || fail "python3 is needed (build.sh installs it)"
/usr/bin/python3 -c "$lister" > "$W/native" || fail "python3 without the shim failed"
grep -q child "$W/native" || fail "the lister printed nothing for the child"
for cfg in "" "MAPSCOPE_INTERVAL=1" "MAPSCOPE_SIGNAL=USR2" "MAPSCOPE_TRIGGER=$W/trig" \
    "MAPSCOPE_INTERVAL=1 MAPSCOPE_UNWIND=libunwind" "MAPSCOPE_SAMPLE=4K MAPSCOPE_INTERVAL=1"; do
    # shellcheck disable=SC2086 # the settings are words
    run_shim PYTHONMALLOC=malloc $cfg -- /usr/bin/python3 -c "$lister" > "$W/shim" ||
        fail "python3 under the shim ($cfg) failed"
    diff "$W/native" "$W/shim" > "$W/diff" ||
        fail "descriptors differ under the shim ($cfg): $(cat "$W/diff")"
done

# The daemon: 1.3 s idle with every descriptor closed (its socket pairs come
# between two interval snapshots, whose files take a number while written), then 3 socket pairs on
# the numbers the shim used to hold, 1500 rounds each way with snapshots
# every second, on USR2 and on a trigger.
daemon() {
    local unwind=$1
    rm -f "$W"/d.* "$W/trig"
    env MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_INTERVAL=1 MAPSCOPE_SIGNAL=USR2 \
        MAPSCOPE_TRIGGER="$W/trig" MAPSCOPE_UNWIND="$unwind" LD_PRELOAD="$SHIM" \
        "$PROGS/fd_daemon" 1300 1500 > "$W/out" &
    local pid=$! watchdog
    (sleep 60 && kill -9 $pid) 2> /dev/null &
    watchdog=$!
    sleep 1.8
    kill -USR2 $pid 2> /dev/null
    touch "$W/trig"
    sleep 0.5
    kill -USR2 $pid 2> /dev/null
    wait $pid
    local rc=$?
    kill $watchdog 2> /dev/null
    [ $rc = 0 ] || fail "$unwind: the daemon lost or got wrong data (exit $rc): $(cat "$W/out")"
    grep -q '^fds 3/4 5/6 7/8$' "$W/out" || fail "$unwind: socket pairs not on 3..8: $(cat "$W/out")"
    read -r idle_cpu < <(sed -n 's/^idle_cpu_ms=\([0-9]*\) .*/\1/p' "$W/out")
    read -r msgs lost wrong cpu wall < <(sed -n \
        's/^messages=\([0-9]*\) lost=\([0-9]*\) wrong=\([0-9]*\) cpu_ms=\([0-9]*\) wall_ms=\([0-9]*\)$/\1 \2 \3 \4 \5/p' \
        "$W/out")
    [ "$msgs/$lost/$wrong" = 4500/0/0 ] || fail "$unwind: messages/lost/wrong $msgs/$lost/$wrong"
    # Idle: a shim spinning on a closed descriptor burns the whole second.
    [ "$idle_cpu" -lt 150 ] || fail "$unwind: ${idle_cpu} ms of CPU in 1300 ms idle"
    [ "$cpu" -lt $((wall / 2)) ] || fail "$unwind: ${cpu} ms of CPU in ${wall} ms of talking"
    ls "$W"/d.* > "$W/dumps"
    grep -qE '/d\.[0-9]+$' "$W/dumps" || fail "$unwind: no exit dump"
    [ "$(grep -cE '/d\.[0-9]+\.[0-9]+$' "$W/dumps")" -ge 3 ] ||
        fail "$unwind: fewer than 3 snapshots (interval, signal, trigger): $(cat "$W/dumps")"
    echo "$unwind: idle_cpu_ms=$idle_cpu talk cpu_ms=$cpu wall_ms=$wall messages=$msgs lost=0"
}
daemon dwarf
daemon libunwind

# A daemon that closed its stderr and got the number back for a socket:
# the shim's complaint (here: the snapshot directory does not exist) must
# not go into the socket.
timeout 60 env MAPSCOPE_OUTPUT=/nonexistent/d MAPSCOPE_INTERVAL=1 LD_PRELOAD="$SHIM" \
    /usr/bin/python3 -c '
import os, socket, time
os.close(2)
a, b = socket.socketpair()
assert a.fileno() == 2, a.fileno()
time.sleep(1.6)
b.setblocking(False)
try:
    got = b.recv(4096)
except BlockingIOError:
    got = b""
os.write(1, b"peer got %d bytes %r\n" % (len(got), got[:60]))' > "$W/out" ||
    fail "stderr-reuse run failed: $(cat "$W/out")"
grep -q '^peer got 0 bytes' "$W/out" || fail "the shim wrote into the program's socket: $(cat "$W/out")"
# A service whose stderr is a socket (systemd's journal stream): the helper
# thread, in its own descriptor table, cannot reopen it through /proc, so its
# complaint (here: the snapshot directory does not exist) waits for a program
# thread and is written once, not lost.
timeout 60 /usr/bin/python3 -c '
import os, socket, subprocess, sys
a, b = socket.socketpair()
env = dict(os.environ, MAPSCOPE_OUTPUT="/nonexistent/d", MAPSCOPE_INTERVAL="1",
           LD_PRELOAD=sys.argv[1], PYTHONMALLOC="malloc")
p = subprocess.Popen(["/usr/bin/python3", "-c",
                      "import time\nx = [bytearray(64) for i in range(1000)]\ntime.sleep(2.5)"],
                     stderr=b, env=env)
b.close()
p.wait()
got = b""
while True:
    d = a.recv(4096)
    if not d:
        break
    got += d
sys.stdout.write(got.decode())' "$SHIM" > "$W/out" || fail "socket-stderr run failed: $(cat "$W/out")"
[ "$(grep -c 'cannot write /nonexistent/d' "$W/out")" = 1 ] ||
    fail "the helper's complaint did not reach a socket stderr once: $(cat "$W/out")"
echo "descriptors: none held; the daemon's sockets untouched"
