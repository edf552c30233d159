/* Queries over the dataset model (per-image annotation lists, lookups by
 * path and name), origins and pixel sources, metadata, copying, checks. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

/* ---- pixel sources ---------------------------------------------------------- */

struct ts_pixel_source {
    ts_pixel_source_fns fns;
    void *user;
    atomic_int refs;
};

ts_status ts_pixel_source_create(ts_ctx *ctx, const ts_pixel_source_fns *fns, void *user, ts_pixel_source **out) {
    if (!fns || !fns->load) return ts_error(ctx, TS_ERR_INVALID, "pixel source without a load function");
    ts_pixel_source *src = calloc(1, sizeof *src);
    if (!src) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    src->fns = *fns;
    src->user = user;
    atomic_init(&src->refs, 1);
    *out = src;
    return TS_OK;
}

ts_pixel_source *ts_pixel_source_retain(ts_pixel_source *src) {
    if (src) atomic_fetch_add(&src->refs, 1);
    return src;
}

void ts_pixel_source_release(ts_pixel_source *src) {
    if (!src || atomic_fetch_sub(&src->refs, 1) != 1) return;
    if (src->fns.destroy) src->fns.destroy(src->user);
    free(src);
}

ts_status ts_pixel_source_load(ts_pixel_source *src, ts_ctx *ctx, uint64_t key, ts_image *out) {
    return src->fns.load(src->user, ctx, key, out);
}

ts_status ts_pixel_source_bytes(ts_pixel_source *src, ts_ctx *ctx, uint64_t key, uint8_t **data, size_t *len) {
    if (!src || !src->fns.bytes) return TS_ERR_UNSUPPORTED;
    return src->fns.bytes(src->user, ctx, key, data, len);
}

/* ---- origins and metadata ------------------------------------------------------ */

ts_status ts_dataset_add_origin(ts_ctx *ctx, ts_dataset *ds, const char *root, ts_pixel_source *pixels,
                                uint32_t *origin) {
    if (ts_grow(ctx, (void **)&ds->origins, &ds->cap_origins, ds->n_origins + 1, sizeof *ds->origins) != TS_OK)
        return TS_ERR_NOMEM;
    char *copy = ts_strdup(ctx, root ? root : "");
    if (!copy) return TS_ERR_NOMEM;
    ds->origins[ds->n_origins].root = copy;
    ds->origins[ds->n_origins].pixels = ts_pixel_source_retain(pixels);
    *origin = (uint32_t)ds->n_origins++;
    return TS_OK;
}

size_t ts_dataset_origin_count(const ts_dataset *ds) { return ds->n_origins; }

ts_origin ts_dataset_origin(const ts_dataset *ds, uint32_t origin) {
    ts_origin o = {"", NULL};
    if (origin < ds->n_origins) {
        o.root = ds->origins[origin].root;
        o.pixels = ds->origins[origin].pixels;
    }
    return o;
}

ts_status ts_dataset_set_root(ts_ctx *ctx, ts_dataset *ds, const char *root) {
    char *copy = ts_strdup(ctx, root ? root : "");
    if (!copy) return TS_ERR_NOMEM;
    free(ds->origins[0].root);
    ds->origins[0].root = copy;
    return TS_OK;
}

ts_status ts_dataset_set_meta(ts_ctx *ctx, ts_dataset *ds, const char *key, const char *value) {
    char *v = ts_strdup(ctx, value ? value : "");
    if (!v) return TS_ERR_NOMEM;
    for (size_t i = 0; i < ds->n_meta; i++) {
        if (strcmp(ds->meta_keys[i], key) == 0) {
            free(ds->meta_values[i]);
            ds->meta_values[i] = v;
            return TS_OK;
        }
    }
    size_t cap = ds->cap_meta;
    char *k = ts_strdup(ctx, key);
    if (!k || ts_grow(ctx, (void **)&ds->meta_keys, &cap, ds->n_meta + 1, sizeof(char *)) != TS_OK) {
        free(k);
        free(v);
        return TS_ERR_NOMEM;
    }
    cap = ds->cap_meta;
    if (ts_grow(ctx, (void **)&ds->meta_values, &cap, ds->n_meta + 1, sizeof(char *)) != TS_OK) {
        free(k);
        free(v);
        return TS_ERR_NOMEM;
    }
    ds->cap_meta = cap;
    ds->meta_keys[ds->n_meta] = k;
    ds->meta_values[ds->n_meta] = v;
    ds->n_meta++;
    return TS_OK;
}

