/* libFuzzer target: the PNG decoder (libpng with our memory reader and
 * error handling) to 8 and 16 bit and to 1..4 channels; a decoded image
 * must survive an encode/decode round trip unchanged. */
#include "fuzz_image_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = fuzz_image_ctx();
    ts_decode_opts o = ts_decode_opts_default();
    static const int channels[4] = {0, 1, 3, 4};
    o.channels = channels[size % 4];
    o.keep_16bit = (size / 4) % 2;
    ts_image img;
    ts_decode_info info;
    if (ts_image_decode(ctx, "fuzz.png", data, size, &o, &img, &info) == TS_OK) {
        fuzz_check_header(&img, &info, 1);
        uint8_t *enc = NULL;
        size_t len = 0;
        ts_encode_opts eo = {TS_CODEC_PNG, 0, 0};
        if (ts_image_encode(ctx, &img, &eo, &enc, &len) != TS_OK) abort();
        ts_image back;
        ts_decode_opts bo = ts_decode_opts_default();
        bo.keep_16bit = 1;
        if (ts_image_decode(ctx, "again.png", enc, len, &bo, &back, NULL) != TS_OK) abort();
        if (back.w != img.w || back.h != img.h || back.c != img.c || back.type != img.type) abort();
        size_t row = (size_t)img.w * (size_t)img.c * ts_pixel_size(img.type);
        for (int y = 0; y < img.h; y++)
            if (memcmp(ts_image_row(&img, y), ts_image_row(&back, y), row) != 0) abort();
        ts_image_free(&back);
        free(enc);
        if (info.header.codec == TS_CODEC_PNG && img.type == TS_PIX_U8) fuzz_check_crop(ctx, data, size, &img, o);
        ts_image_free(&img);
    } else if (!*ts_ctx_error(ctx)) {
        abort();
    }
    ts_ctx_destroy(ctx);
    return 0;
}
