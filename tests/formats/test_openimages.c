/* Open Images reader, writer and subsets: Datumaro's v5/v6 fixtures with
 * their box values, flags and mask, the 11-field row, round trips (masks
 * too, from COCO and back), bad rows and mask files, class selection with
 * near misses and the hierarchy. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/eval.h"
#include "trainset/image.h"
#include "trainset/openimages.h"

extern const ts_format ts_format_openimages;

TEST(openimages_is_registered) { CHECK(ts_format_find("openimages") == &ts_format_openimages); }

static const char *attr(const ts_attr *a, uint32_t n, const char *key) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(a[i].key, key) == 0) return a[i].value;
    return NULL;
}

static int64_t cat_named(const ts_dataset *ds, const char *name) {
    size_t i;
    return ts_dataset_find_category_name(ds, name, &i) ? ts_dataset_category_id(ds, i) : -1;
}

/* Annotation k (insertion order) of the image whose file stem is `stem`. */
static int ann_of(const ts_dataset *ds, const char *stem, size_t k, ts_annotation *out) {
    for (size_t i = 0; i < ts_dataset_image_count(ds); i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const char *b = ts_path_basename(e.path);
        if (strncmp(b, stem, strlen(stem)) != 0 || b[strlen(stem)] != '.') continue;
        const size_t *anns;
        size_t n;
        if (ts_dataset_image_annotations(NULL, ds, i, &anns, &n) != TS_OK || k >= n) return 0;
        ts_dataset_annotation(ds, anns[k], out);
        return 1;
    }
    return 0;
}

/* b's mask: b_m0_01234567.png is 8x2 with columns 0 and 1 set, so the
 * column-major runs are 0 zeros, 4 ones, 12 zeros; its box is the row's. */
static void check_v6_mask(const ts_dataset *ds) {
    ts_annotation a;
    if (!CHECK(ann_of(ds, "b", 2, &a))) return;
    CHECK_EQ_INT(a.kind, TS_ANN_MASK);
    CHECK_EQ_INT(a.category_id, cat_named(ds, "Generic label #0"));
    CHECK_EQ_INT(a.mask_h, 2);
    CHECK_EQ_INT(a.mask_w, 8);
    if (CHECK(a.rle_len == 3)) {
        CHECK_EQ_INT(a.rle[0], 0);
        CHECK_EQ_INT(a.rle[1], 4);
        CHECK_EQ_INT(a.rle[2], 12);
    }
    CHECK_NEAR(a.area, 4, 0);
    CHECK(a.flags & TS_ANN_HAS_BOX);
    CHECK_NEAR(a.bbox[0], 1.6, 1e-9);
    CHECK_NEAR(a.bbox[1], 0.6, 1e-9);
    CHECK_NEAR(a.bbox[2], 6.4, 1e-9);
    CHECK_NEAR(a.bbox[3], 0.4, 1e-9);
    CHECK_STR(attr(a.attrs, a.n_attrs, "box_id"), "01234567");
    CHECK_STR(attr(a.attrs, a.n_attrs, "predicted_iou"), "0.5");
    CHECK(attr(a.attrs, a.n_attrs, "clicks") == NULL);
}

