/* Evaluation building blocks and rules: thresholds, box and mask IoU,
 * polygon rasterisation, numpy-exact means, bad predictions, VOC AP,
 * classification metrics and TIDE error kinds on hand-made datasets. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/eval.h"

static ts_dataset *new_gt(ts_ctx *ctx, int n_images, int n_cats) {
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    for (int i = 0; i < n_images; i++) {
        ts_image_entry e = ts_image_entry_empty();
        char path[32];
        snprintf(path, sizeof path, "img%d.jpg", i + 1);
        e.id = i + 1;
        e.path = path;
        e.width = 100;
        e.height = 80;
        CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
    }
    for (int c = 0; c < n_cats; c++) {
        ts_category cat = ts_category_empty();
        char name[16];
        snprintf(name, sizeof name, "c%d", c + 1);
        cat.id = c + 1;
        cat.name = name;
        CHECK_OK(ctx, ts_dataset_add_category(ctx, ds, &cat, NULL));
    }
    return ds;
}

/* A box annotation; score < 0 means ground truth (area = w*h given). */
static void add_box(ts_ctx *ctx, ts_dataset *ds, int64_t img, int64_t cat, double x, double y, double w, double h,
                    double score) {
    ts_annotation a = ts_annotation_empty();
    a.id = (int64_t)ts_dataset_annotation_count(ds) + 1; /* GT id 0 would read as unmatched */
    a.image_id = img;
    a.category_id = cat;
    a.kind = TS_ANN_BOX;
    a.flags = TS_ANN_HAS_BOX;
    a.bbox[0] = x, a.bbox[1] = y, a.bbox[2] = w, a.bbox[3] = h;
    if (score < 0) {
        a.area = w * h;
        a.flags |= TS_ANN_HAS_AREA;
    } else {
        a.score = score;
        a.flags |= TS_ANN_HAS_SCORE;
    }
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
}

static ts_dataset *new_pred(ts_ctx *ctx) {
    ts_dataset *ds = NULL;
    CHECK_OK(ctx, ts_dataset_create(ctx, &ds));
    return ds;
}

TEST(eval_thresholds_are_numpy_linspace) {
    const double *iou = ts_coco_iou_thresholds(), *rec = ts_coco_recall_thresholds();
    CHECK(iou[0] == 0.5 && iou[5] == 0.75 && iou[9] == 0.95);
    CHECK(iou[8] == 0.8999999999999999);
    CHECK(rec[57] == 0.5700000000000001 && rec[57] > 0.57);
    CHECK(rec[0] == 0 && rec[100] == 1 && rec[50] == 0.5);
    double lo, hi;
    ts_coco_area_range(2, &lo, &hi);
    CHECK(lo == 1024 && hi == 9216);
    CHECK_EQ_INT(ts_coco_max_dets(1), 10);
}

TEST(eval_box_iou) {
    double a[4] = {0, 0, 10, 10}, b[4] = {5, 0, 10, 10}, far[4] = {20, 20, 5, 5};
    CHECK_NEAR(ts_box_iou(a, b, 0), 50.0 / 150.0, 1e-15);
    CHECK_NEAR(ts_box_iou(b, a, 1), 0.5, 1e-15); /* crowd: over the detection's area */
    CHECK(ts_box_iou(a, far, 0) == 0);
    double touching[4] = {10, 0, 5, 5};
    CHECK(ts_box_iou(a, touching, 0) == 0);
}

