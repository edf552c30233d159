/* CVAT XML reader and writer: Datumaro's task, project and video exports
 * with their values, CVAT masks, round trips CVAT->CVAT and CVAT->VOC,
 * bad and hostile input. */
#include <stdlib.h>

#include "xml_testutil.h"

extern const ts_format ts_format_cvat;

TEST(cvat_is_registered) { CHECK(ts_format_find("cvat") == &ts_format_cvat); }

TEST(cvat_task_export) {
    ts_ctx *ctx = ts_test_ctx();
    const char *path = ts_test_shared("interop/datumaro/cvat/for_images/export_task");
    CHECK(ts_format_cvat.detect(path) >= 90);
    ts_dataset *ds = xt_read(ctx, path, NULL);
    if (!ds) return;
    CHECK_STR(ts_dataset_meta(ds, "format"), "cvat");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 2);
    ts_image_entry e;
    ts_dataset_image(ds, 0, &e);
    CHECK_EQ_INT(e.id, 0);
    CHECK_STR(e.path, "images/img0.jpg");
    CHECK_EQ_INT(e.width, 8);
    CHECK_EQ_INT(e.height, 8);
    ts_annotation a;
    CHECK(xt_ann(ds, "images/img0.jpg", 0, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_BOX);
    CHECK_STR(xt_cat(ds, a.category_id), "label1");
    xt_check_box(&a, 0, 2, 4, 2);
    CHECK(a.flags & TS_ANN_OCCLUDED);
    CHECK_EQ_INT(a.z_order, 1);
    CHECK_EQ_INT(a.n_attrs, 4);
    if (a.n_attrs == 4) {
        CHECK_STR(a.attrs[0].key, "a1");
        CHECK_STR(a.attrs[0].value, "true");
        CHECK_EQ_INT(a.attrs[0].type, TS_ATTR_BOOL); /* checkbox */
        CHECK_STR(a.attrs[1].value, "v3");
        CHECK_EQ_INT(a.attrs[1].type, TS_ATTR_STRING);
        CHECK_STR(a.attrs[2].value, "0003"); /* text keeps its zeros */
        CHECK_EQ_INT(a.attrs[2].type, TS_ATTR_STRING);
        CHECK_STR(a.attrs[3].value, "2.4");
        CHECK_EQ_INT(a.attrs[3].type, TS_ATTR_NUMBER);
    }
    /* label="" polyline: no category */
    CHECK(xt_ann(ds, "images/img0.jpg", 1, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_POLYLINE);
    CHECK_EQ_INT(a.category_id, TS_NO_ID);
    CHECK_EQ_INT(a.n_rings, 1);
    if (a.n_rings == 1) {
        CHECK_EQ_INT(a.ring_sizes[0], 8);
        CHECK_NEAR(a.coords[0], 1, 0);
        CHECK_NEAR(a.coords[7], 8, 0);
    }
    CHECK(xt_ann(ds, "images/img1.jpg", 0, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_POLYGON);
    CHECK_EQ_INT(a.z_order, 1);
    xt_check_box(&a, 1, 2, 5, 3);
    CHECK_NEAR(a.area, 2, 1e-12); /* (1,2) (3,4) (6,5) */
    CHECK(xt_ann(ds, "images/img1.jpg", 1, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_POINTS);
    CHECK_STR(xt_cat(ds, a.category_id), "label2");
    CHECK_EQ_INT(a.ring_sizes[0], 6);
    CHECK_EQ_INT(a.z_order, 2);
    ts_category c;
    ts_dataset_category(ds, 0, &c);
    CHECK(xt_attr(c.attrs, c.n_attrs, "cvat_attributes") != NULL);
    ts_dataset_destroy(ds);
}

TEST(cvat_project_export_repeated_ids) {
    ts_dataset *ds = xt_read(ts_test_ctx(), ts_test_shared("interop/datumaro/cvat/for_images/export_project"), "cvat");
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 6);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 12);
    static const char *const subsets[3] = {"Test", "Train", "Validation"};
    for (size_t i = 0; i < 6; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        CHECK_EQ_INT(e.id, (int64_t)i); /* ids 0,1 repeat per subset: re-keyed */
        CHECK_STR(e.split, subsets[i / 2]);
        char want[64];
        snprintf(want, sizeof want, "images/%s/img%zu.jpg", subsets[i / 2], i % 2);
        CHECK_STR(e.path, want);
        CHECK_EQ_INT(xt_count(ds, e.path), 2);
    }
    ts_annotation a;
    CHECK(xt_ann(ds, "images/Validation/img0.jpg", 1, &a));
    CHECK_STR(xt_cat(ds, a.category_id), "label2");
    CHECK_EQ_INT(a.kind, TS_ANN_POLYLINE);
    ts_dataset_destroy(ds);
}

TEST(cvat_video_tracks) {
    ts_dataset *ds = xt_read(ts_test_ctx(), ts_test_shared("interop/datumaro/cvat/for_video"), "cvat");
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 7);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
    size_t ci;
    CHECK(ts_dataset_find_category_name(ds, "z U k", &ci));
    static const int frames[3] = {10, 13, 16};
    for (size_t i = 0; i < 3; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        CHECK_EQ_INT(e.id, frames[i]);
        CHECK_EQ_INT(e.width, 25); /* <original_size> */
        CHECK_EQ_INT(e.height, 20);
    }
    ts_annotation a;
    CHECK(xt_ann(ds, "images/frame_000010.png", 0, &a));
    CHECK_EQ_INT(a.track_id, 0);
    CHECK_EQ_INT(a.frame, 10);
    CHECK_STR(xt_cat(ds, a.category_id), "II");
    xt_check_box(&a, 3, 4, 7, 1);
    CHECK(a.flags & TS_ANN_OCCLUDED);
    CHECK(!(a.flags & TS_ANN_OUTSIDE));
    CHECK(xt_ann(ds, "images/frame_000010.png", 1, &a));
    CHECK_EQ_INT(a.track_id, 1);
    CHECK_EQ_INT(a.kind, TS_ANN_POINTS);
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "hgl"), "hgkf");
    CHECK(xt_ann(ds, "images/frame_000016.png", 0, &a));
    CHECK_EQ_INT(a.track_id, 0);
    CHECK(a.flags & TS_ANN_OUTSIDE);
    xt_check_box(&a, 8, 7, 6, 10); /* xbr written as 14.0 */
    ts_dataset_destroy(ds);
}

