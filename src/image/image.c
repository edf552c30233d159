/* Pixel views (alloc, free, limits, crop, copy), codec identification, and
 * the decode/encode entry points that dispatch to jpeg.c, png.c and webp.c. */
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"

size_t ts_pixel_size(ts_pixel_type type) {
    switch (type) {
    case TS_PIX_U8: return 1;
    case TS_PIX_U16: return 2;
    case TS_PIX_F32: return 4;
    }
    return 1;
}

ts_limits ts_image_limits(const ts_ctx *ctx) {
    if (ctx) return ts_ctx_limits(ctx);
    ts_limits lim = {(uint64_t)1 << 28, (uint64_t)1 << 36, 1u << 20}; /* the context's defaults */
    return lim;
}

ts_status ts_image_check_size(ts_ctx *ctx, uint64_t w, uint64_t h, const char *what) {
    ts_limits lim = ts_image_limits(ctx);
    what = ts_image_label(what);
    if (w == 0 || h == 0)
        return ts_error(ctx, TS_ERR_INVALID, "%s: empty image (%llux%llu)", what, (unsigned long long)w,
                        (unsigned long long)h);
    if (w > lim.max_dimension || h > lim.max_dimension || w > 0x7FFFFFFF || h > 0x7FFFFFFF)
        return ts_error(ctx, TS_ERR_LIMIT, "%s: %llux%llu pixels exceeds the largest side of %u (max_dimension)",
                        what, (unsigned long long)w, (unsigned long long)h, lim.max_dimension);
    /* w, h < 2^31 here, so the product cannot overflow 64 bits. */
    if (w * h > lim.max_pixels)
        return ts_error(ctx, TS_ERR_LIMIT, "%s: %llux%llu pixels exceeds the limit of %llu pixels (max_pixels)",
                        what, (unsigned long long)w, (unsigned long long)h, (unsigned long long)lim.max_pixels);
    return TS_OK;
}

ts_status ts_image_alloc(ts_ctx *ctx, int w, int h, int c, ts_pixel_type type, ts_image *out) {
    if (w <= 0 || h <= 0 || c <= 0 || c > 64)
        return ts_error(ctx, TS_ERR_INVALID, "cannot allocate a %dx%d image with %d channels", w, h, c);
    ts_status s = ts_image_check_size(ctx, (uint64_t)w, (uint64_t)h, "image");
    if (s != TS_OK) return s;
    size_t stride, bytes;
    if (!ts_mul_size((size_t)w, (size_t)c * ts_pixel_size(type), &stride) || !ts_mul_size(stride, (size_t)h, &bytes))
        return ts_error(ctx, TS_ERR_NOMEM, "a %dx%dx%d image overflows the address space", w, h, c);
    void *data = ts_calloc_array(ctx, bytes, 1);
    if (!data) return TS_ERR_NOMEM;
    out->w = w;
    out->h = h;
    out->c = c;
    out->stride = stride;
    out->type = type;
    out->data = data;
    out->block = NULL;
    return TS_OK;
}

void ts_image_free(ts_image *img) {
    if (!img) return;
    free(img->block ? img->block : img->data);
    memset(img, 0, sizeof *img);
}

ts_status ts_image_crop(ts_ctx *ctx, const ts_image *src, int x, int y, int w, int h, ts_image *view) {
    if (w <= 0 || h <= 0 || x < 0 || y < 0 || x > src->w - w || y > src->h - h)
        return ts_error(ctx, TS_ERR_INVALID, "crop %dx%d at (%d, %d) does not fit in a %dx%d image", w, h, x, y,
                        src->w, src->h);
    size_t bpp = ts_pixel_size(src->type) * (size_t)src->c;
    ts_image v = *src;
    v.w = w;
    v.h = h;
    v.data = (uint8_t *)src->data + (size_t)y * src->stride + (size_t)x * bpp;
    v.block = NULL; /* a view owns nothing */
    *view = v;
    return TS_OK;
}

ts_status ts_image_copy_into(ts_ctx *ctx, const ts_image *src, const ts_image *dst) {
    if (src->w != dst->w || src->h != dst->h || src->c != dst->c || src->type != dst->type)
        return ts_error(ctx, TS_ERR_INVALID, "copy of a %dx%dx%d image into a %dx%dx%d one", src->w, src->h, src->c,
                        dst->w, dst->h, dst->c);
    size_t row = (size_t)src->w * (size_t)src->c * ts_pixel_size(src->type);
    for (int y = 0; y < src->h; y++) memcpy(ts_image_row(dst, y), ts_image_row(src, y), row);
    return TS_OK;
}

ts_status ts_image_copy(ts_ctx *ctx, const ts_image *src, ts_image *out) {
    ts_image img;
    ts_status s = ts_image_alloc(ctx, src->w, src->h, src->c, src->type, &img);
    if (s != TS_OK) return s;
    ts_image_copy_into(ctx, src, &img);
    *out = img;
    return TS_OK;
}

/* ---- codecs ---------------------------------------------------------------- */

