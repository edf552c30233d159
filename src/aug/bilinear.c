/* Bilinear sampling at fixed-point positions (bilinear.h): positions from
 * a projective row or a remap field, and the blend of the four taps with
 * 6-bit weights, portable, AVX2 and AVX-512 (the same bytes). */
#include <math.h>
#include <string.h>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define BILINEAR_X86 1
#endif

#include "aug_internal.h"
#include "bilinear.h"

#ifdef __clang__
/* the vector and portable position loops must round alike: no fused multiply-adds */
#pragma STDC FP_CONTRACT OFF
#endif

#define FRAC AUG_SUBPIXEL_BITS
#define ONE (1 << FRAC)
#define HALF_OUT (1 << (2 * FRAC - 1))
/* positions are clamped to +-2^30 / 64 px: far outside any image, inside int32 */
#define FAR 1073741824.0

int aug_border_index(int i, int n, int border) {
    if (i >= 0 && i < n) return i;
    if (border == 0) return -1;
    if (border == 2) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    int period = 2 * (n - 1); /* reflect-101: gfedcb|abcdefgh|gfedcba */
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
}

/* Positions are rounded half to even, clamped to +-FAR (NaN to -FAR).
 * Spans that stay well inside need no clamps, and their loops, without
 * branches, vectorise; the clones give the same bytes (IEEE arithmetic,
 * no contraction). */
#define POSITION_KERNEL AUG_POSITION_CLONES

/* v rounded half to even (in the default rounding mode) for |v| < 2^51,
 * without a libm call: adding 1.5 * 2^52 leaves no fraction bits, so the
 * sum is rounded there and the difference is exact. */
static inline double round_even(double v) {
    const double shift = 6755399441055744.0;
    return (v + shift) - shift;
}

static int32_t fixed_of(double v) {
    v = v > -FAR ? v : -FAR;
    return (int32_t)round_even(v < FAR ? v : FAR);
}

static int affine_row(const double row[6]) { return row[4] == 1 && row[5] == 0; }

/* The source point of output pixel t in 1/64 px, unrounded. */
static inline void projective_point(const double row[6], double t, double *x, double *y) {
    double r = ONE / (row[4] + row[5] * t);
    *x = (row[0] + row[1] * t) * r, *y = (row[2] + row[3] * t) * r;
}

/* Scaling by ONE (a power of two) before or after the sum is the same
 * double. */
POSITION_KERNEL static void affine_span(const double row[6], int x0, int n, int32_t *xs, int32_t *ys) {
    double bx = row[0] * ONE, ax = row[1] * ONE, by = row[2] * ONE, ay = row[3] * ONE;
    for (int i = 0; i < n; i++) {
        double t = x0 + i;
        xs[i] = (int32_t)round_even(bx + ax * t), ys[i] = (int32_t)round_even(by + ay * t);
    }
}

POSITION_KERNEL static void projective_span(const double row[6], int x0, int n, int32_t *xs, int32_t *ys) {
    for (int i = 0; i < n; i++) {
        double x, y;
        projective_point(row, x0 + i, &x, &y);
        xs[i] = (int32_t)round_even(x), ys[i] = (int32_t)round_even(y);
    }
}

/* Whether the positions of a span stay inside +-FAR / 2: a ratio of
 * linear functions is monotone between its poles, so the ends bound it. */
static int projective_in_range(const double row[6], int x0, int n) {
    double w0 = row[4] + row[5] * x0, w1 = row[4] + row[5] * (x0 + n - 1);
    if (!(w0 * w1 > 0)) return 0;
    for (int end = 0; end < 2; end++) {
        double x, y;
        projective_point(row, end ? x0 + n - 1 : x0, &x, &y);
        if (!(fabs(x) < FAR / 2 && fabs(y) < FAR / 2)) return 0;
    }
    return 1;
}

