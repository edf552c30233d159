/* Near-duplicate search over 64-bit hashes at a Hamming threshold: a
 * multi-index hashing join (self and cross), and clusters by union-find.
 * See include/trainset/hashindex.h for the method. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainset/hashindex.h"

#define MAX_CHUNK_BITS 24       /* 2^24 bucket offsets = 64 MB at most */
#define MAX_MASKS 4000000.0     /* flip masks per chunk we are willing to list */
#define MAX_RADIUS 32

typedef struct {
    int shift, bits;
} chunk;

typedef struct {
    int brute; /* all pairs, no index */
    int m;     /* chunks */
    int r;     /* per-chunk radius floor(max_distance / m) */
    chunk ch[64];
} plan;

static double binom_sum(int s, int r) {
    double sum = 0, c = 1;
    for (int k = 0; k <= r && k <= s; k++) {
        sum += c;
        c = c * (double)(s - k) / (double)(k + 1);
    }
    return sum;
}

/* Pick the chunk count whose modelled work (bucket scans plus candidate
 * comparisons) is least, or all pairs when that is cheaper. */
static plan choose_plan(size_t na, size_t nb, int self, int radius) {
    plan best = {0};
    double pairs = self ? (double)na * (double)(na - (na > 0)) / 2 : (double)na * (double)nb;
    double best_cost = pairs * 1.05 + 1000;
    best.brute = 1;
    for (int m = 1; m <= 16; m++) {
        int s = (64 + m - 1) / m;
        if (s > MAX_CHUNK_BITS) continue;
        int r = radius / m;
        double masks = binom_sum(s, r);
        if (masks > MAX_MASKS) continue;
        double buckets = ldexp(1.0, s);
        double used = buckets * -expm1(-(double)na / buckets); /* expected non-empty */
        double cand = masks * (double)na * (double)nb / buckets;
        if (self) cand /= 2;
        /* a bucket visit (a likely cache miss) costs a few comparisons */
        double cost = (double)m * (masks * used * 3 + buckets + (double)(na + nb) * 2 + cand);
        if (cost < best_cost) {
            best_cost = cost;
            best.brute = 0;
            best.m = m;
            best.r = r;
        }
    }
    if (!best.brute) {
        int shift = 0;
        for (int i = 0; i < best.m; i++) {
            int bits = 64 / best.m + (i < 64 % best.m);
            best.ch[i].shift = shift;
            best.ch[i].bits = bits;
            shift += bits;
        }
    }
    return best;
}

static inline uint32_t chunk_of(uint64_t h, chunk c) {
    return (uint32_t)((h >> c.shift) & ((1ull << c.bits) - 1));
}

/* ---- per-worker result sinks ------------------------------------------------- */

typedef struct {
    ts_hamming_pair *pairs;
    size_t count, cap;
    uint32_t *uf; /* clusters mode: a union-find over all items */
    int oom;
} sink;


static void emit(sink *s, uint32_t a, uint32_t b, int d) {
    if (s->uf) {
        ts_uf_union(s->uf, a, b);
        return;
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        ts_hamming_pair *p = ts_realloc_array(NULL, s->pairs, cap, sizeof *p);
        if (!p) {
            s->oom = 1;
            return;
        }
        s->pairs = p;
        s->cap = cap;
    }
    ts_hamming_pair *p = &s->pairs[s->count++];
    p->a = a;
    p->b = b;
    p->distance = (uint32_t)d;
}

/* ---- bucket tables ------------------------------------------------------------- */

typedef struct {
    uint32_t *off; /* 2^bits + 1 bucket starts */
    uint64_t *h;   /* hashes in bucket order */
    uint32_t *idx; /* their indices, ascending within a bucket */
    uint32_t *used; /* the non-empty buckets, ascending */
    size_t n_used;
} table;

static void table_free(table *t) {
    free(t->off);
    free(t->h);
    free(t->idx);
    free(t->used);
    memset(t, 0, sizeof *t);
}

