#!/usr/bin/env bash
# Experiment 4: pretrain on classes 0-4, fine-tune on classes 5-9 with 100
# images per class (new head; all layers, or the first convolution block
# frozen), against training from scratch on the same 500 images.
source "$(dirname "$0")/common.sh"
echo "experiment 4: transfer"
mk "$OUT/gt_59" --test-only --classes 5,6,7,8,9
mk "$OUT/gt_04" --test-only --classes 0,1,2,3,4
mk "$OUT/pre04" --per-class 1000 --classes 0,1,2,3,4 --no-test --seed 4
mk "$OUT/few59" --per-class 100 --classes 5,6,7,8,9 --no-test --seed 4
run transfer_pretrain_0_4 transfer "$OUT/pre04" "$OUT/gt_04"
EPOCHS=$((EPOCHS * 2))
run transfer_scratch transfer "$OUT/few59" "$OUT/gt_59"
run transfer_finetune transfer "$OUT/few59" "$OUT/gt_59" --init "$OUT/transfer_pretrain_0_4.ckpt" --new-head --lr 0.01
run transfer_finetune_frozen transfer "$OUT/few59" "$OUT/gt_59" --init "$OUT/transfer_pretrain_0_4.ckpt" --new-head \
  --freeze 4 --lr 0.01
# the same fine-tuning at the from-scratch learning rate
run transfer_finetune_lr005 transfer "$OUT/few59" "$OUT/gt_59" --init "$OUT/transfer_pretrain_0_4.ckpt" --new-head \
  --lr 0.05
