/* Filters: Gaussian, box and motion blur, median, sharpening, histogram
 * equalisation, CLAHE and JPEG re-compression. Borders reflect (101), as
 * OpenCV's filters do by default. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

/* Row kernels (AUG_ROW_KERNEL) use integer arithmetic only; the AVX2
 * intrinsics paths below are chosen at run time (aug_avx2). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86_SIMD 1
#include <immintrin.h>
#else
#define HAVE_X86_SIMD 0
#endif

static int reflect101(int i, int n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

/* A copy of `img` with `r` pixels of reflect-101 border on every side, so
 * the filters below read any neighbour at a fixed offset. */
static ts_status pad_reflect(ts_ctx *ctx, const ts_image *img, int r, ts_image *out) {
    int w = img->w, h = img->h, c = img->c;
    ts_status st = aug_image_alloc_uninit(ctx, w + 2 * r, h + 2 * r, c, out);
    if (st != TS_OK) return st;
    for (int y = 0; y < h + 2 * r; y++) {
        const uint8_t *src = ts_image_row(img, reflect101(y - r, h));
        uint8_t *dst = ts_image_row(out, y);
        memcpy(dst + (size_t)r * c, src, (size_t)w * c);
        for (int t = 1; t <= r; t++) {
            memcpy(dst + (size_t)(r - t) * c, src + (size_t)reflect101(-t, w) * c, (size_t)c);
            memcpy(dst + (size_t)(r + w - 1 + t) * c, src + (size_t)reflect101(w - 1 + t, w) * c, (size_t)c);
        }
    }
    return TS_OK;
}

/* Vertical pass of a symmetric kernel k[0] (centre), k[1..r] (both sides)
 * in 8-bit weights summing to 2^8, all in 16-bit arithmetic (a side weight
 * is at most 128, so a pair of taps times it fits): rows[0..2r] -> 7
 * fractional bits. */
AUG_ROW_KERNEL static void conv_vpass(const uint8_t *const *rows, int r, const uint16_t *k, uint16_t *acc, uint16_t *out,
                                  size_t n) {
    const uint8_t *mid = rows[r];
    uint16_t k0 = k[0];
    for (size_t i = 0; i < n; i++) acc[i] = (uint16_t)(k0 * mid[i]);
    for (int t = 1; t <= r; t++) {
        const uint8_t *a = rows[r - t], *b = rows[r + t];
        uint16_t kt = k[t];
        for (size_t i = 0; i < n; i++) acc[i] = (uint16_t)(acc[i] + kt * (uint16_t)(a[i] + b[i]));
    }
    for (size_t i = 0; i < n; i++) out[i] = (uint16_t)((acc[i] + 1) >> 1);
}

/* The same with 16-bit weights in 32-bit sums, for wide kernels whose
 * weights 8 bits cannot hold. */
AUG_ROW_KERNEL static void conv_vpass32(const uint8_t *const *rows, int r, const uint32_t *k, uint32_t *acc, uint16_t *out,
                                    size_t n) {
    const uint8_t *mid = rows[r];
    uint32_t k0 = k[0];
    for (size_t i = 0; i < n; i++) acc[i] = k0 * mid[i];
    for (int t = 1; t <= r; t++) {
        const uint8_t *a = rows[r - t], *b = rows[r + t];
        uint32_t kt = k[t];
        for (size_t i = 0; i < n; i++) acc[i] += kt * (uint32_t)(uint16_t)(a[i] + b[i]);
    }
    for (size_t i = 0; i < n; i++) out[i] = (uint16_t)((acc[i] + 256) >> 9);
}

/* Horizontal pass over a row padded by r pixels each side -> 8 bits. */
AUG_ROW_KERNEL static void conv_hpass(const uint16_t *mid, int r, int c, const uint32_t *k, uint32_t *acc, uint8_t *out,
                                  size_t n) {
    uint32_t k0 = k[0];
    for (size_t i = 0; i < n; i++) acc[i] = k0 * mid[i];
    for (int t = 1; t <= r; t++) {
        const uint16_t *a = mid - (ptrdiff_t)t * c, *b = mid + (ptrdiff_t)t * c;
        uint32_t kt = k[t];
        for (size_t i = 0; i < n; i++) acc[i] += kt * (uint32_t)(a[i] + b[i]);
    }
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)((acc[i] + (1u << 22)) >> 23);
}

/* Unsharp mask x + a/256 (x - blur), a in [0, 1280]: (256 x + a (x - blur)
 * + 128) >> 8, saturated, from index `from` on. */
