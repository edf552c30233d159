# Shared by the experiment scripts: paths, the train -> predict -> score step.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD="${BUILD:-build}"
TS="$PWD/$BUILD/trainset"
PY=/usr/bin/python3
OUT="${OUT:-$PWD/bench/out/experiments}"
EPOCHS="${EPOCHS:-5}"
THREADS="${THREADS:-2}"
MODEL="${MODEL:-cnn-small}"
mkdir -p "$OUT"
[ -x "$TS" ] || make --no-print-directory "$TS" >/dev/null || exit 1
mk() { "$PY" bench/experiments/make_idx.py "$@" >/dev/null; }
# run NAME EXPERIMENT TRAIN_DATA GROUND_TRUTH [train options...]: train with
# validation on GROUND_TRUTH every epoch, predict it, score per class.
run() {
  local name=$1 exp=$2 data=$3 gt=$4
  shift 4
  echo "  $name"
  "$TS" train "$data" --model "$MODEL" --val "$gt" --epochs "$EPOCHS" -j "$THREADS" --seed 1 \
    -o "$OUT/$name.ckpt" -q "$@" || return 1
  "$TS" predict "$OUT/$name.ckpt" "$gt" -o "$OUT/$name.pred.json" -q || return 1
  "$PY" bench/experiments/score.py "$exp" "$name" "$OUT/$name.pred.json" "$gt" "$OUT/$name.ckpt.metrics.jsonl" \
    >> "$OUT/results.jsonl"
}
