/* Samplers: the order of every epoch as a pure function of (dataset,
 * mode, seed, epoch), batches sharded over ranks, resumable state, and
 * statistics of what an order does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample_internal.h"

enum { OP_PERM = 11, OP_CLASS = 12, OP_CLASS_ROUND = 13, OP_REPEAT = 14, OP_WEIGHT = 15, OP_GROUP = 16,
       OP_BUFFER = 17, OP_SHARD = 18, OP_CHUNK = 19 };

struct ts_sampler {
    ts_sampler_opts o;
    size_t n, nc;
    uint32_t *rarest;   /* per image; nc = no class */
    uint32_t *coff, *cimg; /* class -> images holding it */
    size_t *class_images;
    uint32_t *group;    /* per image */
    size_t ng;
    double *weight;     /* weighted and repeat-factor */
    uint32_t *shard;    /* per image */
    size_t nshards;
    /* the cached epoch order */
    uint64_t cached_epoch;
    uint32_t *order;
    size_t len;
    ts_sampler_state state;
};

static const char *const mode_names[TS_SAMPLER_MODE_COUNT] = {
    "uniform", "once", "stratified", "class-balanced", "repeat-factor", "weighted",
    "spread-groups", "together-groups", "buffer", "shard"};

const char *ts_sampler_mode_name(ts_sampler_mode mode) {
    return (unsigned)mode < TS_SAMPLER_MODE_COUNT ? mode_names[mode] : "?";
}

int ts_sampler_mode_parse(const char *name) {
    for (int m = 0; name && m < TS_SAMPLER_MODE_COUNT; m++)
        if (strcmp(name, mode_names[m]) == 0) return m;
    return -1;
}

ts_sampler_opts ts_sampler_opts_default(void) {
    ts_sampler_opts o = {0};
    o.batch = 32;
    o.world_size = 1;
    return o;
}

void ts_sampler_destroy(ts_sampler *s) {
    if (!s) return;
    free(s->rarest), free(s->coff), free(s->cimg), free(s->class_images), free(s->group), free(s->weight);
    free(s->shard), free(s->order);
    free(s);
}

/* Per-image weights: repeat factors (LVIS), or a weight attribute, or the
 * inverse frequency of the image's rarest class. */
static ts_status make_weights(ts_ctx *ctx, ts_sampler *s, const ts_dataset *ds, const sample_labels *l) {
    s->weight = ts_alloc_array(ctx, s->n ? s->n : 1, sizeof *s->weight);
    if (!s->weight) return TS_ERR_NOMEM;
    if (s->o.mode == TS_SAMPLER_REPEAT_FACTOR) {
        double t = s->o.repeat_threshold > 0 ? s->o.repeat_threshold : 0.001;
        for (size_t i = 0; i < s->n; i++) {
            double r = 1;
            for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++) {
                double f = (double)s->class_images[l->cls[y]] / (double)s->n;
                double rc = sqrt(t / f);
                if (rc > r) r = rc;
            }
            s->weight[i] = r;
        }
        return TS_OK;
    }
    const char *key = s->o.weight_attr ? s->o.weight_attr : "weight";
    for (size_t i = 0; i < s->n; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const ts_attr *a = ts_attr_find(e.attrs, e.n_attrs, key);
        if (a) {
            char *end;
            double w = strtod(a->value, &end);
            if (end == a->value || !(w >= 0) || !isfinite(w))
                return ts_error(ctx, TS_ERR_INVALID, "image %lld: weight attribute \"%s\" is \"%s\", not a number >= 0",
                                (long long)e.id, key, a->value);
            s->weight[i] = w;
        } else {
            uint32_t c = s->rarest[i];
            s->weight[i] = c == s->nc ? 1.0 : (double)s->n / (double)s->class_images[c];
        }
    }
    return TS_OK;
}

