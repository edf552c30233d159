/* WebDataset shards: round trips of labels, boxes, polygons and attributes,
 * .cls/.txt samples, compressed shards, and hostile or broken tars. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include "../test.h"

typedef struct {
    const char *name;
    const void *data;
    size_t len;
} member;

static void make_tar(const char *path, const member *m, size_t n, int gzip) {
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip) archive_write_add_filter_gzip(a);
    CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, m[i].name);
        archive_entry_set_size(e, (la_int64_t)m[i].len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_write_header(a, e);
        archive_write_data(a, m[i].data, m[i].len);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

/* A small gray PNG whose pixels are v + x + y. */
static uint8_t *png(int w, int h, int v, size_t *len) {
    ts_ctx *ctx = ts_test_ctx();
    ts_image img;
    uint8_t *data = NULL;
    if (ts_image_alloc(ctx, w, h, 1, TS_PIX_U8, &img) != TS_OK) return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) ((uint8_t *)ts_image_row(&img, y))[x] = (uint8_t)(v + x + y);
    ts_encode_opts eo = {TS_CODEC_PNG, 0, 0};
    CHECK_OK(ctx, ts_image_encode(ctx, &img, &eo, &data, len));
    ts_image_free(&img);
    return data;
}

static ts_status gen_load(void *user, ts_ctx *ctx, uint64_t key, ts_image *out) {
    (void)user;
    ts_status s = ts_image_alloc(ctx, 6, 4, 1, TS_PIX_U8, out);
    if (s == TS_OK) memset(out->data, (int)(10 + key), 24);
    return s;
}

static ts_dataset *sample_dataset(void) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    ts_pixel_source_fns fns = {gen_load, NULL, NULL};
    ts_pixel_source *src;
    CHECK_OK(ctx, ts_pixel_source_create(ctx, &fns, NULL, &src));
    uint32_t origin;
    CHECK_OK(ctx, ts_dataset_add_origin(ctx, ds, "", src, &origin));
    ts_pixel_source_release(src);
    ts_category c = ts_category_empty();
    c.id = 3, c.name = "cat", c.supercategory = "animal";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    c.id = 7, c.name = "dog";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    const char *paths[3] = {"a/one.v2.jpg", "two.png", "three.png"};
    const char *splits[3] = {"train", "train", "val"};
    ts_attr attrs[2] = {{"weather", "rain", TS_ATTR_STRING}, {"hour", "17", TS_ATTR_NUMBER}};
    for (int i = 0; i < 3; i++) {
        ts_image_entry e = ts_image_entry_empty();
        e.id = 100 + i, e.path = paths[i], e.split = splits[i], e.origin = origin, e.pixel_key = (uint64_t)i;
        e.width = 6, e.height = 4, e.license = 2;
        if (i == 0) e.attrs = attrs, e.n_attrs = 2;
        CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
    }
    ts_annotation a = ts_annotation_empty();
    a.id = 1, a.image_id = 100, a.category_id = 3, a.kind = TS_ANN_BOX, a.flags = TS_ANN_HAS_BOX | TS_ANN_HAS_SCORE;
    a.bbox[0] = 0.5, a.bbox[1] = 1.25, a.bbox[2] = 3.1, a.bbox[3] = 2, a.score = 0.875;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    static const double coords[] = {0, 0, 4, 0, 4, 3, 1, 1, 2, 1, 2, 2};
    static const uint32_t rings[] = {6, 6};
    a = ts_annotation_empty();
    a.id = 2, a.image_id = 101, a.category_id = 7, a.kind = TS_ANN_POLYGON, a.flags = TS_ANN_HAS_BOX;
    a.bbox[2] = 4, a.bbox[3] = 3, a.coords = coords, a.ring_sizes = rings, a.n_rings = 2;
    a.attrs = attrs, a.n_attrs = 1;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    a = ts_annotation_empty();
    a.id = 3, a.image_id = 102, a.category_id = 7;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    return ds;
}

