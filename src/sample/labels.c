/* What the sample module reads from a dataset: per-image class lists,
 * groups (group id, video, attribute, near-duplicate clusters) and the
 * perceptual hashes behind them; plus the seeded shuffle and key sort. */
#include <stdlib.h>
#include <string.h>

#include "sample_internal.h"
#include "trainset/formats.h"

void sample_labels_free(sample_labels *l) {
    free(l->off);
    free(l->cls);
    free(l->inst);
    free(l->class_images);
    free(l->class_instances);
    free(l->rarest);
    memset(l, 0, sizeof *l);
}

ts_status sample_labels_build(ts_ctx *ctx, const ts_dataset *ds, sample_labels *out) {
    sample_labels l = {0};
    size_t ni = ts_dataset_image_count(ds), nc = ts_dataset_category_count(ds);
    size_t na = ts_dataset_annotation_count(ds);
    if (ni >= UINT32_MAX || na >= UINT32_MAX || nc >= UINT32_MAX)
        return ts_error(ctx, TS_ERR_LIMIT, "sampling handles fewer than 2^32 images and annotations");
    l.n_images = ni;
    l.n_classes = nc;
    l.off = ts_calloc_array(ctx, ni + 1, sizeof *l.off);
    uint32_t *img_of = ts_alloc_array(ctx, na ? na : 1, sizeof *img_of);
    uint32_t *cls_of = ts_alloc_array(ctx, na ? na : 1, sizeof *cls_of);
    l.cls = ts_alloc_array(ctx, na ? na : 1, sizeof *l.cls);
    l.inst = ts_alloc_array(ctx, na ? na : 1, sizeof *l.inst);
    l.class_images = ts_calloc_array(ctx, nc ? nc : 1, sizeof *l.class_images);
    l.class_instances = ts_calloc_array(ctx, nc ? nc : 1, sizeof *l.class_instances);
    l.rarest = ts_alloc_array(ctx, ni ? ni : 1, sizeof *l.rarest);
    if (!l.off || !img_of || !cls_of || !l.cls || !l.inst || !l.class_images || !l.class_instances || !l.rarest) {
        free(img_of);
        free(cls_of);
        sample_labels_free(&l);
        return TS_ERR_NOMEM;
    }
    /* annotations that name a known image and category, bucketed by image;
     * lookups are cached because annotations usually come image by image */
    size_t kept = 0, ii = 0, ci = 0;
    int64_t last_img = TS_NO_ID, last_cat = TS_NO_ID;
    int img_ok = 0, cat_ok = 0;
    for (size_t a = 0; a < na; a++) {
        int64_t iid = ts_dataset_annotation_image_id(ds, a), cid = ts_dataset_annotation_category_id(ds, a);
        if (iid != last_img || a == 0) img_ok = ts_dataset_find_image(ds, iid, &ii), last_img = iid;
        if (cid != last_cat || a == 0) cat_ok = ts_dataset_find_category(ds, cid, &ci), last_cat = cid;
        if (!img_ok || !cat_ok) continue;
        ts_annotation ann;
        ts_dataset_annotation(ds, a, &ann);
        if (ann.flags & TS_ANN_NEGATIVE) continue;
        img_of[kept] = (uint32_t)ii;
        cls_of[kept] = (uint32_t)ci;
        kept++;
        l.off[ii + 1]++;
    }
    for (size_t i = 0; i < ni; i++) l.off[i + 1] += l.off[i];
    for (size_t k = 0; k < kept; k++) l.cls[l.off[img_of[k]]++] = cls_of[k];
    memmove(l.off + 1, l.off, ni * sizeof *l.off);
    l.off[0] = 0;
    free(img_of);
    free(cls_of);
    /* per image: sort its classes (few; insertion sort), fold repeats into counts */
    size_t w = 0;
    for (size_t i = 0; i < ni; i++) {
        uint32_t b = l.off[i], e = l.off[i + 1];
        for (uint32_t x = b + 1; x < e; x++) {
            uint32_t v = l.cls[x], y = x;
            while (y > b && l.cls[y - 1] > v) {
                l.cls[y] = l.cls[y - 1];
                y--;
            }
            l.cls[y] = v;
        }
        l.off[i] = (uint32_t)w;
        for (uint32_t x = b; x < e; x++) {
            if (x > b && l.cls[x] == l.cls[x - 1]) {
                l.inst[w - 1]++;
                continue;
            }
            l.cls[w] = l.cls[x];
            l.inst[w] = 1;
            w++;
        }
    }
    l.off[ni] = (uint32_t)w;
    for (size_t k = 0; k < w; k++) {
        l.class_images[l.cls[k]]++;
        l.class_instances[l.cls[k]] += l.inst[k];
    }
    for (size_t i = 0; i < ni; i++) {
        uint32_t best = UINT32_MAX;
        for (uint32_t x = l.off[i]; x < l.off[i + 1]; x++)
            if (best == UINT32_MAX || l.class_images[l.cls[x]] < l.class_images[best]) best = l.cls[x];
        l.rarest[i] = best;
    }
    *out = l;
    return TS_OK;
}

