#!/usr/bin/env bash
# `make bench`: install the peers (OpenCV, PyTorch, torchvision, Pillow),
# then run every bench/bench_*.sh (or those named), each printing its own
# ratios against the peers measured in the same run.
# usage: bash bench/run.sh [NAME...]   e.g. bash bench/run.sh coco eval
set -uo pipefail
cd "$(dirname "$0")/.."
TS_SETUP_PEERS=1 bash scripts/setup.sh
export BUILD="${BUILD:-build}"
mkdir -p bench/out
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/bench_*.sh; do n=$(basename "$f" .sh); names+=("${n#bench_}"); done
fi
status=0
for n in "${names[@]}"; do
  echo "== bench $n"
  bash "bench/bench_$n.sh" || { echo "bench $n failed"; status=1; }
done
exit $status
