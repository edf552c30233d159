/* Helpers shared by the files of src/image/: per-codec probes, decoders and
 * encoders that image.c dispatches to, and the EXIF orientation reader. */
#ifndef TS_IMAGE_INTERNAL_H
#define TS_IMAGE_INTERNAL_H

#include "trainset/image.h"

/* ts_image_probe with `label` (a file name, may be NULL) naming messages. */
ts_status ts_image_probe_named(ts_ctx *ctx, const char *label, const void *data, size_t len, ts_image_header *out);

/* The context's limits, or the defaults when ctx is NULL. */
ts_limits ts_image_limits(const ts_ctx *ctx);

/* `label` or a stand-in when NULL, for messages. */
const char *ts_image_label(const char *label);

/* The EXIF orientation (1..8) of the payload of a JPEG APP1 segment
 * ("Exif\0\0" + TIFF), or 1 when absent or malformed. */
int ts_exif_orientation(const uint8_t *app1, size_t len);

/* A rectangle in pixels. */
typedef struct {
    int x, y, w, h;
} ts_rect;

/* Decode a JPEG at 1/denom scale, only the rectangle `rect` of the scaled,
 * stored (un-oriented) image, to `channels` (1, 3 or 4) U8 channels. `hdr`
 * comes from the probe and is already checked against the limits. */
ts_status ts_jpeg_decode(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len, const ts_image_header *hdr,
                         int channels, int denom, int dc_scans_only, ts_rect rect, ts_image *out);
/* Decode a whole PNG: 1, 3 or 4 channels (gray+alpha becomes RGBA), U8 or,
 * with keep_16bit and a 16-bit file, U16 in native byte order. */
ts_status ts_png_decode(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len, const ts_image_header *hdr,
                        int keep_16bit, ts_image *out);
/* Decode a whole WebP to 3 or 4 U8 channels (4 when it has alpha). */
ts_status ts_webp_decode(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len, const ts_image_header *hdr,
                         ts_image *out);

/* Encoders; *data is malloc'd. The image is U8 (PNG also U16) with 1..4
 * channels; image.c has already converted what a codec cannot hold. */
ts_status ts_jpeg_encode(ts_ctx *ctx, const ts_image *img, int quality, uint8_t **data, size_t *len);
ts_status ts_png_encode(ts_ctx *ctx, const ts_image *img, uint8_t **data, size_t *len);
ts_status ts_webp_encode(ts_ctx *ctx, const ts_image *img, int quality, int lossless, uint8_t **data, size_t *len);

/* Big-endian reads for header parsers. */
static inline uint32_t ts_be16(const uint8_t *p) {
    return (uint32_t)p[0] << 8 | p[1];
}
static inline uint32_t ts_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t ts_le16(const uint8_t *p) {
    return (uint32_t)p[1] << 8 | p[0];
}
static inline uint32_t ts_le24(const uint8_t *p) {
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint32_t ts_le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#endif
