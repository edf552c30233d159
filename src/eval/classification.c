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

static void cls_pr_free(ts_cls_pr *pr);

void ts_cls_result_free(ts_cls_result *res) {
    if (!res) return;
    free(res->classes);
    free(res->confusion);
    cls_pr_free(&res->curves);
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

/* What both the metrics and the curves read: the ground truth's categories
 * by ascending id, each image's first label, and the predictions on known
 * images sorted by image, then score (best first), then file order. */
typedef struct {
    size_t K, NI, np;
    id_rank *cats;
    cls_pred *preds;
    size_t *label_of; /* first label's rank + 1, 0 = no label */
} cls_input;

static void cls_input_free(cls_input *in) {
    free(in->cats), free(in->preds), free(in->label_of);
    memset(in, 0, sizeof *in);
}

static ts_status cls_input_load(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *pred, cls_input *in) {
    size_t K = ts_dataset_category_count(gt), NI = ts_dataset_image_count(gt), NP = ts_dataset_annotation_count(pred);
    size_t NG = ts_dataset_annotation_count(gt);
    memset(in, 0, sizeof *in);
    in->K = K, in->NI = NI;
    in->cats = ts_alloc_array(ctx, K ? K : 1, sizeof *in->cats);
    in->preds = ts_alloc_array(ctx, NP ? NP : 1, sizeof *in->preds);
    in->label_of = ts_calloc_array(ctx, NI ? NI : 1, sizeof *in->label_of);
    if (!in->cats || !in->preds || !in->label_of) {
        cls_input_free(in);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < K; i++) in->cats[i] = (id_rank){ts_dataset_category_id(gt, i), i};
    qsort(in->cats, K, sizeof *in->cats, cmp_id_rank);
    for (size_t i = 0; i < NG; i++) {
        ts_annotation a;
        ts_dataset_annotation(gt, i, &a);
        size_t ii;
        long c = cat_rank(in->cats, K, a.category_id);
        if (!is_label(&a) || c < 0 || !ts_dataset_find_image(gt, a.image_id, &ii)) continue;
        if (!in->label_of[ii]) in->label_of[ii] = (size_t)c + 1;
    }
    uint64_t dropped = 0;
    for (size_t i = 0; i < NP; i++) {
        ts_annotation a;
        ts_dataset_annotation(pred, i, &a);
        if (isnan(a.score)) {
            cls_input_free(in);
            return ts_error(ctx, TS_ERR_INVALID, "prediction %zu (in file order): score is NaN", i + 1);
        }
        size_t ii;
        if (!ts_dataset_find_image(gt, a.image_id, &ii)) {
            dropped++;
            continue;
        }
        in->preds[in->np++] =
            (cls_pred){ii, (a.flags & TS_ANN_HAS_SCORE) ? a.score : 1.0, i, cat_rank(in->cats, K, a.category_id)};
    }
    if (dropped)
        ts_warn(ctx, "%llu predictions name image ids absent from the ground truth; dropped", (unsigned long long)dropped);
    qsort(in->preds, in->np, sizeof *in->preds, cmp_pred);
    return TS_OK;
}

static ts_status pr_curves(ts_ctx *ctx, const ts_dataset *gt, const cls_input *in, ts_cls_pr *out);

ts_status ts_cls_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *pred, int k, ts_cls_result *out) {
    cls_input in;
    ts_status st = cls_input_load(ctx, gt, pred, &in);
    if (st != TS_OK) return st;
    size_t K = in.K, NI = in.NI, np = in.np;
    const cls_pred *preds = in.preds;
    const size_t *label_of = in.label_of;
    const id_rank *cats = in.cats;
    if (k < 1) k = 1;
    ts_cls_result r;
    memset(&r, 0, sizeof r);
    r.k = k;
    r.n_classes = K;
    r.classes = ts_calloc_array(ctx, K ? K : 1, sizeof *r.classes);
    size_t nconf;
    if (!ts_mul_size(K, K + 1, &nconf)) nconf = 0;
    r.confusion = nconf ? ts_calloc_array(ctx, nconf, sizeof *r.confusion) : NULL;
    if (!r.classes || (K && !r.confusion)) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < K; i++) {
        ts_category c;
        ts_dataset_category(gt, cats[i].index, &c);
        r.classes[i].category_id = c.id;
        r.classes[i].name = c.name;
    }
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
    st = pr_curves(ctx, gt, &in, &r.curves);
done:
    cls_input_free(&in);
    if (st != TS_OK) {
        ts_cls_result_free(&r);
        return st;
    }
    *out = r;
    return TS_OK;
}

/* ---- one-vs-rest precision-recall curves ---------------------------------------- */

static void cls_pr_free(ts_cls_pr *pr) {
    free(pr->category_ids), free(pr->names), free(pr->precision), free(pr->ap);
    memset(pr, 0, sizeof *pr);
}

/* One ranked (image, class) prediction. */
typedef struct {
    long cat;
    double score;
    size_t pos; /* file order, for ties */
    int positive;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->cat != y->cat) return x->cat < y->cat ? -1 : 1;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Interpolated precision of one class's ranking at COCO's recall points,
 * as COCO takes it: at each point, the best precision from the first rank
 * whose recall reaches it down to the end; 0 where recall never reaches.
 * One walk up from the bottom of the ranking. */
