/* Header probing without decoding pixels: JPEG markers up to the frame header
 * (SOF) plus the EXIF orientation, PNG IHDR (+ tRNS), WebP VP8/VP8L/VP8X. */
#include <stdlib.h>
#include <string.h>

#include "image/image_internal.h"

/* What a header parse over the first `len` bytes found. */
typedef enum {
    PROBE_DONE = 0, /* every field known */
    PROBE_PARTIAL,  /* size known; later bytes could still add detail (PNG tRNS) */
    PROBE_SHORT,    /* the bytes end before the size is known */
    PROBE_BAD       /* malformed; *why says how */
} probe_result;

/* The codec parsers set no error: probe_file retries with more bytes on
 * PROBE_SHORT, and only the final verdict reaches the context. */

static int is_sof(unsigned m) {
    /* SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

static probe_result probe_jpeg(const uint8_t *d, size_t len, ts_image_header *hdr, const char **why) {
    if (len < 3) return PROBE_SHORT;
    if (d[0] != 0xFF || d[1] != 0xD8) {
        *why = "no start-of-image marker";
        return PROBE_BAD;
    }
    int orientation = 1, saw_exif = 0;
    size_t pos = 2;
    for (;;) {
        /* libjpeg skips stray bytes before a marker with a warning; so do we. */
        while (pos < len && d[pos] != 0xFF) pos++;
        while (pos < len && d[pos] == 0xFF) pos++;
        if (pos >= len) return PROBE_SHORT;
        unsigned m = d[pos++];
        if (m == 0xD8 || m == 0xD9) {
            *why = m == 0xD9 ? "end of image before any frame header" : "a second start-of-image marker";
            return PROBE_BAD;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue; /* markers without a length */
        if (m == 0xDA) {
            *why = "scan data before the frame header";
            return PROBE_BAD;
        }
        if (len - pos < 2) return PROBE_SHORT;
        size_t seglen = ts_be16(d + pos);
        if (seglen < 2) {
            *why = "a marker segment shorter than its length field";
            return PROBE_BAD;
        }
        if (is_sof(m)) {
            if (seglen < 8) {
                *why = "a frame header shorter than 8 bytes";
                return PROBE_BAD;
            }
            if (len - pos < 8) return PROBE_SHORT;
            unsigned precision = d[pos + 2], h = ts_be16(d + pos + 3), w = ts_be16(d + pos + 5), nc = d[pos + 7];
            if (w == 0 || h == 0) {
                *why = h == 0 ? "height 0 in the frame header (DNL-defined heights are not supported)"
                              : "width 0 in the frame header";
                return PROBE_BAD;
            }
            if (nc != 1 && nc != 3 && nc != 4) {
                *why = "a component count other than 1, 3 or 4";
                return PROBE_BAD;
            }
            if (precision != 8 && precision != 12 && precision != 16) {
                *why = "a sample precision other than 8, 12 or 16 bits";
                return PROBE_BAD;
            }
            memset(hdr, 0, sizeof *hdr);
            hdr->codec = TS_CODEC_JPEG;
            hdr->width = (int)w;
            hdr->height = (int)h;
            hdr->channels = nc == 1 ? 1 : 3; /* CMYK decodes to RGB */
            hdr->bit_depth = precision == 8 ? 8 : 16;
            hdr->orientation = orientation;
            return PROBE_DONE;
        }
        if (len - pos < seglen) return PROBE_SHORT; /* the SOF lies beyond this segment */
        if (m == 0xE1 && !saw_exif && seglen >= 8 && memcmp(d + pos + 2, "Exif\0\0", 6) == 0) {
            saw_exif = 1; /* the first EXIF block rules, as in libexif and Pillow */
            orientation = ts_exif_orientation(d + pos + 2, seglen - 2);
        }
        pos += seglen;
    }
}