static ts_status table_build(ts_ctx *ctx, const uint64_t *hs, size_t n, chunk c, table *t) {
    size_t nb = (size_t)1 << c.bits;
    t->off = ts_calloc_array(ctx, nb + 1, sizeof *t->off);
    t->h = ts_alloc_array(ctx, n ? n : 1, sizeof *t->h);
    t->idx = ts_alloc_array(ctx, n ? n : 1, sizeof *t->idx);
    if (!t->off || !t->h || !t->idx) {
        table_free(t);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) t->off[chunk_of(hs[i], c) + 1]++;
    for (size_t k = 0; k < nb; k++) t->off[k + 1] += t->off[k];
    /* scatter with a moving cursor per bucket, then shift the starts back */
    for (size_t i = 0; i < n; i++) {
        uint32_t k = chunk_of(hs[i], c);
        uint32_t at = t->off[k]++;
        t->h[at] = hs[i];
        t->idx[at] = (uint32_t)i;
    }
    memmove(t->off + 1, t->off, nb * sizeof *t->off);
    t->off[0] = 0;
    /* visiting only non-empty buckets matters when n is below 2^bits */
    size_t used = 0;
    for (size_t k = 0; k < nb; k++) used += t->off[k + 1] > t->off[k];
    t->used = ts_alloc_array(ctx, used ? used : 1, sizeof *t->used);
    if (!t->used) {
        table_free(t);
        return TS_ERR_NOMEM;
    }
    for (size_t k = 0; k < nb; k++)
        if (t->off[k + 1] > t->off[k]) t->used[t->n_used++] = (uint32_t)k;
    return TS_OK;
}

/* Every mask of at most r set bits below 2^bits, in a list. */
static ts_status list_masks(ts_ctx *ctx, int bits, int r, uint32_t **out, size_t *count) {
    size_t total = (size_t)binom_sum(bits, r);
    uint32_t *m = ts_alloc_array(ctx, total ? total : 1, sizeof *m);
    if (!m) return TS_ERR_NOMEM;
    size_t k = 0;
    m[k++] = 0;
    /* grow by adding one bit above the highest set bit of a shorter mask */
    for (size_t i = 0; i < k && k < total; i++) {
        uint32_t base = m[i];
        if (__builtin_popcount(base) >= r) continue;
        int from = base ? 32 - __builtin_clz(base) : 0;
        for (int b = from; b < bits && k < total; b++) m[k++] = base | (1u << b);
    }
    *out = m;
    *count = k;
    return TS_OK;
}

/* ---- the join -------------------------------------------------------------- */

typedef struct {
    const plan *pl;
    int chunk_index;
    int radius;
    int self;
    const table *ta, *tb;
    const uint32_t *masks;
    sink *sinks;
    /* brute force */
    const uint64_t *a, *b;
    size_t na, nb;
} join_job;

/* 1 when an earlier chunk would have found this pair already. */
static int seen_before(const join_job *j, uint64_t x) {
    for (int c = 0; c < j->chunk_index; c++)
        if (__builtin_popcount(chunk_of(x, j->pl->ch[c])) <= j->pl->r) return 1;
    return 0;
}

static void compare_buckets(const join_job *j, sink *s, uint32_t ka, uint32_t kb, int same) {
    const table *ta = j->ta, *tb = j->tb;
    uint32_t a0 = ta->off[ka], a1 = ta->off[ka + 1];
    uint32_t b0 = tb->off[kb], b1 = tb->off[kb + 1];
    if (a0 == a1 || b0 == b1) return;
    for (uint32_t x = a0; x < a1; x++) {
        uint64_t hx = ta->h[x];
        for (uint32_t y = same ? x + 1 : b0; y < b1; y++) {
            uint64_t diff = hx ^ tb->h[y];
            int d = __builtin_popcountll(diff);
            if (d > j->radius) continue;
            if (j->chunk_index > 0 && seen_before(j, diff)) continue;
            uint32_t ia = ta->idx[x], ib = tb->idx[y];
            if (j->self && ia > ib) {
                uint32_t t = ia;
                ia = ib;
                ib = t;
            }
            emit(s, ia, ib, d);
        }
    }
}

static void join_masks(void *user, size_t begin, size_t end, int worker) {
    const join_job *j = user;
    sink *s = &j->sinks[worker];
    const uint32_t *used = j->ta->used;
    size_t n_used = j->ta->n_used;
    for (size_t mi = begin; mi < end; mi++) {
        uint32_t mask = j->masks[mi];
        if (j->self && mask == 0) {
            for (size_t u = 0; u < n_used; u++) compare_buckets(j, s, used[u], used[u], 1);
        } else if (j->self) {
            /* each unordered bucket pair once: the one whose top mask bit is clear */
            uint32_t top = 1u << (31 - __builtin_clz(mask));
            for (size_t u = 0; u < n_used; u++)
                if (!(used[u] & top)) compare_buckets(j, s, used[u], used[u] ^ mask, 0);
        } else {
            for (size_t u = 0; u < n_used; u++) compare_buckets(j, s, used[u], used[u] ^ mask, 0);
        }
    }
}

