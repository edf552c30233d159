/* JPEG decode and encode through libjpeg-turbo's libjpeg API: it alone offers
 * DCT-scaled decode together with jpeg_crop_scanline/jpeg_skip_scanlines
 * (turbojpeg 2.1 has no cropped decode), so one path serves all requests. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs size_t and FILE declared first. */
#include <stdio.h>

#include <jpeglib.h>
/* after jpeglib.h: its jconfig.h decides which codes jerror.h declares */
#include <jerror.h>

#include "image/image_internal.h"

/* libjpeg reports fatal errors through error_exit, which must not return:
 * it longjmps back to the call that set `jump`. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} err_mgr;

static void on_error(j_common_ptr cinfo) {
    err_mgr *e = (err_mgr *)cinfo->err;
    cinfo->err->format_message(cinfo, e->message);
    longjmp(e->jump, 1);
}

/* Warnings that mean pixels are missing or wrong are errors here: a truncated
 * or damaged file must not decode quietly to a half-grey image. The rest
 * (unknown JFIF revision, stray bytes between markers) are only counted. */
static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; /* trace output */
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL: on_error(cinfo); break;
    default: cinfo->err->num_warnings++; break;
    }
}

static void init_err(err_mgr *e) {
    jpeg_std_error(&e->pub);
    e->pub.error_exit = on_error;
    e->pub.emit_message = on_message;
    e->message[0] = '\0';
}

/* State of one decode. It lives in the caller's frame and is reached through
 * a pointer, so nothing run_decode changes after setjmp is a local. */
typedef struct {
    struct jpeg_decompress_struct cinfo;
    err_mgr err;
    const uint8_t *data;
    size_t len;
    const ts_image_header *hdr;
    int denom;
    int dc_scans_only; /* see ts_decode_opts */
    ts_rect rect;
    ts_image *img; /* allocated by the caller: rect.w x rect.h x channels */
    uint8_t *row;  /* one decoded row of the whole scaled width, 4 bytes a pixel */
    int cmyk;
    const char *why; /* a failure found outside libjpeg */
    /* libjpeg's own sample-array allocator, wrapped by zeroed_sarray */
    JSAMPARRAY (*alloc_sarray)(j_common_ptr cinfo, int pool_id, JDIMENSION samplesperrow, JDIMENSION numrows);
} decode_job;

/* libjpeg-turbo's SIMD upsamplers and colour converters read past a row's
 * last sample into its padding, which libjpeg never writes: with 4:4:0,
 * 3x1 and similar sampling an edge pixel took part of its value from
 * uninitialised memory (valgrind showed it, and the jpeg fuzzer's crop
 * oracle saw a window and the full decode disagree). Every sample array
 * libjpeg asks for is allocated a whole number of 64-byte vectors wide, as
 * its allocator rounds it anyway, and zeroed across that width, so the
 * pixels depend on the file alone. */
static JSAMPARRAY zeroed_sarray(j_common_ptr cinfo, int pool_id, JDIMENSION samplesperrow, JDIMENSION numrows) {
    decode_job *j = cinfo->client_data;
    JDIMENSION wide = samplesperrow + (JDIMENSION)(63 - (samplesperrow + 63) % 64);
    if (wide < samplesperrow) wide = samplesperrow; /* no wrap-around; libjpeg refuses such widths anyway */
    JSAMPARRAY rows = j->alloc_sarray(cinfo, pool_id, wide, numrows);
    for (JDIMENSION i = 0; i < numrows; i++) memset(rows[i], 0, (size_t)wide * sizeof(JSAMPLE));
    return rows;
}

/* CMYK (as Adobe writes it, inverted, or plain) to `channels` of RGB-based
 * output; gray uses the BT.601 weights of color.c. */
