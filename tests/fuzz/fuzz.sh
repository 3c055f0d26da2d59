#!/bin/sh
# fuzz.sh — bounded fuzzing of the report's input parsers (dump reader,
# symbolizer input, findings, suppressions) from the seed corpus in
# tests/fuzz/corpus.  With the libFuzzer build (clang, sanitizer build) it
# runs libFuzzer; otherwise the replay driver's own mutations.  Time:
# MS_FUZZ_SECONDS, default 60 s in the sanitizer build, 5 s elsewhere.
set -eu
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ms-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT
secs=${MS_FUZZ_SECONDS:-}
[ -n "$secs" ] || { [ -n "${MS_SANITIZED:-}" ] && secs=60 || secs=5; }
cp -r "$top_srcdir/tests/fuzz/corpus" "$T/corpus"
chmod -R u+w "$T/corpus"
# The target silences stderr around each input (the parsers' messages are
# noise here), so sanitizer reports go to files.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san:print_stacktrace=1"
san_reports() { for f in "$T"/san.*; do [ -e "$f" ] && cat "$f"; done; return 0; }
lf=$top_builddir/tests/fuzz/fuzz_report_lf
if [ -x "$lf" ]; then
    echo "libFuzzer for $secs s"
    if ! "$lf" -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$T/" "$T/corpus" > "$T/log" 2>&1; then
        tail -n 60 "$T/log"
        san_reports
        for a in "$T"/crash-* "$T"/timeout-* "$T"/oom-* "$T"/leak-*; do
            [ -e "$a" ] && cp "$a" "$top_builddir/tests/fuzz/" && echo "kept $(basename "$a")"
        done
        exit 1
    fi
    grep -E '^stat::number_of_executed_units|^Done' "$T/log" || tail -n 3 "$T/log"
else
    echo "replay driver for $secs s"
    "$top_builddir/tests/fuzz/fuzz_report_replay" -t "$secs" "$T/corpus" || { san_reports; exit 1; }
fi
