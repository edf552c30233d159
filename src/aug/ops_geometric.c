/* Geometric ops as matrices (input -> output, pixel-edge coordinates) and
 * output sizes; they are fused and resampled once. Positive angles turn the
 * displayed image counter-clockwise (y down), as OpenCV does. */
#include <math.h>
#include <string.h>

#include "aug_internal.h"

static const char *const borders[] = {"constant", "reflect", "replicate", NULL};
static const char *const interps[] = {"nearest", "bilinear", NULL};
static const char *const resize_interps[] = {"nearest", "bilinear", "area", NULL};

#define BORDER_PARAMS                                                                         \
    {"border", PARAM_ENUM, 0, 0, 0, 2, borders}, {"fill", PARAM_INT, 0, 0, 0, 255, NULL},     \
        {"interp", PARAM_ENUM, 1, 1, 0, 1, interps}
#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

static void set(double m[9], double a, double b, double c, double d, double e, double f) {
    m[0] = a, m[1] = b, m[2] = c, m[3] = d, m[4] = e, m[5] = f, m[6] = 0, m[7] = 0, m[8] = 1;
}

/* ---- flips ---- */
static const aug_param_spec no_params[] = {END_PARAMS};
static void hflip_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    (void)d;
    set(m, -1, 0, v->w, 0, 1, 0);
    *w = v->w, *h = v->h;
}
static void vflip_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    (void)d;
    set(m, 1, 0, 0, 0, -1, v->h);
    *w = v->w, *h = v->h;
}
const aug_op_def aug_op_hflip = {"hflip", AUG_MATRIX, no_params, NULL, hflip_matrix, NULL, NULL, NULL};
const aug_op_def aug_op_vflip = {"vflip", AUG_MATRIX, no_params, NULL, vflip_matrix, NULL, NULL, NULL};

/* ---- rotate and affine about the centre ---- */
static void centred(double m[9], double cx, double cy, double deg, double sx, double sy, double shear_deg, double tx,
                    double ty) {
    double t = deg * M_PI / 180, c = cos(t), s = sin(t), k = tan(shear_deg * M_PI / 180);
    /* R * S * Shear, with R turning counter-clockwise on screen (y down) */
    double a = c * sx, b = s * sy, d = -s * sx, e = c * sy;
    double a2 = a, b2 = a * k + b, d2 = d, e2 = d * k + e;
    set(m, a2, b2, cx + tx - a2 * cx - b2 * cy, d2, e2, cy + ty - d2 * cx - e2 * cy);
}

static const aug_param_spec rotate_params[] = {{"deg", PARAM_NUMBER, -15, 15, -360, 360, NULL}, BORDER_PARAMS, END_PARAMS};
static void rotate_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    centred(m, v->w / 2.0, v->h / 2.0, d->v[0], 1, 1, 0, 0, 0);
    *w = v->w, *h = v->h;
}
const aug_op_def aug_op_rotate = {"rotate", AUG_MATRIX, rotate_params, NULL, rotate_matrix, NULL, NULL, NULL};

static const aug_param_spec affine_params[] = {{"scale", PARAM_NUMBER, 1, 1, 0.01, 100, NULL},
                                               {"translate", PARAM_NUMBER, 0, 0, -1, 1, NULL},
                                               {"shear", PARAM_NUMBER, 0, 0, -80, 80, NULL},
                                               {"deg", PARAM_NUMBER, 0, 0, -360, 360, NULL},
                                               BORDER_PARAMS,
                                               END_PARAMS};
/* translate is drawn for x (the param) and again for y (extra) */
static void affine_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)v;
    d->v[d->n++] = op->lo[1] == op->hi[1] ? op->lo[1] : ts_rng_range(rng, op->lo[1], op->hi[1]);
}
static void affine_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    centred(m, v->w / 2.0, v->h / 2.0, d->v[3], d->v[0], d->v[0], d->v[2], d->v[1] * v->w, d->v[7] * v->h);
    *w = v->w, *h = v->h;
}
const aug_op_def aug_op_affine = {"affine", AUG_MATRIX, affine_params, affine_extra, affine_matrix, NULL, NULL, NULL};

/* ---- perspective: corners pulled inward by up to scale * size ---- */
static const aug_param_spec perspective_params[] = {{"scale", PARAM_NUMBER, 0.05, 0.1, 0, 0.45, NULL}, BORDER_PARAMS,
                                                    END_PARAMS};
static void perspective_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    for (int i = 0; i < 8; i++) d->v[d->n++] = ts_rng_uniform(rng);
}