static void check_v6(const ts_dataset *ds) {
    CHECK_EQ_INT(ts_dataset_image_count(ds), 4);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 7);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 5); /* /m/0../m/3 and the hierarchy root /m/x */
    size_t i;
    if (CHECK(ts_dataset_find_category_name(ds, "Generic label #1", &i))) {
        ts_category c, p;
        ts_dataset_category(ds, i, &c);
        CHECK_STR(attr(c.attrs, c.n_attrs, "mid"), "/m/1");
        CHECK_EQ_INT(c.parent_id, cat_named(ds, "Generic label #0"));
        size_t pi;
        if (CHECK(ts_dataset_find_category(ds, c.parent_id, &pi))) {
            ts_dataset_category(ds, pi, &p);
            CHECK_EQ_INT(p.parent_id, cat_named(ds, "/m/x"));
        }
    }
    ts_annotation a;
    /* b: 8x2 from images.meta; XMin 0.2 XMax 1 YMin 0.3 YMax 0.5; flags -1 */
    if (CHECK(ann_of(ds, "b", 0, &a))) {
        CHECK_EQ_INT(a.kind, TS_ANN_BOX);
        CHECK_EQ_INT(a.category_id, cat_named(ds, "Generic label #0"));
        CHECK_NEAR(a.bbox[0], 1.6, 1e-9);
        CHECK_NEAR(a.bbox[1], 0.6, 1e-9);
        CHECK_NEAR(a.bbox[2], 6.4, 1e-9);
        CHECK_NEAR(a.bbox[3], 0.4, 1e-9);
        CHECK_EQ_INT(a.flags & (TS_ANN_OCCLUDED | TS_ANN_GROUP_OF), 0);
        CHECK_STR(attr(a.attrs, a.n_attrs, "IsOccluded"), "-1");
        CHECK_STR(attr(a.attrs, a.n_attrs, "Source"), "xclick");
    }
    /* b also has a verified-absent label (Confidence 0) */
    if (CHECK(ann_of(ds, "b", 1, &a))) {
        CHECK_EQ_INT(a.kind, TS_ANN_LABEL);
        CHECK(a.flags & TS_ANN_NEGATIVE);
    }
    /* c: 5x10 probed from its header; occluded, group-of, confidence 0.7 */
    int found = 0;
    for (size_t k = 0; k < 3; k++)
        if (ann_of(ds, "c", k, &a) && a.kind == TS_ANN_BOX) {
            found = 1;
            CHECK_NEAR(a.bbox[0], 3.5, 1e-9);
            CHECK_NEAR(a.bbox[1], 0, 1e-9);
            CHECK_NEAR(a.bbox[2], 0.5, 1e-9);
            CHECK_NEAR(a.bbox[3], 5, 1e-9);
            CHECK_EQ_INT(a.flags & (TS_ANN_OCCLUDED | TS_ANN_GROUP_OF | TS_ANN_TRUNCATED),
                         TS_ANN_OCCLUDED | TS_ANN_GROUP_OF);
            CHECK_STR(attr(a.attrs, a.n_attrs, "Confidence"), "0.7");
            CHECK_EQ_INT(a.category_id, cat_named(ds, "Generic label #3"));
        }
    CHECK(found);
    check_v6_mask(ds);
    if (CHECK(ann_of(ds, "a", 0, &a))) {
        CHECK_EQ_INT(a.kind, TS_ANN_LABEL);
        CHECK_EQ_INT(a.flags & TS_ANN_NEGATIVE, 0);
    }
    for (size_t k = 0; k < ts_dataset_image_count(ds); k++) {
        ts_image_entry e;
        ts_dataset_image(ds, k, &e);
        if (strcmp(ts_path_basename(e.path), "d.png") == 0) {
            CHECK_STR(e.split, "validation");
            CHECK_EQ_INT(e.width, 5);
            CHECK_EQ_INT(e.height, 1);
        }
    }
}

TEST(openimages_v6_short_metadata_row_is_a_warning_naming_its_line) {
    /* the images CSV carries only licence, rotation and size: its broken row
     * is skipped with a located warning, the image itself is still read */
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    int before = ts_test_warnings;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/open_images/v6"), NULL, NULL, &ds));
    CHECK(ts_test_warnings - before >= 1);
    if (ds) check_v6(ds);
    ts_dataset_destroy(ds);
}

TEST(openimages_reads_v6_with_values) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    int before = ts_test_warnings;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/open_images/v6"), NULL, NULL, &ds));
    CHECK(ts_test_warnings - before >= 1); /* the short row */
    if (ds) {
        CHECK_STR(ts_dataset_meta(ds, "format"), "openimages");
        check_v6(ds);
    }
    ts_dataset_destroy(ds);
}

TEST(openimages_reads_v5_headerless_descriptions) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/open_images/v5"), NULL, NULL, &ds));
    if (!ds) return;
    CHECK_STR(ts_dataset_meta(ds, "format"), "openimages");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 2);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 0);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 2);
    CHECK(cat_named(ds, "Generic label #1") > 0);
    for (size_t k = 0; k < 2; k++) {
        ts_image_entry e;
        ts_dataset_image(ds, k, &e);
        if (strcmp(e.path, "images/train/aa.jpg") == 0) {
            CHECK_STR(e.split, "train");
            CHECK_EQ_INT(e.width, 6);
            CHECK_EQ_INT(e.height, 8);
            CHECK_STR(attr(e.attrs, e.n_attrs, "Rotation"), "0");
        } else {
            CHECK_STR(e.path, "images/test/cc.jpg");
            CHECK_STR(e.split, "test");
        }
    }
    ts_dataset_destroy(ds);
}

static void check_written(const char *dir, const char *rel) {
    char *p = ts_path_join(dir, rel);
    if (!CHECK(p && ts_file_exists(p))) fprintf(stderr, "  missing: %s\n", rel);
    free(p);
}

