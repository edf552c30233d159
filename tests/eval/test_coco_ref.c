/* COCO evaluation against the pycocotools reference cases in
 * ../shared/reference/coco: the 12 stats and per-category AP / AP50 / AR100
 * must be bit-identical, whatever the thread count. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/eval.h"

static const char *const cases[] = {
    "bbox_small",
    "segm_small",
    "edge_cases/area_boundaries",
    "edge_cases/category_without_detections",
    "edge_cases/crowd_only_image",
    "edge_cases/empty_detections",
    "edge_cases/gt_ann_id_zero",
    "edge_cases/gt_area_field_used",
    "edge_cases/gt_ignore_flag",
    "edge_cases/image_without_gt",
    "edge_cases/iou_at_thresholds",
    "edge_cases/iou_threshold_float",
    "edge_cases/maxdets_truncation",
    "edge_cases/no_gt_annotations",
    "edge_cases/recall_threshold_float",
    "edge_cases/score_ties_a",
    "edge_cases/score_ties_b",
    "edge_cases/segm_dt_with_bbox",
    "edge_cases/segm_dt_without_bbox",
    "edge_cases/unknown_category_id",
    "edge_cases/unknown_image_id",
};

static char *case_path(const char *name, const char *file) {
    char rel[256];
    snprintf(rel, sizeof rel, "reference/coco/%s/%s", name, file);
    return ts_strdup(NULL, ts_test_shared(rel));
}

static ts_coco_eval *run_case(ts_ctx *ctx, const char *name, ts_iou_type type, int threads) {
    char *gp = case_path(name, "gt.json"), *dp = case_path(name, "dt.json");
    ts_dataset *gt = NULL, *dt = NULL;
    ts_coco_eval *ev = NULL;
    ts_coco_opts o = {type, TS_RESULTS_AUTO};
    ts_ctx_set_threads(ctx, threads);
    CHECK_OK(ctx, ts_dataset_read(ctx, gp, "coco", NULL, &gt));
    CHECK_OK(ctx, ts_dataset_read(ctx, dp, "coco", NULL, &dt));
    CHECK_OK(ctx, ts_coco_results_branch(ctx, dp, &o.branch));
    if (gt && dt) CHECK_OK(ctx, ts_coco_evaluate(ctx, gt, dt, &o, &ev));
    ts_dataset_destroy(gt);
    ts_dataset_destroy(dt);
    free(gp);
    free(dp);
    return ev;
}

/* per_category_<key> of the expected results: {"<id>": value} */
static void check_per_cat(const ts_coco_eval *ev, const ts_jvalue *res, const char *key, int which, const char *name) {
    const ts_jvalue *m = ts_json_get(res, key);
    if (!CHECK(m && m->type == TS_JOBJECT)) return;
    for (size_t i = 0; i < m->u.obj.count; i++) {
        int64_t id = strtoll(m->u.obj.keys[i], NULL, 10);
        int found = 0;
        for (size_t k = 0; k < ts_coco_eval_class_count(ev); k++) {
            const ts_coco_class *c = ts_coco_eval_class(ev, k);
            if (c->category_id != id) continue;
            double got = which == 0 ? c->ap : which == 1 ? c->ap50 : c->ar100;
            if (got != m->u.obj.values[i].u.num.value)
                ts_test_failf(__FILE__, __LINE__, "%s %s cat %lld: %.17g != %.17g", name, key, (long long)id, got,
                              m->u.obj.values[i].u.num.value);
            found = 1;
        }
        if (!found) ts_test_failf(__FILE__, __LINE__, "%s: category %lld missing", name, (long long)id);
    }
}

static void check_case(const char *name) {
    ts_ctx *ctx = ts_test_ctx();
    char *ep = case_path(name, "expected.json");
    ts_jvalue *exp = NULL;
    CHECK_OK(ctx, ts_json_parse_file(ctx, ep, &exp));
    free(ep);
    const ts_jvalue *results = ts_json_get(exp, "results");
    if (!CHECK(results && results->type == TS_JOBJECT)) {
        ts_json_free(exp);
        return;
    }
    for (size_t r = 0; r < results->u.obj.count; r++) {
        const char *type_name = results->u.obj.keys[r];
        const ts_jvalue *res = &results->u.obj.values[r];
        if (!ts_json_get(res, "stats") && ts_json_get(res, "fallback")) res = ts_json_get(res, "fallback");
        ts_iou_type type = strcmp(type_name, "segm") == 0 ? TS_IOU_SEGM : TS_IOU_BBOX;
        ts_coco_eval *ev = run_case(ctx, name, type, 1);
        const ts_jvalue *hex = ts_json_get(res, "stats_hex");
        if (!ev || !CHECK(hex && hex->type == TS_JARRAY && hex->u.arr.count == 12)) {
            ts_coco_eval_destroy(ev);
            continue;
        }
        const double *s = ts_coco_eval_stats(ev);
        for (int i = 0; i < 12; i++) {
            double want = strtod(hex->u.arr.items[i].u.str.text, NULL);
            if (s[i] != want)
                ts_test_failf(__FILE__, __LINE__, "%s %s stat %d: %.17g != %.17g", name, type_name, i, s[i], want);
        }
        check_per_cat(ev, res, "per_category_AP", 0, name);
        check_per_cat(ev, res, "per_category_AP50", 1, name);
        check_per_cat(ev, res, "per_category_AR100", 2, name);
        ts_coco_eval_destroy(ev);
    }
    ts_json_free(exp);
}

