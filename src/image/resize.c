/* Resize of U8 HWC images, any channel count: nearest, bilinear and area,
 * following cv2.resize's sampling grids and weights so results match it.
 * Separable: weights are computed once per call; bilinear filters each
 * source row once (cached) and blends two per output row, area sums an
 * output row's source rows and then takes its horizontal taps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "image/image_internal.h"
#include "image/simd.h"
#ifdef TS_IMAGE_X86
#include <immintrin.h>
#endif

/* ---- nearest ------------------------------------------------------------------ */

#define NEAREST_ROW(C)                                                                                        \
    for (int x = 0; x < dw; x++) memcpy(d + (size_t)x * (C), s + xofs[x], (C));

static void resize_nearest(const ts_image *src, const ts_image *dst, const size_t *xofs) {
    int c = src->c, dw = dst->w;
    /* cv2: source index floor(d * src / dst), in double, clamped. */
    double fy = 1.0 / ((double)dst->h / src->h);
    for (int y = 0; y < dst->h; y++) {
        int sy = (int)floor(y * fy);
        if (sy > src->h - 1) sy = src->h - 1;
        const uint8_t *s = ts_image_row(src, sy);
        uint8_t *d = ts_image_row(dst, y);
        switch (c) {
        case 1: NEAREST_ROW(1) break;
        case 3: NEAREST_ROW(3) break;
        case 4: NEAREST_ROW(4) break;
        default: NEAREST_ROW(c) break;
        }
    }
}

static void nearest_tab(int sn, int dn, int c, size_t *ofs) {
    double f = 1.0 / ((double)dn / sn);
    for (int d = 0; d < dn; d++) {
        int s = (int)floor(d * f);
        ofs[d] = (size_t)(s < sn - 1 ? s : sn - 1) * (size_t)c;
    }
}

/* ---- horizontal taps by word permutes ----------------------------------------- */

/* A row filter over 16-bit values, any channel count: output value j
 * (pixel x = j / c, channel j % c) is
 *     (bias + sum over t < k of src[(first[x] + t) * c + j % c] * w[x * k + t]) >> shift
 * for an even number k of taps. With AVX-512 BW it takes 16 outputs a
 * register: the 64 values from a block's lowest tap are loaded as two
 * registers, each pair of taps is gathered from them by one word permute
 * (vpermt2w) and multiplied by its weights with pmaddwd. The indices and
 * weights are laid out once per resize; when some block's taps span more
 * than 64 values (a shrink by more than about 2.5) there is no plan and
 * the callers take their other paths. `first` never decreases. */
typedef struct {
    size_t n;          /* outputs */
    int blocks, pairs; /* blocks of 16 outputs (0: no plan); tap pairs */
    int32_t *base;     /* per block: the offset of its lowest tap */
    int16_t *idx, *wt; /* per block and pair: 32 window indices, 32 weights */
} taps_plan;

#define TAPS_WINDOW 64 /* values a block reads from its base; sources have this many readable past any tap */

static void taps_plan_free(taps_plan *p) {
    free(p->base), free(p->idx), free(p->wt);
    memset(p, 0, sizeof *p);
}

/* One block's indices and weights; 0 when its taps do not fit the window.
 * A tap of weight 0 reads the window's first value. */
static int taps_block(size_t b, size_t n, int c, int k, const int *first, const int16_t *w, int32_t *base,
                      int16_t *idx, int16_t *wt) {
    size_t j0 = 16 * b, lowest = (size_t)first[j0 / (size_t)c] * (size_t)c;
    *base = (int32_t)lowest;
    for (int q = 0; q < k / 2; q++, idx += 32, wt += 32)
        for (int lane = 0; lane < 32; lane++) {
            size_t j = j0 + (size_t)lane / 2, x = j / (size_t)c;
            int t = 2 * q + lane % 2;
            int16_t weight = j < n ? w[x * (size_t)k + (size_t)t] : 0;
            size_t at = weight ? ((size_t)first[x] + (size_t)t) * (size_t)c + j % (size_t)c - lowest : 0;
            if (at >= TAPS_WINDOW) return 0;
            idx[lane] = (int16_t)at, wt[lane] = weight;
        }
    return 1;
}

