/* Resampling through a 3x3 matrix, once per fused run of geometric ops:
 * copies for integer shifts and flips, the separable resize for
 * axis-aligned scaling, and a bilinear/nearest warp otherwise. Matrices map
 * input to output in pixel-edge coordinates. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define AUG_X86 1
#endif

#include "aug_internal.h"
#include "bilinear.h"
#include "image/simd.h"

/* Vector paths chosen at run time give the same bytes as the portable
 * loops; tests set aug_simd_off to run the portable ones and compare. */
int aug_simd_off;
int aug_vbmi(void) {
#ifdef AUG_X86
    static _Atomic int known; /* 0 unknown, 1 no, 2 yes */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (!k) {
        k = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw") ? 2 : 1;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k == 2 && !aug_simd_off;
#else
    return 0;
#endif
}

int aug_avx2(void) { return ts_image_simd() >= TS_IMAGE_SIMD_AVX2 && aug_simd_off != 1; }

ts_status aug_image_alloc_uninit(ts_ctx *ctx, int w, int h, int c, ts_image *out) {
    if (w <= 0 || h <= 0 || c <= 0 || c > 4)
        return ts_error(ctx, TS_ERR_INVALID, "cannot allocate a %dx%d image with %d channels", w, h, c);
    ts_status s = ts_image_check_size(ctx, (uint64_t)w, (uint64_t)h, "image");
    if (s != TS_OK) return s;
    uint8_t *data = ts_alloc_array(ctx, (size_t)w * (size_t)c, (size_t)h);
    if (!data) return TS_ERR_NOMEM;
    out->w = w, out->h = h, out->c = c, out->stride = (size_t)w * (size_t)c, out->type = TS_PIX_U8, out->data = data;
    out->block = NULL;
    return TS_OK;
}

void aug_mat_identity(double m[9]) {
    static const double id[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(m, id, sizeof id);
}

void aug_mat_mul(const double a[9], const double b[9], double out[9]) {
    double r[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    memcpy(out, r, sizeof r);
}

int aug_mat_invert(const double m[9], double out[9]) {
    double c0 = m[4] * m[8] - m[5] * m[7], c1 = m[5] * m[6] - m[3] * m[8], c2 = m[3] * m[7] - m[4] * m[6];
    double det = m[0] * c0 + m[1] * c1 + m[2] * c2;
    if (!(fabs(det) > 1e-300) || !isfinite(det)) return 0;
    double r[9] = {c0, m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                   c1, m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                   c2, m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]};
    for (int i = 0; i < 9; i++) out[i] = r[i] / det;
    return 1;
}

void aug_mat_apply(const double m[9], double x, double y, double *ox, double *oy) {
    *ox = m[0] * x + m[1] * y + m[2], *oy = m[3] * x + m[4] * y + m[5];
    if (m[6] == 0 && m[7] == 0 && m[8] == 1) return; /* affine: w = 1, the division changes nothing */
    double w = m[6] * x + m[7] * y + m[8];
    *ox /= w, *oy /= w;
}

static int near_int(double v) { return fabs(v - nearbyint(v)) < 1e-7; }

/* A shift in pixels clamped to +-2^30 (NaN to -2^30): images are far
 * smaller, so the result is the same, and it converts to int without
 * overflow. */
static double clamp_shift(double v) { return !(v > -0x1p30) ? -0x1p30 : v > 0x1p30 ? 0x1p30 : v; }

#ifdef AUG_X86
/* 64 / c pixels a step, reversed by one byte permute; returns the pixels done. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static int reversed_vbmi(uint8_t *dst, const uint8_t *src_last,
                                                                                  int n, int c) {
    int per = 64 / c, bytes = per * c;
    uint8_t idx[64] = {0};
    for (int j = 0; j < bytes; j++) idx[j] = (uint8_t)((per - 1 - j / c) * c + j % c);
    __m512i perm = _mm512_loadu_si512(idx);
    __mmask64 live = bytes == 64 ? ~(__mmask64)0 : ((__mmask64)1 << bytes) - 1;
    int x = 0;
    for (; x + per <= n; x += per, dst += bytes, src_last -= bytes) {
        __m512i v = _mm512_maskz_loadu_epi8(live, src_last - (size_t)(per - 1) * c);
        _mm512_mask_storeu_epi8(dst, live, _mm512_permutexvar_epi8(perm, v));
    }
    return x;
}
#endif

/* Copy n pixels of c channels in reverse order (a mirrored row). */
static void copy_reversed(uint8_t *dst, const uint8_t *src_last, int n, int c) {
#ifdef AUG_X86
    if (aug_vbmi()) {
        int done = reversed_vbmi(dst, src_last, n, c);
        dst += (size_t)done * c, src_last -= (size_t)done * c, n -= done;
    }
#endif
    if (c == 3) {
        /* four pixels a b c d (three little-endian words) become d c b a */
        int x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        for (; x + 4 <= n; x += 4, dst += 12, src_last -= 12) {
            uint32_t w[3], o[3];
            memcpy(w, src_last - 9, 12); /* pixels d' c' b' a' in memory order: the last is first out */
            o[0] = (w[2] >> 8) | (w[1] << 8 & 0xff000000u);
            o[1] = (w[1] >> 24) | (w[2] & 0xffu) << 8 | (w[0] >> 24) << 16 | (w[1] & 0xffu) << 24;
            o[2] = (w[1] >> 8 & 0xffu) | w[0] << 8;
            memcpy(dst, o, 12);
        }
#endif
        for (; x < n; x++, dst += 3, src_last -= 3) dst[0] = src_last[0], dst[1] = src_last[1], dst[2] = src_last[2];
    } else if (c == 4) {
        for (int x = 0; x < n; x++, dst += 4, src_last -= 4) memcpy(dst, src_last, 4);
    } else if (c == 1) {
        for (int x = 0; x < n; x++) dst[x] = src_last[-x];
    } else {
        for (int x = 0; x < n; x++, dst += c, src_last -= c) memcpy(dst, src_last, (size_t)c);
    }
}

/* Integer shifts and flips: every output pixel is one input pixel. Rows
 * are split into the part inside the source (one memcpy, or a reversed
 * copy) and the border parts. */
static void copy_shift(const ts_image *src, const double inv[9], int border, const uint8_t *fill, ts_image *out) {
    int c = src->c, W = src->w;
    int sx = inv[0] > 0 ? 1 : -1, sy = inv[4] > 0 ? 1 : -1;
    /* output pixel x covers [x, x+1): its centre maps to inv(x + .5); a
     * shift past 2^30 px leaves every pixel outside just as 2^30 does */
    int x0 = (int)floor(clamp_shift(inv[0] * 0.5 + inv[2])), y0 = (int)floor(clamp_shift(inv[4] * 0.5 + inv[5]));
    /* output columns [a, b) read source columns inside [0, W) */
    int a, b;
    if (sx > 0) a = x0 < 0 ? -x0 : 0, b = W - x0;
    else a = x0 >= W ? x0 - W + 1 : 0, b = x0 + 1;
    if (a > out->w) a = out->w;
    if (b > out->w) b = out->w;
    if (b < a) b = a;
    for (int y = 0; y < out->h; y++) {
        uint8_t *dst = ts_image_row(out, y);
        int yy = aug_border_index(y0 + sy * y, src->h, border);
        if (yy < 0) {
            memset(dst, fill[0], (size_t)out->w * c);
            continue;
        }
        const uint8_t *row = ts_image_row(src, yy);
        if (b > a) {
            if (sx > 0) memcpy(dst + (size_t)a * c, row + (size_t)(x0 + a) * c, (size_t)(b - a) * c);
            else copy_reversed(dst + (size_t)a * c, row + (size_t)(x0 - a) * c, b - a, c);
        }
        for (int part = 0; part < 2; part++) {
            int from = part ? b : 0, to = part ? out->w : a;
            if (from >= to) continue;
            if (border == 0) {
                memset(dst + (size_t)from * c, fill[0], (size_t)(to - from) * c);
                continue;
            }
            for (int x = from; x < to; x++)
                memcpy(dst + (size_t)x * c, row + (size_t)aug_border_index(x0 + sx * x, W, border) * c, (size_t)c);
        }
    }
}

/* One nearest-neighbour output pixel at (sxf, syf), index space (pixel
 * centres at integers). */
static void nearest_pixel(const ts_image *src, double sxf, double syf, int border, const uint8_t *fill, uint8_t *o) {
    int c = src->c;
    if (!(fabs(sxf) < 1e9 && fabs(syf) < 1e9)) {
        memcpy(o, fill, (size_t)c);
        return;
    }
    int xx = aug_border_index((int)floor(sxf + 0.5), src->w, border);
    int yy = aug_border_index((int)floor(syf + 0.5), src->h, border);
    memcpy(o, xx < 0 || yy < 0 ? fill : (const uint8_t *)ts_image_row(src, yy) + (size_t)xx * c, (size_t)c);
}

/* The inverse map in index space: T(-1/2) inv T(+1/2). */
static void index_space(const double inv[9], double out[9]) {
    const double to_edge[9] = {1, 0, 0.5, 0, 1, 0.5, 0, 0, 1}, to_index[9] = {1, 0, -0.5, 0, 1, -0.5, 0, 0, 1};
    double t[9];
    aug_mat_mul(inv, to_edge, t);
    aug_mat_mul(to_index, t, out);
}

/* A nearest-neighbour row (masks and label maps): the source position in
 * doubles per pixel. */
static void nearest_row(const ts_image *src, const double inv[9], int y, int border, const uint8_t *fill, uint8_t *dst,
                        int w) {
    int c = src->c;
    double py = y + 0.5;
    double bx = inv[1] * py + inv[2] + inv[0] * 0.5 - 0.5, by = inv[4] * py + inv[5] + inv[3] * 0.5 - 0.5;
    double bw = inv[7] * py + inv[8] + inv[6] * 0.5;
    int affine = inv[6] == 0 && inv[7] == 0 && inv[8] == 1;
    for (int x = 0; x < w; x++) {
        double sxf = bx + inv[0] * x, syf = by + inv[3] * x;
        if (!affine) {
            double wz = bw + inv[6] * x;
            sxf = (sxf + 0.5) / wz - 0.5, syf = (syf + 0.5) / wz - 0.5;
        }
        nearest_pixel(src, sxf, syf, border, fill, dst + (size_t)x * c);
    }
}

static void warp_general(const ts_image *src, const double inv[9], int interp, int border, const uint8_t *fill,
                         ts_image *out) {
    int c = src->c;
    double a[9];
    index_space(inv, a);
    aug_sampler sampler = {src, border, fill};
    int32_t xs[AUG_SPAN], ys[AUG_SPAN];
    for (int y = 0; y < out->h; y++) {
        uint8_t *dst = ts_image_row(out, y);
        if (interp == 0) {
            nearest_row(src, inv, y, border, fill, dst, out->w);
            continue;
        }
        /* output pixel x of this row reads ((bx + ax x) / (bw + aw x), (by + ay x) / (bw + aw x)) */
        const double row[6] = {a[1] * y + a[2], a[0], a[4] * y + a[5], a[3], a[7] * y + a[8], a[6]};
        for (int x = 0; x < out->w; x += AUG_SPAN) {
            int n = out->w - x < AUG_SPAN ? out->w - x : AUG_SPAN;
            aug_positions_projective(row, x, n, xs, ys);
            aug_bilinear_span(&sampler, xs, ys, n, dst + (size_t)x * c);
        }
    }
}

/* Mirror an image in place through one scratch row: a mirrored row is a
 * reversed copy into the scratch and a copy back, a vertical flip swaps
 * rows through it. */
static ts_status flip_rows_in_place(ts_ctx *ctx, ts_image *img, int horizontal, int vertical) {
    if (!horizontal && !vertical) return TS_OK;
    int c = img->c;
    size_t n = (size_t)img->w * c;
    uint8_t *t = ts_alloc_array(ctx, n, 1);
    if (!t) return TS_ERR_NOMEM;
    if (horizontal)
        for (int y = 0; y < img->h; y++) {
            uint8_t *row = ts_image_row(img, y);
            copy_reversed(t, row + n - (size_t)c, img->w, c);
            memcpy(row, t, n);
        }
    if (vertical)
        for (int a = 0, b = img->h - 1; a < b; a++, b--) {
            memcpy(t, ts_image_row(img, a), n);
            memcpy(ts_image_row(img, a), ts_image_row(img, b), n);
            memcpy(ts_image_row(img, b), t, n);
        }
    free(t);
    return TS_OK;
}

int aug_crop_in_place(ts_image *img, const double m[9], int w, int h) {
    int translation = fabs(m[0] - 1) < 1e-12 && m[1] == 0 && m[3] == 0 && fabs(m[4] - 1) < 1e-12 && m[6] == 0 &&
                      m[7] == 0 && m[8] == 1;
    if (!translation || !near_int(m[2]) || !near_int(m[5]) || fabs(m[2]) > 0x1p30 || fabs(m[5]) > 0x1p30) return 0;
    long x0 = -lround(m[2]), y0 = -lround(m[5]); /* output (0, 0) shows input (x0, y0) */
    if (x0 < 0 || y0 < 0 || x0 + w > img->w || y0 + h > img->h) return 0;
    if (!img->block) img->block = img->data;
    img->data = (uint8_t *)img->data + (size_t)y0 * img->stride + (size_t)x0 * (size_t)img->c * ts_pixel_size(img->type);
    img->w = w, img->h = h;
    return 1;
}

ts_status aug_warp(ts_ctx *ctx, const ts_image *src, const double m[9], int w, int h, int interp, int border,
                   const uint8_t *fill, ts_image *out) {
    double inv[9];
    if (!aug_mat_invert(m, inv)) return ts_error(ctx, TS_ERR_INVALID, "augment: the geometric ops collapse the image");
    uint8_t zero[4] = {0, 0, 0, 0};
    if (!fill) fill = zero;
    int axis = m[1] == 0 && m[3] == 0 && m[6] == 0 && m[7] == 0 && m[8] == 1;
    if (axis && fabs(fabs(m[0]) - 1) < 1e-12 && fabs(fabs(m[4]) - 1) < 1e-12 && near_int(m[2]) && near_int(m[5])) {
        ts_status s = aug_image_alloc_uninit(ctx, w, h, src->c, out);
        if (s == TS_OK) copy_shift(src, inv, border, fill, out);
        return s;
    }
    if (axis) {
        /* the output rectangle comes from this input rectangle */
        double x0 = inv[2], x1 = inv[0] * w + inv[2], y0 = inv[5], y1 = inv[4] * h + inv[5];
        int hflip = x1 < x0, vflip = y1 < y0;
        if (hflip) { double t = x0; x0 = x1; x1 = t; }
        if (vflip) { double t = y0; y0 = y1; y1 = t; }
        if (near_int(x0) && near_int(y0) && near_int(x1) && near_int(y1) && x0 > -1e-7 && y0 > -1e-7 &&
            x1 < src->w + 1e-7 && y1 < src->h + 1e-7 && x1 - x0 >= 1 && y1 - y0 >= 1) {
            ts_image view;
            ts_status s = ts_image_crop(ctx, src, (int)nearbyint(x0), (int)nearbyint(y0), (int)nearbyint(x1 - x0),
                                        (int)nearbyint(y1 - y0), &view);
            int shrink = (x1 - x0) > w || (y1 - y0) > h;
            ts_interp ip = interp == 0 ? TS_INTERP_NEAREST : shrink ? TS_INTERP_AREA : TS_INTERP_BILINEAR;
            if (s == TS_OK) s = aug_image_alloc_uninit(ctx, w, h, src->c, out);
            if (s == TS_OK && ((s = ts_image_resize_into(ctx, &view, out, ip)) != TS_OK ||
                               (s = flip_rows_in_place(ctx, out, hflip, vflip)) != TS_OK))
                ts_image_free(out);
            return s;
        }
    }
    ts_status s = aug_image_alloc_uninit(ctx, w, h, src->c, out);
    if (s == TS_OK) warp_general(src, inv, interp, border, fill, out);
    return s;
}

ts_status aug_warp_mask(ts_ctx *ctx, const uint8_t *mask, int sw, int sh, const double m[9], int w, int h,
                        uint8_t **out) {
    ts_image src = {sw, sh, 1, (size_t)sw, TS_PIX_U8, (void *)mask, NULL}, dst;
    uint8_t zero[4] = {0, 0, 0, 0};
    double inv[9];
    if (!aug_mat_invert(m, inv)) return ts_error(ctx, TS_ERR_INVALID, "augment: the geometric ops collapse the image");
    ts_status s = ts_image_alloc(ctx, w, h, 1, TS_PIX_U8, &dst);
    if (s != TS_OK) return s;
    warp_general(&src, inv, 0, 0, zero, &dst); /* nearest: labels are never blended */
    *out = dst.data;
    return TS_OK;
}