static void unsharp_scalar(const uint8_t *x, const uint8_t *blur, int32_t a, uint8_t *out, size_t from, size_t n) {
    for (size_t i = from; i < n; i++) {
        int32_t v = (x[i] * 256 + a * (x[i] - blur[i]) + 128) >> 8;
        out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

#if HAVE_X86_SIMD
/* The same in 16-bit lanes: with a = 256 hi + lo and d = x - blur,
 * (a d + 128) >> 8 is exactly hi d + ((lo d + 128) >> 8), and the last
 * term is pmulhrsw of d and 128 lo (lo < 256 keeps that in 16 bits).
 * Returns the values done. */
__attribute__((target("avx2"))) static size_t unsharp_avx2(const uint8_t *x, const uint8_t *blur, int32_t a,
                                                           uint8_t *out, size_t n) {
    const __m256i hi = _mm256_set1_epi16((int16_t)(a >> 8)), lo = _mm256_set1_epi16((int16_t)((a & 255) << 7));
    const __m256i zero = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i p = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(blur + i));
        __m256i v[2];
        for (int h = 0; h < 2; h++) { /* widened per 128-bit lane; packing puts the bytes back in place */
            __m256i xs = h ? _mm256_unpackhi_epi8(p, zero) : _mm256_unpacklo_epi8(p, zero);
            __m256i bs = h ? _mm256_unpackhi_epi8(b, zero) : _mm256_unpacklo_epi8(b, zero);
            __m256i d = _mm256_sub_epi16(xs, bs);
            v[h] = _mm256_add_epi16(xs, _mm256_add_epi16(_mm256_mullo_epi16(d, hi), _mm256_mulhrs_epi16(d, lo)));
        }
        _mm256_storeu_si256((__m256i *)(void *)(out + i), _mm256_packus_epi16(v[0], v[1]));
    }
    return i;
}
#endif

static void unsharp_row(const uint8_t *x, const uint8_t *blur, int32_t a, uint8_t *out, size_t n) {
    size_t done = 0;
#if HAVE_X86_SIMD
    if (aug_avx2()) done = unsharp_avx2(x, blur, a, out, n);
#endif
    unsharp_scalar(x, blur, a, out, done, n);
}

/* Separable convolution of `img` with a symmetric kernel (weights f[0..r],
 * f[0] the centre, normalised) into a new image: the vertical pass first,
 * over whole rows, then the horizontal one over a reflected u16 line. Like
 * OpenCV's 8-bit filters it works in fixed point (8-bit weights down, as
 * OpenCV's bit-exact Gaussian, 16-bit across, 7 fractional bits in
 * between); both passes vectorise. With `unsharp` >= 0 each output row is
 * the unsharp mask of its input row by unsharp / 256 (see unsharp_row)
 * instead of the blur, made while the blurred row is in cache. */
static ts_status convolve(ts_ctx *ctx, const ts_image *img, const double *f, int r, int32_t unsharp, ts_image *out) {
    int w = img->w, h = img->h, c = img->c;
    uint32_t k[101];
    uint16_t kv[101];
    if (r > 100) r = 100;
    uint32_t side = 0, side8 = 0;
    for (int t = 1; t <= r; t++) side += k[t] = (uint32_t)lround(f[t] * 65536);
    k[0] = 65536 - 2 * side;
    for (int t = 1; t <= r; t++) side8 += kv[t] = (uint16_t)lround(f[t] * 256);
    kv[0] = (uint16_t)(256 - 2 * side8);
    int narrow = r <= 7 && 2 * side8 <= 256 && kv[1] > 0; /* 8-bit weights represent the kernel */
    size_t row = (size_t)w * c, padded = ((size_t)w + 2 * (size_t)r) * c;
    ts_status st = aug_image_alloc_uninit(ctx, w, h, c, out);
    if (st != TS_OK) return st;
    uint16_t *line = ts_alloc_array(ctx, padded, sizeof *line);
    uint32_t *acc = ts_alloc_array(ctx, padded, sizeof *acc);
    const uint8_t **rows = ts_alloc_array(ctx, 2 * (size_t)r + 1, sizeof *rows);
    uint8_t *blurred = unsharp >= 0 ? ts_alloc_array(ctx, row, 1) : NULL;
    if (!line || !acc || !rows || (unsharp >= 0 && !blurred)) {
        free(line), free(acc), free(rows), free(blurred);
        ts_image_free(out);
        return TS_ERR_NOMEM;
    }
    uint16_t *mid = line + (size_t)r * c;
    for (int y = 0; y < h; y++) {
        for (int t = -r; t <= r; t++) rows[t + r] = ts_image_row(img, reflect101(y + t, h));
        if (narrow) conv_vpass(rows, r, kv, (uint16_t *)acc, mid, row);
        else conv_vpass32(rows, r, k, acc, mid, row);
        for (int t = 1; t <= r; t++) {
            memcpy(mid - (size_t)t * c, mid + (size_t)reflect101(-t, w) * c, (size_t)c * sizeof *line);
            memcpy(mid + (size_t)(w - 1 + t) * c, mid + (size_t)reflect101(w - 1 + t, w) * c, (size_t)c * sizeof *line);
        }
        uint8_t *dst = ts_image_row(out, y);
        conv_hpass(mid, r, c, k, acc, unsharp >= 0 ? blurred : dst, row);
        if (unsharp >= 0) unsharp_row(ts_image_row(img, y), blurred, unsharp, dst, row);
    }
    free(line), free(acc), free(rows), free(blurred);
    return TS_OK;
}