static ts_status taps_plan_make(ts_ctx *ctx, int dw, int c, int k, const int *first, const int16_t *w, taps_plan *p) {
    memset(p, 0, sizeof *p);
    if (ts_image_simd() < TS_IMAGE_SIMD_AVX512) return TS_OK;
    size_t n = (size_t)dw * (size_t)c, blocks = (n + 15) / 16, per = (size_t)k / 2 * 32;
    p->base = ts_alloc_array(ctx, blocks, sizeof *p->base);
    p->idx = ts_alloc_array(ctx, blocks, per * sizeof *p->idx);
    p->wt = ts_alloc_array(ctx, blocks, per * sizeof *p->wt);
    if (!p->base || !p->idx || !p->wt) {
        taps_plan_free(p);
        return TS_ERR_NOMEM;
    }
    for (size_t b = 0; b < blocks; b++)
        if (!taps_block(b, n, c, k, first, w, p->base + b, p->idx + b * per, p->wt + b * per)) {
            taps_plan_free(p);
            return TS_OK;
        }
    p->n = n, p->blocks = (int)blocks, p->pairs = k / 2;
    return TS_OK;
}

#ifdef TS_IMAGE_X86
/* The plan over `src` into 16-bit (out16) or, saturated, 8-bit (out8)
 * values. */
__attribute__((target("avx512f,avx512bw"))) static void taps_avx512(const taps_plan *p, const int16_t *src,
                                                                     int32_t bias, int shift, int16_t *out16,
                                                                     uint8_t *out8) {
    const __m512i start = _mm512_set1_epi32(bias);
    const __m128i count = _mm_cvtsi32_si128(shift);
    const int16_t *idx = p->idx, *wt = p->wt;
    for (int b = 0; b < p->blocks; b++) {
        const int16_t *s = src + p->base[b];
        __m512i lo = _mm512_loadu_si512(s), hi = _mm512_loadu_si512(s + 32), acc = start;
        for (int q = 0; q < p->pairs; q++, idx += 32, wt += 32) {
            __m512i taps = _mm512_permutex2var_epi16(lo, _mm512_loadu_si512(idx), hi);
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(taps, _mm512_loadu_si512(wt)));
        }
        acc = _mm512_sra_epi32(acc, count);
        size_t j = (size_t)b * 16, left = p->n - j;
        __mmask16 live = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        if (out8) _mm512_mask_cvtusepi32_storeu_epi8(out8 + j, live, acc);
        else _mm512_mask_cvtsepi32_storeu_epi16(out16 + j, live, acc);
    }
}
#endif

/* ---- bilinear ----------------------------------------------------------------- */

/* Two source taps and 11-bit weights per output index, as cv2 computes them:
 * pixel-centre aligned, or (area_mode, cv2's INTER_AREA when enlarging)
 * with the source cell boundaries. Taps are clamped at the edges; the
 * second tap is always the first + 1 (a last-pixel tap becomes the one
 * before it with all the weight on the second), so one index serves. */
static void linear_tab(int sn, int dn, int area_mode, int *first, int16_t *w) {
    double scale = (double)sn / dn, inv = (double)dn / sn;
    for (int d = 0; d < dn; d++) {
        int s;
        float f;
        if (!area_mode) {
            f = (float)((d + 0.5) * scale - 0.5);
            s = (int)floorf(f);
            f -= (float)s;
        } else {
            s = (int)floor(d * scale);
            f = (float)((d + 1) - (s + 1) * inv);
            f = f <= 0 ? 0.f : f - floorf(f);
        }
        if (s < 0) f = 0, s = 0;
        if (s >= sn - 1) f = 0, s = sn - 1;
        int16_t w0 = (int16_t)lrintf((1.f - f) * 2048), w1 = (int16_t)lrintf(f * 2048);
        if (s == sn - 1 && sn > 1) s--, w1 = w0, w0 = 0;
        first[d] = s;
        w[2 * d] = w0;
        w[2 * d + 1] = w1;
    }
}

