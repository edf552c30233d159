/* Layers without GEMMs: batch normalisation, ReLU / leaky ReLU, max and
 * average pooling, global average pooling, dropout. Each parallel loop runs
 * over channels or planes and writes only its own, so results are the same
 * for any thread count. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

#define BN_EPS 1e-5
#define BN_MOMENTUM 0.1

typedef struct {
    ts_nn_model *m;
    nn_layer *l;
    const float *in;
    float *out;
    size_t n;   /* batch */
    int flag;   /* training / layer index */
} job;

/* ---- batch normalisation ------------------------------------------------- */

/* Sum and sum of squares of x - shift in float lanes (vectorisable, no
 * long dependency chain), folded into doubles every block so long planes
 * keep their precision. */
static void sums(const float *x, size_t n, float shift, double *s_out, double *ss_out) {
    double s = 0, ss = 0;
    for (size_t at = 0; at < n; at += 4096) {
        size_t end = n - at < 4096 ? n : at + 4096;
        float a[8] = {0}, b[8] = {0};
        size_t i = at;
        for (; i + 8 <= end; i += 8)
            for (int k = 0; k < 8; k++) {
                float d = x[i + k] - shift;
                a[k] += d;
                b[k] += d * d;
            }
        for (; i < end; i++) {
            float d = x[i] - shift;
            a[0] += d;
            b[0] += d * d;
        }
        for (int k = 0; k < 8; k++) s += a[k], ss += b[k];
    }
    *s_out = s, *ss_out = ss;
}

static void bn_forward_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    nn_layer *l = j->l;
    size_t plane = j->n * (size_t)l->ih * l->iw;
    for (size_t c = begin; c < end; c++) {
        const float *x = j->in + c * plane;
        float *y = l->out + c * plane;
        float gamma = l->w[c], beta = l->b[c];
        if (!j->flag) {
            float inv = (float)(1.0 / sqrt((double)l->rvar[c] + BN_EPS)), mu = l->rmean[c];
            float scale = gamma * inv, shift = beta - mu * scale;
            for (size_t i = 0; i < plane; i++) y[i] = x[i] * scale + shift;
            continue;
        }
        double s, ss;
        float k = x[0];
        sums(x, plane, k, &s, &ss);
        double dm = s / (double)plane, mean = k + dm;
        double var = ss / (double)plane - dm * dm;
        if (var < 0) var = 0;
        float inv = (float)(1.0 / sqrt(var + BN_EPS)), mu = (float)mean;
        float scale = gamma * inv, shift = beta - mu * scale;
        for (size_t i = 0; i < plane; i++) y[i] = x[i] * scale + shift;
        l->stat[2 * c] = mu;
        l->stat[2 * c + 1] = inv;
        double unbiased = plane > 1 ? var * (double)plane / (double)(plane - 1) : var;
        l->rmean[c] = (float)((1 - BN_MOMENTUM) * l->rmean[c] + BN_MOMENTUM * mean);
        l->rvar[c] = (float)((1 - BN_MOMENTUM) * l->rvar[c] + BN_MOMENTUM * unbiased);
    }
}

/* x-hat is recomputed from the layer's input and the saved mean / inverse
 * std rather than stored, saving a write and a read of the activations. */
static void bn_backward_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    nn_layer *l = j->l;
    size_t plane = j->n * (size_t)l->ih * l->iw;
    for (size_t c = begin; c < end; c++) {
        const float *dy = l->dout + c * plane, *x = j->in + c * plane;
        float mu = l->stat[2 * c], inv = l->stat[2 * c + 1];
        double sd = 0, sdx = 0;
        for (size_t at = 0; at < plane; at += 4096) {
            size_t stop = plane - at < 4096 ? plane : at + 4096;
            float a[8] = {0}, b[8] = {0};
            size_t i = at;
            for (; i + 8 <= stop; i += 8)
                for (int k = 0; k < 8; k++) {
                    a[k] += dy[i + k];
                    b[k] += dy[i + k] * (x[i + k] - mu);
                }
            for (; i < stop; i++) a[0] += dy[i], b[0] += dy[i] * (x[i] - mu);
            for (int k = 0; k < 8; k++) sd += a[k], sdx += b[k];
        }
        sdx *= inv;
        l->gb[c] = (float)sd;
        l->gw[c] = (float)sdx;
        if (!j->out) continue;
        float *dx = j->out + c * plane;
        float k = l->w[c] * inv / (float)plane;
        float a = (float)sd, b = (float)sdx * inv, p = (float)plane;
        for (size_t i = 0; i < plane; i++) dx[i] = k * (p * dy[i] - a - (x[i] - mu) * b);
    }
}

