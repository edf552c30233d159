/* Filters: Gaussian, box and motion blur, median, sharpening, histogram
 * equalisation, CLAHE and JPEG re-compression. Borders reflect (101), as
 * OpenCV's filters do by default. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}
#define KERNEL_BITS 14

static int reflect101(int i, int n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

/* Separable convolution with a symmetric integer kernel (sum 2^14) of
 * half-width r, the same for rows and columns. Rows are padded by
 * reflection into a line buffer so the inner loops run over contiguous
 * memory; the horizontal pass keeps 8 fractional bits in 16-bit values. */
static ts_status convolve(ts_ctx *ctx, ts_image *img, const int32_t *k, int r) {
    int w = img->w, h = img->h, c = img->c;
    size_t row = (size_t)w * c, padded = ((size_t)w + 2 * (size_t)r) * c;
    uint16_t *tmp = ts_alloc_array(ctx, row * (size_t)h, sizeof *tmp);
    uint8_t *line = ts_alloc_array(ctx, padded, 1);
    int32_t *acc = ts_alloc_array(ctx, row, sizeof *acc);
    if (!tmp || !line || !acc) {
        free(tmp), free(line), free(acc);
        return TS_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *src = ts_image_row(img, y);
        memcpy(line + (size_t)r * c, src, row);
        for (int t = 1; t <= r; t++) {
            memcpy(line + (size_t)(r - t) * c, src + (size_t)reflect101(-t, w) * c, (size_t)c);
            memcpy(line + (size_t)(r + w - 1 + t) * c, src + (size_t)reflect101(w - 1 + t, w) * c, (size_t)c);
        }
        for (size_t i = 0; i < row; i++) acc[i] = 0;
        for (int t = 0; t <= 2 * r; t++) {
            const uint8_t *in = line + (size_t)t * c;
            int32_t kt = k[t];
            for (size_t i = 0; i < row; i++) acc[i] += kt * in[i];
        }
        uint16_t *dst = tmp + (size_t)y * row;
        for (size_t i = 0; i < row; i++) dst[i] = (uint16_t)((acc[i] + (1 << (KERNEL_BITS - 9))) >> (KERNEL_BITS - 8));
    }
    for (int y = 0; y < h; y++) {
        for (size_t i = 0; i < row; i++) acc[i] = 0;
        for (int t = -r; t <= r; t++) {
            const uint16_t *in = tmp + (size_t)reflect101(y + t, h) * row;
            int32_t kt = k[t + r];
            for (size_t i = 0; i < row; i++) acc[i] += kt * in[i];
        }
        uint8_t *out = ts_image_row(img, y);
        for (size_t i = 0; i < row; i++) {
            int32_t v = (acc[i] + (1 << (KERNEL_BITS + 7))) >> (KERNEL_BITS + 8);
            out[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(tmp);
    free(line);
    free(acc);
    return TS_OK;
}

/* Integer weights of a normalised kernel, summing exactly to 2^14. */
static void quantise(const double *f, int n, int32_t *k) {
    int32_t sum = 0;
    for (int i = 0; i < n; i++) sum += k[i] = (int32_t)lround(f[i] * (1 << KERNEL_BITS));
    k[n / 2] += (1 << KERNEL_BITS) - sum;
}

static const aug_param_spec gauss_params[] = {{"sigma", PARAM_NUMBER, 0.5, 1.5, 0.05, 50, NULL}, END_PARAMS};
static ts_status gauss_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    double sigma = d->v[0];
    int r = (int)ceil(3 * sigma);
    if (r < 1) r = 1;
    double f[201], sum = 0;
    if (r > 100) r = 100;
    for (int i = -r; i <= r; i++) sum += f[i + r] = exp(-(double)i * i / (2 * sigma * sigma));
    for (int i = 0; i < 2 * r + 1; i++) f[i] /= sum;
    int32_t k[201];
    quantise(f, 2 * r + 1, k);
    return convolve(ctx, &s->image, k, r);
}
const aug_op_def aug_op_gaussian_blur = {"gaussian_blur", AUG_PIXEL, gauss_params, NULL, NULL, NULL, gauss_apply, NULL};

static const aug_param_spec box_params[] = {{"ksize", PARAM_INT, 3, 7, 1, 99, NULL}, END_PARAMS};
static ts_status box_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    int r = (int)d->v[0] / 2;
    if (r < 1) return TS_OK;
    double f[199];
    for (int i = 0; i < 2 * r + 1; i++) f[i] = 1.0 / (2 * r + 1);
    int32_t k[199];
    quantise(f, 2 * r + 1, k);
    return convolve(ctx, &s->image, k, r);
}
const aug_op_def aug_op_box_blur = {"box_blur", AUG_PIXEL, box_params, NULL, NULL, NULL, box_apply, NULL};

/* motion blur: the average along a line of `ksize` pixels at `angle` */
static const aug_param_spec motion_params[] = {{"ksize", PARAM_INT, 3, 9, 3, 99, NULL},
                                               {"angle", PARAM_NUMBER, 0, 180, -360, 360, NULL},
                                               END_PARAMS};
static ts_status motion_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image *img = &s->image;
    int n = (int)d->v[0], c = img->c;
    double dx = cos(d->v[1] * M_PI / 180), dy = -sin(d->v[1] * M_PI / 180);
    ts_image src;
    ts_status st = ts_image_copy(ctx, img, &src);
    if (st != TS_OK) return st;
    int ox[99], oy[99];
    for (int t = 0; t < n; t++) {
        double u = t - (n - 1) / 2.0;
        ox[t] = (int)lround(u * dx), oy[t] = (int)lround(u * dy);
    }
    for (int y = 0; y < img->h; y++) {
        uint8_t *out = ts_image_row(img, y);
        for (int x = 0; x < img->w; x++)
            for (int ch = 0; ch < c; ch++) {
                int sum = 0;
                for (int t = 0; t < n; t++) {
                    const uint8_t *row = ts_image_row(&src, reflect101(y + oy[t], img->h));
                    sum += row[(size_t)reflect101(x + ox[t], img->w) * c + ch];
                }
                out[(size_t)x * c + ch] = (uint8_t)((sum + n / 2) / n);
            }
    }
    ts_image_free(&src);
    return TS_OK;
}
const aug_op_def aug_op_motion_blur = {"motion_blur", AUG_PIXEL, motion_params, NULL, NULL, NULL, motion_apply, NULL};

