/* `trainset convert IN OUT [--to FORMAT]`: any readable format to any
 * writable one; a directory output gets copies of the images. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: trainset convert IN OUT [--to FORMAT] [--format IN_FORMAT] [--no-images] [--renumber]\n"
    "                        [--shard-size N] [--lenient] [--allow-outside-root]\n\n"
    "Reads IN in any supported format (detected, or --format) and writes OUT in\n"
    "--to FORMAT (default coco). OUT ending in .json (COCO) holds annotations only,\n"
    "with \"image_root\" pointing back at the images; a directory OUT also gets the\n"
    "image files (copied, or encoded as PNG for formats that hold raw pixels)\n"
    "unless --no-images. What the target format cannot hold is reported as a\n"
    "warning naming what was dropped. OUT is written atomically and never over IN.\n"
    "Formats: coco voc yolo openimages imagefolder cvat idx wds.\n";

static int run_convert(cli_env *env, int argc, char **argv) {
    const char *to = NULL;
    int no_images = 0, renumber = 0;
    uint64_t shard_size = 0;
    const cli_opt opts[] = {{"to", 't', CLI_STRING, &to},
                            {"no-images", 0, CLI_FLAG, &no_images},
                            {"renumber", 0, CLI_FLAG, &renumber},
                            {"shard-size", 0, CLI_U64, &shard_size},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos, done;
    int rc = cli_parse(env, cli_current_verb(), opts, argc, argv, &pos, &npos, &done);
    if (rc || done) {
        free(pos);
        return rc;
    }
    if (npos != 2) {
        free(pos);
        return cli_usage_error(env, "expected IN and OUT");
    }
    if (cli_check_output(env, pos[1], pos, 1)) {
        free(pos);
        return 1;
    }
    const char *format = to ? to : "coco";
    if (!ts_format_find(format)) {
        free(pos);
        return cli_usage_error(env, "unknown output format \"%s\"", format);
    }
    /* YOLO keeps boxes only (polygons from YOLO itself aside), and the COCO
     * reader derives missing boxes without keeping the shapes: reading
     * COCO without geometry is several times faster and holds less. */
    ts_read_opts ro = {0, NULL};
    const ts_format *in_fmt = env->format ? ts_format_find(env->format) : NULL;
    if (!in_fmt && ts_format_detect(env->ctx, pos[0], &in_fmt) != TS_OK) {
        ts_ctx_clear_error(env->ctx); /* the read below reports it */
        in_fmt = NULL;
    }
    if (in_fmt && strcmp(in_fmt->name, "coco") == 0 && strcmp(format, "yolo") == 0) ro.flags |= TS_READ_SKIP_GEOMETRY;
    ts_dataset *ds = NULL;
    ts_status s = cli_read_dataset(env, pos[0], &ro, &ds);
    if (s == TS_OK) {
        ts_write_opts wo = {0};
        wo.copy_images = !no_images;
        wo.renumber = renumber;
        wo.shard_size = shard_size;
        s = ts_dataset_write(env->ctx, ds, pos[1], format, &wo);
    }
    if (s != TS_OK) {
        rc = cli_fail(env, s);
    } else {
        cli_note(env, "wrote %s (%s): %zu images, %zu categories, %zu annotations\n", pos[1], format,
                 ts_dataset_image_count(ds), ts_dataset_category_count(ds), ts_dataset_annotation_count(ds));
    }
    ts_dataset_destroy(ds);
    free(pos);
    return rc;
}

CLI_VERB(convert, "convert a dataset from any supported format to another", usage, run_convert)
