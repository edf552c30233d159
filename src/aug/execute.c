/* Running a pipeline on a sample: the op tree is walked with one RNG stream
 * per op; consecutive matrix ops are multiplied and resampled once,
 * consecutive lookup-table ops composed and applied once; each applied op
 * and its draws can be logged and replayed. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define AUG_X86 1
#endif

#include "aug_internal.h"
#include "trainset/json.h"

void aug_draw_params(const aug_op *op, const aug_view *view, ts_rng *rng, aug_draw *d);

typedef struct {
    ts_ctx *ctx;
    const ts_aug_pipeline *p;
    ts_aug_sample *s;
    uint64_t seed, epoch, index;
    ts_buf *log;
    int logged;
    /* pending geometry */
    int has_matrix;
    double m[9];
    int w, h;   /* size after the pending matrix */
    int interp; /* 0 nearest, 1 bilinear */
    int border; /* 0 constant, 1 reflect, 2 replicate */
    uint8_t fill[4];
    /* pending lookup table */
    int has_lut;
    float lut[4][256];
    /* encoded input not decoded yet: decoded on first need, cropped and
     * DCT-scaled to what the pending geometry keeps */
    const uint8_t *lazy;
    size_t lazy_len;
    const char *lazy_name;
    ts_image_header hdr;
} exec;

ts_status aug_sample_transform(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, const double m[9], int w, int h,
                               int interp, int border, const uint8_t *fill) {
    return aug_sample_transform2(ctx, p, s, m, m, s->image.w, s->image.h, w, h, interp, border, fill);
}

ts_status aug_sample_transform2(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, const double pixels_m[9],
                                const double targets_m[9], int mask_w, int mask_h, int w, int h, int interp, int border,
                                const uint8_t *fill) {
    ts_status st;
    if (!aug_crop_in_place(&s->image, pixels_m, w, h)) {
        ts_image out;
        if ((st = aug_warp(ctx, &s->image, pixels_m, w, h, interp, border, fill, &out)) != TS_OK) return st;
        ts_image_free(&s->image);
        s->image = out;
    }
    if (s->label_map) {
        uint8_t *m2;
        if ((st = aug_warp_mask(ctx, s->label_map, mask_w, mask_h, targets_m, w, h, &m2)) != TS_OK) return st;
        free(s->label_map);
        s->label_map = m2;
    }
    for (size_t i = 0; i < s->n_objects; i++) {
        ts_aug_object *o = &s->objects[i];
        if (!o->mask) continue;
        uint8_t *m2;
        if ((st = aug_warp_mask(ctx, o->mask, mask_w, mask_h, targets_m, w, h, &m2)) != TS_OK) return st;
        free(o->mask);
        o->mask = m2;
    }
    st = aug_targets_matrix(ctx, p, s, targets_m, w, h);
    if (st == TS_OK && p) aug_targets_filter(p, s);
    return st;
}

/* Decode the lazy input. With a pending matrix `m` to a w x h output, only
 * the source rectangle it reads is decoded, at the coarsest DCT scale that
 * still has at least the output's resolution; `pre` receives the map from
 * decoded to full-image coordinates. */
