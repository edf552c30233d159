/* The trainer's batch loader: fills the batches of an epoch in order from a
 * sample source, either inline on the model's workers just before each step,
 * or on loader threads up to LOADER_AHEAD batches ahead of the step that uses
 * them, so loading overlaps compute. A batch's contents depend only on the
 * epoch's order and the batch's position in it, never on timing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "nn/nn_internal.h"

/* Batches filled ahead of the one computing; the ring holds one more. */
#define LOADER_AHEAD 2
#define LOADER_SLOTS (LOADER_AHEAD + 1)
/* The loader threads' nice value: the lowest priority. */
#define LOADER_NICE 19

/* The filling of one batch. Samples are claimed one at a time from `next`
 * by every thread that fills (loader threads, and the training loop's
 * workers when the batch is late), so each sample is written by exactly one
 * thread and the batch is the same whoever fills it. */
typedef struct {
    const ts_nn_source *src;
    ts_ctx *ctx; /* where the samples' errors go */
    uint64_t epoch;
    const size_t *order; /* NULL: position i is sample i */
    size_t first, count; /* positions first .. first + count - 1 of the order */
    size_t per;          /* floats per sample */
    nn_batch_mem *mem;
    atomic_size_t next, done;
    const atomic_int *cancel; /* NULL: never cancelled */
    nn_loader *owner;         /* told when the last sample is done; NULL inline */
    int complete;             /* under the owner's lock */
    int fillers;              /* fill jobs still running on it, under the owner's lock: a
                                 job's last claim can come after the batch completes */
} batch_fill;

typedef struct {
    nn_batch_mem mem;
    ts_ctx *ctx; /* errors of the batch the slot holds */
    batch_fill fill;
} batch_slot;

struct nn_loader {
    ts_nn_model *model;
    const ts_nn_source *src;
    size_t per, cap;   /* floats per sample, samples per batch */
    int threads;       /* loader threads */
    ts_pool *pool;     /* the loader threads: the loader thread is its worker 0 */
    batch_slot slots[LOADER_SLOTS];
    int n_slots;
    /* the epoch being loaded */
    uint64_t epoch;
    const size_t *order;
    size_t len, batches;
    /* the hand-over between the loader thread and the training loop */
    pthread_t thread;
    int has_thread;
    int up;            /* the loader thread has created its pool (or failed to) */
    ts_status up_status;
    pthread_mutex_t lock;
    pthread_cond_t wake, ready;
    int running;       /* an epoch is being loaded */
    int stopping;      /* the loader thread should exit */
    size_t started;    /* batches of the epoch whose filling has begun */
    size_t released;   /* batches the training loop is done with */
    atomic_int cancel; /* skip the samples still to fill */
};

static void mark_complete(batch_fill *f) {
    pthread_mutex_lock(&f->owner->lock);
    f->complete = 1;
    pthread_cond_broadcast(&f->owner->ready);
    pthread_mutex_unlock(&f->owner->lock);
}

/* A pool job: claim and fill samples until none is left (the range given
 * by the pool only sets how many threads join). */
static void claim_samples(void *user, size_t begin, size_t end, int worker) {
    (void)begin, (void)end, (void)worker;
    batch_fill *f = user;
    for (;;) {
        size_t i = atomic_fetch_add(&f->next, 1);
        if (i >= f->count) return;
        if (f->cancel && atomic_load_explicit(f->cancel, memory_order_relaxed)) {
            f->mem->status[i] = TS_ERR_CANCELLED;
        } else {
            size_t idx = f->order ? f->order[f->first + i] : f->first + i;
            f->mem->status[i] =
                f->src->sample(f->src->user, f->ctx, f->epoch, idx, f->mem->x + i * f->per, &f->mem->labels[i]);
        }
        if (atomic_fetch_add(&f->done, 1) + 1 == f->count && f->owner) mark_complete(f);
    }
}

static void fill_on(ts_pool *pool, batch_fill *f) {
    ts_pool_run(pool, (size_t)ts_pool_threads(pool), 1, claim_samples, f);
}

/* The first failed sample or label of a filled batch, its message moved
 * from the context the samples used into `ctx`. */
static ts_status check_batch(ts_ctx *ctx, const batch_fill *f, int classes) {
    for (size_t i = 0; i < f->count; i++) {
        ts_status st = f->mem->status[i];
        if (st) {
            if (f->ctx != ctx) {
                const char *msg = ts_ctx_error(f->ctx);
                ts_error(ctx, st, "%s", *msg ? msg : ts_status_name(st));
            }
            return st;
        }
        int32_t label = f->mem->labels[i];
        if (label < 0 || label >= classes)
            return ts_error(ctx, TS_ERR_INVALID, "sample %zu has label %d outside 0..%d",
                            f->order ? f->order[f->first + i] : f->first + i, (int)label, classes - 1);
    }
    return TS_OK;
}

