#!/usr/bin/env bash
# Audit speed: perceptual hashing of the full-size photos with DCT-scaled
# JPEG decode against full decode (one thread), and the whole audit of
# Fashion-MNIST (70 000 images, 2 cores). The 10^5..10^7 near-duplicate
# search scaling is in bench/bench_sample.sh (bench_hamming).
# usage: bash bench/bench_audit.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
secs="${1:-2}"
out="$BUILD/bench/audit"
mkdir -p "$out"
photos="${TS_SHARED:-../shared}/photos/full"
make --no-print-directory BUILD="$BUILD" "$BUILD/libtrainset.a" "$BUILD/trainset" >/dev/null || exit 1
LIBS="$(pkg-config --libs libturbojpeg libjpeg libpng libwebp expat libarchive libxxhash zlib openblas) -lpthread -lm"
gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc -o "$out/bench_phash" bench/bench_phash.c \
  -Wl,--whole-archive "$BUILD/libtrainset.a" -Wl,--no-whole-archive $LIBS || exit 1
echo "== perceptual hash of $photos, one thread"
"$out/bench_phash" "$photos" "$secs" | tee "$out/phash.txt"
/usr/bin/python3 bench/phash_peer.py "$photos" "$secs" | tee -a "$out/phash.txt"
awk '/^scaled_decode_hash/ { s = $2 } /^cv2_full_decode_resize/ { c = $2 }
     END { if (c) printf "trainset scaled-decode hash vs cv2 full grey decode + resize: %.2fx\n", s / c }' "$out/phash.txt"
echo "== whole audit of Fashion-MNIST (-j 2)"
/usr/bin/time -v "$BUILD/trainset" audit /usr/share/datasets/fashion-mnist -j 2 -q --json "$out/fm.json" \
  2> "$out/fm.time"
grep -E "Elapsed|Maximum resident" "$out/fm.time"
