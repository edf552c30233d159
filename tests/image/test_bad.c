/* Bad input: truncated and damaged JPEG/PNG/WebP bytes, headers claiming
 * 100000x100000 pixels, garbage. Each must fail with the right status and
 * a message naming the file, leave the output untouched, and not crash. */
#include "image_test_util.h"

/* Decode must fail with `status` and a message holding `needle`; the output
 * view must stay as it was. */
static void expect_decode_fails(ts_ctx *ctx, const char *name, const uint8_t *data, size_t len, ts_status status,
                                const char *needle) {
    ts_image out;
    memset(&out, 0x5A, sizeof out);
    ts_ctx_clear_error(ctx);
    ts_status s = ts_image_decode(ctx, name, data, len, NULL, &out, NULL);
    if (!CHECK(s == status)) fprintf(stderr, "  %s (%zu bytes): %s: %s\n", name, len, ts_status_name(s), ts_ctx_error(ctx));
    if (!CHECK(strstr(ts_ctx_error(ctx), needle))) fprintf(stderr, "  message: %s\n", ts_ctx_error(ctx));
    CHECK(out.w == 0x5A5A5A5A);
    if (s == TS_OK) ts_image_free(&out);
    ts_ctx_clear_error(ctx);
}

TEST(image_bad_truncated_jpeg) {
    ts_ctx *ctx = ts_test_ctx();
    static const char *files[] = {"photos/bench512/b02_astronaut_center.jpg", "photos/full/aitzgorri_meadow.jpg",
                                  "photos/full/camera_man.jpg"};
    for (int f = 0; f < 3; f++) {
        size_t len;
        uint8_t *data = itu_read_shared(files[f], &len);
        if (!CHECK(data)) continue;
        /* Down to a missing EOI: as strict as Pillow, since a progressive
         * file cut between scans would otherwise pass as a blurred one. */
        size_t cuts[] = {1, 2, 3, 20, 300, len / 3, len / 2, len * 9 / 10, len - 200, len - 2};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
            expect_decode_fails(ctx, "cut.jpg", data, cuts[i], TS_ERR_CORRUPT, "cut.jpg");
        /* a crop of the top of a baseline file needs none of the tail (a
         * progressive one needs every scan) */
        ts_decode_opts o = ts_decode_opts_default();
        o.crop_w = o.crop_h = 16;
        ts_image img;
        ts_status s = ts_image_decode(ctx, "top.jpg", data, len * 9 / 10, &o, &img, NULL);
        CHECK_EQ_INT(s, f == 1 ? TS_ERR_CORRUPT : TS_OK);
        if (s == TS_OK) CHECK_EQ_INT(img.w, 16);
        ts_image_free(&img);
        ts_ctx_clear_error(ctx);
        free(data);
    }
}

TEST(image_bad_damaged_jpeg) {
    ts_ctx *ctx = ts_test_ctx();
    size_t len;
    uint8_t *data = itu_read_shared("photos/bench512/b02_astronaut_center.jpg", &len);
    if (!CHECK(data)) return;
    uint8_t *copy = malloc(len);
    /* a marker in the middle of the entropy-coded data */
    memcpy(copy, data, len);
    copy[len / 2] = 0xFF, copy[len / 2 + 1] = 0xD9;
    expect_decode_fails(ctx, "marker.jpg", copy, len, TS_ERR_CORRUPT, "marker.jpg: corrupt JPEG");
    /* garbage instead of the tables */
    memcpy(copy, data, len);
    for (size_t i = 4; i < 400; i++) copy[i] = (uint8_t)(i * 37);
    expect_decode_fails(ctx, "garbage.jpg", copy, len, TS_ERR_CORRUPT, "garbage.jpg");
    /* zeroed run of scan data: decoding must end without crashing */
    memcpy(copy, data, len);
    memset(copy + len / 3, 0, 4096);
    ts_image img;
    if (ts_image_decode(ctx, "zeros.jpg", copy, len, NULL, &img, NULL) == TS_OK) {
        CHECK_EQ_INT(img.w, 512);
        ts_image_free(&img);
    }
    ts_ctx_clear_error(ctx);
    free(copy);
    free(data);
}

/* Rewrite the first SOF's height and width. */
static void patch_sof(uint8_t *d, size_t len, unsigned w, unsigned h) {
    for (size_t i = 2; i + 9 < len; i++)
        if (d[i] == 0xFF && d[i + 1] >= 0xC0 && d[i + 1] <= 0xC2) {
            d[i + 5] = (uint8_t)(h >> 8), d[i + 6] = (uint8_t)h;
            d[i + 7] = (uint8_t)(w >> 8), d[i + 8] = (uint8_t)w;
            return;
        }
}

