#!/usr/bin/env bash
# Training throughput of `trainset train` against PyTorch CPU (Debian's
# python3-torch) for the same architecture, batch size and thread count, on
# the same Fashion-MNIST images, in one run (images/s of training steps,
# data loading and validation excluded on both sides), plus, with
# --accuracy, the full Fashion-MNIST run: test accuracy and time.
# --overlap instead compares loader threads (`--loaders`, 0 = each batch
# filled just before its step, no overlap) with an online augmentation
# pipeline (default: the demo's), runs interleaved, medians over --reps.
# usage: bash bench/bench_train.sh [--accuracy] [--images N] [--threads "1 2"] [--model cnn-small] [--batch 64]
#        bash bench/bench_train.sh --overlap [--loaders "0 1 2"] [--pipeline JSON|FILE|none] [--reps 5]
#                                  [--images N] [--threads 2] [--model cnn-small]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
TS="$PWD/$BUILD/trainset"
FM=/usr/share/datasets/fashion-mnist
PY=/usr/bin/python3
images=10000 threads="1 2" model=cnn-small batch=64 accuracy=0 overlap=0 loaders="0 1 2" reps=5
DEMO_PIPELINE='{"ops": [{"op": "hflip", "p": 0.5}, {"op": "affine", "scale": [0.9, 1.1], "deg": [-10, 10], "translate": [-0.05, 0.05]}, {"op": "brightness", "limit": [-0.15, 0.15]}, {"op": "random_erasing", "p": 0.3}]}'
pipeline="$DEMO_PIPELINE"
while [ $# -gt 0 ]; do
  case "$1" in
    --accuracy) accuracy=1 ;;
    --overlap) overlap=1 ;;
    --loaders) loaders="$2"; shift ;;
    --pipeline) pipeline="$2"; shift ;;
    --reps) reps="$2"; shift ;;
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

if [ "$overlap" = 1 ]; then
  # One epoch per run; images/s counts the training steps including their
  # wait for batches (load_seconds of the metrics); cpu is the whole process
  # (decode included), user + system.
  [ "$pipeline" = none ] && pipe_args=() || pipe_args=(--pipeline "$pipeline")
  echo "pipeline: ${pipeline}"
  echo "-j: $threads, loaders: $loaders, $reps interleaved runs each"
  : > "$out/overlap.txt"
  for r in $(seq "$reps"); do
    for t in $threads; do
      for l in $loaders; do
        /usr/bin/time -f "%U %S" -o "$out/time.txt" "$TS" train "$FM" --model "$model" --limit "$images" --epochs 1 \
          --batch "$batch" "${pipe_args[@]}" --loaders "$l" -j "$t" --seed 1 -o "$out/ov.ckpt" --json -q \
          > "$out/ov.json" || { echo "trainset train failed"; exit 1; }
        echo "$r $t $l $(num images_per_s "$out/ov.json") $(awk '{print $1 + $2}' "$out/time.txt")" \
          "$(num load_seconds "$out/ov.ckpt.metrics.jsonl") $(num seconds "$out/ov.ckpt.metrics.jsonl")" >> "$out/overlap.txt"
      done
    done
  done
  # Medians per (-j, loaders); the ratio is the median of the per-run ratios
  # to the first loader count at the same -j (runs next to each other in time).
  awk -v base="${loaders%% *}" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { k = $2 " " $3; ips[k, $1] = $4; cpu[k, $1] = $5; wait[k, $1] = $6 / $7
      if (!(k in seen)) { seen[k] = 1; order[++nk] = k } if ($1 > nr) nr = $1 }
    END {
      for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, tl, " ")
        for (r = 1; r <= nr; r++) {
          a[r] = ips[k, r]; c[r] = cpu[k, r]; w[r] = wait[k, r]; q[r] = ips[k, r] / ips[tl[1] " " base, r]
        }
        printf "-j %s loaders %s: %8.1f img/s  waiting for batches %4.1f%% of the epoch  cpu %6.2f s  ratio to loaders %s: %.3fx\n",
          tl[1], tl[2], median(a, nr), 100 * median(w, nr), median(c, nr), base, median(q, nr)
      }
    }' "$out/overlap.txt"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
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
