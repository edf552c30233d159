/* `trainset train TRAIN -o MODEL`: train an image classifier with the
 * built-in trainer, with validation, early stopping, checkpoints, resume and
 * transfer learning; a progress line per batch and a summary per epoch. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "trainset/nn.h"
#include "trainset/sample.h"

static const char usage[] =
    "usage: trainset train TRAIN [--val VAL] [--model SPEC] [options] -o MODEL\n\n"
    "Trains an image classifier on the image-level labels of TRAIN and writes\n"
    "the checkpoint MODEL after every epoch (atomically). Images are decoded\n"
    "once, converted to the model's channels and resized to its input.\n\n"
    "data:\n"
    "  --split NAME          train on this split of TRAIN (default: \"train\" when\n"
    "                        TRAIN has one, else all images)\n"
    "  --limit N             train on the first N images of the split only\n"
    "  --val VAL             validation dataset (default: none)\n"
    "  --val-split NAME      split of VAL (or of TRAIN without --val) to validate on\n"
    "  --flip                random horizontal flips (p = 0.5)\n"
    "  --crop PAD            random crops of the image padded by PAD pixels\n"
    "  --order MODE          uniform (reshuffle each epoch, default), sequential (as\n"
    "                        stored), or a sampler of `trainset shuffle`: stratified,\n"
    "                        class-balanced, repeat-factor, weighted, spread-groups, ...\n"
    "  --repeat-threshold T  repeat-factor sampler threshold (default 0.001)\n"
    "  --pipeline PIPE.json  online augmentation (docs/augment.md), applied per sample\n"
    "                        and epoch by the loader threads; file or inline JSON\n"
    "  --loaders N           threads preparing batches (augment, normalise) up to two\n"
    "                        batches ahead of the step computing, at the lowest\n"
    "                        priority; the -j workers finish a late batch (default\n"
    "                        1). 0 prepares each batch on the -j workers just before\n"
    "                        its step (no overlap). Weights do not depend on N\n"
    "model:\n"
    "  --model SPEC          mlp, cnn-small (default), resnet-mini, a spec file\n"
    "                        (text or JSON) or inline text \"conv 16 3; relu; ...\"\n"
    "  --init MODEL          start from a checkpoint's weights\n"
    "  --new-head            with --init: a fresh classifier for TRAIN's classes\n"
    "  --freeze N            do not train the first N layers\n"
    "  --resume              continue the checkpoint -o MODEL where it stopped\n"
    "optimiser:\n"
    "  --optim NAME          sgd (default), adam, adamw, adagrad, rmsprop\n"
    "  --lr X                learning rate (default 0.05 sgd, 0.01 adagrad, 1e-3 others)\n"
    "  --momentum X          sgd (default 0.9) and rmsprop (default 0)\n"
    "  --nesterov            Nesterov momentum (sgd)\n"
    "  --weight-decay X      L2 (decoupled for adamw) on weights, not biases/bn\n"
    "  --schedule NAME       constant (default), step, cosine\n"
    "  --step-epochs N       step schedule period (default 10)\n"
    "  --gamma X             step schedule factor (default 0.1)\n"
    "  --warmup E            linear warm-up over E epochs (may be fractional)\n"
    "  --min-lr X            cosine floor (default 0)\n"
    "  --epochs E            (default 10)\n"
    "  --batch B             (default 64)\n"
    "  --label-smoothing X   (default 0)\n"
    "stopping and output:\n"
    "  --early-stop P        stop after P epochs without improvement of the\n"
    "                        validation loss (training loss without --val)\n"
    "  --min-delta X         smallest improvement that counts (default 0)\n"
    "  --no-restore-best     keep the last epoch's weights, not the best\n"
    "  --metrics FILE        per-epoch JSON lines (default MODEL.metrics.jsonl)\n"
    "  --curve FILE.svg      training-curve SVG (default MODEL.curve.svg)\n"
    "  -o MODEL              the checkpoint to write\n\n"
    "Same --seed and -j give bit-identical weights. Ctrl-C (or SIGTERM) stops\n"
    "after the current batch and keeps MODEL at the last finished epoch, which\n"
    "--resume continues from; a second Ctrl-C ends the process at once.\n";

typedef struct {
    cli_env *env;
    double started, last_draw;
    int epochs_done; /* the last epoch whose checkpoint is written */
} progress_ui;