void sample_shuffle(uint32_t *a, size_t n, ts_rng *rng) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ts_rng_below(rng, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

uint64_t sample_double_key(double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | (1ull << 63);
}


ts_status sample_number_groups(ts_ctx *ctx, size_t n, const uint64_t *keys, const uint8_t *has_key,
                               uint32_t *groups, size_t *n_groups) {
    /* sort keyed images by key; a run's first image (stable sort) names it */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += has_key[i] != 0;
    uint64_t *k = ts_alloc_array(ctx, m ? m : 1, sizeof *k);
    uint32_t *idx = ts_alloc_array(ctx, m ? m : 1, sizeof *idx);
    uint32_t *first = ts_alloc_array(ctx, n ? n : 1, sizeof *first);
    if (!k || !idx || !first) {
        free(k), free(idx), free(first);
        return TS_ERR_NOMEM;
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (has_key[i]) {
            k[m] = keys[i];
            idx[m++] = (uint32_t)i;
        }
    ts_status st = ts_sort_by_key(ctx, k, idx, m);
    if (st == TS_OK) {
        for (size_t i = 0; i < n; i++) first[i] = (uint32_t)i;
        for (size_t j = 0, run = 0; j < m; j++) {
            if (j > 0 && k[j] != k[j - 1]) run = j;
            first[idx[j]] = idx[run];
        }
        uint32_t next = 0;
        for (size_t i = 0; i < n; i++) groups[i] = first[i] == i ? next++ : groups[first[i]];
        *n_groups = next;
    }
    free(k), free(idx), free(first);
    return st;
}

/* ---- groups --------------------------------------------------------------- */

ts_group_opts ts_group_opts_default(void) {
    ts_group_opts o = {0};
    o.kind = TS_GROUP_SOURCE;
    o.hash = TS_PHASH_DCT;
    o.threshold = 8;
    return o;
}

int ts_group_kind_parse(const char *text, ts_group_opts *opts) {
    if (!text) return -1;
    if (strcmp(text, "none") == 0) opts->kind = TS_GROUP_NONE;
    else if (strcmp(text, "source") == 0) opts->kind = TS_GROUP_SOURCE;
    else if (strcmp(text, "video") == 0) opts->kind = TS_GROUP_VIDEO;
    else if (strcmp(text, "dedup") == 0) opts->kind = TS_GROUP_DEDUP;
    else if (strncmp(text, "attr:", 5) == 0 && text[5]) {
        opts->kind = TS_GROUP_ATTR;
        opts->attr = text + 5;
    } else {
        return -1;
    }
    return 0;
}

static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    ts_phash_kind kind;
    uint64_t *hashes;
    uint8_t *ok;
    int lenient;
} phash_job;

static void phash_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    phash_job *j = user;
    for (size_t i = begin; i < end; i++) {
        ts_image_entry e;
        ts_dataset_image(j->ds, i, &e);
        ts_decode_opts o = ts_decode_opts_default();
        o.scale_denom = ts_phash_scale_denom(e.width, e.height, 32);
        o.dc_scans_only = 1;
        ts_image img = {0};
        /* failures of a lenient run must not set the shared error */
        ts_ctx *c = j->ctx;
        ts_ctx *local = NULL;
        if (j->lenient && ts_ctx_create(&local) == TS_OK) c = local;
        ts_status st = ts_dataset_load_image(c, j->ds, i, &o, &img, NULL);
        if (st == TS_OK && img.type != TS_PIX_U8) st = ts_error(c, TS_ERR_UNSUPPORTED, "image %lld: not 8-bit", (long long)e.id);
        if (st == TS_OK) st = ts_phash(c, &img, j->kind, &j->hashes[i]);
        ts_image_free(&img);
        if (st != TS_OK && j->lenient) ts_warn(j->ctx, "image %lld (%s) not hashed: %s", (long long)e.id, e.path, ts_ctx_error(c));
        ts_ctx_destroy(local);
        j->ok[i] = st == TS_OK;
        if (st != TS_OK) j->hashes[i] = 0;
    }
}

