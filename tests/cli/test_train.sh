#!/usr/bin/env bash
# train / predict on a Fashion-MNIST subset: a short run that learns,
# predictions that eval reads, bit-identical reruns (also across loader
# thread counts), resume, transfer learning, and clear errors for bad specs,
# checkpoints and learning rates.
source tests/cli/lib.sh
FM=/usr/share/datasets/fashion-mnist
if [ ! -d "$FM" ]; then echo "test_train: $FM missing (dataset-fashion-mnist)"; finish; exit $?; fi
TINY="conv 8 3 stride 2; bn; relu; maxpool 2; fc classes"
json_num() { sed -E "s/.*\"$1\":([-0-9.e]+|null).*/\1/" "$2"; }

expect_ok "train a tiny CNN" "$TS" train "$FM" --model "$TINY" --limit 3000 --epochs 2 --batch 32 \
  --val-split test --seed 7 -j 2 -o "$TMP/a.ckpt" --json
cp "$TMP/out" "$TMP/a.json"
acc=$(json_num best_val_acc "$TMP/a.json")
expect_eq "validation accuracy above 0.7" 1 "$(awk -v a="$acc" 'BEGIN{print (a > 0.7) ? 1 : 0}')"
expect_eq "two metrics lines" 2 "$(wc -l < "$TMP/a.ckpt.metrics.jsonl")"
expect_grep "metrics name the epoch" '"epoch":2,"train_loss":[0-9.]+' "$TMP/a.ckpt.metrics.jsonl"
expect_grep "training curve drawn" '<polyline' "$TMP/a.ckpt.curve.svg"

expect_ok "same seed and threads again" "$TS" train "$FM" --model "$TINY" --limit 3000 --epochs 2 --batch 32 \
  --val-split test --seed 7 -j 2 -o "$TMP/b.ckpt" -q
expect_ok "bit-identical checkpoint" cmp "$TMP/a.ckpt" "$TMP/b.ckpt"
expect_ok "other seed" "$TS" train "$FM" --model "$TINY" --limit 3000 --epochs 2 --batch 32 --seed 8 -j 2 -o "$TMP/c.ckpt" -q
if cmp -s "$TMP/a.ckpt" "$TMP/c.ckpt"; then bad "another seed gave the same weights"; else ok; fi

expect_ok "predict the test split" "$TS" predict "$TMP/a.ckpt" "$FM" --split test -o "$TMP/pred.json" --json
expect_eq "5 classes per image" 50000 "$(grep -c '"image_id"' "$TMP/pred.json")"
top1=$(json_num top1 "$TMP/out")
expect_eq "predict agrees with validation" "$acc" "$top1"
expect_grep "results list entries" '^\[$' "$TMP/pred.json"
expect_grep "entry shape" '^\{"image_id":[0-9]+,"category_id":[0-9]+,"score":[0-9.e-]+\},?$' "$TMP/pred.json"
expect_ok "eval reads the predictions" "$TS" eval "$FM" "$TMP/pred.json"

expect_ok "resume for a third epoch" "$TS" train "$FM" --limit 3000 --epochs 3 --batch 32 --seed 7 -j 2 \
  -o "$TMP/b.ckpt" --resume -q
expect_eq "resumed run wrote one epoch" 1 "$(wc -l < "$TMP/b.ckpt.metrics.jsonl")"
expect_grep "resumed at epoch 3" '"epoch":3' "$TMP/b.ckpt.metrics.jsonl"
# Ctrl-C: stops after the current batch, exit 130, the checkpoint keeps the
# last finished epoch and --resume goes on from it; no temporary file left.
"$TS" train "$FM" --model "$TINY" --limit 3000 --epochs 500 --batch 32 --seed 7 -o "$TMP/int.ckpt" -q \
  2>"$TMP/int.err" &
trainer=$!
for _ in $(seq 1 300); do [ -f "$TMP/int.ckpt" ] && break; sleep 0.1; done
sleep 0.3
kill -INT "$trainer"
wait "$trainer"
expect_eq "interrupted train exits 130" 130 "$?"
expect_grep "interrupt message names the kept epoch" 'interrupted in epoch [0-9]+: .*int.ckpt keeps epoch [0-9]+' \
  "$TMP/int.err"
kept=$(sed -nE 's/.*keeps epoch ([0-9]+).*/\1/p' "$TMP/int.err")
expect_eq "metrics hold the kept epochs" "${kept:-none}" "$(wc -l < "$TMP/int.ckpt.metrics.jsonl" | tr -d ' ')"
expect_eq "no temporary file left" "" "$(find "$TMP" -maxdepth 1 -name 'int.ckpt*.tmp-*')"
expect_ok "resume after the interrupt" "$TS" train "$FM" --limit 3000 --epochs $((${kept:-0} + 1)) --batch 32 \
  --seed 7 -o "$TMP/int.ckpt" --resume -q
