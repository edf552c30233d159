/* Fuzz the --where expression parser and evaluator: the input is the
 * expression; one that compiles is run over a small dataset, per image, per
 * annotation and through ts_dataset_filter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainset.h"
#include "trainset/ops.h"

static ts_dataset *fixture(ts_ctx *ctx) {
    ts_dataset *ds;
    if (ts_dataset_create(ctx, &ds) != TS_OK) abort();
    ts_category c = ts_category_empty();
    c.id = 1, c.name = "cat", c.supercategory = "animal";
    ts_dataset_add_category(ctx, ds, &c, NULL);
    c.id = 2, c.name = "dog";
    ts_dataset_add_category(ctx, ds, &c, NULL);
    ts_attr attrs[2] = {{"weather", "rain", TS_ATTR_STRING}, {"hour", "17", TS_ATTR_NUMBER}};
    for (int i = 0; i < 3; i++) {
        ts_image_entry e = ts_image_entry_empty();
        char path[16];
        snprintf(path, sizeof path, "%d.jpg", i);
        e.id = i + 1, e.path = path, e.width = 100 * (i + 1), e.height = 50, e.split = i ? "val" : "train";
        e.attrs = attrs, e.n_attrs = (uint32_t)i;
        e.license = i == 1 ? 3 : TS_NO_ID;
        ts_dataset_add_image(ctx, ds, &e, NULL);
        ts_annotation a = ts_annotation_empty();
        a.id = i + 1, a.image_id = i + 1, a.category_id = 1 + (i & 1), a.kind = TS_ANN_BOX;
        a.flags = TS_ANN_HAS_BOX | (i == 2 ? TS_ANN_HAS_SCORE : 0);
        a.bbox[2] = 10, a.bbox[3] = 5 * i, a.score = 0.5;
        a.attrs = attrs, a.n_attrs = 1;
        ts_dataset_add_annotation(ctx, ds, &a, NULL);
    }
    return ds;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ts_ctx *ctx;
    static ts_dataset *ds;
    if (!ctx) {
        if (ts_ctx_create(&ctx) != TS_OK) abort();
        ds = fixture(ctx);
    }
    char *expr = malloc(size + 1);
    if (!expr) return 0;
    memcpy(expr, data, size);
    expr[size] = 0;
    ts_filter *f = NULL;
    ts_ctx_clear_error(ctx);
    if (ts_filter_compile(ctx, expr, &f) == TS_OK) {
        int m;
        for (size_t i = 0; i < ts_dataset_image_count(ds); i++) ts_filter_match_image(ctx, f, ds, i, &m);
        for (size_t i = 0; i < ts_dataset_annotation_count(ds); i++) ts_filter_match_annotation(ctx, f, ds, i, &m);
        ts_dataset *out = NULL;
        if (ts_dataset_filter(ctx, ds, f, size & 1 ? TS_FILTER_ANNOTATIONS : 0, &out, NULL, NULL) == TS_OK)
            ts_dataset_destroy(out);
        ts_filter_destroy(f);
    } else if (!strstr(ts_ctx_error(ctx), "--where:1:") && !strstr(ts_ctx_error(ctx), "out of memory")) {
        abort(); /* every parse error names its column */
    }
    free(expr);
    return 0;
}
