/* `trainset subset OPENIMAGES_DIR --classes "Cat,Dog" -o OUT`: the images of
 * chosen Open Images classes, streamed from the CSVs, written in any format. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/openimages.h"

static const char usage[] =
    "usage: trainset subset OPENIMAGES_DIR --classes \"Cat,Dog\" -o OUT [--to FORMAT]\n"
    "                       [--hierarchy] [--only-matching] [--limit N] [--classes-file FILE]\n"
    "                       [--no-images] [--lenient]\n\n"
    "Keeps the images of an Open Images dataset (annotations/*.csv, images/<split>/)\n"
    "that have a box or a positive image-level label of a chosen class. Classes are\n"
    "display names matched whole and case-insensitively (or LabelName MIDs); a name\n"
    "that matches nothing fails with the closest names suggested.\n"
    "  --classes A,B        comma-separated class names\n"
    "  --classes-file FILE  one class name per line (for names with commas)\n"
    "  --hierarchy          also take every subclass in bbox_labels_600_hierarchy.json\n"
    "  --only-matching      keep only the chosen classes' annotations (default: all\n"
    "                       annotations of the kept images)\n"
    "  --limit N            at most N images, the first in file order\n"
    "  -o OUT, --to FORMAT  output, as for convert (default coco); --no-images skips\n"
    "                       copying image files\n"
    "The CSVs are read twice as streams (once to pick images, once to read them), so\n"
    "multi-GB files are never held in memory.\n";

/* Append the comma- or newline-separated names of `text` to *names. */
static int add_names(char *text, char sep, char ***names, size_t *n) {
    for (char *p = text; p && *p;) {
        char *e = strchr(p, sep);
        if (e) *e = 0;
        while (*p == ' ' || *p == '\t') p++;
        size_t len = strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r')) p[--len] = 0;
        if (len) {
            char **grown = realloc(*names, (*n + 1) * sizeof **names);
            if (!grown) return -1;
            *names = grown;
            (*names)[(*n)++] = p;
        }
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int run_subset(cli_env *env, int argc, char **argv) {
    const char *classes = NULL, *classes_file = NULL, *out = NULL, *to = NULL;
    int hierarchy = 0, only_matching = 0, no_images = 0;
    uint64_t limit = 0;
    const cli_opt opts[] = {{"classes", 'c', CLI_STRING, &classes},
                            {"classes-file", 0, CLI_STRING, &classes_file},
                            {"output", 'o', CLI_STRING, &out},
                            {"to", 't', CLI_STRING, &to},
                            {"hierarchy", 0, CLI_FLAG, &hierarchy},
                            {"only-matching", 0, CLI_FLAG, &only_matching},
                            {"limit", 0, CLI_U64, &limit},
                            {"no-images", 0, CLI_FLAG, &no_images},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    char *text = NULL;
    uint8_t *file_text = NULL;
    char **names = NULL;
    size_t n_names = 0;
    ts_dataset *ds = NULL;
    const char *format = to ? to : "coco";
    if (npos != 1) rc = cli_usage_error(env, "expected one OPENIMAGES_DIR");
    else if (!out) rc = cli_usage_error(env, "expected -o OUT");
    else if (!classes && !classes_file) rc = cli_usage_error(env, "expected --classes or --classes-file");
    else if (!ts_format_find(format)) rc = cli_usage_error(env, "unknown output format \"%s\"", format);
    else if (cli_check_output(env, out, pos, 1)) rc = 1;
    if (rc == 0 && classes) {
        text = strdup(classes);
        if (!text || add_names(text, ',', &names, &n_names) != 0) rc = cli_fail(env, ts_error(env->ctx, TS_ERR_NOMEM, "out of memory"));
    }
    if (rc == 0 && classes_file) {
        size_t len;
        ts_status s = ts_file_read(env->ctx, classes_file, &file_text, &len);
        if (s != TS_OK) rc = cli_fail(env, s);
        else if (add_names((char *)file_text, '\n', &names, &n_names) != 0)
            rc = cli_fail(env, ts_error(env->ctx, TS_ERR_NOMEM, "out of memory"));
    }
    if (rc == 0 && n_names == 0) rc = cli_usage_error(env, "no class names given");
    if (rc == 0) {
        ts_oi_subset_opts so = {(const char *const *)names, n_names, hierarchy, only_matching, limit};
        ts_status s = ts_openimages_subset(env->ctx, pos[0], &so, &ds);
        if (s == TS_OK) {
            ts_write_opts wo = {0};
            wo.copy_images = !no_images;
            s = ts_dataset_write(env->ctx, ds, out, format, &wo);
        }
        if (s != TS_OK) {
            rc = cli_fail(env, s);
        } else if (env->json) {
            printf("{\"output\": ");
            ts_buf b = {0};
            if (ts_buf_put_json_string(&b, out) == TS_OK) fputs(b.data, stdout);
            ts_buf_free(&b);
            printf(", \"format\": \"%s\", \"images\": %zu, \"categories\": %zu, \"annotations\": %zu}\n", format,
                   ts_dataset_image_count(ds), ts_dataset_category_count(ds), ts_dataset_annotation_count(ds));
        } else {
            cli_note(env, "wrote %s (%s): %zu images, %zu categories, %zu annotations\n", out, format,
                     ts_dataset_image_count(ds), ts_dataset_category_count(ds), ts_dataset_annotation_count(ds));
        }
    }
    ts_dataset_destroy(ds);
    free(names);
    free(text);
    free(file_text);
    free(pos);
    return rc;
}

CLI_VERB(subset, "pick the images of chosen Open Images classes (hierarchy-aware, streaming)", usage, run_subset)
