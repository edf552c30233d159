/* IDX reader and writer: Fashion-MNIST from Debian, Datumaro's MNIST
 * fixture (whose count field holds N*784), round trips and bad files. */
#include <stdlib.h>
#include <zlib.h>

#include "../test.h"

#define FASHION "/usr/share/datasets/fashion-mnist"

static size_t count_split(const ts_dataset *ds, const char *split) {
    size_t n = 0;
    for (size_t i = 0; i < ts_dataset_image_count(ds); i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        n += strcmp(e.split, split) == 0;
    }
    return n;
}

TEST(idx_fashion_mnist) {
    ts_ctx *ctx = ts_test_ctx();
    if (!ts_dir_exists(FASHION)) {
        ts_test_failf(__FILE__, __LINE__, "%s missing (install dataset-fashion-mnist)", FASHION);
        return;
    }
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, FASHION, NULL, NULL, &ds));
    if (!ds) return;
    CHECK_STR(ts_dataset_meta(ds, "format"), "idx");
    CHECK_STR(ts_dataset_meta(ds, "classes"), "Fashion-MNIST");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 70000);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 70000);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 10);
    CHECK_EQ_INT(count_split(ds, "train"), 60000);
    CHECK_EQ_INT(count_split(ds, "test"), 10000);
    size_t ci;
    CHECK(ts_dataset_find_category_name(ds, "Ankle boot", &ci));
    CHECK_EQ_INT(ts_dataset_category_id(ds, ci), 9);
    CHECK(ts_dataset_find_category_name(ds, "T-shirt/top", &ci));
    CHECK_EQ_INT(ts_dataset_category_id(ds, ci), 0);

    /* 6000 train and 1000 test images per class */
    long per[2][10] = {{0}};
    for (size_t a = 0; a < ts_dataset_annotation_count(ds); a++) {
        ts_annotation ann;
        ts_dataset_annotation(ds, a, &ann);
        size_t ii;
        CHECK(ann.kind == TS_ANN_LABEL);
        if (!ts_dataset_find_image(ds, ann.image_id, &ii) || ann.category_id < 0 || ann.category_id > 9) continue;
        ts_image_entry e;
        ts_dataset_image(ds, ii, &e);
        per[strcmp(e.split, "test") == 0][ann.category_id]++;
    }
    for (int k = 0; k < 10; k++) {
        CHECK_EQ_INT(per[0][k], 6000);
        CHECK_EQ_INT(per[1][k], 1000);
    }

    /* first train image: pixels equal the bytes of the gz file, read here */
    uint8_t want[784], hdr[16];
    gzFile gz = gzopen(FASHION "/train-images-idx3-ubyte.gz", "rb");
    CHECK(gz != NULL);
    CHECK_EQ_INT(gzread(gz, hdr, 16), 16);
    CHECK_EQ_INT(gzread(gz, want, 784), 784);
    gzclose(gz);
    uint8_t lab[9];
    gz = gzopen(FASHION "/train-labels-idx1-ubyte.gz", "rb");
    CHECK_EQ_INT(gzread(gz, lab, 9), 9);
    gzclose(gz);
    size_t first;
    CHECK(ts_dataset_find_image_path(ds, "train/00000.png", &first));
    ts_image_entry e;
    ts_dataset_image(ds, first, &e);
    CHECK_EQ_INT(e.width, 28);
    CHECK_EQ_INT(e.height, 28);
    ts_image img;
    CHECK_OK(ctx, ts_dataset_load_image(ctx, ds, first, NULL, &img, NULL));
    CHECK_EQ_INT(img.w, 28);
    CHECK_EQ_INT(img.c, 1);
    int same = 1;
    for (int y = 0; y < 28; y++)
        same &= memcmp(ts_image_row(&img, y), want + 28 * y, 28) == 0;
    CHECK(same);
    ts_image_free(&img);
    const size_t *anns;
    size_t na;
    CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, first, &anns, &na));
    CHECK_EQ_INT(na, 1);
    CHECK_EQ_INT(ts_dataset_annotation_category_id(ds, anns[0]), lab[8]);
    /* no encoded bytes: writers encode PNG */
    uint8_t *bytes = NULL;
    size_t blen = 0;
    ts_status s = ts_dataset_image_bytes(ctx, ds, first, &bytes, &blen);
    if (s == TS_OK) {
        CHECK(ts_codec_sniff(bytes, blen) == TS_CODEC_PNG);
        free(bytes);
    }
    ts_ctx_clear_error(ctx);
    ts_dataset_destroy(ds);
}

