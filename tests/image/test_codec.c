/* Encode/decode round trips for JPEG, PNG (8/16 bit, every layout) and WebP,
 * codec identification, and atomic save + load. */
#include "image_test_util.h"

TEST(image_codec_names_and_sniff) {
    CHECK_STR(ts_codec_name(TS_CODEC_JPEG), "JPEG");
    CHECK_STR(ts_codec_name(TS_CODEC_WEBP), "WebP");
    CHECK_EQ_INT(ts_codec_from_path("a/b/C.JPG"), TS_CODEC_JPEG);
    CHECK_EQ_INT(ts_codec_from_path("x.jpeg"), TS_CODEC_JPEG);
    CHECK_EQ_INT(ts_codec_from_path("x.Png"), TS_CODEC_PNG);
    CHECK_EQ_INT(ts_codec_from_path("x.webp"), TS_CODEC_WEBP);
    CHECK_EQ_INT(ts_codec_from_path("x.tif"), TS_CODEC_UNKNOWN);
    CHECK_EQ_INT(ts_codec_from_path("jpg"), TS_CODEC_UNKNOWN);
    CHECK_EQ_INT(ts_codec_sniff("\xFF\xD8\xFF\xE0", 4), TS_CODEC_JPEG);
    CHECK_EQ_INT(ts_codec_sniff("\x89PNG\r\n\x1a\n", 8), TS_CODEC_PNG);
    CHECK_EQ_INT(ts_codec_sniff("\x89PNG\r\n\x1a", 7), TS_CODEC_UNKNOWN);
    CHECK_EQ_INT(ts_codec_sniff("RIFF\0\0\0\0WEBP", 12), TS_CODEC_WEBP);
    CHECK_EQ_INT(ts_codec_sniff("RIFF\0\0\0\0WAVE", 12), TS_CODEC_UNKNOWN);
    CHECK_EQ_INT(ts_codec_sniff(NULL, 0), TS_CODEC_UNKNOWN);
}

static void roundtrip(ts_ctx *ctx, const ts_image *src, ts_codec codec, int lossless, int quality,
                      const ts_decode_opts *opts, ts_image *out) {
    ts_encode_opts eo = {codec, quality, lossless};
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(ctx, ts_image_encode(ctx, src, &eo, &data, &len));
    CHECK_EQ_INT(ts_codec_sniff(data, len), codec);
    ts_image_header hdr;
    CHECK_OK(ctx, ts_image_probe(ctx, data, len, &hdr));
    CHECK_EQ_INT(hdr.width, src->w);
    CHECK_EQ_INT(hdr.height, src->h);
    memset(out, 0, sizeof *out);
    CHECK_OK(ctx, ts_image_decode(ctx, "roundtrip", data, len, opts, out, NULL));
    free(data);
}

TEST(image_png_roundtrip_8bit_every_layout) {
    ts_ctx *ctx = ts_test_ctx();
    for (int c = 1; c <= 4; c++) {
        ts_image src = itu_pattern(37, 23, c), out;
        ts_decode_opts o = ts_decode_opts_default();
        o.channels = c == 2 ? 0 : c;
        roundtrip(ctx, &src, TS_CODEC_PNG, 0, 0, &o, &out);
        if (c == 2) {
            /* gray+alpha decodes as RGBA: gray replicated, alpha kept */
            CHECK_EQ_INT(out.c, 4);
            CHECK_EQ_INT(itu_px(&out, 5, 7, 0), itu_px(&src, 5, 7, 0));
            CHECK_EQ_INT(itu_px(&out, 5, 7, 2), itu_px(&src, 5, 7, 0));
            CHECK_EQ_INT(itu_px(&out, 5, 7, 3), itu_px(&src, 5, 7, 1));
        } else {
            CHECK_EQ_INT(itu_maxdiff(&src, &out), 0);
        }
        ts_image_free(&src);
        ts_image_free(&out);
    }
}

TEST(image_png_roundtrip_16bit) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src;
    CHECK_OK(ctx, ts_image_alloc(ctx, 9, 5, 3, TS_PIX_U16, &src));
    static const uint16_t probes[] = {0, 65535, 0x8080, 0x1234, 0x00FF, 0xFF00, 32767, 257};
    for (int y = 0; y < 5; y++)
        for (int i = 0; i < 27; i++) ((uint16_t *)ts_image_row(&src, y))[i] = probes[(y * 27 + i) % 8];
    ts_decode_opts o = ts_decode_opts_default();
    o.keep_16bit = 1;
    ts_image out;
    roundtrip(ctx, &src, TS_CODEC_PNG, 0, 0, &o, &out);
    CHECK_EQ_INT(out.type, TS_PIX_U16);
    CHECK_EQ_INT(itu_maxdiff(&src, &out), 0);
    ts_image_free(&out);
    /* Without keep_16bit: v * 255 / 65535, rounded. */
    roundtrip(ctx, &src, TS_CODEC_PNG, 0, 0, NULL, &out);
    CHECK_EQ_INT(out.type, TS_PIX_U8);
    for (int y = 0; y < 5; y++)
        for (int i = 0; i < 27; i++) {
            unsigned v = ((uint16_t *)ts_image_row(&src, y))[i];
            unsigned want = (v * 255u + 32767u) / 65535u;
            CHECK_EQ_INT(((uint8_t *)ts_image_row(&out, y))[i], want);
        }
    ts_image_free(&out);
    ts_image_free(&src);
}

