/* Merge: classes matched by name and through a label map, ids re-keyed
 * without collision, provenance and origins per input, the report. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/ops.h"

static void add_cat(ts_dataset *ds, int64_t id, const char *name, const char *super) {
    ts_category c = ts_category_empty();
    c.id = id, c.name = name, c.supercategory = super;
    CHECK_OK(ts_test_ctx(), ts_dataset_add_category(ts_test_ctx(), ds, &c, NULL));
}

static void add_img(ts_dataset *ds, int64_t id, const char *path) {
    ts_image_entry e = ts_image_entry_empty();
    e.id = id, e.path = path, e.width = 10, e.height = 10;
    CHECK_OK(ts_test_ctx(), ts_dataset_add_image(ts_test_ctx(), ds, &e, NULL));
}

static void add_ann(ts_dataset *ds, int64_t id, int64_t image, int64_t cat) {
    ts_annotation a = ts_annotation_empty();
    a.id = id, a.image_id = image, a.category_id = cat, a.kind = TS_ANN_BOX, a.flags = TS_ANN_HAS_BOX;
    a.bbox[0] = (double)id, a.bbox[2] = 2, a.bbox[3] = 3;
    CHECK_OK(ts_test_ctx(), ts_dataset_add_annotation(ts_test_ctx(), ds, &a, NULL));
}

static int64_t cat_of_name(const ts_dataset *ds, const char *name) {
    size_t k;
    return ts_dataset_find_category_name(ds, name, &k) ? ts_dataset_category_id(ds, k) : -1;
}

TEST(merge_labelmap_ids_provenance) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *a, *b, *out = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &a));
    CHECK_OK(ctx, ts_dataset_create(ctx, &b));
    CHECK_OK(ctx, ts_dataset_set_root(ctx, a, "/rootA"));
    CHECK_OK(ctx, ts_dataset_set_root(ctx, b, "/rootB"));
    add_cat(a, 1, "cat", "animal");
    add_cat(a, 2, "tuk-tuk", "vehicle");
    add_img(a, 1, "a.jpg");
    add_img(a, 2, "b.jpg");
    add_ann(a, 1, 1, 1);
    add_ann(a, 2, 2, 2);
    add_cat(b, 1, "motorcycle", "vehicle");
    add_cat(b, 5, "cat", "pet");
    add_cat(b, 7, "Cat", "");
    add_img(b, 1, "a.jpg");
    add_img(b, 3, "c.jpg");
    add_ann(b, 1, 1, 5);
    add_ann(b, 2, 3, 1);
    add_ann(b, 3, 3, 7);
    const char *text = "# vehicles\ntuk-tuk -> motorcycle\n\"nothing here\" -> x   # unused\n";
    ts_labelmap *map = NULL;
    CHECK_OK(ctx, ts_labelmap_parse(ctx, "map.txt", text, strlen(text), &map));
    CHECK_EQ_INT(ts_labelmap_count(map), 2);
    CHECK_STR(ts_labelmap_apply(map, "nothing here"), "x");
    const ts_dataset *ins[2] = {a, b};
    const char *names[2] = {"A", "B"};
    ts_merge_report *rep = NULL;
    CHECK_OK(ctx, ts_dataset_merge(ctx, ins, names, 2, map, &out, &rep));
    if (!out || !rep) return;
    CHECK_EQ_INT(ts_dataset_image_count(out), 4);
    CHECK_EQ_INT(ts_dataset_annotation_count(out), 5);
    CHECK_EQ_INT(ts_dataset_category_count(out), 3);
    CHECK_EQ_INT(cat_of_name(out, "cat"), 1);
    CHECK_EQ_INT(cat_of_name(out, "motorcycle"), 2); /* A's tuk-tuk, first seen, keeps id 2 */
    CHECK_EQ_INT(cat_of_name(out, "Cat"), 7);
    CHECK_EQ_INT(cat_of_name(out, "tuk-tuk"), -1);
    /* B's ids collide with A's: all shifted by one offset */
    int64_t ishift, ashift;
    uint64_t imgs, anns;
    ts_merge_report_input(rep, 0, &imgs, &anns, &ishift, &ashift);
    CHECK(imgs == 2 && anns == 2 && ishift == 0 && ashift == 0);
    ts_merge_report_input(rep, 1, &imgs, &anns, &ishift, &ashift);
    CHECK(imgs == 2 && anns == 3 && ishift == 2 && ashift == 2);
    size_t k;
    CHECK(ts_dataset_find_image(out, 3, &k));
    ts_image_entry e;
    ts_dataset_image(out, k, &e);
    CHECK_STR(e.path, "a.jpg");
    CHECK_STR(e.source, "B");
    CHECK_STR(ts_dataset_origin(out, e.origin).root, "/rootB");
    CHECK(ts_dataset_find_image(out, 1, &k));
    ts_dataset_image(out, k, &e);
    CHECK_STR(e.source, "A");
    CHECK_STR(ts_dataset_origin(out, e.origin).root, "/rootA");
    /* B's annotation 1 (cat, id 5 there) is now annotation 3 on image 3, class 1 */
    CHECK(ts_dataset_find_annotation(out, 3, &k));
    ts_annotation an;
    ts_dataset_annotation(out, k, &an);
    CHECK_EQ_INT(an.image_id, 3);
    CHECK_EQ_INT(an.category_id, 1);
    CHECK_NEAR(an.bbox[0], 1, 0);
    CHECK(ts_dataset_find_annotation(out, 4, &k));
    ts_dataset_annotation(out, k, &an);
    CHECK_EQ_INT(an.category_id, 2); /* B's motorcycle */
    /* the table */
    CHECK_EQ_INT(ts_merge_report_rows(rep), 3);
    int64_t id;
    const char *name, *src;
    ts_merge_report_row(rep, 1, &id, &name);
    CHECK_STR(name, "motorcycle");
    CHECK_EQ_INT(ts_merge_report_cell(rep, 1, 0, &src), 1);
    CHECK_STR(src, "tuk-tuk");
    CHECK_EQ_INT(ts_merge_report_cell(rep, 1, 1, &src), 1);
    CHECK_STR(src, "motorcycle");
    CHECK_EQ_INT(ts_merge_report_cell(rep, 0, 1, &src), 1);
    /* supercategory, unused map line, case-only names, shared path */
    CHECK_EQ_INT(ts_merge_report_conflicts(rep), 4);
    int seen[4] = {0};
    for (size_t i = 0; i < ts_merge_report_conflicts(rep); i++) {
        const char *c = ts_merge_report_conflict(rep, i);
        seen[0] |= strstr(c, "supercategory \"pet\"") != NULL;
        seen[1] |= strstr(c, "line 3") != NULL && strstr(c, "nothing here") != NULL;
        seen[2] |= strstr(c, "differ only in case") != NULL;
        seen[3] |= strstr(c, "1 image paths of B") != NULL;
    }
    CHECK(seen[0] && seen[1] && seen[2] && seen[3]);
    ts_merge_report_destroy(rep);
    ts_labelmap_destroy(map);
    ts_dataset_destroy(out);
    /* no collision: ids kept */
    const ts_dataset *only[1] = {b};
    CHECK_OK(ctx, ts_dataset_merge(ctx, only, NULL, 1, NULL, &out, NULL));
    CHECK(ts_dataset_find_image(out, 3, &k));
    ts_dataset_destroy(out);
    ts_dataset_destroy(a);
    ts_dataset_destroy(b);
}

