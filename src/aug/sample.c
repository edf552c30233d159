/* Samples for augmentation built from dataset images and annotations. */
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"
#include "trainset/formats.h"

static void *dup_array(ts_ctx *ctx, const void *src, size_t n, size_t size, ts_status *s) {
    if (!n || *s != TS_OK) return NULL;
    void *p = ts_alloc_array(ctx, n, size);
    if (!p) *s = TS_ERR_NOMEM;
    else memcpy(p, src, n * size);
    return p;
}

ts_status ts_aug_sample_from_dataset(ts_ctx *ctx, const ts_dataset *ds, size_t index, ts_aug_sample *out) {
    ts_aug_sample s;
    memset(&s, 0, sizeof s);
    ts_decode_opts opts = ts_decode_opts_default();
    ts_status st = ts_dataset_load_image(ctx, ds, index, &opts, &s.image, NULL);
    if (st != TS_OK) return st;
    if (s.image.type != TS_PIX_U8) {
        ts_image_free(&s.image);
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "augment: 16-bit images are not augmented");
    }
    /* annotations were made on the image's recorded size: scale if the file differs */
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    double sx = e.width > 0 ? (double)s.image.w / e.width : 1, sy = e.height > 0 ? (double)s.image.h / e.height : 1;
    const size_t *list;
    size_t n;
    st = ts_dataset_image_annotations(ctx, ds, index, &list, &n);
    if (st == TS_OK && n && !(s.objects = ts_calloc_array(ctx, n, sizeof *s.objects))) st = TS_ERR_NOMEM;
    for (size_t k = 0; k < n && st == TS_OK; k++) {
        ts_annotation a;
        ts_dataset_annotation(ds, list[k], &a);
        ts_aug_object *o = &s.objects[s.n_objects++];
        o->id = a.id;
        o->category_id = a.category_id;
        o->has_box = (a.flags & TS_ANN_HAS_BOX) != 0;
        o->bbox[0] = a.bbox[0] * sx, o->bbox[1] = a.bbox[1] * sy, o->bbox[2] = a.bbox[2] * sx, o->bbox[3] = a.bbox[3] * sy;
        uint32_t total = 0;
        for (uint32_t r = 0; r < a.n_rings; r++) total += a.ring_sizes[r];
        if (a.kind == TS_ANN_POLYGON || (a.n_rings && a.kind != TS_ANN_POLYLINE && a.kind != TS_ANN_POINTS)) {
            o->coords = dup_array(ctx, a.coords, total, sizeof(double), &st);
            o->ring_sizes = dup_array(ctx, a.ring_sizes, a.n_rings, sizeof(uint32_t), &st);
            o->n_rings = st == TS_OK ? a.n_rings : 0;
            for (uint32_t i = 0; o->coords && i + 1 < total; i += 2) o->coords[i] *= sx, o->coords[i + 1] *= sy;
        }
        o->keypoints = dup_array(ctx, a.keypoints, (size_t)a.n_keypoints * 3, sizeof(double), &st);
        o->n_keypoints = st == TS_OK ? a.n_keypoints : 0;
        for (uint32_t i = 0; o->keypoints && i < a.n_keypoints; i++) o->keypoints[3 * i] *= sx, o->keypoints[3 * i + 1] *= sy;
        if (st == TS_OK && a.rle_len && a.mask_w == (uint32_t)s.image.w && a.mask_h == (uint32_t)s.image.h) {
            o->mask = ts_alloc_array(ctx, (size_t)a.mask_w * a.mask_h, 1);
            if (!o->mask) st = TS_ERR_NOMEM;
            else st = ts_rle_decode(ctx, a.rle, a.rle_len, a.mask_h, a.mask_w, o->mask);
            if (!o->has_box && st == TS_OK) {
                ts_rle_bbox(a.rle, a.rle_len, a.mask_h, a.mask_w, o->bbox);
                o->has_box = 1;
            }
        }
        o->visibility = 1;
        o->label_weight = 1;
        if (o->mask) o->original_area = (double)ts_rle_area(a.rle, a.rle_len);
        else aug_object_area(o, &o->original_area);
    }
    if (st != TS_OK) {
        ts_aug_sample_clear(&s);
        return st == TS_ERR_NOMEM ? ts_error(ctx, st, "out of memory") : st;
    }
    *out = s;
    return TS_OK;
}

ts_status ts_aug_partner_from_dataset(void *user, ts_ctx *ctx, uint64_t draw, ts_aug_sample *out) {
    const ts_dataset *ds = user;
    size_t n = ts_dataset_image_count(ds);
    if (n == 0) return ts_error(ctx, TS_ERR_INVALID, "augment: no images to mix with");
    return ts_aug_sample_from_dataset(ctx, ds, (size_t)(draw % n), out);
}
