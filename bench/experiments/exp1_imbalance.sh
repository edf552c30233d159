#!/usr/bin/env bash
# Experiment 1: three classes (0 T-shirt, 2 pullover, 4 coat) made rare at
# 1:20; per-class recall training as-is, with repeat-factor sampling, and
# after augmentation-based balancing (oversampled copies, each augmented).
source "$(dirname "$0")/common.sh"
echo "experiment 1: imbalance"
mk "$OUT/gt_all" --test-only
mk "$OUT/imb" --per-class 600 --counts 0:30,2:30,4:30 --no-test --seed 1
run imb_as_is imbalance "$OUT/imb" "$OUT/gt_all"
run imb_repeat_factor imbalance "$OUT/imb" "$OUT/gt_all" --order repeat-factor --repeat-threshold 0.1
# Augmentation-based balancing: each rare image duplicated up to the common
# count (`balance --method oversample`), every copy augmented differently
# online. (`balance --method augment` writes its new images without their
# image-level labels in this build, so it cannot be trained on yet.)
"$TS" balance "$OUT/imb" -o "$OUT/imb_oversampled" --method oversample --target uniform --seed 1 -q &&
  run imb_oversample_augment imbalance "$OUT/imb_oversampled" "$OUT/gt_all" \
    --pipeline '{"ops":[{"op":"hflip","p":0.5},{"op":"rotate","deg":[-10,10]},{"op":"color_jitter","brightness":0.2,"contrast":0.2}]}' --crop 2
