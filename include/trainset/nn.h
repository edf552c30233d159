/* The built-in trainer: small convolutional networks described by a text or
 * JSON spec, trained on CPU with OpenBLAS; optimisers, learning-rate
 * schedules, early stopping, checkpoints and transfer learning. */
#ifndef TRAINSET_NN_H
#define TRAINSET_NN_H

#include "aug.h"
#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- models ----------------------------------------------------------------- */

/* A network: its layers, parameters, class list and input normalisation.
 * Opaque. One model is used by one thread at a time (it owns its own
 * workspace and worker pool). */
typedef struct ts_nn_model ts_nn_model;

/* Build a model from `spec`: a built-in name ("mlp", "cnn-small",
 * "resnet-mini"), a spec text (layers one per line or separated by ';'), a
 * JSON spec ('{"layers": [...]}') or a path to a file holding either.
 * Input is c x h x w (overridden by an `input C H W` line in the spec);
 * `classes` outputs. Weights get He initialisation drawn from `seed`.
 * Threads for compute come from ts_ctx_threads(ctx). A spec with an unknown
 * layer or shapes that do not fit is TS_ERR_INVALID naming the line. */
ts_status ts_nn_model_create(ts_ctx *ctx, const char *spec, int c, int h, int w, int classes, uint64_t seed,
                             ts_nn_model **out);
void ts_nn_model_destroy(ts_nn_model *model); /* accepts NULL */

/* The input size a spec declares with `input C H W`: returns 1 and sets the
 * sizes, 0 when it declares none (or cannot be read). */
int ts_nn_spec_input(ts_ctx *ctx, const char *spec, int *c, int *h, int *w);

/* Input size and number of classes. */
void ts_nn_model_input(const ts_nn_model *model, int *c, int *h, int *w);
int ts_nn_model_classes(const ts_nn_model *model);
/* Trainable parameters (weights, biases, batch-norm scales and shifts). */
size_t ts_nn_model_param_count(const ts_nn_model *model);
/* The canonical spec text (one layer per line; what checkpoints store). */
const char *ts_nn_model_spec(const ts_nn_model *model);
/* A one-line-per-layer summary with output shapes and parameter counts. */
ts_status ts_nn_model_describe(const ts_nn_model *model, ts_buf *out);

/* Class `i` (0 <= i < classes): its dataset category id and name. Models
 * start with ids 0..classes-1 and names "0", "1", ... */
int64_t ts_nn_model_class_id(const ts_nn_model *model, int i);
const char *ts_nn_model_class_name(const ts_nn_model *model, int i);
ts_status ts_nn_model_set_classes(ts_ctx *ctx, ts_nn_model *model, const int64_t *ids, const char *const *names);

/* Per-channel input normalisation: a pixel value v in [0, 255] enters the
 * network as (v / 255 - mean[c]) / std[c]. Defaults: mean 0, std 1. */
void ts_nn_model_set_normalization(ts_nn_model *model, const float *mean, const float *std);
void ts_nn_model_normalization(const ts_nn_model *model, float *mean, float *std);

/* Change the compute threads (0 = all cores). OpenBLAS's thread count is
 * process-wide and is set to the same number while the model computes.
 * Results are bit-identical for a given seed and thread count. */
ts_status ts_nn_model_set_threads(ts_ctx *ctx, ts_nn_model *model, int threads);

/* Class probabilities of `n` samples: `x` holds n normalised CHW inputs
 * (n * c * h * w floats), `probs` receives n * classes floats. */
ts_status ts_nn_predict(ts_ctx *ctx, ts_nn_model *model, const float *x, size_t n, float *probs);

/* Copy every parameter from `src` to `dst` whose layer has the same shape,
 * except the last `skip_last` parameterised layers. Returns TS_ERR_INVALID
 * when the architectures differ in any other layer. Used by --init and
 * --new-head. */
ts_status ts_nn_model_copy_weights(ts_ctx *ctx, ts_nn_model *dst, const ts_nn_model *src, int skip_last);

/* Number of layers (spec lines other than `input`). */
int ts_nn_model_layer_count(const ts_nn_model *model);

/* ---- checkpoints -------------------------------------------------------------- */

/* A checkpoint file holds the spec, input size, classes, normalisation,
 * weights and batch-norm statistics, the optimiser state and the epoch, in
 * a versioned binary format closed by a 64-bit checksum. It is written
 * atomically. Loading refuses a truncated file, another version or a
 * checksum mismatch (TS_ERR_CORRUPT / TS_ERR_UNSUPPORTED, with a message). */
