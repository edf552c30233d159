#!/usr/bin/env bash
# `trainset eval` speed and memory against pycocotools: the whole command
# (reading ground truth and detections included) on the large generated
# case (20k images, ~150k GT, ~300k detections) single-threaded and with
# all cores, and segm on the segm_small reference. pycocotools is measured
# live when it can be imported; otherwise (it is not packaged in Debian) its
# times are the ones recorded with the reference cases on this machine type.
# usage: bash bench/bench_eval.sh [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
TS="$PWD/$BUILD/trainset"
RUNS="${1:-3}"
REF=../shared/reference/coco
OUT=bench/out
PY=/usr/bin/python3
mkdir -p "$OUT"
[ -x "$TS" ] || make --no-print-directory "BUILD=$BUILD" "$TS" >/dev/null || exit 1
if [ ! -f "$OUT/large_gt.json" ] || [ ! -f "$OUT/large_dt.json" ]; then
  echo "generating the large case (make_coco_case.py --preset large) ..."
  "$PY" "$REF/gen/make_coco_case.py" --preset large --out "$OUT" >/dev/null || exit 1
fi

# best wall time, its CPU time and the peak RSS over RUNS runs: "wall cpu rss_mb"
measure() {
  local best="" line
  for _ in $(seq "$RUNS"); do
    line=$( { /usr/bin/time -f "TIME %e %U %S %M" "$@" >/dev/null; } 2>&1 | grep '^TIME' | tail -1)
    [ -n "$line" ] || { echo "command failed: $*" >&2; return 1; }
    if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN{split(a,x," ");split(b,y," "); exit !(x[2]<y[2])}'; then best=$line; fi
  done
  echo "$best" | awk '{printf "%.3f %.3f %.0f\n", $2, $3 + $4, $5 / 1024}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", a / b}'; }

# pycocotools' time for loadRes + evaluate + accumulate (seconds), live or recorded
peer_large=116.0 peer_large_mb=3000 peer_src="recorded with the reference (2-core machine)"
peer_segm=$("$PY" -c "import json;t=json.load(open('$REF/segm_small/expected.json'))['results']['segm']['timing_s'];print(t['load_gt']+t['loadRes+evaluate+accumulate'])")
if "$PY" -c "import pycocotools" 2>/dev/null; then
  peer_src="measured now"
  read -r peer_large peer_large_mb < <("$PY" - "$OUT/large_gt.json" "$OUT/large_dt.json" <<'EOF'
import sys, time, resource, contextlib, io
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    t = time.perf_counter(); gt = COCO(sys.argv[1]); dt = gt.loadRes(sys.argv[2])
    e = COCOeval(gt, dt, 'bbox'); e.evaluate(); e.accumulate(); e.summarize()
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
EOF
)
fi

echo "trainset eval vs pycocotools (pycocotools: $peer_src); $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "(x faster: pycocotools' time over our wall time; x cpu: over our CPU time, which a busy machine does not inflate)"
printf '%-34s %9s %9s %8s %10s %8s\n' "case" "wall s" "cpu s" "RSS MB" "x faster" "x cpu"
read -r w c m < <(measure "$TS" eval "$OUT/large_gt.json" "$OUT/large_dt.json" -j 1 -q)
printf '%-34s %9.3f %9.3f %8d %10.1f %8.1f\n' "large bbox, -j 1" "$w" "$c" "$m" "$(ratio "$peer_large" "$w")" "$(ratio "$peer_large" "$c")"
read -r w2 c2 m2 < <(measure "$TS" eval "$OUT/large_gt.json" "$OUT/large_dt.json" -q)
printf '%-34s %9.3f %9.3f %8d %10.1f %8.1f\n' "large bbox, all cores" "$w2" "$c2" "$m2" "$(ratio "$peer_large" "$w2")" "$(ratio "$peer_large" "$c2")"
printf '%-34s %9.3f %9s %8d\n' "pycocotools large bbox" "$peer_large" "" "$peer_large_mb"
read -r w3 c3 m3 < <(measure "$TS" eval "$REF/segm_small/gt.json" "$REF/segm_small/dt.json" --iou-type segm -j 1 -q)
printf '%-34s %9.3f %9.3f %8d %10.1f %8.1f\n' "segm_small segm, -j 1" "$w3" "$c3" "$m3" "$(ratio "$peer_segm" "$w3")" "$(ratio "$peer_segm" "$c3")"
printf '%-34s %9.3f\n' "pycocotools segm_small (recorded)" "$peer_segm"
