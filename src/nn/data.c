/* Samples for the trainer: the classes and input size a dataset suggests,
 * decoding a dataset's images once into 8-bit CHW arrays at the model's
 * input size, and the in-memory sample source with flips and crops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "trainset/formats.h"

#define OP_AUG 3

void ts_nn_data_free(ts_nn_data *d) {
    if (!d) return;
    free(d->pixels), free(d->labels), free(d->image_ids);
    memset(d, 0, sizeof *d);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

ts_status ts_nn_dataset_classes(ts_ctx *ctx, const ts_dataset *ds, int64_t **ids_out, const char ***names_out,
                                int *count) {
    size_t na = ts_dataset_annotation_count(ds), n = 0, cap = 0;
    int64_t *ids = NULL;
    for (size_t i = 0; i < na; i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        if (a.kind != TS_ANN_LABEL || (a.flags & TS_ANN_HAS_SCORE)) continue;
        int seen = 0;
        for (size_t j = 0; j < n && !seen; j++) seen = ids[j] == a.category_id;
        if (seen) continue;
        if (ts_grow(ctx, (void **)&ids, &cap, n + 1, sizeof *ids)) {
            free(ids);
            return TS_ERR_NOMEM;
        }
        ids[n++] = a.category_id;
        if (n > (1u << 20)) {
            free(ids);
            return ts_error(ctx, TS_ERR_LIMIT, "more than 2^20 classes");
        }
    }
    if (n < 2) {
        free(ids);
        return ts_error(ctx, TS_ERR_INVALID,
                        "the dataset has %zu labelled class%s; training a classifier needs at least 2 (image-level "
                        "label annotations)",
                        n, n == 1 ? "" : "es");
    }
    qsort(ids, n, sizeof *ids, cmp_i64);
    const char **names = ts_alloc_array(ctx, n, sizeof *names);
    if (!names) {
        free(ids);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t ci;
        names[i] = "";
        if (ts_dataset_find_category(ds, ids[i], &ci)) {
            ts_category cat;
            ts_dataset_category(ds, ci, &cat);
            names[i] = cat.name;
        }
    }
    *ids_out = ids, *names_out = names, *count = (int)n;
    return TS_OK;
}

ts_status ts_nn_dataset_input(ts_ctx *ctx, const ts_dataset *ds, int *c, int *h, int *w) {
    size_t n = ts_dataset_image_count(ds);
    if (n == 0) return ts_error(ctx, TS_ERR_INVALID, "the dataset has no images");
    /* the most common size among up to 1000 images spread over the set */
    size_t step = n > 1000 ? n / 1000 : 1, best = 0;
    int bw = 0, bh = 0, grey = 1, probed = 0;
    for (size_t i = 0; i < n; i += step) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        if (e.width <= 0 || e.height <= 0) continue;
        size_t same = 0;
        for (size_t j = 0; j < n; j += step * 8) {
            ts_image_entry f;
            ts_dataset_image(ds, j, &f);
            same += f.width == e.width && f.height == e.height;
        }
        if (same > best) best = same, bw = e.width, bh = e.height;
    }
    for (size_t i = 0; i < n && probed < 8; i += n / 8 > 0 ? n / 8 : 1, probed++) {
        ts_image img;
        ts_status st = ts_dataset_load_image(ctx, ds, i, NULL, &img, NULL);
        if (st) return st;
        if (img.c > 2) grey = 0;
        if (!bw) bw = img.w, bh = img.h;
        ts_image_free(&img);
    }
    *c = grey ? 1 : 3, *h = bh, *w = bw;
    return TS_OK;
}

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const size_t *images;
    ts_nn_data *out;
    ts_status *status;
} load_job;

/* Decode, match channels, resize to the model's input, store as CHW. */
static ts_status load_one(ts_ctx *ctx, const ts_dataset *ds, size_t index, int c, int h, int w, uint8_t *dst) {
    ts_image img, tmp;
    ts_status st = ts_dataset_load_image(ctx, ds, index, NULL, &img, NULL);
    if (st) return st;
    if (img.type != TS_PIX_U8) {
        ts_image_free(&img);
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "image %lld: only 8-bit images can be trained on",
                        (long long)ts_dataset_image_id(ds, index));
    }
    if (img.c != c) {
        st = ts_image_convert(ctx, &img, c, &tmp);
        ts_image_free(&img);
        if (st) return st;
        img = tmp;
    }
    if (img.w != w || img.h != h) {
        ts_interp interp = img.w > w || img.h > h ? TS_INTERP_AREA : TS_INTERP_BILINEAR;
        st = ts_image_resize(ctx, &img, w, h, interp, &tmp);
        ts_image_free(&img);
        if (st) return st;
        img = tmp;
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) dst[((size_t)k * h + (size_t)y) * (size_t)w + (size_t)x] = row[x * c + k];
    }
    ts_image_free(&img);
    return TS_OK;
}

