/* `trainset eval GT PRED`: COCO detection/segmentation metrics (identical to
 * pycocotools), VOC AP, IoU statistics, classification metrics for image
 * labels, PR curves (CSV, SVG) and comparisons of several prediction files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/eval.h"

static const char usage[] =
    "usage: trainset eval GROUND_TRUTH PREDICTIONS [options]\n"
    "\n"
    "Evaluate predictions (a COCO results list: [{\"image_id\", \"category_id\", \"bbox\" and/or\n"
    "\"segmentation\", \"score\"}, ...]) against ground truth in any supported format. Detection\n"
    "and segmentation metrics are pycocotools' COCOeval numbers, bit for bit. Predictions that\n"
    "are image labels (no box, no mask) get classification metrics instead.\n"
    "\n"
    "options:\n"
    "  --iou-type bbox|segm   IoU of boxes (default) or of masks\n"
    "  --per-class            print the per-class AP / AP50 / AP75 / AR100 / mean IoU table\n"
    "  --json OUT             write the results as JSON to OUT (\"-\" or no value: stdout)\n"
    "  --pr-curves OUT.csv    PR curves per class and overall (detection: at IoU .50 and .75;\n"
    "                         image labels: each class against the rest)\n"
    "  --plot OUT.svg         PR curve plot (with --compare: all files overlaid, with a table;\n"
    "                         image labels: one panel per class)\n"
    "  --compare P2 [P3 ...]  also evaluate these prediction files and compare them\n"
    "  --voc 07|12            also Pascal VOC AP (2007 11-point or 2010+ all-point), boxes\n"
    "  --top-k K              classification: top-K accuracy (default 5)\n";

typedef struct {
    const char *path;
    ts_dataset *ds;
    ts_coco_eval *ev;
} pred_file;

static int parse_iou_type(cli_env *env, const char *s, ts_iou_type *out) {
    if (!s || strcmp(s, "bbox") == 0) *out = TS_IOU_BBOX;
    else if (strcmp(s, "segm") == 0) *out = TS_IOU_SEGM;
    else return cli_usage_error(env, "--iou-type: expected bbox or segm, got \"%s\"", s);
    return 0;
}

/* `--json` takes a file, but a bare `--json` (last, or before another
 * option) means stdout, as for every other verb. */
void cli_eval_json_flag(int argc, char **argv);
void cli_eval_json_flag(int argc, char **argv) {
    static char dash[] = "--json=-";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--json") == 0 && (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1])))
            argv[i] = dash;
    }
}

/* Read predictions; a COCO object (not a results list) is refused, as
 * pycocotools' loadRes refuses it. */
ts_status cli_eval_read_predictions(cli_env *env, const char *path, ts_dataset **out);
ts_status cli_eval_read_predictions(cli_env *env, const char *path, ts_dataset **out) {
    /* a .json prediction file is a COCO results list; "[]" alone cannot be detected */
    const char *format = env->format ? env->format : ts_ends_with_nocase(path, ".json") ? "coco" : NULL;
    ts_status st = ts_dataset_read(env->ctx, path, format, NULL, out);
    if (st != TS_OK) return st;
    const char *fmt = ts_dataset_meta(*out, "format");
    if (fmt && strcmp(fmt, "coco") == 0 && !ts_dataset_meta(*out, "coco:results")) {
        ts_dataset_destroy(*out);
        *out = NULL;
        return ts_error(env->ctx, TS_ERR_INVALID,
                        "%s: is a COCO object, expected a results list [{\"image_id\", \"category_id\", \"bbox\", "
                        "\"score\"}, ...]",
                        path);
    }
    return TS_OK;
}

/* A series' name in curves and plots: the file name when the names differ,
 * else the path as given. */
static const char *series_label(const pred_file *files, size_t n, size_t i) {
    const char *base = ts_path_basename(files[i].path);
    for (size_t j = 0; j < n; j++)
        if (j != i && strcmp(ts_path_basename(files[j].path), base) == 0) return files[i].path;
    return base;
}

