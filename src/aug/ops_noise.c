/* Noise and occlusion: Gaussian, ISO (shot) and salt-and-pepper noise;
 * cutout holes, random erasing and grid masks, which also lower the
 * visibility of the objects they cover. Per-pixel randomness comes from a
 * stream seeded by one logged draw, so replays are exact. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

static void seed_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    d->v[d->n++] = (double)ts_rng_u32(rng);
}

static ts_rng pixel_rng(const aug_draw *d) { return ts_rng_for((uint64_t)d->v[d->n - 1], 0x6e6f697365, 0, 0); }


/* Normal deviates from a table: NORMAL_N quantiles of N(0, 1) at the
 * probabilities (i + 0.5) / NORMAL_N (Acklam's inverse, relative error
 * 1e-9), rescaled to variance exactly 1, indexed by 12 random bits (five
 * per ts_rng_u64). That is a normal distribution quantised to 4096 levels
 * and cut at 3.7 sigma, much cheaper than Box-Muller per value and more
 * than fine for 8-bit noise. */
#define NORMAL_BITS 12
#define NORMAL_N (1 << NORMAL_BITS)
static float normal_table[NORMAL_N];
static pthread_once_t normal_once = PTHREAD_ONCE_INIT;

static double inverse_normal(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) return -inverse_normal(1 - p);
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static void normal_table_init(void) {
    double var = 0;
    for (int i = 0; i < NORMAL_N / 2; i++) { /* symmetric: the upper half mirrors the lower */
        double v = inverse_normal((i + 0.5) / NORMAL_N);
        var += 2 * v * v;
        normal_table[i] = (float)v, normal_table[NORMAL_N - 1 - i] = (float)-v;
    }
    double scale = 1 / sqrt(var / NORMAL_N);
    for (int i = 0; i < NORMAL_N; i++) normal_table[i] = (float)(normal_table[i] * scale);
}

static const float *normals(void) {
    pthread_once(&normal_once, normal_table_init);
    return normal_table;
}

/* A stream of table indices, five per 64-bit draw. */
typedef struct {
    ts_rng rng;
    uint64_t bits;
    int left;
} index_stream;

static inline unsigned next_index(index_stream *s) {
    if (!s->left) s->bits = ts_rng_u64(&s->rng), s->left = 64 / NORMAL_BITS;
    unsigned i = (unsigned)(s->bits & (NORMAL_N - 1));
    s->bits >>= NORMAL_BITS, s->left--;
    return i;
}

static const aug_param_spec gauss_params[] = {{"sigma", PARAM_NUMBER, 5, 15, 0, 255, NULL}, END_PARAMS};
static ts_status gauss_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    /* p + round(sigma z) = round(p + sigma z) for integer p: one table of
     * rounded offsets per call, then an add and a clamp per value */
    int16_t *offset = ts_alloc_array(ctx, NORMAL_N, sizeof *offset);
    if (!offset) return TS_ERR_NOMEM;
    const float *z = normals();
    for (int i = 0; i < NORMAL_N; i++) offset[i] = (int16_t)lround(d->v[0] * z[i]);
    index_stream is = {pixel_rng(d), 0, 0};
    ts_image *img = &s->image;
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = ts_image_row(img, y);
        for (int i = 0; i < img->w * img->c; i++) {
            int v = p[i] + offset[next_index(&is)];
            p[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(offset);
    return TS_OK;
}
const aug_op_def aug_op_gaussian_noise = {"gaussian_noise", AUG_PIXEL, gauss_params, seed_extra, NULL, NULL, gauss_apply,
                                          NULL};

/* ISO noise: signal-dependent shot noise (variance proportional to the
 * value, scaled by intensity) plus a per-pixel colour shift. */
static const aug_param_spec iso_params[] = {{"intensity", PARAM_NUMBER, 0.1, 0.5, 0, 5, NULL},
                                            {"color_shift", PARAM_NUMBER, 0.01, 0.05, 0, 1, NULL},
                                            END_PARAMS};
static ts_status iso_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    const float *z = normals();
    index_stream is = {pixel_rng(d), 0, 0};
    float k = (float)d->v[0], shift = (float)(d->v[1] * 255);
    float shot_scale[256]; /* k sqrt(2.55 lum) per luma level */
    for (int v = 0; v < 256; v++) shot_scale[v] = k * sqrtf(v * 2.55f);
    ts_image *img = &s->image;
    int c = img->c < 3 ? img->c : 3;
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = ts_image_row(img, y);
        for (int x = 0; x < img->w; x++, p += img->c) {
            int lum = c >= 3 ? (299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000 : p[0];
            float shot = z[next_index(&is)] * shot_scale[lum];
            for (int ch = 0; ch < c; ch++) {
                float v = p[ch] + shot + (c >= 3 ? z[next_index(&is)] * shift : 0) + 0.5f;
                p[ch] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
            }
        }
    }
    return TS_OK;
}
const aug_op_def aug_op_iso_noise = {"iso_noise", AUG_PIXEL, iso_params, seed_extra, NULL, NULL, iso_apply, NULL};

