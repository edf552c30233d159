/* YOLO reader and writer: Datumaro's and Roboflow's fixtures with their box
 * values, mixed box/polygon rows, round trips to 1e-6 px, bad input. */
#include <stdlib.h>

#include "formats/yolo_internal.h"
#include "yolo_testutil.h"

/* Referenced here so a static link pulls the format in (the registry's
 * references are weak). */
extern const ts_format ts_format_yolo;

TEST(yolo_is_registered) { CHECK(ts_format_find("yolo") == &ts_format_yolo); }

static ts_dataset *read_yolo(ts_ctx *ctx, const char *rel) {
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared(rel), "yolo", NULL, &ds));
    return ds;
}

int yt_ann(const ts_dataset *ds, const char *path, size_t k, ts_annotation *out) {
    size_t index;
    const size_t *anns;
    size_t n;
    if (!ts_dataset_find_image_path(ds, path, &index)) return 0;
    if (ts_dataset_image_annotations(NULL, ds, index, &anns, &n) != TS_OK || k >= n) return 0;
    ts_dataset_annotation(ds, anns[k], out);
    return 1;
}

void yt_check_box(const ts_annotation *a, int64_t cat, double x, double y, double w, double h, double eps) {
    CHECK_EQ_INT(a->category_id, cat);
    CHECK_NEAR(a->bbox[0], x, eps);
    CHECK_NEAR(a->bbox[1], y, eps);
    CHECK_NEAR(a->bbox[2], w, eps);
    CHECK_NEAR(a->bbox[3], h, eps);
}

/* Datumaro's two boxes on a 15x10 image. */
static void check_datumaro_pair(const ts_dataset *ds, const char *path) {
    ts_annotation a;
    if (!CHECK(yt_ann(ds, path, 0, &a))) return;
    CHECK_EQ_INT(a.kind, TS_ANN_BOX);
    yt_check_box(&a, 2, 0, 2, 4, 2, 1e-4);
    if (!CHECK(yt_ann(ds, path, 1, &a))) return;
    yt_check_box(&a, 4, 3, 3, 2, 3, 1e-4);
}

static void check_label_names(const ts_dataset *ds, size_t n) {
    CHECK_EQ_INT(ts_dataset_category_count(ds), n);
    for (size_t i = 0; i < n && i < ts_dataset_category_count(ds); i++) {
        ts_category c;
        ts_dataset_category(ds, i, &c);
        char want[32];
        snprintf(want, sizeof want, "label_%zu", i);
        CHECK_EQ_INT(c.id, (int64_t)i);
        CHECK_STR(c.name, want);
    }
}

TEST(yolo_reads_darknet_strict_layout) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = read_yolo(ctx, "interop/datumaro/yolo/strict");
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 2);
    check_label_names(ds, 10);
    ts_image_entry img;
    ts_dataset_image(ds, 0, &img);
    CHECK_STR(img.path, "obj_train_data/1.jpg");
    CHECK_STR(img.split, "train");
    CHECK_EQ_INT(img.width, 15);
    CHECK_EQ_INT(img.height, 10);
    check_datumaro_pair(ds, "obj_train_data/1.jpg");
    ts_dataset_destroy(ds);
}

TEST(yolo_reads_loose_and_ultralytics_layouts) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = read_yolo(ctx, "interop/datumaro/yolo/annotations");
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
        check_label_names(ds, 10);
        check_datumaro_pair(ds, "Images/1.jpg");
        ts_dataset_destroy(ds);
    }
    ds = read_yolo(ctx, "interop/datumaro/yolo/labels");
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 2); /* README.txt is not a label */
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
        check_label_names(ds, 10);
        check_datumaro_pair(ds, "images/train/1.jpg");
        check_datumaro_pair(ds, "images/val/1.jpg");
        size_t i;
        ts_image_entry img;
        if (CHECK(ts_dataset_find_image_path(ds, "images/val/1.jpg", &i))) {
            ts_dataset_image(ds, i, &img);
            CHECK_STR(img.split, "val");
        }
        ts_dataset_destroy(ds);
    }
}

