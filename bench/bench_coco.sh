#!/usr/bin/env bash
# COCO loading: `trainset info` against Debian's Python doing json.load plus
# pycocotools-style index dicts on the same generated instances file (shaped
# like instances_train2017, ~450 MB), wall time and peak RSS from
# /usr/bin/time -v, printed as ratios; then `trainset convert --to yolo`
# input throughput on one core.
# usage: bash bench/bench_coco.sh [--scale F]   (F < 1 for a quick run)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
TS="$BUILD/trainset"
scale=1
[ "${1:-}" = "--scale" ] && scale="$2"
data="$BUILD/bench/coco"
mkdir -p "$data"
file="$data/instances_gen_$scale.json"
if [ ! -s "$file" ]; then
  echo "generating $file (scale $scale)"
  /usr/bin/python3 bench/gen_coco_instances.py "$file.tmp" --scale "$scale" && mv "$file.tmp" "$file" || exit 1
fi
[ -x "$TS" ] || make --no-print-directory BUILD="$BUILD" "$TS" >/dev/null || exit 1
bytes=$(stat -c %s "$file")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

# measure LABEL CMD...: sets wall (s) and rss (KiB) from /usr/bin/time -v
measure() {
  local label="$1"; shift
  local log="$data/time-$label.log"
  if ! /usr/bin/time -v "$@" >"$data/out-$label.txt" 2>"$log"; then
    echo "$label failed:"; tail -5 "$log"; return 1
  fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
}

cat >"$data/pyindex.py" <<'EOF'
import json, sys
from collections import defaultdict
with open(sys.argv[1]) as f:
    d = json.load(f)
anns, cats, imgs = {}, {}, {}
img_to_anns, cat_to_imgs = defaultdict(list), defaultdict(list)
for a in d["annotations"]:
    img_to_anns[a["image_id"]].append(a)
    anns[a["id"]] = a
for i in d["images"]:
    imgs[i["id"]] = i
for c in d["categories"]:
    cats[c["id"]] = c
for a in d["annotations"]:
    cat_to_imgs[a["category_id"]].append(a["image_id"])
print(len(imgs), len(anns), len(cats))
EOF

echo "file: $file ($mb MB)"
measure trainset "$TS" info "$file" || exit 1
ts_wall=$wall ts_rss=$rss
measure python /usr/bin/python3 "$data/pyindex.py" "$file" || exit 1
py_wall=$wall py_rss=$rss
measure trainset_full "$TS" convert "$file" "$data/full.json" --to coco || true
full_wall=${wall:-0} full_rss=${rss:-0}
rm -f "$data/full.json"

awk -v tw="$ts_wall" -v tr="$ts_rss" -v pw="$py_wall" -v pr="$py_rss" -v fw="$full_wall" -v fr="$full_rss" -v b="$bytes" 'BEGIN {
  printf "trainset info (no geometry):  %7.2f s  peak %7.1f MB  (%.2fx file size)\n", tw, tr / 1024, tr * 1024 / b
  printf "python json.load + index:     %7.2f s  peak %7.1f MB  (%.2fx file size)\n", pw, pr / 1024, pr * 1024 / b
  printf "trainset read+write (full geometry, coco->coco): %.2f s  peak %.1f MB  (%.2fx file size)\n", fw, fr / 1024, fr * 1024 / b
  printf "ratio: info %.1fx faster than python, %.1fx less memory (target >= 10x faster, peak <= 1.5x file)\n", pw / tw, pr / tr
}'

# user and system CPU seconds of the last measure
cpu_split() {
  awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "user %.2f s, system %.2f s", u, s }' "$data/time-$1.log"
}

# convert to YOLO on one core: input MB/s. One label file per image
# (118k): on ext4 the kernel's inode allocation alone can take seconds of
# system time, more after many recent deletions, so the same run is also
# measured with the output on tmpfs (/dev/shm) to separate trainset's own
# cost from the file system's.
if "$TS" convert --help 2>&1 | grep -q -- "--to" && taskset -c 0 true 2>/dev/null; then
  rm -rf "$data/yolo"
  if measure yolo taskset -c 0 "$TS" convert "$file" "$data/yolo" --to yolo --no-images -j 1; then
    awk -v w="$wall" -v b="$bytes" -v r="$rss" -v c="$(cpu_split yolo)" 'BEGIN {
      printf "convert to yolo (1 core):     %7.2f s  %.0f MB/s of input  peak %.1f MB (target >= 200 MB/s; %s)\n", w, b / 1e6 / w, r / 1024, c }'
  fi
  rm -rf "$data/yolo"
  shm="/dev/shm/trainset-bench-yolo-$$"
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    if measure yolo_shm taskset -c 0 "$TS" convert "$file" "$shm" --to yolo --no-images -j 1; then
      awk -v w="$wall" -v b="$bytes" -v c="$(cpu_split yolo_shm)" 'BEGIN {
        printf "  same, output on tmpfs:      %7.2f s  %.0f MB/s of input (%s)\n", w, b / 1e6 / w, c }'
    fi
    rm -rf "$shm"
  fi
fi
