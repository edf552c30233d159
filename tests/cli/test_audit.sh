#!/usr/bin/env bash
# audit and dedup from the command line: Fashion-MNIST (real data, 70k
# images), a broken COCO set, the JSON schema, the HTML report in a real
# headless browser, and dedup's output.
. "$(dirname "$0")/lib.sh"
FM=/usr/share/datasets/fashion-mnist

expect_ok "audit fashion-mnist" "$TS" audit "$FM" --json "$TMP/fm.json" --html "$TMP/fm.html" -q
/usr/bin/python3 - "$TMP/fm.json" >"$TMP/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
checks = {f["check"]: f for f in d["findings"]}
for f in d["findings"]:
    assert set(f) >= {"check", "severity", "count", "images", "annotations", "message"}, f.keys()
    assert f["severity"] in ("error", "warning", "info")
assert d["stats"]["counts"]["images"] == 70000
assert d["stats"]["quality"]["readable"] == 70000
assert d["stats"]["duplicates"]["exact_groups"] == 0          # numpy agrees: no exact duplicates
assert "duplicate-near" in checks and checks["duplicate-near"]["count"] > 100
leak = checks["leakage"]
assert leak["count"] > 10 and all(i > 60000 for i in leak["images"])  # the test copies (ids 60001..) leak
print("ok")
PY
expect_eq "fashion-mnist audit values" "ok" "$(tail -1 "$TMP/check")"
expect_grep "html has findings table" "<table>" "$TMP/fm.html"
expect_grep "html has inline thumbnails" "data:image/jpeg;base64," "$TMP/fm.html"

# a dataset where every image is unreadable still gets its report
mkdir -p "$TMP/broken/images"
printf 'not a jpeg' > "$TMP/broken/images/a.jpg"
cat > "$TMP/broken/annotations.json" <<'JSON'
{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10},
            {"id": 2, "file_name": "missing.jpg", "width": 10, "height": 10}],
 "categories": [{"id": 1, "name": "x"}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 2], "area": 40, "iscrowd": 0}]}
JSON
expect_ok "audit of unreadable images completes" "$TS" audit "$TMP/broken/annotations.json" --json "$TMP/broken.json" -q
expect_eq "unreadable images found" "2 1" "$(/usr/bin/python3 -c "
import json; d = json.load(open('$TMP/broken.json')); f = {x['check']: x for x in d['findings']}
print(f['image-unreadable']['count'], f['box-out-of-bounds']['count'])")"
expect_fail "unknown check id" "unknown check" "$TS" audit "$TMP/broken/annotations.json" --checks nope

# the report in a real browser: loads with no console errors, screenshot taken
if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$TMP/chrome" --enable-logging=stderr --v=0 \
    --screenshot="$TMP/report.png" --window-size=1280,2000 "file://$TMP/fm.html" >"$TMP/chrome.log" 2>&1
  if [ -s "$TMP/report.png" ]; then ok; else bad "no screenshot of the report"; fi
  if grep -Eq "CONSOLE|Uncaught|SyntaxError" "$TMP/chrome.log"; then bad "console errors: $(grep -E 'CONSOLE|Uncaught' "$TMP/chrome.log" | head -3)"; else ok; fi
else
  bad "chromium is not installed (scripts/setup.sh installs it)"
fi

# dedup keeps one image per cluster and lists the dropped ones
expect_ok "dedup fashion-mnist" "$TS" dedup "$FM" -o "$TMP/dedup" --to idx -q
expect_eq "dedup counts add up" "ok" "$(/usr/bin/python3 -c "
import json; d = json.load(open('$TMP/dedup.dropped.json'))
assert d['kept_images'] + d['dropped_images'] == 70000
assert len(d['dropped']) == d['dropped_images'] and all(x['image_id'] != x['duplicate_of'] for x in d['dropped'])
print('ok')")"
kept=$(/usr/bin/python3 -c "import json; print(json.load(open('$TMP/dedup.dropped.json'))['kept_images'])")
expect_eq "dedup output holds the kept images" "$kept" "$("$TS" info "$TMP/dedup" --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['images'])")"
finish
