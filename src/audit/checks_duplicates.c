/* Duplicates: exact (same file bytes or same decoded pixels), near (DCT
 * hashes within the Hamming threshold, found by the multi-index search),
 * clusters by single linkage; leakage of clusters across splits or into
 * another dataset; near-duplicates whose labels disagree. */
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

typedef struct {
    uint32_t *parent;
} union_find;

static uint32_t uf_find(union_find *u, uint32_t x) { return ts_uf_find(u->parent, x); }
static void uf_join(union_find *u, uint32_t a, uint32_t b) { ts_uf_union(u->parent, a, b); }

typedef struct {
    uint64_t hash;
    uint32_t index;
} keyed;

static int by_hash(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Join images with equal non-zero `which` hash (0 file, 1 pixels). */
static ts_status join_equal(ts_ctx *ctx, const ts_audit *audit, int which, union_find *u) {
    size_t n = audit->n_images, m = 0;
    keyed *k = ts_alloc_array(ctx, n ? n : 1, sizeof *k);
    if (!k) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const ts_image_facts *f = &audit->images[i].facts;
        uint64_t h = which ? f->pixel_hash : f->file_hash;
        if (f->readable && h) k[m++] = (keyed){h, (uint32_t)i};
    }
    qsort(k, m, sizeof *k, by_hash);
    for (size_t i = 1; i < m; i++)
        if (k[i].hash == k[i - 1].hash) uf_join(u, k[i - 1].index, k[i].index);
    free(k);
    return TS_OK;
}

/* Group members by root into audit->cluster_* (clusters of 2 or more,
 * ordered by their first member). */
static ts_status collect_clusters(ts_ctx *ctx, ts_audit *audit, union_find *u) {
    size_t n = audit->n_images;
    uint32_t *size = ts_calloc_array(ctx, n ? n : 1, sizeof *size);
    if (!size) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) size[uf_find(u, (uint32_t)i)]++;
    size_t clusters = 0, members = 0;
    for (size_t i = 0; i < n; i++)
        if (size[i] > 1) clusters++, members += size[i];
    audit->cluster_first = ts_alloc_array(ctx, clusters + 1, sizeof(size_t));
    audit->cluster_images = ts_alloc_array(ctx, members ? members : 1, sizeof(size_t));
    size_t *slot = ts_alloc_array(ctx, n ? n : 1, sizeof *slot);
    if (!audit->cluster_first || !audit->cluster_images || !slot) {
        free(size);
        free(slot);
        return TS_ERR_NOMEM;
    }
    size_t c = 0, off = 0;
    for (size_t i = 0; i < n; i++) { /* roots are each cluster's smallest index */
        if (size[i] > 1 && uf_find(u, (uint32_t)i) == i) {
            audit->cluster_first[c++] = off;
            slot[i] = off;
            off += size[i];
        }
    }
    audit->cluster_first[c] = off;
    audit->n_clusters = c;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = uf_find(u, (uint32_t)i);
        if (size[r] > 1) audit->cluster_images[slot[r]++] = i;
    }
    free(size);
    free(slot);
    return TS_OK;
}

/* Sorted distinct category ids of an image's annotations, hashed. */
static uint64_t label_set_hash(const ts_dataset *ds, size_t image) {
    const size_t *list;
    size_t n;
    if (ts_dataset_image_annotations(NULL, ds, image, &list, &n) != TS_OK) return 0;
    uint64_t h = 0;
    /* order-independent and multiplicity-independent: xor of distinct ids */
    for (size_t k = 0; k < n; k++) {
        int64_t id = ts_dataset_annotation_category_id(ds, list[k]);
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++) seen = ts_dataset_annotation_category_id(ds, list[j]) == id;
        if (!seen) h ^= ts_hash_bytes(&id, sizeof id, 7);
    }
    return h;
}