static ts_status make_shards(ts_ctx *ctx, ts_sampler *s, const ts_dataset *ds) {
    uint64_t *keys = ts_alloc_array(ctx, s->n ? s->n : 1, sizeof *keys);
    uint8_t *has = ts_alloc_array(ctx, s->n ? s->n : 1, 1);
    s->shard = ts_alloc_array(ctx, s->n ? s->n : 1, sizeof *s->shard);
    ts_status st = keys && has && s->shard ? TS_OK : TS_ERR_NOMEM;
    const char *key = s->o.shard_attr ? s->o.shard_attr : "shard";
    for (size_t i = 0; i < s->n && st == TS_OK; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const ts_attr *a = ts_attr_find(e.attrs, e.n_attrs, key);
        const char *v = a ? a->value : e.source ? e.source : "";
        keys[i] = ts_hash_bytes(v, strlen(v), 0x5a4d);
        has[i] = 1;
    }
    if (st == TS_OK) st = sample_number_groups(ctx, s->n, keys, has, s->shard, &s->nshards);
    free(keys), free(has);
    return st;
}

ts_status ts_sampler_create(ts_ctx *ctx, const ts_dataset *ds, const ts_sampler_opts *opts, ts_sampler **out) {
    if (!opts || (unsigned)opts->mode >= TS_SAMPLER_MODE_COUNT)
        return ts_error(ctx, TS_ERR_INVALID, "sampler: unknown mode");
    if (opts->batch < 1) return ts_error(ctx, TS_ERR_INVALID, "sampler: batch size must be at least 1");
    uint32_t world = opts->world_size ? opts->world_size : 1;
    if (opts->rank >= world)
        return ts_error(ctx, TS_ERR_INVALID, "sampler: rank %u is not below world size %u", opts->rank, world);
    ts_sampler *s = calloc(1, sizeof *s);
    if (!s) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    s->o = *opts;
    s->o.world_size = world;
    s->o.weight_attr = s->o.shard_attr = NULL; /* used during creation only */
    s->o.groups = NULL;
    s->cached_epoch = UINT64_MAX;
    if (s->o.mode == TS_SAMPLER_CLASS_BALANCED || s->o.mode == TS_SAMPLER_TOGETHER_GROUPS) {
        if (!s->o.per_class) s->o.per_class = s->o.mode == TS_SAMPLER_TOGETHER_GROUPS ? 2 : 4;
        if (s->o.mode == TS_SAMPLER_TOGETHER_GROUPS && s->o.batch % s->o.per_class) {
            size_t b = s->o.batch, k = s->o.per_class;
            free(s);
            return ts_error(ctx, TS_ERR_INVALID, "together-groups: batch %zu is not a multiple of K = %zu", b, k);
        }
        if (!s->o.classes_per_batch) s->o.classes_per_batch = s->o.batch / s->o.per_class ? s->o.batch / s->o.per_class : 1;
    }
    if (s->o.mode == TS_SAMPLER_BUFFER && !s->o.buffer) s->o.buffer = 1000;
    sample_labels l;
    ts_status st = sample_labels_build(ctx, ds, &l);
    if (st != TS_OK) {
        free(s);
        return st;
    }
    s->n = l.n_images;
    s->nc = l.n_classes;
    s->rarest = l.rarest, l.rarest = NULL;
    s->class_images = l.class_images, l.class_images = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->rarest[i] == UINT32_MAX) s->rarest[i] = (uint32_t)s->nc;
    /* class -> images, for class-balanced batches */
    s->coff = ts_calloc_array(ctx, s->nc + 2, sizeof *s->coff);
    s->cimg = ts_alloc_array(ctx, l.off[s->n] ? l.off[s->n] : 1, sizeof *s->cimg);
    s->group = ts_alloc_array(ctx, s->n ? s->n : 1, sizeof *s->group);
    if (!s->coff || !s->cimg || !s->group) st = TS_ERR_NOMEM;
    if (st == TS_OK) {
        for (size_t y = 0; y < l.off[s->n]; y++) s->coff[l.cls[y] + 1]++;
        for (size_t c = 0; c < s->nc; c++) s->coff[c + 1] += s->coff[c];
        for (size_t i = 0; i < s->n; i++)
            for (uint32_t y = l.off[i]; y < l.off[i + 1]; y++) s->cimg[s->coff[l.cls[y]]++] = (uint32_t)i;
        memmove(s->coff + 1, s->coff, s->nc * sizeof *s->coff);
        s->coff[0] = 0;
        if (opts->groups) {
            memcpy(s->group, opts->groups, s->n * sizeof *s->group);
            for (size_t i = 0; i < s->n; i++)
                if (s->group[i] + (size_t)1 > s->ng) s->ng = s->group[i] + (size_t)1;
        } else {
            ts_group_opts go = ts_group_opts_default();
            st = ts_sample_groups(ctx, ds, &go, s->group, &s->ng);
        }
    }
    if (st == TS_OK && (s->o.mode == TS_SAMPLER_WEIGHTED || s->o.mode == TS_SAMPLER_REPEAT_FACTOR)) {
        s->o.weight_attr = opts->weight_attr;
        st = make_weights(ctx, s, ds, &l);
        s->o.weight_attr = NULL;
    }
    if (st == TS_OK && s->o.mode == TS_SAMPLER_SHARD) {
        s->o.shard_attr = opts->shard_attr;
        st = make_shards(ctx, s, ds);
        s->o.shard_attr = NULL;
    }
    sample_labels_free(&l);
    if (st != TS_OK) {
        ts_sampler_destroy(s);
        return st;
    }
    *out = s;
    return TS_OK;
}