static ts_status materialize(exec *x, const double *m, int w, int h, double pre[9]) {
    ts_decode_opts o = ts_decode_opts_default();
    aug_mat_identity(pre);
    int W = x->hdr.width, H = x->hdr.height;
    if (m && x->hdr.codec == TS_CODEC_JPEG && x->hdr.orientation <= 1) {
        double inv[9], x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        if (aug_mat_invert(m, inv)) {
            for (int k = 0; k < 4; k++) {
                double px, py;
                aug_mat_apply(inv, (k & 1) ? w : 0, (k >> 1) ? h : 0, &px, &py);
                x0 = fmin(x0, px), y0 = fmin(y0, py), x1 = fmax(x1, px), y1 = fmax(y1, py);
            }
            int rx0 = (int)fmax(0, floor(x0) - 2), ry0 = (int)fmax(0, floor(y0) - 2);
            int rx1 = (int)fmin(W, ceil(x1) + 2), ry1 = (int)fmin(H, ceil(y1) + 2);
            double zoom = fmin(fabs(m[0]) + fabs(m[1]), fabs(m[3]) + fabs(m[4])); /* output px per input px */
            int denom = 1;
            while (denom < 8 && zoom * denom * 2 <= 1 && m[6] == 0 && m[7] == 0) denom *= 2;
            if (rx1 > rx0 && ry1 > ry0) {
                o.scale_denom = denom;
                o.crop_x = rx0 / denom, o.crop_y = ry0 / denom;
                o.crop_w = (rx1 - rx0 + denom - 1) / denom, o.crop_h = (ry1 - ry0 + denom - 1) / denom;
            }
        }
    }
    ts_decode_info info;
    ts_status st = ts_image_decode(x->ctx, x->lazy_name, x->lazy, x->lazy_len, &o, &x->s->image, &info);
    if (st == TS_OK && x->s->image.type != TS_PIX_U8) {
        ts_image_free(&x->s->image);
        st = ts_error(x->ctx, TS_ERR_UNSUPPORTED, "augment: only 8-bit images are augmented");
    }
    if (st != TS_OK) return st;
    if (o.crop_w) {
        /* full = decoded * (W / scaled width) + crop offset, per axis */
        double sx = (double)W / ((W + o.scale_denom - 1) / o.scale_denom), sy = (double)H / ((H + o.scale_denom - 1) / o.scale_denom);
        pre[0] = sx, pre[2] = info.crop_x * sx, pre[4] = sy, pre[5] = info.crop_y * sy;
    } else if (x->s->image.w != W || x->s->image.h != H) { /* EXIF orientation applied: sizes are as oriented */
        int ow, oh;
        ts_image_header_oriented_size(&x->hdr, &ow, &oh);
        pre[0] = (double)ow / x->s->image.w, pre[4] = (double)oh / x->s->image.h;
    }
    x->lazy = NULL;
    return TS_OK;
}

static ts_status ensure_pixels(exec *x) {
    if (!x->lazy) return TS_OK;
    double pre[9];
    ts_status st = materialize(x, NULL, 0, 0, pre);
    if (st != TS_OK || (pre[0] == 1 && pre[4] == 1)) return st;
    /* pixels of another size than the header: bring them to it */
    int ow, oh;
    ts_image_header_oriented_size(&x->hdr, &ow, &oh);
    double inv[9];
    aug_mat_invert(pre, inv);
    ts_image out;
    st = aug_warp(x->ctx, &x->s->image, inv, ow, oh, 1, 2, NULL, &out);
    if (st == TS_OK) ts_image_free(&x->s->image), x->s->image = out;
    return st;
}

static ts_status flush_matrix(exec *x) {
    if (!x->has_matrix) return TS_OK;
    x->has_matrix = 0;
    if (!x->lazy) return aug_sample_transform(x->ctx, x->p, x->s, x->m, x->w, x->h, x->interp, x->border, x->fill);
    double pre[9], pixels[9];
    int W, H;
    ts_image_header_oriented_size(&x->hdr, &W, &H);
    ts_status st = materialize(x, x->m, x->w, x->h, pre);
    if (st != TS_OK) return st;
    aug_mat_mul(x->m, pre, pixels);
    return aug_sample_transform2(x->ctx, x->p, x->s, pixels, x->m, W, H, x->w, x->h, x->interp, x->border, x->fill);
}

static void reset_lut(exec *x) {
    for (int c = 0; c < 4; c++)
        for (int v = 0; v < 256; v++) x->lut[c][v] = (float)v;
}

/* Per-channel u8 tables over pixels. A table shared by every channel (the
 * usual case: brightness, contrast, gamma) is applied to the row as one
 * run of bytes; distinct tables go pixel by pixel. With AVX-512 VBMI a
 * 256-entry table is four registers and 64 lookups are two permutes and a
 * blend on the top bit; the scalar loops give the same bytes. */

#ifdef AUG_X86
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static __m512i lut64(__m512i v, const __m512i t[4]) {
    __m512i lo = _mm512_permutex2var_epi8(t[0], v, t[1]), hi = _mm512_permutex2var_epi8(t[2], v, t[3]);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi);
}