static size_t train_split(const ts_audit *audit) {
    for (size_t k = 0; k < audit->n_splits; k++)
        if (strcmp(audit->splits[k], "train") == 0) return k;
    return 0;
}

static ts_status against_other(ts_ctx *ctx, ts_audit *audit, finding *leak) {
    const ts_dataset *other = audit->opts.against;
    size_t m = ts_dataset_image_count(other), n = audit->n_images;
    image_record *rec = ts_calloc_array(ctx, m ? m : 1, sizeof *rec);
    uint64_t *mine = ts_alloc_array(ctx, n ? n : 1, sizeof *mine), *theirs = ts_alloc_array(ctx, m ? m : 1, sizeof *theirs);
    uint32_t *mine_idx = ts_alloc_array(ctx, n ? n : 1, sizeof *mine_idx);
    uint8_t *hit = ts_calloc_array(ctx, n ? n : 1, 1);
    ts_status s = (!rec || !mine || !theirs || !mine_idx || !hit) ? TS_ERR_NOMEM : audit_read_images(ctx, other, rec);
    size_t nm = 0, nt = 0;
    for (size_t i = 0; s == TS_OK && i < n; i++)
        if (audit->images[i].facts.readable) mine_idx[nm] = (uint32_t)i, mine[nm++] = audit->images[i].facts.phash;
    for (size_t j = 0; s == TS_OK && j < m; j++)
        if (rec[j].facts.readable) theirs[nt++] = rec[j].facts.phash;
    ts_hamming_pair *pairs = NULL;
    size_t np = 0;
    if (s == TS_OK) s = ts_hamming_cross_pairs(ctx, mine, nm, theirs, nt, audit->opts.near_threshold, &pairs, &np);
    for (size_t p = 0; s == TS_OK && p < np; p++) hit[mine_idx[pairs[p].a]] = 1;
    uint64_t hits = 0;
    for (size_t i = 0; s == TS_OK && i < n; i++)
        if (hit[i]) hits++, s = audit_add_image(leak, ts_dataset_image_id(audit->ds, i));
    leak->count += hits;
    if (s == TS_OK) s = audit_stat(audit, "leakage_against", "{\"images\": %llu, \"pairs\": %zu}", (unsigned long long)hits, np);
    free(pairs);
    for (size_t j = 0; rec && j < m; j++) free(rec[j].error);
    free(rec);
    free(mine);
    free(theirs);
    free(mine_idx);
    free(hit);
    return s;
}

/* The automatic threshold: 6 for photos, 2 when most images are tiny. */
static int auto_threshold(const ts_audit *audit) {
    size_t tiny = 0, readable = 0;
    for (size_t i = 0; i < audit->n_images; i++) {
        const ts_image_facts *f = &audit->images[i].facts;
        if (!f->readable) continue;
        readable++;
        tiny += (f->width < f->height ? f->width : f->height) < 64;
    }
    return tiny * 2 > readable ? 2 : 6;
}

