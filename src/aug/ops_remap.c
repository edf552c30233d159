/* Non-linear geometric ops as dense displacement fields: elastic
 * deformation (Simard et al.), grid distortion and lens (barrel /
 * pincushion) distortion. Pixels are resampled through the backward field
 * (output -> input); targets move through its inverse, found per point by
 * fixed-point iteration on the field, never by drawing a mask per box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"
#include "bilinear.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

typedef struct {
    int w, h;
    float *sx, *sy; /* per output pixel centre: the input position (pixel-edge) */
} field;

static void field_free(field *f) {
    free(f->sx);
    free(f->sy);
}

static ts_status field_alloc(ts_ctx *ctx, field *f, int w, int h) {
    f->w = w, f->h = h;
    f->sx = ts_alloc_array(ctx, (size_t)w * h, sizeof *f->sx);
    f->sy = ts_alloc_array(ctx, (size_t)w * h, sizeof *f->sy);
    if (!f->sx || !f->sy) {
        field_free(f);
        return TS_ERR_NOMEM;
    }
    return TS_OK;
}

/* Bilinear lookup of the backward map at a continuous output point. */
static void field_at(const field *f, double x, double y, double *sx, double *sy) {
    double fx = x - 0.5, fy = y - 0.5;
    int x0 = (int)floor(fx), y0 = (int)floor(fy);
    double ax = fx - x0, ay = fy - y0;
    int xa = x0 < 0 ? 0 : x0 >= f->w ? f->w - 1 : x0, xb = x0 + 1 < 0 ? 0 : x0 + 1 >= f->w ? f->w - 1 : x0 + 1;
    int ya = y0 < 0 ? 0 : y0 >= f->h ? f->h - 1 : y0, yb = y0 + 1 < 0 ? 0 : y0 + 1 >= f->h ? f->h - 1 : y0 + 1;
    size_t i00 = (size_t)ya * f->w + xa, i01 = (size_t)ya * f->w + xb, i10 = (size_t)yb * f->w + xa,
           i11 = (size_t)yb * f->w + xb;
    /* displacement is interpolated, so points outside extrapolate smoothly */
    double d00x = f->sx[i00] - (xa + 0.5), d01x = f->sx[i01] - (xb + 0.5), d10x = f->sx[i10] - (xa + 0.5),
           d11x = f->sx[i11] - (xb + 0.5);
    double d00y = f->sy[i00] - (ya + 0.5), d01y = f->sy[i01] - (ya + 0.5), d10y = f->sy[i10] - (yb + 0.5),
           d11y = f->sy[i11] - (yb + 0.5);
    double dx = (1 - ay) * ((1 - ax) * d00x + ax * d01x) + ay * ((1 - ax) * d10x + ax * d11x);
    double dy = (1 - ay) * ((1 - ax) * d00y + ax * d01y) + ay * ((1 - ax) * d10y + ax * d11y);
    *sx = x + dx, *sy = y + dy;
}

/* Forward map of an input point: the output point q with field(q) = p. */
static void forward(const void *user, double px, double py, double *ox, double *oy) {
    const field *f = user;
    double qx = px, qy = py;
    for (int it = 0; it < 30; it++) {
        double sx, sy;
        field_at(f, qx, qy, &sx, &sy);
        double ex = sx - px, ey = sy - py;
        qx -= ex, qy -= ey;
        if (fabs(ex) + fabs(ey) < 1e-4) break;
    }
    *ox = qx, *oy = qy;
}

/* Bilinear resampling through the field with a constant 0 border (as
 * cv2.remap's default), by the warps' kernel (bilinear.h). */
