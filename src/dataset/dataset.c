/* The dataset model: adding, reading and updating images, categories and
 * annotations; geometry and attributes live in shared pools. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

const ts_attr *ts_attr_find(const ts_attr *attrs, uint32_t n, const char *key) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(attrs[i].key, key) == 0) return &attrs[i];
    return NULL;
}

const char *ts_attr_value(const ts_attr *attrs, uint32_t n, const char *key) {
    const ts_attr *a = ts_attr_find(attrs, n, key);
    return a ? a->value : NULL;
}

ts_annotation ts_annotation_empty(void) {
    ts_annotation a;
    memset(&a, 0, sizeof a);
    a.image_id = TS_NO_ID;
    a.category_id = TS_NO_ID;
    a.kind = TS_ANN_LABEL;
    a.annotator = "";
    a.track_id = TS_NO_ID;
    a.frame = -1;
    return a;
}

ts_image_entry ts_image_entry_empty(void) {
    ts_image_entry e;
    memset(&e, 0, sizeof e);
    e.path = "";
    e.split = "";
    e.source = "";
    e.group_id = TS_NO_ID;
    e.license = TS_NO_ID;
    return e;
}

ts_category ts_category_empty(void) {
    ts_category c;
    memset(&c, 0, sizeof c);
    c.name = "";
    c.supercategory = "";
    c.parent_id = TS_NO_ID;
    return c;
}

const char *ts_ann_kind_name(ts_ann_kind kind) {
    static const char *names[] = {"label", "box", "polygon", "mask", "keypoints", "polyline", "points"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

ts_status ts_dataset_create(ts_ctx *ctx, ts_dataset **out) {
    ts_dataset *ds = calloc(1, sizeof *ds);
    if (!ds || ts_strpool_create(&ds->strings) != TS_OK) {
        free(ds);
        return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate dataset");
    }
    pthread_mutex_init(&ds->lock, NULL);
    uint32_t origin;
    if (ts_dataset_add_origin(ctx, ds, "", NULL, &origin) != TS_OK) {
        ts_dataset_destroy(ds);
        return TS_ERR_NOMEM;
    }
    *out = ds;
    return TS_OK;
}

static void invalidate_indices(ts_dataset *ds) {
    ds->per_image_valid = 0;
    ds->path_map_valid = 0;
    ds->name_map_valid = 0;
}

void ts_dataset_destroy(ts_dataset *ds) {
    if (!ds) return;
    for (size_t i = 0; i < ds->n_categories; i++) {
        free(ds->categories[i].keypoints);
        free(ds->categories[i].skeleton);
    }
    for (size_t i = 0; i < ds->n_origins; i++) {
        free(ds->origins[i].root);
        ts_pixel_source_release(ds->origins[i].pixels);
    }
    for (size_t i = 0; i < ds->n_meta; i++) {
        free(ds->meta_keys[i]);
        free(ds->meta_values[i]);
    }
    free(ds->meta_keys);
    free(ds->meta_values);
    free(ds->origins);
    free(ds->image_ids);
    free(ds->images);
    free(ds->categories);
    free(ds->ann_image);
    free(ds->ann_category);
    free(ds->ann_bbox);
    free(ds->anns);
    free(ds->coords);
    free(ds->u32s);
    free(ds->attrs);
    free(ds->per_image_first);
    free(ds->per_image_list);
    id_map_free(&ds->image_map);
    id_map_free(&ds->category_map);
    id_map_free(&ds->ann_map);
    id_map_free(&ds->path_map);
    id_map_free(&ds->name_map);
    ts_strpool_destroy(ds->strings);
    pthread_mutex_destroy(&ds->lock);
    free(ds);
}

size_t ts_dataset_image_count(const ts_dataset *ds) { return ds->n_images; }
size_t ts_dataset_category_count(const ts_dataset *ds) { return ds->n_categories; }
size_t ts_dataset_annotation_count(const ts_dataset *ds) { return ds->n_anns; }

/* ---- pools ------------------------------------------------------------------ */

