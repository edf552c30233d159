/* Layers with weights: convolution as im2col + one OpenBLAS sgemm over the
 * whole batch, depthwise convolution as a direct loop, fully connected. */
#include <cblas.h>
#include <string.h>

#include "nn/nn_internal.h"

/* Parallel loops hand ts_pool one of these; every kernel below writes
 * disjoint outputs per index so results do not depend on the threads. */
typedef struct {
    const nn_layer *l;
    const float *in;
    float *out;
    const float *aux;
    size_t n;     /* samples of this job (a chunk of the batch for im2col / col2im) */
    size_t first; /* im2col / col2im: first sample of the chunk */
    size_t batch; /* im2col / col2im: samples in the activation planes */
} job;

/* C = op(A) op(B) (row-major, beta 0) split into one block per worker
 * along the larger of M and N, each block one single-threaded OpenBLAS
 * call. Blocks depend only on the thread count, so results are identical
 * run to run; workers sleep between jobs instead of spinning the way
 * OpenBLAS's own threads do, which matters on two cores. */
typedef struct {
    int ta, tb, M, N, K, lda, ldb, ldc, parts;
    const float *A, *B;
    float *C;
    float beta;
} gemm_job;

static void gemm_part(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const gemm_job *g = user;
    for (size_t p = begin; p < end; p++) {
        int split_m = g->M >= g->N;
        int len = split_m ? g->M : g->N, lo = (int)((long)len * (long)p / g->parts),
            hi = (int)((long)len * (long)(p + 1) / g->parts);
        if (hi <= lo) continue;
        const float *A = g->A, *B = g->B;
        float *C = g->C;
        if (split_m) {
            A += g->ta ? (size_t)lo : (size_t)lo * (size_t)g->lda;
            C += (size_t)lo * (size_t)g->ldc;
        } else {
            B += g->tb ? (size_t)lo * (size_t)g->ldb : (size_t)lo;
            C += (size_t)lo;
        }
        cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                    split_m ? hi - lo : g->M, split_m ? g->N : hi - lo, g->K, 1.0f, A, g->lda, B, g->ldb, g->beta, C,
                    g->ldc);
    }
}

static void gemm_beta(ts_nn_model *m, int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
                      int ldb, float beta, float *C, int ldc) {
    gemm_job g = {ta, tb, M, N, K, lda, ldb, ldc, m->threads, A, B, C, beta};
    if ((double)M * N * K < 2e6 || m->threads < 2) g.parts = 1;
    ts_pool_run(g.parts > 1 ? m->pool : NULL, (size_t)g.parts, 1, gemm_part, &g);
}

static void gemm(ts_nn_model *m, int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float *C, int ldc) {
    gemm_beta(m, ta, tb, M, N, K, A, lda, B, ldb, 0.0f, C, ldc);
}

/* Convolutions run over chunks of the batch whose im2col matrix holds about
 * this many floats (1 MiB): it stays in cache between im2col, the GEMMs and
 * col2im instead of streaming a batch-sized matrix through memory. */
#define COL_CHUNK_FLOATS ((size_t)1 << 18)

static size_t chunk_samples(const nn_layer *l, size_t n) {
    size_t per = (size_t)l->ic * l->k * l->k * l->oh * l->ow, c = per ? COL_CHUNK_FLOATS / per : n;
    return c < 1 ? 1 : c > n ? n : c;
}

static int is_pointwise(const nn_layer *l) { return l->k == 1 && l->stride == 1 && l->pad == 0; }

