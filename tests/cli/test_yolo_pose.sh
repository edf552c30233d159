#!/usr/bin/env bash
# YOLO pose through the command line: a hand-written Ultralytics pose set
# to COCO with its keypoints in pixels, COCO keypoints to YOLO pose and
# back with every value kept, bad rows and kpt_shape refused with their
# position and nothing written.
source tests/cli/lib.sh

kp="$SHARED/interop/datumaro/coco/coco_person_keypoints"
pose="$TMP/pose"
mkdir -p "$pose/images/train" "$pose/labels/train"
cp "$kp/images/train/a.jpg" "$pose/images/train/a.jpg" # 10 x 5 pixels
cat > "$pose/data.yaml" <<'YAML'
train: images/train
names:
  0: person
kpt_shape: [3, 3]
flip_idx: [0, 2, 1]
kpt_names:
  0: [nose, left_eye, right_eye]
YAML
printf '0 0.5 0.5 0.4 0.6 0.25 0.5 2 0.1 0.2 1 0 0 0\n' > "$pose/labels/train/a.txt"

expect_ok "info reads YOLO pose" "$TS" info "$pose" --json
expect_grep "keypoints kind counted" '"keypoints": 1' "$TMP/out"
expect_ok "YOLO pose -> COCO" "$TS" convert "$pose" "$TMP/pose.json"
expect_eq "keypoints in pixels, visibility as COCO, names and flip_idx kept" \
  "[2.5, 2.5, 2, 1, 1, 1, 0, 0, 0] [3, 1, 4, 3] ['nose', 'left_eye', 'right_eye'] [0, 2, 1]" \
  "$(/usr/bin/python3 -c "
import json
d = json.load(open('$TMP/pose.json'))
a, c = d['annotations'][0], d['categories'][0]
r = lambda v: [round(x, 9) if x != int(x) else int(x) for x in v]
print(r(a['keypoints']), r(a['bbox']), c['keypoints'], c['attributes']['flip_idx'])")"

# convert reads COCO without geometry when writing YOLO, and again with
# the points when it finds keypoint annotations; merge reads it whole
expect_ok "COCO keypoints -> YOLO pose" "$TS" convert "$kp" "$TMP/yolo" --to yolo
expect_ok "COCO keypoints -> YOLO pose through merge" "$TS" merge "$kp" -o "$TMP/yolo_merged" --to yolo
expect_grep "merge writes kpt_shape too" '^kpt_shape: \[3, 3\]$' "$TMP/yolo_merged/data.yaml"
expect_grep "kpt_shape written" '^kpt_shape: \[3, 3\]$' "$TMP/yolo/data.yaml"
expect_grep "unlabelled point written as 0 0 0" '^1 0.35 0.5 0.3 0.2 0 0 0 0 0.4 1 0.4 0.2 2$' \
  "$TMP/yolo/labels/train/a.txt"
expect_ok "YOLO pose -> COCO again" "$TS" convert "$TMP/yolo" "$TMP/back.json"
expect_eq "boxes and keypoints kept to 1e-6 px, visibility and classes equal" "3 ok" "$(/usr/bin/python3 - \
  "$kp/annotations" "$TMP/back.json" <<'PY'
import glob, json, os, sys
def by_image(files):
    out = {}
    for f in files:
        d = json.load(open(f))
        names = {c['id']: c['name'] for c in d['categories']}
        files = {i['id']: os.path.basename(i['file_name']) for i in d['images']}
        for a in d['annotations']:
            out.setdefault(files[a['image_id']], []).append((names[a['category_id']], a['bbox'], a['keypoints']))
    return out
want = by_image(sorted(glob.glob(sys.argv[1] + '/*.json')))
got = by_image([sys.argv[2]])
bad = []
for img, anns in want.items():
    back = got.get(img, [])
    if len(back) != len(anns):
        bad.append(img)
        continue
    for (n, b, k), (n2, b2, k2) in zip(anns, back):
        close = all(abs(x - y) <= 1e-6 for x, y in zip(b + k[0::3] + k[1::3], b2 + k2[0::3] + k2[1::3]))
        if n != n2 or not close or k[2::3] != k2[2::3] or len(k) != len(k2):
            bad.append(img)
print(sum(len(v) for v in got.values()), 'ok' if not bad and got.keys() == want.keys() else bad)
PY
)"

printf '0 0.5 0.5 0.4 0.6 0.25 0.5 2\n' > "$pose/labels/train/a.txt"
expect_fail "short pose row" 'a.txt:1:1: expected 14 fields \(class, box and 3 keypoints of 3 values' \
  "$TS" convert "$pose" "$TMP/bad.json"
printf '0 0.5 0.5 0.4 0.6 0.25 0.5 5 0.1 0.2 1 0 0 0\n' > "$pose/labels/train/a.txt"
expect_fail "visibility outside 0..2" 'a.txt:1:28: keypoint 1: visibility 5' "$TS" convert "$pose" "$TMP/bad.json"
expect_eq "nothing written" no "$([ -e "$TMP/bad.json" ] && echo yes || echo no)"
printf '0 0.5 0.5 0.4 0.6 0.25 0.5 2 0.1 0.2 1 0 0 0\n' > "$pose/labels/train/a.txt"
sed -i 's/^kpt_shape: .*/kpt_shape: [3, 7]/' "$pose/data.yaml"
expect_fail "kpt_shape with D = 7" 'data.yaml:4: kpt_shape: 7 values per keypoint' "$TS" convert "$pose" "$TMP/bad.json"
sed -i 's/^kpt_shape: .*/kpt_shape: [100000, 3]/' "$pose/data.yaml"
expect_fail "absurd keypoint count" 'data.yaml:4: kpt_shape: 100000 keypoints; expected 1 to 1000' \
  "$TS" convert "$pose" "$TMP/bad.json"

finish
