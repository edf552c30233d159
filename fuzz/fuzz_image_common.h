/* Shared by the image fuzz targets: a context whose limits keep each input
 * small enough for many executions a second, and a crop oracle. */
#ifndef TS_FUZZ_IMAGE_COMMON_H
#define TS_FUZZ_IMAGE_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "trainset/image.h"

static inline ts_ctx *fuzz_image_ctx(void) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) abort();
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_pixels = 1u << 22;
    lim.max_dimension = 8192;
    ts_ctx_set_limits(ctx, &lim);
    return ctx;
}

/* Decoded `full` must agree with the header the decoder reports. */
static inline void fuzz_check_header(const ts_image *img, const ts_decode_info *info, int denom) {
    int w, h;
    ts_image_header_oriented_size(&info->header, &w, &h);
    if (!info->orientation_applied) w = info->header.width, h = info->header.height;
    if (img->w != (w + denom - 1) / denom || img->h != (h + denom - 1) / denom) abort();
}

/* A cropped decode must equal the same rectangle of the full decode. */
static inline void fuzz_check_crop(ts_ctx *ctx, const uint8_t *data, size_t size, const ts_image *full,
                                   ts_decode_opts o) {
    o.crop_x = full->w / 3, o.crop_y = full->h / 3;
    o.crop_w = full->w / 3 + 1, o.crop_h = full->h / 3 + 1;
    ts_image crop, view;
    if (ts_image_decode(ctx, "fuzz", data, size, &o, &crop, NULL) != TS_OK) return;
    if (ts_image_crop(ctx, full, o.crop_x, o.crop_y, o.crop_w, o.crop_h, &view) != TS_OK) abort();
    if (crop.w != view.w || crop.h != view.h || crop.c != view.c) abort();
    size_t row = (size_t)crop.w * (size_t)crop.c * ts_pixel_size(crop.type);
    for (int y = 0; y < crop.h; y++)
        if (memcmp(ts_image_row(&crop, y), ts_image_row(&view, y), row) != 0) abort();
    ts_image_free(&crop);
}

#endif
