/* YOLO pose: data.yaml's kpt_shape, flip_idx and kpt_names, keypoint rows
 * with 3 and 2 values per point, COCO keypoints -> YOLO pose -> back to
 * 1e-6 px, the writer's choices (unlabelled points, mixed sizes) and bad
 * input with its position. */
#include <stdlib.h>

#include "formats/yolo_internal.h"
#include "yolo_testutil.h"

/* Warnings collected as text, one a line. */
static void collect_warning(void *user, const char *message) {
    ts_buf *b = user;
    ts_buf_puts(b, message);
    ts_buf_putc(b, '\n');
}

/* data.yaml and one 20x10 image with its label rows, in the test's tmp dir. */
static char *pose_set(ts_ctx *ctx, const char *name, const char *yaml, const char *rows) {
    char *dir = ts_path_join(ts_test_tmpdir(), name);
    yt_png(ctx, dir, "images/train/1.png", 20, 10);
    char *y = ts_path_join(dir, "data.yaml"), *l = ts_path_join(dir, "labels/train/1.txt");
    char *ld = ts_path_dirname(l);
    CHECK_OK(ctx, ts_mkdirs(ctx, ld));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, y, yaml, strlen(yaml)));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, l, rows, strlen(rows)));
    free(y);
    free(l);
    free(ld);
    return dir;
}

static void check_points(const ts_annotation *a, const double *want, uint32_t k, double eps) {
    CHECK_EQ_INT(a->kind, TS_ANN_KEYPOINTS);
    if (!CHECK(a->n_keypoints == k && a->keypoints)) return;
    for (uint32_t i = 0; i < 3 * k; i++) {
        if (i % 3 == 2) CHECK_EQ_INT((int)a->keypoints[i], (int)want[i]);
        else CHECK_NEAR(a->keypoints[i], want[i], eps);
    }
}

static const char *attr_of(const ts_category *c, const char *key) {
    for (uint32_t i = 0; i < c->n_attrs; i++)
        if (strcmp(c->attrs[i].key, key) == 0) return c->attrs[i].value;
    return NULL;
}

static const char *const person_yaml = "train: images/train\n"
                                       "names:\n  0: person\n  1: dog\n"
                                       "kpt_shape: [3, 3]  # K, D\n"
                                       "flip_idx: [0, 2, 1]\n"
                                       "kpt_names:\n  0:\n    - nose\n    - left_eye\n    - right_eye\n";

TEST(yolo_pose_reads_keypoints_with_visibility) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = pose_set(ctx, "d3", person_yaml,
                         "0 0.5 0.5 0.4 0.6 0.25 0.5 2 0.1 0.2 1 0 0 0\n"
                         "1 0.5 0.5 1 1 0.5 0.5 2 0.75 0.25 2 0.125 1 2\n");
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds));
    if (ds) {
        ts_annotation a;
        if (CHECK(yt_ann(ds, "images/train/1.png", 0, &a))) {
            yt_check_box(&a, 0, 6, 2, 8, 6, 1e-9);
            const double want[] = {5, 5, 2, 2, 2, 1, 0, 0, 0};
            check_points(&a, want, 3, 1e-9);
        }
        if (CHECK(yt_ann(ds, "images/train/1.png", 1, &a))) {
            yt_check_box(&a, 1, 0, 0, 20, 10, 1e-9);
            const double want[] = {10, 5, 2, 15, 2.5, 2, 2.5, 10, 2};
            check_points(&a, want, 3, 1e-9);
        }
        CHECK_EQ_INT(ts_dataset_category_count(ds), 2);
        ts_category c;
        ts_dataset_category(ds, 0, &c);
        CHECK_STR(c.name, "person");
        if (CHECK(c.n_keypoints == 3)) {
            CHECK_STR(c.keypoints[0], "nose");
            CHECK_STR(c.keypoints[2], "right_eye");
        }
        CHECK_STR(attr_of(&c, "flip_idx"), "[0,2,1]");
        ts_dataset_category(ds, 1, &c);
        if (CHECK(c.n_keypoints == 3)) CHECK_STR(c.keypoints[1], "kp1");
    }
    ts_dataset_destroy(ds);
    free(dir);
}