void nn_bn_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n, int training) {
    job j = {m, l, in, l->out, n, training};
    ts_pool_run(m->pool, (size_t)l->oc, 1, bn_forward_channels, &j);
}

void nn_bn_backward(ts_nn_model *m, nn_layer *l, const float *in, float *din, size_t n) {
    job j = {m, l, in, din, n, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 1, bn_backward_channels, &j);
}

/* ---- ReLU and leaky ReLU ------------------------------------------------------ */

static void act_forward_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    float a = j->l->kind == NN_LEAKY ? j->l->alpha : 0.0f;
    const float *x = j->in;
    float *y = j->l->out;
    for (size_t i = begin; i < end; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
}

static void act_backward_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    float a = j->l->kind == NN_LEAKY ? j->l->alpha : 0.0f;
    const float *y = j->l->out, *dy = j->l->dout;
    float *dx = j->out;
    for (size_t i = begin; i < end; i++) dx[i] = y[i] > 0 ? dy[i] : a * dy[i];
}

void nn_act_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n) {
    job j = {m, l, in, NULL, n, 0};
    ts_pool_run(m->pool, nn_out_size(l, n), 1 << 14, act_forward_range, &j);
}

void nn_act_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n) {
    job j = {m, l, NULL, din, n, 0};
    ts_pool_run(m->pool, nn_out_size(l, n), 1 << 14, act_backward_range, &j);
}

/* ---- pooling: one plane (channel, sample) per index ----------------------- */

static void pool_forward_planes(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    nn_layer *l = j->l;
    size_t ihw = (size_t)l->ih * l->iw, ohw = (size_t)l->oh * l->ow;
    for (size_t p = begin; p < end; p++) {
        const float *x = j->in + p * ihw;
        float *y = l->out + p * ohw;
        if (l->kind == NN_GAP) {
            double s = 0;
            for (size_t i = 0; i < ihw; i++) s += x[i];
            y[0] = (float)(s / (double)ihw);
            continue;
        }
        int32_t *ix = l->idx ? l->idx + p * ohw : NULL;
        float inv = 1.0f / (float)(l->k * l->k);
        for (int oy = 0; oy < l->oh; oy++) {
            for (int ox = 0; ox < l->ow; ox++) {
                int y0 = oy * l->stride, x0 = ox * l->stride;
                if (l->kind == NN_MAXPOOL && l->k == 2) {
                    int a0 = y0 * l->iw + x0, best = a0;
                    float v = x[a0];
                    if (x[a0 + 1] > v) v = x[a0 + 1], best = a0 + 1;
                    if (x[a0 + l->iw] > v) v = x[a0 + l->iw], best = a0 + l->iw;
                    if (x[a0 + l->iw + 1] > v) v = x[a0 + l->iw + 1], best = a0 + l->iw + 1;
                    y[oy * l->ow + ox] = v;
                    ix[oy * l->ow + ox] = best;
                } else if (l->kind == NN_MAXPOOL) {
                    int best = y0 * l->iw + x0;
                    float v = x[best];
                    for (int ky = 0; ky < l->k; ky++)
                        for (int kx = 0; kx < l->k; kx++) {
                            int at = (y0 + ky) * l->iw + x0 + kx;
                            if (x[at] > v) v = x[at], best = at;
                        }
                    y[oy * l->ow + ox] = v;
                    ix[oy * l->ow + ox] = best;
                } else {
                    float s = 0;
                    for (int ky = 0; ky < l->k; ky++)
                        for (int kx = 0; kx < l->k; kx++) s += x[(y0 + ky) * l->iw + x0 + kx];
                    y[oy * l->ow + ox] = s * inv;
                }
            }
        }
    }
}

