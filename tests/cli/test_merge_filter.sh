#!/usr/bin/env bash
# CLI: `trainset merge` and `trainset filter` on small IDX and WebDataset
# inputs made from Datumaro's MNIST fixture: counts, label maps, --json,
# parse errors, refused outputs.
source tests/cli/lib.sh
MNIST="$SHARED/interop/datumaro/mnist"

# two inputs: the fixture as IDX, and a copy as WebDataset shards
expect_ok "convert to wds" "$TS" convert "$MNIST" "$TMP/wds" --to wds -q
expect_ok "filter train" "$TS" filter "$MNIST" -o "$TMP/train" --to idx --where 'split == "train"'
expect_grep "filter summary" "kept 2 of 5 images, 2 of 5 annotations" "$TMP/out"
expect_ok "filter json" "$TS" filter "$MNIST" -o "$TMP/f.json" --to coco --json --where 'class in ("0", "5") or class == 7'
expect_eq "filter json counts" '"images":3,"input_images":5' \
  "$(grep -o '"images":[0-9]*,"input_images":[0-9]*' "$TMP/out")"
expect_ok "filter not" "$TS" filter "$TMP/wds" -o "$TMP/notest" --to wds --where 'not split == "test"' -q
expect_ok "info of the filtered shards" "$TS" info --json "$TMP/notest"
expect_grep "2 images left" '"images": 2' "$TMP/out"

expect_fail "filter parse error names the column" "--where:1:17: unknown field \"colour\"" \
  "$TS" filter "$MNIST" -o "$TMP/bad" --where 'split == "a" or colour == "red"'
expect_fail "filter needs --where" "expected IN, -o OUT and --where" "$TS" filter "$MNIST" -o "$TMP/bad"
expect_fail "filter output over its input" "is an input" "$TS" filter "$MNIST" -o "$MNIST" --where 'id > 0'
[ -e "$TMP/bad" ] && bad "no output after a failed filter" || ok

# merge: classes matched by name, a label map folding "5" and "7" into "odd"
printf '# fold\n5 -> odd\n"7" -> odd\nnine -> x\n' > "$TMP/map.txt"
expect_ok "merge" "$TS" merge "$MNIST" "$TMP/wds" -o "$TMP/merged" --to wds --labelmap "$TMP/map.txt"
expect_grep "merge table row" '^odd +5 +2 \(5, 7\) +2 \(5, 7\) +4$' "$TMP/out"
expect_grep "second input shifted" "wds: 5 images, 5 annotations \(image ids \+5, annotation ids \+5\)" "$TMP/out"
expect_grep "unused map entry reported" 'label map line 4: "nine"' "$TMP/err"
expect_ok "info of the merge" "$TS" info --json "$TMP/merged"
expect_grep "merged images" '"images": 10, "categories": 9, "annotations": 10' "$TMP/out"
expect_ok "merge json" "$TS" merge "$MNIST" "$TMP/train" -o "$TMP/m.json" --json -q
expect_grep "merge json inputs" '"inputs":\[\{"path":"[^"]*mnist","images":5,' "$TMP/out"
expect_fail "merge label map error" "map2.txt:2: \"a\" is mapped twice" \
  bash -c "printf 'a -> b\na -> c\n' > '$TMP/map2.txt'; '$TS' merge '$MNIST' -o '$TMP/m2' --labelmap '$TMP/map2.txt'"
expect_fail "merge needs -o" "expected one or more inputs and -o OUT" "$TS" merge "$MNIST"
expect_fail "merge missing input" "no such file" "$TS" merge "$MNIST" "$TMP/none" -o "$TMP/m3"
[ -e "$TMP/m2" ] || [ -e "$TMP/m3" ] && bad "no output after a failed merge" || ok
finish
