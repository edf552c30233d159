/* COCO reader and writer on the interop fixtures: counts and values, the
 * layouts, round trips, results files, RLE strings kept byte for byte. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/formats.h"
#include "trainset/json.h"

extern const ts_format ts_format_coco;

static ts_dataset *read_coco(const char *rel, unsigned flags) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    ts_read_opts opts = {flags, NULL};
    CHECK_OK(ctx, ts_format_coco.read(ctx, ts_test_shared(rel), &opts, &ds));
    return ds;
}

static int find_ann(const ts_dataset *ds, int64_t id, ts_annotation *a) {
    size_t k;
    if (!ts_dataset_find_annotation(ds, id, &k)) return 0;
    ts_dataset_annotation(ds, k, a);
    return 1;
}

static const char *attr(const ts_attr *attrs, uint32_t n, const char *key) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(attrs[i].key, key) == 0) return attrs[i].value;
    return NULL;
}

static void check_instances(const ts_dataset *ds) {
    CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 3);
    size_t k;
    CHECK(ts_dataset_find_category(ds, 4, &k));
    ts_category c;
    ts_dataset_category(ds, k, &c);
    CHECK_STR(c.name, "c");
    CHECK(ts_dataset_find_image(ds, 40, &k));
    ts_image_entry e;
    ts_dataset_image(ds, k, &e);
    CHECK_STR(e.path, "b.jpg");
    CHECK_EQ_INT(e.width, 5);
    CHECK_EQ_INT(e.height, 10);
    CHECK_STR(e.split, "val");
    CHECK_EQ_INT(e.license, 0);
    CHECK_STR(attr(e.attrs, e.n_attrs, "coco:date_captured"), "0");
    CHECK_STR(attr(e.attrs, e.n_attrs, "coco:flickr_url"), "\"\"");
    char *file = ts_dataset_image_file(ds, k);
    CHECK(file && ts_file_exists(file));
    CHECK(file && strstr(file, "val/b.jpg"));
    free(file);
    /* val: a polygon with attributes and a crowd RLE; both id 1 and 2 */
    ts_annotation a;
    int64_t poly_id = -1, rle_id = -1, box_id = -1;
    for (size_t i = 0; i < ts_dataset_annotation_count(ds); i++) {
        ts_dataset_annotation(ds, i, &a);
        if (a.kind == TS_ANN_POLYGON) poly_id = a.id;
        if (a.kind == TS_ANN_MASK) rle_id = a.id;
        if (a.kind == TS_ANN_BOX) box_id = a.id;
    }
    if (CHECK(find_ann(ds, poly_id, &a))) {
        CHECK_EQ_INT(a.image_id, 40);
        CHECK_EQ_INT(a.category_id, 1);
        CHECK_EQ_INT(a.n_rings, 1);
        CHECK_EQ_INT(a.ring_sizes ? a.ring_sizes[0] : 0, 8);
        if (a.coords) CHECK_NEAR(a.coords[5], 2.0, 0);
        CHECK_NEAR(a.bbox[3], 2.0, 0);
        CHECK_NEAR(a.area, 2.0, 0);
        CHECK(a.flags & TS_ANN_HAS_BOX);
        CHECK_STR(attr(a.attrs, a.n_attrs, "x"), "1");
        CHECK_STR(attr(a.attrs, a.n_attrs, "y"), "hello");
    }
    if (CHECK(find_ann(ds, rle_id, &a))) {
        CHECK_EQ_INT(a.iscrowd, 1);
        CHECK_EQ_INT(a.mask_h, 10);
        CHECK_EQ_INT(a.mask_w, 5);
        CHECK_EQ_INT(a.rle_len, 3);
        if (a.rle) CHECK(a.rle[0] == 0 && a.rle[1] == 20 && a.rle[2] == 30);
        CHECK_NEAR(a.bbox[3], 9.0, 0);
    }
    if (CHECK(find_ann(ds, box_id, &a))) {
        CHECK_EQ_INT(a.image_id, 5);
        CHECK_NEAR(a.bbox[0], 2, 0);
        CHECK_NEAR(a.bbox[2], 3, 0);
        CHECK_NEAR(a.area, 3, 0);
    }
}

