/* Reading one COCO annotation file (instances, keypoints, labels, captions,
 * panoptic segments_info, results lists) in one streaming pass, so memory
 * is the dataset plus a fixed window whatever the file's size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "coco_internal.h"

#define MAX_COORD 1e9 /* beyond any image: treated as corrupt */
/* The member name just read (k, klen) is `name`: lengths first, so most
 * misses cost one comparison. */
#define KEY_IS(name) (klen == sizeof(name) - 1 && memcmp(k, name, sizeof(name) - 1) == 0)

enum { RAW_NONE, RAW_POLYGONS, RAW_RLE_LIST, RAW_RLE_STRING };

typedef struct {
    size_t key, value; /* offsets into the record's string buffer */
    ts_attr_type type;
} raw_attr;

typedef struct {
    uint32_t index, line, col;
    uint32_t image_ok; /* the image was there; only the category is in doubt */
} pending_ref;

typedef struct {
    ts_ctx *ctx;
    ts_json_reader *r;
    ts_dataset *ds;
    const char *path;
    const char *split;
    const char *source;
    int lenient, skip_geom, results;
    uint64_t file_size;
    /* the record being read */
    int rec_bad;
    char rec_msg[700];
    uint64_t rec_line, rec_col;
    ts_buf strs;
    raw_attr *raw;
    size_t n_raw, cap_raw;
    ts_attr *attrs;
    size_t cap_attrs;
    /* geometry scratch */
    double *coords;
    size_t n_coords, cap_coords;
    uint32_t *rings;
    size_t n_rings, cap_rings;
    uint32_t *rle;
    size_t n_rle, cap_rle;
    double *kps;
    size_t n_kps, cap_kps;
    /* Skipping geometry: its text, kept until the record shows whether it
     * has a "bbox" (COCO writes it after "segmentation"); a record without
     * one gets its box from this text, as the full read derives it. */
    int box_seen, raw_kind;
    ts_buf geom_raw;
    ts_buf cap; /* scratch for values kept as JSON text */
    /* references to check once the whole file is read */
    pending_ref *pend;
    size_t n_pend, cap_pend;
    uint64_t skipped_images, skipped_categories, skipped_anns;
    int64_t next_result_id;
    int64_t last_image; /* image id of the previous annotation, known to exist */
    int have_last_image;
    char *image_root;
    uint64_t records;
} parser;

/* ---- errors ------------------------------------------------------------------ */

/* Consume tokens until `open` containers have closed. */
static ts_status drain(ts_json_reader *r, int open) {
    ts_json_token tok;
    while (open > 0) {
        ts_status s = ts_json_next(r, &tok);
        if (s != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_BEGIN || tok == TS_JSON_ARRAY_BEGIN) open++;
        else if (tok == TS_JSON_OBJECT_END || tok == TS_JSON_ARRAY_END) open--;
        else if (tok == TS_JSON_EOF) break;
    }
    return TS_OK;
}

/* A wrong value inside a record. Strict: the error stands. Lenient: the
 * message is kept for a warning, the rest of the value (`open` containers
 * deep) is consumed and the record is marked to be skipped. */
static ts_status bad_value(parser *p, ts_status s, int open) {
    if (s == TS_ERR_PARSE || s == TS_ERR_NOMEM || s == TS_ERR_IO || !p->lenient) return s;
    if (!p->rec_bad) snprintf(p->rec_msg, sizeof p->rec_msg, "%s", ts_ctx_error(p->ctx));
    p->rec_bad = 1;
    ts_ctx_clear_error(p->ctx);
    return drain(p->r, open);
}

static int is_begin(ts_json_token t) { return t == TS_JSON_OBJECT_BEGIN || t == TS_JSON_ARRAY_BEGIN; }

static ts_status type_error(parser *p, const char *what, ts_json_token found, int open) {
    return bad_value(p, ts_json_expected(p->r, what, found), open + is_begin(found));
}

/* A record-level error (missing field, duplicate id) at the record start. */
static ts_status bad_record(parser *p, ts_status s, const char *fmt, ...) TS_PRINTF(3, 4);
static ts_status bad_record(parser *p, ts_status s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s = ts_error_at(p->ctx, s, p->path, p->rec_line, p->rec_col, "%s", msg);
    return bad_value(p, s, 0);
}

/* End of a record in lenient mode: warn about a skipped one. */
static int record_skipped(parser *p, uint64_t *counter, const char *what) {
    if (!p->rec_bad) return 0;
    if (++*counter <= 10) ts_warn(p->ctx, "%s (%s skipped)", p->rec_msg, what);
    return 1;
}

static void begin_record(parser *p) {
    p->rec_bad = 0;
    p->rec_line = ts_json_line(p->r);
    p->rec_col = ts_json_col(p->r);
    p->strs.len = 0;
    p->n_raw = 0;
    p->n_coords = p->n_rings = p->n_rle = p->n_kps = 0;
    p->box_seen = 0;
    p->raw_kind = RAW_NONE;
    p->geom_raw.len = 0;
}

/* ---- values --------------------------------------------------------------------- */

static ts_status next(parser *p, ts_json_token *tok) { return ts_json_next(p->r, tok); }

/* An integer (also a float with an integral value, as some tools write). */
static ts_status read_int(parser *p, const char *what, int64_t *out, int *ok) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    *ok = 0;
    if (s != TS_OK) return s;
    if (tok != TS_JSON_NUMBER) return type_error(p, what, tok, 0);
    if (ts_json_is_int(p->r)) {
        *out = ts_json_int(p->r);
    } else {
        double v = ts_json_number(p->r);
        if (!(v == floor(v) && fabs(v) < 9.2e18))
            return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "expected %s, found %s", what,
                                              ts_json_number_text(p->r, NULL)), 0);
        *out = (int64_t)v;
    }
    *ok = 1;
    return TS_OK;
}

static ts_status check_number(parser *p, double v, const char *what, int nonneg) {
    if (!isfinite(v) || fabs(v) > MAX_COORD)
        return ts_json_error(p->r, TS_ERR_INVALID, "%s %s is out of range", what, ts_json_number_text(p->r, NULL));
    if (nonneg && v < 0)
        return ts_json_error(p->r, TS_ERR_INVALID, "%s %s is negative", what, ts_json_number_text(p->r, NULL));
    return TS_OK;
}

static ts_status read_number(parser *p, const char *what, int nonneg, double *out, int *ok) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    *ok = 0;
    if (s != TS_OK) return s;
    if (tok != TS_JSON_NUMBER) return type_error(p, what, tok, 0);
    double v = ts_json_number(p->r);
    if ((s = check_number(p, v, what, nonneg)) != TS_OK) return bad_value(p, s, 0);
    *out = v;
    *ok = 1;
    return TS_OK;
}

