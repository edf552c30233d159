/* Evaluation: box and mask IoU, COCO detection/segmentation metrics with
 * pycocotools' exact semantics, Pascal VOC AP, classification metrics,
 * precision-recall curves and TIDE-style error analysis. */
#ifndef TRAINSET_EVAL_H
#define TRAINSET_EVAL_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- geometry -------------------------------------------------------------- */

/* IoU of a detection box and a ground-truth box [x, y, w, h], computed in
 * the same order of floating-point operations as pycocotools' bbIou. With
 * `crowd` the union is the detection's area (COCO's crowd matching). */
double ts_box_iou(const double dt[4], const double gt[4], int crowd);

/* A binary mask as COCO run lengths: column-major, alternating runs of
 * zeros and ones, starting with zeros. `counts` is owned (free with
 * ts_mask_free). */
typedef struct {
    uint32_t h, w;
    uint32_t n;
    uint32_t *counts;
} ts_mask;

void ts_mask_free(ts_mask *mask); /* frees counts and zeroes; NULL ok */

/* Rasterise one polygon ring (`n_points` x,y pairs) into an h x w mask,
 * identical to COCO's maskApi rleFrPoly. Coordinates must be finite and
 * within +-2^28; very long outlines are refused with TS_ERR_LIMIT. */
ts_status ts_mask_from_polygon(ts_ctx *ctx, const double *xy, size_t n_points, uint32_t h, uint32_t w,
                               ts_mask *out);
/* Union (or intersection) of masks of one size, as rleMerge. */
ts_status ts_mask_merge(ts_ctx *ctx, const ts_mask *masks, size_t n, int intersect, ts_mask *out);
/* The mask of an annotation, as pycocotools' annToRLE with the image size
 * h x w: polygons rasterised and merged (a first ring of exactly 4 numbers
 * makes every ring an [x,y,w,h] box, as frPyObjects does), an RLE taken
 * as is with its own size, and an annotation with only a box gets the
 * box's polygon (as COCO.loadRes gives bbox results). */
ts_status ts_mask_from_annotation(ts_ctx *ctx, const ts_annotation *ann, uint32_t h, uint32_t w, ts_mask *out);
/* Number of ones. */
uint64_t ts_mask_area(const ts_mask *mask);
/* Bounding box as pycocotools' toBbox. */
void ts_mask_bbox(const ts_mask *mask, double bbox[4]);
/* IoU as pycocotools' rleIou: 0 unless the masks' boxes overlap, -1 when
 * the sizes differ, intersection over the detection's area for a crowd. */
double ts_mask_iou(const ts_mask *dt, const ts_mask *gt, int crowd);

/* ---- COCO evaluation (pycocotools' COCOeval) ----------------------------------- */

typedef enum { TS_IOU_BBOX = 0, TS_IOU_SEGM = 1 } ts_iou_type;

#define TS_COCO_NUM_IOU 10    /* .50:.05:.95 */
#define TS_COCO_NUM_REC 101   /* recall 0:.01:1 */
#define TS_COCO_NUM_AREA 4    /* all, small, medium, large */
#define TS_COCO_NUM_MAXDET 3  /* 1, 10, 100 */
#define TS_COCO_NUM_STATS 12

/* The thresholds exactly as np.linspace makes them (the 9th IoU threshold
 * is 0.8999999999999999, some recall thresholds sit just above k/100). */
const double *ts_coco_iou_thresholds(void);
const double *ts_coco_recall_thresholds(void);
/* Area range a: [lo, hi], both inclusive; maxDets m. */
void ts_coco_area_range(int a, double *lo, double *hi);
int ts_coco_max_dets(int m);
/* "all", "small", "medium", "large". */
const char *ts_coco_area_name(int a);
/* The 12 summary lines' labels, as pycocotools prints them. */
const char *ts_coco_stat_name(int i);