TEST(eval_polygon_rasterisation) {
    ts_ctx *ctx = ts_test_ctx();
    double square[] = {0, 0, 10, 0, 10, 10, 0, 10};
    ts_mask m = {0, 0, 0, NULL};
    CHECK_OK(ctx, ts_mask_from_polygon(ctx, square, 4, 20, 20, &m));
    CHECK_EQ_INT(ts_mask_area(&m), 100);
    double bb[4];
    ts_mask_bbox(&m, bb);
    CHECK(bb[0] == 0 && bb[1] == 0 && bb[2] == 10 && bb[3] == 10);
    /* a second square beside it: union and intersection */
    double square2[] = {5, 0, 15, 0, 15, 10, 5, 10};
    ts_mask two[2] = {m, {0, 0, 0, NULL}}, u = {0, 0, 0, NULL}, in = {0, 0, 0, NULL};
    CHECK_OK(ctx, ts_mask_from_polygon(ctx, square2, 4, 20, 20, &two[1]));
    CHECK_OK(ctx, ts_mask_merge(ctx, two, 2, 0, &u));
    CHECK_OK(ctx, ts_mask_merge(ctx, two, 2, 1, &in));
    CHECK_EQ_INT(ts_mask_area(&u), 150);
    CHECK_EQ_INT(ts_mask_area(&in), 50);
    CHECK_NEAR(ts_mask_iou(&two[1], &m, 0), 50.0 / 150.0, 1e-15);
    CHECK_NEAR(ts_mask_iou(&two[1], &m, 1), 0.5, 1e-15);
    /* size mismatch: -1, as rleIou */
    ts_mask other = {0, 0, 0, NULL};
    CHECK_OK(ctx, ts_mask_from_polygon(ctx, square, 4, 21, 20, &other));
    CHECK(ts_mask_iou(&other, &m, 0) == -1);
    /* repeated vertices and an empty ring do not crash */
    double dup[] = {1, 1, 1, 1, 8, 1, 8, 8, 8, 8};
    ts_mask d = {0, 0, 0, NULL}, e = {0, 0, 0, NULL};
    CHECK_OK(ctx, ts_mask_from_polygon(ctx, dup, 5, 10, 10, &d));
    CHECK(ts_mask_area(&d) > 0);
    CHECK_OK(ctx, ts_mask_from_polygon(ctx, dup, 0, 10, 10, &e));
    CHECK_EQ_INT(ts_mask_area(&e), 0);
    double bad[] = {0, 0, NAN, 3, 4, 4};
    CHECK_FAILS(ctx, ts_mask_from_polygon(ctx, bad, 3, 10, 10, &e), "not finite");
    double huge[] = {0, 0, 1e9, 0, 0, 5};
    CHECK_FAILS(ctx, ts_mask_from_polygon(ctx, huge, 3, 10, 10, &e), "out of range");
    ts_mask_free(&two[0]), ts_mask_free(&two[1]), ts_mask_free(&u), ts_mask_free(&in);
    ts_mask_free(&other), ts_mask_free(&d), ts_mask_free(&e);
}

TEST(eval_mean_valid_is_numpy_mean) {
    double v[5] = {-1, 0.5, -1, 0.25, 1};
    CHECK_NEAR(ts_eval_mean_valid(v, 5), 1.75 / 3, 1e-15);
    double none[2] = {-1, -1};
    CHECK(ts_eval_mean_valid(none, 2) == -1);
    /* 1000 values of 0.1: pairwise summation gives exactly numpy's result */
    double *many = malloc(1000 * sizeof *many);
    for (int i = 0; i < 1000; i++) many[i] = 0.1;
    CHECK(ts_eval_mean_valid(many, 1000) == 0.10000000000000002);
    free(many);
}

/* One GT box per image, predictions of varying quality. */
TEST(eval_coco_handmade_case) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt = new_gt(ctx, 2, 1), *dt = new_pred(ctx);
    add_box(ctx, gt, 1, 1, 10, 10, 40, 40, -1);
    add_box(ctx, gt, 2, 1, 10, 10, 40, 40, -1);
    add_box(ctx, dt, 1, 1, 10, 10, 40, 40, 0.9); /* exact */
    add_box(ctx, dt, 2, 1, 10, 10, 40, 30, 0.8); /* IoU .75 */
    add_box(ctx, dt, 2, 1, 60, 60, 10, 10, 0.7); /* FP */
    ts_coco_eval *ev = NULL;
    CHECK_OK(ctx, ts_coco_evaluate(ctx, gt, dt, NULL, &ev));
    if (ev) {
        const double *s = ts_coco_eval_stats(ev);
        CHECK(s[1] == 1.0); /* AP50: both TPs before the FP */
        CHECK(s[2] == 1.0); /* AP75: IoU .75 counts at .75 */
        /* thresholds .80..95: one TP then FP: recall .5 -> AP = 51/101 */
        CHECK_NEAR(s[0], (6 * 1.0 + 4 * 51.0 / 101) / 10, 1e-15);
        CHECK_EQ_INT(ts_coco_eval_class(ev, 0)->n_matched, 2);
        CHECK_NEAR(ts_coco_eval_class(ev, 0)->mean_iou, 0.875, 1e-15);
        uint64_t bins[10];
        double miou;
        ts_coco_eval_iou_histogram(ev, bins, &miou);
        CHECK_EQ_INT(bins[5], 1);
        CHECK_EQ_INT(bins[9], 1);
    }
    ts_coco_eval_destroy(ev);
    ts_dataset_destroy(gt);
    ts_dataset_destroy(dt);
}