static ts_status convolve_in_place(ts_ctx *ctx, ts_image *img, const double *f, int r, int32_t unsharp) {
    ts_image out;
    ts_status st = convolve(ctx, img, f, r, unsharp, &out);
    if (st != TS_OK) return st;
    ts_image_free(img);
    *img = out;
    return TS_OK;
}

/* Half of a normalised Gaussian kernel: f[0] the centre, f[1..r] a side.
 * The radius follows OpenCV's for 8-bit images (3 sigma). */
static int gauss_kernel(double sigma, double *f) {
    int r = (int)ceil(3 * sigma);
    if (r < 1) r = 1;
    if (r > 100) r = 100;
    double sum = 0;
    for (int i = 0; i <= r; i++) sum += (i ? 2 : 1) * (f[i] = exp(-(double)i * i / (2 * sigma * sigma)));
    for (int i = 0; i <= r; i++) f[i] /= sum;
    return r;
}

static const aug_param_spec gauss_params[] = {{"sigma", PARAM_NUMBER, 0.5, 1.5, 0.05, 50, NULL}, END_PARAMS};
static ts_status gauss_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    double f[101];
    int r = gauss_kernel(d->v[0], f);
    return convolve_in_place(ctx, &s->image, f, r, -1);
}
const aug_op_def aug_op_gaussian_blur = {"gaussian_blur", AUG_PIXEL, gauss_params, NULL, NULL, NULL, gauss_apply, NULL};

static const aug_param_spec box_params[] = {{"ksize", PARAM_INT, 3, 7, 1, 99, NULL}, END_PARAMS};
static ts_status box_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    int r = (int)d->v[0] / 2;
    if (r < 1) return TS_OK;
    double f[101];
    for (int i = 0; i <= r; i++) f[i] = 1.0 / (2 * r + 1);
    return convolve_in_place(ctx, &s->image, f, r, -1);
}
const aug_op_def aug_op_box_blur = {"box_blur", AUG_PIXEL, box_params, NULL, NULL, NULL, box_apply, NULL};

/* Sum of n rows (taps at fixed offsets into a padded image) into u16. */
AUG_ROW_KERNEL static void sum_rows(const uint8_t *const *taps, int n, uint16_t *acc, size_t len) {
    for (size_t i = 0; i < len; i++) acc[i] = taps[0][i];
    for (int t = 1; t < n; t++) {
        const uint8_t *a = taps[t];
        for (size_t i = 0; i < len; i++) acc[i] = (uint16_t)(acc[i] + a[i]);
    }
}

/* motion blur: the average along a line of `ksize` pixels at `angle` */
static const aug_param_spec motion_params[] = {{"ksize", PARAM_INT, 3, 9, 3, 99, NULL},
                                               {"angle", PARAM_NUMBER, 0, 180, -360, 360, NULL},
                                               END_PARAMS};
