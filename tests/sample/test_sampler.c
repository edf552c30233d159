/* Samplers: orders are pure functions of (dataset, mode, seed, epoch),
 * resuming gives the same remainder, ranks are disjoint, and each mode
 * does what it promises (class mix, groups, P x K, buffers, shards). */
#include "sample_fixture.h"

static int is_permutation(const uint32_t *o, size_t len, size_t n) {
    if (len != n) return 0;
    uint8_t *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < len && ok; i++) {
        if (o[i] >= n || seen[o[i]]) ok = 0;
        else seen[o[i]] = 1;
    }
    free(seen);
    return ok;
}

static ts_sampler *make(ts_ctx *ctx, const ts_dataset *ds, ts_sampler_mode mode, size_t batch, uint64_t seed) {
    ts_sampler_opts o = ts_sampler_opts_default();
    o.mode = mode;
    o.batch = batch;
    o.seed = seed;
    ts_sampler *s = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &s));
    return s;
}

TEST(sampler_uniform_and_once) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 500, 0);
    ts_sampler *u = make(ctx, ds, TS_SAMPLER_UNIFORM, 32, 5), *o = make(ctx, ds, TS_SAMPLER_ONCE, 32, 5);
    uint32_t *e0, *e1, *o0, *o1, *again;
    size_t n0, n1, m0, m1, na;
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, u, 0, &e0, &n0));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, u, 1, &e1, &n1));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, o, 0, &o0, &m0));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, o, 7, &o1, &m1));
    CHECK(is_permutation(e0, n0, 500) && is_permutation(e1, n1, 500));
    CHECK(memcmp(e0, e1, 500 * sizeof *e0) != 0);
    CHECK(memcmp(o0, o1, 500 * sizeof *o0) == 0);
    /* a second sampler with the same seed gives the same order */
    ts_sampler *u2 = make(ctx, ds, TS_SAMPLER_UNIFORM, 32, 5);
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, u2, 1, &again, &na));
    CHECK(na == n1 && memcmp(again, e1, n1 * sizeof *e1) == 0);
    size_t batches = 0;
    CHECK_OK(ctx, ts_sampler_batches_per_epoch(ctx, u, 0, &batches));
    CHECK_EQ_INT(batches, 16); /* 15 full + 1 of 20 */
    free(e0), free(e1), free(o0), free(o1), free(again);
    ts_sampler_destroy(u), ts_sampler_destroy(u2), ts_sampler_destroy(o);
    ts_dataset_destroy(ds);
}

TEST(sampler_resume_gives_same_remainder_in_every_mode) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 300, 3);
    for (int m = 0; m < TS_SAMPLER_MODE_COUNT; m++) {
        ts_sampler *a = make(ctx, ds, (ts_sampler_mode)m, 16, 77), *b = make(ctx, ds, (ts_sampler_mode)m, 16, 77);
        if (!a || !b) continue;
        uint32_t x[16], y[16];
        size_t nx, ny;
        uint64_t ex, ey;
        for (int k = 0; k < 29; k++) CHECK_OK(ctx, ts_sampler_next(ctx, a, x, &nx, &ex));
        ts_sampler_state st = ts_sampler_save(a);
        CHECK_OK(ctx, ts_sampler_restore(ctx, b, st));
        int diff = 0;
        for (int k = 0; k < 40; k++) {
            CHECK_OK(ctx, ts_sampler_next(ctx, a, x, &nx, &ex));
            CHECK_OK(ctx, ts_sampler_next(ctx, b, y, &ny, &ey));
            diff += nx != ny || ex != ey || memcmp(x, y, nx * sizeof *x) != 0;
        }
        if (diff) ts_test_failf(__FILE__, __LINE__, "mode %s: %d batches differ after resume", ts_sampler_mode_name(m), diff);
        CHECK(ex >= 1); /* crossed into a later epoch */
        ts_sampler_destroy(a), ts_sampler_destroy(b);
    }
    CHECK_EQ_INT(ts_sampler_mode_parse("spread-groups"), TS_SAMPLER_SPREAD_GROUPS);
    CHECK_EQ_INT(ts_sampler_mode_parse("nope"), -1);
    ts_dataset_destroy(ds);
}

