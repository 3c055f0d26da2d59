#!/usr/bin/env bash
# real_programs.sh — Debian programs under the shim: the same stdout and exit
# status as without it, and whole-process totals equal to valgrind memcheck's
# "total heap usage" and "in use at exit" for the same run
# (--run-libc-freeres=no, --run-cxx-freeres=no), and the exit dump's leak
# kinds (reachability scan) equal to valgrind's LEAK SUMMARY
# (--leak-check=full): definitely, indirectly, possibly lost and still
# reachable, bytes and blocks.
#
# Several of these programs copy their whole environment at start-up
# (python's PyConfig, perl's %ENV), so their allocations depend on it, and
# valgrind adds variables of its own (LD_PRELOAD, LD_LIBRARY_PATH,
# GLIBCXX_FORCE_NEW, ...).  Both runs therefore get the same environment:
# the shim's run is given valgrind's variables too, with the shim reached
# through a symlink whose path is exactly as long as valgrind's LD_PRELOAD
# value, and MAPSCOPE_FOLLOW_CHILDREN=1 so the shim leaves LD_PRELOAD in
# place.  With that, the totals must be equal, with one exception:
#   python3 makes a few more short-lived allocations natively than under
#   valgrind (6 allocations and frees, ~750 bytes, on this script; a plain
#   counting LD_PRELOAD sees exactly the shim's figures, so the difference is
#   valgrind's).  For python3 the in-use figures must be equal and the
#   allocation and free counts may differ by the same number, at most 16,
#   and bytes by at most 4 KiB.
# And one that applies to any program: glibc's exit() frees stdio buffers
# (_IO_cleanup, after every atexit handler and destructor has run), which no
# LD_PRELOAD library can see since its exit dump is written from a
# destructor.  git shows it (its stdout buffer, 4096 bytes): so the shim may
# count one free fewer, and that block as in use, than valgrind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/shim/lib.sh"

mkdir -p "$W/run" && cd "$W/run" || fail "no work dir"
# Hash seeds fixed: perl and python randomise their hash tables per run, and
# with them the number of allocations.
base=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$W" LANG=C PYTHONMALLOC=malloc PYTHONHASHSEED=0
    PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 MAPSCOPE_OUTPUT="$W/d" MAPSCOPE_FOLLOW_CHILDREN=1)
