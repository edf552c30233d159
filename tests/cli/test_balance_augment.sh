#!/usr/bin/env bash
# balance --method augment: new images made by the augmentation engine from
# the rare classes' images, with transformed annotations and their source's
# group; the source images untouched.
. "$(dirname "$0")/lib.sh"
SRC="$SHARED/interop/real/roboflow_sharks_tiny/coco"
before=$(find "$SRC" -type f -exec md5sum {} + | sort | md5sum)
expect_ok "balance by augmentation" "$TS" balance "$SRC" -o "$TMP/bal" --target 30 --best-effort --seed 3 -q
expect_eq "sources untouched" "$before" "$(find "$SRC" -type f -exec md5sum {} + | sort | md5sum)"
/usr/bin/python3 - "$TMP/bal/annotations.json" "$TMP/bal/images" >"$TMP/check" 2>&1 <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
imgs = {i["id"]: i for i in d["images"]}
new = [i for i in d["images"] if i["file_name"].startswith("balance/")]
assert len(new) > 0, "no new images"
for i in new:
    assert os.path.exists(os.path.join(sys.argv[2], i["file_name"])), i["file_name"]
    assert i.get("group_id") is not None, "new image without the group of its source"
per_class = {}
new_ids = {i["id"] for i in new}
for a in d["annotations"]:
    x, y, w, h = a["bbox"]
    im = imgs[a["image_id"]]
    per_class.setdefault(a["category_id"], set()).add(a["image_id"])
    if a["image_id"] not in new_ids:
        continue  # the source set has a box 0.3 px past its border; new boxes are clipped
    assert w > 0 and h > 0 and x >= -1e-6 and y >= -1e-6 and x + w <= im["width"] + 1e-6 and y + h <= im["height"] + 1e-6
assert min(len(v) for k, v in per_class.items()) >= 25, {k: len(v) for k, v in per_class.items()}
print("ok")
PY
expect_eq "new images, boxes inside them, classes near target" "ok" "$(tail -1 "$TMP/check")"
# the same seed gives the same dataset
expect_ok "again with the same seed" "$TS" balance "$SRC" -o "$TMP/bal2" --target 30 --best-effort --seed 3 -q
expect_eq "deterministic" "$(md5sum < "$TMP/bal/annotations.json")" "$(md5sum < "$TMP/bal2/annotations.json")"
finish
