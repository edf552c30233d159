/* `trainset errors GT PRED`: TIDE-style error analysis, with the AP50 each
 * error kind costs, the worst images and the class confusions, each tied
 * to the dataset problem it most likely comes from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/eval.h"

static const char usage[] =
    "usage: trainset errors GROUND_TRUTH PREDICTIONS [options]\n"
    "\n"
    "Error analysis in the manner of TIDE: every false positive at IoU .5 is a classification\n"
    "(cls), localisation (loc), class+localisation (both), duplicate (dupe) or background (bkg)\n"
    "error; ground truth left unexplained is missed (miss). For each kind: the count and the\n"
    "AP50 gained by fixing it alone; then the worst images and the confused class pairs, each\n"
    "with the dataset problem it most likely points at.\n"
    "\n"
    "options:\n"
    "  --iou-type bbox|segm   IoU of boxes (default) or of masks\n"
    "  --worst N              list the N images with most errors (default 20)\n"
    "  --json OUT             write the report as JSON to OUT (\"-\" or no value: stdout)\n";

/* What each kind most likely says about the data (or the model). */
static const char *const kind_hint[TS_TIDE_KINDS] = {
    "classes confused in the right place: check label consistency between them (trainset audit) and the class definitions",
    "right class, loose box: check the class's box guidelines and annotation tightness",
    "wrong class and poor box: review these classes' labels and boxes on the worst images",
    "several detections of one object: a model/NMS setting rather than the data",
    "detections on nothing annotated: look for missing annotations in the worst images, add hard negatives",
    "objects never found: the class may be under-represented or its objects small/occluded; grow or balance it",
};

/* From cmd_eval.c: read a results list (a COCO object is refused), and
 * let a bare --json mean stdout. */
ts_status cli_eval_read_predictions(cli_env *env, const char *path, ts_dataset **out);
void cli_eval_json_flag(int argc, char **argv);

static const char *class_name(const ts_error_report *r, int64_t id) {
    for (size_t k = 0; k < r->n_classes; k++)
        if (r->class_ids[k] == id) return r->class_names[k];
    return "?";
}

/* The kind with most errors of class k (miss included), or -1. */
static int dominant_kind(const ts_error_report *r, size_t k, uint64_t *count, uint64_t *total) {
    int best = -1;
    *count = *total = 0;
    for (int t = 0; t < TS_TIDE_KINDS; t++) {
        uint64_t c = r->class_counts[k * TS_TIDE_KINDS + (size_t)t];
        *total += c;
        if (c > *count) *count = c, best = t;
    }
    return best;
}

static void write_json(ts_buf *b, const ts_error_report *r) {
    ts_buf_puts(b, "{\"ap50\":");
    ts_buf_put_double(b, r->ap50);
    ts_buf_puts(b, ",\"errors\":{");
    for (int t = 0; t < TS_TIDE_KINDS; t++) {
        ts_buf_printf(b, "%s\"%s\":{\"count\":%llu,\"delta_ap50\":", t ? "," : "", ts_tide_kind_name((ts_tide_kind)t),
                      (unsigned long long)r->count[t]);
        ts_buf_put_double(b, r->delta_ap[t]);
        ts_buf_puts(b, ",\"hint\":");
        ts_buf_put_json_string(b, kind_hint[t]);
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "},\"per_class\":[");
    for (size_t k = 0; k < r->n_classes; k++) {
        ts_buf_printf(b, "%s{\"category_id\":%lld,\"name\":", k ? "," : "", (long long)r->class_ids[k]);
        ts_buf_put_json_string(b, r->class_names[k]);
        for (int t = 0; t < TS_TIDE_KINDS; t++)
            ts_buf_printf(b, ",\"%s\":%llu", ts_tide_kind_name((ts_tide_kind)t),
                          (unsigned long long)r->class_counts[k * TS_TIDE_KINDS + (size_t)t]);
        uint64_t c, tot;
        int d = dominant_kind(r, k, &c, &tot);
        ts_buf_puts(b, ",\"dominant\":");
        if (d >= 0) ts_buf_put_json_string(b, ts_tide_kind_name((ts_tide_kind)d));
        else ts_buf_puts(b, "null");
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "],\"worst_images\":[");
    for (size_t i = 0; i < r->n_worst; i++) {
        const ts_error_image *w = &r->worst[i];
        ts_buf_printf(b, "%s{\"image_id\":%lld,\"file_name\":", i ? "," : "", (long long)w->image_id);
        ts_buf_put_json_string(b, w->path ? w->path : "");
        ts_buf_printf(b, ",\"total\":%llu", (unsigned long long)w->total);
        for (int t = 0; t < TS_TIDE_KINDS; t++)
            ts_buf_printf(b, ",\"%s\":%llu", ts_tide_kind_name((ts_tide_kind)t), (unsigned long long)w->errors[t]);
        ts_buf_puts(b, "}");
    }
    ts_buf_puts(b, "],\"confusions\":[");
    for (size_t i = 0; i < r->n_confusions; i++) {
        const ts_error_confusion *c = &r->confusions[i];
        ts_buf_printf(b, "%s{\"gt_category\":%lld,\"gt_name\":", i ? "," : "", (long long)c->gt_category);
        ts_buf_put_json_string(b, class_name(r, c->gt_category));
        ts_buf_printf(b, ",\"predicted_category\":%lld,\"predicted_name\":", (long long)c->dt_category);
        ts_buf_put_json_string(b, class_name(r, c->dt_category));
        ts_buf_printf(b, ",\"count\":%llu}", (unsigned long long)c->count);
    }
    ts_buf_puts(b, "]}\n");
}

