/* The trainer's batch loader: fills the batches of an epoch in order from a
 * sample source, either inline on the model's workers just before each step,
 * or on loader threads up to LOADER_AHEAD batches ahead of the step that uses
 * them, so loading overlaps compute. A batch's contents depend only on the
 * epoch's order and the batch's position in it, never on timing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

/* Batches filled ahead of the one computing; the ring holds one more. */
#define LOADER_AHEAD 2
#define LOADER_SLOTS (LOADER_AHEAD + 1)

typedef struct {
    nn_batch_mem mem;
    ts_status result; /* of the whole batch */
} batch_slot;

struct nn_loader {
    const ts_nn_source *src;
    ts_pool *pool;      /* fills the samples: the model's workers (inline) or the loaders' own */
    ts_pool *own_pool;  /* the loaders' pool, NULL inline */
    ts_ctx *fill_ctx;   /* loader errors wait here until their batch is reached */
    int classes;
    size_t per, cap;    /* floats per sample, samples per batch */
    batch_slot slots[LOADER_SLOTS];
    int n_slots;
    /* the epoch being loaded */
    uint64_t epoch;
    const size_t *order;
    size_t len, batches;
    /* the hand-over between the loader thread and the training loop */
    pthread_t thread;
    int has_thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, ready;
    int running;        /* an epoch is being loaded */
    int filling;        /* the loader thread is filling a batch outside the lock */
    int stopping;       /* the loader thread should exit */
    size_t filled;      /* batches of the epoch filled so far */
    size_t released;    /* batches the training loop is done with */
    atomic_int cancel;  /* skip the samples still to fill */
};

typedef struct {
    const ts_nn_source *src;
    ts_ctx *ctx;
    uint64_t epoch;
    const size_t *order; /* NULL: index i itself */
    size_t first;
    float *x;
    int32_t *labels;
    size_t per; /* floats per sample */
    ts_status *status;
    atomic_int *cancel; /* NULL: never cancelled */
} fill_job;

static void fill_samples(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    const fill_job *j = user;
    for (size_t i = begin; i < end; i++) {
        if (j->cancel && atomic_load_explicit(j->cancel, memory_order_relaxed)) {
            j->status[i] = TS_ERR_CANCELLED;
            continue;
        }
        size_t idx = j->order ? j->order[j->first + i] : j->first + i;
        j->status[i] = j->src->sample(j->src->user, j->ctx, j->epoch, idx, j->x + i * j->per, &j->labels[i]);
    }
}

static ts_status fill_samples_on(ts_ctx *ctx, ts_pool *pool, int classes, size_t per, const ts_nn_source *src,
                                 uint64_t epoch, const size_t *order, size_t first, size_t count, float *x,
                                 int32_t *labels, ts_status *status, atomic_int *cancel) {
    fill_job j = {src, ctx, epoch, order, first, x, labels, per, status, cancel};
    ts_pool_run(pool, count, 1, fill_samples, &j);
    for (size_t i = 0; i < count; i++) {
        if (status[i]) return status[i];
        if (labels[i] < 0 || labels[i] >= classes)
            return ts_error(ctx, TS_ERR_INVALID, "sample %zu has label %d outside 0..%d",
                            order ? order[first + i] : first + i, (int)labels[i], classes - 1);
    }
    return TS_OK;
}

ts_status nn_fill_batch(ts_ctx *ctx, ts_nn_model *m, const ts_nn_source *src, uint64_t epoch, const size_t *order,
                        size_t first, size_t count, float *x, int32_t *labels, ts_status *status) {
    return fill_samples_on(ctx, m->pool, m->classes, (size_t)m->c * m->h * m->w, src, epoch, order, first, count,
                           x, labels, status, NULL);
}

size_t nn_epoch_steps(size_t len, size_t batch) {
    size_t nb = (len + batch - 1) / batch;
    if (nb > 1 && len - (nb - 1) * batch < 2) nb--; /* a batch of one breaks batch statistics */
    return nb;
}

/* Samples in batch `b` of the current epoch. */
static size_t batch_count(const nn_loader *l, size_t b) {
    size_t first = b * l->cap;
    return l->len - first < l->cap ? l->len - first : l->cap;
}

static ts_status fill_slot(nn_loader *l, ts_ctx *ctx, size_t b) {
    batch_slot *s = &l->slots[b % (size_t)l->n_slots];
    return fill_samples_on(ctx, l->pool, l->classes, l->per, l->src, l->epoch, l->order, b * l->cap,
                           batch_count(l, b), s->mem.x, s->mem.labels, s->mem.status,
                           l->own_pool ? &l->cancel : NULL);
}

/* Whether the loader thread may fill the next batch: one is wanted and its
 * slot is no longer in use by the training loop. */
static int next_fill_allowed(const nn_loader *l) {
    return l->running && l->filled < l->batches && l->filled < l->released + (size_t)l->n_slots;
}

static void *loader_main(void *arg) {
    nn_loader *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->stopping && !next_fill_allowed(l)) pthread_cond_wait(&l->wake, &l->lock);
        if (l->stopping) break;
        size_t b = l->filled;
        l->filling = 1;
        pthread_mutex_unlock(&l->lock);
        ts_status st = fill_slot(l, l->fill_ctx, b);
        pthread_mutex_lock(&l->lock);
        l->filling = 0;
        if (l->running) {
            l->slots[b % (size_t)l->n_slots].result = st;
            l->filled = b + 1;
            if (st) l->running = 0; /* nothing after a failed batch is used */
        }
        pthread_cond_broadcast(&l->ready);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* A context for the loader thread with the limits and options of `ctx`. */
