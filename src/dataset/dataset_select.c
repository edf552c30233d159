/* Building a dataset from a selection of another's images. */
#include <stdlib.h>

#include "dataset_internal.h"

ts_status ts_dataset_select(ts_ctx *ctx, const ts_dataset *ds, const uint8_t *keep, ts_dataset **out) {
    ts_dataset *dst;
    ts_status s = ts_dataset_create(ctx, &dst);
    if (s != TS_OK) return s;
    for (size_t i = 0; i < ds->n_meta && s == TS_OK; i++) s = ts_dataset_set_meta(ctx, dst, ds->meta_keys[i], ds->meta_values[i]);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, dst, ds->origins[0].root);
    for (size_t c = 0; c < ds->n_categories && s == TS_OK; c++) {
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        s = ts_dataset_add_category(ctx, dst, &cat, NULL);
    }
    for (size_t i = 0; i < ds->n_images && s == TS_OK; i++) {
        if (!keep[i]) continue;
        s = ts_dataset_copy_image(ctx, dst, ds, i, TS_NO_ID, NULL);
        const size_t *list;
        size_t n = 0;
        if (s == TS_OK) s = ts_dataset_image_annotations(ctx, ds, i, &list, &n);
        for (size_t k = 0; k < n && s == TS_OK; k++) {
            ts_annotation a;
            ts_dataset_annotation(ds, list[k], &a);
            s = ts_dataset_add_annotation(ctx, dst, &a, NULL);
        }
    }
    if (s != TS_OK) {
        ts_dataset_destroy(dst);
        return s;
    }
    *out = dst;
    return TS_OK;
}
