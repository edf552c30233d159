/* The trainer: layer kernels against direct formulas and finite
 * differences, spec parsing and its errors, optimisers learning a synthetic
 * task, schedules, determinism, early stopping, NaN stop, freeze, loader
 * threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "nn/nn_internal.h"
#include "../test.h"

/* 8x8 synthetic images: class 0 a horizontal bar, 1 vertical, 2 diagonal,
 * at a position and with noise drawn from the sample index. */
static ts_status synth_sample(void *user, ts_ctx *ctx, uint64_t epoch, size_t index, float *x, int32_t *label) {
    (void)user, (void)ctx, (void)epoch;
    ts_rng r = ts_rng_for(7, 0, index, 0);
    int cls = (int)(index % 3), at = 1 + (int)ts_rng_below(&r, 6);
    for (int y = 0; y < 8; y++)
        for (int k = 0; k < 8; k++) {
            int on = cls == 0 ? y == at : cls == 1 ? k == at : (y - k == at - 3);
            x[y * 8 + k] = (on ? 1.0f : 0.0f) + (float)(ts_rng_uniform(&r) * 0.6 - 0.3);
        }
    *label = cls;
    return TS_OK;
}

static ts_nn_source synth_source(size_t n) {
    ts_nn_source s = {n, synth_sample, NULL, NULL};
    return s;
}

static ts_nn_model *make(ts_ctx *ctx, const char *spec, int c, int h, int w, int classes) {
    ts_nn_model *m = NULL;
    CHECK_OK(ctx, ts_nn_model_create(ctx, spec, c, h, w, classes, 42, &m));
    return m;
}

TEST(nn_conv_matches_direct_formula) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = make(ctx, "conv 3 3 stride 2 pad 1\nfc classes", 2, 7, 6, 2);
    if (!m) return;
    nn_layer *l = &m->layers[0];
    CHECK_EQ_INT(l->oh, 4);
    CHECK_EQ_INT(l->ow, 3);
    for (size_t i = 0; i < l->nb; i++) l->b[i] = 0.1f * (float)i;
    enum { N = 3 };
    float x[N * 2 * 7 * 6];
    ts_rng r = ts_rng_for(1, 2, 3, 4);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = (float)ts_rng_range(&r, -1, 1);
    CHECK_OK(ctx, nn_forward(ctx, m, x, N));
    double worst = 0;
    for (int s = 0; s < N; s++)
        for (int o = 0; o < 3; o++)
            for (int oy = 0; oy < 4; oy++)
                for (int ox = 0; ox < 3; ox++) {
                    double acc = l->b[o];
                    for (int c = 0; c < 2; c++)
                        for (int ki = 0; ki < 3; ki++)
                            for (int kj = 0; kj < 3; kj++) {
                                int iy = oy * 2 - 1 + ki, ix = ox * 2 - 1 + kj;
                                if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
                                acc += (double)l->w[((o * 2 + c) * 3 + ki) * 3 + kj] * x[((s * 2 + c) * 7 + iy) * 6 + ix];
                            }
                    double got = l->out[((size_t)o * N + (size_t)s) * 12 + (size_t)(oy * 3 + ox)];
                    if (fabs(got - acc) > worst) worst = fabs(got - acc);
                }
    CHECK(worst < 1e-5);
    ts_nn_model_destroy(m);
}

/* Mean loss of the batch with the model in training mode. */
static double batch_loss(ts_ctx *ctx, ts_nn_model *m, const float *x, const int32_t *y, size_t n) {
    size_t right;
    m->training = 1;
    nn_forward(ctx, m, x, n);
    return nn_loss(m, y, n, 0.1, &right, 1);
}