const char *ts_dataset_meta(const ts_dataset *ds, const char *key) {
    for (size_t i = 0; i < ds->n_meta; i++)
        if (strcmp(ds->meta_keys[i], key) == 0) return ds->meta_values[i];
    return NULL;
}

size_t ts_dataset_meta_count(const ts_dataset *ds) { return ds->n_meta; }

void ts_dataset_meta_at(const ts_dataset *ds, size_t i, const char **key, const char **value) {
    *key = ds->meta_keys[i];
    *value = ds->meta_values[i];
}

/* ---- lazily built indices ----------------------------------------------------------- */

static ts_status build_per_image(ts_ctx *ctx, ts_dataset *ds) {
    size_t *first = ts_calloc_array(ctx, ds->n_images + 1, sizeof *first);
    size_t *list = ts_alloc_array(ctx, ds->n_anns ? ds->n_anns : 1, sizeof *list);
    uint32_t *img_of = ts_alloc_array(ctx, ds->n_anns ? ds->n_anns : 1, sizeof *img_of);
    if (!first || !list || !img_of) {
        free(first);
        free(list);
        free(img_of);
        return TS_ERR_NOMEM;
    }
    uint32_t img = UINT32_MAX;
    for (size_t a = 0; a < ds->n_anns; a++) {
        /* annotations mostly come grouped by image: look up each run once */
        if (a == 0 || ds->ann_image[a] != ds->ann_image[a - 1]) {
            uint32_t i;
            img = id_map_get(&ds->image_map, ds->ann_image[a], &i) ? i : UINT32_MAX;
        }
        img_of[a] = img;
        if (img != UINT32_MAX) first[img + 1]++;
    }
    for (size_t i = 0; i < ds->n_images; i++) first[i + 1] += first[i];
    size_t *fill = ts_alloc_array(ctx, ds->n_images ? ds->n_images : 1, sizeof *fill);
    if (!fill) {
        free(first);
        free(list);
        free(img_of);
        return TS_ERR_NOMEM;
    }
    if (ds->n_images) memcpy(fill, first, ds->n_images * sizeof *fill);
    for (size_t a = 0; a < ds->n_anns; a++)
        if (img_of[a] != UINT32_MAX) list[fill[img_of[a]]++] = a;
    free(fill);
    free(img_of);
    free(ds->per_image_first);
    free(ds->per_image_list);
    ds->per_image_first = first;
    ds->per_image_list = list;
    ds->per_image_valid = 1;
    return TS_OK;
}

ts_status ts_dataset_image_annotations(ts_ctx *ctx, const ts_dataset *cds, size_t image_index, const size_t **indices,
                                       size_t *count) {
    ts_dataset *ds = (ts_dataset *)cds; /* the index is a cache */
    pthread_mutex_lock(&ds->lock);
    ts_status s = ds->per_image_valid ? TS_OK : build_per_image(ctx, ds);
    pthread_mutex_unlock(&ds->lock);
    if (s != TS_OK) return s;
    *indices = ds->per_image_list + ds->per_image_first[image_index];
    *count = ds->per_image_first[image_index + 1] - ds->per_image_first[image_index];
    return TS_OK;
}

static int find_by_string(const ts_dataset *cds, id_map *map, int *valid, int images, const char *s, size_t *index) {
    ts_dataset *ds = (ts_dataset *)cds;
    uint32_t sid, i;
    if (!ts_strpool_find(ds->strings, s, strlen(s), &sid)) return 0;
    pthread_mutex_lock(&ds->lock);
    int ok = 1;
    if (!*valid) {
        id_map_free(map);
        size_t n = images ? ds->n_images : ds->n_categories;
        for (size_t k = n; k-- > 0 && ok;) { /* backwards: the first record wins */
            uint32_t key = images ? ds->images[k].path : ds->categories[k].name;
            ok = id_map_put(map, key, (uint32_t)k) == TS_OK;
        }
        *valid = ok;
    }
    int found = ok && id_map_get(map, sid, &i);
    pthread_mutex_unlock(&ds->lock);
    if (found) *index = i;
    return found;
}

