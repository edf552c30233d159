/* `trainset filter IN -o OUT --where EXPR`: keep the images (and with
 * --annotations, the annotations) an expression selects. */
#include <stdlib.h>

#include "cli.h"
#include "trainset/ops.h"

static const char usage[] =
    "usage: trainset filter IN -o OUT --where EXPR [--annotations] [--to FORMAT] [--no-images] [--json]\n\n"
    "Keeps the images of IN that EXPR selects and writes them to OUT in --to FORMAT\n"
    "(default coco; a directory OUT also gets the image files unless --no-images).\n"
    "Every class is kept, with its id. EXPR compares fields with literals:\n"
    "  image fields:      split path source (text); id width height area license\n"
    "                     group annotations boxes (numbers); attr.NAME\n"
    "  annotation fields: class (name, or id when compared with a number),\n"
    "                     supercategory kind annotator (text); box_width box_height\n"
    "                     box_area iscrowd score (numbers); ann.attr.NAME\n"
    "  operators: == != < <= > >=, in (...), not in (...); and or not ( );\n"
    "  literals: \"text\" or 'text', numbers, true, false.\n"
    "An image matches an annotation comparison when some annotation of it does\n"
    "(class == \"cat\": images with a cat); != is `not ==` (class != \"cat\": images\n"
    "without a cat). A kept image keeps all its annotations unless --annotations,\n"
    "which also keeps only the annotations for which EXPR holds (evaluated per\n"
    "annotation: its own fields and its image's).\n"
    "examples:\n"
    "  trainset filter coco/ -o cats/ --where 'class in (\"cat\", \"dog\") and split == \"train\"'\n"
    "  trainset filter coco/ -o big.json --where 'width >= 640 and not attr.night == true'\n";

static int run_filter(cli_env *env, int argc, char **argv) {
    const char *out_path = NULL, *where = NULL, *to = NULL;
    int only_anns = 0, no_images = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out_path}, {"where", 'w', CLI_STRING, &where},
                            {"annotations", 0, CLI_FLAG, &only_anns}, {"to", 't', CLI_STRING, &to},
                            {"no-images", 0, CLI_FLAG, &no_images},  {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    if (npos != 1 || !out_path || !where) {
        free(pos);
        return cli_usage_error(env, "expected IN, -o OUT and --where EXPR");
    }
    const char *format = to ? to : "coco";
    if (!ts_format_find(format)) {
        free(pos);
        return cli_usage_error(env, "unknown output format \"%s\"", format);
    }
    if (cli_check_output(env, out_path, pos, 1)) {
        free(pos);
        return 1;
    }
    ts_filter *f = NULL;
    ts_dataset *in = NULL, *out = NULL;
    size_t images = 0, anns = 0;
    ts_status s = ts_filter_compile(env->ctx, where, &f);
    if (s == TS_OK) s = cli_read_dataset(env, pos[0], NULL, &in);
    if (s == TS_OK) s = ts_dataset_filter(env->ctx, in, f, only_anns ? TS_FILTER_ANNOTATIONS : 0, &out, &images, &anns);
    if (s == TS_OK) {
        ts_write_opts wo = {0};
        wo.copy_images = !no_images;
        s = ts_dataset_write(env->ctx, out, out_path, format, &wo);
    }
    if (s != TS_OK) {
        rc = cli_fail(env, s);
    } else if (env->json) {
        ts_buf b = {0};
        ts_buf_puts(&b, "{\"output\":");
        ts_buf_put_json_string(&b, out_path);
        ts_buf_printf(&b, ",\"images\":%zu,\"input_images\":%zu,\"annotations\":%zu,\"input_annotations\":%zu}\n",
                      images, ts_dataset_image_count(in), anns, ts_dataset_annotation_count(in));
        if (b.data) fputs(b.data, stdout);
        ts_buf_free(&b);
    } else {
        cli_note(env, "kept %zu of %zu images, %zu of %zu annotations; wrote %s (%s)\n", images,
                 ts_dataset_image_count(in), anns, ts_dataset_annotation_count(in), out_path, format);
    }
    ts_filter_destroy(f);
    ts_dataset_destroy(in);
    ts_dataset_destroy(out);
    free(pos);
    return rc;
}

CLI_VERB(filter, "keep the images (and annotations) an expression selects", usage, run_filter)
