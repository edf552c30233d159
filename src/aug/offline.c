/* Offline augmentation: variants of a dataset's images written as files,
 * in parallel, and a dataset describing them built in a fixed order. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"
#include "trainset/formats.h"
#include "trainset/json.h"

typedef struct {
    size_t image;  /* source image index */
    uint32_t copy;
    char *path;    /* relative to image_dir */
    ts_aug_sample result; /* objects kept; pixels freed once written */
    char *log;
    const char *replay; /* the "aug" object of the log line for this variant */
    size_t replay_len;
} variant;

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const ts_aug_pipeline *p;
    const ts_aug_offline_opts *o;
    variant *v;
    size_t n;
    _Atomic int status;
    atomic_size_t done;
} job;

static int image_selected(const ts_dataset *ds, size_t i, const char *classes) {
    if (!classes) return 1;
    const size_t *list;
    size_t n;
    if (ts_dataset_image_annotations(NULL, ds, i, &list, &n) != TS_OK) return 0;
    for (size_t k = 0; k < n; k++) {
        size_t c;
        if (!ts_dataset_find_category(ds, ts_dataset_annotation_category_id(ds, list[k]), &c)) continue;
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        size_t len = strlen(cat.name);
        for (const char *p = classes; *p;) {
            const char *end = strchr(p, ',');
            size_t l = end ? (size_t)(end - p) : strlen(p);
            if (l == len && strncmp(p, cat.name, l) == 0) return 1;
            if (!end) break;
            p = end + 1;
        }
    }
    return 0;
}

static ts_status make_variant(job *j, variant *v) {
    ts_ctx *ctx = j->ctx;
    ts_status s = ts_aug_sample_from_dataset(ctx, j->ds, v->image, &v->result);
    if (s != TS_OK) return s;
    v->result.partner = ts_aug_partner_from_dataset;
    v->result.partner_user = (void *)j->ds;
    ts_buf log = {0};
    uint64_t index = (uint64_t)v->image * j->o->copies + v->copy;
    if (v->replay) s = ts_aug_replay(ctx, j->p, v->replay, v->replay_len, &v->result);
    else s = ts_aug_apply(ctx, j->p, j->o->seed, j->o->epoch, index, &v->result, j->o->log ? &log : NULL);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (s == TS_OK) {
        ts_encode_opts eo = {ts_codec_from_path(v->path), 95, 0};
        s = ts_image_encode(ctx, &v->result.image, &eo, &bytes, &len);
    }
    char *full = s == TS_OK ? ts_path_join(j->o->image_dir, v->path) : NULL;
    if (s == TS_OK && !full) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = ts_file_write_staged(ctx, full, bytes, len);
    free(full);
    free(bytes);
    v->log = log.data;
    /* keep size and targets, drop pixels */
    int w = v->result.image.w, h = v->result.image.h;
    ts_image_free(&v->result.image);
    v->result.image.w = w, v->result.image.h = h;
    return s;
}

static void run_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    job *j = user;
    for (size_t i = begin; i < end; i++) {
        if (atomic_load(&j->status) != TS_OK) return;
        ts_status s = make_variant(j, &j->v[i]);
        if (s != TS_OK) atomic_store(&j->status, (int)s);
        size_t done = atomic_fetch_add(&j->done, 1) + 1;
        ts_progress(j->ctx, "augmenting", done, j->n);
    }
}

