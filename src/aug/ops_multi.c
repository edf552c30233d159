/* Multi-image ops: mixup (blend two images, labels weighted), cutmix (a
 * rectangle of another image), mosaic (four images around a random centre)
 * and copy-paste (masked objects of another image pasted on top). Partners
 * come from the sample's provider, unaugmented, resized to fit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

static double gamma_draw(ts_rng *rng, double a) {
    if (a < 1) return gamma_draw(rng, a + 1) * pow(fmax(ts_rng_uniform(rng), 1e-300), 1 / a);
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (int guard = 0; guard < 1000; guard++) { /* Marsaglia and Tsang */
        double x = ts_rng_normal(rng), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = ts_rng_uniform(rng);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
    return d;
}

double aug_beta(ts_rng *rng, double a) {
    double x = gamma_draw(rng, a), y = gamma_draw(rng, a);
    return x + y > 0 ? x / (x + y) : 0.5;
}

void aug_fill_polygons(const double *coords, const uint32_t *ring_sizes, uint32_t n_rings, int w, int h, uint8_t *mask) {
    for (int y = 0; y < h; y++) {
        double py = y + 0.5;
        const double *ring = coords;
        for (uint32_t r = 0; r < n_rings; r++) {
            uint32_t n = ring_sizes[r] / 2;
            for (uint32_t i = 0, j = n - 1; i < n; j = i++) { /* each edge toggles the span to its right */
                double yi = ring[2 * i + 1], yj = ring[2 * j + 1];
                if ((yi > py) == (yj > py)) continue;
                double xc = ring[2 * i] + (py - yi) * (ring[2 * j] - ring[2 * i]) / (yj - yi);
                int x0 = (int)ceil(xc - 0.5);
                if (x0 < 0) x0 = 0;
                for (int x = x0; x < w; x++) mask[(size_t)y * w + x] ^= 1;
            }
            ring += ring_sizes[r];
        }
    }
}

static ts_status get_partner(ts_ctx *ctx, ts_aug_sample *s, double draw, int w, int h, int cover, ts_aug_sample *p) {
    memset(p, 0, sizeof *p);
    ts_status st = s->partner(s->partner_user, ctx, (uint64_t)draw, p);
    if (st != TS_OK) return st;
    aug_sample_prepare(p);
    if (p->image.c != s->image.c) {
        ts_image conv;
        st = ts_image_convert(ctx, &p->image, s->image.c, &conv);
        if (st != TS_OK) return st;
        ts_image_free(&p->image);
        p->image = conv;
    }
    double sx = (double)w / p->image.w, sy = (double)h / p->image.h;
    if (cover) sx = sy = fmax(sx, sy);
    double m[9] = {sx, 0, 0, 0, sy, 0, 0, 0, 1};
    if (cover) m[2] = (w - p->image.w * sx) / 2, m[5] = (h - p->image.h * sy) / 2;
    return aug_sample_transform(ctx, NULL, p, m, w, h, 1, 0, NULL);
}

/* Move objects of `from` into `to` (arrays handed over). */
static ts_status take_objects(ts_ctx *ctx, ts_aug_sample *to, ts_aug_sample *from, double weight, double dx, double dy) {
    if (!from->n_objects) return TS_OK;
    ts_aug_object *grown = realloc(to->objects, (to->n_objects + from->n_objects) * sizeof *grown);
    if (!grown) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    to->objects = grown;
    for (size_t i = 0; i < from->n_objects; i++) {
        ts_aug_object *o = &from->objects[i];
        o->label_weight *= weight;
        o->bbox[0] += dx, o->bbox[1] += dy;
        uint32_t total = 0;
        for (uint32_t r = 0; r < o->n_rings; r++) total += o->ring_sizes[r];
        for (uint32_t k = 0; k + 1 < total; k += 2) o->coords[k] += dx, o->coords[k + 1] += dy;
        for (uint32_t k = 0; k < o->n_keypoints; k++) o->keypoints[3 * k] += dx, o->keypoints[3 * k + 1] += dy;
        if (o->mask && (dx != 0 || dy != 0)) { /* masks are per image: drop them when shifted */
            free(o->mask);
            o->mask = NULL;
        }
        to->objects[to->n_objects++] = *o;
    }
    free(from->objects);
    from->objects = NULL;
    from->n_objects = 0;
    return TS_OK;
}

static void partner_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    d->v[d->n++] = aug_beta(rng, d->v[0]);
    d->v[d->n++] = (double)ts_rng_u32(rng);
}

