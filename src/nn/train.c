/* The training loop: epochs of shuffled batches filled by the sample
 * callback (on loader threads ahead of the step, or inline on the model's
 * workers), forward/backward/update, validation, early stopping with
 * restore-best, NaN detection, per-epoch checkpoints, metrics JSON lines
 * and the training-curve SVG. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn_internal.h"

#define OP_SHUFFLE 2

ts_status nn_curve_svg(ts_ctx *ctx, const char *path, const ts_nn_epoch_stats *hist, int count);

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

ts_status ts_nn_evaluate(ts_ctx *ctx, ts_nn_model *m, const ts_nn_source *src, int batch_size, double *loss,
                         double *accuracy) {
    if (src->count == 0) return ts_error(ctx, TS_ERR_INVALID, "no samples to evaluate");
    size_t bs = batch_size > 0 ? (size_t)batch_size : 256;
    nn_batch_mem b;
    ts_status st = nn_batch_mem_alloc(ctx, m, bs, &b);
    int was = m->training;
    m->training = 0;
    nn_blas_threads(m);
    double total = 0;
    size_t right = 0;
    for (size_t s = 0; !st && s < src->count; s += bs) {
        size_t k = src->count - s < bs ? src->count - s : bs, correct;
        st = nn_fill_batch(ctx, m, src, 0, NULL, s, k, &b);
        if (!st) st = nn_forward(ctx, m, b.x, k);
        if (!st) {
            total += nn_loss(m, b.labels, k, 0, &correct, 0) * (double)k;
            right += correct;
        }
    }
    m->training = was;
    nn_batch_mem_free(&b);
    if (st) return st;
    *loss = total / (double)src->count;
    *accuracy = (double)right / (double)src->count;
    return TS_OK;
}

static void shuffle(uint64_t seed, uint64_t epoch, size_t *order, size_t n) {
    ts_rng rng = ts_rng_for(seed, epoch, 0, OP_SHUFFLE);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ts_rng_below(&rng, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

static ts_status write_metrics(ts_ctx *ctx, const char *path, const ts_nn_epoch_stats *h, int count) {
    ts_buf b = {0};
    for (int i = 0; i < count; i++) {
        ts_buf_printf(&b, "{\"epoch\":%d,\"train_loss\":", h[i].epoch);
        ts_buf_put_double(&b, h[i].train_loss);
        ts_buf_puts(&b, ",\"train_acc\":");
        ts_buf_put_double(&b, h[i].train_acc);
        ts_buf_puts(&b, ",\"val_loss\":");
        ts_buf_put_double(&b, h[i].val_loss);
        ts_buf_puts(&b, ",\"val_acc\":");
        ts_buf_put_double(&b, h[i].val_acc);
        ts_buf_puts(&b, ",\"lr\":");
        ts_buf_put_double(&b, h[i].lr);
        ts_buf_puts(&b, ",\"seconds\":");
        ts_buf_put_double(&b, round(h[i].seconds * 1000) / 1000);
        ts_buf_puts(&b, ",\"load_seconds\":");
        ts_buf_put_double(&b, round(h[i].load_seconds * 1000) / 1000);
        ts_buf_puts(&b, ",\"images_per_s\":");
        ts_buf_put_double(&b, round(h[i].images_per_s));
        ts_buf_printf(&b, ",\"best\":%s}\n", h[i].best ? "true" : "false");
    }
    if (!b.data) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    ts_status st = ts_file_write_atomic(ctx, path, b.data, b.len);
    ts_buf_free(&b);
    return st;
}

static ts_status check_opts(ts_ctx *ctx, const ts_nn_model *m, const ts_nn_source *train, ts_nn_train_opts *o) {
    if (o->lr == 0)
        o->lr = o->optim == TS_NN_SGD ? 0.05 : o->optim == TS_NN_ADAGRAD ? 0.01 : 1e-3;
    if (!(o->lr > 0) || !isfinite(o->lr)) return ts_error(ctx, TS_ERR_INVALID, "learning rate must be positive");
    if (o->epochs < 1) return ts_error(ctx, TS_ERR_INVALID, "epochs must be at least 1");
    if (o->batch_size < 1 || o->batch_size > 65536) return ts_error(ctx, TS_ERR_INVALID, "batch size must be 1..65536");
    if (o->freeze < 0 || o->freeze >= m->n_layers)
        return ts_error(ctx, TS_ERR_INVALID, "--freeze %d: the model has %d layers and the last must train", o->freeze,
                        m->n_layers);
    if (!train || !train->sample || train->count == 0) return ts_error(ctx, TS_ERR_INVALID, "no training samples");
    if (o->label_smoothing < 0 || o->label_smoothing >= 1)
        return ts_error(ctx, TS_ERR_INVALID, "label smoothing must be in [0, 1)");
    if (o->warmup_epochs < 0 || o->warmup_epochs > o->epochs)
        return ts_error(ctx, TS_ERR_INVALID, "warm-up must be between 0 and the epochs");
    if (o->loaders < 0 || o->loaders > TS_NN_MAX_LOADERS)
        return ts_error(ctx, TS_ERR_INVALID, "loader threads must be 0..%d", TS_NN_MAX_LOADERS);
    return TS_OK;
}

ts_status ts_nn_train(ts_ctx *ctx, ts_nn_model *m, const ts_nn_source *train, const ts_nn_source *val,
                      const ts_nn_train_opts *opts_in, const ts_nn_callbacks *cb, ts_nn_train_result *result) {
    ts_nn_train_opts o = *opts_in;
    ts_status st = check_opts(ctx, m, train, &o);
    if (st) return st;
    if (m->epoch >= o.epochs)
        return ts_error(ctx, TS_ERR_INVALID, "the model has trained %d epochs already (--epochs %d)", m->epoch, o.epochs);
    m->frozen = o.freeze;
    m->seed = o.seed;
    if ((st = nn_optim_prepare(ctx, m, o.optim))) return st;
    nn_blas_threads(m);
    size_t n = train->count, bs = (size_t)o.batch_size < n ? (size_t)o.batch_size : n;
    nn_loader *loader = NULL;
    size_t *order = NULL, len = 0;
    ts_nn_epoch_stats *hist = ts_calloc_array(ctx, (size_t)o.epochs, sizeof *hist);
    float *best_params = NULL, *best_buffers = NULL;
    st = nn_loader_create(ctx, m, train, bs, o.loaders, &loader);
    if (!st && !hist) st = TS_ERR_NOMEM;
    if (!st && o.restore_best) {
        best_params = ts_alloc_array(ctx, m->n_params ? m->n_params : 1, sizeof(float));
        best_buffers = ts_alloc_array(ctx, m->n_buffers ? m->n_buffers : 1, sizeof(float));
        if (!best_params || !best_buffers) st = TS_ERR_NOMEM;
    }
    double best = INFINITY, total_time = 0;
    int best_epoch = 0, waited = 0, count = 0, stopped = 0;
    size_t total_images = 0;
    for (int e = m->epoch; !st && e < o.epochs; e++) {
        free(order);
        order = NULL;
        if (train->order) {
            st = train->order(train->user, ctx, (uint64_t)e, &order, &len);
        } else if (!(order = ts_alloc_array(ctx, n, sizeof(size_t)))) {
            st = TS_ERR_NOMEM;
        } else {
            len = n;
            shuffle(o.seed, (uint64_t)e, order, n);
        }
        if (!st && len == 0) st = ts_error(ctx, TS_ERR_INVALID, "the sampler gave an empty epoch");
        for (size_t i = 0; !st && i < len; i++)
            if (order[i] >= n) st = ts_error(ctx, TS_ERR_INVALID, "sampler gave index %zu of %zu", order[i], n);
        if (st) break;
        size_t nb = (len + bs - 1) / bs, steps = nn_epoch_steps(len, bs);
        ts_nn_epoch_stats s = {0};
        s.epoch = e + 1, s.epochs = o.epochs;
        s.val_loss = s.val_acc = NAN;
        double t0 = now_s(), loss_sum = 0;
        size_t right_sum = 0, seen = 0;
        nn_loader_begin_epoch(loader, (uint64_t)e, order, len);
        for (size_t bi = 0; !st && bi < steps; bi++) {
            nn_batch batch;
            size_t right;
            double asked = now_s();
            if ((st = nn_loader_next(loader, ctx, bi, &batch))) break;
            s.load_seconds += now_s() - asked;
            size_t k = batch.count;
            m->training = 1;
            m->dropout_step = (uint64_t)e << 32 | bi;
            if ((st = nn_forward(ctx, m, batch.x, k))) break;
            double loss = nn_loss(m, batch.labels, k, o.label_smoothing, &right, 1);
            s.lr = nn_schedule_lr(&o, e + (double)(bi + 1) / (double)nb);
            if (!isfinite(loss)) {
                st = ts_error(ctx, TS_ERR_INVALID,
                              "the loss became %s in epoch %d, batch %zu (learning rate %g); %s", isnan(loss) ? "NaN" : "infinite",
                              e + 1, bi + 1, s.lr,
                              e > 0 && o.checkpoint_path ? "the checkpoint keeps the last good epoch"
                                                         : "no checkpoint was written");
                break;
            }
            nn_backward(m, k);
            nn_optim_step(m, &o, s.lr);
            loss_sum += loss * (double)k;
            right_sum += right;
            seen += k;
            s.train_loss = loss_sum / (double)seen;
            s.train_acc = (double)right_sum / (double)seen;
            s.seconds = now_s() - t0;
            s.images_per_s = s.seconds > 0 ? (double)seen / s.seconds : 0;
            if (cb && cb->batch && cb->batch(cb->user, &s, bi + 1, nb))
                st = ts_error(ctx, TS_ERR_CANCELLED, "training stopped");
        }
        nn_loader_end_epoch(loader);
        m->training = 0;
        if (st) break;
        s.seconds = now_s() - t0;
        s.images_per_s = s.seconds > 0 ? (double)seen / s.seconds : 0;
        total_time += s.seconds;
        total_images += seen;
        if (val && val->count) {
            if ((st = ts_nn_evaluate(ctx, m, val, 256, &s.val_loss, &s.val_acc))) break;
            if (!isfinite(s.val_loss)) {
                st = ts_error(ctx, TS_ERR_INVALID, "the validation loss became NaN in epoch %d; %s", e + 1,
                              e > 0 && o.checkpoint_path ? "the checkpoint keeps the last good epoch"
                                                         : "no checkpoint was written");
                break;
            }
        }
        m->epoch = e + 1;
        double monitor = val && val->count ? s.val_loss : s.train_loss;
        if (monitor < best - o.min_delta || best_epoch == 0) {
            best = monitor;
            best_epoch = e + 1;
            waited = 0;
            s.best = 1;
            if (best_params) {
                memcpy(best_params, m->params, sizeof(float) * m->n_params);
                memcpy(best_buffers, m->buffers, sizeof(float) * m->n_buffers);
            }
        } else {
            waited++;
        }
        hist[count++] = s;
        if (o.checkpoint_path && (st = ts_nn_checkpoint_save(ctx, m, o.checkpoint_path))) break;
        if (o.metrics_path && (st = write_metrics(ctx, o.metrics_path, hist, count))) break;
        if (o.curve_path && (st = nn_curve_svg(ctx, o.curve_path, hist, count))) break;
        if (cb && cb->epoch && cb->epoch(cb->user, &s)) st = ts_error(ctx, TS_ERR_CANCELLED, "training stopped");
        if (!st && o.patience > 0 && waited >= o.patience) {
            stopped = 1;
            break;
        }
    }
    if (!st && best_params && best_epoch && best_epoch != m->epoch) {
        memcpy(m->params, best_params, sizeof(float) * m->n_params);
        memcpy(m->buffers, best_buffers, sizeof(float) * m->n_buffers);
        if (o.checkpoint_path) st = ts_nn_checkpoint_save(ctx, m, o.checkpoint_path);
    }
    if (!st && result) {
        memset(result, 0, sizeof *result);
        result->epochs_run = count;
        result->best_epoch = best_epoch;
        result->stopped_early = stopped;
        result->best_val_loss = result->best_val_acc = NAN;
        for (int i = 0; i < count; i++)
            if (hist[i].epoch == best_epoch) result->best_val_loss = hist[i].val_loss, result->best_val_acc = hist[i].val_acc;
        result->final_train_loss = count ? hist[count - 1].train_loss : NAN;
        result->images_per_s = total_time > 0 ? (double)total_images / total_time : 0;
    }
    m->frozen = 0;
    nn_loader_destroy(loader);
    free(order), free(hist), free(best_params), free(best_buffers);
    return st;
}