TEST(wds_round_trip) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = sample_dataset(), *back = NULL;
    char *out = ts_path_join(ts_test_tmpdir(), "shards");
    ts_write_opts wo = {0};
    wo.shard_size = 1;
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "wds", &wo));
    const char *want[] = {"train-000000.tar", "train-000001.tar", "val-000000.tar", "classes.json"};
    for (int i = 0; i < 4; i++) {
        char *p = ts_path_join(out, want[i]);
        CHECK(ts_file_exists(p));
        free(p);
    }
    CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, &back));
    if (back) {
        CHECK_STR(ts_dataset_meta(back, "format"), "wds");
        CHECK_EQ_INT(ts_dataset_image_count(back), 3);
        CHECK_EQ_INT(ts_dataset_annotation_count(back), 3);
        CHECK_EQ_INT(ts_dataset_category_count(back), 2);
        size_t k;
        CHECK(ts_dataset_find_category(back, 3, &k));
        ts_category c;
        ts_dataset_category(back, k, &c);
        CHECK_STR(c.name, "cat");
        CHECK_STR(c.supercategory, "animal");
        /* the key of "a/one.v2.jpg" keeps its directory, its dot becomes '_' */
        CHECK(ts_dataset_find_image(back, 100, &k));
        ts_image_entry e;
        ts_dataset_image(back, k, &e);
        CHECK_STR(e.path, "a/one_v2.jpg"); /* encoded as its path says */
        CHECK_STR(e.split, "train");
        CHECK_EQ_INT(e.width, 6);
        CHECK_EQ_INT(e.license, 2);
        CHECK_EQ_INT(e.n_attrs, 2);
        if (e.n_attrs == 2) {
            CHECK_STR(e.attrs[0].value, "rain");
            CHECK_STR(e.attrs[1].value, "17");
            CHECK(e.attrs[1].type == TS_ATTR_NUMBER);
        }
        ts_image img;
        CHECK_OK(ctx, ts_dataset_load_image(ctx, back, k, NULL, &img, NULL));
        CHECK(img.w == 6 && img.h == 4 && ((uint8_t *)img.data)[5] == 10);
        ts_image_free(&img);
        ts_annotation a;
        CHECK(ts_dataset_find_annotation(back, 1, &k));
        ts_dataset_annotation(back, k, &a);
        CHECK(a.kind == TS_ANN_BOX);
        CHECK_NEAR(a.bbox[0], 0.5, 1e-9);
        CHECK_NEAR(a.bbox[2], 3.1, 1e-9);
        CHECK_NEAR(a.score, 0.875, 1e-9);
        CHECK(ts_dataset_find_annotation(back, 2, &k));
        ts_dataset_annotation(back, k, &a);
        CHECK(a.kind == TS_ANN_POLYGON);
        CHECK_EQ_INT(a.n_rings, 2);
        if (a.n_rings == 2) CHECK_NEAR(a.coords[11], 2, 0);
        CHECK_EQ_INT(a.image_id, 101);
        CHECK(ts_dataset_find_annotation(back, 3, &k));
        ts_dataset_annotation(back, k, &a);
        CHECK(a.kind == TS_ANN_LABEL);
        CHECK_EQ_INT(a.category_id, 7);
        CHECK(ts_dataset_find_image(back, 102, &k));
        ts_dataset_image(back, k, &e);
        CHECK_STR(e.split, "val");
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(out);
}

/* Plain WebDataset classification shards: .png + .cls, class names from a
 * classes.json list; .txt names; a gzipped shard served from memory. */
