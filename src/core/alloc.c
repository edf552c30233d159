/* Overflow-checked allocation and the growable byte buffer. */
#include <stdlib.h>
#include <string.h>

#include "trainset/core.h"

int ts_mul_size(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 0;
    *out = r;
    return 1;
}

int ts_add_size(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) return 0;
    *out = r;
    return 1;
}

static void *fail_nomem(ts_ctx *ctx, size_t n, size_t size) {
    ts_error(ctx, TS_ERR_NOMEM, "cannot allocate %zu x %zu bytes", n, size);
    return NULL;
}

void *ts_alloc_array(ts_ctx *ctx, size_t n, size_t size) {
    size_t bytes;
    if (!ts_mul_size(n, size, &bytes)) return fail_nomem(ctx, n, size);
    void *p = malloc(bytes ? bytes : 1);
    return p ? p : fail_nomem(ctx, n, size);
}

void *ts_calloc_array(ts_ctx *ctx, size_t n, size_t size) {
    size_t bytes;
    if (!ts_mul_size(n, size, &bytes)) return fail_nomem(ctx, n, size);
    void *p = calloc(bytes ? n : 1, bytes ? size : 1);
    return p ? p : fail_nomem(ctx, n, size);
}

void *ts_realloc_array(ts_ctx *ctx, void *ptr, size_t n, size_t size) {
    size_t bytes;
    if (!ts_mul_size(n, size, &bytes)) return fail_nomem(ctx, n, size);
    void *p = realloc(ptr, bytes ? bytes : 1);
    return p ? p : fail_nomem(ctx, n, size);
}

char *ts_strndup(ts_ctx *ctx, const char *s, size_t n) {
    char *p = ts_alloc_array(ctx, n + 1 > n ? n + 1 : 0, 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *ts_strdup(ts_ctx *ctx, const char *s) { return ts_strndup(ctx, s, strlen(s)); }

ts_status ts_grow(ts_ctx *ctx, void **ptr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return TS_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return ts_error(ctx, TS_ERR_NOMEM, "array too large (%zu items)", need);
        ncap *= 2;
    }
    void *p = ts_realloc_array(ctx, *ptr, ncap, size);
    if (!p) return TS_ERR_NOMEM;
    *ptr = p;
    *cap = ncap;
    return TS_OK;
}

void ts_buf_free(ts_buf *buf) {
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

ts_status ts_buf_reserve(ts_buf *buf, size_t extra) {
    size_t need;
    if (!ts_add_size(buf->len, extra, &need) || !ts_add_size(need, 1, &need)) return TS_ERR_NOMEM;
    if (need <= buf->cap) return TS_OK;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return TS_ERR_NOMEM;
        cap *= 2;
    }
    char *p = realloc(buf->data, cap);
    if (!p) return TS_ERR_NOMEM;
    buf->data = p;
    buf->cap = cap;
    return TS_OK;
}

ts_status ts_buf_append(ts_buf *buf, const void *data, size_t len) {
    if (ts_buf_reserve(buf, len) != TS_OK) return TS_ERR_NOMEM;
    if (len) memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = 0;
    return TS_OK;
}

ts_status ts_buf_puts(ts_buf *buf, const char *s) { return ts_buf_append(buf, s, strlen(s)); }

ts_status ts_buf_putc(ts_buf *buf, char c) {
    if (buf->len + 1 < buf->cap) {
        buf->data[buf->len++] = c;
        buf->data[buf->len] = 0;
        return TS_OK;
    }
    return ts_buf_append(buf, &c, 1);
}

ts_status ts_buf_vprintf(ts_buf *buf, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) return TS_ERR_INVALID;
    if (ts_buf_reserve(buf, (size_t)n) != TS_OK) return TS_ERR_NOMEM;
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return TS_OK;
}

ts_status ts_buf_printf(ts_buf *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ts_status s = ts_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return s;
}

ts_status ts_buf_put_int(ts_buf *buf, int64_t v) {
    char tmp[24];
    return ts_buf_append(buf, tmp, ts_format_int(tmp, v));
}

ts_status ts_buf_put_double(ts_buf *buf, double v) {
    char tmp[40];
    size_t n = ts_format_double(tmp, v);
    return ts_buf_append(buf, tmp, n);
}

ts_status ts_buf_put_json_field_double(ts_buf *buf, const char *key, double v) {
    ts_status s = ts_buf_printf(buf, ",\"%s\":", key);
    return s == TS_OK ? ts_buf_put_double(buf, v) : s;
}

ts_status ts_buf_put_json_string(ts_buf *buf, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (ts_buf_putc(buf, '"') != TS_OK) return TS_ERR_NOMEM;
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (ts_buf_append(buf, run, (size_t)(s - run)) != TS_OK) return TS_ERR_NOMEM;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            elen = 6;
        }
        if (ts_buf_append(buf, esc, elen) != TS_OK) return TS_ERR_NOMEM;
        run = s + 1;
    }
    if (ts_buf_append(buf, run, (size_t)(s - run)) != TS_OK) return TS_ERR_NOMEM;
    return ts_buf_putc(buf, '"');
}
