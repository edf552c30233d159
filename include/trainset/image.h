/* Pixel views and codecs: JPEG (libturbojpeg, with reduced-scale and cropped
 * decode), PNG (8 and 16 bit), WebP; header probing without decoding. */
#ifndef TRAINSET_IMAGE_H
#define TRAINSET_IMAGE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TS_PIX_U8 = 0, TS_PIX_U16, TS_PIX_F32 } ts_pixel_type;

/* Bytes of one sample of a pixel type. */
size_t ts_pixel_size(ts_pixel_type type);

/* A view of interleaved HWC pixels. A view never owns its memory; images
 * made by ts_image_alloc or a decoder own theirs and are freed with
 * ts_image_free. `stride` is the distance between rows in bytes. */
typedef struct {
    int w, h, c;
    size_t stride;
    ts_pixel_type type;
    void *data;
} ts_image;

/* Allocate a zeroed w*h*c image (tight stride), checked against limits. */
ts_status ts_image_alloc(ts_ctx *ctx, int w, int h, int c, ts_pixel_type type, ts_image *out);
/* Free pixels made by ts_image_alloc or a decoder; zeroes the view. NULL ok. */
void ts_image_free(ts_image *img);
/* Pointer to row y. */
static inline void *ts_image_row(const ts_image *img, int y) {
    return (uint8_t *)img->data + (size_t)y * img->stride;
}
/* Check w, h against the context's limits (max_dimension, max_pixels). */
ts_status ts_image_check_size(ts_ctx *ctx, uint64_t w, uint64_t h, const char *what);

typedef enum { TS_CODEC_UNKNOWN = 0, TS_CODEC_JPEG, TS_CODEC_PNG, TS_CODEC_WEBP } ts_codec;

const char *ts_codec_name(ts_codec codec);
/* Codec from the first bytes (magic numbers). */
ts_codec ts_codec_sniff(const void *data, size_t len);
/* Codec from a file name's extension (.jpg .jpeg .png .webp). */
ts_codec ts_codec_from_path(const char *path);

typedef struct {
    ts_codec codec;
    int width, height; /* as stored, before EXIF orientation */
    int channels;      /* 1, 2 (gray+alpha), 3 or 4 */
    int bit_depth;     /* 8 or 16 */
    int orientation;   /* EXIF orientation 1..8 (1 = none or absent) */
} ts_image_header;

/* Read the header only (no pixel decode). */
ts_status ts_image_probe(ts_ctx *ctx, const void *data, size_t len, ts_image_header *out);
/* Probe a file reading only as much of it as the header needs. */
ts_status ts_image_probe_file(ts_ctx *ctx, const char *path, ts_image_header *out);

/* Width and height once EXIF orientation is applied (swapped for 5..8). */
void ts_image_header_oriented_size(const ts_image_header *hdr, int *w, int *h);

typedef struct {
    int channels;          /* 0 = as stored (gray+alpha becomes RGBA), 1, 3 or 4 */
    int scale_denom;       /* JPEG DCT scaling: 1 (default), 2, 4 or 8 */
    int crop_x, crop_y;    /* JPEG cropped decode, in scaled pixels; */
    int crop_w, crop_h;    /*   crop_w == 0 means the whole image */
    int apply_orientation; /* rotate/flip by the EXIF orientation tag */
    int keep_16bit;        /* 16-bit PNGs decode to TS_PIX_U16 */
} ts_decode_opts;

/* Defaults: as stored, full scale, no crop, orientation applied, 8-bit. */
ts_decode_opts ts_decode_opts_default(void);

typedef struct {
    ts_image_header header; /* the file's own header */
    int orientation_applied; /* 1 when EXIF orientation changed the pixels */
    int crop_x, crop_y;      /* the crop actually decoded (JPEG aligns it) */
} ts_decode_info;

/* Decode to an owned image. `opts` and `info` may be NULL. Corrupt or
 * truncated data is TS_ERR_CORRUPT; sizes over the limits TS_ERR_LIMIT.
 * `name` labels messages (a file name), may be NULL. */
ts_status ts_image_decode(ts_ctx *ctx, const char *name, const void *data, size_t len,
                          const ts_decode_opts *opts, ts_image *out, ts_decode_info *info);
ts_status ts_image_load(ts_ctx *ctx, const char *path, const ts_decode_opts *opts, ts_image *out,
                        ts_decode_info *info);

typedef struct {
    ts_codec codec; /* 0 = from the path's extension, else PNG */
    int quality;    /* JPEG / WebP quality 1..100, default 90 */
    int lossless;   /* WebP */
} ts_encode_opts;

/* Encode an 8-bit (or 16-bit for PNG) image; *data is malloc'd. */
ts_status ts_image_encode(ts_ctx *ctx, const ts_image *img, const ts_encode_opts *opts, uint8_t **data,
                          size_t *len);
/* Encode and write atomically. */
ts_status ts_image_save(ts_ctx *ctx, const char *path, const ts_image *img, const ts_encode_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
