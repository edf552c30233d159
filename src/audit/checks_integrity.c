/* Integrity checks on the annotations themselves: dangling references,
 * boxes out of bounds or degenerate, broken polygons and masks, duplicate
 * annotations, empty images and unused categories. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

#define BOUNDS_TOLERANCE 0.5 /* px: boxes rounded outward by exporters */
#define MAX_RING_FOR_INTERSECTION 2048

typedef struct {
    finding *dangling_image, *dangling_category, *out_of_bounds, *degenerate, *poly_degenerate, *self_intersecting,
        *rle_mismatch, *keypoints, *duplicate;
    uint64_t fully_outside;
} integrity_findings;

static double orient(const double *p, const double *q, const double *r) {
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
}

static int segments_cross(const double *a, const double *b, const double *c, const double *d) {
    double o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
    return ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0));
}

/* Proper crossings between non-adjacent edges of a closed ring. */
static int ring_self_intersects(const double *xy, uint32_t n) {
    if (n < 4 || n > MAX_RING_FOR_INTERSECTION) return 0;
    for (uint32_t i = 0; i < n; i++) {
        const double *a = xy + 2 * i, *b = xy + 2 * ((i + 1) % n);
        for (uint32_t j = i + 2; j < n; j++) {
            if (i == 0 && j == n - 1) continue; /* adjacent through the closing edge */
            const double *c = xy + 2 * j, *d = xy + 2 * ((j + 1) % n);
            if (segments_cross(a, b, c, d)) return 1;
        }
    }
    return 0;
}

static ts_status flag(finding *f, int64_t image, int64_t ann) {
    if (!f) return TS_OK;
    f->count++;
    if (audit_add_image(f, image) != TS_OK || audit_add_annotation(f, ann) != TS_OK) return TS_ERR_NOMEM;
    return TS_OK;
}

static ts_status check_geometry(integrity_findings *F, const ts_annotation *a, int W, int H) {
    ts_status s = TS_OK;
    if (a->flags & TS_ANN_HAS_BOX) {
        const double *b = a->bbox;
        if (!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3]) || b[2] <= 0 || b[3] <= 0) {
            s = flag(F->degenerate, a->image_id, a->id);
        } else if (W > 0 && H > 0 &&
                   (b[0] < -BOUNDS_TOLERANCE || b[1] < -BOUNDS_TOLERANCE || b[0] + b[2] > W + BOUNDS_TOLERANCE ||
                    b[1] + b[3] > H + BOUNDS_TOLERANCE)) {
            if (b[0] >= W || b[1] >= H || b[0] + b[2] <= 0 || b[1] + b[3] <= 0) F->fully_outside++;
            s = flag(F->out_of_bounds, a->image_id, a->id);
        }
    }
    if (s != TS_OK) return s;
    if (a->kind == TS_ANN_POLYGON || (a->n_rings && a->kind != TS_ANN_POLYLINE && a->kind != TS_ANN_POINTS)) {
        int degenerate = 0, crossing = 0;
        const double *xy = a->coords;
        for (uint32_t r = 0; r < a->n_rings; r++) {
            uint32_t n = a->ring_sizes[r];
            int finite = 1;
            for (uint32_t k = 0; k < n; k++) finite &= isfinite(xy[k]);
            if (n % 2 || n < 6 || !finite || ts_ring_area(xy, n / 2) < 1e-9) degenerate = 1;
            else crossing |= ring_self_intersects(xy, n / 2);
            xy += n;
        }
        if (degenerate && (s = flag(F->poly_degenerate, a->image_id, a->id)) != TS_OK) return s;
        if (crossing && (s = flag(F->self_intersecting, a->image_id, a->id)) != TS_OK) return s;
    }
    if (a->rle_len) {
        uint64_t sum = 0;
        for (uint32_t k = 0; k < a->rle_len; k++) sum += a->rle[k];
        int wrong = sum != (uint64_t)a->mask_h * a->mask_w ||
                    (W > 0 && H > 0 && (a->mask_w != (uint32_t)W || a->mask_h != (uint32_t)H));
        if (wrong && (s = flag(F->rle_mismatch, a->image_id, a->id)) != TS_OK) return s;
    }
    if (a->n_keypoints && W > 0 && H > 0) {
        int outside = 0;
        for (uint32_t k = 0; k < a->n_keypoints; k++) {
            const double *p = a->keypoints + 3 * k;
            if (p[2] > 0 && (p[0] < 0 || p[1] < 0 || p[0] > W || p[1] > H)) outside = 1;
        }
        if (outside) s = flag(F->keypoints, a->image_id, a->id);
    }
    return s;
}

/* Same-class boxes of one image overlapping with IoU > 0.95: the later
 * annotation of each pair is reported. */
static ts_status check_duplicates(const ts_dataset *ds, finding *f, const size_t *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, list[i], &a);
        if (!(a.flags & TS_ANN_HAS_BOX)) continue;
        for (size_t j = i + 1; j < n; j++) {
            ts_annotation b;
            ts_dataset_annotation(ds, list[j], &b);
            if (!(b.flags & TS_ANN_HAS_BOX) || a.category_id != b.category_id) continue;
            if (audit_box_iou(a.bbox, b.bbox) > 0.95) {
                ts_status s = flag(f, b.image_id, b.id);
                if (s != TS_OK) return s;
            }
        }
    }
    return TS_OK;
}