TEST(cvat_round_trips) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    static const char *const sets[] = {"interop/datumaro/cvat/for_images/export_task",
                                       "interop/datumaro/cvat/for_images/export_project",
                                       "interop/datumaro/cvat/for_video"};
    for (int i = 0; i < 3; i++) {
        ts_dataset *ds = xt_read(ctx, ts_test_shared(sets[i]), "cvat");
        if (!ds) continue;
        char out[4096];
        ts_write_opts wo = {1, 0, 0, NULL};
        snprintf(out, sizeof out, "%s/cvat%d", tmp, i);
        CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "cvat", &wo));
        ts_dataset *back = xt_read(ctx, out, "cvat");
        xt_compare(ds, back, XT_SAME_PATHS | XT_SAME_TRACKS | XT_SAME_FLAGS);
        if (back && i == 0) {
            ts_annotation a;
            CHECK(xt_ann(back, "images/img0.jpg", 0, &a));
            CHECK_EQ_INT(a.attrs[0].type, TS_ATTR_BOOL);
            CHECK_EQ_INT(a.z_order, 1);
        }
        /* a single .xml output, no images */
        snprintf(out, sizeof out, "%s/single%d.xml", tmp, i);
        CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "cvat", NULL));
        ts_dataset *single = xt_read(ctx, out, "cvat");
        if (single) CHECK_EQ_INT(ts_dataset_annotation_count(single), ts_dataset_annotation_count(ds));
        ts_dataset_destroy(single);
        ts_dataset_destroy(back);
        ts_dataset_destroy(ds);
    }
}

