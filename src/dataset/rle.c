/* COCO run-length masks: the compressed string form (pycocotools' LEB128-like
 * 6-bit code with deltas from the count two back), binary masks <-> runs,
 * area and bounding box exactly as pycocotools computes them. */
#include <stdlib.h>
#include <string.h>

#include "trainset/dataset.h"

ts_status ts_rle_from_string(ts_ctx *ctx, const char *s, size_t len, uint32_t **counts, uint32_t *n) {
    /* each count takes at least one character */
    if (len > UINT32_MAX) return ts_error(ctx, TS_ERR_LIMIT, "RLE string of %zu characters is too long", len);
    uint32_t *c = ts_alloc_array(ctx, len ? len : 1, sizeof *c);
    if (!c) return TS_ERR_NOMEM;
    uint32_t m = 0;
    size_t p = 0;
    while (p < len) {
        int64_t x = 0;
        int k = 0, more = 1;
        while (more) {
            if (p >= len) {
                free(c);
                return ts_error(ctx, TS_ERR_INVALID, "RLE string ends inside a count (character %zu)", p + 1);
            }
            int ch = (unsigned char)s[p] - 48;
            if (ch < 0 || ch > 63) {
                free(c);
                return ts_error(ctx, TS_ERR_INVALID, "RLE string has a character outside '0'..'o' at %zu", p + 1);
            }
            if (k >= 12) {
                free(c);
                return ts_error(ctx, TS_ERR_INVALID, "RLE count too long at character %zu", p + 1);
            }
            x |= (int64_t)(ch & 0x1f) << (5 * k);
            more = ch & 0x20;
            p++;
            k++;
            if (!more && (ch & 0x10)) x |= (int64_t)((uint64_t)-1 << (5 * k)); /* sign-extend */
        }
        if (m > 2) x += c[m - 2];
        if (x < 0 || x > (int64_t)UINT32_MAX) {
            free(c);
            return ts_error(ctx, TS_ERR_INVALID, "RLE count %u is %s", m + 1, x < 0 ? "negative" : "too large");
        }
        c[m++] = (uint32_t)x;
    }
    *counts = c;
    *n = m;
    return TS_OK;
}

ts_status ts_rle_to_string(ts_ctx *ctx, const uint32_t *counts, uint32_t n, char **s) {
    size_t cap;
    /* a 33-bit signed delta needs at most 7 characters */
    if (!ts_mul_size(n, 7, &cap) || !ts_add_size(cap, 1, &cap)) return ts_error(ctx, TS_ERR_NOMEM, "RLE too long");
    char *out = ts_alloc_array(ctx, cap, 1);
    if (!out) return TS_ERR_NOMEM;
    size_t p = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t x = counts[i];
        if (i > 2) x -= counts[i - 2];
        int more = 1;
        while (more) {
            int ch = (int)(x & 0x1f);
            x >>= 5; /* arithmetic shift: sign is kept */
            more = (ch & 0x10) ? x != -1 : x != 0;
            if (more) ch |= 0x20;
            out[p++] = (char)(ch + 48);
        }
    }
    out[p] = 0;
    *s = out;
    return TS_OK;
}

ts_status ts_rle_encode(ts_ctx *ctx, const uint8_t *mask, uint32_t h, uint32_t w, int row_major, uint32_t **counts,
                        uint32_t *n) {
    size_t total;
    if (!ts_mul_size(h, w, &total) || total > UINT32_MAX)
        return ts_error(ctx, TS_ERR_LIMIT, "mask of %ux%u is too large", (unsigned)w, (unsigned)h);
    uint32_t *c = ts_alloc_array(ctx, total + 1, sizeof *c);
    if (!c) return TS_ERR_NOMEM;
    uint32_t m = 0, run = 0;
    uint8_t cur = 0;
    for (uint32_t x = 0; x < w; x++) {
        for (uint32_t y = 0; y < h; y++) {
            uint8_t v = (row_major ? mask[(size_t)y * w + x] : mask[(size_t)x * h + y]) != 0;
            if (v != cur) {
                c[m++] = run;
                run = 0;
                cur = v;
            }
            run++;
        }
    }
    c[m++] = run;
    uint32_t *shrunk = realloc(c, (size_t)m * sizeof *c);
    *counts = shrunk ? shrunk : c;
    *n = m;
    return TS_OK;
}

ts_status ts_rle_decode(ts_ctx *ctx, const uint32_t *counts, uint32_t n, uint32_t h, uint32_t w, uint8_t *mask) {
    uint64_t total = (uint64_t)h * w, sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += counts[i];
    if (sum != total)
        return ts_error(ctx, TS_ERR_INVALID, "RLE runs sum to %llu, not %ux%u = %llu", (unsigned long long)sum,
                        (unsigned)h, (unsigned)w, (unsigned long long)total);
    uint64_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t v = (uint8_t)(i & 1);
        for (uint32_t j = 0; j < counts[i]; j++, k++) {
            uint64_t x = k / h, y = k % h;
            mask[y * w + x] = v;
        }
    }
    return TS_OK;
}

uint64_t ts_rle_area(const uint32_t *counts, uint32_t n) {
    uint64_t a = 0;
    for (uint32_t i = 1; i < n; i += 2) a += counts[i];
    return a;
}

/* pycocotools' rleToBbox, including its handling of zero-length runs and
 * its whole-height box for runs that wrap a column. */
void ts_rle_bbox(const uint32_t *counts, uint32_t n, uint32_t h, uint32_t w, double bbox[4]) {
    uint32_t m = n / 2 * 2;
    bbox[0] = bbox[1] = bbox[2] = bbox[3] = 0;
    if (m == 0 || h == 0 || w == 0) return;
    uint64_t xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
    for (uint32_t j = 0; j < m; j++) {
        cc += counts[j];
        uint64_t t = cc - (j % 2);
        if (cc == 0 && j % 2) t = 0; /* a zero first count followed by a zero run */
        uint64_t y = t % h, x = t / h;
        if (j % 2 == 0) {
            xp = x;
        } else if (xp < x) {
            ys = 0;
            ye = h - 1;
        }
        if (x < xs) xs = x;
        if (x > xe) xe = x;
        if (y < ys) ys = y;
        if (y > ye) ye = y;
    }
    bbox[0] = (double)xs;
    bbox[2] = (double)xe - (double)xs + 1;
    bbox[1] = (double)ys;
    bbox[3] = (double)ye - (double)ys + 1;
}