TEST(yolo_pose_two_values_per_point) {
    ts_ctx *ctx = ts_test_ctx();
    /* D = 2 carries no visibility: 0 0 and negative coordinates are not
     * labelled, any other point is labelled and visible */
    char *dir = pose_set(ctx, "d2", "train: images/train\nnames: [person]\nkpt_shape: [3, 2]\n",
                         "0 0.5 0.5 0.4 0.6 0.25 0.5 0 0 -0.1 0.5\n");
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds));
    ts_annotation a;
    if (ds && CHECK(yt_ann(ds, "images/train/1.png", 0, &a))) {
        const double want[] = {5, 5, 2, 0, 0, 0, 0, 0, 0};
        check_points(&a, want, 3, 1e-9);
    }
    ts_dataset_destroy(ds);
    free(dir);
}

/* ---- round trips ------------------------------------------------------------------ */

/* Same keypoints, annotation by annotation of each image (matched by
 * basename), to eps px with equal visibility. */
static void check_same_points(const ts_dataset *a, const ts_dataset *b, double eps) {
    for (size_t i = 0; i < ts_dataset_image_count(a); i++) {
        ts_image_entry ia;
        ts_dataset_image(a, i, &ia);
        for (size_t j = 0; j < ts_dataset_image_count(b); j++) {
            ts_image_entry ib;
            ts_dataset_image(b, j, &ib);
            if (strcmp(ts_path_basename(ia.path), ts_path_basename(ib.path)) != 0) continue;
            ts_annotation p, q;
            for (size_t k = 0; yt_ann(a, ia.path, k, &p); k++) {
                if (!CHECK(yt_ann(b, ib.path, k, &q))) break;
                if (p.n_keypoints) check_points(&q, p.keypoints, p.n_keypoints, eps);
            }
        }
    }
}

static char *file_text(ts_ctx *ctx, const char *dir, const char *rel) {
    char *p = ts_path_join(dir, rel);
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(ctx, ts_file_read(ctx, p, &data, &len));
    free(p);
    char *text = data ? realloc(data, len + 1) : NULL;
    if (text) text[len] = 0;
    return text;
}

