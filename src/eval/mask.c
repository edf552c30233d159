/* Box and mask IoU and polygon rasterisation, reproducing COCO's maskApi.c
 * (bbIou, rleIou, rleFrPoly, rleMerge, annToRLE) operation for operation,
 * so segm metrics equal pycocotools' to the last bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

double ts_box_iou(const double dt[4], const double gt[4], int crowd) {
    double ga = gt[2] * gt[3], da = dt[2] * dt[3];
    double w = fmin(dt[2] + dt[0], gt[2] + gt[0]) - fmax(dt[0], gt[0]);
    if (w <= 0) return 0;
    double h = fmin(dt[3] + dt[1], gt[3] + gt[1]) - fmax(dt[1], gt[1]);
    if (h <= 0) return 0;
    double i = w * h;
    double u = crowd ? da : da + ga - i;
    return i / u;
}

void ts_mask_free(ts_mask *mask) {
    if (!mask) return;
    free(mask->counts);
    memset(mask, 0, sizeof *mask);
}

uint64_t ts_mask_area(const ts_mask *mask) { return ts_rle_area(mask->counts, mask->n); }

void ts_mask_bbox(const ts_mask *mask, double bbox[4]) {
    ts_rle_bbox(mask->counts, mask->n, mask->h, mask->w, bbox);
}

/* Sort n values ascending; `tmp` holds n more. Insertion sort for short
 * outlines, else a byte-wise radix sort (the boundary points of a polygon
 * are its hot spot). */
static void sort_u32(uint32_t *a, uint32_t *tmp, size_t n) {
    if (n <= 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) a[j] = a[j - 1], j--;
            a[j] = v;
        }
        return;
    }
    uint32_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((src[i] >> shift) & 255) + 1]++;
        if (count[((src[0] >> shift) & 255) + 1] == n) continue; /* all share this byte */
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 255]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Largest |scaled coordinate| accepted: keeps every int sum below 2^31. */
#define POLY_COORD_MAX 268435456.0
/* Largest number of upsampled boundary points (two ints each). */
#define POLY_POINTS_MAX ((size_t)1 << 27)

