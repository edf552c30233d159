/* `trainset info DATASET`: counts per class and split, image sizes and
 * annotation kinds, as a table or --json. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: trainset info DATASET [--format NAME] [--json]\n\n"
    "Counts images, categories and annotations; per class and split the\n"
    "annotations and the images they are on; image sizes; annotation kinds.\n"
    "Geometry is not kept in memory, so multi-GB files are cheap to inspect.\n";

typedef struct {
    const char **splits; /* distinct split names in order of appearance */
    size_t n_splits;
    uint32_t *image_split;   /* per image: index into splits */
    uint64_t *split_images;  /* per split */
    uint64_t *class_anns;    /* [category][split] */
    uint64_t *class_images;  /* [category][split] */
    uint64_t kinds[TS_ANN_POINTS + 1];
    uint64_t orphans, crowd, scored;
    uint64_t uncategorized; /* captions and labels that name no category */
    int32_t min_w, max_w, min_h, max_h;
    double sum_w, sum_h;
    uint64_t sized, unsized;
} summary;

static void summary_free(summary *s) {
    free(s->splits);
    free(s->image_split);
    free(s->split_images);
    free(s->class_anns);
    free(s->class_images);
}

static ts_status summarize(ts_ctx *ctx, const ts_dataset *ds, summary *s) {
    size_t ni = ts_dataset_image_count(ds), nc = ts_dataset_category_count(ds), na = ts_dataset_annotation_count(ds);
    memset(s, 0, sizeof *s);
    s->image_split = ts_calloc_array(ctx, ni ? ni : 1, sizeof *s->image_split);
    s->splits = ts_calloc_array(ctx, ni + 1, sizeof *s->splits);
    if (!s->image_split || !s->splits) return TS_ERR_NOMEM;
    s->min_w = s->min_h = INT32_MAX;
    for (size_t i = 0; i < ni; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        size_t k = 0;
        while (k < s->n_splits && strcmp(s->splits[k], e.split) != 0) k++;
        if (k == s->n_splits) s->splits[s->n_splits++] = e.split;
        s->image_split[i] = (uint32_t)k;
        if (e.width > 0 && e.height > 0) {
            s->sized++;
            if (e.width < s->min_w) s->min_w = e.width;
            if (e.width > s->max_w) s->max_w = e.width;
            if (e.height < s->min_h) s->min_h = e.height;
            if (e.height > s->max_h) s->max_h = e.height;
            s->sum_w += e.width;
            s->sum_h += e.height;
        } else {
            s->unsized++;
        }
    }
    size_t ns = s->n_splits ? s->n_splits : 1;
    s->split_images = ts_calloc_array(ctx, ns, sizeof *s->split_images);
    s->class_anns = ts_calloc_array(ctx, (nc ? nc : 1) * ns, sizeof *s->class_anns);
    s->class_images = ts_calloc_array(ctx, (nc ? nc : 1) * ns, sizeof *s->class_images);
    size_t *last_image = ts_alloc_array(ctx, nc ? nc : 1, sizeof *last_image);
    if (!s->split_images || !s->class_anns || !s->class_images || !last_image) {
        free(last_image);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < ni; i++) s->split_images[s->image_split[i]]++;
    for (size_t c = 0; c < nc; c++) last_image[c] = SIZE_MAX;
    /* per annotation: kind, flags and category index (UINT32_MAX: names no
     * category, UINT32_MAX - 1: names one the dataset lacks) */
    uint32_t *cat_of = ts_alloc_array(ctx, na ? na : 1, sizeof *cat_of);
    if (!cat_of) {
        free(last_image);
        return TS_ERR_NOMEM;
    }
    int64_t prev_id = TS_NO_ID;
    uint32_t prev_c = UINT32_MAX;
    for (size_t a = 0; a < na; a++) {
        ts_annotation an;
        ts_dataset_annotation(ds, a, &an);
        if ((unsigned)an.kind <= TS_ANN_POINTS) s->kinds[an.kind]++;
        if (an.iscrowd) s->crowd++;
        if (an.flags & TS_ANN_HAS_SCORE) s->scored++;
        if (an.category_id != prev_id || a == 0) {
            size_t c;
            prev_id = an.category_id;
            if (an.category_id == TS_NO_ID) prev_c = UINT32_MAX;
            else prev_c = ts_dataset_find_category(ds, an.category_id, &c) ? (uint32_t)c : UINT32_MAX - 1;
        }
        cat_of[a] = prev_c;
    }
    /* per image: its annotations once; those on no image are orphans */
    uint64_t on_images = 0;
    for (size_t i = 0; i < ni; i++) {
        const size_t *list;
        size_t n;
        ts_status st = ts_dataset_image_annotations(ctx, ds, i, &list, &n);
        if (st != TS_OK) {
            free(last_image);
            free(cat_of);
            return st;
        }
        on_images += n;
        size_t sp = s->image_split[i];
        for (size_t k = 0; k < n; k++) {
            uint32_t c = cat_of[list[k]];
            if (c == UINT32_MAX) {
                s->uncategorized++;
                continue;
            }
            if (c == UINT32_MAX - 1) {
                s->orphans++;
                continue;
            }
            s->class_anns[c * ns + sp]++;
            if (last_image[c] != i) {
                last_image[c] = i;
                s->class_images[c * ns + sp]++;
            }
        }
    }
    s->orphans += na - on_images;
    free(last_image);
    free(cat_of);
    return TS_OK;
}