/* One source row through the horizontal taps, kept as cv2 keeps it before
 * the vertical blend: (s0*w0 + s1*w1) >> 4 in 16 bits. */
#define HLIN_ROW(C)                                                                                           \
    for (int x = 0; x < dw; x++, d += (C)) {                                                                 \
        const uint8_t *p = s + (size_t)first[x] * (C);                                                       \
        int a0 = w[2 * x], a1 = w[2 * x + 1];                                                                \
        for (int k = 0; k < (C); k++) d[k] = (int16_t)((p[k] * a0 + p[k + (C)] * a1) >> 4);                  \
    }

static void hlin_scalar(const uint8_t *restrict s, int16_t *restrict d, int dw, int c, const int *restrict first,
                        const int16_t *restrict w, int one_column) {
    if (one_column) { /* a 1-pixel-wide source has no second tap */
        for (int x = 0; x < dw; x++)
            for (int k = 0; k < c; k++) *d++ = (int16_t)(s[k] * 2048 >> 4);
        return;
    }
    switch (c) {
    case 1: HLIN_ROW(1) break;
    case 3: HLIN_ROW(3) break;
    case 4: HLIN_ROW(4) break;
    default: HLIN_ROW(c) break;
    }
}

/* With a plan, the row is widened to 16 bits (`wide`, with the plan's
 * window of spare values) and filtered 16 outputs at a time. */
static void hlin(const taps_plan *plan, int16_t *wide, const uint8_t *s, size_t sn, int16_t *d, int dw, int c,
                 const int *first, const int16_t *w, int one_column) {
#ifdef TS_IMAGE_X86
    if (plan->blocks) {
        for (size_t i = 0; i < sn; i++) wide[i] = s[i];
        taps_avx512(plan, wide, 0, 4, d, NULL);
        return;
    }
#else
    (void)plan, (void)wide, (void)sn;
#endif
    hlin_scalar(s, d, dw, c, first, w, one_column);
}

/* cv2's vectorised vertical blend (high halves of 16-bit products, then
 * (sum + 2) >> 2), rather than the exact (r0*b0 + r1*b1 + 2^21) >> 22: it
 * is what cv2.resize returns for all but a row's last few pixels. */
static void vlin(const int16_t *restrict r0, const int16_t *restrict r1, uint8_t *restrict d, size_t n, int b0,
                 int b1) {
    size_t i = 0;
#ifdef __SSE2__
    /* the same instructions as cv2 (SSE2 is part of x86-64): -O2 does not
     * vectorise this loop by itself */
    const __m128i w0 = _mm_set1_epi16((short)b0), w1 = _mm_set1_epi16((short)b1), two = _mm_set1_epi16(2);
    for (; i + 16 <= n; i += 16) {
        __m128i a = _mm_adds_epi16(_mm_mulhi_epi16(_mm_loadu_si128((const __m128i *)(r0 + i)), w0),
                                   _mm_mulhi_epi16(_mm_loadu_si128((const __m128i *)(r1 + i)), w1));
        __m128i b = _mm_adds_epi16(_mm_mulhi_epi16(_mm_loadu_si128((const __m128i *)(r0 + i + 8)), w0),
                                   _mm_mulhi_epi16(_mm_loadu_si128((const __m128i *)(r1 + i + 8)), w1));
        a = _mm_srai_epi16(_mm_adds_epi16(a, two), 2);
        b = _mm_srai_epi16(_mm_adds_epi16(b, two), 2);
        _mm_storeu_si128((__m128i *)(d + i), _mm_packus_epi16(a, b));
    }
#endif
    for (; i < n; i++) d[i] = (uint8_t)(((r0[i] * b0 >> 16) + (r1[i] * b1 >> 16) + 2) >> 2);
}