void aug_positions_projective(const double row[6], int x0, int n, int32_t *xs, int32_t *ys) {
    if (n > 0 && projective_in_range(row, x0, n)) {
        if (affine_row(row)) affine_span(row, x0, n, xs, ys);
        else projective_span(row, x0, n, xs, ys);
        return;
    }
    for (int i = 0; i < n; i++) {
        double x, y;
        projective_point(row, x0 + i, &x, &y);
        xs[i] = fixed_of(x), ys[i] = fixed_of(y);
    }
}

/* A remap point (pixel-edge) in 1/64 px, in floats; |v| < 2^22 rounds
 * half to even by the float form of round_even. */
static inline float field_point(float f) { return (f - 0.5f) * (float)ONE; }
#define FIELD_LIMIT 65000.0f /* px: 64 (FIELD_LIMIT + 1) < 2^22 */

POSITION_KERNEL static int field_in_range(const float *fx, const float *fy, int n) {
    int inside = 1;
    for (int i = 0; i < n; i++) inside &= (fabsf(fx[i]) < FIELD_LIMIT) & (fabsf(fy[i]) < FIELD_LIMIT);
    return inside;
}

POSITION_KERNEL static void field_span(const float *fx, const float *fy, int n, int32_t *xs, int32_t *ys) {
    const float shift = 12582912.0f; /* 1.5 * 2^23 */
    for (int i = 0; i < n; i++)
        xs[i] = (int32_t)((field_point(fx[i]) + shift) - shift), ys[i] = (int32_t)((field_point(fy[i]) + shift) - shift);
}

void aug_positions_field(const float *fx, const float *fy, int n, int32_t *xs, int32_t *ys) {
    if (field_in_range(fx, fy, n)) {
        field_span(fx, fy, n, xs, ys);
        return;
    }
    for (int i = 0; i < n; i++) xs[i] = fixed_of(field_point(fx[i])), ys[i] = fixed_of(field_point(fy[i]));
}

/* The four taps (top-left, top-right, bottom-left, bottom-right) blended:
 * rows first, each to 14 bits, then the column, rounded. */
static inline void blend(const uint8_t *const t[4], int c, int fx, int fy, uint8_t *o) {
    int gx = ONE - fx, gy = ONE - fy;
    for (int k = 0; k < c; k++) {
        int top = t[0][k] * gx + t[1][k] * fx, bottom = t[2][k] * gx + t[3][k] * fx;
        o[k] = (uint8_t)((top * gy + bottom * fy + HALF_OUT) >> (2 * FRAC));
    }
}

/* The blend at (X, Y) when all four taps are inside: (x0, y0) is a pixel
 * with a right and a lower neighbour. */
static inline void blend_inside(const ts_image *im, int c, int x0, int y0, int32_t X, int32_t Y, uint8_t *o) {
    const uint8_t *t[4];
    t[0] = (const uint8_t *)ts_image_row(im, y0) + (size_t)x0 * c, t[1] = t[0] + c;
    t[2] = t[0] + im->stride, t[3] = t[2] + c;
    blend(t, c, X & (ONE - 1), Y & (ONE - 1), o);
}

static const uint8_t *tap(const aug_sampler *s, int x, int y) {
    const ts_image *im = s->src;
    int xx = aug_border_index(x, im->w, s->border), yy = aug_border_index(y, im->h, s->border);
    if (xx < 0 || yy < 0) return s->fill;
    return (const uint8_t *)ts_image_row(im, yy) + (size_t)xx * im->c;
}

/* One output pixel at (X, Y) anywhere; >> on a negative position is the
 * arithmetic shift of every compiler we build with, i.e. floor. */