static void cmyk_row(const uint8_t *src, uint8_t *dst, int n, int channels, int inverted) {
    for (int x = 0; x < n; x++, src += 4) {
        unsigned c = src[0], m = src[1], y = src[2], k = src[3];
        if (!inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
        unsigned r = (c * k + 127) / 255, g = (m * k + 127) / 255, b = (y * k + 127) / 255;
        if (channels == 1) {
            *dst++ = (uint8_t)((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);
        } else {
            dst[0] = (uint8_t)r, dst[1] = (uint8_t)g, dst[2] = (uint8_t)b;
            if (channels == 4) dst[3] = 255;
            dst += channels;
        }
    }
}

/* How many components (the first ones) the output is made of: gray out of
 * YCbCr reads luma alone. */
static int components_used(const struct jpeg_decompress_struct *ci) {
    return ci->out_color_space == JCS_GRAYSCALE && ci->jpeg_color_space == JCS_YCbCr ? 1 : ci->num_components;
}

/* Whether the output is made of DC terms alone: every component it uses is
 * inverse-transformed to one pixel a block. (libjpeg scales subsampled
 * chroma up through a larger IDCT, which reads AC terms.) */
static int output_is_dc_only(const struct jpeg_decompress_struct *ci) {
    for (int c = 0; c < components_used(ci); c++)
        if (ci->comp_info[c].DCT_scaled_size != 1) return 0;
    return 1;
}

/* Whether every component used has had its first DC scan (coef_bits holds
 * the successive-approximation bit each coefficient has reached, -1 before
 * its first scan). The low DC bits that a refinement scan adds later are
 * not waited for: that scan usually follows most of the AC data, and a bit
 * of DC moves a pixel by at most q/8 grey levels (q: the DC quantiser). */
static int dc_present(const struct jpeg_decompress_struct *ci) {
    for (int c = 0; c < components_used(ci); c++)
        if (ci->coef_bits[c][0] < 0) return 0;
    return 1;
}

/* Buffered-image mode: read scans until the DC coefficients are there (or
 * the file ends), then set up output from what has been read. A scan's
 * coef_bits change when its header is read, so only a completed scan
 * counts. */
static void read_dc_scans(struct jpeg_decompress_struct *ci) {
    for (;;) {
        int r = jpeg_consume_input(ci);
        if (r == JPEG_REACHED_EOI || r == JPEG_SUSPENDED) break;
        if (r == JPEG_SCAN_COMPLETED && dc_present(ci)) break;
    }
    jpeg_start_output(ci, ci->input_scan_number);
}

/* Whether every component is upsampled by 1 or 2 each way (4:4:4, 4:2:2,
 * 4:2:0, 4:4:0 ...). Other ratios go through libjpeg's generic upsampler,
 * which does not give a cropped or row-skipped window the pixels of the
 * same window of the whole image (3x1, 1x4 and 2x4 luma over 1x1 chroma,
 * at reduced scale, differ); such files, rare, are decoded whole rows from
 * the top. */
static int plain_sampling(const struct jpeg_decompress_struct *ci) {
    for (int c = 0; c < ci->num_components; c++) {
        const jpeg_component_info *comp = &ci->comp_info[c];
        if (ci->max_h_samp_factor > 2 * comp->h_samp_factor || ci->max_v_samp_factor > 2 * comp->v_samp_factor)
            return 0;
    }
    return 1;
}

/* Pass the first n output rows: skipped by libjpeg, or (with a scratch row)
 * decoded and dropped. 0 when the image has fewer rows. */
static int skip_rows(struct jpeg_decompress_struct *ci, JDIMENSION n, uint8_t *scratch) {
    if (!scratch) return n == 0 || jpeg_skip_scanlines(ci, n) == n;
    for (JDIMENSION i = 0; i < n; i++) {
        JSAMPROW rows[1] = {scratch};
        if (jpeg_read_scanlines(ci, rows, 1) != 1) return 0;
    }
    return 1;
}

static int run_decode(decode_job *j) {
    struct jpeg_decompress_struct *ci = &j->cinfo;
    if (setjmp(j->err.jump)) return 1;
    ci->err = &j->err.pub;
    jpeg_create_decompress(ci);
    ci->client_data = j;
    j->alloc_sarray = ci->mem->alloc_sarray;
    ci->mem->alloc_sarray = zeroed_sarray;
    jpeg_mem_src(ci, j->data, (unsigned long)j->len);
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK) {
        j->why = "no image in the data (tables only)";
        return 1;
    }
    if ((int)ci->image_width != j->hdr->width || (int)ci->image_height != j->hdr->height) {
        j->why = "the frame header read by libjpeg disagrees with the first one";
        return 1;
    }
    int channels = j->img->c;
    j->cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
    if (j->cmyk) ci->out_color_space = JCS_CMYK;
    else ci->out_color_space = channels == 1 ? JCS_GRAYSCALE : channels == 3 ? JCS_RGB : JCS_EXT_RGBA;
    ci->scale_num = 1;
    ci->scale_denom = (unsigned)j->denom;
    ci->dct_method = JDCT_ISLOW; /* what cv2 and Pillow use: same pixels */
    jpeg_calc_output_dimensions(ci);
    ts_rect r = j->rect;
    if ((int64_t)r.x + r.w > ci->output_width || (int64_t)r.y + r.h > ci->output_height) {
        j->why = "the scaled size differs from the expected one";
        return 1;
    }
    /* When each output pixel is a block's DC term, a whole progressive image
     * needs only the scans that carry DC. */
    int dc_only = j->dc_scans_only && ci->progressive_mode && output_is_dc_only(ci) && r.x == 0 && r.y == 0 &&
                  r.w == (int)ci->output_width && r.h == (int)ci->output_height;
    if (dc_only) ci->buffered_image = TRUE;
    /* No block smoothing: for a progressive file whose scans leave AC terms
     * unsent, libjpeg guesses them from the neighbouring blocks, and guesses
     * differently for a window (skipped rows) than for the whole image. A
     * complete file has nothing to guess, so its pixels do not change. */
    ci->do_block_smoothing = FALSE;
    jpeg_start_decompress(ci);
    if (dc_only) read_dc_scans(ci);
    /* libjpeg widens a crop to iMCU boundaries on the left but treats its
     * right end as the image edge, so the chroma upsampler there lacks its
     * neighbour and the last pixels differ from a full decode. Asking for
     * one more iMCU on each side keeps our window exact; `shift` is where
     * it starts in the decoded row. */
    int windowed = plain_sampling(ci);
    JDIMENSION imcu = (JDIMENSION)(ci->max_h_samp_factor * ci->min_DCT_scaled_size);
    JDIMENSION x0 = windowed && (JDIMENSION)r.x > imcu ? (JDIMENSION)r.x - imcu : 0;
    JDIMENSION x1 = windowed ? (JDIMENSION)(r.x + r.w) + imcu : ci->output_width;
    if (x1 > ci->output_width) x1 = ci->output_width;
    JDIMENSION xoff = x0, width = x1 - x0;
    if (xoff != 0 || width != ci->output_width) jpeg_crop_scanline(ci, &xoff, &width);
    size_t shift = (size_t)(r.x - (int)xoff) * (size_t)ci->output_components;
    if (!skip_rows(ci, (JDIMENSION)r.y, windowed ? NULL : j->row)) {
        j->why = "fewer rows than the header says";
        return 1;
    }
    int direct = !j->cmyk && shift == 0 && width == (JDIMENSION)r.w;
    size_t row_bytes = (size_t)r.w * (size_t)channels;
    for (int y = 0; y < r.h; y++) {
        uint8_t *dst = ts_image_row(j->img, y);
        JSAMPROW rows[1] = {direct ? dst : j->row};
        if (jpeg_read_scanlines(ci, rows, 1) != 1) {
            j->why = "fewer rows than the header says";
            return 1;
        }
        if (j->cmyk) cmyk_row(j->row + shift, dst, r.w, channels, ci->saw_Adobe_marker);
        else if (!direct) memcpy(dst, j->row + shift, row_bytes);
    }
    /* No jpeg_finish_decompress: the rows wanted are out, and reading on to
     * EOI would only cost time (and fail on a crop of a damaged tail). */
    return 0;
}

ts_status ts_jpeg_decode(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len, const ts_image_header *hdr,
                         int channels, int denom, int dc_scans_only, ts_rect rect, ts_image *out) {
    ts_image img;
    ts_status s = ts_image_alloc(ctx, rect.w, rect.h, channels, TS_PIX_U8, &img);
    if (s != TS_OK) return s;
    size_t scaled_w = ((size_t)hdr->width + (size_t)denom - 1) / (size_t)denom;
    /* Room for a whole scaled row of 4-byte pixels plus libjpeg-turbo's
     * habit of writing a few bytes past a cropped row's end. */
    uint8_t *row = ts_alloc_array(ctx, scaled_w + 64, 4);
    if (!row) {
        ts_image_free(&img);
        return TS_ERR_NOMEM;
    }
    decode_job *j = calloc(1, sizeof *j);
    if (!j) {
        free(row);
        ts_image_free(&img);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    init_err(&j->err);
    j->data = data;
    j->len = len;
    j->hdr = hdr;
    j->denom = denom;
    j->dc_scans_only = dc_scans_only;
    j->rect = rect;
    j->img = &img;
    j->row = row;
    int failed = run_decode(j);
    if (failed) {
        int unsupported = j->cinfo.err && (j->err.pub.msg_code == JERR_BAD_PRECISION ||
                                           j->err.pub.msg_code == JERR_CONVERSION_NOTIMPL ||
                                           j->err.pub.msg_code == JERR_NOT_COMPILED);
        s = ts_error(ctx, unsupported ? TS_ERR_UNSUPPORTED : TS_ERR_CORRUPT, "%s: %s JPEG: %s", label,
                     unsupported ? "unsupported" : "corrupt", j->why ? j->why : j->err.message);
    }
    jpeg_destroy_decompress(&j->cinfo);
    free(j);
    free(row);
    if (failed) {
        ts_image_free(&img);
        return s;
    }
    *out = img;
    return TS_OK;
}

/* ---- encode -------------------------------------------------------------------- */

/* A destination manager writing into a malloc'd, doubling buffer that we
 * own (libjpeg's jpeg_mem_dest leaks its buffer when compression fails). */
typedef struct {
    struct jpeg_destination_mgr pub;
    uint8_t *data;
    size_t cap;
} mem_dest;

static void dest_init(j_compress_ptr cinfo) {
    mem_dest *d = (mem_dest *)cinfo->dest;
    d->pub.next_output_byte = d->data;
    d->pub.free_in_buffer = d->cap;
}

static boolean dest_grow(j_compress_ptr cinfo) {
    mem_dest *d = (mem_dest *)cinfo->dest;
    size_t cap = d->cap * 2;
    uint8_t *p = cap > d->cap ? realloc(d->data, cap) : NULL;
    if (!p) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    d->data = p;
    d->pub.next_output_byte = p + d->cap;
    d->pub.free_in_buffer = cap - d->cap;
    d->cap = cap;
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo) {
    (void)cinfo;
}

typedef struct {
    struct jpeg_compress_struct cinfo;
    err_mgr err;
    mem_dest dest;
    const ts_image *img;
    int quality;
} encode_job;

static int run_encode(encode_job *j) {
    struct jpeg_compress_struct *ci = &j->cinfo;
    if (setjmp(j->err.jump)) return 1;
    ci->err = &j->err.pub;
    jpeg_create_compress(ci);
    j->dest.pub.init_destination = dest_init;
    j->dest.pub.empty_output_buffer = dest_grow;
    j->dest.pub.term_destination = dest_term;
    ci->dest = &j->dest.pub;
    ci->image_width = (JDIMENSION)j->img->w;
    ci->image_height = (JDIMENSION)j->img->h;
    ci->input_components = j->img->c;
    ci->in_color_space = j->img->c == 1 ? JCS_GRAYSCALE : j->img->c == 3 ? JCS_RGB : JCS_EXT_RGBX;
    jpeg_set_defaults(ci);
    jpeg_set_quality(ci, j->quality, TRUE);
    jpeg_start_compress(ci, TRUE);
    for (int y = 0; y < j->img->h; y++) {
        JSAMPROW rows[1] = {ts_image_row(j->img, y)};
        jpeg_write_scanlines(ci, rows, 1);
    }
    jpeg_finish_compress(ci);
    return 0;
}

ts_status ts_jpeg_encode(ts_ctx *ctx, const ts_image *img, int quality, uint8_t **data, size_t *len) {
    if (img->c != 1 && img->c != 3 && img->c != 4)
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "JPEG encode: %d channels", img->c);
    if (img->w > JPEG_MAX_DIMENSION || img->h > JPEG_MAX_DIMENSION)
        return ts_error(ctx, TS_ERR_LIMIT, "JPEG encode: %dx%d exceeds JPEG's largest side of %d", img->w, img->h,
                        (int)JPEG_MAX_DIMENSION);
    encode_job *j = calloc(1, sizeof *j);
    if (!j) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    init_err(&j->err);
    j->img = img;
    j->quality = quality;
    j->dest.cap = 65536;
    j->dest.data = malloc(j->dest.cap);
    ts_status s = TS_OK;
    if (!j->dest.data) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    else if (run_encode(j)) s = ts_error(ctx, TS_ERR_INVALID, "JPEG encode: %s", j->err.message);
    jpeg_destroy_compress(&j->cinfo);
    if (s == TS_OK) {
        *len = j->dest.cap - j->dest.pub.free_in_buffer;
        *data = j->dest.data;
    } else {
        free(j->dest.data);
    }
    free(j);
    return s;
}
