/* Colour ops that mix channels: colour jitter and HSV shifts as one 3x4
 * colour matrix (hue turned in YIQ space, as DALI does, so the whole op is
 * linear and runs as nine table lookups per pixel), colour gradients,
 * AlexNet's fancy PCA lighting, and the final normalize to float CHW. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

typedef struct {
    double m[3][4]; /* out_c = sum_k m[c][k] * in_k + m[c][3], in 0..255 */
} colour_matrix;

static void cm_identity(colour_matrix *cm) {
    memset(cm, 0, sizeof *cm);
    for (int c = 0; c < 3; c++) cm->m[c][c] = 1;
}

/* cm = a * cm (apply a after cm) */
static void cm_then(colour_matrix *cm, double a[3][4]) {
    colour_matrix r;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            double v = j == 3 ? a[i][3] : 0;
            for (int k = 0; k < 3; k++) v += a[i][k] * cm->m[k][j];
            r.m[i][j] = v;
        }
    }
    *cm = r;
}

static const double luma[3] = {0.299, 0.587, 0.114};

/* blend with gray per pixel: s * x + (1 - s) * gray(x) */
static void cm_saturation(colour_matrix *cm, double s) {
    double a[3][4];
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 3; k++) a[i][k] = (1 - s) * luma[k] + (i == k ? s : 0);
        a[i][3] = 0;
    }
    cm_then(cm, a);
}

static void cm_scale(colour_matrix *cm, double b) {
    double a[3][4] = {{b, 0, 0, 0}, {0, b, 0, 0}, {0, 0, b, 0}};
    cm_then(cm, a);
}

/* blend with a constant gray level: c * x + (1 - c) * mean */
static void cm_contrast(colour_matrix *cm, double c, double mean) {
    double a[3][4] = {{c, 0, 0, (1 - c) * mean}, {0, c, 0, (1 - c) * mean}, {0, 0, c, (1 - c) * mean}};
    cm_then(cm, a);
}

/* hue rotation by `turns` of a full circle about the gray axis, in YIQ */
static void cm_hue(colour_matrix *cm, double turns) {
    static const double to_yiq[3][3] = {{0.299, 0.587, 0.114}, {0.596, -0.274, -0.322}, {0.211, -0.523, 0.312}};
    static const double from_yiq[3][3] = {{1, 0.956, 0.621}, {1, -0.272, -0.647}, {1, -1.106, 1.703}};
    double t = turns * 2 * M_PI, c = cos(t), s = sin(t);
    double rot[3][3] = {{1, 0, 0}, {0, c, -s}, {0, s, c}}, tmp[3][3], a[3][4];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            tmp[i][j] = 0;
            for (int k = 0; k < 3; k++) tmp[i][j] += rot[i][k] * to_yiq[k][j];
        }
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            a[i][j] = 0;
            for (int k = 0; k < 3; k++) a[i][j] += from_yiq[i][k] * tmp[k][j];
        }
        a[i][3] = 0;
    }
    cm_then(cm, a);
}

/* Sum of one row's luma in 1/65536 grey levels (BT.601 weights in 16-bit
 * fixed point, exact integers, so the loop vectorises). */
static inline uint64_t luma_sum(const uint8_t *p, int n, int c) {
    uint64_t sum = 0;
    for (int x = 0; x < n; x++, p += c) sum += 19595u * p[0] + 38470u * p[1] + 7471u * p[2];
    return sum;
}
AUG_ROW_KERNEL static uint64_t luma_sum3(const uint8_t *p, int n) { return luma_sum(p, n, 3); }
AUG_ROW_KERNEL static uint64_t luma_sum4(const uint8_t *p, int n) { return luma_sum(p, n, 4); }

/* Mean luma of an image (for contrast). */
static double mean_gray(const ts_image *img) {
    uint64_t sum = 0;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *row = ts_image_row(img, y);
        if (img->c == 3) sum += luma_sum3(row, img->w);
        else if (img->c == 4) sum += luma_sum4(row, img->w);
        else
            for (int x = 0; x < img->w; x++) sum += 65536u * row[(size_t)x * img->c];
    }
    return (double)sum / 65536 / ((double)img->w * img->h);
}