static void remap(const ts_image *img, const field *f, ts_image *out) {
    static const uint8_t zero[4] = {0, 0, 0, 0};
    aug_sampler sampler = {img, 0, zero};
    int32_t xs[AUG_SPAN], ys[AUG_SPAN];
    for (int y = 0; y < out->h; y++) {
        const float *fsx = f->sx + (size_t)y * f->w, *fsy = f->sy + (size_t)y * f->w;
        uint8_t *dst = ts_image_row(out, y);
        for (int x = 0; x < out->w; x += AUG_SPAN) {
            int n = out->w - x < AUG_SPAN ? out->w - x : AUG_SPAN;
            aug_positions_field(fsx + x, fsy + x, n, xs, ys);
            aug_bilinear_span(&sampler, xs, ys, n, dst + (size_t)x * img->c);
        }
    }
}

static ts_status apply_field(ts_ctx *ctx, ts_aug_sample *s, const field *f) {
    ts_image *img = &s->image, out;
    ts_status st = aug_image_alloc_uninit(ctx, img->w, img->h, img->c, &out);
    if (st != TS_OK) return st;
    int W = img->w, H = img->h;
    remap(img, f, &out);
    /* masks: nearest through the same field */
    uint8_t *maps[2] = {s->label_map, NULL};
    for (size_t i = 0; i <= s->n_objects; i++) {
        uint8_t *m = i == 0 ? maps[0] : s->objects[i - 1].mask;
        if (!m) continue;
        uint8_t *nm = ts_calloc_array(ctx, (size_t)W * H, 1);
        if (!nm) {
            ts_image_free(&out);
            return TS_ERR_NOMEM;
        }
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int xx = (int)floor(f->sx[(size_t)y * W + x]), yy = (int)floor(f->sy[(size_t)y * W + x]);
                if (xx >= 0 && yy >= 0 && xx < W && yy < H) nm[(size_t)y * W + x] = m[(size_t)yy * W + xx];
            }
        free(m);
        if (i == 0) s->label_map = nm;
        else s->objects[i - 1].mask = nm;
    }
    ts_image_free(img);
    *img = out;
    return TS_OK;
}

/* A static pipeline for target filtering: remaps keep every object and
 * leave the pipeline-level filters to the next matrix flush. */
static const ts_aug_pipeline no_filters;

static ts_status finish(ts_ctx *ctx, ts_aug_sample *s, field *f) {
    ts_status st = apply_field(ctx, s, f);
    if (st == TS_OK) st = aug_targets_points(ctx, &no_filters, s, forward, f, s->image.w, s->image.h);
    field_free(f);
    return st;
}

static void seed_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    d->v[d->n++] = (double)ts_rng_u32(rng);
}

/* Separable Gaussian smoothing of a float plane (reflecting borders). */
static ts_status smooth(ts_ctx *ctx, float *plane, int w, int h, double sigma) {
    int r = (int)ceil(3 * sigma);
    if (r > 60) r = 60;
    float k[121];
    double sum = 0, kd[121];
    for (int i = -r; i <= r; i++) sum += kd[i + r] = exp(-(double)i * i / (2 * sigma * sigma));
    for (int i = 0; i < 2 * r + 1; i++) k[i] = (float)(kd[i] / sum);
    float *tmp = ts_alloc_array(ctx, (size_t)w * h, sizeof *tmp);
    int *xi = ts_alloc_array(ctx, (size_t)(w > h ? w : h) + 2 * (size_t)r, sizeof *xi);
    if (!tmp || !xi) {
        free(tmp), free(xi);
        return TS_ERR_NOMEM;
    }
    for (int i = -r; i < w + r; i++) {
        int xx = i < 0 ? -i : i >= w ? 2 * w - 2 - i : i;
        xi[i + r] = xx < 0 || xx >= w ? (i < 0 ? 0 : w - 1) : xx;
    }
    for (int y = 0; y < h; y++) {
        const float *row = plane + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float a = 0;
            for (int t = 0; t <= 2 * r; t++) a += k[t] * row[xi[x + t]];
            tmp[(size_t)y * w + x] = a;
        }
    }
    for (int i = -r; i < h + r; i++) {
        int yy = i < 0 ? -i : i >= h ? 2 * h - 2 - i : i;
        xi[i + r] = yy < 0 || yy >= h ? (i < 0 ? 0 : h - 1) : yy;
    }
    for (int y = 0; y < h; y++) { /* whole rows at a time: vectorises */
        float *dst = plane + (size_t)y * w;
        for (int x = 0; x < w; x++) dst[x] = 0;
        for (int t = 0; t <= 2 * r; t++) {
            const float *src = tmp + (size_t)xi[y + t] * w;
            float kt = k[t];
            for (int x = 0; x < w; x++) dst[x] += kt * src[x];
        }
    }
    free(tmp), free(xi);
    return TS_OK;
}