TEST(openimages_round_trip_v6) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL, *back = NULL;
    char *out = ts_path_join(ts_test_tmpdir(), "oi");
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/open_images/v6"), NULL, NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    ts_write_opts wo = {0};
    wo.copy_images = 1;
    if (ds) CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "openimages", &wo));
    if (ds) CHECK_OK(ctx, ts_dataset_read(ctx, out, NULL, NULL, &back));
    if (back) {
        CHECK_STR(ts_dataset_meta(back, "format"), "openimages");
        check_v6(back);
    }
    /* the mask keeps its official name, in Datumaro's per-split folder */
    check_written(out, "masks/train/b_m0_01234567.png");
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(out);
}

/* ---- a synthetic set for bad rows and subsets ------------------------------------------- */

static void put(ts_ctx *ctx, const char *dir, const char *name, const char *text) {
    char *p = ts_path_join(dir, name);
    CHECK_OK(ctx, ts_file_write_atomic(ctx, p, text, strlen(text)));
    free(p);
}

static void png(ts_ctx *ctx, const char *dir, const char *name, int w, int h) {
    ts_image img;
    char *p = ts_path_join(dir, name);
    CHECK_OK(ctx, ts_image_alloc(ctx, w, h, 3, TS_PIX_U8, &img));
    char *d = ts_path_dirname(p);
    CHECK_OK(ctx, ts_mkdirs(ctx, d));
    CHECK_OK(ctx, ts_image_save(ctx, p, &img, NULL));
    ts_image_free(&img);
    free(d);
    free(p);
}

static char *make_set(ts_ctx *ctx, const char *name, const char *bbox) {
    char *dir = ts_path_join(ts_test_tmpdir(), name);
    png(ctx, dir, "images/train/i1.png", 100, 50);
    png(ctx, dir, "images/train/i2.png", 40, 40);
    png(ctx, dir, "images/train/i3.png", 10, 20);
    put(ctx, dir, "annotations/class-descriptions-boxable.csv",
        "/m/w,Wine\n/m/wg,Wine glass\n/m/wr,Wine rack\n/m/cat,Cat\n/m/dog,Dog\n/m/ani,Animal\n/m/tab,\"Table, dining\"\n");
    put(ctx, dir, "annotations/bbox_labels_600_hierarchy.json",
        "{\"LabelName\": \"/m/0bl9f\", \"Subcategory\": [{\"LabelName\": \"/m/ani\", \"Subcategory\": "
        "[{\"LabelName\": \"/m/cat\"}, {\"LabelName\": \"/m/dog\"}]}, {\"LabelName\": \"/m/wg\"}]}");
    put(ctx, dir, "annotations/train-annotations-bbox.csv", bbox);
    put(ctx, dir, "annotations/train-annotations-human-imagelabels-boxable.csv",
        "ImageID,Source,LabelName,Confidence\ni3,verification,/m/dog,1\ni2,verification,/m/cat,0\n");
    return dir;
}

static const char good_bbox[] =
    "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\r\n"
    "i1,xclick,/m/cat,1,0.1,0.5,0.2,0.6,0,1,0,0,0\r\n"
    "i1,xclick,/m/wg,1,0.5,0.75,0,1,0,0,0,1,0\r\n"
    "i2,xclick,/m/dog,1,0,1,0,1,0,0,0,0,0\r\n";

/* The set `name` with this box CSV (and object-segmentation CSV, when not
 * NULL) fails to read with a message holding `needle`. */
static void check_set_fails(ts_ctx *ctx, const char *name, const char *bbox, const char *segm, const char *needle) {
    ts_dataset *ds = NULL;
    char *dir = make_set(ctx, name, bbox);
    if (segm) put(ctx, dir, "annotations/train-annotations-object-segmentation.csv", segm);
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "openimages", NULL, &ds), needle);
    CHECK(ds == NULL);
    free(dir);
}