static ts_status resize_linear(ts_ctx *ctx, const ts_image *src, const ts_image *dst, int area_mode) {
    int c = src->c, dw = dst->w, dh = dst->h;
    size_t n = (size_t)dw * (size_t)c, sn = (size_t)src->w * (size_t)c;
    int *xi = ts_alloc_array(ctx, (size_t)dw + (size_t)dh, sizeof *xi);
    int16_t *wt = ts_alloc_array(ctx, 2 * ((size_t)dw + (size_t)dh), sizeof *wt);
    int16_t *rows = ts_alloc_array(ctx, 2 * n, sizeof *rows);
    if (!xi || !wt || !rows) {
        free(xi), free(wt), free(rows);
        return TS_ERR_NOMEM;
    }
    const int *yi = xi + dw;
    const int16_t *yw = wt + 2 * dw;
    linear_tab(src->w, dw, area_mode, xi, wt);
    linear_tab(src->h, dh, area_mode, xi + dw, wt + 2 * dw);
    taps_plan plan;
    int16_t *wide = NULL;
    ts_status st = taps_plan_make(ctx, dw, c, 2, xi, wt, &plan);
    if (st == TS_OK && plan.blocks) {
        wide = ts_alloc_array(ctx, sn + TAPS_WINDOW, sizeof *wide);
        if (wide) memset(wide + sn, 0, TAPS_WINDOW * sizeof *wide);
        else st = TS_ERR_NOMEM;
    }
    /* Two cached horizontal passes; output rows walk down the source, so
     * each source row is filtered once. */
    int16_t *buf[2] = {rows, rows + n};
    int tag[2] = {-1, -1};
    for (int y = 0; st == TS_OK && y < dh; y++) {
        int want[2] = {yi[y], yi[y] + (src->h > 1)};
        int16_t *r[2];
        for (int k = 0; k < 2; k++) {
            int slot = tag[0] == want[k] ? 0 : tag[1] == want[k] ? 1 : -1;
            if (slot < 0) {
                slot = tag[0] == want[1 - k] ? 1 : 0; /* keep the other wanted row */
                hlin(&plan, wide, ts_image_row(src, want[k]), sn, buf[slot], dw, c, xi, wt, src->w == 1);
                tag[slot] = want[k];
            }
            r[k] = buf[slot];
        }
        vlin(r[0], r[1], ts_image_row(dst, y), n, yw[2 * y], yw[2 * y + 1]);
    }
    taps_plan_free(&plan);
    free(xi), free(wt), free(rows), free(wide);
    return st;
}

/* ---- area --------------------------------------------------------------------- */

/* Area averaging in fixed point. An output cell d covers source [d*scale,
 * (d+1)*scale), as cv2's computeResizeAreaTab, and each source pixel weighs
 * by its overlap. Weights are AREA_WBITS-bit fractions summing exactly to
 * one along each axis, rounded cumulatively so that every partial sum of
 * the rounded weights is within half a step of the exact one; the vertical
 * sums keep AREA_CBITS fractional bits in 16 bits, so the horizontal taps
 * fit pmaddwd and every sum fits 32 bits (255 << 21 < 2^31). */
#define AREA_WBITS 14
#define AREA_CBITS 7
#define AREA_VSHIFT (AREA_WBITS - AREA_CBITS)
#define AREA_HSHIFT (AREA_CBITS + AREA_WBITS)

/* Taps of every output index: first[d] and k weights from it (the weights
 * past a cell's own are zero). */
static void area_tab(int sn, int dn, int k, int *first, int16_t *w) {
    double scale = (double)sn / dn;
    for (int d = 0; d < dn; d++) {
        double fs1 = d * scale, fs2 = fs1 + scale;
        double cell = scale < sn - fs1 ? scale : sn - fs1;
        int s1 = (int)ceil(fs1), s2 = (int)floor(fs2);
        if (s2 > sn - 1) s2 = sn - 1;
        if (s1 > s2) s1 = s2;
        int16_t *wd = w + (size_t)d * (size_t)k;
        double lead = 0, trail = 0, total = 0;
        int rounded = 0, last = 0;
        first[d] = s1;
        if (s1 - fs1 > 1e-3) first[d] = s1 - 1, lead = s1 - fs1;
        if (fs2 - s2 > 1e-3) trail = fs2 - s2 < 1 ? fs2 - s2 : 1, trail = trail < cell ? trail : cell;
        for (int t = 0, s = first[d]; t < k; s++, t++) {
            total += (s < s1 ? lead : s < s2 ? 1 : s == s2 ? trail : 0) / cell;
            int upto = (int)((total < 1 ? total : 1) * (1 << AREA_WBITS) + 0.5);
            wd[t] = (int16_t)(upto - rounded);
            rounded = upto;
            if (wd[t]) last = t;
        }
        wd[last] = (int16_t)(wd[last] + (1 << AREA_WBITS) - rounded); /* the sum is exactly one */
    }
}