static void print_report(const ts_error_report *r) {
    printf("AP50 = %.4f\n\n%-6s %8s %9s  %s\n", r->ap50, "error", "count", "dAP50", "likely cause");
    for (int t = 0; t < TS_TIDE_KINDS; t++)
        printf("%-6s %8llu %+9.4f  %s\n", ts_tide_kind_name((ts_tide_kind)t), (unsigned long long)r->count[t],
               r->delta_ap[t], kind_hint[t]);
    printf("\nper class (dominant error kind):\n");
    for (size_t k = 0; k < r->n_classes; k++) {
        uint64_t c, tot;
        int d = dominant_kind(r, k, &c, &tot);
        if (d < 0) continue;
        printf("  %-20.20s %6llu errors, %3.0f%% %s", r->class_names[k], (unsigned long long)tot,
               100.0 * (double)c / (double)tot, ts_tide_kind_name((ts_tide_kind)d));
        if (d == 1) printf("  -> check this class's box guidelines");
        else if (d == 5) printf("  -> grow or balance this class");
        else if (d == 4) printf("  -> look for unlabelled objects of this class");
        printf("\n");
    }
    if (r->n_confusions) {
        printf("\nconfusions (ground truth -> predicted):\n");
        for (size_t i = 0; i < r->n_confusions && i < 15; i++) {
            const ts_error_confusion *c = &r->confusions[i];
            printf("  %-20.20s -> %-20.20s %6llu  -> check label consistency between them\n",
                   class_name(r, c->gt_category), class_name(r, c->dt_category), (unsigned long long)c->count);
        }
    }
    if (r->n_worst) {
        printf("\nworst images:\n");
        for (size_t i = 0; i < r->n_worst; i++) {
            const ts_error_image *w = &r->worst[i];
            printf("  %10lld %-32.32s %4llu errors:", (long long)w->image_id, w->path ? w->path : "",
                   (unsigned long long)w->total);
            for (int t = 0; t < TS_TIDE_KINDS; t++)
                if (w->errors[t]) printf(" %s %llu", ts_tide_kind_name((ts_tide_kind)t), (unsigned long long)w->errors[t]);
            printf("\n");
        }
    }
}

static int errors_main(cli_env *env, int argc, char **argv) {
    const char *iou = NULL, *json_out = NULL;
    int worst = 20;
    cli_opt opts[] = {{"iou-type", 0, CLI_STRING, &iou},
                      {"json", 0, CLI_STRING, &json_out},
                      {"worst", 0, CLI_INT, &worst},
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
    ts_dataset *gt = NULL, *dt = NULL;
    ts_error_report rep;
    memset(&rep, 0, sizeof rep);
    ts_buf json = {0};
    ts_status st = TS_OK;
    if (iou && strcmp(iou, "segm") == 0) type = TS_IOU_SEGM;
    else if (iou && strcmp(iou, "bbox") != 0) rc = cli_usage_error(env, "--iou-type: expected bbox or segm");
    if (!rc && npos != 2) rc = cli_usage_error(env, "expected GROUND_TRUTH PREDICTIONS");
    if (!rc && worst < 0) rc = cli_usage_error(env, "--worst: expected a non-negative count");
    if (!rc && json_out && strcmp(json_out, "-") == 0) env->json = 1;
    if (!rc && json_out && !env->json && cli_check_output(env, json_out, pos, npos)) rc = 1;
    if (!rc && (st = cli_read_dataset(env, pos[0], NULL, &gt)) != TS_OK) rc = cli_fail(env, st);
    if (!rc && (st = cli_eval_read_predictions(env, pos[1], &dt)) != TS_OK) rc = cli_fail(env, st);
    if (!rc && (st = ts_errors_analyze(env->ctx, gt, dt, type, (size_t)worst, &rep)) != TS_OK) rc = cli_fail(env, st);
    if (!rc) {
        if (!env->json && !env->quiet) print_report(&rep);
        if (json_out) {
            write_json(&json, &rep);
            if (env->json) fwrite(json.data, 1, json.len, stdout);
            else if ((st = ts_file_write_atomic(env->ctx, json_out, json.data, json.len)) != TS_OK) rc = cli_fail(env, st);
        }
    }
    ts_buf_free(&json);
    ts_error_report_free(&rep);
    ts_dataset_destroy(gt);
    ts_dataset_destroy(dt);
    free(pos);
    return rc;
}

CLI_VERB(errors, "error analysis (TIDE): what each error kind costs, worst images, confusions", usage, errors_main)
