/* Channel-layout conversion (gray, gray+alpha, RGB, RGBA; 8 and 16 bit) and
 * HWC u8 -> normalized CHW float for the trainer. */
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"

/* BT.601 luma in 14-bit fixed point, the integers cv2.COLOR_RGB2GRAY uses. */
#define LUMA(r, g, b) (((r) * 4899u + (g) * 9617u + (b) * 1868u + 8192u) >> 14)

/* Any layout to any layout, one pixel at a time; the common 8-bit pairs
 * below have their own loops. */
#define CONVERT_ANY(T, MAXV)                                                                                  \
    for (int y = 0; y < src->h; y++) {                                                                       \
        const T *s = ts_image_row(src, y);                                                                   \
        T *d = ts_image_row(dst, y);                                                                         \
        for (int x = 0; x < src->w; x++, s += sc, d += dc) {                                                 \
            uint32_t r = s[0], g = sc >= 3 ? s[1] : r, b = sc >= 3 ? s[2] : r;                               \
            uint32_t a = sc == 2 ? s[1] : sc == 4 ? s[3] : (MAXV);                                           \
            uint32_t v = sc >= 3 ? LUMA(r, g, b) : r;                                                        \
            switch (dc) {                                                                                    \
            case 1: d[0] = (T)v; break;                                                                      \
            case 2: d[0] = (T)v, d[1] = (T)a; break;                                                         \
            case 3: d[0] = (T)r, d[1] = (T)g, d[2] = (T)b; break;                                            \
            default: d[0] = (T)r, d[1] = (T)g, d[2] = (T)b, d[3] = (T)a; break;                              \
            }                                                                                                \
        }                                                                                                    \
    }

static int convert_u8_fast(const ts_image *src, const ts_image *dst) {
    int sc = src->c, dc = dst->c, w = src->w;
    int pair = sc * 10 + dc;
    if (pair != 13 && pair != 31 && pair != 43 && pair != 34 && pair != 41) return 0;
    for (int y = 0; y < src->h; y++) {
        const uint8_t *s = ts_image_row(src, y);
        uint8_t *d = ts_image_row(dst, y);
        switch (pair) {
        case 13:
            for (int x = 0; x < w; x++) d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = s[x];
            break;
        case 31:
            for (int x = 0; x < w; x++) d[x] = (uint8_t)LUMA(s[3 * x], s[3 * x + 1], s[3 * x + 2]);
            break;
        case 41:
            for (int x = 0; x < w; x++) d[x] = (uint8_t)LUMA(s[4 * x], s[4 * x + 1], s[4 * x + 2]);
            break;
        case 43:
            for (int x = 0; x < w; x++) d[3 * x] = s[4 * x], d[3 * x + 1] = s[4 * x + 1], d[3 * x + 2] = s[4 * x + 2];
            break;
        case 34:
            for (int x = 0; x < w; x++)
                d[4 * x] = s[3 * x], d[4 * x + 1] = s[3 * x + 1], d[4 * x + 2] = s[3 * x + 2], d[4 * x + 3] = 255;
            break;
        }
    }
    return 1;
}

ts_status ts_image_convert_into(ts_ctx *ctx, const ts_image *src, const ts_image *dst) {
    int sc = src->c, dc = dst->c;
    if (sc < 1 || sc > 4 || dc < 1 || dc > 4)
        return ts_error(ctx, TS_ERR_INVALID, "convert: %d channels to %d (1 to 4 each)", sc, dc);
    if (src->w != dst->w || src->h != dst->h || src->type != dst->type || !src->data || !dst->data)
        return ts_error(ctx, TS_ERR_INVALID, "convert: a %dx%d image into a %dx%d one of another type", src->w,
                        src->h, dst->w, dst->h);
    if (src->type == TS_PIX_F32) return ts_error(ctx, TS_ERR_UNSUPPORTED, "convert: float pixels");
    if (sc == dc) return ts_image_copy_into(ctx, src, dst);
    if (src->type == TS_PIX_U8) {
        if (!convert_u8_fast(src, dst)) CONVERT_ANY(uint8_t, 255u)
    } else {
        CONVERT_ANY(uint16_t, 65535u)
    }
    return TS_OK;
}

ts_status ts_image_convert(ts_ctx *ctx, const ts_image *src, int channels, ts_image *out) {
    if (channels < 1 || channels > 4)
        return ts_error(ctx, TS_ERR_INVALID, "convert: %d channels (1 to 4)", channels);
    ts_image img;
    ts_status s = ts_image_alloc(ctx, src->w, src->h, channels, src->type, &img);
    if (s != TS_OK) return s;
    s = ts_image_convert_into(ctx, src, &img);
    if (s != TS_OK) {
        ts_image_free(&img);
        return s;
    }
    *out = img;
    return TS_OK;
}

ts_status ts_image_to_chw_f32(ts_ctx *ctx, const ts_image *src, const float *mean, const float *std, float *dst) {
    if (src->type != TS_PIX_U8 || !src->data || !dst || src->w <= 0 || src->h <= 0 || src->c <= 0)
        return ts_error(ctx, TS_ERR_INVALID, "to CHW float: needs a non-empty 8-bit image and an output");
    int c = src->c, w = src->w, h = src->h;
    /* (v / 255 - mean) / std as one multiply-add per sample, through a
     * 256-entry table per channel: the gather is the only cost left. */
    float *lut = ts_alloc_array(ctx, (size_t)c * 256, sizeof *lut);
    if (!lut) return TS_ERR_NOMEM;
    for (int k = 0; k < c; k++) {
        float sd = std ? std[k] : 1.f, m = mean ? mean[k] : 0.f;
        if (!(sd != 0.f)) {
            free(lut);
            return ts_error(ctx, TS_ERR_INVALID, "to CHW float: std[%d] is zero", k);
        }
        for (int v = 0; v < 256; v++) lut[k * 256 + v] = ((float)v / 255.f - m) / sd;
    }
    size_t plane = (size_t)w * (size_t)h;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = ts_image_row(src, y);
        for (int k = 0; k < c; k++) {
            const float *t = lut + k * 256;
            float *d = dst + (size_t)k * plane + (size_t)y * (size_t)w;
            const uint8_t *p = s + k;
            for (int x = 0; x < w; x++, p += c) d[x] = t[*p];
        }
    }
    free(lut);
    return TS_OK;
}
