/* Internal to src/eval: ground truth and detections prepared once, with
 * COCO.loadRes' rules applied, grouped by (category, image) as COCOeval's
 * _prepare does; shared by the COCO evaluator and the error analysis. */
#ifndef TS_EVAL_INTERNAL_H
#define TS_EVAL_INTERNAL_H

#include "trainset/eval.h"

/* Ground truths or detections, in (category rank, image rank, file order)
 * order; detections of one (category, image) pair further by descending
 * score, ties in file order (pycocotools' stable mergesort). */
typedef struct {
    size_t n;
    size_t *ann;     /* annotation index in its dataset */
    uint32_t *img;   /* rank of the image among the GT image ids, ascending */
    uint32_t *cat;   /* rank of the category among the GT category ids */
    double *box;     /* x, y, w, h per item */
    double *area;    /* GT: its "area" field; detections: as loadRes sets it */
    double *score;   /* detections */
    int64_t *id;     /* GT: annotation id; detections: 1-based file position */
    uint8_t *crowd;  /* GT iscrowd (detections: 0) */
    uint32_t *rank;  /* detections: position within its pair by score */
    ts_mask *mask;   /* segm only: one per item */
    double *mbox;    /* segm only: toBbox of each mask */
} ev_items;

/* One (category, image) pair with ground truth or detections. */
typedef struct {
    uint32_t cat, img;
    size_t g0, g1, d0, d1; /* item ranges in ev_data.g / ev_data.d */
} ev_pair;

typedef struct {
    const ts_dataset *gt, *dt;
    ts_iou_type iou_type;
    size_t n_img, n_cat;
    size_t *img_index; /* rank -> GT image index */
    size_t *cat_index; /* rank -> GT category index */
    ev_items g, d;
    ev_pair *pairs;    /* ascending (cat, img) */
    size_t n_pairs;
    size_t *cat_pair0; /* n_cat + 1: pairs of category k are [cat_pair0[k], cat_pair0[k+1]) */
    uint64_t dropped_image, ignored_category, loaded;
} ev_data;

/* Validate and prepare. `pool` runs the mask work. */
ts_status ev_load(ts_ctx *ctx, const ts_dataset *gt, const ts_dataset *dt, ts_iou_type iou_type,
                  ts_results_branch branch, ts_pool *pool, ev_data *out);
void ev_free(ev_data *e);

/* IoU of detection item di with GT item gi (bbox or segm; crowd rule). */
double ev_iou(const ev_data *e, size_t di, size_t gi);

/* rleIou of one pair given both masks' toBbox boxes. */
double ev_mask_iou(const ts_mask *dt, const ts_mask *gt, const double db[4], const double gb[4], int crowd);

/* Per-worker scratch memory that grows on demand. */
typedef struct {
    void *p;
    size_t cap; /* bytes */
} ev_scratch;
void *ev_scratch_get(ev_scratch *s, size_t bytes); /* NULL on failure */

/* COCO 101-point interpolated AP of one class from detections in
 * evaluation order (tp[i] 1 or 0, all non-ignored) and npig ground truths,
 * computed as COCOeval.accumulate does; -1 when npig is 0. */
double ev_ap101(const uint8_t *tp, size_t nd, uint64_t npig, double *rc_scratch, double *pr_scratch);

#endif