/* One row through the colour matrix in floats, rounded and clamped; the
 * coefficients are copied to locals so the compiler knows the stores to
 * the pixels cannot change them, and the pixel stride is a constant, so
 * the loop vectorises. */
static inline void matrix_row(uint8_t *p, int n, const float *m, int c) {
    const float m00 = m[0], m01 = m[1], m02 = m[2], m03 = m[3] + 0.5f;
    const float m10 = m[4], m11 = m[5], m12 = m[6], m13 = m[7] + 0.5f;
    const float m20 = m[8], m21 = m[9], m22 = m[10], m23 = m[11] + 0.5f;
    for (int x = 0; x < n; x++, p += c) {
        float r = p[0], g = p[1], b = p[2];
        float o0 = m00 * r + m01 * g + m02 * b + m03, o1 = m10 * r + m11 * g + m12 * b + m13,
              o2 = m20 * r + m21 * g + m22 * b + m23;
        p[0] = (uint8_t)(o0 < 0 ? 0 : o0 > 255 ? 255 : o0); /* + 0.5 above: rounds */
        p[1] = (uint8_t)(o1 < 0 ? 0 : o1 > 255 ? 255 : o1);
        p[2] = (uint8_t)(o2 < 0 ? 0 : o2 > 255 ? 255 : o2);
    }
}
AUG_ROW_KERNEL static void matrix_row3(uint8_t *p, int n, const float *m) { matrix_row(p, n, m, 3); }
AUG_ROW_KERNEL static void matrix_row4(uint8_t *p, int n, const float *m) { matrix_row(p, n, m, 4); }

static void apply_matrix(ts_image *img, const colour_matrix *cm) {
    if (img->c < 3) { /* gray: the luma row of the matrix */
        uint8_t t[256];
        for (int v = 0; v < 256; v++) {
            double o = 0;
            for (int c = 0; c < 3; c++) o += luma[c] * ((cm->m[c][0] + cm->m[c][1] + cm->m[c][2]) * v + cm->m[c][3]);
            t[v] = (uint8_t)(o <= 0 ? 0 : o >= 255 ? 255 : (int)(o + 0.5));
        }
        for (int y = 0; y < img->h; y++) {
            uint8_t *row = ts_image_row(img, y);
            for (int x = 0; x < img->w; x++) row[(size_t)x * img->c] = t[row[(size_t)x * img->c]];
        }
        return;
    }
    float m[12]; /* row-major 3 x 4 */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) m[4 * i + k] = (float)cm->m[i][k];
    for (int y = 0; y < img->h; y++) {
        if (img->c == 3) matrix_row3(ts_image_row(img, y), img->w, m);
        else matrix_row4(ts_image_row(img, y), img->w, m);
    }
}

/* ---- color_jitter: torchvision's factors, in a random order ---- */
static const aug_param_spec jitter_params[] = {{"brightness", PARAM_NUMBER, 0.2, 0.2, 0, 1, NULL},
                                               {"contrast", PARAM_NUMBER, 0.2, 0.2, 0, 1, NULL},
                                               {"saturation", PARAM_NUMBER, 0.2, 0.2, 0, 1, NULL},
                                               {"hue", PARAM_NUMBER, 0.05, 0.05, 0, 0.5, NULL},
                                               END_PARAMS};
/* extras: the four factors, then the order as a permutation code */
static void jitter_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)v;
    for (int i = 0; i < 3; i++) d->v[d->n++] = ts_rng_range(rng, fmax(0, 1 - op->hi[i]), 1 + op->hi[i]);
    d->v[d->n++] = ts_rng_range(rng, -op->hi[3], op->hi[3]);
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; i--) {
        int j = (int)ts_rng_below(rng, (uint64_t)i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    d->v[d->n++] = order[0] * 64 + order[1] * 16 + order[2] * 4 + order[3];
}
static ts_status jitter_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    const double *f = d->v + 4;
    int code = (int)f[4];
    colour_matrix cm;
    cm_identity(&cm);
    double mean = mean_gray(&s->image);
    for (int k = 0; k < 4; k++) {
        switch ((code >> (2 * (3 - k))) & 3) {
        case 0: cm_scale(&cm, f[0]), mean *= f[0]; break;
        case 1: cm_contrast(&cm, f[1], mean); break;
        case 2: cm_saturation(&cm, f[2]); break;
        default: cm_hue(&cm, f[3]);
        }
    }
    apply_matrix(&s->image, &cm);
    return TS_OK;
}
const aug_op_def aug_op_color_jitter = {"color_jitter", AUG_PIXEL, jitter_params, jitter_extra, NULL, NULL,
                                        jitter_apply, NULL};