static void interpolate(const ranked *r, size_t n, uint64_t positives, double *out) {
    const double *rec = ts_coco_recall_thresholds();
    for (int t = 0; t < TS_COCO_NUM_REC; t++) out[t] = 0;
    uint64_t tp = 0;
    for (size_t i = 0; i < n; i++) tp += r[i].positive;
    double best = 0;
    int t = TS_COCO_NUM_REC - 1;
    for (size_t i = n; i-- > 0;) {
        double recall = (double)tp / (double)positives, precision = (double)tp / (double)(i + 1);
        if (precision > best) best = precision;
        tp -= r[i].positive;
        double above = (double)tp / (double)positives; /* recall one rank up */
        for (; t >= 0 && rec[t] > above; t--)
            if (rec[t] <= recall) out[t] = best; /* rank i is the first to reach rec[t] */
    }
    for (; t >= 0; t--) out[t] = best; /* recall 0: reached from the first rank */
}

/* One-vs-rest curves from the loaded input (see ts_cls_pr). */
static ts_status pr_curves(ts_ctx *ctx, const ts_dataset *gt, const cls_input *input, ts_cls_pr *out) {
    const cls_input in = *input;
    ts_status st = TS_OK;
    size_t K = in.K;
    ts_cls_pr pr = {0};
    pr.n_classes = K;
    pr.category_ids = ts_alloc_array(ctx, K ? K : 1, sizeof *pr.category_ids);
    pr.names = ts_alloc_array(ctx, K ? K : 1, sizeof *pr.names);
    pr.ap = ts_alloc_array(ctx, K ? K : 1, sizeof *pr.ap);
    pr.precision = ts_alloc_array(ctx, (K + 1) * TS_COCO_NUM_REC, sizeof *pr.precision);
    ranked *rank = ts_alloc_array(ctx, in.np ? in.np : 1, sizeof *rank);
    uint64_t *positives = ts_calloc_array(ctx, K ? K : 1, sizeof *positives);
    size_t *seen = ts_calloc_array(ctx, K ? K : 1, sizeof *seen); /* stamp: image index + 1 */
    size_t *label = ts_calloc_array(ctx, K ? K : 1, sizeof *label);
    if (!pr.category_ids || !pr.names || !pr.ap || !pr.precision || !rank || !positives || !seen || !label) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    for (size_t c = 0; c < K; c++) {
        ts_category cat;
        ts_dataset_category(gt, in.cats[c].index, &cat);
        pr.category_ids[c] = cat.id;
        pr.names[c] = cat.name;
    }
    size_t nr = 0, p = 0;
    for (size_t img = 0; img < in.NI; img++) {
        size_t p0 = p;
        while (p < in.np && in.preds[p].img == img) p++;
        if (!in.label_of[img]) continue; /* only labelled images are ranked */
        const size_t *anns;
        size_t nanns;
        if ((st = ts_dataset_image_annotations(ctx, gt, img, &anns, &nanns)) != TS_OK) goto done;
        for (size_t j = 0; j < nanns; j++) { /* every label of the image is a positive */
            ts_annotation a;
            ts_dataset_annotation(gt, anns[j], &a);
            long c = is_label(&a) ? cat_rank(in.cats, K, a.category_id) : -1;
            if (c >= 0 && label[c] != img + 1) label[c] = img + 1, positives[c]++;
        }
        for (size_t q = p0; q < p; q++) { /* the image's best score per class (sorted best first) */
            long c = in.preds[q].cat;
            if (c < 0 || seen[c] == img + 1) continue;
            seen[c] = img + 1;
            rank[nr++] = (ranked){c, in.preds[q].score, in.preds[q].pos, label[c] == img + 1};
        }
    }
    qsort(rank, nr, sizeof *rank, cmp_ranked);
    double *mean = pr.precision + K * TS_COCO_NUM_REC;
    for (int t = 0; t < TS_COCO_NUM_REC; t++) mean[t] = 0;
    size_t with_positives = 0, r0 = 0;
    for (size_t c = 0; c < K; c++) {
        size_t r1 = r0;
        while (r1 < nr && rank[r1].cat == (long)c) r1++;
        double *row = pr.precision + c * TS_COCO_NUM_REC;
        pr.ap[c] = -1;
        if (positives[c]) {
            interpolate(rank + r0, r1 - r0, positives[c], row);
            double sum = 0;
            for (int t = 0; t < TS_COCO_NUM_REC; t++) sum += row[t], mean[t] += row[t];
            pr.ap[c] = sum / TS_COCO_NUM_REC;
            pr.map += pr.ap[c];
            with_positives++;
        } else {
            for (int t = 0; t < TS_COCO_NUM_REC; t++) row[t] = -1;
        }
        r0 = r1;
    }
    for (int t = 0; t < TS_COCO_NUM_REC; t++) mean[t] = with_positives ? mean[t] / (double)with_positives : -1;
    pr.map = with_positives ? pr.map / (double)with_positives : -1;
done:
    free(rank), free(positives), free(seen), free(label);
    if (st != TS_OK) {
        cls_pr_free(&pr);
        return st;
    }
    *out = pr;
    return TS_OK;
}