static ts_status motion_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image *img = &s->image;
    int n = (int)d->v[0], c = img->c, r = n / 2 + 1;
    double dx = cos(d->v[1] * M_PI / 180), dy = -sin(d->v[1] * M_PI / 180);
    int ox[99], oy[99];
    for (int t = 0; t < n; t++) {
        double u = t - (n - 1) / 2.0;
        ox[t] = (int)lround(u * dx), oy[t] = (int)lround(u * dy);
    }
    /* (sum + n/2) / n for every possible sum */
    uint8_t *quot = ts_alloc_array(ctx, (size_t)255 * n + 1, 1);
    uint16_t *acc = ts_alloc_array(ctx, (size_t)img->w * c, sizeof *acc);
    ts_image pad = {0};
    ts_status st = quot && acc ? pad_reflect(ctx, img, r, &pad) : TS_ERR_NOMEM;
    for (int v = 0; st == TS_OK && v <= 255 * n; v++) quot[v] = (uint8_t)((v + n / 2) / n);
    const uint8_t *taps[99];
    for (int y = 0; st == TS_OK && y < img->h; y++) {
        for (int t = 0; t < n; t++)
            taps[t] = (const uint8_t *)ts_image_row(&pad, y + r + oy[t]) + (ptrdiff_t)(r + ox[t]) * c;
        sum_rows(taps, n, acc, (size_t)img->w * c);
        uint8_t *out = ts_image_row(img, y);
        for (size_t i = 0; i < (size_t)img->w * c; i++) out[i] = quot[acc[i]];
    }
    free(quot), free(acc);
    ts_image_free(&pad);
    return st;
}
const aug_op_def aug_op_motion_blur = {"motion_blur", AUG_PIXEL, motion_params, NULL, NULL, NULL, motion_apply, NULL};

/* The comparators of Batcher's network on 9 and 25 wires (padded to 16
 * and 32, whose extra wires hold the maximum and never move) that the
 * middle wire depends on: 24 and 113 of them (bench/, tests/aug check the
 * result against a brute-force median). */
#define MEDIAN9(X)                                                                                              \
    X(0, 1) X(2, 3) X(4, 5) X(6, 7) X(0, 2) X(1, 3) X(4, 6) X(5, 7) X(1, 2) X(5, 6) X(0, 4) X(1, 5) X(2, 6)     \
    X(3, 7) X(2, 4) X(3, 5) X(1, 2) X(3, 4) X(5, 6) X(0, 8) X(4, 8) X(2, 4) X(3, 5) X(3, 4)
#define MEDIAN25(X)                                                                                             \
    X(0, 1) X(2, 3) X(4, 5) X(6, 7) X(8, 9) X(10, 11) X(12, 13) X(14, 15) X(16, 17) X(18, 19) X(20, 21)         \
    X(22, 23) X(0, 2) X(1, 3) X(4, 6) X(5, 7) X(8, 10) X(9, 11) X(12, 14) X(13, 15) X(16, 18) X(17, 19)         \
    X(20, 22) X(21, 23) X(1, 2) X(5, 6) X(9, 10) X(13, 14) X(17, 18) X(21, 22) X(0, 4) X(1, 5) X(2, 6) X(3, 7)  \
    X(8, 12) X(9, 13) X(10, 14) X(11, 15) X(16, 20) X(17, 21) X(18, 22) X(19, 23) X(2, 4) X(3, 5) X(10, 12)     \
    X(11, 13) X(18, 20) X(19, 21) X(1, 2) X(3, 4) X(5, 6) X(9, 10) X(11, 12) X(13, 14) X(17, 18) X(19, 20)      \
    X(21, 22) X(0, 8) X(1, 9) X(2, 10) X(3, 11) X(4, 12) X(5, 13) X(6, 14) X(7, 15) X(16, 24) X(4, 8) X(5, 9)   \
    X(6, 10) X(7, 11) X(20, 24) X(2, 4) X(3, 5) X(6, 8) X(7, 9) X(10, 12) X(11, 13) X(18, 20) X(19, 21)         \
    X(22, 24) X(1, 2) X(3, 4) X(5, 6) X(7, 8) X(9, 10) X(11, 12) X(13, 14) X(17, 18) X(19, 20) X(21, 22)        \
    X(23, 24) X(0, 16) X(1, 17) X(2, 18) X(3, 19) X(4, 20) X(5, 21) X(6, 22) X(7, 23) X(8, 24) X(8, 16)         \
    X(9, 17) X(10, 18) X(11, 19) X(12, 20) X(13, 21) X(6, 10) X(7, 11) X(12, 16) X(13, 17) X(10, 12)            \
    X(11, 13) X(11, 12)

/* One output row: taps[k] is neighbour k's row (a padded image read at a
 * fixed offset), n bytes. The wires of 16 or 32 bytes stay in registers
 * (or the stack) through the whole network; the row's end is done by one
 * more vector overlapping the last, which recomputes the same bytes. */