static ts_status intern(ts_ctx *ctx, ts_dataset *ds, const char *s, uint32_t *id) {
    if (!s || !*s) { /* the pool's first string; most annotators, splits, sources */
        *id = 0;
        return TS_OK;
    }
    if (ts_strpool_intern(ds->strings, s, strlen(s), id) != TS_OK)
        return ts_error(ctx, TS_ERR_NOMEM, "cannot store string");
    return TS_OK;
}

const char *ts_dataset_intern(ts_ctx *ctx, ts_dataset *ds, const char *s) {
    uint32_t id;
    return intern(ctx, ds, s, &id) == TS_OK ? ts_strpool_get(ds->strings, id) : NULL;
}

static const char *str(const ts_dataset *ds, uint32_t id) { return ts_strpool_get(ds->strings, id); }

/* Interned id of an attribute key. Records repeat the same few keys, so
 * a compare with the last ones found beats hashing into the pool. */
static int attr_key(ts_ctx *ctx, ts_dataset *ds, const char *key, uint32_t *id) {
    if (!key) key = "";
    for (int i = 0; i < 4; i++) {
        uint32_t k = ds->attr_keys[i];
        if (k && strcmp(str(ds, k), key) == 0) {
            *id = k;
            return 1;
        }
    }
    if (intern(ctx, ds, key, id) != TS_OK) return 0;
    memmove(ds->attr_keys + 1, ds->attr_keys, 3 * sizeof ds->attr_keys[0]);
    ds->attr_keys[0] = *id;
    return 1;
}

static ts_status store_attrs(ts_ctx *ctx, ts_dataset *ds, const ts_attr *attrs, uint32_t n, uint64_t *off) {
    *off = ds->n_attrs;
    if (n == 0) return TS_OK;
    /* attrs may point into ds->attrs itself (updates): copy first */
    ts_attr *tmp = ts_alloc_array(ctx, n, sizeof *tmp);
    if (!tmp) return TS_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k, v;
        if (!attr_key(ctx, ds, attrs[i].key, &k) || intern(ctx, ds, attrs[i].value, &v) != TS_OK) {
            free(tmp);
            return TS_ERR_NOMEM;
        }
        tmp[i].key = str(ds, k);
        tmp[i].value = str(ds, v);
        tmp[i].type = attrs[i].type;
    }
    ts_status s = ts_grow(ctx, (void **)&ds->attrs, &ds->cap_attrs, ds->n_attrs + n, sizeof *ds->attrs);
    if (s == TS_OK) {
        memcpy(ds->attrs + ds->n_attrs, tmp, n * sizeof *tmp);
        ds->n_attrs += n;
    }
    free(tmp);
    return s;
}

static int points_into(const void *pool, size_t len, size_t elem, const void *p) {
    return pool && p && (const char *)p >= (const char *)pool && (const char *)p < (const char *)pool + len * elem;
}

static void *copy_of(const void *src, size_t n, size_t elem) {
    if (!n) return NULL;
    void *p = malloc(n * elem);
    if (p) memcpy(p, src, n * elem);
    return p;
}

/* Append `n` values (not pointing into the pool) to a pool. */
static ts_status pool_append(ts_ctx *ctx, void **pool, size_t *len, size_t *cap, size_t elem, const void *src,
                             size_t n) {
    if (n == 0) return TS_OK;
    size_t need;
    if (!ts_add_size(*len, n, &need)) return ts_error(ctx, TS_ERR_NOMEM, "geometry pool overflow");
    if (ts_grow(ctx, pool, cap, need, elem) != TS_OK) return TS_ERR_NOMEM;
    memcpy((char *)*pool + *len * elem, src, n * elem);
    *len = need;
    return TS_OK;
}

/* ---- images ----------------------------------------------------------------- */

