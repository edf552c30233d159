#!/usr/bin/env bash
# `trainset eval` and `trainset errors` on the pycocotools reference cases
# and on bad prediction files.
source "$(dirname "$0")/lib.sh"
R="$SHARED/reference/coco"

# COCO stats equal pycocotools' (JSON numbers are shortest round-trip text)
expect_ok "eval bbox_small" "$TS" eval "$R/bbox_small/gt.json" "$R/bbox_small/dt.json" --json "$TMP/bbox.json"
expect_grep "bbox stats" '"stats":\[0\.3462035625524798,0\.634527935985526,0\.31952039041554275,' "$TMP/bbox.json"
expect_grep "per-class json" '"category_id":6,"name":"cat6","ap":0\.28477024222188363,' "$TMP/bbox.json"
expect_ok "eval segm_small" "$TS" eval "$R/segm_small/gt.json" "$R/segm_small/dt.json" --iou-type segm --json "$TMP/segm.json"
expect_grep "segm stats" '"stats":\[0\.16886846763574434,0\.4139349397359856,' "$TMP/segm.json"
expect_ok "segm without bbox: loadRes segm branch" "$TS" eval "$R/edge_cases/segm_dt_without_bbox/gt.json" \
  "$R/edge_cases/segm_dt_without_bbox/dt.json" --iou-type segm --json -
expect_eq "segm AP small 0.5" "0.5" "$(grep -o '"stats":\[[^]]*' "$TMP/out" | cut -d, -f4)"

# human summary, per-class table, VOC
expect_ok "summary" "$TS" eval "$R/bbox_small/gt.json" "$R/bbox_small/dt.json" --per-class --voc 07
expect_grep "summary line" 'Average Precision  \(AP\) @\[ IoU=0.50:0.95 \| area=   all \| maxDets=100 \] = 0.346' "$TMP/out"
expect_grep "per-class row" '^cat6 +6 +0\.285' "$TMP/out"
expect_grep "voc map" 'VOC2007 11-point AP .* mAP = 0\.6' "$TMP/out"
expect_ok "bare --json goes to stdout" "$TS" eval "$R/edge_cases/score_ties_a/gt.json" "$R/edge_cases/score_ties_a/dt.json" --json
expect_grep "score ties a" '"stats":\[0\.7524752475247525,' "$TMP/out"

# PR curves, plot, comparison
expect_ok "pr curves + plot + compare" "$TS" eval "$R/bbox_small/gt.json" "$R/bbox_small/dt.json" \
  --pr-curves "$TMP/pr.csv" --plot "$TMP/pr.svg" --compare "$R/edge_cases/score_ties_a/dt.json" --json "$TMP/cmp.json"
expect_eq "csv header" "series,iou,category_id,category,recall,precision" "$(head -1 "$TMP/pr.csv")"
# 2 series x 2 IoUs x (overall + classes with GT) x 101 points; the second series has no detections on
# bbox_small's images but still has curves (all zero)
expect_eq "csv rows for bbox_small, IoU .50, overall" "101" "$(grep -c 'bbox_small/dt.json,0.50,-1,all,' "$TMP/pr.csv")"
expect_grep "csv class rows" 'bbox_small/dt.json,0.75,6,cat6,1,0$' "$TMP/pr.csv"
expect_grep "svg curves" '<polyline fill="none" stroke="#1f77b4"' "$TMP/pr.svg"
expect_eq "svg series" "4" "$(grep -c '<polyline' "$TMP/pr.svg")"
expect_grep "compare json" '"compare":\[\{"file":"[^"]*bbox_small/dt.json","stats":\[0\.3462035625524798' "$TMP/cmp.json"

# classification: image labels
cat > "$TMP/cls_gt.json" <<'EOF'
{"images":[{"id":1,"file_name":"a.jpg","width":8,"height":8},{"id":2,"file_name":"b.jpg","width":8,"height":8},
 {"id":3,"file_name":"c.jpg","width":8,"height":8}],
 "categories":[{"id":1,"name":"cat"},{"id":2,"name":"dog"}],
 "annotations":[{"id":1,"image_id":1,"category_id":1},{"id":2,"image_id":2,"category_id":2},{"id":3,"image_id":3,"category_id":2}]}