#define SCALAR_X(a, b) { uint8_t lo_ = w[a] < w[b] ? w[a] : w[b]; w[b] = w[a] < w[b] ? w[b] : w[a]; w[a] = lo_; }
#define MEDIAN_SCALAR(K, NET)                                                                                   \
    static void median##K##_scalar(const uint8_t *const *taps, uint8_t *out, size_t from, size_t n) {           \
        for (size_t i = from; i < n; i++) {                                                                     \
            uint8_t w[K];                                                                                       \
            for (int k = 0; k < (K); k++) w[k] = taps[k][i];                                                    \
            NET(SCALAR_X)                                                                                       \
            out[i] = w[(K) / 2];                                                                                \
        }                                                                                                       \
    }
MEDIAN_SCALAR(9, MEDIAN9)
MEDIAN_SCALAR(25, MEDIAN25)

#if HAVE_X86_SIMD
#define SSE_X(a, b) { __m128i lo_ = _mm_min_epu8(w[a], w[b]); w[b] = _mm_max_epu8(w[a], w[b]); w[a] = lo_; }
#define AVX_X(a, b) { __m256i lo_ = _mm256_min_epu8(w[a], w[b]); w[b] = _mm256_max_epu8(w[a], w[b]); w[a] = lo_; }
#define MEDIAN_SIMD(K, NET)                                                                                     \
    static void median##K##_sse2(const uint8_t *const *taps, uint8_t *out, size_t n) {                          \
        for (size_t i = 0;; i += 16) {                                                                          \
            if (i + 16 > n) i = n - 16;                                                                         \
            __m128i w[K];                                                                                       \
            for (int k = 0; k < (K); k++) w[k] = _mm_loadu_si128((const __m128i *)(const void *)(taps[k] + i)); \
            NET(SSE_X)                                                                                          \
            _mm_storeu_si128((__m128i *)(void *)(out + i), w[(K) / 2]);                                         \
            if (i + 16 == n) break;                                                                             \
        }                                                                                                       \
    }                                                                                                           \
    __attribute__((target("avx2"))) static void median##K##_avx2(const uint8_t *const *taps, uint8_t *out,      \
                                                                 size_t n) {                                    \
        for (size_t i = 0;; i += 32) {                                                                          \
            if (i + 32 > n) i = n - 32;                                                                         \
            __m256i w[K];                                                                                       \
            for (int k = 0; k < (K); k++)                                                                       \
                w[k] = _mm256_loadu_si256((const __m256i *)(const void *)(taps[k] + i));                        \
            NET(AVX_X)                                                                                          \
            _mm256_storeu_si256((__m256i *)(void *)(out + i), w[(K) / 2]);                                      \
            if (i + 32 == n) break;                                                                             \
        }                                                                                                       \
    }
MEDIAN_SIMD(9, MEDIAN9)
MEDIAN_SIMD(25, MEDIAN25)
#endif

static void median_row(int kk, const uint8_t *const *taps, uint8_t *out, size_t n) {
#if HAVE_X86_SIMD
    if (aug_avx2() && n >= 32) {
        (kk == 9 ? median9_avx2 : median25_avx2)(taps, out, n);
        return;
    }
    if (aug_simd_off != 1 && n >= 16) {
        (kk == 9 ? median9_sse2 : median25_sse2)(taps, out, n);
        return;
    }
#endif
    (kk == 9 ? median9_scalar : median25_scalar)(taps, out, 0, n);
}

/* Batcher's odd-even merge sort network on n (a power of two) wires. */
static int batcher(int n, uint8_t (*pairs)[2], int max) {
    int count = 0;
    for (int p = 1; p < n; p <<= 1)
        for (int k = p; k >= 1; k >>= 1)
            for (int j = k % p; j + k < n; j += 2 * k)
                for (int i = 0; i < k && i + j + k < n; i++)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && count < max) {
                        pairs[count][0] = (uint8_t)(i + j);
                        pairs[count][1] = (uint8_t)(i + j + k);
                        count++;
                    }
    return count;
}