static ts_status fill_ctx_create(ts_ctx *ctx, ts_ctx **out) {
    ts_ctx *c = NULL;
    if (ts_ctx_create(&c)) return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate the loaders' context");
    ts_limits lim = ts_ctx_limits(ctx);
    ts_ctx_set_limits(c, &lim);
    ts_ctx_set_lenient(c, ts_ctx_lenient(ctx));
    ts_ctx_set_allow_outside_root(c, ts_ctx_allow_outside_root(ctx));
    ts_ctx_set_threads(c, ts_ctx_threads(ctx));
    *out = c;
    return TS_OK;
}

ts_status nn_batch_mem_alloc(ts_ctx *ctx, const ts_nn_model *m, size_t batch, nn_batch_mem *b) {
    b->x = ts_alloc_array(ctx, batch, (size_t)m->c * m->h * m->w * sizeof(float));
    b->labels = ts_alloc_array(ctx, batch, sizeof(int32_t));
    b->status = ts_alloc_array(ctx, batch, sizeof(ts_status));
    return b->x && b->labels && b->status ? TS_OK : TS_ERR_NOMEM;
}

void nn_batch_mem_free(nn_batch_mem *b) { free(b->x), free(b->labels), free(b->status); }

ts_status nn_loader_create(ts_ctx *ctx, ts_nn_model *m, const ts_nn_source *src, size_t batch, int loaders,
                           nn_loader **out) {
    nn_loader *l = ts_calloc_array(ctx, 1, sizeof *l);
    if (!l) return TS_ERR_NOMEM;
    l->src = src;
    l->classes = m->classes;
    l->per = (size_t)m->c * m->h * m->w;
    l->cap = batch;
    l->pool = m->pool;
    l->n_slots = loaders > 0 ? LOADER_SLOTS : 1;
    atomic_init(&l->cancel, 0);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    pthread_cond_init(&l->ready, NULL);
    ts_status st = TS_OK;
    for (int i = 0; !st && i < l->n_slots; i++) st = nn_batch_mem_alloc(ctx, m, batch, &l->slots[i].mem);
    if (!st && loaders > 0) {
        st = ts_pool_create(ctx, loaders, &l->own_pool);
        if (!st) l->pool = l->own_pool, st = fill_ctx_create(ctx, &l->fill_ctx);
        if (!st && pthread_create(&l->thread, NULL, loader_main, l) != 0)
            st = ts_error(ctx, TS_ERR_NOMEM, "cannot start the loader thread");
        l->has_thread = !st;
    }
    if (st) {
        nn_loader_destroy(l);
        return st;
    }
    *out = l;
    return TS_OK;
}

void nn_loader_destroy(nn_loader *l) {
    if (!l) return;
    if (l->has_thread) {
        nn_loader_end_epoch(l);
        pthread_mutex_lock(&l->lock);
        l->stopping = 1;
        pthread_cond_broadcast(&l->wake);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL);
    }
    for (int i = 0; i < l->n_slots; i++) nn_batch_mem_free(&l->slots[i].mem);
    ts_pool_destroy(l->own_pool);
    ts_ctx_destroy(l->fill_ctx);
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->wake);
    pthread_cond_destroy(&l->ready);
    free(l);
}

void nn_loader_begin_epoch(nn_loader *l, uint64_t epoch, const size_t *order, size_t len) {
    pthread_mutex_lock(&l->lock);
    l->epoch = epoch;
    l->order = order;
    l->len = len;
    l->batches = nn_epoch_steps(len, l->cap);
    l->filled = l->released = 0;
    l->running = 1;
    if (l->fill_ctx) ts_ctx_clear_error(l->fill_ctx);
    pthread_cond_broadcast(&l->wake);
    pthread_mutex_unlock(&l->lock);
}

void nn_loader_end_epoch(nn_loader *l) {
    if (!l->has_thread) return;
    atomic_store(&l->cancel, 1);
    pthread_mutex_lock(&l->lock);
    l->running = 0;
    while (l->filling) pthread_cond_wait(&l->ready, &l->lock);
    pthread_mutex_unlock(&l->lock);
    atomic_store(&l->cancel, 0);
}

/* Wait until batch b is filled (or the loading stopped). */
static ts_status wait_for_batch(nn_loader *l, ts_ctx *ctx, size_t b) {
    pthread_mutex_lock(&l->lock);
    l->released = b;
    pthread_cond_broadcast(&l->wake);
    while (l->filled <= b && l->running) pthread_cond_wait(&l->ready, &l->lock);
    ts_status st = l->filled > b ? l->slots[b % (size_t)l->n_slots].result : TS_ERR_CANCELLED;
    pthread_mutex_unlock(&l->lock);
    if (st) {
        const char *msg = ts_ctx_error(l->fill_ctx);
        ts_error(ctx, st, "%s", *msg ? msg : ts_status_name(st));
    }
    return st;
}

ts_status nn_loader_next(nn_loader *l, ts_ctx *ctx, size_t b, nn_batch *out) {
    if (b >= l->batches) return ts_error(ctx, TS_ERR_INVALID, "batch %zu of an epoch of %zu", b, l->batches);
    ts_status st = l->has_thread ? wait_for_batch(l, ctx, b) : fill_slot(l, ctx, b);
    if (st) return st;
    const batch_slot *s = &l->slots[b % (size_t)l->n_slots];
    out->x = s->mem.x;
    out->labels = s->mem.labels;
    out->count = batch_count(l, b);
    return TS_OK;
}