TEST(cvat_to_voc_keeps_boxes) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = xt_read(ctx, ts_test_shared("interop/datumaro/cvat/for_images/export_task"), "cvat");
    if (!ds) return;
    char out[4096];
    snprintf(out, sizeof out, "%s/voc", ts_test_tmpdir());
    ts_test_warnings = 0;
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "voc", NULL));
    CHECK(ts_test_warnings >= 2); /* polyline and points dropped, polygon reduced */
    ts_dataset *back = xt_read(ctx, out, "voc");
    ts_annotation a;
    if (back && xt_ann(back, "JPEGImages/img0.jpg", 0, &a)) {
        xt_check_box(&a, 0, 2, 4, 2);
        CHECK_STR(xt_attr(a.attrs, a.n_attrs, "a2"), "v3");
        CHECK(a.flags & TS_ANN_OCCLUDED);
        /* the unlabelled polygon cannot be a VOC object; the points have no box */
        CHECK_EQ_INT(xt_count(back, "JPEGImages/img1.jpg"), 0);
    } else {
        CHECK(0);
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
}

#define CVAT_HEAD "<annotations><version>1.1</version>\n"

TEST(cvat_mask_shape) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    /* a 4x3 image; the mask box is x 1..2, y 0..2; runs 1 zero, 2 ones, 3 zeros */
    const char *path = xt_file(dir, "annotations.xml",
                               CVAT_HEAD "<image id=\"3\" name=\"m.png\" width=\"4\" height=\"3\">\n"
                                         "<mask label=\"blob\" source=\"manual\" occluded=\"0\" rle=\"1, 2, 3\" "
                                         "left=\"1\" top=\"0\" width=\"2\" height=\"3\" z_order=\"0\"/>\n"
                                         "</image></annotations>");
    ts_dataset *ds = xt_read(ctx, path, "cvat");
    if (!ds) return;
    ts_annotation a;
    CHECK(xt_ann(ds, "images/m.png", 0, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_MASK);
    CHECK_EQ_INT(a.mask_w, 4);
    CHECK_EQ_INT(a.mask_h, 3);
    uint8_t m[12];
    CHECK_OK(ctx, ts_rle_decode(ctx, a.rle, a.rle_len, 3, 4, m));
    static const uint8_t want[12] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    CHECK(!memcmp(m, want, 12));
    xt_check_box(&a, 1, 0, 2, 2);
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "source"), "manual");
    char out[4096];
    snprintf(out, sizeof out, "%s/out", dir);
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "cvat", NULL));
    ts_dataset *back = xt_read(ctx, out, "cvat");
    xt_compare(ds, back, XT_SAME_PATHS | XT_SAME_FLAGS);
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
}

/* An ellipse becomes a 32-vertex polygon: centre (50, 40), radii 20 x 10
 * turned 90 degrees, so it spans x 40..60 and y 20..60, with the area of
 * the inscribed 32-gon, pi rx ry (32 / 2 pi) sin(2 pi / 32). */
TEST(cvat_ellipse_as_polygon) {
    ts_ctx *ctx = ts_test_ctx();
    const char *path = xt_file(ts_test_tmpdir(), "annotations.xml",
                               CVAT_HEAD "<image id=\"0\" name=\"e.jpg\" width=\"100\" height=\"80\">\n"
                                         "<ellipse label=\"eye\" cx=\"50\" cy=\"40\" rx=\"20\" ry=\"10\" "
                                         "rotation=\"90\" occluded=\"1\"/>\n"
                                         "<ellipse label=\"eye\" cx=\"10\" cy=\"10\" rx=\"-1\" ry=\"2\"/>\n"
                                         "</image></annotations>");
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, path, "cvat", NULL, &ds), "annotations.xml:4:1: rx=\"-1\" is out of range");
    ts_ctx_set_lenient(ctx, 1);
    ds = xt_read(ctx, path, "cvat");
    ts_ctx_set_lenient(ctx, 0);
    if (!ds) return;
    ts_annotation a;
    CHECK(xt_ann(ds, "images/e.jpg", 0, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_POLYGON);
    CHECK_EQ_INT(a.n_rings, 1);
    CHECK_EQ_INT(a.ring_sizes ? (int)a.ring_sizes[0] : 0, 64);
    CHECK_NEAR(a.bbox[0], 40, 1e-9);
    CHECK_NEAR(a.bbox[1], 20, 1e-9);
    CHECK_NEAR(a.bbox[2], 20, 1e-9);
    CHECK_NEAR(a.bbox[3], 40, 1e-9);
    CHECK_NEAR(a.area, M_PI * 20 * 10 * 32 / (2 * M_PI) * sin(2 * M_PI / 32), 1e-6);
    CHECK(a.flags & TS_ANN_OCCLUDED);
    CHECK(xt_attr(a.attrs, a.n_attrs, "rotation") == NULL); /* turned into the points already */
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
    ts_dataset_destroy(ds);
}

