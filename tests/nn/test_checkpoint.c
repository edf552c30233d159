/* Checkpoints (round trip, refusal of truncated / other-version / altered
 * files, other architectures, new heads) and loading a dataset's labelled
 * images at the model's input size. */
#include <stdlib.h>

#include "nn/nn_internal.h"
#include "../test.h"

static ts_nn_model *small_model(ts_ctx *ctx, int classes, uint64_t seed) {
    ts_nn_model *m = NULL;
    CHECK_OK(ctx, ts_nn_model_create(ctx, "conv 4 3\nbn\nrelu\nmaxpool 2\nfc classes", 1, 6, 6, classes, seed, &m));
    return m;
}

TEST(nn_checkpoint_round_trip) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = small_model(ctx, 3, 9);
    if (!m) return;
    int64_t ids[3] = {5, 7, 11};
    const char *names[3] = {"cat", "dog", "a bird"};
    float mean[1] = {0.25f}, sd[1] = {0.5f};
    CHECK_OK(ctx, ts_nn_model_set_classes(ctx, m, ids, names));
    ts_nn_model_set_normalization(m, mean, sd);
    for (size_t i = 0; i < m->n_buffers; i++) m->buffers[i] = 0.5f + (float)i;
    m->epoch = 4;
    char *path = ts_path_join(ts_test_tmpdir(), "m.ckpt");
    CHECK_OK(ctx, ts_nn_checkpoint_save(ctx, m, path));
    ts_nn_model *b = NULL;
    CHECK_OK(ctx, ts_nn_checkpoint_load(ctx, path, &b));
    if (b) {
        CHECK_STR(ts_nn_model_spec(b), ts_nn_model_spec(m));
        CHECK_EQ_INT(ts_nn_model_classes(b), 3);
        CHECK_EQ_INT(ts_nn_model_class_id(b, 2), 11);
        CHECK_STR(ts_nn_model_class_name(b, 2), "a bird");
        CHECK_EQ_INT(ts_nn_model_epoch(b), 4);
        CHECK(memcmp(b->params, m->params, sizeof(float) * m->n_params) == 0);
        CHECK(memcmp(b->buffers, m->buffers, sizeof(float) * m->n_buffers) == 0);
        float bm, bs;
        ts_nn_model_normalization(b, &bm, &bs);
        CHECK_NEAR(bm, 0.25, 0);
        CHECK_NEAR(bs, 0.5, 0);
        /* same predictions */
        float x[2 * 36], pa[6], pb[6];
        for (int i = 0; i < 72; i++) x[i] = (float)((i * 37) % 11) / 11.0f;
        CHECK_OK(ctx, ts_nn_predict(ctx, m, x, 2, pa));
        CHECK_OK(ctx, ts_nn_predict(ctx, b, x, 2, pb));
        CHECK(memcmp(pa, pb, sizeof pa) == 0);
        CHECK_NEAR(pa[0] + pa[1] + pa[2], 1.0, 1e-5);
    }
    ts_nn_model_destroy(b);
    ts_nn_model_destroy(m);
    free(path);
}

TEST(nn_checkpoint_refuses_damaged_files) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = small_model(ctx, 2, 1), *b = NULL;
    if (!m) return;
    char *path = ts_path_join(ts_test_tmpdir(), "m.ckpt");
    CHECK_OK(ctx, ts_nn_checkpoint_save(ctx, m, path));
    uint8_t *data = NULL;
    size_t len = 0;
    CHECK_OK(ctx, ts_file_read(ctx, path, &data, &len));
    if (!data) return;
    CHECK_FAILS(ctx, ts_nn_checkpoint_load_buffer(ctx, "t", data, len - 100, &b), "truncated or corrupt");
    CHECK_FAILS(ctx, ts_nn_checkpoint_load_buffer(ctx, "t", data, 10, &b), "not a trainset checkpoint");
    data[len / 2] ^= 1;
    CHECK_FAILS(ctx, ts_nn_checkpoint_load_buffer(ctx, "t", data, len, &b), "checksum mismatch");
    data[len / 2] ^= 1;
    data[8] = 2;
    CHECK_FAILS(ctx, ts_nn_checkpoint_load_buffer(ctx, "t", data, len, &b), "version 2; this trainset reads version 1");
    data[8] = 1;
    CHECK_OK(ctx, ts_nn_checkpoint_load_buffer(ctx, "t", data, len, &b));
    CHECK(b != NULL);
    CHECK_FAILS(ctx, ts_nn_checkpoint_load(ctx, "/nonexistent/m.ckpt", &b), "m.ckpt");
    ts_nn_model_destroy(b);
    ts_nn_model_destroy(m);
    free(data), free(path);
}

TEST(nn_copy_weights_other_architecture_and_new_head) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *src = small_model(ctx, 3, 1), *same = small_model(ctx, 3, 2), *head = small_model(ctx, 5, 3);
    ts_nn_model *other = NULL;
    CHECK_OK(ctx, ts_nn_model_create(ctx, "conv 8 3\nbn\nrelu\nmaxpool 2\nfc classes", 1, 6, 6, 3, 1, &other));
    if (!src || !same || !head || !other) return;
    CHECK_OK(ctx, ts_nn_model_copy_weights(ctx, same, src, 0));
    CHECK(memcmp(same->params, src->params, sizeof(float) * src->n_params) == 0);
    CHECK_FAILS(ctx, ts_nn_model_copy_weights(ctx, other, src, 0), "architectures differ at layer");
    CHECK_FAILS(ctx, ts_nn_model_copy_weights(ctx, head, src, 0), "with 3 and 5 outputs");
    float before = head->layers[4].w[0];
    CHECK_OK(ctx, ts_nn_model_copy_weights(ctx, head, src, 1));
    size_t body = (size_t)(src->layers[4].w - src->params);
    CHECK(memcmp(head->params, src->params, sizeof(float) * body) == 0);
    CHECK(head->layers[4].w[0] == before); /* the new head keeps its own init */
    ts_nn_model_destroy(src), ts_nn_model_destroy(same), ts_nn_model_destroy(head), ts_nn_model_destroy(other);
}

