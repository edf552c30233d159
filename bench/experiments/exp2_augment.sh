#!/usr/bin/env bash
# Experiment 2: a 5000-image subset trained without augmentation, with a
# light geometric pipeline (flip, rotation, 2-pixel crops), a photometric one and an excessive one; accuracy
# and per-class PR curves compared by `trainset eval --compare`.
source "$(dirname "$0")/common.sh"
echo "experiment 2: augmentation"
mk "$OUT/gt_all" --test-only
mk "$OUT/sub5k" --per-class 500 --no-test --seed 2
run aug_none augment "$OUT/sub5k" "$OUT/gt_all"
run aug_geometric augment "$OUT/sub5k" "$OUT/gt_all" \
  --pipeline '{"ops":[{"op":"hflip","p":0.5},{"op":"rotate","deg":[-8,8]}]}' --crop 2
run aug_photometric augment "$OUT/sub5k" "$OUT/gt_all" \
  --pipeline '{"ops":[{"op":"color_jitter","brightness":0.3,"contrast":0.3},{"op":"gaussian_noise","sigma":[0,12]}]}'
run aug_excessive augment "$OUT/sub5k" "$OUT/gt_all" \
  --pipeline '{"ops":[{"op":"vflip","p":0.5},{"op":"rotate","deg":[-180,180]},{"op":"color_jitter","brightness":0.8,"contrast":0.8},{"op":"gaussian_noise","sigma":[20,60]}]}' --crop 8
# metrics of each file, a comparison table with mean AP, one-vs-rest PR curves per class (CSV and panels)
"$TS" eval "$OUT/gt_all" "$OUT/aug_none.pred.json" --compare "$OUT/aug_geometric.pred.json" \
  "$OUT/aug_photometric.pred.json" "$OUT/aug_excessive.pred.json" --plot "$OUT/exp2_pr.svg" \
  --pr-curves "$OUT/exp2_pr.csv" > "$OUT/exp2_eval.txt" 2>&1
