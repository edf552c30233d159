#!/usr/bin/env bash
# eval --compare on image-label predictions: a table of accuracy, top-k and
# F1 per file (PR plots are for detection and say so).
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
  --plot "$TMP/pr.svg" --json "$TMP/cmp.json"
expect_grep "plot request explained" "draw detection PR curves" "$TMP/err"
expect_eq "accuracies and top-2 of both files" "1.00 0.75 1.00 1.00" "$(/usr/bin/python3 -c "
import json; c = json.load(open('$TMP/cmp.json'))['compare']
print(' '.join('%.2f' % v for v in (c[0]['accuracy'], c[1]['accuracy'], c[0]['top_k_accuracy'], c[1]['top_k_accuracy'])))")"
finish