/* COCO.loadRes picks one way of reading a whole results file from its
 * first detection: with a non-empty "bbox", det area = w*h; otherwise (a
 * "segmentation" only) det area = mask area. A dataset no longer tells
 * whether a box was given or derived from the mask, so the caller says. */
typedef enum {
    TS_RESULTS_AUTO = 0, /* bbox when the first detection has a box */
    TS_RESULTS_BBOX,
    TS_RESULTS_SEGM
} ts_results_branch;

/* The branch of a COCO results file, from its first record only;
 * TS_RESULTS_AUTO when the file is not a JSON list or is empty. */
ts_status ts_coco_results_branch(ts_ctx *ctx, const char *path, ts_results_branch *out);

typedef struct {
    ts_iou_type iou_type;
    ts_results_branch branch;
} ts_coco_opts;

/* Per-category results (categories in ascending id order, as COCOeval). */
typedef struct {
    int64_t category_id;
    const char *name;
    double ap, ap50, ap75; /* -1 when the category has no ground truth */
    double ar100;
    uint64_t n_gt;       /* non-crowd ground truths */
    uint64_t n_dt;       /* detections evaluated (after maxDets per image) */
    uint64_t n_matched;  /* true positives at IoU .50, area all, maxDets 100 */
    double mean_iou;     /* mean IoU of those matches; -1 when none */
} ts_coco_class;

/* Evaluation results. Opaque; read-only after creation; thread-safe reads. */
typedef struct ts_coco_eval ts_coco_eval;

/* Evaluate predictions `dt` (a results list read as a dataset: annotations
 * with TS_ANN_HAS_SCORE) against ground truth `gt`, as COCO.loadRes +
 * COCOeval.evaluate + accumulate + summarize with default parameters. The
 * detections keep their file order (ties in score resolve by it).
 * Detections on image ids absent from `gt` are dropped with a warning
 * (pycocotools refuses the whole file); category ids absent from `gt` are
 * ignored as pycocotools does (counted, one warning). NaN scores, negative
 * or non-finite boxes, missing scores and masks whose size differs from
 * their image are errors naming the detection (in lenient mode a bad
 * mask size is a warning and the pair's IoU is -1, as in pycocotools).
 * Uses ctx's thread count; results do not depend on it. */
ts_status ts_coco_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, const ts_coco_opts *opts,
                           ts_coco_eval **out);
void ts_coco_eval_destroy(ts_coco_eval *ev); /* NULL ok */

/* The 12 numbers of COCOeval.summarize() in its order. */
const double *ts_coco_eval_stats(const ts_coco_eval *ev);
size_t ts_coco_eval_class_count(const ts_coco_eval *ev);
const ts_coco_class *ts_coco_eval_class(const ts_coco_eval *ev, size_t k);
/* COCOeval.eval['precision'][t, r, k, a, m] and eval['recall'][t, k, a, m]
 * (-1 where undefined). */
double ts_coco_eval_precision(const ts_coco_eval *ev, int t, int r, size_t k, int a, int m);
double ts_coco_eval_recall(const ts_coco_eval *ev, int t, size_t k, int a, int m);
/* Precision at recall threshold r averaged over categories that have one
 * (-1 when none): the overall PR curve at IoU threshold index t. */
double ts_coco_eval_mean_precision(const ts_coco_eval *ev, int t, int r, int a, int m);
/* IoU histogram of the true positives at IoU .50 (area all, maxDets 100):
 * 10 bins [.50,.55) ... [.95,1.0]. Also the overall mean IoU (-1 if none). */
void ts_coco_eval_iou_histogram(const ts_coco_eval *ev, uint64_t bins[10], double *mean_iou);
/* Detections dropped for an unknown image id, and ignored for an unknown
 * category id; detections loaded. */
void ts_coco_eval_counts(const ts_coco_eval *ev, uint64_t *dropped_image, uint64_t *ignored_category,
                         uint64_t *loaded);

/* Mean of the values > -1 of an array, summed in numpy's pairwise order
 * (so it is bit-identical to np.mean(s[s > -1])); -1 when none. */
