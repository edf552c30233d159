/* WebP decode and encode through libwebp (still images; lossy and lossless,
 * with or without alpha). Animations are refused. */
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/encode.h>

#include "image/image_internal.h"

ts_status ts_webp_decode(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len, const ts_image_header *hdr,
                         ts_image *out) {
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(data, len, &f);
    if (st != VP8_STATUS_OK)
        return ts_error(ctx, TS_ERR_CORRUPT, "%s: corrupt WebP: %s", label,
                        st == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated header" : "bad header");
    if (f.has_animation) return ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: animated WebP", label);
    if (f.width != hdr->width || f.height != hdr->height)
        return ts_error(ctx, TS_ERR_CORRUPT, "%s: corrupt WebP: canvas %dx%d but image %dx%d", label, hdr->width,
                        hdr->height, f.width, f.height);
    ts_image img;
    ts_status s = ts_image_alloc(ctx, f.width, f.height, f.has_alpha ? 4 : 3, TS_PIX_U8, &img);
    if (s != TS_OK) return s;
    size_t size = img.stride * (size_t)img.h; /* ts_image_alloc checked the product */
    uint8_t *p = f.has_alpha ? WebPDecodeRGBAInto(data, len, img.data, size, (int)img.stride)
                             : WebPDecodeRGBInto(data, len, img.data, size, (int)img.stride);
    if (!p) {
        ts_image_free(&img);
        return ts_error(ctx, TS_ERR_CORRUPT, "%s: corrupt WebP: the image data does not decode (truncated?)", label);
    }
    *out = img;
    return TS_OK;
}

ts_status ts_webp_encode(ts_ctx *ctx, const ts_image *img, int quality, int lossless, uint8_t **data, size_t *len) {
    if (img->c != 3 && img->c != 4) return ts_error(ctx, TS_ERR_UNSUPPORTED, "WebP encode: %d channels", img->c);
    if (img->w > WEBP_MAX_DIMENSION || img->h > WEBP_MAX_DIMENSION)
        return ts_error(ctx, TS_ERR_LIMIT, "WebP encode: %dx%d exceeds WebP's largest side of %d", img->w, img->h,
                        WEBP_MAX_DIMENSION);
    if (img->stride > INT32_MAX) return ts_error(ctx, TS_ERR_LIMIT, "WebP encode: row stride too large");
    uint8_t *buf = NULL;
    const uint8_t *px = img->data;
    int stride = (int)img->stride;
    size_t n;
    if (lossless)
        n = img->c == 4 ? WebPEncodeLosslessRGBA(px, img->w, img->h, stride, &buf)
                        : WebPEncodeLosslessRGB(px, img->w, img->h, stride, &buf);
    else
        n = img->c == 4 ? WebPEncodeRGBA(px, img->w, img->h, stride, (float)quality, &buf)
                        : WebPEncodeRGB(px, img->w, img->h, stride, (float)quality, &buf);
    if (n == 0 || !buf) {
        WebPFree(buf);
        return ts_error(ctx, TS_ERR_NOMEM, "WebP encode of a %dx%d image failed", img->w, img->h);
    }
    /* Hand back plain malloc'd memory: WebPFree need not be free(). */
    uint8_t *copy = malloc(n);
    if (copy) memcpy(copy, buf, n);
    WebPFree(buf);
    if (!copy) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    *data = copy;
    *len = n;
    return TS_OK;
}
