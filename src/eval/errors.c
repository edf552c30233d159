/* TIDE-style error analysis (Bolya et al. 2020): every false positive at
 * IoU .5 gets one error kind (background, classification, duplicate,
 * localisation, both), unmatched ground truth not explained by those is
 * missed, and each kind's AP50 cost is measured by fixing it alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

#define T_FG 0.5 /* foreground IoU: a match */
#define T_BG 0.1 /* background IoU: below it, nothing was there */

static const char *const kind_names[TS_TIDE_KINDS] = {"cls", "loc", "both", "dupe", "bkg", "miss"};

const char *ts_tide_kind_name(ts_tide_kind kind) {
    return kind >= 0 && kind < TS_TIDE_KINDS ? kind_names[kind] : "?";
}

void ts_error_report_free(ts_error_report *rep) {
    if (!rep) return;
    free(rep->class_ids), free((void *)rep->class_names), free(rep->class_counts);
    free(rep->worst), free(rep->confusions);
    memset(rep, 0, sizeof *rep);
}

double ev_ap101(const uint8_t *tp, size_t nd, uint64_t npig, double *rc, double *pr) {
    if (npig == 0) return -1;
    const double *rec = ts_coco_recall_thresholds();
    double tpc = 0, fpc = 0, q[TS_COCO_NUM_REC];
    for (size_t i = 0; i < nd; i++) {
        tpc += tp[i];
        fpc += !tp[i];
        rc[i] = tpc / (double)npig;
        pr[i] = tpc / (fpc + tpc + 2.220446049250313e-16);
    }
    for (size_t i = nd; i-- > 1;)
        if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    size_t i = 0;
    for (int r = 0; r < TS_COCO_NUM_REC; r++) {
        while (i < nd && rc[i] < rec[r]) i++;
        q[r] = i < nd ? pr[i] : 0;
    }
    return ts_eval_mean_valid(q, TS_COCO_NUM_REC);
}

/* A detection as some fix leaves it. */
typedef struct {
    double score;
    size_t pos;   /* detection item: breaks ties as COCOeval does */
    uint32_t cat;
    uint8_t keep; /* 0: suppressed or ignored */
    uint8_t tp;
} fixed_det;

