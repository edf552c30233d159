/* Optimisers (SGD with momentum / Nesterov / weight decay, Adam, AdamW,
 * Adagrad, RMSprop, with PyTorch's update rules) and learning-rate
 * schedules (constant, step, cosine, each with optional linear warm-up). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

static const char *const optim_names[] = {"sgd", "adam", "adamw", "adagrad", "rmsprop"};
static const char *const schedule_names[] = {"constant", "step", "cosine"};

ts_status ts_nn_optim_parse(ts_ctx *ctx, const char *name, ts_nn_optim *out) {
    for (int i = 0; i < 5; i++)
        if (ts_strcaseeq(name, optim_names[i])) {
            *out = (ts_nn_optim)i;
            return TS_OK;
        }
    return ts_error(ctx, TS_ERR_INVALID, "unknown optimiser \"%s\" (expected sgd, adam, adamw, adagrad or rmsprop)",
                    name);
}

ts_status ts_nn_schedule_parse(ts_ctx *ctx, const char *name, ts_nn_schedule *out) {
    for (int i = 0; i < 3; i++)
        if (ts_strcaseeq(name, schedule_names[i])) {
            *out = (ts_nn_schedule)i;
            return TS_OK;
        }
    return ts_error(ctx, TS_ERR_INVALID, "unknown learning-rate schedule \"%s\" (expected constant, step or cosine)",
                    name);
}

ts_nn_train_opts ts_nn_train_opts_default(void) {
    ts_nn_train_opts o;
    memset(&o, 0, sizeof o);
    o.optim = TS_NN_SGD;
    o.lr = 0;        /* per optimiser */
    o.momentum = -1; /* per optimiser */
    o.beta1 = 0.9, o.beta2 = 0.999, o.eps = 1e-8;
    o.schedule = TS_NN_LR_CONSTANT;
    o.step_epochs = 10, o.step_gamma = 0.1;
    o.epochs = 10;
    o.batch_size = 64;
    o.min_delta = 0;
    o.restore_best = 1;
    o.loaders = 1;
    return o;
}

ts_status nn_optim_prepare(ts_ctx *ctx, ts_nn_model *m, ts_nn_optim kind) {
    if (!m->decay) {
        if (!(m->decay = ts_calloc_array(ctx, m->n_params ? m->n_params : 1, 1))) return TS_ERR_NOMEM;
        for (int i = 0; i < m->n_layers; i++) {
            const nn_layer *l = &m->layers[i];
            if (l->kind == NN_CONV || l->kind == NN_DWCONV || l->kind == NN_FC)
                memset(m->decay + (l->w - m->params), 1, l->nw);
        }
    }
    if (m->opt.kind == (int)kind && m->opt.m) return TS_OK;
    free(m->opt.m), free(m->opt.v);
    m->opt.m = ts_calloc_array(ctx, m->n_params ? m->n_params : 1, sizeof(float));
    m->opt.v = ts_calloc_array(ctx, m->n_params ? m->n_params : 1, sizeof(float));
    if (!m->opt.m || !m->opt.v) {
        free(m->opt.m), free(m->opt.v);
        m->opt.m = m->opt.v = NULL;
        m->opt.kind = -1;
        return TS_ERR_NOMEM;
    }
    m->opt.kind = (int)kind;
    m->opt.step = 0;
    return TS_OK;
}

typedef struct {
    ts_nn_model *m;
    const ts_nn_train_opts *o;
    float lr, momentum, bc1, bc2;
    size_t offset; /* first parameter of the first trained layer */
} step_job;

static void update_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const step_job *j = user;
    ts_nn_model *m = j->m;
    begin += j->offset, end += j->offset;
    float *w = m->params, *gr = m->grads, *mo = m->opt.m, *v = m->opt.v;
    const uint8_t *dec = m->decay;
    float lr = j->lr, wd = (float)j->o->weight_decay, mu = j->momentum, eps = (float)j->o->eps;
    float b1 = (float)j->o->beta1, b2 = (float)j->o->beta2;
    switch ((ts_nn_optim)m->opt.kind) {
    case TS_NN_SGD:
        for (size_t i = begin; i < end; i++) {
            float g = gr[i] + (dec[i] ? wd * w[i] : 0.0f);
            if (mu > 0) {
                mo[i] = mu * mo[i] + g;
                g = j->o->nesterov ? g + mu * mo[i] : mo[i];
            }
            w[i] -= lr * g;
        }
        break;
    case TS_NN_ADAM: case TS_NN_ADAMW: {
        int decoupled = m->opt.kind == TS_NN_ADAMW;
        for (size_t i = begin; i < end; i++) {
            float g = gr[i];
            if (dec[i] && wd > 0) {
                if (decoupled) w[i] -= lr * wd * w[i];
                else g += wd * w[i];
            }
            mo[i] = b1 * mo[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            w[i] -= lr * (mo[i] / j->bc1) / (sqrtf(v[i] / j->bc2) + eps);
        }
        break;
    }
    case TS_NN_ADAGRAD:
        for (size_t i = begin; i < end; i++) {
            float g = gr[i] + (dec[i] ? wd * w[i] : 0.0f);
            v[i] += g * g;
            w[i] -= lr * g / (sqrtf(v[i]) + 1e-10f);
        }
        break;
    case TS_NN_RMSPROP:
        for (size_t i = begin; i < end; i++) {
            float g = gr[i] + (dec[i] ? wd * w[i] : 0.0f);
            v[i] = 0.99f * v[i] + 0.01f * g * g;
            float d = g / (sqrtf(v[i]) + eps);
            if (mu > 0) {
                mo[i] = mu * mo[i] + d;
                d = mo[i];
            }
            w[i] -= lr * d;
        }
        break;
    }
}

void nn_optim_step(ts_nn_model *m, const ts_nn_train_opts *o, double lr) {
    size_t start = m->n_params;
    for (int i = m->frozen; i < m->n_layers; i++)
        if (m->layers[i].nw) {
            start = (size_t)(m->layers[i].w - m->params);
            break;
        }
    m->opt.step++;
    step_job j;
    j.m = m, j.o = o, j.lr = (float)lr, j.offset = start;
    j.momentum = (float)(o->momentum >= 0 ? o->momentum : (m->opt.kind == TS_NN_SGD ? 0.9 : 0.0));
    j.bc1 = (float)(1.0 - pow(o->beta1, (double)m->opt.step));
    j.bc2 = (float)(1.0 - pow(o->beta2, (double)m->opt.step));
    if (start < m->n_params) ts_pool_run(m->pool, m->n_params - start, 1 << 14, update_range, &j);
}

double nn_schedule_lr(const ts_nn_train_opts *o, double t) {
    double base = o->lr;
    double lr = base;
    switch (o->schedule) {
    case TS_NN_LR_CONSTANT: break;
    case TS_NN_LR_STEP: {
        int e = (int)floor(t);
        if (e >= o->epochs) e = o->epochs - 1;
        lr = base * pow(o->step_gamma, (double)(e / (o->step_epochs > 0 ? o->step_epochs : 1)));
        break;
    }
    case TS_NN_LR_COSINE: {
        double span = o->epochs - o->warmup_epochs, u = span > 0 ? (t - o->warmup_epochs) / span : 1;
        if (u < 0) u = 0;
        if (u > 1) u = 1;
        lr = o->min_lr + (base - o->min_lr) * 0.5 * (1 + cos(3.14159265358979323846 * u));
        break;
    }
    }
    if (o->warmup_epochs > 0 && t < o->warmup_epochs) lr *= t / o->warmup_epochs;
    return lr;
}