/* Analytic gradients of every layer kind against central differences. */
TEST(nn_gradients_match_finite_differences) {
    ts_ctx *ctx = ts_test_ctx();
    const char *spec = "conv 4 3 stride 2 pad 1\nbn\nleaky 0.1\nskip\ndwconv 3\nrelu\nconv 4 1\nadd\n"
                       "maxpool 2\nconv 6 3\navgpool 1\ngap\ndropout 0.25\nfc 5\nrelu\nfc classes";
    ts_nn_model *m = make(ctx, spec, 2, 9, 9, 3);
    if (!m) return;
    CHECK_OK(ctx, ts_nn_model_set_threads(ctx, m, 2));
    enum { N = 4 };
    float x[N * 2 * 81];
    int32_t y[N] = {0, 1, 2, 1};
    ts_rng r = ts_rng_for(5, 0, 0, 0);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = (float)ts_rng_range(&r, -1, 1);
    m->dropout_step = 3;
    batch_loss(ctx, m, x, y, N);
    nn_backward(m, N);
    float *g = malloc(sizeof(float) * m->n_params);
    memcpy(g, m->grads, sizeof(float) * m->n_params);
    int checked = 0, bad = 0;
    for (size_t i = 0; i < m->n_params; i += 1 + m->n_params / 97) {
        float keep = m->params[i];
        double h = 1e-3;
        m->params[i] = keep + (float)h;
        double up = batch_loss(ctx, m, x, y, N);
        m->params[i] = keep - (float)h;
        double down = batch_loss(ctx, m, x, y, N);
        m->params[i] = keep;
        double num = (up - down) / (2 * h);
        if (fabs(num - g[i]) > 2e-3 + 0.05 * fabs(num)) {
            bad++;
            ts_test_failf(__FILE__, __LINE__, "param %zu: analytic %g, numeric %g", i, (double)g[i], num);
        }
        checked++;
    }
    CHECK(checked > 50);
    CHECK_EQ_INT(bad, 0);
    free(g);
    ts_nn_model_destroy(m);
}

TEST(nn_spec_errors_name_the_line) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = NULL;
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "conv 8 3\nswish\nfc classes", 1, 8, 8, 2, 1, &m), "spec:2: unknown layer \"swish\"");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "conv 8 3\nmaxpool 16\nfc classes", 1, 8, 8, 2, 1, &m), "does not fit");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "relu\nadd\nfc classes", 1, 8, 8, 2, 1, &m), "without a \"skip\"");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "skip\nconv 4 3\nadd\nfc classes", 1, 8, 8, 2, 1, &m), "do not fit");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "conv 8 3\nfc 10", 1, 8, 8, 2, 1, &m), "last layer must be");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "conv 8", 1, 8, 8, 2, 1, &m), "conv takes 2 values");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "cnn-huge", 1, 8, 8, 2, 1, &m), "not a built-in");
    CHECK_FAILS(ctx, ts_nn_model_create(ctx, "{\"layers\": [{\"type\": \"conv\", \"kernel\": 3}]}", 1, 8, 8, 2, 1, &m),
                "lacks \"filters\"");
    CHECK(m == NULL);
}

TEST(nn_builtins_and_json_spec) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *a = make(ctx, "cnn-small", 1, 28, 28, 10);
    ts_nn_model *b = make(ctx, "resnet-mini", 3, 32, 32, 4);
    ts_nn_model *c = make(ctx, "mlp", 1, 28, 28, 10);
    ts_nn_model *j = make(ctx,
                          "{\"input\": [1, 12, 12], \"layers\": [{\"type\": \"conv\", \"filters\": 4, \"kernel\": 3, "
                          "\"stride\": 2}, {\"type\": \"relu\"}, {\"type\": \"fc\", \"units\": \"classes\"}]}",
                          1, 28, 28, 3);
    ts_nn_model *t = make(ctx, "input 1 12 12; conv 4 3 stride 2; relu; fc classes", 1, 28, 28, 3);
    if (!a || !b || !c || !j || !t) return;
    /* conv 1->32 (320) + bn (64) + conv 32->64 (18496) + bn (128) + fc 3136->128 (401536) + fc 128->10 (1290) */
    CHECK_EQ_INT(ts_nn_model_param_count(a), 421834);
    CHECK_EQ_INT(ts_nn_model_layer_count(b), 35);
    CHECK_EQ_INT(ts_nn_model_param_count(c), 784 * 256 + 256 + 256 * 128 + 128 + 1290);
    CHECK_STR(ts_nn_model_spec(j), ts_nn_model_spec(t));
    CHECK_STR(ts_nn_model_spec(t), "input 1 12 12\nconv 4 3 stride 2 pad 1\nrelu\nfc classes\n");
    int ic, ih, iw;
    CHECK(ts_nn_spec_input(ctx, "input 3 20 24\nfc classes", &ic, &ih, &iw));
    CHECK_EQ_INT(ic * 10000 + ih * 100 + iw, 32024);
    CHECK(!ts_nn_spec_input(ctx, "cnn-small", &ic, &ih, &iw));
    ts_nn_model_destroy(a), ts_nn_model_destroy(b), ts_nn_model_destroy(c), ts_nn_model_destroy(j);
    ts_nn_model_destroy(t);
}

