#!/usr/bin/env bash
# Augmentation speed, one thread each, over ../shared/photos/bench512 (64
# photos, 512x512): every op of bench/aug_ops.txt with trainset, OpenCV (cv2
# as Albumentations calls it) and torchvision on Pillow, the standard chain
# from JPEG bytes (trainset: ts_aug_apply_encoded, i.e. cropped and
# DCT-scaled decode), the batch API on 1 and 2 threads (taking turns batch
# by batch; the median round's scaling is the figure) and the cost of 500
# boxes on a rotate. Rates are images per CPU second of each process. Both
# sides run as servers and are asked op by op, alternating, for ROUNDS
# rounds; the table keeps each side's best round, so a burst of load on a
# shared machine hits both sides alike or is dropped.
# usage: bash bench/bench_aug.sh [SECONDS_PER_MEASUREMENT] [ROUNDS] [OP_REGEX]
#        (defaults 0.5, 3, every op)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
secs="${1:-0.5}"
rounds="${2:-3}"
only="${3:-.}"
out="$BUILD/bench/aug"
mkdir -p "$out"
photos="${TS_SHARED:-../shared}/photos/bench512"
make --no-print-directory BUILD="$BUILD" "$BUILD/libtrainset.a" >/dev/null || exit 1
LIBS="$(pkg-config --libs libturbojpeg libjpeg libpng libwebp expat libarchive libxxhash zlib openblas 2>/dev/null) -lpthread -lm"
gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc -o "$out/bench_aug" bench/bench_aug.c \
  -Wl,--whole-archive "$BUILD/libtrainset.a" -Wl,--no-whole-archive $LIBS || exit 1

rm -f "$out"/{ours,peers}.{in,out}
mkfifo "$out/ours.in" "$out/ours.out" "$out/peers.in" "$out/peers.out"
"$out/bench_aug" "$photos" bench/aug_ops.txt "$secs" <"$out/ours.in" >"$out/ours.out" &
ours_pid=$!
OMP_NUM_THREADS=1 /usr/bin/python3 bench/aug_peers.py "$photos" "$secs" bench/aug_ops.txt \
  <"$out/peers.in" >"$out/peers.out" &
peers_pid=$!
exec 3>"$out/ours.in" 4<"$out/ours.out" 5>"$out/peers.in" 6<"$out/peers.out"
cleanup() { exec 3>&- 5>&-; wait "$ours_pid" "$peers_pid" 2>/dev/null; rm -f "$out"/{ours,peers}.{in,out}; }
trap cleanup EXIT

ask_ours() { echo "$1" >&3 && read -r reply <&4 && echo "$reply"; }
ask_peers() { echo "$1" >&5 && read -r reply <&6 && echo "$reply"; }

ops=$(awk -F'\t' '!/^#/ && NF > 1 { print $1 }' bench/aug_ops.txt | grep -E "$only")
: >"$out/raw.txt"
for ((r = 1; r <= rounds; r++)); do
  for op in $ops chain; do
    # alternate who goes first, so neither side always meets the same load
    if ((r % 2)); then a=$(ask_ours "$op") b=$(ask_peers "$op"); else b=$(ask_peers "$op") a=$(ask_ours "$op"); fi
    echo "$a ${b#* }" >>"$out/raw.txt"
  done
  for what in batch boxes; do echo "$(ask_ours "$what")" >>"$out/raw.txt"; done
done

echo "== augmentation, one thread, $photos: images per CPU second, best of $rounds rounds of ${secs}s;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v ops="$ops chain" '
  function best(k, v) { if (!(k in B) || v > B[k]) B[k] = v }
  function sort_by_ratio(n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ratio[j] < ratio[i]) {
      t = ratio[i]; ratio[i] = ratio[j]; ratio[j] = t; t = eff[i]; eff[i] = eff[j]; eff[j] = t }
  }
  function median(a, n,   c, i, j, t) {
    for (i = 1; i <= n; i++) c[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
    return c[int((n + 1) / 2)]
  }
  $1 == "batch" { best("bw1", $2); best("bw2", $3); ratio[++nb] = $3 / $2; eff[nb] = $5 / $4
                  lat[nb] = $7 / $6; thr[nb] = $9 / $8; next }
  $1 == "boxes" { best("r0", $2); best("r500", $3); next }
  { best($1 " t", $2); if ($3 != "nan") best($1 " c", $3); if ($4 != "nan") best($1 " v", $4) }
  END {
    printf "%-20s %10s %10s %12s %9s\n", "op", "trainset", "cv2", "torchvision", "vs best"
    n = split(ops, list, " ")
    for (i = 1; i <= n; i++) {
      op = list[i]; t = B[op " t"]; c = (op " c") in B ? B[op " c"] : 0; v = (op " v") in B ? B[op " v"] : 0
      peer = c > v ? c : v
      printf "%-20s %10.0f %10s %12s %9s\n", op, t, c ? sprintf("%.0f", c) : "-", v ? sprintf("%.0f", v) : "-",
             peer ? sprintf("%.2fx", t / peer) : "-"
      if (op == "chain")
        printf "%-20s chain vs cv2 %.2fx, vs torchvision %.2fx\n", "", c ? t / c : 0, v ? t / v : 0
    }
    # the 1- and 2-thread batches of a round took turns, so the scaling is
    # read within each round; the median round is the figure
    sort_by_ratio(nb)
    rounds_list = ""
    for (i = 1; i <= nb; i++) rounds_list = rounds_list sprintf(" %.2fx", ratio[i])
    m = int((nb + 1) / 2)
    printf "batch API, chain on decoded photos, 1 and 2 threads taking turns: best 1 thread %.0f/s, 2 threads" \
           " %.0f/s wall; scaling by round (sorted)%s: median %.2fx (%.0f%% parallel efficiency per CPU second)\n",
           B["bw1"], B["bw2"], rounds_list, ratio[m], 100 * eff[m]
    printf "  controls in the same rounds, register-only tasks through the same pools: latency-bound median %.2fx," \
           " throughput-bound median %.2fx\n", median(lat, nb), median(thr, nb)
    printf "rotate 17 deg: %.0f/s with no boxes, %.0f/s with 500 boxes: +%.1f%% time\n",
           B["r0"], B["r500"], 100 * (B["r0"] / B["r500"] - 1)
  }' "$out/raw.txt" | tee "$out/table.txt"
