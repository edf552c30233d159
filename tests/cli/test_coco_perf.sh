#!/usr/bin/env bash
# Fast COCO paths: convert to YOLO reads without keeping geometry and must
# derive the boxes of records without "bbox" exactly as the full read does;
# info counts captions as uncategorized; errors in geometry kept as text.
source "$(dirname "$0")/lib.sh"

cat >"$TMP/nobox.json" <<'JSON'
{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":20},{"id":2,"file_name":"b.jpg","width":4,"height":4}],
"annotations":[{"id":1,"image_id":1,"category_id":3,"segmentation":[[1,2,5,2,5,12]]},
{"id":2,"image_id":1,"category_id":3,"segmentation":[[1,1,2,1,2,2],[6.5,15,7,16,6,18]]},
{"id":3,"image_id":2,"category_id":3,"iscrowd":1,"segmentation":{"counts":[5,2,2,2,5],"size":[4,4]}},
{"id":4,"image_id":2,"category_id":3,"iscrowd":1,"segmentation":{"size":[4,4],"counts":"52203"}},
{"id":5,"image_id":2,"category_id":3,"segmentation":[1,1,3,1,3,3]},
{"id":6,"image_id":2,"category_id":3,"segmentation":[[0,0,4,0,4,4]],"bbox":[1,1,1,1]}],
"categories":[{"id":3,"name":"x"}]}
JSON
expect_ok "yolo from boxless coco" "$TS" convert "$TMP/nobox.json" "$TMP/yo" --to yolo --no-images
expect_eq "polygon boxes" "0 0.3 0.35 0.4 0.5|0 0.4 0.475 0.6 0.85" "$(paste -sd'|' "$TMP"/yo/labels/*/a.txt)"
expect_eq "rle, flat polygon and given boxes" "0 0.5 0.5 0.5 0.5|0 0.5 0.5 0.5 0.5|0 0.5 0.5 0.5 0.5|0 0.375 0.375 0.25 0.25" \
  "$(paste -sd'|' "$TMP"/yo/labels/*/b.txt)"
expect_grep "shapes reported" "boxes only for 4 polygons, 2 masks" "$TMP/err"
# the same boxes as the full read writes into COCO
expect_ok "full read" "$TS" convert "$TMP/nobox.json" "$TMP/full.json" --to coco
expect_eq "full read boxes" "[1,2,4,10] [1,1,6,17] [1,1,2,2] [1,1,2,2] [1,1,2,2] [1,1,1,1]" \
  "$(grep -o '"bbox": *\[[^]]*\]' "$TMP/full.json" | sed 's/"bbox": *//; s/ //g' | paste -sd' ')"

printf '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":4}],"annotations":[{"id":1,"image_id":1,"category_id":1,\n"segmentation":[[1,2,3]]}],"categories":[{"id":1,"name":"x"}]}' >"$TMP/odd.json"
expect_fail "odd polygon without bbox" "odd.json:1:[0-9]+: .*odd number" "$TS" convert "$TMP/odd.json" "$TMP/odd" --to yolo --no-images
expect_ok "odd polygon lenient" "$TS" convert --lenient "$TMP/odd.json" "$TMP/odd2" --to yolo --no-images
expect_grep "odd polygon skipped" "annotation skipped" "$TMP/err"
printf '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":4}],"annotations":[{"id":1,"image_id":1,"category_id":1,"iscrowd":1,\n"segmentation":{"counts":[5,2],"size":[4,4]}}],"categories":[{"id":1,"name":"x"}]}' >"$TMP/rle.json"
expect_fail "short rle without bbox" "rle.json:1:[0-9]+: RLE counts sum to 7, not height\*width = 4\*4" "$TS" convert "$TMP/rle.json" "$TMP/rle" --to yolo --no-images
printf '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":4}],"annotations":[{"id":1,"image_id":1,"category_id":1,\n"segmentation":[[1,2,3,x]]}],"categories":[{"id":1,"name":"x"}]}' >"$TMP/junk.json"
expect_fail "junk in polygon" "junk.json:2:[0-9]+: expected JSON text, found 'x'" "$TS" convert "$TMP/junk.json" "$TMP/junk" --to yolo --no-images
printf '{"images":[{"id":1,"file_name":"a.jpg","width":4,"height":4}],"annotations":[{"id":1,"image_id":1,"category_id":1,\n"segmentation":[[1,2,3,4,5,1.2.3]]}],"categories":[{"id":1,"name":"x"}]}' >"$TMP/mal.json"
expect_fail "malformed number without bbox" 'mal.json:1:[0-9]+: in "segmentation": malformed number "1.2.3"$' "$TS" convert "$TMP/mal.json" "$TMP/mal" --to yolo --no-images

# captions name no category: counted as such, not as orphans
expect_ok "captions info" "$TS" info --json "$SHARED/interop/datumaro/coco/coco_captions"
expect_grep "captions uncategorized" '"uncategorized": 3, "orphan_annotations": 0' "$TMP/out"
expect_ok "captions table" "$TS" info "$SHARED/interop/datumaro/coco/coco_captions"
expect_grep "captions line" "3 annotations name no category" "$TMP/out"
if grep -q "missing images" "$TMP/out"; then bad "captions reported as orphans"; else ok; fi

# ids out of order and duplicates after a counting run
printf '{"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"b.jpg"},{"id":1,"file_name":"c.jpg"}],"annotations":[],"categories":[]}' >"$TMP/dupimg.json"
expect_fail "duplicate image" "dupimg.json:1:[0-9]+: duplicate image id 1" "$TS" info "$TMP/dupimg.json"
expect_ok "duplicate image lenient" "$TS" info --lenient "$TMP/dupimg.json"
expect_grep "lenient keeps two" "images 2," "$TMP/out"
printf '{"images":[{"id":7,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":7,"category_id":1},{"id":2,"image_id":7,"category_id":1},{"id":9,"image_id":7,"category_id":1},{"id":2,"image_id":7,"category_id":1}],"categories":[{"id":1,"name":"x"}]}' >"$TMP/dupann.json"
expect_fail "duplicate annotation" "dupann.json:1:[0-9]+: duplicate annotation id 2" "$TS" info "$TMP/dupann.json"
expect_ok "duplicate annotation lenient" "$TS" info --lenient --json "$TMP/dupann.json"
expect_grep "lenient keeps three" '"annotations": 3' "$TMP/out"

# a file big enough to be read ahead by a thread (>= 8 MiB): counts agree
# with Python's, every box lands in a label file
/usr/bin/python3 bench/gen_coco_instances.py "$TMP/big.json" --scale 0.02 --seed 5
want=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["images"]), len(d["annotations"]))' "$TMP/big.json")
expect_ok "big info" "$TS" info --json "$TMP/big.json"
expect_eq "big counts" "$want" "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["images"], d["annotations"])' "$TMP/out")"
expect_ok "big to yolo" "$TS" convert "$TMP/big.json" "$TMP/bigyolo" --to yolo --no-images -j 1
expect_eq "big label rows" "${want#* }" "$(cat "$TMP"/bigyolo/labels/*/*.txt | wc -l)"
finish
