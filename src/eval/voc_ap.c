/* Pascal VOC detection AP as voc_eval.py computes it: per class, detections
 * by descending score, each taking the GT of its image with the highest
 * IoU if that IoU is > .5 (difficult GT: neither TP nor FP); VOC2007
 * 11-point or VOC2010+ all-point interpolation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

double ts_voc_ap(const double *rec, const double *prec, size_t n, ts_voc_metric metric) {
    if (metric == TS_VOC_2007) {
        double ap = 0;
        for (int i = 0; i < 11; i++) {
            double t = i * 0.1, p = 0; /* np.arange(0., 1.1, .1) */
            for (size_t j = 0; j < n; j++)
                if (rec[j] >= t && prec[j] > p) p = prec[j];
            ap += p / 11.0;
        }
        return ap;
    }
    /* mrec = [0, rec, 1], mpre = [0, prec, 0], precision made monotone */
    double *mpre = malloc((n + 2) * sizeof *mpre);
    if (!mpre) return -1;
    mpre[0] = 0;
    for (size_t j = 0; j < n; j++) mpre[j + 1] = prec[j];
    mpre[n + 1] = 0;
    for (size_t i = n + 1; i > 0; i--)
        if (mpre[i] > mpre[i - 1]) mpre[i - 1] = mpre[i];
    double ap = 0, prev = 0;
    for (size_t i = 0; i <= n; i++) {
        double next = i < n ? rec[i] : 1.0;
        if (next != prev) ap += (next - prev) * mpre[i + 1];
        prev = next;
    }
    free(mpre);
    return ap;
}

typedef struct {
    double score;
    size_t pos; /* file order */
    size_t d;   /* detection item */
    size_t pair;
} voc_det;

static int cmp_voc_det(const void *a, const void *b) {
    const voc_det *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

ts_status ts_voc_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, ts_voc_metric metric,
                          ts_voc_class **classes, size_t *count, double *map) {
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(ctx, 1, &pool);
    if (st != TS_OK) return st;
    ev_data e;
    st = ev_load(ctx, gt, dt, TS_IOU_BBOX, TS_RESULTS_BBOX, pool, &e);
    ts_pool_destroy(pool);
    if (st != TS_OK) return st;
    size_t cap = e.d.n ? e.d.n : 1;
    ts_voc_class *cls = ts_calloc_array(ctx, e.n_cat ? e.n_cat : 1, sizeof *cls);
    voc_det *list = ts_alloc_array(ctx, cap, sizeof *list);
    double *tp = ts_alloc_array(ctx, cap, sizeof *tp), *fp = ts_alloc_array(ctx, cap, sizeof *fp);
    uint8_t *difficult = ts_calloc_array(ctx, e.g.n ? e.g.n : 1, 1), *used = ts_calloc_array(ctx, e.g.n ? e.g.n : 1, 1);
    if (!cls || !list || !tp || !fp || !difficult || !used) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    for (size_t g = 0; g < e.g.n; g++) {
        ts_annotation a;
        ts_dataset_annotation(gt, e.g.ann[g], &a);
        difficult[g] = e.g.crowd[g] || (a.flags & TS_ANN_DIFFICULT);
    }
    double sum = 0;
    size_t n_valid = 0;
    for (size_t k = 0; k < e.n_cat; k++) {
        ts_category cat;
        ts_dataset_category(gt, e.cat_index[k], &cat);
        cls[k].category_id = cat.id;
        cls[k].name = cat.name;
        cls[k].ap = -1;
        size_t n = 0;
        uint64_t npos = 0;
        for (size_t p = e.cat_pair0[k]; p < e.cat_pair0[k + 1]; p++) {
            const ev_pair *pr = &e.pairs[p];
            for (size_t g = pr->g0; g < pr->g1; g++) npos += !difficult[g];
            for (size_t d = pr->d0; d < pr->d1; d++) list[n++] = (voc_det){e.d.score[d], e.d.ann[d], d, p};
        }
        cls[k].n_gt = npos;
        cls[k].n_dt = n;
        qsort(list, n, sizeof *list, cmp_voc_det);
        double tpc = 0, fpc = 0;
        for (size_t i = 0; i < n; i++) {
            const ev_pair *pr = &e.pairs[list[i].pair];
            double ovmax = -INFINITY;
            size_t jmax = 0;
            for (size_t g = pr->g0; g < pr->g1; g++) {
                double ov = ts_box_iou(&e.d.box[4 * list[i].d], &e.g.box[4 * g], 0);
                if (ov > ovmax) ovmax = ov, jmax = g;
            }
            if (ovmax > 0.5) {
                if (!difficult[jmax]) {
                    if (!used[jmax]) tpc += 1, used[jmax] = 1;
                    else fpc += 1;
                }
            } else {
                fpc += 1;
            }
            tp[i] = tpc;
            fp[i] = fpc;
        }
        if (npos == 0) continue;
        for (size_t i = 0; i < n; i++) { /* rec into tp, prec into fp */
            double t = tp[i], f = fp[i], den = t + f;
            tp[i] = t / (double)npos;
            fp[i] = t / (den > 2.220446049250313e-16 ? den : 2.220446049250313e-16);
        }
        cls[k].ap = ts_voc_ap(tp, fp, n, metric);
        sum += cls[k].ap;
        n_valid++;
    }
    *map = n_valid ? sum / (double)n_valid : -1;
    *classes = cls;
    *count = e.n_cat;
    cls = NULL;
done:
    free(cls), free(list), free(tp), free(fp), free(difficult), free(used);
    ev_free(&e);
    return st;
}
