/* Resize of U8 HWC images, any channel count: nearest, bilinear and area,
 * following cv2.resize's sampling grids and weights so results match it.
 * Separable: weights are computed once per call, then one horizontal pass
 * per source row (cached) and one vertical blend per output row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "image/image_internal.h"

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

/* ---- bilinear ----------------------------------------------------------------- */

/* Two source taps and 11-bit weights per output index, as cv2 computes them:
 * pixel-centre aligned, or (area_mode, cv2's INTER_AREA when enlarging)
 * with the source cell boundaries. Taps are clamped at the edges; the
 * second tap is always the first + 1 (a last-pixel tap becomes the one
 * before it with all the weight on the second), so one offset serves. */
static void linear_tab(int sn, int dn, int area_mode, int c, int *ofs, int16_t *w) {
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
        ofs[d] = s * c;
        w[2 * d] = w0;
        w[2 * d + 1] = w1;
    }
}

/* One source row through the horizontal taps, kept as cv2 keeps it before
 * the vertical blend: (s0*w0 + s1*w1) >> 4 in 16 bits. */
#define HLIN_ROW(C)                                                                                           \
    for (int x = 0; x < dw; x++, d += (C)) {                                                                 \
        const uint8_t *p = s + ofs[x];                                                                       \
        int a0 = w[2 * x], a1 = w[2 * x + 1];                                                                \
        for (int k = 0; k < (C); k++) d[k] = (int16_t)((p[k] * a0 + p[k + (C)] * a1) >> 4);                  \
    }

static void hlin(const uint8_t *restrict s, int16_t *restrict d, int dw, int c, const int *restrict ofs,
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
    size_t n = (size_t)dw * (size_t)c;
    int *xi = ts_alloc_array(ctx, (size_t)dw + (size_t)dh, sizeof *xi);
    int16_t *wt = ts_alloc_array(ctx, 2 * ((size_t)dw + (size_t)dh), sizeof *wt);
    int16_t *rows = ts_alloc_array(ctx, 2 * n, sizeof *rows);
    if (!xi || !wt || !rows) {
        free(xi), free(wt), free(rows);
        return TS_ERR_NOMEM;
    }
    int *yi = xi + dw;
    int16_t *yw = wt + 2 * dw;
    linear_tab(src->w, dw, area_mode, c, xi, wt);
    linear_tab(src->h, dh, area_mode, 1, yi, yw);
    /* Two cached horizontal passes; output rows walk down the source, so
     * each source row is filtered once. */
    int16_t *buf[2] = {rows, rows + n};
    int tag[2] = {-1, -1};
    for (int y = 0; y < dh; y++) {
        int want[2] = {yi[y], yi[y] + (src->h > 1)};
        int16_t *r[2];
        for (int k = 0; k < 2; k++) {
            int slot = tag[0] == want[k] ? 0 : tag[1] == want[k] ? 1 : -1;
            if (slot < 0) {
                slot = tag[0] == want[1 - k] ? 1 : 0; /* keep the other wanted row */
                hlin(ts_image_row(src, want[k]), buf[slot], dw, c, xi, wt, src->w == 1);
                tag[slot] = want[k];
            }
            r[k] = buf[slot];
        }
        vlin(r[0], r[1], ts_image_row(dst, y), n, yw[2 * y], yw[2 * y + 1]);
    }
    free(xi), free(wt), free(rows);
    return TS_OK;
}

/* ---- area --------------------------------------------------------------------- */

/* cv2's computeResizeAreaTab: output cell d covers source [d*scale,
 * (d+1)*scale); each source pixel weighs by its overlap. The taps of one
 * cell are contiguous: first[d] .. first[d] + count[d] - 1, at most `k`. */
static void area_tab(int sn, int dn, int k, int *first, int *count, float *w) {
    double scale = (double)sn / dn;
    for (int d = 0; d < dn; d++) {
        double fs1 = d * scale, fs2 = fs1 + scale;
        double cell = scale < sn - fs1 ? scale : sn - fs1;
        int s1 = (int)ceil(fs1), s2 = (int)floor(fs2);
        if (s2 > sn - 1) s2 = sn - 1;
        if (s1 > s2) s1 = s2;
        int t = 0;
        float *wd = w + (size_t)d * (size_t)k;
        first[d] = s1;
        if (s1 - fs1 > 1e-3) {
            first[d] = s1 - 1;
            wd[t++] = (float)((s1 - fs1) / cell);
        }
        for (int s = s1; s < s2; s++) wd[t++] = (float)(1.0 / cell);
        if (fs2 - s2 > 1e-3) {
            double part = fs2 - s2 < 1 ? fs2 - s2 : 1;
            wd[t++] = (float)((part < cell ? part : cell) / cell);
        }
        count[d] = t;
    }
}