/* ---- mixup: x = lambda * x + (1 - lambda) * partner, lambda ~ Beta(alpha, alpha) ---- */
static const aug_param_spec mixup_params[] = {{"alpha", PARAM_NUMBER, 0.4, 0.4, 0.01, 100, NULL}, END_PARAMS};
static ts_status mixup_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    if (!s->partner) return TS_OK;
    double lam = d->v[1];
    ts_aug_sample p;
    ts_status st = get_partner(ctx, s, d->v[2], s->image.w, s->image.h, 0, &p);
    for (int y = 0; st == TS_OK && y < s->image.h; y++) {
        uint8_t *a = ts_image_row(&s->image, y);
        const uint8_t *b = ts_image_row(&p.image, y);
        for (int i = 0; i < s->image.w * s->image.c; i++) a[i] = (uint8_t)(lam * a[i] + (1 - lam) * b[i] + 0.5);
    }
    for (size_t i = 0; st == TS_OK && i < s->n_objects; i++) s->objects[i].label_weight *= lam;
    if (st == TS_OK) st = take_objects(ctx, s, &p, 1 - lam, 0, 0);
    ts_aug_sample_clear(&p);
    return st;
}
const aug_op_def aug_op_mixup = {"mixup", AUG_PIXEL, mixup_params, partner_extra, NULL, NULL, mixup_apply, NULL};

/* ---- cutmix: a box of area (1 - lambda) taken from the partner ---- */
static const aug_param_spec cutmix_params[] = {{"alpha", PARAM_NUMBER, 1, 1, 0.01, 100, NULL}, END_PARAMS};
static void cutmix_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    partner_extra(op, v, rng, d);
    double cut = sqrt(1 - d->v[1]), cw = v->w * cut, ch = v->h * cut;
    double cx = ts_rng_uniform(rng) * v->w, cy = ts_rng_uniform(rng) * v->h;
    d->v[d->n++] = floor(fmax(0, cx - cw / 2)), d->v[d->n++] = floor(fmax(0, cy - ch / 2));
    d->v[d->n++] = ceil(fmin(v->w, cx + cw / 2)), d->v[d->n++] = ceil(fmin(v->h, cy + ch / 2));
}
static ts_status cutmix_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    if (!s->partner) return TS_OK;
    int x0 = (int)d->v[3], y0 = (int)d->v[4], x1 = (int)d->v[5], y1 = (int)d->v[6];
    if (x1 <= x0 || y1 <= y0) return TS_OK;
    double frac = (double)(x1 - x0) * (y1 - y0) / ((double)s->image.w * s->image.h);
    ts_aug_sample p;
    ts_status st = get_partner(ctx, s, d->v[2], s->image.w, s->image.h, 0, &p);
    for (int y = y0; st == TS_OK && y < y1; y++)
        memcpy((uint8_t *)ts_image_row(&s->image, y) + (size_t)x0 * s->image.c,
               (uint8_t *)ts_image_row(&p.image, y) + (size_t)x0 * s->image.c, (size_t)(x1 - x0) * s->image.c);
    for (size_t i = 0; st == TS_OK && i < s->n_objects; i++) {
        ts_aug_object *o = &s->objects[i];
        o->label_weight *= 1 - frac;
        if (!o->has_box || o->bbox[2] <= 0 || o->bbox[3] <= 0) continue;
        double ix = fmin(x1, o->bbox[0] + o->bbox[2]) - fmax(x0, o->bbox[0]);
        double iy = fmin(y1, o->bbox[1] + o->bbox[3]) - fmax(y0, o->bbox[1]);
        if (ix > 0 && iy > 0) o->visibility *= fmax(0, 1 - ix * iy / (o->bbox[2] * o->bbox[3]));
    }
    /* partner objects keep only their part inside the box (as boxes) */
    for (size_t i = 0; st == TS_OK && i < p.n_objects; i++) {
        ts_aug_object *o = &p.objects[i];
        double bx0 = fmax(x0, o->bbox[0]), by0 = fmax(y0, o->bbox[1]);
        double bx1 = fmin(x1, o->bbox[0] + o->bbox[2]), by1 = fmin(y1, o->bbox[1] + o->bbox[3]);
        double full = o->bbox[2] * o->bbox[3];
        free(o->coords), free(o->ring_sizes), free(o->mask);
        o->coords = NULL, o->ring_sizes = NULL, o->mask = NULL, o->n_rings = 0;
        if (!o->has_box || bx1 <= bx0 || by1 <= by0) {
            if (o->has_box) o->visibility = 0; /* a box outside the cut goes; an image label stays */
            o->has_box = 0;
            memset(o->bbox, 0, sizeof o->bbox);
            continue;
        }
        o->visibility *= full > 0 ? (bx1 - bx0) * (by1 - by0) / full : 0;
        o->bbox[0] = bx0, o->bbox[1] = by0, o->bbox[2] = bx1 - bx0, o->bbox[3] = by1 - by0;
    }
    if (st == TS_OK) st = take_objects(ctx, s, &p, frac, 0, 0);
    ts_aug_sample_clear(&p);
    return st;
}
const aug_op_def aug_op_cutmix = {"cutmix", AUG_PIXEL, cutmix_params, cutmix_extra, NULL, NULL, cutmix_apply, NULL};