ts_status ts_nn_checkpoint_save(ts_ctx *ctx, const ts_nn_model *model, const char *path);
ts_status ts_nn_checkpoint_load(ts_ctx *ctx, const char *path, ts_nn_model **out);
/* Same, from memory (`name` labels messages). */
ts_status ts_nn_checkpoint_load_buffer(ts_ctx *ctx, const char *name, const uint8_t *data, size_t len,
                                       ts_nn_model **out);
/* Epochs trained so far as recorded in the model (0 for a fresh model). */
int ts_nn_model_epoch(const ts_nn_model *model);

/* ---- data ------------------------------------------------------------------------ */

/* Image-classification samples held in memory as 8-bit CHW pixels at the
 * model's input size. labels[i] is a class index (or -1 for an image
 * without a label); image_ids[i] the dataset's image id. */
typedef struct {
    size_t n;
    int c, h, w;
    uint8_t *pixels; /* n * c * h * w */
    int32_t *labels;
    int64_t *image_ids;
} ts_nn_data;

void ts_nn_data_free(ts_nn_data *data); /* frees the arrays; accepts NULL */

/* The classes of a dataset for training: categories that label at least
 * one image (TS_ANN_LABEL), in increasing id order. *ids and *names are
 * malloc'd arrays (names point into the dataset). Fewer than two classes
 * is TS_ERR_INVALID. */
ts_status ts_nn_dataset_classes(ts_ctx *ctx, const ts_dataset *ds, int64_t **ids, const char ***names,
                                int *count);

/* The input size a dataset suggests: the most common image size, and 1
 * channel when a sample of images is grey, else 3. */
ts_status ts_nn_dataset_input(ts_ctx *ctx, const ts_dataset *ds, int *c, int *h, int *w);

/* Decode (threaded) the images of `ds` whose split is `split` (NULL or ""
 * = all) at the model's input size (resized if needed), with labels mapped
 * to the model's classes (images whose label is not one of them get -1;
 * with `labelled_only` they are left out). */
ts_status ts_nn_data_load(ts_ctx *ctx, const ts_dataset *ds, const char *split, const ts_nn_model *model,
                          int labelled_only, ts_nn_data *out);

/* Per-channel mean and standard deviation of the pixels scaled to [0, 1]
 * (what ts_nn_model_set_normalization takes). */
void ts_nn_data_stats(const ts_nn_data *data, float *mean, float *std);

/* ---- training ----------------------------------------------------------------------- */

typedef enum { TS_NN_SGD = 0, TS_NN_ADAM, TS_NN_ADAMW, TS_NN_ADAGRAD, TS_NN_RMSPROP } ts_nn_optim;
typedef enum { TS_NN_LR_CONSTANT = 0, TS_NN_LR_STEP, TS_NN_LR_COSINE } ts_nn_schedule;

/* Parse names ("sgd", "adam", "adamw", "adagrad", "rmsprop"; "constant",
 * "step", "cosine"); TS_ERR_INVALID listing the choices otherwise. */
ts_status ts_nn_optim_parse(ts_ctx *ctx, const char *name, ts_nn_optim *out);
ts_status ts_nn_schedule_parse(ts_ctx *ctx, const char *name, ts_nn_schedule *out);

/* A training sample: fill x (c*h*w normalised floats) and *label for
 * sample `index` in `epoch`. Must be a pure function of its arguments
 * (augmentation draws from ts_rng_for(seed, epoch, index, op)) and
 * thread-safe: the trainer calls it from its workers and from its loader
 * threads while the model computes an earlier batch. */
typedef ts_status (*ts_nn_sample_fn)(void *user, ts_ctx *ctx, uint64_t epoch, size_t index, float *x,
                                     int32_t *label);
/* The order of an epoch: a malloc'd array of *len sample indices (each
 * below the source's count; samples may repeat or be left out). The
 * samplers of src/sample plug in here. */
typedef ts_status (*ts_nn_order_fn)(void *user, ts_ctx *ctx, uint64_t epoch, size_t **order, size_t *len);

typedef struct {
    size_t count;          /* samples (indices 0..count-1) */
    ts_nn_sample_fn sample;
    ts_nn_order_fn order;  /* NULL: a uniform reshuffle each epoch */
    void *user;
} ts_nn_source;

