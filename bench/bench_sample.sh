#!/usr/bin/env bash
# Split, balance planning, samplers and near-duplicate search at scale:
# bench_sample (synthetic dataset of N images: groups, split random and
# stratified, balance plans, every sampler's create + one epoch) and
# bench_hamming (N synthetic 64-bit hashes with 1% planted near-duplicates,
# clusters at Hamming <= 8) from 10^5 to 10^7, with a sklearn-free peer:
# a NumPy all-pairs popcount at 10^4 and 3*10^4, extrapolated quadratically.
# usage: bash bench/bench_sample.sh [--quick]   (--quick stops at 10^6)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
out="$BUILD/bench/sample"
mkdir -p "$out"
max=10000000
[ "${1:-}" = "--quick" ] && max=1000000
[ -f "$BUILD/libtrainset.a" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/libtrainset.a" >/dev/null || exit 1
LIBS="$(pkg-config --libs libturbojpeg libpng libwebp expat libarchive libxxhash zlib openblas 2>/dev/null) -ljpeg -lpthread -lm"
for b in bench_sample bench_hamming; do
  gcc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc -o "$out/$b" "bench/$b.c" "$BUILD/libtrainset.a" $LIBS || exit 1
done
echo "== sampling steps (2 threads)"
for n in 1000000 $max; do "$out/bench_sample" "$n" 2 | tee "$out/sample-$n.txt"; done
echo "== near-duplicate search, Hamming <= 8, 2 threads"
for n in 100000 1000000 3000000 10000000; do
  [ "$n" -gt "$max" ] && continue
  "$out/bench_hamming" "$n" 8 2 | tee "$out/hamming-$n.txt"
done
echo "== peer: NumPy all-pairs popcount (what a dense N x N search costs)"
/usr/bin/python3 - <<'PY'
import time, numpy as np
def allpairs(n):
    rng = np.random.default_rng(1)
    h = rng.integers(0, 2**63, n, dtype=np.uint64)
    t = time.time(); found = 0
    for i in range(0, n, 1024):
        x = h[i:i + 1024, None] ^ h[None, :]
        d = np.unpackbits(x.view(np.uint8), axis=-1).reshape(x.shape[0], n, 64).sum(-1) if n <= 4096 else None
        if d is None:
            # byte popcount table: memory-light
            tab = np.array([bin(k).count("1") for k in range(256)], np.uint8)
            d = tab[x.view(np.uint8)].reshape(x.shape[0], n, 8).sum(-1)
        found += int((d <= 8).sum())
    return time.time() - t
for n in (10000, 30000):
    s = allpairs(n)
    print(f"numpy all-pairs n={n}: {s:.2f} s; extrapolated to 10^7: {s * (1e7 / n) ** 2 / 3600:.0f} h")
PY
