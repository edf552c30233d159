/* `trainset split IN -o OUT --ratios ...`: group-aware, optionally
 * stratified splits written as one dataset per split, with the table. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/sample.h"

static const char usage[] =
    "usage: trainset split IN -o OUT --ratios 0.8,0.1,0.1 [--names train,val,test] [--stratify]\n"
    "                      [--group-by source|video|dedup|attr:NAME|none] [--threshold H]\n"
    "                      [--hash dct|dhash] [--best-effort] [--to FORMAT] [--seed S] [--json]\n\n"
    "Splits IN into datasets OUT/<name>.json (COCO; with --to FORMAT, OUT/<name>/),\n"
    "each image's split set to its name, and prints each split's size and class\n"
    "mix against the target.\n\n"
    "  --ratios      shares of the splits, summing to 1\n"
    "  --names       split names (default train,val,test; split4.. beyond)\n"
    "  --stratify    keep every class's share in every split (iterative\n"
    "                stratification, multi-label and multi-object aware)\n"
    "  --group-by    what never straddles splits (default source: the images'\n"
    "                group_id, i.e. variants of one source image); video: attribute\n"
    "                video_id/video; attr:NAME: an attribute's value; dedup:\n"
    "                near-duplicate clusters of perceptual hashes (decodes the\n"
    "                images) joined with group_id; none\n"
    "  --threshold   dedup Hamming threshold of 64-bit hashes (default 8)\n"
    "  --hash        dedup hash: dct (default) or dhash\n"
    "  --best-effort split anyway when the request cannot be met (a class with\n"
    "                fewer images than splits, a group larger than any split), with\n"
    "                warnings\n";

static const char *default_name(size_t j, char *buf, size_t len) {
    static const char *names[3] = {"train", "val", "test"};
    if (j < 3) return names[j];
    snprintf(buf, len, "split%zu", j + 1);
    return buf;
}

/* Split a comma list in place; returns the count (at most max). */
static size_t split_list(char *s, char **items, size_t max) {
    size_t n = 0;
    while (s && n < max) {
        items[n++] = s;
        char *c = strchr(s, ',');
        if (!c) break;
        *c = 0;
        s = c + 1;
    }
    return n;
}

static void print_table(cli_env *env, const ts_dataset *ds, const ts_split_report *r, char **names,
                        const double *ratios) {
    if (env->json) {
        ts_buf b = {0};
        ts_buf_puts(&b, "{\"splits\": [");
        for (size_t j = 0; j < r->n_splits; j++) {
            ts_buf_printf(&b, "%s{\"name\": ", j ? ", " : "");
            ts_buf_put_json_string(&b, names[j]);
            ts_buf_printf(&b, ", \"ratio\": %g, \"images\": %zu, \"target\": %.2f}", ratios[j], r->images[j],
                          r->target[j]);
        }
        ts_buf_printf(&b, "], \"groups\": %zu, \"largest_group\": %zu, \"max_deviation\": %.6f, "
                      "\"mean_deviation\": %.6f, \"classes\": [", r->n_groups, r->largest_group,
                      r->max_deviation, r->mean_deviation);
        for (size_t c = 0; c < r->n_classes; c++) {
            ts_category cat;
            ts_dataset_category(ds, c, &cat);
            ts_buf_printf(&b, "%s{\"name\": ", c ? ", " : "");
            ts_buf_put_json_string(&b, cat.name);
            ts_buf_printf(&b, ", \"id\": %lld, \"images\": %zu, \"per_split\": [", (long long)cat.id,
                          r->class_total[c]);
            for (size_t j = 0; j < r->n_splits; j++)
                ts_buf_printf(&b, "%s%zu", j ? ", " : "", r->class_images[j * r->n_classes + c]);
            ts_buf_puts(&b, "]}");
        }
        ts_buf_puts(&b, "]}\n");
        fputs(b.data, stdout);
        ts_buf_free(&b);
        return;
    }
    if (env->quiet) return;
    printf("%-12s %10s %8s %10s\n", "split", "images", "share", "target");
    for (size_t j = 0; j < r->n_splits; j++)
        printf("%-12s %10zu %7.2f%% %10.1f\n", names[j], r->images[j],
               r->n_images ? 100.0 * (double)r->images[j] / (double)r->n_images : 0.0, r->target[j]);
    printf("\n%-20s", "images per class");
    for (size_t j = 0; j < r->n_splits; j++) printf(" %10.10s", names[j]);
    printf("   worst deviation\n");
    for (size_t c = 0; c < r->n_classes; c++) {
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        printf("%-20.20s", cat.name);
        double worst = 0;
        for (size_t j = 0; j < r->n_splits; j++) {
            size_t k = r->class_images[j * r->n_classes + c];
            printf(" %10zu", k);
            if (r->class_total[c]) {
                double d = (double)k / (double)r->class_total[c] - ratios[j];
                if (d * d > worst * worst) worst = d;
            }
        }
        printf("   %+.2f%%\n", 100 * worst);
    }
    printf("\n%zu images in %zu groups (largest %zu); class share deviation: max %.2f%%, mean %.2f%%\n",
           r->n_images, r->n_groups, r->largest_group, 100 * r->max_deviation, 100 * r->mean_deviation);
}

