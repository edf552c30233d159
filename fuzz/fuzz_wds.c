/* Fuzz the WebDataset reader: the input is one shard (tar, or compressed
 * tar), read whole; every image's bytes are fetched back through the pixel
 * source, which must agree with the member offsets it found. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainset.h"

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz-wds-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    char path[128];
    snprintf(path, sizeof path, "%s/train-000000.tar", dir);
    if (ts_file_write_staged(NULL, path, data, size) != TS_OK) abort();
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_file_bytes = 1u << 24;
    lim.max_pixels = 1u << 20;
    ts_ctx_set_limits(ctx, &lim);
    ts_ctx_set_lenient(ctx, size & 1);
    ts_read_opts opts = {size & 2 ? TS_READ_NO_PROBE : 0, NULL};
    ts_dataset *ds = NULL;
    if (ts_dataset_read(ctx, path, "wds", &opts, &ds) == TS_OK) {
        for (size_t i = 0; i < ts_dataset_image_count(ds) && i < 16; i++) {
            uint8_t *bytes;
            size_t len;
            if (ts_dataset_image_bytes(ctx, ds, i, &bytes, &len) == TS_OK) free(bytes);
        }
        ts_dataset_validate(ctx, ds);
        ts_dataset_destroy(ds);
    }
    ts_ctx_destroy(ctx);
    return 0;
}