TEST(idx_datumaro_fixture) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/mnist"), "idx", NULL, &ds));
    if (!ds) return;
    CHECK(ts_test_warnings >= 2); /* both image files carry N*784 */
    CHECK_STR(ts_dataset_meta(ds, "classes"), "MNIST");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 5);
    CHECK_EQ_INT(count_split(ds, "train"), 2);
    CHECK_EQ_INT(count_split(ds, "test"), 3);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 10);
    size_t ci;
    CHECK(ts_dataset_find_category_name(ds, "7", &ci));
    CHECK_EQ_INT(ts_dataset_category_id(ds, ci), 7);
    /* train labels 5 7, test labels 0 2 1, in file order */
    const int want[5] = {5, 7, 0, 2, 1};
    const char *paths[5] = {"train/00000.png", "train/00001.png", "test/00000.png", "test/00001.png",
                            "test/00002.png"};
    for (int i = 0; i < 5; i++) {
        size_t ii;
        CHECK(ts_dataset_find_image_path(ds, paths[i], &ii));
        const size_t *anns;
        size_t na;
        CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, ii, &anns, &na));
        CHECK_EQ_INT(na, 1);
        if (na) CHECK_EQ_INT(ts_dataset_annotation_category_id(ds, anns[0]), want[i]);
    }
    ts_dataset_destroy(ds);
}

/* ---- hand-made IDX files ------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Write images (count field `declared`, `present` images of w x h with
 * pixel value = index*10 + row) and labels (count field `nlabels`). */
static void write_idx(const char *dir, uint32_t declared, uint32_t present, uint32_t w, uint32_t h,
                      uint32_t nlabels, int gzip) {
    ts_ctx *ctx = ts_test_ctx();
    size_t n = 16 + (size_t)present * w * h;
    uint8_t *img = calloc(1, n);
    img[2] = 8, img[3] = 3;
    put32(img + 4, declared), put32(img + 8, h), put32(img + 12, w);
    for (uint32_t i = 0; i < present; i++)
        for (uint32_t y = 0; y < h; y++) memset(img + 16 + ((size_t)i * h + y) * w, (int)(i * 10 + y), w);
    uint8_t lab[8 + 64] = {0, 0, 8, 1};
    put32(lab + 4, nlabels);
    for (uint32_t i = 0; i < nlabels && i < 64; i++) lab[8 + i] = (uint8_t)(i % 3);
    char *ip = ts_path_join(dir, gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte");
    char *lp = ts_path_join(dir, "train-labels-idx1-ubyte");
    if (gzip) {
        gzFile g = gzopen(ip, "wb");
        gzwrite(g, img, (unsigned)n);
        gzclose(g);
    } else {
        CHECK_OK(ctx, ts_file_write_atomic(ctx, ip, img, n));
    }
    CHECK_OK(ctx, ts_file_write_atomic(ctx, lp, lab, 8 + (nlabels < 64 ? nlabels : 64)));
    free(ip);
    free(lp);
    free(img);
}

TEST(idx_raw_and_gzip_small) {
    ts_ctx *ctx = ts_test_ctx();
    for (int gz = 0; gz < 2; gz++) {
        const char *dir = ts_test_tmpdir();
        write_idx(dir, 4, 4, 3, 2, 4, gz);
        ts_dataset *ds = NULL;
        CHECK_OK(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds));
        if (!ds) return;
        CHECK_EQ_INT(ts_dataset_image_count(ds), 4);
        ts_image img;
        size_t ii;
        CHECK(ts_dataset_find_image_path(ds, "train/00003.png", &ii));
        CHECK_OK(ctx, ts_dataset_load_image(ctx, ds, ii, NULL, &img, NULL));
        CHECK_EQ_INT(img.w, 3);
        CHECK_EQ_INT(img.h, 2);
        CHECK_EQ_INT(((uint8_t *)ts_image_row(&img, 1))[2], 31);
        ts_image_free(&img);
        const size_t *anns;
        size_t na;
        CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, ii, &anns, &na));
        CHECK_EQ_INT(na, 1);
        if (na) CHECK_EQ_INT(ts_dataset_annotation_category_id(ds, anns[0]), 0); /* 3 % 3 */
        ts_dataset_destroy(ds);
    }
}

