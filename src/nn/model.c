/* The model: creation from a spec, parameter storage and He
 * initialisation, per-batch buffers, the forward and backward passes, the
 * softmax cross-entropy loss and inference. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define OP_INIT 1

/* The model's workers run single-threaded GEMM blocks (conv.c), so
 * OpenBLAS's own threads stay off. */
void nn_blas_threads(const ts_nn_model *m) {
    (void)m;
    openblas_set_num_threads(1);
}

static size_t layer_param_count(const nn_layer *l, size_t *nw, size_t *nb) {
    size_t w = 0, b = 0;
    switch (l->kind) {
    case NN_CONV: w = (size_t)l->oc * l->ic * l->k * l->k, b = (size_t)l->oc; break;
    case NN_DWCONV: w = (size_t)l->oc * l->k * l->k, b = (size_t)l->oc; break;
    case NN_BN: w = b = (size_t)l->oc; break;
    case NN_FC: w = (size_t)l->oc * l->ic * l->ih * l->iw, b = (size_t)l->oc; break;
    default: break;
    }
    *nw = w, *nb = b;
    return w + b;
}

ts_status nn_model_alloc_params(ts_ctx *ctx, ts_nn_model *m) {
    size_t total = 0, buffers = 0;
    for (int i = 0; i < m->n_layers; i++) {
        size_t nw, nb;
        if (!ts_add_size(total, layer_param_count(&m->layers[i], &nw, &nb), &total))
            return ts_error(ctx, TS_ERR_NOMEM, "model too large");
        if (m->layers[i].kind == NN_BN) buffers += 2 * (size_t)m->layers[i].oc;
    }
    m->params = ts_calloc_array(ctx, total ? total : 1, sizeof(float));
    m->grads = ts_calloc_array(ctx, total ? total : 1, sizeof(float));
    m->buffers = ts_calloc_array(ctx, buffers ? buffers : 1, sizeof(float));
    if (!m->params || !m->grads || !m->buffers) return TS_ERR_NOMEM;
    m->n_params = total;
    m->n_buffers = buffers;
    size_t off = 0, boff = 0;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = &m->layers[i];
        layer_param_count(l, &l->nw, &l->nb);
        if (!l->nw) continue;
        l->w = m->params + off, l->gw = m->grads + off;
        l->b = m->params + off + l->nw, l->gb = m->grads + off + l->nw;
        off += l->nw + l->nb;
        if (l->kind == NN_BN) {
            l->rmean = m->buffers + boff;
            l->rvar = m->buffers + boff + l->oc;
            boff += 2 * (size_t)l->oc;
            for (int c = 0; c < l->oc; c++) l->w[c] = 1.0f, l->rvar[c] = 1.0f;
            continue;
        }
        /* He normal: std sqrt(2 / fan_in), one stream per layer */
        size_t fan_in = l->nw / (size_t)l->oc;
        double sd = sqrt(2.0 / (double)fan_in);
        ts_rng rng = ts_rng_for(m->seed, 0, (uint64_t)i, OP_INIT);
        for (size_t j = 0; j < l->nw; j++) l->w[j] = (float)(ts_rng_normal(&rng) * sd);
    }
    return TS_OK;
}

static void free_batch_buffers(ts_nn_model *m) {
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = &m->layers[i];
        free(l->out), free(l->dout), free(l->aux), free(l->stat), free(l->idx), free(l->acc);
        l->out = l->dout = l->aux = l->stat = l->acc = NULL;
        l->idx = NULL;
    }
    free(m->xin), free(m->col), free(m->probs);
    m->xin = m->col = m->probs = NULL;
    m->batch_cap = 0;
}