/* ---- hsv: hue in degrees, saturation and value as relative changes ---- */
static const aug_param_spec hsv_params[] = {{"hue", PARAM_NUMBER, -20, 20, -180, 180, NULL},
                                            {"saturation", PARAM_NUMBER, -0.3, 0.3, -1, 5, NULL},
                                            {"value", PARAM_NUMBER, -0.2, 0.2, -1, 5, NULL},
                                            END_PARAMS};
static ts_status hsv_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    colour_matrix cm;
    cm_identity(&cm);
    cm_hue(&cm, d->v[0] / 360);
    cm_saturation(&cm, 1 + d->v[1]);
    cm_scale(&cm, 1 + d->v[2]);
    apply_matrix(&s->image, &cm);
    return TS_OK;
}
const aug_op_def aug_op_hsv = {"hsv", AUG_PIXEL, hsv_params, NULL, NULL, NULL, hsv_apply, NULL};

/* ---- color_gradient: a linear gradient between two random colours,
 * in a random direction, blended with `strength` ---- */
static const aug_param_spec gradient_params[] = {{"strength", PARAM_NUMBER, 0.1, 0.3, 0, 1, NULL}, END_PARAMS};
static void gradient_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    d->v[d->n++] = ts_rng_range(rng, 0, 2 * M_PI);
    for (int i = 0; i < 6; i++) d->v[d->n++] = (double)ts_rng_below(rng, 256);
}
static ts_status gradient_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    ts_image *img = &s->image;
    double a = d->v[0], dx = cos(d->v[1]), dy = sin(d->v[1]);
    const double *c0 = d->v + 2, *c1 = d->v + 5;
    /* t runs 0..1 across the image along the direction */
    double lo = fmin(0, dx * img->w) + fmin(0, dy * img->h), hi = fmax(0, dx * img->w) + fmax(0, dy * img->h);
    double span = hi - lo > 0 ? hi - lo : 1;
    int ch = img->c < 3 ? 1 : 3;
    for (int y = 0; y < img->h; y++) {
        uint8_t *row = ts_image_row(img, y);
        for (int x = 0; x < img->w; x++) {
            double t = ((x + 0.5) * dx + (y + 0.5) * dy - lo) / span;
            uint8_t *p = row + (size_t)x * img->c;
            for (int k = 0; k < ch; k++) {
                double g = ch == 1 ? (luma[0] * (c0[0] + t * (c1[0] - c0[0])) + luma[1] * (c0[1] + t * (c1[1] - c0[1])) +
                                      luma[2] * (c0[2] + t * (c1[2] - c0[2])))
                                   : c0[k] + t * (c1[k] - c0[k]);
                double v = (1 - a) * p[k] + a * g;
                p[k] = (uint8_t)(v + 0.5);
            }
        }
    }
    return TS_OK;
}
const aug_op_def aug_op_color_gradient = {"color_gradient", AUG_PIXEL, gradient_params, gradient_extra, NULL, NULL,
                                          gradient_apply, NULL};

/* ---- fancy_pca: AlexNet lighting noise along the image's RGB principal
 * components, alpha_i ~ N(0, alpha) ---- */