ts_status ts_dataset_phashes(ts_ctx *ctx, const ts_dataset *ds, ts_phash_kind kind, uint64_t *hashes,
                             uint8_t *ok) {
    size_t n = ts_dataset_image_count(ds);
    uint8_t *flags = ok ? ok : ts_alloc_array(ctx, n ? n : 1, 1);
    if (!flags) return TS_ERR_NOMEM;
    ts_pool *pool = NULL;
    ts_status st = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    if (st == TS_OK) {
        phash_job j = {ctx, ds, kind, hashes, flags, ok != NULL};
        ts_pool_run(pool, n, 16, phash_range, &j);
        ts_pool_destroy(pool);
        for (size_t i = 0; i < n && !ok; i++)
            if (!flags[i]) {
                st = *ts_ctx_error(ctx) ? TS_ERR_IO : ts_error(ctx, TS_ERR_IO, "image index %zu not readable", i);
                break;
            }
    }
    if (!ok) free(flags);
    return st;
}

static ts_status dedup_groups(ts_ctx *ctx, const ts_dataset *ds, const ts_group_opts *opts, uint32_t *groups,
                              size_t *n_groups) {
    size_t n = ts_dataset_image_count(ds);
    uint64_t *hashes = (uint64_t *)opts->hashes;
    uint8_t *ok = NULL;
    uint32_t *cluster = ts_alloc_array(ctx, n ? n : 1, sizeof *cluster);
    uint32_t *by_id = ts_alloc_array(ctx, n ? n : 1, sizeof *by_id);
    ts_status st = cluster && by_id ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK && !hashes) {
        hashes = ts_alloc_array(ctx, n ? n : 1, sizeof *hashes);
        ok = opts->skip_unreadable ? ts_alloc_array(ctx, n ? n : 1, 1) : NULL;
        if (!hashes || (opts->skip_unreadable && !ok)) st = TS_ERR_NOMEM;
        if (st == TS_OK) st = ts_dataset_phashes(ctx, ds, opts->hash, hashes, ok);
    }
    size_t nclusters = 0;
    if (st == TS_OK) st = ts_hamming_clusters(ctx, hashes, n, opts->threshold, cluster, &nclusters);
    /* unreadable images must not cluster through their placeholder hash */
    if (st == TS_OK && ok) {
        uint32_t next = (uint32_t)nclusters;
        for (size_t i = 0; i < n; i++)
            if (!ok[i]) cluster[i] = next++;
    }
    /* join with the source groups: union-find over images */
    if (st == TS_OK) {
        ts_group_opts src = *opts;
        src.kind = TS_GROUP_SOURCE;
        size_t ng;
        st = ts_sample_groups(ctx, ds, &src, by_id, &ng);
    }
    if (st == TS_OK) {
        uint32_t *parent = ts_alloc_array(ctx, n ? n : 1, sizeof *parent);
        uint32_t *first_c = ts_alloc_array(ctx, n ? 2 * n : 1, sizeof *first_c); /* labels < 2n */
        uint32_t *first_g = ts_alloc_array(ctx, n ? n : 1, sizeof *first_g);
        uint64_t *keys = ts_alloc_array(ctx, n ? n : 1, sizeof *keys);
        uint8_t *has = ts_alloc_array(ctx, n ? n : 1, 1);
        if (!parent || !first_c || !first_g || !keys || !has) st = TS_ERR_NOMEM;
        if (st == TS_OK) {
            for (size_t i = 0; i < n; i++) first_c[i] = first_c[n + i] = first_g[i] = UINT32_MAX, parent[i] = (uint32_t)i;
            for (size_t i = 0; i < n; i++) {
                uint32_t c = cluster[i];
                uint32_t links[2] = {first_c[c], first_g[by_id[i]]};
                if (first_c[c] == UINT32_MAX) first_c[c] = (uint32_t)i;
                if (first_g[by_id[i]] == UINT32_MAX) first_g[by_id[i]] = (uint32_t)i;
                for (int k = 0; k < 2; k++) {
                    if (links[k] == UINT32_MAX) continue;
                    ts_uf_union(parent, (uint32_t)i, links[k]);
                }
            }
            for (size_t i = 0; i < n; i++) {
                keys[i] = ts_uf_find(parent, (uint32_t)i);
                has[i] = 1;
            }
            st = sample_number_groups(ctx, n, keys, has, groups, n_groups);
        }
        free(parent), free(first_c), free(first_g), free(keys), free(has);
    }
    if (hashes != opts->hashes) free(hashes);
    free(ok), free(cluster), free(by_id);
    return st;
}