const char *ts_codec_name(ts_codec codec) {
    switch (codec) {
    case TS_CODEC_JPEG: return "JPEG";
    case TS_CODEC_PNG: return "PNG";
    case TS_CODEC_WEBP: return "WebP";
    default: return "unknown";
    }
}

ts_codec ts_codec_sniff(const void *data, size_t len) {
    const uint8_t *d = data;
    if (!d) return TS_CODEC_UNKNOWN;
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return TS_CODEC_JPEG;
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return TS_CODEC_PNG;
    if (len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) return TS_CODEC_WEBP;
    return TS_CODEC_UNKNOWN;
}

ts_codec ts_codec_from_path(const char *path) {
    const char *ext = ts_path_ext(path);
    if (ts_strcaseeq(ext, ".jpg") || ts_strcaseeq(ext, ".jpeg") || ts_strcaseeq(ext, ".jpe") ||
        ts_strcaseeq(ext, ".jfif"))
        return TS_CODEC_JPEG;
    if (ts_strcaseeq(ext, ".png")) return TS_CODEC_PNG;
    if (ts_strcaseeq(ext, ".webp")) return TS_CODEC_WEBP;
    return TS_CODEC_UNKNOWN;
}

void ts_image_header_oriented_size(const ts_image_header *hdr, int *w, int *h) {
    int swap = hdr->orientation >= 5 && hdr->orientation <= 8;
    *w = swap ? hdr->height : hdr->width;
    *h = swap ? hdr->width : hdr->height;
}

ts_decode_opts ts_decode_opts_default(void) {
    ts_decode_opts o;
    memset(&o, 0, sizeof o);
    o.scale_denom = 1;
    o.apply_orientation = 1;
    return o;
}

/* The rectangle of the stored image that ends up as `r` of the image turned
 * by `orientation` (sw x sh stored): the inverse of ts_image_orient's walk. */
static ts_rect unorient_rect(int orientation, ts_rect r, int sw, int sh) {
    ts_rect s = r;
    if (orientation >= 5) { /* transposed: display x runs along stored y */
        s.x = r.y, s.y = r.x, s.w = r.h, s.h = r.w;
    }
    int flip_x = orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8;
    int flip_y = orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7;
    if (flip_x) s.x = sw - s.x - s.w;
    if (flip_y) s.y = sh - s.y - s.h;
    return s;
}

/* Replace *img by *next (freeing the old pixels) when status is TS_OK. */
static ts_status replace(ts_status s, ts_image *img, ts_image *next) {
    if (s == TS_OK) {
        ts_image_free(img);
        *img = *next;
    }
    return s;
}

/* PNG and WebP have no reduced-scale or cropped decode: decode whole, then
 * shrink (area average, JPEG's scaled size), crop and convert the result. */
static ts_status decode_whole(ts_ctx *ctx, const char *label, const uint8_t *data, size_t len,
                              const ts_image_header *hdr, const ts_decode_opts *o, int denom, ts_rect rect,
                              int channels, ts_image *out) {
    ts_image img = {0}, next;
    ts_status s = hdr->codec == TS_CODEC_PNG ? ts_png_decode(ctx, label, data, len, hdr, o->keep_16bit, &img)
                                             : ts_webp_decode(ctx, label, data, len, hdr, &img);
    if (s == TS_OK && denom > 1) {
        if (img.type != TS_PIX_U8)
            s = ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: reduced-scale decode of 16-bit pixels", label);
        else
            s = replace(ts_image_resize(ctx, &img, (img.w + denom - 1) / denom, (img.h + denom - 1) / denom,
                                        TS_INTERP_AREA, &next),
                        &img, &next);
    }
    if (s == TS_OK && (rect.x || rect.y || rect.w != img.w || rect.h != img.h)) {
        ts_image view;
        s = ts_image_crop(ctx, &img, rect.x, rect.y, rect.w, rect.h, &view);
        if (s == TS_OK) s = replace(ts_image_copy(ctx, &view, &next), &img, &next);
    }
    if (s == TS_OK && img.c != channels) s = replace(ts_image_convert(ctx, &img, channels, &next), &img, &next);
    if (s != TS_OK) {
        ts_image_free(&img);
        return s;
    }
    *out = img;
    return TS_OK;
}