expect_grep "resumed after the kept epoch" "\"epoch\":$((${kept:-0} + 1))," "$TMP/int.ckpt.metrics.jsonl"

expect_ok "fine-tune with a new head and frozen layers" "$TS" train "$FM" --init "$TMP/a.ckpt" --new-head --freeze 3 \
  --limit 1000 --epochs 1 -o "$TMP/ft.ckpt" -q

expect_ok "stratified batches from the sampler" "$TS" train "$FM" --model "$TINY" --limit 1000 --epochs 1 \
  --order stratified -o "$TMP/s.ckpt" --json -q
expect_grep "sampler epoch trained" '"epochs_run":1' "$TMP/out"
expect_ok "online augmentation pipeline" "$TS" train "$FM" --model "$TINY" --limit 1000 --epochs 1 \
  --pipeline '{"ops":[{"op":"rotate","deg":[-10,10]},{"op":"brightness","limit":0.2}]}' -o "$TMP/p.ckpt" -q
PIPE='{"ops":[{"op":"hflip","p":0.5},{"op":"affine","scale":[0.9,1.1],"deg":[-10,10]},{"op":"random_erasing","p":0.3}]}'
for l in 0 1 3; do
  expect_ok "pipeline with --loaders $l" "$TS" train "$FM" --model "$TINY" --limit 1000 --epochs 2 --batch 32 \
    --pipeline "$PIPE" --flip --crop 2 --seed 5 -j 2 --loaders $l -o "$TMP/l$l.ckpt" -q
done
expect_ok "loader threads give the inline path's weights" cmp "$TMP/l0.ckpt" "$TMP/l1.ckpt"
expect_ok "three loader threads too" cmp "$TMP/l0.ckpt" "$TMP/l3.ckpt"
expect_grep "metrics give the wait for batches" '"load_seconds":[0-9.e-]+,"images_per_s"' "$TMP/l1.ckpt.metrics.jsonl"
expect_fail "negative loaders" 'loaders must be 0\.\.64' "$TS" train "$FM" --loaders -1 -o "$TMP/x.ckpt"
expect_fail "bad pipeline" 'nosuchop' "$TS" train "$FM" --model "$TINY" --limit 100 --pipeline '{"ops":[{"op":"nosuchop"}]}' -o "$TMP/x.ckpt"
expect_fail "unknown order" 'expected sequential or a sampler mode' "$TS" train "$FM" --order sideways -o "$TMP/x.ckpt"

expect_fail "unknown layer" 'spec:2: unknown layer "swish"' "$TS" train "$FM" --model "conv 8 3; swish; fc classes" -o "$TMP/x.ckpt"
expect_fail "shapes that do not fit" 'does not fit' "$TS" train "$FM" --model "maxpool 64; fc classes" -o "$TMP/x.ckpt"
expect_fail "checkpoint of another architecture" 'architectures differ' "$TS" train "$FM" --init "$TMP/a.ckpt" \
  --model "conv 16 3 stride 2; bn; relu; maxpool 2; fc classes" --limit 100 -o "$TMP/x.ckpt"
head -c 2000 "$TMP/a.ckpt" > "$TMP/trunc.ckpt"
expect_fail "truncated checkpoint" 'truncated or corrupt' "$TS" predict "$TMP/trunc.ckpt" "$FM" -o "$TMP/p.json"
printf 'TSNNCKPT\x07\x00\x00\x00xxxxxxxxxxxxxxxxxxxx' > "$TMP/v7.ckpt"
expect_fail "other version" 'version 7; this trainset reads version 1' "$TS" predict "$TMP/v7.ckpt" "$FM" -o "$TMP/p.json"
expect_fail "NaN loss" 'loss became (NaN|infinite)' "$TS" train "$FM" --model "$TINY" --limit 500 --lr 1e30 -o "$TMP/nan.ckpt"
if [ -e "$TMP/nan.ckpt" ]; then bad "a checkpoint was written for a NaN first epoch"; else ok; fi
expect_fail "unknown optimiser" 'expected sgd, adam' "$TS" train "$FM" --optim lion -o "$TMP/x.ckpt"
expect_fail "output is the input" 'is an input' "$TS" predict "$TMP/a.ckpt" "$FM" -o "$TMP/a.ckpt"
finish
