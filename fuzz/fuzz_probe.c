/* libFuzzer target: header probing of all three codecs and the EXIF
 * orientation reader. A probe of any prefix either fails or reports the
 * size the whole input reports, and never reads past the bytes given. */
#include "fuzz_image_common.h"
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = fuzz_image_ctx();
    ts_image_header whole, part;
    int ok = ts_image_probe(ctx, data, size, &whole) == TS_OK;
    if (!ok && !*ts_ctx_error(ctx)) abort();
    if (ok && (whole.width <= 0 || whole.height <= 0 || whole.channels < 1 || whole.channels > 4 ||
               whole.orientation < 1 || whole.orientation > 8))
        abort();
    /* a copy of each prefix, so ASan sees any read past its end */
    size_t cut = size ? (size_t)data[0] * 131 % (size + 1) : 0;
    uint8_t *prefix = malloc(cut ? cut : 1);
    memcpy(prefix, data, cut);
    ts_ctx_clear_error(ctx);
    if (ts_image_probe(ctx, prefix, cut, &part) == TS_OK && ok) {
        if (part.width != whole.width || part.height != whole.height || part.codec != whole.codec) abort();
    }
    free(prefix);
    int orientation = ts_exif_orientation(data, size);
    if (orientation < 1 || orientation > 8) abort();
    ts_ctx_destroy(ctx);
    return 0;
}
