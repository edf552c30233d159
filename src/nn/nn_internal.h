/* Internals of the trainer shared by the files of src/nn: the layer and model
 * structures, the layer kernels, the spec parser and optimiser state. */
#ifndef TS_NN_INTERNAL_H
#define TS_NN_INTERNAL_H

#include "trainset/nn.h"

typedef enum {
    NN_CONV = 0,
    NN_DWCONV,
    NN_BN,
    NN_RELU,
    NN_LEAKY,
    NN_MAXPOOL,
    NN_AVGPOOL,
    NN_GAP,
    NN_DROPOUT,
    NN_FC,
    NN_SKIP,
    NN_ADD,
    NN_KIND_COUNT
} nn_kind;

/* One layer. Activations are stored channel-major over the whole batch,
 * [C][N][H][W] ("CNHW"), so a convolution is one GEMM per batch and batch
 * normalisation reads each channel contiguously. */
typedef struct {
    nn_kind kind;
    int line;        /* spec line, for messages */
    int filters;     /* conv output channels, fc units (-1 = classes) */
    int k, stride, pad;
    float alpha;     /* leaky slope, dropout probability */
    int ref;         /* add: index of its skip layer */
    int ic, ih, iw;  /* input shape */
    int oc, oh, ow;  /* output shape */
    /* parameters (point into the model's flat arrays) */
    float *w, *b, *gw, *gb;
    size_t nw, nb;
    float *rmean, *rvar; /* batch norm running statistics */
    /* per-batch buffers, sized for the model's batch capacity */
    float *out, *dout;
    float *aux;      /* fc: flattened input; dropout: mask */
    float *stat;     /* bn: mean and inverse std per channel */
    int32_t *idx;    /* max pool: argmax */
    float *acc;      /* skip: gradient arriving through its add */
} nn_layer;

/* Optimiser state kept with the model so checkpoints can resume. */
typedef struct {
    int kind;       /* ts_nn_optim of the state, -1 when none */
    float *m, *v;   /* first / second moment (or momentum / square sums) */
    uint64_t step;  /* updates applied */
} nn_optstate;

struct ts_nn_model {
    nn_layer *layers;
    int n_layers;
    int c, h, w, classes;
    char *spec; /* canonical text */
    int64_t *class_ids;
    char **class_names;
    float *mean, *std; /* per input channel */
    /* all trainable parameters, their gradients and the non-trained buffers */
    float *params, *grads, *buffers;
    size_t n_params, n_buffers;
    uint8_t *decay; /* per parameter: 1 when weight decay applies (weights, not biases / bn) */
    nn_optstate opt;
    int epoch;
    uint64_t seed;
    /* compute */
    ts_pool *pool;
    int threads;
    size_t batch_cap;
    float *xin;      /* input batch in CNHW */
    float *col;      /* im2col workspace */
    size_t col_cap;
    float *probs;    /* softmax output [N][classes] */
    int training;    /* forward in training mode */
    int frozen;      /* layers [0, frozen) are not trained */
    uint64_t dropout_step; /* keys dropout masks */
};

/* Parse `text` (canonical or user spec text) into layers with inferred
 * shapes for an input c x h x w and `classes` outputs. `name` labels
 * messages. Fills model->layers, n_layers, c/h/w, spec. */
ts_status nn_spec_build(ts_ctx *ctx, ts_nn_model *model, const char *name, const char *text, int c, int h, int w,
                        int classes);
/* Resolve a user spec (built-in name, file, JSON or text) to spec text
 * (malloc'd) and a name for messages (static or into `spec`). */
ts_status nn_spec_text(ts_ctx *ctx, const char *spec, char **text, const char **name);
const char *nn_kind_name(nn_kind kind);

/* ts_nn_model_create refusing (TS_ERR_LIMIT) more than max_params
 * parameters before allocating them. */
ts_status nn_model_create_limited(ts_ctx *ctx, const char *spec, int c, int h, int w, int classes, uint64_t seed,
                                  size_t max_params, ts_nn_model **out);
/* Allocate parameter storage and initialise it (He normal from seed). */
ts_status nn_model_alloc_params(ts_ctx *ctx, ts_nn_model *model);
/* Make the per-batch buffers hold `n` samples. */
ts_status nn_model_reserve(ts_ctx *ctx, ts_nn_model *model, size_t n);
/* Forward `n` samples (sample-major CHW in x); leaves logits in the last
 * layer's output and softmax probabilities in model->probs [N][classes]. */
ts_status nn_forward(ts_ctx *ctx, ts_nn_model *model, const float *x, size_t n);
/* Softmax cross-entropy against `labels` with label smoothing `eps`:
 * returns the mean loss and the correct count, and seeds the last layer's
 * gradient. */