/* Set by SIGINT/SIGTERM; the batch callback stops training at the next
 * batch. The handler is reset by its first signal, so a second one ends the
 * process the default way. */
static volatile sig_atomic_t stop_requested;

static void request_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void catch_stop_signals(int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? request_stop : SIG_DFL;
    sa.sa_flags = on ? (int)SA_RESETHAND : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int on_batch(void *user, const ts_nn_epoch_stats *s, size_t done, size_t total) {
    progress_ui *ui = user;
    if (stop_requested) return 1;
    if (ui->env->quiet || !ui->env->progress_tty) return 0;
    double t = now_s();
    if (done < total && t - ui->last_draw < 0.1) return 0;
    ui->last_draw = t;
    int width = 24, fill = (int)((double)done / (double)total * width);
    fprintf(stderr, "\repoch %d/%d [%.*s%*s] %3d%% loss %.4f acc %.4f %6.0f img/s", s->epoch, s->epochs, fill,
            "========================", width - fill, "", (int)(100.0 * (double)done / (double)total),
            s->train_loss, s->train_acc, s->images_per_s);
    if (done == total) fputs("\r\033[K", stderr);
    return 0;
}

static int on_epoch(void *user, const ts_nn_epoch_stats *s) {
    progress_ui *ui = user;
    ui->epochs_done = s->epoch;
    if (stop_requested) return 1;
    if (ui->env->quiet) return 0;
    FILE *f = ui->env->json ? stderr : stdout;
    fprintf(f, "epoch %d/%d: train loss %.4f acc %.4f", s->epoch, s->epochs, s->train_loss, s->train_acc);
    if (!isnan(s->val_loss)) fprintf(f, ", val loss %.4f acc %.4f", s->val_loss, s->val_acc);
    fprintf(f, ", lr %.3g, %.1f s, %.0f img/s%s\n", s->lr, s->seconds, s->images_per_s, s->best ? " *" : "");
    fflush(f);
    return 0;
}

/* After Ctrl-C: what the checkpoint holds and how to go on; the exit status
 * of a process ended by SIGINT. */
static int report_interrupted(cli_env *env, const char *out, int epochs_done) {
    if (env->progress_tty && !env->quiet) fputs("\r\033[K", stderr); /* clear the progress line */
    if (epochs_done > 0)
        fprintf(stderr, "trainset train: interrupted in epoch %d: %s keeps epoch %d (the last finished; "
                        "continue with --resume)\n", epochs_done + 1, out, epochs_done);
    else
        fprintf(stderr, "trainset train: interrupted in epoch 1: no epoch finished, %s was not written\n", out);
    return 130;
}

/* The split to train on: the given one, else "train" when present. */
static const char *default_split(const ts_dataset *ds, const char *given) {
    if (given) return given;
    size_t n = ts_dataset_image_count(ds);
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        if (strcmp(e.split, "train") == 0) return "train";
    }
    return NULL;
}

static int same_classes(const ts_nn_model *m, const int64_t *ids, int n) {
    if (ts_nn_model_classes(m) != n) return 0;
    for (int i = 0; i < n; i++)
        if (ts_nn_model_class_id(m, i) != ids[i]) return 0;
    return 1;
}

typedef struct {
    const char *val, *split, *val_split, *spec, *init, *order, *pipeline, *out, *metrics, *curve;
    const char *optim, *schedule;
    int flip, crop, new_head, freeze, resume, no_restore, limit;
    double repeat_threshold;
    ts_nn_train_opts o;
} train_args;

