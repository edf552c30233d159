/* Resize against cv2.resize (Debian's python3-opencv, run by
 * tests/image/cv2_resize.py on the same pixels) on real photographs, plus
 * exact properties that need no peer; and colour conversion. */
#include <sys/wait.h>

#include "image/simd.h"
#include "image_test_util.h"

static const char *interp_name(ts_interp i) {
    return i == TS_INTERP_NEAREST ? "nearest" : i == TS_INTERP_BILINEAR ? "linear" : "area";
}

typedef struct {
    int w, h;
    ts_interp interp;
    double max_mad; /* what we hold ourselves to, far under the 1-grey-level target */
} resize_case;

typedef struct {
    const char *rel; /* a photo under ../shared */
    int channels;    /* decode to */
    const resize_case *cases;
    int n;
    ts_image src;
} resize_source;

/* Decode each source (alpha given content when asked for), hand them all to
 * one cv2 run as PNG, and compare every case. Returns 0 when OpenCV is
 * missing (skipped). */
static int compare_with_cv2(ts_ctx *ctx, resize_source *srcs, int nsrc) {
    const char *dir = ts_test_tmpdir();
    ts_buf jobs = {0};
    for (int s = 0; s < nsrc; s++) {
        ts_image *src = &srcs[s].src;
        ts_decode_opts o = ts_decode_opts_default();
        o.channels = srcs[s].channels;
        CHECK_OK(ctx, ts_image_load(ctx, ts_test_shared(srcs[s].rel), &o, src, NULL));
        if (src->c == 4)
            for (int y = 0; y < src->h; y++)
                for (int x = 0; x < src->w; x++) ((uint8_t *)ts_image_row(src, y))[4 * x + 3] = (uint8_t)(x ^ y);
        ts_buf png = {0};
        ts_buf_printf(&png, "%s/src%d.png", dir, s);
        CHECK_OK(ctx, ts_image_save(ctx, png.data, src, NULL));
        for (int i = 0; i < srcs[s].n; i++) {
            const resize_case *c = &srcs[s].cases[i];
            ts_buf_printf(&jobs, "%s %s/out%d_%d.raw %d %d %s\n", png.data, dir, s, i, c->w, c->h,
                          interp_name(c->interp));
        }
        ts_buf_free(&png);
    }
    char *jobs_path = ts_path_join(dir, "jobs.txt");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, jobs_path, jobs.data, jobs.len));
    ts_buf cmd = {0};
    ts_buf_printf(&cmd, "/usr/bin/python3 tests/image/cv2_resize.py '%s'", jobs_path);
    int rc = system(cmd.data);
    ts_buf_free(&cmd);
    ts_buf_free(&jobs);
    free(jobs_path);
    int ran = !(WIFEXITED(rc) && WEXITSTATUS(rc) == 3);
    if (!ran) fprintf(stderr, "  skip: python3-opencv is not installed\n");
    else CHECK(rc == 0);
    for (int s = 0; s < nsrc && ran && rc == 0; s++) {
        const ts_image *src = &srcs[s].src;
        for (int i = 0; i < srcs[s].n; i++) {
            const resize_case *c = &srcs[s].cases[i];
            ts_image ours, ref;
            CHECK_OK(ctx, ts_image_resize(ctx, src, c->w, c->h, c->interp, &ours));
            ts_buf path = {0};
            ts_buf_printf(&path, "%s/out%d_%d.raw", dir, s, i);
            uint8_t *raw = NULL;
            size_t len = 0;
            CHECK_OK(ctx, ts_file_read(ctx, path.data, &raw, &len));
            ref = (ts_image){c->w, c->h, src->c, (size_t)c->w * (size_t)src->c, TS_PIX_U8, raw, NULL};
            CHECK_EQ_INT(len, ref.stride * (size_t)ref.h);
            double mad = len == ref.stride * (size_t)ref.h ? itu_mad(&ours, &ref) : 1e9;
            if (getenv("TS_VERBOSE") || !(mad < c->max_mad))
                fprintf(stderr, "  %s c%d %dx%d -> %dx%d %s: mean abs diff %.4f, max %ld\n", srcs[s].rel, src->c,
                        src->w, src->h, c->w, c->h, interp_name(c->interp), mad, itu_maxdiff(&ours, &ref));
            CHECK(mad < c->max_mad);
            free(raw);
            ts_buf_free(&path);
            ts_image_free(&ours);
        }
    }
    for (int s = 0; s < nsrc; s++) ts_image_free(&srcs[s].src);
    return ran;
}