static const aug_param_spec sp_params[] = {{"amount", PARAM_NUMBER, 0.01, 0.05, 0, 1, NULL},
                                           {"salt", PARAM_NUMBER, 0.5, 0.5, 0, 1, NULL},
                                           END_PARAMS};
static ts_status sp_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    ts_rng rng = pixel_rng(d);
    ts_image *img = &s->image;
    int c = img->c == 2 || img->c == 4 ? img->c - 1 : img->c;
    for (int y = 0; y < img->h; y++) {
        uint8_t *p = ts_image_row(img, y);
        for (int x = 0; x < img->w; x++, p += img->c) {
            if (ts_rng_uniform(&rng) >= d->v[0]) continue;
            memset(p, ts_rng_uniform(&rng) < d->v[1] ? 255 : 0, (size_t)c);
        }
    }
    return TS_OK;
}
const aug_op_def aug_op_salt_pepper = {"salt_pepper", AUG_PIXEL, sp_params, seed_extra, NULL, NULL, sp_apply, NULL};

/* ---- occlusion ---- */

/* Lower each object's visibility by the part of its box a rectangle covers. */
static void occlude_objects(ts_aug_sample *s, double x0, double y0, double x1, double y1) {
    for (size_t i = 0; i < s->n_objects; i++) {
        ts_aug_object *o = &s->objects[i];
        if (!o->has_box || o->bbox[2] <= 0 || o->bbox[3] <= 0) continue;
        double ix = fmin(x1, o->bbox[0] + o->bbox[2]) - fmax(x0, o->bbox[0]);
        double iy = fmin(y1, o->bbox[1] + o->bbox[3]) - fmax(y0, o->bbox[1]);
        if (ix > 0 && iy > 0) o->visibility *= fmax(0, 1 - ix * iy / (o->bbox[2] * o->bbox[3]));
    }
}

static void fill_rect(ts_image *img, int x0, int y0, int x1, int y1, int noise, ts_rng *rng) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > img->w) x1 = img->w;
    if (y1 > img->h) y1 = img->h;
    for (int y = y0; y < y1; y++) {
        uint8_t *p = (uint8_t *)ts_image_row(img, y) + (size_t)x0 * img->c;
        if (!noise) memset(p, 0, (size_t)(x1 > x0 ? x1 - x0 : 0) * img->c);
        else
            for (int i = 0; i < (x1 - x0) * img->c; i++) p[i] = (uint8_t)ts_rng_below(rng, 256);
    }
}

/* cutout (DeVries & Taylor): `holes` zero-filled squares of side `size`
 * px, centres anywhere in the image (squares may be cut by the border). */
static const aug_param_spec cutout_params[] = {{"holes", PARAM_INT, 1, 8, 1, AUG_MAX_PARAMS - 1, NULL}, /* logged one by one */
                                               {"size", PARAM_INT, 8, 32, 1, 1 << 16, NULL},
                                               END_PARAMS};
