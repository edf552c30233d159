/* Pascal VOC reader and writer: Datumaro's VOC fixtures with their traps,
 * Roboflow and Kaggle layouts, the real BCCD set against its CSV oracle,
 * round trips VOC->VOC and VOC->CVAT, bad and hostile input. */
#include <stdlib.h>

#include "xml_testutil.h"

extern const ts_format ts_format_voc;

TEST(voc_is_registered) { CHECK(ts_format_find("voc") == &ts_format_voc); }

static int count_kind(const ts_dataset *ds, ts_ann_kind kind) {
    int n = 0;
    for (size_t i = 0; i < ts_dataset_annotation_count(ds); i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        n += a.kind == kind;
    }
    return n;
}

TEST(voc_dataset1_boxes_parts_actions_masks) {
    ts_ctx *ctx = ts_test_ctx();
    const char *path = ts_test_shared("interop/datumaro/voc/voc_dataset1");
    CHECK(ts_format_voc.detect(path) >= 90);
    ts_dataset *ds = xt_read(ctx, path, NULL);
    if (!ds) return;
    CHECK_STR(ts_dataset_meta(ds, "format"), "voc");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    ts_image_entry e;
    ts_dataset_image(ds, 0, &e);
    CHECK_STR(e.path, "JPEGImages/2007_000001.jpg");
    CHECK_STR(e.split, "train");
    CHECK_EQ_INT(e.width, 20);
    CHECK_EQ_INT(e.height, 10);
    ts_dataset_image(ds, 1, &e); /* no XML: listed in test.txt, size probed */
    CHECK_STR(e.path, "JPEGImages/2007_000002.jpg");
    CHECK_STR(e.split, "test");
    CHECK_EQ_INT(e.width, 20);
    CHECK_EQ_INT(xt_count(ds, "JPEGImages/2007_000002.jpg"), 0);
    ts_annotation a;
    /* cat: xmin 1 ymin 2 xmax 3 ymax 4 -> [0, 1, 3, 3] */
    CHECK(xt_ann(ds, "JPEGImages/2007_000001.jpg", 0, &a));
    CHECK_STR(xt_cat(ds, a.category_id), "cat");
    CHECK_EQ_INT(a.kind, TS_ANN_BOX);
    xt_check_box(&a, 0, 1, 3, 3);
    CHECK(a.flags & TS_ANN_TRUNCATED);
    CHECK(!(a.flags & (TS_ANN_DIFFICULT | TS_ANN_OCCLUDED)));
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "pose"), "Unspecified");
    int64_t person_id = 0;
    CHECK(xt_ann(ds, "JPEGImages/2007_000001.jpg", 1, &a));
    CHECK_STR(xt_cat(ds, a.category_id), "person");
    xt_check_box(&a, 3, 4, 3, 3);
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "phoning"), "true");
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "jumping"), "false");
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "walking"), "true");
    person_id = a.id;
    /* the head part: float corners outside its parent */
    CHECK(xt_ann(ds, "JPEGImages/2007_000001.jpg", 2, &a));
    CHECK_STR(xt_cat(ds, a.category_id), "head");
    xt_check_box(&a, 4.5, 5, 3, 3);
    char parent[24];
    snprintf(parent, sizeof parent, "%lld", (long long)person_id);
    CHECK_STR(xt_attr(a.attrs, a.n_attrs, "part_of"), parent);
    /* RGB masks: the class PNG is bicycle (0,128,0) everywhere, the object
     * PNG instance 1; object 1 is a cat, so the mask stands alone */
    CHECK(xt_ann(ds, "JPEGImages/2007_000001.jpg", 3, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_MASK);
    CHECK_STR(xt_cat(ds, a.category_id), "bicycle");
    CHECK_EQ_INT(a.mask_h, 10);
    CHECK_EQ_INT(a.mask_w, 20);
    CHECK_EQ_INT(ts_rle_area(a.rle, a.rle_len), 200);
    xt_check_box(&a, 0, 0, 20, 10);
    /* per-class lists: 11 classes marked 1 for 2007_000001 */
    CHECK_EQ_INT(count_kind(ds, TS_ANN_LABEL), 11);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 15);
    size_t ci;
    CHECK(ts_dataset_find_category_name(ds, "ignored", &ci));
    CHECK(!ts_dataset_find_category_name(ds, "cow", &ci)); /* only -1 entries */
    ts_dataset_destroy(ds);
}