TEST(image_resize_matches_cv2) {
    ts_ctx *ctx = ts_test_ctx();
    static const resize_case cases[] = {
        {224, 224, TS_INTERP_NEAREST, 0.01}, {224, 224, TS_INTERP_BILINEAR, 0.01}, {224, 224, TS_INTERP_AREA, 0.02},
        {256, 256, TS_INTERP_BILINEAR, 0.01}, {256, 256, TS_INTERP_AREA, 0.02},    {100, 37, TS_INTERP_AREA, 0.02},
        {100, 37, TS_INTERP_BILINEAR, 0.01}, {700, 600, TS_INTERP_NEAREST, 0.01}, {700, 600, TS_INTERP_BILINEAR, 0.01},
        {700, 600, TS_INTERP_AREA, 0.02},    {300, 800, TS_INTERP_AREA, 0.02},    {300, 800, TS_INTERP_BILINEAR, 0.01},
        {512, 512, TS_INTERP_BILINEAR, 0.01}, {64, 64, TS_INTERP_AREA, 0.02},     {1, 1, TS_INTERP_AREA, 0.02},
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    resize_source srcs[] = {
        {"photos/bench512/b02_astronaut_center.jpg", 0, cases, n, {0}},
        {"photos/full/camera_man.jpg", 0, cases, n, {0}},    /* gray */
        {"photos/full/chelsea_cat.jpg", 4, cases, n, {0}},   /* 451x300, RGBA */
        {"photos/full/coffee_cup.jpg", 3, cases + 4, 6, {0}}, /* 600x400 */
    };
    compare_with_cv2(ctx, srcs, 4);
}

TEST(image_resize_exact_properties) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(40, 30, 3), out;
    for (int i = 0; i < 3; i++) { /* same size: a copy */
        CHECK_OK(ctx, ts_image_resize(ctx, &src, 40, 30, (ts_interp)i, &out));
        CHECK_EQ_INT(itu_maxdiff(&src, &out), 0);
        ts_image_free(&out);
    }
    /* halving by area: the rounded mean of each 2x2 block */
    CHECK_OK(ctx, ts_image_resize(ctx, &src, 20, 15, TS_INTERP_AREA, &out));
    int ok = 1;
    for (int y = 0; y < 15; y++)
        for (int x = 0; x < 20; x++)
            for (int k = 0; k < 3; k++) {
                int s = itu_px(&src, 2 * x, 2 * y, k) + itu_px(&src, 2 * x + 1, 2 * y, k) +
                        itu_px(&src, 2 * x, 2 * y + 1, k) + itu_px(&src, 2 * x + 1, 2 * y + 1, k);
                ok &= abs(itu_px(&out, x, y, k) * 4 - s) <= 2;
            }
    CHECK(ok);
    ts_image_free(&out);
    /* doubling by nearest: each pixel four times */
    CHECK_OK(ctx, ts_image_resize(ctx, &src, 80, 60, TS_INTERP_NEAREST, &out));
    CHECK_EQ_INT(itu_px(&out, 9, 7, 1), itu_px(&src, 4, 3, 1));
    CHECK_EQ_INT(itu_px(&out, 8, 6, 1), itu_px(&src, 4, 3, 1));
    ts_image_free(&out);
    /* a flat image stays flat, any channel count, into a strided view */
    ts_image flat, big;
    CHECK_OK(ctx, ts_image_alloc(ctx, 13, 7, 5, TS_PIX_U8, &flat));
    memset(flat.data, 77, flat.stride * 7);
    CHECK_OK(ctx, ts_image_alloc(ctx, 50, 50, 5, TS_PIX_U8, &big));
    for (int i = 0; i < 3; i++) {
        ts_image view;
        CHECK_OK(ctx, ts_image_crop(ctx, &big, 3, 4, 29, 17, &view));
        CHECK_OK(ctx, ts_image_resize_into(ctx, &flat, &view, (ts_interp)i));
        CHECK_EQ_INT(((uint8_t *)ts_image_row(&view, 16))[28 * 5 + 4], 77);
        CHECK_EQ_INT(((uint8_t *)ts_image_row(&big, 3))[3 * 5], 0); /* outside the view untouched */
        CHECK_EQ_INT(((uint8_t *)ts_image_row(&big, 4))[32 * 5], 0);
    }
    ts_image_free(&big);
    ts_image_free(&flat);
    ts_image u16 = src;
    u16.type = TS_PIX_U16;
    CHECK_FAILS(ctx, ts_image_resize(ctx, &u16, 5, 5, TS_INTERP_AREA, &out), "8-bit");
    ts_image_free(&src);
}