/* 7x7 (rare): Batcher's network over whole rows held in memory. */
static void median_rows_generic(int kk, const uint8_t *const *taps, uint8_t *wires, uint8_t *out, size_t n) {
    int np2 = 1;
    while (np2 < kk) np2 <<= 1;
    uint8_t pairs[1024][2];
    int np = batcher(np2, pairs, 1024);
    for (int k = 0; k < kk; k++) memcpy(wires + (size_t)k * n, taps[k], n);
    for (int p = 0; p < np; p++) {
        if (pairs[p][1] >= kk) continue; /* padding wires hold 255 and never move */
        uint8_t *a = wires + (size_t)pairs[p][0] * n, *b = wires + (size_t)pairs[p][1] * n;
        for (size_t i = 0; i < n; i++) {
            uint8_t lo = a[i] < b[i] ? a[i] : b[i], hi = a[i] < b[i] ? b[i] : a[i];
            a[i] = lo, b[i] = hi;
        }
    }
    memcpy(out, wires + (size_t)(kk / 2) * n, n);
}

/* Median of the k x k neighbourhood (reflect-101 borders), per channel. */
static const aug_param_spec median_params[] = {{"ksize", PARAM_INT, 3, 3, 3, 7, NULL}, END_PARAMS};
static ts_status median_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image *img = &s->image, pad;
    int r = (int)d->v[0] / 2, side = 2 * r + 1, kk = side * side, c = img->c;
    size_t n = (size_t)img->w * c;
    ts_status st = pad_reflect(ctx, img, r, &pad);
    if (st != TS_OK) return st;
    uint8_t *wires = kk > 25 ? ts_alloc_array(ctx, (size_t)kk, n) : NULL;
    if (kk > 25 && !wires) st = TS_ERR_NOMEM;
    const uint8_t *taps[49];
    for (int y = 0; st == TS_OK && y < img->h; y++) {
        for (int dy = 0, k = 0; dy < side; dy++)
            for (int dx = 0; dx < side; dx++, k++)
                taps[k] = (const uint8_t *)ts_image_row(&pad, y + dy) + (size_t)dx * c;
        if (kk <= 25) median_row(kk, taps, ts_image_row(img, y), n);
        else median_rows_generic(kk, taps, wires, ts_image_row(img, y), n);
    }
    free(wires);
    ts_image_free(&pad);
    return st;
}
const aug_op_def aug_op_median_blur = {"median_blur", AUG_PIXEL, median_params, NULL, NULL, NULL, median_apply, NULL};

/* sharpen: unsharp mask, x + alpha * (x - gaussian(x, sigma 1)) */
static const aug_param_spec sharpen_params[] = {{"alpha", PARAM_NUMBER, 0.2, 0.5, 0, 5, NULL}, END_PARAMS};
static ts_status sharpen_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    double f[101];
    int r = gauss_kernel(1.0, f);
    return convolve_in_place(ctx, &s->image, f, r, (int32_t)lround(d->v[0] * 256));
}
const aug_op_def aug_op_sharpen = {"sharpen", AUG_PIXEL, sharpen_params, NULL, NULL, NULL, sharpen_apply, NULL};

/* Histogram equalisation LUT of one channel's histogram. */
static void equalize_lut(const uint32_t *hist, uint64_t total, uint8_t *lut) {
    uint64_t cdf = 0, first = 0;
    for (int v = 0; v < 256; v++)
        if (hist[v]) {
            first = hist[v];
            break;
        }
    for (int v = 0; v < 256; v++) {
        cdf += hist[v];
        lut[v] = total > first ? (uint8_t)lround((double)(cdf - first) / (double)(total - first) * 255) : (uint8_t)v;
    }
}

/* Histograms of the first `nch` channels of one row (stride c a pixel),
 * added to hist[ch]; odd pixels count into hist[3 + ch], so a run of equal
 * values does not wait on its own increments. */
static inline void row_histograms(const uint8_t *p, int n, int c, int nch, uint32_t (*hist)[256]) {
    int x = 0;
    for (; x + 1 < n; x += 2, p += 2 * c)
        for (int ch = 0; ch < nch; ch++) hist[ch][p[ch]]++, hist[3 + ch][p[c + ch]]++;
    for (; x < n; x++, p += c)
        for (int ch = 0; ch < nch; ch++) hist[ch][p[ch]]++;
}