TEST(nn_schedules) {
    ts_nn_train_opts o = ts_nn_train_opts_default();
    o.lr = 0.1, o.epochs = 10;
    CHECK_NEAR(nn_schedule_lr(&o, 7.5), 0.1, 1e-12);
    o.schedule = TS_NN_LR_STEP, o.step_epochs = 3, o.step_gamma = 0.5;
    CHECK_NEAR(nn_schedule_lr(&o, 2.9), 0.1, 1e-12);
    CHECK_NEAR(nn_schedule_lr(&o, 3.0), 0.05, 1e-12);
    CHECK_NEAR(nn_schedule_lr(&o, 9.5), 0.0125, 1e-12);
    o.schedule = TS_NN_LR_COSINE, o.min_lr = 0.02;
    CHECK_NEAR(nn_schedule_lr(&o, 0), 0.1, 1e-12);
    CHECK_NEAR(nn_schedule_lr(&o, 5), 0.06, 1e-12);
    CHECK_NEAR(nn_schedule_lr(&o, 10), 0.02, 1e-12);
    o.warmup_epochs = 2;
    CHECK_NEAR(nn_schedule_lr(&o, 1), 0.05, 1e-12); /* half-way through warm-up, cosine not started */
    CHECK_NEAR(nn_schedule_lr(&o, 6), 0.06, 1e-12); /* mid-way through the 8 cosine epochs */
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_optim k;
    CHECK_OK(ctx, ts_nn_optim_parse(ctx, "AdamW", &k));
    CHECK_EQ_INT(k, TS_NN_ADAMW);
    CHECK_FAILS(ctx, ts_nn_optim_parse(ctx, "lion", &k), "expected sgd, adam");
}

/* Train on 300 synthetic samples; `loaders` as in ts_nn_train_opts, `order`
 * the epoch order (NULL: the trainer's reshuffle). */
static double train_synth_with(ts_ctx *ctx, ts_nn_optim optim, double lr, int threads, uint64_t seed, int loaders,
                               ts_nn_order_fn order, float **weights, size_t *nw) {
    ts_nn_model *m = make(ctx, "conv 6 3\nbn\nrelu\nmaxpool 2\nconv 8 3 stride 2\nrelu\nfc 16\nrelu\ndropout 0.1\nfc classes",
                          1, 8, 8, 3);
    if (!m) return 0;
    ts_nn_model_set_threads(ctx, m, threads);
    ts_nn_source train = synth_source(300), val = synth_source(90);
    train.order = order;
    ts_nn_train_opts o = ts_nn_train_opts_default();
    o.optim = optim, o.lr = lr, o.epochs = 4, o.batch_size = 16, o.seed = seed, o.restore_best = 0;
    o.loaders = loaders;
    ts_nn_train_result res;
    CHECK_OK(ctx, ts_nn_train(ctx, m, &train, &val, &o, NULL, &res));
    double loss = 0, acc = 0;
    ts_nn_source test = {90, synth_sample, NULL, NULL};
    CHECK_OK(ctx, ts_nn_evaluate(ctx, m, &test, 32, &loss, &acc));
    if (weights) {
        *nw = m->n_params;
        *weights = malloc(sizeof(float) * m->n_params);
        memcpy(*weights, m->params, sizeof(float) * m->n_params);
    }
    ts_nn_model_destroy(m);
    return acc;
}