TEST(yolo_pose_round_trip_coco_keypoints_to_1e6_px) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    char *src = ts_path_join(tmp, "src"), *out = ts_path_join(tmp, "out"), *out2 = ts_path_join(tmp, "out2");
    yt_png(ctx, src, "a/one.png", 640, 480);
    yt_png(ctx, src, "b/two.png", 101, 37);
    ts_dataset *ds = yt_new_dataset(ctx, src);
    const char *const names[] = {"nose", "left_eye", "right_eye", "neck"};
    const int32_t skeleton[] = {1, 2, 1, 3, 1, 4};
    yt_add_category(ctx, ds, 1, "person", names, 4, skeleton, 3);
    yt_add_category(ctx, ds, 3, "car", NULL, 0, NULL, 0);
    yt_add_image(ctx, ds, 10, "a/one.png", 640, 480, "train");
    yt_add_image(ctx, ds, 20, "b/two.png", 101, 37, "val");
    const double box1[] = {12.345678901, 200.5, 99.999999, 70.75}, box2[] = {1.0 / 3, 2.0 / 7, 50.125, 9.9},
                 box3[] = {100.0 / 3, 0.1, 0.2, 36.9};
    const double kp1[] = {20.123456789, 210.5, 2, 0, 0, 0, 1.0 / 3, 200 + 2.0 / 7, 1, 639.999, 479.5, 2};
    const double kp2[] = {10.1, 5.2, 2, 30.0 / 7, 4, 1, 0, 0, 0, 100.0 / 3, 30.5, 2};
    yt_add_ann(ctx, ds, 1, 10, 1, box1, kp1, 4);
    yt_add_ann(ctx, ds, 2, 20, 1, box2, kp2, 4);
    yt_add_ann(ctx, ds, 3, 20, 3, box3, NULL, 0);
    ts_buf warnings = {0};
    ts_ctx_set_warning_fn(ctx, collect_warning, &warnings);
    ts_write_opts wo = {0};
    wo.copy_images = 1;
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "yolo", &wo));
    if (CHECK(warnings.data)) {
        CHECK(strstr(warnings.data, "1 annotations without 4 keypoints written as pose rows with every point 0 0 0"));
        CHECK(strstr(warnings.data, "dropped the skeletons of 1 categories"));
    }
    char *yaml = file_text(ctx, out, "data.yaml");
    if (yaml) {
        CHECK(strstr(yaml, "\nkpt_shape: [4, 3]\n"));
        CHECK(strstr(yaml, "\nflip_idx: [0, 2, 1, 3]\n")); /* from left_/right_ names */
        CHECK(strstr(yaml, "\nkpt_names:\n  0:\n    - \"nose\"\n    - \"left_eye\"\n"));
    }
    char *car = file_text(ctx, out, "labels/val/b/two.txt");
    if (car) /* the car's box row, with 4 unlabelled points */
        CHECK(strstr(car, "\n1 0.33102310231 0.501351351351 0.00198019802 0.997297297297 0 0 0 0 0 0 0 0 0 0 0 0\n"));
    ts_dataset *back = NULL, *again = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, &back));
    if (back) {
        yt_same_boxes(ds, back, 1e-6);
        check_same_points(ds, back, 1e-6);
        ts_category c;
        ts_dataset_category(back, 0, &c);
        CHECK_STR(c.name, "person");
        if (CHECK(c.n_keypoints == 4)) CHECK_STR(c.keypoints[1], "left_eye");
        CHECK_STR(attr_of(&c, "flip_idx"), "[0,2,1,3]");
        ts_annotation a;
        if (CHECK(yt_ann(back, "images/val/b/two.png", 1, &a))) {
            const double none[12] = {0};
            check_points(&a, none, 4, 0); /* the car's box, every point unlabelled */
        }
        /* YOLO -> YOLO keeps every value and flip_idx (now from the attribute) */
        CHECK_OK(ctx, ts_dataset_write(ctx, back, out2, "yolo", &wo));
        CHECK_OK(ctx, ts_dataset_read(ctx, out2, "yolo", NULL, &again));
        if (again) {
            yt_same_boxes(back, again, 1e-9);
            check_same_points(back, again, 1e-9);
            ts_dataset_category(again, 0, &c);
            CHECK_STR(attr_of(&c, "flip_idx"), "[0,2,1,3]");
        }
    }
    ts_ctx_set_warning_fn(ctx, NULL, NULL);
    ts_buf_free(&warnings);
    ts_dataset_destroy(again);
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(car);
    free(yaml);
    free(src);
    free(out);
    free(out2);
}

/* Datumaro's COCO person-keypoints fixture (3 points, names left empty). */
TEST(yolo_pose_round_trip_datumaro_coco_keypoints) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds, *back;
    yt_shared_round_trip(ctx, "interop/datumaro/coco/coco_person_keypoints", "coco", &ds, &back);
    if (back) {
        CHECK_EQ_INT(ts_dataset_annotation_count(back), 3);
        yt_same_boxes(ds, back, 1e-6);
        check_same_points(ds, back, 1e-6);
        ts_annotation a;
        if (CHECK(yt_ann(back, "images/train/a.jpg", 0, &a))) {
            const double want[] = {0, 0, 0, 0, 2, 1, 4, 1, 2};
            check_points(&a, want, 3, 1e-9);
            yt_check_box(&a, 1, 2, 2, 3, 1, 1e-9); /* "b": COCO id 2 is class index 1 */
        }
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
}

