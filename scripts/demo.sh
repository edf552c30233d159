#!/usr/bin/env bash
# `make demo`: the trainset loop on a real dataset, Fashion-MNIST from
# Debian (dataset-fashion-mnist). Each stage is a `step`, timed; later stages
# (audit, augment, train, eval) append steps at the end. Outputs go under
# demo-out/ (gitignored); the run stops at the first failing step.
set -euo pipefail

BUILD="${BUILD:-build}"
TS="${TS:-$PWD/$BUILD/trainset}"
DATA="${TS_DEMO_DATA:-/usr/share/datasets/fashion-mnist}"
OUT="${TS_DEMO_OUT:-$PWD/demo-out}"
PY=/usr/bin/python3
EXPECT_IMAGES=70000
EXPECT_CLASSES=10

if [ ! -x "$TS" ]; then
  echo "demo: $TS is not built (run make first)" >&2
  exit 1
fi
if [ ! -e "$DATA/train-images-idx3-ubyte.gz" ]; then
  echo "demo: Fashion-MNIST not found under $DATA (make setup installs dataset-fashion-mnist)" >&2
  exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
timings=()
demo_start=$(date +%s.%N)

# step NAME CMD...: run CMD, show its output, record how long it took.
step() {
  local name="$1"; shift
  echo
  echo "== $name"
  echo "   \$ $*"
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$@"; then
    echo "demo: step \"$name\" failed" >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  timings+=("$(awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-44s %7.2f s", n, b - a }')")
}

# check_counts DATASET [FORMAT]: `trainset info --json` on it must find the
# expected numbers of images, classes and labelled images.
check_counts() {
  local ds="$1" fmt="${2:-}" json
  json=$("$TS" info ${fmt:+--format "$fmt"} --json -q "$ds")
  echo "$json" | "$PY" -c '
import json, sys
info = json.load(sys.stdin)
want_images, want_classes = int(sys.argv[1]), int(sys.argv[2])
images, classes = info["images"], info["categories"]
labelled = sum(c["images"] for c in info["classes"])
print("   %s (%s): %d images, %d classes, %d labelled" % (info["path"], info["format"], images, classes, labelled))
bad = images != want_images or classes != want_classes or labelled != want_images
if bad:
    print(f"   expected {want_images} images, {want_classes} classes, every image labelled", file=sys.stderr)
sys.exit(1 if bad else 0)
' "$EXPECT_IMAGES" "$EXPECT_CLASSES"
}

echo "trainset demo: $("$TS" --version) on $(nproc) cores; data $DATA; outputs in $OUT"

# ---- import -------------------------------------------------------------------
step "info (read the IDX files)" "$TS" info "$DATA"
step "check counts of the IDX import" check_counts "$DATA"

# ---- formats: write and read back ------------------------------------------------
step "convert to COCO + PNG images" "$TS" convert "$DATA" "$OUT/coco" --to coco
step "read the COCO copy back" check_counts "$OUT/coco"
step "convert to folder-per-class" "$TS" convert "$DATA" "$OUT/imagefolder" --to imagefolder
step "read the folder-per-class copy back" check_counts "$OUT/imagefolder" imagefolder

# ---- audit: what is wrong with the data --------------------------------------------
step "audit (duplicates, leakage, quality, context; HTML report)" \
  "$TS" audit "$DATA" --json "$OUT/audit.json" --html "$OUT/audit.html"
step "what the audit found" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["stats"]["duplicates"]
print("   exact duplicate groups %d; near-duplicate clusters %d; clusters leaking train->test %d"
      % (s["exact_groups"], s["near_clusters"], s["leaking_clusters"]))
for f in d["findings"][:6]:
    print("   %-7s %-22s %6d  %s" % (f["severity"], f["check"], f["count"], f["message"][:90]))
' "$OUT/audit.json"

# ---- clean, split: a leak-free validation set -----------------------------------------
step "keep the training split (COCO copy with PNG files)" \
  "$TS" filter "$OUT/coco" -o "$OUT/train_only.json" --where 'split == "train"'
step "split train 90/10 into train/val, stratified, near-duplicates kept together" \
  "$TS" split "$OUT/train_only.json" -o "$OUT/split" --ratios 0.9,0.1 --names train,val --stratify --group-by dedup

# ---- augment: what a pipeline does, before training on it ----------------------------------
step "augmentation preview (contact sheet)" \
  "$TS" augment "$OUT/coco" --copies 5 --preview "$OUT/augment_preview.png" \
  --pipeline '{"ops": [{"op": "hflip", "p": 0.5}, {"op": "affine", "scale": [0.9, 1.1], "deg": [-10, 10], "translate": [-0.05, 0.05]}, {"op": "brightness", "limit": [-0.15, 0.15]}, {"op": "random_erasing", "p": 0.3}]}'

# ---- train, predict, evaluate ---------------------------------------------------------------
step "train cnn-small (short schedule: ${TS_DEMO_EPOCHS:-2} epochs)" \
  "$TS" train "$DATA" --val-split test --model cnn-small --epochs "${TS_DEMO_EPOCHS:-2}" --flip -o "$OUT/model.ckpt"
step "predict the test split" "$TS" predict "$OUT/model.ckpt" "$DATA" --split test -o "$OUT/predictions.json"
step "ground truth of the test split" "$TS" filter "$DATA" -o "$OUT/test_gt.json" --where 'split == "test"'
step "evaluate (accuracy, per-class P/R/F1, confusion matrix, PR curves)" \
  "$TS" eval "$OUT/test_gt.json" "$OUT/predictions.json" --json "$OUT/eval.json" --plot "$OUT/pr.svg"

demo_end=$(date +%s.%N)
echo
echo "== timings"
for t in "${timings[@]}"; do echo "   $t"; done
awk -v a="$demo_start" -v b="$demo_end" 'BEGIN { printf "   %-44s %7.2f s\n", "total", b - a }'
echo "demo: ok"