TEST(voc_dataset2_labelmap_no_images) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = xt_read(ctx, ts_test_shared("interop/datumaro/voc/voc_dataset2"), "voc");
    if (!ds) return;
    /* @.xml (no objects) is an image like the others */
    CHECK_EQ_INT(ts_dataset_image_count(ds), 5);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 22);
    ts_category c;
    ts_dataset_category(ds, 0, &c);
    CHECK_STR(c.name, "background");
    CHECK_EQ_INT(c.id, 1);
    CHECK_STR(xt_attr(c.attrs, c.n_attrs, "color"), "0,0,0");
    ts_dataset_category(ds, 21, &c);
    CHECK_STR(c.name, "ignored");
    CHECK_EQ_INT(c.id, 22);
    ts_image_entry e;
    ts_dataset_image(ds, 0, &e);
    CHECK_STR(e.path, "JPEGImages/@.jpg");
    CHECK_STR(e.split, "trainval");
    CHECK_EQ_INT(e.width, 0);
    ts_annotation a;
    CHECK(xt_ann(ds, "JPEGImages/a.jpg", 0, &a));
    CHECK_EQ_INT(a.category_id, 1);
    xt_check_box(&a, 0, 1, 4, 5);
    CHECK(a.flags & TS_ANN_OCCLUDED);
    CHECK(xt_ann(ds, "JPEGImages/c.jpg", 0, &a));
    CHECK_STR(xt_cat(ds, a.category_id), "bicycle");
    CHECK_EQ_INT(a.category_id, 3);
    xt_check_box(&a, 2, 0, 9, 6);
    CHECK(!(a.flags & TS_ANN_OCCLUDED));
    ts_dataset_destroy(ds);
}

TEST(voc_dataset3_comment_and_blank_lines) {
    ts_dataset *ds = xt_read(ts_test_ctx(), ts_test_shared("interop/datumaro/voc/voc_dataset3"), "voc");
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
    ts_image_entry e;
    ts_dataset_image(ds, 0, &e);
    CHECK_STR(e.split, "train");
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
    ts_dataset_destroy(ds);
}

TEST(voc_roboflow_and_kaggle_layouts) {
    ts_ctx *ctx = ts_test_ctx();
    const char *rf = ts_test_shared("interop/datumaro/roboflow/voc");
    CHECK(ts_format_voc.detect(rf) > 0);
    ts_dataset *ds = xt_read(ctx, rf, "voc");
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
        ts_annotation a;
        /* bndbox order xmin,xmax,ymin,ymax: 2,5,1,2 */
        CHECK(xt_ann(ds, "train/train_001.jpg", 0, &a));
        CHECK_STR(xt_cat(ds, a.category_id), "label_0");
        xt_check_box(&a, 1, 0, 4, 2);
        ts_image_entry e;
        ts_dataset_image(ds, 2, &e);
        CHECK_STR(e.path, "val/val_001.jpg");
        CHECK_STR(e.split, "val");
        CHECK_EQ_INT(e.width, 10);
        CHECK_EQ_INT(xt_count(ds, "val/val_001.jpg"), 2);
        ts_dataset_destroy(ds);
    }
    static const char *const relaxed[2][2] = {{"interop/datumaro/kaggle_relaxed/relaxed_voc1", "images/"},
                                              {"interop/datumaro/kaggle_relaxed/relaxed_voc2", ""}};
    for (int i = 0; i < 2; i++) {
        ds = xt_read(ctx, ts_test_shared(relaxed[i][0]), NULL);
        if (!ds) continue;
        char p1[64], p2[64];
        snprintf(p1, sizeof p1, "%s2007_000001.jpg", relaxed[i][1]);
        snprintf(p2, sizeof p2, "%s2007_000002.jpg", relaxed[i][1]);
        CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
        CHECK_EQ_INT(xt_count(ds, p1), 2);
        CHECK_EQ_INT(xt_count(ds, p2), 0); /* image without XML is kept */
        ts_annotation a;
        CHECK(xt_ann(ds, p1, 1, &a));
        CHECK_STR(xt_cat(ds, a.category_id), "person");
        xt_check_box(&a, 3, 4, 3, 3);
        ts_dataset_destroy(ds);
    }
}