ts_status ts_sample_groups(ts_ctx *ctx, const ts_dataset *ds, const ts_group_opts *opts, uint32_t *groups,
                           size_t *n_groups) {
    ts_group_opts def = ts_group_opts_default();
    if (!opts) opts = &def;
    size_t n = ts_dataset_image_count(ds);
    if (n >= UINT32_MAX) return ts_error(ctx, TS_ERR_LIMIT, "grouping handles fewer than 2^32 images");
    if (opts->kind == TS_GROUP_DEDUP) return dedup_groups(ctx, ds, opts, groups, n_groups);
    if (opts->kind == TS_GROUP_ATTR && (!opts->attr || !*opts->attr))
        return ts_error(ctx, TS_ERR_INVALID, "group by attribute: no attribute name");
    uint64_t *keys = ts_alloc_array(ctx, n ? n : 1, sizeof *keys);
    uint8_t *has = ts_calloc_array(ctx, n ? n : 1, 1);
    if (!keys || !has) {
        free(keys), free(has);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n && opts->kind != TS_GROUP_NONE; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const ts_attr *a = NULL;
        if (opts->kind == TS_GROUP_VIDEO) {
            a = ts_attr_find(e.attrs, e.n_attrs, "video_id");
            if (!a) a = ts_attr_find(e.attrs, e.n_attrs, "video");
        } else if (opts->kind == TS_GROUP_ATTR) {
            a = ts_attr_find(e.attrs, e.n_attrs, opts->attr);
        }
        if (a) {
            /* string values hashed (a collision would merge two groups: 2^-64) */
            keys[i] = ts_hash_bytes(a->value, strlen(a->value), 0x5eed);
            has[i] = 1;
        } else if (opts->kind != TS_GROUP_ATTR && e.group_id != TS_NO_ID) {
            keys[i] = mix((uint64_t)e.group_id);
            has[i] = 1;
        }
    }
    ts_status st = sample_number_groups(ctx, n, keys, has, groups, n_groups);
    free(keys), free(has);
    return st;
}
