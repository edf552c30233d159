/* A fixed thread pool running parallel-for jobs: chunks are handed out by an
 * atomic counter; the caller's thread works too and waits for the rest. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "trainset/core.h"

struct ts_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    uint64_t generation;
    int active, stopping;
    /* the current job */
    ts_pool_fn fn;
    void *user;
    size_t n, grain;
    atomic_size_t next;
};

int ts_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void run_chunks(ts_pool *pool, int worker) {
    for (;;) {
        size_t begin = atomic_fetch_add(&pool->next, pool->grain);
        if (begin >= pool->n) break;
        size_t end = begin + pool->grain < pool->n ? begin + pool->grain : pool->n;
        pool->fn(pool->user, begin, end, worker);
    }
}

typedef struct {
    ts_pool *pool;
    int index;
} worker_arg;

static void *worker_main(void *p) {
    worker_arg *arg = p;
    ts_pool *pool = arg->pool;
    int index = arg->index;
    free(arg);
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->stopping && pool->generation == seen) pthread_cond_wait(&pool->start, &pool->lock);
        if (pool->stopping) break;
        seen = pool->generation;
        pthread_mutex_unlock(&pool->lock);
        run_chunks(pool, index);
        pthread_mutex_lock(&pool->lock);
        if (--pool->active == 0) pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

ts_status ts_pool_create(ts_ctx *ctx, int threads, ts_pool **out) {
    if (threads <= 0) threads = ts_cpu_count();
    ts_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate thread pool");
    pool->threads = threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->start, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (threads > 1) {
        pool->workers = calloc((size_t)threads - 1, sizeof *pool->workers);
        if (!pool->workers) {
            ts_pool_destroy(pool);
            return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate thread pool");
        }
        for (int i = 1; i < threads; i++) {
            worker_arg *arg = malloc(sizeof *arg);
            if (arg) {
                arg->pool = pool;
                arg->index = i;
            }
            if (!arg || pthread_create(&pool->workers[i - 1], NULL, worker_main, arg) != 0) {
                free(arg);
                pool->threads = i;
                ts_pool_destroy(pool);
                return ts_error(ctx, TS_ERR_NOMEM, "cannot start worker thread %d", i);
            }
        }
    }
    *out = pool;
    return TS_OK;
}

void ts_pool_destroy(ts_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i - 1], NULL);
    free(pool->workers);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->start);
    pthread_cond_destroy(&pool->done);
    free(pool);
}

int ts_pool_threads(const ts_pool *pool) { return pool ? pool->threads : 1; }

void ts_pool_run(ts_pool *pool, size_t n, size_t grain, ts_pool_fn fn, void *user) {
    if (n == 0) return;
    int threads = pool ? pool->threads : 1;
    if (grain == 0) {
        grain = n / ((size_t)threads * 8);
        if (grain == 0) grain = 1;
    }
    if (threads == 1 || n <= grain) {
        for (size_t b = 0; b < n; b += grain) fn(user, b, b + grain < n ? b + grain : n, 0);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->user = user;
    pool->n = n;
    pool->grain = grain;
    atomic_store(&pool->next, 0);
    pool->active = threads - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->lock);
    run_chunks(pool, 0);
    pthread_mutex_lock(&pool->lock);
    while (pool->active > 0) pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}