/* Homography taking the four points src to dst (solved as 8x8). */
static void homography(const double src[8], const double dst[8], double m[9]) {
    double a[8][9];
    for (int i = 0; i < 4; i++) {
        double x = src[2 * i], y = src[2 * i + 1], u = dst[2 * i], w = dst[2 * i + 1];
        double r1[9] = {x, y, 1, 0, 0, 0, -u * x, -u * y, u}, r2[9] = {0, 0, 0, x, y, 1, -w * x, -w * y, w};
        memcpy(a[2 * i], r1, sizeof r1);
        memcpy(a[2 * i + 1], r2, sizeof r2);
    }
    for (int c = 0; c < 8; c++) {
        int piv = c;
        for (int r = c + 1; r < 8; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c])) piv = r;
        for (int k = 0; k < 9; k++) {
            double t = a[c][k];
            a[c][k] = a[piv][k], a[piv][k] = t;
        }
        for (int r = 0; r < 8; r++) {
            if (r == c || a[c][c] == 0) continue;
            double f = a[r][c] / a[c][c];
            for (int k = c; k < 9; k++) a[r][k] -= f * a[c][k];
        }
    }
    for (int i = 0; i < 8; i++) m[i] = a[i][i] != 0 ? a[i][8] / a[i][i] : 0;
    m[8] = 1;
}

static void perspective_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    double W = v->w, H = v->h, s = d->v[0];
    double src[8] = {0, 0, W, 0, W, H, 0, H};
    const double *u = d->v + d->n - 8;
    double dst[8] = {u[0] * s * W, u[1] * s * H, W - u[2] * s * W, u[3] * s * H,
                     W - u[4] * s * W, H - u[5] * s * H, u[6] * s * W, H - u[7] * s * H};
    homography(src, dst, m);
    *w = v->w, *h = v->h;
}
const aug_op_def aug_op_perspective = {"perspective", AUG_MATRIX, perspective_params, perspective_extra,
                                       perspective_matrix, NULL, NULL, NULL};

/* ---- crops ---- */
static const aug_param_spec crop_params[] = {{"width", PARAM_INT, 224, 224, 1, 1 << 20, NULL},
                                             {"height", PARAM_INT, 224, 224, 1, 1 << 20, NULL},
                                             END_PARAMS};
static void crop_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op;
    int cw = (int)d->v[0] < v->w ? (int)d->v[0] : v->w, ch = (int)d->v[1] < v->h ? (int)d->v[1] : v->h;
    d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)(v->w - cw) + 1);
    d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)(v->h - ch) + 1);
}
static void crop_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    *w = (int)d->v[0] < v->w ? (int)d->v[0] : v->w;
    *h = (int)d->v[1] < v->h ? (int)d->v[1] : v->h;
    set(m, 1, 0, -d->v[2], 0, 1, -d->v[3]);
}
static void center_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)rng;
    int cw = (int)d->v[0] < v->w ? (int)d->v[0] : v->w, ch = (int)d->v[1] < v->h ? (int)d->v[1] : v->h;
    d->v[d->n++] = (v->w - cw) / 2;
    d->v[d->n++] = (v->h - ch) / 2;
}
const aug_op_def aug_op_random_crop = {"random_crop", AUG_MATRIX, crop_params, crop_extra, crop_matrix, NULL, NULL, NULL};
const aug_op_def aug_op_center_crop = {"center_crop", AUG_MATRIX, crop_params, center_extra, crop_matrix, NULL, NULL, NULL};

/* Box-safe: a random crop that contains every box, resized to width x height
 * when those are given (0 keeps the crop's size). */
static const aug_param_spec safe_params[] = {{"width", PARAM_INT, 0, 0, 0, 1 << 20, NULL},
                                             {"height", PARAM_INT, 0, 0, 0, 1 << 20, NULL},
                                             END_PARAMS};
static void safe_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op;
    double u[4];
    aug_view_box_union(v, u);
    double ux0 = u[2] > 0 ? u[0] : v->w / 2.0, uy0 = u[2] > 0 ? u[1] : v->h / 2.0;
    double ux1 = u[2] > 0 ? u[0] + u[2] : ux0, uy1 = u[2] > 0 ? u[1] + u[3] : uy0;
    int x0 = (int)floor(ts_rng_uniform(rng) * floor(ux0)), y0 = (int)floor(ts_rng_uniform(rng) * floor(uy0));
    int x1 = (int)ceil(ux1) + (int)floor(ts_rng_uniform(rng) * (v->w - ceil(ux1)));
    int y1 = (int)ceil(uy1) + (int)floor(ts_rng_uniform(rng) * (v->h - ceil(uy1)));
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= y0) y1 = y0 + 1;
    d->v[d->n++] = x0, d->v[d->n++] = y0, d->v[d->n++] = x1 - x0, d->v[d->n++] = y1 - y0;
}
static void crop_resize_matrix(double m[9], double x, double y, double cw, double ch, int ow, int oh) {
    set(m, ow / cw, 0, -x * ow / cw, 0, oh / ch, -y * oh / ch);
}
static void safe_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    (void)v;
    const double *c = d->v + d->n - 4;
    *w = d->v[0] > 0 ? (int)d->v[0] : (int)c[2];
    *h = d->v[1] > 0 ? (int)d->v[1] : (int)c[3];
    crop_resize_matrix(m, c[0], c[1], c[2], c[3], *w, *h);
}
const aug_op_def aug_op_bbox_safe_crop = {"bbox_safe_crop", AUG_MATRIX, safe_params, safe_extra, safe_matrix, NULL, NULL,
                                          NULL};

