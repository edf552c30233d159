/* libFuzzer target: the YOLO reader on arbitrary bytes as a label file
 * beside a 7x5 PNG (strict, lenient) and as a data.yaml; what reads is
 * written back as YOLO and must re-read with as many annotations. */
#include <string.h>
#include <unistd.h>

#include "fuzz_yolo_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char flat[64], tree[64], out[64];

static void setup(ts_ctx *ctx) {
    if (flat[0]) return;
    snprintf(flat, sizeof flat, "/dev/shm/fuzz_yolo_%d/flat", (int)getpid());
    snprintf(tree, sizeof tree, "/dev/shm/fuzz_yolo_%d/tree", (int)getpid());
    snprintf(out, sizeof out, "/dev/shm/fuzz_yolo_%d/out", (int)getpid());
    size_t len = 0;
    uint8_t *png = fuzz_yolo_png(ctx, &len);
    fuzz_yolo_put(ctx, flat, "1.png", png, len);
    fuzz_yolo_put(ctx, flat, "classes.txt", "a\nb\nc\n", 6);
    fuzz_yolo_put(ctx, tree, "images/train/1.png", png, len);
    fuzz_yolo_put(ctx, tree, "labels/train/1.txt", "1 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.9 0.1 0.5 0.9\n", 44);
    free(png);
}

/* As many annotations after the round trip. */
static void same_count(const ts_dataset *a, const ts_dataset *b) {
    if (ts_dataset_annotation_count(a) != ts_dataset_annotation_count(b)) abort();
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
    fuzz_yolo_put(ctx, flat, "1.txt", data, size);
    fuzz_yolo_round_trip(ctx, flat, out, same_count);
    fuzz_yolo_put(ctx, tree, "data.yaml", data, size);
    fuzz_yolo_round_trip(ctx, tree, out, same_count);
    ts_ctx_destroy(ctx);
    return 0;
}
