/* Checkpoints: a versioned little-endian binary file (magic, version, spec,
 * input, classes, normalisation, weights, batch-norm statistics, optimiser
 * state) closed by an xxHash3 checksum of everything before it. Written
 * atomically; a truncated, altered or other-version file is refused. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

#define MAGIC "TSNNCKPT"
#define VERSION 1u
#define HASH_SEED 0x74736e6e636b7074ULL

static ts_status put_u32(ts_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return ts_buf_append(b, x, 4);
}

static ts_status put_u64(ts_buf *b, uint64_t v) {
    ts_status st = put_u32(b, (uint32_t)v);
    return st ? st : put_u32(b, (uint32_t)(v >> 32));
}

static ts_status put_floats(ts_buf *b, const float *f, size_t n) {
    ts_status st = put_u64(b, n);
    for (size_t i = 0; !st && i < n; i++) {
        uint32_t u;
        memcpy(&u, &f[i], 4);
        st = put_u32(b, u);
    }
    return st;
}

static ts_status put_bytes(ts_buf *b, const char *s) {
    size_t n = strlen(s);
    ts_status st = put_u64(b, n);
    return st ? st : ts_buf_append(b, s, n);
}

ts_status ts_nn_checkpoint_save(ts_ctx *ctx, const ts_nn_model *m, const char *path) {
    ts_buf b = {0};
    int has_opt = m->opt.kind >= 0 && m->opt.m;
    ts_status st = ts_buf_append(&b, MAGIC, 8);
    if (!st) st = put_u32(&b, VERSION);
    if (!st) st = put_bytes(&b, m->spec);
    if (!st) st = put_u32(&b, (uint32_t)m->c);
    if (!st) st = put_u32(&b, (uint32_t)m->h);
    if (!st) st = put_u32(&b, (uint32_t)m->w);
    if (!st) st = put_u32(&b, (uint32_t)m->classes);
    if (!st) st = put_u32(&b, (uint32_t)m->epoch);
    if (!st) st = put_u64(&b, m->seed);
    for (int i = 0; !st && i < m->classes; i++) {
        st = put_u64(&b, (uint64_t)m->class_ids[i]);
        if (!st) st = put_bytes(&b, m->class_names[i]);
    }
    if (!st) st = put_floats(&b, m->mean, (size_t)m->c);
    if (!st) st = put_floats(&b, m->std, (size_t)m->c);
    if (!st) st = put_floats(&b, m->params, m->n_params);
    if (!st) st = put_floats(&b, m->buffers, m->n_buffers);
    if (!st) st = put_u32(&b, has_opt ? (uint32_t)m->opt.kind + 1 : 0);
    if (!st && has_opt) {
        st = put_u64(&b, m->opt.step);
        if (!st) st = put_floats(&b, m->opt.m, m->n_params);
        if (!st) st = put_floats(&b, m->opt.v, m->n_params);
    }
    if (!st) st = put_u64(&b, ts_hash_bytes(b.data, b.len, HASH_SEED));
    if (st) {
        ts_buf_free(&b);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory writing checkpoint %s", path);
    }
    st = ts_file_write_atomic(ctx, path, b.data, b.len);
    ts_buf_free(&b);
    return st;
}

/* ---- reading ---------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
    const char *name;
    ts_ctx *ctx;
} reader;

static ts_status short_file(reader *r, const char *what) {
    return ts_error(r->ctx, TS_ERR_CORRUPT, "%s: checkpoint ends inside %s", r->name, what);
}

static ts_status get_u32(reader *r, const char *what, uint32_t *v) {
    if (r->end - r->p < 4) return short_file(r, what);
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return TS_OK;
}

static ts_status get_u64(reader *r, const char *what, uint64_t *v) {
    uint32_t lo = 0, hi = 0;
    ts_status st = get_u32(r, what, &lo);
    if (!st) st = get_u32(r, what, &hi);
    if (!st) *v = (uint64_t)hi << 32 | lo;
    return st;
}

/* n floats announced by the file must equal `expect` (the model's count). */
static ts_status get_floats(reader *r, const char *what, float *out, size_t expect) {
    uint64_t n;
    ts_status st = get_u64(r, what, &n);
    if (st) return st;
    if (n != expect)
        return ts_error(r->ctx, TS_ERR_INVALID, "%s: checkpoint holds %llu %s, its architecture needs %zu", r->name,
                        (unsigned long long)n, what, expect);
    if ((uint64_t)(r->end - r->p) / 4 < n) return short_file(r, what);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
        memcpy(&out[i], &u, 4);
        r->p += 4;
    }
    return TS_OK;
}

/* A string (malloc'd, NUL-terminated) of at most `max` bytes. */
static ts_status get_string(reader *r, const char *what, size_t max, char **out) {
    uint64_t n;
    ts_status st = get_u64(r, what, &n);
    if (st) return st;
    if (n > max || (uint64_t)(r->end - r->p) < n) return short_file(r, what);
    if (memchr(r->p, 0, (size_t)n)) return ts_error(r->ctx, TS_ERR_CORRUPT, "%s: NUL inside %s", r->name, what);
    *out = ts_strndup(r->ctx, (const char *)r->p, (size_t)n);
    if (!*out) return TS_ERR_NOMEM;
    r->p += n;
    return TS_OK;
}