/* Vertical sums of n rows from index `from` on: col[i] = sum rows[t][i]
 * w[t] with AREA_CBITS fractional bits, rounded half up. */
static void varea_scalar(const uint8_t *const *rows, const int16_t *w, int n, int32_t *acc, int16_t *col,
                         size_t from, size_t len) {
    for (size_t i = from; i < len; i++) acc[i] = (1 << (AREA_VSHIFT - 1)) + rows[0][i] * w[0];
    for (int t = 1; t < n; t++) {
        const uint8_t *restrict s = rows[t];
        int32_t b = w[t];
        for (size_t i = from; i < len; i++) acc[i] += s[i] * b;
    }
    for (size_t i = from; i < len; i++) col[i] = (int16_t)(acc[i] >> AREA_VSHIFT);
}

/* One output pixel from its k horizontal taps over `col`. */
static void harea_scalar(const int16_t *col, uint8_t *d, int from, int dw, int c, int k, const int *first,
                         const int16_t *w) {
    for (int x = from; x < dw; x++) {
        const int16_t *p = col + (size_t)first[x] * (size_t)c, *wx = w + (size_t)x * (size_t)k;
        for (int ch = 0; ch < c; ch++) {
            int32_t s = 1 << (AREA_HSHIFT - 1);
            for (int t = 0; t < k; t++) s += p[t * c + ch] * wx[t];
            s >>= AREA_HSHIFT;
            d[(size_t)x * c + ch] = (uint8_t)(s > 255 ? 255 : s);
        }
    }
}

#ifdef TS_IMAGE_X86
/* The weight pair of rows t and t + 1 (0 past the last row) as one 32-bit
 * word, for pmaddwd. */
static int32_t row_pair(const int16_t *w, int t, int n) {
    return (int32_t)((uint32_t)(uint16_t)w[t] | (uint32_t)(uint16_t)(t + 1 < n ? w[t + 1] : 0) << 16);
}

/* Sixteen vertical sums a step, two rows at a time: the rows' bytes
 * interleaved, widened to 16 bits and multiplied by the weight pair with
 * pmaddwd (an odd last row pairs with itself at weight 0). Returns the
 * values done. */
__attribute__((target("avx2"))) static size_t varea_avx2(const uint8_t *const *rows, const int16_t *w, int n,
                                                         int16_t *col, size_t len) {
    const __m256i half = _mm256_set1_epi32(1 << (AREA_VSHIFT - 1));
    size_t i = 0;
    for (; i + 16 <= len; i += 16) {
        __m256i lo = half, hi = half;
        for (int t = 0; t < n; t += 2) {
            __m256i wp = _mm256_set1_epi32(row_pair(w, t, n));
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(rows[t] + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(rows[t + 1 < n ? t + 1 : t] + i));
            lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, b)), wp));
            hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpackhi_epi8(a, b)), wp));
        }
        /* packing works per 128-bit lane: 0-3 8-11 | 4-7 12-15, put back in order */
        __m256i packed = _mm256_packs_epi32(_mm256_srai_epi32(lo, AREA_VSHIFT), _mm256_srai_epi32(hi, AREA_VSHIFT));
        _mm256_storeu_si256((__m256i *)(void *)(col + i), _mm256_permute4x64_epi64(packed, 0xd8));
    }
    return i;
}

