/* The error/options context: first-error-wins messages with position,
 * warnings, progress reporting, limits. Thread-safe through one mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "trainset/core.h"

#define MESSAGE_MAX 2048

struct ts_ctx {
    pthread_mutex_t lock;
    char error[MESSAGE_MAX];
    int has_error;
    ts_limits limits;
    int lenient, allow_outside_root, threads;
    ts_warning_fn warn_fn;
    void *warn_user;
    uint64_t warnings;
    ts_progress_fn progress_fn;
    void *progress_user;
};

const char *ts_status_name(ts_status status) {
    switch (status) {
    case TS_OK: return "ok";
    case TS_ERR_NOMEM: return "out of memory";
    case TS_ERR_IO: return "i/o error";
    case TS_ERR_PARSE: return "parse error";
    case TS_ERR_INVALID: return "invalid input";
    case TS_ERR_LIMIT: return "limit exceeded";
    case TS_ERR_UNSUPPORTED: return "unsupported";
    case TS_ERR_PATH: return "unsafe path";
    case TS_ERR_NOT_FOUND: return "not found";
    case TS_ERR_CORRUPT: return "corrupt data";
    case TS_ERR_CANCELLED: return "cancelled";
    }
    return "unknown error";
}

ts_status ts_ctx_create(ts_ctx **out) {
    ts_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return TS_ERR_NOMEM;
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->limits.max_pixels = (uint64_t)1 << 28;
    ctx->limits.max_file_bytes = (uint64_t)1 << 36;
    ctx->limits.max_dimension = 1u << 20;
    *out = ctx;
    return TS_OK;
}

void ts_ctx_destroy(ts_ctx *ctx) {
    if (!ctx) return;
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

const char *ts_ctx_error(const ts_ctx *ctx) { return ctx && ctx->has_error ? ctx->error : ""; }

void ts_ctx_clear_error(ts_ctx *ctx) {
    if (!ctx) return;
    pthread_mutex_lock(&ctx->lock);
    ctx->has_error = 0;
    ctx->error[0] = 0;
    pthread_mutex_unlock(&ctx->lock);
}

ts_limits ts_ctx_limits(const ts_ctx *ctx) { return ctx->limits; }
void ts_ctx_set_limits(ts_ctx *ctx, const ts_limits *limits) { ctx->limits = *limits; }
int ts_ctx_lenient(const ts_ctx *ctx) { return ctx->lenient; }
void ts_ctx_set_lenient(ts_ctx *ctx, int lenient) { ctx->lenient = lenient; }
int ts_ctx_allow_outside_root(const ts_ctx *ctx) { return ctx->allow_outside_root; }
void ts_ctx_set_allow_outside_root(ts_ctx *ctx, int allow) { ctx->allow_outside_root = allow; }
int ts_ctx_threads(const ts_ctx *ctx) { return ctx->threads; }
void ts_ctx_set_threads(ts_ctx *ctx, int threads) { ctx->threads = threads < 0 ? 0 : threads; }

void ts_ctx_set_warning_fn(ts_ctx *ctx, ts_warning_fn fn, void *user) {
    ctx->warn_fn = fn;
    ctx->warn_user = user;
}

void ts_ctx_set_progress_fn(ts_ctx *ctx, ts_progress_fn fn, void *user) {
    ctx->progress_fn = fn;
    ctx->progress_user = user;
}

uint64_t ts_ctx_warning_count(const ts_ctx *ctx) { return ctx->warnings; }

static void set_error(ts_ctx *ctx, const char *prefix, const char *fmt, va_list ap) {
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->has_error) {
        size_t n = 0;
        if (prefix) {
            size_t plen = strlen(prefix);
            if (plen >= MESSAGE_MAX) plen = MESSAGE_MAX - 1;
            memcpy(ctx->error, prefix, plen);
            n = plen;
        }
        vsnprintf(ctx->error + n, MESSAGE_MAX - n, fmt, ap);
        ctx->has_error = 1;
    }
    pthread_mutex_unlock(&ctx->lock);
}

ts_status ts_error(ts_ctx *ctx, ts_status status, const char *fmt, ...) {
    if (!ctx) return status;
    va_list ap;
    va_start(ap, fmt);
    set_error(ctx, NULL, fmt, ap);
    va_end(ap);
    return status;
}

ts_status ts_error_at(ts_ctx *ctx, ts_status status, const char *file, uint64_t line, uint64_t col,
                      const char *fmt, ...) {
    if (!ctx) return status;
    char prefix[1024];
    if (line && col)
        snprintf(prefix, sizeof prefix, "%s:%llu:%llu: ", file ? file : "", (unsigned long long)line,
                 (unsigned long long)col);
    else if (line)
        snprintf(prefix, sizeof prefix, "%s:%llu: ", file ? file : "", (unsigned long long)line);
    else
        snprintf(prefix, sizeof prefix, "%s: ", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    set_error(ctx, prefix, fmt, ap);
    va_end(ap);
    return status;
}

void ts_error_prefix(ts_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return;
    char prefix[1024], old[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&ctx->lock);
    memcpy(old, ctx->error, sizeof old);
    size_t plen = strnlen(prefix, MESSAGE_MAX - 3);
    memcpy(ctx->error, prefix, plen);
    memcpy(ctx->error + plen, ": ", 2);
    size_t rest = MESSAGE_MAX - plen - 3;
    size_t olen = strnlen(old, rest);
    memcpy(ctx->error + plen + 2, old, olen);
    ctx->error[plen + 2 + olen] = 0;
    ctx->has_error = 1;
    pthread_mutex_unlock(&ctx->lock);
}

void ts_warn(ts_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return;
    char msg[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&ctx->lock);
    ctx->warnings++;
    if (ctx->warn_fn) ctx->warn_fn(ctx->warn_user, msg);
    pthread_mutex_unlock(&ctx->lock);
}

ts_status ts_progress(ts_ctx *ctx, const char *stage, uint64_t done, uint64_t total) {
    if (!ctx || !ctx->progress_fn) return TS_OK;
    pthread_mutex_lock(&ctx->lock);
    int stop = ctx->progress_fn(ctx->progress_user, stage, done, total);
    pthread_mutex_unlock(&ctx->lock);
    if (stop) return ts_error(ctx, TS_ERR_CANCELLED, "%s: cancelled", stage);
    return TS_OK;
}
