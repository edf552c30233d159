/* Loading ground truth and detections for evaluation: COCO.loadRes' rules
 * (format branch from the first detection, det areas, boxes from masks),
 * input validation, masks for segm, and the (category, image) grouping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"
#include "trainset/json.h"

void *ev_scratch_get(ev_scratch *s, size_t bytes) {
    if (bytes <= s->cap) return s->p;
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < bytes) cap *= 2;
    void *p = realloc(s->p, cap);
    if (!p) return NULL;
    s->p = p;
    s->cap = cap;
    return p;
}

typedef struct {
    int64_t id;
    size_t index;
} id_index;

static int cmp_id_index(const void *a, const void *b) {
    int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return x < y ? -1 : x > y;
}

/* rank -> dataset index for `n` ids in ascending order, and index -> rank. */
static ts_status rank_ids(ts_ctx *ctx, size_t n, int64_t (*get)(const ts_dataset *, size_t), const ts_dataset *ds,
                          size_t **by_rank, uint32_t **rank_of) {
    if (n > UINT32_MAX) return ts_error(ctx, TS_ERR_LIMIT, "too many images or categories to evaluate");
    id_index *tmp = ts_alloc_array(ctx, n ? n : 1, sizeof *tmp);
    size_t *r = ts_alloc_array(ctx, n ? n : 1, sizeof *r);
    uint32_t *inv = ts_alloc_array(ctx, n ? n : 1, sizeof *inv);
    if (!tmp || !r || !inv) {
        free(tmp), free(r), free(inv);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) tmp[i] = (id_index){get(ds, i), i};
    qsort(tmp, n, sizeof *tmp, cmp_id_index);
    for (size_t i = 0; i < n; i++) {
        r[i] = tmp[i].index;
        inv[tmp[i].index] = (uint32_t)i;
    }
    free(tmp);
    *by_rank = r;
    *rank_of = inv;
    return TS_OK;
}

/* id -> rank: a direct table when the ids are dense enough (the usual
 * case), else the dataset's own hash lookup. */
typedef struct {
    const ts_dataset *ds;
    int is_image;
    const uint32_t *rank_of; /* dataset index -> rank */
    int64_t lo;
    size_t span;
    uint32_t *table; /* rank + 1 by id - lo; 0 = absent */
} id_ranks;

static void id_ranks_init(id_ranks *m, const ts_dataset *ds, int is_image, size_t n, const size_t *by_rank,
                          const uint32_t *rank_of) {
    memset(m, 0, sizeof *m);
    m->ds = ds;
    m->is_image = is_image;
    m->rank_of = rank_of;
    if (n == 0) return;
    int64_t (*get)(const ts_dataset *, size_t) = is_image ? ts_dataset_image_id : ts_dataset_category_id;
    int64_t lo = get(ds, by_rank[0]), hi = get(ds, by_rank[n - 1]);
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span == 0 || span > 8 * (uint64_t)n + 1024) return;
    m->table = calloc((size_t)span, sizeof *m->table);
    if (!m->table) return; /* the hash lookup still works */
    m->lo = lo;
    m->span = (size_t)span;
    for (size_t r = 0; r < n; r++) m->table[get(ds, by_rank[r]) - lo] = (uint32_t)r + 1;
}

/* 1 and the rank when `id` exists. */
static int id_rank(const id_ranks *m, int64_t id, uint32_t *rank) {
    if (m->table) {
        uint64_t off = (uint64_t)id - (uint64_t)m->lo;
        if (off >= m->span || !m->table[off]) return 0;
        *rank = m->table[off] - 1;
        return 1;
    }
    size_t index;
    if (!(m->is_image ? ts_dataset_find_image(m->ds, id, &index) : ts_dataset_find_category(m->ds, id, &index)))
        return 0;
    *rank = m->rank_of[index];
    return 1;
}

typedef struct {
    uint32_t cat, img;
    double score;
    size_t pos; /* file order */
} sort_key;