TEST(sampler_ranks_are_disjoint) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 0);
    uint8_t *owner = calloc(1000, 1);
    size_t taken = 0, per_rank[3] = {0};
    for (uint32_t r = 0; r < 3; r++) {
        ts_sampler_opts o = ts_sampler_opts_default();
        o.batch = 10;
        o.seed = 9;
        o.rank = r;
        o.world_size = 3;
        ts_sampler *s = NULL;
        CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &s));
        size_t nb = 0;
        CHECK_OK(ctx, ts_sampler_batches_per_epoch(ctx, s, 0, &nb));
        CHECK_EQ_INT(nb, 33); /* 100 global batches, 33 each */
        uint32_t b[10];
        for (size_t k = 0; k < nb; k++) {
            size_t n;
            uint64_t e;
            CHECK_OK(ctx, ts_sampler_next(ctx, s, b, &n, &e));
            CHECK_EQ_INT(e, 0);
            for (size_t i = 0; i < n; i++) {
                if (owner[b[i]]) ts_test_failf(__FILE__, __LINE__, "image %u drawn by two ranks", b[i]);
                owner[b[i]] = (uint8_t)(r + 1);
                per_rank[r]++;
                taken++;
            }
        }
        ts_sampler_destroy(s);
    }
    CHECK_EQ_INT(taken, 990);
    CHECK_EQ_INT(per_rank[0], per_rank[2]);
    free(owner);
    ts_dataset_destroy(ds);
}

static ts_order_stats stats_of(ts_ctx *ctx, ts_sampler *s, uint32_t **order, size_t *len) {
    ts_order_stats st = {0};
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, s, 0, order, len));
    CHECK_OK(ctx, ts_sampler_order_stats(ctx, s, *order, *len, &st));
    return st;
}

TEST(sampler_stratified_and_groups) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 2000, 4);
    uint32_t *o;
    size_t n;
    ts_sampler *u = make(ctx, ds, TS_SAMPLER_UNIFORM, 20, 1);
    ts_order_stats su = stats_of(ctx, u, &o, &n);
    free(o);
    ts_sampler *st = make(ctx, ds, TS_SAMPLER_STRATIFIED, 20, 1);
    ts_order_stats ss = stats_of(ctx, st, &o, &n);
    CHECK(is_permutation(o, n, 2000));
    free(o);
    CHECK(ss.class_mix_deviation < su.class_mix_deviation * 0.6);
    CHECK(su.group_collisions > 0.1);

    ts_sampler *sp = make(ctx, ds, TS_SAMPLER_SPREAD_GROUPS, 20, 1);
    ts_order_stats sg = stats_of(ctx, sp, &o, &n);
    CHECK(is_permutation(o, n, 2000));
    CHECK_NEAR(sg.group_collisions, 0, 0);
    /* members of a group (4 of them, 100 batches) land about 25 batches apart */
    size_t pos[2000];
    for (size_t k = 0; k < n; k++) pos[o[k]] = k;
    size_t close = 0;
    for (size_t g = 0; g < 500; g++)
        for (size_t a = 0; a < 4; a++)
            for (size_t b = a + 1; b < 4; b++) {
                size_t pa = pos[4 * g + a] / 20, pb = pos[4 * g + b] / 20;
                close += (pa > pb ? pa - pb : pb - pa) < 10;
            }
    CHECK(close < 30);
    free(o);

    ts_sampler_opts to = ts_sampler_opts_default();
    to.mode = TS_SAMPLER_TOGETHER_GROUPS;
    to.batch = 8;
    to.per_class = 2;
    ts_sampler *tg = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &to, &tg));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, tg, 3, &o, &n));
    CHECK_EQ_INT(n, 2000);
    size_t apart = 0;
    for (size_t k = 0; k + 1 < n; k += 2) apart += o[k] / 4 != o[k + 1] / 4;
    CHECK_EQ_INT(apart, 0);
    free(o);
    to.batch = 7;
    ts_sampler *bad = NULL;
    CHECK_FAILS(ctx, ts_sampler_create(ctx, ds, &to, &bad), "not a multiple of K = 2");
    ts_sampler_destroy(u), ts_sampler_destroy(st), ts_sampler_destroy(sp), ts_sampler_destroy(tg);
    ts_dataset_destroy(ds);
}

