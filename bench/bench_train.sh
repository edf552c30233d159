#!/usr/bin/env bash
# Training throughput of `trainset train` against PyTorch CPU (Debian's
# python3-torch) for the same architecture, batch size and thread count, on
# the same Fashion-MNIST images, in one run (images/s of training steps,
# data loading and validation excluded on both sides), plus, with
# --accuracy, the full Fashion-MNIST run: test accuracy and time.
# usage: bash bench/bench_train.sh [--accuracy] [--images N] [--threads "1 2"] [--model cnn-small] [--batch 64]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
TS="$PWD/$BUILD/trainset"
FM=/usr/share/datasets/fashion-mnist
PY=/usr/bin/python3
images=10000 threads="1 2" model=cnn-small batch=64 accuracy=0
while [ $# -gt 0 ]; do
  case "$1" in
    --accuracy) accuracy=1 ;;
    --images) images="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --model) model="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$TS" ] || make --no-print-directory "$TS" >/dev/null || exit 1
out=bench/out/train
mkdir -p "$out"
num() { sed -E "s/.*\"$1\": ?([-0-9.e]+).*/\1/" "$2"; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model $model, batch $batch, $images Fashion-MNIST training images per measurement"
for t in $threads; do
  # trainset: one epoch over the first N images (its images_per_s counts training steps only)
  "$TS" train "$FM" --model "$model" --limit "$images" --epochs 1 --batch "$batch" -j "$t" --seed 1 \
    -o "$out/tp.ckpt" --json -q > "$out/ts_$t.json" || { echo "trainset train failed"; exit 1; }
  "$PY" bench/torch_peer.py --model "$model" --batch "$batch" --threads "$t" --images "$images" > "$out/torch_$t.json" ||
    { echo "torch peer failed"; exit 1; }
  a=$(num images_per_s "$out/ts_$t.json"); b=$(num images_per_s "$out/torch_$t.json")
  awk -v t="$t" -v a="$a" -v b="$b" 'BEGIN { printf "threads %s: trainset %8.1f img/s   pytorch %8.1f img/s   ratio %.2fx\n", t, a, b, a / b }'
done

if [ "$accuracy" = 1 ]; then
  # The documented recipe: cnn-small, SGD + Nesterov, cosine schedule, flips, label smoothing.
  echo "full run: cnn-small on 60000 images, 15 epochs, validated on the 10000 test images"
  TIMEFORMAT="%R s wall, %U s user, %S s sys"
  { time "$TS" train "$FM" --model cnn-small --val-split test --epochs 15 --batch 64 --lr 0.05 --nesterov \
      --weight-decay 5e-4 --schedule cosine --flip --label-smoothing 0.1 -j 2 --seed 0 -o "$out/fmnist.ckpt" --json -q > "$out/fmnist_train.json" ; } 2> "$out/fmnist_time.txt"
  "$TS" predict "$out/fmnist.ckpt" "$FM" --split test -o "$out/fmnist_pred.json" --json -q > "$out/fmnist_pred.out"
  echo "test accuracy $(num top1 "$out/fmnist_pred.out") (top-5 $(num top5 "$out/fmnist_pred.out")), training $(cat "$out/fmnist_time.txt")"
fi