static void cutout_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op;
    int holes = (int)d->v[0];
    for (int i = 0; i < holes; i++) {
        double cx = ts_rng_below(rng, (uint64_t)v->w), cy = ts_rng_below(rng, (uint64_t)v->h);
        d->v[d->n++] = cy * 65536 + cx; /* one exact double per hole */
    }
}
static ts_status cutout_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    int holes = (int)d->v[0], half = (int)d->v[1] / 2;
    for (int i = 0; i < holes && 2 + i < d->n; i++) {
        int code = (int)d->v[2 + i], cx = code % 65536, cy = code / 65536;
        int x0 = cx - half, y0 = cy - half, x1 = x0 + (int)d->v[1], y1 = y0 + (int)d->v[1];
        fill_rect(&s->image, x0, y0, x1, y1, 0, NULL);
        occlude_objects(s, fmax(0, x0), fmax(0, y0), fmin(s->image.w, x1), fmin(s->image.h, y1));
    }
    return TS_OK;
}
const aug_op_def aug_op_cutout = {"cutout", AUG_PIXEL, cutout_params, cutout_extra, NULL, NULL, cutout_apply, NULL};

/* random erasing (Zhong et al.): one rectangle of area fraction `area`
 * and aspect `ratio` (log-uniform), filled with random noise */
static const aug_param_spec erase_params[] = {{"area", PARAM_NUMBER, 0.02, 0.33, 0.0001, 1, NULL},
                                              {"ratio", PARAM_NUMBER, 0.3, 3.3, 0.01, 100, NULL},
                                              END_PARAMS};
static void erase_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    for (int attempt = 0; attempt < 10; attempt++) {
        double area = ts_rng_range(rng, op->lo[0], op->hi[0]) * v->w * v->h;
        double ratio = exp(ts_rng_range(rng, log(op->lo[1]), log(op->hi[1])));
        int ew = (int)lround(sqrt(area * ratio)), eh = (int)lround(sqrt(area / ratio));
        if (ew < 1 || eh < 1 || ew > v->w || eh > v->h) continue;
        d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)(v->w - ew) + 1);
        d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)(v->h - eh) + 1);
        d->v[d->n++] = ew, d->v[d->n++] = eh;
        d->v[d->n++] = (double)ts_rng_u32(rng);
        return;
    }
    d->v[d->n++] = 0, d->v[d->n++] = 0, d->v[d->n++] = 0, d->v[d->n++] = 0, d->v[d->n++] = 0;
}
static ts_status erase_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    const double *r = d->v + 2;
    if (r[2] < 1) return TS_OK;
    ts_rng rng = ts_rng_for((uint64_t)r[4], 0x6e6f697365, 1, 0);
    fill_rect(&s->image, (int)r[0], (int)r[1], (int)(r[0] + r[2]), (int)(r[1] + r[3]), 1, &rng);
    occlude_objects(s, r[0], r[1], r[0] + r[2], r[1] + r[3]);
    return TS_OK;
}
const aug_op_def aug_op_random_erasing = {"random_erasing", AUG_PIXEL, erase_params, erase_extra, NULL, NULL,
                                          erase_apply, NULL};

/* grid mask (Chen et al.): squares of side ratio * d removed on a grid of
 * period d px with a random offset */
static const aug_param_spec grid_params[] = {{"d", PARAM_INT, 32, 96, 2, 1 << 16, NULL},
                                             {"ratio", PARAM_NUMBER, 0.5, 0.5, 0.01, 0.99, NULL},
                                             END_PARAMS};
static void grid_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)d->v[0]);
    d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)d->v[0]);
}
static ts_status grid_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx;
    int period = (int)d->v[0], side = (int)lround(d->v[1] * period), ox = (int)d->v[2], oy = (int)d->v[3];
    for (int y = -period; y < s->image.h; y += period)
        for (int x = -period; x < s->image.w; x += period) {
            int x0 = x + ox, y0 = y + oy;
            fill_rect(&s->image, x0, y0, x0 + side, y0 + side, 0, NULL);
            occlude_objects(s, fmax(0, x0), fmax(0, y0), fmin(s->image.w, x0 + side), fmin(s->image.h, y0 + side));
        }
    return TS_OK;
}
const aug_op_def aug_op_grid_mask = {"grid_mask", AUG_PIXEL, grid_params, grid_extra, NULL, NULL, grid_apply, NULL};