/* One output row from the vertical sums `col` of its source rows, as
 * floats: every cell takes exactly k taps (the weights past a cell's own
 * are zero and `col` has k zero pixels past its end), so with k and c
 * constant after inlining the taps unroll. */
static inline void harea_row(const float *restrict col, float *restrict d, int dw, int c, int k,
                             const int *restrict first, const float *restrict w) {
    for (int x = 0; x < dw; x++, d += c) {
        const float *p = col + (size_t)first[x] * (size_t)c, *wx = w + (size_t)x * (size_t)k;
        float acc[4] = {0, 0, 0, 0};
        for (int t = 0; t < k; t++)
            for (int ch = 0; ch < c; ch++) acc[ch] += p[t * c + ch] * wx[t];
        for (int ch = 0; ch < c; ch++) d[ch] = acc[ch];
    }
}

#define HAREA_CASE(C, K)                                                                                      \
    case (C) * 8 + (K): harea_row(col, d, dw, (C), (K), first, w); return;

static void harea(const float *col, float *d, int dw, int c, int k, const int *first, const float *w) {
    if (c <= 4 && k <= 5) {
        switch (c * 8 + k) {
            HAREA_CASE(1, 2) HAREA_CASE(1, 3) HAREA_CASE(1, 4) HAREA_CASE(1, 5)
            HAREA_CASE(3, 2) HAREA_CASE(3, 3) HAREA_CASE(3, 4) HAREA_CASE(3, 5)
            HAREA_CASE(4, 2) HAREA_CASE(4, 3) HAREA_CASE(4, 4) HAREA_CASE(4, 5)
        default: break;
        }
    }
    for (int x = 0; x < dw; x++, d += c) { /* any c and k */
        const float *p = col + (size_t)first[x] * (size_t)c, *wx = w + (size_t)x * (size_t)k;
        for (int ch = 0; ch < c; ch++) {
            float acc = 0;
            for (int t = 0; t < k; t++) acc += p[t * c + ch] * wx[t];
            d[ch] = acc;
        }
    }
}

/* Rounded half up and clamped, as cv2 (branch-free: it vectorises). */
static void round_row(const float *restrict f, uint8_t *restrict d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = f[i] + 0.5f;
        v = v > 255.f ? 255.f : v;
        v = v < 0.f ? 0.f : v;
        d[i] = (uint8_t)(int)v;
    }
}

/* Vertical first: the weighted sum of an output row's source rows runs
 * along whole rows (vectorised), then each output pixel takes its
 * horizontal taps from that sum, so the horizontal work is per output row
 * rather than per source row. */
static ts_status resize_area(ts_ctx *ctx, const ts_image *src, const ts_image *dst) {
    int c = src->c, dw = dst->w, dh = dst->h;
    int kx = (int)ceil((double)src->w / dw) + 1, ky = (int)ceil((double)src->h / dh) + 1;
    size_t sn = (size_t)src->w * (size_t)c;
    int *ix = ts_alloc_array(ctx, 2 * ((size_t)dw + (size_t)dh), sizeof *ix);
    float *wx = ts_alloc_array(ctx, (size_t)dw * (size_t)kx + (size_t)dh * (size_t)ky, sizeof *wx);
    /* the row sums and k zero pixels, then one output row */
    float *col = ts_alloc_array(ctx, sn + (size_t)kx * (size_t)c + (size_t)dw * (size_t)c, sizeof *col);
    if (!ix || !wx || !col) {
        free(ix), free(wx), free(col);
        return TS_ERR_NOMEM;
    }
    memset(wx, 0, ((size_t)dw * (size_t)kx + (size_t)dh * (size_t)ky) * sizeof *wx);
    memset(col + sn, 0, (size_t)kx * (size_t)c * sizeof *col);
    int *iy = ix + 2 * dw;
    float *wy = wx + (size_t)dw * (size_t)kx, *hrow = col + sn + (size_t)kx * (size_t)c;
    area_tab(src->w, dw, kx, ix, ix + dw, wx);
    area_tab(src->h, dh, ky, iy, iy + dh, wy);
    for (int y = 0; y < dh; y++) {
        const float *wyy = wy + (size_t)y * (size_t)ky;
        for (int t = 0; t < iy[dh + y]; t++) {
            const uint8_t *restrict s = ts_image_row(src, iy[y] + t);
            float b = wyy[t];
            if (t == 0)
                for (size_t i = 0; i < sn; i++) col[i] = s[i] * b;
            else
                for (size_t i = 0; i < sn; i++) col[i] += s[i] * b;
        }
        harea(col, hrow, dw, c, kx, ix, wx);
        round_row(hrow, ts_image_row(dst, y), (size_t)dw * (size_t)c);
    }
    free(ix), free(wx), free(col);
    return TS_OK;
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
