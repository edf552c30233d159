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
 * ts_image_free. `stride` is the distance between rows in bytes (more than
 * w * c * pixel size in a view, or in an image cropped in place). */
typedef struct {
    int w, h, c;
    size_t stride;
    ts_pixel_type type;
    void *data;
    /* An owned image cropped in place (an augmentation crop moves no
     * pixels): the allocation `data` lies inside. NULL otherwise. */
    void *block;
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
    /* At 1/8 scale a JPEG's gray pixels (and colour ones without chroma
     * subsampling) depend on its DC coefficients alone, and a progressive
     * file sends those first: with this set, such a decode of a whole
     * progressive image stops after the first DC scan (several times
     * faster). Its pixels may then differ from the full decode's by the DC
     * bits a later scan would refine (a grey level or two), and damage in
     * the later scans goes unnoticed: integrity checks leave it off,
     * perceptual hashing sets it. */
    int dc_scans_only;
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

/* ---- views, copies, orientation ------------------------------------------ */

/* A view of the rectangle (x, y, w, h) of `src`, sharing its pixels (no copy,
 * nothing to free). TS_ERR_INVALID when the rectangle is empty or leaves
 * the image. Thread-safe. */
ts_status ts_image_crop(ts_ctx *ctx, const ts_image *src, int x, int y, int w, int h, ts_image *view);
/* An owned copy of a view with a tight stride (free with ts_image_free). */
ts_status ts_image_copy(ts_ctx *ctx, const ts_image *src, ts_image *out);
/* Copy the pixels of `src` into the view `dst` of the same size, channels and
 * type (rows may have any stride). */
ts_status ts_image_copy_into(ts_ctx *ctx, const ts_image *src, const ts_image *dst);
/* An owned copy of `src` turned as EXIF orientation 1..8 says (1 as is,
 * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
 * 7 transverse, 8 rotate 90 counter-clockwise), so the result is upright.
 * Any pixel type and channel count. */
ts_status ts_image_orient(ts_ctx *ctx, const ts_image *src, int orientation, ts_image *out);

/* ---- resize ---------------------------------------------------------------- */

typedef enum {
    TS_INTERP_NEAREST = 0, /* cv2.INTER_NEAREST: source pixel floor(x * sw / dw) */
    TS_INTERP_BILINEAR,    /* cv2.INTER_LINEAR: pixel-centre aligned, 11-bit weights, no antialias */
    TS_INTERP_AREA         /* cv2.INTER_AREA: exact pixel-area average when shrinking (antialiased);
                              bilinear-like when enlarging */
} ts_interp;

/* Resize `src` into the view `dst` (its w, h and stride set; same channels,
 * any count; TS_PIX_U8 only). Results follow cv2.resize with the same
 * interpolation to within rounding (mean absolute difference well under
 * one grey level). Separable, with weights computed once per call; uses a
 * small scratch allocation. Thread-safe. */
ts_status ts_image_resize_into(ts_ctx *ctx, const ts_image *src, const ts_image *dst, ts_interp interp);
/* Same into a new owned w x h image. */
ts_status ts_image_resize(ts_ctx *ctx, const ts_image *src, int w, int h, ts_interp interp, ts_image *out);

/* ---- colour ---------------------------------------------------------------- */

/* Convert between channel layouts 1 (gray), 2 (gray+alpha), 3 (RGB) and
 * 4 (RGBA) of TS_PIX_U8 or TS_PIX_U16 pixels into the view `dst` (same w, h,
 * type; its own c). Colour to gray uses BT.601 weights as cv2.COLOR_RGB2GRAY
 * (0.299 R + 0.587 G + 0.114 B, rounded); alpha is dropped without
 * compositing and added as opaque. Thread-safe. */
ts_status ts_image_convert_into(ts_ctx *ctx, const ts_image *src, const ts_image *dst);
/* Same into a new owned image with `channels` channels. */
ts_status ts_image_convert(ts_ctx *ctx, const ts_image *src, int channels, ts_image *out);
/* HWC TS_PIX_U8 to planar CHW float: dst[(k * h + y) * w + x] =
 * (src(x, y, k) / 255 - mean[k]) / std[k]. `mean` and `std` hold src->c
 * values each, or are NULL for 0 and 1. `dst` holds c*h*w floats. */
ts_status ts_image_to_chw_f32(ts_ctx *ctx, const ts_image *src, const float *mean, const float *std, float *dst);

#ifdef __cplusplus
}
#endif
#endif
