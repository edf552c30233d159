/* Helpers shared by the VOC and CVAT tests (see xml_testutil.h). */
#include <stdlib.h>

#include "xml_testutil.h"

ts_dataset *xt_read(ts_ctx *ctx, const char *path, const char *format) {
    ts_dataset *ds = NULL;
    ts_ctx_clear_error(ctx);
    CHECK_OK(ctx, ts_dataset_read(ctx, path, format, NULL, &ds));
    return ds;
}

int xt_ann(const ts_dataset *ds, const char *path, size_t k, ts_annotation *out) {
    size_t index, n;
    const size_t *anns;
    if (!ds || !ts_dataset_find_image_path(ds, path, &index)) return 0;
    if (ts_dataset_image_annotations(NULL, ds, index, &anns, &n) != TS_OK || k >= n) return 0;
    ts_dataset_annotation(ds, anns[k], out);
    return 1;
}

long xt_count(const ts_dataset *ds, const char *path) {
    size_t index, n;
    const size_t *anns;
    if (!ds || !ts_dataset_find_image_path(ds, path, &index)) return -1;
    if (ts_dataset_image_annotations(NULL, ds, index, &anns, &n) != TS_OK) return -1;
    return (long)n;
}

const char *xt_cat(const ts_dataset *ds, int64_t id) {
    size_t index;
    ts_category c;
    if (!ts_dataset_find_category(ds, id, &index)) return "";
    ts_dataset_category(ds, index, &c);
    return c.name;
}

const char *xt_attr(const ts_attr *attrs, uint32_t n, const char *key) {
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(attrs[i].key, key)) return attrs[i].value;
    return NULL;
}

void xt_check_box(const ts_annotation *a, double x, double y, double w, double h) {
    CHECK_NEAR(a->bbox[0], x, 1e-9);
    CHECK_NEAR(a->bbox[1], y, 1e-9);
    CHECK_NEAR(a->bbox[2], w, 1e-9);
    CHECK_NEAR(a->bbox[3], h, 1e-9);
}

void xt_compare(const ts_dataset *a, const ts_dataset *b, unsigned what) {
    if (!a || !b) {
        CHECK(a && b);
        return;
    }
    CHECK_EQ_INT(ts_dataset_image_count(a), ts_dataset_image_count(b));
    CHECK_EQ_INT(ts_dataset_annotation_count(a), ts_dataset_annotation_count(b));
    size_t n = ts_dataset_image_count(a) < ts_dataset_image_count(b) ? ts_dataset_image_count(a) : ts_dataset_image_count(b);
    for (size_t i = 0; i < n; i++) {
        ts_image_entry ea, eb;
        ts_dataset_image(a, i, &ea);
        ts_dataset_image(b, i, &eb);
        CHECK_EQ_INT(ea.width, eb.width);
        CHECK_EQ_INT(ea.height, eb.height);
        CHECK_STR(ea.split, eb.split);
        if (what & XT_SAME_PATHS) CHECK_STR(ea.path, eb.path);
        const size_t *ia, *ib;
        size_t na, nb;
        if (ts_dataset_image_annotations(NULL, a, i, &ia, &na) != TS_OK ||
            ts_dataset_image_annotations(NULL, b, i, &ib, &nb) != TS_OK) {
            CHECK(0);
            continue;
        }
        CHECK_EQ_INT(na, nb);
        for (size_t k = 0; k < na && k < nb; k++) {
            ts_annotation x, y;
            ts_dataset_annotation(a, ia[k], &x);
            ts_dataset_annotation(b, ib[k], &y);
            CHECK_EQ_INT(x.kind, y.kind);
            CHECK_STR(xt_cat(a, x.category_id), xt_cat(b, y.category_id));
            for (int c = 0; c < 4; c++) CHECK_NEAR(x.bbox[c], y.bbox[c], 1e-6);
            if (what & XT_SAME_FLAGS) CHECK_EQ_INT(x.flags & ~TS_ANN_HAS_AREA, y.flags & ~TS_ANN_HAS_AREA);
            if (what & XT_SAME_TRACKS) {
                CHECK_EQ_INT(x.track_id, y.track_id);
                CHECK_EQ_INT(x.frame, y.frame);
            }
            CHECK_EQ_INT(x.rle_len, y.rle_len);
            if (x.rle_len == y.rle_len && x.rle_len) CHECK(!memcmp(x.rle, y.rle, x.rle_len * sizeof *x.rle));
            CHECK_EQ_INT(x.n_rings, y.n_rings);
            if (x.n_rings == 1 && y.n_rings == 1 && x.ring_sizes[0] == y.ring_sizes[0])
                for (uint32_t c = 0; c < x.ring_sizes[0]; c++) CHECK_NEAR(x.coords[c], y.coords[c], 1e-6);
        }
    }
}

const char *xt_file(const char *dir, const char *name, const char *text) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ts_ctx *ctx = NULL;
    ts_ctx_create(&ctx);
    char *d = ts_path_dirname(path);
    ts_mkdirs(ctx, d);
    free(d);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    ts_ctx_destroy(ctx);
    return path;
}