static int cmp_key(const void *a, const void *b) {
    const sort_key *x = a, *y = b;
    if (x->cat != y->cat) return x->cat < y->cat ? -1 : 1;
    if (x->img != y->img) return x->img < y->img ? -1 : 1;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static ts_status items_alloc(ts_ctx *ctx, ev_items *it, size_t n, int segm) {
    size_t c = n ? n : 1;
    it->n = n;
    it->ann = ts_alloc_array(ctx, c, sizeof *it->ann);
    it->img = ts_alloc_array(ctx, c, sizeof *it->img);
    it->cat = ts_alloc_array(ctx, c, sizeof *it->cat);
    it->box = ts_alloc_array(ctx, c, 4 * sizeof *it->box);
    it->area = ts_alloc_array(ctx, c, sizeof *it->area);
    it->score = ts_alloc_array(ctx, c, sizeof *it->score);
    it->id = ts_alloc_array(ctx, c, sizeof *it->id);
    it->crowd = ts_alloc_array(ctx, c, sizeof *it->crowd);
    it->rank = ts_alloc_array(ctx, c, sizeof *it->rank);
    if (segm) {
        it->mask = ts_calloc_array(ctx, c, sizeof *it->mask);
        it->mbox = ts_alloc_array(ctx, c, 4 * sizeof *it->mbox);
    }
    if (!it->ann || !it->img || !it->cat || !it->box || !it->area || !it->score || !it->id || !it->crowd ||
        !it->rank || (segm && (!it->mask || !it->mbox)))
        return TS_ERR_NOMEM;
    return TS_OK;
}

static void items_free(ev_items *it) {
    if (it->mask)
        for (size_t i = 0; i < it->n; i++) ts_mask_free(&it->mask[i]);
    free(it->ann), free(it->img), free(it->cat), free(it->box), free(it->area), free(it->score), free(it->id);
    free(it->crowd), free(it->rank), free(it->mask), free(it->mbox);
    memset(it, 0, sizeof *it);
}

void ev_free(ev_data *e) {
    if (!e) return;
    items_free(&e->g);
    items_free(&e->d);
    free(e->img_index), free(e->cat_index), free(e->pairs), free(e->cat_pair0);
    memset(e, 0, sizeof *e);
}

static int has_geometry(const ts_annotation *a) { return (a->rle && a->rle_len) || (a->n_rings > 0 && a->coords); }

/* What the mask pass must do for an item. */
enum { NEED_MASK = 1, AREA_FROM_MASK = 2, BOX_FROM_MASK = 4, KEEP_MASK = 8 };

typedef struct {
    ev_data *e;
    ev_items *it;
    const ts_dataset *ds;
    const uint8_t *need;
    uint8_t *failed; /* 1 error, 2 mask size differs from the image */
    ts_ctx *ctx;
} mask_job;

static ts_status mask_item(ts_ctx *ctx, ev_data *e, ev_items *it, const ts_dataset *ds, size_t i, uint8_t need,
                           uint8_t *failed) {
    ts_annotation a;
    ts_dataset_annotation(ds, it->ann[i], &a);
    ts_image_entry im;
    ts_dataset_image(e->gt, e->img_index[it->img[i]], &im);
    int from_image = !(a.rle && a.rle_len);
    if (from_image && (im.width <= 0 || im.height <= 0))
        return ts_error(ctx, TS_ERR_INVALID, "image %lld has no width/height; its polygons cannot be rasterised",
                        (long long)im.id);
    ts_mask m;
    ts_status st = ts_mask_from_annotation(ctx, &a, (uint32_t)im.height, (uint32_t)im.width, &m);
    if (st != TS_OK) return st;
    uint64_t sum = 0;
    for (uint32_t j = 0; j < m.n; j++) sum += m.counts[j];
    if (sum != (uint64_t)m.h * m.w) {
        ts_mask_free(&m);
        return ts_error(ctx, TS_ERR_INVALID, "annotation %lld: mask runs sum to %llu, not %ux%u", (long long)a.id,
                        (unsigned long long)sum, (unsigned)m.h, (unsigned)m.w);
    }
    if ((need & KEEP_MASK) && im.width > 0 && im.height > 0 && (m.h != (uint32_t)im.height || m.w != (uint32_t)im.width))
        *failed = 2;
    double mb[4];
    ts_mask_bbox(&m, mb);
    if (need & AREA_FROM_MASK) it->area[i] = (double)ts_mask_area(&m);
    if (need & BOX_FROM_MASK) memcpy(&it->box[4 * i], mb, sizeof mb);
    if (need & KEEP_MASK) {
        it->mask[i] = m;
        memcpy(&it->mbox[4 * i], mb, sizeof mb);
    } else {
        ts_mask_free(&m);
    }
    return TS_OK;
}

static void mask_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    mask_job *j = user;
    for (size_t i = begin; i < end; i++) {
        if (!j->need[i]) continue;
        if (mask_item(j->ctx, j->e, j->it, j->ds, i, j->need[i], &j->failed[i]) != TS_OK) j->failed[i] = 1;
    }
}