TEST(openimages_rejects_bad_rows_with_position) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    const char *head =
        "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n";
    struct {
        const char *row, *needle;
    } cases[] = {
        {"i1,xclick,/m/cat,1,0.1,abc,0.2,0.6,0,0,0,0,0\n", "train-annotations-bbox.csv:2:24: expected a number for XMax"},
        {"i1,xclick,/m/cat,1,nan,0.5,0.2,0.6,0,0,0,0,0\n", "expected a number for XMin"},
        {"i1,xclick,/m/cat,1,0.1,1.5,0.2,0.6,0,0,0,0,0\n", "XMax 1.5 is outside [0, 1]"},
        {"i1,xclick,/m/cat,1,0.6,0.5,0.2,0.6,0,0,0,0,0\n", "XMax is less than XMin"},
        {"i1,xclick,/m/cat,1,0.1,0.5,0.2,0.6,0,0,2,0,0\n", "IsGroupOf: expected 0, 1 or -1"},
        {"i1,xclick,/m/cat,1,0.1,0.5,0.2,0.6\n", "expected 13 fields"},
        {"i1,xclick,/m/cat,1,\"0.1,0.5,0.2,0.6,0,0,0,0,0\n", "quoted field is never closed"},
        {"../x,xclick,/m/cat,1,0.1,0.5,0.2,0.6,0,0,0,0,0\n", "not a plain name"},
        {"nofile,xclick,/m/cat,1,0.1,0.5,0.2,0.6,0,0,0,0,0\n", "size of image images/train/nofile.jpg is unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16], text[512];
        snprintf(name, sizeof name, "bad%zu", i);
        snprintf(text, sizeof text, "%s%s", head, cases[i].row);
        check_set_fails(ctx, name, text, NULL, cases[i].needle);
    }
    /* lenient: the bad row is skipped with a warning, the rest kept */
    char text[1024];
    snprintf(text, sizeof text, "%s%s", good_bbox, "i1,xclick,/m/cat,1,0.1,abc,0.2,0.6,0,0,0,0,0\n");
    char *dir = make_set(ctx, "lenient", text);
    int before = ts_test_warnings;
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "openimages", NULL, &ds));
    ts_ctx_set_lenient(ctx, 0);
    CHECK(ts_test_warnings - before >= 1);
    if (ds) CHECK_EQ_INT(ts_dataset_annotation_count(ds), 5);
    ts_dataset_destroy(ds);
    free(dir);
}

TEST(openimages_reads_crlf_quoted_names_and_values) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = make_set(ctx, "good", good_bbox);
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 5);
        CHECK(cat_named(ds, "Table, dining") > 0);
        ts_annotation a;
        if (CHECK(ann_of(ds, "i1", 0, &a))) {
            CHECK_NEAR(a.bbox[0], 10, 1e-9);
            CHECK_NEAR(a.bbox[1], 10, 1e-9);
            CHECK_NEAR(a.bbox[2], 40, 1e-9);
            CHECK_NEAR(a.bbox[3], 20, 1e-9);
            CHECK(a.flags & TS_ANN_TRUNCATED);
        }
        if (CHECK(ann_of(ds, "i1", 1, &a))) CHECK_STR(attr(a.attrs, a.n_attrs, "IsDepiction"), "1");
    }
    ts_dataset_destroy(ds);
    free(dir);
}

/* ---- masks ------------------------------------------------------------------------------ */

/* A w x h gray PNG, `value` inside the rectangle [x0, x1) x [y0, y1), 0 elsewhere. */
static void mask_png(ts_ctx *ctx, const char *dir, const char *name, int w, int h, const int rect[4], int value) {
    ts_image img;
    char *p = ts_path_join(dir, name), *d = ts_path_dirname(p);
    CHECK_OK(ctx, ts_image_alloc(ctx, w, h, 1, TS_PIX_U8, &img));
    for (int y = rect[1]; y < rect[3]; y++) {
        uint8_t *row = ts_image_row(&img, y);
        for (int x = rect[0]; x < rect[2]; x++) row[x] = (uint8_t)value;
    }
    CHECK_OK(ctx, ts_mkdirs(ctx, d));
    CHECK_OK(ctx, ts_image_save(ctx, p, &img, NULL));
    ts_image_free(&img);
    free(d);
    free(p);
}

static const char segm_head[] =
    "MaskPath,ImageID,LabelName,BoxID,BoxXMin,BoxXMax,BoxYMin,BoxYMax,PredictedIoU,Clicks\n";

/* Each pixel of an RLE mask against the rectangle [x0, x1) x [y0, y1). */
static void check_rect_mask(const ts_annotation *a, const int rect[4]) {
    uint8_t *m = calloc((size_t)a->mask_h * a->mask_w + 1, 1);
    if (!CHECK(m) || !CHECK(ts_rle_decode(NULL, a->rle, a->rle_len, a->mask_h, a->mask_w, m) == TS_OK)) {
        free(m);
        return;
    }
    int wrong = 0;
    for (uint32_t y = 0; y < a->mask_h; y++)
        for (uint32_t x = 0; x < a->mask_w; x++) {
            int in = (int)x >= rect[0] && (int)x < rect[2] && (int)y >= rect[1] && (int)y < rect[3];
            wrong += m[(size_t)y * a->mask_w + x] != in;
        }
    CHECK_EQ_INT(wrong, 0);
    free(m);
}

