/* COCO bad input: each case fails with the file, position and what was
 * expected; lenient mode keeps the good records and counts the bad. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/formats.h"

extern const ts_format ts_format_coco;

static const char *HEAD = "{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":10,\"height\":5}],"
                          "\"categories\":[{\"id\":1,\"name\":\"cat\"}],\"annotations\":[";

static ts_status read_text(const char *text, ts_dataset **out) {
    ts_ctx *ctx = ts_test_ctx();
    char *path = ts_path_join(ts_test_tmpdir(), "bad.json");
    ts_file_write_atomic(ctx, path, text, strlen(text));
    ts_read_opts opts = {0, NULL};
    *out = NULL;
    ts_status s = ts_format_coco.read(ctx, path, &opts, out);
    free(path);
    return s;
}

static ts_status read_ann(const char *ann) {
    char text[4096];
    snprintf(text, sizeof text, "%s%s]}", HEAD, ann);
    ts_dataset *ds = NULL;
    ts_status s = read_text(text, &ds);
    ts_dataset_destroy(ds);
    return s;
}

static ts_status read_img(const char *img) {
    char text[4096];
    snprintf(text, sizeof text, "{\"images\":[%s],\"annotations\":[],\"categories\":[]}", img);
    ts_dataset *ds = NULL;
    ts_status s = read_text(text, &ds);
    ts_dataset_destroy(ds);
    return s;
}

TEST(coco_bad_values) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_EQ_INT(read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,3,4]}"), TS_OK);
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,3,4"), "bad.json:1:");
    CHECK_FAILS(ctx, read_ann("{\"id\":\"1\",\"image_id\":1,\"category_id\":1}"), "bad.json:1:122: expected an integer \"id\", found string");
    CHECK_FAILS(ctx, read_ann("{\"id\":1.5,\"image_id\":1,\"category_id\":1}"), "expected an integer \"id\", found 1.5");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,NaN,4]}"), "expected a value, found 'N'");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,-3,4]}"), "bbox size -3 is negative");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,1e300,4]}"), "out of range");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,2,3]}"), "\"bbox\" has 3 numbers, not 4");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"area\":-1}"), "area -1 is negative");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"segmentation\":[[1,2,3]]}"), "odd number");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"segmentation\":{\"counts\":[1,2],\"size\":[2,2]}}"),
                "RLE counts sum to 3, not height*width = 2*2");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"segmentation\":{\"counts\":\"\\u0001\",\"size\":[2,2]}}"),
                "malformed compressed RLE");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"keypoints\":[1,2]}"), "not triples");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"iscrowd\":2}"), "0 or 1");
    CHECK_FAILS(ctx, read_ann("{\"image_id\":1,\"category_id\":1}"), "annotation lacks \"id\"");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1},{\"id\":1,\"image_id\":1,\"category_id\":1}"),
                "bad.json:1:154: duplicate annotation id 1");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":7,\"category_id\":1}"), "annotation 1 refers to image 7, which the file does not have");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":9}"), "refers to category 9");
    CHECK_FAILS(ctx, read_ann("{\"id\":1,\"image_id\":1,\"category_id\":1,\"attributes\":[1]}"), "an object for \"attributes\"");
    CHECK_FAILS(ctx, read_ann("7"), "expected an object, found number");
}

TEST(coco_bad_images_and_paths) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_EQ_INT(read_img("{\"id\":1,\"file_name\":\"sub/a.jpg\"}"), TS_OK);
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"../../etc/passwd\"}"), "leaves the dataset root");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"/etc/passwd\"}"), "absolute image path");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"a\\\\..\\\\..\\\\x\"}"), "leaves the dataset root");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":7}"), "expected a string \"file_name\", found number");
    CHECK_FAILS(ctx, read_img("{\"id\":1}"), "image 1 lacks \"file_name\"");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"a.jpg\",\"width\":-5}"), "image width -5 is negative");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"a.jpg\",\"height\":99999999}"), "beyond the dimension limit");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"a.jpg\"},{\"id\":1,\"file_name\":\"b.jpg\"}"), "duplicate image id 1");
    CHECK_FAILS(ctx, read_img("{\"id\":1,\"file_name\":\"a\\u0000.jpg\"}"), "NUL");
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, read_text("{\"images\": 5}", &ds), "expected a list for \"images\", found number");
    CHECK_FAILS(ctx, read_text("{\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":1,\"name\":\"b\"}]}", &ds),
                "duplicate category id 1");
    CHECK_FAILS(ctx, read_text("\"coco\"", &ds), "expected a COCO object or a results list");
    CHECK_FAILS(ctx, read_text("", &ds), "empty input");
    /* --allow-outside-root lets a hostile path through */
    ts_ctx_set_allow_outside_root(ctx, 1);
    CHECK_EQ_INT(read_img("{\"id\":1,\"file_name\":\"../x.jpg\"}"), TS_OK);
    ts_ctx_set_allow_outside_root(ctx, 0);
}