/* Keep the last string token in the record's buffer; *off names it. */
static ts_status keep_text(parser *p, const char *t, size_t n, size_t *off) {
    *off = p->strs.len;
    if (ts_buf_append(&p->strs, t, n) != TS_OK || ts_buf_putc(&p->strs, 0) != TS_OK)
        return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static ts_status read_string(parser *p, const char *what, size_t *off, int *ok) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    *ok = 0;
    if (s != TS_OK) return s;
    if (tok != TS_JSON_STRING) return type_error(p, what, tok, 0);
    size_t n;
    const char *t = ts_json_text(p->r, &n);
    if (memchr(t, 0, n)) return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "%s contains a NUL character", what), 0);
    if ((s = keep_text(p, t, n, off)) != TS_OK) return s;
    *ok = 1;
    return TS_OK;
}

static const char *str_at(const parser *p, size_t off) { return p->strs.data + off; }

/* An attribute whose value is already in the record's buffer at value_off
 * (an offset, since appending the key may move the buffer). */
static ts_status push_kept_attr(parser *p, const char *prefix, const char *key, size_t key_len, ts_attr_type type,
                                size_t value_off) {
    if (ts_grow(p->ctx, (void **)&p->raw, &p->cap_raw, p->n_raw + 1, sizeof *p->raw) != TS_OK) return TS_ERR_NOMEM;
    raw_attr *a = &p->raw[p->n_raw];
    a->key = p->strs.len;
    if (ts_buf_puts(&p->strs, prefix) != TS_OK) return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
    size_t dummy;
    ts_status s = keep_text(p, key, key_len, &dummy);
    if (s != TS_OK) return s;
    a->value = value_off;
    a->type = type;
    p->n_raw++;
    return TS_OK;
}

/* `value` must not point into the record's buffer (use push_kept_attr). */
static ts_status push_attr(parser *p, const char *prefix, const char *key, size_t key_len, ts_attr_type type,
                           const char *value, size_t value_len) {
    size_t off;
    ts_status s = keep_text(p, value, value_len, &off);
    return s == TS_OK ? push_kept_attr(p, prefix, key, key_len, type, off) : s;
}

/* Read the value after a key into attribute PREFIX+key: strings, numbers
 * and booleans typed, anything else as raw JSON. The key must have been
 * saved first (keys are overwritten by the value's tokens). */
static ts_status read_attr_value(parser *p, const char *prefix, size_t key_off, size_t key_len) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    if (s != TS_OK) return s;
    char *key = strndup(str_at(p, key_off), key_len); /* the buffer may move */
    if (!key) return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
    size_t n;
    const char *t;
    switch (tok) {
    case TS_JSON_STRING:
        t = ts_json_text(p->r, &n);
        s = push_attr(p, prefix, key, key_len, TS_ATTR_STRING, t, strnlen(t, n));
        break;
    case TS_JSON_NUMBER:
        t = ts_json_number_text(p->r, &n);
        s = push_attr(p, prefix, key, key_len, TS_ATTR_NUMBER, t, n);
        break;
    case TS_JSON_TRUE: s = push_attr(p, prefix, key, key_len, TS_ATTR_BOOL, "true", 4); break;
    case TS_JSON_FALSE: s = push_attr(p, prefix, key, key_len, TS_ATTR_BOOL, "false", 5); break;
    default: {
        ts_buf cap = {0};
        s = ts_json_capture(p->r, tok, &cap);
        if (s == TS_OK) s = push_attr(p, prefix, key, key_len, TS_ATTR_JSON, cap.data, cap.len);
        ts_buf_free(&cap);
    }
    }
    free(key);
    return s;
}

/* A member trainset has no field for: kept as a "coco:KEY" JSON attribute. */
static ts_status read_extra(parser *p) {
    size_t klen, off;
    const char *k = ts_json_text(p->r, &klen);
    ts_status s = keep_text(p, k, klen, &off);
    if (s != TS_OK) return s;
    ts_json_token tok;
    if ((s = next(p, &tok)) != TS_OK) return s;
    p->cap.len = 0; /* one buffer for all records: most extras are short strings */
    s = ts_json_capture(p->r, tok, &p->cap);
    char small[128];
    char *key = klen < sizeof small ? small : malloc(klen + 1); /* strs may move in push_attr */
    if (!key) s = ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
    else memcpy(key, str_at(p, off), klen), key[klen] = 0;
    if (s == TS_OK) s = push_attr(p, COCO_EXTRA, key, klen, TS_ATTR_JSON, p->cap.data, p->cap.len);
    if (key != small) free(key);
    return s;
}

/* "attributes": {...}. Flags that have their own bits are taken out. */
static ts_status read_attributes(parser *p, uint32_t *flags) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    if (s != TS_OK) return s;
    if (tok == TS_JSON_NULL) return TS_OK;
    if (tok != TS_JSON_OBJECT_BEGIN) return type_error(p, "an object for \"attributes\"", tok, 0);
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_END) return TS_OK;
        size_t klen, off;
        const char *k = ts_json_text(p->r, &klen);
        static const struct {
            const char *name;
            uint32_t flag;
        } bits[] = {{"occluded", TS_ANN_OCCLUDED}, {"truncated", TS_ANN_TRUNCATED}, {"difficult", TS_ANN_DIFFICULT}};
        int taken = 0;
        for (size_t i = 0; flags && i < 3; i++) {
            if (strcmp(k, bits[i].name) != 0) continue;
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_TRUE) *flags |= bits[i].flag;
            else if (tok != TS_JSON_FALSE) return type_error(p, "true or false", tok, 1);
            taken = 1;
        }
        if (taken) continue;
        if ((s = keep_text(p, k, klen, &off)) != TS_OK) return s;
        if ((s = read_attr_value(p, "", off, klen)) != TS_OK) return s;
    }
}

/* Resolve the record's attributes into views (pointers into strs). */
static ts_status finish_attrs(parser *p, const ts_attr **attrs, uint32_t *n) {
    if (ts_grow(p->ctx, (void **)&p->attrs, &p->cap_attrs, p->n_raw + 1, sizeof *p->attrs) != TS_OK)
        return TS_ERR_NOMEM;
    for (size_t i = 0; i < p->n_raw; i++) {
        p->attrs[i].key = str_at(p, p->raw[i].key);
        p->attrs[i].value = str_at(p, p->raw[i].value);
        p->attrs[i].type = p->raw[i].type;
    }
    *attrs = p->n_raw ? p->attrs : NULL;
    *n = (uint32_t)p->n_raw;
    return TS_OK;
}

/* ---- geometry ------------------------------------------------------------------------ */

static ts_status push_coord(parser *p, double v) {
    if (p->n_coords == p->cap_coords &&
        ts_grow(p->ctx, (void **)&p->coords, &p->cap_coords, p->n_coords + 1, sizeof(double)) != TS_OK)
        return TS_ERR_NOMEM;
    p->coords[p->n_coords++] = v;
    return TS_OK;
}

/* Numbers up to the closing ']' of the array just opened (the first may
 * already be read: `have_first`), appended to coords. */