static void pixel(const aug_sampler *s, int32_t X, int32_t Y, uint8_t *o) {
    const ts_image *im = s->src;
    int c = im->c, W = im->w, H = im->h, x0 = X >> FRAC, y0 = Y >> FRAC;
    if ((unsigned)x0 < (unsigned)(W - 1) && (unsigned)y0 < (unsigned)(H - 1)) {
        blend_inside(im, c, x0, y0, X, Y, o);
        return;
    }
    if (s->border == 0 && (x0 < -1 || y0 < -1 || x0 >= W || y0 >= H)) {
        memcpy(o, s->fill, (size_t)c); /* all four taps are the fill */
        return;
    }
    const uint8_t *t[4];
    for (int k = 0; k < 4; k++) t[k] = tap(s, x0 + (k & 1), y0 + (k >> 1));
    blend(t, c, X & (ONE - 1), Y & (ONE - 1), o);
}

/* The portable span: the inside test inline (with the channel count a
 * constant for RGB), pixel() for the rest. */
static void span_portable(const aug_sampler *s, const int32_t *xs, const int32_t *ys, int n, uint8_t *out) {
    const ts_image *im = s->src;
    int c = im->c;
    unsigned last_x = (unsigned)im->w - 1, last_y = (unsigned)im->h - 1;
    for (int i = 0; i < n; i++, out += c) {
        int x0 = xs[i] >> FRAC, y0 = ys[i] >> FRAC;
        if ((unsigned)x0 >= last_x || (unsigned)y0 >= last_y) pixel(s, xs[i], ys[i], out);
        else if (c == 3) blend_inside(im, 3, x0, y0, xs[i], ys[i], out);
        else blend_inside(im, c, x0, y0, xs[i], ys[i], out);
    }
}

#ifdef BILINEAR_X86
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi")))

/* Byte and lane orders of the 16-pixel blend (see blend16_wide): which
 * pixel's weight each word (horizontal) or dword (vertical, per unpacked
 * half: even pixels 0-7, odd 0-7, even 8-15, odd 8-15) takes; the byte
 * pairs of left and right taps per channel in a 16-byte lane of qwords;
 * and where output byte j comes from after the packs, which leave pixel p
 * at byte 16 ((p % 8) / 2) + 8 (p >= 8) + 4 (p % 2). */
static const uint16_t weight_x_words[2][32] = {
    {0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6, 8, 8, 8, 8, 10, 10, 10, 10, 12, 12, 12, 12, 14, 14, 14, 14},
    {16, 16, 16, 16, 18, 18, 18, 18, 20, 20, 20, 20, 22, 22, 22, 22,
     24, 24, 24, 24, 26, 26, 26, 26, 28, 28, 28, 28, 30, 30, 30, 30}};
static const uint32_t weight_y_dwords[4][16] = {{0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6},
                                                {1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7},
                                                {8, 8, 8, 8, 10, 10, 10, 10, 12, 12, 12, 12, 14, 14, 14, 14},
                                                {9, 9, 9, 9, 11, 11, 11, 11, 13, 13, 13, 13, 15, 15, 15, 15}};
static const uint8_t tap_pairs[2][16] = {{0, 3, 1, 4, 2, 5, 128, 128, 8, 11, 9, 12, 10, 13, 128, 128},
                                         {0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15}};
static const uint8_t output_bytes[2][64] = {
    {0,  1,  2,  4,  5,  6,  16, 17, 18, 20, 21, 22, 32, 33, 34, 36, 37, 38, 48, 49, 50, 52,
     53, 54, 8,  9,  10, 12, 13, 14, 24, 25, 26, 28, 29, 30, 40, 41, 42, 44, 45, 46, 56, 57,
     58, 60, 61, 62, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0},
    {0,  1,  2,  3,  4,  5,  6,  7,  16, 17, 18, 19, 20, 21, 22, 23, 32, 33, 34, 35, 36, 37,
     38, 39, 48, 49, 50, 51, 52, 53, 54, 55, 8,  9,  10, 11, 12, 13, 14, 15, 24, 25, 26, 27,
     28, 29, 30, 31, 40, 41, 42, 43, 44, 45, 46, 47, 56, 57, 58, 59, 60, 61, 62, 63}};