ts_status ts_image_decode(ts_ctx *ctx, const char *name, const void *data, size_t len, const ts_decode_opts *opts,
                          ts_image *out, ts_decode_info *info) {
    const char *label = ts_image_label(name);
    ts_decode_opts o = opts ? *opts : ts_decode_opts_default();
    int denom = o.scale_denom ? o.scale_denom : 1;
    if (o.channels != 0 && o.channels != 1 && o.channels != 3 && o.channels != 4)
        return ts_error(ctx, TS_ERR_INVALID, "%s: cannot decode to %d channels (0, 1, 3 or 4)", label, o.channels);
    if (denom != 1 && denom != 2 && denom != 4 && denom != 8)
        return ts_error(ctx, TS_ERR_INVALID, "%s: scale 1/%d is not 1, 1/2, 1/4 or 1/8", label, denom);

    ts_image_header hdr;
    ts_status s = ts_image_probe_named(ctx, name, data, len, &hdr);
    if (s != TS_OK) return s;
    int orientation = o.apply_orientation ? hdr.orientation : 1;
    /* libjpeg's scaled size, ceil(w / denom), used for every codec. */
    int sw = (int)(((int64_t)hdr.width + denom - 1) / denom), sh = (int)(((int64_t)hdr.height + denom - 1) / denom);
    int dw = orientation >= 5 ? sh : sw, dh = orientation >= 5 ? sw : sh;
    ts_rect rect = {0, 0, dw, dh};
    if (o.crop_w != 0) {
        rect = (ts_rect){o.crop_x, o.crop_y, o.crop_w, o.crop_h};
        if (rect.w <= 0 || rect.h <= 0 || rect.x < 0 || rect.y < 0 || rect.x > dw - rect.w || rect.y > dh - rect.h)
            return ts_error(ctx, TS_ERR_INVALID, "%s: crop %dx%d at (%d, %d) does not fit in the %dx%d image", label,
                            rect.w, rect.h, rect.x, rect.y, dw, dh);
    }
    ts_rect stored = unorient_rect(orientation, rect, sw, sh);
    int channels = o.channels ? o.channels : hdr.channels == 2 ? 4 : hdr.channels;

    ts_image img = {0}, next;
    if (hdr.codec == TS_CODEC_JPEG)
        s = ts_jpeg_decode(ctx, label, data, len, &hdr, channels, denom, o.dc_scans_only, stored, &img);
    else
        s = decode_whole(ctx, label, data, len, &hdr, &o, denom, stored, channels, &img);
    if (s == TS_OK && orientation != 1) s = replace(ts_image_orient(ctx, &img, orientation, &next), &img, &next);
    if (s != TS_OK) {
        ts_image_free(&img);
        return s;
    }
    *out = img;
    if (info) {
        memset(info, 0, sizeof *info);
        info->header = hdr;
        info->orientation_applied = orientation != 1;
        info->crop_x = rect.x;
        info->crop_y = rect.y;
    }
    return TS_OK;
}

ts_status ts_image_load(ts_ctx *ctx, const char *path, const ts_decode_opts *opts, ts_image *out,
                        ts_decode_info *info) {
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status s = ts_file_read(ctx, path, &data, &len);
    if (s != TS_OK) return s;
    s = ts_image_decode(ctx, path, data, len, opts, out, info);
    free(data);
    return s;
}

ts_status ts_image_encode(ts_ctx *ctx, const ts_image *img, const ts_encode_opts *opts, uint8_t **data,
                          size_t *len) {
    ts_codec codec = opts && opts->codec ? opts->codec : TS_CODEC_PNG;
    int quality = opts && opts->quality ? opts->quality : 90;
    if (quality < 1 || quality > 100) return ts_error(ctx, TS_ERR_INVALID, "quality %d is not in 1..100", quality);
    if (!img || !img->data || img->w <= 0 || img->h <= 0 || img->c < 1 || img->c > 4)
        return ts_error(ctx, TS_ERR_INVALID, "%s encode: needs a non-empty image of 1 to 4 channels",
                        ts_codec_name(codec));
    if (img->type != TS_PIX_U8 && !(img->type == TS_PIX_U16 && codec == TS_CODEC_PNG))
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "%s encode: %s pixels are not supported", ts_codec_name(codec),
                        img->type == TS_PIX_U16 ? "16-bit" : "float");
    /* Layouts a codec cannot hold are converted first: JPEG has no alpha
     * (gray+alpha -> gray; RGBA is read as RGBX), WebP no gray. */
    int want = img->c;
    if (codec == TS_CODEC_JPEG && img->c == 2) want = 1;
    if (codec == TS_CODEC_WEBP && img->c <= 2) want = img->c + 2;
    ts_image conv = {0};
    const ts_image *src = img;
    if (want != img->c) {
        ts_status s = ts_image_convert(ctx, img, want, &conv);
        if (s != TS_OK) return s;
        src = &conv;
    }
    ts_status s;
    switch (codec) {
    case TS_CODEC_JPEG: s = ts_jpeg_encode(ctx, src, quality, data, len); break;
    case TS_CODEC_PNG: s = ts_png_encode(ctx, src, data, len); break;
    case TS_CODEC_WEBP: s = ts_webp_encode(ctx, src, quality, opts ? opts->lossless : 0, data, len); break;
    default: s = ts_error(ctx, TS_ERR_UNSUPPORTED, "cannot encode to codec %d", (int)codec); break;
    }
    ts_image_free(&conv);
    return s;
}

ts_status ts_image_save(ts_ctx *ctx, const char *path, const ts_image *img, const ts_encode_opts *opts) {
    ts_encode_opts o;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    if (!o.codec) o.codec = ts_codec_from_path(path);
    if (!o.codec) o.codec = TS_CODEC_PNG;
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status s = ts_image_encode(ctx, img, &o, &data, &len);
    if (s != TS_OK) {
        ts_error_prefix(ctx, "%s", path);
        return s;
    }
    s = ts_file_write_atomic(ctx, path, data, len);
    free(data);
    return s;
}