double ts_eval_mean_valid(const double *v, size_t n);

/* ---- Pascal VOC AP --------------------------------------------------------------- */

typedef enum { TS_VOC_2007 = 7, TS_VOC_2012 = 12 } ts_voc_metric;

typedef struct {
    int64_t category_id;
    const char *name; /* points into the ground-truth dataset */
    double ap;       /* NaN-free: -1 when the class has no non-difficult GT */
    uint64_t n_gt;   /* non-difficult ground truths */
    uint64_t n_dt;
} ts_voc_class;

/* VOC detection AP at IoU > 0.5 (strict, as voc_eval.py), `difficult`
 * (and crowd) ground truths neither matched as TP nor counted as misses;
 * 2007: 11-point interpolated, 2012: area under the monotone envelope.
 * `classes` (malloc'd, K entries in ascending category id) and the mean
 * over classes with ground truth. */
ts_status ts_voc_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, ts_voc_metric metric,
                          ts_voc_class **classes, size_t *count, double *map);
/* VOC's AP of one recall/precision sequence (n points, recall ascending). */
double ts_voc_ap(const double *rec, const double *prec, size_t n, ts_voc_metric metric);

/* ---- classification ------------------------------------------------------------- */

/* One-vs-rest precision-recall per class of image-label predictions: for
 * class c, every image's best-scored c prediction, ranked by score (ties in
 * file order), is a hit when c is among the image's labels; images with no
 * c prediction are never retrieved, so a top-5 file's curve may stop short
 * of recall 1. Only labelled images count. */
typedef struct {
    size_t n_classes;       /* categories of the ground truth, ascending id */
    int64_t *category_ids;
    const char **names;     /* point into the ground-truth dataset */
    /* (n_classes + 1) rows of TS_COCO_NUM_REC: interpolated precision (the
     * best at recall >= COCO's recall point, 0 where never reached), a row
     * of -1 for a class without positives; the last row is the mean over
     * the classes with positives. */
    double *precision;
    double *ap;             /* per class: the mean of its row (COCO's 101-point AP), -1 without positives */
    double map;             /* mean AP over the classes with positives */
} ts_cls_pr;

typedef struct {
    int64_t category_id;
    const char *name;   /* points into the ground-truth dataset */
    uint64_t support;   /* images whose label is this class */
    uint64_t predicted; /* images whose top-1 prediction is this class */
    uint64_t tp;
    double precision, recall, f1; /* 0 when undefined */
} ts_cls_class;

typedef struct {
    uint64_t n_images;     /* ground-truth images with a label */
    uint64_t n_unpredicted;/* of those, images with no prediction */
    double accuracy;       /* top-1 */
    double top_k;          /* label among the k best-scored predictions */
    int k;
    double macro_precision, macro_recall, macro_f1;
    double micro_precision, micro_recall, micro_f1;
    size_t n_classes;      /* categories of the ground truth, ascending id */
    ts_cls_class *classes;
    /* confusion[i * (n_classes + 1) + j]: images of class i predicted j;
     * column n_classes counts images without a prediction. */
    uint64_t *confusion;
    ts_cls_pr curves;      /* one-vs-rest PR curves per class */
} ts_cls_result;

/* Classification metrics for image-label predictions (a list of
 * {"image_id","category_id","score"}, several per image) against the
 * ground truth's image labels (TS_ANN_LABEL; an image with several labels
 * counts top-1 as right when it is any of them). Predictions for unknown
 * images are dropped with a warning; NaN scores are errors. */
ts_status ts_cls_evaluate(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *pred, int k, ts_cls_result *out);
void ts_cls_result_free(ts_cls_result *res); /* NULL ok */
/* 1 when every annotation of `pred` is an image label (no box or mask). */
int ts_eval_is_classification(const ts_dataset *pred);


/* ---- PR curves and plots -------------------------------------------------------- */

