/* JPEG specifics on real photographs: DCT-scaled decode sizes and pixels,
 * cropped decode against the full decode's crop, EXIF orientation (APP1
 * blocks written here by hand) applied and reported. */
#include <stdio.h>
/* after stdio.h: jpeglib.h needs FILE and size_t */
#include <jpeglib.h>

#include "image_test_util.h"

static ts_image decode(ts_ctx *ctx, const uint8_t *data, size_t len, const ts_decode_opts *o, ts_decode_info *info) {
    ts_image img = {0};
    CHECK_OK(ctx, ts_image_decode(ctx, "test.jpg", data, len, o, &img, info));
    return img;
}

TEST(image_jpeg_scaled_decode_sizes) {
    ts_ctx *ctx = ts_test_ctx();
    size_t len;
    uint8_t *data = itu_read_shared("photos/full/chelsea_cat.jpg", &len); /* 451x300 */
    if (!CHECK(data)) return;
    static const int want[4][3] = {{1, 451, 300}, {2, 226, 150}, {4, 113, 75}, {8, 57, 38}};
    for (int i = 0; i < 4; i++) {
        ts_decode_opts o = ts_decode_opts_default();
        o.scale_denom = want[i][0];
        ts_decode_info info;
        ts_image img = decode(ctx, data, len, &o, &info);
        CHECK_EQ_INT(img.w, want[i][1]);
        CHECK_EQ_INT(img.h, want[i][2]);
        CHECK_EQ_INT(img.c, 3);
        CHECK_EQ_INT(info.header.width, 451); /* the file's own size */
        ts_image_free(&img);
    }
    free(data);
}

TEST(image_jpeg_scaled_decode_pixels) {
    /* On a 512x512 photo the DCT-scaled picture is the block average of the
     * full one, up to the codec's rounding and chroma handling. */
    ts_ctx *ctx = ts_test_ctx();
    size_t len;
    uint8_t *data = itu_read_shared("photos/bench512/b06_chelsea_cat_center.jpg", &len);
    if (!CHECK(data)) return;
    ts_image full = decode(ctx, data, len, NULL, NULL);
    for (int d = 2; d <= 8; d *= 2) {
        ts_decode_opts o = ts_decode_opts_default();
        o.scale_denom = d;
        ts_image img = decode(ctx, data, len, &o, NULL), ref;
        CHECK_EQ_INT(img.w, 512 / d);
        CHECK_OK(ctx, ts_image_resize(ctx, &full, img.w, img.h, TS_INTERP_AREA, &ref));
        double mad = itu_mad(&img, &ref);
        if (!CHECK(mad < 1.5)) fprintf(stderr, "  scale 1/%d: mean diff %.3f\n", d, mad);
        ts_image_free(&ref);
        ts_image_free(&img);
    }
    ts_image_free(&full);
    free(data);
}

/* Crops at unaligned offsets, at full and reduced scale, equal the same
 * rectangle of the full decode at that scale, exactly. */
static void check_crops_of(ts_ctx *ctx, const char *rel, uint8_t *data, size_t len, int channels) {
    static const int scales[3] = {1, 2, 8};
    for (int si = 0; si < 3; si++) {
        ts_decode_opts o = ts_decode_opts_default();
        o.scale_denom = scales[si];
        o.channels = channels;
        ts_image full = decode(ctx, data, len, &o, NULL);
        int rects[5][4] = {{0, 0, full.w, full.h},
                           {16 / scales[si], 16 / scales[si], full.w / 2, full.h / 3},
                           {full.w / 3 + 1, full.h / 4 + 3, full.w / 3, full.h / 2},
                           {full.w - 7, full.h - 5, 7, 5},
                           {5, 0, 1, full.h}};
        for (int r = 0; r < 5; r++) {
            o.crop_x = rects[r][0], o.crop_y = rects[r][1], o.crop_w = rects[r][2], o.crop_h = rects[r][3];
            ts_decode_info info;
            ts_image img = decode(ctx, data, len, &o, &info), view;
            CHECK_EQ_INT(info.crop_x, o.crop_x);
            CHECK_EQ_INT(info.crop_y, o.crop_y);
            CHECK_OK(ctx, ts_image_crop(ctx, &full, o.crop_x, o.crop_y, o.crop_w, o.crop_h, &view));
            long d = itu_maxdiff(&img, &view);
            if (!CHECK(d == 0))
                fprintf(stderr, "  %s 1/%d crop %d: max diff %ld mad %.4f\n", rel, scales[si], r, d, itu_mad(&img, &view));
            ts_image_free(&img);
        }
        o.crop_x = full.w - 3, o.crop_y = 0, o.crop_w = 4, o.crop_h = 1;
        ts_image img;
        CHECK_FAILS(ctx, ts_image_decode(ctx, "test.jpg", data, len, &o, &img, NULL), "does not fit");
        ts_image_free(&full);
    }
    free(data);
}