TEST(openimages_reads_masks_resized_and_from_the_flat_folder) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = make_set(ctx, "masks", good_bbox);
    /* i3 is 10x20: a 5x10 mask (downscaled by 2) comes back at 10x20 */
    mask_png(ctx, dir, "masks/train/i3_mcat_aa.png", 5, 10, (const int[]){0, 0, 2, 5}, 255);
    /* the official zips extract flat; any value above 0 is foreground */
    mask_png(ctx, dir, "masks/i1_mdog_bb.png", 100, 50, (const int[]){50, 10, 100, 50}, 7);
    char text[512];
    snprintf(text, sizeof text, "%s%s%s", segm_head,
             "i3_mcat_aa.png,i3,/m/cat,aa,0,0.4,0,0.5,0.81,\"0.1 0.2 1;0.3 0.4 0\"\n",
             "i1_mdog_bb.png,i1,/m/dog,bb,0.5,1,0.2,1,,\n");
    put(ctx, dir, "annotations/train-annotations-object-segmentation.csv", text);
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, NULL, NULL, &ds));
    CHECK(ds && ts_dataset_annotation_count(ds) == 7);
    ts_annotation a;
    if (ds && CHECK(ann_of(ds, "i3", 1, &a)) && CHECK(a.kind == TS_ANN_MASK)) {
        CHECK_EQ_INT(a.mask_w, 10);
        CHECK_EQ_INT(a.mask_h, 20);
        check_rect_mask(&a, (const int[]){0, 0, 4, 10});
        CHECK_NEAR(a.area, 40, 0);
        CHECK_EQ_INT(a.category_id, cat_named(ds, "Cat"));
        CHECK_NEAR(a.bbox[2], 4, 1e-9);
        CHECK_NEAR(a.bbox[3], 10, 1e-9);
        CHECK_STR(attr(a.attrs, a.n_attrs, "box_id"), "aa");
        CHECK_STR(attr(a.attrs, a.n_attrs, "predicted_iou"), "0.81");
        CHECK_STR(attr(a.attrs, a.n_attrs, "clicks"), "0.1 0.2 1;0.3 0.4 0");
    }
    if (ds && CHECK(ann_of(ds, "i1", 2, &a)) && CHECK(a.kind == TS_ANN_MASK)) {
        check_rect_mask(&a, (const int[]){50, 10, 100, 50});
        CHECK_NEAR(a.bbox[0], 50, 1e-9);
        CHECK_NEAR(a.bbox[1], 10, 1e-9);
        CHECK(attr(a.attrs, a.n_attrs, "predicted_iou") == NULL);
    }
    ts_dataset_destroy(ds);
    free(dir);
}

TEST(openimages_rejects_bad_mask_rows_with_position) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    struct {
        const char *row, *needle;
    } cases[] = {
        {"m.png,i1,/m/cat,b1,0.5,0.2,0,1,,", "segmentation.csv:2:24: BoxXMax is less than BoxXMin"},
        {"../x.png,i1,/m/cat,b1,0,1,0,1,,",
         "train-annotations-object-segmentation.csv:2:1: MaskPath \"../x.png\" is not a plain file name"},
        {"a\\b.png,i1,/m/cat,b1,0,1,0,1,,", "is not a plain file name"},
        {"..,i1,/m/cat,b1,0,1,0,1,,", "is not a plain file name"},
        {",i1,/m/cat,b1,0,1,0,1,,", "MaskPath \"\" is not a plain file name"},
        {"gone.png,i1,/m/cat,b1,0,1,0,1,,",
         "segmentation.csv:2:1: mask file not found: no masks/train/gone.png nor masks/gone.png"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16], text[512];
        snprintf(name, sizeof name, "badmask%zu", i);
        snprintf(text, sizeof text, "%s%s\n", segm_head, cases[i].row);
        check_set_fails(ctx, name, good_bbox, text, cases[i].needle);
    }
    /* a truncated PNG fails with the decoder's word; lenient skips it and the
     * missing file with warnings, a hostile MaskPath stays an error */
    char *dir = make_set(ctx, "badmask_lenient", good_bbox);
    mask_png(ctx, dir, "masks/train/cut.png", 100, 50, (const int[]){0, 0, 10, 10}, 255);
    char *cut = ts_path_join(dir, "masks/train/cut.png");
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(ctx, ts_file_read(ctx, cut, &data, &len));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, cut, data, len / 2));
    put(ctx, dir, "annotations/train-annotations-object-segmentation.csv",
        "MaskPath,ImageID,LabelName,BoxID,BoxXMin,BoxXMax,BoxYMin,BoxYMax,PredictedIoU,Clicks\n"
        "cut.png,i1,/m/cat,b1,0,1,0,1,,\ngone.png,i1,/m/cat,b2,0,1,0,1,,\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "openimages", NULL, &ds), "segmentation.csv:2:1: mask cut.png: ");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "openimages", NULL, &ds), "truncated");
    int before = ts_test_warnings;
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "openimages", NULL, &ds));
    CHECK(ts_test_warnings - before >= 2);
    if (ds) CHECK_EQ_INT(ts_dataset_annotation_count(ds), 5);
    ts_dataset_destroy(ds);
    ds = NULL;
    put(ctx, dir, "annotations/train-annotations-object-segmentation.csv",
        "MaskPath,ImageID,LabelName,BoxID,BoxXMin,BoxXMax,BoxYMin,BoxYMax,PredictedIoU,Clicks\n"
        "../cut.png,i1,/m/cat,b1,0,1,0,1,,\n");
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "openimages", NULL, &ds), "is not a plain file name");
    ts_ctx_set_lenient(ctx, 0);
    free(data);
    free(cut);
    free(dir);
}