TEST(idx_bad_files) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    const char *dir = ts_test_tmpdir();
    /* header says 10, three present */
    write_idx(dir, 10, 3, 4, 4, 10, 1);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "idx", NULL, &ds), "truncated");
    /* lenient keeps the whole images, warns */
    ts_ctx_set_lenient(ctx, 1);
    write_idx(dir, 10, 3, 4, 4, 3, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "idx", NULL, &ds));
    if (ds) CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
    CHECK(ts_test_warnings > 0);
    ts_dataset_destroy(ds);
    ds = NULL;
    ts_ctx_set_lenient(ctx, 0);
    /* labels count differs */
    write_idx(dir, 4, 4, 4, 4, 5, 0);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "idx", NULL, &ds), "5 labels for the 4 images");
    /* huge dimensions */
    write_idx(dir, 1, 0, 100000, 100000, 1, 0);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "idx", NULL, &ds), "100000");
    /* not IDX */
    char *ip = ts_path_join(dir, "train-images-idx3-ubyte");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, ip, "GIF89a..........", 16));
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "idx", NULL, &ds), "not an IDX file");
    /* a cut gzip stream */
    uint8_t buf[600];
    memset(buf, 7, sizeof buf);
    buf[0] = buf[1] = 0, buf[2] = 8, buf[3] = 3;
    put32(buf + 4, 36), put32(buf + 8, 4), put32(buf + 12, 4);
    gzFile g = gzopen(ip, "wb");
    gzwrite(g, buf, sizeof buf);
    gzclose(g);
    uint8_t *whole;
    size_t wl;
    CHECK_OK(ctx, ts_file_read(ctx, ip, &whole, &wl));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, ip, whole, wl / 2));
    free(whole);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "idx", NULL, &ds), "train-images-idx3-ubyte");
    free(ip);
    /* a directory without IDX files */
    const char *empty = ts_test_tmpdir();
    CHECK_FAILS(ctx, ts_dataset_read(ctx, empty, "idx", NULL, &ds), "no IDX images file");
    CHECK(ds == NULL);
}

TEST(idx_round_trip) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL, *back = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/mnist"), "idx", NULL, &ds));
    if (!ds) return;
    const char *tmp = ts_test_tmpdir();
    char *out = ts_path_join(tmp, "fashion-out");
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "idx", NULL));
    char *lt = ts_path_join(out, "labels.txt");
    CHECK(ts_file_exists(lt));
    free(lt);
    CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, &back));
    if (back) {
        /* labels.txt wins over the "fashion" in the directory's name */
        CHECK_STR(ts_dataset_meta(back, "classes"), "labels.txt");
        CHECK_EQ_INT(ts_dataset_image_count(back), 5);
        CHECK_EQ_INT(count_split(back, "test"), 3);
        for (size_t i = 0; i < 5; i++) {
            ts_image_entry a, b;
            ts_dataset_image(ds, i, &a);
            size_t j;
            CHECK(ts_dataset_find_image_path(back, a.path, &j));
            ts_dataset_image(back, j, &b);
            CHECK_STR(b.split, a.split);
            ts_image pa, pb;
            CHECK_OK(ctx, ts_dataset_load_image(ctx, ds, i, NULL, &pa, NULL));
            CHECK_OK(ctx, ts_dataset_load_image(ctx, back, j, NULL, &pb, NULL));
            CHECK(pa.w == pb.w && pa.h == pb.h && memcmp(pa.data, pb.data, (size_t)pa.w * pa.h) == 0);
            ts_image_free(&pa);
            ts_image_free(&pb);
            const size_t *x, *y;
            size_t nx, ny;
            CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, i, &x, &nx));
            long cx = nx ? (long)ts_dataset_annotation_category_id(ds, x[0]) : -1;
            CHECK_OK(ctx, ts_dataset_image_annotations(ctx, back, j, &y, &ny));
            long cy = ny ? (long)ts_dataset_annotation_category_id(back, y[0]) : -1;
            CHECK_EQ_INT(cx, cy);
        }
        size_t ci;
        CHECK(ts_dataset_find_category_name(back, "9", &ci));
    }
    ts_dataset_destroy(back);
    free(out);
    ts_dataset_destroy(ds);
}

/* Two images of different sizes from a pixel source: the writer refuses. */
static ts_status sized_load(void *user, ts_ctx *ctx, uint64_t key, ts_image *out) {
    (void)user;
    return ts_image_alloc(ctx, key ? 8 : 4, 4, 1, TS_PIX_U8, out);
}

TEST(idx_write_refuses_mixed_sizes) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    ts_pixel_source_fns fns = {sized_load, NULL, NULL};
    ts_pixel_source *src;
    CHECK_OK(ctx, ts_pixel_source_create(ctx, &fns, NULL, &src));
    uint32_t origin;
    CHECK_OK(ctx, ts_dataset_add_origin(ctx, ds, "", src, &origin));
    ts_pixel_source_release(src);
    ts_category c = ts_category_empty();
    c.id = 1, c.name = "thing";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    for (int i = 0; i < 2; i++) {
        ts_image_entry e = ts_image_entry_empty();
        e.id = i + 1, e.path = i ? "b.png" : "a.png", e.origin = origin, e.pixel_key = (uint64_t)i;
        CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
        ts_annotation a = ts_annotation_empty();
        a.id = i + 1, a.image_id = i + 1, a.category_id = 1;
        CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    }
    char *out = ts_path_join(ts_test_tmpdir(), "out");
    CHECK_FAILS(ctx, ts_dataset_write(ctx, ds, out, "idx", NULL), "one size");
    CHECK(!ts_dir_exists(out)); /* no partial output */
    free(out);
    ts_dataset_destroy(ds);
}