/* Build, load or adapt the model for the classes of TRAIN. */
static ts_status make_model(cli_env *env, train_args *a, const ts_dataset *train, const int64_t *ids,
                            const char **names, int nclasses, ts_nn_model **out, int *fresh) {
    ts_ctx *ctx = env->ctx;
    ts_nn_model *m = NULL, *src = NULL;
    ts_status st;
    *fresh = 0;
    if (a->resume) {
        if ((st = ts_nn_checkpoint_load(ctx, a->out, &m))) return st;
        if (!same_classes(m, ids, nclasses)) {
            ts_nn_model_destroy(m);
            return ts_error(ctx, TS_ERR_INVALID, "--resume: %s was trained on other classes than %d of this dataset",
                            a->out, nclasses);
        }
        *out = m;
        return TS_OK;
    }
    if (a->init) {
        if ((st = ts_nn_checkpoint_load(ctx, a->init, &src))) return st;
        int c, h, w;
        ts_nn_model_input(src, &c, &h, &w);
        int keep = same_classes(src, ids, nclasses);
        if (!keep && !a->new_head) {
            ts_nn_model_destroy(src);
            return ts_error(ctx, TS_ERR_INVALID,
                            "--init %s has %d classes that differ from the dataset's %d; add --new-head to "
                            "replace its classifier",
                            a->init, ts_nn_model_classes(src), nclasses);
        }
        st = ts_nn_model_create(ctx, a->spec ? a->spec : ts_nn_model_spec(src), c, h, w, nclasses, env->seed, &m);
        if (!st) st = ts_nn_model_copy_weights(ctx, m, src, a->new_head ? 1 : 0);
        if (st) ts_error_prefix(ctx, "--init %s", a->init);
        ts_nn_model_destroy(src);
    } else {
        int c, h, w;
        const char *spec = a->spec ? a->spec : "cnn-small";
        if (!ts_nn_spec_input(ctx, spec, &c, &h, &w) && (st = ts_nn_dataset_input(ctx, train, &c, &h, &w))) return st;
        st = ts_nn_model_create(ctx, spec, c, h, w, nclasses, env->seed, &m);
        *fresh = 1;
    }
    if (!st) st = ts_nn_model_set_classes(ctx, m, ids, names);
    if (st) {
        ts_nn_model_destroy(m);
        return st;
    }
    *out = m;
    return TS_OK;
}

/* --order MODE: the samplers of src/sample over a dataset holding exactly
 * the training images, in the order of the loaded data. */
static ts_status sampler_order(void *user, ts_ctx *ctx, uint64_t epoch, size_t **order, size_t *len) {
    uint32_t *o32 = NULL;
    size_t n = 0;
    ts_status st = ts_sampler_epoch_order(ctx, user, epoch, &o32, &n);
    if (st) return st;
    size_t *o = ts_alloc_array(ctx, n ? n : 1, sizeof *o);
    if (!o) {
        free(o32);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) o[i] = o32[i];
    free(o32);
    *order = o, *len = n;
    return TS_OK;
}

static ts_status make_sampler(ts_ctx *ctx, const ts_dataset *ds, const ts_nn_data *td, int mode, size_t batch,
                              uint64_t seed, double repeat_threshold, ts_sampler **out) {
    size_t n = ts_dataset_image_count(ds), at = 0;
    uint8_t *keep = ts_calloc_array(ctx, n ? n : 1, 1);
    if (!keep) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n && at < td->n; i++)
        if (ts_dataset_image_id(ds, i) == td->image_ids[at]) keep[i] = 1, at++;
    ts_dataset *sub = NULL;
    ts_status st = ts_sample_subset(ctx, ds, keep, NULL, &sub);
    free(keep);
    if (!st && ts_dataset_image_count(sub) != td->n)
        st = ts_error(ctx, TS_ERR_INVALID, "--order: the sampler's images do not match the training images");
    ts_sampler_opts so = ts_sampler_opts_default();
    so.mode = (ts_sampler_mode)mode, so.batch = batch, so.seed = seed;
    if (repeat_threshold > 0) so.repeat_threshold = repeat_threshold;
    if (!st) st = ts_sampler_create(ctx, sub, &so, out);
    ts_dataset_destroy(sub);
    return st;
}

