/* Targets moved with the pixels: polygons point by point then clipped to
 * the image (their boxes are exact), masks warped with nearest sampling
 * (boxes from the mask), plain boxes through their corners or inscribed
 * ellipse, keypoints (invisible once outside); visibility is the kept
 * fraction of each object's area; filters drop what is left too small. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

static uint64_t mask_area(const uint8_t *m, size_t n) {
    uint64_t a = 0;
    for (size_t i = 0; i < n; i++) a += m[i] != 0;
    return a;
}

void aug_object_area(const ts_aug_object *o, double *area) {
    if (o->n_rings) *area = ts_polygons_area(o->coords, o->ring_sizes, o->n_rings);
    else if (o->has_box) *area = o->bbox[2] * o->bbox[3];
    else *area = 0;
}

void aug_sample_prepare(ts_aug_sample *s) {
    for (size_t i = 0; i < s->n_objects; i++) {
        ts_aug_object *o = &s->objects[i];
        if (o->visibility == 0) o->visibility = 1;
        if (o->label_weight == 0) o->label_weight = 1;
        if (o->original_area == 0) aug_object_area(o, &o->original_area);
    }
}

/* Clip a ring to [0,w] x [0,h] (Sutherland-Hodgman); returns the vertex
 * count written to `out`. `out` and `tmp` have room for n + 8 vertices. */
static uint32_t clip_ring(const double *in, uint32_t n, double w, double h, double *out, double *tmp) {
    const double *src = in;
    uint32_t count = n;
    for (int edge = 0; edge < 4 && count; edge++) {
        double *dst = (edge & 1) ? tmp : out;
        uint32_t m = 0;
        for (uint32_t i = 0; i < count; i++) {
            const double *a = src + 2 * ((i + count - 1) % count), *b = src + 2 * i;
            double da, db;
            switch (edge) {
            case 0: da = a[0], db = b[0]; break;          /* x >= 0 */
            case 1: da = w - a[0], db = w - b[0]; break;  /* x <= w */
            case 2: da = a[1], db = b[1]; break;          /* y >= 0 */
            default: da = h - a[1], db = h - b[1]; break; /* y <= h */
            }
            if ((da >= 0) != (db >= 0)) {
                double t = da / (da - db);
                dst[2 * m] = a[0] + t * (b[0] - a[0]);
                dst[2 * m + 1] = a[1] + t * (b[1] - a[1]);
                m++;
            }
            if (db >= 0) {
                dst[2 * m] = b[0], dst[2 * m + 1] = b[1];
                m++;
            }
        }
        src = dst;
        count = m;
    }
    if (src != out && count) memcpy(out, src, (size_t)count * 2 * sizeof *out);
    return count;
}

typedef struct {
    const double *m;
    aug_point_fn fn;
    const void *user;
} point_map;

static void map_point(const point_map *pm, double x, double y, double *ox, double *oy) {
    if (pm->fn) pm->fn(pm->user, x, y, ox, oy);
    else aug_mat_apply(pm->m, x, y, ox, oy);
}

static void box_of_points(const double *xy, size_t n, double box[4]) {
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        x0 = aug_min(x0, xy[2 * i]), x1 = aug_max(x1, xy[2 * i]);
        y0 = aug_min(y0, xy[2 * i + 1]), y1 = aug_max(y1, xy[2 * i + 1]);
    }
    if (n == 0) x0 = y0 = x1 = y1 = 0;
    box[0] = x0, box[1] = y0, box[2] = x1 - x0, box[3] = y1 - y0;
}

/* The bounding box of a box's corners through m (NULL: the box itself). */
static void box_through(const double *m, const double b[4], double out[4]) {
    double pts[8];
    for (int k = 0; k < 4; k++) {
        double x = b[0] + (k & 1) * b[2], y = b[1] + (k >> 1) * b[3];
        if (m) aug_mat_apply(m, x, y, &pts[2 * k], &pts[2 * k + 1]);
        else pts[2 * k] = x, pts[2 * k + 1] = y;
    }
    box_of_points(pts, 4, out);
}

void aug_view_box_union(const aug_view *v, double out[4]) {
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < v->sample->n_objects; i++) {
        const ts_aug_object *o = &v->sample->objects[i];
        if (!o->has_box) continue;
        double b[4];
        box_through(v->m, o->bbox, b);
        x0 = aug_min(x0, b[0]), y0 = aug_min(y0, b[1]), x1 = aug_max(x1, b[0] + b[2]), y1 = aug_max(y1, b[1] + b[3]);
    }
    memset(out, 0, 4 * sizeof *out);
    if (x1 <= x0) return;
    out[0] = aug_max(0, x0), out[1] = aug_max(0, y0);
    out[2] = aug_min(v->w, x1) - out[0], out[3] = aug_min(v->h, y1) - out[1];
    if (out[2] <= 0 || out[3] <= 0) memset(out, 0, 4 * sizeof *out);
}