static void check_crops(ts_ctx *ctx, const char *rel, int channels) {
    size_t len;
    uint8_t *data = itu_read_shared(rel, &len);
    if (CHECK(data)) check_crops_of(ctx, rel, data, len, channels);
}

TEST(image_jpeg_crop_equals_full_crop) {
    ts_ctx *ctx = ts_test_ctx();
    check_crops(ctx, "photos/full/chelsea_cat.jpg", 0);            /* baseline 4:2:0 */
    check_crops(ctx, "photos/bench512/b02_astronaut_center.jpg", 4); /* RGBA out */
    check_crops(ctx, "photos/full/camera_man.jpg", 0);             /* gray */
    check_crops(ctx, "photos/full/dogs_window.jpg", 1);            /* progressive, to gray */
    /* A progressive file whose scans leave AC terms unsent: libjpeg would
     * smooth the blocks, differently for a window than for the whole image,
     * so the decoder turns smoothing off and the crops stay exact. */
    const char *incomplete = "fuzz/seeds/image/progressive_incomplete.jpg";
    uint8_t *data;
    size_t len;
    ts_status st = ts_file_read(ctx, incomplete, &data, &len);
    CHECK_OK(ctx, st);
    if (st == TS_OK) check_crops_of(ctx, incomplete, data, len, 1);
}

/* A w x h RGB gradient encoded by libjpeg with luma sampled h0 x v0 and
 * both chroma components 1 x 1 (malloc'd bytes). */
static uint8_t *encode_sampled(int w, int h, int h0, int v0, int progressive, size_t *len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *out = NULL;
    unsigned long size = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &size);
    c.image_width = (JDIMENSION)w, c.image_height = (JDIMENSION)h;
    c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    c.comp_info[0].h_samp_factor = h0, c.comp_info[0].v_samp_factor = v0;
    for (int k = 1; k < 3; k++) c.comp_info[k].h_samp_factor = c.comp_info[k].v_samp_factor = 1;
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * 3);
    while (c.next_scanline < c.image_height) {
        unsigned y = c.next_scanline;
        for (int x = 0; x < w; x++)
            row[3 * x] = (unsigned char)(x * 5), row[3 * x + 1] = (unsigned char)y, row[3 * x + 2] = (unsigned char)(x * y);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *len = size;
    return out;
}

/* Sampling ratios other than 1 and 2 (luma 3x1, 1x4, 2x4, 4x2 over 1x1
 * chroma) go through libjpeg's generic upsampler, which gives a window
 * other pixels than the whole image at reduced scale: such files are
 * decoded whole rows from the top, and their crops stay exact too. */
TEST(image_jpeg_crop_exact_with_unusual_sampling) {
    ts_ctx *ctx = ts_test_ctx();
    static const int sampling[][3] = {{1, 2, 0}, {3, 1, 0}, {1, 4, 1}, {2, 4, 0}, {4, 2, 0}};
    for (size_t i = 0; i < sizeof sampling / sizeof *sampling; i++) {
        size_t len;
        uint8_t *data = encode_sampled(51, 197, sampling[i][0], sampling[i][1], sampling[i][2], &len);
        char label[64];
        snprintf(label, sizeof label, "luma %dx%d%s", sampling[i][0], sampling[i][1], sampling[i][2] ? " progressive" : "");
        if (CHECK(data && len > 0)) check_crops_of(ctx, label, data, len, 0);
    }
}

/* At 1/8 a progressive photo decoded from its first DC scan is the full
 * decode's picture but for the DC bits refined later (a grey level or
 * two, never enough to move its hash much); a baseline photo, and colour
 * out of 4:2:0 chroma (whose scaled IDCT reads AC terms), ignore the
 * option. A file cut after its DC scans still decodes so (the documented
 * trade), while the default decode calls it corrupt. */