TEST(eval_coco_reference_cases) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(cases[i]);
}

/* The same numbers, precision array included, with 1 and 3 threads. */
TEST(eval_coco_threads_deterministic) {
    static const struct {
        const char *name;
        ts_iou_type type;
    } runs[] = {{"bbox_small", TS_IOU_BBOX}, {"segm_small", TS_IOU_SEGM}};
    ts_ctx *ctx = ts_test_ctx();
    for (int r = 0; r < 2; r++) {
        ts_coco_eval *a = run_case(ctx, runs[r].name, runs[r].type, 1);
        ts_coco_eval *b = run_case(ctx, runs[r].name, runs[r].type, 3);
        if (CHECK(a && b)) {
            CHECK(memcmp(ts_coco_eval_stats(a), ts_coco_eval_stats(b), 12 * sizeof(double)) == 0);
            int same = 1;
            for (size_t k = 0; k < ts_coco_eval_class_count(a); k++)
                for (int t = 0; t < TS_COCO_NUM_IOU; t++)
                    for (int q = 0; q < TS_COCO_NUM_REC; q++)
                        same &= ts_coco_eval_precision(a, t, q, k, 0, 2) == ts_coco_eval_precision(b, t, q, k, 0, 2);
            CHECK(same);
            uint64_t ha[10], hb[10];
            double ma, mb;
            ts_coco_eval_iou_histogram(a, ha, &ma);
            ts_coco_eval_iou_histogram(b, hb, &mb);
            CHECK(memcmp(ha, hb, sizeof ha) == 0 && ma == mb);
        }
        ts_coco_eval_destroy(a);
        ts_coco_eval_destroy(b);
    }
}

/* Counts reported for the two cases pycocotools refuses or filters. */
TEST(eval_coco_dropped_and_ignored_counts) {
    ts_ctx *ctx = ts_test_ctx();
    uint64_t dropped, ignored, loaded;
    ts_coco_eval *ev = run_case(ctx, "edge_cases/unknown_image_id", TS_IOU_BBOX, 1);
    if (CHECK(ev)) {
        ts_coco_eval_counts(ev, &dropped, &ignored, &loaded);
        CHECK_EQ_INT(dropped, 1);
        CHECK_EQ_INT(ignored, 0);
        CHECK_EQ_INT(loaded, 2);
    }
    ts_coco_eval_destroy(ev);
    ev = run_case(ctx, "edge_cases/unknown_category_id", TS_IOU_BBOX, 1);
    if (CHECK(ev)) {
        ts_coco_eval_counts(ev, &dropped, &ignored, &loaded);
        CHECK_EQ_INT(dropped, 0);
        CHECK_EQ_INT(ignored, 1);
    }
    ts_coco_eval_destroy(ev);
}

TEST(eval_coco_results_branch) {
    ts_ctx *ctx = ts_test_ctx();
    ts_results_branch b;
    char *p = case_path("edge_cases/segm_dt_with_bbox", "dt.json");
    CHECK_OK(ctx, ts_coco_results_branch(ctx, p, &b));
    CHECK_EQ_INT(b, TS_RESULTS_BBOX);
    free(p);
    p = case_path("edge_cases/segm_dt_without_bbox", "dt.json");
    CHECK_OK(ctx, ts_coco_results_branch(ctx, p, &b));
    CHECK_EQ_INT(b, TS_RESULTS_SEGM);
    free(p);
    p = case_path("edge_cases/empty_detections", "dt.json");
    CHECK_OK(ctx, ts_coco_results_branch(ctx, p, &b));
    CHECK_EQ_INT(b, TS_RESULTS_AUTO);
    free(p);
}