static ts_status move_polygons(ts_ctx *ctx, ts_aug_object *o, const point_map *pm, int w, int h) {
    uint32_t total = 0, maxn = 0;
    for (uint32_t r = 0; r < o->n_rings; r++) total += o->ring_sizes[r], maxn = o->ring_sizes[r] > maxn ? o->ring_sizes[r] : maxn;
    double *moved = ts_alloc_array(ctx, total ? total : 1, sizeof *moved);
    double *out = ts_alloc_array(ctx, (size_t)total + 16 * o->n_rings + 16, sizeof *out);
    double *tmp = ts_alloc_array(ctx, (size_t)maxn + 16, sizeof *tmp);
    uint32_t *sizes = ts_alloc_array(ctx, o->n_rings ? o->n_rings : 1, sizeof *sizes);
    if (!moved || !out || !tmp || !sizes) {
        free(moved), free(out), free(tmp), free(sizes);
        return TS_ERR_NOMEM;
    }
    for (uint32_t i = 0; i + 1 < total; i += 2) map_point(pm, o->coords[i], o->coords[i + 1], &moved[i], &moved[i + 1]);
    double full = ts_polygons_area(moved, o->ring_sizes, o->n_rings);
    uint32_t written = 0, rings = 0;
    const double *ring = moved;
    for (uint32_t r = 0; r < o->n_rings; r++) {
        uint32_t n = o->ring_sizes[r] / 2;
        double *ring_tmp = realloc(tmp, ((size_t)n + 8) * 2 * sizeof *tmp);
        if (!ring_tmp) {
            free(moved), free(out), free(tmp), free(sizes);
            return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        }
        tmp = ring_tmp;
        double *dst = realloc(out, ((size_t)written + 2 * (size_t)n + 16) * sizeof *out);
        if (!dst) {
            free(moved), free(out), free(tmp), free(sizes);
            return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        }
        out = dst;
        uint32_t k = n >= 3 ? clip_ring(ring, n, w, h, out + written, tmp) : 0;
        if (k >= 3) sizes[rings++] = 2 * k, written += 2 * k;
        ring += o->ring_sizes[r];
    }
    double kept = ts_polygons_area(out, sizes, rings);
    free(o->coords);
    free(o->ring_sizes);
    free(moved);
    free(tmp);
    o->coords = out;
    o->ring_sizes = sizes;
    o->n_rings = rings;
    if (full > 0) o->visibility *= kept / full;
    box_of_points(out, written / 2, o->bbox);
    if (!rings) o->has_box = 0, o->visibility = 0, memset(o->bbox, 0, sizeof o->bbox); /* nothing left of it */
    return TS_OK;
}

static void box_from_mask(ts_aug_object *o, int w, int h) {
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (o->mask[(size_t)y * w + x]) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    if (x1 < 0) { /* the mask left the image */
        o->has_box = 0;
        o->visibility = 0;
        memset(o->bbox, 0, sizeof o->bbox);
        return;
    }
    o->bbox[0] = x0, o->bbox[1] = y0, o->bbox[2] = x1 - x0 + 1, o->bbox[3] = y1 - y0 + 1;
}

/* A plain box: transform its corners (or its inscribed ellipse), take the
 * bounding box, clip it; visibility by the kept fraction of that box. */
static void move_box(ts_aug_object *o, const point_map *pm, aug_bbox_rotate mode, int w, int h) {
    double pts[2 * 64];
    int n = 0;
    const double *b = o->bbox;
    if (mode == BBOX_ELLIPSE) {
        for (int i = 0; i < 64; i++, n++) {
            double t = 2 * M_PI * i / 64;
            map_point(pm, b[0] + b[2] / 2 * (1 + cos(t)), b[1] + b[3] / 2 * (1 + sin(t)), &pts[2 * n], &pts[2 * n + 1]);
        }
    } else if (pm->fn) { /* non-linear maps bend edges: sample them */
        for (int e = 0; e < 4; e++)
            for (int k = 0; k < 8; k++, n++) {
                double t = k / 8.0, x, y;
                switch (e) {
                case 0: x = b[0] + t * b[2], y = b[1]; break;
                case 1: x = b[0] + b[2], y = b[1] + t * b[3]; break;
                case 2: x = b[0] + b[2] - t * b[2], y = b[1] + b[3]; break;
                default: x = b[0], y = b[1] + b[3] - t * b[3];
                }
                map_point(pm, x, y, &pts[2 * n], &pts[2 * n + 1]);
            }
    }
    double box[4];
    if (n) box_of_points(pts, (size_t)n, box);
    else box_through(pm->m, b, box); /* a matrix: the corners bound the box */
    double full = box[2] * box[3];
    double x0 = aug_max(0, box[0]), y0 = aug_max(0, box[1]), x1 = aug_min(w, box[0] + box[2]),
           y1 = aug_min(h, box[1] + box[3]);
    if (x1 <= x0 || y1 <= y0) {
        o->has_box = 0;
        o->visibility = 0;
        memset(o->bbox, 0, sizeof o->bbox);
        return;
    }
    o->bbox[0] = x0, o->bbox[1] = y0, o->bbox[2] = x1 - x0, o->bbox[3] = y1 - y0;
    if (full > 0) o->visibility *= (x1 - x0) * (y1 - y0) / full;
}