/* The annotations of `ds` in order, each as a mask of its image's size. */
static void check_same_masks(ts_ctx *ctx, const ts_dataset *a, const ts_dataset *b) {
    CHECK_EQ_INT(ts_dataset_annotation_count(b), ts_dataset_annotation_count(a));
    for (size_t i = 0; i < ts_dataset_annotation_count(a) && i < ts_dataset_annotation_count(b); i++) {
        ts_annotation x, y;
        ts_mask mx = {0}, my = {0};
        ts_dataset_annotation(a, i, &x);
        ts_dataset_annotation(b, i, &y);
        CHECK_EQ_INT(y.kind, TS_ANN_MASK);
        CHECK_OK(ctx, ts_mask_from_annotation(ctx, &x, 4, 6, &mx));
        CHECK_OK(ctx, ts_mask_from_annotation(ctx, &y, 4, 6, &my));
        if (CHECK(mx.n == my.n && mx.h == my.h && mx.w == my.w))
            CHECK(memcmp(mx.counts, my.counts, (size_t)mx.n * sizeof *mx.counts) == 0);
        for (int k = 0; k < 4; k++) CHECK_NEAR(y.bbox[k], x.bbox[k], 1e-6);
        ts_mask_free(&mx);
        ts_mask_free(&my);
    }
}

TEST(openimages_masks_round_trip_from_coco_bit_exact) {
    ts_ctx *ctx = ts_test_ctx();
    const char *tmp = ts_test_tmpdir();
    char *dir = ts_path_join(tmp, "coco_masks");
    png(ctx, dir, "images/m.png", 6, 4);
    /* an uncompressed RLE (4x6) and a polygon, rasterized when written */
    put(ctx, dir, "annotations.json",
        "{\"images\": [{\"id\": 1, \"file_name\": \"m.png\", \"width\": 6, \"height\": 4}],"
        " \"categories\": [{\"id\": 1, \"name\": \"cat\"}],"
        " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"iscrowd\": 1, \"area\": 8,"
        " \"bbox\": [0, 0, 5, 4], \"segmentation\": {\"size\": [4, 6], \"counts\": [1, 3, 2, 2, 5, 3, 8]}},"
        " {\"id\": 2, \"image_id\": 1, \"category_id\": 1, \"iscrowd\": 0, \"area\": 6, \"bbox\": [1, 0, 4, 3],"
        " \"segmentation\": [[1, 0, 5, 0, 5, 3, 1, 3]]}]}");
    char *oi = ts_path_join(tmp, "oi"), *back = ts_path_join(tmp, "back");
    ts_dataset *coco = NULL, *mid = NULL, *again = NULL;
    ts_write_opts wo = {0};
    wo.copy_images = 1;
    CHECK_OK(ctx, ts_dataset_read(ctx, dir, "coco", NULL, &coco));
    if (coco) CHECK_OK(ctx, ts_dataset_write(ctx, coco, oi, "openimages", &wo));
    if (coco) CHECK_OK(ctx, ts_dataset_read(ctx, oi, "openimages", NULL, &mid));
    if (mid) CHECK_OK(ctx, ts_dataset_write(ctx, mid, back, "coco", &wo));
    if (mid) CHECK_OK(ctx, ts_dataset_read(ctx, back, "coco", NULL, &again));
    if (mid) check_same_masks(ctx, coco, mid);
    if (again) check_same_masks(ctx, coco, again);
    ts_annotation a;
    if (mid && CHECK(ts_dataset_annotation_count(mid) == 2)) {
        ts_dataset_annotation(mid, 1, &a);
        CHECK_STR(attr(a.attrs, a.n_attrs, "box_id"), "2"); /* no BoxID: the annotation id */
    }
    check_written(oi, "masks/train/m_cat_1.png");
    ts_dataset_destroy(coco);
    ts_dataset_destroy(mid);
    ts_dataset_destroy(again);
    free(back);
    free(oi);
    free(dir);
}