static void join_brute(void *user, size_t begin, size_t end, int worker) {
    const join_job *j = user;
    sink *s = &j->sinks[worker];
    for (size_t i = begin; i < end; i++) {
        size_t from = j->self ? i + 1 : 0;
        for (size_t k = from; k < j->nb; k++) {
            int d = __builtin_popcountll(j->a[i] ^ j->b[k]);
            if (d <= j->radius) emit(s, (uint32_t)i, (uint32_t)k, d);
        }
    }
}

static int pair_cmp(const void *x, const void *y) {
    const ts_hamming_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return 0;
}

/* Run the join of a (self when b == NULL) into per-worker sinks; with
 * `uf_n` > 0 each sink is a union-find of uf_n items instead of a pair list. */
static ts_status run_join(ts_ctx *ctx, const uint64_t *a, size_t na, const uint64_t *b, size_t nb, int radius,
                          size_t uf_n, sink **sinks_out, int *nsinks_out) {
    if (radius < 0 || radius > MAX_RADIUS)
        return ts_error(ctx, TS_ERR_INVALID, "Hamming threshold %d is outside 0..%d", radius, MAX_RADIUS);
    if (na >= UINT32_MAX || nb >= UINT32_MAX)
        return ts_error(ctx, TS_ERR_LIMIT, "%zu hashes: at most %u are supported", na > nb ? na : nb,
                        UINT32_MAX - 1);
    int self = b == NULL;
    if (self) {
        b = a;
        nb = na;
    }
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    if (st != TS_OK) return st;
    int nw = ts_pool_threads(pool);
    sink *sinks = ts_calloc_array(ctx, (size_t)nw, sizeof *sinks);
    if (!sinks) {
        ts_pool_destroy(pool);
        return TS_ERR_NOMEM;
    }
    for (int w = 0; w < nw && uf_n; w++) {
        sinks[w].uf = ts_alloc_array(ctx, uf_n, sizeof(uint32_t));
        if (!sinks[w].uf) {
            st = TS_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < uf_n; i++) sinks[w].uf[i] = (uint32_t)i;
    }
    plan pl = choose_plan(na, nb, self, radius);
    join_job job = {.pl = &pl, .radius = radius, .self = self, .sinks = sinks, .a = a, .b = b, .na = na, .nb = nb};
    if (st == TS_OK && pl.brute) {
        ts_pool_run(pool, na, 64, join_brute, &job);
    } else if (st == TS_OK) {
        for (int c = 0; c < pl.m && st == TS_OK; c++) {
            table ta = {0}, tb = {0};
            uint32_t *masks = NULL;
            size_t nmasks = 0;
            st = table_build(ctx, a, na, pl.ch[c], &ta);
            if (st == TS_OK && !self) st = table_build(ctx, b, nb, pl.ch[c], &tb);
            if (st == TS_OK) st = list_masks(ctx, pl.ch[c].bits, pl.r, &masks, &nmasks);
            if (st == TS_OK) {
                job.chunk_index = c;
                job.ta = &ta;
                job.tb = self ? &ta : &tb;
                job.masks = masks;
                ts_pool_run(pool, nmasks, 1, join_masks, &job);
                st = ts_progress(ctx, "near-duplicate search", (uint64_t)c + 1, (uint64_t)pl.m);
            }
            free(masks);
            table_free(&ta);
            table_free(&tb);
        }
    }
    ts_pool_destroy(pool);
    for (int w = 0; w < nw && st == TS_OK; w++)
        if (sinks[w].oom) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory collecting near-duplicate pairs");
    if (st != TS_OK) {
        for (int w = 0; w < nw; w++) {
            free(sinks[w].pairs);
            free(sinks[w].uf);
        }
        free(sinks);
        return st;
    }
    *sinks_out = sinks;
    *nsinks_out = nw;
    return TS_OK;
}

static ts_status gather_pairs(ts_ctx *ctx, sink *sinks, int nw, ts_hamming_pair **pairs, size_t *count) {
    size_t total = 0;
    for (int w = 0; w < nw; w++) total += sinks[w].count;
    ts_hamming_pair *all = NULL;
    ts_status st = TS_OK;
    if (total) {
        all = ts_alloc_array(ctx, total, sizeof *all);
        if (!all) st = TS_ERR_NOMEM;
        size_t at = 0;
        for (int w = 0; w < nw && all; w++) {
            if (sinks[w].count) memcpy(all + at, sinks[w].pairs, sinks[w].count * sizeof *all);
            at += sinks[w].count;
        }
        if (all) qsort(all, total, sizeof *all, pair_cmp);
    }
    for (int w = 0; w < nw; w++) free(sinks[w].pairs);
    free(sinks);
    if (st != TS_OK) return st;
    *pairs = all;
    *count = total;
    return TS_OK;
}

