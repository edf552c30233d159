/* `trainset balance IN -o OUT --target ... --method ...`: a balancing plan
 * with its before/after table, applied to a new dataset. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/aug.h"
#include "trainset/sample.h"

static const char usage[] =
    "usage: trainset balance IN -o OUT [--target uniform|sqrt|N|FILE]\n"
    "                        [--method augment|oversample|undersample|repeat-factor]\n"
    "                        [--threshold T] [--dedup-threshold H] [--no-dedup] [--pipeline PIPE.json]\n"
    "                        [--best-effort] [--plan-only] [--to FORMAT] [--seed S] [--json]\n\n"
    "Balances the classes of IN (counted as images holding each class) and writes\n"
    "OUT (a .json file or a directory, as `convert`); prints a before/after table of\n"
    "images and instances per class. Source images are never touched.\n\n"
    "  --target    uniform (default): every class to the largest class (growing) or\n"
    "              the smallest (undersample); sqrt: sqrt(f * f_max) / sqrt(f * f_min);\n"
    "              N: every class to N images; FILE: JSON {\"class name\": N, ...}\n"
    "  --method    augment (default): new images made from under-represented\n"
    "              classes' images by the augmentation engine, with --pipeline;\n"
    "              oversample: duplicate references (new ids, attribute copy_of);\n"
    "              undersample: drop images of frequent classes, near-duplicates\n"
    "              first (perceptual hashes, --dedup-threshold, default 8; --no-dedup);\n"
    "              repeat-factor: attribute repeat_factor r = max(1, sqrt(T / f(c)))\n"
    "              over the image's classes, as LVIS (--threshold T, default 0.001)\n"
    "  --plan-only print the plan, write nothing\n"
    "New images carry their source's group id (sources without one get a fresh\n"
    "one), so `split` keeps a source and its copies together. A target the data\n"
    "cannot reach is an error with the numbers unless --best-effort.\n";

static ts_status read_targets(cli_env *env, const ts_dataset *ds, const char *path, double **out) {
    ts_jvalue *doc = NULL;
    ts_status st = ts_json_parse_file(env->ctx, path, &doc);
    if (st != TS_OK) return st;
    size_t nc = ts_dataset_category_count(ds);
    double *t = ts_alloc_array(env->ctx, nc ? nc : 1, sizeof *t);
    if (!t) st = TS_ERR_NOMEM;
    for (size_t c = 0; c < nc && t; c++) t[c] = -1;
    if (st == TS_OK && doc->type != TS_JOBJECT)
        st = ts_error_at(env->ctx, TS_ERR_INVALID, path, doc->line, doc->col,
                         "expected an object {\"class name\": images, ...}");
    for (size_t k = 0; st == TS_OK && k < doc->u.obj.count; k++) {
        const ts_jvalue *v = &doc->u.obj.values[k];
        size_t c;
        if (!ts_dataset_find_category_name(ds, doc->u.obj.keys[k], &c))
            st = ts_error_at(env->ctx, TS_ERR_NOT_FOUND, path, v->line, v->col, "no class named \"%s\" in the dataset",
                             doc->u.obj.keys[k]);
        else if (v->type != TS_JNUMBER || v->u.num.value < 0)
            st = ts_error_at(env->ctx, TS_ERR_INVALID, path, v->line, v->col,
                             "target of \"%s\": expected a number of images >= 0", doc->u.obj.keys[k]);
        else
            t[c] = v->u.num.value;
    }
    ts_json_free(doc);
    if (st != TS_OK) {
        free(t);
        return st;
    }
    *out = t;
    return TS_OK;
}

static void print_plan(cli_env *env, const ts_dataset *ds, const ts_balance_plan *p, const char *method) {
    if (env->json) {
        ts_buf b = {0};
        ts_buf_printf(&b, "{\"method\": \"%s\", \"images_before\": %zu, \"new_images\": %zu, \"dropped\": %zu, "
                      "\"unreached\": %zu, \"classes\": [", method, p->n_images, p->n_copies, p->n_dropped,
                      p->unreached);
        for (size_t c = 0; c < p->n_classes; c++) {
            ts_category cat;
            ts_dataset_category(ds, c, &cat);
            ts_buf_printf(&b, "%s{\"name\": ", c ? ", " : "");
            ts_buf_put_json_string(&b, cat.name);
            ts_buf_printf(&b, ", \"target\": ");
            ts_buf_put_double(&b, p->target[c]);
            ts_buf_printf(&b, ", \"images\": [%zu, %zu], \"instances\": [%zu, %zu]}", p->before_images[c],
                          p->after_images[c], p->before_instances[c], p->after_instances[c]);
        }
        ts_buf_puts(&b, "]}\n");
        fputs(b.data, stdout);
        ts_buf_free(&b);
        return;
    }
    if (env->quiet) return;
    printf("%-20s %10s %10s %10s %12s %12s\n", "class", "target", "images", "-> after", "instances", "-> after");
    for (size_t c = 0; c < p->n_classes; c++) {
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        char tg[32];
        if (p->target[c] < 0) snprintf(tg, sizeof tg, "-");
        else snprintf(tg, sizeof tg, "%.0f", p->target[c]);
        printf("%-20.20s %10s %10zu %10zu %12zu %12zu\n", cat.name, tg, p->before_images[c], p->after_images[c],
               p->before_instances[c], p->after_instances[c]);
    }
    printf("\n%s: %zu images", method, p->n_images);
    if (p->n_copies) printf(", %zu new", p->n_copies);
    if (p->drop) printf(", %zu dropped", p->n_dropped);
    if (p->weight) printf(" (after = expected draws per epoch of repeat-factor sampling)");
    if (p->unreached) printf("; %zu class%s miss their target", p->unreached, p->unreached == 1 ? "" : "es");
    printf("\n");
}

/* --method augment: each new image is a variant of its source made by the
 * augmentation pipeline (default: a mild random perspective and affine
 * warp, a flip, small photometric changes), written into `image_dir`. */
