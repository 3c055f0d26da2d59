#!/bin/sh
# html_screenshot.sh — the HTML page as Chromium draws it: the label of the
# chart's highest point is drawn where the curve is not (checked on the
# pixels of a screenshot), --top sets the rows of the tables, and the
# "where" column names the site after allocation wrappers (here
# --alloc-fn make_token: session_new), not the innermost frame.
. "$top_srcdir/tests/report/common.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "chromium not installed (apt-get install chromium)"

# A heap that peaks early and falls steeply, so a label put next to the
# highest point, inside the plot, would be crossed by the curve.
write_spec "$T/spec"
sed -e '/^timeline /d' -e 's/^end$//' "$T/spec" > "$T/spec2"
cat >> "$T/spec2" <<SPEC
timeline 1000000000 0 0 0 0 0 1000000000 71317 2000 100 80000 2000000000 60000 1900 0 0 3000000000 20000 900 0 0 4000000000 8000 300 0 0 5000000000 $INUSE_BYTES $INUSE_BLOCKS 0 0
end
SPEC
"$MKDUMP" "$T/spec2" "$T/d.4242" || fail "mkdump failed"
"$MS" report -q --html "$T/r.html" --top 2 --alloc-fn make_token "$T/d.4242" || fail "--html exited $?"

# The page plus a probe that notes where the label is (viewport pixels).
sed 's|</body>|<script>(function () { const r = document.getElementById("peaklabel").getBoundingClientRect(); document.body.setAttribute("data-label", [r.left, r.top, r.right, r.bottom].map(Math.round).join(",")); })();</script></body>|' \
    "$T/r.html" > "$T/probe.html"
grep -q 'data-label' "$T/probe.html" || fail "probe not inserted"
CHROME_SIZE=1280,2400 # the chart in view
chrome dom --virtual-time-budget=5000 --dump-dom "file://$T/probe.html" > "$T/dom.html" ||
    fail "chromium failed: $(tail -3 "$T/chrome.dom.err")"
grep -q 'data-ready="1"' "$T/dom.html" || fail "page script did not finish"
rect=$(sed -n 's/.*data-label="\([0-9,-]*\)".*/\1/p' "$T/dom.html")
[ -n "$rect" ] || fail "no label position"

# --top 2: two rows and a note in the leak table (three stacks leak).
rows=$(sed -n 's:.*<table id="leaks">\(.*\)</table>.*:\1:p' "$T/dom.html" | grep -o '<details>' | wc -l)
[ "$rows" = 2 ] || fail "--top 2: $rows rows in the leak table"
grep -q '1 more (--top 0 shows all)' "$T/dom.html" || fail "--top 2: no note of the rows left out"
# where: the site after the wrapper, not the innermost frame.
first=$(sed -n 's:.*<table id="leaks">\(.*\)</table>.*:\1:p' "$T/dom.html" |
    grep -o '<summary>[^<]*</summary>' | head -1)
case "$first" in
*"session_new  sessiond.c:"*) ;;
*) fail "where column of the top leak: $first (want session_new)" ;;
esac
grep -q 'highest point 69.6 KiB at 1.0 s (the peak, 69.6 KiB' "$T/dom.html" &&
    fail "peak note although the chart reaches the peak"
grep -q 'id="peaklabel"[^>]*>highest point 69.6 KiB at 1.0 s<' "$T/dom.html" ||
    fail "label text: $(grep -o 'id="peaklabel"[^<]*<' "$T/dom.html")"

shot="$top_builddir/tests/report/html_screenshot.png"
chrome shot --virtual-time-budget=5000 --screenshot="$shot" "file://$T/probe.html" > /dev/null ||
    fail "screenshot failed"
[ -s "$shot" ] || fail "no screenshot"
# Pixels: the curve's colour (#b3471d) is drawn, the label's box holds
# text (dark pixels) and none of the curve.
python3 - "$shot" "$rect" <<'PY' || fail "screenshot check"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
stride = w * bpp
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])
curve = lambda p: abs(p[0] - 179) < 30 and abs(p[1] - 71) < 30 and abs(p[2] - 29) < 30
l, t, r, b = (int(v) for v in sys.argv[2].split(","))
assert 0 <= l < r <= w and 0 <= t < b <= h, ("label outside the screenshot", l, t, r, b, w, h)
in_label = sum(curve(px(x, y)) for y in range(t, b) for x in range(l, r))
dark = sum(sum(px(x, y)) < 600 for y in range(t, b) for x in range(l, r))
total = sum(curve(px(x, y)) for y in range(h) for x in range(0, w, 2))
assert total > 50, "the curve is not in the screenshot (%d pixels)" % total
assert dark > 20, "no text drawn in the label's box (%d dark pixels)" % dark
assert in_label == 0, "%d pixels of the curve under the label" % in_label
print("screenshot: curve %d px, label %s with %d dark px, none of the curve" % (total, sys.argv[2], dark))
PY
echo "html_screenshot: label clear of the curve, --top and where as asked (screenshot $shot)"
