/* The dataset model: records in and out, duplicate ids, lookups, per-image
 * annotation lists, updates that point into the dataset, copying. */
#include <stdlib.h>

#include "../test.h"

static ts_dataset *small_dataset(ts_ctx *ctx) {
    ts_dataset *ds;
    if (ts_dataset_create(ctx, &ds) != TS_OK) return NULL;
    for (int i = 0; i < 3; i++) {
        ts_image_entry e = ts_image_entry_empty();
        char path[32];
        snprintf(path, sizeof path, "img/%d.jpg", i);
        e.id = 10 + i;
        e.path = path;
        e.width = 640;
        e.height = 480;
        e.split = i == 2 ? "val" : "train";
        ts_dataset_add_image(ctx, ds, &e, NULL);
    }
    const char *names[] = {"cat", "dog"};
    for (int c = 0; c < 2; c++) {
        ts_category cat = ts_category_empty();
        cat.id = 5 * (c + 1);
        cat.name = names[c];
        ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    double poly[] = {0, 0, 10, 0, 10, 10, 0, 10};
    uint32_t rings[] = {8};
    ts_attr attr = {"color", "black", TS_ATTR_STRING};
    for (int a = 0; a < 4; a++) {
        ts_annotation an = ts_annotation_empty();
        an.id = 100 + a;
        an.image_id = a < 3 ? 10 : 12;
        an.category_id = a % 2 ? 10 : 5;
        an.kind = TS_ANN_POLYGON;
        an.flags = TS_ANN_HAS_BOX;
        an.bbox[0] = a, an.bbox[1] = 2, an.bbox[2] = 10.5, an.bbox[3] = 20.25;
        an.coords = poly;
        an.ring_sizes = rings;
        an.n_rings = 1;
        an.attrs = &attr;
        an.n_attrs = 1;
        ts_dataset_add_annotation(ctx, ds, &an, NULL);
    }
    return ds;
}

TEST(dataset_records_round_trip) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = small_dataset(ctx);
    CHECK_EQ_INT(ts_dataset_image_count(ds), 3);
    CHECK_EQ_INT(ts_dataset_category_count(ds), 2);
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 4);
    ts_image_entry e;
    ts_dataset_image(ds, 2, &e);
    CHECK_EQ_INT(e.id, 12);
    CHECK_STR(e.path, "img/2.jpg");
    CHECK_STR(e.split, "val");
    CHECK_EQ_INT(e.group_id, TS_NO_ID);
    ts_annotation a;
    ts_dataset_annotation(ds, 3, &a);
    CHECK_EQ_INT(a.id, 103);
    CHECK_EQ_INT(a.image_id, 12);
    CHECK_EQ_INT(a.category_id, 10);
    CHECK_NEAR(a.bbox[3], 20.25, 0);
    CHECK_EQ_INT(a.n_rings, 1);
    CHECK_NEAR(a.coords[4], 10, 0);
    CHECK_STR(a.attrs[0].value, "black");
    size_t idx;
    CHECK(ts_dataset_find_category_name(ds, "dog", &idx) && idx == 1);
    CHECK(!ts_dataset_find_category_name(ds, "bird", &idx));
    CHECK(ts_dataset_find_image_path(ds, "img/1.jpg", &idx) && idx == 1);
    CHECK(ts_dataset_find_annotation(ds, 102, &idx) && idx == 2);
    CHECK_EQ_INT(ts_dataset_next_image_id(ds), 13);
    CHECK_EQ_INT(ts_dataset_next_annotation_id(ds), 104);
    const size_t *list;
    size_t n;
    CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, 0, &list, &n));
    CHECK(n == 3 && list[0] == 0 && list[2] == 2);
    CHECK_OK(ctx, ts_dataset_image_annotations(ctx, ds, 1, &list, &n));
    CHECK_EQ_INT(n, 0);
    CHECK_OK(ctx, ts_dataset_validate(ctx, ds));
    ts_dataset_destroy(ds);
}

TEST(dataset_refuses_duplicate_ids) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = small_dataset(ctx);
    ts_image_entry e = ts_image_entry_empty();
    e.id = 11;
    e.path = "x.jpg";
    CHECK_FAILS(ctx, ts_dataset_add_image(ctx, ds, &e, NULL), "duplicate image id 11");
    ts_annotation a = ts_annotation_empty();
    a.id = 101;
    a.image_id = 10;
    CHECK_FAILS(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL), "duplicate annotation id 101");
    a.id = 999;
    a.image_id = 77;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    CHECK_FAILS(ctx, ts_dataset_validate(ctx, ds), "missing image 77");
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_dataset_validate(ctx, ds));
    CHECK(ts_test_warnings >= 1);
    ts_dataset_destroy(ds);
}

TEST(dataset_update_from_own_view) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = small_dataset(ctx);
    /* updating every annotation from views into the dataset grows the pools
     * while the views point into them */
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < 4; i++) {
            ts_annotation a;
            ts_dataset_annotation(ds, i, &a);
            a.bbox[0] += 1;
            CHECK_OK(ctx, ts_dataset_update_annotation(ctx, ds, i, &a));
        }
    }
    ts_annotation a;
    ts_dataset_annotation(ds, 1, &a);
    CHECK_NEAR(a.bbox[0], 51, 0);
    CHECK_NEAR(a.coords[2], 10, 0);
    CHECK_STR(a.attrs[0].key, "color");
    ts_image_entry e;
    ts_dataset_image(ds, 0, &e);
    e.id = 50;
    e.split = "test";
    CHECK_OK(ctx, ts_dataset_update_image(ctx, ds, 0, &e));
    size_t idx;
    CHECK(ts_dataset_find_image(ds, 50, &idx) && idx == 0);
    CHECK(!ts_dataset_find_image(ds, 10, &idx));
    e.id = 11;
    CHECK_FAILS(ctx, ts_dataset_update_image(ctx, ds, 0, &e), "already in use");
    ts_dataset_destroy(ds);
}

TEST(dataset_copy_image_maps_origins) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *a = small_dataset(ctx), *b;
    CHECK_OK(ctx, ts_dataset_set_root(ctx, a, "/data/a"));
    CHECK_OK(ctx, ts_dataset_create(ctx, &b));
    size_t idx;
    CHECK_OK(ctx, ts_dataset_copy_image(ctx, b, a, 1, 1000, &idx));
    CHECK_OK(ctx, ts_dataset_copy_image(ctx, b, a, 2, TS_NO_ID, &idx));
    ts_image_entry e;
    ts_dataset_image(b, 0, &e);
    CHECK_EQ_INT(e.id, 1000);
    CHECK_STR(ts_dataset_origin(b, e.origin).root, "/data/a");
    ts_dataset_image(b, 1, &e);
    CHECK_EQ_INT(e.id, 12);
    CHECK_EQ_INT(ts_dataset_origin_count(b), 2);
    CHECK_OK(ctx, ts_dataset_set_meta(ctx, b, "info", "{}"));
    CHECK_STR(ts_dataset_meta(b, "info"), "{}");
    CHECK(ts_dataset_meta(b, "nope") == NULL);
    ts_dataset_destroy(a);
    ts_dataset_destroy(b);
}