have_vg=0
extra=()
preload="$SHIM"
if command -v valgrind > /dev/null 2>&1; then
    have_vg=1
    # What valgrind adds to the environment of the program it runs.
    while IFS= read -r kv; do
        case "$kv" in
        LD_PRELOAD=*) vgpre=${kv#LD_PRELOAD=} ;;
        *) extra+=("$kv") ;;
        esac
    done < <(env -i "${base[@]}" valgrind -q /usr/bin/env | grep -vxF -f <(env -i "${base[@]}" /usr/bin/env))
    # A path to the shim as long as valgrind's LD_PRELOAD value.
    mkdir -p "$W/p"
    pad=$(( ${#vgpre} - ${#W} - 6 ))
    if [ "$pad" -ge 1 ]; then
        preload="$W/p/$(printf "%${pad}s" | tr ' ' m).so"
        ln -s "$SHIM" "$preload"
        [ ${#preload} = ${#vgpre} ] || fail "padding the preload path went wrong"
    else
        echo "cannot pad the preload path to valgrind's length: byte totals may differ slightly"
    fi
fi

# Inputs.
{
    echo "create table t(a integer primary key, b text, c real);"
    echo "begin;"
    for i in $(seq 1 2000); do echo "insert into t(b, c) values('row$i', $i.5);"; done
    echo "commit;"
    echo "select count(*), sum(length(b)), max(c) from t where b like '%7%';"
    echo "create index tb on t(b);"
    echo "select b from t order by b desc limit 3;"
} > script.sql
cat > work.py << 'PY'
d = {}
for i in range(20000):
    d[str(i)] = [i, str(i * 2), (i, i + 1)]
l = [[j for j in range(i % 20)] for i in range(5000)]
print(sum(len(v[1]) for v in d.values()), len(l))
PY
echo '{"users":[{"name":"a","n":[1,2,3]},{"name":"b","n":[4,5]}]}' > in.json
seq 1 3000 | sed 's/$/ alpha beta/' > words.txt
printf 'hello mapscope\n' > blob.txt

# name | command (run with stdin from /dev/null unless it redirects)
cases=(
    "sqlite3|sqlite3 :memory: < script.sql"
    "python3|/usr/bin/python3 work.py"
    "perl|perl -e 'my %h; \$h{\$_} = [\$_, \"v\$_\"] for 1..20000; print scalar(keys %h), \"\\n\"'"
    "gawk|gawk '{ n[\$1] = \$2 \$3; c += length(\$0) } END { print length(n), c }' words.txt"
    "jq|jq -c '.users | map({name, total: (.n | add)})' in.json"
    "git|git hash-object --stdin < blob.txt"
)

# Leak kinds: the exit dump's, summed over stacks (msdump --stacks), next
# to valgrind's LEAK SUMMARY (--leak-check=full).
kinds_of_dump() {
    "$MSDUMP" --stacks "$1" | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
        END { printf "%d %d %d %d %d %d %d %d\n", s["definite_bytes"], s["definite_blocks"],
              s["indirect_bytes"], s["indirect_blocks"], s["possible_bytes"], s["possible_blocks"],
              s["reachable_bytes"], s["reachable_blocks"] }'
}
kinds_of_vg() {
    local k out=""
    for k in "definitely lost" "indirectly lost" "possibly lost" "still reachable"; do
        out="$out $(sed -n "s/.*$k: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p" "$1" | tr -d , | tail -1)"
    done
    echo $out
}
# Equal, except that a stdio buffer glibc frees after the exit dump (see
# above; $4 bytes, 0 if none) is still reachable for the shim only.
check_kinds() {
    local name=$1 shim vg
    shim=$(kinds_of_dump "$2")
    vg=$(kinds_of_vg "$3")
    echo "$name: kinds (definitely, indirectly, possibly lost, still reachable: bytes blocks):"
    echo "    shim $shim; valgrind $vg"
    [ "$(echo "$vg" | wc -w)" = 8 ] || fail "$name: no LEAK SUMMARY from valgrind: $(tail -5 "$3")"
    if [ "$4" != 0 ]; then
        vg=$(echo "$vg" | awk -v b="$4" '{ $7 += b; $8 += 1; print }')
    fi
    [ "$shim" = "$vg" ] || fail "$name: leak kinds differ from valgrind's"
}

for c in "${cases[@]}"; do
    name=${c%%|*}
    cmd=${c#*|}
    bin=$(echo "$cmd" | awk '{ print $1 }')
    if ! command -v "$bin" > /dev/null 2>&1; then
        echo "$name: not installed, skipped"
        continue
    fi
    rm -f "$W"/d.*
    native=$(env -i "${base[@]}" bash -c "$cmd" < /dev/null 2>&1)
    nrc=$?
    shimmed=$(env -i "${base[@]}" "${extra[@]}" bash -c "exec env LD_PRELOAD='$preload' $cmd" < /dev/null 2>&1)
    src=$?
    [ "$nrc" = "$src" ] || fail "$name: exit status $nrc natively, $src under the shim"
    [ "$native" = "$shimmed" ] || fail "$name: output differs under the shim:
--- native
$native
--- shim
$shimmed"
    d=$(the_dump)
    "$MSDUMP" "$d" > /dev/null || fail "$name: dump unreadable"
    a=$(total allocations "$d") f=$(total frees "$d") b=$(total bytes_allocated "$d")
    ib=$(total inuse_bytes "$d") ik=$(total inuse_blocks "$d")
    line="$name: shim $a allocs, $f frees, $b bytes, $ib bytes in $ik blocks at exit"
    if [ $have_vg = 1 ]; then
        env -i "${base[@]}" bash -c "exec valgrind --leak-check=full --show-leak-kinds=none --run-libc-freeres=no --run-cxx-freeres=no --trace-children=no $cmd" \
            < /dev/null > /dev/null 2> "$W/vg" || true
        read -r vin vinb < <(sed -n 's/.*in use at exit: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p' "$W/vg" | tr -d , | tail -1)
        read -r va vf vb < <(sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated.*/\1 \2 \3/p' "$W/vg" | tr -d , | tail -1)
        line="$line; valgrind $va allocs, $vf frees, $vb bytes, $vin bytes in $vinb blocks"
        echo "$line"
        [ -n "$va" ] || fail "$name: no valgrind summary: $(tail -5 "$W/vg")"
        stdio=0
        if [ "$ik" = $((vinb + 1)) ] && [ "$f" = $((vf - 1)) ] && [ $((ib - vin)) -le 65536 ]; then
            echo "$name: one block freed by glibc's exit-time stdio cleanup (seen by valgrind only)"
            stdio=$((ib - vin))
            vinb=$ik vf=$f vin=$ib
        fi
        [ "$ib" = "$vin" ] && [ "$ik" = "$vinb" ] || fail "$name: in use at exit differs from valgrind's"
        check_kinds "$name" "$d" "$W/vg" "$stdio"
        if [ "$name" = python3 ]; then
            awk -v a="$a" -v va="$va" -v f="$f" -v vf="$vf" -v b="$b" -v vb="$vb" 'BEGIN {
                d = a - va; e = f - vf; g = b - vb
                exit !(d == e && d * d <= 256 && g * g <= 4096 * 4096) }' ||
                fail "$name: totals differ from valgrind's beyond the known python3 difference"
        else
            [ "$a" = "$va" ] && [ "$f" = "$vf" ] && [ "$b" = "$vb" ] ||
                fail "$name: totals differ from valgrind's"
        fi
    else
        echo "$line (valgrind not installed: not compared)"
    fi
done
echo "real programs: same output and status; totals equal to valgrind's"
