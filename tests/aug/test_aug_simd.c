/* The vector paths of src/aug and src/image/resize.c give the same bytes as
 * the portable loops (aug_simd_off = 1 runs those) on random images of odd
 * sizes, 1 to 4 channels, tight and padded rows, and the values their
 * definitions say. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../test.h"
#include "aug/aug_internal.h"
#include "aug/bilinear.h"
#include "trainset/aug.h"


/* A random w x h x c image; `pad` extra bytes at the end of every row. */
static void random_image(ts_image *img, int w, int h, int c, int pad, uint64_t seed) {
    img->w = w, img->h = h, img->c = c, img->type = TS_PIX_U8, img->block = NULL;
    img->stride = (size_t)w * c + (size_t)pad;
    img->data = malloc(img->stride * (size_t)h);
    ts_rng r = ts_rng_for(seed, 1, 2, 3);
    uint8_t *p = img->data;
    for (size_t i = 0; i < img->stride * (size_t)h; i++) p[i] = (uint8_t)ts_rng_below(&r, 256);
}

/* Run `json` on a copy of `src` with the vector paths on or off. */
static void run(ts_ctx *ctx, const char *json, const ts_image *src, int off, uint64_t index, ts_image *out) {
    ts_aug_pipeline *p;
    ts_aug_sample s;
    memset(&s, 0, sizeof s);
    memset(out, 0, sizeof *out);
    if (!CHECK(ts_aug_pipeline_load(ctx, json, &p) == TS_OK)) return;
    s.image = *src;
    s.image.data = malloc(src->stride * (size_t)src->h);
    memcpy(s.image.data, src->data, src->stride * (size_t)src->h);
    aug_simd_off = off;
    CHECK_OK(ctx, ts_aug_apply(ctx, p, 7, 0, index, &s, NULL));
    aug_simd_off = 0;
    CHECK_OK(ctx, ts_image_copy(ctx, &s.image, out));
    ts_aug_sample_clear(&s);
    ts_aug_pipeline_destroy(p);
}

static int same_pixels(const ts_image *a, const ts_image *b) {
    if (a->w != b->w || a->h != b->h || a->c != b->c) return 0;
    for (int y = 0; y < a->h; y++)
        if (memcmp(ts_image_row(a, y), ts_image_row(b, y), (size_t)a->w * a->c)) return 0;
    return 1;
}

static const int sizes[][2] = {{1, 1}, {3, 2}, {67, 13}, {129, 5}, {200, 3}, {41, 37}};

/* The vector paths (aug_simd_off 0: all of them; 2: AVX2 at most) agree
 * with the portable loops on `json` for every size, channel count and
 * padding; `check` (may be NULL) then tests the result against the source. */
static void agree(const char *json, void (*check)(const ts_image *src, const ts_image *out)) {
    ts_ctx *ctx = ts_test_ctx();
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int c = 1; c <= 4; c++)
            for (int pad = 0; pad <= 5; pad += 5) {
                ts_image src, slow;
                random_image(&src, sizes[k][0], sizes[k][1], c, pad, k * 10 + (uint64_t)c);
                run(ctx, json, &src, 1, k, &slow);
                for (int level = 0; level <= 2; level += 2) {
                    ts_image fast;
                    run(ctx, json, &src, level, k, &fast);
                    if (!same_pixels(&fast, &slow))
                        ts_test_failf(__FILE__, __LINE__, "%s: %dx%dx%d pad %d: vector (level %d) and portable paths differ",
                                      json, src.w, src.h, c, pad, level);
                    else if (check && level == 0)
                        check(&src, &fast);
                    ts_image_free(&fast);
                }
                free(src.data);
                ts_image_free(&slow);
            }
}

static void check_brightness(const ts_image *src, const ts_image *out) {
    /* v + 0.1 * 255 = v + 25.5, rounded half up; alpha untouched */
    for (int y = 0; y < src->h; y++) {
        const uint8_t *a = ts_image_row(src, y), *b = ts_image_row(out, y);
        for (int i = 0; i < src->w * src->c; i++) {
            int want = src->c == 4 && i % 4 == 3 ? a[i] : a[i] + 26 > 255 ? 255 : a[i] + 26;
            if (b[i] != want) {
                ts_test_failf(__FILE__, __LINE__, "brightness: %d -> %d, want %d", a[i], b[i], want);
                return;
            }
        }
    }
}