TEST(wds_cls_txt_and_gzip) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    size_t l0, l1, l2;
    uint8_t *p0 = png(3, 2, 0, &l0), *p1 = png(5, 1, 50, &l1), *p2 = png(2, 2, 99, &l2);
    char long_dir[300];
    memset(long_dir, 'd', 200);
    strcpy(long_dir + 200, "/s1.png");
    char long_cls[300];
    memset(long_cls, 'd', 200);
    strcpy(long_cls + 200, "/s1.cls");
    member m[] = {{"s0.png", p0, l0}, {"s0.cls", "1\n", 2}, {long_dir, p1, l1}, {long_cls, "0", 1},
                  {"x/s2.png", p2, l2}, {"x/s2.txt", " zebra \n", 8}, {"s3.npy", "junk", 4}};
    char *tar = ts_path_join(dir, "train-000000.tar");
    make_tar(tar, m, 7, 0);
    char *gz = ts_path_join(dir, "test-000000.tar.gz");
    member g[] = {{"t0.png", p2, l2}, {"t0.cls", "2", 1}};
    make_tar(gz, g, 2, 1);
    char *classes = ts_path_join(dir, "classes.json");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, classes, "[\"ant\", \"bee\", \"cow\"]", 21));
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 4);
        CHECK(ts_test_warnings >= 1); /* s3.npy ignored, said so */
        size_t k, n;
        const size_t *anns;
        CHECK(ts_dataset_find_image_path(ds, "s0.png", &k));
        CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, k, &anns, &n));
        CHECK(n == 1 && ts_dataset_annotation_category_id(ds, anns[0]) == 1);
        CHECK(ts_dataset_find_category_name(ds, "bee", &k) && ts_dataset_category_id(ds, k) == 1);
        CHECK(ts_dataset_find_category_name(ds, "zebra", &k));
        CHECK(ts_dataset_find_image_path(ds, long_dir, &k));
        ts_image_entry e;
        ts_dataset_image(ds, k, &e);
        CHECK_EQ_INT(e.width, 5);
        CHECK_STR(e.split, "train");
        uint8_t *bytes;
        size_t len;
        CHECK_OK(ctx, ts_dataset_image_bytes(ctx, ds, k, &bytes, &len));
        CHECK(len == l1 && memcmp(bytes, p1, len) == 0);
        free(bytes);
        CHECK(ts_dataset_find_image_path(ds, "t0.png", &k));
        ts_dataset_image(ds, k, &e);
        CHECK_STR(e.split, "test");
        CHECK_OK(ctx, ts_dataset_image_bytes(ctx, ds, k, &bytes, &len));
        CHECK(len == l2 && memcmp(bytes, p2, len) == 0);
        free(bytes);
        ts_image img;
        CHECK_OK(ctx, ts_dataset_load_image(ctx, ds, k, NULL, &img, NULL));
        CHECK(img.w == 2 && ((uint8_t *)ts_image_row(&img, 1))[1] == 101);
        ts_image_free(&img);
    }
    ts_dataset_destroy(ds);
    free(tar), free(gz), free(classes), free(p0), free(p1), free(p2);
}

TEST(wds_bad_tars) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    ts_dataset *ds = NULL;
    size_t l;
    uint8_t *p = png(2, 2, 0, &l);
    char *tar = ts_path_join(dir, "bad.tar");
    member up[] = {{"../evil.png", p, l}};
    make_tar(tar, up, 1, 0);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, tar, NULL, NULL, &ds), "..");
    member abs[] = {{"/etc/evil.png", p, l}};
    make_tar(tar, abs, 1, 0);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, tar, "wds", NULL, &ds), "/etc/evil.png");
    /* cut in the middle of a member */
    member ok[] = {{"a.png", p, l}, {"a.json", "{\"annotations\":[]}", 18}, {"b.png", p, l}};
    make_tar(tar, ok, 3, 0);
    uint8_t *whole;
    size_t wl;
    CHECK_OK(ctx, ts_file_read(ctx, tar, &whole, &wl));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, tar, whole, 512 + 40));
    CHECK_FAILS(ctx, ts_dataset_read(ctx, tar, "wds", NULL, &ds), "bad.tar");
    /* not a tar at all */
    CHECK_OK(ctx, ts_file_write_atomic(ctx, tar, "hello, world", 12));
    CHECK_FAILS(ctx, ts_dataset_read(ctx, tar, "wds", NULL, &ds), "bad tar");
    /* bad JSON in a sample names the member */
    member bj[] = {{"a.png", p, l}, {"a.json", "{\"annotations\":[{\"bbox\":[1,2]}]}", 31}};
    make_tar(tar, bj, 2, 0);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, tar, "wds", NULL, &ds), "a.json");
    member dup[] = {{"a.png", p, l}, {"b.png", p, l}, {"a.cls", "1", 1}};
    make_tar(tar, dup, 3, 0);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, tar, "wds", NULL, &ds), "appears twice");
    CHECK(ds == NULL);
    /* the whole, unbroken shard reads */
    CHECK_OK(ctx, ts_file_write_atomic(ctx, tar, whole, wl));
    CHECK_OK(ctx, ts_dataset_read(ctx, tar, "wds", NULL, &ds));
    if (ds) CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    ts_dataset_destroy(ds);
    free(whole);
    free(tar);
    free(p);
}