ts_status ts_mask_from_polygon(ts_ctx *ctx, const double *xy, size_t k, uint32_t h, uint32_t w, ts_mask *out) {
    const double scale = 5;
    if ((uint64_t)h * w > UINT32_MAX)
        return ts_error(ctx, TS_ERR_LIMIT, "mask of %ux%u pixels is too large", (unsigned)w, (unsigned)h);
    if (k == 0) { /* maskApi reads past the ring here; an empty ring is an empty mask */
        uint32_t *c = ts_alloc_array(ctx, 1, sizeof *c);
        if (!c) return TS_ERR_NOMEM;
        c[0] = h * w;
        *out = (ts_mask){h, w, 1, c};
        return TS_OK;
    }
    for (size_t j = 0; j < 2 * k; j++) {
        if (!isfinite(xy[j]) || fabs(scale * xy[j]) > POLY_COORD_MAX)
            return ts_error(ctx, TS_ERR_INVALID, "polygon coordinate %g is not finite or out of range", xy[j]);
    }
    ts_status st = TS_ERR_NOMEM;
    int *x = ts_alloc_array(ctx, k + 1, sizeof *x), *y = ts_alloc_array(ctx, k + 1, sizeof *y);
    int *u = NULL, *v = NULL;
    uint32_t *a = NULL, *b = NULL;
    if (!x || !y) goto done;
    for (size_t j = 0; j < k; j++) x[j] = (int)(scale * xy[j * 2 + 0] + .5);
    x[k] = x[0];
    for (size_t j = 0; j < k; j++) y[j] = (int)(scale * xy[j * 2 + 1] + .5);
    y[k] = y[0];
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
        int dx = abs(x[j] - x[j + 1]), dy = abs(y[j] - y[j + 1]);
        m += (size_t)(dx > dy ? dx : dy) + 1;
        if (m > POLY_POINTS_MAX) {
            st = ts_error(ctx, TS_ERR_LIMIT, "polygon outline is too long to rasterise");
            goto done;
        }
    }
    u = ts_alloc_array(ctx, m, sizeof *u);
    v = ts_alloc_array(ctx, m, sizeof *v);
    if (!u || !v) goto done;
    m = 0;
    for (size_t j = 0; j < k; j++) {
        int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1], dx, dy, t, d;
        int flip;
        double s;
        dx = abs(xe - xs);
        dy = abs(ys - ye);
        flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if (flip) {
            t = xs, xs = xe, xe = t;
            t = ys, ys = ye, ye = t;
        }
        if (dx == 0 && dy == 0) {
            /* maskApi divides 0/0 here and keeps (int)NaN; the point's y is
             * never read because both neighbours share its x. */
            u[m] = xs;
            v[m] = ys;
            m++;
            continue;
        }
        s = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
        if (dx >= dy) {
            for (d = 0; d <= dx; d++) {
                t = flip ? dx - d : d;
                u[m] = t + xs;
                v[m] = (int)(ys + s * t + .5);
                m++;
            }
        } else {
            for (d = 0; d <= dy; d++) {
                t = flip ? dy - d : d;
                v[m] = t + ys;
                u[m] = (int)(xs + s * t + .5);
                m++;
            }
        }
    }
    /* points on the y-boundary, downsampled */
    size_t npts = m;
    m = 0;
    for (size_t j = 1; j < npts; j++) {
        if (u[j] == u[j - 1]) continue;
        double xd = (double)(u[j] < u[j - 1] ? u[j] : u[j] - 1);
        xd = (xd + .5) / scale - .5;
        if (floor(xd) != xd || xd < 0 || xd > (double)w - 1) continue;
        double yd = (double)(v[j] < v[j - 1] ? v[j] : v[j - 1]);
        yd = (yd + .5) / scale - .5;
        if (yd < 0) yd = 0;
        else if (yd > h) yd = h;
        yd = ceil(yd);
        /* kept points are written over u/v in place: index m never passes j - 1 */
        u[m] = (int)xd;
        v[m] = (int)yd;
        m++;
    }
    a = ts_alloc_array(ctx, m + 1, sizeof *a);
    b = ts_alloc_array(ctx, m + 1, sizeof *b);
    if (!a || !b) goto done;
    for (size_t j = 0; j < m; j++) a[j] = (uint32_t)(u[j] * (int)h + v[j]);
    size_t na = m;
    a[na++] = h * w;
    sort_u32(a, b, na);
    uint32_t p = 0;
    for (size_t j = 0; j < na; j++) {
        uint32_t t = a[j];
        a[j] -= p;
        p = t;
    }
    size_t j = 0, nb = 0;
    b[nb++] = a[j++];
    while (j < na) {
        if (a[j] > 0) {
            b[nb++] = a[j++];
        } else {
            j++;
            if (j < na) b[nb - 1] += a[j++];
        }
    }
    *out = (ts_mask){h, w, (uint32_t)nb, b};
    b = NULL;
    st = TS_OK;
done:
    free(x), free(y), free(u), free(v), free(a), free(b);
    return st;
}

ts_status ts_mask_merge(ts_ctx *ctx, const ts_mask *masks, size_t n, int intersect, ts_mask *out) {
    if (n == 0) {
        *out = (ts_mask){0, 0, 0, NULL};
        return TS_OK;
    }
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) {
        if (!ts_add_size(cap, masks[i].n, &cap)) return ts_error(ctx, TS_ERR_NOMEM, "mask too large");
    }
    uint32_t h = masks[0].h, w = masks[0].w, m = masks[0].n;
    uint32_t *cnts = ts_alloc_array(ctx, cap, sizeof *cnts), *prev = ts_alloc_array(ctx, cap, sizeof *prev);
    if (!cnts || !prev) {
        free(cnts), free(prev);
        return TS_ERR_NOMEM;
    }
    if (m) memcpy(cnts, masks[0].counts, (size_t)m * sizeof *cnts);
    for (size_t i = 1; i < n; i++) {
        const ts_mask *B = &masks[i];
        if (B->h != h || B->w != w) {
            h = w = m = 0;
            break;
        }
        uint32_t *A = cnts, am = m; /* the result so far becomes A */
        cnts = prev;
        prev = A;
        if (am == 0 || B->n == 0) { /* maskApi would read cnts[0] of an empty RLE */
            const uint32_t *src = am ? A : B->counts;
            m = am ? am : B->n;
            if (m) memcpy(cnts, src, (size_t)m * sizeof *cnts);
            continue;
        }
        uint32_t ca = A[0], cb = B->counts[0], c, cc = 0, ct = 1;
        int v = 0, va = 0, vb = 0, vp;
        size_t ai = 1, bi = 1;
        m = 0;
        while (ct > 0) {
            c = ca < cb ? ca : cb;
            cc += c;
            ct = 0;
            ca -= c;
            if (!ca && ai < am) ca = A[ai++], va = !va;
            ct += ca;
            cb -= c;
            if (!cb && bi < B->n) cb = B->counts[bi++], vb = !vb;
            ct += cb;
            vp = v;
            v = intersect ? (va && vb) : (va || vb);
            if (v != vp || ct == 0) cnts[m++] = cc, cc = 0;
        }
    }
    free(prev);
    *out = (ts_mask){h, w, m, cnts};
    return TS_OK;
}