TEST(coco_fixture_instances_layouts) {
    /* the same data in COCO, Roboflow and MMDetection layouts */
    const char *dirs[] = {"interop/datumaro/coco/coco_instances", "interop/datumaro/coco/coco_roboflow",
                          "interop/datumaro/coco/mmdet_coco"};
    for (int i = 0; i < 3; i++) {
        CHECK(ts_format_coco.detect(ts_test_shared(dirs[i])) >= 90);
        ts_dataset *ds = read_coco(dirs[i], 0);
        if (ds) check_instances(ds);
        ts_dataset_destroy(ds);
    }
    ts_dataset *ds = read_coco("interop/datumaro/coco/coco_instances/annotations/instances_val.json", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
        CHECK(ts_dataset_meta(ds, "info") && strstr(ts_dataset_meta(ds, "info"), "\"year\":\"\""));
        CHECK(ts_dataset_meta(ds, "licenses") && strstr(ts_dataset_meta(ds, "licenses"), "\"id\":0"));
        char *file = ts_dataset_image_file(ds, 0);
        CHECK(file && ts_file_exists(file)); /* root found at ../images/val */
        free(file);
    }
    ts_dataset_destroy(ds);
}

TEST(coco_fixture_tasks) {
    ts_annotation a;
    ts_dataset *ds = read_coco("interop/datumaro/coco/coco_person_keypoints", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 3);
        size_t k;
        ts_category c;
        CHECK(ts_dataset_find_category(ds, 1, &k));
        ts_dataset_category(ds, k, &c);
        CHECK_EQ_INT(c.n_skeleton, 2);
        CHECK_EQ_INT(c.skeleton ? c.skeleton[3] : -1, 2);
        CHECK_EQ_INT(c.n_keypoints, 0);
        int kp = 0;
        for (size_t i = 0; i < 3; i++) {
            ts_dataset_annotation(ds, i, &a);
            kp += a.kind == TS_ANN_KEYPOINTS && a.n_keypoints == 3;
            if (a.image_id == 5) CHECK_NEAR(a.keypoints[4], 2, 0);
        }
        CHECK_EQ_INT(kp, 3);
    }
    ts_dataset_destroy(ds);
    ds = read_coco("interop/datumaro/coco/coco_labels", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 3);
        for (size_t i = 0; i < 3; i++) {
            ts_dataset_annotation(ds, i, &a);
            CHECK_EQ_INT(a.kind, TS_ANN_LABEL);
            CHECK(!(a.flags & TS_ANN_HAS_BOX));
        }
    }
    ts_dataset_destroy(ds);
    ds = read_coco("interop/datumaro/coco/coco_captions", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 3);
        ts_dataset_annotation(ds, 0, &a);
        CHECK_EQ_INT(a.category_id, TS_NO_ID);
        CHECK_STR(attr(a.attrs, a.n_attrs, "caption"), "hello");
    }
    ts_dataset_destroy(ds);
    ds = read_coco("interop/datumaro/coco/coco_stuff", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 2);
        CHECK(find_ann(ds, 7, &a) && a.kind == TS_ANN_MASK && a.rle_len == 5 && a.mask_h == 5);
    }
    ts_dataset_destroy(ds);
    ds = read_coco("interop/datumaro/coco/coco_image_info", 0);
    if (ds) CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    ts_dataset_destroy(ds);
    /* every task of one split in one directory; panoptic is refused with a warning */
    ds = read_coco("interop/datumaro/coco/coco", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
        CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 14);
        CHECK(ts_test_warnings >= 2);
    }
    ts_dataset_destroy(ds);
    ts_ctx *ctx = ts_test_ctx();
    ts_read_opts opts = {0, NULL};
    CHECK_FAILS(ctx, ts_format_coco.read(ctx, ts_test_shared("interop/datumaro/coco/coco_panoptic"), &opts, &ds),
                "panoptic segmentation");
    CHECK_FAILS(ctx,
                ts_format_coco.read(ctx, ts_test_shared("interop/datumaro/coco/coco_panoptic/annotations/panoptic_val.json"),
                                    &opts, &ds),
                "panoptic annotations");
}