static const aug_param_spec median_params[] = {{"ksize", PARAM_INT, 3, 3, 3, 7, NULL}, END_PARAMS};
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

/* Median filter as a sorting network applied to whole rows at once: the
 * k*k neighbours of every pixel of a row are k*k rows of values, and each
 * compare-exchange is an element-wise min/max over them (vectorisable).
 * Padding wires hold 255 and sort to the end, so the median is wire k*k/2. */
static ts_status median_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image *img = &s->image;
    int r = (int)d->v[0] / 2, kk = (2 * r + 1) * (2 * r + 1), c = img->c, w = img->w;
    int n = 1;
    while (n < kk) n <<= 1;
    uint8_t pairs[1024][2];
    int np = batcher(n, pairs, 1024);
    size_t row = (size_t)w * c;
    ts_image src;
    ts_status st = ts_image_copy(ctx, img, &src);
    uint8_t *wires = st == TS_OK ? ts_alloc_array(ctx, (size_t)n, row) : NULL;
    if (st == TS_OK && !wires) st = TS_ERR_NOMEM;
    for (int y = 0; st == TS_OK && y < img->h; y++) {
        int k = 0;
        for (int dy = -r; dy <= r; dy++) {
            const uint8_t *line = ts_image_row(&src, reflect101(y + dy, img->h));
            for (int dx = -r; dx <= r; dx++, k++) {
                uint8_t *wire = wires + (size_t)k * row;
                int lo = dx < 0 ? -dx : 0, hi = dx > 0 ? w - dx : w; /* columns that need no reflection */
                for (int x = 0; x < lo && x < w; x++) memcpy(wire + (size_t)x * c, line + (size_t)reflect101(x + dx, w) * c, (size_t)c);
                if (hi > lo) memcpy(wire + (size_t)lo * c, line + (size_t)(lo + dx) * c, (size_t)(hi - lo) * c);
                for (int x = hi > lo ? hi : lo; x < w; x++) memcpy(wire + (size_t)x * c, line + (size_t)reflect101(x + dx, w) * c, (size_t)c);
            }
        }
        for (; k < n; k++) memset(wires + (size_t)k * row, 255, row);
        for (int p = 0; p < np; p++) {
            uint8_t *a = wires + (size_t)pairs[p][0] * row, *b = wires + (size_t)pairs[p][1] * row;
            if (pairs[p][1] >= kk) continue; /* padding wires hold 255 and never move */
            for (size_t i = 0; i < row; i++) {
                uint8_t lo = a[i] < b[i] ? a[i] : b[i], hi = a[i] < b[i] ? b[i] : a[i];
                a[i] = lo, b[i] = hi;
            }
        }
        memcpy(ts_image_row(img, y), wires + (size_t)(kk / 2) * row, row);
    }
    free(wires);
    ts_image_free(&src);
    return st;
}
const aug_op_def aug_op_median_blur = {"median_blur", AUG_PIXEL, median_params, NULL, NULL, NULL, median_apply, NULL};