/* Runs the mask work in parallel; on failure re-runs the first failing item
 * alone, so the message does not depend on thread timing. */
static ts_status mask_pass(ts_ctx *ctx, ev_data *e, ev_items *it, const ts_dataset *ds, const uint8_t *need,
                           ts_pool *pool, const char *what) {
    uint8_t *failed = ts_calloc_array(ctx, it->n ? it->n : 1, 1);
    if (!failed) return TS_ERR_NOMEM;
    mask_job job = {e, it, ds, need, failed, ctx};
    ts_pool_run(pool, it->n, 64, mask_range, &job);
    ts_status st = TS_OK;
    uint64_t mismatched = 0;
    for (size_t i = 0; i < it->n && st == TS_OK; i++) {
        if (failed[i] == 1) {
            ts_ctx_clear_error(ctx);
            uint8_t dummy = 0;
            st = mask_item(ctx, e, it, ds, i, need[i] & ~KEEP_MASK, &dummy);
            if (st == TS_OK) st = ts_error(ctx, TS_ERR_INVALID, "%s mask could not be made", what);
        } else if (failed[i] == 2) {
            ts_annotation a;
            ts_dataset_annotation(ds, it->ann[i], &a);
            ts_image_entry im;
            ts_dataset_image(e->gt, e->img_index[it->img[i]], &im);
            if (!ts_ctx_lenient(ctx))
                st = ts_error(ctx, TS_ERR_INVALID,
                              "%s %lld: mask is %ux%u (w x h) but image %lld is %dx%d (--lenient: IoU -1 as pycocotools)",
                              what, (long long)it->id[i], (unsigned)it->mask[i].w, (unsigned)it->mask[i].h,
                              (long long)im.id, (int)im.width, (int)im.height);
            mismatched++;
        }
    }
    if (st == TS_OK && mismatched)
        ts_warn(ctx, "%llu %s masks differ in size from their image; their IoU is -1 (never a match)",
                (unsigned long long)mismatched, what);
    free(failed);
    return st;
}

/* Fill items from `keys` (sorted) reading annotations of `ds`. */
static ts_status collect_gt(ts_ctx *ctx, ev_data *e, const id_ranks *imgs, const id_ranks *cats, sort_key **keys_out,
                            size_t *n_out) {
    size_t n = ts_dataset_annotation_count(e->gt);
    sort_key *keys = ts_alloc_array(ctx, n ? n : 1, sizeof *keys);
    if (!keys) return TS_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ir, cr;
        if (!id_rank(imgs, ts_dataset_annotation_image_id(e->gt, i), &ir)) continue;
        if (!id_rank(cats, ts_dataset_annotation_category_id(e->gt, i), &cr)) continue;
        ts_annotation a;
        ts_dataset_annotation(e->gt, i, &a);
        if (!(a.flags & TS_ANN_HAS_BOX) && !has_geometry(&a)) continue; /* image-level labels are not objects */
        keys[k++] = (sort_key){cr, ir, 0, i};
    }
    *keys_out = keys;
    *n_out = k;
    return TS_OK;
}