TEST(image_webp_roundtrip) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image rgba = itu_pattern(64, 48, 4), rgb = itu_pattern(64, 48, 3), out;
    roundtrip(ctx, &rgba, TS_CODEC_WEBP, 1, 0, NULL, &out); /* lossless: exact, alpha kept */
    CHECK_EQ_INT(out.c, 4);
    CHECK_EQ_INT(itu_maxdiff(&rgba, &out), 0);
    ts_image_free(&out);
    roundtrip(ctx, &rgb, TS_CODEC_WEBP, 0, 90, NULL, &out);
    CHECK_EQ_INT(out.c, 3);
    CHECK(itu_mad(&rgb, &out) < 3.0);
    ts_image_free(&out);
    /* gray is widened to RGB for WebP and narrowed back on request */
    ts_image gray = itu_pattern(16, 16, 1);
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = 1;
    roundtrip(ctx, &gray, TS_CODEC_WEBP, 1, 0, &o, &out);
    CHECK_EQ_INT(itu_maxdiff(&gray, &out), 0);
    ts_image_free(&out);
    ts_image_free(&gray);
    ts_image_free(&rgba);
    ts_image_free(&rgb);
}

TEST(image_jpeg_roundtrip_quality) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image rgb = itu_pattern(80, 60, 3), gray = itu_pattern(80, 60, 1), out;
    roundtrip(ctx, &rgb, TS_CODEC_JPEG, 0, 95, NULL, &out);
    CHECK_EQ_INT(out.c, 3);
    double hi = itu_mad(&rgb, &out);
    CHECK(hi < 2.5);
    ts_image_free(&out);
    roundtrip(ctx, &rgb, TS_CODEC_JPEG, 0, 20, NULL, &out);
    double lo = itu_mad(&rgb, &out);
    CHECK(lo > hi); /* quality is honoured */
    CHECK(lo < 12);
    ts_image_free(&out);
    roundtrip(ctx, &gray, TS_CODEC_JPEG, 0, 95, NULL, &out);
    CHECK_EQ_INT(out.c, 1);
    CHECK(itu_mad(&gray, &out) < 2.0);
    ts_image_free(&out);
    /* RGBA: alpha dropped on encode, opaque alpha on a 4-channel decode */
    ts_image rgba = itu_pattern(80, 60, 4);
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = 4;
    roundtrip(ctx, &rgba, TS_CODEC_JPEG, 0, 95, &o, &out);
    CHECK_EQ_INT(out.c, 4);
    CHECK_EQ_INT(itu_px(&out, 10, 10, 3), 255);
    CHECK(abs(itu_px(&out, 40, 30, 0) - itu_px(&rgba, 40, 30, 0)) < 8);
    ts_image_free(&out);
    ts_image_free(&rgba);
    ts_image_free(&rgb);
    ts_image_free(&gray);
}

TEST(image_decode_channel_requests) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image rgb = itu_pattern(20, 10, 3), out;
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = 1;
    roundtrip(ctx, &rgb, TS_CODEC_PNG, 0, 0, &o, &out);
    CHECK_EQ_INT(out.c, 1);
    unsigned r = itu_px(&rgb, 3, 4, 0), g = itu_px(&rgb, 3, 4, 1), b = itu_px(&rgb, 3, 4, 2);
    CHECK_EQ_INT(itu_px(&out, 3, 4, 0), (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);
    ts_image_free(&out);
    o.channels = 2;
    CHECK_FAILS(ctx, ts_image_decode(ctx, "x.png", "\x89PNG\r\n\x1a\n", 8, &o, &out, NULL), "x.png");
    o = ts_decode_opts_default();
    o.scale_denom = 3;
    CHECK_FAILS(ctx, ts_image_decode(ctx, "x.png", "\x89PNG\r\n\x1a\n", 8, &o, &out, NULL), "1/3");
    ts_image_free(&rgb);
}

TEST(image_png_scaled_and_cropped_decode) {
    /* PNG has no DCT scaling: the decoder shrinks by area to JPEG's size. */
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(45, 30, 3), out, ref;
    ts_decode_opts o = ts_decode_opts_default();
    o.scale_denom = 4;
    roundtrip(ctx, &src, TS_CODEC_PNG, 0, 0, &o, &out);
    CHECK_EQ_INT(out.w, 12);
    CHECK_EQ_INT(out.h, 8);
    CHECK_OK(ctx, ts_image_resize(ctx, &src, 12, 8, TS_INTERP_AREA, &ref));
    CHECK_EQ_INT(itu_maxdiff(&ref, &out), 0);
    ts_image_free(&out);
    ts_image_free(&ref);
    o = ts_decode_opts_default();
    o.crop_x = 7, o.crop_y = 3, o.crop_w = 11, o.crop_h = 9;
    roundtrip(ctx, &src, TS_CODEC_PNG, 0, 0, &o, &out);
    CHECK_EQ_INT(out.w, 11);
    CHECK_EQ_INT(out.h, 9);
    CHECK_EQ_INT(itu_px(&out, 0, 0, 1), itu_px(&src, 7, 3, 1));
    CHECK_EQ_INT(itu_px(&out, 10, 8, 2), itu_px(&src, 17, 11, 2));
    ts_image_free(&out);
    ts_image_free(&src);
}

