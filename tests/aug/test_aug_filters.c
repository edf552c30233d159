/* sharpen, clahe and random_resized_crop give the values their definitions
 * say: sharpen is exactly its unsharp mask of gaussian_blur (sigma 1) on
 * both the vector and the portable paths, clahe is its double-precision
 * definition within one grey level, and random_resized_crop is the area
 * (shrinking) or bilinear resize of the crop it logs. */
#include <stdlib.h>

#include "../test.h"
#include "aug/aug_internal.h"
#include "image/simd.h"
#include "trainset/aug.h"

/* Photo-like pixels: gradients, a bright block and some noise. */
static ts_image test_picture(int w, int h, int c, uint64_t seed) {
    ts_image img = {0};
    if (ts_image_alloc(NULL, w, h, c, TS_PIX_U8, &img) != TS_OK) abort();
    ts_rng r = ts_rng_for(seed, 0, 0, 0);
    for (int y = 0; y < h; y++) {
        uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) {
                int v = 30 + (x * 5 + y * 3 + 40 * k) % 180 + (int)ts_rng_below(&r, 40);
                if (x > w / 3 && x < w / 2 && y > h / 4 && y < h / 2) v = 250 - 30 * k;
                row[(size_t)x * c + k] = (uint8_t)(v > 255 ? 255 : v);
            }
    }
    return img;
}

/* `json` applied to a copy of `src` (seed 1, sample index 3), the vector
 * paths of src/aug off when `portable`; the log goes to `log` if given. */
static ts_image apply(ts_ctx *ctx, const char *json, const ts_image *src, int portable, ts_buf *log) {
    ts_aug_pipeline *p = NULL;
    ts_aug_sample s;
    memset(&s, 0, sizeof s);
    ts_image out = {0};
    CHECK_OK(ctx, ts_aug_pipeline_load(ctx, json, &p));
    CHECK_OK(ctx, ts_image_copy(ctx, src, &s.image));
    aug_simd_off = portable;
    if (p) CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 3, &s, log));
    aug_simd_off = 0;
    CHECK_OK(ctx, ts_image_copy(ctx, &s.image, &out));
    ts_aug_sample_clear(&s);
    ts_aug_pipeline_destroy(p);
    return out;
}

static int px(const ts_image *img, int x, int y, int k) {
    return ((const uint8_t *)ts_image_row(img, y))[(size_t)x * img->c + k];
}

TEST(aug_sharpen_is_the_unsharp_mask_of_the_blur) {
    ts_ctx *ctx = ts_test_ctx();
    static const double alphas[] = {0.2, 0.5, 1.0, 1.7, 5.0};
    for (int c = 1; c <= 4; c++) {
        ts_image src = test_picture(67 + c, 23, c, (uint64_t)c);
        ts_image blur = apply(ctx, "{\"ops\": [{\"op\": \"gaussian_blur\", \"sigma\": 1}]}", &src, 0, NULL);
        for (size_t i = 0; i < sizeof alphas / sizeof alphas[0]; i++) {
            char json[128];
            snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"sharpen\", \"alpha\": %g}]}", alphas[i]);
            ts_image fast = apply(ctx, json, &src, 0, NULL), slow = apply(ctx, json, &src, 1, NULL);
            long a = lround(alphas[i] * 256);
            int wrong = 0, clipped = 0;
            for (int y = 0; y < src.h; y++)
                for (int x = 0; x < src.w; x++)
                    for (int k = 0; k < c; k++) {
                        long v = px(&src, x, y, k), want = (v * 256 + a * (v - px(&blur, x, y, k)) + 128) >> 8;
                        clipped += want < 0 || want > 255;
                        want = want < 0 ? 0 : want > 255 ? 255 : want;
                        wrong += px(&fast, x, y, k) != want || px(&slow, x, y, k) != want;
                    }
            if (wrong) ts_test_failf(__FILE__, __LINE__, "sharpen %g, %d channels: %d values off", alphas[i], c, wrong);
            if (alphas[i] == 5.0) CHECK(clipped > 0); /* the saturation is exercised */
            ts_image_free(&fast), ts_image_free(&slow);
        }
        ts_image_free(&blur), ts_image_free(&src);
    }
}