/* elastic (Simard et al.): displacements alpha * (uniform noise smoothed
 * by a Gaussian of sigma). The noise is drawn and smoothed on a grid of
 * step g = max(1, floor(sigma / 2)) px and interpolated bilinearly: the
 * smoothed field has no detail finer than sigma, so the coarse grid loses
 * nothing visible (its spectrum at the grid's Nyquist rate is below
 * exp(-2 pi^2)) and costs g^2 times less. Smoothed white noise is g times
 * stronger on a g times coarser grid, so it is divided by g to keep the
 * displacement amplitude of the full-resolution definition. */
static const aug_param_spec elastic_params[] = {{"alpha", PARAM_NUMBER, 20, 50, 0, 10000, NULL},
                                                {"sigma", PARAM_NUMBER, 4, 6, 0.5, 100, NULL},
                                                END_PARAMS};
static ts_status elastic_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    field f, coarse;
    int w = s->image.w, h = s->image.h, g = (int)(d->v[1] / 2);
    if (g < 1) g = 1;
    int cw = (w - 1) / g + 2, ch = (h - 1) / g + 2; /* grid point j sits at pixel centre j * g */
    ts_status st = field_alloc(ctx, &coarse, cw, ch);
    if (st != TS_OK) return st;
    if ((st = field_alloc(ctx, &f, w, h)) != TS_OK) {
        field_free(&coarse);
        return st;
    }
    ts_rng rng = ts_rng_for((uint64_t)d->v[2], 0x656c6173, 0, 0);
    for (size_t i = 0; i < (size_t)cw * ch; i++) {
        uint64_t u = ts_rng_u64(&rng); /* two 32-bit uniforms in [-1, 1) */
        coarse.sx[i] = (float)((u >> 32) * 0x1p-31 - 1), coarse.sy[i] = (float)((u & 0xffffffffu) * 0x1p-31 - 1);
    }
    st = smooth(ctx, coarse.sx, cw, ch, d->v[1] / g);
    if (st == TS_OK) st = smooth(ctx, coarse.sy, cw, ch, d->v[1] / g);
    if (st != TS_OK) {
        field_free(&f), field_free(&coarse);
        return st;
    }
    float amp = (float)(d->v[0] / g);
    for (int y = 0; y < h; y++) {
        int j = y / g;
        float ty = (float)(y - j * g) / g;
        const float *ax0 = coarse.sx + (size_t)j * cw, *ax1 = ax0 + cw;
        const float *ay0 = coarse.sy + (size_t)j * cw, *ay1 = ay0 + cw;
        for (int x = 0; x < w; x++) {
            int i = x / g;
            float tx = (float)(x - i * g) / g;
            float dx = (1 - ty) * ((1 - tx) * ax0[i] + tx * ax0[i + 1]) + ty * ((1 - tx) * ax1[i] + tx * ax1[i + 1]);
            float dy = (1 - ty) * ((1 - tx) * ay0[i] + tx * ay0[i + 1]) + ty * ((1 - tx) * ay1[i] + tx * ay1[i + 1]);
            f.sx[(size_t)y * w + x] = x + 0.5f + amp * dx;
            f.sy[(size_t)y * w + x] = y + 0.5f + amp * dy;
        }
    }
    field_free(&coarse);
    return finish(ctx, s, &f);
}
const aug_op_def aug_op_elastic = {"elastic", AUG_REMAP, elastic_params, seed_extra, NULL, NULL, elastic_apply, NULL};