static ts_status fill_image_rec(ts_ctx *ctx, ts_dataset *ds, const ts_image_entry *img, image_rec *rec) {
    if (img->origin >= ds->n_origins)
        return ts_error(ctx, TS_ERR_INVALID, "image %lld: unknown origin %u", (long long)img->id, img->origin);
    if (img->width < 0 || img->height < 0)
        return ts_error(ctx, TS_ERR_INVALID, "image %lld: negative size %dx%d", (long long)img->id, img->width,
                        img->height);
    memset(rec, 0, sizeof *rec);
    if (intern(ctx, ds, img->path, &rec->path) != TS_OK || intern(ctx, ds, img->split, &rec->split) != TS_OK ||
        intern(ctx, ds, img->source, &rec->source) != TS_OK)
        return TS_ERR_NOMEM;
    rec->origin = img->origin;
    rec->width = img->width;
    rec->height = img->height;
    rec->group_id = img->group_id;
    rec->license = img->license;
    rec->pixel_key = img->pixel_key;
    rec->n_attrs = img->n_attrs;
    return store_attrs(ctx, ds, img->attrs, img->n_attrs, &rec->attr_off);
}

ts_status ts_dataset_add_image(ts_ctx *ctx, ts_dataset *ds, const ts_image_entry *img, size_t *index) {
    uint32_t existing;
    if (ds->n_images >= UINT32_MAX - 1) return ts_error(ctx, TS_ERR_LIMIT, "too many images");
    size_t cap = ds->cap_images;
    if (ts_grow(ctx, (void **)&ds->images, &cap, ds->n_images + 1, sizeof *ds->images) != TS_OK) return TS_ERR_NOMEM;
    cap = ds->cap_images;
    if (ts_grow(ctx, (void **)&ds->image_ids, &cap, ds->n_images + 1, sizeof *ds->image_ids) != TS_OK)
        return TS_ERR_NOMEM;
    ds->cap_images = cap;
    image_rec rec;
    ts_status s = fill_image_rec(ctx, ds, img, &rec);
    if (s != TS_OK) return s;
    int r = id_map_put_new(&ds->image_map, img->id, (uint32_t)ds->n_images, &existing);
    if (r != 0) {
        ds->n_attrs = rec.attr_off; /* the record is not kept */
        if (r < 0) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        return ts_error(ctx, TS_ERR_INVALID, "duplicate image id %lld (\"%s\" and \"%s\")", (long long)img->id,
                        str(ds, ds->images[existing].path), img->path ? img->path : "");
    }
    ds->images[ds->n_images] = rec;
    ds->image_ids[ds->n_images] = img->id;
    if (index) *index = ds->n_images;
    ds->n_images++;
    if (img->id >= ds->next_image_id && img->id < INT64_MAX) ds->next_image_id = img->id + 1;
    invalidate_indices(ds);
    return TS_OK;
}

void ts_dataset_image(const ts_dataset *ds, size_t index, ts_image_entry *out) {
    const image_rec *r = &ds->images[index];
    out->id = ds->image_ids[index];
    out->path = str(ds, r->path);
    out->width = r->width;
    out->height = r->height;
    out->split = str(ds, r->split);
    out->group_id = r->group_id;
    out->license = r->license;
    out->source = str(ds, r->source);
    out->origin = r->origin;
    out->pixel_key = r->pixel_key;
    out->attrs = r->n_attrs ? ds->attrs + r->attr_off : NULL;
    out->n_attrs = r->n_attrs;
}

int64_t ts_dataset_image_id(const ts_dataset *ds, size_t index) { return ds->image_ids[index]; }

ts_status ts_dataset_update_image(ts_ctx *ctx, ts_dataset *ds, size_t index, const ts_image_entry *img) {
    int64_t old_id = ds->image_ids[index];
    uint32_t other;
    if (img->id != old_id && id_map_get(&ds->image_map, img->id, &other))
        return ts_error(ctx, TS_ERR_INVALID, "image id %lld is already in use", (long long)img->id);
    image_rec rec;
    ts_status s = fill_image_rec(ctx, ds, img, &rec);
    if (s != TS_OK) return s;
    if (img->id != old_id) {
        /* rebuild the map without the old id */
        id_map_free(&ds->image_map);
        ds->image_ids[index] = img->id;
        for (size_t i = 0; i < ds->n_images; i++)
            if (id_map_put(&ds->image_map, ds->image_ids[i], (uint32_t)i) != TS_OK)
                return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        if (img->id >= ds->next_image_id && img->id < INT64_MAX) ds->next_image_id = img->id + 1;
    }
    ds->images[index] = rec;
    invalidate_indices(ds);
    return TS_OK;
}