TEST(eval_bad_predictions) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt = new_gt(ctx, 1, 1);
    add_box(ctx, gt, 1, 1, 0, 0, 10, 10, -1);
    ts_coco_eval *ev = NULL;
    ts_dataset *dt = new_pred(ctx);
    add_box(ctx, dt, 1, 1, 0, 0, 10, 10, NAN);
    CHECK_FAILS(ctx, ts_coco_evaluate(ctx, gt, dt, NULL, &ev), "score is NaN");
    ts_dataset_destroy(dt);
    dt = new_pred(ctx);
    add_box(ctx, dt, 1, 1, 0, 0, -10, 10, 0.5);
    CHECK_FAILS(ctx, ts_coco_evaluate(ctx, gt, dt, NULL, &ev), "negative width");
    ts_dataset_destroy(dt);
    dt = new_pred(ctx);
    add_box(ctx, dt, 1, 1, 0, 0, 10, 10, -1); /* a GT-style record: no score */
    CHECK_FAILS(ctx, ts_coco_evaluate(ctx, gt, dt, NULL, &ev), "no \"score\"");
    CHECK_FAILS(ctx, ts_errors_analyze(ctx, gt, dt, TS_IOU_BBOX, 5, &(ts_error_report){0}), "no \"score\"");
    ts_dataset_destroy(dt);
    /* unknown image: dropped and counted; the rest evaluated */
    dt = new_pred(ctx);
    add_box(ctx, dt, 1, 1, 0, 0, 10, 10, 0.5);
    add_box(ctx, dt, 42, 1, 0, 0, 10, 10, 0.9);
    int warned = ts_test_warnings;
    CHECK_OK(ctx, ts_coco_evaluate(ctx, gt, dt, NULL, &ev));
    CHECK(ts_test_warnings > warned);
    if (ev) {
        uint64_t dropped, ignored, loaded;
        ts_coco_eval_counts(ev, &dropped, &ignored, &loaded);
        CHECK_EQ_INT(dropped, 1);
        CHECK_EQ_INT(loaded, 1);
        /* one TP: precision 1 / (1 + eps) as pycocotools computes it */
        CHECK(ts_coco_eval_stats(ev)[0] == 1 / (1 + 2.220446049250313e-16));
    }
    ts_coco_eval_destroy(ev);
    ts_dataset_destroy(dt);
    ts_dataset_destroy(gt);
}

/* A mask whose size differs from its image: an error, or with --lenient
 * pycocotools' IoU of -1 (a false positive). */
TEST(eval_segm_mask_size_mismatch) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt = new_gt(ctx, 1, 1), *dt = new_pred(ctx);
    add_box(ctx, gt, 1, 1, 0, 0, 10, 10, -1); /* segm GT from its box polygon */
    ts_annotation a = ts_annotation_empty();
    uint32_t runs[3] = {0, 50, 50 * 80 - 50}; /* 50 ones at the start of a 80x50 mask: wrong width */
    a.id = 1, a.image_id = 1, a.category_id = 1, a.kind = TS_ANN_MASK;
    a.flags = TS_ANN_HAS_SCORE, a.score = 0.9;
    a.rle = runs, a.rle_len = 3, a.mask_h = 80, a.mask_w = 50;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, dt, &a, NULL));
    ts_coco_opts o = {TS_IOU_SEGM, TS_RESULTS_AUTO};
    ts_coco_eval *ev = NULL;
    CHECK_FAILS(ctx, ts_coco_evaluate(ctx, gt, dt, &o, &ev), "mask is 50x80");
    ts_ctx_set_lenient(ctx, 1);
    CHECK_OK(ctx, ts_coco_evaluate(ctx, gt, dt, &o, &ev));
    ts_ctx_set_lenient(ctx, 0);
    if (ev) CHECK(ts_coco_eval_stats(ev)[1] == 0); /* the only detection never matches */
    ts_coco_eval_destroy(ev);
    /* runs that do not cover the mask are refused */
    runs[2] = 5;
    ts_dataset_destroy(dt);
    dt = new_pred(ctx);
    a.mask_w = 100;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, dt, &a, NULL));
    CHECK_FAILS(ctx, ts_coco_evaluate(ctx, gt, dt, &o, &ev), "runs sum");
    ts_dataset_destroy(dt);
    ts_dataset_destroy(gt);
}