ts_status nn_model_reserve(ts_ctx *ctx, ts_nn_model *m, size_t n) {
    if (n <= m->batch_cap) return TS_OK;
    free_batch_buffers(m);
    size_t col = 1, in = 0;
    int ok = ts_mul_size((size_t)m->c * m->h * m->w, n, &in);
    m->xin = ok ? ts_alloc_array(ctx, in, sizeof(float)) : NULL;
    m->probs = ts_alloc_array(ctx, n, (size_t)m->classes * sizeof(float));
    if (!m->xin || !m->probs) goto nomem;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = &m->layers[i];
        size_t sz;
        if (!ts_mul_size((size_t)l->oc * l->oh * l->ow, n, &sz)) goto nomem;
        l->out = ts_alloc_array(ctx, sz, sizeof(float));
        l->dout = ts_alloc_array(ctx, sz, sizeof(float));
        if (!l->out || !l->dout) goto nomem;
        size_t aux = 0;
        if (l->kind == NN_DROPOUT) aux = sz;
        if (l->kind == NN_FC && !ts_mul_size((size_t)l->ic * l->ih * l->iw, n, &aux)) goto nomem;
        if (aux && !(l->aux = ts_alloc_array(ctx, aux, sizeof(float)))) goto nomem;
        if (l->kind == NN_BN && !(l->stat = ts_alloc_array(ctx, 2 * (size_t)l->oc, sizeof(float)))) goto nomem;
        if (l->kind == NN_MAXPOOL && !(l->idx = ts_alloc_array(ctx, sz, sizeof(int32_t)))) goto nomem;
        if (l->kind == NN_SKIP && !(l->acc = ts_alloc_array(ctx, sz, sizeof(float)))) goto nomem;
        if (l->kind == NN_CONV && !(l->k == 1 && l->stride == 1 && l->pad == 0)) {
            size_t rows = (size_t)l->ic * l->k * l->k, c;
            if (!ts_mul_size(rows, sz / (size_t)l->oc, &c)) goto nomem;
            if (c > col) col = c;
        }
    }
    if (!(m->col = ts_alloc_array(ctx, col, sizeof(float)))) goto nomem;
    m->batch_cap = n;
    return TS_OK;
nomem:
    free_batch_buffers(m);
    return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate buffers for a batch of %zu", n);
}

ts_status ts_nn_model_create(ts_ctx *ctx, const char *spec, int c, int h, int w, int classes, uint64_t seed,
                             ts_nn_model **out) {
    return nn_model_create_limited(ctx, spec, c, h, w, classes, seed, (size_t)1 << 28, out);
}

ts_status nn_model_create_limited(ts_ctx *ctx, const char *spec, int c, int h, int w, int classes, uint64_t seed,
                                  size_t max_params, ts_nn_model **out) {
    if (classes < 1 || classes > (1 << 20)) return ts_error(ctx, TS_ERR_INVALID, "bad class count %d", classes);
    ts_nn_model *m = calloc(1, sizeof *m);
    if (!m) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    m->seed = seed;
    m->opt.kind = -1;
    char *text = NULL;
    const char *name = NULL;
    ts_status st = nn_spec_text(ctx, spec, &text, &name);
    if (!st) st = nn_spec_build(ctx, m, name, text, c, h, w, classes);
    free(text);
    if (!st) {
        size_t total = 0, nw, nb;
        for (int i = 0; i < m->n_layers; i++) total += layer_param_count(&m->layers[i], &nw, &nb);
        if (total > max_params)
            st = ts_error(ctx, TS_ERR_LIMIT, "the model has %zu parameters, more than %zu", total, max_params);
    }
    if (!st) st = nn_model_alloc_params(ctx, m);
    if (!st) {
        m->class_ids = ts_alloc_array(ctx, (size_t)classes, sizeof(int64_t));
        m->class_names = ts_calloc_array(ctx, (size_t)classes, sizeof(char *));
        m->mean = ts_calloc_array(ctx, (size_t)m->c, sizeof(float));
        m->std = ts_alloc_array(ctx, (size_t)m->c, sizeof(float));
        if (!m->class_ids || !m->class_names || !m->mean || !m->std) st = TS_ERR_NOMEM;
    }
    for (int i = 0; !st && i < classes; i++) {
        char num[24];
        snprintf(num, sizeof num, "%d", i);
        m->class_ids[i] = i;
        if (!(m->class_names[i] = ts_strdup(ctx, num))) st = TS_ERR_NOMEM;
    }
    for (int i = 0; !st && i < m->c; i++) m->std[i] = 1.0f;
    if (!st) st = ts_nn_model_set_threads(ctx, m, ts_ctx_threads(ctx));
    if (st) {
        ts_nn_model_destroy(m);
        return st;
    }
    *out = m;
    return TS_OK;
}