static int luma_of(const ts_image *img, int x, int y) {
    if (img->c < 3) return px(img, x, y, 0);
    return (299 * px(img, x, y, 0) + 587 * px(img, x, y, 1) + 114 * px(img, x, y, 2) + 500) / 1000;
}

/* The op's definition in doubles: tile tables from clipped histograms
 * (integers), bilinear between tile centres, colour by the luma ratio. */
static void clahe_reference_tables(const ts_image *src, double clip, int tiles, uint8_t (*luts)[256]) {
    int w = src->w, h = src->h;
    for (int t = 0; t < tiles * tiles; t++) {
        int tx = t % tiles, ty = t / tiles;
        long hist[256] = {0}, total = 0, excess = 0, cdf = 0;
        for (int y = ty * h / tiles; y < (ty + 1) * h / tiles; y++)
            for (int x = tx * w / tiles; x < (tx + 1) * w / tiles; x++, total++) hist[luma_of(src, x, y)]++;
        long limit = (long)fmax(1, clip * (double)total / 256);
        for (int v = 0; v < 256; v++)
            if (hist[v] > limit) excess += hist[v] - limit, hist[v] = limit;
        for (int v = 0; v < 256; v++) {
            cdf += hist[v] + excess / 256 + (v < excess % 256);
            luts[t][v] = (uint8_t)fmin(255, floor((double)cdf * 255 / (double)total + 0.5));
        }
    }
}

static int clahe_reference(const ts_image *src, const uint8_t (*luts)[256], int tiles, int x, int y, int k) {
    int v = luma_of(src, x, y);
    double fx = (x + 0.5) * tiles / src->w - 0.5, fy = (y + 0.5) * tiles / src->h - 0.5;
    int tx0 = (int)floor(fx), ty0 = (int)floor(fy);
    double wx = fx - tx0, wy = fy - ty0;
    int tx1 = tx0 + 1 > tiles - 1 ? tiles - 1 : tx0 + 1, ty1 = ty0 + 1 > tiles - 1 ? tiles - 1 : ty0 + 1;
    tx0 = tx0 < 0 ? 0 : tx0, ty0 = ty0 < 0 ? 0 : ty0;
    double out = (1 - wy) * ((1 - wx) * luts[ty0 * tiles + tx0][v] + wx * luts[ty0 * tiles + tx1][v]) +
                 wy * ((1 - wx) * luts[ty1 * tiles + tx0][v] + wx * luts[ty1 * tiles + tx1][v]);
    if (src->c < 3) return (int)(out + 0.5);
    if (k >= 3) return px(src, x, y, k);
    return (int)fmin(255, px(src, x, y, k) * (v > 0 ? out / v : 1) + 0.5);
}

TEST(aug_clahe_matches_its_definition) {
    ts_ctx *ctx = ts_test_ctx();
    static const struct { int w, h, c, tiles; double clip; } cases[] = {
        {96, 64, 3, 8, 2}, {100, 37, 1, 5, 4}, {61, 77, 4, 3, 40}, {64, 64, 3, 64, 0.1}, {5, 3, 3, 8, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_image src = test_picture(cases[i].w, cases[i].h, cases[i].c, 10 + i);
        char json[128];
        snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"clahe\", \"clip\": %g, \"tiles\": %d}]}", cases[i].clip,
                 cases[i].tiles);
        ts_image out = apply(ctx, json, &src, 0, NULL);
        int tiles = cases[i].tiles < src.w ? cases[i].tiles : src.w;
        tiles = tiles < src.h ? tiles : src.h;
        uint8_t(*luts)[256] = malloc((size_t)tiles * tiles * 256);
        clahe_reference_tables(&src, cases[i].clip, tiles, luts);
        long worst = 0, off = 0, n = 0;
        for (int y = 0; y < src.h; y++)
            for (int x = 0; x < src.w; x++)
                for (int k = 0; k < src.c; k++, n++) {
                    int want = clahe_reference(&src, (const uint8_t(*)[256])luts, tiles, x, y, k);
                    long d = labs(px(&out, x, y, k) - want);
                    worst = d > worst ? d : worst;
                    off += d != 0;
                }
        if (worst > 1 || off * 50 > n) /* rounding only: at most 1, on under 2% of the values */
            ts_test_failf(__FILE__, __LINE__, "clahe %dx%dx%d: %ld values off, by up to %ld", src.w, src.h, src.c, off,
                          worst);
        free(luts);
        ts_image_free(&out), ts_image_free(&src);
    }
}

