#!/usr/bin/env bash
# trainset split: ratios, names, groups never straddle, stratification,
# near-duplicate groups on real PNGs, refusals with numbers.
source "$(dirname "$0")/lib.sh"

# 200 images: class cat 60%, dog 30%, bird 10%; images 0..119 in groups of 4;
# 40 PNGs for dedup: 10 patterns x 4 brightness variants.
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys, os
import numpy as np, cv2
tmp = sys.argv[1]
imgs, anns = [], []
for i in range(200):
    im = {"id": i + 1, "file_name": f"img{i}.png", "width": 64, "height": 48}
    if i < 120: im["group_id"] = i // 4
    imgs.append(im)
    c = 1 if i % 10 < 6 else 2 if i % 10 < 9 else 3
    anns.append({"id": i + 1, "image_id": i + 1, "category_id": c, "bbox": [1, 2, 10, 10], "area": 100, "iscrowd": 0})
cats = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}]
json.dump({"images": imgs, "annotations": anns, "categories": cats}, open(f"{tmp}/in.json", "w"))
os.makedirs(f"{tmp}/px", exist_ok=True)
rng = np.random.default_rng(5)
imgs, anns = [], []
for p in range(10):
    cells = rng.integers(0, 200, (4, 4)).astype(np.uint8)
    base = cv2.resize(cells, (64, 64), interpolation=cv2.INTER_NEAREST)
    for v in range(4):
        k = p * 4 + v
        cv2.imwrite(f"{tmp}/px/p{k}.png", np.clip(base.astype(int) + 3 * v, 0, 255).astype(np.uint8))
        imgs.append({"id": k + 1, "file_name": f"p{k}.png", "width": 64, "height": 64})
        anns.append({"id": k + 1, "image_id": k + 1, "category_id": 1 + p % 2, "bbox": [0, 0, 8, 8], "area": 64, "iscrowd": 0})
json.dump({"images": imgs, "annotations": anns, "categories": cats[:2]}, open(f"{tmp}/px/ann.json", "w"))
PY

count() { /usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['images']))" "$1"; }

expect_ok "split 80/10/10" "$TS" split "$TMP/in.json" -o "$TMP/sp" --ratios 0.8,0.1,0.1 --seed 3
expect_eq "train size" 160 "$(count "$TMP/sp/train.json")"
expect_eq "val size" 20 "$(count "$TMP/sp/val.json")"
expect_eq "test size" 20 "$(count "$TMP/sp/test.json")"
expect_grep "table" "^train +160 +80.00%" "$TMP/out"
expect_grep "split field" '"split":"val"' "$TMP/sp/val.json"

# groups of 4 never straddle; the three outputs cover every image once
straddle=$(/usr/bin/python3 - "$TMP/sp" <<'PY'
import json, sys
seen, where = {}, {}
for s in ("train", "val", "test"):
    for im in json.load(open(f"{sys.argv[1]}/{s}.json"))["images"]:
        assert im["id"] not in seen; seen[im["id"]] = s
        g = im.get("group_id")
        if g is not None: where.setdefault(g, set()).add(s)
print(sum(len(v) > 1 for v in where.values()), len(seen))
PY
)
expect_eq "no group straddles, all images" "0 200" "$straddle"

expect_ok "names and json" "$TS" split "$TMP/in.json" -o "$TMP/out2" --ratios 0.5,0.5 --names a,b --stratify --json
expect_grep "json splits" '"name": "a", "ratio": 0.5, "images": 100' "$TMP/out"
expect_eq "file a" 100 "$(count "$TMP/out2/a.json")"

expect_fail "ratios sum" "sum to 1.1" "$TS" split "$TMP/in.json" -o "$TMP/bad" --ratios 0.8,0.1,0.2
expect_fail "names count" "2 names for 3 ratios" "$TS" split "$TMP/in.json" -o "$TMP/bad" --ratios 0.8,0.1,0.1 --names a,b
# one group of 150 images via an attribute: larger than any split
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
d = json.load(open(f"{sys.argv[1]}/in.json"))
for i, im in enumerate(d["images"]): im["attributes"] = {"site": "A" if i < 150 else f"B{i}"}
json.dump(d, open(f"{sys.argv[1]}/site.json", "w"))
d["images"] = d["images"][:12]; d["annotations"] = d["annotations"][:12]
json.dump(d, open(f"{sys.argv[1]}/small.json", "w"))
PY
expect_fail "group too large" "has 150 images, more than the largest split wants \(100 of 200" \
  "$TS" split "$TMP/site.json" -o "$TMP/bad" --ratios 0.5,0.3,0.2 --group-by attr:site
expect_ok "group too large, best effort" \
  "$TS" split "$TMP/site.json" -o "$TMP/site" --ratios 0.5,0.3,0.2 --group-by attr:site --best-effort
expect_grep "warned of the group" "warning: a group .* has 150 images" "$TMP/err"
# 12 images: bird has one (image 9) -> cannot be in 3 splits
expect_fail "stratify one image" "'bird' \(1 group\)" \
  "$TS" split "$TMP/small.json" -o "$TMP/bad" --ratios 0.5,0.25,0.25 --stratify --group-by none
expect_ok "best effort" "$TS" split "$TMP/small.json" -o "$TMP/be" --ratios 0.5,0.25,0.25 --stratify --group-by none --best-effort
expect_grep "warned" "warning: --stratify" "$TMP/err"

# near-duplicate groups: the 4 variants of each pattern stay in one split
expect_ok "dedup split" "$TS" split "$TMP/px/ann.json" -o "$TMP/dd" --ratios 0.6,0.2,0.2 --group-by dedup --seed 1
leaks=$(/usr/bin/python3 - "$TMP/dd" <<'PY'
import json, sys
where = {}
for s in ("train", "val", "test"):
    for im in json.load(open(f"{sys.argv[1]}/{s}.json"))["images"]:
        where.setdefault((im["id"] - 1) // 4, set()).add(s)
print(sum(len(v) > 1 for v in where.values()), len(where))
PY
)
expect_eq "no near-duplicate across splits" "0 10" "$leaks"
expect_grep "ten groups" "40 images in 10 groups" "$TMP/out"
finish
