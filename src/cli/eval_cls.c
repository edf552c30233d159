/* `trainset eval` on image-label predictions: accuracy, top-k, per-class
 * precision/recall/F1/AP and the confusion matrix of the first file; with
 * --compare a table of every file; one-vs-rest PR curves per class as CSV
 * and as an SVG of small panels with every file overlaid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/eval.h"

static void json_metrics(ts_buf *json, const ts_cls_result *r) {
    const ts_cls_pr *pr = &r->curves;
    ts_buf_printf(json, "\"classification\":{\"images\":%llu,\"unpredicted\":%llu,\"accuracy\":",
                  (unsigned long long)r->n_images, (unsigned long long)r->n_unpredicted);
    ts_buf_put_double(json, r->accuracy);
    ts_buf_printf(json, ",\"top_k\":%d,\"top_k_accuracy\":", r->k);
    ts_buf_put_double(json, r->top_k);
    double v[7] = {r->macro_precision, r->macro_recall, r->macro_f1, r->micro_precision, r->micro_recall, r->micro_f1,
                   pr->map};
    static const char *const names[7] = {"macro_precision", "macro_recall", "macro_f1", "micro_precision",
                                         "micro_recall",    "micro_f1",     "map"};
    for (int i = 0; i < 7; i++) ts_buf_put_json_field_double(json, names[i], v[i]);
    ts_buf_puts(json, ",\"per_class\":[");
    for (size_t c = 0; c < r->n_classes; c++) {
        const ts_cls_class *k = &r->classes[c];
        ts_buf_printf(json, "%s{\"category_id\":%lld,\"name\":", c ? "," : "", (long long)k->category_id);
        ts_buf_put_json_string(json, k->name);
        ts_buf_printf(json, ",\"support\":%llu,\"predicted\":%llu,\"tp\":%llu,\"precision\":",
                      (unsigned long long)k->support, (unsigned long long)k->predicted, (unsigned long long)k->tp);
        ts_buf_put_double(json, k->precision);
        ts_buf_put_json_field_double(json, "recall", k->recall);
        ts_buf_put_json_field_double(json, "f1", k->f1);
        ts_buf_put_json_field_double(json, "ap", pr->ap[c]);
        ts_buf_puts(json, "}");
    }
    ts_buf_puts(json, "],\"confusion\":[");
    for (size_t i = 0; i < r->n_classes; i++) {
        ts_buf_puts(json, i ? ",[" : "[");
        for (size_t j = 0; j <= r->n_classes; j++)
            ts_buf_printf(json, "%s%llu", j ? "," : "", (unsigned long long)r->confusion[i * (r->n_classes + 1) + j]);
        ts_buf_puts(json, "]");
    }
    ts_buf_puts(json, "],\"confusion_columns\":\"categories in per_class order, then no prediction\"}");
}

static void print_metrics(const ts_cls_result *r) {
    const ts_cls_pr *pr = &r->curves;
    printf("classification: %llu images (%llu without a prediction)\n", (unsigned long long)r->n_images,
           (unsigned long long)r->n_unpredicted);
    printf("  accuracy (top-1) %.4f   top-%d %.4f   mean AP (one class against the rest) %.4f\n", r->accuracy, r->k,
           r->top_k, pr->map);
    printf("  macro P/R/F1 %.4f %.4f %.4f   micro P/R/F1 %.4f %.4f %.4f\n", r->macro_precision, r->macro_recall,
           r->macro_f1, r->micro_precision, r->micro_recall, r->micro_f1);
    printf("\n%-24s %8s %8s %8s %8s %8s %8s\n", "category", "id", "support", "prec", "recall", "F1", "AP");
    for (size_t c = 0; c < r->n_classes; c++) {
        const ts_cls_class *k = &r->classes[c];
        printf("%-24.24s %8lld %8llu %8.4f %8.4f %8.4f ", k->name, (long long)k->category_id,
               (unsigned long long)k->support, k->precision, k->recall, k->f1);
        if (pr->ap[c] < 0) printf("%8s\n", "-");
        else printf("%8.4f\n", pr->ap[c]);
    }
    if (r->n_classes <= 20) {
        printf("\nconfusion (rows: truth, columns: predicted, last: none)\n");
        for (size_t i = 0; i < r->n_classes; i++) {
            printf("%-12.12s", r->classes[i].name);
            for (size_t j = 0; j <= r->n_classes; j++)
                printf(" %6llu", (unsigned long long)r->confusion[i * (r->n_classes + 1) + j]);
            printf("\n");
        }
    }
}

static void compare_table(cli_env *env, const cli_eval_series *files, const ts_cls_result *res, size_t nf,
                          ts_buf *json) {
    if (json) ts_buf_puts(json, ",\"compare\":[");
    if (!env->json && !env->quiet)
        printf("\n%-32s %9s %9s %9s %9s %9s\n", "predictions", "top-1", "top-k", "macro F1", "micro F1", "mean AP");
    for (size_t i = 0; i < nf; i++) {
        if (json) {
            ts_buf_puts(json, i ? ",{\"file\":" : "{\"file\":");
            ts_buf_put_json_string(json, files[i].path);
            double v[4] = {res[i].accuracy, res[i].top_k, res[i].macro_f1, res[i].curves.map};
            static const char *const names[4] = {"accuracy", "top_k_accuracy", "macro_f1", "map"};
            for (int k = 0; k < 4; k++) ts_buf_put_json_field_double(json, names[k], v[k]);
            ts_buf_puts(json, "}");
        }
        if (!env->json && !env->quiet)
            printf("%-32.32s %9.4f %9.4f %9.4f %9.4f %9.4f\n", files[i].path, res[i].accuracy, res[i].top_k,
                   res[i].macro_f1, res[i].micro_f1, res[i].curves.map);
    }
    if (json) ts_buf_puts(json, "]");
}

int cli_eval_classification(cli_env *env, const ts_dataset *gt, const cli_eval_series *files, size_t nf, int top_k,
                            const char *csv, const char *plot, ts_buf *json) {
    ts_cls_result *res = calloc(nf, sizeof *res);
    ts_cls_series *series = calloc(nf, sizeof *series);
    ts_status st = res && series ? TS_OK : ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nf && st == TS_OK; i++) {
        st = ts_cls_evaluate(env->ctx, gt, files[i].ds, top_k, &res[i]);
        if (st != TS_OK) ts_error_prefix(env->ctx, "%s", files[i].path);
        else series[i] = (ts_cls_series){files[i].label, &res[i].curves, res[i].accuracy, res[i].top_k};
    }
    if (st == TS_OK) {
        if (json) json_metrics(json, &res[0]);
        if (!env->json && !env->quiet) print_metrics(&res[0]);
        if (nf > 1) compare_table(env, files, res, nf, json);
        if (csv) st = ts_cls_pr_write_csv(env->ctx, csv, series, nf);
        if (st == TS_OK && plot) st = ts_cls_pr_write_svg(env->ctx, plot, series, nf);
    }
    for (size_t i = 0; i < nf && res; i++) ts_cls_result_free(&res[i]);
    free(res), free(series);
    return st == TS_OK ? 0 : cli_fail(env, st);
}
