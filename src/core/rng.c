/* Counter-based random numbers: the key hashes (seed, epoch, sample, op) and
 * each draw hashes key + counter, so any draw can be recomputed alone. The
 * mixer is a SplitMix64-style finaliser applied to a Weyl sequence. */
#include <math.h>

#include "trainset/core.h"

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

ts_rng ts_rng_for(uint64_t seed, uint64_t epoch, uint64_t sample, uint64_t op) {
    uint64_t k = mix64(seed + 0x9e3779b97f4a7c15ULL);
    k = mix64(k ^ (epoch + 0x632be59bd9b4e019ULL));
    k = mix64(k ^ (sample + 0x8cb92ba72f3d8dd7ULL));
    k = mix64(k ^ (op + 0xd6e8feb86659fd93ULL));
    ts_rng r = {k, 0};
    return r;
}

uint64_t ts_rng_u64(ts_rng *rng) {
    uint64_t x = rng->key + (rng->counter++ + 1) * 0x9e3779b97f4a7c15ULL;
    return mix64(mix64(x) ^ rng->key);
}

uint32_t ts_rng_u32(ts_rng *rng) { return (uint32_t)(ts_rng_u64(rng) >> 32); }

double ts_rng_uniform(ts_rng *rng) { return (double)(ts_rng_u64(rng) >> 11) * 0x1.0p-53; }

double ts_rng_range(ts_rng *rng, double lo, double hi) { return lo + (hi - lo) * ts_rng_uniform(rng); }

uint64_t ts_rng_below(ts_rng *rng, uint64_t n) {
    if (n == 0) return 0;
    /* Lemire's multiply-shift with rejection: unbiased */
    for (;;) {
        uint64_t x = ts_rng_u64(rng);
        __extension__ typedef unsigned __int128 u128;
        u128 m = (u128)x * n;
        uint64_t low = (uint64_t)m;
        if (low >= n || low >= (0 - n) % n) return (uint64_t)(m >> 64);
    }
}

double ts_rng_normal(ts_rng *rng) {
    /* Box-Muller, one value per two draws (keeps draws stateless) */
    double u1 = ts_rng_uniform(rng), u2 = ts_rng_uniform(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int ts_rng_chance(ts_rng *rng, double p) {
    if (p >= 1) return 1;
    if (p <= 0) return 0;
    return ts_rng_uniform(rng) < p;
}