static ts_status bad_det(ts_ctx *ctx, size_t pos, const char *what) {
    return ts_error(ctx, TS_ERR_INVALID, "prediction %zu (in file order): %s", pos + 1, what);
}

static ts_status collect_dt(ts_ctx *ctx, ev_data *e, const id_ranks *imgs, const id_ranks *cats, sort_key **keys_out,
                            size_t *n_out) {
    size_t n = ts_dataset_annotation_count(e->dt);
    sort_key *keys = ts_alloc_array(ctx, n ? n : 1, sizeof *keys);
    if (!keys) return TS_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        ts_annotation a;
        ts_dataset_annotation(e->dt, i, &a);
        ts_status st = TS_OK;
        if (!(a.flags & TS_ANN_HAS_SCORE)) st = bad_det(ctx, i, "no \"score\" (expected a COCO results list)");
        else if (isnan(a.score)) st = bad_det(ctx, i, "score is NaN");
        else if ((a.flags & TS_ANN_HAS_BOX) &&
                 (!isfinite(a.bbox[0]) || !isfinite(a.bbox[1]) || !isfinite(a.bbox[2]) || !isfinite(a.bbox[3])))
            st = bad_det(ctx, i, "bbox is not finite");
        else if ((a.flags & TS_ANN_HAS_BOX) && (a.bbox[2] < 0 || a.bbox[3] < 0))
            st = bad_det(ctx, i, "bbox has a negative width or height");
        else if (!(a.flags & TS_ANN_HAS_BOX) && !has_geometry(&a))
            st = bad_det(ctx, i, "neither \"bbox\" nor \"segmentation\"");
        if (st != TS_OK) {
            free(keys);
            return st;
        }
        uint32_t ir, cr;
        if (!id_rank(imgs, a.image_id, &ir)) {
            e->dropped_image++;
            continue;
        }
        e->loaded++;
        if (!id_rank(cats, a.category_id, &cr)) {
            e->ignored_category++;
            continue;
        }
        keys[k++] = (sort_key){cr, ir, a.score, i};
    }
    *keys_out = keys;
    *n_out = k;
    return TS_OK;
}

/* Group sorted items into (category, image) pairs. */
static ts_status make_pairs(ts_ctx *ctx, ev_data *e) {
    size_t cap = e->g.n + e->d.n;
    e->pairs = ts_alloc_array(ctx, cap ? cap : 1, sizeof *e->pairs);
    e->cat_pair0 = ts_calloc_array(ctx, e->n_cat + 1, sizeof *e->cat_pair0);
    if (!e->pairs || !e->cat_pair0) return TS_ERR_NOMEM;
    size_t gi = 0, di = 0, np = 0;
    while (gi < e->g.n || di < e->d.n) {
        uint64_t gk = gi < e->g.n ? ((uint64_t)e->g.cat[gi] << 32 | e->g.img[gi]) : UINT64_MAX;
        uint64_t dk = di < e->d.n ? ((uint64_t)e->d.cat[di] << 32 | e->d.img[di]) : UINT64_MAX;
        uint64_t key = gk < dk ? gk : dk;
        ev_pair p = {(uint32_t)(key >> 32), (uint32_t)key, gi, gi, di, di};
        while (gi < e->g.n && ((uint64_t)e->g.cat[gi] << 32 | e->g.img[gi]) == key) gi++;
        while (di < e->d.n && ((uint64_t)e->d.cat[di] << 32 | e->d.img[di]) == key) {
            e->d.rank[di] = (uint32_t)(di - p.d0);
            di++;
        }
        p.g1 = gi;
        p.d1 = di;
        e->pairs[np++] = p;
    }
    e->n_pairs = np;
    for (size_t i = 0, k = 0; k <= e->n_cat; k++) {
        while (i < np && e->pairs[i].cat < k) i++;
        e->cat_pair0[k] = i;
    }
    return TS_OK;
}

