/* `trainset audit DATASET`: findings ranked by severity, with --json and
 * --html reports. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/audit.h"
#include "trainset/report.h"

static const char usage[] =
    "usage: trainset audit DATASET [--json OUT.json] [--html OUT.html] [--checks LIST]\n"
    "                      [--against OTHER_DATASET] [--threshold H] [--sigma K] [--min-samples N]\n"
    "                      [--no-pixels] [-j N]\n\n"
    "Finds what is wrong with a dataset before training on it and prints the\n"
    "findings ranked by severity, each with a stable check id, a count, the\n"
    "affected ids and a suggested fix. Checks (or groups) for --checks:\n"
    "  integrity:    image-unreadable image-size-mismatch exif-orientation box-out-of-bounds\n"
    "                box-degenerate polygon-degenerate polygon-self-intersecting rle-size-mismatch\n"
    "                dangling-image dangling-category annotation-duplicate keypoint-out-of-bounds\n"
    "                image-no-annotations category-unused\n"
    "  distribution: class-imbalance class-too-few box-outlier\n"
    "  quality:      image-dark image-overexposed image-low-information image-blurry image-grayscale\n"
    "  duplicates:   duplicate-exact duplicate-near leakage\n"
    "  consistency:  label-inconsistent box-class-overlap annotator-divergence\n"
    "  context:      context-correlation        coverage: coverage-gap\n"
    "--json writes {\"findings\": [{\"check\", \"severity\", \"count\", \"images\", \"annotations\",\n"
    "\"message\"}], \"stats\": {...}}; --html one self-contained page with charts and\n"
    "thumbnails. --against OTHER looks for near-duplicates of this dataset in OTHER\n"
    "(leakage into a test set). --threshold is the DCT-hash Hamming distance of\n"
    "near-duplicates (default 6, or 2 when most images are under 64 px). Exit status 0 when the audit ran, whatever it found.\n";

static int run_audit(cli_env *env, int argc, char **argv) {
    const char *json_out = NULL, *html_out = NULL, *checks = NULL, *against = NULL;
    int threshold = 0, no_pixels = 0, min_samples = 0;
    double sigma = 0;
    const cli_opt opts[] = {{"json-out", 0, CLI_STRING, &json_out},
                            {"html", 0, CLI_STRING, &html_out},
                            {"checks", 0, CLI_STRING, &checks},
                            {"against", 0, CLI_STRING, &against},
                            {"threshold", 0, CLI_INT, &threshold},
                            {"sigma", 0, CLI_DOUBLE, &sigma},
                            {"min-samples", 0, CLI_INT, &min_samples},
                            {"no-pixels", 0, CLI_FLAG, &no_pixels},
                            {NULL, 0, 0, NULL}};
    /* `--json FILE` names the report file here; a bare --json prints it */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--json") == 0 && argv[i + 1][0] != '-' && ts_ends_with_nocase(argv[i + 1], ".json"))
            argv[i] = "--json-out";
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    if (npos != 1) {
        free(pos);
        return cli_usage_error(env, "expected one DATASET");
    }
    if (threshold < 0 || threshold > 32 || min_samples < 0) {
        free(pos);
        return cli_usage_error(env, "--threshold must be 0..32 and --min-samples >= 0");
    }
    ts_dataset *ds = NULL, *other = NULL;
    ts_audit *audit = NULL;
    ts_status s = cli_read_dataset(env, pos[0], NULL, &ds);
    if (s == TS_OK && against) s = cli_read_dataset(env, against, NULL, &other);
    if (s == TS_OK) {
        ts_audit_opts o = ts_audit_opts_default();
        o.checks = checks;
        o.against = other;
        if (threshold) o.near_threshold = threshold;
        if (sigma > 0) o.outlier_sigma = sigma;
        if (min_samples) o.min_samples = (uint32_t)min_samples;
        o.decode_images = no_pixels ? -1 : 0;
        s = ts_audit_run(env->ctx, ds, &o, &audit);
    }
    if (s == TS_OK && json_out) {
        ts_buf b = {0};
        s = ts_audit_to_json(audit, &b);
        if (s == TS_OK) s = ts_file_write_atomic(env->ctx, json_out, b.data, b.len);
        ts_buf_free(&b);
    }
    if (s == TS_OK && html_out) s = ts_report_audit_html(env->ctx, ds, audit, pos[0], html_out);
    if (s != TS_OK) {
        rc = cli_fail(env, s);
    } else if (env->json && !json_out) {
        ts_buf b = {0};
        if (ts_audit_to_json(audit, &b) == TS_OK) fwrite(b.data, 1, b.len, stdout);
        ts_buf_free(&b);
    } else if (!env->quiet) {
        size_t n = ts_audit_finding_count(audit);
        printf("audit of %s: %zu images, %zu annotations, %zu findings\n", pos[0], ts_dataset_image_count(ds),
               ts_dataset_annotation_count(ds), n);
        for (size_t i = 0; i < n; i++) {
            ts_finding f;
            ts_audit_finding(audit, i, &f);
            printf("  %-7s %-26s %8llu  %s\n", ts_severity_name(f.severity), f.check, (unsigned long long)f.count,
                   f.message);
            if (f.n_images) {
                printf("          images:");
                for (size_t k = 0; k < f.n_images && k < 8; k++) printf(" %lld", (long long)f.images[k]);
                printf("%s\n", f.n_images > 8 ? " ..." : "");
            }
        }
        if (json_out) printf("report: %s\n", json_out);
        if (html_out) printf("html report: %s\n", html_out);
    }
    ts_audit_destroy(audit);
    ts_dataset_destroy(ds);
    ts_dataset_destroy(other);
    free(pos);
    return rc;
}

CLI_VERB(audit, "find what is wrong with a dataset: integrity, balance, duplicates, leakage, consistency",
         usage, run_audit)