/* The last four numbers of the first "v" array of a log: the crop. */
static int logged_crop(const ts_buf *log, double crop[4]) {
    const char *v = log->data ? strstr(log->data, "\"v\": [") : NULL;
    double vals[32];
    int n = 0;
    for (const char *p = v ? v + 6 : NULL; p && n < 32 && *p != ']'; n++) {
        char *end;
        vals[n] = strtod(p, &end);
        if (end == p) return 0;
        p = end + strspn(end, ", ");
    }
    if (n < 4) return 0;
    memcpy(crop, vals + n - 4, 4 * sizeof *crop);
    return 1;
}

TEST(aug_random_resized_crop_is_the_resize_of_its_crop) {
    ts_ctx *ctx = ts_test_ctx();
    int shrinks = 0, grows = 0;
    for (int c = 1; c <= 4; c++)
        for (int k = 0; k < 6; k++) {
            ts_image src = test_picture(300 + 17 * k, 200 + 9 * k, c, (uint64_t)(c * 10 + k));
            static const char *const jsons[3] = {
                "{\"ops\": [{\"op\": \"random_resized_crop\", \"width\": 48, \"height\": 40, \"scale\": [0.3, 1]}]}",
                "{\"ops\": [{\"op\": \"random_resized_crop\", \"width\": 160, \"height\": 96}]}",
                ("{\"ops\": [{\"op\": \"random_resized_crop\", \"width\": 300, \"height\": 220, "
                 "\"scale\": [0.05, 0.2]}]}"),
            };
            const char *json = jsons[k % 3];
            ts_buf log = {0};
            ts_image out = apply(ctx, json, &src, 0, &log);
            double crop[4] = {0};
            if (CHECK(logged_crop(&log, crop))) {
                ts_image view, want;
                int cw = (int)crop[2], ch = (int)crop[3], shrink = cw > out.w || ch > out.h;
                shrinks += shrink, grows += !shrink;
                CHECK_OK(ctx, ts_image_crop(ctx, &src, (int)crop[0], (int)crop[1], cw, ch, &view));
                CHECK_OK(ctx, ts_image_resize(ctx, &view, out.w, out.h, shrink ? TS_INTERP_AREA : TS_INTERP_BILINEAR,
                                              &want));
                for (int cap = TS_IMAGE_SIMD_NONE; cap <= TS_IMAGE_SIMD_AVX512; cap++) {
                    ts_image_simd_cap = (ts_image_simd_level)cap;
                    ts_image got = apply(ctx, json, &src, 0, NULL);
                    ts_image_simd_cap = TS_IMAGE_SIMD_AVX512;
                    for (int y = 0; y < got.h; y++)
                        if (memcmp(ts_image_row(&got, y), ts_image_row(&want, y), (size_t)got.w * c)) {
                            ts_test_failf(__FILE__, __LINE__, "%d channels, crop %dx%d -> %dx%d, vector cap %d: row %d "
                                          "is not the resize of the crop", c, cw, ch, got.w, got.h, cap, y);
                            break;
                        }
                    ts_image_free(&got);
                }
                ts_image_free(&want);
            }
            ts_buf_free(&log);
            ts_image_free(&out), ts_image_free(&src);
        }
    CHECK(shrinks > 0);
    CHECK(grows > 0);
}