static void check_dc_scans(ts_ctx *ctx, const char *rel, int channels, long max_diff, double max_mean) {
    size_t len;
    uint8_t *data = itu_read_shared(rel, &len);
    if (!CHECK(data)) return;
    ts_decode_opts o = ts_decode_opts_default();
    o.scale_denom = 8;
    o.channels = channels;
    ts_image full = decode(ctx, data, len, &o, NULL);
    o.dc_scans_only = 1;
    ts_image dc = decode(ctx, data, len, &o, NULL);
    long d = itu_maxdiff(&full, &dc);
    if (!CHECK(d <= max_diff && itu_mad(&full, &dc) <= max_mean))
        fprintf(stderr, "  %s, %d channels: max diff %ld, mean %.3f\n", rel, channels, d, itu_mad(&full, &dc));
    uint64_t a = 0, b = 0;
    CHECK_OK(ctx, ts_phash(ctx, &full, TS_PHASH_DCT, &a));
    CHECK_OK(ctx, ts_phash(ctx, &dc, TS_PHASH_DCT, &b));
    CHECK(ts_hamming64(a, b) <= 2);
    ts_image_free(&full);
    ts_image_free(&dc);
    free(data);
}

TEST(image_jpeg_dc_scans_only) {
    ts_ctx *ctx = ts_test_ctx();
    check_dc_scans(ctx, "photos/full/dogs_window.jpg", 1, 2, 0.5); /* progressive */
    check_dc_scans(ctx, "photos/full/wine_room.jpg", 1, 2, 0.5);   /* progressive */
    /* progressive 4:4:4 colour: the coarser chroma quantiser shows more */
    check_dc_scans(ctx, "photos/full/wine_room.jpg", 3, 4, 1.5);
    check_dc_scans(ctx, "photos/full/dogs_window.jpg", 3, 0, 0); /* 4:2:0 colour: passed over */
    check_dc_scans(ctx, "photos/full/chelsea_cat.jpg", 1, 0, 0); /* baseline: passed over */
    size_t len;
    uint8_t *data = itu_read_shared("photos/full/dogs_window.jpg", &len);
    if (!CHECK(data)) return;
    ts_decode_opts o = ts_decode_opts_default();
    o.scale_denom = 8;
    o.channels = 1;
    ts_image img;
    size_t cut = len / 2; /* past the first DC scan, inside the AC ones */
    CHECK_FAILS(ctx, ts_image_decode(ctx, "cut.jpg", data, cut, &o, &img, NULL), "corrupt");
    o.dc_scans_only = 1;
    ts_image whole = decode(ctx, data, len, &o, NULL), dc = decode(ctx, data, cut, &o, NULL);
    CHECK_EQ_INT(itu_maxdiff(&whole, &dc), 0);
    ts_image_free(&dc);
    ts_image_free(&whole);
    free(data);
}

TEST(image_orient_all_eight) {
    /* 3x2 image 1..6; each orientation's upright result written out. */
    static const uint8_t want[8][6] = {{1, 2, 3, 4, 5, 6}, {3, 2, 1, 6, 5, 4}, {6, 5, 4, 3, 2, 1}, {4, 5, 6, 1, 2, 3},
                                       {1, 4, 2, 5, 3, 6}, {4, 1, 5, 2, 6, 3}, {6, 3, 5, 2, 4, 1}, {3, 6, 2, 5, 1, 4}};
    ts_ctx *ctx = ts_test_ctx();
    ts_image src;
    CHECK_OK(ctx, ts_image_alloc(ctx, 3, 2, 1, TS_PIX_U8, &src));
    for (int i = 0; i < 6; i++) ((uint8_t *)src.data)[i] = (uint8_t)(i + 1);
    for (int o = 1; o <= 8; o++) {
        ts_image out;
        CHECK_OK(ctx, ts_image_orient(ctx, &src, o, &out));
        CHECK_EQ_INT(out.w, o >= 5 ? 2 : 3);
        CHECK_EQ_INT(out.h, o >= 5 ? 3 : 2);
        int same = 1;
        for (int y = 0; y < out.h; y++)
            for (int x = 0; x < out.w; x++) same &= itu_px(&out, x, y, 0) == want[o - 1][y * out.w + x];
        if (!CHECK(same)) fprintf(stderr, "  orientation %d\n", o);
        ts_image_free(&out);
    }
    ts_image out;
    CHECK_FAILS(ctx, ts_image_orient(ctx, &src, 9, &out), "orientation 9");
    ts_image_free(&src);
    /* 16-bit, 3 channels, and a view with padding in its stride */
    ts_image big;
    CHECK_OK(ctx, ts_image_alloc(ctx, 70, 90, 3, TS_PIX_U16, &big));
    for (int y = 0; y < 90; y++)
        for (int i = 0; i < 210; i++) ((uint16_t *)ts_image_row(&big, y))[i] = (uint16_t)(y * 1000 + i);
    ts_image view, r6, back;
    CHECK_OK(ctx, ts_image_crop(ctx, &big, 3, 4, 60, 80, &view));
    CHECK_OK(ctx, ts_image_orient(ctx, &view, 6, &r6));
    CHECK_OK(ctx, ts_image_orient(ctx, &r6, 8, &back)); /* 90 clockwise then 90 counter-clockwise */
    ts_image viewcopy;
    CHECK_OK(ctx, ts_image_copy(ctx, &view, &viewcopy));
    CHECK_EQ_INT(itu_maxdiff(&viewcopy, &back), 0);
    /* rotate 90 clockwise: top-left of the result is the bottom-left of the source */
    CHECK_EQ_INT(((uint16_t *)ts_image_row(&r6, 0))[1], ((uint16_t *)ts_image_row(&view, 79))[1]);
    ts_image_free(&viewcopy);
    ts_image_free(&r6);
    ts_image_free(&back);
    ts_image_free(&big);
}