TEST(yolo_reads_roboflow_export) {
    ts_ctx *ctx = ts_test_ctx();
    int warned = ts_test_warnings;
    ts_dataset *ds = read_yolo(ctx, "interop/datumaro/roboflow/yolo");
    if (!ds) return;
    /* data.yaml says val: ../valid/images but the folder is val/: found,
     * with a warning. */
    CHECK(ts_test_warnings > warned);
    CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 2);
    ts_category c;
    ts_dataset_category(ds, 1, &c);
    CHECK_STR(c.name, "label_1");
    ts_annotation a;
    /* "0 0.35 0.3 0.3 0.2" on 10x5, no trailing newline */
    if (CHECK(yt_ann(ds, "train/images/train_001.jpg", 0, &a))) yt_check_box(&a, 0, 2, 1, 3, 1, 1e-9);
    if (CHECK(yt_ann(ds, "val/images/val_001.jpg", 1, &a))) yt_check_box(&a, 1, 0, 0, 9, 1, 1e-9);
    size_t i;
    if (CHECK(ts_dataset_find_image_path(ds, "val/images/val_001.jpg", &i))) {
        ts_image_entry img;
        ts_dataset_image(ds, i, &img);
        CHECK_STR(img.split, "val");
    }
    ts_dataset_destroy(ds);
}

TEST(yolo_reads_headerless_flat_labels) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/kaggle_relaxed/relaxed_yolo"), NULL, NULL, &ds));
    if (!ds) return;
    CHECK_STR(ts_dataset_meta(ds, "format"), "yolo");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 5); /* class_0 .. class_4 */
    ts_category c;
    ts_dataset_category(ds, 4, &c);
    CHECK_STR(c.name, "class_4");
    ts_annotation a;
    if (CHECK(yt_ann(ds, "2.jpg", 0, &a))) yt_check_box(&a, 1, 0, 2, 4, 2, 1e-4);
    ts_dataset_destroy(ds);
}

TEST(yolo_reads_mixed_box_and_polygon_rows) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/real/roboflow_sharks_tiny/yolov9"), NULL, NULL, &ds));
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 10);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 60);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
    ts_category c;
    ts_dataset_category(ds, 2, &c);
    CHECK_STR(c.name, "shark");
    size_t polygons = 0, five = 0;
    for (size_t i = 0; i < ts_dataset_annotation_count(ds); i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        if (a.kind == TS_ANN_POLYGON) {
            polygons++;
            CHECK_EQ_INT(a.n_rings, 1);
            if (a.ring_sizes[0] == 10) five++;
        }
    }
    CHECK_EQ_INT(polygons, 17);
    CHECK_EQ_INT(five, 1);
    /* valid/ is found though data.yaml's val path is an absolute exporter path */
    size_t i;
    if (CHECK(ts_dataset_find_image_path(ds, "valid/images/sharks_mp4-14_jpg.rf.4ab04d671bec824eddf8bad861874da4.jpg",
                                         &i))) {
        ts_image_entry img;
        ts_dataset_image(ds, i, &img);
        CHECK_STR(img.split, "val");
        CHECK_EQ_INT(img.width, 640);
        ts_annotation a;
        if (CHECK(yt_ann(ds, img.path, 0, &a)))
            yt_check_box(&a, 1, (0.47265625 - 0.7578125 / 2) * 640, (0.38125 - 0.57421875 / 2) * 640, 0.7578125 * 640,
                      0.57421875 * 640, 1e-9);
    }
    ts_dataset_destroy(ds);
}

/* ---- round trips ------------------------------------------------------------------- */

void yt_add_category(ts_ctx *ctx, ts_dataset *ds, int64_t id, const char *name, const char *const *kps, uint32_t k,
                     const int32_t *skeleton, uint32_t n_skeleton) {
    ts_category c = ts_category_empty();
    c.id = id;
    c.name = name;
    c.keypoints = kps;
    c.n_keypoints = k;
    c.skeleton = skeleton;
    c.n_skeleton = n_skeleton;
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
}

void yt_add_image(ts_ctx *ctx, ts_dataset *ds, int64_t id, const char *path, int w, int h, const char *split) {
    ts_image_entry img = ts_image_entry_empty();
    img.id = id, img.path = path, img.width = w, img.height = h, img.split = split;
    CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &img, NULL));
}