TEST(openimages_subset_by_class_with_hierarchy_and_limit) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = make_set(ctx, "subset", good_bbox);
    ts_dataset *ds = NULL;
    const char *cat[] = {"cAT"};
    ts_oi_subset_opts o = {cat, 1, 0, 0, 0};
    CHECK_OK(ctx, ts_openimages_subset(ctx, dir, &o, &ds));
    if (ds) {
        /* i1 has a cat box; i2's cat label is a verified absence */
        CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 2); /* cat and wine glass */
        CHECK(cat_named(ds, "Wine glass") > 0);
        CHECK(cat_named(ds, "Dog") < 0);
    }
    ts_dataset_destroy(ds);
    ds = NULL;
    o.only_matching = 1;
    CHECK_OK(ctx, ts_openimages_subset(ctx, dir, &o, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 1);
        CHECK(cat_named(ds, "Wine glass") < 0);
        size_t i;
        if (CHECK(ts_dataset_find_category_name(ds, "Cat", &i))) {
            ts_category c;
            ts_dataset_category(ds, i, &c);
            CHECK_EQ_INT(c.parent_id, cat_named(ds, "Animal")); /* ancestors kept */
        }
    }
    ts_dataset_destroy(ds);
    ds = NULL;
    const char *animal[] = {"Animal"};
    ts_oi_subset_opts h = {animal, 1, 1, 1, 0};
    CHECK_OK(ctx, ts_openimages_subset(ctx, dir, &h, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 3); /* cat box, dog box, dog label */
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
    }
    ts_dataset_destroy(ds);
    ds = NULL;
    h.limit = 1;
    CHECK_OK(ctx, ts_openimages_subset(ctx, dir, &h, &ds));
    if (ds) CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
    ts_dataset_destroy(ds);
    ds = NULL;
    h.hierarchy = 0;
    h.limit = 0;
    CHECK_OK(ctx, ts_openimages_subset(ctx, dir, &h, &ds));
    if (ds) CHECK_EQ_INT(ts_dataset_image_count(ds), 0);
    ts_dataset_destroy(ds);
    free(dir);
}

TEST(openimages_subset_suggests_near_misses) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = make_set(ctx, "near", good_bbox);
    ts_dataset *ds = NULL;
    const char *wine[] = {"Wine"}, *wines[] = {"Wines"}, *win[] = {"Win"}, *glass[] = {"glass"}, *zebra[] = {"Zebra"};
    ts_oi_subset_opts o = {wine, 1, 0, 0, 0};
    CHECK_OK(ctx, ts_openimages_subset(ctx, dir, &o, &ds)); /* exact "Wine" exists */
    ts_dataset_destroy(ds);
    ds = NULL;
    o.classes = wines;
    CHECK_FAILS(ctx, ts_openimages_subset(ctx, dir, &o, &ds), "\"Wines\"; did you mean \"Wine\"?");
    o.classes = win;
    CHECK_FAILS(ctx, ts_openimages_subset(ctx, dir, &o, &ds), "did you mean \"Wine\", \"Wine rack\", \"Wine glass\"?");
    o.classes = glass;
    CHECK_FAILS(ctx, ts_openimages_subset(ctx, dir, &o, &ds), "no Open Images class is named \"glass\"; did you mean \"Wine glass\"");
    o.classes = zebra;
    CHECK_FAILS(ctx, ts_openimages_subset(ctx, dir, &o, &ds), "names are matched whole");
    CHECK(ds == NULL);
    free(dir);
}

/* ---- the CSV reader under it ------------------------------------------------------------- */

#include "formats/csv_internal.h"