static ts_status read_ring(parser *p, int have_first, int open, const char *what) {
    ts_json_token tok;
    ts_status s;
    size_t start = p->n_coords;
    if (have_first) {
        if ((s = check_number(p, ts_json_number(p->r), what, 0)) != TS_OK) return bad_value(p, s, open);
        if ((s = push_coord(p, ts_json_number(p->r))) != TS_OK) return s;
    }
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_ARRAY_END) break;
        if (tok != TS_JSON_NUMBER) return type_error(p, "a number", tok, open);
        double v = ts_json_number(p->r);
        if ((s = check_number(p, v, what, 0)) != TS_OK) return bad_value(p, s, open);
        if ((s = push_coord(p, v)) != TS_OK) return s;
    }
    size_t n = p->n_coords - start;
    if (n % 2) return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "%s has an odd number (%zu) of coordinates", what, n), open - 1);
    if (ts_grow(p->ctx, (void **)&p->rings, &p->cap_rings, p->n_rings + 1, sizeof *p->rings) != TS_OK) return TS_ERR_NOMEM;
    p->rings[p->n_rings++] = (uint32_t)n;
    return TS_OK;
}

typedef struct {
    int has_poly, has_rle, rle_compressed;
    uint32_t mask_h, mask_w;
} seg_info;

static ts_status read_rle(parser *p, seg_info *g) {
    ts_json_token tok;
    ts_status s;
    int have_size = 0, have_counts = 0;
    int64_t hw[2] = {0, 0};
    uint64_t line = ts_json_line(p->r), col = ts_json_col(p->r);
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_END) break;
        size_t klen;
        const char *k = ts_json_text(p->r, &klen);
        if (KEY_IS("size")) {
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok != TS_JSON_ARRAY_BEGIN) return type_error(p, "[height, width] for \"size\"", tok, 1);
            int n = 0;
            for (;;) {
                if ((s = next(p, &tok)) != TS_OK) return s;
                if (tok == TS_JSON_ARRAY_END) break;
                if (tok != TS_JSON_NUMBER || !ts_json_is_int(p->r) || ts_json_int(p->r) < 0 ||
                    ts_json_int(p->r) > (1 << 20) || n == 2)
                    return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "RLE \"size\" must be [height, width] in pixels"),
                                     2 + is_begin(tok));
                hw[n++] = ts_json_int(p->r);
            }
            if (n != 2) return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "RLE \"size\" must be [height, width]"), 1);
            have_size = 1;
        } else if (KEY_IS("counts")) {
            if ((s = next(p, &tok)) != TS_OK) return s;
            have_counts = 1;
            if (tok == TS_JSON_STRING) {
                g->rle_compressed = 1;
                if (p->skip_geom) {
                    if (p->box_seen) continue;
                    size_t n;
                    const char *t = ts_json_text(p->r, &n);
                    p->geom_raw.len = 0;
                    if (ts_buf_append(&p->geom_raw, t, n) != TS_OK) return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
                    p->raw_kind = RAW_RLE_STRING;
                    continue;
                }
                size_t n;
                const char *t = ts_json_text(p->r, &n);
                uint32_t *c = NULL, m = 0;
                if ((s = ts_rle_from_string(p->ctx, t, n, &c, &m)) != TS_OK) {
                    ts_ctx_clear_error(p->ctx);
                    return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "malformed compressed RLE \"counts\""), 1);
                }
                if (ts_grow(p->ctx, (void **)&p->rle, &p->cap_rle, m + 1, sizeof *p->rle) != TS_OK) {
                    free(c);
                    return TS_ERR_NOMEM;
                }
                if (m) memcpy(p->rle, c, m * sizeof *c);
                p->n_rle = m;
                free(c);
            } else if (tok == TS_JSON_ARRAY_BEGIN) {
                if (p->skip_geom) {
                    if (p->box_seen) {
                        if ((s = ts_json_skip_fast(p->r)) != TS_OK) return s;
                        continue;
                    }
                    p->geom_raw.len = 0;
                    if ((s = ts_json_skip_fast_raw(p->r, &p->geom_raw)) != TS_OK) return s;
                    p->raw_kind = RAW_RLE_LIST;
                    continue;
                }
                for (;;) {
                    if ((s = next(p, &tok)) != TS_OK) return s;
                    if (tok == TS_JSON_ARRAY_END) break;
                    if (tok != TS_JSON_NUMBER || !ts_json_is_int(p->r) || ts_json_int(p->r) < 0 ||
                        ts_json_int(p->r) > (int64_t)UINT32_MAX)
                        return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "RLE counts must be non-negative integers"),
                                         2 + is_begin(tok));
                    if (p->n_rle == p->cap_rle &&
                        ts_grow(p->ctx, (void **)&p->rle, &p->cap_rle, p->n_rle + 1, sizeof *p->rle) != TS_OK)
                        return TS_ERR_NOMEM;
                    p->rle[p->n_rle++] = (uint32_t)ts_json_int(p->r);
                }
            } else {
                return type_error(p, "a string or a list for RLE \"counts\"", tok, 1);
            }
        } else {
            if ((s = ts_json_skip(p->r)) != TS_OK) return s;
        }
    }
    if (!have_size || !have_counts)
        return bad_value(p, ts_error_at(p->ctx, TS_ERR_INVALID, p->path, line, col, "RLE segmentation lacks \"%s\"",
                                        have_size ? "counts" : "size"), 0);
    if (!p->skip_geom) {
        uint64_t sum = 0;
        for (size_t i = 0; i < p->n_rle; i++) sum += p->rle[i];
        if (sum != (uint64_t)hw[0] * (uint64_t)hw[1])
            return bad_value(p, ts_error_at(p->ctx, TS_ERR_INVALID, p->path, line, col,
                                            "RLE counts sum to %llu, not height*width = %lld*%lld", (unsigned long long)sum,
                                            (long long)hw[0], (long long)hw[1]), 0);
    }
    g->has_rle = 1;
    g->mask_h = (uint32_t)hw[0];
    g->mask_w = (uint32_t)hw[1];
    return TS_OK;
}

/* "segmentation": a list of polygons, one flat polygon, an RLE object, [] or null. */
static ts_status read_segmentation(parser *p, seg_info *g) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    if (s != TS_OK) return s;
    if (tok == TS_JSON_NULL) return TS_OK;
    if (tok == TS_JSON_OBJECT_BEGIN) return read_rle(p, g);
    if (tok != TS_JSON_ARRAY_BEGIN) return type_error(p, "a list of polygons or an RLE object for \"segmentation\"", tok, 0);
    if ((s = next(p, &tok)) != TS_OK) return s;
    if (tok == TS_JSON_ARRAY_END) return TS_OK;
    if (tok == TS_JSON_NUMBER) { /* one polygon written flat */
        g->has_poly = 1;
        return read_ring(p, 1, 1, "polygon"); /* rare: read even when skipping */
    }
    for (;;) {
        if (tok != TS_JSON_ARRAY_BEGIN) return type_error(p, "a polygon (list of numbers)", tok, 1);
        g->has_poly = 1;
        if (p->skip_geom && p->box_seen) {
            if ((s = ts_json_skip_fast(p->r)) != TS_OK) return s;
        } else if (p->skip_geom) {
            if (p->raw_kind != RAW_POLYGONS) {
                p->geom_raw.len = 0;
                p->raw_kind = RAW_POLYGONS;
            }
            if (ts_buf_putc(&p->geom_raw, p->geom_raw.len ? ',' : '[') != TS_OK)
                return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
            if ((s = ts_json_skip_fast_raw(p->r, &p->geom_raw)) != TS_OK) return s;
        } else if ((s = read_ring(p, 0, 2, "polygon")) != TS_OK || p->rec_bad) {
            return s;
        }
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_ARRAY_END) return TS_OK;
    }
}