/* `n` bytes whose channel is (position + phase) % c. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void lut_vbmi(uint8_t *p, size_t n, int c,
                                                                             const uint8_t (*table)[256], int same) {
    __m512i t[4][4];
    int nt = same ? 1 : c;
    for (int k = 0; k < nt; k++)
        for (int q = 0; q < 4; q++) t[k][q] = _mm512_loadu_si512(table[k] + 64 * q);
    /* channel masks for the c phases a 64-byte block can start at */
    __mmask64 cm[4][4] = {{0}};
    if (!same)
        for (int ph = 0; ph < c; ph++)
            for (int i = 0; i < 64; i++) cm[ph][(i + ph) % c] |= (__mmask64)1 << i;
    int ph = 0;
    for (size_t i = 0; i < n; i += 64) {
        size_t left = n - i;
        __mmask64 live = left >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << left) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(live, p + i), r = lut64(v, t[0]);
        for (int k = 1; k < nt; k++) r = _mm512_mask_blend_epi8(cm[ph][k], r, lut64(v, t[k]));
        _mm512_mask_storeu_epi8(p + i, live, r);
        ph = (ph + 64) % c;
    }
}

#endif

static void lut_scalar(uint8_t *restrict p, size_t n, int c, const uint8_t (*table)[256], int same) {
    if (same || c == 1) {
        const uint8_t *t = table[0];
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            uint8_t a = t[p[i]], b = t[p[i + 1]], d = t[p[i + 2]], e = t[p[i + 3]];
            p[i] = a, p[i + 1] = b, p[i + 2] = d, p[i + 3] = e;
        }
        for (; i < n; i++) p[i] = t[p[i]];
    } else if (c == 3) {
        const uint8_t *t0 = table[0], *t1 = table[1], *t2 = table[2];
        for (size_t i = 0; i + 3 <= n; i += 3) {
            uint8_t a = t0[p[i]], b = t1[p[i + 1]], d = t2[p[i + 2]];
            p[i] = a, p[i + 1] = b, p[i + 2] = d;
        }
    } else {
        for (size_t i = 0; i + (size_t)c <= n; i += (size_t)c)
            for (int k = 0; k < c; k++) p[i + k] = table[k][p[i + k]];
    }
}

/* Whole pixels: n is a multiple of c and the first byte is channel 0. */
static void lut_run(uint8_t *p, size_t n, int c, const uint8_t (*table)[256], int same) {
#ifdef AUG_X86
    if (aug_vbmi()) {
        lut_vbmi(p, n, c, table, same);
        return;
    }
#endif
    lut_scalar(p, n, c, table, same);
}

void aug_image_lut(ts_image *img, const uint8_t (*table)[256]) {
    int c = img->c, same = 1;
    for (int k = 1; k < c; k++) same &= memcmp(table[k], table[0], 256) == 0;
    size_t row = (size_t)img->w * (size_t)c;
    if (img->stride == row) /* one run over the whole image */
        lut_run(img->data, row * (size_t)img->h, c, table, same);
    else
        for (int y = 0; y < img->h; y++) lut_run(ts_image_row(img, y), row, c, table, same);
}

static void flush_lut(exec *x) {
    if (!x->has_lut) return;
    x->has_lut = 0;
    if (ensure_pixels(x) != TS_OK) return;
    ts_image *img = &x->s->image;
    int c = img->c;
    uint8_t table[4][256];
    for (int k = 0; k < c; k++)
        for (int v = 0; v < 256; v++) {
            float f = x->lut[k][v];
            table[k][v] = (uint8_t)(f <= 0 ? 0 : f >= 255 ? 255 : (int)(f + 0.5f));
        }
    aug_image_lut(img, (const uint8_t(*)[256])table);
    reset_lut(x);
}

/* The current geometry as the next op sees it. */
static void make_view(const exec *x, aug_view *v) {
    memset(v, 0, sizeof *v);
    v->w = x->has_matrix ? x->w : x->s->image.w;
    v->h = x->has_matrix ? x->h : x->s->image.h;
    if (x->lazy && !x->has_matrix) ts_image_header_oriented_size(&x->hdr, &v->w, &v->h);
    v->sample = x->s;
    v->m = x->has_matrix ? x->m : NULL;
}

static int param_index(const aug_op_def *def, const char *name) {
    for (int i = 0; def->params && def->params[i].name; i++)
        if (strcmp(def->params[i].name, name) == 0) return i;
    return -1;
}