static void check_hflip(const ts_image *src, const ts_image *out) {
    for (int y = 0; y < src->h; y++) {
        const uint8_t *a = ts_image_row(src, y), *b = ts_image_row(out, y);
        for (int x = 0; x < src->w; x++)
            if (memcmp(b + (size_t)x * src->c, a + (size_t)(src->w - 1 - x) * src->c, (size_t)src->c)) {
                ts_test_failf(__FILE__, __LINE__, "hflip: pixel %d of row %d", x, y);
                return;
            }
    }
}

TEST(aug_simd_lut_shared_table) { agree("{\"ops\": [{\"op\": \"brightness\", \"limit\": 0.1}]}", check_brightness); }

TEST(aug_simd_lut_per_channel_tables) {
    agree("{\"ops\": [{\"op\": \"channel_shift\", \"limit\": [-0.3, 0.3]}, {\"op\": \"gamma\", \"gamma\": 1.3}]}", NULL);
    agree("{\"ops\": [{\"op\": \"color_temperature\"}, {\"op\": \"contrast\", \"limit\": 0.5}]}", NULL);
}

TEST(aug_simd_hflip) {
    agree("{\"ops\": [{\"op\": \"hflip\"}]}", check_hflip);
    agree("{\"ops\": [{\"op\": \"hflip\"}, {\"op\": \"vflip\"}, {\"op\": \"pad\", \"left\": 3, \"top\": 1, \"border\": "
          "\"reflect\"}]}",
          NULL);
}

/* Area shrink (the unrolled tap counts for 1, 3 and 4 channels, the
 * general loop for others) against the exact area average in doubles. */
TEST(image_resize_area_paths_match_exact_average) {
    ts_ctx *ctx = ts_test_ctx();
    static const int dims[][4] = {{67, 13, 30, 6}, {129, 41, 50, 17}, {200, 9, 33, 4}, {17, 300, 5, 71}, {9, 9, 4, 2}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        for (int c = 1; c <= 5; c++) {
            ts_image src, out;
            random_image(&src, dims[k][0], dims[k][1], c, 3 * (c & 1), k + 100 * (uint64_t)c);
            int dw = dims[k][2], dh = dims[k][3], worst = 0;
            if (!CHECK(ts_image_resize(ctx, &src, dw, dh, TS_INTERP_AREA, &out) == TS_OK)) {
                free(src.data);
                continue;
            }
            double sx = (double)src.w / dw, sy = (double)src.h / dh;
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++)
                    for (int ch = 0; ch < c; ch++) {
                        double sum = 0;
                        for (int j = (int)floor(y * sy); j < src.h && j < (y + 1) * sy; j++)
                            for (int i = (int)floor(x * sx); i < src.w && i < (x + 1) * sx; i++) {
                                double ox = fmin(i + 1, (x + 1) * sx) - fmax(i, x * sx);
                                double oy = fmin(j + 1, (y + 1) * sy) - fmax(j, y * sy);
                                sum += ox * oy * ((const uint8_t *)ts_image_row(&src, j))[(size_t)i * c + ch];
                            }
                        int got = ((const uint8_t *)ts_image_row(&out, y))[(size_t)x * c + ch];
                        int d = abs(got - (int)floor(sum / (sx * sy) + 0.5));
                        if (d > worst) worst = d;
                    }
            if (worst > 1)
                ts_test_failf(__FILE__, __LINE__, "area %dx%dx%d -> %dx%d: off by %d", src.w, src.h, c, dw, dh, worst);
            free(src.data);
            ts_image_free(&out);
        }
}

/* The warps and remaps: every border, 1 to 4 channels, 1x1 images. */
TEST(aug_simd_warps) {
    static const char *const borders[] = {"\"border\": \"constant\", \"fill\": 77", "\"border\": \"reflect\"",
                                          "\"border\": \"replicate\""};
    for (size_t b = 0; b < 3; b++) {
        char json[512];
        snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"rotate\", \"deg\": [-40, 40], %s}]}", borders[b]);
        agree(json, NULL);
        snprintf(json, sizeof json,
                 "{\"ops\": [{\"op\": \"affine\", \"scale\": [0.7, 1.3], \"translate\": 0.1, \"shear\": 12, \"deg\": "
                 "[-30, 30], %s}]}",
                 borders[b]);
        agree(json, NULL);
        snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"perspective\", \"scale\": 0.3, %s}]}", borders[b]);
        agree(json, NULL);
    }
}

TEST(aug_simd_remaps) {
    agree("{\"ops\": [{\"op\": \"elastic\", \"alpha\": 40, \"sigma\": 3}]}", NULL);
    agree("{\"ops\": [{\"op\": \"grid_distortion\", \"limit\": 0.5}]}", NULL);
    agree("{\"ops\": [{\"op\": \"lens_distortion\", \"k\": [-0.5, 0.5]}]}", NULL);
}

