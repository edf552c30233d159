/* Near-duplicate search at scale: N synthetic 64-bit hashes (1% planted
 * near-duplicates at distance 1..8), clusters at Hamming <= R; prints
 * seconds, pairs/clusters found and peak memory.
 * usage: bench_hamming N [R] [THREADS] [--pairs] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "trainset/hashindex.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [R] [THREADS] [--pairs]\n", argv[0]);
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    int r = argc > 2 ? atoi(argv[2]) : 8;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    int pairs_mode = argc > 4 && strcmp(argv[4], "--pairs") == 0;
    uint64_t *h = malloc(n * sizeof *h);
    uint32_t *labels = malloc(n * sizeof *labels);
    if (!h || !labels) return 1;
    ts_rng rng = ts_rng_for(1, 0, 0, 0);
    size_t planted = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && ts_rng_below(&rng, 100) == 0) {
            uint64_t v = h[ts_rng_below(&rng, i)];
            int flips = 1 + (int)ts_rng_below(&rng, 8);
            for (int k = 0; k < flips; k++) v ^= 1ull << ts_rng_below(&rng, 64);
            h[i] = v;
            planted++;
        } else {
            h[i] = ts_rng_u64(&rng);
        }
    }
    ts_ctx *ctx;
    ts_ctx_create(&ctx);
    ts_ctx_set_threads(ctx, threads);
    double t0 = now();
    size_t found = 0;
    ts_status st;
    if (pairs_mode) {
        ts_hamming_pair *p = NULL;
        st = ts_hamming_pairs(ctx, h, n, r, &p, &found);
        free(p);
    } else {
        size_t k = 0;
        st = ts_hamming_clusters(ctx, h, n, r, labels, &k);
        found = n - k;
    }
    double t = now() - t0;
    if (st != TS_OK) {
        fprintf(stderr, "error: %s\n", ts_ctx_error(ctx));
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("n=%zu r=%d threads=%d %s=%zu planted=%zu seconds=%.2f peak_rss_mb=%.0f\n", n, r, threads,
           pairs_mode ? "pairs" : "merged", found, planted, t, ru.ru_maxrss / 1024.0);
    ts_ctx_destroy(ctx);
    free(h);
    free(labels);
    return 0;
}