void yt_add_ann(ts_ctx *ctx, ts_dataset *ds, int64_t id, int64_t image, int64_t cat, const double box[4],
                const double *kps, uint32_t k) {
    ts_annotation a = ts_annotation_empty();
    a.id = id, a.image_id = image, a.category_id = cat;
    a.kind = k ? TS_ANN_KEYPOINTS : TS_ANN_BOX;
    a.flags = TS_ANN_HAS_BOX;
    memcpy(a.bbox, box, sizeof a.bbox);
    a.keypoints = kps;
    a.n_keypoints = k;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
}

ts_dataset *yt_new_dataset(ts_ctx *ctx, const char *root) {
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    if (ds) CHECK_OK(ctx, ts_dataset_set_root(ctx, ds, root));
    return ds;
}

void yt_png(ts_ctx *ctx, const char *dir, const char *name, int w, int h) {
    ts_image img;
    CHECK_OK(ctx, ts_image_alloc(ctx, w, h, 3, TS_PIX_U8, &img));
    char *p = ts_path_join(dir, name);
    char *d = ts_path_dirname(p);
    CHECK_OK(ctx, ts_mkdirs(ctx, d));
    CHECK_OK(ctx, ts_image_save(ctx, p, &img, NULL));
    free(d);
    free(p);
    ts_image_free(&img);
}

void yt_same_boxes(const ts_dataset *a, const ts_dataset *b, double eps) {
    CHECK_EQ_INT(ts_dataset_annotation_count(a), ts_dataset_annotation_count(b));
    CHECK_EQ_INT(ts_dataset_image_count(a), ts_dataset_image_count(b));
    for (size_t i = 0; i < ts_dataset_image_count(a); i++) {
        ts_image_entry ia;
        ts_dataset_image(a, i, &ia);
        const char *base = ts_path_basename(ia.path);
        size_t j, na, nb;
        for (j = 0; j < ts_dataset_image_count(b); j++) {
            ts_image_entry ib;
            ts_dataset_image(b, j, &ib);
            if (strcmp(ts_path_basename(ib.path), base) == 0) break;
        }
        if (!CHECK(j < ts_dataset_image_count(b))) continue;
        const size_t *xa, *xb;
        ts_dataset_image_annotations(NULL, a, i, &xa, &na);
        ts_dataset_image_annotations(NULL, b, j, &xb, &nb);
        CHECK_EQ_INT(na, nb);
        for (size_t k = 0; k < na && k < nb; k++) {
            ts_annotation p, q;
            ts_category cp, cq;
            size_t ci;
            ts_dataset_annotation(a, xa[k], &p);
            ts_dataset_annotation(b, xb[k], &q);
            ts_dataset_find_category(a, p.category_id, &ci);
            ts_dataset_category(a, ci, &cp);
            ts_dataset_find_category(b, q.category_id, &ci);
            ts_dataset_category(b, ci, &cq);
            CHECK_STR(cp.name, cq.name);
            for (int c = 0; c < 4; c++) CHECK_NEAR(p.bbox[c], q.bbox[c], eps);
        }
    }
}

