/* libFuzzer target: the COCO reader (strict, then lenient, then without
 * geometry) on arbitrary bytes written to a temporary .json file, the RLE
 * string decoder on the same bytes, and the writer on what was read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainset/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const ts_format ts_format_coco;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64], out[64];
    snprintf(path, sizeof path, "/tmp/fuzz_coco_%d.json", (int)getpid());
    snprintf(out, sizeof out, "/tmp/fuzz_coco_%d_out.json", (int)getpid());
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    if (ts_file_write_staged(ctx, path, data, size) != TS_OK) {
        ts_ctx_destroy(ctx);
        return 0;
    }
    ts_read_opts opts[3] = {{0, NULL}, {0, NULL}, {TS_READ_SKIP_GEOMETRY | TS_READ_NO_PROBE, NULL}};
    for (int mode = 0; mode < 3; mode++) {
        ts_ctx_set_lenient(ctx, mode == 1);
        ts_ctx_clear_error(ctx);
        ts_dataset *ds = NULL;
        if (ts_format_coco.read(ctx, path, &opts[mode], &ds) == TS_OK) {
            if (mode == 1) {
                ts_write_opts wo = {0, 0, 0, NULL};
                ts_ctx_clear_error(ctx);
                if (ts_format_coco.write(ctx, ds, out, &wo) == TS_OK) {
                    ts_dataset *back = NULL;
                    ts_ctx_set_lenient(ctx, 0);
                    if (ts_format_coco.read(ctx, out, &opts[0], &back) == TS_OK &&
                        ts_dataset_annotation_count(back) != ts_dataset_annotation_count(ds))
                        abort();
                    ts_dataset_destroy(back);
                }
                unlink(out);
            }
            ts_dataset_destroy(ds);
        }
    }
    uint32_t *counts = NULL, n = 0;
    if (ts_rle_from_string(ctx, (const char *)data, size, &counts, &n) == TS_OK) {
        char *s = NULL;
        if (ts_rle_to_string(ctx, counts, n, &s) == TS_OK) free(s);
        free(counts);
    }
    ts_ctx_destroy(ctx);
    unlink(path);
    return 0;
}