/* ---- mosaic: this image and three partners around a random centre ---- */
static const aug_param_spec mosaic_params[] = {{"width", PARAM_INT, 640, 640, 2, 1 << 15, NULL},
                                               {"height", PARAM_INT, 640, 640, 2, 1 << 15, NULL},
                                               {"center", PARAM_NUMBER, 0.25, 0.75, 0.05, 0.95, NULL},
                                               END_PARAMS};
static void mosaic_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)v;
    d->v[d->n++] = ts_rng_range(rng, op->lo[2], op->hi[2]); /* y centre; x is the param */
    for (int i = 0; i < 3; i++) d->v[d->n++] = (double)ts_rng_u32(rng);
}
static ts_status mosaic_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    if (!s->partner) return TS_OK;
    int W = (int)d->v[0], H = (int)d->v[1];
    int cx = (int)lround(d->v[2] * W), cy = (int)lround(d->v[3] * H);
    ts_image canvas;
    ts_status st = ts_image_alloc(ctx, W, H, s->image.c, TS_PIX_U8, &canvas);
    if (st != TS_OK) return st;
    ts_aug_sample parts[4];
    memset(parts, 0, sizeof parts);
    parts[0] = *s; /* the sample itself is the top-left quarter */
    s->objects = NULL, s->n_objects = 0, s->label_map = NULL, memset(&s->image, 0, sizeof s->image);
    int qx[4] = {0, cx, 0, cx}, qy[4] = {0, 0, cy, cy}, qw[4] = {cx, W - cx, cx, W - cx}, qh[4] = {cy, cy, H - cy, H - cy};
    for (int q = 0; q < 4 && st == TS_OK; q++) {
        if (q > 0) {
            memset(&parts[q], 0, sizeof parts[q]);
            st = parts[0].partner(parts[0].partner_user, ctx, (uint64_t)d->v[4 + q - 1], &parts[q]);
            if (st == TS_OK) aug_sample_prepare(&parts[q]);
            if (st == TS_OK && parts[q].image.c != canvas.c) {
                ts_image conv;
                st = ts_image_convert(ctx, &parts[q].image, canvas.c, &conv);
                if (st == TS_OK) ts_image_free(&parts[q].image), parts[q].image = conv;
            }
        }
        if (st != TS_OK || qw[q] < 1 || qh[q] < 1) continue;
        ts_aug_sample *p = &parts[q];
        free(p->label_map), p->label_map = NULL;
        /* scale to cover the quarter, the corner that faces the centre on it */
        double sc = fmax((double)qw[q] / p->image.w, (double)qh[q] / p->image.h);
        double ox = (q & 1) ? 0 : qw[q] - p->image.w * sc, oy = (q & 2) ? 0 : qh[q] - p->image.h * sc;
        double m[9] = {sc, 0, ox, 0, sc, oy, 0, 0, 1};
        st = aug_sample_transform(ctx, NULL, p, m, qw[q], qh[q], 1, 0, NULL);
        ts_image view;
        if (st == TS_OK) st = ts_image_crop(ctx, &canvas, qx[q], qy[q], qw[q], qh[q], &view);
        if (st == TS_OK) st = ts_image_copy_into(ctx, &p->image, &view);
        for (size_t i = 0; st == TS_OK && i < p->n_objects; i++) {
            ts_aug_object *o = &p->objects[i];
            if (!o->mask) continue;
            uint8_t *big = ts_calloc_array(ctx, (size_t)W * H, 1);
            if (!big) {
                st = TS_ERR_NOMEM;
                break;
            }
            for (int y = 0; y < qh[q]; y++) memcpy(big + (size_t)(y + qy[q]) * W + qx[q], o->mask + (size_t)y * qw[q], (size_t)qw[q]);
            free(o->mask);
            o->mask = big;
        }
        if (st == TS_OK) {
            /* masks are on the canvas already: shift boxes, polygons and keypoints */
            for (size_t i = 0; i < p->n_objects; i++) {
                ts_aug_object *o = &p->objects[i];
                o->bbox[0] += qx[q], o->bbox[1] += qy[q];
                uint32_t total = 0;
                for (uint32_t r = 0; r < o->n_rings; r++) total += o->ring_sizes[r];
                for (uint32_t k = 0; k + 1 < total; k += 2) o->coords[k] += qx[q], o->coords[k + 1] += qy[q];
                for (uint32_t k = 0; k < o->n_keypoints; k++) o->keypoints[3 * k] += qx[q], o->keypoints[3 * k + 1] += qy[q];
            }
            st = take_objects(ctx, s, p, 1, 0, 0);
        }
    }
    s->partner = parts[0].partner, s->partner_user = parts[0].partner_user;
    for (int q = 0; q < 4; q++) ts_aug_sample_clear(&parts[q]);
    if (st != TS_OK) {
        ts_image_free(&canvas);
        return st;
    }
    s->image = canvas;
    return TS_OK;
}
const aug_op_def aug_op_mosaic = {"mosaic", AUG_PIXEL, mosaic_params, mosaic_extra, NULL, NULL, mosaic_apply, NULL};