/* ---- epoch orders ------------------------------------------------------------ */

typedef struct {
    uint32_t *a;
    size_t n, cap;
} vec;

static int vec_push(vec *v, uint32_t x) {
    if (v->n == v->cap && ts_grow(NULL, (void **)&v->a, &v->cap, v->n + 1, sizeof *v->a) != TS_OK) return 0;
    v->a[v->n++] = x;
    return 1;
}

/* Items grouped by key[i] (0..nk-1) as compressed rows, in index order. */
static ts_status rows_by(ts_ctx *ctx, const uint32_t *key, size_t n, size_t nk, uint32_t **off_out, uint32_t **items_out) {
    uint32_t *off = ts_calloc_array(ctx, nk + 2, sizeof *off);
    uint32_t *items = ts_alloc_array(ctx, n ? n : 1, sizeof *items);
    if (!off || !items) {
        free(off), free(items);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) off[key[i] + 1]++;
    for (size_t k = 0; k < nk; k++) off[k + 1] += off[k];
    for (size_t i = 0; i < n; i++) items[off[key[i]]++] = (uint32_t)i;
    memmove(off + 1, off, nk * sizeof *off);
    off[0] = 0;
    *off_out = off;
    *items_out = items;
    return TS_OK;
}

/* Spread every row evenly over the epoch: member j of a row of size m gets
 * the key (j + u) / m with u a seeded offset per row, rows pre-shuffled. */
static ts_status spread_rows(ts_ctx *ctx, const ts_sampler *s, uint64_t epoch, const uint32_t *key, size_t nk,
                             uint64_t op, uint32_t *order) {
    uint32_t *off, *items;
    ts_status st = rows_by(ctx, key, s->n, nk, &off, &items);
    if (st != TS_OK) return st;
    uint64_t *k = ts_alloc_array(ctx, s->n ? s->n : 1, sizeof *k);
    if (!k) st = TS_ERR_NOMEM;
    for (size_t r = 0; r < nk && st == TS_OK; r++) {
        uint32_t b = off[r], m = off[r + 1] - b;
        if (!m) continue;
        ts_rng rng = ts_rng_for(s->o.seed, epoch, r, op);
        sample_shuffle(items + b, m, &rng);
        double u = ts_rng_uniform(&rng);
        for (uint32_t j = 0; j < m; j++) {
            order[b + j] = items[b + j];
            k[b + j] = sample_double_key((j + u) / m);
        }
    }
    if (st == TS_OK) st = ts_sort_by_key(ctx, k, order, s->n);
    free(k), free(off), free(items);
    return st;
}