/* A source over in-memory data: pixels normalised with the model's
 * mean/std; when `flip` a horizontal flip with probability 0.5 and when
 * `crop_pad` > 0 a random crop from the image padded by that many pixels,
 * both drawn from (seed, epoch, index). `data` must outlive the source. */
typedef struct {
    const ts_nn_data *data;
    const ts_nn_model *model;
    uint64_t seed;
    int flip;
    int crop_pad;
    int sequential; /* 1: epoch order is the data's order (no shuffle) */
    ts_nn_order_fn order; /* when set (and not sequential): the epoch order */
    void *order_user;     /* passed to `order` in place of the source */
    /* Online augmentation: applied to each sample (before flips / crops)
     * with draws from (seed, epoch, index); its output is resized back to
     * the model's input when its size changes. NULL: none. */
    const ts_aug_pipeline *pipeline;
} ts_nn_data_source;
ts_nn_source ts_nn_data_source_make(ts_nn_data_source *state);

typedef struct {
    ts_nn_optim optim;
    double lr;           /* default 0.01 for SGD, 1e-3 otherwise */
    double momentum;     /* SGD, RMSprop; default 0.9 (SGD), 0 (RMSprop) */
    int nesterov;
    double weight_decay; /* L2 for SGD/Adam/Adagrad/RMSprop, decoupled for AdamW */
    double beta1, beta2, eps;
    ts_nn_schedule schedule;
    int step_epochs;     /* step schedule: multiply by step_gamma every step_epochs */
    double step_gamma;
    double warmup_epochs; /* linear warm-up from 0 over this many epochs */
    double min_lr;        /* cosine floor */
    int epochs;
    int batch_size;
    double label_smoothing;
    int patience;        /* early stopping: epochs without improvement (0 = off) */
    double min_delta;    /* improvement of validation loss that counts */
    int restore_best;    /* end with the best epoch's weights */
    int freeze;          /* the first N layers are not trained */
    uint64_t seed;
    const char *checkpoint_path; /* written atomically after every epoch */
    const char *metrics_path;    /* JSON lines, one per epoch */
    const char *curve_path;      /* training-curve SVG */
    /* Loader threads filling training batches up to two batches ahead of
     * the step computing, so loading overlaps compute (default 1); the
     * compute workers finish a batch that is late. 0 fills each batch on
     * the compute workers just before its step. Weights do not depend on
     * this number: batches hold the same samples either way. */
    int loaders;
} ts_nn_train_opts;

#define TS_NN_MAX_LOADERS 64

ts_nn_train_opts ts_nn_train_opts_default(void);

typedef struct {
    int epoch; /* 1-based */
    int epochs;
    double train_loss, train_acc;
    double val_loss, val_acc; /* NaN without validation */
    double lr;
    double seconds;      /* this epoch, training only */
    double load_seconds; /* of `seconds`, the steps' wait for (or finishing
                            of) their batches; with loaders 0 the filling */
    double images_per_s; /* training throughput */
    int best;            /* 1 when this is the best epoch so far */
} ts_nn_epoch_stats;

/* Called after each batch (running loss/accuracy of the epoch) and after
 * each epoch (`stats->seconds` set, validation filled). Returning non-zero
 * stops training with TS_ERR_CANCELLED. */
typedef struct {
    int (*batch)(void *user, const ts_nn_epoch_stats *running, size_t done, size_t total);
    int (*epoch)(void *user, const ts_nn_epoch_stats *stats);
    void *user;
} ts_nn_callbacks;

typedef struct {
    int epochs_run;
    int best_epoch;
    double best_val_loss, best_val_acc;
    double final_train_loss;
    int stopped_early;
    double images_per_s; /* mean training throughput */
} ts_nn_train_result;

/* Train `model` (resuming from its recorded epoch and optimiser state when
 * it has them). `val` may be NULL. A non-finite loss stops training with
 * TS_ERR_INVALID; the checkpoint file then still holds the last good epoch.
 * `callbacks` and `result` may be NULL. */
ts_status ts_nn_train(ts_ctx *ctx, ts_nn_model *model, const ts_nn_source *train, const ts_nn_source *val,
                      const ts_nn_train_opts *opts, const ts_nn_callbacks *callbacks, ts_nn_train_result *result);

/* Loss and accuracy of a model over a source (no augmentation is applied
 * beyond what the source does). */
ts_status ts_nn_evaluate(ts_ctx *ctx, ts_nn_model *model, const ts_nn_source *src, int batch_size,
                         double *loss, double *accuracy);

#ifdef __cplusplus
}
#endif
#endif
