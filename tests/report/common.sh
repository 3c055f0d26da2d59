# common.sh — shared by the report's end-to-end tests (sourced, not run).
#
# Builds synthetic dumps of the bundled example (examples/sessiond) with
# tests/report/mkdump: real module (the example's ELF file and libc), real
# symbols at known offsets, and known figures, so the report can be checked
# without the shim.  Figures match the example's leak story (2000 requests:
# 1990 leaked tokens of 33 bytes, the config copy, the 4 KiB log buffer).

set -eu
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"
MS=$top_builddir/tools/mapscope
MKDUMP=$top_builddir/tests/report/mkdump
EX=$top_builddir/examples/sessiond
T=$(mktemp -d "${TMPDIR:-/tmp}/ms-report-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

BIAS=0x555555554000
LIBC=$(ldd "$EX" | awk '/libc\.so/ {print $3; exit}')
[ -n "$LIBC" ] || fail "cannot find libc of $EX"

# Expected figures (sum over the stacks below).
INUSE_BYTES=69813      # 65670 + 47 + 4096
INUSE_BLOCKS=1992
ALLOCATIONS=6002
BYTES_ALLOCATED=246143
PEAK_BYTES=71317
FREES=4010

# write_spec FILE [TOKEN_LEAKS [SEQ [REASON]]]: the spec of a dump; the
# token stack leaks TOKEN_LEAKS blocks of 33 bytes (default 1990).
write_spec() {
    f=$1 leaks=${2:-1990} seq=${3:-0} reason=${4:-0}
    cat > "$f" <<SPEC
process 4242 1 1700000000000000000 $((1700000000000000000 + 10000000000 + seq)) $reason $seq $EX sessiond 2000
setting sample_bytes 0
setting unwind libunwind
setting depth 64
module $BIAS $EX auto
module 0x7f1234500000 $LIBC auto
stack 1 @0:make_token+5 @0:session_new+5 @0:main+5 @1:__libc_start_main+5
stack 2 @1:strdup+5 @0:load_config+5 @0:main+9
stack 3 @0:log_open+5 @0:main+13
stack 4 @0:parse_request+5 @0:main+17
stack 5 @0:session_new+9 @0:main+21
stats 1 2000 66000 $((2000 - leaks)) $((66000 - 33 * leaks)) $leaks $((33 * leaks)) 0 1990 65670 0
stats 2 1 47 0 0 1 47 0 1 47 0
stats 3 1 4096 0 0 1 4096 0 1 4096 0
stats 4 2000 128000 2000 128000 0 0 0 1 64 2000
stats 5 2000 48000 2000 48000 0 0 0 60 1440 0
linger 1 $leaks $((33 * leaks)) 9000000000 1000000000 $((leaks / 2)) $((33 * (leaks / 2))) 5000000000 $((leaks - leaks / 2)) $((33 * (leaks - leaks / 2)))
linger 3 1 4096 9500000000 5000000000 1 4096
timeline 1000000000 0 0 0 0 0 1000000000 20000 600 700 30000 2000000000 71317 2053 5000 200000 3000000000 $((33 * leaks + 4143)) $((leaks + 2)) 300 16143
total allocations $ALLOCATIONS
total frees $((FREES + 1990 - leaks))
total bytes_allocated $BYTES_ALLOCATED
total inuse_blocks $((leaks + 2))
total inuse_bytes $((33 * leaks + 4143))
total peak_bytes $PEAK_BYTES
total peak_blocks 2053
total peak_time_ns 2000000000
total failed 0
total unknown_frees 3
total temporary 2000
engine map.count 1992
engine map.B 8
engine shim.bytes_mapped 1048576
end
SPEC
}

# make_dump OUT [TOKEN_LEAKS [SEQ [REASON]]] [-- mkdump options]
make_dump() {
    out=$1; shift
    write_spec "$T/spec" "$@"
    "$MKDUMP" "$T/spec" "$out" || fail "mkdump failed"
}

# addr2line's function and file:line for module offset OFF of FILE (the
# frame's return address - 1, as the report looks it up): "func file:line".
expect_frame() {
    file=$1 sym=$2 off=$3
    base=$(nm "$file" | awk -v s="$sym" '$3 == s {print $1; exit}')
    [ -n "$base" ] || fail "no symbol $sym in $file"
    addr2line -f -e "$file" "$(printf '0x%x' $((0x$base + off - 1)))" |
        { read -r fn; read -r loc; echo "$fn ${loc##*/}"; } | sed 's/ (discriminator [0-9]*)//'
}

# chrome TAG ARGS...: headless Chromium ($CHROMIUM, found by the caller) with
# a fresh profile and no network of its own, at CHROME_SIZE (default
# 1280,1400) CSS pixels, one device pixel each (screenshots are measured).
chrome() {
    tag=$1
    shift
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --force-device-scale-factor=1 --user-data-dir="$T/profile.$tag" \
        --window-size="${CHROME_SIZE:-1280,1400}" "$@" 2> "$T/chrome.$tag.err"
}
