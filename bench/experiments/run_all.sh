#!/usr/bin/env bash
# Re-run the four experiments of docs/EXPERIMENTS.md and write their plots
# and tables: bash bench/experiments/run_all.sh (EPOCHS, THREADS, MODEL,
# OUT override the defaults; results in bench/out/experiments).
cd "$(dirname "$0")"
OUT="${OUT:-$PWD/../out/experiments}"
export OUT
mkdir -p "$OUT"
rm -f "$OUT/results.jsonl"
for e in exp1_imbalance exp2_augment exp3_order exp4_transfer; do
  bash "$e.sh" || echo "$e failed"
done
/usr/bin/python3 report.py "$OUT"
