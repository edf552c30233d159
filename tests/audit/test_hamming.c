/* Perceptual hashes and the Hamming near-duplicate index: index results
 * equal the all-pairs answer, clusters are connected components. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/hashindex.h"

/* Random hashes with planted near-duplicates: every 7th hash is a copy of
 * an earlier one with `flips` random bits changed. */
static uint64_t *make_hashes(size_t n, uint64_t seed, int flips) {
    uint64_t *h = malloc(n * sizeof *h);
    ts_rng rng = ts_rng_for(seed, 0, 0, 0);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 7 == 0) {
            uint64_t v = h[ts_rng_below(&rng, i)];
            int nf = (int)ts_rng_below(&rng, (uint64_t)flips + 1);
            for (int k = 0; k < nf; k++) v ^= 1ull << ts_rng_below(&rng, 64);
            h[i] = v;
        } else {
            h[i] = ts_rng_u64(&rng);
        }
    }
    return h;
}

static size_t brute_pairs(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, int r, int self,
                          ts_hamming_pair **out) {
    size_t cap = 1024, n = 0;
    ts_hamming_pair *p = malloc(cap * sizeof *p);
    for (size_t i = 0; i < na; i++)
        for (size_t j = self ? i + 1 : 0; j < nb; j++) {
            int d = ts_hamming64(a[i], b[j]);
            if (d > r) continue;
            if (n == cap) p = realloc(p, (cap *= 2) * sizeof *p);
            p[n].a = (uint32_t)i;
            p[n].b = (uint32_t)j;
            p[n].distance = (uint32_t)d;
            n++;
        }
    *out = p;
    return n;
}

static int same_pairs(const ts_hamming_pair *x, size_t nx, const ts_hamming_pair *y, size_t ny) {
    if (nx != ny) return 0;
    for (size_t i = 0; i < nx; i++)
        if (x[i].a != y[i].a || x[i].b != y[i].b || x[i].distance != y[i].distance) return 0;
    return 1;
}

TEST(hamming_pairs_match_brute_force) {
    ts_ctx *ctx = ts_test_ctx();
    const size_t sizes[] = {500, 20000};
    const int radii[] = {0, 3, 8, 12};
    for (size_t si = 0; si < 2; si++) {
        size_t n = sizes[si];
        uint64_t *h = make_hashes(n, 11 + si, 10);
        for (int ri = 0; ri < 4; ri++) {
            ts_hamming_pair *want, *got = NULL;
            size_t nw = brute_pairs(h, n, h, n, radii[ri], 1, &want), ng = 0;
            CHECK_OK(ctx, ts_hamming_pairs(ctx, h, n, radii[ri], &got, &ng));
            if (!same_pairs(want, nw, got, ng))
                ts_test_failf(__FILE__, __LINE__, "n=%zu r=%d: %zu pairs, expected %zu", n, radii[ri], ng, nw);
            if (radii[ri] >= 8) CHECK(nw > n / 20); /* the planted ones are found */
            free(want);
            free(got);
        }
        free(h);
    }
}

TEST(hamming_pairs_same_for_any_thread_count) {
    ts_ctx *ctx = ts_test_ctx();
    uint64_t *h = make_hashes(30000, 5, 8);
    ts_hamming_pair *p1 = NULL, *p2 = NULL;
    size_t n1 = 0, n2 = 0;
    ts_ctx_set_threads(ctx, 1);
    CHECK_OK(ctx, ts_hamming_pairs(ctx, h, 30000, 8, &p1, &n1));
    ts_ctx_set_threads(ctx, 3);
    CHECK_OK(ctx, ts_hamming_pairs(ctx, h, 30000, 8, &p2, &n2));
    CHECK(n1 > 1000);
    CHECK(same_pairs(p1, n1, p2, n2));
    free(p1);
    free(p2);
    free(h);
}

TEST(hamming_cross_pairs_match_brute_force) {
    ts_ctx *ctx = ts_test_ctx();
    uint64_t *h = make_hashes(24000, 9, 6);
    /* left = first 16000, right = last 8000: planted copies cross over */
    ts_hamming_pair *want, *got = NULL;
    size_t nw = brute_pairs(h, 16000, h + 16000, 8000, 6, 0, &want), ng = 0;
    CHECK_OK(ctx, ts_hamming_cross_pairs(ctx, h, 16000, h + 16000, 8000, 6, &got, &ng));
    CHECK(nw > 100);
    CHECK(same_pairs(want, nw, got, ng));
    free(want);
    free(got);
    free(h);
}