/* torchvision's RandomResizedCrop: ten tries at an area fraction and a
 * log-uniform aspect ratio, then a centre crop within the ratio bounds. */
static const aug_param_spec rrc_params[] = {{"width", PARAM_INT, 224, 224, 1, 1 << 20, NULL},
                                            {"height", PARAM_INT, 224, 224, 1, 1 << 20, NULL},
                                            {"scale", PARAM_NUMBER, 0.08, 1, 0.0001, 1, NULL},
                                            {"ratio", PARAM_NUMBER, 0.75, 4.0 / 3, 0.01, 100, NULL},
                                            {"interp", PARAM_ENUM, 1, 1, 0, 2, resize_interps},
                                            END_PARAMS};
static void rrc_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    double area = (double)v->w * v->h, lr0 = log(op->lo[3]), lr1 = log(op->hi[3]);
    for (int attempt = 0; attempt < 10; attempt++) {
        double target = area * ts_rng_range(rng, op->lo[2], op->hi[2]);
        double ratio = exp(ts_rng_range(rng, lr0, lr1));
        int cw = (int)lround(sqrt(target * ratio)), ch = (int)lround(sqrt(target / ratio));
        if (cw > 0 && ch > 0 && cw <= v->w && ch <= v->h) {
            d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)(v->w - cw) + 1);
            d->v[d->n++] = (double)ts_rng_below(rng, (uint64_t)(v->h - ch) + 1);
            d->v[d->n++] = cw, d->v[d->n++] = ch;
            return;
        }
    }
    double in_ratio = (double)v->w / v->h;
    int cw = v->w, ch = v->h;
    if (in_ratio < op->lo[3]) ch = (int)lround(cw / op->lo[3]);
    else if (in_ratio > op->hi[3]) cw = (int)lround(ch * op->hi[3]);
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
    d->v[d->n++] = (v->w - cw) / 2, d->v[d->n++] = (v->h - ch) / 2, d->v[d->n++] = cw, d->v[d->n++] = ch;
}
static void rrc_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    (void)v;
    const double *c = d->v + d->n - 4;
    *w = (int)d->v[0], *h = (int)d->v[1];
    crop_resize_matrix(m, c[0], c[1], c[2], c[3], *w, *h);
}
const aug_op_def aug_op_random_resized_crop = {"random_resized_crop", AUG_MATRIX, rrc_params, rrc_extra, rrc_matrix,
                                               NULL, NULL, NULL};

static const aug_param_spec resize_params[] = {{"width", PARAM_INT, 224, 224, 1, 1 << 20, NULL},
                                               {"height", PARAM_INT, 224, 224, 1, 1 << 20, NULL},
                                               {"interp", PARAM_ENUM, 1, 1, 0, 2, resize_interps},
                                               END_PARAMS};
static void resize_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    *w = (int)d->v[0], *h = (int)d->v[1];
    crop_resize_matrix(m, 0, 0, v->w, v->h, *w, *h);
}
const aug_op_def aug_op_resize = {"resize", AUG_MATRIX, resize_params, NULL, resize_matrix, NULL, NULL, NULL};

static const aug_param_spec pad_params[] = {{"top", PARAM_INT, 0, 0, 0, 1 << 16, NULL},
                                            {"bottom", PARAM_INT, 0, 0, 0, 1 << 16, NULL},
                                            {"left", PARAM_INT, 0, 0, 0, 1 << 16, NULL},
                                            {"right", PARAM_INT, 0, 0, 0, 1 << 16, NULL},
                                            BORDER_PARAMS,
                                            END_PARAMS};
static void pad_matrix(const aug_draw *d, const aug_view *v, double m[9], int *w, int *h) {
    *w = v->w + (int)d->v[2] + (int)d->v[3];
    *h = v->h + (int)d->v[0] + (int)d->v[1];
    set(m, 1, 0, d->v[2], 0, 1, d->v[0]);
}
const aug_op_def aug_op_pad = {"pad", AUG_MATRIX, pad_params, NULL, pad_matrix, NULL, NULL, NULL};