int ts_dataset_find_image(const ts_dataset *ds, int64_t id, size_t *index) {
    uint32_t i;
    if (!id_map_get(&ds->image_map, id, &i)) return 0;
    *index = i;
    return 1;
}

int64_t ts_dataset_next_image_id(const ts_dataset *ds) { return ds->next_image_id; }

/* ---- categories ----------------------------------------------------------------- */

static ts_status fill_category_rec(ts_ctx *ctx, ts_dataset *ds, const ts_category *cat, category_rec *rec) {
    memset(rec, 0, sizeof *rec);
    rec->id = cat->id;
    rec->parent_id = cat->parent_id;
    if (intern(ctx, ds, cat->name, &rec->name) != TS_OK ||
        intern(ctx, ds, cat->supercategory, &rec->supercategory) != TS_OK)
        return TS_ERR_NOMEM;
    if (cat->n_keypoints) {
        rec->keypoints = ts_alloc_array(ctx, cat->n_keypoints, sizeof *rec->keypoints);
        if (!rec->keypoints) return TS_ERR_NOMEM;
        for (uint32_t i = 0; i < cat->n_keypoints; i++) {
            uint32_t id;
            if (intern(ctx, ds, cat->keypoints[i], &id) != TS_OK) {
                free(rec->keypoints);
                return TS_ERR_NOMEM;
            }
            rec->keypoints[i] = str(ds, id);
        }
        rec->n_keypoints = cat->n_keypoints;
    }
    if (cat->n_skeleton) {
        rec->skeleton = ts_alloc_array(ctx, cat->n_skeleton, 2 * sizeof *rec->skeleton);
        if (!rec->skeleton) {
            free(rec->keypoints);
            return TS_ERR_NOMEM;
        }
        memcpy(rec->skeleton, cat->skeleton, (size_t)cat->n_skeleton * 2 * sizeof *rec->skeleton);
        rec->n_skeleton = cat->n_skeleton;
    }
    rec->n_attrs = cat->n_attrs;
    ts_status s = store_attrs(ctx, ds, cat->attrs, cat->n_attrs, &rec->attr_off);
    if (s != TS_OK) {
        free(rec->keypoints);
        free(rec->skeleton);
    }
    return s;
}