ts_status ev_load(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, ts_iou_type iou_type,
                  ts_results_branch branch, ts_pool *pool, ev_data *out) {
    ev_data e;
    memset(&e, 0, sizeof e);
    e.gt = gt;
    e.dt = dt;
    e.iou_type = iou_type;
    e.n_img = ts_dataset_image_count(gt);
    e.n_cat = ts_dataset_category_count(gt);
    uint32_t *img_rank = NULL, *cat_rank = NULL;
    sort_key *gk = NULL, *dk = NULL;
    uint8_t *need = NULL;
    size_t ng = 0, nd = 0;
    int segm = iou_type == TS_IOU_SEGM;
    ts_status st = rank_ids(ctx, e.n_img, ts_dataset_image_id, gt, &e.img_index, &img_rank);
    if (st == TS_OK) st = rank_ids(ctx, e.n_cat, ts_dataset_category_id, gt, &e.cat_index, &cat_rank);
    id_ranks imgs, cats;
    memset(&imgs, 0, sizeof imgs);
    memset(&cats, 0, sizeof cats);
    if (st == TS_OK) {
        id_ranks_init(&imgs, gt, 1, e.n_img, e.img_index, img_rank);
        id_ranks_init(&cats, gt, 0, e.n_cat, e.cat_index, cat_rank);
        st = collect_gt(ctx, &e, &imgs, &cats, &gk, &ng);
    }
    if (st == TS_OK) st = collect_dt(ctx, &e, &imgs, &cats, &dk, &nd);
    if (st != TS_OK) goto done;
    qsort(gk, ng, sizeof *gk, cmp_key);
    qsort(dk, nd, sizeof *dk, cmp_key);
    if ((st = items_alloc(ctx, &e.g, ng, segm)) != TS_OK || (st = items_alloc(ctx, &e.d, nd, segm)) != TS_OK) goto done;
    need = ts_calloc_array(ctx, (ng > nd ? ng : nd) + 1, 1);
    if (!need) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    /* ground truth */
    for (size_t i = 0; i < ng; i++) {
        ts_annotation a;
        ts_dataset_annotation(gt, gk[i].pos, &a);
        e.g.ann[i] = gk[i].pos;
        e.g.cat[i] = gk[i].cat;
        e.g.img[i] = gk[i].img;
        e.g.id[i] = a.id;
        e.g.crowd[i] = a.iscrowd != 0;
        e.g.score[i] = 0;
        e.g.rank[i] = 0;
        memcpy(&e.g.box[4 * i], a.bbox, sizeof a.bbox);
        need[i] = segm ? NEED_MASK | KEEP_MASK : 0;
        if (!(a.flags & TS_ANN_HAS_BOX)) need[i] |= NEED_MASK | BOX_FROM_MASK;
        if (a.flags & TS_ANN_HAS_AREA) {
            e.g.area[i] = a.area;
        } else if (has_geometry(&a)) {
            need[i] |= NEED_MASK | AREA_FROM_MASK;
        } else {
            e.g.area[i] = a.bbox[2] * a.bbox[3];
        }
    }
    if (ng && (st = mask_pass(ctx, &e, &e.g, gt, need, pool, "ground truth")) != TS_OK) goto done;
    /* detections, with loadRes' branch chosen by the first detection */
    int bbox_branch = branch != TS_RESULTS_SEGM;
    if (branch == TS_RESULTS_AUTO && ts_dataset_annotation_count(dt) > 0) {
        ts_annotation first;
        ts_dataset_annotation(dt, 0, &first);
        bbox_branch = (first.flags & TS_ANN_HAS_BOX) != 0;
    }
    memset(need, 0, nd + 1);
    for (size_t i = 0; i < nd; i++) {
        ts_annotation a;
        ts_dataset_annotation(dt, dk[i].pos, &a);
        e.d.ann[i] = dk[i].pos;
        e.d.cat[i] = dk[i].cat;
        e.d.img[i] = dk[i].img;
        e.d.id[i] = (int64_t)dk[i].pos + 1;
        e.d.crowd[i] = 0;
        e.d.score[i] = a.score;
        memcpy(&e.d.box[4 * i], a.bbox, sizeof a.bbox);
        need[i] = segm ? NEED_MASK | KEEP_MASK : 0;
        if (!(a.flags & TS_ANN_HAS_BOX)) need[i] |= NEED_MASK | BOX_FROM_MASK;
        if (bbox_branch) {
            if (a.flags & TS_ANN_HAS_BOX) e.d.area[i] = a.bbox[2] * a.bbox[3];
        } else {
            if (!has_geometry(&a)) {
                st = bad_det(ctx, dk[i].pos, "no \"segmentation\" though the first prediction has one");
                goto done;
            }
            need[i] |= NEED_MASK | AREA_FROM_MASK;
        }
    }
    if (nd && (st = mask_pass(ctx, &e, &e.d, dt, need, pool, "prediction")) != TS_OK) goto done;
    if (bbox_branch) /* boxes derived from masks: area = w*h as loadRes' bbox branch */
        for (size_t i = 0; i < nd; i++)
            if (need[i] & BOX_FROM_MASK) e.d.area[i] = e.d.box[4 * i + 2] * e.d.box[4 * i + 3];
    st = make_pairs(ctx, &e);
done:
    free(img_rank), free(cat_rank), free(gk), free(dk), free(need), free(imgs.table), free(cats.table);
    if (st != TS_OK) {
        ev_free(&e);
        return st;
    }
    *out = e;
    return TS_OK;
}