ts_status audit_duplicates(ts_ctx *ctx, ts_audit *audit) {
    if (!audit->images) return TS_OK;
    if (audit->opts.near_threshold == 0) audit->opts.near_threshold = auto_threshold(audit);
    int want_any = audit_wants(audit, "-", "duplicates") || audit_wants(audit, "label-inconsistent", "consistency");
    if (!want_any) return TS_OK;
    size_t n = audit->n_images;
    union_find exact = {0}, near = {0};
    exact.parent = ts_alloc_array(ctx, n ? n : 1, sizeof(uint32_t));
    near.parent = ts_alloc_array(ctx, n ? n : 1, sizeof(uint32_t));
    uint64_t *hashes = ts_alloc_array(ctx, n ? n : 1, sizeof *hashes);
    uint32_t *idx = ts_alloc_array(ctx, n ? n : 1, sizeof *idx);
    ts_status s = (!exact.parent || !near.parent || !hashes || !idx) ? TS_ERR_NOMEM : TS_OK;
    for (size_t i = 0; s == TS_OK && i < n; i++) exact.parent[i] = near.parent[i] = (uint32_t)i;
    if (s == TS_OK) s = join_equal(ctx, audit, 0, &exact);
    if (s == TS_OK) s = join_equal(ctx, audit, 1, &exact);
    size_t m = 0;
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        if (!audit->images[i].facts.readable) continue;
        idx[m] = (uint32_t)i;
        hashes[m++] = audit->images[i].facts.phash;
        uint32_t r = uf_find(&exact, (uint32_t)i);
        uf_join(&near, r, (uint32_t)i);
    }
    ts_hamming_pair *pairs = NULL;
    size_t np = 0;
    if (s == TS_OK) s = ts_hamming_pairs(ctx, hashes, m, audit->opts.near_threshold, &pairs, &np);
    /* a near pair needs both hashes close: the DCT hash finds candidates,
     * the difference hash (gradients) confirms them, which keeps simple
     * silhouettes of different objects apart */
    size_t confirmed = 0;
    for (size_t p = 0; s == TS_OK && p < np; p++) {
        uint32_t a = idx[pairs[p].a], b = idx[pairs[p].b];
        if (ts_hamming64(audit->images[a].facts.dhash, audit->images[b].facts.dhash) > audit->opts.near_threshold) continue;
        uf_join(&near, a, b);
        confirmed++;
    }
    np = confirmed;
    free(pairs);
    if (s == TS_OK) s = collect_clusters(ctx, audit, &near);
    finding *fe = NULL, *fn = NULL, *fl = NULL, *fi = NULL;
    if (s == TS_OK && audit_wants(audit, "duplicate-exact", "duplicates"))
        fe = audit_finding(audit, "duplicate-exact", TS_SEVERITY_WARNING,
                           "exact duplicates (identical file bytes or decoded pixels) inflate the set and bias training; "
                           "`trainset dedup` keeps one of each");
    if (s == TS_OK && audit_wants(audit, "duplicate-near", "duplicates"))
        fn = audit_finding(audit, "duplicate-near", TS_SEVERITY_INFO,
                           "near-duplicates (DCT and difference hashes within Hamming distance %d): re-encodes, resizes or burst frames; "
                           "keep one per cluster with `trainset dedup --threshold %d`, or group them with "
                           "`trainset split --group-by dedup`",
                           audit->opts.near_threshold, audit->opts.near_threshold);
    if (s == TS_OK && audit_wants(audit, "leakage", "duplicates"))
        fl = audit_finding(audit, "leakage", TS_SEVERITY_ERROR,
                           "the same or nearly the same image appears in more than one split (or in the other "
                           "dataset): evaluation scores are inflated; split with `--group-by dedup` or drop them");
    if (s == TS_OK && audit_wants(audit, "label-inconsistent", "consistency"))
        fi = audit_finding(audit, "label-inconsistent", TS_SEVERITY_WARNING,
                           "near-duplicate images carry different labels: at least one is mislabelled; review the "
                           "clusters");
    if (s == TS_OK && ((audit_wants(audit, "duplicate-exact", "duplicates") && !fe) ||
                       (audit_wants(audit, "duplicate-near", "duplicates") && !fn) ||
                       (audit_wants(audit, "leakage", "duplicates") && !fl) ||
                       (audit_wants(audit, "label-inconsistent", "consistency") && !fi)))
        s = TS_ERR_NOMEM;
    /* exact groups: members that are not their group's root are extra copies */
    uint64_t exact_groups = 0, exact_images = 0;
    uint8_t *counted = ts_calloc_array(ctx, n ? n : 1, 1);
    if (!counted) s = TS_ERR_NOMEM;
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        uint32_t r = uf_find(&exact, (uint32_t)i);
        if (r == i) continue;
        exact_images++;
        if (!counted[r]) counted[r] = 1, exact_groups++;
        if (fe) s = audit_add_image(fe, ts_dataset_image_id(audit->ds, i));
    }
    free(counted);
    if (fe) fe->count = exact_groups;
    size_t tr = train_split(audit);
    uint64_t near_clusters = 0, leak_clusters = 0, inconsistent = 0;
    for (size_t k = 0; s == TS_OK && k < audit->n_clusters; k++) {
        const size_t *mem;
        size_t cnt;
        ts_audit_cluster(audit, k, &mem, &cnt);
        int has_near = 0, multi_split = 0, has_train = 0, labels_differ = 0;
        uint64_t labels0 = label_set_hash(audit->ds, mem[0]);
        for (size_t i = 0; i < cnt; i++) {
            if (uf_find(&exact, (uint32_t)mem[i]) != uf_find(&exact, (uint32_t)mem[0])) has_near = 1;
            if (audit->image_split[mem[i]] != audit->image_split[mem[0]]) multi_split = 1;
            if (audit->image_split[mem[i]] == tr) has_train = 1;
            if (label_set_hash(audit->ds, mem[i]) != labels0) labels_differ = 1;
        }
        if (has_near && fn) {
            near_clusters++;
            for (size_t i = 1; i < cnt && s == TS_OK; i++) s = audit_add_image(fn, ts_dataset_image_id(audit->ds, mem[i]));
        }
        if (multi_split && fl) {
            leak_clusters++;
            /* the copies outside the training split (or all but the first split's) leak */
            size_t keep = has_train ? tr : audit->image_split[mem[0]];
            for (size_t i = 0; i < cnt && s == TS_OK; i++)
                if (audit->image_split[mem[i]] != keep) s = audit_add_image(fl, ts_dataset_image_id(audit->ds, mem[i]));
        }
        if (labels_differ && fi) {
            inconsistent++;
            for (size_t i = 0; i < cnt && s == TS_OK; i++) s = audit_add_image(fi, ts_dataset_image_id(audit->ds, mem[i]));
        }
    }
    if (fn) fn->count = near_clusters;
    if (fl) fl->count = leak_clusters;
    if (fi) fi->count = inconsistent;
    if (s == TS_OK && fl && audit->opts.against) s = against_other(ctx, audit, fl);
    if (s == TS_OK) {
        ts_buf ex = {0};
        s = ts_buf_putc(&ex, '[');
        for (size_t k = 0; s == TS_OK && k < audit->n_clusters && k < 20; k++) {
            const size_t *mem;
            size_t cnt;
            ts_audit_cluster(audit, k, &mem, &cnt);
            s = ts_buf_puts(&ex, k ? ", [" : "[");
            for (size_t i = 0; s == TS_OK && i < cnt && i < 10; i++)
                s = ts_buf_printf(&ex, "%s%lld", i ? ", " : "", (long long)ts_dataset_image_id(audit->ds, mem[i]));
            if (s == TS_OK) s = ts_buf_putc(&ex, ']');
        }
        if (s == TS_OK) s = ts_buf_putc(&ex, ']');
        if (s == TS_OK)
            s = audit_stat(audit, "duplicates",
                           "{\"exact_groups\": %llu, \"exact_extra_images\": %llu, \"clusters\": %zu, "
                           "\"near_clusters\": %llu, \"near_pairs\": %zu, \"leaking_clusters\": %llu, "
                           "\"label_inconsistent_clusters\": %llu, \"threshold\": %d, \"example_clusters\": %s}",
                           (unsigned long long)exact_groups, (unsigned long long)exact_images, audit->n_clusters,
                           (unsigned long long)near_clusters, np, (unsigned long long)leak_clusters,
                           (unsigned long long)inconsistent, audit->opts.near_threshold, ex.data);
        ts_buf_free(&ex);
    }
    free(exact.parent);
    free(near.parent);
    free(hashes);
    free(idx);
    return s;
}