/* Move members whose group is already in the batch to the next batch that
 * lacks it (a FIFO of deferred items), so groups no larger than the number
 * of batches never collide. */
static ts_status repair_groups(ts_ctx *ctx, const ts_sampler *s, uint32_t *order, size_t n) {
    size_t B = s->o.batch;
    uint64_t *last = ts_alloc_array(ctx, s->ng ? s->ng : 1, sizeof *last);
    uint32_t *out = ts_alloc_array(ctx, n ? n : 1, sizeof *out);
    uint32_t *pending = ts_alloc_array(ctx, n ? n : 1, sizeof *pending);
    if (!last || !out || !pending) {
        free(last), free(out), free(pending);
        return TS_ERR_NOMEM;
    }
    for (size_t g = 0; g < s->ng; g++) last[g] = UINT64_MAX;
    /* pending is a ring of capacity n; each batch retries a bounded number
     * of deferred items so a group larger than the batch count stays linear */
    size_t w = 0, head = 0, cnt = 0, next = 0;
    while (w < n) {
        uint64_t batch = w / B;
        size_t end = (batch + 1) * B < n ? (batch + 1) * B : n;
        size_t tries = cnt < 4 * B ? cnt : 4 * B;
        while (tries-- && w < end) {
            uint32_t x = pending[head];
            head = (head + 1) % n, cnt--;
            if (last[s->group[x]] == batch) pending[(head + cnt++) % n] = x;
            else last[s->group[x]] = batch, out[w++] = x;
        }
        while (w < end && next < n) {
            uint32_t x = order[next++];
            if (last[s->group[x]] == batch) pending[(head + cnt++) % n] = x;
            else last[s->group[x]] = batch, out[w++] = x;
        }
        while (w < end && cnt) { /* only colliding items remain: place them anyway */
            uint32_t x = pending[head];
            head = (head + 1) % n, cnt--;
            last[s->group[x]] = batch, out[w++] = x;
        }
    }
    memcpy(order, out, n * sizeof *order);
    free(last), free(out), free(pending);
    return TS_OK;
}

static ts_status order_class_balanced(ts_ctx *ctx, const ts_sampler *s, uint64_t epoch, vec *v) {
    size_t P = s->o.classes_per_batch, K = s->o.per_class;
    uint32_t *classes = ts_alloc_array(ctx, s->nc ? s->nc : 1, sizeof *classes);
    uint32_t *cursor = ts_calloc_array(ctx, s->nc ? s->nc : 1, sizeof *cursor);
    uint32_t *round = ts_calloc_array(ctx, s->nc ? s->nc : 1, sizeof *round);
    uint32_t *lists = ts_alloc_array(ctx, s->coff[s->nc] ? s->coff[s->nc] : 1, sizeof *lists);
    uint64_t *in_batch = ts_alloc_array(ctx, s->nc ? s->nc : 1, sizeof *in_batch);
    ts_status st = classes && cursor && round && lists && in_batch ? TS_OK : TS_ERR_NOMEM;
    size_t live = 0;
    for (size_t c = 0; c < s->nc && st == TS_OK; c++) {
        in_batch[c] = UINT64_MAX;
        if (s->coff[c + 1] > s->coff[c]) classes[live++] = (uint32_t)c;
    }
    if (st == TS_OK && live == 0) st = ts_error(ctx, TS_ERR_INVALID, "class-balanced: no image holds a class");
    if (st == TS_OK) {
        memcpy(lists, s->cimg, s->coff[s->nc] * sizeof *lists);
        if (P > live) P = live;
        size_t batches = s->n / (P * K) ? s->n / (P * K) : 1;
        size_t at = live; /* position in the current class permutation */
        uint64_t perm_round = 0;
        for (uint64_t b = 0; b < batches && st == TS_OK; b++) {
            for (size_t p = 0; p < P && st == TS_OK;) {
                if (at == live) {
                    ts_rng r = ts_rng_for(s->o.seed, epoch, perm_round++, OP_CLASS);
                    sample_shuffle(classes, live, &r);
                    at = 0;
                }
                uint32_t c = classes[at++];
                if (in_batch[c] == b) continue; /* already drawn for this batch */
                in_batch[c] = b;
                p++;
                uint32_t *list = lists + s->coff[c];
                uint32_t m = s->coff[c + 1] - s->coff[c];
                for (size_t k = 0; k < K; k++) {
                    if (cursor[c] % m == 0 && (cursor[c] > 0 || round[c] == 0)) {
                        ts_rng r = ts_rng_for(s->o.seed, epoch, ((uint64_t)c << 32) | round[c]++, OP_CLASS_ROUND);
                        sample_shuffle(list, m, &r);
                    }
                    if (!vec_push(v, list[cursor[c]++ % m])) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
                }
            }
        }
    }
    free(classes), free(cursor), free(round), free(lists), free(in_batch);
    return st;
}