static ts_status read_keypoints(parser *p) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    if (s != TS_OK) return s;
    if (tok == TS_JSON_NULL) return TS_OK;
    if (tok != TS_JSON_ARRAY_BEGIN) return type_error(p, "a list for \"keypoints\"", tok, 0);
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_ARRAY_END) break;
        if (tok != TS_JSON_NUMBER) return type_error(p, "a number in \"keypoints\"", tok, 1);
        double v = ts_json_number(p->r);
        if ((s = check_number(p, v, "keypoint", 0)) != TS_OK) return bad_value(p, s, 1);
        if (ts_grow(p->ctx, (void **)&p->kps, &p->cap_kps, p->n_kps + 1, sizeof(double)) != TS_OK) return TS_ERR_NOMEM;
        p->kps[p->n_kps++] = v;
    }
    if (p->n_kps % 3)
        return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "\"keypoints\" holds %zu numbers, not triples (x, y, v)", p->n_kps), 0);
    return TS_OK;
}

static ts_status read_bbox(parser *p, double bbox[4], int *ok) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    *ok = 0;
    if (s != TS_OK) return s;
    if (tok == TS_JSON_NULL) return TS_OK;
    if (tok != TS_JSON_ARRAY_BEGIN) return type_error(p, "[x, y, width, height] for \"bbox\"", tok, 0);
    int n = 0;
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_ARRAY_END) break;
        if (tok != TS_JSON_NUMBER) return type_error(p, "a number in \"bbox\"", tok, 1);
        if (n == 4) return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "\"bbox\" has more than 4 numbers"), 1);
        double v = ts_json_number(p->r);
        if ((s = check_number(p, v, n < 2 ? "bbox coordinate" : "bbox size", n >= 2)) != TS_OK) return bad_value(p, s, 1);
        bbox[n++] = v;
    }
    if (n != 4) return bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "\"bbox\" has %d numbers, not 4", n), 0);
    *ok = 1;
    return TS_OK;
}

static double shoelace(const double *c, const uint32_t *rings, size_t n_rings) {
    double total = 0;
    for (size_t r = 0; r < n_rings; r++) {
        size_t n = rings[r] / 2;
        double a = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = (i + 1) % n;
            a += c[2 * i] * c[2 * j + 1] - c[2 * j] * c[2 * i + 1];
        }
        total += fabs(a) / 2;
        c += rings[r];
    }
    return total;
}

static void extent(const double *c, size_t n, double bbox[4]) {
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i + 1 < n; i += 2) {
        if (c[i] < x0) x0 = c[i];
        if (c[i] > x1) x1 = c[i];
        if (c[i + 1] < y0) y0 = c[i + 1];
        if (c[i + 1] > y1) y1 = c[i + 1];
    }
    if (n < 2) x0 = y0 = x1 = y1 = 0;
    bbox[0] = x0, bbox[1] = y0, bbox[2] = x1 - x0, bbox[3] = y1 - y0;
}

/* RLE counts (in the scratch) must cover the mask exactly. */
static ts_status rle_sum_check(parser *p, const seg_info *g) {
    uint64_t sum = 0;
    for (size_t i = 0; i < p->n_rle; i++) sum += p->rle[i];
    if (p->raw_kind == RAW_POLYGONS || sum == (uint64_t)g->mask_h * g->mask_w) return TS_OK;
    p->n_rle = 0;
    return bad_record(p, TS_ERR_INVALID, "RLE counts sum to %llu, not height*width = %u*%u", (unsigned long long)sum,
                      g->mask_h, g->mask_w);
}

/* Geometry kept as text while skipping, read now into the scratch arrays
 * (numbers checked as the full read checks them). */
static ts_status parse_raw_geometry(parser *p, const seg_info *g) {
    ts_status s;
    if (p->raw_kind == RAW_RLE_STRING) {
        uint32_t *c = NULL, m = 0;
        if (ts_rle_from_string(p->ctx, p->geom_raw.data, p->geom_raw.len, &c, &m) != TS_OK) {
            ts_ctx_clear_error(p->ctx);
            return bad_record(p, TS_ERR_INVALID, "malformed compressed RLE \"counts\"");
        }
        s = ts_grow(p->ctx, (void **)&p->rle, &p->cap_rle, (size_t)m + 1, sizeof *p->rle);
        if (s == TS_OK && m) memcpy(p->rle, c, m * sizeof *c);
        p->n_rle = s == TS_OK ? m : 0;
        free(c);
        return s == TS_OK ? rle_sum_check(p, g) : s;
    }
    if (p->raw_kind == RAW_POLYGONS && ts_buf_putc(&p->geom_raw, ']') != TS_OK)
        return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
    ts_jvalue *v = NULL;
    if (ts_json_parse(p->ctx, "", p->geom_raw.data, p->geom_raw.len, &v) != TS_OK) {
        /* located at the record: the position inside the kept text means nothing */
        char msg[512];
        const char *e = ts_ctx_error(p->ctx);
        for (int colons = 0; *e && colons < 3; e++) colons += *e == ':';
        snprintf(msg, sizeof msg, "%s", *e == ' ' ? e + 1 : e);
        ts_ctx_clear_error(p->ctx);
        return bad_record(p, TS_ERR_INVALID, "in \"segmentation\": %s", msg);
    }
    s = TS_OK;
    const char *bad = NULL;
    size_t rings = v->type == TS_JARRAY ? v->u.arr.count : 0;
    for (size_t i = 0; i < rings && !bad && s == TS_OK; i++) {
        const ts_jvalue *ring = p->raw_kind == RAW_POLYGONS ? &v->u.arr.items[i] : v;
        size_t n = ring->type == TS_JARRAY ? ring->u.arr.count : 0;
        for (size_t k = 0; k < n && !bad && s == TS_OK; k++) {
            const ts_jvalue *x = &ring->u.arr.items[k];
            double d = x->type == TS_JNUMBER ? x->u.num.value : NAN;
            if (p->raw_kind == RAW_POLYGONS) {
                if (!isfinite(d) || fabs(d) > MAX_COORD) bad = "a polygon coordinate is not a number in range";
                else s = push_coord(p, d);
            } else {
                if (!x->is_int || x->u.num.integer < 0 || x->u.num.integer > (int64_t)UINT32_MAX)
                    bad = "RLE counts must be non-negative integers";
                else if ((s = ts_grow(p->ctx, (void **)&p->rle, &p->cap_rle, p->n_rle + 1, sizeof *p->rle)) == TS_OK)
                    p->rle[p->n_rle++] = (uint32_t)x->u.num.integer;
            }
        }
        if (p->raw_kind != RAW_POLYGONS) break;
        if (!bad && n % 2) bad = "a polygon has an odd number of coordinates";
    }
    ts_json_free(v);
    if (s != TS_OK) return s;
    if (bad) return bad_record(p, TS_ERR_INVALID, "%s", bad);
    return rle_sum_check(p, g);
}