ts_status nn_batch_mem_alloc(ts_ctx *ctx, const ts_nn_model *m, size_t batch, nn_batch_mem *b) {
    b->x = ts_alloc_array(ctx, batch, (size_t)m->c * m->h * m->w * sizeof(float));
    b->labels = ts_alloc_array(ctx, batch, sizeof(int32_t));
    b->status = ts_alloc_array(ctx, batch, sizeof(ts_status));
    return b->x && b->labels && b->status ? TS_OK : TS_ERR_NOMEM;
}

void nn_batch_mem_free(nn_batch_mem *b) { free(b->x), free(b->labels), free(b->status); }

ts_status nn_fill_batch(ts_ctx *ctx, ts_nn_model *m, const ts_nn_source *src, uint64_t epoch, const size_t *order,
                        size_t first, size_t count, nn_batch_mem *mem) {
    batch_fill f = {.src = src, .ctx = ctx, .epoch = epoch, .order = order, .first = first, .count = count,
                    .per = (size_t)m->c * m->h * m->w, .mem = mem};
    atomic_init(&f.next, 0);
    atomic_init(&f.done, 0);
    fill_on(m->pool, &f);
    return check_batch(ctx, &f, m->classes);
}

size_t nn_epoch_steps(size_t len, size_t batch) {
    size_t nb = (len + batch - 1) / batch;
    if (nb > 1 && len - (nb - 1) * batch < 2) nb--; /* a batch of one breaks batch statistics */
    return nb;
}

static batch_slot *slot_of(nn_loader *l, size_t b) { return &l->slots[b % (size_t)l->n_slots]; }

/* Samples in batch `b` of the current epoch. */
static size_t batch_count(const nn_loader *l, size_t b) {
    size_t first = b * l->cap;
    return l->len - first < l->cap ? l->len - first : l->cap;
}

/* Set up the filling of the next batch in its slot, which no fill job is
 * running on; under the lock. */
static batch_fill *start_next_batch(nn_loader *l) {
    size_t b = l->started++;
    batch_slot *s = slot_of(l, b);
    batch_fill *f = &s->fill;
    f->epoch = l->epoch;
    f->order = l->order;
    f->first = b * l->cap;
    f->count = batch_count(l, b);
    atomic_store(&f->next, 0);
    atomic_store(&f->done, 0);
    f->complete = 0;
    ts_ctx_clear_error(s->ctx);
    return f;
}

static int slot_busy(const nn_loader *l, size_t b) { return l->slots[b % (size_t)l->n_slots].fill.fillers > 0; }

/* Whether the loader thread may start the next batch: one is wanted and
 * its slot is no longer in use by the training loop or a fill job. */
static int next_fill_allowed(const nn_loader *l) {
    return l->running && l->started < l->batches && l->started < l->released + (size_t)l->n_slots &&
           !slot_busy(l, l->started);
}

/* Run a fill job for `f` on `pool` outside the lock (held on entry and
 * exit), counted so that the slot is not set up again meanwhile. */
static void fill_outside_lock(nn_loader *l, ts_pool *pool, batch_fill *f) {
    f->fillers++;
    pthread_mutex_unlock(&l->lock);
    fill_on(pool, f);
    pthread_mutex_lock(&l->lock);
    f->fillers--;
    pthread_cond_broadcast(&l->ready);
    pthread_cond_broadcast(&l->wake);
}

/* The loader threads run at the lowest priority, so they take only the
 * cycles the compute leaves idle (with -j as many as the cores, a loader at
 * normal priority delays the compute workers it preempts, and every
 * parallel step waits for its slowest worker); a batch they have not
 * finished when its step comes is finished by the compute workers. Linux
 * keeps the nice value per thread, and a thread inherits it from the
 * thread that creates it. */
static void lower_priority(void) {
#ifdef __linux__
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), LOADER_NICE);
#endif
}

/* The loader thread's loop: start the next batch whenever one is wanted and
 * its slot is free. Called and returns with the lock held. */
static void fill_until_stopped(nn_loader *l) {
    for (;;) {
        while (!l->stopping && !next_fill_allowed(l)) pthread_cond_wait(&l->wake, &l->lock);
        if (l->stopping) return;
        fill_outside_lock(l, l->pool, start_next_batch(l));
    }
}