/* col[(c,ki,kj)][n][oh][ow] = in[c][n][oh*s-p+ki][ow*s-p+kj], 0 outside. */
static void im2col_rows(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    const nn_layer *l = j->l;
    size_t ihw = (size_t)l->ih * l->iw, ohw = (size_t)l->oh * l->ow, kk = (size_t)l->k * l->k;
    for (size_t r = begin; r < end; r++) {
        size_t c = r / kk, ki = (r % kk) / l->k, kj = r % l->k;
        float *dst = j->out + r * j->n * ohw;
        for (size_t s = 0; s < j->n; s++) {
            const float *plane = j->in + (c * j->batch + j->first + s) * ihw;
            for (int oy = 0; oy < l->oh; oy++) {
                int iy = oy * l->stride - l->pad + (int)ki;
                float *row = dst + (size_t)oy * l->ow;
                if (iy < 0 || iy >= l->ih) {
                    memset(row, 0, sizeof(float) * (size_t)l->ow);
                    continue;
                }
                const float *src = plane + (size_t)iy * l->iw;
                if (l->stride == 1) {
                    int lo = l->pad - (int)kj, hi = l->iw + l->pad - (int)kj; /* valid ox in [lo, hi) */
                    if (lo < 0) lo = 0;
                    if (hi > l->ow) hi = l->ow;
                    for (int ox = 0; ox < lo && ox < l->ow; ox++) row[ox] = 0;
                    if (hi > lo) memcpy(row + lo, src + lo - l->pad + (int)kj, sizeof(float) * (size_t)(hi - lo));
                    for (int ox = hi > lo ? hi : lo; ox < l->ow; ox++) row[ox] = 0;
                } else {
                    for (int ox = 0; ox < l->ow; ox++) {
                        int ix = ox * l->stride - l->pad + (int)kj;
                        row[ox] = ix >= 0 && ix < l->iw ? src[ix] : 0.0f;
                    }
                }
            }
            dst += ohw;
        }
    }
}

/* din[c] = sum over (ki,kj) of the dcol rows of channel c, scattered back.
 * One index is one input channel, so each writes only its own planes. */
static void col2im_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    const nn_layer *l = j->l;
    size_t ihw = (size_t)l->ih * l->iw, ohw = (size_t)l->oh * l->ow;
    for (size_t c = begin; c < end; c++) {
        memset(j->out + (c * j->batch + j->first) * ihw, 0, sizeof(float) * j->n * ihw);
        for (int ki = 0; ki < l->k; ki++) {
            for (int kj = 0; kj < l->k; kj++) {
                size_t r = (c * (size_t)l->k + (size_t)ki) * (size_t)l->k + (size_t)kj;
                const float *src = j->in + r * j->n * ohw;
                for (size_t s = 0; s < j->n; s++) {
                    float *plane = j->out + (c * j->batch + j->first + s) * ihw;
                    for (int oy = 0; oy < l->oh; oy++) {
                        int iy = oy * l->stride - l->pad + ki;
                        const float *row = src + (size_t)oy * l->ow;
                        if (iy < 0 || iy >= l->ih) continue;
                        float *dst = plane + (size_t)iy * l->iw;
                        for (int ox = 0; ox < l->ow; ox++) {
                            int ix = ox * l->stride - l->pad + kj;
                            if (ix >= 0 && ix < l->iw) dst[ix] += row[ox];
                        }
                    }
                    src += ohw;
                }
            }
        }
    }
}

static void add_bias(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    for (size_t c = begin; c < end; c++) {
        float b = j->l->b[c], *o = j->out + c * j->n;
        for (size_t i = 0; i < j->n; i++) o[i] += b;
    }
}

/* gb[c] = sum of the gradient row c (length n). */
static void bias_grad(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    for (size_t c = begin; c < end; c++) {
        const float *d = j->in + c * j->n;
        double s = 0;
        for (size_t i = 0; i < j->n; i++) s += d[i];
        j->l->gb[c] = (float)s;
    }
}

void nn_conv_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n) {
    size_t ohw = (size_t)l->oh * l->ow, ihw = (size_t)l->ih * l->iw, cols = n * ohw;
    size_t krows = (size_t)l->ic * l->k * l->k, step = chunk_samples(l, n);
    for (size_t s0 = 0; s0 < n; s0 += step) {
        size_t cnt = n - s0 < step ? n - s0 : step, ccols = cnt * ohw;
        if (is_pointwise(l)) {
            gemm(m, 0, 0, l->oc, (int)ccols, (int)krows, l->w, (int)krows, in + s0 * ihw, (int)(n * ihw),
                 l->out + s0 * ohw, (int)cols);
            continue;
        }
        job j = {l, in, m->col, NULL, cnt, s0, n};
        ts_pool_run(m->pool, krows, 1, im2col_rows, &j);
        gemm(m, 0, 0, l->oc, (int)ccols, (int)krows, l->w, (int)krows, m->col, (int)ccols, l->out + s0 * ohw,
             (int)cols);
    }
    job b = {l, NULL, l->out, NULL, cols, 0, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 1, add_bias, &b);
}