static int run_split(cli_env *env, int argc, char **argv) {
    const char *out = NULL, *ratios_text = NULL, *names_text = NULL, *group_by = "source", *to = NULL,
               *hash = "dct";
    int stratify = 0, best_effort = 0, threshold = 8;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out},     {"ratios", 'r', CLI_STRING, &ratios_text},
                            {"names", 0, CLI_STRING, &names_text}, {"stratify", 0, CLI_FLAG, &stratify},
                            {"group-by", 0, CLI_STRING, &group_by}, {"threshold", 0, CLI_INT, &threshold},
                            {"hash", 0, CLI_STRING, &hash},        {"best-effort", 0, CLI_FLAG, &best_effort},
                            {"to", 't', CLI_STRING, &to},          {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    char *rcopy = NULL, *ncopy = NULL;
    char *ritems[TS_SPLIT_MAX + 1], *nitems[TS_SPLIT_MAX + 1];
    double ratios[TS_SPLIT_MAX];
    char namebuf[TS_SPLIT_MAX][16];
    char *names[TS_SPLIT_MAX];
    size_t ns = 0, nn = 0;
    ts_group_opts go = ts_group_opts_default();
    if (npos != 1 || !out || !ratios_text) {
        rc = cli_usage_error(env, "expected IN, -o OUT and --ratios");
        goto done;
    }
    rcopy = strdup(ratios_text);
    ns = split_list(rcopy, ritems, TS_SPLIT_MAX + 1);
    if (ns > TS_SPLIT_MAX) {
        rc = cli_usage_error(env, "--ratios: at most %d splits", TS_SPLIT_MAX);
        goto done;
    }
    for (size_t j = 0; j < ns; j++) {
        char *end;
        ratios[j] = strtod(ritems[j], &end);
        if (end == ritems[j] || *end) {
            rc = cli_usage_error(env, "--ratios: \"%s\" is not a number", ritems[j]);
            goto done;
        }
    }
    if (names_text) {
        ncopy = strdup(names_text);
        nn = split_list(ncopy, nitems, TS_SPLIT_MAX + 1);
        if (nn != ns) {
            rc = cli_usage_error(env, "--names gives %zu names for %zu ratios", nn, ns);
            goto done;
        }
    }
    for (size_t j = 0; j < ns; j++) {
        names[j] = names_text ? nitems[j] : (char *)default_name(j, namebuf[j], sizeof namebuf[j]);
        if (!*names[j] || strchr(names[j], '/') || strcmp(names[j], ".") == 0 || strcmp(names[j], "..") == 0) {
            rc = cli_usage_error(env, "--names: \"%s\" is not a usable file name", names[j]);
            goto done;
        }
        for (size_t k = 0; k < j; k++)
            if (strcmp(names[k], names[j]) == 0) {
                rc = cli_usage_error(env, "--names: \"%s\" appears twice", names[j]);
                goto done;
            }
    }
    if (ts_group_kind_parse(group_by, &go) != 0) {
        rc = cli_usage_error(env, "--group-by: expected source, video, dedup, attr:NAME or none, got \"%s\"", group_by);
        goto done;
    }
    int hk = ts_phash_kind_from_name(hash);
    if (hk < 0 || threshold < 0 || threshold > 32) {
        rc = cli_usage_error(env, "--hash dct|dhash and --threshold 0..32");
        goto done;
    }
    go.hash = (ts_phash_kind)hk;
    go.threshold = threshold;
    go.skip_unreadable = best_effort;
    if (cli_check_output(env, out, pos, 1)) {
        rc = 1;
        goto done;
    }
    ts_dataset *ds = NULL;
    ts_status s = cli_read_dataset(env, pos[0], NULL, &ds);
    size_t n = ds ? ts_dataset_image_count(ds) : 0;
    uint32_t *groups = NULL, *split_of = NULL;
    uint8_t *keep = NULL;
    ts_split_report report = {0};
    if (s == TS_OK) {
        groups = ts_alloc_array(env->ctx, n ? n : 1, sizeof *groups);
        split_of = ts_alloc_array(env->ctx, n ? n : 1, sizeof *split_of);
        keep = ts_alloc_array(env->ctx, n ? n : 1, 1);
        if (!groups || !split_of || !keep) s = TS_ERR_NOMEM;
    }
    size_t ng = 0;
    if (s == TS_OK) s = ts_sample_groups(env->ctx, ds, &go, groups, &ng);
    ts_split_opts so = {ns, ratios, stratify, env->seed, best_effort};
    if (s == TS_OK) s = ts_split_assign(env->ctx, ds, groups, &so, split_of, &report);
    if (s == TS_OK) s = ts_mkdirs(env->ctx, out);
    int coco = !to || strcmp(to, "coco") == 0;
    for (size_t j = 0; j < ns && s == TS_OK; j++) {
        for (size_t i = 0; i < n; i++) keep[i] = split_of[i] == j;
        ts_dataset *sub = NULL;
        s = ts_sample_subset(env->ctx, ds, keep, names[j], &sub);
        ts_buf path = {0};
        if (s == TS_OK && ts_buf_printf(&path, "%s/%s%s", out, names[j], coco ? ".json" : "") != TS_OK)
            s = ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
        if (s == TS_OK) s = ts_dataset_write(env->ctx, sub, path.data, to, NULL);
        ts_buf_free(&path);
        ts_dataset_destroy(sub);
    }
    if (s == TS_OK) print_table(env, ds, &report, names, ratios);
    else rc = cli_fail(env, s);
    ts_split_report_free(&report);
    free(groups), free(split_of), free(keep);
    ts_dataset_destroy(ds);
done:
    free(rcopy), free(ncopy), free(pos);
    return rc;
}

CLI_VERB(split, "split into train/val/test: stratified, groups and near-duplicates never straddle", usage,
         run_split)