/* ---- records --------------------------------------------------------------------------- */


static ts_status add_pending(parser *p, size_t index, int image_ok) {
    if (ts_grow(p->ctx, (void **)&p->pend, &p->cap_pend, p->n_pend + 1, sizeof *p->pend) != TS_OK) return TS_ERR_NOMEM;
    pending_ref *q = &p->pend[p->n_pend++];
    q->index = (uint32_t)index;
    q->image_ok = (uint32_t)image_ok;
    q->line = p->rec_line > UINT32_MAX ? UINT32_MAX : (uint32_t)p->rec_line;
    q->col = p->rec_col > UINT32_MAX ? UINT32_MAX : (uint32_t)p->rec_col;
    return TS_OK;
}

static ts_status add_annotation(parser *p, ts_annotation *a) {
    size_t k, index;
    ts_status s = ts_dataset_add_annotation(p->ctx, p->ds, a, &index);
    if (s != TS_OK && !p->results && ts_dataset_find_annotation(p->ds, a->id, &k)) {
        /* the model refuses duplicates; say where (one lookup less per record) */
        ts_ctx_clear_error(p->ctx);
        s = bad_record(p, TS_ERR_INVALID, "duplicate annotation id %lld", (long long)a->id);
        if (s == TS_OK && record_skipped(p, &p->skipped_anns, "annotation")) return TS_OK;
    }
    if (s != TS_OK) return s;
    if (p->results) return TS_OK;
    /* annotations come grouped by image: one lookup per group */
    if (!p->have_last_image || a->image_id != p->last_image) {
        if (!ts_dataset_find_image(p->ds, a->image_id, &k)) return add_pending(p, index, 0);
        p->last_image = a->image_id;
        p->have_last_image = 1;
    }
    if (a->category_id != TS_NO_ID && !ts_dataset_find_category(p->ds, a->category_id, &k))
        return add_pending(p, index, 1);
    return TS_OK;
}

/* One annotation object (its '{' just read). Panoptic records hold a list
 * of segments, each added as its own box annotation. */
static ts_status parse_annotation(parser *p) {
    begin_record(p);
    ts_annotation a = ts_annotation_empty();
    int have_id = 0, have_image = 0, have_cat = 0, have_box = 0, have_area = 0, ok;
    int panoptic = 0;
    size_t annotator = SIZE_MAX, caption = SIZE_MAX;
    seg_info g = {0, 0, 0, 0, 0};
    ts_json_token tok;
    ts_status s;
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_END) break;
        size_t klen;
        const char *k = ts_json_text(p->r, &klen);
        if (p->rec_bad) {
            s = ts_json_skip(p->r);
        } else if (KEY_IS("id")) {
            s = read_int(p, "an integer \"id\"", &a.id, &have_id);
        } else if (KEY_IS("image_id")) {
            s = read_int(p, "an integer \"image_id\"", &a.image_id, &have_image);
        } else if (KEY_IS("category_id")) {
            s = read_int(p, "an integer \"category_id\"", &a.category_id, &have_cat);
        } else if (KEY_IS("bbox")) {
            s = read_bbox(p, a.bbox, &have_box);
            p->box_seen = have_box;
        } else if (KEY_IS("area")) {
            s = read_number(p, "area", 1, &a.area, &have_area);
        } else if (KEY_IS("iscrowd")) {
            int64_t v = 0;
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_TRUE || tok == TS_JSON_FALSE) v = tok == TS_JSON_TRUE;
            else if (tok == TS_JSON_NUMBER && ts_json_is_int(p->r) && (ts_json_int(p->r) == 0 || ts_json_int(p->r) == 1))
                v = ts_json_int(p->r);
            else s = type_error(p, "0 or 1 for \"iscrowd\"", tok, 0);
            a.iscrowd = (int)v;
        } else if (KEY_IS("segmentation")) {
            s = read_segmentation(p, &g);
        } else if (KEY_IS("keypoints")) {
            s = read_keypoints(p);
        } else if (KEY_IS("num_keypoints")) {
            s = ts_json_next(p->r, &tok) == TS_OK ? ts_json_skip(p->r) : TS_ERR_PARSE; /* derived on write */
        } else if (KEY_IS("score")) {
            s = read_number(p, "score", 0, &a.score, &ok);
            if (ok) a.flags |= TS_ANN_HAS_SCORE;
        } else if (KEY_IS("attributes")) {
            s = read_attributes(p, &a.flags);
        } else if (KEY_IS("annotator")) {
            s = read_string(p, "a string \"annotator\"", &annotator, &ok);
        } else if (KEY_IS("caption")) {
            s = read_string(p, "a string \"caption\"", &caption, &ok);
        } else if (KEY_IS("track_id")) {
            s = read_int(p, "an integer \"track_id\"", &a.track_id, &ok);
        } else if (KEY_IS("frame") || KEY_IS("z_order")) {
            int64_t v = 0;
            int frame = KEY_IS("frame");
            s = read_int(p, frame ? "an integer \"frame\"" : "an integer \"z_order\"", &v, &ok);
            if (ok && (v < (frame ? -1 : INT32_MIN) || v > INT32_MAX))
                s = bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "%s %lld is out of range", k, (long long)v), 0);
            else if (ok && frame) a.frame = (int32_t)v;
            else if (ok) a.z_order = (int32_t)v;
        } else if (KEY_IS("segments_info")) {
            panoptic = 1;
            s = ts_json_skip(p->r);
        } else {
            s = read_extra(p);
        }
        if (s != TS_OK) return s;
    }
    if (panoptic && !p->rec_bad)
        return bad_record(p, TS_ERR_UNSUPPORTED, "panoptic annotations (\"segments_info\") are not supported");
    if (p->results) {
        a.id = p->next_result_id++;
        have_id = 1;
    }
    if (!p->rec_bad) {
        if (!have_id) s = bad_record(p, TS_ERR_INVALID, "annotation lacks \"id\"");
        else if (!have_image) s = bad_record(p, TS_ERR_INVALID, "annotation %lld lacks \"image_id\"", (long long)a.id);
        else if (!have_cat && caption == SIZE_MAX)
            s = bad_record(p, TS_ERR_INVALID, "annotation %lld lacks \"category_id\"", (long long)a.id);
        if (s != TS_OK) return s;
    }
    if (record_skipped(p, &p->skipped_anns, "annotation")) return TS_OK;
    if (caption != SIZE_MAX) {
        if ((s = push_kept_attr(p, "", "caption", 7, TS_ATTR_STRING, caption)) != TS_OK) return s;
        if (a.category_id == 0) a.category_id = TS_NO_ID; /* captions name no category */
    }
    if (annotator != SIZE_MAX) a.annotator = str_at(p, annotator);
    /* kind: the richest geometry present */
    if (p->n_kps) a.kind = TS_ANN_KEYPOINTS;
    else if (g.has_rle) a.kind = TS_ANN_MASK;
    else if (g.has_poly) a.kind = TS_ANN_POLYGON;
    else if (have_box) a.kind = TS_ANN_BOX;
    else a.kind = TS_ANN_LABEL;
    if (!p->skip_geom) {
        a.coords = p->coords;
        a.ring_sizes = p->rings;
        a.n_rings = (uint32_t)p->n_rings;
        a.rle = p->rle;
        a.rle_len = (uint32_t)p->n_rle;
    }
    a.keypoints = p->kps; /* parsed and checked in either mode: kept, as YOLO pose output needs them */
    a.n_keypoints = (uint32_t)(p->n_kps / 3);
    a.mask_h = g.mask_h;
    a.mask_w = g.mask_w;
    /* a box and an area for geometry that came without them, as pycocotools derives them */
    if (!have_box && a.kind != TS_ANN_LABEL && p->skip_geom) {
        if (p->raw_kind != RAW_NONE && (s = parse_raw_geometry(p, &g)) != TS_OK) return s;
        if (record_skipped(p, &p->skipped_anns, "annotation")) return TS_OK;
        if (p->n_rle) ts_rle_bbox(p->rle, (uint32_t)p->n_rle, a.mask_h, a.mask_w, a.bbox), have_box = 1;
        else if (p->n_coords) extent(p->coords, p->n_coords, a.bbox), have_box = 1;
    }
    if (!have_box && a.kind != TS_ANN_LABEL && !p->skip_geom) {
        if (a.rle_len) ts_rle_bbox(a.rle, a.rle_len, a.mask_h, a.mask_w, a.bbox), have_box = 1;
        else if (p->n_coords) extent(p->coords, p->n_coords, a.bbox), have_box = 1;
    }
    if (have_box) a.flags |= TS_ANN_HAS_BOX;
    if (have_area) {
        a.flags |= TS_ANN_HAS_AREA;
    } else if (!p->skip_geom && a.kind != TS_ANN_LABEL) {
        if (a.rle_len) a.area = (double)ts_rle_area(a.rle, a.rle_len);
        else if (p->n_rings) a.area = shoelace(p->coords, p->rings, p->n_rings);
        else if (have_box) a.area = a.bbox[2] * a.bbox[3];
    }
    if ((s = finish_attrs(p, &a.attrs, &a.n_attrs)) != TS_OK) return s;
    return add_annotation(p, &a);
}