ts_status ts_hamming_pairs(ts_ctx *ctx, const uint64_t *hashes, size_t n, int max_distance,
                           ts_hamming_pair **pairs, size_t *count) {
    sink *sinks;
    int nw;
    ts_status st = run_join(ctx, hashes, n, NULL, 0, max_distance, 0, &sinks, &nw);
    if (st != TS_OK) return st;
    return gather_pairs(ctx, sinks, nw, pairs, count);
}

ts_status ts_hamming_cross_pairs(ts_ctx *ctx, const uint64_t *left, size_t n_left, const uint64_t *right,
                                 size_t n_right, int max_distance, ts_hamming_pair **pairs, size_t *count) {
    if (n_left == 0 || n_right == 0) {
        if (max_distance < 0 || max_distance > MAX_RADIUS)
            return ts_error(ctx, TS_ERR_INVALID, "Hamming threshold %d is outside 0..%d", max_distance, MAX_RADIUS);
        *pairs = NULL;
        *count = 0;
        return TS_OK;
    }
    sink *sinks;
    int nw;
    ts_status st = run_join(ctx, left, n_left, right, n_right, max_distance, 0, &sinks, &nw);
    if (st != TS_OK) return st;
    return gather_pairs(ctx, sinks, nw, pairs, count);
}

/* ---- clusters ------------------------------------------------------------------ */

ts_status ts_hamming_clusters(ts_ctx *ctx, const uint64_t *hashes, size_t n, int max_distance,
                              uint32_t *labels, size_t *n_clusters) {
    if (max_distance < 0 || max_distance > MAX_RADIUS)
        return ts_error(ctx, TS_ERR_INVALID, "Hamming threshold %d is outside 0..%d", max_distance, MAX_RADIUS);
    if (n >= UINT32_MAX)
        return ts_error(ctx, TS_ERR_LIMIT, "%zu hashes: at most %u are supported", n, UINT32_MAX - 1);
    if (n == 0) {
        if (n_clusters) *n_clusters = 0;
        return TS_OK;
    }
    /* collapse exact duplicates: sort, then uniq[u] / unique_of[i] */
    uint64_t *key = ts_alloc_array(ctx, n, sizeof *key);
    uint32_t *order = ts_alloc_array(ctx, n, sizeof *order);
    uint32_t *unique_of = ts_alloc_array(ctx, n, sizeof *unique_of);
    ts_status st = key && order && unique_of ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK) {
        memcpy(key, hashes, n * sizeof *key);
        for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
        st = ts_sort_by_key(ctx, key, order, n);
    }
    size_t nu = 0;
    if (st == TS_OK) {
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || key[i] != key[nu - 1]) key[nu++] = key[i];
            unique_of[order[i]] = (uint32_t)(nu - 1);
        }
    }
    free(order);
    sink *sinks = NULL;
    int nw = 0;
    if (st == TS_OK) st = run_join(ctx, key, nu, NULL, 0, max_distance, nu, &sinks, &nw);
    free(key);
    if (st != TS_OK) {
        free(unique_of);
        return st;
    }
    uint32_t *uf = sinks[0].uf;
    for (int w = 1; w < nw; w++) {
        for (size_t u = 0; u < nu; u++) {
            uint32_t r = ts_uf_find(sinks[w].uf, (uint32_t)u);
            if (r != u) ts_uf_union(uf, (uint32_t)u, r);
        }
        free(sinks[w].uf);
    }
    free(sinks);
    /* number clusters by first member; reuse uf roots as the key */
    uint32_t *label_of_root = ts_alloc_array(ctx, nu, sizeof *label_of_root);
    if (!label_of_root) {
        free(uf);
        free(unique_of);
        return TS_ERR_NOMEM;
    }
    for (size_t u = 0; u < nu; u++) label_of_root[u] = UINT32_MAX;
    uint32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = ts_uf_find(uf, unique_of[i]);
        if (label_of_root[r] == UINT32_MAX) label_of_root[r] = next++;
        labels[i] = label_of_root[r];
    }
    free(label_of_root);
    free(uf);
    free(unique_of);
    if (n_clusters) *n_clusters = next;
    return TS_OK;
}