static ts_status move_object(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_object *o, const point_map *pm, double det,
                             int w, int h) {
    for (uint32_t k = 0; k < o->n_keypoints; k++) {
        double *kp = o->keypoints + 3 * k;
        map_point(pm, kp[0], kp[1], &kp[0], &kp[1]);
        if (kp[0] < 0 || kp[1] < 0 || kp[0] >= w || kp[1] >= h) kp[2] = 0;
    }
    if (o->n_rings) return move_polygons(ctx, o, pm, w, h);
    if (o->mask) {
        uint64_t kept = mask_area(o->mask, (size_t)w * h);
        double expected = o->original_area * o->visibility * det;
        double prev_vis = o->visibility;
        box_from_mask(o, w, h);
        if (expected > 0) o->visibility = fmin(prev_vis, prev_vis * (double)kept / expected);
        return TS_OK;
    }
    if (o->has_box) move_box(o, pm, p ? p->bbox_rotate : BBOX_CORNERS, w, h);
    return TS_OK;
}

ts_status aug_targets_matrix(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, const double m[9], int w, int h) {
    point_map pm = {m, NULL, NULL};
    double det = fabs(m[0] * m[4] - m[1] * m[3]); /* area scale of the affine part */
    for (size_t i = 0; i < s->n_objects; i++) {
        ts_status st = move_object(ctx, p, &s->objects[i], &pm, det, w, h);
        if (st != TS_OK) return st == TS_ERR_NOMEM ? ts_error(ctx, st, "out of memory moving targets") : st;
    }
    return TS_OK;
}

ts_status aug_targets_points(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, aug_point_fn fn, const void *user,
                             int w, int h) {
    point_map pm = {NULL, fn, user};
    for (size_t i = 0; i < s->n_objects; i++) {
        ts_status st = move_object(ctx, p, &s->objects[i], &pm, 1, w, h);
        if (st != TS_OK) return st == TS_ERR_NOMEM ? ts_error(ctx, st, "out of memory moving targets") : st;
    }
    return TS_OK;
}

static void free_object(ts_aug_object *o) {
    free(o->coords);
    free(o->ring_sizes);
    free(o->keypoints);
    free(o->mask);
    memset(o, 0, sizeof *o);
}

void aug_targets_filter(const ts_aug_pipeline *p, ts_aug_sample *s) {
    size_t w = 0;
    for (size_t i = 0; i < s->n_objects; i++) {
        ts_aug_object *o = &s->objects[i];
        double area;
        aug_object_area(o, &area);
        int no_shape = !o->has_box && !o->n_rings && !o->mask;
        /* an image-level label has no geometry to lose: it stays (a box or
         * shape moved out of the image has visibility 0 and goes) */
        if (no_shape && !o->n_keypoints && o->visibility > 0) {
            s->objects[w++] = *o;
            continue;
        }
        int keypoints_only = no_shape && o->n_keypoints;
        int gone = !keypoints_only && (!o->has_box || o->bbox[2] <= 0 || o->bbox[3] <= 0);
        if (!gone && !keypoints_only)
            gone = area < p->min_area || o->visibility < p->min_visibility || o->bbox[2] < p->min_width ||
                   o->bbox[3] < p->min_height;
        if (gone) free_object(o);
        else s->objects[w++] = *o;
    }
    s->n_objects = w;
}

void ts_aug_sample_clear(ts_aug_sample *s) {
    if (!s) return;
    ts_image_free(&s->image);
    for (size_t i = 0; i < s->n_objects; i++) free_object(&s->objects[i]);
    free(s->objects);
    free(s->label_map);
    free(s->chw);
    memset(s, 0, sizeof *s);
}