static ts_status log_step(exec *x, const aug_op_def *def, int index, const aug_draw *d) {
    if (!x->log) return TS_OK;
    ts_status s = ts_buf_printf(x->log, "%s{\"i\": %d, \"op\": \"%s\", \"v\": [", x->logged++ ? ", " : "", index, def->name);
    for (int k = 0; k < d->n && s == TS_OK; k++) {
        if (k) s = ts_buf_puts(x->log, ", ");
        if (s == TS_OK) s = ts_buf_put_double(x->log, d->v[k]);
    }
    return s == TS_OK ? ts_buf_puts(x->log, "]}") : s;
}

static ts_status execute(exec *x, const aug_op_def *def, int index, const aug_draw *d, const aug_view *view) {
    ts_status s = log_step(x, def, index, d);
    if (s != TS_OK) return ts_error(x->ctx, TS_ERR_NOMEM, "out of memory");
    if (def->cls == AUG_MATRIX) {
        flush_lut(x);
        double m[9], total[9];
        int ow, oh;
        def->matrix(d, view, m, &ow, &oh);
        if (ow < 1 || oh < 1 || (uint64_t)ow * (uint64_t)oh > ts_ctx_limits(x->ctx).max_pixels)
            return ts_error(x->ctx, TS_ERR_INVALID, "op \"%s\" makes a %dx%d image", def->name, ow, oh);
        if (!x->has_matrix) aug_mat_identity(x->m);
        aug_mat_mul(m, x->m, total);
        memcpy(x->m, total, sizeof total);
        x->w = ow, x->h = oh;
        int ii = param_index(def, "interp"), bi = param_index(def, "border"), fi = param_index(def, "fill");
        if (!x->has_matrix) x->interp = 0;
        if (ii < 0 || d->v[ii] != 0) x->interp = 1; /* bilinear unless every fused op asks for nearest */
        if (bi >= 0) x->border = (int)d->v[bi];
        if (fi >= 0) memset(x->fill, (int)d->v[fi], sizeof x->fill);
        x->has_matrix = 1;
        return TS_OK;
    }
    if (def->cls == AUG_LUT) {
        if ((s = flush_matrix(x)) != TS_OK || (s = ensure_pixels(x)) != TS_OK) return s;
        def->lut(d, x->s->image.c, x->lut);
        x->has_lut = 1;
        return TS_OK;
    }
    if ((s = flush_matrix(x)) != TS_OK || (s = ensure_pixels(x)) != TS_OK) return s;
    flush_lut(x);
    s = def->apply(x->ctx, d, x->s);
    if (s == TS_OK) aug_targets_filter(x->p, x->s); /* occlusion and remaps change visibility */
    return s;
}

static ts_status run_node(exec *x, const aug_op *op, int forced);

static ts_status run_leaf(exec *x, const aug_op *op, ts_rng *rng) {
    aug_view view;
    aug_draw d;
    make_view(x, &view);
    aug_draw_params(op, &view, rng, &d);
    return execute(x, op->def, op->index, &d, &view);
}

static ts_status run_node(exec *x, const aug_op *op, int forced) {
    ts_rng rng = ts_rng_for(x->seed, x->epoch, x->index, (uint64_t)op->index);
    int apply = ts_rng_chance(&rng, op->p); /* always drawn, so later draws do not shift */
    if (!forced && !apply) return TS_OK;
    switch (op->node) {
    case AUG_LEAF: return run_leaf(x, op, &rng);
    case AUG_SEQUENCE:
        for (size_t i = 0; i < op->n_children; i++) {
            ts_status s = run_node(x, &op->children[i], 0);
            if (s != TS_OK) return s;
        }
        return TS_OK;
    case AUG_ONE_OF: {
        double total = 0;
        for (size_t i = 0; i < op->n_children; i++) total += op->children[i].p;
        if (total <= 0 || !op->n_children) return TS_OK;
        double r = ts_rng_uniform(&rng) * total;
        size_t pick = op->n_children - 1;
        for (size_t i = 0; i < op->n_children; i++) {
            if (r < op->children[i].p) {
                pick = i;
                break;
            }
            r -= op->children[i].p;
        }
        return run_node(x, &op->children[pick], 1);
    }
    case AUG_SOME_OF: {
        size_t n = op->n_children, k = (size_t)op->n_lo + ts_rng_below(&rng, (uint64_t)(op->n_hi - op->n_lo) + 1);
        uint32_t order[256];
        if (n > 256) n = 256;
        for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
        for (size_t i = 0; i < k && i < n; i++) { /* partial Fisher-Yates: k distinct ops */
            size_t j = i + ts_rng_below(&rng, n - i);
            uint32_t t = order[i];
            order[i] = order[j], order[j] = t;
        }
        uint8_t chosen[256] = {0};
        for (size_t i = 0; i < k && i < n; i++) chosen[order[i]] = 1;
        for (size_t i = 0; i < n; i++) { /* in list order */
            if (!chosen[i]) continue;
            ts_status s = run_node(x, &op->children[i], 0);
            if (s != TS_OK) return s;
        }
        return TS_OK;
    }
    }
    return TS_OK;
}