TEST(voc_roboflow_chess_real) {
    ts_dataset *ds = xt_read(ts_test_ctx(), ts_test_shared("interop/real/roboflow_chess_voc"), "voc");
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 12);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 180);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 12);
    /* 0af.xml names 0af.jpg; the file is 0AF.jpg */
    CHECK_EQ_INT(xt_count(ds, "0AF.jpg"), 13);
    /* <filename>1be</filename> has no extension */
    CHECK_EQ_INT(xt_count(ds, "1be.jpg"), 8);
    CHECK_EQ_INT(xt_count(ds, "5c1.jpg"), 0);
    ts_annotation a;
    CHECK(xt_ann(ds, "0AF.jpg", 0, &a));
    CHECK_STR(xt_cat(ds, a.category_id), "black-king");
    xt_check_box(&a, 554, 100, 69, 110);
    size_t i;
    CHECK(ts_dataset_find_image_path(ds, "5c1.jpg", &i));
    ts_image_entry e;
    ts_dataset_image(ds, i, &e);
    CHECK_EQ_INT(e.width, 765); /* probed */
    CHECK_EQ_INT(e.height, 512);
    ts_dataset_destroy(ds);
}

/* Every row of BCCD's test.csv (filename,cell_type,xmin,xmax,ymin,ymax) is
 * an annotation with the VOC -> pixel-edge conversion applied. */
TEST(voc_bccd_against_csv_oracle) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = xt_read(ctx, ts_test_shared("interop/real/bccd/BCCD"), NULL);
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 364);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4888);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
    int splits[3] = {0, 0, 0}, truncated = 0;
    for (size_t i = 0; i < ts_dataset_image_count(ds); i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        splits[0] += !strcmp(e.split, "train");
        splits[1] += !strcmp(e.split, "val");
        splits[2] += !strcmp(e.split, "test");
        CHECK(e.width == 640 && e.height == 480);
    }
    CHECK_EQ_INT(splits[0], 205);
    CHECK_EQ_INT(splits[1], 87);
    CHECK_EQ_INT(splits[2], 72);
    for (size_t i = 0; i < ts_dataset_annotation_count(ds); i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        truncated += (a.flags & TS_ANN_TRUNCATED) != 0;
    }
    CHECK_EQ_INT(truncated, 1131);
    uint8_t *csv = NULL;
    size_t len = 0, rows = 0, matched = 0;
    CHECK_OK(ctx, ts_file_read(ctx, ts_test_shared("interop/real/bccd/test.csv"), &csv, &len));
    char *save = NULL;
    for (char *line = strtok_r((char *)csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char file[128], cls[32];
        double x0, x1, y0, y1;
        if (sscanf(line, "%127[^,],%31[^,],%lf,%lf,%lf,%lf", file, cls, &x0, &x1, &y0, &y1) != 6) continue;
        rows++;
        char path[160];
        snprintf(path, sizeof path, "JPEGImages/%s", file);
        ts_annotation a;
        for (size_t k = 0; xt_ann(ds, path, k, &a); k++) {
            if (strcmp(xt_cat(ds, a.category_id), cls) != 0) continue;
            if (a.bbox[0] == x0 - 1 && a.bbox[1] == y0 - 1 && a.bbox[2] == x1 - x0 + 1 && a.bbox[3] == y1 - y0 + 1) {
                matched++;
                break;
            }
        }
    }
    free(csv);
    CHECK(rows > 4000);
    CHECK_EQ_INT(matched, rows);
    ts_dataset_destroy(ds);
}

