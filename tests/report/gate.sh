#!/bin/sh
# gate.sh — the CI gate: --fail-on-leak exits 3 exactly when unsuppressed
# leaked bytes exceed the limit; suppressions (LSan and valgrind style)
# remove leaks from the count and are reported.
. "$top_srcdir/tests/report/common.sh"
make_dump "$T/d.4242"

gate() { # expected-status args...
    want=$1; shift
    set +e
    "$MS" report "$@" "$T/d.4242" > "$T/out" 2> "$T/err"
    got=$?
    set -e
    [ "$got" = "$want" ] || fail "report $* exited $got, want $want: $(cat "$T/err")"
}
gate 3 --fail-on-leak 0
grep -q "68.2 KiB leaked in 1992 blocks (not suppressed), over the --fail-on-leak limit of 0 B" \
    "$T/err" || fail "gate message: $(cat "$T/err")"
gate 3 --fail-on-leak $((INUSE_BYTES - 1))
gate 0 --fail-on-leak $INUSE_BYTES          # at the limit is not over it
gate 0 --fail-on-leak 1M
gate 2 --fail-on-leak lots
grep -q "expected bytes" "$T/err" || fail "bad limit message"

# LSan style: suppress the token leak; what is left is 4096 + 47 bytes.
printf '# known\nleak:make_token\n' > "$T/lsan.supp"
gate 3 --fail-on-leak 4142 --suppressions "$T/lsan.supp"
gate 0 --fail-on-leak 4143 --suppressions "$T/lsan.supp"
gate 0 --suppressions "$T/lsan.supp"
grep -q 'suppressed by "leak:make_token": 1 stack, 64.1 KiB' "$T/out" || fail "suppression summary"
sed -n '/^== Leaks/,/^== Peak/p' "$T/out" | grep -q 'make_token (' && fail "suppressed leak listed"

# valgrind style, as valgrind --gen-suppressions writes it (from malloc).
cat > "$T/vg.supp" <<SUPP
{
   log-buffer
   Memcheck:Leak
   match-leak-kinds: definite
   fun:malloc
   fun:log_open
   fun:main
}
{
   config
   Memcheck:Leak
   ...
   fun:load_config
}
SUPP
gate 3 --fail-on-leak 0 --suppressions "$T/vg.supp"
gate 0 --fail-on-leak 65670 --suppressions "$T/vg.supp"
gate 0 --fail-on-leak 0 --suppressions "$T/vg.supp" --suppressions "$T/lsan.supp"
"$MS" report --json --suppressions "$T/vg.supp" "$T/d.4242" > "$T/json"
python3 - "$T/json" <<'PY' || fail "suppressed field in JSON"
import json, sys
d = json.load(open(sys.argv[1]))
s = {e["stack"][0]["function"]: e["suppressed"] for e in d["leaks"]}
assert s["log_open"] == "log-buffer" and s["make_token"] is None, s
PY

# A broken suppressions file is a usage error naming file:line.
printf 'leak:x\n{\n  name\n  Memcheck:Leak\n  bogus line\n}\n' > "$T/bad.supp"
gate 2 --suppressions "$T/bad.supp"
grep -q "bad.supp:5: expected fun:, obj:, src:, ... or }" "$T/err" || fail "$(cat "$T/err")"
echo "gate: ok"
