/* `trainset dedup DATASET -o OUT`: drop exact and near duplicates, keeping
 * one image per cluster, and record which were dropped. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/audit.h"

static const char usage[] =
    "usage: trainset dedup DATASET -o OUT [--threshold H] [--keep first|largest|best-quality]\n"
    "                      [--to FORMAT] [--dropped FILE]\n\n"
    "Clusters exact duplicates (same file bytes or decoded pixels) and near\n"
    "duplicates (DCT and difference hashes within Hamming distance H, default 6,\n"
    "or 2 when most images are under 64 px), keeps one image of\n"
    "each cluster (the first in dataset order, the one with most pixels, or the\n"
    "sharpest) and writes the rest of the dataset to OUT with their annotations.\n"
    "The dropped image ids, each with the id it duplicates, go to --dropped FILE\n"
    "(default OUT's path + \".dropped.json\").\n";

static int run_dedup(cli_env *env, int argc, char **argv) {
    const char *out = NULL, *keep = "first", *to = NULL, *dropped_path = NULL;
    int threshold = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out},    {"keep", 0, CLI_STRING, &keep},
                            {"threshold", 0, CLI_INT, &threshold}, {"to", 't', CLI_STRING, &to},
                            {"dropped", 0, CLI_STRING, &dropped_path}, {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    if (npos != 1 || !out) {
        free(pos);
        return cli_usage_error(env, "expected DATASET and -o OUT");
    }
    if (cli_check_output(env, out, pos, 1)) {
        free(pos);
        return 1;
    }
    ts_dataset *ds = NULL, *kept = NULL;
    ts_audit *audit = NULL;
    size_t *drop = NULL, ndrop = 0;
    ts_status s = cli_read_dataset(env, pos[0], NULL, &ds);
    if (s == TS_OK) {
        ts_audit_opts o = ts_audit_opts_default();
        o.checks = "duplicate-exact,duplicate-near";
        if (threshold) o.near_threshold = threshold;
        s = ts_audit_run(env->ctx, ds, &o, &audit);
    }
    if (s == TS_OK) s = ts_audit_dedup_plan(env->ctx, audit, ds, keep, &drop, &ndrop);
    uint8_t *keep_mask = NULL;
    if (s == TS_OK && !(keep_mask = malloc(ts_dataset_image_count(ds) + 1))) s = ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) {
        memset(keep_mask, 1, ts_dataset_image_count(ds) + 1);
        for (size_t i = 0; i < ndrop; i++) keep_mask[drop[i]] = 0;
        s = ts_dataset_select(env->ctx, ds, keep_mask, &kept);
    }
    free(keep_mask);
    if (s == TS_OK) {
        ts_write_opts wo = {0};
        wo.copy_images = !ts_ends_with_nocase(out, ".json");
        s = ts_dataset_write(env->ctx, kept, out, to, &wo);
    }
    if (s == TS_OK) {
        /* dropped image -> the image kept for its cluster */
        ts_buf b = {0};
        ts_buf_puts(&b, "{\"dropped\": [");
        size_t written = 0;
        for (size_t k = 0; k < ts_audit_cluster_count(audit); k++) {
            const size_t *mem;
            size_t cnt;
            ts_audit_cluster(audit, k, &mem, &cnt);
            int64_t keeper = TS_NO_ID;
            for (size_t i = 0; i < cnt && keeper == TS_NO_ID; i++) {
                size_t lo = 0, hi = ndrop;
                while (lo < hi) {
                    size_t mid = (lo + hi) / 2;
                    if (drop[mid] < mem[i]) lo = mid + 1;
                    else hi = mid;
                }
                if (lo == ndrop || drop[lo] != mem[i]) keeper = ts_dataset_image_id(ds, mem[i]);
            }
            for (size_t i = 0; i < cnt; i++) {
                if (ts_dataset_image_id(ds, mem[i]) == keeper) continue;
                ts_buf_printf(&b, "%s\n  {\"image_id\": %lld, \"duplicate_of\": %lld}", written++ ? "," : "",
                              (long long)ts_dataset_image_id(ds, mem[i]), (long long)keeper);
            }
        }
        ts_buf_printf(&b, "\n], \"kept_images\": %zu, \"dropped_images\": %zu}\n", ts_dataset_image_count(kept), ndrop);
        char *path = NULL;
        if (!dropped_path) {
            size_t len = strlen(out) + 16;
            path = malloc(len);
            if (path) snprintf(path, len, "%s.dropped.json", out);
        }
        s = (dropped_path || path) ? ts_file_write_atomic(env->ctx, dropped_path ? dropped_path : path, b.data, b.len)
                                   : ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
        if (s == TS_OK)
            cli_note(env, "kept %zu images, dropped %zu duplicates in %zu clusters; list in %s\n",
                     ts_dataset_image_count(kept), ndrop, ts_audit_cluster_count(audit), dropped_path ? dropped_path : path);
        free(path);
        ts_buf_free(&b);
    }
    if (s != TS_OK) rc = cli_fail(env, s);
    free(drop);
    ts_audit_destroy(audit);
    ts_dataset_destroy(kept);
    ts_dataset_destroy(ds);
    free(pos);
    return rc;
}

CLI_VERB(dedup, "drop exact and near-duplicate images, keeping one per cluster", usage, run_dedup)