void ts_nn_model_destroy(ts_nn_model *m) {
    if (!m) return;
    free_batch_buffers(m);
    free(m->layers);
    free(m->spec);
    if (m->class_names)
        for (int i = 0; i < m->classes; i++) free(m->class_names[i]);
    free(m->class_names), free(m->class_ids);
    free(m->mean), free(m->std);
    free(m->params), free(m->grads), free(m->buffers), free(m->decay);
    free(m->opt.m), free(m->opt.v);
    ts_pool_destroy(m->pool);
    free(m);
}

ts_status ts_nn_model_set_threads(ts_ctx *ctx, ts_nn_model *m, int threads) {
    if (threads <= 0) threads = ts_cpu_count();
    if (m->pool && m->threads == threads) return TS_OK;
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(ctx, threads, &pool);
    if (st) return st;
    ts_pool_destroy(m->pool);
    m->pool = pool;
    m->threads = threads;
    return TS_OK;
}

void ts_nn_model_input(const ts_nn_model *m, int *c, int *h, int *w) { *c = m->c, *h = m->h, *w = m->w; }
int ts_nn_model_classes(const ts_nn_model *m) { return m->classes; }
size_t ts_nn_model_param_count(const ts_nn_model *m) { return m->n_params; }
const char *ts_nn_model_spec(const ts_nn_model *m) { return m->spec; }
int ts_nn_model_layer_count(const ts_nn_model *m) { return m->n_layers; }
int ts_nn_model_epoch(const ts_nn_model *m) { return m->epoch; }
int64_t ts_nn_model_class_id(const ts_nn_model *m, int i) { return m->class_ids[i]; }
const char *ts_nn_model_class_name(const ts_nn_model *m, int i) { return m->class_names[i]; }

ts_status ts_nn_model_set_classes(ts_ctx *ctx, ts_nn_model *m, const int64_t *ids, const char *const *names) {
    char **copy = ts_calloc_array(ctx, (size_t)m->classes, sizeof(char *));
    if (!copy) return TS_ERR_NOMEM;
    for (int i = 0; i < m->classes; i++) {
        if (!(copy[i] = ts_strdup(ctx, names && names[i] ? names[i] : ""))) {
            for (int j = 0; j < i; j++) free(copy[j]);
            free(copy);
            return TS_ERR_NOMEM;
        }
    }
    for (int i = 0; i < m->classes; i++) free(m->class_names[i]);
    free(m->class_names);
    m->class_names = copy;
    memcpy(m->class_ids, ids, sizeof(int64_t) * (size_t)m->classes);
    return TS_OK;
}

void ts_nn_model_set_normalization(ts_nn_model *m, const float *mean, const float *std) {
    memcpy(m->mean, mean, sizeof(float) * (size_t)m->c);
    memcpy(m->std, std, sizeof(float) * (size_t)m->c);
}

void ts_nn_model_normalization(const ts_nn_model *m, float *mean, float *std) {
    memcpy(mean, m->mean, sizeof(float) * (size_t)m->c);
    memcpy(std, m->std, sizeof(float) * (size_t)m->c);
}

ts_status ts_nn_model_describe(const ts_nn_model *m, ts_buf *out) {
    ts_status st = ts_buf_printf(out, "input %dx%dx%d, %d classes, %zu parameters\n", m->c, m->h, m->w, m->classes,
                                 m->n_params);
    const char *line = m->spec;
    for (int i = 0; !st && i < m->n_layers; i++) {
        line = strchr(line, '\n') + 1; /* the spec starts with its input line */
        const nn_layer *l = &m->layers[i];
        int len = (int)strcspn(line, "\n");
        st = ts_buf_printf(out, "%3d  %-32.*s -> %dx%dx%d  %zu params\n", i + 1, len, line, l->oc, l->oh, l->ow,
                           l->nw + l->nb);
    }
    return st;
}