/* Alias table draws (Vose), n of them. */
static ts_status order_weighted_replace(ts_ctx *ctx, const ts_sampler *s, uint64_t epoch, vec *v) {
    size_t n = s->n;
    double total = 0;
    for (size_t i = 0; i < n; i++) total += s->weight[i];
    if (!(total > 0)) return ts_error(ctx, TS_ERR_INVALID, "weighted: every weight is 0");
    double *prob = ts_alloc_array(ctx, n, sizeof *prob);
    uint32_t *alias = ts_alloc_array(ctx, n, sizeof *alias);
    uint32_t *small = ts_alloc_array(ctx, n, sizeof *small), *large = ts_alloc_array(ctx, n, sizeof *large);
    ts_status st = prob && alias && small && large ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK) {
        size_t ns = 0, nl = 0;
        for (size_t i = 0; i < n; i++) {
            prob[i] = s->weight[i] * (double)n / total;
            alias[i] = (uint32_t)i;
            if (prob[i] < 1) small[ns++] = (uint32_t)i;
            else large[nl++] = (uint32_t)i;
        }
        while (ns && nl) {
            uint32_t a = small[--ns], g = large[nl - 1];
            alias[a] = g;
            prob[g] -= 1 - prob[a];
            if (prob[g] < 1) nl--, small[ns++] = g;
        }
        while (nl) prob[large[--nl]] = 1;
        while (ns) prob[small[--ns]] = 1;
        ts_rng r = ts_rng_for(s->o.seed, epoch, 0, OP_WEIGHT);
        v->a = ts_alloc_array(ctx, n, sizeof *v->a);
        if (!v->a) st = TS_ERR_NOMEM;
        for (size_t k = 0; k < n && v->a; k++) {
            uint32_t i = (uint32_t)ts_rng_below(&r, n);
            v->a[k] = ts_rng_uniform(&r) < prob[i] ? i : alias[i];
        }
        v->n = v->cap = v->a ? n : 0;
    }
    free(prob), free(alias), free(small), free(large);
    return st;
}

