#!/usr/bin/env bash
# Open Images masks through the CLI: the v6 fixture's object-segmentation
# CSV to COCO (an RLE segmentation) and to Open Images (the PNG and its
# row), a subset keeping the mask, and a missing mask file strict and
# --lenient.
. tests/cli/lib.sh

V6="$SHARED/interop/datumaro/open_images/v6"

expect_ok "v6 to COCO" "$TS" convert "$V6" "$TMP/v6.json" --no-images
expect_grep "RLE segmentation" '"segmentation": ?\{"size": ?\[2, ?8\]' "$TMP/v6.json"
expect_grep "box_id kept" '"box_id": ?"01234567"' "$TMP/v6.json"

expect_ok "v6 to Open Images" "$TS" convert "$V6" "$TMP/oi" --to openimages
expect_eq "mask PNG written" yes "$([ -f "$TMP/oi/masks/train/b_m0_01234567.png" ] && echo yes)"
expect_grep "segmentation row" '^b_m0_01234567\.png,b,/m/0,01234567,0\.2,1,0\.3,0\.5,0\.5,$' \
  "$TMP/oi/annotations/train-annotations-object-segmentation.csv"

expect_ok "subset keeps the mask" "$TS" subset "$V6" --classes "Generic label #0" -o "$TMP/sub.json" --json
expect_grep "subset mask" '"counts"' "$TMP/sub.json"

# a row whose PNG is missing: an error naming file:line, a warning with --lenient
cp -r "$V6" "$TMP/gone"
echo "gone.png,b,/m/0,99,0,1,0,1,," >> "$TMP/gone/annotations/train-annotations-object-segmentation.csv"
expect_fail "missing mask" 'object-segmentation\.csv:3:1: mask file not found: no masks/train/gone\.png nor masks/gone\.png' \
  "$TS" convert "$TMP/gone" "$TMP/gone.json" --no-images
expect_ok "missing mask, lenient" "$TS" convert "$TMP/gone" "$TMP/gone.json" --no-images --lenient
expect_grep "lenient warning" 'mask file not found.*row skipped' "$TMP/err"

finish