static int cmp_fixed(const void *a, const void *b) {
    const fixed_det *x = a, *y = b;
    if (x->cat != y->cat) return x->cat < y->cat ? -1 : 1;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Global score order of detection items (pos holds the item index, so
 * equal scores keep COCO's order: image, then file order). */
static int cmp_fixed_item(const void *a, const void *b) {
    const fixed_det *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Mean AP50 over classes that have ground truth before any fix. */
static double mean_ap(fixed_det *list, size_t n, size_t K, const uint64_t *npig_base, const uint64_t *npig,
                      uint8_t *tp, double *rc, double *pr) {
    qsort(list, n, sizeof *list, cmp_fixed);
    double sum = 0;
    size_t valid = 0, i = 0;
    for (size_t k = 0; k < K; k++) {
        size_t nd = 0;
        for (; i < n && list[i].cat == k; i++)
            if (list[i].keep) tp[nd++] = list[i].tp;
        if (!npig_base[k]) continue;
        sum += npig[k] ? ev_ap101(tp, nd, npig[k], rc, pr) : 1.0;
        valid++;
    }
    return valid ? sum / (double)valid : -1;
}

typedef struct {
    uint8_t kind;   /* TS_TIDE_KINDS: true positive or ignored */
    uint8_t tp, ignored;
    size_t target;  /* GT item the error points at (cls, loc, dupe), or SIZE_MAX */
} det_state;

/* Items grouped by image: idx[start[i] .. start[i+1]) */
static ts_status group_by_image(ts_ctx *ctx, const ev_items *it, size_t n_img, int top100, size_t **start,
                                size_t **idx) {
    size_t *s = ts_calloc_array(ctx, n_img + 2, sizeof *s), *x = ts_alloc_array(ctx, it->n ? it->n : 1, sizeof *x);
    if (!s || !x) {
        free(s), free(x);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < it->n; i++)
        if (!top100 || it->rank[i] < 100) s[it->img[i] + 2]++;
    for (size_t i = 2; i < n_img + 2; i++) s[i] += s[i - 1];
    for (size_t i = 0; i < it->n; i++)
        if (!top100 || it->rank[i] < 100) x[s[it->img[i] + 1]++] = i;
    *start = s;
    *idx = x;
    return TS_OK;
}

static int cmp_worst(const void *a, const void *b) {
    const ts_error_image *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return x->image_id < y->image_id ? -1 : x->image_id > y->image_id;
}

static int cmp_conf(const void *a, const void *b) {
    const ts_error_confusion *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->gt_category != y->gt_category) return x->gt_category < y->gt_category ? -1 : 1;
    return x->dt_category < y->dt_category ? -1 : x->dt_category > y->dt_category;
}

/* COCO matching at IoU .5, area all, maxDets 100, in each (class, image). */
static ts_status match_pairs(ts_ctx *ctx, const ev_data *e, det_state *ds, uint8_t *gt_used) {
    ev_scratch scr = {0};
    for (size_t p = 0; p < e->n_pairs; p++) {
        const ev_pair *pr = &e->pairs[p];
        size_t G = pr->g1 - pr->g0, D = pr->d1 - pr->d0 > 100 ? 100 : pr->d1 - pr->d0;
        size_t *order = ev_scratch_get(&scr, (G ? G : 1) * sizeof *order);
        if (!order) {
            free(scr.p);
            return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        }
        size_t no = 0;
        for (size_t g = pr->g0; g < pr->g1; g++)
            if (!e->g.crowd[g]) order[no++] = g;
        for (size_t g = pr->g0; g < pr->g1; g++)
            if (e->g.crowd[g]) order[no++] = g;
        for (size_t d = pr->d0; d < pr->d0 + D; d++) {
            double best = T_FG;
            size_t m = SIZE_MAX;
            for (size_t j = 0; j < G; j++) {
                size_t g = order[j];
                if (gt_used[g] && !e->g.crowd[g]) continue;
                if (m != SIZE_MAX && !e->g.crowd[m] && e->g.crowd[g]) break;
                double iou = ev_iou(e, d, g);
                if (iou < best) continue;
                best = iou;
                m = g;
            }
            if (m == SIZE_MAX) continue;
            if (e->g.crowd[m]) {
                ds[d].ignored = 1;
            } else {
                ds[d].tp = 1;
                gt_used[m] = 1;
            }
        }
    }
    free(scr.p);
    return TS_OK;
}

/* Classify each false positive against every GT of its image. */
static void classify(const ev_data *e, det_state *ds, const uint8_t *gt_used, uint8_t *gt_covered,
                     const size_t *gstart, const size_t *gidx, const size_t *dstart, const size_t *didx) {
    for (size_t im = 0; im < e->n_img; im++) {
        for (size_t a = dstart[im]; a < dstart[im + 1]; a++) {
            size_t d = didx[a];
            if (ds[d].tp || ds[d].ignored) continue;
            double any = 0, other = 0, used = 0, unused = 0;
            size_t g_other = SIZE_MAX, g_used = SIZE_MAX, g_unused = SIZE_MAX;
            for (size_t b = gstart[im]; b < gstart[im + 1]; b++) {
                size_t g = gidx[b];
                if (e->g.crowd[g]) continue;
                double iou = ev_iou(e, d, g);
                if (iou > any) any = iou;
                if (e->g.cat[g] != e->d.cat[d]) {
                    if (iou > other) other = iou, g_other = g;
                } else if (gt_used[g]) {
                    if (iou > used) used = iou, g_used = g;
                } else if (iou > unused) {
                    unused = iou, g_unused = g;
                }
            }
            ds[d].target = SIZE_MAX;
            if (any < T_BG) {
                ds[d].kind = TS_TIDE_BKG;
            } else if (other >= T_FG) {
                ds[d].kind = TS_TIDE_CLS, ds[d].target = g_other;
                gt_covered[g_other] = 1;
            } else if (used >= T_FG) {
                ds[d].kind = TS_TIDE_DUPE, ds[d].target = g_used;
            } else if (unused >= T_BG) {
                ds[d].kind = TS_TIDE_LOC, ds[d].target = g_unused;
                gt_covered[g_unused] = 1;
            } else if (other >= T_BG) {
                ds[d].kind = TS_TIDE_BOTH;
            } else {
                ds[d].kind = TS_TIDE_BKG;
            }
        }
    }
}

/* The detections as fixing `kind` leaves them (TS_TIDE_KINDS: no fix).
 * `gt_taken` holds the GTs matched by true positives on entry; a relabelled
 * or re-boxed detection takes its GT if still free, else it is a duplicate
 * and suppressed. */
static void apply_fix(const ev_data *e, const det_state *ds, int kind, const size_t *order, size_t n, fixed_det *out,
                      uint8_t *gt_taken) {
    for (size_t j = 0; j < n; j++) {
        size_t d = order[j];
        const det_state *s = &ds[d];
        fixed_det f = {e->d.score[d], d, e->d.cat[d], 1, s->tp};
        if (s->ignored) f.keep = 0;
        else if (!s->tp && s->kind == kind) {
            if (kind == TS_TIDE_CLS || kind == TS_TIDE_LOC) {
                size_t g = s->target;
                f.cat = e->g.cat[g];
                if (gt_taken[g]) f.keep = 0;
                else f.tp = 1, gt_taken[g] = 2;
            } else if (kind != TS_TIDE_MISS) {
                f.keep = 0;
            }
        }
        out[j] = f;
    }
}

ts_status ts_errors_analyze(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, ts_iou_type iou_type,
                            size_t max_worst, ts_error_report *out) {
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    if (st != TS_OK) return st;
    ev_data e;
    st = ev_load(ctx, gt, dt, iou_type, TS_RESULTS_AUTO, pool, &e);
    ts_pool_destroy(pool);
    if (st != TS_OK) return st;
    ts_error_report rep;
    memset(&rep, 0, sizeof rep);
    size_t K = e.n_cat, ND = e.d.n, NG = e.g.n;
    det_state *ds = ts_calloc_array(ctx, ND ? ND : 1, sizeof *ds);
    uint8_t *gt_used = ts_calloc_array(ctx, NG ? NG : 1, 1), *gt_cov = ts_calloc_array(ctx, NG ? NG : 1, 1);
    uint8_t *taken = ts_calloc_array(ctx, NG ? NG : 1, 1);
    size_t *gstart = NULL, *gidx = NULL, *dstart = NULL, *didx = NULL, *order = NULL;
    fixed_det *fixed = ts_alloc_array(ctx, ND ? ND : 1, sizeof *fixed);
    uint8_t *tpbuf = ts_alloc_array(ctx, ND ? ND : 1, 1);
    double *rc = ts_alloc_array(ctx, ND ? ND : 1, sizeof *rc), *prb = ts_alloc_array(ctx, ND ? ND : 1, sizeof *prb);
    uint64_t *npig = ts_calloc_array(ctx, K ? K : 1, sizeof *npig), *npig_fix = ts_calloc_array(ctx, K ? K : 1, sizeof *npig_fix);
    uint64_t *conf = NULL;
    size_t nconf_cells = 0;
    rep.n_classes = K;
    rep.class_ids = ts_alloc_array(ctx, K ? K : 1, sizeof *rep.class_ids);
    rep.class_names = ts_alloc_array(ctx, K ? K : 1, sizeof *rep.class_names);
    rep.class_counts = ts_calloc_array(ctx, K ? K : 1, TS_TIDE_KINDS * sizeof *rep.class_counts);
    if (!ts_mul_size(K ? K : 1, K ? K : 1, &nconf_cells)) nconf_cells = 0;
    conf = nconf_cells ? ts_calloc_array(ctx, nconf_cells, sizeof *conf) : NULL;
    if (!ds || !gt_used || !gt_cov || !taken || !fixed || !tpbuf || !rc || !prb || !npig || !npig_fix ||
        !rep.class_ids || !rep.class_names || !rep.class_counts || !conf) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < K; k++) {
        ts_category c;
        ts_dataset_category(gt, e.cat_index[k], &c);
        rep.class_ids[k] = c.id;
        rep.class_names[k] = c.name;
    }
    for (size_t i = 0; i < ND; i++) ds[i].kind = TS_TIDE_KINDS, ds[i].target = SIZE_MAX;
    if ((st = match_pairs(ctx, &e, ds, gt_used)) != TS_OK) goto done;
    if ((st = group_by_image(ctx, &e.g, e.n_img, 0, &gstart, &gidx)) != TS_OK) goto done;
    if ((st = group_by_image(ctx, &e.d, e.n_img, 1, &dstart, &didx)) != TS_OK) goto done;
    classify(&e, ds, gt_used, gt_cov, gstart, gidx, dstart, didx);
    /* detections in global score order (ties: file order) for the fixes */
    size_t n = dstart[e.n_img];
    order = ts_alloc_array(ctx, n ? n : 1, sizeof *order);
    if (!order) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    {
        fixed_det *tmp = fixed; /* sorted with cat 0 for all: global score order */
        for (size_t j = 0; j < n; j++) tmp[j] = (fixed_det){e.d.score[didx[j]], didx[j], 0, 1, 0};
        qsort(tmp, n, sizeof *tmp, cmp_fixed_item);
        for (size_t j = 0; j < n; j++) order[j] = tmp[j].pos;
    }
    for (size_t g = 0; g < NG; g++)
        if (!e.g.crowd[g]) npig[e.g.cat[g]]++;
    /* counts */
    for (size_t j = 0; j < n; j++) {
        size_t d = order[j];
        if (ds[d].tp || ds[d].ignored) continue;
        rep.count[ds[d].kind]++;
        rep.class_counts[(size_t)e.d.cat[d] * TS_TIDE_KINDS + ds[d].kind]++;
        if (ds[d].kind == TS_TIDE_CLS) conf[(size_t)e.g.cat[ds[d].target] * K + e.d.cat[d]]++;
    }
    memcpy(npig_fix, npig, K * sizeof *npig);
    for (size_t g = 0; g < NG; g++) {
        if (e.g.crowd[g] || gt_used[g] || gt_cov[g]) continue;
        rep.count[TS_TIDE_MISS]++;
        rep.class_counts[(size_t)e.g.cat[g] * TS_TIDE_KINDS + TS_TIDE_MISS]++;
        npig_fix[e.g.cat[g]]--;
    }
    /* AP50 as matched, then with each kind fixed alone */
    memcpy(taken, gt_used, NG);
    apply_fix(&e, ds, TS_TIDE_KINDS, order, n, fixed, taken);
    rep.ap50 = mean_ap(fixed, n, K, npig, npig, tpbuf, rc, prb);
    for (int kind = 0; kind < TS_TIDE_KINDS; kind++) {
        memcpy(taken, gt_used, NG);
        apply_fix(&e, ds, kind, order, n, fixed, taken);
        double ap = mean_ap(fixed, n, K, npig, kind == TS_TIDE_MISS ? npig_fix : npig, tpbuf, rc, prb);
        rep.delta_ap[kind] = ap - rep.ap50;
    }
    /* worst images */
    {
        ts_error_image *imgs = ts_calloc_array(ctx, e.n_img ? e.n_img : 1, sizeof *imgs);
        if (!imgs) {
            st = TS_ERR_NOMEM;
            goto done;
        }
        for (size_t im = 0; im < e.n_img; im++) {
            ts_image_entry ie;
            ts_dataset_image(gt, e.img_index[im], &ie);
            imgs[im].image_id = ie.id;
            imgs[im].path = ie.path;
            for (size_t a = dstart[im]; a < dstart[im + 1]; a++) {
                size_t d = didx[a];
                if (!ds[d].tp && !ds[d].ignored) imgs[im].errors[ds[d].kind]++, imgs[im].total++;
            }
            for (size_t b = gstart[im]; b < gstart[im + 1]; b++) {
                size_t g = gidx[b];
                if (!e.g.crowd[g] && !gt_used[g] && !gt_cov[g]) imgs[im].errors[TS_TIDE_MISS]++, imgs[im].total++;
            }
        }
        qsort(imgs, e.n_img, sizeof *imgs, cmp_worst);
        size_t nw = 0;
        while (nw < e.n_img && nw < max_worst && imgs[nw].total) nw++;
        rep.worst = imgs;
        rep.n_worst = nw;
    }
    /* confusions */
    {
        size_t nc = 0;
        for (size_t c = 0; c < nconf_cells; c++) nc += conf[c] != 0;
        rep.confusions = ts_alloc_array(ctx, nc ? nc : 1, sizeof *rep.confusions);
        if (!rep.confusions) {
            st = TS_ERR_NOMEM;
            goto done;
        }
        for (size_t a = 0; a < K; a++)
            for (size_t b = 0; b < K; b++)
                if (conf[a * K + b])
                    rep.confusions[rep.n_confusions++] = (ts_error_confusion){rep.class_ids[a], rep.class_ids[b], conf[a * K + b]};
        qsort(rep.confusions, rep.n_confusions, sizeof *rep.confusions, cmp_conf);
    }
done:
    free(ds), free(gt_used), free(gt_cov), free(taken), free(gstart), free(gidx), free(dstart), free(didx), free(order);
    free(fixed), free(tpbuf), free(rc), free(prb), free(npig), free(npig_fix), free(conf);
    ev_free(&e);
    if (st != TS_OK) {
        ts_error_report_free(&rep);
        return st;
    }
    *out = rep;
    return TS_OK;
}
