/* libFuzzer target: the JPEG decoder (libjpeg-turbo behind our error and
 * warning handling) at full and reduced scale, cropped, to 1/3/4 channels,
 * with EXIF orientation; a crop must equal the full decode's rectangle.
 * At 1/8 the gray decode that stops after the first DC scans runs too. */
#include "fuzz_image_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = fuzz_image_ctx();
    ts_decode_opts o = ts_decode_opts_default();
    /* One variant per input besides the full decode, picked by its size. */
    static const int denoms[6] = {1, 2, 4, 8, 1, 1};
    static const int channels[6] = {0, 0, 3, 0, 1, 4};
    o.scale_denom = denoms[size % 6];
    o.channels = channels[size % 6];
    o.apply_orientation = (size / 6) % 2 == 0;
    ts_image full;
    ts_decode_info info;
    if (ts_image_decode(ctx, "fuzz.jpg", data, size, &o, &full, &info) == TS_OK) {
        fuzz_check_header(&full, &info, o.scale_denom);
        if (info.header.codec == TS_CODEC_JPEG) fuzz_check_crop(ctx, data, size, &full, o);
        ts_image_free(&full);
    } else if (!*ts_ctx_error(ctx)) {
        abort(); /* every failure says why */
    }
    if (o.scale_denom == 8) {
        o.channels = 1;
        o.dc_scans_only = 1;
        ts_ctx_clear_error(ctx);
        if (ts_image_decode(ctx, "fuzz.jpg", data, size, &o, &full, &info) == TS_OK) {
            fuzz_check_header(&full, &info, o.scale_denom);
            ts_image_free(&full);
        } else if (!*ts_ctx_error(ctx)) {
            abort();
        }
    }
    ts_ctx_destroy(ctx);
    return 0;
}
