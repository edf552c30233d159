/* libFuzzer target: the CVAT XML reader (strict, lenient, without
 * geometry) on arbitrary bytes as an annotations file; what reads is
 * written back as CVAT and must re-read with as many annotations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainset/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const ts_format ts_format_cvat;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64], out[64];
    snprintf(path, sizeof path, "/dev/shm/fuzz_cvat_%d.xml", (int)getpid());
    snprintf(out, sizeof out, "/dev/shm/fuzz_cvat_%d_out.xml", (int)getpid());
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    if (ts_file_write_staged(ctx, path, data, size) != TS_OK) {
        ts_ctx_destroy(ctx);
        return 0;
    }
    ts_read_opts opts[3] = {{TS_READ_NO_PROBE, NULL}, {TS_READ_NO_PROBE, NULL}, {TS_READ_SKIP_GEOMETRY | TS_READ_NO_PROBE, NULL}};
    for (int mode = 0; mode < 3; mode++) {
        ts_ctx_set_lenient(ctx, mode == 1);
        ts_ctx_clear_error(ctx);
        ts_dataset *ds = NULL;
        if (ts_format_cvat.read(ctx, path, &opts[mode], &ds) != TS_OK) continue;
        if (mode == 1) {
            ts_write_opts wo = {0, 0, 0, NULL};
            ts_ctx_clear_error(ctx);
            if (ts_format_cvat.write(ctx, ds, out, &wo) == TS_OK) {
                ts_dataset *back = NULL;
                if (ts_format_cvat.read(ctx, out, &opts[0], &back) == TS_OK &&
                    ts_dataset_annotation_count(back) < ts_dataset_annotation_count(ds))
                    abort();
                ts_dataset_destroy(back);
            }
            unlink(out);
        }
        ts_dataset_destroy(ds);
    }
    unlink(path);
    ts_ctx_destroy(ctx);
    return 0;
}