ts_status audit_integrity(ts_ctx *ctx, ts_audit *audit) {
    const ts_dataset *ds = audit->ds;
    integrity_findings F;
    memset(&F, 0, sizeof F);
#define WANT(var, id, sev, ...) AUDIT_WANT(F.var, id, "integrity", sev, __VA_ARGS__)
    WANT(dangling_image, "dangling-image", TS_SEVERITY_ERROR,
         "annotations refer to images that are not in the dataset: restore the images or drop the annotations");
    WANT(dangling_category, "dangling-category", TS_SEVERITY_ERROR,
         "annotations refer to categories that are not defined: add the categories or fix the ids");
    WANT(degenerate, "box-degenerate", TS_SEVERITY_ERROR,
         "boxes with zero, negative or non-finite width/height: they teach nothing and break losses; fix or drop them");
    WANT(out_of_bounds, "box-out-of-bounds", TS_SEVERITY_WARNING,
         "boxes extend past the image border: clip them to the image (or check the image size and orientation)");
    WANT(poly_degenerate, "polygon-degenerate", TS_SEVERITY_ERROR,
         "polygons with fewer than 3 points, an odd coordinate count, non-finite values or zero area: redraw or drop");
    WANT(self_intersecting, "polygon-self-intersecting", TS_SEVERITY_WARNING,
         "polygons whose edges cross: masks rasterised from them have holes or flipped parts; redraw them");
    WANT(rle_mismatch, "rle-size-mismatch", TS_SEVERITY_ERROR,
         "RLE masks whose size disagrees with their image or whose runs do not cover it: re-export the masks");
    WANT(keypoints, "keypoint-out-of-bounds", TS_SEVERITY_WARNING,
         "visible keypoints lie outside the image: mark them invisible or fix their coordinates");
    WANT(duplicate, "annotation-duplicate", TS_SEVERITY_WARNING,
         "the same object annotated twice (same class, IoU > 0.95): keep one, or the model learns to double-detect");
#undef WANT
    size_t na = ts_dataset_annotation_count(ds), nc = ts_dataset_category_count(ds);
    uint8_t *used = ts_calloc_array(ctx, nc ? nc : 1, 1);
    if (!used) return TS_ERR_NOMEM;
    ts_status s = TS_OK;
    for (size_t i = 0; i < na && s == TS_OK; i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        size_t img, cat;
        int W = 0, H = 0;
        if (!ts_dataset_find_image(ds, a.image_id, &img)) {
            s = flag(F.dangling_image, a.image_id, a.id);
            continue;
        }
        ts_image_entry e;
        ts_dataset_image(ds, img, &e);
        W = e.width, H = e.height;
        if (a.category_id != TS_NO_ID) {
            if (ts_dataset_find_category(ds, a.category_id, &cat)) used[cat] = 1;
            else if ((s = flag(F.dangling_category, a.image_id, a.id)) != TS_OK) break;
        }
        s = check_geometry(&F, &a, W, H);
        if (s == TS_OK && (i & 0xffff) == 0) s = ts_progress(ctx, "audit: annotations", i, na);
    }
    if (s == TS_OK && F.out_of_bounds && F.fully_outside) {
        char *old = F.out_of_bounds->message;
        ts_buf m = {0};
        ts_buf_printf(&m, "%s (%llu lie entirely outside)", old, (unsigned long long)F.fully_outside);
        if (m.data) {
            free(old);
            F.out_of_bounds->message = m.data;
        }
    }
    finding *empty = NULL;
    if (s == TS_OK && audit_wants(audit, "image-no-annotations", "integrity"))
        empty = audit_finding(audit, "image-no-annotations", TS_SEVERITY_INFO,
                              "images without any annotation: fine as negatives for detection, otherwise label them");
    size_t ni = ts_dataset_image_count(ds);
    for (size_t i = 0; i < ni && s == TS_OK; i++) {
        const size_t *list;
        size_t n;
        s = ts_dataset_image_annotations(ctx, ds, i, &list, &n);
        if (s != TS_OK) break;
        if (n == 0 && empty) {
            empty->count++;
            s = audit_add_image(empty, ts_dataset_image_id(ds, i));
        }
        if (s == TS_OK && F.duplicate && n > 1) s = check_duplicates(ds, F.duplicate, list, n);
    }
    if (s == TS_OK && audit_wants(audit, "category-unused", "integrity")) {
        ts_buf names = {0};
        uint64_t unused = 0;
        for (size_t c = 0; c < nc; c++) {
            if (used[c]) continue;
            ts_category cat;
            ts_dataset_category(ds, c, &cat);
            if (unused < 10) ts_buf_printf(&names, "%s'%s'", unused ? ", " : "", cat.name);
            unused++;
        }
        if (unused) {
            finding *f = audit_finding(audit, "category-unused", TS_SEVERITY_INFO,
                                       "%llu categories have no annotation (%s%s): drop them or collect examples",
                                       (unsigned long long)unused, names.data ? names.data : "", unused > 10 ? ", ..." : "");
            if (!f) s = TS_ERR_NOMEM;
            else f->count = unused;
        }
        ts_buf_free(&names);
    }
    free(used);
    return s;
}