TEST(sampler_class_balanced_repeat_weighted) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 0);
    ts_sampler_opts o = ts_sampler_opts_default();
    o.mode = TS_SAMPLER_CLASS_BALANCED;
    o.batch = 8;
    o.classes_per_batch = 4;
    o.per_class = 2;
    ts_sampler *cb = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &cb));
    uint32_t *ord;
    size_t n;
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, cb, 0, &ord, &n));
    CHECK_EQ_INT(n, 1000 / 8 * 8);
    size_t bird = 0;
    for (size_t k = 0; k < n; k++) bird += ord[k] % 10 == 9;
    CHECK(bird >= n / 4 - 2); /* 4 classes, P = 4: every batch has a bird pair */
    free(ord);

    /* repeat factor: t = 0.2; bird f = 0.1 -> r = sqrt 2; fish f = 0.143 -> 1.18 */
    o = ts_sampler_opts_default();
    o.mode = TS_SAMPLER_REPEAT_FACTOR;
    o.repeat_threshold = 0.2;
    ts_sampler *rf = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &rf));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, rf, 0, &ord, &n));
    size_t cats = 0;
    bird = 0;
    for (size_t k = 0; k < n; k++) bird += ord[k] % 10 == 9, cats += ord[k] % 10 < 6 && ord[k] % 7;
    CHECK(bird > 120 && bird < 160); /* 100 * 1.414 */
    CHECK_EQ_INT(cats, 514);          /* r = 1 exactly: once each */
    free(ord);

    o.mode = TS_SAMPLER_WEIGHTED;
    o.replacement = 0;
    ts_sampler *w = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &w));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, w, 0, &ord, &n));
    CHECK(is_permutation(ord, n, 1000));
    /* inverse frequency: birds come early */
    size_t early = 0;
    for (size_t k = 0; k < 200; k++) early += ord[k] % 10 == 9;
    CHECK(early > 40);
    free(ord);
    ts_sampler_destroy(w);
    o.replacement = 1;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &w));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, w, 0, &ord, &n));
    CHECK_EQ_INT(n, 1000);
    bird = 0;
    for (size_t k = 0; k < n; k++) bird += ord[k] % 10 == 9;
    CHECK(bird > 150); /* uniform would give 100 */
    free(ord);
    ts_sampler_destroy(cb), ts_sampler_destroy(rf), ts_sampler_destroy(w);
    ts_dataset_destroy(ds);
}

TEST(sampler_buffer_and_shards) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 0);
    for (size_t i = 0; i < 1000; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        char src[32];
        snprintf(src, sizeof src, "shard-%zu.tar", i / 100);
        e.source = src;
        CHECK_OK(ctx, ts_dataset_update_image(ctx, ds, i, &e));
    }
    ts_sampler_opts o = ts_sampler_opts_default();
    o.mode = TS_SAMPLER_BUFFER;
    o.buffer = 50;
    ts_sampler *b = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &b));
    uint32_t *ord;
    size_t n;
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, b, 0, &ord, &n));
    CHECK(is_permutation(ord, n, 1000));
    size_t early = 0;
    for (size_t k = 0; k < n; k++) early += k + 49 < ord[k]; /* cannot leave before entering */
    CHECK_EQ_INT(early, 0);
    ts_order_stats st;
    CHECK_OK(ctx, ts_sampler_order_stats(ctx, b, ord, n, &st));
    CHECK(st.mean_displacement > 10 && st.mean_displacement < 200);
    CHECK_EQ_INT(st.distinct, 1000);
    free(ord);

    o.mode = TS_SAMPLER_SHARD;
    ts_sampler *sh = NULL;
    CHECK_OK(ctx, ts_sampler_create(ctx, ds, &o, &sh));
    CHECK_OK(ctx, ts_sampler_epoch_order(ctx, sh, 0, &ord, &n));
    CHECK(is_permutation(ord, n, 1000));
    size_t switches = 0, inorder = 0;
    for (size_t k = 1; k < n; k++) switches += ord[k] / 100 != ord[k - 1] / 100, inorder += ord[k] == ord[k - 1] + 1;
    CHECK_EQ_INT(switches, 9); /* ten shards, each read whole */
    CHECK(inorder < 50);       /* but shuffled inside */
    free(ord);
    ts_sampler_destroy(b), ts_sampler_destroy(sh);
    ts_dataset_destroy(ds);
}