TEST(coco_fixture_roboflow_real) {
    ts_dataset *ds = read_coco("interop/real/roboflow_sharks_tiny/coco", 0);
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 10);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 4);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 60);
    size_t k;
    CHECK(ts_dataset_find_category(ds, 0, &k));
    ts_category c;
    ts_dataset_category(ds, k, &c);
    CHECK_STR(c.name, "sharks");
    int train = 0, valid = 0, test = 0, poly = 0;
    for (size_t i = 0; i < 10; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        train += strcmp(e.split, "train") == 0;
        valid += strcmp(e.split, "valid") == 0;
        test += strcmp(e.split, "test") == 0;
        char *file = ts_dataset_image_file(ds, i);
        CHECK(file && ts_file_exists(file));
        free(file);
    }
    CHECK_EQ_INT(train, 7);
    CHECK_EQ_INT(valid, 2);
    CHECK_EQ_INT(test, 1);
    for (size_t i = 0; i < 60; i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        poly += a.kind == TS_ANN_POLYGON;
        CHECK(ts_dataset_find_image(ds, a.image_id, &k));
    }
    CHECK_EQ_INT(poly, 17);
    CHECK_OK(ts_test_ctx(), ts_dataset_validate(ts_test_ctx(), ds));
    ts_dataset_destroy(ds);
    /* a single split file of the same export */
    ds = read_coco("interop/real/roboflow_sharks_tiny/coco/valid/_annotations.coco.json", 0);
    if (ds) {
        ts_annotation a;
        CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
        CHECK(find_ann(ds, 0, &a));
        CHECK_NEAR(a.bbox[2], 8.235, 1e-12);
        CHECK_NEAR(a.area, 142.724, 1e-12);
    }
    ts_dataset_destroy(ds);
    ds = read_coco("interop/datumaro/roboflow/coco", 0);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 3); /* val's image id 1 is re-keyed */
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
        CHECK_OK(ts_test_ctx(), ts_dataset_validate(ts_test_ctx(), ds));
    }
    ts_dataset_destroy(ds);
    ds = read_coco("interop/datumaro/kaggle_relaxed/relaxed_coco", 0);
    if (ds) {
        ts_annotation a;
        CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
        CHECK(find_ann(ds, 0, &a) && a.image_id == 1 && a.kind == TS_ANN_BOX);
        char *file = ts_dataset_image_file(ds, 0);
        CHECK(file && ts_file_exists(file));
        free(file);
    }
    ts_dataset_destroy(ds);
}

TEST(coco_detect_scores) {
    CHECK(ts_format_coco.detect(ts_test_shared("interop/datumaro/coco/coco_instances/annotations/instances_val.json")) >= 90);
    CHECK(ts_format_coco.detect(ts_test_shared("reference/coco/bbox_small/dt.json")) > 0);
    CHECK(ts_format_coco.detect(ts_test_shared("interop/real/roboflow_sharks_tiny/coco")) >= 90);
    CHECK(ts_format_coco.detect(ts_test_shared("interop/datumaro/kaggle_relaxed/relaxed_coco")) > 0);
    CHECK_EQ_INT(ts_format_coco.detect(ts_test_shared("interop/datumaro/roboflow/createml/train/_annotations.createml.json")), 0);
    CHECK_EQ_INT(ts_format_coco.detect(ts_test_shared("interop/datumaro/voc")), 0);
}

/* Equal datasets: ids, names, boxes to 1e-6, geometry exact. */
static void check_same(const ts_dataset *a, const ts_dataset *b, int same_files) {
    CHECK_EQ_INT(ts_dataset_image_count(a), ts_dataset_image_count(b));
    CHECK_EQ_INT(ts_dataset_category_count(a), ts_dataset_category_count(b));
    if (!CHECK(ts_dataset_annotation_count(a) == ts_dataset_annotation_count(b))) return;
    for (size_t i = 0; i < ts_dataset_image_count(a); i++) {
        ts_image_entry x, y;
        ts_dataset_image(a, i, &x);
        size_t k;
        if (!CHECK(ts_dataset_find_image(b, x.id, &k))) continue;
        ts_dataset_image(b, k, &y);
        CHECK_STR(x.split, y.split);
        CHECK_EQ_INT(x.width, y.width);
        CHECK_EQ_INT(x.n_attrs, y.n_attrs);
        char *fa = ts_dataset_image_file(a, i), *fb = ts_dataset_image_file(b, k);
        if (same_files && fa && ts_file_exists(fa) && !ts_path_same_file(fa, fb))
            ts_test_failf(__FILE__, __LINE__, "image file %s became %s", fa, fb ? fb : "(null)");
        free(fa);
        free(fb);
    }
    for (size_t i = 0; i < ts_dataset_category_count(a); i++) {
        ts_category x, y;
        ts_dataset_category(a, i, &x);
        size_t k;
        if (!CHECK(ts_dataset_find_category(b, x.id, &k))) continue;
        ts_dataset_category(b, k, &y);
        CHECK_STR(x.name, y.name);
        CHECK_EQ_INT(x.n_skeleton, y.n_skeleton);
    }
    int bad = 0;
    for (size_t i = 0; i < ts_dataset_annotation_count(a); i++) {
        ts_annotation x, y;
        ts_dataset_annotation(a, i, &x);
        if (!find_ann(b, x.id, &y)) {
            bad++;
            continue;
        }
        for (int k = 0; k < 4; k++) bad += fabs(x.bbox[k] - y.bbox[k]) > 1e-6;
        bad += x.kind != y.kind || x.image_id != y.image_id || x.category_id != y.category_id || x.iscrowd != y.iscrowd;
        bad += x.n_rings != y.n_rings || x.rle_len != y.rle_len || x.n_keypoints != y.n_keypoints || x.n_attrs != y.n_attrs;
        bad += fabs(x.area - y.area) > 1e-6 || (x.flags & TS_ANN_HAS_SCORE) != (y.flags & TS_ANN_HAS_SCORE);
        if (bad) continue;
        uint32_t nc = 0;
        for (uint32_t r = 0; r < x.n_rings; r++) nc += x.ring_sizes[r];
        bad += nc && memcmp(x.coords, y.coords, nc * sizeof(double)) != 0;
        bad += x.rle_len && memcmp(x.rle, y.rle, x.rle_len * sizeof(uint32_t)) != 0;
        bad += x.n_keypoints && memcmp(x.keypoints, y.keypoints, 3 * x.n_keypoints * sizeof(double)) != 0;
    }
    CHECK_EQ_INT(bad, 0);
}