static int parse_names(cli_env *env, train_args *a) {
    if (a->optim && ts_nn_optim_parse(env->ctx, a->optim, &a->o.optim)) return cli_usage_error(env, "%s", ts_ctx_error(env->ctx));
    if (a->schedule && ts_nn_schedule_parse(env->ctx, a->schedule, &a->o.schedule))
        return cli_usage_error(env, "%s", ts_ctx_error(env->ctx));
    if (a->order && strcmp(a->order, "sequential") && ts_sampler_mode_parse(a->order) < 0)
        return cli_usage_error(env, "--order %s: expected sequential or a sampler mode of `trainset shuffle` (uniform, "
                                    "stratified, class-balanced, repeat-factor, weighted, spread-groups, ...)",
                               a->order);
    if (a->new_head && !a->init) return cli_usage_error(env, "--new-head needs --init MODEL");
    if (a->resume && a->init) return cli_usage_error(env, "--resume and --init exclude each other");
    if (a->crop < 0 || a->crop > 64) return cli_usage_error(env, "--crop must be 0..64");
    if (a->limit < 0) return cli_usage_error(env, "--limit must be positive");
    if (a->o.loaders < 0 || a->o.loaders > TS_NN_MAX_LOADERS)
        return cli_usage_error(env, "--loaders must be 0..%d", TS_NN_MAX_LOADERS);
    return 0;
}