TEST(image_convert_layouts) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image rgba;
    CHECK_OK(ctx, ts_image_alloc(ctx, 3, 1, 4, TS_PIX_U8, &rgba));
    static const uint8_t px[12] = {255, 0, 0, 10, 0, 255, 0, 20, 10, 20, 200, 30};
    memcpy(rgba.data, px, 12);
    ts_image rgb, gray, back, ga;
    CHECK_OK(ctx, ts_image_convert(ctx, &rgba, 3, &rgb));
    CHECK_EQ_INT(itu_px(&rgb, 2, 0, 2), 200);
    CHECK_OK(ctx, ts_image_convert(ctx, &rgb, 1, &gray));
    CHECK_EQ_INT(itu_px(&gray, 0, 0, 0), 76);  /* cv2.cvtColor RGB2GRAY of pure red */
    CHECK_EQ_INT(itu_px(&gray, 1, 0, 0), 150); /* pure green */
    CHECK_EQ_INT(itu_px(&gray, 2, 0, 0), (10 * 4899 + 20 * 9617 + 200 * 1868 + 8192) >> 14);
    CHECK_OK(ctx, ts_image_convert(ctx, &gray, 4, &back));
    CHECK_EQ_INT(itu_px(&back, 1, 0, 0), 150);
    CHECK_EQ_INT(itu_px(&back, 1, 0, 2), 150);
    CHECK_EQ_INT(itu_px(&back, 1, 0, 3), 255);
    CHECK_OK(ctx, ts_image_convert(ctx, &rgba, 2, &ga)); /* generic path keeps alpha */
    CHECK_EQ_INT(itu_px(&ga, 2, 0, 1), 30);
    CHECK_EQ_INT(itu_px(&ga, 0, 0, 0), 76);
    ts_image_free(&back);
    CHECK_OK(ctx, ts_image_convert(ctx, &rgba, 1, &back));
    CHECK_EQ_INT(itu_px(&back, 0, 0, 0), 76);
    ts_image_free(&back);
    /* 16-bit */
    ts_image g16, c16;
    CHECK_OK(ctx, ts_image_alloc(ctx, 2, 1, 1, TS_PIX_U16, &g16));
    ((uint16_t *)g16.data)[0] = 65535, ((uint16_t *)g16.data)[1] = 1234;
    CHECK_OK(ctx, ts_image_convert(ctx, &g16, 4, &c16));
    CHECK_EQ_INT(((uint16_t *)c16.data)[5], 1234);
    CHECK_EQ_INT(((uint16_t *)c16.data)[7], 65535);
    ts_image_free(&c16);
    CHECK_FAILS(ctx, ts_image_convert(ctx, &g16, 5, &c16), "5 channels");
    ts_image_free(&g16);
    ts_image_free(&ga);
    ts_image_free(&gray);
    ts_image_free(&rgb);
    ts_image_free(&rgba);
}

TEST(image_to_chw_float) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(5, 4, 3), view;
    CHECK_OK(ctx, ts_image_crop(ctx, &src, 1, 1, 3, 2, &view));
    float out[18];
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    CHECK_OK(ctx, ts_image_to_chw_f32(ctx, &view, mean, std, out));
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++)
                CHECK_NEAR(out[(k * 2 + y) * 3 + x], (itu_px(&view, x, y, k) / 255.0 - mean[k]) / std[k], 1e-5);
    CHECK_OK(ctx, ts_image_to_chw_f32(ctx, &view, NULL, NULL, out));
    CHECK_NEAR(out[17], itu_px(&view, 2, 1, 2) / 255.0, 1e-7);
    static const float zero[3] = {1, 0, 1};
    CHECK_FAILS(ctx, ts_image_to_chw_f32(ctx, &view, NULL, zero, out), "std[1]");
    ts_image_free(&src);
}

