/* Folder-per-class reader and writer: Datumaro's imagenet, imagenet_subsets
 * and imagenet_txt fixtures with labels checked, round trips, bad lists. */
#include <stdlib.h>

#include "../test.h"

extern const ts_format ts_format_imagefolder;

TEST(imagefolder_is_registered) { CHECK(ts_format_find("imagefolder") == &ts_format_imagefolder); }

/* Category name of the only label of the image at `path`, or NULL. */
static const char *label_of(const ts_dataset *ds, const char *path) {
    size_t i, n, ci;
    const size_t *anns;
    if (!ts_dataset_find_image_path(ds, path, &i)) return "(no image)";
    if (ts_dataset_image_annotations(NULL, ds, i, &anns, &n) != TS_OK || n != 1) return NULL;
    ts_annotation a;
    ts_dataset_annotation(ds, anns[0], &a);
    if (a.kind != TS_ANN_LABEL || !ts_dataset_find_category(ds, a.category_id, &ci)) return "(bad)";
    ts_category c;
    ts_dataset_category(ds, ci, &c);
    return c.name;
}

static void check_tree(const ts_dataset *ds, const char *prefix) {
    char p[4][128];
    snprintf(p[0], sizeof p[0], "%slabel_0/label_0_1.jpg", prefix);
    snprintf(p[1], sizeof p[1], "%slabel_1/label_1_1.jpg", prefix);
    snprintf(p[2], sizeof p[2], "%slabel_1/label_1_1/label_1_1.jpg", prefix);
    snprintf(p[3], sizeof p[3], "%slabel_0_2.jpg", prefix);
    CHECK_STR(label_of(ds, p[0]), "label_0");
    CHECK_STR(label_of(ds, p[1]), "label_1");
    CHECK_STR(label_of(ds, p[2]), "label_1/label_1_1");
    CHECK(label_of(ds, p[3]) == NULL); /* an image at the root is unlabelled */
    size_t i;
    if (CHECK(ts_dataset_find_image_path(ds, p[3], &i))) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        CHECK_EQ_INT(e.width, 10);
        CHECK_EQ_INT(e.height, 10);
    }
}

TEST(imagefolder_reads_nested_classes_and_unlabelled_root_images) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/imagenet"), NULL, NULL, &ds));
    if (!ds) return;
    CHECK_STR(ts_dataset_meta(ds, "format"), "imagefolder");
    CHECK_EQ_INT(ts_dataset_image_count(ds), 4);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 3);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
    check_tree(ds, "");
    size_t i;
    if (CHECK(ts_dataset_find_category_name(ds, "label_1/label_1_1", &i))) {
        ts_category c;
        ts_dataset_category(ds, i, &c);
        CHECK_EQ_INT(c.id, 2);
        CHECK_EQ_INT(c.parent_id, 1);
    }
    ts_dataset_destroy(ds);
}

TEST(imagefolder_reads_split_level) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/imagenet_subsets"), "imagefolder", NULL, &ds));
    if (!ds) return;
    CHECK_EQ_INT(ts_dataset_image_count(ds), 12);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 9);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 3);
    check_tree(ds, "val/");
    check_tree(ds, "train/");
    size_t i;
    if (CHECK(ts_dataset_find_image_path(ds, "test/label_0/label_0_1.jpg", &i))) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        CHECK_STR(e.split, "test");
    }
    ts_dataset_destroy(ds);
}

TEST(imagefolder_reads_list_form) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL;
    int before = ts_test_warnings;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/imagenet_txt/basic"), NULL, NULL, &ds));
    CHECK(ts_test_warnings > before); /* 3.jpg and 4.jpg do not exist */
    if (ds) {
        CHECK_EQ_INT(ts_dataset_image_count(ds), 4);
        CHECK_EQ_INT(ts_dataset_category_count(ds), 10); /* synsets.txt has no final newline */
        CHECK_STR(label_of(ds, "images/1.jpg"), "label_0");
        CHECK_STR(label_of(ds, "images/2.jpg"), "label_5");
        CHECK_STR(label_of(ds, "images/3.jpg"), "label_3");
        size_t i;
        if (CHECK(ts_dataset_find_image_path(ds, "images/1.jpg", &i))) {
            ts_image_entry e;
            ts_dataset_image(ds, i, &e);
            CHECK_EQ_INT(e.width, 6);
            CHECK_EQ_INT(e.height, 8);
            CHECK_STR(e.split, "train");
        }
        if (CHECK(ts_dataset_find_image_path(ds, "images/4.jpg", &i))) {
            ts_image_entry e;
            ts_dataset_image(ds, i, &e);
            CHECK_EQ_INT(e.width, 0);
        }
    }
    ts_dataset_destroy(ds);
    ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/imagenet_txt/custom_labels"), NULL, NULL, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_category_count(ds), 10);
        CHECK_STR(label_of(ds, "1.jpg"), "alt_label_0");
    }
    ts_dataset_destroy(ds);
    ds = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/imagenet_txt/no_labels"), NULL, NULL, &ds));
    if (ds) {
        CHECK_EQ_INT(ts_dataset_category_count(ds), 5); /* class-0 .. class-4 */
        CHECK_STR(label_of(ds, "1.jpg"), "class-4");
    }
    ts_dataset_destroy(ds);
}