static ts_status evaluate_file(cli_env *env, const ts_dataset *gt, pred_file *pf, ts_iou_type type) {
    ts_coco_opts o = {type, TS_RESULTS_AUTO};
    if (ts_file_exists(pf->path)) {
        ts_status st = ts_coco_results_branch(env->ctx, pf->path, &o.branch);
        if (st != TS_OK) return st;
    }
    ts_status st = ts_coco_evaluate(env->ctx, gt, pf->ds, &o, &pf->ev);
    if (st != TS_OK) ts_error_prefix(env->ctx, "%s", pf->path);
    return st;
}

static void print_summary(const ts_coco_eval *ev) {
    const double *s = ts_coco_eval_stats(ev);
    for (int i = 0; i < TS_COCO_NUM_STATS; i++) printf(" %s = %0.3f\n", ts_coco_stat_name(i), s[i]);
}

static void print_per_class(const ts_coco_eval *ev) {
    printf("\n%-24s %8s %8s %8s %8s %8s %8s %9s\n", "category", "id", "AP", "AP50", "AP75", "AR100", "GT", "mean IoU");
    for (size_t k = 0; k < ts_coco_eval_class_count(ev); k++) {
        const ts_coco_class *c = ts_coco_eval_class(ev, k);
        printf("%-24.24s %8lld %8.3f %8.3f %8.3f %8.3f %8llu %9.3f\n", c->name, (long long)c->category_id, c->ap,
               c->ap50, c->ap75, c->ar100, (unsigned long long)c->n_gt, c->mean_iou);
    }
}

static void json_stats(ts_buf *b, const double *s) {
    ts_buf_puts(b, "[");
    for (int i = 0; i < TS_COCO_NUM_STATS; i++) {
        if (i) ts_buf_putc(b, ',');
        ts_buf_put_double(b, s[i]);
    }
    ts_buf_puts(b, "]");
}

static void json_coco(ts_buf *b, const ts_coco_eval *ev, ts_iou_type type) {
    uint64_t bins[10], dropped, ignored, loaded;
    double miou;
    ts_coco_eval_iou_histogram(ev, bins, &miou);
    ts_coco_eval_counts(ev, &dropped, &ignored, &loaded);
    ts_buf_printf(b, "\"iou_type\":\"%s\",\"stats\":", type == TS_IOU_SEGM ? "segm" : "bbox");
    json_stats(b, ts_coco_eval_stats(ev));
    ts_buf_puts(b, ",\"stats_names\":[");
    for (int i = 0; i < TS_COCO_NUM_STATS; i++) {
        if (i) ts_buf_putc(b, ',');
        ts_buf_put_json_string(b, ts_coco_stat_name(i));
    }
    ts_buf_puts(b, "],\"per_class\":[");
    for (size_t k = 0; k < ts_coco_eval_class_count(ev); k++) {
        const ts_coco_class *c = ts_coco_eval_class(ev, k);
        ts_buf_printf(b, "%s{\"category_id\":%lld,\"name\":", k ? "," : "", (long long)c->category_id);
        ts_buf_put_json_string(b, c->name);
        ts_buf_put_json_field_double(b, "ap", c->ap);
        ts_buf_put_json_field_double(b, "ap50", c->ap50);
        ts_buf_put_json_field_double(b, "ap75", c->ap75);
        ts_buf_put_json_field_double(b, "ar100", c->ar100);
        ts_buf_printf(b, ",\"n_gt\":%llu,\"n_dt\":%llu,\"n_matched\":%llu,\"mean_iou\":", (unsigned long long)c->n_gt,
                      (unsigned long long)c->n_dt, (unsigned long long)c->n_matched);
        ts_buf_put_double(b, c->mean_iou);
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "],\"iou\":{\"mean\":");
    ts_buf_put_double(b, miou);
    ts_buf_puts(b, ",\"histogram_edges\":[0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95,1],\"histogram\":[");
    for (int i = 0; i < 10; i++) ts_buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)bins[i]);
    ts_buf_printf(b, "]},\"counts\":{\"detections\":%llu,\"dropped_unknown_image\":%llu,\"ignored_unknown_category\":%llu}",
                  (unsigned long long)loaded, (unsigned long long)dropped, (unsigned long long)ignored);
}

