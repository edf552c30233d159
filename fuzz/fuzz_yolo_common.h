/* Shared by the YOLO fuzz targets: writing a file of a test set, the 7x5
 * PNG the label files sit beside, and the read -> write -> read round trip
 * (strict, then lenient) whose second read must succeed and agree. */
#ifndef TS_FUZZ_YOLO_COMMON_H
#define TS_FUZZ_YOLO_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "formats/yolo_internal.h"

extern const ts_format ts_format_yolo;

static inline void fuzz_yolo_put(ts_ctx *ctx, const char *dir, const char *name, const void *d, size_t n) {
    char *p = ts_path_join(dir, name);
    if (p) ts_file_write_staged(ctx, p, d, n);
    ts_ctx_clear_error(ctx);
    free(p);
}

/* A 7x5 RGB PNG (malloc'd bytes). */
static inline uint8_t *fuzz_yolo_png(ts_ctx *ctx, size_t *len) {
    ts_image img;
    uint8_t *png = NULL;
    if (ts_image_alloc(ctx, 7, 5, 3, TS_PIX_U8, &img) != TS_OK) abort();
    ts_encode_opts eo = {TS_CODEC_PNG, 90, 0};
    if (ts_image_encode(ctx, &img, &eo, &png, len) != TS_OK) abort();
    ts_image_free(&img);
    return png;
}

/* Read `dir`, write what reads to `out`, read that back: our own output
 * must read, and `same` (which aborts on a difference) compares the two. */
static inline void fuzz_yolo_round_trip(ts_ctx *ctx, const char *dir, const char *out,
                                        void (*same)(const ts_dataset *a, const ts_dataset *b)) {
    for (int mode = 0; mode < 2; mode++) {
        ts_ctx_set_lenient(ctx, mode);
        ts_ctx_clear_error(ctx);
        ts_dataset *ds = NULL, *back = NULL;
        ts_read_opts ro = {0, NULL};
        if (ts_format_yolo.read(ctx, dir, &ro, &ds) != TS_OK) continue;
        ts_write_opts wo = {1, 0, 0, NULL};
        ts_ctx_set_lenient(ctx, 0);
        if (ts_format_yolo.write(ctx, ds, out, &wo) == TS_OK) {
            if (ts_format_yolo.read(ctx, out, &ro, &back) != TS_OK) {
                fprintf(stderr, "re-read failed: %s\n", ts_ctx_error(ctx));
                abort();
            }
            same(ds, back);
        }
        ts_dataset_destroy(back);
        ts_dataset_destroy(ds);
    }
}

#endif