TEST(voc_round_trip_voc_and_cvat) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    static const char *const sets[] = {"interop/datumaro/voc/voc_dataset1", "interop/real/bccd/BCCD",
                                       "interop/real/roboflow_chess_voc"};
    for (int i = 0; i < 3; i++) {
        ts_dataset *ds = xt_read(ctx, ts_test_shared(sets[i]), "voc");
        if (!ds) continue;
        char out[4096];
        ts_write_opts wo = {1, 0, 0, NULL};
        snprintf(out, sizeof out, "%s/voc%d", tmp, i);
        CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "voc", &wo));
        ts_dataset *back = xt_read(ctx, out, "voc");
        xt_compare(ds, back, XT_SAME_FLAGS);
        /* VOC -> CVAT: boxes, labels and masks survive */
        snprintf(out, sizeof out, "%s/cvat%d", tmp, i);
        CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "cvat", &wo));
        ts_dataset *cv = xt_read(ctx, out, "cvat");
        xt_compare(ds, cv, 0);
        if (i == 0 && back) {
            /* the mask came back bit-exact, and attached to its own object */
            ts_annotation a;
            CHECK(xt_ann(back, "JPEGImages/2007_000001.jpg", 3, &a));
            CHECK_EQ_INT(a.kind, TS_ANN_MASK);
            CHECK_STR(xt_cat(back, a.category_id), "bicycle");
            CHECK_EQ_INT(ts_rle_area(a.rle, a.rle_len), 200);
        }
        ts_dataset_destroy(cv);
        ts_dataset_destroy(back);
        ts_dataset_destroy(ds);
    }
}

TEST(voc_write_float_and_inverse_boxes) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    ts_category c = ts_category_empty();
    c.id = 1, c.name = "thing";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    ts_image_entry e = ts_image_entry_empty();
    e.id = 7, e.path = "x.jpg", e.width = 100, e.height = 50, e.split = "val";
    CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
    ts_annotation a = ts_annotation_empty();
    a.id = 1, a.image_id = 7, a.category_id = 1, a.kind = TS_ANN_BOX, a.flags = TS_ANN_HAS_BOX | TS_ANN_DIFFICULT;
    a.bbox[0] = 0.1, a.bbox[1] = 12.345678, a.bbox[2] = 0.3, a.bbox[3] = 20.5;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    a.id = 2, a.kind = TS_ANN_POLYLINE, a.flags = 0;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    char out[4096];
    snprintf(out, sizeof out, "%s/voc", ts_test_tmpdir());
    ts_test_warnings = 0;
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "voc", NULL));
    CHECK(ts_test_warnings >= 1); /* the polyline */
    ts_dataset *back = xt_read(ctx, out, "voc");
    ts_annotation b;
    if (back && xt_ann(back, "JPEGImages/x.jpg", 0, &b)) {
        for (int k = 0; k < 4; k++) CHECK_NEAR(b.bbox[k], a.bbox[k], 1e-6);
        CHECK(b.flags & TS_ANN_DIFFICULT);
        CHECK_EQ_INT(xt_count(back, "JPEGImages/x.jpg"), 1);
    } else {
        CHECK(0);
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
}

/* ---- bad input ------------------------------------------------------------------- */

static const char *one_xml(const char *dir, const char *body) {
    return xt_file(dir, "a.xml", body);
}

#define VOC_HEAD "<annotation>\n<filename>a.jpg</filename>\n"

