/* Helpers for the image tests: synthetic pictures, pixel comparisons,
 * byte buffers, and hand-made PNG/JPEG pieces (chunks, EXIF blocks). */
#ifndef TS_IMAGE_TEST_UTIL_H
#define TS_IMAGE_TEST_UTIL_H

#include <stdlib.h>
#include <zlib.h>

#include "../test.h"

/* A smooth, asymmetric RGB(A)/gray picture: gradients plus a bright
 * off-centre square, so flips and crops are told apart and lossy codecs
 * stay close. */
static inline ts_image itu_pattern(int w, int h, int c) {
    ts_image img = {0};
    if (ts_image_alloc(NULL, w, h, c, TS_PIX_U8, &img) != TS_OK) abort();
    for (int y = 0; y < h; y++) {
        uint8_t *r = ts_image_row(&img, y);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) {
                int v = (x * 255 / (w > 1 ? w - 1 : 1)) * (k % 3 == 0) + (y * 255 / (h > 1 ? h - 1 : 1)) * (k % 3 == 1) +
                        ((x + y) * 127 / (w + h)) * (k % 3 == 2);
                if (x >= w / 5 && x < w / 5 + w / 6 && y >= h / 4 && y < h / 4 + h / 5) v = 230 - 40 * (k % 3);
                if (k == 3) v = 255 - (x * 3 + y) % 256;
                r[x * c + k] = (uint8_t)(v > 255 ? 255 : v);
            }
    }
    return img;
}

/* A w x h x c image of uniform noise (malloc'd data, free() it) with
 * `pad` extra bytes at the end of every row. */
static inline ts_image itu_noise(int w, int h, int c, int pad, uint64_t seed) {
    ts_image img = {w, h, c, (size_t)w * (size_t)c + (size_t)pad, TS_PIX_U8, NULL, NULL};
    img.data = malloc(img.stride * (size_t)h);
    if (!img.data) abort();
    ts_rng r = ts_rng_for(seed, 1, 2, 3);
    uint8_t *p = img.data;
    for (size_t i = 0; i < img.stride * (size_t)h; i++) p[i] = (uint8_t)ts_rng_below(&r, 256);
    return img;
}

/* Mean absolute difference over all samples of two U8 images of equal
 * shape; 1e9 when the shapes differ. */
static inline double itu_mad(const ts_image *a, const ts_image *b) {
    if (a->w != b->w || a->h != b->h || a->c != b->c || a->type != TS_PIX_U8 || b->type != TS_PIX_U8) return 1e9;
    double sum = 0;
    for (int y = 0; y < a->h; y++) {
        const uint8_t *p = ts_image_row(a, y), *q = ts_image_row(b, y);
        for (int i = 0; i < a->w * a->c; i++) sum += abs((int)p[i] - (int)q[i]);
    }
    return sum / ((double)a->w * a->h * a->c);
}

/* Largest absolute sample difference (any type of equal shape), -1 if the
 * shapes differ. */
static inline long itu_maxdiff(const ts_image *a, const ts_image *b) {
    if (a->w != b->w || a->h != b->h || a->c != b->c || a->type != b->type) return -1;
    long m = 0;
    for (int y = 0; y < a->h; y++)
        for (int i = 0; i < a->w * a->c; i++) {
            long p, q;
            if (a->type == TS_PIX_U16) {
                p = ((const uint16_t *)ts_image_row(a, y))[i];
                q = ((const uint16_t *)ts_image_row(b, y))[i];
            } else {
                p = ((const uint8_t *)ts_image_row(a, y))[i];
                q = ((const uint8_t *)ts_image_row(b, y))[i];
            }
            if (labs(p - q) > m) m = labs(p - q);
        }
    return m;
}

static inline uint8_t itu_px(const ts_image *img, int x, int y, int k) {
    return ((const uint8_t *)ts_image_row(img, y))[x * img->c + k];
}

/* A whole file from ../shared; aborts the test run when missing. */
static inline uint8_t *itu_read_shared(const char *rel, size_t *len) {
    uint8_t *data = NULL;
    if (ts_file_read(NULL, ts_test_shared(rel), &data, len) != TS_OK) {
        fprintf(stderr, "missing fixture %s\n", ts_test_shared(rel));
        return NULL;
    }
    return data;
}

/* ---- hand-made PNG ------------------------------------------------------------ */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} itu_bytes;

static inline void itu_put(itu_bytes *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc(b->data, b->cap);
        if (!b->data) abort();
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void itu_put_be32(itu_bytes *b, uint32_t v) {
    uint8_t q[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    itu_put(b, q, 4);
}

static inline void itu_png_chunk(itu_bytes *b, const char *type, const void *data, size_t n) {
    itu_put_be32(b, (uint32_t)n);
    size_t at = b->len;
    itu_put(b, type, 4);
    if (n) itu_put(b, data, n);
    uLong crc = crc32(0L, b->data + at, (uInt)(n + 4));
    itu_put_be32(b, (uint32_t)crc);
}

/* A PNG with the given IHDR fields and raw (unfiltered) scanlines, each
 * `rowbytes` long; optional PLTE and tRNS. */
static inline itu_bytes itu_png(uint32_t w, uint32_t h, int depth, int ctype, const uint8_t *rows, size_t rowbytes,
                                const uint8_t *plte, size_t plte_len, const uint8_t *trns, size_t trns_len) {
    itu_bytes b = {0};
    itu_put(&b, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ihdr[13] = {0};
    for (int i = 0; i < 4; i++) ihdr[i] = (uint8_t)(w >> (24 - 8 * i)), ihdr[4 + i] = (uint8_t)(h >> (24 - 8 * i));
    ihdr[8] = (uint8_t)depth;
    ihdr[9] = (uint8_t)ctype;
    itu_png_chunk(&b, "IHDR", ihdr, 13);
    if (plte) itu_png_chunk(&b, "PLTE", plte, plte_len);
    if (trns) itu_png_chunk(&b, "tRNS", trns, trns_len);
    if (rows) {
        size_t raw_len = (rowbytes + 1) * h;
        uint8_t *raw = malloc(raw_len);
        for (uint32_t y = 0; y < h; y++) {
            raw[y * (rowbytes + 1)] = 0;
            memcpy(raw + y * (rowbytes + 1) + 1, rows + y * rowbytes, rowbytes);
        }
        uLongf zlen = compressBound(raw_len);
        uint8_t *z = malloc(zlen);
        compress2(z, &zlen, raw, raw_len, 6);
        itu_png_chunk(&b, "IDAT", z, zlen);
        free(z);
        free(raw);
    }
    itu_png_chunk(&b, "IEND", NULL, 0);
    return b;
}

/* ---- EXIF ------------------------------------------------------------------------ */

/* `jpeg` with an APP1 EXIF block carrying `orientation` inserted after SOI,
 * in Intel (little-endian) or Motorola byte order. */
static inline itu_bytes itu_jpeg_with_exif(const uint8_t *jpeg, size_t len, int orientation, int big_endian) {
    itu_bytes b = {0};
    itu_put(&b, jpeg, 2);
    uint8_t app1[36] = {0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0};
    uint8_t *t = app1 + 10;
    if (big_endian) {
        uint8_t tiff[26] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                            0, (uint8_t)orientation, 0, 0, 0, 0, 0, 0};
        memcpy(t, tiff, 26);
    } else {
        uint8_t tiff[26] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
                            (uint8_t)orientation, 0, 0, 0, 0, 0, 0, 0};
        memcpy(t, tiff, 26);
    }
    itu_put(&b, app1, sizeof app1);
    itu_put(&b, jpeg + 2, len - 2);
    return b;
}

#endif