static probe_result probe_png(const uint8_t *d, size_t len, ts_image_header *hdr, const char **why) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (memcmp(d, sig, len < 8 ? len : 8) != 0) {
        *why = "no PNG signature";
        return PROBE_BAD;
    }
    if (len < 33) return PROBE_SHORT; /* signature + IHDR chunk with CRC */
    if (ts_be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0) {
        *why = "the first chunk is not a 13-byte IHDR";
        return PROBE_BAD;
    }
    uint32_t w = ts_be32(d + 16), h = ts_be32(d + 20);
    unsigned depth = d[24], ctype = d[25];
    if (w == 0 || h == 0 || w > 0x7FFFFFFFu || h > 0x7FFFFFFFu) {
        *why = "a width or height of 0 or above 2^31-1 in IHDR";
        return PROBE_BAD;
    }
    int depth_ok;
    int channels;
    switch (ctype) {
    case 0: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16; channels = 1; break;
    case 3: depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8; channels = 3; break;
    case 2: depth_ok = depth == 8 || depth == 16; channels = 3; break;
    case 4: depth_ok = depth == 8 || depth == 16; channels = 2; break;
    case 6: depth_ok = depth == 8 || depth == 16; channels = 4; break;
    default: depth_ok = 0; channels = 0; break;
    }
    if (!depth_ok || d[26] != 0 || d[27] != 0 || d[28] > 1) {
        *why = "an invalid colour type, bit depth, compression, filter or interlace method in IHDR";
        return PROBE_BAD;
    }
    memset(hdr, 0, sizeof *hdr);
    hdr->codec = TS_CODEC_PNG;
    hdr->width = (int)w;
    hdr->height = (int)h;
    hdr->channels = channels;
    hdr->bit_depth = depth == 16 ? 16 : 8;
    hdr->orientation = 1;
    /* A tRNS chunk before the image data adds an alpha channel on decode. */
    size_t pos = 33;
    while (len - pos >= 8) {
        uint32_t clen = ts_be32(d + pos);
        if (clen > 0x7FFFFFFFu) {
            *why = "a chunk length above 2^31-1";
            return PROBE_BAD;
        }
        if (memcmp(d + pos + 4, "IDAT", 4) == 0 || memcmp(d + pos + 4, "IEND", 4) == 0) return PROBE_DONE;
        if (memcmp(d + pos + 4, "tRNS", 4) == 0 && ctype != 4 && ctype != 6)
            hdr->channels = ctype == 0 ? 2 : 4;
        if (len - pos < (size_t)clen + 12) break;
        pos += (size_t)clen + 12;
    }
    return PROBE_PARTIAL;
}

static probe_result probe_webp(const uint8_t *d, size_t len, ts_image_header *hdr, const char **why) {
    if (len < 20) return PROBE_SHORT;
    if (memcmp(d, "RIFF", 4) != 0 || memcmp(d + 8, "WEBP", 4) != 0) {
        *why = "no RIFF WEBP signature";
        return PROBE_BAD;
    }
    const uint8_t *c = d + 20; /* the first chunk's payload */
    uint32_t w, h;
    int alpha;
    if (memcmp(d + 12, "VP8 ", 4) == 0) {
        if (len < 30) return PROBE_SHORT;
        if ((c[0] & 1) != 0 || c[3] != 0x9D || c[4] != 0x01 || c[5] != 0x2A) {
            *why = "a VP8 chunk without a key frame start code";
            return PROBE_BAD;
        }
        w = ts_le16(c + 6) & 0x3FFF;
        h = ts_le16(c + 8) & 0x3FFF;
        alpha = 0;
    } else if (memcmp(d + 12, "VP8L", 4) == 0) {
        if (len < 25) return PROBE_SHORT;
        uint32_t bits = ts_le32(c + 1);
        if (c[0] != 0x2F || (bits >> 29) != 0) {
            *why = "a VP8L chunk with a bad signature or version";
            return PROBE_BAD;
        }
        w = (bits & 0x3FFF) + 1;
        h = ((bits >> 14) & 0x3FFF) + 1;
        alpha = (bits >> 28) & 1;
    } else if (memcmp(d + 12, "VP8X", 4) == 0) {
        if (len < 30) return PROBE_SHORT;
        alpha = (c[0] & 0x10) != 0;
        w = ts_le24(c + 4) + 1;
        h = ts_le24(c + 7) + 1;
    } else {
        *why = "a first chunk other than VP8, VP8L or VP8X";
        return PROBE_BAD;
    }
    if (w == 0 || h == 0) {
        *why = "width or height 0";
        return PROBE_BAD;
    }
    memset(hdr, 0, sizeof *hdr);
    hdr->codec = TS_CODEC_WEBP;
    hdr->width = (int)w;
    hdr->height = (int)h;
    hdr->channels = alpha ? 4 : 3;
    hdr->bit_depth = 8;
    hdr->orientation = 1;
    return PROBE_DONE;
}

