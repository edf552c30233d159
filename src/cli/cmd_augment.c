/* `trainset augment IN -o OUT --pipeline PIPE.json --copies K`: offline
 * augmentation with a log for replay and a preview contact sheet. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/aug.h"

static const char usage[] =
    "usage: trainset augment IN -o OUT --pipeline PIPE.json|'{...}' [--copies K] [--classes A,B]\n"
    "                        [--seed S] [--epoch E] [--with-originals] [--to FORMAT]\n"
    "                        [--log LOG.jsonl] [--replay LOG.jsonl] [--preview GRID.jpg] [-j N]\n\n"
    "Writes K augmented variants of each image of IN (only images holding one of\n"
    "--classes, if given) with their annotations transformed, as a dataset in OUT\n"
    "(default COCO with the images). Each new image has the group id of its source,\n"
    "so `split --group-by source` keeps variants together. Variant k of image i is\n"
    "a pure function of (seed, epoch, i * K + k): identical for any -j. --log writes\n"
    "every applied op and its drawn parameters as JSON lines; --replay LOG\n"
    "re-applies them exactly. --preview writes a contact sheet of originals and up\n"
    "to five variants each, with boxes, polygons and keypoints drawn.\n"
    "The pipeline format and every op are described in docs/augment.md.\n";

static ts_status write_preview(cli_env *env, const ts_dataset *ds, const ts_aug_pipeline *p, uint64_t seed, uint64_t epoch,
                               uint32_t copies, const char *path) {
    enum { ROWS = 6 };
    size_t cols = 1 + (copies < 5 ? copies : 5), ni = ts_dataset_image_count(ds), rows = ni < ROWS ? ni : ROWS;
    ts_aug_sample *cells = calloc(rows * cols + 1, sizeof *cells);
    if (!cells) return ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = TS_OK;
    for (size_t r = 0; r < rows && s == TS_OK; r++)
        for (size_t c = 0; c < cols && s == TS_OK; c++) {
            s = ts_aug_sample_from_dataset(env->ctx, ds, r, &cells[r * cols + c]);
            cells[r * cols + c].partner = ts_aug_partner_from_dataset;
            cells[r * cols + c].partner_user = (void *)ds;
            if (s == TS_OK && c > 0)
                s = ts_aug_apply(env->ctx, p, seed, epoch, (uint64_t)r * copies + (c - 1), &cells[r * cols + c], NULL);
        }
    ts_image sheet;
    if (s == TS_OK) s = ts_aug_contact_sheet(env->ctx, cells, rows, cols, 160, &sheet);
    if (s == TS_OK) {
        ts_encode_opts eo = {0, 90, 0};
        s = ts_image_save(env->ctx, path, &sheet, &eo);
        ts_image_free(&sheet);
    }
    for (size_t i = 0; i < rows * cols; i++) ts_aug_sample_clear(&cells[i]);
    free(cells);
    return s;
}

static int run_augment(cli_env *env, int argc, char **argv) {
    const char *out = NULL, *pipe_spec = NULL, *classes = NULL, *to = NULL, *log_path = NULL, *replay_path = NULL,
               *preview = NULL;
    int copies = 1, with_originals = 0;
    uint64_t epoch = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out},       {"pipeline", 'p', CLI_STRING, &pipe_spec},
                            {"copies", 'k', CLI_INT, &copies},        {"classes", 0, CLI_STRING, &classes},
                            {"to", 't', CLI_STRING, &to},             {"log", 0, CLI_STRING, &log_path},
                            {"replay", 0, CLI_STRING, &replay_path},  {"preview", 0, CLI_STRING, &preview},
                            {"epoch", 0, CLI_U64, &epoch},            {"with-originals", 0, CLI_FLAG, &with_originals},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    if (npos != 1 || !pipe_spec || (!out && !preview)) {
        free(pos);
        return cli_usage_error(env, "expected IN, --pipeline and -o OUT (or --preview)");
    }
    if (copies < 1 || copies > 100000) {
        free(pos);
        return cli_usage_error(env, "--copies must be 1..100000");
    }
    if (out && cli_check_output(env, out, pos, 1)) {
        free(pos);
        return 1;
    }
    ts_dataset *ds = NULL, *aug = NULL;
    ts_aug_pipeline *p = NULL;
    ts_atomic_dir *work = NULL;
    uint8_t *replay = NULL;
    size_t replay_len = 0;
    ts_buf log = {0};
    ts_status s = ts_aug_pipeline_load(env->ctx, pipe_spec, &p);
    if (s == TS_OK) s = cli_read_dataset(env, pos[0], NULL, &ds);
    if (s == TS_OK && replay_path) s = ts_file_read(env->ctx, replay_path, &replay, &replay_len);
    if (s == TS_OK && preview) s = write_preview(env, ds, p, env->seed, epoch, (uint32_t)copies, preview);
    if (s == TS_OK && out) {
        size_t n = strlen(out) + 16;
        char *work_path = malloc(n);
        if (!work_path) s = ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
        else snprintf(work_path, n, "%s.aug-work", out);
        if (s == TS_OK) s = ts_atomic_dir_open(env->ctx, work_path, &work);
        free(work_path);
        ts_aug_offline_opts o = {env->seed, epoch, (uint32_t)copies, classes, with_originals,
                                 work ? ts_atomic_dir_path(work) : NULL, log_path ? &log : NULL,
                                 (const char *)replay, replay_len};
        if (s == TS_OK) s = ts_aug_offline(env->ctx, ds, p, &o, &aug);
        if (s == TS_OK) {
            ts_write_opts wo = {0};
            wo.copy_images = 1;
            s = ts_dataset_write(env->ctx, aug, out, to, &wo);
        }
        if (s == TS_OK && log_path) s = ts_file_write_atomic(env->ctx, log_path, log.data ? log.data : "", log.len);
    }
    if (s != TS_OK) {
        rc = cli_fail(env, s);
    } else {
        if (out)
            cli_note(env, "wrote %s: %zu images (%d variants of each selected image)\n", out, ts_dataset_image_count(aug),
                     copies);
        if (preview) cli_note(env, "preview: %s\n", preview);
    }
    ts_atomic_dir_abort(work); /* the images were copied into OUT */
    ts_buf_free(&log);
    free(replay);
    ts_dataset_destroy(aug);
    ts_dataset_destroy(ds);
    ts_aug_pipeline_destroy(p);
    free(pos);
    return rc;
}

CLI_VERB(augment, "write augmented variants of a dataset's images with their annotations", usage, run_augment)