ts_status ts_nn_model_copy_weights(ts_ctx *ctx, ts_nn_model *dst, const ts_nn_model *src, int skip_last) {
    if (dst->c != src->c || dst->h != src->h || dst->w != src->w)
        return ts_error(ctx, TS_ERR_INVALID, "the models' inputs differ: %dx%dx%d and %dx%dx%d", src->c, src->h,
                        src->w, dst->c, dst->h, dst->w);
    if (dst->n_layers != src->n_layers)
        return ts_error(ctx, TS_ERR_INVALID, "the models' architectures differ: %d and %d layers", src->n_layers,
                        dst->n_layers);
    int skipped = 0;
    for (int i = dst->n_layers - 1; i >= 0; i--) {
        nn_layer *d = &dst->layers[i];
        const nn_layer *s = &src->layers[i];
        if (d->kind != s->kind || d->k != s->k || d->stride != s->stride || d->pad != s->pad || d->ic != s->ic ||
            d->ih != s->ih || d->iw != s->iw)
            return ts_error(ctx, TS_ERR_INVALID, "the models' architectures differ at layer %d (%s and %s)", i + 1,
                            nn_kind_name(s->kind), nn_kind_name(d->kind));
        if (!d->nw) continue;
        if (skipped < skip_last) {
            skipped++;
            continue;
        }
        if (d->oc != s->oc)
            return ts_error(ctx, TS_ERR_INVALID,
                            "the models' architectures differ at layer %d (%s with %d and %d outputs)", i + 1,
                            nn_kind_name(s->kind), s->oc, d->oc);
        memcpy(d->w, s->w, sizeof(float) * d->nw);
        memcpy(d->b, s->b, sizeof(float) * d->nb);
        if (d->kind == NN_BN) {
            memcpy(d->rmean, s->rmean, sizeof(float) * (size_t)d->oc);
            memcpy(d->rvar, s->rvar, sizeof(float) * (size_t)d->oc);
        }
    }
    memcpy(dst->mean, src->mean, sizeof(float) * (size_t)dst->c);
    memcpy(dst->std, src->std, sizeof(float) * (size_t)dst->c);
    return TS_OK;
}

/* ---- passes ------------------------------------------------------------------------ */

typedef struct {
    const float *x;
    float *out;
    size_t n, chw, hw;
} to_cnhw_job;

static void to_cnhw(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const to_cnhw_job *j = user;
    size_t channels = j->chw / j->hw;
    for (size_t s = begin; s < end; s++)
        for (size_t c = 0; c < channels; c++)
            memcpy(j->out + (c * j->n + s) * j->hw, j->x + s * j->chw + c * j->hw, sizeof(float) * j->hw);
}

static void add_into(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

ts_status nn_forward(ts_ctx *ctx, ts_nn_model *m, const float *x, size_t n) {
    ts_status st = nn_model_reserve(ctx, m, n);
    if (st) return st;
    size_t hw = (size_t)m->h * m->w;
    to_cnhw_job tj = {x, m->xin, n, hw * (size_t)m->c, hw};
    ts_pool_run(m->pool, n, 0, to_cnhw, &tj);
    const float *in = m->xin;
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *l = &m->layers[i];
        switch (l->kind) {
        case NN_CONV: nn_conv_forward(m, l, in, n); break;
        case NN_DWCONV: nn_dwconv_forward(m, l, in, n); break;
        case NN_BN: nn_bn_forward(m, l, in, n, m->training && i >= m->frozen); break;
        case NN_RELU: case NN_LEAKY: nn_act_forward(m, l, in, n); break;
        case NN_MAXPOOL: case NN_AVGPOOL: case NN_GAP: nn_pool_forward(m, l, in, n); break;
        case NN_DROPOUT: nn_dropout_forward(m, l, i, in, n); break;
        case NN_FC: nn_fc_forward(m, l, in, n); break;
        case NN_SKIP: memcpy(l->out, in, sizeof(float) * nn_out_size(l, n)); break;
        case NN_ADD: add_into(l->out, in, m->layers[l->ref].out, nn_out_size(l, n)); break;
        default: break;
        }
        in = l->out;
    }
    /* softmax over the logits [classes][N] into probs [N][classes] */
    const float *logits = in;
    for (size_t s = 0; s < n; s++) {
        float *p = m->probs + s * (size_t)m->classes;
        float mx = -INFINITY;
        for (int k = 0; k < m->classes; k++)
            if (logits[(size_t)k * n + s] > mx) mx = logits[(size_t)k * n + s];
        double sum = 0;
        for (int k = 0; k < m->classes; k++) {
            p[k] = expf(logits[(size_t)k * n + s] - mx);
            sum += p[k];
        }
        for (int k = 0; k < m->classes; k++) p[k] = (float)(p[k] / sum);
    }
    return TS_OK;
}