TEST(imagefolder_round_trip) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = NULL, *back = NULL;
    char *out = ts_path_join(ts_test_tmpdir(), "tree");
    CHECK_OK(ctx, ts_dataset_read(ctx, ts_test_shared("interop/datumaro/imagenet_subsets"), "imagefolder", NULL, &ds));
    if (ds) CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "imagefolder", NULL));
    if (ds) CHECK_OK(ctx, ts_dataset_read(ctx, out, "imagefolder", NULL, &back));
    if (back) {
        CHECK_EQ_INT(ts_dataset_image_count(back), 12);
        CHECK_EQ_INT(ts_dataset_annotation_count(back), 9);
        CHECK_EQ_INT(ts_dataset_category_count(back), 3);
        check_tree(back, "test/");
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    free(out);
}

TEST(imagefolder_rejects_bad_lists) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    char *syn = ts_path_join(dir, "synsets.txt"), *list = ts_path_join(dir, "train.txt");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, syn, "a\nb\n", 4));
    CHECK_OK(ctx, ts_file_write_atomic(ctx, list, "x.jpg 0\ny.jpg 7\n", 16));
    ts_dataset *ds = NULL;
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "imagefolder", NULL, &ds), "train.txt:2:7: class index 7");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, list, "x.jpg 0\n../../etc/passwd 1\n", 27));
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "imagefolder", NULL, &ds), "train.txt:2");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, list, "x.jpg 0\ny.jpg one\n", 18));
    CHECK_FAILS(ctx, ts_dataset_read(ctx, dir, "imagefolder", NULL, &ds), "train.txt:2:7: expected \"name class-index\"");
    CHECK(ds == NULL);
    free(syn);
    free(list);
}

TEST(imagefolder_flat_class_names_with_slashes_round_trip) {
    /* "T-shirt/top" is one class (Fashion-MNIST), not "top" under "T-shirt" */
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    ts_dataset *ds;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    char *src = ts_path_join(dir, "src");
    ts_dataset_set_root(ctx, ds, src);
    ts_image img;
    ts_image_alloc(ctx, 4, 3, 1, TS_PIX_U8, &img);
    const char *names[] = {"T-shirt/top", "50%", "Bag"};
    for (int i = 0; i < 3; i++) {
        ts_category c = ts_category_empty();
        c.id = i, c.name = names[i];
        CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &c, NULL));
        char rel[32];
        snprintf(rel, sizeof rel, "img%d.png", i);
        char *full = ts_path_join(src, rel);
        CHECK_OK(ctx, ts_image_save(ctx, full, &img, NULL));
        free(full);
        ts_image_entry e = ts_image_entry_empty();
        e.id = i + 1, e.path = rel, e.width = 4, e.height = 3, e.split = "train";
        CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
        ts_annotation a = ts_annotation_empty();
        a.id = i + 1, a.image_id = i + 1, a.category_id = i;
        CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    }
    char *out = ts_path_join(dir, "out");
    CHECK_OK(ctx, ts_dataset_write(ctx, ds, out, "imagefolder", NULL));
    ts_dataset *back = NULL;
    CHECK_OK(ctx, ts_dataset_read(ctx, out, "imagefolder", NULL, &back));
    if (back) {
        CHECK_EQ_INT(ts_dataset_category_count(back), 3);
        size_t idx;
        CHECK(ts_dataset_find_category_name(back, "T-shirt/top", &idx));
        CHECK(ts_dataset_find_category_name(back, "50%", &idx));
        CHECK(!ts_dataset_find_category_name(back, "T-shirt", &idx));
    }
    ts_dataset_destroy(back);
    ts_dataset_destroy(ds);
    ts_image_free(&img);
    free(src), free(out);
}