static int run_voc(cli_env *env, ts_dataset *gt, ts_dataset *pred, int which, ts_buf *json) {
    ts_voc_class *cls;
    size_t n;
    double map;
    ts_voc_metric m = which == 7 ? TS_VOC_2007 : TS_VOC_2012;
    ts_status st = ts_voc_evaluate(env->ctx, gt, pred, m, &cls, &n, &map);
    if (st != TS_OK) return cli_fail(env, st);
    if (json) {
        ts_buf_printf(json, ",\"voc\":{\"metric\":\"%s\",\"map\":", which == 7 ? "07" : "12");
        ts_buf_put_double(json, map);
        ts_buf_puts(json, ",\"per_class\":[");
        for (size_t k = 0; k < n; k++) {
            ts_buf_printf(json, "%s{\"category_id\":%lld,\"name\":", k ? "," : "", (long long)cls[k].category_id);
            ts_buf_put_json_string(json, cls[k].name);
            ts_buf_put_json_field_double(json, "ap", cls[k].ap);
            ts_buf_printf(json, ",\"n_gt\":%llu}", (unsigned long long)cls[k].n_gt);
        }
        ts_buf_puts(json, "]}");
    }
    if (!env->json && !env->quiet) {
        printf("\nPascal VOC%s AP (IoU > 0.5, difficult ignored): mAP = %.4f\n", which == 7 ? "2007 11-point" : "2010+",
               map);
        for (size_t k = 0; k < n; k++)
            printf("  %-24.24s %8.4f  (%llu GT)\n", cls[k].name, cls[k].ap, (unsigned long long)cls[k].n_gt);
    }
    free(cls);
    return 0;
}