TEST(eval_voc_ap) {
    double rec[2] = {0.5, 1.0}, prec[2] = {1.0, 0.5};
    CHECK_NEAR(ts_voc_ap(rec, prec, 2, TS_VOC_2012), 0.75, 1e-15);
    CHECK_NEAR(ts_voc_ap(rec, prec, 2, TS_VOC_2007), (6 * 1.0 + 5 * 0.5) / 11, 1e-15);
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt = new_gt(ctx, 1, 1), *dt = new_pred(ctx);
    add_box(ctx, gt, 1, 1, 0, 0, 10, 10, -1);
    ts_annotation a = ts_annotation_empty(); /* a difficult GT */
    a.id = 99, a.image_id = 1, a.category_id = 1, a.kind = TS_ANN_BOX;
    a.flags = TS_ANN_HAS_BOX | TS_ANN_DIFFICULT;
    a.bbox[0] = 50, a.bbox[1] = 50, a.bbox[2] = 10, a.bbox[3] = 10;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, gt, &a, NULL));
    add_box(ctx, dt, 1, 1, 50, 50, 10, 10, 0.95); /* on the difficult one: neither TP nor FP */
    add_box(ctx, dt, 1, 1, 0, 0, 10, 10, 0.9);
    add_box(ctx, dt, 1, 1, 0, 0, 10, 10, 0.8); /* duplicate: FP */
    ts_voc_class *cls = NULL;
    size_t n = 0;
    double map = 0;
    CHECK_OK(ctx, ts_voc_evaluate(ctx, gt, dt, TS_VOC_2012, &cls, &n, &map));
    CHECK_EQ_INT(n, 1);
    if (cls) {
        CHECK_EQ_INT(cls[0].n_gt, 1);
        CHECK_NEAR(cls[0].ap, 1.0, 1e-15);
        CHECK_NEAR(map, 1.0, 1e-15);
    }
    free(cls);
    ts_dataset_destroy(gt);
    ts_dataset_destroy(dt);
}

static void add_label(ts_ctx *ctx, ts_dataset *ds, int64_t img, int64_t cat, double score) {
    ts_annotation a = ts_annotation_empty();
    a.id = (int64_t)ts_dataset_annotation_count(ds) + 1; /* GT id 0 would read as unmatched */
    a.image_id = img, a.category_id = cat, a.kind = TS_ANN_LABEL;
    if (score >= 0) a.score = score, a.flags = TS_ANN_HAS_SCORE;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
}

/* Five images labelled 1 1 2 3 3 and their predictions: image 1 right;
 * 2 top-1 wrong (3), top-2 right; 3 right; 4 wrong (2); 5 no prediction. */
static void classification_case(ts_ctx *ctx, ts_dataset **gt, ts_dataset **pr) {
    *gt = new_gt(ctx, 5, 3), *pr = new_pred(ctx);
    int truth[5] = {1, 1, 2, 3, 3};
    for (int i = 0; i < 5; i++) add_label(ctx, *gt, i + 1, truth[i], -1);
    add_label(ctx, *pr, 1, 1, 0.9), add_label(ctx, *pr, 1, 2, 0.1);
    add_label(ctx, *pr, 2, 1, 0.4), add_label(ctx, *pr, 2, 3, 0.6);
    add_label(ctx, *pr, 3, 2, 0.7);
    add_label(ctx, *pr, 4, 2, 0.8), add_label(ctx, *pr, 4, 3, 0.2);
}

TEST(eval_classification_metrics) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt, *pr;
    classification_case(ctx, &gt, &pr);
    CHECK(ts_eval_is_classification(pr));
    ts_cls_result r;
    CHECK_OK(ctx, ts_cls_evaluate(ctx, gt, pr, 2, &r));
    CHECK_EQ_INT(r.n_images, 5);
    CHECK_EQ_INT(r.n_unpredicted, 1);
    CHECK_NEAR(r.accuracy, 2.0 / 5, 1e-15);
    CHECK_NEAR(r.top_k, 4.0 / 5, 1e-15);
    /* class 1: support 2, predicted 1, tp 1; class 2: support 1, predicted 2, tp 1; class 3: support 2, predicted 1, tp 0 */
    CHECK_EQ_INT(r.classes[0].tp, 1);
    CHECK_NEAR(r.classes[0].recall, 0.5, 1e-15);
    CHECK_NEAR(r.classes[1].precision, 0.5, 1e-15);
    CHECK_NEAR(r.classes[2].f1, 0, 1e-15);
    CHECK_NEAR(r.macro_recall, (0.5 + 1 + 0) / 3, 1e-15);
    CHECK_NEAR(r.micro_precision, 2.0 / 4, 1e-15);
    CHECK_NEAR(r.micro_recall, 2.0 / 5, 1e-15);
    CHECK_EQ_INT(r.confusion[0 * 4 + 2], 1); /* truth 1 predicted 3 */
    CHECK_EQ_INT(r.confusion[2 * 4 + 3], 1); /* truth 3 without prediction */
    ts_cls_result_free(&r);
    ts_dataset_destroy(gt);
    ts_dataset_destroy(pr);
}

