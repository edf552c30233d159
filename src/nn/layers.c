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
        double s = 0, ss = 0;
        for (size_t i = 0; i < plane; i++) s += x[i];
        double mean = s / (double)plane;
        for (size_t i = 0; i < plane; i++) {
            double d = x[i] - mean;
            ss += d * d;
        }
        double var = ss / (double)plane;
        float inv = (float)(1.0 / sqrt(var + BN_EPS)), mu = (float)mean;
        float *xh = l->aux + c * plane;
        for (size_t i = 0; i < plane; i++) {
            float h = (x[i] - mu) * inv;
            xh[i] = h;
            y[i] = h * gamma + beta;
        }
        l->stat[c] = inv;
        double unbiased = plane > 1 ? var * (double)plane / (double)(plane - 1) : var;
        l->rmean[c] = (float)((1 - BN_MOMENTUM) * l->rmean[c] + BN_MOMENTUM * mean);
        l->rvar[c] = (float)((1 - BN_MOMENTUM) * l->rvar[c] + BN_MOMENTUM * unbiased);
    }
}

static void bn_backward_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    nn_layer *l = j->l;
    size_t plane = j->n * (size_t)l->ih * l->iw;
    for (size_t c = begin; c < end; c++) {
        const float *dy = l->dout + c * plane, *xh = l->aux + c * plane;
        double sd = 0, sdx = 0;
        for (size_t i = 0; i < plane; i++) {
            sd += dy[i];
            sdx += (double)dy[i] * xh[i];
        }
        l->gb[c] = (float)sd;
        l->gw[c] = (float)sdx;
        if (!j->out) continue;
        float *dx = j->out + c * plane;
        float k = l->w[c] * l->stat[c] / (float)plane;
        float a = (float)sd, b = (float)sdx, p = (float)plane;
        for (size_t i = 0; i < plane; i++) dx[i] = k * (p * dy[i] - a - xh[i] * b);
    }
}

void nn_bn_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n, int training) {
    job j = {m, l, in, l->out, n, training};
    ts_pool_run(m->pool, (size_t)l->oc, 1, bn_forward_channels, &j);
}

void nn_bn_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n) {
    job j = {m, l, NULL, din, n, 0};
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
                if (l->kind == NN_MAXPOOL) {
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