static ts_status parse_image(parser *p) {
    begin_record(p);
    ts_image_entry e = ts_image_entry_empty();
    int have_id = 0, have_name = 0, ok;
    size_t name = 0, split = SIZE_MAX, source = SIZE_MAX;
    int64_t v;
    ts_limits lim = ts_ctx_limits(p->ctx);
    ts_json_token tok;
    ts_status s;
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_END) break;
        size_t klen;
        const char *k = ts_json_text(p->r, &klen);
        if (p->rec_bad) {
            s = ts_json_skip(p->r);
        } else if (KEY_IS("id")) {
            s = read_int(p, "an integer \"id\"", &e.id, &have_id);
        } else if (KEY_IS("file_name")) {
            s = read_string(p, "a string \"file_name\"", &name, &have_name);
        } else if (KEY_IS("width") || KEY_IS("height")) {
            int w = k[0] == 'w';
            s = read_int(p, w ? "an integer \"width\"" : "an integer \"height\"", &v, &ok);
            if (ok && (v < 0 || v > (int64_t)lim.max_dimension))
                s = bad_value(p, ts_json_error(p->r, v < 0 ? TS_ERR_INVALID : TS_ERR_LIMIT, "image %s %lld is %s",
                                               w ? "width" : "height", (long long)v,
                                               v < 0 ? "negative" : "beyond the dimension limit"), 0);
            else if (ok && w) e.width = (int32_t)v;
            else if (ok) e.height = (int32_t)v;
        } else if (KEY_IS("license") || KEY_IS("group_id")) {
            int64_t *dst = k[0] == 'l' ? &e.license : &e.group_id;
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_NULL) continue;
            if (tok != TS_JSON_NUMBER || !ts_json_is_int(p->r)) s = type_error(p, "an integer id", tok, 0);
            else *dst = ts_json_int(p->r);
        } else if (KEY_IS("split")) {
            s = read_string(p, "a string \"split\"", &split, &ok);
        } else if (KEY_IS("source")) {
            s = read_string(p, "a string \"source\"", &source, &ok);
        } else if (KEY_IS("attributes")) {
            s = read_attributes(p, NULL);
        } else {
            s = read_extra(p);
        }
        if (s != TS_OK) return s;
    }
    if (!p->rec_bad) {
        if (!have_id) s = bad_record(p, TS_ERR_INVALID, "image lacks \"id\"");
        else if (!have_name) s = bad_record(p, TS_ERR_INVALID, "image %lld lacks \"file_name\"", (long long)e.id);
        if (s != TS_OK) return s;
    }
    if (!p->rec_bad) {
        const char *path = str_at(p, name);
        if (path[0] == '/' || path[0] == '\\' || !path[0] || (path[0] && path[1] == ':') || strstr(path, "..")) {
            char where[600];
            snprintf(where, sizeof where, "%s:%llu:%llu", p->path, (unsigned long long)p->rec_line,
                     (unsigned long long)p->rec_col);
            if ((s = ts_path_check_relative(p->ctx, path, where)) != TS_OK && (s = bad_value(p, s, 0)) != TS_OK) return s;
        }
    }
    if (record_skipped(p, &p->skipped_images, "image")) return TS_OK;
    e.path = str_at(p, name);
    e.split = split != SIZE_MAX ? str_at(p, split) : p->split;
    e.source = source != SIZE_MAX ? str_at(p, source) : p->source;
    if ((s = finish_attrs(p, &e.attrs, &e.n_attrs)) != TS_OK) return s;
    s = ts_dataset_add_image(p->ctx, p->ds, &e, NULL);
    size_t dup;
    if (s != TS_OK && ts_dataset_find_image(p->ds, e.id, &dup)) {
        /* the model refuses duplicates; say where (one lookup less per record) */
        ts_ctx_clear_error(p->ctx);
        s = bad_record(p, TS_ERR_INVALID, "duplicate image id %lld", (long long)e.id);
        if (s == TS_OK) record_skipped(p, &p->skipped_images, "image");
    }
    return s;
}

/* Keypoint names a category may list: YOLO pose allows 1000, COCO's person
 * has 17; the names' offsets live on the stack while the record is read. */
#define COCO_MAX_KEYPOINTS 1024