/* ---- copy_paste (Ghiasi et al.): the partner's objects that have a mask
 * or polygon pasted at their place; covered objects lose visibility ---- */
static const aug_param_spec paste_params[] = {{"max_objects", PARAM_INT, 8, 8, 1, 1000, NULL}, END_PARAMS};
static void paste_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)op, (void)v;
    d->v[d->n++] = (double)ts_rng_u32(rng);
}
static ts_status paste_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    if (!s->partner) return TS_OK;
    int w = s->image.w, h = s->image.h, c = s->image.c;
    ts_aug_sample p;
    ts_status st = get_partner(ctx, s, d->v[1], w, h, 0, &p);
    uint8_t *covered = st == TS_OK ? ts_calloc_array(ctx, (size_t)w * h, 1) : NULL;
    if (st == TS_OK && !covered) st = TS_ERR_NOMEM;
    size_t kept = 0;
    for (size_t i = 0; st == TS_OK && i < p.n_objects; i++) {
        ts_aug_object *o = &p.objects[i];
        if (!o->mask && o->n_rings) {
            o->mask = ts_calloc_array(ctx, (size_t)w * h, 1);
            if (!o->mask) st = TS_ERR_NOMEM;
            else aug_fill_polygons(o->coords, o->ring_sizes, o->n_rings, w, h, o->mask);
        }
        if (st != TS_OK || !o->mask || kept >= (size_t)d->v[0]) continue;
        for (size_t k = 0; k < (size_t)w * h; k++)
            if (o->mask[k]) {
                covered[k] = 1;
                memcpy((uint8_t *)s->image.data + (k / w) * s->image.stride + (k % w) * c,
                       (uint8_t *)p.image.data + (k / w) * p.image.stride + (k % w) * c, (size_t)c);
            }
        if (&p.objects[kept] != o) {
            p.objects[kept] = *o;
            memset(o, 0, sizeof *o);
        }
        kept++;
    }
    for (size_t i = kept; i < p.n_objects; i++) { /* objects not pasted */
        free(p.objects[i].coords), free(p.objects[i].ring_sizes), free(p.objects[i].keypoints), free(p.objects[i].mask);
    }
    p.n_objects = kept;
    for (size_t i = 0; st == TS_OK && i < s->n_objects; i++) { /* occlusion of what was there */
        ts_aug_object *o = &s->objects[i];
        uint64_t area = 0, hidden = 0;
        if (o->mask) {
            for (size_t k = 0; k < (size_t)w * h; k++)
                if (o->mask[k]) area++, hidden += covered[k], o->mask[k] &= !covered[k];
        } else if (o->has_box) {
            for (int y = (int)fmax(0, o->bbox[1]); y < (int)fmin(h, ceil(o->bbox[1] + o->bbox[3])); y++)
                for (int x = (int)fmax(0, o->bbox[0]); x < (int)fmin(w, ceil(o->bbox[0] + o->bbox[2])); x++)
                    area++, hidden += covered[(size_t)y * w + x];
        }
        if (area) o->visibility *= 1 - (double)hidden / area;
    }
    if (st == TS_OK) st = take_objects(ctx, s, &p, 1, 0, 0);
    free(covered);
    ts_aug_sample_clear(&p);
    return st;
}
const aug_op_def aug_op_copy_paste = {"copy_paste", AUG_PIXEL, paste_params, paste_extra, NULL, NULL, paste_apply, NULL};
