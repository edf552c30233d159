/* EXIF orientation: reading the tag from a JPEG APP1 block and turning
 * pixels upright by it (ts_image_orient). */
#include <string.h>

#include "image/image_internal.h"

int ts_exif_orientation(const uint8_t *app1, size_t len) {
    if (len < 6 + 8 || memcmp(app1, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *t = app1 + 6; /* TIFF header: byte order, 42, offset of IFD0 */
    size_t tlen = len - 6;
    int le;
    if (t[0] == 'I' && t[1] == 'I') le = 1;
    else if (t[0] == 'M' && t[1] == 'M') le = 0;
    else return 1;
    uint32_t magic = le ? ts_le16(t + 2) : ts_be16(t + 2);
    uint32_t ifd = le ? ts_le32(t + 4) : ts_be32(t + 4);
    if (magic != 42 || ifd > tlen || tlen - ifd < 2) return 1;
    uint32_t count = le ? ts_le16(t + ifd) : ts_be16(t + ifd);
    for (uint32_t i = 0; i < count; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        if (e + 12 > tlen) return 1;
        uint32_t tag = le ? ts_le16(t + e) : ts_be16(t + e);
        if (tag != 0x0112) continue;
        uint32_t type = le ? ts_le16(t + e + 2) : ts_be16(t + e + 2);
        uint32_t n = le ? ts_le32(t + e + 4) : ts_be32(t + e + 4);
        if (type != 3 || n < 1) return 1; /* must be one SHORT, stored inline */
        uint32_t v = le ? ts_le16(t + e + 8) : ts_be16(t + e + 8);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

/* Output pixel (x', y') is read at src + base + x' * step_x + y' * step_y:
 * each orientation is one affine walk over the source, so one loop (tiled,
 * because the transposing ones read columns) serves all eight. */
#define ORIENT_TILE 64
#define ORIENT_LOOP(DST, BPP)                                                                                      \
    for (int ty = 0; ty < (DST)->h; ty += ORIENT_TILE)                                                         \
        for (int tx = 0; tx < (DST)->w; tx += ORIENT_TILE) {                                                   \
            int ey = ty + ORIENT_TILE < (DST)->h ? ty + ORIENT_TILE : (DST)->h;                                  \
            int ex = tx + ORIENT_TILE < (DST)->w ? tx + ORIENT_TILE : (DST)->w;                                  \
            for (int y = ty; y < ey; y++) {                                                                  \
                uint8_t *d = (uint8_t *)ts_image_row((DST), y) + (size_t)tx * (BPP);                           \
                const uint8_t *sp = base + (ptrdiff_t)y * step_y + (ptrdiff_t)tx * step_x;                    \
                for (int x = tx; x < ex; x++, d += (BPP), sp += step_x) memcpy(d, sp, (BPP));                  \
            }                                                                                                \
        }

ts_status ts_image_orient(ts_ctx *ctx, const ts_image *src, int orientation, ts_image *out) {
    if (orientation < 1 || orientation > 8)
        return ts_error(ctx, TS_ERR_INVALID, "EXIF orientation %d is not in 1..8", orientation);
    if (!src->data || src->w <= 0 || src->h <= 0 || src->c <= 0)
        return ts_error(ctx, TS_ERR_INVALID, "ts_image_orient: empty image");
    int transpose = orientation >= 5;
    ts_image img;
    ts_status s = ts_image_alloc(ctx, transpose ? src->h : src->w, transpose ? src->w : src->h, src->c, src->type, &img);
    if (s != TS_OK) return s;
    ptrdiff_t bpp = (ptrdiff_t)(ts_pixel_size(src->type) * (size_t)src->c);
    ptrdiff_t stride = (ptrdiff_t)src->stride;
    ptrdiff_t last_x = (ptrdiff_t)(src->w - 1) * bpp, last_y = (ptrdiff_t)(src->h - 1) * stride;
    ptrdiff_t off = 0, step_x = bpp, step_y = stride;
    switch (orientation) {
    case 1: break;
    case 2: off = last_x, step_x = -bpp; break;
    case 3: off = last_x + last_y, step_x = -bpp, step_y = -stride; break;
    case 4: off = last_y, step_y = -stride; break;
    case 5: step_x = stride, step_y = bpp; break;
    case 6: off = last_y, step_x = -stride, step_y = bpp; break;
    case 7: off = last_x + last_y, step_x = -stride, step_y = -bpp; break;
    case 8: off = last_x, step_x = stride, step_y = -bpp; break;
    }
    const uint8_t *base = (const uint8_t *)src->data + off;
    switch (bpp) {
    case 1: ORIENT_LOOP(&img, 1) break;
    case 2: ORIENT_LOOP(&img, 2) break;
    case 3: ORIENT_LOOP(&img, 3) break;
    case 4: ORIENT_LOOP(&img, 4) break;
    case 6: ORIENT_LOOP(&img, 6) break;
    case 8: ORIENT_LOOP(&img, 8) break;
    default: ORIENT_LOOP(&img, bpp) break;
    }
    *out = img;
    return TS_OK;
}