TEST(image_jpeg_exif_orientation) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image src = itu_pattern(48, 32, 3);
    ts_encode_opts eo = {TS_CODEC_JPEG, 95, 0};
    uint8_t *jpeg;
    size_t len;
    CHECK_OK(ctx, ts_image_encode(ctx, &src, &eo, &jpeg, &len));
    ts_image plain = decode(ctx, jpeg, len, NULL, NULL);
    for (int o = 1; o <= 8; o++) {
        itu_bytes b = itu_jpeg_with_exif(jpeg, len, o, o % 2);
        ts_image_header h;
        CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
        CHECK_EQ_INT(h.orientation, o);
        CHECK_EQ_INT(h.width, 48);
        int ow, oh;
        ts_image_header_oriented_size(&h, &ow, &oh);
        CHECK_EQ_INT(ow, o >= 5 ? 32 : 48);
        ts_decode_info info;
        ts_image img = decode(ctx, b.data, b.len, NULL, &info), ref;
        CHECK_EQ_INT(info.header.orientation, o);
        CHECK_EQ_INT(info.orientation_applied, o != 1);
        CHECK_EQ_INT(img.w, ow);
        CHECK_OK(ctx, ts_image_orient(ctx, &plain, o, &ref));
        CHECK_EQ_INT(itu_maxdiff(&img, &ref), 0);
        /* a crop is taken in the upright picture */
        ts_decode_opts opt = ts_decode_opts_default();
        opt.crop_x = 5, opt.crop_y = 9, opt.crop_w = 17, opt.crop_h = 11;
        ts_image crop = decode(ctx, b.data, b.len, &opt, NULL), view;
        CHECK_OK(ctx, ts_image_crop(ctx, &ref, 5, 9, 17, 11, &view));
        CHECK_EQ_INT(itu_maxdiff(&crop, &view), 0);
        ts_image_free(&crop);
        /* not applied: stored pixels, orientation still reported */
        opt = ts_decode_opts_default();
        opt.apply_orientation = 0;
        ts_image raw = decode(ctx, b.data, b.len, &opt, &info);
        CHECK_EQ_INT(info.orientation_applied, 0);
        CHECK_EQ_INT(info.header.orientation, o);
        CHECK_EQ_INT(itu_maxdiff(&raw, &plain), 0);
        ts_image_free(&raw);
        ts_image_free(&ref);
        ts_image_free(&img);
        free(b.data);
    }
    /* malformed EXIF blocks read as orientation 1 */
    itu_bytes b = itu_jpeg_with_exif(jpeg, len, 9, 0);
    ts_image_header h;
    CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
    CHECK_EQ_INT(h.orientation, 1);
    b.data[2 + 4 + 6 + 2] = 43; /* TIFF magic */
    b.data[12] = b.data[13] = 'I';
    CHECK_OK(ctx, ts_image_probe(ctx, b.data, b.len, &h));
    CHECK_EQ_INT(h.orientation, 1);
    free(b.data);
    ts_image_free(&plain);
    ts_image_free(&src);
    free(jpeg);
}

TEST(image_jpeg_matches_photos_metadata) {
    /* The photos' own EXIF (hubble_deep_field: orientation 1, Photoshop). */
    ts_ctx *ctx = ts_test_ctx();
    ts_image_header h;
    CHECK_OK(ctx, ts_image_probe_file(ctx, ts_test_shared("photos/full/hubble_deep_field.jpg"), &h));
    CHECK_EQ_INT(h.width, 1000);
    CHECK_EQ_INT(h.height, 872);
    CHECK_EQ_INT(h.orientation, 1);
}