/* sharpen: unsharp mask, x + alpha * (x - gaussian(x, sigma 1)) */
static const aug_param_spec sharpen_params[] = {{"alpha", PARAM_NUMBER, 0.2, 0.5, 0, 5, NULL}, END_PARAMS};
static ts_status sharpen_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image blurred;
    ts_status st = ts_image_copy(ctx, &s->image, &blurred);
    if (st != TS_OK) return st;
    aug_draw g = {{1.0}, 1};
    ts_aug_sample tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.image = blurred;
    st = gauss_apply(ctx, &g, &tmp);
    double a = d->v[0];
    for (int y = 0; st == TS_OK && y < s->image.h; y++) {
        uint8_t *p = ts_image_row(&s->image, y);
        const uint8_t *b = ts_image_row(&tmp.image, y);
        for (int i = 0; i < s->image.w * s->image.c; i++) {
            double v = p[i] + a * (p[i] - b[i]);
            p[i] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)(v + 0.5));
        }
    }
    ts_image_free(&tmp.image);
    return st;
}
const aug_op_def aug_op_sharpen = {"sharpen", AUG_PIXEL, sharpen_params, NULL, NULL, NULL, sharpen_apply, NULL};

/* Histogram equalisation LUT of one channel's histogram. */
static void equalize_lut(const uint64_t *hist, uint64_t total, uint8_t *lut) {
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

static ts_status equalize_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    (void)ctx, (void)d;
    ts_image *img = &s->image;
    int c = img->c < 3 ? 1 : 3;
    for (int ch = 0; ch < c; ch++) {
        uint64_t hist[256] = {0};
        for (int y = 0; y < img->h; y++) {
            const uint8_t *row = ts_image_row(img, y);
            for (int x = 0; x < img->w; x++) hist[row[(size_t)x * img->c + ch]]++;
        }
        uint8_t lut[256];
        equalize_lut(hist, (uint64_t)img->w * img->h, lut);
        for (int y = 0; y < img->h; y++) {
            uint8_t *row = ts_image_row(img, y);
            for (int x = 0; x < img->w; x++) row[(size_t)x * img->c + ch] = lut[row[(size_t)x * img->c + ch]];
        }
    }
    return TS_OK;
}
const aug_op_def aug_op_equalize = {"equalize", AUG_PIXEL, (const aug_param_spec[]){END_PARAMS}, NULL, NULL, NULL,
                                    equalize_apply, NULL};