static const char default_pipeline[] =
    "{\"ops\": [{\"op\": \"hflip\", \"p\": 0.5}, {\"op\": \"perspective\", \"scale\": [0.02, 0.08]}, "
    "{\"op\": \"affine\", \"scale\": [0.9, 1.1], \"deg\": [-10, 10], \"translate\": [-0.05, 0.05]}, "
    "{\"op\": \"brightness\", \"limit\": [-0.1, 0.1]}, {\"op\": \"contrast\", \"limit\": [-0.1, 0.1]}, "
    "{\"op\": \"hsv\", \"hue\": [-5, 5], \"saturation\": [-0.1, 0.1], \"value\": 0}], \"min_visibility\": 0.3}";

typedef struct {
    const ts_aug_pipeline *pipeline;
    const char *image_dir;   /* where the files are written now */
    const char *origin_root; /* where they will be once the output is committed */
    int has_origin;
    uint32_t origin;
} augment_maker;

static ts_status make_variant(void *user, ts_ctx *ctx, const ts_dataset *src, size_t src_index, ts_rng rng,
                              ts_dataset *dst, const ts_image_entry *new_entry) {
    augment_maker *m = user;
    ts_aug_sample sample;
    ts_status s = ts_aug_sample_from_dataset(ctx, src, src_index, &sample);
    if (s != TS_OK) return s;
    sample.partner = ts_aug_partner_from_dataset;
    sample.partner_user = (void *)src;
    s = ts_aug_apply(ctx, m->pipeline, ts_rng_u64(&rng), 0, (uint64_t)new_entry->id, &sample, NULL);
    ts_image_entry e = *new_entry;
    ts_image_entry source;
    ts_dataset_image(src, src_index, &source);
    ts_buf path = {0};
    int jpeg = ts_codec_from_path(source.path) == TS_CODEC_JPEG;
    if (s == TS_OK && ts_buf_printf(&path, "balance/%lld.%s", (long long)e.id, jpeg ? "jpg" : "png") != TS_OK)
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) {
        char *full = ts_path_join(m->image_dir, path.data);
        ts_encode_opts eo = {jpeg ? TS_CODEC_JPEG : TS_CODEC_PNG, 95, 0};
        uint8_t *bytes = NULL;
        size_t len = 0;
        s = full ? ts_image_encode(ctx, &sample.image, &eo, &bytes, &len) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        if (s == TS_OK) s = ts_file_write_staged(ctx, full, bytes, len);
        free(bytes);
        free(full);
    }
    if (s == TS_OK && !m->has_origin) {
        s = ts_dataset_add_origin(ctx, dst, m->origin_root, NULL, &m->origin);
        m->has_origin = s == TS_OK;
    }
    if (s == TS_OK) {
        e.path = path.data;
        e.origin = m->origin;
        e.pixel_key = 0;
        e.width = sample.image.w, e.height = sample.image.h;
        s = ts_dataset_add_image(ctx, dst, &e, NULL);
    }
    int64_t next = ts_dataset_next_annotation_id(dst);
    if (s == TS_OK) s = ts_aug_sample_annotate(ctx, &sample, dst, e.id, &next);
    ts_buf_free(&path);
    ts_aug_sample_clear(&sample);
    return s;
}