TEST(yolo_round_trip_coco_like_dataset_to_1e6_px) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    char *src = ts_path_join(tmp, "src"), *out = ts_path_join(tmp, "out");
    yt_png(ctx, src, "a/one.png", 640, 480);
    yt_png(ctx, src, "b/two.png", 101, 37);
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    CHECK_OK(ctx, ts_dataset_set_root(ctx, ds, src));
    const char *names[] = {"person", "bicycle", "car"};
    const int64_t ids[] = {1, 3, 7}; /* sparse, as COCO's */
    for (int i = 0; i < 3; i++) {
        ts_category c = ts_category_empty();
        c.id = ids[i];
        c.name = names[i];
        CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    }
    ts_image_entry img = ts_image_entry_empty();
    img.id = 10, img.path = "a/one.png", img.width = 640, img.height = 480, img.split = "train";
    CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &img, NULL));
    img.id = 20, img.path = "b/two.png", img.width = 101, img.height = 37, img.split = "val";
    CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &img, NULL));
    const double boxes[][4] = {{12.345678901, 200.5, 99.999999, 0.75}, {0, 0, 640, 480}, {1.0 / 3, 2.0 / 7, 50.125, 9.9},
                               {100.0 / 3, 0.1, 0.2, 36.9}};
    const int64_t img_of[] = {10, 10, 20, 20}, cat_of[] = {7, 1, 3, 7};
    for (int i = 0; i < 4; i++) {
        ts_annotation a = ts_annotation_empty();
        a.id = i + 1, a.image_id = img_of[i], a.category_id = cat_of[i], a.kind = TS_ANN_BOX;
        a.flags = TS_ANN_HAS_BOX;
        memcpy(a.bbox, boxes[i], sizeof a.bbox);
        CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    }
    ts_write_opts wo = {0};
    wo.copy_images = 1;
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "yolo", &wo));
    ts_dataset *back = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, &back));
    if (back) {
        CHECK_STR(ts_dataset_meta(back, "format"), "yolo");
        CHECK_EQ_INT(ts_dataset_category_count(back), 3);
        yt_same_boxes(ds, back, 1e-6);
        size_t i;
        if (CHECK(ts_dataset_find_image_path(back, "images/val/b/two.png", &i))) {
            ts_image_entry e;
            ts_dataset_image(back, i, &e);
            CHECK_STR(e.split, "val");
            CHECK_EQ_INT(e.width, 101);
        }
        /* and YOLO -> YOLO keeps the class indices */
        char *out2 = ts_path_join(tmp, "out2");
        ts_dataset *again = NULL;
        CHECK_OK(ctx, ts_dataset_write(ctx, back, out2, "yolo", &wo));
        CHECK_OK(ctx, ts_dataset_read(ctx, out2, "yolo", NULL, &again));
        if (again) yt_same_boxes(back, again, 1e-9);
        ts_dataset_destroy(again);
        free(out2);
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(src);
    free(out);
}

void yt_shared_round_trip(ts_ctx *ctx, const char *rel, const char *format, ts_dataset **ds, ts_dataset **back) {
    char *out = ts_path_join(ts_test_tmpdir(), "round-trip");
    *ds = *back = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared(rel), format, NULL, ds));
    ts_write_opts wo = {0};
    wo.copy_images = 1;
    if (*ds) CHECK_OK(ctx, ts_dataset_write(ctx, *ds, out, "yolo", &wo));
    if (*ds) CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, back));
    free(out);
}

TEST(yolo_round_trip_keeps_polygon_rows) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds, *back;
    yt_shared_round_trip(ctx, "interop/real/roboflow_sharks_tiny/yolov9", NULL, &ds, &back);
    if (back) {
        yt_same_boxes(ds, back, 1e-6);
        size_t polygons = 0;
        for (size_t i = 0; i < ts_dataset_annotation_count(back); i++) {
            ts_annotation a;
            ts_dataset_annotation(back, i, &a);
            polygons += a.kind == TS_ANN_POLYGON;
        }
        CHECK_EQ_INT(polygons, 17);
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
}

/* A box from -0.1 W to 2 W (the widest extent the reader accepts) is 2.1
 * wide normalized: written and read back, not refused as "far outside". */
TEST(yolo_round_trip_keeps_boxes_reaching_past_both_edges) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    char *src = ts_path_join(tmp, "src"), *out = ts_path_join(tmp, "out");
    yt_png(ctx, src, "1.png", 20, 10);
    ts_dataset *ds = yt_new_dataset(ctx, src), *back = NULL;
    yt_add_category(ctx, ds, 0, "a", NULL, 0, NULL, 0);
    yt_add_image(ctx, ds, 1, "1.png", 20, 10, "train");
    const double box[4] = {-2, -10, 42, 30};
    yt_add_ann(ctx, ds, 1, 1, 0, box, NULL, 0);
    ts_write_opts wo = {0};
    wo.copy_images = 1;
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "yolo", &wo));
    CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, &back));
    if (back) yt_same_boxes(ds, back, 1e-9);
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(src);
    free(out);
}