int ts_dataset_find_image_path(const ts_dataset *ds, const char *path, size_t *index) {
    ts_dataset *m = (ts_dataset *)ds;
    return find_by_string(ds, &m->path_map, &m->path_map_valid, 1, path, index);
}

int ts_dataset_find_category_name(const ts_dataset *ds, const char *name, size_t *index) {
    ts_dataset *m = (ts_dataset *)ds;
    return find_by_string(ds, &m->name_map, &m->name_map_valid, 0, name, index);
}

/* ---- copying ------------------------------------------------------------------------- */

ts_status ts_dataset_copy_image(ts_ctx *ctx, ts_dataset *dst, const ts_dataset *src, size_t src_index, int64_t new_id,
                                size_t *index) {
    ts_image_entry e;
    ts_dataset_image(src, src_index, &e);
    ts_origin o = ts_dataset_origin(src, e.origin);
    uint32_t origin = UINT32_MAX;
    for (size_t i = 0; i < dst->n_origins; i++) {
        if (dst->origins[i].pixels == o.pixels && strcmp(dst->origins[i].root, o.root) == 0) {
            origin = (uint32_t)i;
            break;
        }
    }
    if (origin == UINT32_MAX) {
        ts_status s = ts_dataset_add_origin(ctx, dst, o.root, o.pixels, &origin);
        if (s != TS_OK) return s;
    }
    e.origin = origin;
    if (new_id != TS_NO_ID) e.id = new_id;
    return ts_dataset_add_image(ctx, dst, &e, index);
}

/* ---- validation ------------------------------------------------------------------------ */

static ts_status problem(ts_ctx *ctx, uint64_t *count, const char *fmt, long long a, long long b) {
    if (!ts_ctx_lenient(ctx)) return ts_error(ctx, TS_ERR_INVALID, fmt, a, b);
    if (++*count <= 10) ts_warn(ctx, fmt, a, b);
    return TS_OK;
}

ts_status ts_dataset_validate(ts_ctx *ctx, const ts_dataset *ds) {
    uint64_t problems = 0;
    ts_status s = TS_OK;
    for (size_t i = 0; i < ds->n_anns && s == TS_OK; i++) {
        size_t k;
        long long id = (long long)ds->anns[i].id;
        if (!ts_dataset_find_image(ds, ds->ann_image[i], &k))
            s = problem(ctx, &problems, "annotation %lld refers to missing image %lld", id, (long long)ds->ann_image[i]);
        else if (ds->ann_category[i] != TS_NO_ID && !ts_dataset_find_category(ds, ds->ann_category[i], &k))
            s = problem(ctx, &problems, "annotation %lld refers to missing category %lld", id,
                        (long long)ds->ann_category[i]);
        else if (ds->anns[i].flags & TS_ANN_HAS_BOX) {
            const double *b = ds->ann_bbox[i];
            if (!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3]))
                s = problem(ctx, &problems, "annotation %lld has a non-finite box (image %lld)", id,
                            (long long)ds->ann_image[i]);
            else if (b[2] < 0 || b[3] < 0)
                s = problem(ctx, &problems, "annotation %lld has a box of negative size (image %lld)", id,
                            (long long)ds->ann_image[i]);
        }
    }
    if (s == TS_OK && problems > 10) ts_warn(ctx, "%llu annotation problems in all", (unsigned long long)problems);
    return s;
}

size_t ts_dataset_memory(const ts_dataset *ds) {
    size_t n = sizeof *ds + ts_strpool_bytes(ds->strings);
    n += ds->cap_images * (sizeof(image_rec) + sizeof(int64_t));
    n += ds->cap_categories * sizeof(category_rec);
    n += ds->cap_anns * (sizeof(ann_rec) + 2 * sizeof(int64_t) + 4 * sizeof(double));
    n += ds->cap_coords * sizeof(double) + ds->cap_u32s * sizeof(uint32_t) + ds->cap_attrs * sizeof(ts_attr);
    n += (ds->image_map.mask + 1) * 12 + (ds->ann_map.mask + 1) * 12 + (ds->category_map.mask + 1) * 12;
    return n;
}