static int eval_main(cli_env *env, int argc, char **argv) {
    const char *iou = NULL, *json_out = NULL, *csv = NULL, *plot = NULL, *compare = NULL;
    int per_class = 0, voc = 0, top_k = 5;
    cli_opt opts[] = {{"iou-type", 0, CLI_STRING, &iou},   {"per-class", 0, CLI_FLAG, &per_class},
                      {"json", 0, CLI_STRING, &json_out},  {"pr-curves", 0, CLI_STRING, &csv},
                      {"plot", 0, CLI_STRING, &plot},      {"compare", 0, CLI_STRING, &compare},
                      {"voc", 0, CLI_INT, &voc},           {"top-k", 0, CLI_INT, &top_k},
                      {NULL, 0, 0, NULL}};
    char **pos;
    int npos, done;
    cli_eval_json_flag(argc, argv);
    int rc = cli_parse(env, cli_current_verb(), opts, argc, argv, &pos, &npos, &done);
    if (rc || done) {
        free(pos);
        return rc;
    }
    ts_iou_type type = TS_IOU_BBOX;
    if ((rc = parse_iou_type(env, iou, &type)) != 0) goto out;
    if (npos < 2 || (npos > 2 && !compare)) {
        rc = cli_usage_error(env, "expected GROUND_TRUTH PREDICTIONS (more prediction files go after --compare)");
        goto out;
    }
    if (voc && voc != 7 && voc != 12) {
        rc = cli_usage_error(env, "--voc: expected 07 or 12");
        goto out;
    }
    if (json_out && strcmp(json_out, "-") == 0) env->json = 1;
    size_t nf = compare ? (size_t)npos : 1; /* PRED, --compare value, extra positionals */
    pred_file *files = calloc(nf, sizeof *files);
    ts_dataset *gt = NULL;
    ts_buf json = {0};
    if (!files) {
        rc = cli_usage_error(env, "out of memory");
        goto out;
    }
    files[0].path = pos[1];
    if (compare) {
        files[1].path = compare;
        for (int i = 2; i < npos; i++) files[i].path = pos[i];
    }
    char **inputs = calloc(nf + 1, sizeof *inputs);
    if (!inputs) {
        rc = cli_usage_error(env, "out of memory");
        goto cleanup;
    }
    inputs[0] = pos[0];
    for (size_t i = 0; i < nf; i++) inputs[i + 1] = (char *)files[i].path;
    const char *outs[3] = {json_out && strcmp(json_out, "-") ? json_out : NULL, csv, plot};
    for (int o = 0; o < 3 && !rc; o++)
        if (outs[o] && cli_check_output(env, outs[o], inputs, (int)nf + 1)) rc = 1;
    free(inputs);
    ts_status st = TS_OK;
    if (!rc && (st = cli_read_dataset(env, pos[0], NULL, &gt)) != TS_OK) rc = cli_fail(env, st);
    for (size_t i = 0; i < nf && !rc; i++)
        if ((st = cli_eval_read_predictions(env, files[i].path, &files[i].ds)) != TS_OK) rc = cli_fail(env, st);
    if (rc) goto cleanup;
    ts_buf_puts(&json, "{");
    if (ts_eval_is_classification(files[0].ds)) {
        cli_eval_series *series = calloc(nf, sizeof *series);
        for (size_t i = 0; series && i < nf; i++)
            series[i] = (cli_eval_series){files[i].path, series_label(files, nf, i), files[i].ds};
        rc = series ? cli_eval_classification(env, gt, series, nf, top_k, csv, plot, json_out ? &json : NULL)
                    : cli_usage_error(env, "out of memory");
        free(series);
    } else {
        for (size_t i = 0; i < nf && !rc; i++)
            if ((st = evaluate_file(env, gt, &files[i], type)) != TS_OK) rc = cli_fail(env, st);
        if (rc) goto cleanup;
        json_coco(&json, files[0].ev, type);
        if (!env->json && !env->quiet) {
            print_summary(files[0].ev);
            uint64_t bins[10];
            double miou;
            ts_coco_eval_iou_histogram(files[0].ev, bins, &miou);
            printf(" mean IoU of true positives at IoU=0.50 = %0.3f\n", miou);
            if (per_class) print_per_class(files[0].ev);
        }
        if (voc) rc = run_voc(env, gt, files[0].ds, voc, json_out ? &json : NULL);
        if (nf > 1) {
            ts_buf_puts(&json, ",\"compare\":[");
            if (!env->json && !env->quiet)
                printf("\n%-32s %7s %7s %7s %7s %9s\n", "predictions", "AP", "AP50", "AP75", "AR100", "mean IoU");
            for (size_t i = 0; i < nf; i++) {
                const double *s = ts_coco_eval_stats(files[i].ev);
                uint64_t bins[10];
                double miou;
                ts_coco_eval_iou_histogram(files[i].ev, bins, &miou);
                ts_buf_puts(&json, i ? ",{\"file\":" : "{\"file\":");
                ts_buf_put_json_string(&json, files[i].path);
                ts_buf_puts(&json, ",\"stats\":");
                json_stats(&json, s);
                ts_buf_put_json_field_double(&json, "mean_iou", miou);
                ts_buf_puts(&json, "}");
                if (!env->json && !env->quiet)
                    printf("%-32.32s %7.3f %7.3f %7.3f %7.3f %9.3f\n", files[i].path, s[0], s[1], s[2], s[8], miou);
            }
            ts_buf_puts(&json, "]");
        }
        ts_pr_series *series = calloc(nf, sizeof *series);
        if (!series) st = ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; series && i < nf; i++) series[i] = (ts_pr_series){series_label(files, nf, i), files[i].ev};
        if (st == TS_OK && csv) st = ts_pr_write_csv(env->ctx, csv, series, nf);
        if (st == TS_OK && plot) st = ts_pr_write_svg(env->ctx, plot, series, nf);
        free(series);
        if (st != TS_OK && !rc) rc = cli_fail(env, st);
    }
    if (!rc && json_out) {
        if (ts_buf_puts(&json, "}\n") != TS_OK) st = ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
        else if (strcmp(json_out, "-") == 0) fwrite(json.data, 1, json.len, stdout);
        else st = ts_file_write_atomic(env->ctx, json_out, json.data, json.len);
        if (st != TS_OK) rc = cli_fail(env, st);
    }
cleanup:
    for (size_t i = 0; i < nf; i++) {
        ts_coco_eval_destroy(files[i].ev);
        ts_dataset_destroy(files[i].ds);
    }
    free(files);
    ts_dataset_destroy(gt);
    ts_buf_free(&json);
out:
    free(pos);
    return rc;
}

CLI_VERB(eval, "evaluate predictions: COCO/VOC detection and segmentation, classification, PR curves", usage,
         eval_main)