typedef struct {
    __m512i wx[2], wy[4], pair, place;
} lanes;

AVX512 static lanes lanes_for(int c) {
    lanes l;
    int four = c == 4;
    for (int h = 0; h < 2; h++) l.wx[h] = _mm512_loadu_si512(weight_x_words[h]);
    for (int h = 0; h < 4; h++) l.wy[h] = _mm512_loadu_si512(weight_y_dwords[h]);
    l.pair = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)tap_pairs[four]));
    l.place = _mm512_loadu_si512(output_bytes[four]);
    return l;
}

/* Rows of 8 pixels (one per qword: left tap bytes then right tap bytes)
 * blended to 32-bit channels, two registers of 4 pixels (each 128-bit
 * lane one pixel: even pixels, then odd). */
AVX512 static void blend8(__m512i top, __m512i bottom, __m512i wx, __m512i wy_even, __m512i wy_odd, __m512i pair,
                          __m512i *even, __m512i *odd) {
    const __m512i round = _mm512_set1_epi32(HALF_OUT);
    __m512i t = _mm512_maddubs_epi16(_mm512_shuffle_epi8(top, pair), wx);
    __m512i b = _mm512_maddubs_epi16(_mm512_shuffle_epi8(bottom, pair), wx);
    __m512i sum_even = _mm512_madd_epi16(_mm512_unpacklo_epi16(t, b), wy_even);
    __m512i sum_odd = _mm512_madd_epi16(_mm512_unpackhi_epi16(t, b), wy_odd);
    *even = _mm512_srli_epi32(_mm512_add_epi32(sum_even, round), 2 * FRAC);
    *odd = _mm512_srli_epi32(_mm512_add_epi32(sum_odd, round), 2 * FRAC);
}

/* 16 pixels of 3 or 4 channels: the two taps of a row are one 8-byte
 * gather; lanes off `in` keep `fill8` (the fill colour twice). */
AVX512 static __m512i blend16_wide(const uint8_t *base, __m512i off, __m512i stride, __mmask16 in, __m512i fx,
                                   __m512i fy, __m512i fill8, const lanes *l) {
    __m512i wxw = _mm512_or_si512(_mm512_sub_epi32(_mm512_set1_epi32(ONE), fx), _mm512_slli_epi32(fx, 8));
    __m512i wyd = _mm512_or_si512(_mm512_sub_epi32(_mm512_set1_epi32(ONE), fy), _mm512_slli_epi32(fy, 16));
    __m512i below = _mm512_add_epi32(off, stride), r[4];
    for (int h = 0; h < 2; h++) {
        __mmask8 k = (__mmask8)(in >> (8 * h));
        __m256i o = h ? _mm512_extracti64x4_epi64(off, 1) : _mm512_castsi512_si256(off);
        __m256i ob = h ? _mm512_extracti64x4_epi64(below, 1) : _mm512_castsi512_si256(below);
        __m512i top = _mm512_mask_i32gather_epi64(fill8, k, o, base, 1);
        __m512i bottom = _mm512_mask_i32gather_epi64(fill8, k, ob, base, 1);
        blend8(top, bottom, _mm512_permutexvar_epi16(l->wx[h], wxw), _mm512_permutexvar_epi32(l->wy[2 * h], wyd),
               _mm512_permutexvar_epi32(l->wy[2 * h + 1], wyd), l->pair, &r[2 * h], &r[2 * h + 1]);
    }
    __m512i packed = _mm512_packus_epi16(_mm512_packus_epi32(r[0], r[1]), _mm512_packus_epi32(r[2], r[3]));
    return _mm512_permutexvar_epi8(l->place, packed);
}

