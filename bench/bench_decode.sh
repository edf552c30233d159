#!/usr/bin/env bash
# JPEG decode speed on one thread over ../shared/photos/bench512 (64 photos,
# 512x512, baseline 4:2:0, quality 90), held in memory: trainset's full,
# DCT-scaled (1/2, 1/4, 1/8) and cropped decode, decode + resize to 224 and
# header probe, and resize alone (512 -> 224: nearest, bilinear, area vs
# Pillow NEAREST, BILINEAR, BOX), against the TurboJPEG API (the floor), cv2.imdecode (IMREAD_REDUCED_* for the scaled modes)
# and Pillow (draft() for the scaled modes), measured in the same run.
# Rates are images per CPU second of the process (one thread each), so a
# busy machine slows the run but not the numbers.
# usage: bash bench/bench_decode.sh [SECONDS_PER_MODE]   (default 2)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
secs="${1:-2}"
out="$BUILD/bench/decode"
mkdir -p "$out"
photos="${TS_SHARED:-../shared}/photos/bench512"
make --no-print-directory BUILD="$BUILD" "$BUILD/libtrainset.a" >/dev/null || exit 1
LIBS="$(pkg-config --libs libturbojpeg libjpeg libpng libwebp expat libarchive libxxhash zlib openblas 2>/dev/null) -lpthread -lm"
gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc -o "$out/bench_decode" bench/bench_decode.c "$BUILD/libtrainset.a" $LIBS || exit 1
echo "== JPEG decode, one thread, $photos (images per CPU second; ratio = trainset / peer)"
"$out/bench_decode" "$photos" "$secs" > "$out/ours.txt" || exit 1
/usr/bin/python3 bench/bench_decode_peers.py "$photos" "$secs" > "$out/peers.txt" || exit 1
join <(sort "$out/ours.txt") <(sort "$out/peers.txt") > "$out/joined.txt"
printf "%-16s %10s %10s %10s %8s %8s\n" mode trainset cv2 pillow "vs cv2" "vs PIL"
for m in full scale_1/2 scale_1/4 scale_1/8 crop_224 full+resize224 1/2+resize224 probe \
         resize_nearest resize_linear resize_area; do
  awk -v m="$m" '$1 == m { r1 = ($3 == "nan") ? "-" : sprintf("%.2fx", $2 / $3);
    printf "%-16s %10.0f %10s %10.0f %8s %8s\n", $1, $2, $3, $4, r1, sprintf("%.2fx", $2 / $4) }' "$out/joined.txt"
done | tee "$out/table.txt"
floor=$(awk '$1 == "turbojpeg_full" { print $2 }' "$out/ours.txt")
full=$(awk '$1 == "full" { print $2 }' "$out/ours.txt")
echo "libjpeg-turbo floor (TurboJPEG API, whole image into a reused buffer): $floor images/s;" \
  "trainset full decode is $(awk -v a="$full" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')x of it" | tee -a "$out/table.txt"