/* Rows long enough for the vector loop (16 pixels a step) and a tail: the
 * same floats with the vector paths off, and the formula within rounding. */
TEST(image_to_chw_float_vector_rows) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(37, 5, 3);
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    size_t n = 37 * 5 * 3;
    float *fast = malloc(n * sizeof *fast), *plain = malloc(n * sizeof *plain);
    CHECK_OK(ctx, ts_image_to_chw_f32(ctx, &src, mean, std, fast));
    ts_image_simd_level cap = ts_image_simd_cap;
    ts_image_simd_cap = TS_IMAGE_SIMD_NONE;
    CHECK_OK(ctx, ts_image_to_chw_f32(ctx, &src, mean, std, plain));
    ts_image_simd_cap = cap;
    CHECK(memcmp(fast, plain, n * sizeof *fast) == 0);
    double worst = 0;
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 37; x++) {
                double want = (itu_px(&src, x, y, k) / 255.0 - mean[k]) / std[k];
                double d = fabs(fast[(k * 5 + y) * 37 + x] - want);
                if (d > worst) worst = d;
            }
    CHECK(worst < 1e-5);
    free(fast), free(plain);
    ts_image_free(&src);
}

/* Resize `src` to dw x dh with the vector paths capped at `cap`, into a
 * destination view with padded rows. */
static ts_image resize_capped(ts_ctx *ctx, const ts_image *src, int dw, int dh, ts_interp interp,
                              ts_image_simd_level cap) {
    ts_image big = {0}, view = {0};
    CHECK_OK(ctx, ts_image_alloc(ctx, dw + 3, dh, src->c, TS_PIX_U8, &big));
    CHECK_OK(ctx, ts_image_crop(ctx, &big, 1, 0, dw, dh, &view));
    ts_image_simd_cap = cap;
    CHECK_OK(ctx, ts_image_resize_into(ctx, src, &view, interp));
    ts_image_simd_cap = TS_IMAGE_SIMD_AVX512;
    return big;
}

/* Every vector path (AVX-512 word permutes, AVX2, as far as the CPU has
 * them) gives the bytes of the portable loops: shrinks of factors from
 * just over 1 to past the permutes' reach (2.5), growths and mixed axes,
 * one-column sources, 1 to 5 channels, odd widths whose rows end inside a
 * vector, and sources with padded rows. */
TEST(image_resize_vector_paths_match_portable) {
    ts_ctx *ctx = ts_test_ctx();
    static const int dims[][4] = {{512, 512, 224, 224}, {377, 301, 224, 224}, {230, 229, 224, 224},
                                  {561, 100, 224, 41},  {700, 90, 224, 30},   {1000, 37, 129, 5},
                                  {100, 120, 224, 224}, {300, 60, 224, 100},  {1, 50, 7, 20},
                                  {33, 1, 5, 3},        {45, 45, 1, 1},       {3, 5, 2, 2}};
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++)
        for (int c = 1; c <= 5; c++)
            for (int i = 1; i < 3; i++) {
                ts_interp interp = i == 1 ? TS_INTERP_BILINEAR : TS_INTERP_AREA;
                ts_image src = itu_noise(dims[k][0], dims[k][1], c, 3 * (c & 1), k * 8 + (uint64_t)c);
                int dw = dims[k][2], dh = dims[k][3];
                ts_image slow = resize_capped(ctx, &src, dw, dh, interp, TS_IMAGE_SIMD_NONE);
                for (int cap = TS_IMAGE_SIMD_AVX2; cap <= TS_IMAGE_SIMD_AVX512; cap++) {
                    ts_image fast = resize_capped(ctx, &src, dw, dh, interp, (ts_image_simd_level)cap);
                    if (itu_maxdiff(&fast, &slow) != 0)
                        ts_test_failf(__FILE__, __LINE__, "%s %dx%dx%d -> %dx%d: path %d differs from the portable one",
                                      interp_name(interp), src.w, src.h, c, dw, dh, cap);
                    ts_image_free(&fast);
                }
                ts_image_free(&slow);
                free(src.data);
            }
}
