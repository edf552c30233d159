#!/usr/bin/env bash
# eval on image-label predictions: --compare prints a table of accuracy,
# top-k, F1 and mean AP per file; --pr-curves/--plot write one-vs-rest PR
# curves per class, checked against an independent numpy computation of
# COCO's interpolated precision on a random case.
. "$(dirname "$0")/lib.sh"
cat > "$TMP/gt.json" <<'JSON'
{"images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 4}, {"id": 2, "file_name": "b.png", "width": 4, "height": 4},
            {"id": 3, "file_name": "c.png", "width": 4, "height": 4}, {"id": 4, "file_name": "d.png", "width": 4, "height": 4}],
 "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1}, {"id": 2, "image_id": 2, "category_id": 1},
                 {"id": 3, "image_id": 3, "category_id": 2}, {"id": 4, "image_id": 4, "category_id": 2}]}
JSON
# A: all right; B: image 2 wrong at top-1, right at top-2
echo '[{"image_id": 1, "category_id": 1, "score": 0.9}, {"image_id": 2, "category_id": 1, "score": 0.8},
       {"image_id": 3, "category_id": 2, "score": 0.7}, {"image_id": 4, "category_id": 2, "score": 0.6}]' > "$TMP/a.json"
echo '[{"image_id": 1, "category_id": 1, "score": 0.9}, {"image_id": 2, "category_id": 2, "score": 0.8},
       {"image_id": 2, "category_id": 1, "score": 0.3},
       {"image_id": 3, "category_id": 2, "score": 0.7}, {"image_id": 4, "category_id": 2, "score": 0.6}]' > "$TMP/b.json"
expect_ok "compare two label prediction files" "$TS" eval "$TMP/gt.json" "$TMP/a.json" --compare "$TMP/b.json" \
  --plot "$TMP/pr.svg" --pr-curves "$TMP/pr.csv" --json "$TMP/cmp.json"
expect_grep "table has mean AP" "mean AP" "$TMP/out"
# B's dog ranking: image 2 (not a dog) 0.8, then dogs 3, 4: precision 1/2, 2/3 -> AP 2/3 everywhere
expect_eq "accuracies, top-2 and mean AP of both files" "1.00 0.75 1.00 1.00 1.0000 0.8333" "$(/usr/bin/python3 -c "
import json; c = json.load(open('$TMP/cmp.json'))['compare']
print(' '.join('%.2f' % v for v in (c[0]['accuracy'], c[1]['accuracy'], c[0]['top_k_accuracy'], c[1]['top_k_accuracy'])),
      '%.4f %.4f' % (c[0]['map'], c[1]['map']))")"
expect_eq "plot: a panel per class plus the mean, both files overlaid" "3 6" "$(/usr/bin/python3 -c "
import xml.etree.ElementTree as E; r = E.parse('$TMP/pr.svg').getroot(); ns = '{http://www.w3.org/2000/svg}'
print(sum(1 for t in r.iter(ns + 'text') if t.get('font-weight') == 'bold' and t.text in ('cat', 'dog', 'all classes (mean)')),
      len(list(r.iter(ns + 'polyline'))))")"
expect_eq "CSV: 101 points per curve, 3 curves per file" "606" "$(($(wc -l < "$TMP/pr.csv") - 1))"

# A random case: 300 images, 6 classes, top-3 predictions with random scores.
/usr/bin/python3 - "$TMP" <<'PY'
import json, random, sys
rnd = random.Random(7); d = sys.argv[1]
imgs = [{"id": i, "file_name": "%d.png" % i, "width": 4, "height": 4} for i in range(1, 301)]
anns = [{"id": i, "image_id": i, "category_id": rnd.randint(1, 6)} for i in range(1, 301)]
json.dump({"images": imgs, "annotations": anns, "categories": [{"id": c, "name": "c%d" % c} for c in range(1, 7)]},
          open(d + "/rgt.json", "w"))
preds = []
for i in range(1, 301):
    for c in rnd.sample(range(1, 7), 3):
        preds.append({"image_id": i, "category_id": c, "score": round(rnd.random(), 3)})  # ties happen
json.dump(preds, open(d + "/rdt.json", "w"))
PY
expect_ok "random case" "$TS" eval "$TMP/rgt.json" "$TMP/rdt.json" --pr-curves "$TMP/r.csv" --json "$TMP/r.json"
expect_eq "per-class curves and mean AP agree with numpy" "ok" "$(/usr/bin/python3 - "$TMP" <<'PY'
import csv, json, sys
import numpy as np
d = sys.argv[1]
gt = json.load(open(d + "/rgt.json")); dt = json.load(open(d + "/rdt.json"))
label = {a["image_id"]: a["category_id"] for a in gt["annotations"]}
rec_thr = np.linspace(0, 1, 101)
curves, aps = {}, []
for c in range(1, 7):
    rows = [(-p["score"], k, label[p["image_id"]] == c) for k, p in enumerate(dt) if p["category_id"] == c]
    rows.sort()
    hit = np.array([r[2] for r in rows], dtype=float)
    npos = sum(1 for v in label.values() if v == c)
    tp = np.cumsum(hit); rc = tp / npos; pr = tp / np.arange(1, len(hit) + 1)
    for i in range(len(pr) - 1, 0, -1):
        pr[i - 1] = max(pr[i - 1], pr[i])
    idx = np.searchsorted(rc, rec_thr, side="left")
    q = np.array([pr[i] if i < len(pr) else 0.0 for i in idx])
    curves[c] = q; aps.append(q.mean())
got = {}
for r in csv.DictReader(open(d + "/r.csv")):
    got.setdefault(int(r["category_id"]), []).append(float(r["precision"]))
ok = all(np.allclose(got[c], curves[c], atol=1e-12) for c in range(1, 7))
ok = ok and np.allclose(got[-1], np.mean([curves[c] for c in range(1, 7)], axis=0), atol=1e-12)
m = json.load(open(d + "/r.json"))["classification"]
ok = ok and abs(m["map"] - np.mean(aps)) < 1e-12
ok = ok and all(abs(pc["ap"] - aps[i]) < 1e-12 for i, pc in enumerate(m["per_class"]))
print("ok" if ok else "mismatch")
PY
)"
finish
