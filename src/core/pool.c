/* A fixed thread pool running parallel-for jobs; the caller's thread works
 * too and waits for the rest. Each worker owns a contiguous share of a
 * job's chunks, takes them from its front and, when its share is empty,
 * takes chunks from the back of the others' shares. So two jobs over the
 * same n hand (mostly) the same indices to the same worker: what one job
 * writes, the next reads on the core that wrote it, instead of fetching it
 * from another core's cache. */
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "trainset/core.h"

/* A worker's share of a job: chunks [low 32 bits, high 32 bits), both
 * ends moved by compare-and-swap; one cache line each. */
typedef struct {
    alignas(64) _Atomic uint64_t range;
} pool_share;

struct ts_pool {
    int threads;
    pool_share *shares;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    uint64_t generation;
    int active, stopping;
    /* the current job */
    ts_pool_fn fn;
    void *user;
    size_t n, grain;
};

int ts_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static uint64_t pack_range(uint64_t begin, uint64_t end) { return begin | end << 32; }

/* Take one chunk from the front (the owner) or the back (another worker)
 * of a share; 0 when it is empty, else 1 with the chunk in *chunk. */
static int take_chunk(pool_share *share, int from_back, uint64_t *chunk) {
    uint64_t v = atomic_load_explicit(&share->range, memory_order_relaxed);
    for (;;) {
        uint64_t begin = v & 0xffffffffu, end = v >> 32;
        if (begin >= end) return 0;
        uint64_t next = from_back ? pack_range(begin, end - 1) : pack_range(begin + 1, end);
        if (atomic_compare_exchange_weak(&share->range, &v, next)) {
            *chunk = from_back ? end - 1 : begin;
            return 1;
        }
    }
}

static void run_chunk(ts_pool *pool, uint64_t chunk, int worker) {
    size_t begin = (size_t)chunk * pool->grain;
    size_t end = pool->n - begin > pool->grain ? begin + pool->grain : pool->n;
    pool->fn(pool->user, begin, end, worker);
}

static void run_chunks(ts_pool *pool, int worker) {
    uint64_t chunk;
    while (take_chunk(&pool->shares[worker], 0, &chunk)) run_chunk(pool, chunk, worker);
    for (int k = 1; k < pool->threads; k++) {
        pool_share *other = &pool->shares[(worker + k) % pool->threads];
        while (take_chunk(other, 1, &chunk)) run_chunk(pool, chunk, worker);
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
    pool->shares = aligned_alloc(alignof(pool_share), (size_t)threads * sizeof *pool->shares);
    if (!pool->shares) {
        free(pool);
        return ts_error(ctx, TS_ERR_NOMEM, "cannot allocate thread pool");
    }
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
    free(pool->shares);
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
    /* at most 2^32 - 1 chunks, so a share's ends fit in 32 bits each */
    if ((n - 1) / grain >= UINT32_MAX) grain = (n - 1) / (UINT32_MAX - 1) + 1;
    uint64_t chunks = (n - 1) / grain + 1;
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->user = user;
    pool->n = n;
    pool->grain = grain;
    for (int w = 0; w < threads; w++)
        atomic_store(&pool->shares[w].range, pack_range(chunks * (uint64_t)w / (uint64_t)threads,
                                                        chunks * (uint64_t)(w + 1) / (uint64_t)threads));
    pool->active = threads - 1;
    pool->generation++;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->lock);
    run_chunks(pool, 0);
    pthread_mutex_lock(&pool->lock);
    while (pool->active > 0) pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}