TEST(voc_bad_input_is_located) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    ts_dataset *ds = NULL;
    struct {
        const char *xml, *needle;
        ts_status status;
    } cases[] = {
        {VOC_HEAD "<object><name>x</name><bndbox><xmin>1</xmin>", "a.xml:3:45: malformed XML: no element found", TS_ERR_PARSE},
        {VOC_HEAD "<object><name>x</name><bndbox><xmin>abc</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"
                  "</bndbox></object></annotation>",
         "a.xml:3:31: expected a finite number for xmin, found \"abc\"", TS_ERR_INVALID},
        {VOC_HEAD "<object><name>x</name><bndbox><xmin>NaN</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"
                  "</bndbox></object></annotation>",
         "expected a finite number for xmin", TS_ERR_INVALID},
        {VOC_HEAD "<object><name>x</name><bndbox><xmin>1e999</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"
                  "</bndbox></object></annotation>",
         "expected a finite number", TS_ERR_INVALID},
        {VOC_HEAD "<object><name>x</name><bndbox><xmin>9</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"
                  "</bndbox></object></annotation>",
         "xmax < xmin - 1", TS_ERR_INVALID},
        {VOC_HEAD "<object><name>x</name></object></annotation>", "without a <bndbox>", TS_ERR_INVALID},
        {VOC_HEAD "<object><bndbox/></object></annotation>", "a.xml:3:1: <object> without a <name>", TS_ERR_INVALID},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n"
         "<annotation><filename>&lol2;</filename></annotation>",
         "a.xml:2:16: DOCTYPE declarations are refused", TS_ERR_PARSE},
        {"<annotation><filename>&xxe;</filename></annotation>", "a.xml:1:", TS_ERR_PARSE},
        {"<annotations><image/></annotations>", "expected <annotation> as the root element", TS_ERR_PARSE},
        {"<annotation><filename>../../etc/passwd</filename></annotation>", "a.xml:1:13: image path", TS_ERR_PATH},
        {"<annotation><filename>/etc/passwd</filename></annotation>", "absolute image path", TS_ERR_PATH},
        {VOC_HEAD "<size><width>-5</width><height>2</height></size></annotation>", "<width>", TS_ERR_INVALID},
        {VOC_HEAD "<size><width>100000</width><height>100000</height></size></annotation>", "a.xml:3:1",
         TS_ERR_LIMIT},
        {VOC_HEAD "<object><name>x</name><difficult>maybe</difficult><bndbox><xmin>1</xmin><ymin>1</ymin>"
                  "<xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>",
         "expected 0/1 or true/false for difficult", TS_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = one_xml(dir, cases[i].xml);
        ts_ctx_clear_error(ctx);
        ts_status s = ts_dataset_read(ctx, path, "voc", NULL, &ds);
        CHECK_EQ_INT(s, cases[i].status);
        if (!strstr(ts_ctx_error(ctx), cases[i].needle))
            ts_test_failf(__FILE__, __LINE__, "case %zu: \"%s\" lacks \"%s\"", i, ts_ctx_error(ctx), cases[i].needle);
        if (s == TS_OK) ts_dataset_destroy(ds);
    }
    ts_ctx_clear_error(ctx);
}

TEST(voc_lenient_skips_bad_records) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    xt_file(dir, "Annotations/good.xml",
            VOC_HEAD "<object><name>x</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox>"
                     "</object><object><name>y</name><bndbox><xmin>oops</xmin></bndbox></object></annotation>");
    xt_file(dir, "Annotations/broken.xml", "<annotation><object>");
    xt_file(dir, "Annotations/evil.xml", "<annotation><filename>../../etc/passwd</filename></annotation>");
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "voc", NULL, &ds), "broken.xml:1:21");
    ts_ctx_set_lenient(ctx, 1);
    ts_test_warnings = 0;
    ts_ctx_clear_error(ctx);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "voc", NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    CHECK_EQ_INT(ts_test_warnings, 3);
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
        ts_dataset_destroy(ds);
    }
}

TEST(voc_hostile_imageset_entry) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    xt_file(dir, "Annotations/a.xml", "<annotation><filename>a.jpg</filename></annotation>");
    xt_file(dir, "ImageSets/Main/train.txt", "a\n../../../etc/passwd\n");
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "voc", NULL, &ds), "train.txt:2:1");
}

TEST(voc_class_list_only_image) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    xt_file(dir, "Annotations/a.xml", "<annotation><filename>a.jpg</filename></annotation>");
    xt_file(dir, "ImageSets/Main/train.txt", "a\n");
    xt_file(dir, "ImageSets/Main/dog_train.txt", "a -1\nb  1\nc  0\n");
    ts_dataset *ds = xt_read(ctx, dir, "voc");
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
    ts_annotation a;
    CHECK_EQ_INT(xt_count(ds, "JPEGImages/a.jpg"), 0);
    CHECK(xt_ann(ds, "JPEGImages/b.jpg", 0, &a));
    CHECK_EQ_INT(a.kind, TS_ANN_LABEL);
    CHECK_STR(xt_cat(ds, a.category_id), "dog");
    CHECK(!(a.flags & TS_ANN_DIFFICULT));
    CHECK(xt_ann(ds, "JPEGImages/c.jpg", 0, &a));
    CHECK(a.flags & TS_ANN_DIFFICULT);
    ts_dataset_destroy(ds);
}
