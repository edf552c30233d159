/* Filter expressions: parse errors with columns, image-level semantics
 * (some annotation matches), annotation-level filtering. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/ops.h"

/* Images: 1 train 640x480 {cat box, dog box} rain, licence 3
 *         2 train 100x50  {dog label} hour=17
 *         3 val   800x600 {} no annotations
 *         4 val   300x300 {cat box (crowd), cat polygon} */
static ts_dataset *fixture(void) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    ts_category c = ts_category_empty();
    c.id = 1, c.name = "cat", c.supercategory = "animal";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    c.id = 2, c.name = "dog";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    c.id = 3, c.name = "car", c.supercategory = "vehicle";
    CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
    ts_attr rain = {"weather", "rain", TS_ATTR_STRING}, hour = {"hour", "17", TS_ATTR_NUMBER};
    const int w[4] = {640, 100, 800, 300}, h[4] = {480, 50, 600, 300};
    for (int i = 0; i < 4; i++) {
        ts_image_entry e = ts_image_entry_empty();
        char path[16];
        snprintf(path, sizeof path, "img%d.jpg", i + 1);
        e.id = i + 1, e.path = path, e.width = w[i], e.height = h[i], e.split = i < 2 ? "train" : "val";
        if (i == 0) e.attrs = &rain, e.n_attrs = 1, e.license = 3;
        if (i == 1) e.attrs = &hour, e.n_attrs = 1;
        CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
    }
    const int img[5] = {1, 1, 2, 4, 4}, cat[5] = {1, 2, 2, 1, 1};
    for (int i = 0; i < 5; i++) {
        ts_annotation a = ts_annotation_empty();
        a.id = 10 + i, a.image_id = img[i], a.category_id = cat[i];
        if (i != 2 && i != 4) {
            a.kind = TS_ANN_BOX, a.flags = TS_ANN_HAS_BOX;
            a.bbox[2] = 10 * (i + 1), a.bbox[3] = 10;
        }
        if (i == 4) a.kind = TS_ANN_POLYGON;
        if (i == 3) a.iscrowd = 1;
        CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    }
    return ds;
}

/* The ids of the images matching `expr`, as digits ("14"). */
static const char *matching(const ts_dataset *ds, const char *expr) {
    static char out[16];
    ts_ctx *ctx = ts_test_ctx();
    ts_filter *f = NULL;
    out[0] = 0;
    CHECK_OK(ctx, ts_filter_compile(ctx, expr, &f));
    if (!f) return "error";
    size_t n = 0;
    for (size_t i = 0; i < ts_dataset_image_count(ds); i++) {
        int m = 0;
        CHECK_OK(ctx, ts_filter_match_image(ctx, f, ds, i, &m));
        if (m && n < sizeof out - 1) out[n++] = (char)('0' + ts_dataset_image_id(ds, i));
    }
    out[n] = 0;
    ts_filter_destroy(f);
    return out;
}

TEST(filter_image_semantics) {
    ts_dataset *ds = fixture();
    CHECK_STR(matching(ds, "class == \"cat\""), "14");
    CHECK_STR(matching(ds, "class == 'dog'"), "12");
    CHECK_STR(matching(ds, "class in (\"cat\", \"dog\")"), "124");
    CHECK_STR(matching(ds, "class not in (\"cat\")"), "23");
    CHECK_STR(matching(ds, "not class == \"cat\""), "23");
    CHECK_STR(matching(ds, "class != \"cat\""), "23"); /* != is not == */
    CHECK_STR(matching(ds, "class == 2"), "12");      /* a number is the category id */
    CHECK_STR(matching(ds, "supercategory == \"vehicle\""), "");
    CHECK_STR(matching(ds, "split == \"train\" and width >= 640"), "1");
    CHECK_STR(matching(ds, "split == \"val\" or area < 6000"), "234");
    CHECK_STR(matching(ds, "not (split == \"val\" or area < 6000)"), "1");
    CHECK_STR(matching(ds, "attr.weather == \"rain\""), "1");
    CHECK_STR(matching(ds, "attr.hour > 12 && attr.hour <= 17"), "2");
    CHECK_STR(matching(ds, "attr.weather != \"rain\""), "234");
    CHECK_STR(matching(ds, "license == 3"), "1");
    CHECK_STR(matching(ds, "license != 3"), "234");
    CHECK_STR(matching(ds, "annotations == 0"), "3");
    CHECK_STR(matching(ds, "boxes >= 2"), "1");
    CHECK_STR(matching(ds, "kind == \"polygon\""), "4");
    CHECK_STR(matching(ds, "iscrowd == 1 or box_area > 15"), "14");
    CHECK_STR(matching(ds, "path == \"img3.jpg\" || id = 2"), "23");
    CHECK_STR(matching(ds, "height > -1.5e3 and !(width < 200)"), "134");
    ts_dataset_destroy(ds);
}