TEST(coco_lenient_keeps_good_records) {
    ts_ctx *ctx = ts_test_ctx();
    ts_ctx_set_lenient(ctx, 1);
    const char *text =
        "{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\"},{\"id\":2,\"file_name\":\"../evil.jpg\"},{\"id\":\"x\",\"file_name\":\"c.jpg\"}],"
        "\"categories\":[{\"id\":1,\"name\":\"cat\"},{\"name\":\"noid\"}],"
        "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]},"
        "{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,\"w\",{\"h\":[1]}]},"
        "{\"id\":3,\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,1,1]},"
        "{\"id\":4,\"image_id\":1,\"category_id\":1,\"segmentation\":[[1,2,3]],\"bbox\":[0,0,1,1]},"
        "{\"id\":1,\"image_id\":1,\"category_id\":1},"
        "{\"id\":5,\"image_id\":1,\"category_id\":1,\"segmentation\":[[0,0,4,0,4,4]]}]}";
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, read_text(text, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 1);
        CHECK_EQ_INT(ts_dataset_category_count(ds), 1);
        CHECK_EQ_INT(ts_dataset_annotation_count(ds), 2);
        size_t k;
        CHECK(ts_dataset_find_annotation(ds, 1, &k));
        CHECK(ts_dataset_find_annotation(ds, 5, &k));
        ts_annotation a;
        ts_dataset_annotation(ds, k, &a);
        CHECK_NEAR(a.bbox[2], 4, 0); /* derived from the polygon */
        CHECK_NEAR(a.area, 8, 0);
    }
    CHECK(ts_test_warnings >= 7);
    ts_dataset_destroy(ds);
    ts_ctx_set_lenient(ctx, 0);
}

/* A failed write leaves no output and the old file whole. */
TEST(coco_write_is_atomic) {
    ts_ctx *ctx = ts_test_ctx();
    char *out = ts_path_join(ts_test_tmpdir(), "o.json");
    ts_file_write_atomic(ctx, out, "old", 3);
    ts_dataset *ds = NULL;
    ts_dataset_create(ctx, &ds);
    ts_image_entry e = ts_image_entry_empty();
    e.id = 1;
    e.path = "a.png";
    ts_dataset_add_image(ctx, ds, &e, NULL);
    ts_annotation a = ts_annotation_empty();
    a.id = 1;
    a.image_id = 1;
    a.kind = TS_ANN_POLYLINE;
    double line[4] = {0, 0, 3, 4};
    uint32_t ring = 4;
    a.coords = line;
    a.ring_sizes = &ring;
    a.n_rings = 1;
    ts_dataset_add_annotation(ctx, ds, &a, NULL);
    ts_write_opts wo = {1, 0, 0, NULL};
    /* copying an image that does not exist fails: the directory is not made */
    char *dir = ts_path_join(ts_test_tmpdir(), "dirout");
    CHECK(ts_format_coco.write(ctx, ds, dir, &wo) != TS_OK);
    CHECK(!ts_dir_exists(dir));
    ts_ctx_clear_error(ctx);
    /* a polyline is written as its box with a warning */
    ts_test_warnings = 0;
    CHECK_OK(ctx, ts_format_coco.write(ctx, ds, out, &wo));
    CHECK_EQ_INT(ts_test_warnings, 1);
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(ctx, ts_file_read(ctx, out, &data, &len));
    CHECK(data && strstr((char *)data, "\"image_root\":\"../../..\"")); /* the cwd, seen from build/tmp/TEST */
    free(data);
    ts_dataset_destroy(ds);
    free(dir);
    free(out);
}

/* A category may name up to 1024 keypoints (YOLO pose allows 1000); one
 * more is refused with the limit named. */
static ts_status read_keypoint_names(int n, size_t *kept) {
    ts_buf b = {0};
    ts_buf_puts(&b, "{\"images\":[],\"annotations\":[],\"categories\":[{\"id\":1,\"name\":\"p\",\"keypoints\":[");
    for (int i = 0; i < n; i++) ts_buf_printf(&b, "%s\"k%d\"", i ? "," : "", i);
    ts_buf_puts(&b, "]}]}");
    ts_dataset *ds = NULL;
    ts_status s = read_text(b.data, &ds);
    *kept = 0;
    if (ds) {
        ts_category c;
        if (ts_dataset_category_count(ds) == 1) ts_dataset_category(ds, 0, &c), *kept = c.n_keypoints;
    }
    ts_dataset_destroy(ds);
    ts_buf_free(&b);
    return s;
}

TEST(coco_category_keypoint_name_limit) {
    ts_ctx *ctx = ts_test_ctx();
    size_t kept;
    CHECK_EQ_INT(read_keypoint_names(1000, &kept), TS_OK);
    CHECK_EQ_INT((int)kept, 1000);
    CHECK_FAILS(ctx, read_keypoint_names(1025, &kept), "more than 1024 keypoint names");
}

/* A caption long enough to move the record's string buffer when the
 * attribute's key is appended after it (it was read through a stale
 * pointer; the sanitizer build catches a regression). */
TEST(coco_long_caption_kept) {
    ts_buf b = {0};
    ts_buf_puts(&b, "{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":10,\"height\":5}],\"categories\":[],"
                    "\"annotations\":[{\"id\":7,\"image_id\":1,\"caption\":\"");
    for (int i = 0; i < 5000; i++) ts_buf_putc(&b, (char)('a' + i % 26));
    ts_buf_puts(&b, "\"}]}");
    ts_dataset *ds = NULL;
    CHECK_EQ_INT(read_text(b.data, &ds), TS_OK);
    if (ds && CHECK(ts_dataset_annotation_count(ds) == 1)) {
        ts_annotation a;
        ts_dataset_annotation(ds, 0, &a);
        const char *caption = NULL;
        for (uint32_t i = 0; i < a.n_attrs; i++)
            if (strcmp(a.attrs[i].key, "caption") == 0) caption = a.attrs[i].value;
        CHECK(caption && strlen(caption) == 5000 && caption[4999] == (char)('a' + 4999 % 26));
    }
    ts_dataset_destroy(ds);
    ts_buf_free(&b);
}