/* The same, 32 values a step. */
__attribute__((target("avx512f,avx512bw"))) static size_t varea_avx512(const uint8_t *const *rows, const int16_t *w,
                                                                       int n, int16_t *col, size_t len) {
    const __m512i half = _mm512_set1_epi32(1 << (AREA_VSHIFT - 1)), order = _mm512_setr_epi64(0, 2, 1, 3, 4, 6, 5, 7);
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        __m512i lo = half, hi = half;
        for (int t = 0; t < n; t += 2) {
            __m512i wp = _mm512_set1_epi32(row_pair(w, t, n));
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(rows[t] + i));
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(rows[t + 1 < n ? t + 1 : t] + i));
            lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_cvtepu8_epi16(_mm256_unpacklo_epi8(a, b)), wp));
            hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_cvtepu8_epi16(_mm256_unpackhi_epi8(a, b)), wp));
        }
        /* lo holds values 0-7 and 16-23, hi 8-15 and 24-31; packing goes per 128-bit lane */
        __m512i packed = _mm512_packs_epi32(_mm512_srai_epi32(lo, AREA_VSHIFT), _mm512_srai_epi32(hi, AREA_VSHIFT));
        _mm512_storeu_si512(col + i, _mm512_permutexvar_epi64(order, packed));
    }
    return i;
}

/* Two output pixels of C (3 or 4) channels a register, one per 128-bit
 * lane, two taps a step: each pixel's 16-bit sums are shuffled to (tap t,
 * tap t + 1) pairs per channel and multiplied by the weight pair with
 * pmaddwd. Returns the pixels done. */
#define HAREA_AVX2(C)                                                                                            \
    __attribute__((target("avx2"))) static int harea_avx2_##C(const int16_t *col, uint8_t *d, int dw, int k,    \
                                                              const int *first, const int16_t *w) {             \
        const __m256i order = (C) == 3 ? _mm256_setr_epi8(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1, 0, \
                                                          1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, -1, -1, -1, -1)     \
                                       : _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, \
                                                          1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);    \
        const __m256i half = _mm256_set1_epi32(1 << (AREA_HSHIFT - 1));                                         \
        int x = 0;                                                                                              \
        for (; x + 2 <= dw; x += 2) {                                                                           \
            const int16_t *p0 = col + (size_t)first[x] * (C), *p1 = col + (size_t)first[x + 1] * (C);           \
            const int16_t *w0 = w + (size_t)x * k, *w1 = w0 + k;                                                \
            __m256i acc = half;                                                                                 \
            for (int t = 0; t < k; t += 2, p0 += 2 * (C), p1 += 2 * (C)) {                                      \
                __m256i v = _mm256_loadu2_m128i((const __m128i *)(const void *)p1, (const __m128i *)(const void *)p0); \
                int32_t a, b;                                                                                   \
                memcpy(&a, w0 + t, 4), memcpy(&b, w1 + t, 4);                                                   \
                __m256i wp = _mm256_setr_epi32(a, a, a, a, b, b, b, b);                                         \
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_shuffle_epi8(v, order), wp));              \
            }                                                                                                   \
            acc = _mm256_srai_epi32(acc, AREA_HSHIFT);                                                          \
            __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(acc, acc), acc);                             \
            uint32_t v0 = (uint32_t)_mm256_cvtsi256_si32(bytes),                                                \
                     v1 = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(bytes, 1));                      \
            memcpy(d + (size_t)x * (C), &v0, (C));                                                              \
            memcpy(d + (size_t)(x + 1) * (C), &v1, (C));                                                        \
        }                                                                                                       \
        return x;                                                                                               \
    }
HAREA_AVX2(3)
HAREA_AVX2(4)
#endif

static void varea(const uint8_t *const *rows, const int16_t *w, int n, int32_t *acc, int16_t *col, size_t len) {
    size_t done = 0;
#ifdef TS_IMAGE_X86
    ts_image_simd_level simd = ts_image_simd();
    if (simd >= TS_IMAGE_SIMD_AVX512) done = varea_avx512(rows, w, n, col, len);
    else if (simd >= TS_IMAGE_SIMD_AVX2) done = varea_avx2(rows, w, n, col, len);
#endif
    varea_scalar(rows, w, n, acc, col, done, len);
}