static void round_trip(const char *rel, const char *out_name, int copy) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *a = read_coco(rel, 0), *b = NULL;
    if (!a) return;
    char *out = ts_path_join(ts_test_tmpdir(), out_name);
    ts_write_opts wo = {copy, 0, 0, NULL};
    CHECK_OK(ctx, ts_format_coco.write(ctx, a, out, &wo));
    ts_read_opts ro = {0, NULL};
    CHECK_OK(ctx, ts_format_coco.read(ctx, out, &ro, &b));
    if (b) check_same(a, b, 1);
    if (b && ts_dataset_meta(a, "info")) CHECK_STR(ts_dataset_meta(a, "info"), ts_dataset_meta(b, "info"));
    ts_dataset_destroy(b);
    ts_dataset_destroy(a);
    free(out);
}

TEST(coco_round_trips) {
    round_trip("interop/datumaro/coco/coco_instances", "inst.json", 0);
    round_trip("interop/datumaro/coco/coco_person_keypoints", "kp.json", 0);
    round_trip("interop/datumaro/coco/coco_labels", "labels.json", 0);
    round_trip("interop/datumaro/coco/coco_captions", "captions.json", 0);
    round_trip("interop/real/roboflow_sharks_tiny/coco", "sharks.json", 0);
    round_trip("reference/coco/segm_small/gt.json", "segm.json", 0);
    round_trip("reference/coco/segm_small/dt.json", "segm_dt.json", 0);
}

TEST(coco_write_directory_with_images) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *a = read_coco("interop/real/roboflow_sharks_tiny/coco", 0), *b = NULL;
    if (!a) return;
    char *out = ts_path_join(ts_test_tmpdir(), "out");
    ts_write_opts wo = {1, 0, 0, NULL};
    CHECK_OK(ctx, ts_format_coco.write(ctx, a, out, &wo));
    char *json = ts_path_join(out, "annotations.json");
    CHECK(ts_file_exists(json));
    CHECK(ts_format_coco.detect(out) > 0);
    ts_read_opts ro = {0, NULL};
    CHECK_OK(ctx, ts_format_coco.read(ctx, out, &ro, &b));
    if (b) {
        check_same(a, b, 0);
        for (size_t i = 0; i < ts_dataset_image_count(b); i++) {
            char *f = ts_dataset_image_file(b, i);
            CHECK(f && strstr(f, "/out/images/") && ts_file_exists(f));
            free(f);
        }
    }
    ts_dataset_destroy(b);
    /* renumbered categories: 1..n, annotations follow */
    char *ren = ts_path_join(ts_test_tmpdir(), "renum.json");
    ts_write_opts rn = {0, 1, 0, NULL};
    CHECK_OK(ctx, ts_format_coco.write(ctx, a, ren, &rn));
    CHECK_OK(ctx, ts_format_coco.read(ctx, ren, &ro, &b));
    if (b) {
        size_t k;
        CHECK(!ts_dataset_find_category(b, 0, &k));
        CHECK(ts_dataset_find_category_name(b, "shark", &k) && ts_dataset_category_id(b, k) == 4);
        ts_annotation x;
        ts_dataset_annotation(a, 0, &x);
        ts_annotation y;
        CHECK(find_ann(b, x.id, &y) && y.category_id == x.category_id + 1);
    }
    ts_dataset_destroy(b);
    ts_dataset_destroy(a);
    free(ren);
    free(json);
    free(out);
}