/* Per chunk: weight gradient accumulated chunk after chunk (a fixed order),
 * then the input gradient through the same cached im2col buffer. */
void nn_conv_backward(ts_nn_model *m, nn_layer *l, const float *in, float *din, size_t n) {
    size_t ohw = (size_t)l->oh * l->ow, ihw = (size_t)l->ih * l->iw, cols = n * ohw;
    size_t krows = (size_t)l->ic * l->k * l->k, step = chunk_samples(l, n);
    job b = {l, l->dout, NULL, NULL, cols, 0, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 1, bias_grad, &b);
    for (size_t s0 = 0; s0 < n; s0 += step) {
        size_t cnt = n - s0 < step ? n - s0 : step, ccols = cnt * ohw;
        float beta = s0 ? 1.0f : 0.0f;
        const float *dout = l->dout + s0 * ohw;
        if (is_pointwise(l)) {
            gemm_beta(m, 0, 1, l->oc, (int)krows, (int)ccols, dout, (int)cols, in + s0 * ihw, (int)(n * ihw), beta,
                      l->gw, (int)krows);
            if (din)
                gemm(m, 1, 0, (int)krows, (int)ccols, l->oc, l->w, (int)krows, dout, (int)cols, din + s0 * ihw,
                     (int)(n * ihw));
            continue;
        }
        job j = {l, in, m->col, NULL, cnt, s0, n};
        ts_pool_run(m->pool, krows, 1, im2col_rows, &j);
        gemm_beta(m, 0, 1, l->oc, (int)krows, (int)ccols, dout, (int)cols, m->col, (int)ccols, beta, l->gw,
                  (int)krows);
        if (!din) continue;
        gemm(m, 1, 0, (int)krows, (int)ccols, l->oc, l->w, (int)krows, dout, (int)cols, m->col, (int)ccols);
        job c = {l, m->col, din, NULL, cnt, s0, n};
        ts_pool_run(m->pool, (size_t)l->ic, 1, col2im_channels, &c);
    }
}

/* ---- depthwise convolution: one k x k filter per channel ---------------- */

static void dw_forward_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    const nn_layer *l = j->l;
    size_t ihw = (size_t)l->ih * l->iw, ohw = (size_t)l->oh * l->ow;
    for (size_t c = begin; c < end; c++) {
        const float *wc = l->w + c * (size_t)l->k * l->k;
        for (size_t s = 0; s < j->n; s++) {
            const float *plane = j->in + (c * j->n + s) * ihw;
            float *o = j->out + (c * j->n + s) * ohw;
            for (int oy = 0; oy < l->oh; oy++) {
                for (int ox = 0; ox < l->ow; ox++) {
                    float acc = l->b[c];
                    for (int ki = 0; ki < l->k; ki++) {
                        int iy = oy * l->stride - l->pad + ki;
                        if (iy < 0 || iy >= l->ih) continue;
                        for (int kj = 0; kj < l->k; kj++) {
                            int ix = ox * l->stride - l->pad + kj;
                            if (ix >= 0 && ix < l->iw) acc += wc[ki * l->k + kj] * plane[(size_t)iy * l->iw + ix];
                        }
                    }
                    o[(size_t)oy * l->ow + ox] = acc;
                }
            }
        }
    }
}

static void dw_backward_channels(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    const nn_layer *l = j->l;
    float *din = j->out;
    size_t ihw = (size_t)l->ih * l->iw, ohw = (size_t)l->oh * l->ow, kk = (size_t)l->k * l->k;
    for (size_t c = begin; c < end; c++) {
        const float *wc = l->w + c * kk;
        float *gwc = l->gw + c * kk;
        double bsum = 0;
        for (size_t q = 0; q < kk; q++) gwc[q] = 0;
        if (din) memset(din + c * j->n * ihw, 0, sizeof(float) * j->n * ihw);
        for (size_t s = 0; s < j->n; s++) {
            const float *plane = j->in + (c * j->n + s) * ihw;
            const float *d = l->dout + (c * j->n + s) * ohw;
            float *dp = din ? din + (c * j->n + s) * ihw : NULL;
            for (int oy = 0; oy < l->oh; oy++) {
                for (int ox = 0; ox < l->ow; ox++) {
                    float g = d[(size_t)oy * l->ow + ox];
                    bsum += g;
                    for (int ki = 0; ki < l->k; ki++) {
                        int iy = oy * l->stride - l->pad + ki;
                        if (iy < 0 || iy >= l->ih) continue;
                        for (int kj = 0; kj < l->k; kj++) {
                            int ix = ox * l->stride - l->pad + kj;
                            if (ix < 0 || ix >= l->iw) continue;
                            size_t at = (size_t)iy * l->iw + (size_t)ix;
                            gwc[ki * l->k + kj] += g * plane[at];
                            if (dp) dp[at] += g * wc[ki * l->k + kj];
                        }
                    }
                }
            }
        }
        l->gb[c] = (float)bsum;
    }
}

