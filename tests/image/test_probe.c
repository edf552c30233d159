/* Header probing: sizes and layouts of the real photos without decoding,
 * PNG colour types (palette, tRNS, low bit depths, 16 bit), WebP chunks,
 * and files whose frame header lies far into the file. */
#include "image_test_util.h"

TEST(image_probe_photos_full) {
    ts_ctx *ctx = ts_test_ctx();
    static const struct {
        const char *name;
        int w, h, c;
    } known[] = {{"aitzgorri_meadow.jpg", 3088, 2056, 3}, {"ascent_stairs.jpg", 512, 512, 1},
                 {"chelsea_cat.jpg", 451, 300, 3},        {"dogs_window.jpg", 2056, 3088, 3},
                 {"grace_hopper.jpg", 512, 600, 3},       {"wine_room.jpg", 2560, 3837, 3},
                 {"clock_motion_blur.jpg", 400, 300, 1},  {"hubble_deep_field.jpg", 1000, 872, 3}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "photos/full/%s", known[i].name);
        ts_image_header h;
        CHECK_OK(ctx, ts_image_probe_file(ctx, ts_test_shared(rel), &h));
        CHECK_EQ_INT(h.codec, TS_CODEC_JPEG);
        CHECK_EQ_INT(h.width, known[i].w);
        CHECK_EQ_INT(h.height, known[i].h);
        CHECK_EQ_INT(h.channels, known[i].c);
        CHECK_EQ_INT(h.bit_depth, 8);
    }
    /* Every photo: the probe agrees with a 1/8 decode's file header and size. */
    char **names;
    size_t n;
    CHECK_OK(ctx, ts_dir_list(ctx, ts_test_shared("photos/full"), &names, &n));
    CHECK_EQ_INT(n, 27);
    for (size_t i = 0; i < n; i++) {
        char *path = ts_path_join(ts_test_shared("photos/full"), names[i]);
        ts_image_header h;
        ts_decode_info info;
        ts_image img;
        ts_decode_opts o = ts_decode_opts_default();
        o.scale_denom = 8;
        CHECK_OK(ctx, ts_image_probe_file(ctx, path, &h));
        CHECK_OK(ctx, ts_image_load(ctx, path, &o, &img, &info));
        CHECK_EQ_INT(h.width, info.header.width);
        CHECK_EQ_INT(h.height, info.header.height);
        CHECK_EQ_INT(img.w, (h.width + 7) / 8);
        CHECK_EQ_INT(img.c, h.channels);
        ts_image_free(&img);
        free(path);
    }
    ts_strings_free(names, n);
}

TEST(image_probe_bench512) {
    ts_ctx *ctx = ts_test_ctx();
    char **names;
    size_t n, jpegs = 0;
    CHECK_OK(ctx, ts_dir_list(ctx, ts_test_shared("photos/bench512"), &names, &n));
    for (size_t i = 0; i < n; i++) {
        if (ts_codec_from_path(names[i]) != TS_CODEC_JPEG) continue;
        char *path = ts_path_join(ts_test_shared("photos/bench512"), names[i]);
        ts_image_header h;
        CHECK_OK(ctx, ts_image_probe_file(ctx, path, &h));
        jpegs += h.width == 512 && h.height == 512 && h.channels == 3 && h.orientation == 1;
        free(path);
    }
    CHECK_EQ_INT(jpegs, 64);
    ts_strings_free(names, n);
}

TEST(image_probe_late_frame_header) {
    /* Three maximal APP2 segments (~192 KiB) before the SOF: probe_file
     * must read on past its first guesses. */
    ts_ctx *ctx = ts_test_ctx();
    size_t len;
    uint8_t *jpeg = itu_read_shared("photos/full/chelsea_cat.jpg", &len);
    if (!CHECK(jpeg)) return;
    itu_bytes b = {0};
    itu_put(&b, jpeg, 2);
    uint8_t *seg = calloc(1, 65537);
    seg[0] = 0xFF, seg[1] = 0xE2, seg[2] = 0xFF, seg[3] = 0xFF;
    for (int i = 0; i < 3; i++) itu_put(&b, seg, 65537);
    itu_put(&b, jpeg + 2, len - 2);
    char *path = ts_path_join(ts_test_tmpdir(), "late.jpg");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, path, b.data, b.len));
    ts_image_header h;
    CHECK_OK(ctx, ts_image_probe_file(ctx, path, &h));
    CHECK_EQ_INT(h.width, 451);
    CHECK_EQ_INT(h.height, 300);
    /* the same head in memory is a truncated header */
    CHECK_FAILS(ctx, ts_image_probe(ctx, b.data, 100000, &h), "truncated");
    ts_image img;
    CHECK_OK(ctx, ts_image_decode(ctx, "late.jpg", b.data, b.len, NULL, &img, NULL));
    CHECK_EQ_INT(img.w, 451);
    ts_image_free(&img);
    free(b.data);
    free(seg);
    free(path);
    free(jpeg);
}

