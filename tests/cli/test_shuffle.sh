#!/usr/bin/env bash
# trainset shuffle: ORDER files are permutations per epoch, reproducible,
# resumable from any epoch, disjoint across ranks; --stats compares modes.
source "$(dirname "$0")/lib.sh"

/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
imgs, anns = [], []
for i in range(100):
    imgs.append({"id": 1000 + i, "file_name": f"img{i}.png", "width": 8, "height": 8, "group_id": i // 4})
    anns.append({"id": i + 1, "image_id": 1000 + i, "category_id": 1 + (i % 10 == 9), "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0})
json.dump({"images": imgs, "annotations": anns, "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]},
          open(f"{sys.argv[1]}/in.json", "w"))
PY
IN="$TMP/in.json"

expect_ok "uniform 3 epochs" "$TS" shuffle "$IN" --mode uniform --batch 10 --epochs 3 -o "$TMP/u.txt" --seed 4
expect_eq "lines" 300 "$(wc -l < "$TMP/u.txt")"
perm=$(for e in 0 1 2; do sed -n "$((e * 100 + 1)),$((e * 100 + 100))p" "$TMP/u.txt" | sort -n | uniq | wc -l; done | tr '\n' ' ')
expect_eq "each epoch a permutation" "100 100 100 " "$perm"
ids=$(sort -n "$TMP/u.txt" | uniq | sed -n '1p;$p' | tr '\n' ' ')
expect_eq "ids are image ids" "1000 1099 " "$ids"
if cmp -s <(sed -n 1,100p "$TMP/u.txt") <(sed -n 101,200p "$TMP/u.txt"); then bad "epochs differ"; else ok; fi

expect_ok "again" "$TS" shuffle "$IN" --mode uniform --batch 10 --epochs 3 -o "$TMP/u2.txt" --seed 4
expect_eq "reproducible" "" "$(cmp "$TMP/u.txt" "$TMP/u2.txt")"
expect_ok "resume at epoch 2" "$TS" shuffle "$IN" --mode uniform --batch 10 --epochs 1 --start-epoch 2 -o "$TMP/u3.txt" --seed 4
expect_eq "same remainder" "" "$(cmp <(sed -n 201,300p "$TMP/u.txt") "$TMP/u3.txt")"

expect_ok "rank 0" "$TS" shuffle "$IN" --mode spread-groups --batch 10 --world-size 2 --rank 0 -o "$TMP/r0.txt"
expect_ok "rank 1" "$TS" shuffle "$IN" --mode spread-groups --batch 10 --world-size 2 --rank 1 -o "$TMP/r1.txt"
expect_eq "ranks disjoint" "0" "$(sort "$TMP/r0.txt" "$TMP/r1.txt" | uniq -d | wc -l)"
expect_eq "ranks cover" "100" "$(cat "$TMP/r0.txt" "$TMP/r1.txt" | wc -l)"

expect_ok "stats" "$TS" shuffle "$IN" --mode spread-groups --batch 10 --stats
expect_grep "no collisions" "^spread-groups +0 +100 +100 +[0-9.]+ +0.000 " "$TMP/out"
expect_ok "all modes" "$TS" shuffle "$IN" --mode all --stats --batch 10 --buffer 8
expect_grep "buffer row" "^buffer " "$TMP/out"
expect_grep "class-balanced row" "^class-balanced " "$TMP/out"
expect_ok "json stats" "$TS" shuffle "$IN" --mode buffer --buffer 5 --batch 10 --stats --json
expect_grep "json" '"label": "buffer", "epoch": 0, "samples": 100' "$TMP/out"

expect_fail "unknown mode" "unknown mode \"zigzag\"" "$TS" shuffle "$IN" --mode zigzag -o "$TMP/x.txt"
expect_fail "together K" "not a multiple of K = 2" "$TS" shuffle "$IN" --mode together-groups --batch 5 -o "$TMP/x.txt"
expect_fail "rank" "rank below --world-size" "$TS" shuffle "$IN" --mode uniform --rank 2 --world-size 2 -o "$TMP/x.txt"
finish
