/* Classification metrics for image-label predictions: top-1 and top-k
 * accuracy, per-class precision/recall/F1, macro and micro averages and
 * the confusion matrix, against the ground truth's image labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainset/eval.h"

static int is_label(const ts_annotation *a) {
    return a->kind == TS_ANN_LABEL || (!(a->flags & TS_ANN_HAS_BOX) && !a->rle_len && !a->n_rings);
}

int ts_eval_is_classification(const ts_dataset *pred) {
    size_t n = ts_dataset_annotation_count(pred);
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        ts_annotation a;
        ts_dataset_annotation(pred, i, &a);
        if (!is_label(&a)) return 0;
    }
    return 1;
}

void ts_cls_result_free(ts_cls_result *res) {
    if (!res) return;
    free(res->classes);
    free(res->confusion);
    memset(res, 0, sizeof *res);
}

typedef struct {
    size_t img;   /* GT image index */
    double score;
    size_t pos;   /* file order */
    long cat;     /* category rank, -1 when unknown */
} cls_pred;

static int cmp_pred(const void *a, const void *b) {
    const cls_pred *x = a, *y = b;
    if (x->img != y->img) return x->img < y->img ? -1 : 1;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

typedef struct {
    int64_t id;
    size_t index;
} id_rank;

static int cmp_id_rank(const void *a, const void *b) {
    int64_t x = ((const id_rank *)a)->id, y = ((const id_rank *)b)->id;
    return x < y ? -1 : x > y;
}

/* Rank of a category id among the sorted ids, or -1. */
static long cat_rank(const id_rank *cats, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cats[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && cats[lo].id == id ? (long)lo : -1;
}

ts_status ts_cls_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *pred, int k, ts_cls_result *out) {
    size_t K = ts_dataset_category_count(gt), NI = ts_dataset_image_count(gt), NP = ts_dataset_annotation_count(pred);
    size_t NG = ts_dataset_annotation_count(gt);
    if (k < 1) k = 1;
    ts_cls_result r;
    memset(&r, 0, sizeof r);
    r.k = k;
    r.n_classes = K;
    ts_status st = TS_OK;
    id_rank *cats = ts_alloc_array(ctx, K ? K : 1, sizeof *cats);
    cls_pred *preds = ts_alloc_array(ctx, NP ? NP : 1, sizeof *preds);
    size_t *label_of = ts_alloc_array(ctx, NI ? NI : 1, sizeof *label_of); /* first label rank + 1, 0 = none */
    r.classes = ts_calloc_array(ctx, K ? K : 1, sizeof *r.classes);
    size_t nconf;
    if (!ts_mul_size(K, K + 1, &nconf)) nconf = 0;
    r.confusion = nconf ? ts_calloc_array(ctx, nconf, sizeof *r.confusion) : NULL;
    if (!cats || !preds || !label_of || !r.classes || (K && !r.confusion)) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < K; i++) cats[i] = (id_rank){ts_dataset_category_id(gt, i), i};
    qsort(cats, K, sizeof *cats, cmp_id_rank);
    for (size_t i = 0; i < K; i++) {
        ts_category c;
        ts_dataset_category(gt, cats[i].index, &c);
        r.classes[i].category_id = c.id;
        r.classes[i].name = c.name;
    }
    memset(label_of, 0, (NI ? NI : 1) * sizeof *label_of);
    for (size_t i = 0; i < NG; i++) {
        ts_annotation a;
        ts_dataset_annotation(gt, i, &a);
        size_t ii;
        long c = cat_rank(cats, K, a.category_id);
        if (!is_label(&a) || c < 0 || !ts_dataset_find_image(gt, a.image_id, &ii)) continue;
        if (!label_of[ii]) label_of[ii] = (size_t)c + 1;
    }
    size_t np = 0;
    uint64_t dropped = 0;
    for (size_t i = 0; i < NP; i++) {
        ts_annotation a;
        ts_dataset_annotation(pred, i, &a);
        if (isnan(a.score)) {
            st = ts_error(ctx, TS_ERR_INVALID, "prediction %zu (in file order): score is NaN", i + 1);
            goto done;
        }
        size_t ii;
        if (!ts_dataset_find_image(gt, a.image_id, &ii)) {
            dropped++;
            continue;
        }
        preds[np++] = (cls_pred){ii, (a.flags & TS_ANN_HAS_SCORE) ? a.score : 1.0, i, cat_rank(cats, K, a.category_id)};
    }
    if (dropped)
        ts_warn(ctx, "%llu predictions name image ids absent from the ground truth; dropped", (unsigned long long)dropped);
    qsort(preds, np, sizeof *preds, cmp_pred);
    uint64_t top1 = 0, topk = 0;
    size_t p = 0;
    for (size_t img = 0; img < NI; img++) {
        size_t p0 = p;
        while (p < np && preds[p].img == img) p++;
        if (!label_of[img]) continue;
        const size_t *anns;
        size_t nanns;
        if ((st = ts_dataset_image_annotations(ctx, gt, img, &anns, &nanns)) != TS_OK) goto done;
        /* an image with several labels: a prediction is right if it is any of them */
        long truth = (long)label_of[img] - 1, top = p0 < p ? preds[p0].cat : -2;
        int right1 = 0, rightk = 0;
        for (size_t j = 0; j < nanns; j++) {
            ts_annotation a;
            ts_dataset_annotation(gt, anns[j], &a);
            if (!is_label(&a)) continue;
            long c = cat_rank(cats, K, a.category_id);
            if (c < 0) continue;
            if (c == top) right1 = 1, truth = c;
            for (size_t q = p0; q < p && q < p0 + (size_t)k; q++)
                if (preds[q].cat == c) rightk = 1;
        }
        r.n_images++;
        top1 += right1;
        topk += rightk;
        r.classes[truth].support++;
        if (top == -2) {
            r.n_unpredicted++;
            r.confusion[(size_t)truth * (K + 1) + K]++;
            continue;
        }
        if (top >= 0) {
            r.classes[top].predicted++;
            r.confusion[(size_t)truth * (K + 1) + (size_t)top]++;
        }
        if (right1) r.classes[truth].tp++;
    }
    uint64_t stp = 0, spred = 0, ssup = 0;
    size_t nmacro = 0;
    for (size_t c = 0; c < K; c++) {
        ts_cls_class *cl = &r.classes[c];
        cl->precision = cl->predicted ? (double)cl->tp / (double)cl->predicted : 0;
        cl->recall = cl->support ? (double)cl->tp / (double)cl->support : 0;
        cl->f1 = cl->precision + cl->recall > 0 ? 2 * cl->precision * cl->recall / (cl->precision + cl->recall) : 0;
        stp += cl->tp, spred += cl->predicted, ssup += cl->support;
        if (cl->support || cl->predicted) {
            r.macro_precision += cl->precision, r.macro_recall += cl->recall, r.macro_f1 += cl->f1;
            nmacro++;
        }
    }
    if (nmacro) r.macro_precision /= (double)nmacro, r.macro_recall /= (double)nmacro, r.macro_f1 /= (double)nmacro;
    r.micro_precision = spred ? (double)stp / (double)spred : 0;
    r.micro_recall = ssup ? (double)stp / (double)ssup : 0;
    r.micro_f1 = r.micro_precision + r.micro_recall > 0
                     ? 2 * r.micro_precision * r.micro_recall / (r.micro_precision + r.micro_recall)
                     : 0;
    r.accuracy = r.n_images ? (double)top1 / (double)r.n_images : 0;
    r.top_k = r.n_images ? (double)topk / (double)r.n_images : 0;
done:
    free(cats), free(preds), free(label_of);
    if (st != TS_OK) {
        ts_cls_result_free(&r);
        return st;
    }
    *out = r;
    return TS_OK;
}
