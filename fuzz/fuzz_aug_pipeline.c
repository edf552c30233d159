/* Fuzz the augmentation pipeline parser, and the replay-log parser, and run
 * what parses on a small image: no crash, no leak, no out-of-bounds access
 * whatever the JSON says. */
#include <stdlib.h>
#include <string.h>

#include "trainset.h"

static const char fixed[] =
    "{\"ops\": [{\"op\": \"rotate\"}, {\"op\": \"brightness\"}, {\"op\": \"random_crop\", \"width\": 6, \"height\": 5}]}";

static void run(ts_ctx *ctx, const ts_aug_pipeline *p, const uint8_t *data, size_t size, int replay) {
    ts_aug_sample s;
    memset(&s, 0, sizeof s);
    if (ts_image_alloc(ctx, 9, 7, 3, TS_PIX_U8, &s.image) != TS_OK) return;
    for (int i = 0; i < 9 * 7 * 3; i++) ((uint8_t *)s.image.data)[i] = (uint8_t)(i * 37);
    s.objects = calloc(1, sizeof *s.objects);
    if (s.objects) {
        s.n_objects = 1;
        s.objects[0].has_box = 1;
        s.objects[0].bbox[0] = 1, s.objects[0].bbox[1] = 1, s.objects[0].bbox[2] = 5, s.objects[0].bbox[3] = 4;
    }
    if (replay) ts_aug_replay(ctx, p, (const char *)data, size, &s);
    else ts_aug_apply(ctx, p, 1, 0, size, &s, NULL);
    ts_aug_sample_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_pixels = 1 << 16; /* ops may ask for huge outputs: keep them small */
    ts_ctx_set_limits(ctx, &lim);
    ts_aug_pipeline *p = NULL;
    if (ts_aug_pipeline_parse(ctx, "fuzz", (const char *)data, size, &p) == TS_OK) {
        run(ctx, p, data, size, 0);
        ts_aug_pipeline_destroy(p);
    }
    ts_ctx_clear_error(ctx);
    if (ts_aug_pipeline_parse(ctx, "fixed", fixed, sizeof fixed - 1, &p) == TS_OK) {
        run(ctx, p, data, size, 1);
        ts_aug_pipeline_destroy(p);
    }
    ts_ctx_destroy(ctx);
    return 0;
}