/* grid distortion: the image cut into steps x steps cells whose widths and
 * heights are scaled by 1 + U(-limit, limit), piecewise linear per axis */
static const aug_param_spec grid_params[] = {{"steps", PARAM_INT, 5, 5, 1, 10, NULL},
                                             {"limit", PARAM_NUMBER, 0.3, 0.3, 0, 0.9, NULL},
                                             END_PARAMS};
static void grid_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)v;
    int steps = (int)d->v[0];
    for (int i = 0; i < 2 * steps; i++) d->v[d->n++] = 1 + ts_rng_range(rng, -op->hi[1], op->hi[1]);
}
/* Output coordinate -> input coordinate along one axis of n pixels. */
static double grid_axis(double t, int n, int steps, const double *scale) {
    double total = 0, cell = (double)n / steps;
    for (int i = 0; i < steps; i++) total += scale[i] * cell;
    double pos = 0, out_pos = 0;
    for (int i = 0; i < steps; i++) {
        double width = scale[i] * cell * n / total; /* output width of cell i */
        if (t <= out_pos + width || i == steps - 1) return pos + (t - out_pos) / width * cell;
        out_pos += width, pos += cell;
    }
    return t;
}
static ts_status grid_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    field f;
    int w = s->image.w, h = s->image.h, steps = (int)d->v[0];
    ts_status st = field_alloc(ctx, &f, w, h);
    if (st != TS_OK) return st;
    /* the map is separable: x depends on the column only, y on the row */
    for (int x = 0; x < w; x++) f.sx[x] = (float)grid_axis(x + 0.5, w, steps, d->v + 2);
    for (int y = 0; y < h; y++) {
        float sy = (float)grid_axis(y + 0.5, h, steps, d->v + 2 + steps);
        if (y) memcpy(f.sx + (size_t)y * w, f.sx, (size_t)w * sizeof *f.sx);
        for (int x = 0; x < w; x++) f.sy[(size_t)y * w + x] = sy;
    }
    return finish(ctx, s, &f);
}
const aug_op_def aug_op_grid_distortion = {"grid_distortion", AUG_REMAP, grid_params, grid_extra, NULL, NULL,
                                           grid_apply, NULL};

/* lens distortion: input radius = r * (1 + k r^2), r normalised by the
 * half-diagonal; k > 0 barrel, k < 0 pincushion */
static const aug_param_spec lens_params[] = {{"k", PARAM_NUMBER, -0.2, 0.2, -1, 1, NULL}, END_PARAMS};
static ts_status lens_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    field f;
    int w = s->image.w, h = s->image.h;
    ts_status st = field_alloc(ctx, &f, w, h);
    if (st != TS_OK) return st;
    /* offsets u from the centre scale by g = 1 + k |u|^2 / norm^2; in
     * floats, whose error at a few thousand px is far below 1/64 px, so
     * the rows vectorise */
    float cx = w / 2.0f, cy = h / 2.0f, k = (float)(d->v[0] / ((double)cx * cx + (double)cy * cy));
    for (int y = 0; y < h; y++) {
        float uy = y + 0.5f - cy, uy2 = uy * uy, *sx = f.sx + (size_t)y * w, *sy = f.sy + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float ux = x + 0.5f - cx, g = 1 + k * (ux * ux + uy2);
            sx[x] = cx + ux * g, sy[x] = cy + uy * g;
        }
    }
    return finish(ctx, s, &f);
}
const aug_op_def aug_op_lens_distortion = {"lens_distortion", AUG_REMAP, lens_params, NULL, NULL, NULL, lens_apply, NULL};
