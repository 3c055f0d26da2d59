#!/usr/bin/env bash
# output.sh — writing dumps never hurts the program: an unwritable
# directory, a file-size limit (EFBIG/SIGXFSZ) and a full disk are reported
# once on stderr, the program's output and exit status are unchanged, and
# no partial file is left.  Dumps are mode 0600, created O_EXCL/O_NOFOLLOW
# (a symlink planted at the final name is replaced, never followed).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

want=$("$PROGS/shim_semantics")
check_unaffected() { # label, then command output in $got and stderr in $W/err
    [ "$got" = "$want" ] || fail "$1: output changed: $got"
    [ "$(grep -c '^mapscope: cannot write' "$W/err")" = 1 ] ||
        fail "$1: expected one 'cannot write' line: $(cat "$W/err")"
}

# 1. A directory that does not exist / is not writable.
got=$(env MAPSCOPE_OUTPUT=/nonexistent/dir/x LD_PRELOAD="$SHIM" "$PROGS/shim_semantics" 2> "$W/err") ||
    fail "missing dir: exit $?"
check_unaffected "missing directory"
mkdir "$W/ro" && chmod 0555 "$W/ro"
if [ "$(id -u)" != 0 ]; then
    got=$(env MAPSCOPE_OUTPUT="$W/ro/x" LD_PRELOAD="$SHIM" "$PROGS/shim_semantics" 2> "$W/err") ||
        fail "read-only dir: exit $?"
    check_unaffected "read-only directory"
fi
# /dev/full as a prefix: its directory is not writable as a dump place
# for non-root, and for root the file lands next to it; either way no crash.
got=$(env MAPSCOPE_OUTPUT=/dev/full/x LD_PRELOAD="$SHIM" "$PROGS/shim_semantics" 2> "$W/err") ||
    fail "/dev/full: exit $?"
check_unaffected "/dev/full/x (ENOTDIR)"

# 2. A file-size limit: write(2) fails with EFBIG and the kernel sends
#    SIGXFSZ, which would kill the program if the shim let it through.
got=$(ulimit -f 1; env MAPSCOPE_OUTPUT="$W/lim" LD_PRELOAD="$SHIM" "$PROGS/known_leaks_cxx" 2> "$W/err"; echo "rc=$?")
[ "$got" = "rc=0" ] || fail "file-size limit: program killed or failed: $got"
grep -q '^mapscope: cannot write .*File too large' "$W/err" || fail "file-size limit: $(cat "$W/err")"
ls "$W"/lim* > /dev/null 2>&1 && fail "file-size limit: partial file left: $(ls "$W")"

# 3. A full file system (needs root to mount a tiny tmpfs).
if [ "$(id -u)" = 0 ] && mkdir "$W/full" && mount -t tmpfs -o size=16k tmpfs "$W/full" 2> /dev/null; then
    dd if=/dev/zero of="$W/full/fill" bs=4k count=3 2> /dev/null
    got=$(env MAPSCOPE_OUTPUT="$W/full/x" LD_PRELOAD="$SHIM" "$PROGS/known_leaks_cxx" 2> "$W/err"; echo "rc=$?")
    [ "$got" = "rc=0" ] || { umount "$W/full"; fail "ENOSPC: $got"; }
    grep -q '^mapscope: cannot write .*No space left' "$W/err" || { umount "$W/full"; fail "ENOSPC: $(cat "$W/err")"; }
    left=$(ls "$W/full" | grep -v '^fill$' || true)
    umount "$W/full"
    [ -z "$left" ] || fail "ENOSPC: partial file left: $left"
    echo "ENOSPC on a full tmpfs: reported once, program unaffected"
else
    echo "ENOSPC case not run (needs root to mount a tmpfs)"
fi

# 4. Mode 0600; a symlink planted at the final name is replaced, not followed.
rm -f "$W"/d.*
touch "$W/victim"
bash -c 'exec env MAPSCOPE_OUTPUT="$1/d" LD_PRELOAD="$2" sleep 1 & pid=$!; ln -s "$1/victim" "$1/d.$pid" || exit 9; wait $pid' _ "$W" "$SHIM" ||
    fail "symlink case: exit $?"
[ -s "$W/victim" ] && fail "the dump was written through a symlink"
d=$(the_dump)
[ -L "$d" ] && fail "the symlink is still there"
[ "$(stat -c %a "$d")" = 600 ] || fail "dump mode is $(stat -c %a "$d"), want 600"
"$MSDUMP" "$d" > /dev/null || fail "dump unreadable"
echo "output: failures reported once, never fatal; files 0600, no symlink followed"