static double train_synth(ts_ctx *ctx, ts_nn_optim optim, double lr, int threads, uint64_t seed, float **weights,
                          size_t *nw) {
    return train_synth_with(ctx, optim, lr, threads, seed, 1, NULL, weights, nw);
}

TEST(nn_every_optimiser_learns) {
    ts_ctx *ctx = ts_test_ctx();
    const struct {
        ts_nn_optim k;
        double lr;
    } cases[] = {{TS_NN_SGD, 0.05}, {TS_NN_ADAM, 3e-3}, {TS_NN_ADAMW, 3e-3}, {TS_NN_ADAGRAD, 0.03}, {TS_NN_RMSPROP, 1e-3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double acc = train_synth(ctx, cases[i].k, cases[i].lr, 2, 11, NULL, NULL);
        if (!(acc >= 0.9)) ts_test_failf(__FILE__, __LINE__, "optimiser %d: accuracy %g", (int)cases[i].k, acc);
    }
}

TEST(nn_same_seed_same_threads_bit_identical) {
    ts_ctx *ctx = ts_test_ctx();
    float *a = NULL, *b = NULL, *c = NULL;
    size_t na = 0, nb = 0, nc = 0;
    train_synth(ctx, TS_NN_SGD, 0.05, 2, 3, &a, &na);
    train_synth(ctx, TS_NN_SGD, 0.05, 2, 3, &b, &nb);
    train_synth(ctx, TS_NN_SGD, 0.05, 2, 4, &c, &nc);
    CHECK(na > 0 && na == nb && na == nc);
    if (a && b && c && na == nb && na == nc) {
        CHECK(memcmp(a, b, sizeof(float) * na) == 0);
        CHECK(memcmp(a, c, sizeof(float) * na) != 0);
    }
    free(a), free(b), free(c);
}

TEST(nn_early_stopping_restores_best) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = make(ctx, "fc 8\nrelu\nfc classes", 1, 8, 8, 3);
    ts_nn_model *one = make(ctx, "fc 8\nrelu\nfc classes", 1, 8, 8, 3);
    if (!m || !one) return;
    ts_nn_source train = synth_source(120), val = synth_source(30);
    ts_nn_train_opts o = ts_nn_train_opts_default();
    o.epochs = 10, o.batch_size = 20, o.patience = 2, o.min_delta = 1e9; /* nothing after epoch 1 counts */
    ts_nn_train_result res;
    CHECK_OK(ctx, ts_nn_train(ctx, m, &train, &val, &o, NULL, &res));
    CHECK_EQ_INT(res.stopped_early, 1);
    CHECK_EQ_INT(res.epochs_run, 3);
    CHECK_EQ_INT(res.best_epoch, 1);
    o.epochs = 1, o.patience = 0;
    CHECK_OK(ctx, ts_nn_train(ctx, one, &train, &val, &o, NULL, &res));
    CHECK(memcmp(m->params, one->params, sizeof(float) * m->n_params) == 0);
    ts_nn_model_destroy(m), ts_nn_model_destroy(one);
}

TEST(nn_nan_loss_stops_and_keeps_last_good_checkpoint) {
    ts_ctx *ctx = ts_test_ctx();
    char *path = ts_path_join(ts_test_tmpdir(), "model.ckpt");
    ts_nn_model *m = make(ctx, "fc 16\nrelu\nfc classes", 1, 8, 8, 3);
    if (!m || !path) return;
    ts_nn_source train = synth_source(60);
    ts_nn_train_opts o = ts_nn_train_opts_default();
    o.epochs = 1, o.batch_size = 20, o.checkpoint_path = path;
    CHECK_OK(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, NULL));
    float *good = malloc(sizeof(float) * m->n_params);
    memcpy(good, m->params, sizeof(float) * m->n_params);
    o.epochs = 4, o.lr = 1e30;
    CHECK_FAILS(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, NULL), "checkpoint keeps the last good epoch");
    ts_nn_model *back = NULL;
    CHECK_OK(ctx, ts_nn_checkpoint_load(ctx, path, &back));
    if (back) {
        CHECK_EQ_INT(ts_nn_model_epoch(back), 1);
        CHECK(memcmp(back->params, good, sizeof(float) * back->n_params) == 0);
    }
    ts_nn_model_destroy(back), ts_nn_model_destroy(m);
    free(good), free(path);
}