ts_status ts_aug_sample_annotate(ts_ctx *ctx, const ts_aug_sample *s, ts_dataset *out, int64_t image_id,
                                 int64_t *next_id) {
    for (size_t k = 0; k < s->n_objects; k++) {
        const ts_aug_object *o = &s->objects[k];
        ts_annotation a = ts_annotation_empty();
        a.id = (*next_id)++;
        a.image_id = image_id;
        a.category_id = o->category_id;
        a.flags = o->has_box ? TS_ANN_HAS_BOX : 0;
        memcpy(a.bbox, o->bbox, sizeof a.bbox);
        a.coords = o->coords, a.ring_sizes = o->ring_sizes, a.n_rings = o->n_rings;
        a.keypoints = o->keypoints, a.n_keypoints = o->n_keypoints;
        a.kind = o->n_rings ? TS_ANN_POLYGON : o->mask ? TS_ANN_MASK : o->n_keypoints ? TS_ANN_KEYPOINTS
                 : o->has_box ? TS_ANN_BOX : TS_ANN_LABEL;
        uint32_t *rle = NULL, n = 0;
        if (o->mask) {
            ts_status st = ts_rle_encode(ctx, o->mask, (uint32_t)s->image.h, (uint32_t)s->image.w, 1, &rle, &n);
            if (st != TS_OK) return st;
            a.rle = rle, a.rle_len = n, a.mask_h = (uint32_t)s->image.h, a.mask_w = (uint32_t)s->image.w;
            a.area = (double)ts_rle_area(rle, n);
        } else if (o->n_rings) {
            aug_object_area(o, &a.area);
        } else if (o->has_box) {
            a.area = o->bbox[2] * o->bbox[3];
        }
        a.flags |= TS_ANN_HAS_AREA;
        ts_status st = ts_dataset_add_annotation(ctx, out, &a, NULL);
        free(rle);
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

static ts_status attach_replay(ts_ctx *ctx, variant *v, size_t n, const char *text, size_t len, ts_jvalue ***docs,
                               size_t *ndocs, const ts_dataset *ds, uint32_t copies) {
    /* each line: {"image_id": ID, "copy": K, "aug": {...}} */
    size_t count = 0;
    for (size_t i = 0; i < len; i++) count += text[i] == '\n';
    *docs = ts_calloc_array(ctx, count + 1, sizeof **docs);
    if (!*docs) return TS_ERR_NOMEM;
    const char *p = text, *end = text + len;
    size_t line = 0;
    ts_status s = TS_OK;
    while (p < end && s == TS_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (l > 0) {
            ts_jvalue *doc;
            s = ts_json_parse(ctx, "replay log", p, l, &doc);
            if (s != TS_OK) break;
            (*docs)[(*ndocs)++] = doc;
            int64_t id, copy;
            size_t idx;
            const ts_jvalue *aug = ts_json_get(doc, "aug");
            if (!ts_json_get_int(doc, "image_id", &id) || !ts_json_get_int(doc, "copy", &copy) || !aug ||
                !ts_dataset_find_image(ds, id, &idx) || copy < 0 || copy >= copies) {
                s = ts_error(ctx, TS_ERR_INVALID, "replay log line %zu: unknown image or copy (same dataset and --copies?)", line);
                break;
            }
            for (size_t k = 0; k < n; k++)
                if (v[k].image == idx && v[k].copy == (uint32_t)copy) {
                    ts_buf b = {0};
                    if (ts_json_write(&b, aug) != TS_OK) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
                    v[k].replay = b.data;
                    v[k].replay_len = b.len;
                }
        }
        p += l + 1;
    }
    return s;
}

ts_status ts_aug_offline(ts_ctx *ctx, const ts_dataset *in, const ts_aug_pipeline *p, const ts_aug_offline_opts *o,
                         ts_dataset **out) {
    if (o->copies == 0) return ts_error(ctx, TS_ERR_INVALID, "augment: --copies must be at least 1");
    size_t ni = ts_dataset_image_count(in), selected = 0;
    const size_t *list;
    size_t cnt;
    if (ni && ts_dataset_image_annotations(ctx, in, 0, &list, &cnt) != TS_OK) return TS_ERR_NOMEM;
    for (size_t i = 0; i < ni; i++) selected += image_selected(in, i, o->classes);
    size_t n;
    if (!ts_mul_size(selected, o->copies, &n)) return ts_error(ctx, TS_ERR_LIMIT, "too many variants");
    variant *v = ts_calloc_array(ctx, n ? n : 1, sizeof *v);
    if (!v) return TS_ERR_NOMEM;
    ts_status s = TS_OK;
    size_t w = 0;
    for (size_t i = 0; i < ni && s == TS_OK; i++) {
        if (!image_selected(in, i, o->classes)) continue;
        ts_image_entry e;
        ts_dataset_image(in, i, &e);
        ts_codec codec = ts_codec_from_path(e.path);
        for (uint32_t k = 0; k < o->copies && s == TS_OK; k++, w++) {
            ts_buf path = {0};
            if (ts_buf_printf(&path, "aug/%lld_%u.%s", (long long)e.id, k, codec == TS_CODEC_JPEG ? "jpg" : "png") != TS_OK)
                s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
            v[w].image = i, v[w].copy = k, v[w].path = path.data;
        }
    }
    ts_jvalue **docs = NULL;
    size_t ndocs = 0;
    if (s == TS_OK && o->replay) s = attach_replay(ctx, v, n, o->replay, o->replay_len, &docs, &ndocs, in, o->copies);
    for (size_t i = 0; s == TS_OK && o->replay && i < n; i++)
        if (!v[i].replay) s = ts_error(ctx, TS_ERR_INVALID, "replay log has no line for image %lld copy %u",
                                       (long long)ts_dataset_image_id(in, v[i].image), v[i].copy);
    ts_pool *pool = NULL;
    if (s == TS_OK) s = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    job j = {ctx, in, p, o, v, n, TS_OK, 0};
    if (s == TS_OK) {
        ts_pool_run(pool, n, 1, run_range, &j);
        s = (ts_status)atomic_load(&j.status);
    }
    ts_pool_destroy(pool);
    ts_dataset *ds = NULL;
    uint32_t origin = 0;
    if (s == TS_OK) s = ts_dataset_create(ctx, &ds);
    if (s == TS_OK) s = ts_dataset_add_origin(ctx, ds, o->image_dir, NULL, &origin);
    for (size_t c = 0; s == TS_OK && c < ts_dataset_category_count(in); c++) {
        ts_category cat;
        ts_dataset_category(in, c, &cat);
        s = ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    int64_t next_image = ts_dataset_next_image_id(in), next_ann = 1;
    if (o->with_originals) {
        for (size_t i = 0; s == TS_OK && i < ni; i++) {
            s = ts_dataset_copy_image(ctx, ds, in, i, TS_NO_ID, NULL);
            if (s == TS_OK) s = ts_dataset_image_annotations(ctx, in, i, &list, &cnt);
            for (size_t k = 0; s == TS_OK && k < cnt; k++) {
                ts_annotation a;
                ts_dataset_annotation(in, list[k], &a);
                a.id = next_ann++;
                s = ts_dataset_add_annotation(ctx, ds, &a, NULL);
            }
        }
    }
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        ts_image_entry src, e = ts_image_entry_empty();
        ts_dataset_image(in, v[i].image, &src);
        ts_buf source = {0};
        ts_buf_printf(&source, "augment:%s", src.path);
        e.id = next_image++;
        e.path = v[i].path;
        e.width = v[i].result.image.w, e.height = v[i].result.image.h;
        e.split = src.split;
        e.group_id = src.group_id != TS_NO_ID ? src.group_id : src.id;
        e.license = src.license;
        e.source = source.data ? source.data : "augment";
        e.origin = origin;
        e.attrs = src.attrs, e.n_attrs = src.n_attrs;
        s = ts_dataset_add_image(ctx, ds, &e, NULL);
        ts_buf_free(&source);
        if (s == TS_OK) s = ts_aug_sample_annotate(ctx, &v[i].result, ds, e.id, &next_ann);
        if (s == TS_OK && o->log && v[i].log) {
            s = ts_buf_printf(o->log, "{\"image_id\": %lld, \"copy\": %u, \"aug\": ", (long long)src.id, v[i].copy);
            size_t l = strlen(v[i].log);
            while (l && v[i].log[l - 1] == '\n') l--;
            if (s == TS_OK) s = ts_buf_append(o->log, v[i].log, l);
            if (s == TS_OK) s = ts_buf_puts(o->log, "}\n");
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(v[i].path);
        free(v[i].log);
        free((char *)v[i].replay);
        ts_aug_sample_clear(&v[i].result);
    }
    for (size_t i = 0; i < ndocs; i++) ts_json_free(docs[i]);
    free(docs);
    free(v);
    if (s != TS_OK) {
        ts_dataset_destroy(ds);
        return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
    }
    *out = ds;
    return TS_OK;
}
