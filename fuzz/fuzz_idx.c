/* Fuzz the IDX reader: the input is written once as the images file (next
 * to a valid labels file) and once as the labels file (next to valid
 * images), gzipped or raw as it comes, and read as a directory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainset.h"

static char dir[64];

static void put(const char *name, const void *data, size_t len) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (ts_file_write_staged(NULL, path, data, len) != TS_OK) abort();
}

static void read_dir(ts_ctx *ctx) {
    ts_dataset *ds = NULL;
    ts_ctx_clear_error(ctx);
    if (ts_dataset_read(ctx, dir, "idx", NULL, &ds) != TS_OK) return;
    /* every image must load */
    for (size_t i = 0; i < ts_dataset_image_count(ds) && i < 64; i++) {
        ts_image img;
        if (ts_dataset_load_image(ctx, ds, i, NULL, &img, NULL) == TS_OK) ts_image_free(&img);
    }
    ts_dataset_destroy(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz-idx-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    static const uint8_t labels[11] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 2, 1};
    uint8_t images[16 + 3 * 4];
    memset(images, 0, sizeof images);
    images[2] = 8, images[3] = 3, images[7] = 3, images[11] = 2, images[15] = 2;
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_file_bytes = 1u << 26; /* decompression bombs stop here */
    lim.max_pixels = 1u << 22;
    ts_ctx_set_limits(ctx, &lim);
    ts_ctx_set_lenient(ctx, size & 1);
    put("train-images-idx3-ubyte", data, size);
    put("train-labels-idx1-ubyte", labels, sizeof labels);
    read_dir(ctx);
    put("train-images-idx3-ubyte", images, sizeof images);
    put("train-labels-idx1-ubyte", data, size);
    read_dir(ctx);
    ts_ctx_destroy(ctx);
    return 0;
}