TEST(yolo_fixed12_formatting) {
    char buf[64];
    ts_format_fixed12(buf, 0.5);
    CHECK_STR(buf, "0.5");
    ts_format_fixed12(buf, 0);
    CHECK_STR(buf, "0");
    ts_format_fixed12(buf, -0.0);
    CHECK_STR(buf, "0");
    ts_format_fixed12(buf, 1);
    CHECK_STR(buf, "1");
    ts_format_fixed12(buf, 0.133333);
    CHECK_STR(buf, "0.133333");
    ts_format_fixed12(buf, -1.25e-7);
    CHECK_STR(buf, "-0.000000125");
    ts_format_fixed12(buf, 1.0 / 3);
    CHECK_STR(buf, "0.333333333333");
}

/* ---- bad input ------------------------------------------------------------------------- */

static char *bad_set(ts_ctx *ctx, const char *name, const char *rows) {
    char *dir = ts_path_join(ts_test_tmpdir(), name);
    yt_png(ctx, dir, "1.png", 20, 10);
    char *f = ts_path_join(dir, "1.txt"), *names = ts_path_join(dir, "classes.txt");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, f, rows, strlen(rows)));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, names, "a\nb\nc\n", 6));
    free(f);
    free(names);
    return dir;
}

TEST(yolo_rejects_malformed_rows_with_position) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    char *dir = bad_set(ctx, "nonnum", "0 0.5 0.5 0.1 0.1\n1 0.5 abc 0.1 0.1\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "1.txt:2:7: expected a number");
    free(dir);
    dir = bad_set(ctx, "nan", "0 nan 0.5 0.1 0.1\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "1.txt:1:3: expected a number");
    free(dir);
    dir = bad_set(ctx, "class", "0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "1.txt:2:1: class index 7");
    free(dir);
    dir = bad_set(ctx, "pixels", "0 120 40 30 20\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "normalized");
    free(dir);
    dir = bad_set(ctx, "polygon", "0 0.1 0.1 2.5 0.1 0.5 0.9\n"); /* a coordinate, not a box width */
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "1.txt:1:11: value 2.5 is far outside");
    free(dir);
    dir = bad_set(ctx, "count", "0 0.5 0.5 0.1\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "found 3");
    free(dir);
    dir = bad_set(ctx, "negative", "0 0.5 0.5 -0.1 0.1\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "negative box");
    free(dir);
    CHECK(ds == NULL);
}

TEST(yolo_lenient_skips_bad_rows_and_warns) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = bad_set(ctx, "lenient", "0 0.5 0.5 0.1 0.1\n1 0.5 abc 0.1 0.1\n9 0.5 0.5 0.1 0.1\n2 0.5 0.5 1.2 0.2\n");
    ts_dataset *ds = NULL;
    int before = ts_test_warnings;
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    /* two rows skipped, one row reaching outside the image kept */
    CHECK_EQ_INT(ts_test_warnings - before, 3);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 2);
        ts_annotation a;
        ts_dataset_annotation(ds, 1, &a);
        yt_check_box(&a, 2, -2, 4, 24, 2, 1e-9);
    }
    ts_dataset_destroy(ds);
    free(dir);
}

TEST(yolo_refuses_list_paths_outside_the_dataset) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = ts_path_join(ts_test_tmpdir(), "hostile");
    yt_png(ctx, dir, "obj_train_data/1.png", 4, 4);
    char *data = ts_path_join(dir, "obj.data"), *list = ts_path_join(dir, "train.txt");
    const char *od = "classes = 1\ntrain = data/train.txt\nnames = data/obj.names\n";
    const char *rows = "data/obj_train_data/1.png\n../../../etc/passwd\n";
    CHECK_OK(ctx, ts_file_write_atomic(ctx, data, od, strlen(od)));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, list, rows, strlen(rows)));
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds), "train.txt:2");
    CHECK(ds == NULL);
    free(data);
    free(list);
    free(dir);
}