/* 16 pixels of 1 channel: the two taps of a row are one 4-byte gather. */
AVX512 static __m512i blend16_grey(const uint8_t *base, __m512i off, __m512i stride, __mmask16 in, __m512i fx,
                                   __m512i fy, __m512i fill4) {
    __m512i top = _mm512_mask_i32gather_epi32(fill4, in, off, base, 1);
    __m512i bottom = _mm512_mask_i32gather_epi32(fill4, in, _mm512_add_epi32(off, stride), base, 1);
    __m512i taps = _mm512_mask_blend_epi16(0xAAAAAAAA, top, _mm512_slli_epi32(bottom, 16));
    __m512i wx = _mm512_or_si512(_mm512_sub_epi32(_mm512_set1_epi32(ONE), fx), _mm512_slli_epi32(fx, 8));
    __m512i wy = _mm512_or_si512(_mm512_sub_epi32(_mm512_set1_epi32(ONE), fy), _mm512_slli_epi32(fy, 16));
    __m512i rows = _mm512_maddubs_epi16(taps, _mm512_or_si512(wx, _mm512_slli_epi32(wx, 16)));
    __m512i v = _mm512_add_epi32(_mm512_madd_epi16(rows, wy), _mm512_set1_epi32(HALF_OUT));
    return _mm512_castsi128_si512(_mm512_cvtepi32_epi8(_mm512_srli_epi32(v, 2 * FRAC)));
}

/* What a masked-off gather lane keeps: the fill colour as the taps of
 * one pixel row (two pixels; four for 1 channel, whose gathers are dwords). */
static uint64_t fill_taps(const uint8_t *fill, int c) {
    uint8_t taps[8] = {0};
    int n = c == 3 ? 6 : 8;
    for (int j = 0; j < n; j++) taps[j] = fill[j % c];
    uint64_t v;
    memcpy(&v, taps, sizeof v);
    return v;
}

/* Whether the vector spans take this image (1, 3 or 4 channels, offsets
 * in int32), and the largest offset of a top-left tap whose gathers (4
 * bytes for 1 channel, else 8, on both rows) end inside the image. */
static int gathers_fit(const ts_image *im, int32_t *last_offset) {
    int c = im->c;
    if ((c != 1 && c != 3 && c != 4) || (int64_t)im->stride * im->h > INT32_MAX - 64) return 0;
    int64_t end = (int64_t)im->stride * (im->h - 1) + (int64_t)im->w * c; /* one past the image's last byte */
    *last_offset = (int32_t)(end - (int64_t)im->stride - (c == 1 ? 4 : 8));
    return 1;
}

/* The span 16 pixels at a time; returns 0 (nothing written) for channel
 * counts or image sizes it does not take. Lanes with all four taps inside
 * (and whose gather stays inside the buffer) are blended in vectors, as
 * are lanes of a constant border with all four taps outside (their gathers
 * are masked off and keep the fill colour, which blends to itself); the
 * rest, an edge ring, go through pixel(). */
