#!/usr/bin/env bash
# Experiment 1: three classes (0 T-shirt, 2 pullover, 4 coat) made rare at
# 1:20; per-class recall training as-is, with repeat-factor sampling, and
# after augmentation-based balancing (`trainset balance --method augment`).
source "$(dirname "$0")/common.sh"
echo "experiment 1: imbalance"
mk "$OUT/gt_all" --test-only
mk "$OUT/imb" --per-class 600 --counts 0:30,2:30,4:30 --no-test --seed 1
run imb_as_is imbalance "$OUT/imb" "$OUT/gt_all"
run imb_repeat_factor imbalance "$OUT/imb" "$OUT/gt_all" --order repeat-factor --repeat-threshold 0.1
"$TS" balance "$OUT/imb" -o "$OUT/imb_balanced" --method augment --target uniform --seed 1 -q \
  --pipeline '{"ops":[{"op":"hflip","p":0.5},{"op":"rotate","deg":[-10,10]},{"op":"color_jitter","brightness":0.2,"contrast":0.2}]}' \
  && run imb_aug_balanced imbalance "$OUT/imb_balanced" "$OUT/gt_all"
