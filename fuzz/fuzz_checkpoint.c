/* Fuzz the checkpoint reader and the model spec parser. Inputs starting
 * with "TSNNCKPT" are checkpoints, read once as given and once with their
 * checksum recomputed so the fields behind it are reached; other inputs are
 * spec text (or JSON) for a 1x28x28 input and 10 classes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define HASH_SEED 0x74736e6e636b7074ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx)) return 0;
    ts_ctx_set_threads(ctx, 1);
    ts_nn_model *m = NULL;
    if (size >= 8 && memcmp(data, "TSNNCKPT", 8) == 0) {
        if (ts_nn_checkpoint_load_buffer(ctx, "fuzz", data, size, &m) == TS_OK) ts_nn_model_destroy(m);
        m = NULL;
        if (size >= 20) {
            uint8_t *copy = malloc(size);
            if (copy) {
                memcpy(copy, data, size);
                uint64_t h = ts_hash_bytes(copy, size - 8, HASH_SEED);
                for (int i = 0; i < 8; i++) copy[size - 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
                ts_ctx_clear_error(ctx);
                if (ts_nn_checkpoint_load_buffer(ctx, "fuzz", copy, size, &m) == TS_OK) {
                    /* a loaded model must run */
                    int c, hh, w;
                    ts_nn_model_input(m, &c, &hh, &w);
                    if ((size_t)c * hh * w <= 4096) {
                        float *x = calloc((size_t)c * hh * w, sizeof(float));
                        float *p = calloc((size_t)ts_nn_model_classes(m), sizeof(float));
                        if (x && p) ts_nn_predict(ctx, m, x, 1, p);
                        free(x), free(p);
                    }
                    ts_nn_model_destroy(m);
                }
                free(copy);
            }
        }
    } else if (size < 4096) {
        char *spec = malloc(size + 2);
        if (spec) {
            memcpy(spec, data, size);
            spec[size] = '\n'; /* a newline keeps it spec text, never a file name */
            spec[size + 1] = 0;
            if (nn_model_create_limited(ctx, spec, 1, 28, 28, 10, 1, 1u << 20, &m) == TS_OK)
                ts_nn_model_destroy(m);
            free(spec);
        }
    }
    ts_ctx_destroy(ctx);
    return 0;
}