static ts_status parse_category(parser *p) {
    begin_record(p);
    ts_category c = ts_category_empty();
    int have_id = 0, have_name = 0, ok;
    size_t name = 0, super = SIZE_MAX;
    size_t kp_offs[COCO_MAX_KEYPOINTS], n_kp = 0;
    ts_json_token tok;
    ts_status s;
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_END) break;
        size_t klen;
        const char *k = ts_json_text(p->r, &klen);
        if (p->rec_bad) {
            s = ts_json_skip(p->r);
        } else if (KEY_IS("id")) {
            s = read_int(p, "an integer \"id\"", &c.id, &have_id);
        } else if (KEY_IS("name")) {
            s = read_string(p, "a string \"name\"", &name, &have_name);
        } else if (KEY_IS("supercategory")) {
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_NULL) continue;
            if (tok != TS_JSON_STRING) s = type_error(p, "a string \"supercategory\"", tok, 0);
            else s = keep_text(p, ts_json_text(p->r, NULL), strlen(ts_json_text(p->r, NULL)), &super);
        } else if (KEY_IS("parent_id")) {
            s = read_int(p, "an integer \"parent_id\"", &c.parent_id, &ok);
        } else if (KEY_IS("keypoints")) {
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok != TS_JSON_ARRAY_BEGIN) {
                s = type_error(p, "a list of names for \"keypoints\"", tok, 0);
            } else {
                for (;;) {
                    if ((s = next(p, &tok)) != TS_OK) return s;
                    if (tok == TS_JSON_ARRAY_END) break;
                    if (tok != TS_JSON_STRING) {
                        s = type_error(p, "a keypoint name", tok, 1);
                        break;
                    }
                    if (n_kp == COCO_MAX_KEYPOINTS) {
                        s = bad_value(p, ts_json_error(p->r, TS_ERR_LIMIT, "more than %d keypoint names",
                                                       COCO_MAX_KEYPOINTS), 1);
                        break;
                    }
                    const char *t = ts_json_text(p->r, NULL);
                    if ((s = keep_text(p, t, strlen(t), &kp_offs[n_kp++])) != TS_OK) return s;
                }
            }
        } else if (KEY_IS("skeleton")) {
            /* pairs go through the coords scratch as doubles, checked as ints */
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok != TS_JSON_ARRAY_BEGIN) {
                s = type_error(p, "a list of pairs for \"skeleton\"", tok, 0);
            } else {
                for (;;) {
                    if ((s = next(p, &tok)) != TS_OK) return s;
                    if (tok == TS_JSON_ARRAY_END) break;
                    if (tok != TS_JSON_ARRAY_BEGIN) {
                        s = type_error(p, "a pair [a, b] in \"skeleton\"", tok, 1);
                        break;
                    }
                    size_t before = p->n_coords;
                    if ((s = read_ring(p, 0, 2, "skeleton pair")) != TS_OK || p->rec_bad) break;
                    if (p->n_coords - before != 2) {
                        s = bad_value(p, ts_json_error(p->r, TS_ERR_INVALID, "a skeleton entry must be a pair"), 1);
                        break;
                    }
                }
            }
        } else if (KEY_IS("attributes")) {
            s = read_attributes(p, NULL);
        } else {
            s = read_extra(p);
        }
        if (s != TS_OK) return s;
    }
    if (!p->rec_bad) {
        size_t k;
        if (!have_id) s = bad_record(p, TS_ERR_INVALID, "category lacks \"id\"");
        else if (!have_name) s = bad_record(p, TS_ERR_INVALID, "category %lld lacks \"name\"", (long long)c.id);
        else if (ts_dataset_find_category(p->ds, c.id, &k))
            s = bad_record(p, TS_ERR_INVALID, "duplicate category id %lld", (long long)c.id);
        if (s != TS_OK) return s;
    }
    if (record_skipped(p, &p->skipped_categories, "category")) return TS_OK;
    const char *kp_names[COCO_MAX_KEYPOINTS];
    for (size_t i = 0; i < n_kp; i++) kp_names[i] = str_at(p, kp_offs[i]);
    int32_t *skel = NULL;
    if (p->n_coords) {
        skel = ts_alloc_array(p->ctx, p->n_coords, sizeof *skel);
        if (!skel) return TS_ERR_NOMEM;
        for (size_t i = 0; i < p->n_coords; i++) skel[i] = (int32_t)p->coords[i];
    }
    c.name = str_at(p, name);
    c.supercategory = super != SIZE_MAX ? str_at(p, super) : "";
    c.keypoints = n_kp ? kp_names : NULL;
    c.n_keypoints = (uint32_t)n_kp;
    c.skeleton = skel;
    c.n_skeleton = (uint32_t)(p->n_coords / 2);
    s = finish_attrs(p, &c.attrs, &c.n_attrs);
    if (s == TS_OK) s = ts_dataset_add_category(p->ctx, p->ds, &c, NULL);
    free(skel);
    return s;
}

/* A list of records, each read by `fn`. */
static ts_status parse_list(parser *p, const char *what, ts_status (*fn)(parser *)) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    if (s != TS_OK) return s;
    if (tok != TS_JSON_ARRAY_BEGIN) {
        char msg[64];
        snprintf(msg, sizeof msg, "a list for \"%s\"", what);
        return ts_json_expected(p->r, msg, tok);
    }
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_ARRAY_END) return TS_OK;
        if (tok != TS_JSON_OBJECT_BEGIN) {
            begin_record(p);
            if ((s = type_error(p, "an object", tok, 0)) != TS_OK) return s;
            record_skipped(p, &p->skipped_anns, "record");
            continue;
        }
        if ((s = fn(p)) != TS_OK) return s;
        if ((++p->records & 4095) == 0 &&
            (s = ts_progress(p->ctx, "reading COCO", ts_json_offset(p->r), p->file_size)) != TS_OK)
            return s;
    }
}

static ts_status keep_meta(parser *p, const char *key, ts_json_token tok) {
    ts_buf cap = {0};
    ts_status s = ts_json_capture(p->r, tok, &cap);
    if (s == TS_OK) s = ts_dataset_set_meta(p->ctx, p->ds, key, cap.data ? cap.data : "null");
    ts_buf_free(&cap);
    return s;
}

static ts_status parse_top(parser *p) {
    ts_json_token tok;
    ts_status s = next(p, &tok);
    if (s != TS_OK) return s;
    if (tok == TS_JSON_ARRAY_BEGIN) { /* a results list */
        p->results = 1;
        p->next_result_id = 1;
        if ((s = ts_dataset_set_meta(p->ctx, p->ds, "coco:results", "1")) != TS_OK) return s;
        for (;;) {
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_ARRAY_END) break;
            if (tok != TS_JSON_OBJECT_BEGIN) return ts_json_expected(p->r, "a detection object", tok);
            if ((s = parse_annotation(p)) != TS_OK) return s;
        }
        return next(p, &tok);
    }
    if (tok != TS_JSON_OBJECT_BEGIN) return ts_json_expected(p->r, "a COCO object or a results list", tok);
    for (;;) {
        if ((s = next(p, &tok)) != TS_OK) return s;
        if (tok == TS_JSON_OBJECT_END) break;
        char key[64];
        snprintf(key, sizeof key, "%s", ts_json_text(p->r, NULL));
        if (strcmp(key, "images") == 0) {
            s = parse_list(p, key, parse_image);
        } else if (strcmp(key, "annotations") == 0) {
            s = parse_list(p, key, parse_annotation);
        } else if (strcmp(key, "categories") == 0) {
            s = parse_list(p, key, parse_category);
        } else if (strcmp(key, "image_root") == 0) {
            if ((s = next(p, &tok)) != TS_OK) return s;
            if (tok != TS_JSON_STRING) return ts_json_expected(p->r, "a string \"image_root\"", tok);
            free(p->image_root);
            p->image_root = strdup(ts_json_text(p->r, NULL));
            if (!p->image_root) return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
        } else {
            /* info, licenses and anything else: kept whole for the round trip */
            char meta[80];
            snprintf(meta, sizeof meta, "%s%s", strcmp(key, "info") && strcmp(key, "licenses") ? COCO_EXTRA : "", key);
            if ((s = next(p, &tok)) != TS_OK) return s;
            s = keep_meta(p, meta, tok);
        }
        if (s != TS_OK) return s;
    }
    return next(p, &tok); /* end of input */
}