static void print_json(const ts_dataset *ds, const char *path, const summary *s) {
    ts_buf b = {0};
    size_t nc = ts_dataset_category_count(ds), ns = s->n_splits ? s->n_splits : 1;
    ts_buf_puts(&b, "{\"path\": ");
    ts_buf_put_json_string(&b, path);
    ts_buf_puts(&b, ", \"format\": ");
    ts_buf_put_json_string(&b, ts_dataset_meta(ds, "format") ? ts_dataset_meta(ds, "format") : "");
    ts_buf_printf(&b, ", \"images\": %zu, \"categories\": %zu, \"annotations\": %zu", ts_dataset_image_count(ds), nc,
                  ts_dataset_annotation_count(ds));
    ts_buf_puts(&b, ", \"splits\": {");
    for (size_t k = 0; k < s->n_splits; k++) {
        if (k) ts_buf_puts(&b, ", ");
        ts_buf_put_json_string(&b, s->splits[k]);
        ts_buf_printf(&b, ": %llu", (unsigned long long)s->split_images[k]);
    }
    ts_buf_puts(&b, "}, \"kinds\": {");
    for (int k = 0, first = 1; k <= TS_ANN_POINTS; k++) {
        if (!s->kinds[k]) continue;
        ts_buf_printf(&b, "%s\"%s\": %llu", first ? "" : ", ", ts_ann_kind_name((ts_ann_kind)k),
                      (unsigned long long)s->kinds[k]);
        first = 0;
    }
    ts_buf_printf(&b, "}, \"crowd\": %llu, \"scored\": %llu, \"uncategorized\": %llu, \"orphan_annotations\": %llu",
                  (unsigned long long)s->crowd, (unsigned long long)s->scored, (unsigned long long)s->uncategorized,
                  (unsigned long long)s->orphans);
    if (s->sized)
        ts_buf_printf(&b, ", \"image_size\": {\"min\": [%d, %d], \"max\": [%d, %d], \"mean\": [%.1f, %.1f], \"unknown\": %llu}",
                      s->min_w, s->min_h, s->max_w, s->max_h, s->sum_w / (double)s->sized, s->sum_h / (double)s->sized,
                      (unsigned long long)s->unsized);
    else
        ts_buf_printf(&b, ", \"image_size\": {\"unknown\": %llu}", (unsigned long long)s->unsized);
    ts_buf_puts(&b, ", \"classes\": [");
    for (size_t c = 0; c < nc; c++) {
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        ts_buf_printf(&b, "%s{\"id\": %lld, \"name\": ", c ? ", " : "", (long long)cat.id);
        ts_buf_put_json_string(&b, cat.name);
        uint64_t ta = 0, ti = 0;
        ts_buf_puts(&b, ", \"per_split\": {");
        for (size_t k = 0; k < s->n_splits; k++) {
            ta += s->class_anns[c * ns + k];
            ti += s->class_images[c * ns + k];
            if (k) ts_buf_puts(&b, ", ");
            ts_buf_put_json_string(&b, s->splits[k]);
            ts_buf_printf(&b, ": {\"annotations\": %llu, \"images\": %llu}",
                          (unsigned long long)s->class_anns[c * ns + k], (unsigned long long)s->class_images[c * ns + k]);
        }
        ts_buf_printf(&b, "}, \"annotations\": %llu, \"images\": %llu}", (unsigned long long)ta, (unsigned long long)ti);
    }
    ts_buf_puts(&b, "]}\n");
    fwrite(b.data, 1, b.len, stdout);
    ts_buf_free(&b);
}

