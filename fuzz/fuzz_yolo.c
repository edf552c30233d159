/* libFuzzer target: the YOLO reader on arbitrary bytes as a label file
 * beside a 7x5 PNG (strict, lenient) and as a data.yaml; what reads is
 * written back as YOLO and must re-read with as many annotations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/yolo_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const ts_format ts_format_yolo;

static char flat[64], tree[64], out[64];

static void put(ts_ctx *ctx, const char *dir, const char *name, const void *d, size_t n) {
    char *p = ts_path_join(dir, name);
    if (p) ts_file_write_staged(ctx, p, d, n);
    ts_ctx_clear_error(ctx);
    free(p);
}

static void setup(ts_ctx *ctx) {
    if (flat[0]) return;
    snprintf(flat, sizeof flat, "/dev/shm/fuzz_yolo_%d/flat", (int)getpid());
    snprintf(tree, sizeof tree, "/dev/shm/fuzz_yolo_%d/tree", (int)getpid());
    snprintf(out, sizeof out, "/dev/shm/fuzz_yolo_%d/out", (int)getpid());
    ts_image img;
    uint8_t *png = NULL;
    size_t len = 0;
    if (ts_image_alloc(ctx, 7, 5, 3, TS_PIX_U8, &img) != TS_OK) abort();
    ts_encode_opts eo = {TS_CODEC_PNG, 90, 0};
    if (ts_image_encode(ctx, &img, &eo, &png, &len) != TS_OK) abort();
    ts_image_free(&img);
    put(ctx, flat, "1.png", png, len);
    put(ctx, flat, "classes.txt", "a\nb\nc\n", 6);
    put(ctx, tree, "images/train/1.png", png, len);
    put(ctx, tree, "labels/train/1.txt", "1 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.9 0.1 0.5 0.9\n", 44);
    free(png);
}

static void read_and_round_trip(ts_ctx *ctx, const char *dir) {
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
                abort(); /* our own output must read */
            }
            if (ts_dataset_annotation_count(back) != ts_dataset_annotation_count(ds)) abort();
        }
        ts_dataset_destroy(back);
        ts_dataset_destroy(ds);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    setup(ctx);
    ts_yaml_doc doc;
    if (ts_yaml_parse(ctx, "fuzz.yaml", (const char *)data, size, &doc) == TS_OK) {
        (void)ts_yaml_get(&doc, "names");
        ts_yaml_free(&doc);
    }
    put(ctx, flat, "1.txt", data, size);
    read_and_round_trip(ctx, flat);
    put(ctx, tree, "data.yaml", data, size);
    read_and_round_trip(ctx, tree);
    ts_ctx_destroy(ctx);
    return 0;
}