ts_status ts_dataset_add_category(ts_ctx *ctx, ts_dataset *ds, const ts_category *cat, size_t *index) {
    uint32_t existing;
    if (id_map_get(&ds->category_map, cat->id, &existing))
        return ts_error(ctx, TS_ERR_INVALID, "duplicate category id %lld (\"%s\" and \"%s\")", (long long)cat->id,
                        str(ds, ds->categories[existing].name), cat->name ? cat->name : "");
    if (ts_grow(ctx, (void **)&ds->categories, &ds->cap_categories, ds->n_categories + 1, sizeof *ds->categories) !=
        TS_OK)
        return TS_ERR_NOMEM;
    category_rec rec;
    ts_status s = fill_category_rec(ctx, ds, cat, &rec);
    if (s != TS_OK) return s;
    if (id_map_put(&ds->category_map, cat->id, (uint32_t)ds->n_categories) != TS_OK) {
        free(rec.keypoints);
        free(rec.skeleton);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    ds->categories[ds->n_categories] = rec;
    if (index) *index = ds->n_categories;
    ds->n_categories++;
    if (cat->id >= ds->next_category_id && cat->id < INT64_MAX) ds->next_category_id = cat->id + 1;
    invalidate_indices(ds);
    return TS_OK;
}

void ts_dataset_category(const ts_dataset *ds, size_t index, ts_category *out) {
    const category_rec *r = &ds->categories[index];
    out->id = r->id;
    out->name = str(ds, r->name);
    out->supercategory = str(ds, r->supercategory);
    out->parent_id = r->parent_id;
    out->keypoints = r->keypoints;
    out->n_keypoints = r->n_keypoints;
    out->skeleton = r->skeleton;
    out->n_skeleton = r->n_skeleton;
    out->attrs = r->n_attrs ? ds->attrs + r->attr_off : NULL;
    out->n_attrs = r->n_attrs;
}

int64_t ts_dataset_category_id(const ts_dataset *ds, size_t index) { return ds->categories[index].id; }

ts_status ts_dataset_update_category(ts_ctx *ctx, ts_dataset *ds, size_t index, const ts_category *cat) {
    category_rec *old = &ds->categories[index];
    uint32_t other;
    if (cat->id != old->id && id_map_get(&ds->category_map, cat->id, &other))
        return ts_error(ctx, TS_ERR_INVALID, "category id %lld is already in use", (long long)cat->id);
    category_rec rec;
    ts_status s = fill_category_rec(ctx, ds, cat, &rec);
    if (s != TS_OK) return s;
    int64_t old_id = old->id;
    free(old->keypoints);
    free(old->skeleton);
    ds->categories[index] = rec;
    if (cat->id != old_id) {
        id_map_free(&ds->category_map);
        for (size_t i = 0; i < ds->n_categories; i++)
            if (id_map_put(&ds->category_map, ds->categories[i].id, (uint32_t)i) != TS_OK)
                return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        if (cat->id >= ds->next_category_id && cat->id < INT64_MAX) ds->next_category_id = cat->id + 1;
    }
    invalidate_indices(ds);
    return TS_OK;
}

int ts_dataset_find_category(const ts_dataset *ds, int64_t id, size_t *index) {
    uint32_t i;
    if (!id_map_get(&ds->category_map, id, &i)) return 0;
    *index = i;
    return 1;
}

int64_t ts_dataset_next_category_id(const ts_dataset *ds) { return ds->next_category_id; }

/* ---- annotations -------------------------------------------------------------- */

static ts_status check_annotation(ts_ctx *ctx, const ts_annotation *a) {
    if (a->n_rings && (!a->coords || !a->ring_sizes))
        return ts_error(ctx, TS_ERR_INVALID, "annotation %lld: rings without coordinates", (long long)a->id);
    if (a->rle_len && !a->rle)
        return ts_error(ctx, TS_ERR_INVALID, "annotation %lld: RLE length without counts", (long long)a->id);
    if (a->n_keypoints && !a->keypoints)
        return ts_error(ctx, TS_ERR_INVALID, "annotation %lld: keypoint count without keypoints", (long long)a->id);
    if ((unsigned)a->kind > TS_ANN_POINTS)
        return ts_error(ctx, TS_ERR_INVALID, "annotation %lld: unknown kind %d", (long long)a->id, (int)a->kind);
    return TS_OK;
}

static ts_status fill_ann_rec(ts_ctx *ctx, ts_dataset *ds, const ts_annotation *a, ann_rec *rec) {
    ts_status s = check_annotation(ctx, a);
    if (s != TS_OK) return s;
    memset(rec, 0, sizeof *rec);
    rec->id = a->id;
    rec->track_id = a->track_id;
    rec->area = a->area;
    rec->score = a->score;
    rec->flags = a->flags;
    rec->frame = a->frame;
    rec->z_order = a->z_order;
    rec->kind = (uint8_t)a->kind;
    rec->iscrowd = (uint8_t)(a->iscrowd != 0);
    rec->mask_h = a->mask_h;
    rec->mask_w = a->mask_w;
    if (intern(ctx, ds, a->annotator, &rec->annotator) != TS_OK) return TS_ERR_NOMEM;
    size_t n_coords = 0;
    for (uint32_t i = 0; i < a->n_rings; i++) {
        if (!ts_add_size(n_coords, a->ring_sizes[i], &n_coords) || n_coords > UINT32_MAX)
            return ts_error(ctx, TS_ERR_LIMIT, "annotation %lld: too many coordinates", (long long)a->id);
    }
    size_t n_kp3;
    if (!ts_mul_size(a->n_keypoints, 3, &n_kp3))
        return ts_error(ctx, TS_ERR_LIMIT, "annotation %lld: too many keypoints", (long long)a->id);
    /* Geometry may come from a view into this dataset (updates): copy it
     * aside first, since growing a pool moves what such a view points to. */
    double *coords_copy = NULL, *kp_copy = NULL;
    uint32_t *rings_copy = NULL, *rle_copy = NULL;
    const double *coords = a->coords, *keypoints = a->keypoints;
    const uint32_t *rings = a->ring_sizes, *rle = a->rle;
    if (points_into(ds->coords, ds->n_coords, sizeof(double), coords) ||
        points_into(ds->coords, ds->n_coords, sizeof(double), keypoints) ||
        points_into(ds->u32s, ds->n_u32s, sizeof(uint32_t), rings) ||
        points_into(ds->u32s, ds->n_u32s, sizeof(uint32_t), rle)) {
        coords = coords_copy = copy_of(coords, n_coords, sizeof(double));
        keypoints = kp_copy = copy_of(keypoints, n_kp3, sizeof(double));
        rings = rings_copy = copy_of(rings, a->n_rings, sizeof(uint32_t));
        rle = rle_copy = copy_of(rle, a->rle_len, sizeof(uint32_t));
        if ((n_coords && !coords) || (n_kp3 && !keypoints) || (a->n_rings && !rings) || (a->rle_len && !rle)) {
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    rec->coords_off = ds->n_coords;
    rec->u32_off = ds->n_u32s;
    rec->n_coords = (uint32_t)n_coords;
    rec->n_rings = a->n_rings;
    rec->rle_len = a->rle_len;
    rec->n_keypoints = a->n_keypoints;
    if (pool_append(ctx, (void **)&ds->coords, &ds->n_coords, &ds->cap_coords, sizeof(double), coords, n_coords) !=
            TS_OK ||
        pool_append(ctx, (void **)&ds->coords, &ds->n_coords, &ds->cap_coords, sizeof(double), keypoints, n_kp3) !=
            TS_OK ||
        pool_append(ctx, (void **)&ds->u32s, &ds->n_u32s, &ds->cap_u32s, sizeof(uint32_t), rings, a->n_rings) !=
            TS_OK ||
        pool_append(ctx, (void **)&ds->u32s, &ds->n_u32s, &ds->cap_u32s, sizeof(uint32_t), rle, a->rle_len) != TS_OK) {
        s = TS_ERR_NOMEM;
        goto done;
    }
    rec->n_attrs = a->n_attrs;
    s = store_attrs(ctx, ds, a->attrs, a->n_attrs, &rec->attr_off);
done:
    free(coords_copy);
    free(kp_copy);
    free(rings_copy);
    free(rle_copy);
    return s;
}

ts_status ts_dataset_add_annotation(ts_ctx *ctx, ts_dataset *ds, const ts_annotation *ann, size_t *index) {
    uint32_t existing;
    if (ds->n_anns >= UINT32_MAX - 1) return ts_error(ctx, TS_ERR_LIMIT, "too many annotations");
    if (ds->n_anns == ds->cap_anns) {
        size_t cap = ds->cap_anns ? ds->cap_anns * 2 : 1024;
        void *a = realloc(ds->ann_image, cap * sizeof *ds->ann_image);
        if (a) ds->ann_image = a;
        void *b = realloc(ds->ann_category, cap * sizeof *ds->ann_category);
        if (b) ds->ann_category = b;
        void *c = realloc(ds->ann_bbox, cap * sizeof *ds->ann_bbox);
        if (c) ds->ann_bbox = c;
        void *d = realloc(ds->anns, cap * sizeof *ds->anns);
        if (d) ds->anns = d;
        if (!a || !b || !c || !d) return ts_error(ctx, TS_ERR_NOMEM, "out of memory for annotations");
        ds->cap_anns = cap;
    }
    ann_rec rec;
    ts_status s = fill_ann_rec(ctx, ds, ann, &rec);
    if (s != TS_OK) return s;
    int r = id_map_put_new(&ds->ann_map, ann->id, (uint32_t)ds->n_anns, &existing);
    if (r != 0) { /* the record is not kept: its pooled parts go back */
        ds->n_coords = rec.coords_off;
        ds->n_u32s = rec.u32_off;
        ds->n_attrs = rec.attr_off;
        if (r < 0) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        return ts_error(ctx, TS_ERR_INVALID, "duplicate annotation id %lld", (long long)ann->id);
    }
    size_t i = ds->n_anns++;
    ds->anns[i] = rec;
    ds->ann_image[i] = ann->image_id;
    ds->ann_category[i] = ann->category_id;
    memcpy(ds->ann_bbox[i], ann->bbox, sizeof ann->bbox);
    if (index) *index = i;
    if (ann->id >= ds->next_ann_id && ann->id < INT64_MAX) ds->next_ann_id = ann->id + 1;
    ds->per_image_valid = 0;
    return TS_OK;
}

void ts_dataset_annotation(const ts_dataset *ds, size_t index, ts_annotation *out) {
    const ann_rec *r = &ds->anns[index];
    out->id = r->id;
    out->image_id = ds->ann_image[index];
    out->category_id = ds->ann_category[index];
    out->kind = (ts_ann_kind)r->kind;
    out->flags = r->flags;
    memcpy(out->bbox, ds->ann_bbox[index], sizeof out->bbox);
    out->area = r->area;
    out->iscrowd = r->iscrowd;
    out->score = r->score;
    out->annotator = str(ds, r->annotator);
    out->track_id = r->track_id;
    out->frame = r->frame;
    out->z_order = r->z_order;
    out->coords = r->n_coords ? ds->coords + r->coords_off : NULL;
    out->ring_sizes = r->n_rings ? ds->u32s + r->u32_off : NULL;
    out->n_rings = r->n_rings;
    out->rle = r->rle_len ? ds->u32s + r->u32_off + r->n_rings : NULL;
    out->rle_len = r->rle_len;
    out->mask_h = r->mask_h;
    out->mask_w = r->mask_w;
    out->keypoints = r->n_keypoints ? ds->coords + r->coords_off + r->n_coords : NULL;
    out->n_keypoints = r->n_keypoints;
    out->attrs = r->n_attrs ? ds->attrs + r->attr_off : NULL;
    out->n_attrs = r->n_attrs;
}

int64_t ts_dataset_annotation_image_id(const ts_dataset *ds, size_t index) { return ds->ann_image[index]; }
int64_t ts_dataset_annotation_category_id(const ts_dataset *ds, size_t index) { return ds->ann_category[index]; }

ts_status ts_dataset_update_annotation(ts_ctx *ctx, ts_dataset *ds, size_t index, const ts_annotation *ann) {
    int64_t old_id = ds->anns[index].id;
    uint32_t other;
    if (ann->id != old_id && id_map_get(&ds->ann_map, ann->id, &other))
        return ts_error(ctx, TS_ERR_INVALID, "annotation id %lld is already in use", (long long)ann->id);
    ann_rec rec;
    ts_status s = fill_ann_rec(ctx, ds, ann, &rec);
    if (s != TS_OK) return s;
    int64_t image_id = ann->image_id, category_id = ann->category_id;
    double bbox[4];
    memcpy(bbox, ann->bbox, sizeof bbox);
    ds->anns[index] = rec;
    ds->ann_image[index] = image_id;
    ds->ann_category[index] = category_id;
    memcpy(ds->ann_bbox[index], bbox, sizeof bbox);
    if (ann->id != old_id) {
        id_map_free(&ds->ann_map);
        for (size_t i = 0; i < ds->n_anns; i++)
            if (id_map_put(&ds->ann_map, ds->anns[i].id, (uint32_t)i) != TS_OK)
                return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        if (ann->id >= ds->next_ann_id && ann->id < INT64_MAX) ds->next_ann_id = ann->id + 1;
    }
    ds->per_image_valid = 0;
    return TS_OK;
}

int ts_dataset_find_annotation(const ts_dataset *ds, int64_t id, size_t *index) {
    uint32_t i;
    if (!id_map_get(&ds->ann_map, id, &i)) return 0;
    *index = i;
    return 1;
}

int64_t ts_dataset_next_annotation_id(const ts_dataset *ds) { return ds->next_ann_id; }