static void load_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const load_job *j = user;
    ts_nn_data *d = j->out;
    size_t per = (size_t)d->c * d->h * d->w;
    for (size_t i = begin; i < end; i++)
        j->status[i] = load_one(j->ctx, j->ds, j->images[i], d->c, d->h, d->w, d->pixels + i * per);
}

ts_status ts_nn_data_load(ts_ctx *ctx, const ts_dataset *ds, const char *split, const ts_nn_model *m,
                          int labelled_only, ts_nn_data *out) {
    size_t n_img = ts_dataset_image_count(ds), n = 0;
    size_t *images = ts_alloc_array(ctx, n_img ? n_img : 1, sizeof(size_t));
    int32_t *labels = ts_alloc_array(ctx, n_img ? n_img : 1, sizeof(int32_t));
    if (!images || !labels) {
        free(images), free(labels);
        return TS_ERR_NOMEM;
    }
    ts_status st = TS_OK;
    for (size_t i = 0; !st && i < n_img; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        if (split && *split && strcmp(e.split, split) != 0) continue;
        const size_t *anns;
        size_t na;
        if ((st = ts_dataset_image_annotations(ctx, ds, i, &anns, &na))) break;
        int32_t label = -1;
        for (size_t a = 0; a < na && label < 0; a++) {
            ts_annotation ann;
            ts_dataset_annotation(ds, anns[a], &ann);
            if (ann.kind != TS_ANN_LABEL || (ann.flags & TS_ANN_HAS_SCORE)) continue;
            for (int k = 0; k < m->classes; k++)
                if (m->class_ids[k] == ann.category_id) label = k;
            if (label < 0) label = -2; /* labelled, but not with one of the model's classes */
        }
        if (label == -2) label = -1;
        if (labelled_only && label < 0) continue;
        images[n] = i;
        labels[n++] = label;
    }
    ts_nn_data d = {0};
    d.n = n, d.c = m->c, d.h = m->h, d.w = m->w;
    size_t per = (size_t)m->c * m->h * m->w;
    ts_status *status = NULL;
    ts_pool *pool = NULL;
    if (!st && n == 0)
        st = ts_error(ctx, TS_ERR_INVALID, "no %simages%s%s%s", labelled_only ? "labelled " : "",
                      split && *split ? " in split \"" : "", split && *split ? split : "", split && *split ? "\"" : "");
    if (!st) {
        d.pixels = ts_alloc_array(ctx, n, per);
        d.image_ids = ts_alloc_array(ctx, n, sizeof(int64_t));
        status = ts_calloc_array(ctx, n, sizeof *status);
        if (!d.pixels || !d.image_ids || !status) st = TS_ERR_NOMEM;
    }
    if (!st) st = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    if (!st) {
        load_job j = {ctx, ds, images, &d, status};
        ts_pool_run(pool, n, 256, load_range, &j);
        for (size_t i = 0; i < n && !st; i++) st = status[i];
        for (size_t i = 0; i < n; i++) d.image_ids[i] = ts_dataset_image_id(ds, images[i]);
    }
    ts_pool_destroy(pool);
    free(status), free(images);
    if (st) {
        free(labels);
        ts_nn_data_free(&d);
        return st;
    }
    d.labels = labels;
    *out = d;
    return TS_OK;
}

void ts_nn_data_stats(const ts_nn_data *d, float *mean, float *std) {
    size_t hw = (size_t)d->h * d->w;
    for (int k = 0; k < d->c; k++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < d->n; i++) {
            const uint8_t *p = d->pixels + (i * (size_t)d->c + (size_t)k) * hw;
            uint64_t a = 0, b = 0;
            for (size_t j = 0; j < hw; j++) a += p[j], b += (uint64_t)p[j] * p[j];
            s += (double)a, ss += (double)b;
        }
        double cnt = (double)d->n * (double)hw;
        double mu = cnt > 0 ? s / cnt : 0, var = cnt > 0 ? ss / cnt - mu * mu : 0;
        mean[k] = (float)(mu / 255.0);
        std[k] = var > 1e-6 ? (float)(sqrt(var) / 255.0) : 1.0f;
    }
}

/* ---- the in-memory source ----------------------------------------------------- */

/* Run the pipeline on one CHW sample; *out gets CHW pixels at the input
 * size (malloc'd). */