TEST(filter_parse_errors) {
    ts_ctx *ctx = ts_test_ctx();
    ts_filter *f = NULL;
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "", &f), "empty expression");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "class ==", &f), "--where:1:9: expected a value");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "split == \"a\" and colour == \"red\"", &f), "--where:1:18: unknown field \"colour\"");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "width == \"big\"", &f), "--where:1:10: width is a number");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "split == 3", &f), "split is text");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "SPLIT == \"val\"", &f), "unknown field \"SPLIT\""); /* names are lower case */
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "(class == \"a\"", &f), "expected ')'");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "class == \"a\" xor", &f), "--where:1:14: expected and, or, or the end");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "class == \"a", &f), "unterminated string");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "class in \"a\"", &f), "'(' after 'in'");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "class in (\"a\" \"b\")", &f), "',' or ')'");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "width > 3x", &f), "malformed number");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "width & 3", &f), "unknown operator");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "class ~ \"a\"", &f), "unexpected character '~'");
    CHECK_FAILS(ctx, ts_filter_compile(ctx, "attr. == 1", &f), "attr.NAME");
    CHECK(f == NULL);
    CHECK_OK(ctx, ts_filter_compile(ctx, "width > 3", &f));
    if (f) CHECK(!ts_filter_uses_annotations(f));
    ts_filter_destroy(f);
}

TEST(filter_dataset_annotations) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture(), *out = NULL;
    ts_filter *f = NULL;
    CHECK_OK(ctx, ts_filter_compile(ctx, "class == \"cat\"", &f));
    size_t ni = 0, na = 0;
    /* images only: every annotation of a kept image stays */
    CHECK_OK(ctx, ts_dataset_filter(ctx, ds, f, 0, &out, &ni, &na));
    CHECK_EQ_INT(ni, 2);
    CHECK_EQ_INT(na, 4);
    if (out) {
        CHECK_EQ_INT(ts_dataset_category_count(out), 3); /* classes and their ids kept */
        size_t k;
        CHECK(ts_dataset_find_image(out, 4, &k));
        CHECK(ts_dataset_find_annotation(out, 11, &k)); /* the dog on image 1 */
    }
    ts_dataset_destroy(out);
    /* --annotations: only the cats */
    CHECK_OK(ctx, ts_dataset_filter(ctx, ds, f, TS_FILTER_ANNOTATIONS, &out, &ni, &na));
    CHECK_EQ_INT(ni, 2);
    CHECK_EQ_INT(na, 3);
    if (out) {
        for (size_t i = 0; i < ts_dataset_annotation_count(out); i++)
            CHECK_EQ_INT(ts_dataset_annotation_category_id(out, i), 1);
    }
    ts_dataset_destroy(out);
    ts_filter_destroy(f);
    /* per annotation: image fields of its image, annotation fields of it */
    CHECK_OK(ctx, ts_filter_compile(ctx, "split == \"train\" and box_width >= 20", &f));
    int m = -1;
    size_t k;
    CHECK(ts_dataset_find_annotation(ds, 10, &k));
    CHECK_OK(ctx, ts_filter_match_annotation(ctx, f, ds, k, &m));
    CHECK_EQ_INT(m, 0);
    CHECK(ts_dataset_find_annotation(ds, 11, &k));
    CHECK_OK(ctx, ts_filter_match_annotation(ctx, f, ds, k, &m));
    CHECK_EQ_INT(m, 1);
    ts_filter_destroy(f);
    ts_dataset_destroy(ds);
}

/* Nesting is bounded (the parser recurses per level: 256 levels of '(' or
 * `not` are fine, one more is an error, never a stack overflow), and a
 * chain of 100000 `or`s, as long as the filter, is evaluated without
 * recursing once per term. */
TEST(filter_deep_nesting_and_long_chains) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture();
    ts_buf b = {0};
    for (int i = 0; i < 256; i++) ts_buf_puts(&b, i % 2 ? "not " : "(");
    ts_buf_puts(&b, "class == \"cat\"");
    for (int i = 0; i < 128; i++) ts_buf_puts(&b, ")");
    CHECK_STR(matching(ds, b.data), "14"); /* 128 `not`s cancel out */
    b.len = 0;
    for (int i = 0; i < 257; i++) ts_buf_puts(&b, "(");
    ts_buf_puts(&b, "width > 1");
    for (int i = 0; i < 257; i++) ts_buf_puts(&b, ")");
    ts_filter *f = NULL;
    CHECK_FAILS(ctx, ts_filter_compile(ctx, b.data, &f), "nested more than 256 deep");
    b.len = 0;
    for (int i = 0; i < 100000; i++) ts_buf_printf(&b, "%swidth == %d", i ? " or " : "", 100000 + i);
    ts_buf_puts(&b, " or width == 300");
    CHECK_STR(matching(ds, b.data), "4");
    b.len = 0;
    for (int i = 0; i < 100000; i++) ts_buf_printf(&b, "%swidth > 1", i ? " and " : "");
    CHECK_STR(matching(ds, b.data), "1234");
    ts_buf_free(&b);
    ts_dataset_destroy(ds);
}