static void harea(const taps_plan *plan, const int16_t *col, uint8_t *d, int dw, int c, int k, const int *first,
                  const int16_t *w) {
    int done = 0;
#ifdef TS_IMAGE_X86
    if (plan->blocks) {
        taps_avx512(plan, col, 1 << (AREA_HSHIFT - 1), AREA_HSHIFT, NULL, d);
        return;
    }
    if ((c == 3 || c == 4) && ts_image_simd() >= TS_IMAGE_SIMD_AVX2)
        done = (c == 3 ? harea_avx2_3 : harea_avx2_4)(col, d, dw, k, first, w);
#else
    (void)plan;
#endif
    harea_scalar(col, d, done, dw, c, k, first, w);
}

/* Vertical first: an output row's source rows are summed along whole rows
 * (vectorised), then each output pixel takes its horizontal taps from that
 * sum, so the horizontal work is per output row rather than per source
 * row. */
static ts_status resize_area(ts_ctx *ctx, const ts_image *src, const ts_image *dst) {
    int c = src->c, dw = dst->w, dh = dst->h;
    int kx = ((int)ceil((double)src->w / dw) + 2) & ~1, ky = (int)ceil((double)src->h / dh) + 1;
    size_t sn = (size_t)src->w * (size_t)c, spare = (size_t)kx * (size_t)c + TAPS_WINDOW;
    int *ix = ts_alloc_array(ctx, (size_t)dw + (size_t)dh, sizeof *ix);
    int16_t *wx = ts_alloc_array(ctx, (size_t)dw * (size_t)kx + (size_t)dh * (size_t)ky, sizeof *wx);
    int16_t *col = ts_alloc_array(ctx, sn + spare, sizeof *col); /* the row sums, then zeros past any tap */
    int32_t *acc = ts_alloc_array(ctx, sn, sizeof *acc);
    const uint8_t **rows = ts_alloc_array(ctx, (size_t)ky, sizeof *rows);
    ts_status st = ix && wx && col && acc && rows ? TS_OK : TS_ERR_NOMEM;
    taps_plan plan = {0};
    if (st == TS_OK) {
        memset(col + sn, 0, spare * sizeof *col);
        area_tab(src->w, dw, kx, ix, wx);
        area_tab(src->h, dh, ky, ix + dw, wx + (size_t)dw * (size_t)kx);
        st = taps_plan_make(ctx, dw, c, kx, ix, wx, &plan);
    }
    for (int y = 0; st == TS_OK && y < dh; y++) {
        int n = 0, top = ix[dw + y]; /* the rows of nonzero weight, from `top` */
        const int16_t *wyy = wx + (size_t)dw * (size_t)kx + (size_t)y * (size_t)ky;
        while (n < ky && top + n < src->h && (n == 0 || wyy[n])) rows[n] = ts_image_row(src, top + n), n++;
        varea(rows, wyy, n, acc, col, sn);
        harea(&plan, col, ts_image_row(dst, y), dw, c, kx, ix, wx);
    }
    taps_plan_free(&plan);
    free(ix), free(wx), free(col), free(acc), free(rows);
    return st;
}

/* Whole-number factors, as cv2's resizeAreaFast: integer block sums, the
 * 2x2 case rounded half up ((sum + 2) >> 2, its vector path), the others to
 * nearest even (its cvRound of sum / area). */
/* The 2x2 mean, (a + b + c + d + 2) >> 2; inlined with a constant c. */
static inline void half(const ts_image *src, const ts_image *dst, int c) {
    for (int y = 0; y < dst->h; y++) {
        const uint8_t *restrict a = ts_image_row(src, 2 * y), *restrict b = ts_image_row(src, 2 * y + 1);
        uint8_t *restrict d = ts_image_row(dst, y);
        for (int x = 0; x < dst->w; x++, a += 2 * c, b += 2 * c, d += c)
            for (int k = 0; k < c; k++) d[k] = (uint8_t)((a[k] + a[k + c] + b[k] + b[k + c] + 2) >> 2);
    }
}