static ts_status augment(ts_ctx *ctx, const ts_nn_data_source *s, uint64_t epoch, size_t index, const uint8_t *px,
                         uint8_t **out) {
    const ts_nn_data *d = s->data;
    int c = d->c, h = d->h, w = d->w;
    ts_aug_sample smp;
    memset(&smp, 0, sizeof smp);
    ts_status st = ts_image_alloc(ctx, w, h, c, TS_PIX_U8, &smp.image);
    if (st) return st;
    for (int y = 0; y < h; y++) {
        uint8_t *row = ts_image_row(&smp.image, y);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) row[x * c + k] = px[((size_t)k * h + (size_t)y) * (size_t)w + (size_t)x];
    }
    st = ts_aug_apply(ctx, s->pipeline, s->seed, epoch, index, &smp, NULL);
    ts_image img = smp.image, tmp;
    if (!st && img.c != c) {
        st = ts_image_convert(ctx, &img, c, &tmp);
        if (!st) ts_image_free(&smp.image), smp.image = img = tmp;
    }
    if (!st && (img.w != w || img.h != h)) {
        st = ts_image_resize(ctx, &img, w, h, img.w > w || img.h > h ? TS_INTERP_AREA : TS_INTERP_BILINEAR, &tmp);
        if (!st) ts_image_free(&smp.image), smp.image = img = tmp;
    }
    uint8_t *o = st ? NULL : ts_alloc_array(ctx, (size_t)c * h, (size_t)w);
    if (!st && !o) st = TS_ERR_NOMEM;
    for (int y = 0; !st && y < h; y++) {
        const uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) o[((size_t)k * h + (size_t)y) * (size_t)w + (size_t)x] = row[x * c + k];
    }
    ts_aug_sample_clear(&smp);
    if (st) {
        free(o);
        return st;
    }
    *out = o;
    return TS_OK;
}

static ts_status data_sample(void *user, ts_ctx *ctx, uint64_t epoch, size_t index, float *x, int32_t *label) {
    const ts_nn_data_source *s = user;
    const ts_nn_data *d = s->data;
    if (index >= d->n) return ts_error(ctx, TS_ERR_INVALID, "sample %zu of %zu", index, d->n);
    int c = d->c, h = d->h, w = d->w, pad = s->crop_pad, flip = 0, dx = 0, dy = 0;
    if (s->flip || pad > 0) {
        ts_rng rng = ts_rng_for(s->seed, epoch, index, OP_AUG);
        flip = s->flip && ts_rng_chance(&rng, 0.5);
        if (pad > 0) {
            dx = (int)ts_rng_below(&rng, (uint64_t)(2 * pad + 1)) - pad;
            dy = (int)ts_rng_below(&rng, (uint64_t)(2 * pad + 1)) - pad;
        }
    }
    const uint8_t *px = d->pixels + index * (size_t)c * h * w;
    uint8_t *augmented = NULL;
    if (s->pipeline) {
        ts_status st = augment(ctx, s, epoch, index, px, &augmented);
        if (st) return st;
        px = augmented;
    }
    for (int k = 0; k < c; k++) {
        float sd = s->model->std[k] > 0 ? s->model->std[k] : 1.0f;
        float scale = 1.0f / (255.0f * sd), shift = -s->model->mean[k] / sd;
        const uint8_t *plane = px + (size_t)k * h * w;
        float *o = x + (size_t)k * h * w;
        for (int y = 0; y < h; y++) {
            int sy = y + dy;
            for (int xx = 0; xx < w; xx++) {
                int sx = (flip ? w - 1 - xx : xx) + dx;
                float v = sy >= 0 && sy < h && sx >= 0 && sx < w ? plane[(size_t)sy * w + sx] : 0.0f;
                o[(size_t)y * w + xx] = v * scale + shift;
            }
        }
    }
    free(augmented);
    *label = d->labels[index];
    return TS_OK;
}

static ts_status data_order_sequential(void *user, ts_ctx *ctx, uint64_t epoch, size_t **order, size_t *len) {
    (void)epoch;
    const ts_nn_data_source *s = user;
    size_t n = s->data->n;
    size_t *o = ts_alloc_array(ctx, n ? n : 1, sizeof *o);
    if (!o) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) o[i] = i;
    *order = o, *len = n;
    return TS_OK;
}

static ts_status data_order_custom(void *user, ts_ctx *ctx, uint64_t epoch, size_t **order, size_t *len) {
    const ts_nn_data_source *s = user;
    return s->order(s->order_user, ctx, epoch, order, len);
}

ts_nn_source ts_nn_data_source_make(ts_nn_data_source *state) {
    ts_nn_source s;
    s.count = state->data->n;
    s.sample = data_sample;
    s.order = state->sequential ? data_order_sequential : state->order ? data_order_custom : NULL;
    s.user = state;
    return s;
}