TEST(image_png_palette_trns_lowbit) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image_header h;
    ts_image img;
    /* 4x2 palette image, 2 bits per index, with tRNS: RGBA out */
    static const uint8_t plte[9] = {255, 0, 0, 0, 255, 0, 0, 0, 255};
    static const uint8_t trns[2] = {0, 128};
    uint8_t rows[2] = {0x06, 0x90}; /* row 0: 0,0,1,2; row 1: 2,1,0,0 */
    itu_bytes b = itu_png(4, 2, 2, 3, rows, 1, plte, 9, trns, 2);
    CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
    CHECK_EQ_INT(h.channels, 4);
    CHECK_EQ_INT(h.bit_depth, 8);
    CHECK_OK(ctx, ts_image_decode(ctx, "pal.png", b.data, b.len, NULL, &img, NULL));
    CHECK_EQ_INT(img.c, 4);
    CHECK_EQ_INT(itu_px(&img, 0, 0, 3), 0);   /* index 0: alpha 0 */
    CHECK_EQ_INT(itu_px(&img, 2, 0, 1), 255); /* index 1: green */
    CHECK_EQ_INT(itu_px(&img, 2, 0, 3), 128);
    CHECK_EQ_INT(itu_px(&img, 3, 0, 2), 255); /* index 2: blue, opaque */
    CHECK_EQ_INT(itu_px(&img, 3, 0, 3), 255);
    CHECK_EQ_INT(itu_px(&img, 0, 1, 2), 255);
    ts_image_free(&img);
    free(b.data);
    /* palette without tRNS: RGB */
    b = itu_png(4, 2, 2, 3, rows, 1, plte, 9, NULL, 0);
    CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
    CHECK_EQ_INT(h.channels, 3);
    CHECK_OK(ctx, ts_image_decode(ctx, "pal.png", b.data, b.len, NULL, &img, NULL));
    CHECK_EQ_INT(img.c, 3);
    CHECK_EQ_INT(itu_px(&img, 0, 0, 0), 255);
    ts_image_free(&img);
    free(b.data);
    /* 1-bit gray: 0 and 1 become 0 and 255 */
    uint8_t bits[2] = {0xA0, 0x50}; /* 1010, 0101 */
    b = itu_png(4, 2, 1, 0, bits, 1, NULL, 0, NULL, 0);
    CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
    CHECK_EQ_INT(h.channels, 1);
    CHECK_OK(ctx, ts_image_decode(ctx, "bits.png", b.data, b.len, NULL, &img, NULL));
    CHECK_EQ_INT(img.c, 1);
    CHECK_EQ_INT(itu_px(&img, 0, 0, 0), 255);
    CHECK_EQ_INT(itu_px(&img, 1, 0, 0), 0);
    CHECK_EQ_INT(itu_px(&img, 1, 1, 0), 255);
    ts_image_free(&img);
    free(b.data);
    /* 8-bit gray with a tRNS key: gray+alpha, decoded as RGBA */
    uint8_t gray[8] = {10, 20, 30, 20, 20, 40, 50, 60};
    uint8_t key[2] = {0, 20};
    b = itu_png(4, 2, 8, 0, gray, 4, NULL, 0, key, 2);
    CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
    CHECK_EQ_INT(h.channels, 2);
    CHECK_OK(ctx, ts_image_decode(ctx, "key.png", b.data, b.len, NULL, &img, NULL));
    CHECK_EQ_INT(img.c, 4);
    CHECK_EQ_INT(itu_px(&img, 0, 0, 1), 10);
    CHECK_EQ_INT(itu_px(&img, 0, 0, 3), 255);
    CHECK_EQ_INT(itu_px(&img, 1, 0, 3), 0);
    CHECK_EQ_INT(itu_px(&img, 0, 1, 3), 0);
    ts_image_free(&img);
    free(b.data);
}

TEST(image_png_16bit_fixture) {
    /* KITTI instance masks: 16-bit gray, 5x1 (Datumaro's test assets). */
    ts_ctx *ctx = ts_test_ctx();
    const char *p = ts_test_shared("interop/datumaro/kitti/kitti_segmentation/training/instance/000030_10.png");
    ts_image_header h;
    CHECK_OK(ctx, ts_image_probe_file(ctx, p, &h));
    CHECK_EQ_INT(h.width, 5);
    CHECK_EQ_INT(h.height, 1);
    CHECK_EQ_INT(h.channels, 1);
    CHECK_EQ_INT(h.bit_depth, 16);
    ts_decode_opts o = ts_decode_opts_default();
    o.keep_16bit = 1;
    ts_image img16, img8;
    CHECK_OK(ctx, ts_image_load(ctx, p, &o, &img16, NULL));
    CHECK_OK(ctx, ts_image_load(ctx, p, NULL, &img8, NULL));
    CHECK_EQ_INT(img16.type, TS_PIX_U16);
    CHECK_EQ_INT(img8.type, TS_PIX_U8);
    for (int x = 0; x < 5; x++) {
        unsigned v = ((uint16_t *)img16.data)[x];
        CHECK_EQ_INT(((uint8_t *)img8.data)[x], (v * 255u + 32767u) / 65535u);
    }
    ts_image_free(&img16);
    ts_image_free(&img8);
}

TEST(image_webp_probe_chunks) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image rgb = itu_pattern(31, 17, 3), rgba = itu_pattern(31, 17, 4);
    struct {
        const ts_image *img;
        int lossless, channels;
        const char *chunk;
    } cases[] = {{&rgb, 0, 3, "VP8 "}, {&rgb, 1, 3, "VP8L"}, {&rgba, 1, 4, "VP8L"}, {&rgba, 0, 4, "VP8X"}};
    for (int i = 0; i < 4; i++) {
        ts_encode_opts eo = {TS_CODEC_WEBP, 80, cases[i].lossless};
        uint8_t *data;
        size_t len;
        CHECK_OK(ctx, ts_image_encode(ctx, cases[i].img, &eo, &data, &len));
        CHECK(memcmp(data + 12, cases[i].chunk, 4) == 0);
        ts_image_header h;
        CHECK_OK(ctx, ts_image_probe(ctx, data, len, &h));
        CHECK_EQ_INT(h.codec, TS_CODEC_WEBP);
        CHECK_EQ_INT(h.width, 31);
        CHECK_EQ_INT(h.height, 17);
        CHECK_EQ_INT(h.channels, cases[i].channels);
        free(data);
    }
    ts_image_free(&rgb);
    ts_image_free(&rgba);
}