AVX512 static int span_avx512(const aug_sampler *s, const int32_t *xs, const int32_t *ys, int n, uint8_t *out) {
    const ts_image *im = s->src;
    int c = im->c, W = im->w, H = im->h;
    int32_t last_offset;
    if (!gathers_fit(im, &last_offset)) return 0;
    const uint8_t *base = im->data;
    __m512i fill = _mm512_set1_epi64((long long)fill_taps(s->fill, c));
    lanes l = lanes_for(c);
    const __m512i stride = _mm512_set1_epi32((int)im->stride), frac = _mm512_set1_epi32(ONE - 1);
    const __m512i last_x = _mm512_set1_epi32(W - 1), last_y = _mm512_set1_epi32(H - 1), minus1 = _mm512_set1_epi32(-1);
    const __m512i safe_off = _mm512_set1_epi32(last_offset);
    for (int i = 0; i < n; i += 16) {
        __mmask16 live = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512i X = _mm512_maskz_loadu_epi32(live, xs + i), Y = _mm512_maskz_loadu_epi32(live, ys + i);
        __m512i x0 = _mm512_srai_epi32(X, FRAC), y0 = _mm512_srai_epi32(Y, FRAC);
        __m512i off = _mm512_add_epi32(_mm512_mullo_epi32(y0, stride), _mm512_mullo_epi32(x0, _mm512_set1_epi32(c)));
        __mmask16 in = _mm512_cmplt_epu32_mask(x0, last_x) & _mm512_cmplt_epu32_mask(y0, last_y) &
                       _mm512_cmple_epi32_mask(off, safe_off) & live;
        __mmask16 fill_only = 0;
        if (s->border == 0)
            fill_only = _mm512_cmplt_epi32_mask(x0, minus1) | _mm512_cmpgt_epi32_mask(x0, last_x) |
                        _mm512_cmplt_epi32_mask(y0, minus1) | _mm512_cmpgt_epi32_mask(y0, last_y);
        __m512i fx = _mm512_and_si512(X, frac), fy = _mm512_and_si512(Y, frac), v;
        if (c == 1) v = blend16_grey(base, off, stride, in, fx, fy, fill);
        else v = blend16_wide(base, off, stride, in, fx, fy, fill, &l);
        int count = n - i >= 16 ? 16 : n - i;
        __mmask64 bytes = count * c == 64 ? ~(__mmask64)0 : ((__mmask64)1 << (count * c)) - 1;
        _mm512_mask_storeu_epi8(out + (size_t)i * c, bytes, v);
        for (unsigned rest = live & ~in & ~fill_only; rest; rest &= rest - 1) {
            int p = i + __builtin_ctz(rest);
            pixel(s, xs[p], ys[p], out + (size_t)p * c);
        }
    }
    return 1;
}

/* The same with AVX2, 8 pixels a step: masks are vectors, the weights and
 * output bytes reach their lanes by in-lane shuffles and dword permutes,
 * and a partial step runs on a local copy. */
#define AVX2 __attribute__((target("avx2")))

typedef struct {
    const aug_sampler *s;
    __m256i fill, stride, channels, last_x, last_y, last_offset;
} avx2_image;

/* a < limit as unsigned dwords, as a mask */
AVX2 static __m256i below_unsigned(__m256i a, __m256i limit) {
    const __m256i sign = _mm256_set1_epi32(INT32_MIN);
    return _mm256_cmpgt_epi32(_mm256_xor_si256(limit, sign), _mm256_xor_si256(a, sign));
}

/* 8 pixels of 3 or 4 channels (c bytes each from the first), as
 * blend16_wide: each half of 4 pixels is an 8-byte gather per row. */