TEST(cvat_bad_input_is_located) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    struct {
        const char *xml, *needle;
        ts_status status;
    } cases[] = {
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\"><box label=\"x\" xtl=\"1\"",
         "annotations.xml:2:", TS_ERR_PARSE},
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\">\n<box label=\"x\" xtl=\"one\" ytl=\"1\" "
                   "xbr=\"2\" ybr=\"2\"/></image></annotations>",
         "annotations.xml:3:1: expected a finite number for xtl, found \"one\"", TS_ERR_INVALID},
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\">\n<box label=\"x\" xtl=\"nan\" ytl=\"1\" "
                   "xbr=\"2\" ybr=\"2\"/></image></annotations>",
         "expected a finite number for xtl", TS_ERR_INVALID},
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\">\n<polygon label=\"x\" points=\"1,2;3\"/>"
                   "</image></annotations>",
         "points: expected", TS_ERR_INVALID},
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\">\n<box xtl=\"1\" ytl=\"1\" xbr=\"2\" "
                   "ybr=\"2\"/></image></annotations>",
         "<box> without label=", TS_ERR_INVALID},
        {CVAT_HEAD "<image id=\"x\" name=\"a.jpg\"/></annotations>", "expected a finite number for id", TS_ERR_INVALID},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\n"
         "<annotations><image name=\"&b;\"/></annotations>",
         "DOCTYPE declarations are refused", TS_ERR_PARSE},
        {CVAT_HEAD "<image id=\"0\" name=\"../../etc/passwd\"/></annotations>", "annotations.xml:2:1: image path",
         TS_ERR_PATH},
        {CVAT_HEAD "<image id=\"0\" name=\"/abs/a.jpg\"/></annotations>", "absolute image path", TS_ERR_PATH},
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" subset=\"../x\"/></annotations>", "leaves the dataset root",
         TS_ERR_PATH},
        {CVAT_HEAD "<track id=\"0\" label=\"x\"><box xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/></track></annotations>",
         "track shape without frame=", TS_ERR_INVALID},
        {CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"3\"><mask label=\"x\" rle=\"1,20\" left=\"0\" "
                   "top=\"0\" width=\"4\" height=\"3\"/></image></annotations>",
         "rle= runs", TS_ERR_INVALID},
        {"<annotation><image/></annotation>", "expected <annotations> as the root element", TS_ERR_PARSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = xt_file(dir, "annotations.xml", cases[i].xml);
        ts_dataset *ds = NULL;
        ts_ctx_clear_error(ctx);
        ts_status s = ts_dataset_read(ctx, path, "cvat", NULL, &ds);
        CHECK_EQ_INT(s, cases[i].status);
        if (!strstr(ts_ctx_error(ctx), cases[i].needle))
            ts_test_failf(__FILE__, __LINE__, "case %zu: \"%s\" lacks \"%s\"", i, ts_ctx_error(ctx), cases[i].needle);
        if (s == TS_OK) ts_dataset_destroy(ds);
    }
    ts_ctx_clear_error(ctx);
}

TEST(cvat_lenient_skips_bad_shapes) {
    ts_ctx *ctx = ts_test_ctx();
    const char *path = xt_file(ts_test_tmpdir(), "annotations.xml",
                               CVAT_HEAD "<image id=\"0\" name=\"a.jpg\" width=\"4\" height=\"4\">\n"
                                         "<box label=\"x\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/>\n"
                                         "<box label=\"x\" xtl=\"3\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/>\n"
                                         "<cuboid label=\"x\" xtl1=\"1\" ytl1=\"1\"/>\n"
                                         "</image>\n<image id=\"1\" name=\"../b.jpg\"/></annotations>");
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, path, "cvat", NULL, &ds), "annotations.xml:4:1: <box> with xbr < xtl");
    ts_ctx_set_lenient(ctx, 1);
    ts_test_warnings = 0;
    CHECK_OK(ctx, ts_dataset_read(ctx, path, "cvat", NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    CHECK_EQ_INT(ts_test_warnings, 3); /* bad box, hostile image, the cuboid */
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
        ts_dataset_destroy(ds);
    }
}