TEST(nn_freeze_keeps_first_layers) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = make(ctx, "conv 4 3\nbn\nrelu\nfc 8\nrelu\nfc classes", 1, 8, 8, 3);
    if (!m) return;
    size_t first = m->layers[0].nw + m->layers[0].nb + m->layers[1].nw + m->layers[1].nb;
    float *before = malloc(sizeof(float) * m->n_params), *bn = malloc(sizeof(float) * m->n_buffers);
    memcpy(before, m->params, sizeof(float) * m->n_params);
    memcpy(bn, m->buffers, sizeof(float) * m->n_buffers);
    ts_nn_source train = synth_source(60);
    ts_nn_train_opts o = ts_nn_train_opts_default();
    o.epochs = 2, o.batch_size = 20, o.freeze = 3;
    CHECK_OK(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, NULL));
    CHECK(memcmp(before, m->params, sizeof(float) * first) == 0);
    CHECK(memcmp(bn, m->buffers, sizeof(float) * m->n_buffers) == 0); /* frozen bn keeps its statistics */
    CHECK(memcmp(before + first, m->params + first, sizeof(float) * (m->n_params - first)) != 0);
    o.freeze = 6;
    CHECK_FAILS(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, NULL), "the last must train");
    free(before), free(bn);
    ts_nn_model_destroy(m);
}

/* 305 positions over the 300 samples, some repeated, so the last batch of
 * 16 holds one sample and is left out. */
static ts_status repeating_order(void *user, ts_ctx *ctx, uint64_t epoch, size_t **order, size_t *len) {
    (void)user;
    size_t *o = ts_alloc_array(ctx, 305, sizeof *o);
    if (!o) return TS_ERR_NOMEM;
    for (size_t i = 0; i < 305; i++) o[i] = (i * 7 + epoch) % 300;
    *order = o, *len = 305;
    return TS_OK;
}

static int same_weights(const float *a, size_t na, const float *b, size_t nb) {
    return a && b && na > 0 && na == nb && memcmp(a, b, sizeof(float) * na) == 0;
}

TEST(nn_loader_threads_do_not_change_weights) {
    ts_ctx *ctx = ts_test_ctx();
    for (int custom = 0; custom < 2; custom++) {
        ts_nn_order_fn order = custom ? repeating_order : NULL;
        float *inline_w = NULL;
        size_t n_inline = 0;
        /* loaders 0 is the path without overlap: each batch filled on the compute workers before its step */
        train_synth_with(ctx, TS_NN_SGD, 0.05, 2, 5, 0, order, &inline_w, &n_inline);
        for (int loaders = 1; loaders <= 3; loaders++) {
            float *w = NULL;
            size_t n = 0;
            train_synth_with(ctx, TS_NN_SGD, 0.05, 2, 5, loaders, order, &w, &n);
            if (!same_weights(inline_w, n_inline, w, n))
                ts_test_failf(__FILE__, __LINE__, "order %d, %d loaders: weights differ from inline filling", custom,
                              loaders);
            free(w);
        }
        free(inline_w);
    }
}

/* Samples from 50 on fail; the order is the stored one. */
static ts_status failing_sample(void *user, ts_ctx *ctx, uint64_t epoch, size_t index, float *x, int32_t *label) {
    if (index >= 50) return ts_error(ctx, TS_ERR_CORRUPT, "sample %zu is broken", index);
    return synth_sample(user, ctx, epoch, index, x, label);
}