AVX2 static __m256i blend8_wide_avx2(const avx2_image *m, __m256i off, __m256i in, __m256i fx, __m256i fy, int c) {
    const __m256i pair = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)tap_pairs[c == 4]));
    const __m256i spread = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 8, 9, 8, 9, 8, 9, 8, 9, 0, 1, 0, 1, 0, 1, 0, 1, 8,
                                            9, 8, 9, 8, 9, 8, 9); /* a qword's low word to all four */
    const __m256i round = _mm256_set1_epi32(HALF_OUT), even = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);
    const long long *base = (const long long *)m->s->src->data;
    __m256i wxw = _mm256_or_si256(_mm256_sub_epi32(_mm256_set1_epi32(ONE), fx), _mm256_slli_epi32(fx, 8));
    __m256i wyd = _mm256_or_si256(_mm256_sub_epi32(_mm256_set1_epi32(ONE), fy), _mm256_slli_epi32(fy, 16));
    __m256i below = _mm256_add_epi32(off, m->stride), r[4];
    for (int h = 0; h < 2; h++) {
        __m128i o = h ? _mm256_extracti128_si256(off, 1) : _mm256_castsi256_si128(off);
        __m128i ob = h ? _mm256_extracti128_si256(below, 1) : _mm256_castsi256_si128(below);
        __m256i k = _mm256_cvtepi32_epi64(h ? _mm256_extracti128_si256(in, 1) : _mm256_castsi256_si128(in));
        __m256i wx = _mm256_cvtepu32_epi64(h ? _mm256_extracti128_si256(wxw, 1) : _mm256_castsi256_si128(wxw));
        wx = _mm256_shuffle_epi8(wx, spread);
        __m256i top = _mm256_mask_i32gather_epi64(m->fill, base, o, k, 1);
        __m256i bottom = _mm256_mask_i32gather_epi64(m->fill, base, ob, k, 1);
        __m256i t = _mm256_maddubs_epi16(_mm256_shuffle_epi8(top, pair), wx);
        __m256i b = _mm256_maddubs_epi16(_mm256_shuffle_epi8(bottom, pair), wx);
        /* the unpacks leave pixels 4h, 4h + 2 (even) and 4h + 1, 4h + 3 (odd), one per 128-bit lane */
        __m256i wy_even = _mm256_permutevar8x32_epi32(wyd, _mm256_add_epi32(even, _mm256_set1_epi32(4 * h)));
        __m256i wy_odd = _mm256_permutevar8x32_epi32(wyd, _mm256_add_epi32(even, _mm256_set1_epi32(4 * h + 1)));
        __m256i sum_even = _mm256_madd_epi16(_mm256_unpacklo_epi16(t, b), wy_even);
        __m256i sum_odd = _mm256_madd_epi16(_mm256_unpackhi_epi16(t, b), wy_odd);
        r[2 * h] = _mm256_srli_epi32(_mm256_add_epi32(sum_even, round), 2 * FRAC);
        r[2 * h + 1] = _mm256_srli_epi32(_mm256_add_epi32(sum_odd, round), 2 * FRAC);
    }
    /* the packs leave the pixels' dwords in the order 0 1 4 5 2 3 6 7 */
    __m256i packed = _mm256_packus_epi16(_mm256_packus_epi32(r[0], r[1]), _mm256_packus_epi32(r[2], r[3]));
    packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
    if (c == 4) return packed;
    const __m256i drop = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8,
                                          9, 10, 12, 13, 14, -1, -1, -1, -1); /* each pixel's fourth byte */
    return _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(packed, drop), _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
}

/* 8 pixels of 1 channel (8 bytes from the first), as blend16_grey. */
AVX2 static __m256i blend8_grey_avx2(const avx2_image *m, __m256i off, __m256i in, __m256i fx, __m256i fy) {
    const int *base = (const int *)m->s->src->data;
    __m256i top = _mm256_mask_i32gather_epi32(m->fill, base, off, in, 1);
    __m256i bottom = _mm256_mask_i32gather_epi32(m->fill, base, _mm256_add_epi32(off, m->stride), in, 1);
    __m256i taps = _mm256_blend_epi16(top, _mm256_slli_epi32(bottom, 16), 0xAA);
    __m256i wx = _mm256_or_si256(_mm256_sub_epi32(_mm256_set1_epi32(ONE), fx), _mm256_slli_epi32(fx, 8));
    __m256i wy = _mm256_or_si256(_mm256_sub_epi32(_mm256_set1_epi32(ONE), fy), _mm256_slli_epi32(fy, 16));
    __m256i rows = _mm256_maddubs_epi16(taps, _mm256_or_si256(wx, _mm256_slli_epi32(wx, 16)));
    __m256i v = _mm256_add_epi32(_mm256_madd_epi16(rows, wy), _mm256_set1_epi32(HALF_OUT));
    v = _mm256_srli_epi32(v, 2 * FRAC);
    v = _mm256_packus_epi16(_mm256_packus_epi32(v, v), v); /* bytes of pixels 0-3 in lane 0, 4-7 in lane 1 */
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
}

