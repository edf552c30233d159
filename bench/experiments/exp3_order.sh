#!/usr/bin/env bash
# Experiment 3: 2000 images x 4 offline-augmented variants (`trainset
# augment`), trained in class-sorted order, with variants bunched, with
# uniform reshuffling, stratified batches and spread groups; validation
# accuracy per epoch.
source "$(dirname "$0")/common.sh"
echo "experiment 3: order"
mk "$OUT/gt_all" --test-only
mk "$OUT/src_sorted" --per-class 200 --no-test --sorted --seed 3
mk "$OUT/src_mixed" --per-class 200 --no-test --seed 3
P='{"ops":[{"op":"hflip","p":0.5},{"op":"rotate","deg":[-8,8]}]}'
"$TS" augment "$OUT/src_sorted" -o "$OUT/aug_sorted" --pipeline "$P" --copies 4 --with-originals --seed 1 -q || exit 1
"$TS" augment "$OUT/src_mixed" -o "$OUT/aug_mixed" --pipeline "$P" --copies 4 --with-originals --seed 1 -q || exit 1
run order_class_sorted order "$OUT/aug_sorted" "$OUT/gt_all" --order sequential
run order_variants_bunched order "$OUT/aug_mixed" "$OUT/gt_all" --order sequential
run order_uniform order "$OUT/aug_mixed" "$OUT/gt_all" --order uniform
run order_stratified order "$OUT/aug_mixed" "$OUT/gt_all" --order stratified
run order_spread_groups order "$OUT/aug_mixed" "$OUT/gt_all" --order spread-groups
