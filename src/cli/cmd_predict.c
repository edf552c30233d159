/* `trainset predict MODEL DATASET -o PREDICTIONS`: class scores of every
 * image as a COCO-style results list ({"image_id", "category_id", "score"},
 * each image's top-K classes) that `trainset eval` reads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/nn.h"

static const char usage[] =
    "usage: trainset predict MODEL DATASET -o PREDICTIONS.json [--split NAME] [--top K]\n\n"
    "Runs the checkpoint MODEL (from `trainset train`) on the images of DATASET\n"
    "(resized to the model's input) and writes a JSON list of\n"
    "{\"image_id\", \"category_id\", \"score\"} with each image's top K classes\n"
    "(default 5; ids as in the training dataset, scores are softmax\n"
    "probabilities), sorted by image then score. When the images carry labels\n"
    "the top-1 and top-5 accuracy are printed (--json: on stdout).\n";

typedef struct {
    float score;
    int cls;
} ranked;

static int by_score(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->cls - y->cls;
}

static int run_predict(cli_env *env, int argc, char **argv) {
    const char *out = NULL, *split = NULL;
    int top = 5;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out},
                            {"split", 0, CLI_STRING, &split},
                            {"top", 0, CLI_INT, &top},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos, done;
    int rc = cli_parse(env, cli_current_verb(), opts, argc, argv, &pos, &npos, &done);
    if (rc || done) {
        free(pos);
        return rc;
    }
    if (npos != 2 || !out) {
        free(pos);
        return cli_usage_error(env, "expected MODEL DATASET -o PREDICTIONS.json");
    }
    if (top < 1) {
        free(pos);
        return cli_usage_error(env, "--top must be at least 1");
    }
    if (cli_check_output(env, out, pos, 2)) {
        free(pos);
        return 1;
    }
    ts_ctx *ctx = env->ctx;
    ts_nn_model *m = NULL;
    ts_dataset *ds = NULL;
    ts_nn_data d = {0};
    float *x = NULL, *probs = NULL;
    ranked *rank = NULL;
    ts_buf b = {0};
    size_t top1 = 0, top5 = 0, labelled = 0;
    ts_status st = ts_nn_checkpoint_load(ctx, pos[0], &m);
    if (!st) st = ts_nn_model_set_threads(ctx, m, env->threads);
    if (!st) st = cli_read_dataset(env, pos[1], NULL, &ds);
    if (!st) st = ts_nn_data_load(ctx, ds, split, m, 0, &d);
    int K = m ? ts_nn_model_classes(m) : 0;
    if (top > K) top = K;
    const size_t chunk = 1024;
    size_t per = (size_t)d.c * d.h * d.w;
    if (!st) {
        x = ts_alloc_array(ctx, chunk, per * sizeof(float));
        probs = ts_alloc_array(ctx, chunk, (size_t)K * sizeof(float));
        rank = ts_alloc_array(ctx, (size_t)K, sizeof *rank);
        if (!x || !probs || !rank) st = TS_ERR_NOMEM;
    }
    ts_nn_data_source src = {.data = &d, .model = m, .sequential = 1};
    ts_nn_source s = {0};
    if (!st) s = ts_nn_data_source_make(&src);
    if (!st) st = ts_buf_putc(&b, '[');
    for (size_t first = 0; !st && first < d.n; first += chunk) {
        size_t k = d.n - first < chunk ? d.n - first : chunk;
        for (size_t i = 0; i < k && !st; i++) {
            int32_t label;
            st = s.sample(s.user, ctx, 0, first + i, x + i * per, &label);
        }
        if (!st) st = ts_nn_predict(ctx, m, x, k, probs);
        for (size_t i = 0; !st && i < k; i++) {
            for (int c = 0; c < K; c++) rank[c].score = probs[i * (size_t)K + (size_t)c], rank[c].cls = c;
            qsort(rank, (size_t)K, sizeof *rank, by_score);
            int32_t label = d.labels[first + i];
            if (label >= 0) {
                labelled++;
                top1 += rank[0].cls == label;
                for (int c = 0; c < 5 && c < K; c++) top5 += rank[c].cls == label;
            }
            for (int c = 0; c < top; c++) {
                ts_buf_puts(&b, first + i || c ? ",\n{\"image_id\":" : "\n{\"image_id\":");
                ts_buf_put_int(&b, d.image_ids[first + i]);
                ts_buf_puts(&b, ",\"category_id\":");
                ts_buf_put_int(&b, ts_nn_model_class_id(m, rank[c].cls));
                ts_buf_puts(&b, ",\"score\":");
                ts_buf_printf(&b, "%.6g", (double)rank[c].score);
                st = ts_buf_putc(&b, '}');
            }
        }
        if (!st) st = ts_progress(ctx, "predicting", first + k, d.n);
    }
    if (!st) st = ts_buf_puts(&b, "\n]\n");
    if (!st) st = ts_file_write_atomic(ctx, out, b.data, b.len);
    if (!st) {
        double a1 = labelled ? (double)top1 / (double)labelled : NAN, a5 = labelled ? (double)top5 / (double)labelled : NAN;
        if (env->json) {
            ts_buf j = {0};
            ts_buf_printf(&j, "{\"images\":%zu,\"labelled\":%zu,\"top1\":", d.n, labelled);
            ts_buf_put_double(&j, a1);
            ts_buf_puts(&j, ",\"top5\":");
            ts_buf_put_double(&j, a5);
            ts_buf_puts(&j, ",\"predictions\":");
            ts_buf_put_json_string(&j, out);
            ts_buf_puts(&j, "}\n");
            fputs(j.data ? j.data : "{}\n", stdout);
            ts_buf_free(&j);
        } else {
            cli_note(env, "wrote %s: %zu images, top %d classes each\n", out, d.n, top);
            if (labelled) cli_note(env, "accuracy on %zu labelled images: top-1 %.4f, top-5 %.4f\n", labelled, a1, a5);
        }
    }
    int ret = st ? cli_fail(env, st) : 0;
    ts_buf_free(&b);
    free(x), free(probs), free(rank), free(pos);
    ts_nn_data_free(&d);
    ts_dataset_destroy(ds);
    ts_nn_model_destroy(m);
    return ret;
}

CLI_VERB(predict, "class scores of a dataset's images from a trained model", usage, run_predict)