static ts_status resize_area_int(ts_ctx *ctx, const ts_image *src, const ts_image *dst, int fx, int fy) {
    int c = src->c, dw = dst->w;
    size_t sn = (size_t)src->w * (size_t)c;
    if (fx == 2 && fy == 2) {
        switch (c) {
        case 1: half(src, dst, 1); break;
        case 3: half(src, dst, 3); break;
        case 4: half(src, dst, 4); break;
        default: half(src, dst, c); break;
        }
        return TS_OK;
    }
    uint32_t *col = ts_alloc_array(ctx, sn, sizeof *col);
    if (!col) return TS_ERR_NOMEM;
    uint32_t area = (uint32_t)fx * (uint32_t)fy;
    size_t step = (size_t)fx * (size_t)c;
    for (int y = 0; y < dst->h; y++) {
        const uint8_t *s = ts_image_row(src, y * fy);
        for (size_t i = 0; i < sn; i++) col[i] = s[i];
        for (int t = 1; t < fy; t++) {
            s = ts_image_row(src, y * fy + t);
            for (size_t i = 0; i < sn; i++) col[i] += s[i];
        }
        uint8_t *d = ts_image_row(dst, y);
        const uint32_t *p = col;
        for (int x = 0; x < dw; x++, p += step)
            for (int k = 0; k < c; k++) {
                uint32_t sum = 0;
                for (size_t t = (size_t)k; t < step; t += (size_t)c) sum += p[t];
                uint32_t q = sum / area, r = sum - q * area;
                q += 2 * r > area || (2 * r == area && (q & 1));
                *d++ = (uint8_t)q;
            }
    }
    free(col);
    return TS_OK;
}

/* ---- entry points --------------------------------------------------------------- */

ts_status ts_image_resize_into(ts_ctx *ctx, const ts_image *src, const ts_image *dst, ts_interp interp) {
    if (!src->data || !dst->data || src->w <= 0 || src->h <= 0 || dst->w <= 0 || dst->h <= 0)
        return ts_error(ctx, TS_ERR_INVALID, "resize: empty image");
    if (src->type != TS_PIX_U8 || dst->type != TS_PIX_U8)
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "resize: only 8-bit pixels");
    if (src->c != dst->c || src->c <= 0)
        return ts_error(ctx, TS_ERR_INVALID, "resize: %d channels into %d", src->c, dst->c);
    switch (interp) {
    case TS_INTERP_NEAREST: {
        size_t *xofs = ts_alloc_array(ctx, (size_t)dst->w, sizeof *xofs);
        if (!xofs) return TS_ERR_NOMEM;
        nearest_tab(src->w, dst->w, src->c, xofs);
        resize_nearest(src, dst, xofs);
        free(xofs);
        return TS_OK;
    }
    case TS_INTERP_BILINEAR:
        /* exact halving: the 2x2 mean, the same pixels by a faster road (cv2
         * takes it too) */
        if (src->w == 2 * dst->w && src->h == 2 * dst->h) return resize_area_int(ctx, src, dst, 2, 2);
        return resize_linear(ctx, src, dst, 0);
    case TS_INTERP_AREA:
        /* cv2 averages areas only when neither side grows. */
        if (dst->w <= src->w && dst->h <= src->h) {
            if (src->w % dst->w == 0 && src->h % dst->h == 0)
                return resize_area_int(ctx, src, dst, src->w / dst->w, src->h / dst->h);
            return resize_area(ctx, src, dst);
        }
        return resize_linear(ctx, src, dst, 1);
    }
    return ts_error(ctx, TS_ERR_INVALID, "resize: unknown interpolation %d", (int)interp);
}

ts_status ts_image_resize(ts_ctx *ctx, const ts_image *src, int w, int h, ts_interp interp, ts_image *out) {
    ts_image img;
    ts_status s = ts_image_alloc(ctx, w, h, src->c, src->type, &img);
    if (s != TS_OK) return s;
    s = ts_image_resize_into(ctx, src, &img, interp);
    if (s != TS_OK) {
        ts_image_free(&img);
        return s;
    }
    *out = img;
    return TS_OK;
}
