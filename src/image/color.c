/* Channel-layout conversion (gray, gray+alpha, RGB, RGBA; 8 and 16 bit) and
 * HWC u8 -> normalized CHW float for the trainer. */
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"
#include "image/simd.h"

#ifdef TS_IMAGE_X86
#include <immintrin.h>
#endif

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

/* The three channel planes of 16 RGB pixels (48 bytes): each plane gathers
 * its bytes from the three 16-byte words by one byte shuffle apiece. */
#ifdef TS_IMAGE_X86
/* For plane k and 16-byte word `part` of 16 RGB pixels, where each of the
 * plane's 16 bytes sits in that word (-1: in another word). */
static const int8_t rgb_split_index[3][3][16] = {
    {{0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
     {-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1},
     {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13}},
    {{1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
     {-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1},
     {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14}},
    {{2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
     {-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1},
     {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15}}};

__attribute__((target("avx2"))) static void split_rgb16(const uint8_t *p, __m128i planes[3]) {
    __m128i w[3] = {_mm_loadu_si128((const __m128i *)p), _mm_loadu_si128((const __m128i *)(p + 16)),
                    _mm_loadu_si128((const __m128i *)(p + 32))};
    for (int k = 0; k < 3; k++) {
        __m128i plane = _mm_setzero_si128();
        for (int part = 0; part < 3; part++) {
            __m128i index = _mm_loadu_si128((const __m128i *)(const void *)rgb_split_index[k][part]);
            plane = _mm_or_si128(plane, _mm_shuffle_epi8(w[part], index));
        }
        planes[k] = plane;
    }
}

/* One RGB row to three float plane rows, 16 pixels a step; returns the
 * pixels done. Multiply then add, as the table of the portable loop. */
__attribute__((target("avx2"))) static int rgb_row_to_planes_avx2(const uint8_t *s, int w, const float *scale,
                                                                  const float *bias, float *const d[3]) {
    int x = 0;
    for (; x + 16 <= w; x += 16) {
        __m128i planes[3];
        split_rgb16(s + (size_t)x * 3, planes);
        for (int k = 0; k < 3; k++) {
            __m256 a = _mm256_set1_ps(scale[k]), b = _mm256_set1_ps(bias[k]);
            __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(planes[k]));
            __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(planes[k], 8)));
            _mm256_storeu_ps(d[k] + x, _mm256_add_ps(_mm256_mul_ps(lo, a), b));
            _mm256_storeu_ps(d[k] + x + 8, _mm256_add_ps(_mm256_mul_ps(hi, a), b));
        }
    }
    return x;
}
#endif

ts_status ts_image_to_chw_f32(ts_ctx *ctx, const ts_image *src, const float *mean, const float *std, float *dst) {
    if (src->type != TS_PIX_U8 || !src->data || !dst || src->w <= 0 || src->h <= 0 || src->c <= 0)
        return ts_error(ctx, TS_ERR_INVALID, "to CHW float: needs a non-empty 8-bit image and an output");
    int c = src->c, w = src->w, h = src->h;
    /* (v / 255 - mean) / std as v * scale + bias, rounded after the multiply
     * and after the add; the portable loop reads it from a 256-entry table
     * per channel, the vector loop computes it. */
    float *lut = ts_alloc_array(ctx, (size_t)c * 256 + 2 * (size_t)c, sizeof *lut);
    if (!lut) return TS_ERR_NOMEM;
    float *scale = lut + (size_t)c * 256, *bias = scale + c;
    for (int k = 0; k < c; k++) {
        double sd = std ? std[k] : 1.0, m = mean ? mean[k] : 0.0;
        if (!(sd != 0.0)) {
            free(lut);
            return ts_error(ctx, TS_ERR_INVALID, "to CHW float: std[%d] is zero", k);
        }
        scale[k] = (float)(1.0 / (255.0 * sd)), bias[k] = (float)(-m / sd);
        for (int v = 0; v < 256; v++) {
            float product = (float)v * scale[k]; /* a statement of its own: never fused into one rounding */
            lut[k * 256 + v] = product + bias[k];
        }
    }
    size_t plane = (size_t)w * (size_t)h;
#ifdef TS_IMAGE_X86
    int vector = c == 3 && ts_image_simd() >= TS_IMAGE_SIMD_AVX2;
#endif
    for (int y = 0; y < h; y++) {
        const uint8_t *s = ts_image_row(src, y);
        int x0 = 0;
#ifdef TS_IMAGE_X86
        if (vector) {
            float *const d[3] = {dst + (size_t)y * w, dst + plane + (size_t)y * w, dst + 2 * plane + (size_t)y * w};
            x0 = rgb_row_to_planes_avx2(s, w, scale, bias, d);
        }
#endif
        for (int k = 0; k < c; k++) {
            const float *t = lut + k * 256;
            float *d = dst + (size_t)k * plane + (size_t)y * (size_t)w;
            const uint8_t *p = s + (size_t)x0 * c + k;
            for (int x = x0; x < w; x++, p += c) d[x] = t[*p];
        }
    }
    free(lut);
    return TS_OK;
}