double nn_loss(ts_nn_model *model, const int32_t *labels, size_t n, double eps, size_t *correct, int want_grad);
/* Backward through all layers not frozen; fills the gradients. */
void nn_backward(ts_nn_model *model, size_t n);
/* Apply OpenBLAS's thread count for this model. */
void nn_blas_threads(const ts_nn_model *model);

/* ---- kernels (layers.c, conv.c); `n` is the batch ---------------------- */
void nn_conv_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n);
void nn_conv_backward(ts_nn_model *m, nn_layer *l, const float *in, float *din, size_t n);
void nn_dwconv_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n);
void nn_dwconv_backward(ts_nn_model *m, nn_layer *l, const float *in, float *din, size_t n);
void nn_fc_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n);
void nn_fc_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n);
void nn_bn_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n, int training);
void nn_bn_backward(ts_nn_model *m, nn_layer *l, const float *in, float *din, size_t n);
void nn_act_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n);
void nn_act_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n);
void nn_pool_forward(ts_nn_model *m, nn_layer *l, const float *in, size_t n);
void nn_pool_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n);
void nn_dropout_forward(ts_nn_model *m, nn_layer *l, int index, const float *in, size_t n);
void nn_dropout_backward(ts_nn_model *m, nn_layer *l, float *din, size_t n);

/* ---- optimiser (optim.c) ------------------------------------------------- */
ts_status nn_optim_prepare(ts_ctx *ctx, ts_nn_model *model, ts_nn_optim kind);
/* One update with learning rate `lr` over the non-frozen layers. */
void nn_optim_step(ts_nn_model *model, const ts_nn_train_opts *opts, double lr);
/* Learning rate at fractional epoch `t` (0-based) of `total` epochs. */
double nn_schedule_lr(const ts_nn_train_opts *opts, double t);

/* ---- batch loading (loader.c) ---------------------------------------------- */
/* Memory for one batch of samples: inputs, labels and per-sample status. */
typedef struct {
    float *x;
    int32_t *labels;
    ts_status *status;
} nn_batch_mem;
ts_status nn_batch_mem_alloc(ts_ctx *ctx, const ts_nn_model *model, size_t batch, nn_batch_mem *out);
void nn_batch_mem_free(nn_batch_mem *mem);
/* Fill `count` samples starting at position `first` of `order` (NULL: the
 * identity) on the model's workers; checks each label against the classes. */
ts_status nn_fill_batch(ts_ctx *ctx, ts_nn_model *model, const ts_nn_source *src, uint64_t epoch, const size_t *order,
                        size_t first, size_t count, nn_batch_mem *mem);
/* Training steps of an epoch of `len` samples: batches of `batch`, leaving
 * out a last batch of one sample (it breaks batch statistics). */
size_t nn_epoch_steps(size_t len, size_t batch);

/* Fills the batches of an epoch in order: inline on the model's workers
 * (loaders 0) or on `loaders` threads of its own, up to two batches ahead of
 * the step computing, so loading overlaps compute; a batch that is late when
 * its step comes is finished on the model's workers. Either way batch b
 * holds the samples order[b * batch ...] of the epoch, bit for bit. */
typedef struct nn_loader nn_loader;
typedef struct {
    const float *x;        /* count normalised CHW samples */
    const int32_t *labels; /* count class indices */
    size_t count;
} nn_batch;
ts_status nn_loader_create(ts_ctx *ctx, ts_nn_model *model, const ts_nn_source *src, size_t batch, int loaders,
                           nn_loader **out);
/* Stops the loader threads (an epoch in progress is abandoned) and frees
 * the batches. Accepts NULL. */
void nn_loader_destroy(nn_loader *loader);
/* Start loading the epoch's batches; `order` (len indices) must stay valid
 * and unchanged until nn_loader_end_epoch. */
void nn_loader_begin_epoch(nn_loader *loader, uint64_t epoch, const size_t *order, size_t len);
/* Batch `b` of the epoch, taken in increasing order starting at 0; the
 * previous batch's memory may be reused from this call on. A sample or
 * label error of that batch is returned (its message set in ctx) only when
 * the batch is reached, whatever the loaders filled ahead. */
ts_status nn_loader_next(nn_loader *loader, ts_ctx *ctx, size_t b, nn_batch *out);
/* Stop loading the epoch (whether or not every batch was taken) and wait
 * until no loader writes any batch. */
void nn_loader_end_epoch(nn_loader *loader);

/* Elements of a layer's output for a batch of n. */
static inline size_t nn_out_size(const nn_layer *l, size_t n) {
    return (size_t)l->oc * n * (size_t)l->oh * (size_t)l->ow;
}
static inline size_t nn_in_size(const nn_layer *l, size_t n) {
    return (size_t)l->ic * n * (size_t)l->ih * (size_t)l->iw;
}

#endif