/* Probe `len` bytes that may be only the head of a file (`at_eof` says
 * whether more exist). Sets an error only for a final verdict; returns
 * PROBE_SHORT (no error set) when more bytes are needed. */
static probe_result probe_bytes(ts_ctx *ctx, const char *label, const uint8_t *d, size_t len, int at_eof,
                                ts_image_header *out, ts_status *status) {
    ts_codec codec = ts_codec_sniff(d, len);
    const char *why = "the data ends before the header is complete";
    ts_image_header hdr;
    probe_result r;
    *status = TS_OK;
    switch (codec) {
    case TS_CODEC_JPEG: r = probe_jpeg(d, len, &hdr, &why); break;
    case TS_CODEC_PNG: r = probe_png(d, len, &hdr, &why); break;
    case TS_CODEC_WEBP: r = probe_webp(d, len, &hdr, &why); break;
    default:
        if (len < 12 && !at_eof) return PROBE_SHORT;
        *status = len < 12 ? ts_error(ctx, TS_ERR_CORRUPT, "%s: %zu bytes are too few for an image", label, len)
                           : ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: not a JPEG, PNG or WebP image", label);
        return PROBE_BAD;
    }
    if (r == PROBE_SHORT && !at_eof) return PROBE_SHORT;
    if (r == PROBE_PARTIAL && !at_eof) return PROBE_SHORT; /* worth reading on for tRNS */
    if (r == PROBE_SHORT || r == PROBE_BAD) {
        *status = ts_error(ctx, TS_ERR_CORRUPT, "%s: corrupt %s header: %s", label, ts_codec_name(codec),
                           r == PROBE_SHORT ? "truncated before the image size" : why);
        return PROBE_BAD;
    }
    *status = ts_image_check_size(ctx, (uint64_t)hdr.width, (uint64_t)hdr.height, label);
    if (*status != TS_OK) return PROBE_BAD;
    *out = hdr;
    return r;
}

const char *ts_image_label(const char *label) {
    return label && *label ? label : "image data";
}

ts_status ts_image_probe_named(ts_ctx *ctx, const char *label, const void *data, size_t len, ts_image_header *out) {
    ts_status s;
    if (!data && len) return ts_error(ctx, TS_ERR_INVALID, "ts_image_probe: NULL data");
    probe_bytes(ctx, ts_image_label(label), data, len, 1, out, &s);
    return s;
}

ts_status ts_image_probe(ts_ctx *ctx, const void *data, size_t len, ts_image_header *out) {
    return ts_image_probe_named(ctx, NULL, data, len, out);
}

ts_status ts_image_probe_file(ts_ctx *ctx, const char *path, ts_image_header *out) {
    /* Most headers sit in the first few KiB; a JPEG with a large EXIF
     * thumbnail or ICC profile before its SOF needs more, so grow. */
    uint64_t max_bytes = ts_image_limits(ctx).max_file_bytes;
    size_t want = 16384;
    for (;;) {
        uint8_t *data = NULL;
        size_t len = 0;
        ts_status s = ts_file_read_head(ctx, path, want, &data, &len);
        if (s != TS_OK) return s;
        int at_eof = len < want || (uint64_t)want >= max_bytes;
        probe_result r = probe_bytes(ctx, path, data, len, at_eof, out, &s);
        free(data);
        if (r != PROBE_SHORT) return s;
        if (want > SIZE_MAX / 8) return ts_error(ctx, TS_ERR_LIMIT, "%s: header too large", path);
        want *= 8;
        if ((uint64_t)want > max_bytes) want = (size_t)max_bytes;
    }
}