static void pool_backward_planes(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    nn_layer *l = j->l;
    size_t ihw = (size_t)l->ih * l->iw, ohw = (size_t)l->oh * l->ow;
    for (size_t p = begin; p < end; p++) {
        float *dx = j->out + p * ihw;
        const float *dy = l->dout + p * ohw;
        if (l->kind == NN_GAP) {
            float g = dy[0] / (float)ihw;
            for (size_t i = 0; i < ihw; i++) dx[i] = g;
            continue;
        }
        memset(dx, 0, sizeof(float) * ihw);
        if (l->kind == NN_MAXPOOL) {
            const int32_t *ix = l->idx + p * ohw;
            for (size_t i = 0; i < ohw; i++) dx[ix[i]] += dy[i];
            continue;
        }
        float inv = 1.0f / (float)(l->k * l->k);
        for (int oy = 0; oy < l->oh; oy++)
            for (int ox = 0; ox < l->ow; ox++) {
                float g = dy[oy * l->ow + ox] * inv;
                int y0 = oy * l->stride, x0 = ox * l->stride;
                for (int ky = 0; ky < l->k; ky++)
                    for (int kx = 0; kx < l->k; kx++) dx[(y0 + ky) * l->iw + x0 + kx] += g;
            }
    }
}

void nn_pool_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n) {
    job j = {m, l, in, NULL, n, 0};
    ts_pool_run(m->pool, (size_t)l->ic * n, 0, pool_forward_planes, &j);
}

void nn_pool_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n) {
    job j = {m, l, NULL, din, n, 0};
    ts_pool_run(m->pool, (size_t)l->ic * n, 0, pool_backward_planes, &j);
}

/* ---- dropout: inverted, mask keyed by (seed, step, layer, channel) ---------- */

static void dropout_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    nn_layer *l = j->l;
    size_t plane = j->n * (size_t)l->ih * l->iw;
    float keep = 1.0f - l->alpha, scale = keep > 0 ? 1.0f / keep : 0.0f;
    for (size_t c = begin; c < end; c++) {
        ts_rng rng = ts_rng_for(j->m->seed, j->m->dropout_step, (uint64_t)j->flag, c);
        const float *x = j->in + c * plane;
        float *y = l->out + c * plane, *mask = l->aux + c * plane;
        for (size_t i = 0; i < plane; i++) {
            /* 32 bits per decision is ample for probabilities given in %. */
            float u = (float)(ts_rng_u32(&rng) >> 8) * (1.0f / 16777216.0f);
            mask[i] = u < keep ? scale : 0.0f;
            y[i] = x[i] * mask[i];
        }
    }
}

void nn_dropout_forward(ts_nn_model *m, nn_layer *l, int index, const float *in, size_t n) {
    if (!m->training || l->alpha <= 0) {
        memcpy(l->out, in, sizeof(float) * nn_out_size(l, n));
        return;
    }
    job j = {m, l, in, NULL, n, index};
    ts_pool_run(m->pool, (size_t)l->oc, 1, dropout_channels, &j);
}

static void dropout_back_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    for (size_t i = begin; i < end; i++) j->out[i] = j->l->dout[i] * j->l->aux[i];
}

void nn_dropout_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n) {
    if (l->alpha <= 0) {
        memcpy(din, l->dout, sizeof(float) * nn_out_size(l, n));
        return;
    }
    job j = {m, l, NULL, din, n, 0};
    ts_pool_run(m->pool, nn_out_size(l, n), 1 << 14, dropout_back_range, &j);
}