/* Compressed RLE strings come out byte for byte as pycocotools wrote them. */
TEST(coco_rle_strings_identical_after_write) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *a = read_coco("reference/coco/segm_small/gt.json", 0);
    if (!a) return;
    CHECK_EQ_INT(ts_dataset_image_count(a), 200);
    CHECK_EQ_INT(ts_dataset_annotation_count(a), 1159);
    char *out = ts_path_join(ts_test_tmpdir(), "gt.json");
    ts_write_opts wo = {0, 0, 0, NULL};
    CHECK_OK(ctx, ts_format_coco.write(ctx, a, out, &wo));
    ts_jvalue *orig = NULL, *mine = NULL;
    CHECK_OK(ctx, ts_json_parse_file(ctx, ts_test_shared("reference/coco/segm_small/gt.json"), &orig));
    CHECK_OK(ctx, ts_json_parse_file(ctx, out, &mine));
    int strings = 0, same = 0;
    if (orig && mine) {
        const ts_jvalue *oa = ts_json_get(orig, "annotations"), *ma = ts_json_get(mine, "annotations");
        CHECK_EQ_INT(ma->u.arr.count, 1159);
        for (size_t i = 0; i < oa->u.arr.count; i++) {
            const char *s = ts_json_get_string(ts_json_get(&oa->u.arr.items[i], "segmentation"), "counts");
            if (!s) continue;
            strings++;
            int64_t id = 0;
            ts_json_get_int(&oa->u.arr.items[i], "id", &id);
            for (size_t k = 0; k < ma->u.arr.count; k++) {
                int64_t mid = -1;
                ts_json_get_int(&ma->u.arr.items[k], "id", &mid);
                if (mid != id) continue;
                const char *t = ts_json_get_string(ts_json_get(&ma->u.arr.items[k], "segmentation"), "counts");
                same += t && strcmp(s, t) == 0;
            }
        }
    }
    CHECK_EQ_INT(strings, 40);
    CHECK_EQ_INT(same, 40);
    ts_json_free(orig);
    ts_json_free(mine);
    ts_dataset_destroy(a);
    free(out);
}

TEST(coco_results_file) {
    ts_dataset *ds = read_coco("reference/coco/segm_small/dt.json", 0);
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1866);
    CHECK_EQ_INT(ts_dataset_image_count(ds), 0);
    ts_annotation a;
    CHECK(find_ann(ds, 1, &a));
    CHECK(find_ann(ds, 1866, &a));
    ts_dataset_annotation(ds, 0, &a);
    CHECK_EQ_INT(a.id, 1);
    CHECK_EQ_INT(a.image_id, 1052);
    CHECK_EQ_INT(a.kind, TS_ANN_MASK);
    CHECK(a.flags & TS_ANN_HAS_SCORE);
    CHECK_NEAR(a.score, 0.359, 1e-12);
    double bb[4];
    ts_rle_bbox(a.rle, a.rle_len, a.mask_h, a.mask_w, bb);
    CHECK_NEAR(a.bbox[0], bb[0], 0);
    CHECK_NEAR(a.bbox[3], bb[3], 0);
    CHECK_NEAR(a.area, (double)ts_rle_area(a.rle, a.rle_len), 0);
    ts_dataset_destroy(ds);
    ds = read_coco("reference/coco/bbox_small/dt.json", 0);
    if (ds) CHECK_EQ_INT(ts_dataset_annotation_count(ds), 7815);
    ts_dataset_destroy(ds);
}

TEST(coco_skip_geometry) {
    ts_dataset *full = read_coco("reference/coco/segm_small/gt.json", 0);
    ts_dataset *lite = read_coco("reference/coco/segm_small/gt.json", TS_READ_SKIP_GEOMETRY);
    if (full && lite) {
        CHECK_EQ_INT(ts_dataset_annotation_count(lite), ts_dataset_annotation_count(full));
        int same = 0;
        for (size_t i = 0; i < ts_dataset_annotation_count(full); i++) {
            ts_annotation x, y;
            ts_dataset_annotation(full, i, &x);
            ts_dataset_annotation(lite, i, &y);
            same += x.kind == y.kind && x.bbox[2] == y.bbox[2] && y.n_rings == 0 && y.rle_len == 0;
        }
        CHECK_EQ_INT(same, (int)ts_dataset_annotation_count(full));
        CHECK(ts_dataset_memory(lite) < ts_dataset_memory(full));
    }
    ts_dataset_destroy(full);
    ts_dataset_destroy(lite);
}
