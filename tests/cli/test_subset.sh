#!/usr/bin/env bash
# `trainset subset`: class selection on a small Open Images tree built here
# (images copied from the v6 fixture), near-miss messages, hierarchy,
# --only-matching, --limit, output formats, bad rows, and the v6 fixture.
. tests/cli/lib.sh

OI="$TMP/oi"
V6="$SHARED/interop/datumaro/open_images/v6"
mkdir -p "$OI/annotations" "$OI/images/train" "$OI/images/validation"
cp "$V6/images/train/a.jpg" "$OI/images/train/i1.jpg"   # 6x8
cp "$V6/images/train/b.jpg" "$OI/images/train/i2.jpg"   # 8x2
cp "$V6/images/test/c.jpg" "$OI/images/validation/i3.jpg" # 5x10
cat > "$OI/annotations/oidv6-class-descriptions.csv" <<'EOF'
LabelName,DisplayName
/m/w,Wine
/m/wg,Wine glass
/m/wr,Wine rack
/m/cat,Cat
/m/dog,Dog
/m/ani,Animal
EOF
cat > "$OI/annotations/bbox_labels_600_hierarchy.json" <<'EOF'
{"LabelName": "/m/0bl9f", "Subcategory": [{"LabelName": "/m/ani", "Subcategory": [{"LabelName": "/m/cat"}, {"LabelName": "/m/dog"}]}, {"LabelName": "/m/wg"}]}
EOF
cat > "$OI/annotations/oidv6-train-annotations-bbox.csv" <<'EOF'
ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside
i1,xclick,/m/cat,1,0.5,1,0.25,0.75,0,0,0,0,0
i1,xclick,/m/wg,1,0,0.5,0,0.5,0,0,0,0,0
i2,xclick,/m/dog,1,0,1,0,1,1,0,0,0,0
EOF
cat > "$OI/annotations/validation-annotations-human-imagelabels.csv" <<'EOF'
ImageID,Source,LabelName,Confidence
i3,verification,/m/cat,1
i2,verification,/m/cat,0
EOF

count() { # count KEY in a --json line
  sed -E "s/.*\"$1\": ([0-9]+).*/\1/" "$TMP/out"
}

expect_ok "cat subset" "$TS" subset "$OI" --classes "cat" -o "$TMP/cat.json" --json
expect_eq "cat images (box on i1, label on i3; i2's is a verified absence)" 2 "$(count images)"
expect_eq "cat annotations (all of the kept images)" 3 "$(count annotations)"
expect_grep "coco output names the classes" '"Wine glass"' "$TMP/cat.json"

expect_ok "only matching" "$TS" subset "$OI" --classes cat --only-matching -o "$TMP/cat2.json" --json
expect_eq "only-matching annotations" 2 "$(count annotations)"

expect_ok "hierarchy" "$TS" subset "$OI" --classes Animal --hierarchy --only-matching -o "$TMP/ani" --to yolo --json
expect_eq "animal subtree images" 3 "$(count images)"
expect_grep "yolo data.yaml" '"Dog"' "$TMP/ani/data.yaml"
expect_eq "dog box row (class index, centre, size)" "1 0.5 0.5 1 1" "$(cat "$TMP/ani/labels/train/i2.txt")"
expect_ok "no hierarchy: Animal alone has no images" "$TS" subset "$OI" --classes Animal -o "$TMP/ani0.json" --json
expect_eq "animal alone" 0 "$(count images)"

expect_ok "limit" "$TS" subset "$OI" --classes "Cat,Dog" --limit 1 -o "$TMP/lim" --to openimages --json
expect_eq "limit 1" 1 "$(count images)"
expect_grep "openimages output keeps the box" '^i1,xclick,/m/cat,1,0.5,1,0.25,0.75' "$TMP/lim/annotations/train-annotations-bbox.csv"

printf 'Wine glass\nDog\n' > "$TMP/classes.txt"
expect_ok "classes file" "$TS" subset "$OI" --classes-file "$TMP/classes.txt" -o "$TMP/cf.json" --json
expect_eq "classes file images" 2 "$(count images)"

expect_fail "near miss" 'no Open Images class is named "Wines"; did you mean "Wine"' \
  "$TS" subset "$OI" --classes Wines -o "$TMP/none.json"
expect_fail "near miss lists several" 'did you mean "Wine", "Wine rack", "Wine glass"' \
  "$TS" subset "$OI" --classes win -o "$TMP/none.json"
expect_eq "nothing written on failure" no "$([ -e "$TMP/none.json" ] && echo yes || echo no)"
expect_fail "no output" 'expected -o OUT' "$TS" subset "$OI" --classes Cat
expect_fail "no classes" 'expected --classes' "$TS" subset "$OI" -o "$TMP/x.json"

cp -r "$OI" "$TMP/bad"
echo 'i1,xclick,/m/cat,1,0.5,oops,0.25,0.75,0,0,0,0,0' >> "$TMP/bad/annotations/oidv6-train-annotations-bbox.csv"
expect_fail "malformed row" 'oidv6-train-annotations-bbox.csv:5:24: expected a number for XMax' \
  "$TS" subset "$TMP/bad" --classes Cat -o "$TMP/bad.json"
expect_eq "nothing written after a bad row" no "$([ -e "$TMP/bad.json" ] && echo yes || echo no)"
expect_ok "lenient skips the row" "$TS" subset "$TMP/bad" --classes Cat -o "$TMP/bad.json" --lenient --json
expect_eq "lenient images" 2 "$(count images)"

expect_ok "v6 fixture: the 11-field metadata row is skipped" "$TS" subset "$V6" --classes "Generic label #0" -o "$TMP/v6.json"
expect_grep "v6 fixture: the skipped row is named" 'image_ids_and_rotation.csv:5:.*expected 12 fields' "$TMP/err"
expect_ok "v6 fixture, lenient" "$TS" subset "$V6" --classes "generic LABEL #0" --hierarchy -o "$TMP/v6.json" \
  --lenient --json
expect_eq "v6: a (label), b (box) and c (/m/1 label, a subclass)" 3 "$(count images)"

finish