/* CLAHE on luma: tile histograms clipped at clip * mean and redistributed,
 * LUTs interpolated bilinearly between tile centres; colour channels are
 * scaled by the luma ratio. */
static const aug_param_spec clahe_params[] = {{"clip", PARAM_NUMBER, 1, 4, 0.1, 40, NULL},
                                              {"tiles", PARAM_INT, 8, 8, 1, 64, NULL},
                                              END_PARAMS};
static ts_status clahe_apply(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s) {
    ts_image *img = &s->image;
    int tiles = (int)d->v[1], w = img->w, h = img->h, c = img->c;
    if (tiles > w) tiles = w;
    if (tiles > h) tiles = h;
    if (tiles < 1) tiles = 1;
    uint8_t *luma = ts_alloc_array(ctx, (size_t)w * h, 1);
    uint8_t *luts = ts_alloc_array(ctx, (size_t)tiles * tiles, 256);
    if (!luma || !luts) {
        free(luma), free(luts);
        return TS_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *p = ts_image_row(img, y);
        for (int x = 0; x < w; x++, p += c)
            luma[(size_t)y * w + x] = c >= 3 ? (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000) : p[0];
    }
    for (int ty = 0; ty < tiles; ty++)
        for (int tx = 0; tx < tiles; tx++) {
            int x0 = tx * w / tiles, x1 = (tx + 1) * w / tiles, y0 = ty * h / tiles, y1 = (ty + 1) * h / tiles;
            uint64_t hist[256] = {0}, total = (uint64_t)(x1 - x0) * (y1 - y0);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) hist[luma[(size_t)y * w + x]]++;
            uint64_t limit = (uint64_t)fmax(1, d->v[0] * (double)total / 256), excess = 0;
            for (int v = 0; v < 256; v++)
                if (hist[v] > limit) excess += hist[v] - limit, hist[v] = limit;
            for (int v = 0; v < 256; v++) hist[v] += excess / 256 + ((uint64_t)v < excess % 256);
            uint64_t cdf = 0;
            uint8_t *lut = luts + ((size_t)ty * tiles + tx) * 256;
            for (int v = 0; v < 256; v++) {
                cdf += hist[v];
                lut[v] = (uint8_t)fmin(255, lround((double)cdf * 255 / (double)(total ? total : 1)));
            }
        }
    for (int y = 0; y < h; y++) {
        double fy = (y + 0.5) * tiles / h - 0.5;
        int ty0 = (int)floor(fy), ty1 = ty0 + 1;
        double wy = fy - ty0;
        if (ty0 < 0) ty0 = 0;
        if (ty1 > tiles - 1) ty1 = tiles - 1;
        uint8_t *p = ts_image_row(img, y);
        for (int x = 0; x < w; x++, p += c) {
            double fx = (x + 0.5) * tiles / w - 0.5;
            int tx0 = (int)floor(fx), tx1 = tx0 + 1;
            double wx = fx - tx0;
            if (tx0 < 0) tx0 = 0;
            if (tx1 > tiles - 1) tx1 = tiles - 1;
            int v = luma[(size_t)y * w + x];
            double a = luts[((size_t)ty0 * tiles + tx0) * 256 + v], b = luts[((size_t)ty0 * tiles + tx1) * 256 + v];
            double cc = luts[((size_t)ty1 * tiles + tx0) * 256 + v], dd = luts[((size_t)ty1 * tiles + tx1) * 256 + v];
            double out = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * cc + wx * dd);
            if (c < 3) {
                p[0] = (uint8_t)(out + 0.5);
                continue;
            }
            double ratio = v > 0 ? out / v : 1;
            for (int k = 0; k < 3; k++) p[k] = (uint8_t)fmin(255, p[k] * ratio + 0.5);
        }
    }
    free(luma);
    free(luts);
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