static ts_status finish(exec *x) {
    ts_status s = flush_matrix(x);
    if (s == TS_OK) s = ensure_pixels(x);
    flush_lut(x);
    return s;
}

static void begin(exec *x, ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s) {
    memset(x, 0, sizeof *x);
    x->ctx = ctx;
    x->p = p;
    x->s = s;
    reset_lut(x);
    aug_sample_prepare(s);
}

static ts_status check_sample(ts_ctx *ctx, const ts_aug_sample *s) {
    if (!s->image.data || s->image.w < 1 || s->image.h < 1)
        return ts_error(ctx, TS_ERR_INVALID, "augment: the sample has no image");
    if (s->image.type != TS_PIX_U8 || s->image.c < 1 || s->image.c > 4)
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "augment: images must be 8-bit with 1 to 4 channels (got %d channels%s)",
                        s->image.c, s->image.type != TS_PIX_U8 ? ", not 8-bit" : "");
    return TS_OK;
}

/* Walk the pipeline for (seed, epoch, index), logging when asked. */
static ts_status run_pipeline(exec *x, uint64_t seed, uint64_t epoch, uint64_t index, ts_buf *log) {
    x->seed = seed, x->epoch = epoch, x->index = index, x->log = log;
    if (log && ts_buf_printf(log, "{\"seed\": %llu, \"epoch\": %llu, \"index\": %llu, \"ops\": [",
                             (unsigned long long)seed, (unsigned long long)epoch, (unsigned long long)index) != TS_OK)
        return ts_error(x->ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = run_node(x, &x->p->root, 1);
    if (s == TS_OK) s = finish(x);
    if (s == TS_OK && log && ts_buf_puts(log, "]}\n") != TS_OK) s = ts_error(x->ctx, TS_ERR_NOMEM, "out of memory");
    return s;
}

ts_status ts_aug_apply(ts_ctx *ctx, const ts_aug_pipeline *p, uint64_t seed, uint64_t epoch, uint64_t index,
                       ts_aug_sample *sample, ts_buf *log) {
    ts_status s = check_sample(ctx, sample);
    if (s != TS_OK) return s;
    exec x;
    begin(&x, ctx, p, sample);
    return run_pipeline(&x, seed, epoch, index, log);
}

ts_status ts_aug_apply_encoded(ts_ctx *ctx, const ts_aug_pipeline *p, uint64_t seed, uint64_t epoch, uint64_t index,
                               const char *name, const void *bytes, size_t len, ts_aug_sample *sample, ts_buf *log) {
    exec x;
    begin(&x, ctx, p, sample);
    ts_status s = ts_image_probe(ctx, bytes, len, &x.hdr);
    if (s != TS_OK) return s;
    if (sample->image.data) ts_image_free(&sample->image);
    x.lazy = bytes, x.lazy_len = len, x.lazy_name = name;
    return run_pipeline(&x, seed, epoch, index, log);
}

static const aug_op *find_index(const aug_op *op, int index) {
    if (op->index == index) return op;
    for (size_t i = 0; i < op->n_children; i++) {
        const aug_op *f = find_index(&op->children[i], index);
        if (f) return f;
    }
    return NULL;
}

/* The values a param may take: its declared range, the indices of its
 * choices, 0 or 1 for a flag. */
static void param_domain(const aug_param_spec *sp, double *min, double *max) {
    *min = sp->min, *max = sp->max;
    if (sp->type == PARAM_BOOL) *min = 0, *max = 1;
    if (sp->type == PARAM_ENUM) {
        int n = 0;
        while (sp->choices[n]) n++;
        *min = 0, *max = n - 1;
    }
}

/* A logged draw must be one the op could have made: each param inside its
 * domain (whole for all but plain numbers), each extra finite and below
 * 2^40 in magnitude (extras are positions, sizes, 32-bit seeds and packed
 * hole positions). Returns the index of the first bad value, or -1. */
static int replay_bad_value(const aug_op_def *def, const aug_draw *d) {
    int i = 0;
    for (const aug_param_spec *sp = def->params; sp && sp->name && i < d->n; sp++, i++) {
        double v = d->v[i], min, max;
        param_domain(sp, &min, &max);
        if (!(v >= min && v <= max) || (sp->type != PARAM_NUMBER && v != floor(v))) return i;
    }
    for (; i < d->n; i++)
        if (!(fabs(d->v[i]) < 0x1p40)) return i;
    return -1;
}

ts_status ts_aug_replay(ts_ctx *ctx, const ts_aug_pipeline *p, const char *line, size_t len, ts_aug_sample *sample) {
    ts_status s = check_sample(ctx, sample);
    if (s != TS_OK) return s;
    ts_jvalue *doc;
    if ((s = ts_json_parse(ctx, "replay log", line, len, &doc)) != TS_OK) return s;
    const ts_jvalue *ops = ts_json_get(doc, "ops");
    exec x;
    begin(&x, ctx, p, sample);
    if (!ops || ops->type != TS_JARRAY) s = ts_error(ctx, TS_ERR_PARSE, "replay log: no \"ops\" list");
    for (size_t k = 0; s == TS_OK && k < ops->u.arr.count; k++) {
        const ts_jvalue *e = &ops->u.arr.items[k], *vals = ts_json_get(e, "v");
        int64_t index;
        const aug_op *op = ts_json_get_int(e, "i", &index) ? find_index(&p->root, (int)index) : NULL;
        const char *name = ts_json_get_string(e, "op");
        if (!op || op->node != AUG_LEAF || !name || strcmp(name, op->def->name) != 0 || !vals ||
            vals->type != TS_JARRAY || vals->u.arr.count > AUG_MAX_PARAMS * 2) {
            s = ts_error(ctx, TS_ERR_INVALID, "replay log: entry %zu does not match this pipeline", k);
            break;
        }
        aug_draw d;
        memset(&d, 0, sizeof d);
        d.n = (int)vals->u.arr.count;
        for (int i = 0; i < d.n; i++) {
            const ts_jvalue *v = &vals->u.arr.items[i];
            d.v[i] = v->type == TS_JNUMBER ? v->u.num.value : NAN; /* a non-number fails the check below */
        }
        int bad = replay_bad_value(op->def, &d);
        if (bad >= 0) {
            s = ts_error(ctx, TS_ERR_INVALID, "replay log: entry %zu (op \"%s\"): value %d is out of range", k, name,
                         bad + 1);
            break;
        }
        aug_view view;
        make_view(&x, &view);
        s = execute(&x, op->def, op->index, &d, &view);
    }
    if (s == TS_OK) s = finish(&x);
    ts_json_free(doc);
    return s;
}

typedef struct {
    ts_ctx *ctx;
    const ts_aug_pipeline *p;
    uint64_t seed, epoch, first;
    ts_aug_sample *samples;
    _Atomic int status;
} batch_job;

static void batch_range(void *user, size_t begin_i, size_t end, int worker) {
    (void)worker;
    batch_job *j = user;
    for (size_t i = begin_i; i < end; i++) {
        ts_status s = ts_aug_apply(j->ctx, j->p, j->seed, j->epoch, j->first + i, &j->samples[i], NULL);
        if (s != TS_OK) atomic_store(&j->status, (int)s); /* the context keeps the first message */
    }
}

ts_status ts_aug_apply_batch(ts_ctx *ctx, const ts_aug_pipeline *p, ts_pool *pool, uint64_t seed, uint64_t epoch,
                             uint64_t first_index, ts_aug_sample *samples, size_t n) {
    batch_job j = {ctx, p, seed, epoch, first_index, samples, TS_OK};
    ts_pool_run(pool, n, 1, batch_range, &j);
    return (ts_status)atomic_load(&j.status);
}
