/* The id -> index map: the table-free mode for counting ids, its switch to
 * a table at the first id out of order, duplicates, overwrites. */
#include "../test.h"

#include "dataset/dataset_internal.h"

TEST(id_map_dense_then_table) {
    id_map m;
    memset(&m, 0, sizeof m);
    uint32_t v = 99;
    CHECK(!id_map_get(&m, 5, &v));
    for (uint32_t i = 0; i < 1000; i++) CHECK_EQ_INT(id_map_put_new(&m, 100 + (int64_t)i, i, &v), 0);
    CHECK(m.dense);
    CHECK(id_map_get(&m, 100, &v) && v == 0);
    CHECK(id_map_get(&m, 1099, &v) && v == 999);
    CHECK(!id_map_get(&m, 99, &v));
    CHECK(!id_map_get(&m, 1100, &v));
    CHECK(!id_map_get(&m, INT64_MIN, &v));
    CHECK_EQ_INT(id_map_put_new(&m, 500, 1000, &v), 1); /* duplicate: the first index */
    CHECK_EQ_INT(v, 400);
    CHECK(m.dense);
    CHECK_EQ_INT(id_map_put_new(&m, -7, 1000, &v), 0); /* out of order: a table now */
    CHECK(!m.dense);
    for (uint32_t i = 0; i < 1000; i++) {
        CHECK(id_map_get(&m, 100 + (int64_t)i, &v));
        CHECK_EQ_INT(v, i);
    }
    CHECK(id_map_get(&m, -7, &v) && v == 1000);
    CHECK_EQ_INT(id_map_put_new(&m, -7, 5, &v), 1);
    CHECK_EQ_INT(v, 1000);
    id_map_free(&m);
    CHECK(!id_map_get(&m, 100, &v));
}

TEST(id_map_put_overwrites_in_both_modes) {
    id_map m;
    memset(&m, 0, sizeof m);
    uint32_t v;
    CHECK(id_map_put(&m, INT64_MAX, 0) == TS_OK); /* dense at the very top of the range */
    CHECK(id_map_put(&m, INT64_MIN, 1) == TS_OK);
    CHECK(id_map_get(&m, INT64_MAX, &v) && v == 0);
    CHECK(id_map_get(&m, INT64_MIN, &v) && v == 1);
    id_map_free(&m);
    CHECK(id_map_put(&m, 1, 0) == TS_OK);
    CHECK(id_map_put(&m, 2, 1) == TS_OK);
    CHECK(id_map_put(&m, 1, 7) == TS_OK); /* overwrite leaves the dense mode */
    CHECK(id_map_get(&m, 1, &v) && v == 7);
    CHECK(id_map_get(&m, 2, &v) && v == 1);
    CHECK(id_map_put(&m, 2, 1) == TS_OK);
    CHECK(id_map_get(&m, 2, &v) && v == 1);
    id_map_free(&m);
    CHECK(id_map_put(&m, 10, 3) == TS_OK); /* first index not 0: a table from the start */
    CHECK(!m.dense);
    CHECK(id_map_get(&m, 10, &v) && v == 3);
    id_map_free(&m);
}

TEST(id_map_dataset_duplicates_keep_pools) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    ts_image_entry e = ts_image_entry_empty();
    e.id = 3, e.path = "a.jpg";
    CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
    e.path = "b.jpg";
    CHECK(ts_dataset_add_image(ctx, ds, &e, NULL) == TS_ERR_INVALID);
    CHECK(strstr(ts_ctx_error(ctx), "duplicate image id 3") != NULL);
    double c[] = {0, 0, 4, 0, 4, 3};
    uint32_t ring = 6;
    ts_annotation a = ts_annotation_empty();
    a.id = 1, a.image_id = 3, a.category_id = 1, a.kind = TS_ANN_POLYGON;
    a.coords = c, a.ring_sizes = &ring, a.n_rings = 1;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    CHECK(ts_dataset_add_annotation(ctx, ds, &a, NULL) == TS_ERR_INVALID);
    a.id = 0; /* below the first id: out of the dense range */
    c[2] = 8;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    CHECK_EQ_INT(ts_dataset_annotation_count(ds), 2);
    ts_annotation got;
    size_t i;
    CHECK(ts_dataset_find_annotation(ds, 0, &i) && i == 1);
    ts_dataset_annotation(ds, i, &got);
    CHECK(got.n_rings == 1 && got.ring_sizes[0] == 6 && got.coords[2] == 8);
    CHECK(ts_dataset_find_annotation(ds, 1, &i) && i == 0);
    ts_dataset_annotation(ds, i, &got);
    CHECK(got.coords[2] == 4);
    CHECK(ts_dataset_find_image(ds, 3, &i) && i == 0);
    ts_dataset_destroy(ds);
}