static ts_status stored_order(void *user, ts_ctx *ctx, uint64_t epoch, size_t **order, size_t *len) {
    (void)user, (void)epoch;
    size_t *o = ts_alloc_array(ctx, 120, sizeof *o);
    if (!o) return TS_ERR_NOMEM;
    for (size_t i = 0; i < 120; i++) o[i] = i;
    *order = o, *len = 120;
    return TS_OK;
}

typedef struct {
    size_t batches, stop_at;
} batch_counter;

static int count_batches(void *user, const ts_nn_epoch_stats *s, size_t done, size_t total) {
    (void)s, (void)total, (void)done;
    batch_counter *c = user;
    return ++c->batches == c->stop_at;
}

TEST(nn_loader_error_is_reported_at_its_batch) {
    for (int loaders = 0; loaders <= 2; loaders++) {
        ts_ctx *ctx = ts_test_ctx();
        ts_nn_model *m = make(ctx, "fc 8\nrelu\nfc classes", 1, 8, 8, 3);
        if (!m) return;
        ts_nn_source train = {120, failing_sample, stored_order, NULL};
        ts_nn_train_opts o = ts_nn_train_opts_default();
        o.epochs = 2, o.batch_size = 10, o.loaders = loaders;
        batch_counter c = {0, 0};
        ts_nn_callbacks cb = {count_batches, NULL, &c};
        /* the loaders reach sample 50 while batches 3 and 4 train; five batches train before the error */
        CHECK_FAILS(ctx, ts_nn_train(ctx, m, &train, NULL, &o, &cb, NULL), "sample 50 is broken");
        CHECK_EQ_INT(c.batches, 5);
        ts_nn_model_destroy(m);
    }
}

TEST(nn_loader_stops_cleanly_when_cancelled) {
    ts_ctx *ctx = ts_test_ctx();
    ts_nn_model *m = make(ctx, "fc 8\nrelu\nfc classes", 1, 8, 8, 3);
    if (!m) return;
    ts_nn_source train = synth_source(200);
    ts_nn_train_opts o = ts_nn_train_opts_default();
    o.epochs = 3, o.batch_size = 10, o.loaders = 2;
    batch_counter c = {0, 3};
    ts_nn_callbacks cb = {count_batches, NULL, &c};
    CHECK_FAILS(ctx, ts_nn_train(ctx, m, &train, NULL, &o, &cb, NULL), "training stopped");
    CHECK_EQ_INT(c.batches, 3);
    CHECK_EQ_INT(ts_nn_model_epoch(m), 0);
    o.epochs = 1;
    ts_nn_train_result res;
    CHECK_OK(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, &res));
    CHECK_EQ_INT(res.epochs_run, 1);
    o.loaders = -1;
    CHECK_FAILS(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, NULL), "loader threads must be 0..64");
    ts_nn_model_destroy(m);
}

/* 16x16 grey images of the three synthetic classes, as 8-bit pixels. */
static void synth_pixels(ts_nn_data *d, uint8_t *pixels, int32_t *labels, size_t n) {
    d->n = n, d->c = 1, d->h = 16, d->w = 16;
    d->pixels = pixels, d->labels = labels, d->image_ids = NULL;
    for (size_t i = 0; i < n; i++) {
        ts_rng r = ts_rng_for(9, 0, i, 0);
        int cls = (int)(i % 3), at = 2 + (int)ts_rng_below(&r, 12);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++) {
                int on = cls == 0 ? y == at : cls == 1 ? x == at : (y - x == at - 8);
                pixels[i * 256 + (size_t)y * 16 + (size_t)x] = (uint8_t)((on ? 180 : 40) + ts_rng_below(&r, 60));
            }
        labels[i] = cls;
    }
}

