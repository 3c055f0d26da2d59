#!/usr/bin/env bash
# build.sh — set up, build and run mapscope on a Debian 12 machine.
#
#   ./build.sh demo    install what is missing, build, profile the bundled example, print the report
#   ./build.sh check   install what is missing, build, run the whole test suite (plus a sanitizer
#                      build of the unit tests and a bounded fuzzing run)
#   ./build.sh bench   install what is missing, build, run the benchmarks (make bench, bench-shim, bench-json)
#   ./build.sh build   install what is missing and build only
#
# Builds out of tree in _build/ (and _build-san/ for the sanitizer run).  Needs root (or sudo) only
# to install Debian packages; nothing is installed when everything is already there.
set -euo pipefail

mode=${1:-demo}
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

# Debian packages per purpose.  Keep in step with README.md and configure.ac.
pkgs_build="build-essential autoconf automake libtool pkg-config libunwind-dev check libelf-dev
  libdw-dev libbpf-dev bpftool clang llvm protobuf-c-compiler libprotobuf-c-dev zlib1g-dev
  libjson-c-dev"
pkgs_test="golang-go valgrind sqlite3 python3 perl gawk jq git chromium libclang-rt-14-dev
  elfutils binutils procps nginx curl memcached redis-server redis-tools libpython3.11-testsuite debuginfod"
# Go toolchains for the gomaps tests: every map implementation a Go service may use.  Debian 12
# ships 1.19; 1.23 comes from bookworm-backports, 1.24 from trixie, 1.26 and 1.27 from forky.
pkgs_go="golang-1.23-go golang-1.24-go golang-1.26-go golang-1.27-go"
pkgs_bench="libabsl-dev libglib2.0-dev heaptrack hyperfine g++ time zstd hey curl libjansson-dev redis-tools"

say() { printf '\n== %s\n' "$*"; }

install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # The services installed for the tests (nginx, memcached, redis) must not be started by their
    # packages: the tests start their own, on loopback.  policy-rc.d exiting 101 says so.
    local prc=/usr/sbin/policy-rc.d made=""
    if [ ! -e "$prc" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$prc" >/dev/null && $sudo chmod 755 "$prc" && made=1
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    [ -z "$made" ] || $sudo rm -f "$prc"
}

# Debian's newer suites, for the Go toolchains above only: added to apt's sources with a low pin
# priority (50, below the installed release's 100), so nothing else is ever taken from them.
add_go_suites() {
    local src=/etc/apt/sources.list.d/mapscope-go.sources pin=/etc/apt/preferences.d/mapscope-go
    [ -f "$src" ] && [ -f "$pin" ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "adding bookworm-backports, trixie and forky to apt's sources (pinned to 50: Go toolchains only)"
    printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian" \
        "Suites: bookworm-backports trixie forky" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" | $sudo tee "$src" >/dev/null
    local r
    for r in bookworm-backports trixie forky; do
        printf 'Package: *\nPin: release n=%s\nPin-Priority: 50\n\n' "$r"
    done | $sudo tee "$pin" >/dev/null
    $sudo apt-get update -qq
}

bootstrap() {
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
        say "bootstrapping (autoreconf -fi)"
        autoreconf -fi
    fi
}

# configure_in DIR [configure args...]: configure once, re-run when the arguments change.
configure_in() {
    local dir=$1; shift
    mkdir -p "$dir"
    local want="$*"
    if [ ! -f "$dir/Makefile" ] || [ "$(cat "$dir/.ms-configure-args" 2>/dev/null)" != "$want" ] \
        || [ configure -nt "$dir/Makefile" ]; then
        say "configuring in $dir ($want)"
        (cd "$dir" && "$top/configure" "$@")
        printf '%s' "$want" > "$dir/.ms-configure-args"
    fi
}

build() {
    bootstrap
    configure_in _build
    say "building"
    make -C _build -j"$jobs"
}

# Check prints one summary line per suite into the test logs; show them all so CI output has them.
show_check_summaries() {
    local dir=$1
    say "Check summaries ($dir)"
    find "$dir" -name '*.log' ! -name 'config.log' ! -name 'test-suite.log' -print0 \
        | xargs -0 grep -h -E '^[0-9]+%: Checks: ' 2>/dev/null || true
}

case "$mode" in
build)
    install_missing $pkgs_build
    build
    ;;
demo)
    install_missing $pkgs_build
    build
    say "demo"
    make -C _build demo
    ;;
check)
    install_missing $pkgs_build $pkgs_test
    add_go_suites
    install_missing $pkgs_go
    build
    say "test suite (make check)"
    rc=0
    make -C _build -j"$jobs" check || rc=$?
    show_check_summaries _build
    if [ $rc -ne 0 ]; then
        cat _build/test-suite.log 2>/dev/null | tail -n 200
        exit $rc
    fi
    say "unit tests and fuzzers under ASan+UBSan (_build-san)"
    configure_in _build-san --enable-sanitizers --disable-probe
    make -C _build-san -j"$jobs"
    rc=0
    make -C _build-san -j"$jobs" check-sanitized || rc=$?
    show_check_summaries _build-san
    [ $rc -eq 0 ] || { cat _build-san/test-suite.log 2>/dev/null | tail -n 200; exit $rc; }
    ;;
bench)
    install_missing $pkgs_build $pkgs_test $pkgs_bench
    add_go_suites
    install_missing $pkgs_go
    build
    make -C _build bench
    make -C _build bench-shim
    make -C _build bench-json
    ;;
*)
    echo "build.sh: unknown mode '$mode' (accepted: demo, check, bench, build)" >&2
    exit 2
    ;;
esac