static void print_table(const ts_dataset *ds, const char *path, const summary *s) {
    size_t nc = ts_dataset_category_count(ds), ns = s->n_splits ? s->n_splits : 1;
    const char *fmt = ts_dataset_meta(ds, "format");
    printf("%s (%s)\n", path, fmt ? fmt : "?");
    printf("  images %zu, categories %zu, annotations %zu\n", ts_dataset_image_count(ds), nc,
           ts_dataset_annotation_count(ds));
    printf("  splits:");
    for (size_t k = 0; k < s->n_splits; k++)
        printf(" %s=%llu", *s->splits[k] ? s->splits[k] : "(none)", (unsigned long long)s->split_images[k]);
    printf("\n  annotation kinds:");
    for (int k = 0; k <= TS_ANN_POINTS; k++)
        if (s->kinds[k]) printf(" %s=%llu", ts_ann_kind_name((ts_ann_kind)k), (unsigned long long)s->kinds[k]);
    if (s->crowd) printf(" (crowd %llu)", (unsigned long long)s->crowd);
    if (s->scored) printf(" (scored %llu)", (unsigned long long)s->scored);
    printf("\n");
    if (s->sized)
        printf("  image size: %dx%d .. %dx%d, mean %.0fx%.0f%s\n", s->min_w, s->min_h, s->max_w, s->max_h,
               s->sum_w / (double)s->sized, s->sum_h / (double)s->sized, s->unsized ? " (some unknown)" : "");
    if (s->uncategorized)
        printf("  %llu annotations name no category (captions, image labels)\n", (unsigned long long)s->uncategorized);
    if (s->orphans)
        printf("  %llu annotations refer to missing images or categories\n", (unsigned long long)s->orphans);
    printf("\n  %-6s %-24s", "id", "class");
    for (size_t k = 0; k < s->n_splits; k++) printf(" %14s", *s->splits[k] ? s->splits[k] : "(none)");
    printf("   (annotations/images)\n");
    for (size_t c = 0; c < nc; c++) {
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        printf("  %-6lld %-24.24s", (long long)cat.id, cat.name);
        for (size_t k = 0; k < s->n_splits; k++) {
            char cell[40];
            snprintf(cell, sizeof cell, "%llu/%llu", (unsigned long long)s->class_anns[c * ns + k],
                     (unsigned long long)s->class_images[c * ns + k]);
            printf(" %14s", cell);
        }
        printf("\n");
    }
}

static int run_info(cli_env *env, int argc, char **argv) {
    const cli_opt opts[] = {{NULL, 0, 0, NULL}};
    char **pos;
    int npos, done;
    int rc = cli_parse(env, cli_current_verb(), opts, argc, argv, &pos, &npos, &done);
    if (rc || done) {
        free(pos);
        return rc;
    }
    if (npos != 1) {
        free(pos);
        return cli_usage_error(env, "expected one DATASET");
    }
    ts_read_opts ro = {TS_READ_SKIP_GEOMETRY | TS_READ_NO_PROBE, NULL};
    ts_dataset *ds = NULL;
    ts_status s = cli_read_dataset(env, pos[0], &ro, &ds);
    summary sum;
    memset(&sum, 0, sizeof sum);
    if (s == TS_OK) s = summarize(env->ctx, ds, &sum);
    if (s == TS_OK) {
        if (env->json) print_json(ds, pos[0], &sum);
        else print_table(ds, pos[0], &sum);
    } else {
        rc = cli_fail(env, s);
    }
    summary_free(&sum);
    ts_dataset_destroy(ds);
    free(pos);
    return rc;
}

CLI_VERB(info, "counts, classes, splits, sizes and annotation kinds of a dataset", usage, run_info)
