/* libFuzzer target: arbitrary bytes as a COCO results file evaluated (bbox
 * and segm, COCO and VOC, error analysis, classification) against a small
 * fixed ground truth with polygons, a crowd RLE and odd ids; and the bytes
 * as polygon coordinates for the rasteriser. Nothing may crash or leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainset/eval.h"
#include "trainset/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ts_dataset *ground_truth(ts_ctx *ctx) {
    ts_dataset *gt = NULL;
    if (ts_dataset_create(ctx, &gt) != TS_OK) return NULL;
    for (int i = 0; i < 3; i++) {
        ts_image_entry e = ts_image_entry_empty();
        e.id = i * 7; /* ids 0, 7, 14 */
        e.path = "x.jpg";
        e.width = 24 + 8 * i;
        e.height = 16 + 4 * i;
        ts_dataset_add_image(ctx, gt, &e, NULL);
    }
    for (int c = 1; c <= 3; c++) {
        ts_category cat = ts_category_empty();
        cat.id = c;
        cat.name = c == 1 ? "a" : c == 2 ? "b" : "c";
        ts_dataset_add_category(ctx, gt, &cat, NULL);
    }
    double poly[] = {1, 1, 10, 2, 9, 12, 2, 9, 14, 3, 20, 3, 20, 10};
    uint32_t rings[] = {8, 6};
    uint32_t runs[] = {16, 100, 200, 52};
    for (int a = 0; a < 6; a++) {
        ts_annotation an = ts_annotation_empty();
        an.id = a; /* id 0 included */
        an.image_id = (a % 3) * 7;
        an.category_id = 1 + a % 3;
        an.flags = TS_ANN_HAS_BOX;
        an.bbox[0] = a, an.bbox[1] = a / 2.0, an.bbox[2] = 8 + a, an.bbox[3] = 6;
        if (a == 4) { /* a crowd RLE on the 32x20 image */
            an.kind = TS_ANN_MASK, an.iscrowd = 1;
            an.rle = runs, an.rle_len = 4, an.mask_h = 20, an.mask_w = 32;
            an.image_id = 7;
        } else if (a % 2 == 0) {
            an.kind = TS_ANN_POLYGON, an.coords = poly, an.ring_sizes = rings, an.n_rings = 2;
            an.area = 60, an.flags |= TS_ANN_HAS_AREA;
        } else {
            an.kind = TS_ANN_BOX;
        }
        ts_dataset_add_annotation(ctx, gt, &an, NULL);
    }
    return gt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    ts_ctx_set_threads(ctx, 1);
    ts_dataset *gt = ground_truth(ctx);
    /* the bytes as polygon coordinates (small values, any pattern) */
    size_t np = size / 2 > 64 ? 64 : size / 2;
    double xy[128];
    for (size_t i = 0; i < 2 * np && i < size; i++) xy[i] = (double)(int8_t)data[i] / 3.0;
    ts_mask m = {0, 0, 0, NULL};
    if (ts_mask_from_polygon(ctx, xy, np, 17, 13, &m) == TS_OK) {
        double bb[4];
        ts_mask_bbox(&m, bb);
        ts_mask two[2] = {m, m}, u = {0, 0, 0, NULL};
        if (ts_mask_merge(ctx, two, 2, size & 1, &u) == TS_OK) {
            if (ts_mask_area(&u) != ts_mask_area(&m)) abort(); /* m with itself */
            ts_mask_free(&u);
        }
        double iou = ts_mask_iou(&m, &m, 0);
        if (ts_mask_area(&m) && iou != 1.0 && bb[2] > 0) abort();
        ts_mask_free(&m);
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_eval_%d.json", (int)getpid());
    if (ts_file_write_staged(ctx, path, data, size) == TS_OK) {
        ts_dataset *dt = NULL;
        ts_ctx_set_lenient(ctx, size & 2 ? 1 : 0);
        if (gt && ts_dataset_read(ctx, path, "coco", NULL, &dt) == TS_OK) {
            ts_results_branch branch = TS_RESULTS_AUTO;
            ts_coco_results_branch(ctx, path, &branch);
            for (int t = 0; t < 2; t++) {
                ts_coco_opts o = {t ? TS_IOU_SEGM : TS_IOU_BBOX, branch};
                ts_coco_eval *ev = NULL;
                if (ts_coco_evaluate(ctx, gt, dt, &o, &ev) == TS_OK) {
                    for (int i = 0; i < TS_COCO_NUM_STATS; i++) {
                        double s = ts_coco_eval_stats(ev)[i];
                        if (!(s == -1 || (s >= 0 && s <= 1))) abort();
                    }
                    ts_coco_eval_destroy(ev);
                }
                ts_error_report rep;
                if (ts_errors_analyze(ctx, gt, dt, o.iou_type, 3, &rep) == TS_OK) ts_error_report_free(&rep);
            }
            ts_voc_class *cls = NULL;
            size_t n = 0;
            double map;
            if (ts_voc_evaluate(ctx, gt, dt, TS_VOC_2007, &cls, &n, &map) == TS_OK) free(cls);
            ts_cls_result cr;
            if (ts_cls_evaluate(ctx, gt, dt, 2, &cr) == TS_OK) {
                const ts_cls_pr *pr = &cr.curves;
                for (size_t k = 0; k <= pr->n_classes; k++) /* every point a precision, or a -1 row */
                    for (int r = 0; r < TS_COCO_NUM_REC; r++) {
                        double p = pr->precision[k * TS_COCO_NUM_REC + r];
                        if (!(p == -1 || (p >= 0 && p <= 1))) abort();
                    }
                ts_cls_result_free(&cr);
            }
            ts_dataset_destroy(dt);
        }
        unlink(path);
    }
    ts_dataset_destroy(gt);
    ts_ctx_destroy(ctx);
    return 0;
}