/* One-vs-rest PR curves, worked by hand: class 1 ranks two hits (AP 1);
 * class 2 a miss before its one hit (precision .5 everywhere); class 3 a
 * miss before one of its two positives (precision .5 up to recall .5, then
 * 0). A repeated, lower-scored class on an image does not count twice. */
TEST(eval_classification_pr_curves) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt, *pr;
    classification_case(ctx, &gt, &pr);
    add_label(ctx, pr, 3, 2, 0.05);
    ts_cls_result r;
    CHECK_OK(ctx, ts_cls_evaluate(ctx, gt, pr, 2, &r));
    const ts_cls_pr c = r.curves;
    CHECK_EQ_INT(c.n_classes, 3);
    const double *p1 = c.precision, *p2 = p1 + TS_COCO_NUM_REC, *p3 = p2 + TS_COCO_NUM_REC, *mean = p3 + TS_COCO_NUM_REC;
    for (int t = 0; t < TS_COCO_NUM_REC; t++) {
        CHECK_NEAR(p1[t], 1, 1e-15);
        CHECK_NEAR(p2[t], 0.5, 1e-15);
        CHECK_NEAR(p3[t], t <= 50 ? 0.5 : 0, 1e-15);
        CHECK_NEAR(mean[t], (p1[t] + p2[t] + p3[t]) / 3, 1e-15);
    }
    CHECK_NEAR(c.ap[0], 1, 1e-15);
    CHECK_NEAR(c.ap[1], 0.5, 1e-15);
    CHECK_NEAR(c.ap[2], 51 * 0.5 / 101, 1e-15);
    CHECK_NEAR(c.map, (1 + 0.5 + 51 * 0.5 / 101) / 3, 1e-15);
    CHECK_EQ_INT(c.category_ids[2], 3);
    ts_cls_result_free(&r);
    ts_dataset_destroy(gt);
    ts_dataset_destroy(pr);
}

/* One of each TIDE kind. */
TEST(eval_error_kinds) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *gt = new_gt(ctx, 1, 2), *dt = new_pred(ctx);
    add_box(ctx, gt, 1, 1, 0, 0, 20, 20, -1);  /* found */
    add_box(ctx, gt, 1, 1, 40, 0, 20, 20, -1); /* loosely boxed: loc */
    add_box(ctx, gt, 1, 2, 0, 40, 20, 20, -1); /* predicted as class 1: cls */
    add_box(ctx, gt, 1, 2, 70, 60, 10, 10, -1); /* never found: miss */
    add_box(ctx, dt, 1, 1, 0, 0, 20, 20, 0.9);    /* TP */
    add_box(ctx, dt, 1, 1, 1, 0, 20, 20, 0.8);    /* dupe */
    add_box(ctx, dt, 1, 1, 45, 5, 25, 25, 0.7);   /* loc: IoU ~ .35 */
    add_box(ctx, dt, 1, 1, 0, 40, 20, 20, 0.6);   /* cls */
    add_box(ctx, dt, 1, 2, 88, 0, 10, 10, 0.5);   /* bkg */
    ts_error_report r;
    CHECK_OK(ctx, ts_errors_analyze(ctx, gt, dt, TS_IOU_BBOX, 10, &r));
    CHECK_EQ_INT(r.count[TS_TIDE_CLS], 1);
    CHECK_EQ_INT(r.count[TS_TIDE_LOC], 1);
    CHECK_EQ_INT(r.count[TS_TIDE_DUPE], 1);
    CHECK_EQ_INT(r.count[TS_TIDE_BKG], 1);
    CHECK_EQ_INT(r.count[TS_TIDE_BOTH], 0);
    CHECK_EQ_INT(r.count[TS_TIDE_MISS], 1);
    /* class 1 goes TP, dupe, loc, cls: fixing the loc (or moving the cls
     * detection to class 2) raises AP; the dupe and the background
     * detection come after every TP of their class and cost nothing */
    CHECK(r.delta_ap[TS_TIDE_LOC] > 0);
    CHECK(r.delta_ap[TS_TIDE_CLS] > 0);
    CHECK(r.delta_ap[TS_TIDE_DUPE] == 0);
    CHECK(r.delta_ap[TS_TIDE_BKG] == 0);
    if (CHECK(r.n_confusions == 1)) {
        CHECK_EQ_INT(r.confusions[0].gt_category, 2);
        CHECK_EQ_INT(r.confusions[0].dt_category, 1);
    }
    if (CHECK(r.n_worst == 1)) CHECK_EQ_INT(r.worst[0].total, 5);
    ts_error_report_free(&r);
    ts_dataset_destroy(gt);
    ts_dataset_destroy(dt);
}
