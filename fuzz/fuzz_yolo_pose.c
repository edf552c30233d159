/* libFuzzer target: YOLO pose. Arbitrary bytes as the label file of two
 * pose sets beside a 7x5 PNG (kpt_shape [3, 3] and [3, 2]) and as the
 * data.yaml of a set with one valid pose row, read strict and lenient.
 * What reads is written back as YOLO and must re-read with the same
 * keypoints: equal visibility, coordinates to 1e-6 px. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/yolo_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const ts_format ts_format_yolo;

enum { SETS = 3 };
static char dirs[SETS][64], out[64];
static const char *const yamls[SETS] = {
    "train: images/train\nnames: [person, dog]\nkpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\n"
    "kpt_names:\n  0:\n    - nose\n    - left_eye\n    - right_eye\n",
    "train: images/train\nnames: [person]\nkpt_shape: [3, 2]\n",
    NULL, /* the input */
};

static void put(ts_ctx *ctx, const char *dir, const char *name, const void *d, size_t n) {
    char *p = ts_path_join(dir, name);
    if (p) ts_file_write_staged(ctx, p, d, n);
    ts_ctx_clear_error(ctx);
    free(p);
}

static void setup(ts_ctx *ctx) {
    if (out[0]) return;
    for (int i = 0; i < SETS; i++)
        snprintf(dirs[i], sizeof dirs[i], "/dev/shm/fuzz_yolo_pose_%d/s%d", (int)getpid(), i);
    snprintf(out, sizeof out, "/dev/shm/fuzz_yolo_pose_%d/out", (int)getpid());
    ts_image img;
    uint8_t *png = NULL;
    size_t len = 0;
    if (ts_image_alloc(ctx, 7, 5, 3, TS_PIX_U8, &img) != TS_OK) abort();
    ts_encode_opts eo = {TS_CODEC_PNG, 90, 0};
    if (ts_image_encode(ctx, &img, &eo, &png, &len) != TS_OK) abort();
    ts_image_free(&img);
    for (int i = 0; i < SETS; i++) {
        put(ctx, dirs[i], "images/train/1.png", png, len);
        if (yamls[i]) put(ctx, dirs[i], "data.yaml", yamls[i], strlen(yamls[i]));
    }
    const char *row = "0 0.5 0.5 0.2 0.2 0.1 0.2 2 0.3 0.4 1 0 0 0\n";
    put(ctx, dirs[2], "labels/train/1.txt", row, strlen(row));
    free(png);
}

/* Same annotations in order, keypoints equal (visibility exactly). */
static void check_same(const ts_dataset *a, const ts_dataset *b) {
    size_t n = ts_dataset_annotation_count(a);
    if (ts_dataset_annotation_count(b) != n) abort();
    for (size_t i = 0; i < n; i++) {
        ts_annotation p, q;
        ts_dataset_annotation(a, i, &p);
        ts_dataset_annotation(b, i, &q);
        if (p.kind != q.kind || p.n_keypoints != q.n_keypoints) abort();
        for (uint32_t k = 0; k < 3 * p.n_keypoints; k++) {
            double d = fabs(p.keypoints[k] - q.keypoints[k]);
            if (k % 3 == 2 ? d != 0 : !(d <= 1e-6)) abort();
        }
        for (int c = 0; c < 4; c++)
            if (!(fabs(p.bbox[c] - q.bbox[c]) <= 1e-6)) abort();
    }
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
            check_same(ds, back);
        }
        ts_dataset_destroy(back);
        ts_dataset_destroy(ds);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    setup(ctx);
    for (int i = 0; i < SETS; i++) {
        put(ctx, dirs[i], yamls[i] ? "labels/train/1.txt" : "data.yaml", data, size);
        read_and_round_trip(ctx, dirs[i]);
    }
    ts_ctx_destroy(ctx);
    return 0;
}