TEST(yolo_reports_missing_images) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = bad_set(ctx, "orphan", "0 0.5 0.5 0.1 0.1\n");
    /* prose beside flat labels is not a label file without an image */
    char *readme = ts_path_join(dir, "README.dataset.txt");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, readme, "Exported by a tool.\n", 20));
    ts_dataset *ok = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ok));
    if (ok) CHECK_EQ_INT(ts_dataset_annotation_count(ok), 1);
    ts_dataset_destroy(ok);
    free(readme);
    char *orphan = ts_path_join(dir, "2.txt");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, orphan, "1 0.5 0.5 0.2 0.2\n", 18));
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), "2.txt: label file has no image");
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    if (ds) CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
    ts_dataset_destroy(ds);
    free(orphan);
    free(dir);
}

TEST(yolo_yaml_subset_forms) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    const char *yamls[] = {
        "names: ['a', \"b\", c]  # flow list\n",
        "names:\n- a\n- b\n-   c\n",
        "names:\n  0: a\n  1: 'b'\n  2: c\nroboflow:\n  x: y\n",
        "names: {0: a, 1: b, 2: c}\n",
        "names: [a,\n  b,\n  c]\n",
    };
    for (size_t k = 0; k < sizeof yamls / sizeof yamls[0]; k++) {
        char sub[32];
        snprintf(sub, sizeof sub, "y%zu", k);
        char *d = ts_path_join(dir, sub);
        yt_png(ctx, d, "images/train/1.png", 8, 8);
        char *y = ts_path_join(d, "data.yaml"), *l = ts_path_join(d, "labels/train/1.txt");
        char *ld = ts_path_dirname(l);
        CHECK_OK(ctx, ts_mkdirs(ctx, ld));
        CHECK_OK(ctx, ts_file_write_atomic(ctx, y, yamls[k], strlen(yamls[k])));
        CHECK_OK(ctx, ts_file_write_atomic(ctx, l, "2 0.5 0.5 0.5 0.5\n", 18));
        ts_dataset *ds = NULL;
        CHECK_OK(ctx, ts_dataset_read(ctx, d, NULL, NULL, &ds));
        if (ds) {
            CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
            ts_category c;
            ts_dataset_category(ds, 1, &c);
            CHECK_STR(c.name, "b");
            ts_dataset_category(ds, 2, &c);
            CHECK_STR(c.name, "c");
            CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
        }
        ts_dataset_destroy(ds);
        free(y);
        free(l);
        free(ld);
        free(d);
    }
}

TEST(yolo_writes_boxes_for_polygons_read_without_geometry) {
    ts_ctx *ctx = ts_test_ctx();
    char *out = ts_path_join(ts_test_tmpdir(), "nogeo");
    ts_dataset *ds = NULL, *back = NULL;
    ts_read_opts ro = {TS_READ_SKIP_GEOMETRY, NULL};
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/real/roboflow_sharks_tiny/yolov9"), NULL, &ro, &ds));
    ts_write_opts wo = {0};
    int before = ts_test_warnings;
    if (ds) CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "yolo", &wo));
    CHECK(ts_test_warnings > before); /* polygon shapes dropped, images not copied */
    /* every row is a 5-token box row: 60 in all, as many as annotations */
    char *labels = ts_path_join(out, "labels");
    size_t rows = 0, five = 0;
    const char *splits[] = {"train", "val", "test"};
    for (int k = 0; k < 3; k++) {
        char *dir = ts_path_join(labels, splits[k]);
        char **names = NULL;
        size_t n = 0;
        CHECK_OK(ctx, ts_dir_list(ctx, dir, &names, &n));
        for (size_t i = 0; i < n; i++) {
            char *f = ts_path_join(dir, names[i]);
            uint8_t *data;
            size_t len;
            if (ts_file_read(ctx, f, &data, &len) == TS_OK) {
                int tokens = 0, in = 0;
                for (size_t c = 0; c < len; c++) {
                    if (data[c] == '\n') {
                        rows++;
                        five += tokens == 5;
                        tokens = in = 0;
                    } else if (data[c] == ' ') {
                        in = 0;
                    } else if (!in) {
                        in = 1;
                        tokens++;
                    }
                }
                free(data);
            }
            free(f);
        }
        ts_strings_free(names, n);
        free(dir);
    }
    CHECK_EQ_INT(rows, 60);
    CHECK_EQ_INT(five, 60);
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(labels);
    free(out);
}
