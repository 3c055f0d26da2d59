#!/bin/sh
# html.sh — the --html page loads in headless Chromium without script
# errors, draws the flame graph (SVG frames for the leaking functions), the
# heap chart and the leak table, and needs no network.  Leaves a screenshot
# in tests/report/html.png of the build tree.
. "$top_srcdir/tests/report/common.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "chromium not installed (apt-get install chromium): cannot load the HTML report"

make_dump "$T/d.4242"
printf '%s\n' '{"pid":4242,"map":"0xc000123000","finding":"lingering_oldbuckets","key_type":"string","elem_type":"*main.Session","count":12,"B":14,"bucket_bytes":50331648,"old_bytes":25165824,"overflow_buckets":3,"lingering_s":42.5,"before_attach":true,"site_kind":"heap_profile","site":"main.newStore (store.go:88)"}' > "$T/findings.jsonl"
"$MS" report --html "$T/r.html" "$T/d.4242" "$T/findings.jsonl" || fail "--html exited $?"
grep -q 'src="http\|href="http\|@import\|url(http' "$T/r.html" && fail "page references the network"

chrome dom --virtual-time-budget=5000 --dump-dom "file://$T/r.html" > "$T/dom.html" ||
    fail "chromium failed: $(tail -5 "$T/chrome.dom.err")"
grep -q 'data-ready="1"' "$T/dom.html" || fail "page script did not finish"
errs=$(sed -n 's:.*<div id="errors">\([^<]*\)</div>.*:\1:p' "$T/dom.html")
[ -z "$errs" ] || fail "script errors: $errs"
frames=$(grep -o '<rect class="frame' "$T/dom.html" | wc -l)
[ "$frames" -ge 5 ] || fail "flame graph has $frames frames"
for fn in make_token log_open load_config; do
    grep -q "<title>$fn (sessiond.c:[0-9]*)" "$T/dom.html" || fail "flame graph lacks $fn"
done
grep -q 'id="heapline"' "$T/dom.html" || fail "heap chart not drawn"
grep -q '<summary>make_token  sessiond.c:' "$T/dom.html" || fail "leak table"
grep -q 'lingering_oldbuckets' "$T/dom.html" || fail "gomaps findings section"
grep -q 'Lingering allocations (alive at least 1.0 s)' "$T/dom.html" || fail "lingering threshold in the title"
grep -q 'bucket array allocated at main.newStore (store.go:88) (the map existed before gomaps attached)' \
    "$T/dom.html" || fail "gomaps site labelled by its kind"
grep -q '≥ 42.5 s' "$T/dom.html" || fail "stall of a map found before attach is a lower bound"

shot="$top_builddir/tests/report/html.png"
chrome shot --virtual-time-budget=5000 --screenshot="$shot" "file://$T/r.html" > /dev/null ||
    fail "screenshot failed"
[ -s "$shot" ] || fail "no screenshot"
echo "html: ok ($frames flame graph frames; screenshot $shot)"