TEST(merge_labelmap_forms_and_errors) {
    ts_ctx *ctx = ts_test_ctx();
    ts_labelmap *m = NULL;
    const char *json = "{\"tuk-tuk\": \"motorcycle\", \"scooter\": \"motorcycle\"}";
    CHECK_OK(ctx, ts_labelmap_parse(ctx, "m.json", json, strlen(json), &m));
    CHECK_EQ_INT(ts_labelmap_count(m), 2);
    CHECK_STR(ts_labelmap_apply(m, "scooter"), "motorcycle");
    CHECK_STR(ts_labelmap_apply(m, "car"), "car");
    ts_labelmap_destroy(m);
    const char *csv = "\"traffic light\",signal\nlamp , signal\n";
    CHECK_OK(ctx, ts_labelmap_parse(ctx, "m.csv", csv, strlen(csv), &m));
    CHECK_STR(ts_labelmap_apply(m, "traffic light"), "signal");
    CHECK_STR(ts_labelmap_apply(m, "lamp"), "signal");
    ts_labelmap_destroy(m);
    m = NULL;
    const char *twice = "a -> b\n\na -> c\n";
    CHECK_FAILS(ctx, ts_labelmap_parse(ctx, "m.txt", twice, strlen(twice), &m), "m.txt:3");
    const char *noarrow = "a b\n";
    CHECK_FAILS(ctx, ts_labelmap_parse(ctx, "m.txt", noarrow, strlen(noarrow), &m), "expected \"source -> target\"");
    const char *empty = "a -> \n";
    CHECK_FAILS(ctx, ts_labelmap_parse(ctx, "m.txt", empty, strlen(empty), &m), "empty class name");
    CHECK_FAILS(ctx, ts_labelmap_parse(ctx, "m.json", "{\"a\": 1}", 8, &m), "m.json:1:7");
    CHECK_FAILS(ctx, ts_labelmap_load(ctx, "/nonexistent/map.txt", &m), "map.txt");
    CHECK(m == NULL);
}

TEST(merge_missing_category) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *a, *out = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &a));
    add_cat(a, 1, "cat", "");
    add_img(a, 1, "a.jpg");
    add_ann(a, 1, 1, 9);
    add_ann(a, 2, 1, 1);
    const ts_dataset *ins[1] = {a};
    CHECK_FAILS(ctx, ts_dataset_merge(ctx, ins, NULL, 1, NULL, &out, NULL), "missing category 9");
    CHECK(out == NULL);
    ts_ctx_set_lenient(ctx, 1);
    ts_merge_report *rep = NULL;
    CHECK_OK(ctx, ts_dataset_merge(ctx, ins, NULL, 1, NULL, &out, &rep));
    if (out) CHECK_EQ_INT(ts_dataset_annotation_count(out), 1);
    if (rep) CHECK_EQ_INT(ts_merge_report_conflicts(rep), 1);
    ts_merge_report_destroy(rep);
    ts_dataset_destroy(out);
    ts_dataset_destroy(a);
}