static const aug_param_spec pca_params[] = {{"alpha", PARAM_NUMBER, 0.1, 0.1, 0, 10, NULL}, END_PARAMS};
static void pca_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)v;
    for (int i = 0; i < 3; i++) d->v[d->n++] = ts_rng_normal(rng) * op->hi[0];
}
static void jacobi3(double a[3][3], double vec[3][3], double val[3]) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) vec[i][j] = i == j;
    for (int sweep = 0; sweep < 50; sweep++) {
        double off = fabs(a[0][1]) + fabs(a[0][2]) + fabs(a[1][2]);
        if (off < 1e-12) break;
        for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++) {
                if (fabs(a[p][q]) < 1e-15) continue;
                double th = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1)), c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 3; k++) {
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq, a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; k++) {
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk, a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; k++) {
                    double vkp = vec[k][p], vkq = vec[k][q];
                    vec[k][p] = c * vkp - s * vkq, vec[k][q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < 3; i++) val[i] = a[i][i];
}
static ts_status pca_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    ts_image *img = &s->image;
    if (img->c < 3) return TS_OK;
    double mean[3] = {0, 0, 0}, cov[3][3] = {{0}};
    size_t n = 0;
    int step = img->w * img->h > (1 << 16) ? 4 : 1;
    for (int y = 0; y < img->h; y += step)
        for (int x = 0; x < img->w; x += step, n++) {
            const uint8_t *p = (const uint8_t *)ts_image_row(img, y) + (size_t)x * img->c;
            for (int i = 0; i < 3; i++) mean[i] += p[i] / 255.0;
        }
    for (int i = 0; i < 3; i++) mean[i] /= (double)n;
    for (int y = 0; y < img->h; y += step)
        for (int x = 0; x < img->w; x += step) {
            const uint8_t *p = (const uint8_t *)ts_image_row(img, y) + (size_t)x * img->c;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) cov[i][j] += (p[i] / 255.0 - mean[i]) * (p[j] / 255.0 - mean[j]);
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) cov[i][j] /= (double)(n > 1 ? n - 1 : 1);
    double vec[3][3], val[3], delta[3] = {0, 0, 0};
    jacobi3(cov, vec, val);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) delta[i] += vec[i][k] * d->v[1 + k] * fmax(val[k], 0);
    colour_matrix cm;
    cm_identity(&cm);
    for (int i = 0; i < 3; i++) cm.m[i][3] = delta[i] * 255;
    apply_matrix(img, &cm);
    return TS_OK;
}
const aug_op_def aug_op_fancy_pca = {"fancy_pca", AUG_PIXEL, pca_params, pca_extra, NULL, NULL, pca_apply, NULL};

/* ---- normalize: (x / 255 - mean) / std into float CHW; ends the pipeline ---- */
static const char *const presets[] = {"none", "imagenet", NULL};
static const aug_param_spec norm_params[] = {{"mean", PARAM_NUMBER, 0, 0, -1e3, 1e3, NULL},
                                             {"std", PARAM_NUMBER, 1, 1, 1e-6, 1e3, NULL},
                                             {"preset", PARAM_ENUM, 0, 0, 0, 1, presets},
                                             END_PARAMS};
static ts_status norm_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    static const float in_mean[4] = {0.485f, 0.456f, 0.406f, 0.5f}, in_std[4] = {0.229f, 0.224f, 0.225f, 0.25f};
    float mean[4], std[4];
    for (int i = 0; i < 4; i++) {
        mean[i] = d->v[2] == 1 ? (s->image.c == 1 ? 0.449f : in_mean[i]) : (float)d->v[0];
        std[i] = d->v[2] == 1 ? (s->image.c == 1 ? 0.226f : in_std[i]) : (float)d->v[1];
    }
    size_t n;
    if (!ts_mul_size((size_t)s->image.w * s->image.h, (size_t)s->image.c, &n))
        return ts_error(ctx, TS_ERR_LIMIT, "normalize: image too large");
    float *chw = ts_alloc_array(ctx, n, sizeof *chw);
    if (!chw) return TS_ERR_NOMEM;
    ts_status st = ts_image_to_chw_f32(ctx, &s->image, mean, std, chw);
    if (st != TS_OK) {
        free(chw);
        return st;
    }
    free(s->chw);
    s->chw = chw;
    return TS_OK;
}
const aug_op_def aug_op_normalize = {"normalize", AUG_FINAL, norm_params, NULL, NULL, NULL, norm_apply, NULL};
