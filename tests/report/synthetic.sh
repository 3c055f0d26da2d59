#!/bin/sh
# synthetic.sh — mapscope report on a known dump of the example: the text
# report names exactly the leaking functions with file:line (checked against
# addr2line), --json totals equal the dump's, --folded sums equal the totals.
. "$top_srcdir/tests/report/common.sh"

make_dump "$T/d.4242"
"$MS" report "$T/d.4242" > "$T/text" 2> "$T/err" || fail "report exited $?: $(cat "$T/err")"
cat "$T/text"

# Leaks section: exactly the three leaking stacks, by size, each naming the
# leaking function with the file:line addr2line gives.
leaks=$(sed -n '/^== Leaks/,/^== /p' "$T/text")
echo "$leaks" | grep -q "^== Leaks (still allocated at the dump): 68.2 KiB in 1992 blocks from 3 stacks" ||
    fail "leak summary line"
for f in "make_token 5" "load_config 5" "log_open 5"; do
    set -- $f
    want=$(expect_frame "$EX" "$1" "$2")
    fn=${want% *} loc=${want#* }
    echo "$leaks" | grep -q "^        $fn ($loc)\$" || fail "leak frame '$fn ($loc)' missing"
done
[ "$(echo "$leaks" | grep -c '^  #')" -eq 3 ] || fail "expected exactly 3 leak entries"
echo "$leaks" | grep -q parse_request && fail "parse_request does not leak"
# The first entry is the biggest: make_token's 1990 blocks.
echo "$leaks" | grep -A1 '^  #1 ' | grep -q 'make_token' || fail "largest leak first"
grep -q "^== Temporary allocations (freed right after): 2000 from 1 stack" "$T/text" ||
    fail "temporary section"
grep -q "^== Unknown frees: 3" "$T/text" || fail "unknown frees"
grep -q "^== Profiler overhead" "$T/text" || fail "overhead section"
grep -q "^   profiler memory   1.0 MiB mapped by the shim" "$T/text" || fail "engine figures"
grep -q "^   live-block map    1992 blocks in" "$T/text" || fail "map figures"
grep -q "ns_growing\|_x100\|bytes_per_live_block" "$T/text" && fail "raw engine fields in the text"
grep -q "^== Lingering allocations" "$T/text" || fail "lingering section"
# Heap over time: the dump's 4 points (0, 20000, 71317, then the leaks) as
# a chart and its figures.
sed -n '/^== Heap over time/,/^== /p' "$T/text" > "$T/chart"
grep -q "^== Heap over time (live bytes): 4 points over 3.0 s, every 1.0 s at most" "$T/chart" ||
    fail "timeline title"
grep -q "^     69.6 KiB |  ##$" "$T/chart" || fail "timeline chart top row"
grep -q "^          0 B | ###$" "$T/chart" || fail "timeline chart bottom row"
grep -q "^   highest point 69.6 KiB at 2.0 s; at the end 68.2 KiB in 1992 blocks$" "$T/chart" ||
    fail "timeline figures"
grep -q "^   second half of the run: +48.6 KiB (+32.4 KiB/s)$" "$T/chart" || fail "timeline trend"
grep -q "fell between two points" "$T/chart" && fail "a peak note although the chart reaches the peak"
# A peak between two points of the chart is named, not contradicted.
write_spec "$T/spec"
sed -i "s/^total peak_bytes .*/total peak_bytes 80000/; s/^total peak_time_ns .*/total peak_time_ns 1500000000/" "$T/spec"
"$MKDUMP" "$T/spec" "$T/p.4242" || fail "mkdump failed"
"$MS" report "$T/p.4242" | grep -q "^   (the peak, 78.1 KiB at 1.5 s, fell between two points of the chart" ||
    fail "peak between points not named"
# Two processes: the chart's highest point is not the totals' peak (which
# adds each process's own), and the report says so.
sed "s/^process 4242 /process 4243 /" "$T/spec" > "$T/spec3"
"$MKDUMP" "$T/spec3" "$T/p.4243" || fail "mkdump failed"
"$MS" report "$T/p.4242" "$T/p.4243" | grep -q "^   (the chart adds the processes up at each moment; the peak in the totals, 156.2 KiB, adds" ||
    fail "merged: chart and peak not told apart"

# --lingering view: only the lingering section; with an age filter.
"$MS" report --lingering "$T/d.4242" > "$T/ling" || fail "--lingering"
grep -q "^== Lingering allocations (alive at least" "$T/ling" || fail "lingering title"
grep -q "^== Leaks" "$T/ling" && fail "--lingering shows only lingering blocks"
"$MS" report --lingering=9200ms "$T/d.4242" > "$T/ling2" || fail "--lingering=DUR"
grep -q "log_open" "$T/ling2" || fail "log buffer is 9.5 s old"
grep -q "make_token" "$T/ling2" && fail "tokens are at most 9 s old"

# JSON: totals equal the dump's, arrays carry bytes/blocks/stack.
"$MS" report --json "$T/d.4242" > "$T/json" || fail "--json"
python3 - "$T/json" <<PY || fail "JSON checks"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
want = dict(allocations=$ALLOCATIONS, frees=$FREES, bytes_allocated=$BYTES_ALLOCATED,
            inuse_blocks=$INUSE_BLOCKS, inuse_bytes=$INUSE_BYTES, peak_bytes=$PEAK_BYTES,
            failed=0, unknown_frees=3)
for k, v in want.items():
    assert t[k] == v, (k, t[k], v)
for arr in ("leaks", "lingering", "peak", "hotspots"):
    assert d[arr], arr
    for e in d[arr]:
        assert isinstance(e["bytes"], int) and isinstance(e["blocks"], int) and e["stack"], arr
        for f in e["stack"]:
            assert set(f) >= {"function", "file", "line", "module", "address"}, f
assert sum(e["bytes"] for e in d["leaks"]) == t["inuse_bytes"]
assert sum(e["bytes"] for e in d["peak"]) == t["peak_bytes"]
own = [next(f["function"] for f in e["stack"] if (f["file"] or "").endswith("sessiond.c"))
       for e in d["leaks"]]
assert own == ["make_token", "log_open", "load_config"], own
assert d["leaks"][0]["stack"][0]["file"].endswith("sessiond.c")
assert d["processes"][0]["pid"] == 4242
print("json ok")
PY

# Folded: one metric each; values add up to the matching total.
for m in leaked:$INUSE_BYTES peak:$PEAK_BYTES allocated:$BYTES_ALLOCATED; do
    metric=${m%:*} want=${m#*:}
    "$MS" report --folded="$metric" "$T/d.4242" > "$T/folded" || fail "--folded=$metric"
    sum=$(awk '{s += $NF} END {print s}' "$T/folded")
    [ "$sum" = "$want" ] || fail "folded $metric sums to $sum, want $want"
    grep -q '^__libc_start_main;main;session_new;make_token [0-9]*$' "$T/folded" ||
        [ "$metric" != leaked ] || fail "folded stack root-first"
done
"$MS" report --folded=bogus "$T/d.4242" 2> "$T/err" && fail "bad metric accepted"
grep -q "unknown metric" "$T/err" || fail "bad metric message"
# gomaps findings given with the dump: their own section, in JSON too; a
# bad line is named by file:line and skipped.
cat > "$T/maps.jsonl" <<'JSONL'
{"pid":7,"map":"0xc000123000","finding":"lingering_oldbuckets","key_type":"string","elem_type":"*main.Session","count":100000,"B":14,"bucket_bytes":50331648,"old_bytes":25165824,"overflow_buckets":3,"lingering_s":42.5,"site_kind":"created","site":{"function":"main.newStore","file":"session/store.go","line":88}}
this line is broken
{"record":"summary","pid":7,"go_version":"go1.19.8","binary":"./api","duration_s":120,"maps":6,"growing":1,"bucket_bytes":40370176,"old_bytes":25165824,"overflow_buckets":3,"overflow_bytes":432,"large_arrays":2,"large_array_bytes":1,"findings":2}
{"record":"future_kind","pid":7}
{"record":"finding","reason":"emptied","why":"0 entries in a 300 MiB array: maps never shrink","advice":"copy it into a fresh map","site_kind":"first_growth","pid":7,"map":"0xc000777000","finding":"large_span","key_type":"int64","elem_type":"[]uint8","count":12,"B":20,"bucket_bytes":314572800,"old_bytes":0,"overflow_buckets":0,"lingering_s":0,"site":"main.cache (cache.go:12)"}
{"record":"finding","pid":7,"map":"0xc000888000","finding":"lingering_oldbuckets","reason":"stalled","key_type":"int64","elem_type":"int64","count":5000,"B":10,"bucket_bytes":147456,"old_bytes":73728,"overflow_buckets":0,"lingering_s":12.0,"before_attach":true,"site_kind":"heap_profile","site":"main.fill (fill.go:7)"}
JSONL
set +e
"$MS" report "$T/d.4242" "$T/maps.jsonl" > "$T/text" 2> "$T/err"
rc=$?
set -e
[ "$rc" = 4 ] || fail "a damaged findings line makes the input partial (exit $rc)"
# (the words after the column are json-c's)
grep -Eq "maps.jsonl:2: column [0-9]+: [a-z].*; line skipped\$" "$T/err" || fail "bad line named: $(cat "$T/err")"
sed -n '/^== Go maps/,/^== Profiler/p' "$T/text" > "$T/maps"
grep -q "^== Go maps (mapscope gomaps findings): 3" "$T/maps" || fail "findings section"
grep -q "#1 lingering_oldbuckets: map 0xc000123000 in pid 7" "$T/maps" || fail "finding 1"
grep -q "map\[string\]\*main.Session" "$T/maps" || fail "map type"
grep -q "buckets 48.0 MiB, old buckets 24.0 MiB" "$T/maps" || fail "sizes"
grep -q "created at main.newStore (session/store.go:88)" "$T/maps" || fail "site"
grep -q "evacuation only advances on writes" "$T/maps" || fail "why"
grep -q "#2 large_span/emptied: map 0xc000777000" "$T/maps" || fail "finding 2"
grep -q "first grew at main.cache (cache.go:12)" "$T/maps" || fail "site kind"
# A map the heap scan found: its site is where its bucket array was allocated, and
# its stall is counted from attach, so it is a lower bound.
grep -q "bucket array allocated at main.fill (fill.go:7) (the map existed before gomaps attached)" \
    "$T/maps" || fail "heap-profile site of a map found before attach"
grep -q "growth stalled for at least 12.0 s" "$T/maps" || fail "stall of a map found before attach"
grep -q "why: 0 entries in a 300 MiB array: maps never shrink" "$T/maps" || fail "why from the file"
grep -q "what to do: copy it into a fresh map" "$T/maps" || fail "advice from the file"
grep -q "pid 7 ./api go1.19.8: 6 maps followed (1 growing), bucket arrays 38.5 MiB" "$T/maps" ||
    fail "gomaps summary"
"$MS" report "$T/maps.jsonl" 2> /dev/null | grep -q "^== Go maps" || fail "findings alone"
set +e
"$MS" report --json "$T/d.4242" "$T/maps.jsonl" > "$T/json" 2> /dev/null
set -e
python3 -c "
import json; d = json.load(open('$T/json'))
assert [f['finding'] for f in d['findings']] == ['lingering_oldbuckets', 'large_span', 'lingering_oldbuckets'], d['findings']
assert d['findings'][0]['site']['line'] == 88
assert d['findings'][2]['before_attach'] is True and d['findings'][2]['site_kind'] == 'heap_profile'" || fail "findings in JSON"
echo "synthetic: ok"