EOF
cat > "$TMP/cls_pred.json" <<'EOF'
[{"image_id":1,"category_id":1,"score":0.9},{"image_id":1,"category_id":2,"score":0.1},
 {"image_id":2,"category_id":1,"score":0.6},{"image_id":2,"category_id":2,"score":0.4},
 {"image_id":3,"category_id":2,"score":0.7}]
EOF
expect_ok "classification" "$TS" eval "$TMP/cls_gt.json" "$TMP/cls_pred.json" --json "$TMP/cls.json" --top-k 2
expect_grep "accuracy" '"classification":\{"images":3,"unpredicted":0,"accuracy":0\.6666666666666666,"top_k":2,"top_k_accuracy":1,' "$TMP/cls.json"
expect_grep "confusion" '"confusion":\[\[1,0,0\],\[1,1,0\]\]' "$TMP/cls.json"

# errors
expect_ok "errors" "$TS" errors "$R/bbox_small/gt.json" "$R/bbox_small/dt.json" --json "$TMP/err.json" --worst 3
expect_grep "errors ap50" '^\{"ap50":0\.634' "$TMP/err.json"
expect_grep "errors kinds" '"errors":\{"cls":\{"count":[0-9]+,"delta_ap50":' "$TMP/err.json"
expect_grep "worst images" '"worst_images":\[\{"image_id":2896,' "$TMP/err.json"
expect_ok "errors human" "$TS" errors "$R/bbox_small/gt.json" "$R/bbox_small/dt.json"
expect_grep "errors table" '^miss +[0-9]+ +\+0\.' "$TMP/out"

# bad input
GT="$R/edge_cases/unknown_image_id/gt.json"
: > "$TMP/empty.json"
expect_fail "empty file" 'empty|expected|end of' "$TS" eval "$GT" "$TMP/empty.json"
expect_fail "dict instead of list" 'expected a results list' "$TS" eval "$GT" "$GT"
expect_fail "errors: dict instead of list" 'expected a results list' "$TS" errors "$GT" "$GT"
echo '[{"image_id":1,"category_id":1,"bbox":[0,0,-5,10],"score":0.5}]' > "$TMP/neg.json"
expect_fail "negative size" 'negative' "$TS" eval "$GT" "$TMP/neg.json"
echo '[{"image_id":1,"category_id":1,"bbox":[0,0,5,10],"score":NaN}]' > "$TMP/nan.json"
expect_fail "NaN score" 'NaN|invalid|expected' "$TS" eval "$GT" "$TMP/nan.json"
echo '[{"image_id":1,"category_id":1,"bbox":[0,0,5,10]}]' > "$TMP/noscore.json"
expect_fail "no score" 'no "score"' "$TS" eval "$GT" "$TMP/noscore.json"
expect_ok "unknown image id: dropped with a warning" "$TS" eval "$GT" "$R/edge_cases/unknown_image_id/dt.json" --json -
expect_grep "dropped warning" 'image ids absent from the ground truth; dropped' "$TMP/err"
expect_grep "dropped count" '"dropped_unknown_image":1' "$TMP/out"
expect_ok "unknown category id: ignored with a warning" "$TS" eval "$R/edge_cases/unknown_category_id/gt.json" \
  "$R/edge_cases/unknown_category_id/dt.json"
expect_grep "ignored warning" 'category ids absent from the ground truth; ignored' "$TMP/err"
expect_ok "empty results list" "$TS" eval "$R/edge_cases/empty_detections/gt.json" "$R/edge_cases/empty_detections/dt.json" --json -
expect_grep "empty results: zeros" '"stats":\[0,0,0,-1,0,0,0,0,0,-1,0,0\]' "$TMP/out"
expect_fail "output over an input" 'is an input' "$TS" eval "$GT" "$R/edge_cases/unknown_image_id/dt.json" --json "$GT"
expect_fail "bad iou type" 'expected bbox or segm' "$TS" eval "$GT" "$GT" --iou-type keypoints
expect_fail "missing predictions" 'expected GROUND_TRUTH PREDICTIONS' "$TS" eval "$GT"
finish