static ts_status epoch_order(ts_ctx *ctx, const ts_sampler *s, uint64_t epoch, uint32_t **order_out, size_t *len_out) {
    size_t n = s->n;
    vec v = {0};
    ts_status st = TS_OK;
    ts_sampler_mode mode = s->o.mode;
    if (mode == TS_SAMPLER_UNIFORM || mode == TS_SAMPLER_ONCE || mode == TS_SAMPLER_STRATIFIED ||
        mode == TS_SAMPLER_SPREAD_GROUPS || mode == TS_SAMPLER_BUFFER || mode == TS_SAMPLER_SHARD ||
        (mode == TS_SAMPLER_WEIGHTED && !s->o.replacement)) {
        v.a = ts_alloc_array(ctx, n ? n : 1, sizeof *v.a);
        if (!v.a) return TS_ERR_NOMEM;
        v.n = v.cap = n;
    }
    switch (mode) {
    case TS_SAMPLER_UNIFORM:
    case TS_SAMPLER_ONCE: {
        ts_rng r = ts_rng_for(s->o.seed, mode == TS_SAMPLER_ONCE ? 0 : epoch, 0, OP_PERM);
        for (size_t i = 0; i < n; i++) v.a[i] = (uint32_t)i;
        sample_shuffle(v.a, n, &r);
        break;
    }
    case TS_SAMPLER_STRATIFIED:
        st = spread_rows(ctx, s, epoch, s->rarest, s->nc + 1, OP_CLASS, v.a);
        break;
    case TS_SAMPLER_SPREAD_GROUPS:
        st = spread_rows(ctx, s, epoch, s->group, s->ng, OP_GROUP, v.a);
        if (st == TS_OK) st = repair_groups(ctx, s, v.a, n);
        break;
    case TS_SAMPLER_CLASS_BALANCED:
        st = order_class_balanced(ctx, s, epoch, &v);
        break;
    case TS_SAMPLER_REPEAT_FACTOR: {
        for (size_t i = 0; i < n && st == TS_OK; i++) {
            ts_rng r = ts_rng_for(s->o.seed, epoch, i, OP_REPEAT);
            double w = s->weight[i], whole = floor(w);
            size_t times = (size_t)whole + (size_t)ts_rng_chance(&r, w - whole);
            for (size_t k = 0; k < times && st == TS_OK; k++)
                if (!vec_push(&v, (uint32_t)i)) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        }
        ts_rng r = ts_rng_for(s->o.seed, epoch, 0, OP_PERM);
        if (st == TS_OK) sample_shuffle(v.a, v.n, &r);
        break;
    }
    case TS_SAMPLER_WEIGHTED:
        if (s->o.replacement) {
            st = order_weighted_replace(ctx, s, epoch, &v);
        } else {
            /* Efraimidis-Spirakis: key Exp(1) / w ascending; weight 0 never drawn */
            uint64_t *k = ts_alloc_array(ctx, n ? n : 1, sizeof *k);
            if (!k) st = TS_ERR_NOMEM;
            size_t m = 0;
            for (size_t i = 0; i < n && k; i++) {
                if (!(s->weight[i] > 0)) continue;
                ts_rng r = ts_rng_for(s->o.seed, epoch, i, OP_WEIGHT);
                double e = -log1p(-ts_rng_uniform(&r));
                k[m] = sample_double_key(e / s->weight[i]);
                v.a[m++] = (uint32_t)i;
            }
            v.n = m;
            if (k) st = ts_sort_by_key(ctx, k, v.a, m);
            free(k);
        }
        break;
    case TS_SAMPLER_TOGETHER_GROUPS: {
        /* chunks of K members of one group (short ones padded by repeating
         * members), chunks shuffled */
        size_t K = s->o.per_class;
        uint32_t *off, *items;
        st = rows_by(ctx, s->group, n, s->ng, &off, &items);
        if (st != TS_OK) break;
        vec chunks = {0};
        for (size_t g = 0; g < s->ng && st == TS_OK; g++) {
            uint32_t b = off[g], m = off[g + 1] - b;
            ts_rng r = ts_rng_for(s->o.seed, epoch, g, OP_GROUP);
            sample_shuffle(items + b, m, &r);
            for (uint32_t j = 0; j < m && st == TS_OK; j += (uint32_t)K)
                if (!vec_push(&chunks, b + j)) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        }
        ts_rng r = ts_rng_for(s->o.seed, epoch, 0, OP_CHUNK);
        if (st == TS_OK) sample_shuffle(chunks.a, chunks.n, &r);
        for (size_t c = 0; c < chunks.n && st == TS_OK; c++) {
            uint32_t start = chunks.a[c], g = s->group[items[start]];
            uint32_t end = off[g + 1], m = end - start;
            for (size_t k = 0; k < K && st == TS_OK; k++) {
                uint32_t x = k < m ? items[start + k] : items[start + k % m];
                if (!vec_push(&v, x)) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
            }
        }
        free(chunks.a), free(off), free(items);
        break;
    }
    case TS_SAMPLER_BUFFER: {
        /* input order through a buffer of S: emit a random slot, refill it */
        size_t S = s->o.buffer < n ? s->o.buffer : n;
        uint32_t *buf = ts_alloc_array(ctx, S ? S : 1, sizeof *buf);
        if (!buf) {
            st = TS_ERR_NOMEM;
            break;
        }
        size_t fill = 0, next = 0, w = 0;
        while (fill < S) buf[fill++] = (uint32_t)next++;
        ts_rng r = ts_rng_for(s->o.seed, epoch, 0, OP_BUFFER);
        while (fill) {
            size_t j = (size_t)ts_rng_below(&r, fill);
            v.a[w++] = buf[j];
            if (next < n) buf[j] = (uint32_t)next++;
            else buf[j] = buf[--fill];
        }
        free(buf);
        break;
    }
    case TS_SAMPLER_SHARD: {
        uint32_t *off, *items;
        st = rows_by(ctx, s->shard, n, s->nshards, &off, &items);
        if (st != TS_OK) break;
        uint32_t *perm = ts_alloc_array(ctx, s->nshards ? s->nshards : 1, sizeof *perm);
        if (!perm) st = TS_ERR_NOMEM;
        if (perm) {
            for (size_t k = 0; k < s->nshards; k++) perm[k] = (uint32_t)k;
            ts_rng r = ts_rng_for(s->o.seed, epoch, 0, OP_SHARD);
            sample_shuffle(perm, s->nshards, &r);
            size_t w = 0;
            for (size_t k = 0; k < s->nshards; k++) {
                uint32_t sh = perm[k], b = off[sh], m = off[sh + 1] - b;
                ts_rng rs = ts_rng_for(s->o.seed, epoch, (uint64_t)sh + 1, OP_SHARD);
                sample_shuffle(items + b, m, &rs);
                memcpy(v.a + w, items + b, m * sizeof *v.a);
                w += m;
            }
        }
        free(perm), free(off), free(items);
        break;
    }
    default:
        st = ts_error(ctx, TS_ERR_INVALID, "sampler: unknown mode");
    }
    if (st != TS_OK) {
        free(v.a);
        return st;
    }
    *order_out = v.a;
    *len_out = v.n;
    return TS_OK;
}