TEST(hamming_clusters_are_components) {
    ts_ctx *ctx = ts_test_ctx();
    /* 0-1 at distance 3, 1-2 at distance 3 (0-2 at 6), 3 alone, 4 == 0 */
    uint64_t h[5] = {0, 0x7, 0x3f, ~0ull, 0};
    uint32_t labels[5];
    size_t k = 0;
    CHECK_OK(ctx, ts_hamming_clusters(ctx, h, 5, 3, labels, &k));
    CHECK_EQ_INT(k, 2);
    CHECK_EQ_INT(labels[0], 0);
    CHECK_EQ_INT(labels[1], 0);
    CHECK_EQ_INT(labels[2], 0);
    CHECK_EQ_INT(labels[3], 1);
    CHECK_EQ_INT(labels[4], 0);
    CHECK_OK(ctx, ts_hamming_clusters(ctx, h, 5, 2, labels, &k));
    CHECK_EQ_INT(k, 4); /* {0,4} {1} {2} {3} */
    CHECK_EQ_INT(labels[4], 0);
    CHECK_EQ_INT(labels[2], 2);
    CHECK_FAILS(ctx, ts_hamming_clusters(ctx, h, 5, 40, labels, &k), "outside 0..32");

    /* large input through the index: labels agree with brute-force components */
    size_t n = 20000;
    uint64_t *hs = make_hashes(n, 21, 8);
    uint32_t *lab = malloc(n * sizeof *lab);
    CHECK_OK(ctx, ts_hamming_clusters(ctx, hs, n, 8, lab, &k));
    ts_hamming_pair *p;
    size_t np = brute_pairs(hs, n, hs, n, 8, 1, &p);
    int bad = 0;
    for (size_t i = 0; i < np; i++) bad += lab[p[i].a] != lab[p[i].b];
    CHECK_EQ_INT(bad, 0);
    CHECK(k < n && k + np >= n); /* each pair merges at most two clusters */
    /* labels are numbered by first member: label i first appears after label i-1 */
    uint32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        if (lab[i] == next) next++;
        else if (lab[i] > next) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(next, k);
    free(p);
    free(lab);
    free(hs);
}

/* Pixels owned here (the image module's allocator is not needed). */
static ts_image new_image(int w, int h, int c) {
    ts_image img = {w, h, c, (size_t)w * (size_t)c, TS_PIX_U8, calloc((size_t)w * h * c, 1), NULL};
    return img;
}

static void drop_image(ts_image *img) {
    free(img->data);
    img->data = NULL;
}

static ts_image gradient(int w, int h, int horizontal, int offset) {
    ts_image img = new_image(w, h, 3);
    for (int y = 0; y < h; y++) {
        uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < w; x++) {
            int v = offset + (horizontal ? x * 200 / w : y * 200 / h);
            row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
    return img;
}

/* A textured test picture: a few blobs on a ramp, drawn at any size. */
static ts_image picture(int w, int h, int shift) {
    ts_image img = new_image(w, h, 1);
    for (int y = 0; y < h; y++) {
        uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < w; x++) {
            double u = (double)x / w, v = (double)y / h;
            double val = 60 * u + 40 * v + shift;
            if ((u - 0.3) * (u - 0.3) + (v - 0.4) * (v - 0.4) < 0.02) val += 120;
            if (u > 0.6 && u < 0.9 && v > 0.6 && v < 0.8) val += 80;
            row[x] = (uint8_t)(val > 255 ? 255 : val);
        }
    }
    return img;
}

TEST(phash_values_and_invariances) {
    ts_ctx *ctx = ts_test_ctx();
    uint64_t a, b;
    ts_image g = gradient(90, 80, 1, 0);
    CHECK_OK(ctx, ts_phash(ctx, &g, TS_PHASH_DIFFERENCE, &a));
    CHECK(a == ~0ull); /* every right neighbour is brighter */
    drop_image(&g);
    g = gradient(90, 80, 0, 0);
    CHECK_OK(ctx, ts_phash(ctx, &g, TS_PHASH_DIFFERENCE, &a));
    CHECK(a == 0); /* rows are flat */
    drop_image(&g);

    ts_image p1 = picture(320, 240, 0), p2 = picture(101, 77, 0), p3 = picture(320, 240, 30);
    for (int kind = 0; kind < 2; kind++) {
        uint64_t h1, h2, h3;
        CHECK_OK(ctx, ts_phash(ctx, &p1, (ts_phash_kind)kind, &h1));
        CHECK_OK(ctx, ts_phash(ctx, &p2, (ts_phash_kind)kind, &h2));
        CHECK_OK(ctx, ts_phash(ctx, &p3, (ts_phash_kind)kind, &h3));
        CHECK(ts_hamming64(h1, h2) <= 6); /* rescaled */
        CHECK(ts_hamming64(h1, h3) <= 4); /* brighter */
        CHECK(h1 != 0 && h1 != ~0ull);
    }
    /* a different picture is far away */
    ts_image q = gradient(320, 240, 0, 0);
    CHECK_OK(ctx, ts_phash(ctx, &p1, TS_PHASH_DCT, &a));
    CHECK_OK(ctx, ts_phash(ctx, &q, TS_PHASH_DCT, &b));
    CHECK(ts_hamming64(a, b) > 10);
    drop_image(&q);
    drop_image(&p1);
    drop_image(&p2);
    drop_image(&p3);

    ts_image empty = {0};
    CHECK_FAILS(ctx, ts_phash(ctx, &empty, TS_PHASH_DCT, &a), "empty image");
    CHECK_EQ_INT(ts_phash_kind_from_name("phash"), TS_PHASH_DCT);
    CHECK_EQ_INT(ts_phash_kind_from_name("dhash"), TS_PHASH_DIFFERENCE);
    CHECK_EQ_INT(ts_phash_kind_from_name("md5"), -1);
    CHECK_EQ_INT(ts_phash_scale_denom(4000, 3000, 32), 8);
    CHECK_EQ_INT(ts_phash_scale_denom(100, 100, 32), 2);
    CHECK_EQ_INT(ts_phash_scale_denom(0, 0, 32), 1);
}
