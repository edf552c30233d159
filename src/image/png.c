/* PNG decode and encode through libpng: every colour type and bit depth
 * (palette, tRNS, gray+alpha, 1-16 bit, interlaced) in, 8 or 16 bit out. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "image/image_internal.h"

/* libpng longjmps on errors (png_jmpbuf); warnings go nowhere, since the
 * library never prints. The message is kept for the context's error. */
typedef struct {
    char message[256];
} png_err;

static void on_error(png_structp png, png_const_charp msg) {
    png_err *e = png_get_error_ptr(png);
    snprintf(e->message, sizeof e->message, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

/* ---- decode -------------------------------------------------------------------- */

typedef struct {
    png_structp png;
    png_infop info;
    png_err err;
    const uint8_t *data;
    size_t len, pos;
    int keep_16bit;
    uint32_t max_w, max_h;
    ts_ctx *ctx;
    ts_image img;     /* allocated once the transformed layout is known */
    png_bytep *rows;  /* row pointers into img */
    ts_status status; /* set when a failure is ours (limits, memory) */
} decode_job;

static void read_mem(png_structp png, png_bytep out, png_size_t n) {
    decode_job *j = png_get_io_ptr(png);
    if (j->len - j->pos < n) png_error(png, "truncated: the data ends inside a chunk");
    memcpy(out, j->data + j->pos, n);
    j->pos += n;
}

static int run_decode(decode_job *j) {
    if (setjmp(png_jmpbuf(j->png))) return 1;
    png_set_read_fn(j->png, j, read_mem);
    png_set_user_limits(j->png, j->max_w, j->max_h);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* let mutated inputs past the CRCs into the decoder proper */
    png_set_crc_action(j->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#endif
    png_read_info(j->png, j->info);
    int ctype = png_get_color_type(j->png, j->info);
    int depth = png_get_bit_depth(j->png, j->info);
    /* Palette -> RGB, tRNS -> alpha, gray below 8 bits -> 8 bits. */
    png_set_expand(j->png);
    if (depth == 16) {
        if (j->keep_16bit) {
            const uint16_t one = 1;
            if (*(const uint8_t *)&one) png_set_swap(j->png); /* PNG is big-endian */
        } else {
            png_set_scale_16(j->png); /* v * 255 / 65535 rounded, not v >> 8 */
        }
    }
    /* Gray with alpha (stored or from tRNS) becomes RGBA, the layout every
     * consumer takes; plain gray stays one channel. */
    if ((ctype == PNG_COLOR_TYPE_GRAY_ALPHA) ||
        (ctype == PNG_COLOR_TYPE_GRAY && png_get_valid(j->png, j->info, PNG_INFO_tRNS)))
        png_set_gray_to_rgb(j->png);
    png_set_interlace_handling(j->png);
    png_read_update_info(j->png, j->info);
    int channels = png_get_channels(j->png, j->info);
    int out_depth = png_get_bit_depth(j->png, j->info);
    uint32_t w = png_get_image_width(j->png, j->info), h = png_get_image_height(j->png, j->info);
    if (channels == 2 || (out_depth != 8 && out_depth != 16)) png_error(j->png, "unexpected decoded layout");
    j->status = ts_image_alloc(j->ctx, (int)w, (int)h, channels, out_depth == 16 ? TS_PIX_U16 : TS_PIX_U8, &j->img);
    if (j->status != TS_OK) return 1;
    if (png_get_rowbytes(j->png, j->info) != j->img.stride) png_error(j->png, "unexpected row size");
    j->rows = ts_alloc_array(j->ctx, h, sizeof *j->rows);
    if (!j->rows) {
        j->status = TS_ERR_NOMEM;
        return 1;
    }
    for (uint32_t y = 0; y < h; y++) j->rows[y] = ts_image_row(&j->img, (int)y);
    png_read_image(j->png, j->rows);
    /* The pixels are complete; a damaged trailer (IEND) is not read. */
    return 0;
}

ts_status ts_png_decode(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len, const ts_image_header *hdr,
                        int keep_16bit, ts_image *out) {
    decode_job *j = calloc(1, sizeof *j);
    if (!j) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    j->data = data;
    j->len = len;
    j->keep_16bit = keep_16bit;
    j->ctx = ctx;
    /* The probe checked the limits; libpng's own caps must not be lower. */
    j->max_w = (uint32_t)hdr->width;
    j->max_h = (uint32_t)hdr->height;
    ts_status s = TS_OK;
    j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j->err, on_error, on_warning);
    if (j->png) j->info = png_create_info_struct(j->png);
    if (!j->png || !j->info) {
        s = ts_error(ctx, TS_ERR_NOMEM, "%s: cannot start the PNG decoder", label);
    } else if (run_decode(j)) {
        s = j->status != TS_OK ? j->status
                               : ts_error(ctx, TS_ERR_CORRUPT, "%s: corrupt PNG: %s", label, j->err.message);
    }
    png_destroy_read_struct(j->png ? &j->png : NULL, j->info ? &j->info : NULL, NULL);
    free(j->rows);
    if (s == TS_OK) *out = j->img;
    else ts_image_free(&j->img);
    free(j);
    return s;
}

/* ---- encode -------------------------------------------------------------------- */

typedef struct {
    png_structp png;
    png_infop info;
    png_err err;
    const ts_image *img;
    uint8_t *data;
    size_t len, cap;
    int nomem;
} encode_job;

static void write_mem(png_structp png, png_bytep in, png_size_t n) {
    encode_job *j = png_get_io_ptr(png);
    if (j->cap - j->len < n) {
        size_t cap = j->cap ? j->cap : 65536;
        while (cap - j->len < n) {
            if (cap > SIZE_MAX / 2) png_error(png, "output too large");
            cap *= 2;
        }
        uint8_t *p = realloc(j->data, cap);
        if (!p) {
            j->nomem = 1;
            png_error(png, "out of memory");
        }
        j->data = p;
        j->cap = cap;
    }
    memcpy(j->data + j->len, in, n);
    j->len += n;
}

static void flush_mem(png_structp png) {
    (void)png;
}

static int run_encode(encode_job *j) {
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    const ts_image *img = j->img;
    if (setjmp(png_jmpbuf(j->png))) return 1;
    png_set_write_fn(j->png, j, write_mem, flush_mem);
    int depth = img->type == TS_PIX_U16 ? 16 : 8;
    png_set_IHDR(j->png, j->info, (png_uint_32)img->w, (png_uint_32)img->h, depth, types[img->c],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(j->png, j->info);
    if (depth == 16) {
        const uint16_t one = 1;
        if (*(const uint8_t *)&one) png_set_swap(j->png);
    }
    for (int y = 0; y < img->h; y++) png_write_row(j->png, ts_image_row(img, y));
    png_write_end(j->png, NULL);
    return 0;
}

ts_status ts_png_encode(ts_ctx *ctx, const ts_image *img, uint8_t **data, size_t *len) {
    encode_job *j = calloc(1, sizeof *j);
    if (!j) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    j->img = img;
    ts_status s = TS_OK;
    j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j->err, on_error, on_warning);
    if (j->png) j->info = png_create_info_struct(j->png);
    if (!j->png || !j->info) s = ts_error(ctx, TS_ERR_NOMEM, "cannot start the PNG encoder");
    else if (run_encode(j))
        s = ts_error(ctx, j->nomem ? TS_ERR_NOMEM : TS_ERR_INVALID, "PNG encode: %s", j->err.message);
    png_destroy_write_struct(j->png ? &j->png : NULL, j->info ? &j->info : NULL);
    if (s == TS_OK) {
        *data = j->data;
        *len = j->len;
    } else {
        free(j->data);
    }
    free(j);
    return s;
}