/* One pixel of the bilinear kernel in doubles: the four taps (under the
 * border) weighted by the 1/64 px fractions. */
static double bilinear_reference(const aug_sampler *s, int32_t X, int32_t Y, int ch) {
    const ts_image *im = s->src;
    int x0 = (int)floor(X / 64.0), y0 = (int)floor(Y / 64.0);
    double fx = X / 64.0 - x0, fy = Y / 64.0 - y0, sum = 0;
    for (int t = 0; t < 4; t++) {
        int xx = aug_border_index(x0 + (t & 1), im->w, s->border);
        int yy = aug_border_index(y0 + (t >> 1), im->h, s->border);
        double v = xx < 0 || yy < 0 ? s->fill[ch] : ((const uint8_t *)ts_image_row(im, yy))[(size_t)xx * im->c + ch];
        sum += v * (t & 1 ? fx : 1 - fx) * (t >> 1 ? fy : 1 - fy);
    }
    return sum;
}

/* A random image whose last byte is the last before an unmapped page, so
 * a read past the image faults (ASan does not watch vector gathers). */
static void *guarded_image(ts_image *img, int w, int h, int c, uint64_t seed, size_t *mapped) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = (size_t)w * c * (size_t)h;
    *mapped = (bytes + page - 1) / page * page + page;
    uint8_t *map = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return NULL;
    mprotect(map + *mapped - page, page, PROT_NONE);
    ts_image random;
    random_image(&random, w, h, c, 0, seed);
    *img = random;
    img->data = map + *mapped - page - bytes;
    memcpy(img->data, random.data, bytes);
    free(random.data);
    return map;
}

/* The kernel itself at random positions in and around images that end
 * at an unmapped page: both paths give the same bytes, within rounding of
 * the exact blend. */
TEST(aug_bilinear_span_matches_exact_blend) {
    static const int dims[][2] = {{1, 1}, {2, 2}, {5, 3}, {37, 11}, {300, 7}};
    const uint8_t fill[4] = {200, 17, 99, 255};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        for (int c = 1; c <= 4; c++)
            for (int border = 0; border < 3; border++) {
                ts_image src;
                size_t mapped;
                void *map = guarded_image(&src, dims[k][0], dims[k][1], c, 40 + k * 4 + (uint64_t)c, &mapped);
                if (!CHECK(map != NULL)) continue;
                aug_sampler s = {&src, border, fill};
                enum { N = 203 };
                int32_t xs[N], ys[N];
                uint8_t fast[N * 4], slow[N * 4];
                ts_rng r = ts_rng_for(k, (uint64_t)c, (uint64_t)border, 9);
                for (int i = 0; i < N; i++) {
                    /* mostly inside, some across the edges, some far out */
                    int spread = i % 7 == 0 ? 1 << 20 : 64 * 3;
                    xs[i] = (int32_t)ts_rng_below(&r, (uint64_t)src.w * 64 + 2 * (uint64_t)spread) - spread;
                    ys[i] = (int32_t)ts_rng_below(&r, (uint64_t)src.h * 64 + 2 * (uint64_t)spread) - spread;
                }
                /* the last pixels sit at the image's last possible interior position */
                xs[N - 1] = (src.w - 2) * 64 + 63, ys[N - 1] = (src.h - 2) * 64 + 63;
                aug_simd_off = 1;
                aug_bilinear_span(&s, xs, ys, N, slow);
                for (int level = 0; level <= 2; level += 2) {
                    aug_simd_off = level;
                    aug_bilinear_span(&s, xs, ys, N, fast);
                    if (memcmp(fast, slow, (size_t)N * c))
                        ts_test_failf(__FILE__, __LINE__, "%dx%dx%d border %d: vector (level %d) and portable spans differ",
                                      src.w, src.h, c, border, level);
                }
                aug_simd_off = 0;
                int worst = 0;
                for (int i = 0; i < N; i++)
                    for (int ch = 0; ch < c; ch++) {
                        int d = abs(slow[i * c + ch] - (int)floor(bilinear_reference(&s, xs[i], ys[i], ch) + 0.5));
                        if (d > worst) worst = d;
                    }
                if (worst > 1)
                    ts_test_failf(__FILE__, __LINE__, "%dx%dx%d border %d: off the exact blend by %d", src.w, src.h, c,
                                  border, worst);
                munmap(map, mapped);
            }
}