TEST(nn_loader_threads_with_pipeline_do_not_change_weights) {
    ts_ctx *ctx = ts_test_ctx();
    enum { N = 150 };
    static uint8_t pixels[N * 256];
    static int32_t labels[N];
    ts_nn_data d;
    synth_pixels(&d, pixels, labels, N);
    ts_aug_pipeline *pipe = NULL;
    CHECK_OK(ctx, ts_aug_pipeline_load(ctx,
                                       "{\"ops\": [{\"op\": \"hflip\", \"p\": 0.5}, {\"op\": \"affine\", \"scale\": [0.9, "
                                       "1.1], \"deg\": [-10, 10]}, {\"op\": \"brightness\", \"limit\": [-0.15, 0.15]}, "
                                       "{\"op\": \"random_erasing\", \"p\": 0.3}]}",
                                       &pipe));
    float *first = NULL;
    size_t n_first = 0;
    for (int loaders = 0; pipe && loaders <= 2; loaders++) {
        ts_nn_model *m = make(ctx, "conv 4 3 stride 2\nbn\nrelu\nfc classes", 1, 16, 16, 3);
        if (!m) break;
        ts_nn_model_set_threads(ctx, m, 2);
        ts_nn_data_source state = {.data = &d, .model = m, .seed = 4, .flip = 1, .crop_pad = 2, .pipeline = pipe};
        ts_nn_source src = ts_nn_data_source_make(&state);
        ts_nn_train_opts o = ts_nn_train_opts_default();
        o.epochs = 2, o.batch_size = 16, o.seed = 4, o.loaders = loaders;
        CHECK_OK(ctx, ts_nn_train(ctx, m, &src, NULL, &o, NULL, NULL));
        if (!first) {
            n_first = m->n_params;
            first = malloc(sizeof(float) * n_first);
            if (first) memcpy(first, m->params, sizeof(float) * n_first);
        } else if (!same_weights(first, n_first, m->params, m->n_params)) {
            ts_test_failf(__FILE__, __LINE__, "%d loaders: weights differ from inline filling", loaders);
        }
        ts_nn_model_destroy(m);
    }
    free(first);
    ts_aug_pipeline_destroy(pipe);
}

/* Samples that take a while (like reading from disk), counting those
 * filled on the thread that trains. */
typedef struct {
    pthread_t trainer;
    atomic_int on_trainer;
} slow_counter;

static ts_status slow_sample(void *user, ts_ctx *ctx, uint64_t epoch, size_t index, float *x, int32_t *label) {
    slow_counter *c = user;
    struct timespec pause = {0, 200000};
    nanosleep(&pause, NULL);
    if (pthread_equal(pthread_self(), c->trainer)) atomic_fetch_add(&c->on_trainer, 1);
    return synth_sample(NULL, ctx, epoch, index, x, label);
}

TEST(nn_late_batches_are_finished_by_the_training_loop) {
    ts_ctx *ctx = ts_test_ctx();
    float *w[2] = {NULL, NULL};
    size_t n[2] = {0, 0};
    int helped = 0;
    for (int loaders = 0; loaders <= 1; loaders++) {
        ts_nn_model *m = make(ctx, "fc 8\nrelu\nfc classes", 1, 8, 8, 3);
        if (!m) break;
        ts_nn_model_set_threads(ctx, m, 1);
        slow_counter c = {pthread_self(), 0};
        ts_nn_source train = {120, slow_sample, NULL, &c};
        ts_nn_train_opts o = ts_nn_train_opts_default();
        o.epochs = 2, o.batch_size = 10, o.loaders = loaders;
        CHECK_OK(ctx, ts_nn_train(ctx, m, &train, NULL, &o, NULL, NULL));
        n[loaders] = m->n_params;
        w[loaders] = malloc(sizeof(float) * m->n_params);
        if (w[loaders]) memcpy(w[loaders], m->params, sizeof(float) * m->n_params);
        if (loaders == 1) helped = atomic_load(&c.on_trainer);
        ts_nn_model_destroy(m);
    }
    /* the loader thread cannot keep up with this model, so the loop fills
     * samples of late batches itself; the weights do not change */
    CHECK(helped > 0);
    CHECK(same_weights(w[0], n[0], w[1], n[1]));
    free(w[0]), free(w[1]);
}