TEST(yolo_pose_mixed_sizes_write_the_detection_layout) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    char *src = ts_path_join(tmp, "src"), *out = ts_path_join(tmp, "out");
    yt_png(ctx, src, "1.png", 20, 10);
    ts_dataset *ds = yt_new_dataset(ctx, src);
    yt_add_category(ctx, ds, 0, "person", NULL, 0, NULL, 0);
    yt_add_category(ctx, ds, 1, "hand", NULL, 0, NULL, 0);
    yt_add_image(ctx, ds, 1, "1.png", 20, 10, "train");
    const double box[] = {2, 2, 4, 4}, kps[] = {3, 3, 2, 4, 4, 2, 5, 5, 1};
    yt_add_ann(ctx, ds, 1, 1, 0, box, kps, 2);
    yt_add_ann(ctx, ds, 2, 1, 1, box, kps, 3);
    ts_buf warnings = {0};
    ts_ctx_set_warning_fn(ctx, collect_warning, &warnings);
    ts_write_opts wo = {0};
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "yolo", &wo));
    if (CHECK(warnings.data)) {
        CHECK(strstr(warnings.data, "keypoint sets differ in size (\"person\" has 2 points, \"hand\" 3)"));
        CHECK(strstr(warnings.data, "2 keypoint sets"));
    }
    char *yaml = file_text(ctx, out, "data.yaml"), *rows = file_text(ctx, out, "labels/train/1.txt");
    if (yaml) CHECK(!strstr(yaml, "kpt_shape"));
    if (rows) CHECK_STR(rows, "0 0.2 0.4 0.2 0.4\n1 0.2 0.4 0.2 0.4\n");
    ts_ctx_set_warning_fn(ctx, NULL, NULL);
    ts_buf_free(&warnings);
    ts_dataset_destroy(ds);
    free(rows);
    free(yaml);
    free(src);
    free(out);
}

/* ---- bad input ------------------------------------------------------------------------ */

static void check_bad_rows(ts_ctx *ctx, const char *rows, const char *needle) {
    char *dir = pose_set(ctx, "bad", person_yaml, rows);
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), needle);
    CHECK(ds == NULL);
    free(dir);
}

TEST(yolo_pose_rejects_bad_rows_with_position) {
    ts_ctx *ctx = ts_test_ctx();
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0 0 0 0 0 0 0 0 0\n1 0.5 0.5 0.2 0.2 0.5 0.5 2\n",
                   "1.txt:2:1: expected 14 fields (class, box and 3 keypoints of 3 values, as kpt_shape says), "
                   "found 8");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2\n", "found 5; a box without keypoints needs them written as 0 0 0");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0.5 x 2 0 0 0 0 0 0\n", "1.txt:1:23: expected a number, found \"x\"");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 nan 0.5 2 0 0 0 0 0 0\n", "1.txt:1:19: expected a number, found \"nan\"");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0.5 0.5 2 0 inf 0 0 0 0\n", "1.txt:1:31: expected a number");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0.5 0.5 3 0 0 0 0 0 0\n",
                   "1.txt:1:27: keypoint 1: visibility 3; expected 0 (not labelled), 1 (labelled, occluded) or 2");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0.5 0.5 2 0 0 0.5 0 0 0\n", "1.txt:1:33: keypoint 2: visibility 0.5");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0.5 0.5 2 0 0 -1 0 0 0\n", "keypoint 2: visibility -1");
    check_bad_rows(ctx, "0 0.5 0.5 0.2 0.2 0.5 50 2 0 0 0 0 0 0\n", "1.txt:1:23: value 50 is far outside [0, 1]");
    check_bad_rows(ctx, "0 0.5 0.5 -0.2 0.2 0.5 0.5 2 0 0 0 0 0 0\n", "negative box width or height");
    check_bad_rows(ctx, "5 0.5 0.5 0.2 0.2 0.5 0.5 2 0 0 0 0 0 0\n", "class index 5");
}

TEST(yolo_pose_lenient_skips_bad_rows) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = pose_set(ctx, "lenient", person_yaml,
                         "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2 0.5 0.5 7 0 0 0 0 0 0\n"
                         "1 0.5 0.5 0.2 0.2 0.5 0.5 1 0 0 0 0 0 0\n");
    ts_dataset *ds = NULL;
    int before = ts_test_warnings;
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    CHECK_EQ_INT(ts_test_warnings - before, 2);
    ts_annotation a;
    if (ds && CHECK(yt_ann(ds, "images/train/1.png", 0, &a))) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
        const double want[] = {10, 5, 1, 0, 0, 0, 0, 0, 0};
        check_points(&a, want, 3, 1e-9);
    }
    ts_dataset_destroy(ds);
    free(dir);
}