static ts_status equalize_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx, (void)d;
    ts_image *img = &s->image;
    int c = img->c, nch = c < 3 ? 1 : 3; /* alpha stays */
    uint32_t hist[6][256];
    memset(hist, 0, sizeof hist);
    for (int y = 0; y < img->h; y++) { /* constant strides, so the channel loop unrolls */
        const uint8_t *row = ts_image_row(img, y);
        if (c == 3) row_histograms(row, img->w, 3, 3, hist);
        else if (c == 4) row_histograms(row, img->w, 4, 3, hist);
        else row_histograms(row, img->w, c, 1, hist);
    }
    uint8_t lut[4][256];
    for (int ch = 0; ch < c && ch < 4; ch++) { /* images here have 1..4 channels */
        if (ch >= nch) { /* alpha, or the second channel of gray+alpha */
            for (int v = 0; v < 256; v++) lut[ch][v] = (uint8_t)v;
            continue;
        }
        for (int v = 0; v < 256; v++) hist[ch][v] += hist[3 + ch][v];
        equalize_lut(hist[ch], (uint64_t)img->w * img->h, lut[ch]);
    }
    aug_image_lut(img, (const uint8_t(*)[256])lut);
    return TS_OK;
}
const aug_op_def aug_op_equalize = {"equalize", AUG_PIXEL, (const aug_param_spec[]){END_PARAMS}, NULL, NULL, NULL,
                                    equalize_apply, NULL};

/* CLAHE on luma: tile histograms clipped at clip * mean and redistributed,
 * LUTs interpolated bilinearly between tile centres; colour channels are
 * scaled by the luma ratio. Integer arithmetic throughout: 11-bit
 * interpolation weights, the interpolated luma in 22 fractional bits and
 * the ratio through a table of 2^24 / v. */
static const aug_param_spec clahe_params[] = {{"clip", PARAM_NUMBER, 1, 4, 0.1, 40, NULL},
                                              {"tiles", PARAM_INT, 8, 8, 1, 64, NULL},
                                              END_PARAMS};

/* ITU-R 601 luma of every pixel (the pixel itself with fewer than 3 channels). */
static void clahe_luma(const ts_image *img, uint8_t *luma) {
    int c = img->c;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *p = ts_image_row(img, y);
        uint8_t *l = luma + (size_t)y * (size_t)img->w;
        if (c < 3)
            for (int x = 0; x < img->w; x++) l[x] = p[(size_t)x * c];
        else
            for (int x = 0; x < img->w; x++, p += c)
                l[x] = (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
    }
}

/* The equalisation table of one tile's clipped histogram. */
static void clahe_table(uint32_t *hist, uint64_t total, double clip, uint8_t *lut) {
    uint64_t limit = (uint64_t)fmax(1, clip * (double)total / 256), excess = 0;
    for (int v = 0; v < 256; v++)
        if (hist[v] > limit) excess += hist[v] - limit, hist[v] = (uint32_t)limit;
    uint64_t cdf = 0, denom = total ? total : 1;
    for (int v = 0; v < 256; v++) {
        cdf += hist[v] + excess / 256 + ((uint64_t)v < excess % 256);
        uint64_t q = (cdf * 255 * 2 + denom) / (2 * denom); /* cdf * 255 / total, rounded half up */
        lut[v] = (uint8_t)(q > 255 ? 255 : q);
    }
}

/* Along one axis of n pixels in `tiles` tiles: the tile of every pixel,
 * and the two tile centres it lies between with the second's 11-bit weight. */
static void clahe_axis(int n, int tiles, int *tile, int *t0, int *t1, int *w1) {
    for (int i = 0, t = 0; i < n; i++) {
        while ((t + 1) * n / tiles <= i) t++;
        tile[i] = t;
        double f = (i + 0.5) * tiles / n - 0.5;
        int a = (int)floor(f);
        w1[i] = (int)lround((f - a) * 2048);
        t0[i] = a < 0 ? 0 : a;
        t1[i] = a + 1 > tiles - 1 ? tiles - 1 : a + 1;
    }
}