static void *loader_main(void *arg) {
    nn_loader *l = arg;
    lower_priority(); /* before creating the pool, whose workers inherit it */
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(l->slots[0].ctx, l->threads, &pool);
    pthread_mutex_lock(&l->lock);
    l->pool = pool;
    l->up = 1, l->up_status = st;
    pthread_cond_broadcast(&l->ready);
    if (!st) fill_until_stopped(l);
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* A context for the samples of one slot, with the limits and options of
 * `ctx`, so that a batch's error message is its own. */
static ts_status slot_ctx_create(ts_ctx *ctx, ts_ctx **out) {
    ts_ctx *c = NULL;
    if (ts_ctx_create(&c)) return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate the loaders' contexts");
    ts_limits lim = ts_ctx_limits(ctx);
    ts_ctx_set_limits(c, &lim);
    ts_ctx_set_lenient(c, ts_ctx_lenient(ctx));
    ts_ctx_set_allow_outside_root(c, ts_ctx_allow_outside_root(ctx));
    ts_ctx_set_threads(c, ts_ctx_threads(ctx));
    *out = c;
    return TS_OK;
}

static ts_status slots_init(ts_ctx *ctx, nn_loader *l) {
    ts_status st = TS_OK;
    for (int i = 0; !st && i < l->n_slots; i++) {
        batch_slot *s = &l->slots[i];
        batch_fill *f = &s->fill;
        st = nn_batch_mem_alloc(ctx, l->model, l->cap, &s->mem);
        if (!st) st = slot_ctx_create(ctx, &s->ctx);
        f->src = l->src, f->ctx = s->ctx, f->per = l->per, f->mem = &s->mem;
        f->cancel = &l->cancel, f->owner = l;
        atomic_init(&f->next, 0);
        atomic_init(&f->done, 0);
    }
    return st;
}

ts_status nn_loader_create(ts_ctx *ctx, ts_nn_model *m, const ts_nn_source *src, size_t batch, int loaders,
                           nn_loader **out) {
    nn_loader *l = ts_calloc_array(ctx, 1, sizeof *l);
    if (!l) return TS_ERR_NOMEM;
    l->model = m;
    l->src = src;
    l->per = (size_t)m->c * m->h * m->w;
    l->cap = batch;
    l->n_slots = loaders > 0 ? LOADER_SLOTS : 1;
    atomic_init(&l->cancel, 0);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    pthread_cond_init(&l->ready, NULL);
    ts_status st = loaders > 0 ? slots_init(ctx, l) : nn_batch_mem_alloc(ctx, m, batch, &l->slots[0].mem);
    if (!st && loaders > 0) {
        l->threads = loaders;
        if (pthread_create(&l->thread, NULL, loader_main, l) != 0)
            st = ts_error(ctx, TS_ERR_NOMEM, "cannot start the loader thread");
        l->has_thread = !st;
    }
    if (l->has_thread) {
        pthread_mutex_lock(&l->lock);
        while (!l->up) pthread_cond_wait(&l->ready, &l->lock);
        st = l->up_status;
        pthread_mutex_unlock(&l->lock);
        if (st) ts_error(ctx, st, "%s", ts_ctx_error(l->slots[0].ctx));
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
    for (int i = 0; i < l->n_slots; i++) {
        nn_batch_mem_free(&l->slots[i].mem);
        ts_ctx_destroy(l->slots[i].ctx);
    }
    ts_pool_destroy(l->pool);
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
    l->started = l->released = 0;
    l->running = 1;
    pthread_cond_broadcast(&l->wake);
    pthread_mutex_unlock(&l->lock);
}

void nn_loader_end_epoch(nn_loader *l) {
    if (!l->has_thread) return;
    atomic_store(&l->cancel, 1);
    pthread_mutex_lock(&l->lock);
    l->running = 0;
    for (int i = 0; i < l->n_slots; i++)
        while (l->slots[i].fill.fillers > 0) pthread_cond_wait(&l->ready, &l->lock);
    pthread_mutex_unlock(&l->lock);
    atomic_store(&l->cancel, 0);
}

/* Batch b once it is complete. A batch the loaders have not started, or
 * have samples of left to claim, is filled here too, on the model's
 * workers, so a late batch costs no more than inline filling. */
static const batch_fill *take_batch(nn_loader *l, size_t b) {
    batch_fill *f = &slot_of(l, b)->fill;
    pthread_mutex_lock(&l->lock);
    l->released = b;
    pthread_cond_broadcast(&l->wake);
    while (l->started == b && slot_busy(l, b)) pthread_cond_wait(&l->ready, &l->lock);
    if (l->started == b) start_next_batch(l);
    while (!f->complete) {
        if (atomic_load(&f->next) < f->count) {
            fill_outside_lock(l, l->model->pool, f);
        } else {
            pthread_cond_wait(&l->ready, &l->lock);
        }
    }
    pthread_mutex_unlock(&l->lock);
    return f;
}

ts_status nn_loader_next(nn_loader *l, ts_ctx *ctx, size_t b, nn_batch *out) {
    if (b >= l->batches) return ts_error(ctx, TS_ERR_INVALID, "batch %zu of an epoch of %zu", b, l->batches);
    const nn_batch_mem *mem = &l->slots[0].mem;
    size_t count = batch_count(l, b);
    if (l->has_thread) {
        const batch_fill *f = take_batch(l, b);
        ts_status st = check_batch(ctx, f, l->model->classes);
        if (st) return st;
        mem = f->mem;
    } else {
        ts_status st = nn_fill_batch(ctx, l->model, l->src, l->epoch, l->order, b * l->cap, count, &l->slots[0].mem);
        if (st) return st;
    }
    out->x = mem->x;
    out->labels = mem->labels;
    out->count = count;
    return TS_OK;
}