/* 8 output pixels: the lanes as span_avx512 sorts them. */
AVX2 static void step8_avx2(const avx2_image *m, const int32_t *xs, const int32_t *ys, uint8_t *out) {
    const aug_sampler *s = m->s;
    int c = s->src->c;
    const __m256i minus1 = _mm256_set1_epi32(-1), frac = _mm256_set1_epi32(ONE - 1);
    __m256i X = _mm256_loadu_si256((const __m256i *)xs), Y = _mm256_loadu_si256((const __m256i *)ys);
    __m256i x0 = _mm256_srai_epi32(X, FRAC), y0 = _mm256_srai_epi32(Y, FRAC);
    __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(y0, m->stride), _mm256_mullo_epi32(x0, m->channels));
    __m256i in = _mm256_and_si256(below_unsigned(x0, m->last_x), below_unsigned(y0, m->last_y));
    in = _mm256_andnot_si256(_mm256_cmpgt_epi32(off, m->last_offset), in);
    __m256i fill_only = _mm256_setzero_si256();
    if (s->border == 0)
        fill_only = _mm256_or_si256(_mm256_or_si256(_mm256_cmpgt_epi32(minus1, x0), _mm256_cmpgt_epi32(x0, m->last_x)),
                                    _mm256_or_si256(_mm256_cmpgt_epi32(minus1, y0), _mm256_cmpgt_epi32(y0, m->last_y)));
    __m256i fx = _mm256_and_si256(X, frac), fy = _mm256_and_si256(Y, frac);
    if (c == 1) {
        _mm_storel_epi64((__m128i *)out, _mm256_castsi256_si128(blend8_grey_avx2(m, off, in, fx, fy)));
    } else {
        __m256i v = blend8_wide_avx2(m, off, in, fx, fy, c);
        if (c == 4) _mm256_storeu_si256((__m256i *)out, v);
        else _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(v)),
             _mm_storel_epi64((__m128i *)(out + 16), _mm256_extracti128_si256(v, 1));
    }
    unsigned done = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_or_si256(in, fill_only)));
    for (unsigned rest = ~done & 0xffu; rest; rest &= rest - 1) {
        int p = __builtin_ctz(rest);
        pixel(s, xs[p], ys[p], out + (size_t)p * c);
    }
}

AVX2 static int span_avx2(const aug_sampler *s, const int32_t *xs, const int32_t *ys, int n, uint8_t *out) {
    const ts_image *im = s->src;
    int c = im->c, i = 0;
    int32_t last_offset;
    if (!gathers_fit(im, &last_offset)) return 0;
    avx2_image m = {s,
                    _mm256_set1_epi64x((long long)fill_taps(s->fill, c)),
                    _mm256_set1_epi32((int)im->stride),
                    _mm256_set1_epi32(c),
                    _mm256_set1_epi32(im->w - 1),
                    _mm256_set1_epi32(im->h - 1),
                    _mm256_set1_epi32(last_offset)};
    for (; i + 8 <= n; i += 8) step8_avx2(&m, xs + i, ys + i, out + (size_t)i * c);
    if (i < n) { /* the last positions repeated to a full step */
        int32_t tx[8], ty[8];
        uint8_t tail[32];
        for (int j = 0; j < 8; j++) tx[j] = xs[i + j < n ? i + j : n - 1], ty[j] = ys[i + j < n ? i + j : n - 1];
        step8_avx2(&m, tx, ty, tail);
        memcpy(out + (size_t)i * c, tail, (size_t)(n - i) * c);
    }
    return 1;
}

#endif

void aug_bilinear_span(const aug_sampler *s, const int32_t *xs, const int32_t *ys, int n, uint8_t *out) {
#ifdef BILINEAR_X86
    if (aug_vbmi() && span_avx512(s, xs, ys, n, out)) return;
    if (aug_avx2() && span_avx2(s, xs, ys, n, out)) return;
#endif
    span_portable(s, xs, ys, n, out);
}
