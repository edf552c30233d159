#!/usr/bin/env bash
# trainset balance: oversample and undersample tables and outputs, repeat
# factors, targets from a file, augment on a set whose image files are missing, refusals.
source "$(dirname "$0")/lib.sh"

/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
imgs, anns = [], []
for i in range(100):
    imgs.append({"id": i + 1, "file_name": f"img{i}.png", "width": 8, "height": 8})
    c = 1 if i < 70 else 2 if i < 90 else 3
    anns.append({"id": i + 1, "image_id": i + 1, "category_id": c, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0})
cats = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}]
json.dump({"images": imgs, "annotations": anns, "categories": cats}, open(f"{sys.argv[1]}/in.json", "w"))
json.dump({"cat": 30, "dog": 15}, open(f"{sys.argv[1]}/targets.json", "w"))
json.dump({"cow": 30}, open(f"{sys.argv[1]}/bad.json", "w"))
PY
IN="$TMP/in.json"
n_images() { /usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['images']))" "$1"; }

expect_ok "oversample" "$TS" balance "$IN" -o "$TMP/over.json" --method oversample --seed 2
expect_grep "table" "^bird +70 +10 +70 +10 +70" "$TMP/out"
expect_eq "images" 210 "$(n_images "$TMP/over.json")"
copies=$(/usr/bin/python3 - "$TMP/over.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {im["id"]: im for im in d["images"]}
copies = [im for im in d["images"] if "copy_of" in im.get("attributes", {})]
same = sum(by[int(im["attributes"]["copy_of"])]["group_id"] == im["group_id"] for im in copies)
print(len(copies), same)
PY
)
expect_eq "copies share their source's group" "110 110" "$copies"
expect_ok "split keeps copies with sources" "$TS" split "$TMP/over.json" -o "$TMP/sp" --ratios 0.7,0.3

expect_ok "undersample" "$TS" balance "$IN" -o "$TMP/under.json" --method undersample --no-dedup
expect_eq "undersampled" 30 "$(n_images "$TMP/under.json")"
expect_ok "target file" "$TS" balance "$IN" --plan-only --method undersample --no-dedup --target "$TMP/targets.json" --json
expect_grep "json plan" '"name": "dog", "target": 15, "images": \[20, 15\]' "$TMP/out"
expect_grep "bird left alone" '"name": "bird", "target": -1, "images": \[10, 10\]' "$TMP/out"
expect_ok "repeat factor" "$TS" balance "$IN" -o "$TMP/rf.json" --method repeat-factor --threshold 0.4
expect_grep "repeat attribute" '"repeat_factor":2[,}]' "$TMP/rf.json"

expect_fail "augment needs the pixels" "img[0-9]+.png: cannot open" "$TS" balance "$IN" -o "$TMP/aug.json"
expect_fail "unknown class in targets" "no class named \"cow\"" "$TS" balance "$IN" -o "$TMP/x.json" --target "$TMP/bad.json"
expect_fail "method" "expected augment, oversample" "$TS" balance "$IN" -o "$TMP/x.json" --method smote
expect_fail "input untouched output" "is an input" "$TS" balance "$IN" -o "$IN" --method oversample
finish