static ts_status clahe_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image *img = &s->image;
    int tiles = (int)d->v[1], w = img->w, h = img->h, c = img->c;
    if (tiles > w) tiles = w;
    if (tiles > h) tiles = h;
    if (tiles < 1) tiles = 1;
    uint8_t *luma = ts_alloc_array(ctx, (size_t)w, (size_t)h);
    uint8_t *luts = ts_alloc_array(ctx, (size_t)tiles * (size_t)tiles, 256);
    uint32_t *hist = ts_calloc_array(ctx, (size_t)tiles * (size_t)tiles, 256 * sizeof *hist);
    int *axes = ts_alloc_array(ctx, 4 * ((size_t)w + (size_t)h), sizeof *axes);
    if (!luma || !luts || !hist || !axes) {
        free(luma), free(luts), free(hist), free(axes);
        return TS_ERR_NOMEM;
    }
    int *xt = axes, *x0 = xt + w, *x1 = x0 + w, *xw = x1 + w, *yt = xw + w, *y0 = yt + h, *y1 = y0 + h, *yw = y1 + h;
    clahe_axis(w, tiles, xt, x0, x1, xw);
    clahe_axis(h, tiles, yt, y0, y1, yw);
    clahe_luma(img, luma);
    for (int y = 0; y < h; y++) {
        const uint8_t *l = luma + (size_t)y * w;
        uint32_t *row_hists = hist + (size_t)yt[y] * tiles * 256;
        for (int x = 0; x < w; x++) row_hists[xt[x] * 256 + l[x]]++;
    }
    for (int t = 0; t < tiles * tiles; t++) {
        int tx = t % tiles, ty = t / tiles;
        uint64_t tw = (uint64_t)((tx + 1) * w / tiles - tx * w / tiles);
        uint64_t th = (uint64_t)((ty + 1) * h / tiles - ty * h / tiles);
        clahe_table(hist + (size_t)t * 256, tw * th, d->v[0], luts + (size_t)t * 256);
    }
    uint32_t inv[256]; /* 2^24 / v, rounded */
    for (int v = 1; v < 256; v++) inv[v] = (uint32_t)(((1u << 25) / v + 1) / 2);
    for (int y = 0; y < h; y++) {
        const uint8_t *top = luts + (size_t)y0[y] * tiles * 256, *bottom = luts + (size_t)y1[y] * tiles * 256;
        const uint8_t *l = luma + (size_t)y * w;
        int b = yw[y], a = 2048 - b;
        uint8_t *p = ts_image_row(img, y);
        for (int x = 0; x < w; x++, p += c) {
            int v = l[x], e = xw[x], f = 2048 - e;
            const uint8_t *t0 = top + x0[x] * 256 + v, *t1 = top + x1[x] * 256 + v;
            const uint8_t *b0 = bottom + x0[x] * 256 + v, *b1 = bottom + x1[x] * 256 + v;
            uint32_t out = (uint32_t)(a * (f * *t0 + e * *t1) + b * (f * *b0 + e * *b1)); /* 22 fractional bits */
            if (c < 3) {
                p[0] = (uint8_t)((out + (1u << 21)) >> 22);
                continue;
            }
            if (v == 0) continue; /* ratio 1 */
            uint64_t ratio = ((uint64_t)out * inv[v] + (1u << 29)) >> 30; /* out / v, 16 fractional bits */
            for (int k = 0; k < 3; k++) {
                uint64_t q = ((uint64_t)p[k] * ratio + 32768) >> 16;
                p[k] = (uint8_t)(q > 255 ? 255 : q);
            }
        }
    }
    free(luma), free(luts), free(hist), free(axes);
    return TS_OK;
}
const aug_op_def aug_op_clahe = {"clahe", AUG_PIXEL, clahe_params, NULL, NULL, NULL, clahe_apply, NULL};

static const aug_param_spec jpeg_params[] = {{"quality", PARAM_INT, 50, 95, 1, 100, NULL}, END_PARAMS};
static ts_status jpeg_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image src = s->image, rgb;
    int alpha = src.c == 4 || src.c == 2;
    ts_status st = alpha ? ts_image_convert(ctx, &src, src.c == 4 ? 3 : 1, &rgb) : TS_OK;
    ts_encode_opts eo = {TS_CODEC_JPEG, (int)d->v[0], 0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (st == TS_OK) st = ts_image_encode(ctx, alpha ? &rgb : &src, &eo, &bytes, &len);
    ts_image dec;
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = alpha ? (src.c == 4 ? 3 : 1) : src.c;
    if (st == TS_OK) st = ts_image_decode(ctx, "jpeg op", bytes, len, &o, &dec, NULL);
    free(bytes);
    if (alpha) ts_image_free(&rgb);
    if (st != TS_OK) return st;
    if (alpha) { /* keep the alpha channel */
        for (int y = 0; y < src.h; y++) {
            uint8_t *p = ts_image_row(&src, y);
            const uint8_t *q = ts_image_row(&dec, y);
            for (int x = 0; x < src.w; x++)
                memcpy(p + (size_t)x * src.c, q + (size_t)x * dec.c, (size_t)dec.c);
        }
        ts_image_free(&dec);
        return TS_OK;
    }
    ts_image_free(&s->image);
    s->image = dec;
    return TS_OK;
}
const aug_op_def aug_op_jpeg = {"jpeg", AUG_PIXEL, jpeg_params, NULL, NULL, NULL, jpeg_apply, NULL};