double ts_mask_iou(const ts_mask *dt, const ts_mask *gt, int crowd) {
    double db[4], gb[4];
    ts_mask_bbox(dt, db);
    ts_mask_bbox(gt, gb);
    return ev_mask_iou(dt, gt, db, gb, crowd);
}

double ev_mask_iou(const ts_mask *dt, const ts_mask *gt, const double db[4], const double gb[4], int crowd) {
    double o = ts_box_iou(db, gb, crowd);
    if (!(o > 0)) return o;
    if (dt->h != gt->h || dt->w != gt->w) return -1;
    if (dt->n == 0 || gt->n == 0) return 0;
    uint32_t ca = dt->counts[0], cb = gt->counts[0], c, ct = 1, i = 0, un = 0;
    uint32_t ka = dt->n, kb = gt->n, ai = 1, bi = 1;
    int va = 0, vb = 0;
    while (ct > 0) {
        c = ca < cb ? ca : cb;
        if (va || vb) {
            un += c;
            if (va && vb) i += c;
        }
        ct = 0;
        ca -= c;
        if (!ca && ai < ka) ca = dt->counts[ai++], va = !va;
        ct += ca;
        cb -= c;
        if (!cb && bi < kb) cb = gt->counts[bi++], vb = !vb;
        ct += cb;
    }
    if (i == 0) un = 1;
    else if (crowd) un = (uint32_t)ts_rle_area(dt->counts, dt->n);
    return (double)i / (double)un;
}

ts_status ts_mask_from_annotation(ts_ctx *ctx, const ts_annotation *ann, uint32_t h, uint32_t w, ts_mask *out) {
    if (ann->rle && ann->rle_len) {
        uint32_t *c = ts_alloc_array(ctx, ann->rle_len, sizeof *c);
        if (!c) return TS_ERR_NOMEM;
        memcpy(c, ann->rle, (size_t)ann->rle_len * sizeof *c);
        *out = (ts_mask){ann->mask_h, ann->mask_w, ann->rle_len, c};
        return TS_OK;
    }
    if (ann->n_rings > 0 && ann->coords) {
        int boxes = ann->ring_sizes[0] == 4; /* frPyObjects takes [[x,y,w,h],...] for boxes */
        ts_mask *rings = ts_calloc_array(ctx, ann->n_rings, sizeof *rings);
        if (!rings) return TS_ERR_NOMEM;
        ts_status st = TS_OK;
        const double *p = ann->coords;
        for (uint32_t r = 0; r < ann->n_rings && st == TS_OK; r++) {
            uint32_t len = ann->ring_sizes[r];
            if (boxes) {
                if (len != 4) {
                    st = ts_error(ctx, TS_ERR_INVALID,
                                  "annotation %lld: the first polygon has 4 numbers (a box) but polygon %u has %u",
                                  (long long)ann->id, (unsigned)r + 1, (unsigned)len);
                    break;
                }
                double xs = p[0], xe = xs + p[2], ys = p[1], ye = ys + p[3];
                double xy[8] = {xs, ys, xs, ye, xe, ye, xe, ys};
                st = ts_mask_from_polygon(ctx, xy, 4, h, w, &rings[r]);
            } else {
                st = ts_mask_from_polygon(ctx, p, len / 2, h, w, &rings[r]);
            }
            p += len;
        }
        if (st == TS_OK) st = ts_mask_merge(ctx, rings, ann->n_rings, 0, out);
        for (uint32_t r = 0; r < ann->n_rings; r++) ts_mask_free(&rings[r]);
        free(rings);
        return st;
    }
    if (ann->flags & TS_ANN_HAS_BOX) { /* loadRes: segmentation = the box's polygon */
        const double *bb = ann->bbox;
        double x1 = bb[0], x2 = bb[0] + bb[2], y1 = bb[1], y2 = bb[1] + bb[3];
        double xy[8] = {x1, y1, x1, y2, x2, y2, x2, y1};
        return ts_mask_from_polygon(ctx, xy, 4, h, w, out);
    }
    return ts_error(ctx, TS_ERR_INVALID, "annotation %lld has neither a segmentation nor a box", (long long)ann->id);
}