static int run_balance(cli_env *env, int argc, char **argv) {
    const char *out = NULL, *target = "uniform", *method = "augment", *pipeline = NULL, *to = NULL;
    double threshold = 0;
    int dedup_threshold = 8, no_dedup = 0, best_effort = 0, plan_only = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out},        {"target", 0, CLI_STRING, &target},
                            {"method", 'm', CLI_STRING, &method},      {"pipeline", 0, CLI_STRING, &pipeline},
                            {"threshold", 0, CLI_DOUBLE, &threshold},  {"dedup-threshold", 0, CLI_INT, &dedup_threshold},
                            {"no-dedup", 0, CLI_FLAG, &no_dedup},      {"best-effort", 0, CLI_FLAG, &best_effort},
                            {"plan-only", 0, CLI_FLAG, &plan_only},    {"to", 't', CLI_STRING, &to},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    ts_balance_opts bo = {0};
    int m = ts_balance_method_parse(method);
    if (npos != 1 || (!out && !plan_only)) rc = cli_usage_error(env, "expected IN and -o OUT (or --plan-only)");
    else if (m < 0) rc = cli_usage_error(env, "--method: expected augment, oversample, undersample or repeat-factor");
    else if (dedup_threshold < 0 || dedup_threshold > 32) rc = cli_usage_error(env, "--dedup-threshold: 0..32");
    else if (out && cli_check_output(env, out, pos, 1)) rc = 1;
    if (rc) {
        free(pos);
        return rc;
    }
    bo.method = (ts_balance_method)m;
    bo.seed = env->seed;
    bo.best_effort = best_effort;
    bo.repeat_threshold = threshold;
    ts_dataset *ds = NULL, *result = NULL;
    double *per_class = NULL;
    uint32_t *dups = NULL;
    ts_balance_plan plan = {0};
    ts_status s = cli_read_dataset(env, pos[0], NULL, &ds);
    if (s == TS_OK) {
        char *end;
        unsigned long long n = strtoull(target, &end, 10);
        if (strcmp(target, "uniform") == 0) bo.target = TS_TARGET_UNIFORM;
        else if (strcmp(target, "sqrt") == 0) bo.target = TS_TARGET_SQRT;
        else if (*target >= '0' && *target <= '9' && !*end) bo.target = TS_TARGET_COUNT, bo.count = (size_t)n;
        else {
            bo.target = TS_TARGET_PER_CLASS;
            s = read_targets(env, ds, target, &per_class);
            bo.per_class = per_class;
        }
    }
    if (s == TS_OK && bo.method == TS_BALANCE_UNDERSAMPLE && !no_dedup) {
        size_t n = ts_dataset_image_count(ds), ng;
        ts_group_opts go = ts_group_opts_default();
        go.kind = TS_GROUP_DEDUP;
        go.threshold = dedup_threshold;
        go.skip_unreadable = 1;
        dups = ts_alloc_array(env->ctx, n ? n : 1, sizeof *dups);
        s = dups ? ts_sample_groups(env->ctx, ds, &go, dups, &ng) : TS_ERR_NOMEM;
        bo.dup_groups = dups;
    }
    if (s == TS_OK && pipeline && bo.method != TS_BALANCE_AUGMENT)
        ts_warn(env->ctx, "--pipeline is used by --method augment only; ignored");
    if (s == TS_OK) s = ts_balance_plan_make(env->ctx, ds, &bo, &plan);
    if (s == TS_OK) print_plan(env, ds, &plan, ts_balance_method_name(bo.method));
    ts_aug_pipeline *aug = NULL;
    ts_atomic_dir *work = NULL;
    char *images_dir = NULL;
    augment_maker maker = {0};
    int to_json = out && ts_ends_with_nocase(out, ".json");
    if (s == TS_OK && !plan_only && bo.method == TS_BALANCE_AUGMENT) {
        s = ts_aug_pipeline_load(env->ctx, pipeline ? pipeline : default_pipeline, &aug);
        /* new images go to OUT_images/ beside a .json output (swapped in whole
         * once the annotations are written), or are copied into an output
         * directory from a work directory */
        size_t n = strlen(out) + 24;
        images_dir = malloc(n);
        if (s == TS_OK && !images_dir) s = ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
        if (s == TS_OK) {
            if (to_json) snprintf(images_dir, n, "%.*s_images", (int)(strlen(out) - 5), out);
            else snprintf(images_dir, n, "%s.balance-work", out);
            s = ts_atomic_dir_open(env->ctx, images_dir, &work);
        }
        maker.pipeline = aug;
        maker.image_dir = work ? ts_atomic_dir_path(work) : NULL;
        maker.origin_root = to_json ? images_dir : maker.image_dir;
    }
    if (s == TS_OK && !plan_only)
        s = ts_balance_apply(env->ctx, ds, &plan, &bo, bo.method == TS_BALANCE_AUGMENT ? make_variant : NULL, &maker,
                             &result);
    if (s == TS_OK && !plan_only) {
        ts_write_opts wo = {0};
        wo.copy_images = !to_json;
        s = ts_dataset_write(env->ctx, result, out, to, &wo);
    }
    if (s == TS_OK && work && to_json) {
        s = ts_atomic_dir_commit(env->ctx, work);
        work = NULL;
    }
    ts_atomic_dir_abort(work);
    free(images_dir);
    ts_aug_pipeline_destroy(aug);
    if (s == TS_OK && !plan_only)
        cli_note(env, "%s: %zu images -> %s (%zu images)\n", pos[0], ts_dataset_image_count(ds), out,
                 ts_dataset_image_count(result));
    if (s != TS_OK) rc = cli_fail(env, s);
    ts_balance_plan_free(&plan);
    free(per_class), free(dups);
    ts_dataset_destroy(result);
    ts_dataset_destroy(ds);
    free(pos);
    return rc;
}

CLI_VERB(balance, "balance classes: oversample, undersample (near-duplicates first), repeat factors, augment",
         usage, run_balance)