ts_status ts_nn_checkpoint_load_buffer(ts_ctx *ctx, const char *name, const uint8_t *data, size_t len,
                                       ts_nn_model **out) {
    if (len < 12 || memcmp(data, MAGIC, 8) != 0)
        return ts_error(ctx, TS_ERR_CORRUPT, "%s: not a trainset checkpoint (no \"%s\" header)", name, MAGIC);
    uint32_t version = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 | (uint32_t)data[11] << 24;
    if (version != VERSION)
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: checkpoint format version %u; this trainset reads version %u",
                        name, version, VERSION);
    if (len < 20) return ts_error(ctx, TS_ERR_CORRUPT, "%s: checkpoint truncated (%zu bytes)", name, len);
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--) want = want << 8 | data[len - 8 + (size_t)i];
    if (ts_hash_bytes(data, len - 8, HASH_SEED) != want)
        return ts_error(ctx, TS_ERR_CORRUPT, "%s: checkpoint truncated or corrupt (checksum mismatch)", name);
    reader r = {data + 12, data + len - 8, name, ctx};
    char *spec = NULL;
    char **names = NULL;
    int64_t *ids = NULL;
    ts_nn_model *m = NULL;
    uint32_t c = 0, h = 0, w = 0, classes = 0, epoch = 0, optk = 0;
    uint64_t seed = 0;
    ts_status st = get_string(&r, "the spec", 1 << 20, &spec);
    if (!st) st = get_u32(&r, "the input size", &c);
    if (!st) st = get_u32(&r, "the input size", &h);
    if (!st) st = get_u32(&r, "the input size", &w);
    if (!st) st = get_u32(&r, "the class count", &classes);
    if (!st) st = get_u32(&r, "the epoch", &epoch);
    if (!st) st = get_u64(&r, "the seed", &seed);
    if (!st && (c < 1 || c > 4 || h < 1 || h > 16384 || w < 1 || w > 16384 || classes < 1 ||
                (uint64_t)classes > (uint64_t)(r.end - r.p) / 16 || epoch > 1000000))
        st = ts_error(ctx, TS_ERR_CORRUPT, "%s: impossible sizes in checkpoint header", name);
    if (!st) {
        ids = ts_alloc_array(ctx, classes, sizeof *ids);
        names = ts_calloc_array(ctx, classes, sizeof *names);
        if (!ids || !names) st = TS_ERR_NOMEM;
    }
    for (uint32_t i = 0; !st && i < classes; i++) {
        uint64_t id = 0;
        st = get_u64(&r, "the classes", &id);
        ids[i] = (int64_t)id;
        if (!st) st = get_string(&r, "the classes", 1 << 16, &names[i]);
    }
    if (!st) {
        /* the file's own size bounds the parameters it can hold */
        size_t max_params = (size_t)(r.end - r.p) / 4;
        st = nn_model_create_limited(ctx, spec, (int)c, (int)h, (int)w, (int)classes, seed, max_params, &m);
        if (st) ts_error_prefix(ctx, "%s: checkpoint spec", name);
    }
    if (!st && (m->c != (int)c || m->h != (int)h || m->w != (int)w))
        st = ts_error(ctx, TS_ERR_CORRUPT, "%s: checkpoint input size disagrees with its spec", name);
    if (!st) st = ts_nn_model_set_classes(ctx, m, ids, (const char *const *)names);
    if (!st) st = get_floats(&r, "mean values", m->mean, m->c);
    if (!st) st = get_floats(&r, "std values", m->std, m->c);
    if (!st) st = get_floats(&r, "parameters", m->params, m->n_params);
    if (!st) st = get_floats(&r, "batch-norm statistics", m->buffers, m->n_buffers);
    if (!st) st = get_u32(&r, "the optimiser state", &optk);
    if (!st && optk > 5) st = ts_error(ctx, TS_ERR_CORRUPT, "%s: unknown optimiser %u in checkpoint", name, optk);
    if (!st && optk) {
        uint64_t step;
        st = get_u64(&r, "the optimiser state", &step);
        if (!st) st = nn_optim_prepare(ctx, m, (ts_nn_optim)(optk - 1));
        if (!st) m->opt.step = step;
        if (!st) st = get_floats(&r, "optimiser moments", m->opt.m, m->n_params);
        if (!st) st = get_floats(&r, "optimiser moments", m->opt.v, m->n_params);
    }
    if (!st && r.p != r.end) st = ts_error(ctx, TS_ERR_CORRUPT, "%s: trailing bytes in checkpoint", name);
    if (!st) m->epoch = (int)epoch;
    free(spec);
    for (uint32_t i = 0; names && i < classes; i++) free(names[i]);
    free(names), free(ids);
    if (st) {
        ts_nn_model_destroy(m);
        return st;
    }
    *out = m;
    return TS_OK;
}

ts_status ts_nn_checkpoint_load(ts_ctx *ctx, const char *path, ts_nn_model **out) {
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status st = ts_file_read(ctx, path, &data, &len);
    if (st) return st;
    st = ts_nn_checkpoint_load_buffer(ctx, path, data, len, out);
    free(data);
    return st;
}
