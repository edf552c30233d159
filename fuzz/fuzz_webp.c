/* libFuzzer target: the WebP decoder (libwebp behind our header probe and
 * size limits), whole and cropped, to 1/3/4 channels. */
#include "fuzz_image_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = fuzz_image_ctx();
    ts_decode_opts o = ts_decode_opts_default();
    static const int channels[4] = {0, 1, 3, 4};
    o.channels = channels[size % 4];
    ts_image img;
    ts_decode_info info;
    if (ts_image_decode(ctx, "fuzz.webp", data, size, &o, &img, &info) == TS_OK) {
        fuzz_check_header(&img, &info, 1);
        if (info.header.codec == TS_CODEC_WEBP) fuzz_check_crop(ctx, data, size, &img, o);
        ts_image_free(&img);
    } else if (!*ts_ctx_error(ctx)) {
        abort();
    }
    ts_ctx_destroy(ctx);
    return 0;
}
