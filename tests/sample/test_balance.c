/* Balancing plans and their application: targets reached, side effects
 * counted, near-duplicates dropped first, refusals with numbers, repeat
 * factors as in LVIS, the augment callback. */
#include "sample_fixture.h"

/* fixture_dataset(1000): cat 600, dog 300, bird 100 images; fish 143 (on
 * images that also hold one of the others). */

TEST(balance_oversample_uniform) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 0);
    ts_balance_opts o = {0};
    o.method = TS_BALANCE_OVERSAMPLE;
    o.seed = 3;
    ts_balance_plan p;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    CHECK_EQ_INT(p.before_images[0], 600);
    CHECK_EQ_INT(p.before_images[2], 100);
    CHECK_EQ_INT(p.before_images[3], 143);
    for (int c = 0; c < 4; c++) {
        CHECK_NEAR(p.target[c], 600, 0);
        CHECK(p.after_images[c] >= 600);
    }
    CHECK_EQ_INT(p.unreached, 0);
    /* copies of bird/dog images that also hold fish push fish up as a side effect */
    CHECK(p.after_images[1] < 660 && p.after_images[2] < 660);
    size_t copies = p.n_copies;
    CHECK(copies >= 300 + 500 && copies < 300 + 500 + 457);
    ts_dataset *out = NULL;
    CHECK_OK(ctx, ts_balance_apply(ctx, ds, &p, &o, NULL, NULL, &out));
    CHECK_EQ_INT(ts_dataset_image_count(out), 1000 + copies);
    ts_image_entry e, src;
    ts_dataset_image(out, 1000, &e);
    size_t si = 0;
    CHECK(e.n_attrs == 1 && strcmp(e.attrs[0].key, "copy_of") == 0);
    CHECK(ts_dataset_find_image(out, atoll(e.attrs[0].value), &si));
    ts_dataset_image(out, si, &src);
    CHECK_EQ_INT(e.group_id, src.group_id); /* the source joins its copies' group */
    CHECK(src.group_id != TS_NO_ID);
    CHECK_STR(e.path, src.path);
    const size_t *anns;
    size_t na;
    CHECK_OK(ctx, ts_dataset_image_annotations(ctx, out, 1000, &anns, &na));
    CHECK(na >= 1);
    /* deterministic */
    ts_balance_plan q;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &q));
    CHECK(q.n_copies == copies && memcmp(q.copy_source, p.copy_source, copies * sizeof *p.copy_source) == 0);
    ts_balance_plan_free(&q);
    ts_balance_plan_free(&p);
    ts_dataset_destroy(out);
    ts_dataset_destroy(ds);
}

TEST(balance_undersample_prefers_duplicates) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 0);
    uint32_t dup[1000];
    /* images 2k and 2k+1 (k < 100) are near-duplicates */
    for (uint32_t i = 0; i < 1000; i++) dup[i] = i < 200 ? i / 2 : i - 100;
    ts_balance_opts o = {0};
    o.method = TS_BALANCE_UNDERSAMPLE;
    o.seed = 5;
    o.dup_groups = dup;
    ts_balance_plan p;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    for (int c = 0; c < 4; c++) CHECK_EQ_INT(p.after_images[c], 100);
    /* droppable second members of pairs (cat/dog, not fish) all go */
    size_t dropped_dups = 0, droppable = 0;
    for (size_t k = 0; k < 100; k++) {
        size_t i = 2 * k + 1;
        if (i % 10 == 9 || i % 7 == 0) continue;
        droppable++;
        dropped_dups += p.drop[i];
    }
    CHECK_EQ_INT(dropped_dups, droppable);
    ts_dataset *out = NULL;
    CHECK_OK(ctx, ts_balance_apply(ctx, ds, &p, &o, NULL, NULL, &out));
    CHECK_EQ_INT(ts_dataset_image_count(out), 1000 - p.n_dropped);
    ts_balance_plan_free(&p);
    ts_dataset_destroy(out);

    /* cat to 10 while fish is left alone: fish images (about 86 cats) must stay */
    double per[4] = {10, -1, -1, -1};
    o.target = TS_TARGET_PER_CLASS;
    o.per_class = per;
    o.dup_groups = NULL;
    CHECK_FAILS(ctx, ts_balance_plan_make(ctx, ds, &o, &p), "'cat' stays at 86 images (target 10)");
    o.best_effort = 1;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    CHECK_EQ_INT(p.after_images[0], 86);
    CHECK_EQ_INT(p.unreached, 1);
    CHECK_EQ_INT(p.after_images[1], 300);
    ts_balance_plan_free(&p);
    ts_dataset_destroy(ds);
}