/* References to images and categories that were not known when the
 * annotation was read. Returns the skip mask (lenient) or an error. */
static ts_status check_pending(parser *p, uint8_t **skip_out) {
    uint8_t *skip = NULL;
    uint64_t bad = 0;
    int64_t last_img = 0; /* found before: runs of one image cost one lookup */
    int have_last = 0;
    for (size_t i = 0; i < p->n_pend; i++) {
        size_t k, idx = p->pend[i].index;
        int64_t img = ts_dataset_annotation_image_id(p->ds, idx), cat = ts_dataset_annotation_category_id(p->ds, idx);
        const char *what = NULL;
        int64_t id = 0;
        int img_ok = p->pend[i].image_ok || (have_last && img == last_img);
        if (!img_ok && ts_dataset_find_image(p->ds, img, &k)) img_ok = have_last = 1, last_img = img;
        if (!img_ok) what = "image", id = img;
        else if (cat != TS_NO_ID && !ts_dataset_find_category(p->ds, cat, &k)) what = "category", id = cat;
        if (!what) continue;
        ts_annotation a;
        ts_dataset_annotation(p->ds, idx, &a);
        if (!p->lenient) {
            free(skip);
            return ts_error_at(p->ctx, TS_ERR_NOT_FOUND, p->path, p->pend[i].line, p->pend[i].col,
                               "annotation %lld refers to %s %lld, which the file does not have", (long long)a.id, what,
                               (long long)id);
        }
        if (!skip && !(skip = ts_calloc_array(p->ctx, ts_dataset_annotation_count(p->ds), 1))) return TS_ERR_NOMEM;
        skip[idx] = 1;
        if (++bad <= 10)
            ts_warn(p->ctx, "%s:%u:%u: annotation %lld refers to %s %lld, which the file does not have (skipped)", p->path,
                    p->pend[i].line, p->pend[i].col, (long long)a.id, what, (long long)id);
    }
    p->skipped_anns += bad;
    *skip_out = skip;
    return TS_OK;
}

/* Where the images of a file without "image_root" live: the first of the
 * usual places that holds the first image. */
static char *guess_root(const ts_dataset *ds, const char *json_path, const char *split) {
    char *dir = ts_path_dirname(json_path);
    if (!dir) return NULL;
    ts_image_entry e;
    if (ts_dataset_image_count(ds) == 0) return dir;
    ts_dataset_image(ds, 0, &e);
    const char *cands[] = {"", "images", NULL, NULL, "..", "../images"};
    char *a = NULL, *b = NULL;
    if (split) {
        a = ts_path_join("../images", split);
        b = ts_path_join("..", split);
        cands[2] = a, cands[3] = b;
    }
    char *found = NULL;
    for (size_t i = 0; i < sizeof cands / sizeof cands[0] && !found; i++) {
        if (!cands[i]) continue;
        char *root = *cands[i] ? ts_path_join(dir, cands[i]) : strdup(dir);
        char *file = root ? ts_path_join(root, e.path) : NULL;
        if (file && ts_file_exists(file)) found = root;
        else free(root);
        free(file);
    }
    free(a);
    free(b);
    if (!found) return dir;
    free(dir);
    return found;
}

char *coco_split_from_name(const char *file) {
    const char *base = ts_path_basename(file);
    static const char *tasks[] = {"instances_", "person_keypoints_", "labels_", "captions_", "image_info_",
                                  "stuff_", "panoptic_"};
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
        size_t n = strlen(tasks[i]);
        if (strncmp(base, tasks[i], n) != 0) continue;
        const char *dot = strrchr(base, '.');
        if (!dot || dot <= base + n) return NULL;
        return strndup(base + n, (size_t)(dot - base - n));
    }
    return NULL;
}

ts_status coco_read_file(ts_ctx *ctx, const char *path, const char *root, const char *split, unsigned flags,
                         ts_dataset **out) {
    parser p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.path = path;
    p.lenient = ts_ctx_lenient(ctx);
    p.skip_geom = (flags & TS_READ_SKIP_GEOMETRY) != 0;
    int64_t size = ts_file_size(path);
    p.file_size = size > 0 ? (uint64_t)size : 0;
    ts_status s = ts_dataset_create(ctx, &p.ds);
    if (s != TS_OK) return s;
    if ((s = ts_json_reader_open_file(ctx, path, &p.r)) != TS_OK) goto done;
    p.split = ts_dataset_intern(ctx, p.ds, split ? split : "");
    p.source = ts_dataset_intern(ctx, p.ds, path);
    if (!p.split || !p.source) {
        s = TS_ERR_NOMEM;
        goto done;
    }
    if ((s = parse_top(&p)) != TS_OK) goto done;
    uint8_t *skip = NULL;
    if ((s = check_pending(&p, &skip)) != TS_OK) goto done;
    if (skip) { /* lenient: rebuild without the annotations that point nowhere */
        ts_dataset *clean = NULL;
        s = ts_dataset_create(ctx, &clean);
        if (s == TS_OK) s = coco_merge_into(ctx, clean, p.ds, skip);
        for (size_t i = 0; s == TS_OK && i < ts_dataset_meta_count(p.ds); i++) {
            const char *k, *v;
            ts_dataset_meta_at(p.ds, i, &k, &v);
            s = ts_dataset_set_meta(ctx, clean, k, v);
        }
        free(skip);
        ts_dataset_destroy(s == TS_OK ? p.ds : clean);
        if (s != TS_OK) goto done;
        p.ds = clean;
    }
    if (p.skipped_images + p.skipped_categories + p.skipped_anns)
        ts_warn(ctx, "%s: skipped %llu images, %llu categories, %llu annotations with errors", path,
                (unsigned long long)p.skipped_images, (unsigned long long)p.skipped_categories,
                (unsigned long long)p.skipped_anns);
    char *img_root = NULL;
    if (p.image_root) {
        char *dir = ts_path_dirname(path);
        img_root = dir ? ts_path_join(dir, p.image_root) : NULL;
        free(dir);
    } else if (root) {
        img_root = strdup(root);
    } else {
        img_root = guess_root(p.ds, path, split);
    }
    if (!img_root) {
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        goto done;
    }
    s = ts_dataset_set_root(ctx, p.ds, img_root);
    free(img_root);
done:
    ts_json_reader_destroy(p.r);
    ts_buf_free(&p.strs);
    free(p.raw);
    free(p.attrs);
    free(p.coords);
    free(p.rings);
    free(p.rle);
    free(p.kps);
    ts_buf_free(&p.geom_raw);
    ts_buf_free(&p.cap);
    free(p.pend);
    free(p.image_root);
    if (s != TS_OK) {
        ts_dataset_destroy(p.ds);
        return s;
    }
    *out = p.ds;
    return TS_OK;
}