static void csv_records(ts_csv *c, ts_buf *out) {
    int got;
    while (ts_csv_next(c, &got) == TS_OK && got) {
        ts_buf_printf(out, "%llu:", (unsigned long long)ts_csv_line(c));
        for (size_t i = 0; i < ts_csv_count(c); i++)
            ts_buf_printf(out, "[%s@%llu]", ts_csv_field(c, i, NULL), (unsigned long long)ts_csv_field_col(c, i));
        ts_buf_putc(out, '\n');
    }
}

TEST(csv_quotes_crlf_bom_and_blank_lines) {
    ts_ctx *ctx = ts_test_ctx();
    const char text[] = "\xEF\xBB\xBF"
                        "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
                        "\r\n"
                        "  \n"
                        "x,\"multi\nline\",5 \"inch\"\n"
                        "last,,";
    const char want[] = "1:[a@1][b,c@3][say \"hi\"@9]\n"
                        "4:[x@1][multi\nline@3][5 \"inch\"@7]\n"
                        "6:[last@1][@6][@7]\n";
    ts_csv *c = NULL;
    ts_buf got = {0};
    CHECK_OK(ctx, ts_csv_open_buffer(ctx, "t.csv", text, sizeof text - 1, &c));
    csv_records(c, &got);
    ts_csv_close(c);
    CHECK_STR(got.data, want);
    /* the same through file windows of every size from 1 byte up */
    char *path = ts_path_join(ts_test_tmpdir(), "t.csv");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, path, text, sizeof text - 1));
    for (size_t w = 1; w <= 48; w++) {
        ts_buf again = {0};
        CHECK_OK(ctx, ts_csv_open_file_window(ctx, path, w, &c));
        csv_records(c, &again);
        ts_csv_close(c);
        if (!again.data || strcmp(again.data, want) != 0) ts_test_failf(__FILE__, __LINE__, "window %zu differs", w);
        ts_buf_free(&again);
    }
    ts_buf_free(&got);
    free(path);
}

TEST(csv_header_by_name_and_errors) {
    ts_ctx *ctx = ts_test_ctx();
    const char text[] = " ImageID ,LabelName\ni1,/m/0\n";
    ts_csv *c = NULL;
    int got;
    CHECK_OK(ctx, ts_csv_open_buffer(ctx, "h.csv", text, sizeof text - 1, &c));
    CHECK_OK(ctx, ts_csv_next(c, &got));
    CHECK_OK(ctx, ts_csv_take_header(c));
    CHECK_EQ_INT(ts_csv_column(c, "labelname"), 1);
    CHECK_EQ_INT(ts_csv_column(c, "imageid"), 0);
    CHECK_EQ_INT(ts_csv_column(c, "XMin"), -1);
    ts_csv_close(c);
    const char bad[] = "a,\"b\"x,c\n";
    CHECK_OK(ctx, ts_csv_open_buffer(ctx, "q.csv", bad, sizeof bad - 1, &c));
    CHECK_FAILS(ctx, ts_csv_next(c, &got), "q.csv:1:6: expected ',' or end of line after closing quote");
    ts_csv_close(c);
    const char open_quote[] = "a,b\nc,\"never closed\n";
    CHECK_OK(ctx, ts_csv_open_buffer(ctx, "o.csv", open_quote, sizeof open_quote - 1, &c));
    CHECK_OK(ctx, ts_csv_next(c, &got));
    CHECK_FAILS(ctx, ts_csv_next(c, &got), "o.csv:2:3: quoted field is never closed");
    ts_csv_close(c);
    const char nul[] = "a,b\0c\n";
    CHECK_OK(ctx, ts_csv_open_buffer(ctx, "n.csv", nul, sizeof nul - 1, &c));
    CHECK_FAILS(ctx, ts_csv_next(c, &got), "n.csv:1:4: NUL byte");
    ts_csv_close(c);
    double d;
    int64_t v;
    CHECK(ts_csv_parse_double(" 0.25 ", &d) && d == 0.25);
    CHECK(ts_csv_parse_double("1e-3", &d) && d == 1e-3);
    CHECK(ts_csv_parse_double("0.1", &d) && d == 0.1);
    CHECK(!ts_csv_parse_double("nan", &d));
    CHECK(!ts_csv_parse_double("inf", &d));
    CHECK(!ts_csv_parse_double("0x10", &d));
    CHECK(!ts_csv_parse_double("1.5.2", &d));
    CHECK(!ts_csv_parse_double("", &d));
    CHECK(ts_csv_parse_int("-1", &v) && v == -1);
    CHECK(!ts_csv_parse_int("9223372036854775808", &v));
    CHECK(ts_csv_parse_int("-9223372036854775808", &v) && v == INT64_MIN);
}