/* One evaluated prediction file, for curves and comparisons. */
typedef struct {
    const char *label; /* shown in the legend, e.g. the file name */
    const ts_coco_eval *eval;
} ts_pr_series;

/* CSV with header "series,iou,category_id,category,recall,precision":
 * per class and overall (category_id -1, "all") at IoU .50 and .75, the
 * 101 recall points (area all, maxDets 100). Written atomically. */
ts_status ts_pr_write_csv(ts_ctx *ctx, const char *path, const ts_pr_series *series, size_t n);
/* SVG plot of the overall PR curves at IoU .50 (solid) and .75 (dashed) of
 * each series, with a table of AP, AP50, AP75 and mean IoU per series. */
ts_status ts_pr_write_svg(ts_ctx *ctx, const char *path, const ts_pr_series *series, size_t n);

/* One evaluated image-label prediction file, for curves and comparisons. */
typedef struct {
    const char *label;      /* shown in the legend, e.g. the file name */
    const ts_cls_pr *pr;    /* all series share the ground truth's classes */
    double accuracy, top_k; /* for the table under the plot */
} ts_cls_series;

/* CSV with header "series,category_id,category,recall,precision": the mean
 * curve (category_id -1, "all") and each class's, 101 recall points each.
 * Written atomically. */
ts_status ts_cls_pr_write_csv(ts_ctx *ctx, const char *path, const ts_cls_series *series, size_t n);
/* SVG: one small panel per class (the mean first; up to 39 classes) with
 * every series' curve overlaid, and a table of top-1, top-k and mean AP. */
ts_status ts_cls_pr_write_svg(ts_ctx *ctx, const char *path, const ts_cls_series *series, size_t n);

/* ---- error analysis (TIDE) -------------------------------------------------------- */

typedef enum {
    TS_TIDE_CLS = 0, /* right place, wrong class */
    TS_TIDE_LOC,     /* right class, IoU in [.1, .5) */
    TS_TIDE_BOTH,    /* wrong class and poorly localised */
    TS_TIDE_DUPE,    /* right class and place, GT already taken */
    TS_TIDE_BKG,     /* on background (IoU < .1 with everything) */
    TS_TIDE_MISS,    /* ground truth never detected */
    TS_TIDE_KINDS
} ts_tide_kind;

const char *ts_tide_kind_name(ts_tide_kind kind);

typedef struct {
    int64_t image_id;
    const char *path; /* points into the ground-truth dataset */
    uint64_t errors[TS_TIDE_KINDS];
    uint64_t total;
} ts_error_image;

typedef struct {
    int64_t gt_category, dt_category; /* ground truth's class, predicted class */
    uint64_t count;
} ts_error_confusion;

typedef struct {
    double ap50;                     /* base COCO-style AP at IoU .50 */
    uint64_t count[TS_TIDE_KINDS];
    double delta_ap[TS_TIDE_KINDS];   /* AP50 gained by fixing each kind */
    /* per class (ascending id): counts of each kind */
    size_t n_classes;
    int64_t *class_ids;
    const char **class_names;        /* point into the ground-truth dataset */
    uint64_t *class_counts;          /* n_classes * TS_TIDE_KINDS */
    ts_error_image *worst;           /* images with most errors, descending */
    size_t n_worst;
    ts_error_confusion *confusions;  /* class pairs, most frequent first */
    size_t n_confusions;
} ts_error_report;

/* TIDE-style error analysis at foreground IoU .5 and background IoU .1
 * (bbox or segm IoU), with the AP50 gained by fixing each error kind alone
 * (cls: relabel, loc: snap to the GT, both/dupe/bkg: suppress, miss:
 * drop the missed GT), up to `max_worst` worst images. Same input rules as
 * ts_coco_evaluate. */
ts_status ts_errors_analyze(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, ts_iou_type iou_type,
                            size_t max_worst, ts_error_report *out);
void ts_error_report_free(ts_error_report *rep); /* NULL ok */

#ifdef __cplusplus
}
#endif
#endif