TEST(image_save_load_atomic) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    char *png = ts_path_join(dir, "sub/a.png"), *jpg = ts_path_join(dir, "b.JPG"), *webp = ts_path_join(dir, "c.webp");
    ts_image src = itu_pattern(33, 17, 3), out;
    CHECK_OK(ctx, ts_image_save(ctx, png, &src, NULL));
    CHECK_OK(ctx, ts_image_save(ctx, jpg, &src, NULL));
    ts_encode_opts lossless = {0, 0, 1};
    CHECK_OK(ctx, ts_image_save(ctx, webp, &src, &lossless));
    ts_image_header h;
    CHECK_OK(ctx, ts_image_probe_file(ctx, jpg, &h));
    CHECK_EQ_INT(h.codec, TS_CODEC_JPEG); /* codec from the extension */
    CHECK_OK(ctx, ts_image_probe_file(ctx, webp, &h));
    CHECK_EQ_INT(h.codec, TS_CODEC_WEBP);
    CHECK_OK(ctx, ts_image_load(ctx, png, NULL, &out, NULL));
    CHECK_EQ_INT(itu_maxdiff(&src, &out), 0);
    ts_image_free(&out);
    CHECK_OK(ctx, ts_image_load(ctx, webp, NULL, &out, NULL));
    CHECK_EQ_INT(itu_maxdiff(&src, &out), 0);
    ts_image_free(&out);
    /* nothing but the three outputs (no temporaries left behind) */
    char **names;
    size_t n;
    CHECK_OK(ctx, ts_dir_list(ctx, dir, &names, &n));
    CHECK_EQ_INT(n, 3);
    ts_strings_free(names, n);
    /* a failed encode leaves the old file whole */
    ts_image f32 = src;
    f32.type = TS_PIX_F32;
    CHECK_FAILS(ctx, ts_image_save(ctx, png, &f32, NULL), "float");
    CHECK_OK(ctx, ts_image_load(ctx, png, NULL, &out, NULL));
    CHECK_EQ_INT(out.w, 33);
    ts_image_free(&out);
    CHECK_FAILS(ctx, ts_image_load(ctx, "/nonexistent/x.png", NULL, &out, NULL), "/nonexistent/x.png");
    ts_image_free(&src);
    free(png);
    free(jpg);
    free(webp);
}

TEST(image_alloc_limits_and_views) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image img;
    CHECK_OK(ctx, ts_image_alloc(ctx, 5, 4, 3, TS_PIX_U16, &img));
    CHECK_EQ_INT(img.stride, 30);
    CHECK_EQ_INT(((uint16_t *)img.data)[59], 0);
    ts_image_free(&img);
    CHECK(img.data == NULL);
    ts_image_free(NULL);
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_pixels = 1000;
    ts_ctx_set_limits(ctx, &lim);
    CHECK_FAILS(ctx, ts_image_alloc(ctx, 40, 40, 1, TS_PIX_U8, &img), "max_pixels");
    CHECK_FAILS(ctx, ts_image_check_size(ctx, 100000, 100000, "big.png"), "big.png: 100000x100000");
    lim.max_dimension = 30;
    ts_ctx_set_limits(ctx, &lim);
    CHECK_FAILS(ctx, ts_image_check_size(ctx, 31, 2, "tall"), "max_dimension");
    CHECK_EQ_INT(ts_image_check_size(ctx, 30, 30, "ok"), TS_OK);
    CHECK_FAILS(ctx, ts_image_alloc(ctx, 0, 4, 1, TS_PIX_U8, &img), "0x4");

    ts_image src = itu_pattern(10, 8, 3), view, copy;
    CHECK_OK(ctx, ts_image_crop(ctx, &src, 2, 3, 5, 4, &view));
    CHECK(view.data == (uint8_t *)src.data + 3 * src.stride + 6);
    CHECK_EQ_INT(view.stride, src.stride);
    CHECK_OK(ctx, ts_image_copy(ctx, &view, &copy));
    CHECK_EQ_INT(copy.stride, 15);
    CHECK_EQ_INT(itu_px(&copy, 4, 3, 2), itu_px(&src, 6, 6, 2));
    CHECK_FAILS(ctx, ts_image_crop(ctx, &src, 6, 0, 5, 1, &view), "does not fit");
    CHECK_FAILS(ctx, ts_image_crop(ctx, &src, -1, 0, 5, 1, &view), "does not fit");
    ts_image_free(&copy);
    ts_image_free(&src);
}