ts_status ts_sampler_epoch_order(ts_ctx *ctx, ts_sampler *s, uint64_t epoch, uint32_t **order, size_t *len) {
    return epoch_order(ctx, s, epoch, order, len);
}

static ts_status ensure_epoch(ts_ctx *ctx, ts_sampler *s, uint64_t epoch) {
    if (s->cached_epoch == epoch) return TS_OK;
    uint32_t *order;
    size_t len;
    ts_status st = epoch_order(ctx, s, epoch, &order, &len);
    if (st != TS_OK) return st;
    free(s->order);
    s->order = order;
    s->len = len;
    s->cached_epoch = epoch;
    return TS_OK;
}

/* Batches of this rank in the cached epoch. */
static size_t rank_batches(const ts_sampler *s) {
    size_t B = s->o.batch;
    size_t global = s->o.drop_last ? s->len / B : (s->len + B - 1) / B;
    return global / s->o.world_size;
}

ts_status ts_sampler_batches_per_epoch(ts_ctx *ctx, ts_sampler *s, uint64_t epoch, size_t *batches) {
    ts_status st = ensure_epoch(ctx, s, epoch);
    if (st == TS_OK) *batches = rank_batches(s);
    return st;
}

ts_status ts_sampler_next(ts_ctx *ctx, ts_sampler *s, uint32_t *out, size_t *count, uint64_t *epoch) {
    ts_status st = ensure_epoch(ctx, s, s->state.epoch);
    if (st != TS_OK) return st;
    if (s->state.batch >= rank_batches(s)) {
        if (rank_batches(s) == 0 && s->state.batch == 0)
            return ts_error(ctx, TS_ERR_INVALID, "sampler: epoch %llu has %zu samples, fewer than one batch of %zu "
                            "for each of %u ranks", (unsigned long long)s->state.epoch, s->len, s->o.batch,
                            s->o.world_size);
        s->state.epoch++;
        s->state.batch = 0;
        st = ensure_epoch(ctx, s, s->state.epoch);
        if (st != TS_OK) return st;
        if (rank_batches(s) == 0)
            return ts_error(ctx, TS_ERR_INVALID, "sampler: epoch %llu has no batch for rank %u",
                            (unsigned long long)s->state.epoch, s->o.rank);
    }
    size_t B = s->o.batch;
    size_t g = (size_t)s->state.batch * s->o.world_size + s->o.rank;
    size_t begin = g * B, end = begin + B < s->len ? begin + B : s->len;
    memcpy(out, s->order + begin, (end - begin) * sizeof *out);
    *count = end - begin;
    if (epoch) *epoch = s->state.epoch;
    s->state.batch++;
    return TS_OK;
}