/* ---- datasets --------------------------------------------------------------- */

/* A 12x10 RGB image whose pixels encode the key. */
static ts_status gen_load(void *user, ts_ctx *ctx, uint64_t key, ts_image *out) {
    (void)user;
    ts_status st = ts_image_alloc(ctx, 12, 10, 3, TS_PIX_U8, out);
    if (st) return st;
    uint8_t *p = out->data;
    for (int i = 0; i < 12 * 10 * 3; i++) p[i] = (uint8_t)(key * 40 + 20);
    return TS_OK;
}

static ts_dataset *labelled_set(ts_ctx *ctx, int n_classes) {
    ts_dataset *ds = NULL;
    ts_pixel_source *src = NULL;
    ts_pixel_source_fns fns = {gen_load, NULL, NULL};
    uint32_t origin = 0;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    CHECK_OK(ctx, ts_pixel_source_create(ctx, &fns, NULL, &src));
    CHECK_OK(ctx, ts_dataset_add_origin(ctx, ds, "", src, &origin));
    ts_pixel_source_release(src);
    const char *names[3] = {"zero", "one", "two"};
    for (int c = 0; c < 3; c++) {
        ts_category cat = ts_category_empty();
        cat.id = 10 + c;
        cat.name = names[c];
        CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &cat, NULL));
    }
    for (int i = 0; i < 5; i++) {
        ts_image_entry e = ts_image_entry_empty();
        e.id = 100 + i;
        e.path = i == 0 ? "a.png" : i == 1 ? "b.png" : i == 2 ? "c.png" : i == 3 ? "d.png" : "e.png";
        e.width = 12, e.height = 10;
        e.split = i < 4 ? "train" : "test";
        e.origin = origin;
        e.pixel_key = (uint64_t)i;
        CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
        if (i == 3) continue; /* unlabelled */
        ts_annotation a = ts_annotation_empty();
        a.id = 1000 + i;
        a.image_id = e.id;
        a.category_id = 10 + (n_classes == 1 ? 1 : (i % 2 ? 12 - 10 : 0));
        a.kind = TS_ANN_LABEL;
        CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
    }
    return ds;
}

TEST(nn_dataset_classes_and_load) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = labelled_set(ctx, 2), *one = labelled_set(ctx, 1);
    int64_t *ids = NULL;
    const char **names = NULL;
    int n = 0;
    CHECK_OK(ctx, ts_nn_dataset_classes(ctx, ds, &ids, &names, &n));
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(ids[0], 10);
        CHECK_EQ_INT(ids[1], 12);
        CHECK_STR(names[1], "two");
    }
    int c, h, w;
    CHECK_OK(ctx, ts_nn_dataset_input(ctx, ds, &c, &h, &w));
    CHECK_EQ_INT(c * 10000 + h * 100 + w, 31012);
    ts_nn_model *m = NULL;
    CHECK_OK(ctx, ts_nn_model_create(ctx, "fc classes", 1, 5, 6, 2, 1, &m));
    if (m) {
        CHECK_OK(ctx, ts_nn_model_set_classes(ctx, m, ids, names));
        ts_nn_data d = {0};
        CHECK_OK(ctx, ts_nn_data_load(ctx, ds, "train", m, 1, &d));
        CHECK_EQ_INT(d.n, 3); /* the unlabelled train image is left out */
        CHECK_EQ_INT(d.c * 10000 + d.h * 100 + d.w, 10506);
        if (d.n == 3) {
            CHECK_EQ_INT(d.image_ids[2], 102);
            CHECK_EQ_INT(d.labels[0], 0);
            CHECK_EQ_INT(d.labels[1], 1);
            CHECK_EQ_INT(d.pixels[2 * 30 + 7], 100); /* grey 100 survives conversion and resize */
        }
        float mean, sd;
        ts_nn_data_stats(&d, &mean, &sd);
        CHECK_NEAR(mean, (20 + 60 + 100) / 3.0 / 255.0, 1e-5);
        ts_nn_data_free(&d);
        CHECK_OK(ctx, ts_nn_data_load(ctx, ds, NULL, m, 0, &d));
        CHECK_EQ_INT(d.n, 5);
        if (d.n == 5) CHECK_EQ_INT(d.labels[3], -1);
        ts_nn_data_free(&d);
        CHECK_FAILS(ctx, ts_nn_data_load(ctx, ds, "val", m, 1, &d), "no labelled images in split \"val\"");
    }
    free(ids), free(names);
    CHECK_FAILS(ctx, ts_nn_dataset_classes(ctx, one, &ids, &names, &n), "needs at least 2");
    ts_nn_model_destroy(m);
    ts_dataset_destroy(ds), ts_dataset_destroy(one);
}