TEST(yolo_pose_rejects_bad_kpt_shape_and_flip_idx) {
    ts_ctx *ctx = ts_test_ctx();
    static const struct {
        const char *yaml, *needle;
    } cases[] = {
        {"names: [a]\nkpt_shape: [3]\n", "data.yaml:2: kpt_shape: expected [K, D], K keypoints and D = 2"},
        {"names: [a]\nkpt_shape: 3\n", "data.yaml:2: kpt_shape: expected [K, D]"},
        {"names: [a]\nkpt_shape: [3.5, 3]\n", "kpt_shape: expected [K, D]"},
        {"names: [a]\nkpt_shape: [x, 3]\n", "kpt_shape: expected [K, D]"},
        {"names: [a]\nkpt_shape: {0: 3, 1: 3}\n", "kpt_shape: expected [K, D]"},
        {"names: [a]\nkpt_shape: [3, 4]\n", "kpt_shape: 4 values per keypoint; expected 2 (x y) or 3"},
        {"names: [a]\nkpt_shape: [0, 3]\n", "kpt_shape: 0 keypoints; expected 1 to 1000"},
        {"names: [a]\nkpt_shape: [-2, 3]\n", "kpt_shape: -2 keypoints"},
        {"names: [a]\nkpt_shape: [1001, 3]\n", "kpt_shape: 1001 keypoints; expected 1 to 1000"},
        {"names: [a]\nkpt_shape: [99999999999999999999, 3]\n", "kpt_shape: expected [K, D]"},
        {"names: [a]\nkpt_shape:\n  - 3\n  - 3\nflip_idx: [0, 1]\n",
         "data.yaml:5: flip_idx: expected 3 indices, each 0 to 2"},
        {"names: [a]\nkpt_shape: [3, 3]\nflip_idx: [0, 3, 1]\n", "flip_idx: expected 3 indices"},
        {"names: [a]\nkpt_shape: [3, 3]\nflip_idx: [0, -1, 1]\n", "flip_idx: expected 3 indices"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = pose_set(ctx, "shape", cases[i].yaml, "0 0.5 0.5 0.2 0.2 0 0 0 0 0 0 0 0 0\n");
        ts_dataset *ds = NULL;
        CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "yolo", NULL, &ds), cases[i].needle);
        CHECK(ds == NULL);
        free(dir);
    }
}

TEST(yolo_pose_yaml_lists_under_map_items) {
    ts_ctx *ctx = ts_test_ctx();
    const char *forms[] = {
        "kpt_names: {0: [a, 'b, c'], 1: [d]}\nnames: {0: x, 1: y}\n",
        "kpt_names:\n  0:\n    - a\n    - \"b, c\"\n  1: [d]\nnames: {0: x, 1: y}\n",
    };
    for (size_t k = 0; k < 2; k++) {
        ts_yaml_doc doc;
        CHECK_OK(ctx, ts_yaml_parse(ctx, "t.yaml", forms[k], strlen(forms[k]), &doc));
        const ts_yaml_entry *e = ts_yaml_get(&doc, "kpt_names");
        if (CHECK(e && e->is_map && e->count == 2)) {
            CHECK_EQ_INT(e->index[1], 1);
            if (CHECK(e->lists[0].count == 2)) {
                CHECK_STR(e->lists[0].values[0], "a");
                CHECK_STR(e->lists[0].values[1], "b, c");
            }
            if (CHECK(e->lists[1].count == 1)) CHECK_STR(e->lists[1].values[0], "d");
        }
        e = ts_yaml_get(&doc, "names");
        if (CHECK(e && e->count == 2)) CHECK_STR(e->values[1], "y");
        ts_yaml_free(&doc);
    }
}