double ev_iou(const ev_data *e, size_t di, size_t gi) {
    int crowd = e->g.crowd[gi];
    if (e->iou_type == TS_IOU_SEGM)
        return ev_mask_iou(&e->d.mask[di], &e->g.mask[gi], &e->d.mbox[4 * di], &e->g.mbox[4 * gi], crowd);
    return ts_box_iou(&e->d.box[4 * di], &e->g.box[4 * gi], crowd);
}

ts_status ts_coco_results_branch(ts_ctx *ctx, const char *path, ts_results_branch *out) {
    ts_json_reader *r;
    ts_status st = ts_json_reader_open_file(ctx, path, &r);
    if (st != TS_OK) return st;
    ts_results_branch b = TS_RESULTS_AUTO;
    ts_json_token tok;
    int has_box = 0, has_segm = 0;
    if ((st = ts_json_next(r, &tok)) != TS_OK || tok != TS_JSON_ARRAY_BEGIN) goto done;
    if ((st = ts_json_next(r, &tok)) != TS_OK || tok != TS_JSON_OBJECT_BEGIN) goto done;
    for (;;) {
        if ((st = ts_json_next(r, &tok)) != TS_OK || tok != TS_JSON_KEY) break;
        int is_box = strcmp(ts_json_text(r, NULL), "bbox") == 0;
        int is_segm = strcmp(ts_json_text(r, NULL), "segmentation") == 0;
        if ((st = ts_json_next(r, &tok)) != TS_OK) break;
        if (is_box && tok == TS_JSON_ARRAY_BEGIN) { /* loadRes: 'bbox' in anns[0] and anns[0]['bbox'] != [] */
            if ((st = ts_json_next(r, &tok)) != TS_OK) break;
            if (tok != TS_JSON_ARRAY_END) has_box = 1;
            if (tok != TS_JSON_ARRAY_END && (st = ts_json_skip(r)) != TS_OK) break;
            if (tok != TS_JSON_ARRAY_END)
                while ((st = ts_json_next(r, &tok)) == TS_OK && tok != TS_JSON_ARRAY_END)
                    if ((st = ts_json_skip(r)) != TS_OK) break;
            if (st != TS_OK) break;
            continue;
        }
        if (is_box) has_box = 1;
        if (is_segm) has_segm = 1;
        if ((st = ts_json_skip(r)) != TS_OK) break;
    }
    if (st == TS_OK) b = has_box ? TS_RESULTS_BBOX : has_segm ? TS_RESULTS_SEGM : TS_RESULTS_AUTO;
done:
    ts_json_reader_destroy(r);
    if (st != TS_OK) return st;
    *out = b;
    return TS_OK;
}