double nn_loss(ts_nn_model *m, const int32_t *labels, size_t n, double eps, size_t *correct, int want_grad) {
    nn_layer *last = &m->layers[m->n_layers - 1];
    int K = m->classes;
    double total = 0, off = eps / K, on = 1.0 - eps + off;
    size_t right = 0;
    for (size_t s = 0; s < n; s++) {
        const float *p = m->probs + s * (size_t)K;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (p[k] > p[best]) best = k;
        right += best == labels[s];
        double loss = 0;
        for (int k = 0; k < K; k++) {
            double q = k == labels[s] ? on : off;
            if (q > 0) loss -= q * log(p[k] > 1e-30f ? (double)p[k] : 1e-30);
            if (want_grad) last->dout[(size_t)k * n + s] = (float)((p[k] - q) / (double)n);
        }
        if (!isfinite(p[0])) loss = NAN;
        total += loss;
    }
    *correct = right;
    return total / (double)n;
}

void nn_backward(ts_nn_model *m, size_t n) {
    for (int i = m->n_layers - 1; i >= m->frozen; i--) {
        nn_layer *l = &m->layers[i];
        float *din = i > m->frozen ? m->layers[i - 1].dout : NULL;
        const float *in = i > 0 ? m->layers[i - 1].out : m->xin;
        switch (l->kind) {
        case NN_CONV: nn_conv_backward(m, l, in, din, n); break;
        case NN_DWCONV: nn_dwconv_backward(m, l, in, din, n); break;
        case NN_BN: nn_bn_backward(m, l, in, din, n); break;
        case NN_RELU: case NN_LEAKY: if (din) nn_act_backward(m, l, din, n); break;
        case NN_MAXPOOL: case NN_AVGPOOL: case NN_GAP: if (din) nn_pool_backward(m, l, din, n); break;
        case NN_DROPOUT: if (din) nn_dropout_backward(m, l, din, n); break;
        case NN_FC: nn_fc_backward(m, l, din, n); break;
        case NN_SKIP: if (din) add_into(din, l->dout, l->acc, nn_out_size(l, n)); break;
        case NN_ADD:
            if (din) memcpy(din, l->dout, sizeof(float) * nn_out_size(l, n));
            memcpy(m->layers[l->ref].acc, l->dout, sizeof(float) * nn_out_size(l, n));
            break;
        default: break;
        }
    }
}

ts_status ts_nn_predict(ts_ctx *ctx, ts_nn_model *m, const float *x, size_t n, float *probs) {
    const size_t chunk = 256;
    size_t per = (size_t)m->c * m->h * m->w;
    int was = m->training;
    m->training = 0;
    nn_blas_threads(m);
    for (size_t s = 0; s < n; s += chunk) {
        size_t k = n - s < chunk ? n - s : chunk;
        ts_status st = nn_forward(ctx, m, x + s * per, k);
        if (st) {
            m->training = was;
            return st;
        }
        memcpy(probs + s * (size_t)m->classes, m->probs, sizeof(float) * k * (size_t)m->classes);
    }
    m->training = was;
    return TS_OK;
}