void nn_dwconv_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n) {
    job j = {l, in, l->out, NULL, n, 0, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 1, dw_forward_channels, &j);
}

void nn_dwconv_backward(ts_nn_model *m, nn_layer *l, const float *in, float *din, size_t n) {
    job j = {l, in, din, NULL, n, 0, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 1, dw_backward_channels, &j);
}

/* ---- fully connected: flatten [C][N][HW] to [N][C*HW] (PyTorch's order) -- */

static void flatten_samples(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    const nn_layer *l = j->l;
    size_t hw = (size_t)l->ih * l->iw, k = (size_t)l->ic * hw;
    for (size_t s = begin; s < end; s++)
        for (size_t c = 0; c < (size_t)l->ic; c++)
            memcpy(j->out + s * k + c * hw, j->in + (c * j->n + s) * hw, sizeof(float) * hw);
}

static void unflatten_samples(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const job *j = user;
    const nn_layer *l = j->l;
    size_t hw = (size_t)l->ih * l->iw, k = (size_t)l->ic * hw;
    for (size_t s = begin; s < end; s++)
        for (size_t c = 0; c < (size_t)l->ic; c++)
            memcpy(j->out + (c * j->n + s) * hw, j->in + s * k + c * hw, sizeof(float) * hw);
}

void nn_fc_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n) {
    size_t k = (size_t)l->ic * l->ih * l->iw;
    const float *x = in;
    if (l->ih * l->iw != 1 || n == 1) {
        job j = {l, in, l->aux, NULL, n, 0, 0};
        ts_pool_run(m->pool, n, 0, flatten_samples, &j);
        x = l->aux;
        /* out[units][N] = W[units][K] * X[N][K]^T */
        gemm(m, 0, 1, l->oc, (int)n, (int)k, l->w, (int)k, x, (int)k, l->out, (int)n);
    } else {
        /* input already [K][N] */
        memcpy(l->aux, in, sizeof(float) * k * n);
        gemm(m, 0, 0, l->oc, (int)n, (int)k, l->w, (int)k, in, (int)n, l->out, (int)n);
    }
    job b = {l, NULL, l->out, NULL, n, 0, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 0, add_bias, &b);
}

void nn_fc_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n) {
    size_t k = (size_t)l->ic * l->ih * l->iw;
    int flat = l->ih * l->iw != 1 || n == 1;
    job b = {l, l->dout, NULL, NULL, n, 0, 0};
    ts_pool_run(m->pool, (size_t)l->oc, 0, bias_grad, &b);
    if (flat) {
        gemm(m, 0, 0, l->oc, (int)k, (int)n, l->dout, (int)n, l->aux, (int)k, l->gw, (int)k);
    } else {
        gemm(m, 0, 1, l->oc, (int)k, (int)n, l->dout, (int)n, l->aux, (int)n, l->gw, (int)k);
    }
    if (!din) return;
    if (flat) {
        /* dX[N][K] = dOut^T * W, into the flat buffer, then back to CNHW */
        gemm(m, 1, 0, (int)n, (int)k, l->oc, l->dout, (int)n, l->w, (int)k, l->aux, (int)k);
        job j = {l, l->aux, din, NULL, n, 0, 0};
        ts_pool_run(m->pool, n, 0, unflatten_samples, &j);
    } else {
        gemm(m, 1, 0, (int)k, (int)n, l->oc, l->w, (int)k, l->dout, (int)n, din, (int)n);
    }
}