TEST(balance_repeat_factor_and_targets) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 0);
    ts_balance_opts o = {0};
    o.method = TS_BALANCE_REPEAT_FACTOR;
    o.repeat_threshold = 0.2;
    ts_balance_plan p;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    CHECK_NEAR(p.weight[9], sqrt(2.0), 1e-12);        /* bird: f = 0.1 */
    CHECK_NEAR(p.weight[1], 1.0, 0);                  /* cat only */
    CHECK_NEAR(p.weight[7], sqrt(0.2 / 0.143), 1e-12); /* dog + fish: fish's r */
    ts_dataset *out = NULL;
    CHECK_OK(ctx, ts_balance_apply(ctx, ds, &p, &o, NULL, NULL, &out));
    ts_image_entry e;
    ts_dataset_image(out, 9, &e);
    CHECK(e.n_attrs == 1 && strcmp(e.attrs[0].key, "repeat_factor") == 0);
    CHECK_NEAR(atof(e.attrs[0].value), sqrt(2.0), 1e-15);
    ts_dataset_destroy(out);
    ts_balance_plan_free(&p);

    /* sqrt targets when growing: sqrt(100 * 600) = 245 for birds */
    o.method = TS_BALANCE_OVERSAMPLE;
    o.target = TS_TARGET_SQRT;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    CHECK_NEAR(p.target[2], 245, 0);
    CHECK_NEAR(p.target[0], 600, 0);
    CHECK(p.after_images[2] >= 245 && p.after_images[2] < 260);
    ts_balance_plan_free(&p);
    /* a fixed count: classes above it are left as they are */
    o.target = TS_TARGET_COUNT;
    o.count = 400;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    CHECK_NEAR(p.target[0], 600, 0);
    CHECK(p.after_images[2] >= 400);
    ts_balance_plan_free(&p);
    ts_dataset_destroy(ds);
}

static ts_status fake_augment(void *user, ts_ctx *ctx, const ts_dataset *src, size_t src_index, ts_rng rng,
                              ts_dataset *dst, const ts_image_entry *entry) {
    (void)src, (void)src_index, (void)rng;
    (*(int *)user)++;
    ts_image_entry e = *entry;
    char path[48];
    snprintf(path, sizeof path, "aug/%lld.png", (long long)e.id);
    e.path = path;
    return ts_dataset_add_image(ctx, dst, &e, NULL);
}

TEST(balance_augment_needs_an_engine) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 100, 0);
    ts_balance_opts o = {0};
    o.method = TS_BALANCE_AUGMENT;
    ts_balance_plan p;
    CHECK_OK(ctx, ts_balance_plan_make(ctx, ds, &o, &p));
    CHECK(p.n_copies > 0);
    ts_dataset *out = NULL;
    CHECK_FAILS(ctx, ts_balance_apply(ctx, ds, &p, &o, NULL, NULL, &out), "no augmentation engine");
    int calls = 0;
    CHECK_OK(ctx, ts_balance_apply(ctx, ds, &p, &o, fake_augment, &calls, &out));
    CHECK_EQ_INT(calls, p.n_copies);
    CHECK_EQ_INT(ts_dataset_image_count(out), 100 + p.n_copies);
    ts_image_entry e;
    ts_dataset_image(out, 100, &e);
    CHECK(e.group_id != TS_NO_ID);
    CHECK(strncmp(e.path, "aug/", 4) == 0);
    ts_dataset_destroy(out);
    ts_balance_plan_free(&p);
    ts_dataset_destroy(ds);
}