static int run_train(cli_env *env, int argc, char **argv) {
    train_args a;
    memset(&a, 0, sizeof a);
    a.o = ts_nn_train_opts_default();
    const cli_opt opts[] = {
        {"val", 0, CLI_STRING, &a.val},           {"split", 0, CLI_STRING, &a.split},
        {"val-split", 0, CLI_STRING, &a.val_split}, {"model", 'm', CLI_STRING, &a.spec},
        {"limit", 0, CLI_INT, &a.limit},         {"repeat-threshold", 0, CLI_DOUBLE, &a.repeat_threshold},
        {"init", 0, CLI_STRING, &a.init},         {"new-head", 0, CLI_FLAG, &a.new_head},
        {"freeze", 0, CLI_INT, &a.freeze},        {"resume", 0, CLI_FLAG, &a.resume},
        {"order", 0, CLI_STRING, &a.order},       {"pipeline", 0, CLI_STRING, &a.pipeline},
        {"loaders", 0, CLI_INT, &a.o.loaders},
        {"flip", 0, CLI_FLAG, &a.flip},           {"crop", 0, CLI_INT, &a.crop},
        {"optim", 0, CLI_STRING, &a.optim},       {"lr", 0, CLI_DOUBLE, &a.o.lr},
        {"momentum", 0, CLI_DOUBLE, &a.o.momentum}, {"nesterov", 0, CLI_FLAG, &a.o.nesterov},
        {"weight-decay", 0, CLI_DOUBLE, &a.o.weight_decay}, {"schedule", 0, CLI_STRING, &a.schedule},
        {"step-epochs", 0, CLI_INT, &a.o.step_epochs}, {"gamma", 0, CLI_DOUBLE, &a.o.step_gamma},
        {"warmup", 0, CLI_DOUBLE, &a.o.warmup_epochs}, {"min-lr", 0, CLI_DOUBLE, &a.o.min_lr},
        {"epochs", 'e', CLI_INT, &a.o.epochs},    {"batch", 'b', CLI_INT, &a.o.batch_size},
        {"label-smoothing", 0, CLI_DOUBLE, &a.o.label_smoothing},
        {"early-stop", 0, CLI_INT, &a.o.patience}, {"min-delta", 0, CLI_DOUBLE, &a.o.min_delta},
        {"no-restore-best", 0, CLI_FLAG, &a.no_restore}, {"metrics", 0, CLI_STRING, &a.metrics},
        {"curve", 0, CLI_STRING, &a.curve},       {"output", 'o', CLI_STRING, &a.out},
        {NULL, 0, 0, NULL}};
    char **pos;
    int npos, done;
    int rc = cli_parse(env, cli_current_verb(), opts, argc, argv, &pos, &npos, &done);
    if (rc || done) {
        free(pos);
        return rc;
    }
    if (npos != 1 || !a.out) {
        free(pos);
        return cli_usage_error(env, "expected TRAIN and -o MODEL");
    }
    if ((rc = parse_names(env, &a))) {
        free(pos);
        return rc;
    }
    char *inputs[2] = {pos[0], (char *)a.val};
    if (cli_check_output(env, a.out, inputs, a.val ? 2 : 1)) {
        free(pos);
        return 1;
    }
    a.o.freeze = a.freeze;
    a.o.restore_best = !a.no_restore;
    a.o.seed = env->seed;
    ts_ctx *ctx = env->ctx;
    ts_dataset *train = NULL, *val = NULL;
    ts_nn_model *m = NULL;
    ts_nn_data td = {0}, vd = {0};
    int64_t *ids = NULL;
    const char **names = NULL;
    int nclasses = 0, fresh = 0;
    char *metrics = NULL, *curve = NULL;
    ts_sampler *sampler = NULL;
    ts_aug_pipeline *pipe = NULL;
    int epochs_kept = -1; /* after an interrupt: the epochs the checkpoint holds */
    ts_status st = cli_read_dataset(env, pos[0], NULL, &train);
    const char *split = NULL;
    if (!st) {
        split = default_split(train, a.split);
        st = ts_nn_dataset_classes(ctx, train, &ids, &names, &nclasses);
    }
    if (!st) st = make_model(env, &a, train, ids, names, nclasses, &m, &fresh);
    if (!st) st = ts_nn_model_set_threads(ctx, m, env->threads);
    if (!st) st = ts_nn_data_load(ctx, train, split, m, 1, &td);
    if (!st && a.limit > 0 && (size_t)a.limit < td.n) td.n = (size_t)a.limit;
    if (!st && fresh) {
        float mean[4], sd[4];
        ts_nn_data_stats(&td, mean, sd);
        ts_nn_model_set_normalization(m, mean, sd);
    }
    if (!st && a.pipeline) st = ts_aug_pipeline_load(ctx, a.pipeline, &pipe);
    if (!st && a.order && strcmp(a.order, "sequential") && strcmp(a.order, "uniform"))
        st = make_sampler(ctx, train, &td, ts_sampler_mode_parse(a.order), (size_t)a.o.batch_size, env->seed,
                          a.repeat_threshold, &sampler);
    if (!st && (a.val || a.val_split)) {
        if (a.val) st = cli_read_dataset(env, a.val, NULL, &val);
        if (!st) st = ts_nn_data_load(ctx, val ? val : train, a.val_split, m, 1, &vd);
        if (st) ts_error_prefix(ctx, "validation data");
    }
    if (!st) {
        metrics = a.metrics ? ts_strdup(ctx, a.metrics) : NULL;
        curve = a.curve ? ts_strdup(ctx, a.curve) : NULL;
        if (!a.metrics) {
            ts_buf b = {0};
            ts_buf_printf(&b, "%s.metrics.jsonl", a.out);
            metrics = b.data;
        }
        if (!a.curve) {
            ts_buf b = {0};
            ts_buf_printf(&b, "%s.curve.svg", a.out);
            curve = b.data;
        }
        if (!metrics || !curve) st = TS_ERR_NOMEM;
    }
    ts_nn_train_result res;
    if (!st) {
        if (!env->quiet) {
            ts_buf d = {0};
            ts_nn_model_describe(m, &d);
            fprintf(env->json ? stderr : stdout, "%s%zu training images%s", d.data ? d.data : "", td.n,
                    split ? " (split " : "");
            if (split) fprintf(env->json ? stderr : stdout, "%s)", split);
            if (vd.n) fprintf(env->json ? stderr : stdout, ", %zu validation images", vd.n);
            fputc('\n', env->json ? stderr : stdout);
            ts_buf_free(&d);
        }
        ts_nn_data_source tsrc = {.data = &td, .model = m, .seed = env->seed, .flip = a.flip, .crop_pad = a.crop,
                                  .sequential = a.order && !strcmp(a.order, "sequential")};
        ts_nn_data_source vsrc = {.data = &vd, .model = m, .sequential = 1};
        if (sampler) tsrc.order = sampler_order, tsrc.order_user = sampler;
        tsrc.pipeline = pipe;
        ts_nn_source ts_ = ts_nn_data_source_make(&tsrc), vs = ts_nn_data_source_make(&vsrc);
        progress_ui ui = {env, now_s(), 0, 0};
        ts_nn_callbacks cb = {on_batch, on_epoch, &ui};
        a.o.checkpoint_path = a.out;
        a.o.metrics_path = metrics;
        a.o.curve_path = curve;
        catch_stop_signals(1);
        st = ts_nn_train(ctx, m, &ts_, vd.n ? &vs : NULL, &a.o, &cb, &res);
        catch_stop_signals(0);
        if (st == TS_ERR_CANCELLED && stop_requested) epochs_kept = ui.epochs_done;
    }
    if (!st && env->json) {
        ts_buf b = {0};
        ts_buf_puts(&b, "{\"model\":");
        ts_buf_put_json_string(&b, a.out);
        ts_buf_printf(&b, ",\"epochs_run\":%d,\"best_epoch\":%d,\"stopped_early\":%s,\"best_val_loss\":", res.epochs_run,
                      res.best_epoch, res.stopped_early ? "true" : "false");
        ts_buf_put_double(&b, res.best_val_loss);
        ts_buf_puts(&b, ",\"best_val_acc\":");
        ts_buf_put_double(&b, res.best_val_acc);
        ts_buf_puts(&b, ",\"final_train_loss\":");
        ts_buf_put_double(&b, res.final_train_loss);
        ts_buf_puts(&b, ",\"images_per_s\":");
        ts_buf_put_double(&b, round(res.images_per_s));
        ts_buf_printf(&b, ",\"train_images\":%zu,\"val_images\":%zu,\"parameters\":%zu}\n", td.n, vd.n,
                      ts_nn_model_param_count(m));
        fputs(b.data ? b.data : "}\n", stdout);
        ts_buf_free(&b);
    } else if (!st) {
        cli_note(env, "wrote %s: %d epochs, best epoch %d%s, %.0f images/s\n", a.out, res.epochs_run, res.best_epoch,
                 res.stopped_early ? " (stopped early)" : "", res.images_per_s);
    }
    int ret = epochs_kept >= 0 ? report_interrupted(env, a.out, epochs_kept) : st ? cli_fail(env, st) : 0;
    free(metrics), free(curve), free(ids), free(names), free(pos);
    ts_nn_data_free(&td), ts_nn_data_free(&vd);
    ts_nn_model_destroy(m);
    ts_sampler_destroy(sampler);
    ts_aug_pipeline_destroy(pipe);
    ts_dataset_destroy(train), ts_dataset_destroy(val);
    return ret;
}

CLI_VERB(train, "train an image classifier (built-in CNN trainer)", usage, run_train)
