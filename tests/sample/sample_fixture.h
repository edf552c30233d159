/* Synthetic datasets for the sample tests, built through the dataset API. */
#ifndef TS_SAMPLE_FIXTURE_H
#define TS_SAMPLE_FIXTURE_H

#include <stdlib.h>

#include "../test.h"
#include "trainset/sample.h"

/* n images; image i holds class (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2) and
 * also class 3 when i % 7 == 0 (multi-label); group_id = i / group_size
 * (no group when group_size is 0). Category ids 10, 20, 30, 40. */
static inline ts_dataset *fixture_dataset(ts_ctx *ctx, size_t n, size_t group_size) {
    ts_dataset *ds = NULL;
    if (ts_dataset_create(ctx, &ds) != TS_OK) return NULL;
    const char *names[4] = {"cat", "dog", "bird", "fish"};
    for (int c = 0; c < 4; c++) {
        ts_category cat = ts_category_empty();
        cat.id = 10 * (c + 1);
        cat.name = names[c];
        ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    int64_t ann_id = 1;
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e = ts_image_entry_empty();
        char path[32];
        snprintf(path, sizeof path, "img%zu.png", i);
        e.id = (int64_t)i + 100;
        e.path = path;
        e.width = 64;
        e.height = 48;
        e.group_id = group_size ? (int64_t)(i / group_size) : TS_NO_ID;
        ts_dataset_add_image(ctx, ds, &e, NULL);
        int cls = i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2;
        for (int k = 0; k < 1 + (i % 3 == 0); k++) {
            ts_annotation a = ts_annotation_empty();
            a.id = ann_id++;
            a.image_id = e.id;
            a.category_id = 10 * (cls + 1);
            a.kind = TS_ANN_BOX;
            a.flags = TS_ANN_HAS_BOX;
            a.bbox[0] = 1, a.bbox[1] = 2, a.bbox[2] = 10, a.bbox[3] = 10;
            ts_dataset_add_annotation(ctx, ds, &a, NULL);
        }
        if (i % 7 == 0) {
            ts_annotation a = ts_annotation_empty();
            a.id = ann_id++;
            a.image_id = e.id;
            a.category_id = 40;
            a.kind = TS_ANN_LABEL;
            ts_dataset_add_annotation(ctx, ds, &a, NULL);
        }
    }
    return ds;
}

#endif