TEST(image_bad_huge_dimensions) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image_header h;
    /* PNG whose IHDR claims 100000x100000 (and no pixel data) */
    itu_bytes png = itu_png(100000, 100000, 8, 2, NULL, 0, NULL, 0, NULL, 0);
    CHECK_FAILS(ctx, ts_image_probe(ctx, png.data, png.len, &h), "100000x100000");
    CHECK_EQ_INT(ts_image_probe(ctx, png.data, png.len, &h), TS_ERR_LIMIT);
    expect_decode_fails(ctx, "huge.png", png.data, png.len, TS_ERR_LIMIT, "huge.png: 100000x100000");
    free(png.data);
    /* JPEG's largest: 65000x65000 in a real file's SOF */
    size_t len;
    uint8_t *jpeg = itu_read_shared("photos/full/chelsea_cat.jpg", &len);
    if (CHECK(jpeg)) {
        patch_sof(jpeg, len, 65000, 65000);
        CHECK_FAILS(ctx, ts_image_probe(ctx, jpeg, len, &h), "65000x65000");
        expect_decode_fails(ctx, "huge.jpg", jpeg, len, TS_ERR_LIMIT, "huge.jpg: 65000x65000");
        /* and a size within limits that disagrees with the data */
        patch_sof(jpeg, len, 900, 700);
        expect_decode_fails(ctx, "lies.jpg", jpeg, len, TS_ERR_CORRUPT, "lies.jpg");
        patch_sof(jpeg, len, 0, 300);
        expect_decode_fails(ctx, "zero.jpg", jpeg, len, TS_ERR_CORRUPT, "width 0");
        free(jpeg);
    }
    /* WebP VP8X canvas of 100000x100000 */
    uint8_t webp[30] = {'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0, 0, 0, 0, 0};
    uint32_t m = 100000 - 1;
    webp[24] = webp[27] = (uint8_t)m, webp[25] = webp[28] = (uint8_t)(m >> 8), webp[26] = webp[29] = (uint8_t)(m >> 16);
    expect_decode_fails(ctx, "huge.webp", webp, sizeof webp, TS_ERR_LIMIT, "100000x100000");
    /* a lowered limit applies to real files too */
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_pixels = 512 * 511;
    ts_ctx_set_limits(ctx, &lim);
    CHECK_FAILS(ctx, ts_image_probe_file(ctx, ts_test_shared("photos/full/astronaut.jpg"), &h), "max_pixels");
}

TEST(image_bad_png) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(64, 64, 3);
    uint8_t *data;
    size_t len;
    ts_encode_opts eo = {TS_CODEC_PNG, 0, 0};
    CHECK_OK(ctx, ts_image_encode(ctx, &src, &eo, &data, &len));
    size_t cuts[] = {8, 20, 33, 40, len / 2, len - 13};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        expect_decode_fails(ctx, "cut.png", data, cuts[i], TS_ERR_CORRUPT, "cut.png");
    /* a flipped byte inside IDAT fails its CRC */
    data[len / 2] ^= 0x55;
    expect_decode_fails(ctx, "flip.png", data, len, TS_ERR_CORRUPT, "flip.png: corrupt PNG");
    free(data);
    /* zero width, bad colour type / depth pair */
    itu_bytes b = itu_png(0, 5, 8, 2, NULL, 0, NULL, 0, NULL, 0);
    expect_decode_fails(ctx, "zero.png", b.data, b.len, TS_ERR_CORRUPT, "zero.png: corrupt PNG header");
    free(b.data);
    b = itu_png(5, 5, 4, 2, NULL, 0, NULL, 0, NULL, 0);
    expect_decode_fails(ctx, "depth.png", b.data, b.len, TS_ERR_CORRUPT, "bit depth");
    free(b.data);
    /* IHDR only, no image data */
    b = itu_png(5, 5, 8, 2, NULL, 0, NULL, 0, NULL, 0);
    expect_decode_fails(ctx, "empty.png", b.data, b.len, TS_ERR_CORRUPT, "empty.png");
    free(b.data);
    ts_image_free(&src);
}

TEST(image_bad_webp_and_garbage) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(40, 30, 3);
    ts_encode_opts eo = {TS_CODEC_WEBP, 80, 0};
    uint8_t *data;
    size_t len;
    CHECK_OK(ctx, ts_image_encode(ctx, &src, &eo, &data, &len));
    size_t cuts[] = {12, 16, 25, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        expect_decode_fails(ctx, "cut.webp", data, cuts[i], TS_ERR_CORRUPT, "cut.webp");
    free(data);
    expect_decode_fails(ctx, "text.jpg", (const uint8_t *)"hello, this is not an image", 27, TS_ERR_UNSUPPORTED,
                        "text.jpg: not a JPEG, PNG or WebP image");
    expect_decode_fails(ctx, "empty.jpg", (const uint8_t *)"", 0, TS_ERR_CORRUPT, "empty.jpg");
    expect_decode_fails(ctx, NULL, (const uint8_t *)"\xFF\xD8\xFF", 3, TS_ERR_CORRUPT, "image data: corrupt JPEG");
    ts_image_free(&src);
}