ts_sampler_state ts_sampler_save(const ts_sampler *s) { return s->state; }

ts_status ts_sampler_restore(ts_ctx *ctx, ts_sampler *s, ts_sampler_state state) {
    ts_status st = ensure_epoch(ctx, s, state.epoch);
    if (st != TS_OK) return st;
    if (state.batch > rank_batches(s))
        return ts_error(ctx, TS_ERR_INVALID, "sampler state: batch %llu is past the %zu batches of epoch %llu",
                        (unsigned long long)state.batch, rank_batches(s), (unsigned long long)state.epoch);
    s->state = state;
    return TS_OK;
}

/* ---- statistics ----------------------------------------------------------------- */

ts_status ts_sampler_order_stats(ts_ctx *ctx, const ts_sampler *s, const uint32_t *order, size_t len,
                                 ts_order_stats *out) {
    size_t B = s->o.batch, nk = s->nc + 1;
    double *global = ts_calloc_array(ctx, nk, sizeof *global);
    uint32_t *cnt = ts_calloc_array(ctx, nk, sizeof *cnt);
    uint64_t *gseen = ts_alloc_array(ctx, s->ng ? s->ng : 1, sizeof *gseen);
    uint8_t *seen = ts_calloc_array(ctx, s->n ? s->n : 1, 1);
    if (!global || !cnt || !gseen || !seen) {
        free(global), free(cnt), free(gseen), free(seen);
        return TS_ERR_NOMEM;
    }
    ts_order_stats r = {0};
    for (size_t i = 0; i < s->n; i++) global[s->rarest[i]] += 1.0 / (double)s->n;
    for (size_t g = 0; g < s->ng; g++) gseen[g] = UINT64_MAX;
    size_t batches = 0, collisions = 0;
    double tv_sum = 0, disp = 0;
    for (size_t b0 = 0; b0 < len; b0 += B) {
        size_t b1 = b0 + B < len ? b0 + B : len, m = b1 - b0;
        uint64_t bi = b0 / B;
        for (size_t k = b0; k < b1; k++) {
            uint32_t x = order[k];
            cnt[s->rarest[x]]++;
            if (gseen[s->group[x]] == bi) collisions++;
            gseen[s->group[x]] = bi;
        }
        /* total variation: present classes exactly, absent ones by their mass */
        double tv = 1.0, present = 0;
        for (size_t k = b0; k < b1; k++) {
            uint32_t c = s->rarest[order[k]];
            if (!cnt[c]) continue;
            tv += fabs((double)cnt[c] / (double)m - global[c]);
            present += global[c];
            cnt[c] = 0;
        }
        tv_sum += 0.5 * (tv - present);
        batches++;
    }
    for (size_t k = 0; k < len; k++) {
        uint32_t x = order[k];
        if (seen[x]) continue;
        seen[x] = 1;
        size_t d = k > x ? k - x : x - k;
        disp += (double)d;
        if (d > r.max_displacement) r.max_displacement = d;
        r.distinct++;
    }
    r.class_mix_deviation = batches ? tv_sum / (double)batches : 0;
    r.group_collisions = batches ? (double)collisions / (double)batches : 0;
    r.mean_displacement = r.distinct ? disp / (double)r.distinct : 0;
    free(global), free(cnt), free(gseen), free(seen);
    *out = r;
    return TS_OK;
}
