/* libFuzzer target: YOLO pose. Arbitrary bytes as the label file of two
 * pose sets beside a 7x5 PNG (kpt_shape [3, 3] and [3, 2]) and as the
 * data.yaml of a set with one valid pose row, read strict and lenient.
 * What reads is written back as YOLO and must re-read with the same
 * keypoints: equal visibility, coordinates to 1e-6 px. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_yolo_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SETS = 3 };
static char dirs[SETS][64], out[64];
static const char *const yamls[SETS] = {
    "train: images/train\nnames: [person, dog]\nkpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\n"
    "kpt_names:\n  0:\n    - nose\n    - left_eye\n    - right_eye\n",
    "train: images/train\nnames: [person]\nkpt_shape: [3, 2]\n",
    NULL, /* the input */
};

static void setup(ts_ctx *ctx) {
    if (out[0]) return;
    for (int i = 0; i < SETS; i++)
        snprintf(dirs[i], sizeof dirs[i], "/dev/shm/fuzz_yolo_pose_%d/s%d", (int)getpid(), i);
    snprintf(out, sizeof out, "/dev/shm/fuzz_yolo_pose_%d/out", (int)getpid());
    size_t len = 0;
    uint8_t *png = fuzz_yolo_png(ctx, &len);
    for (int i = 0; i < SETS; i++) {
        fuzz_yolo_put(ctx, dirs[i], "images/train/1.png", png, len);
        if (yamls[i]) fuzz_yolo_put(ctx, dirs[i], "data.yaml", yamls[i], strlen(yamls[i]));
    }
    const char *row = "0 0.5 0.5 0.2 0.2 0.1 0.2 2 0.3 0.4 1 0 0 0\n";
    fuzz_yolo_put(ctx, dirs[2], "labels/train/1.txt", row, strlen(row));
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    setup(ctx);
    for (int i = 0; i < SETS; i++) {
        fuzz_yolo_put(ctx, dirs[i], yamls[i] ? "labels/train/1.txt" : "data.yaml", data, size);
        fuzz_yolo_round_trip(ctx, dirs[i], out, check_same);
    }
    ts_ctx_destroy(ctx);
    return 0;
}
