/* Split a dataset: groups never straddle splits; iterative stratification
 * (Sechidis, Tsoumakas, Vlahavas 2011) over groups for multi-label and
 * multi-object images; the split report; subsets as new datasets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample_internal.h"

enum { OP_GROUP_ORDER = 1, OP_TIE = 2 };

typedef struct {
    size_t n;         /* groups */
    uint32_t *size;   /* images per group */
    uint32_t *off;    /* group -> (class, count) rows */
    uint32_t *cls;
    uint32_t *cnt;
} group_labels;

static void group_labels_free(group_labels *g) {
    free(g->size), free(g->off), free(g->cls), free(g->cnt);
    memset(g, 0, sizeof *g);
}

/* Fold image class lists into group class lists: for each class held by
 * any image of the group, how many of its images hold it. */
static ts_status group_labels_build(ts_ctx *ctx, const sample_labels *l, const uint32_t *groups, size_t ng,
                                    group_labels *out) {
    size_t ni = l->n_images, ne = l->off[ni];
    group_labels g = {0};
    g.n = ng;
    g.size = ts_calloc_array(ctx, ng ? ng : 1, sizeof *g.size);
    g.off = ts_calloc_array(ctx, ng + 1, sizeof *g.off);
    g.cls = ts_alloc_array(ctx, ne ? ne : 1, sizeof *g.cls);
    g.cnt = ts_alloc_array(ctx, ne ? ne : 1, sizeof *g.cnt);
    uint32_t *img_off = ts_calloc_array(ctx, ng + 1, sizeof *img_off);
    uint32_t *imgs = ts_alloc_array(ctx, ni ? ni : 1, sizeof *imgs);
    uint32_t *mark = ts_alloc_array(ctx, l->n_classes ? l->n_classes : 1, sizeof *mark);
    uint32_t *pos = ts_alloc_array(ctx, l->n_classes ? l->n_classes : 1, sizeof *pos);
    if (!g.size || !g.off || !g.cls || !g.cnt || !img_off || !imgs || !mark || !pos) {
        free(img_off), free(imgs), free(mark), free(pos);
        group_labels_free(&g);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < ni; i++) img_off[groups[i] + 1]++, g.size[groups[i]]++;
    for (size_t k = 0; k < ng; k++) img_off[k + 1] += img_off[k];
    for (size_t i = 0; i < ni; i++) imgs[img_off[groups[i]]++] = (uint32_t)i;
    memmove(img_off + 1, img_off, ng * sizeof *img_off);
    img_off[0] = 0;
    for (size_t c = 0; c < l->n_classes; c++) mark[c] = UINT32_MAX;
    uint32_t w = 0;
    for (size_t k = 0; k < ng; k++) {
        g.off[k] = w;
        for (uint32_t x = img_off[k]; x < img_off[k + 1]; x++) {
            uint32_t i = imgs[x];
            for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++) {
                uint32_t c = l->cls[y];
                if (mark[c] != k) {
                    mark[c] = (uint32_t)k;
                    pos[c] = w;
                    g.cls[w] = c;
                    g.cnt[w++] = 1;
                } else {
                    g.cnt[pos[c]]++;
                }
            }
        }
    }
    g.off[ng] = w;
    free(img_off), free(imgs), free(mark), free(pos);
    *out = g;
    return TS_OK;
}

/* ---- a min-heap of (remaining examples, class) with lazy deletion ------------ */

typedef struct {
    uint64_t *items; /* remaining << 32 | class */
    size_t n, cap;
} heap;

static ts_status heap_push(ts_ctx *ctx, heap *h, uint64_t v) {
    if (h->n == h->cap && ts_grow(ctx, (void **)&h->items, &h->cap, h->n + 1, sizeof *h->items) != TS_OK)
        return TS_ERR_NOMEM;
    size_t i = h->n++;
    while (i > 0 && h->items[(i - 1) / 2] > v) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = v;
    return TS_OK;
}

static uint64_t heap_pop(heap *h) {
    uint64_t top = h->items[0], v = h->items[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->items[c + 1] < h->items[c]) c++;
        if (h->items[c] >= v) break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->n) h->items[i] = v;
    return top;
}

/* ---- assignment ----------------------------------------------------------- */

typedef struct {
    size_t ns, nc;
    const double *ratio;
    double *want;       /* [ns] images still wanted */
    double *want_class; /* [ns * nc] images of class c still wanted */
    uint64_t seed;
} wants;

/* The split that most wants class c (c == UINT32_MAX: most wants images),
 * then most wants images, then a seeded coin per group. */
static uint32_t pick_split(const wants *w, uint32_t c, uint32_t group) {
    uint32_t best = UINT32_MAX;
    uint64_t best_tie = 0;
    ts_rng rng = ts_rng_for(w->seed, 0, group, OP_TIE);
    for (uint32_t j = 0; j < w->ns; j++) {
        if (w->ratio[j] <= 0) continue;
        uint64_t tie = ts_rng_u64(&rng);
        if (best == UINT32_MAX) {
            best = j, best_tie = tie;
            continue;
        }
        double a = c == UINT32_MAX ? 0 : w->want_class[j * w->nc + c];
        double b = c == UINT32_MAX ? 0 : w->want_class[best * w->nc + c];
        if (a != b) {
            if (a > b) best = j, best_tie = tie;
            continue;
        }
        if (w->want[j] != w->want[best]) {
            if (w->want[j] > w->want[best]) best = j, best_tie = tie;
            continue;
        }
        if (tie > best_tie) best = j, best_tie = tie;
    }
    return best;
}

static void give(wants *w, const group_labels *g, uint32_t k, uint32_t j, uint32_t *split_of_group) {
    split_of_group[k] = j;
    w->want[j] -= g->size[k];
    for (uint32_t y = g->off[k]; y < g->off[k + 1]; y++) w->want_class[j * w->nc + g->cls[y]] -= g->cnt[y];
}

/* Groups in the order they are dealt: largest first, ties by seed. */
static ts_status group_order(ts_ctx *ctx, const group_labels *g, uint64_t seed, uint32_t *order) {
    uint64_t *key = ts_alloc_array(ctx, g->n ? g->n : 1, sizeof *key);
    if (!key) return TS_ERR_NOMEM;
    for (size_t k = 0; k < g->n; k++) {
        ts_rng r = ts_rng_for(seed, 0, k, OP_GROUP_ORDER);
        key[k] = ((uint64_t)(UINT32_MAX - g->size[k]) << 32) | ts_rng_u32(&r);
        order[k] = (uint32_t)k;
    }
    ts_status st = ts_sort_by_key(ctx, key, order, g->n);
    free(key);
    return st;
}

static ts_status stratify(ts_ctx *ctx, const group_labels *g, size_t nc, const uint32_t *order, wants *w,
                          uint32_t *split_of_group) {
    size_t ne = g->off[g->n];
    /* class -> its groups, in dealing order */
    uint32_t *coff = ts_calloc_array(ctx, nc + 1, sizeof *coff);
    uint32_t *cgroups = ts_alloc_array(ctx, ne ? ne : 1, sizeof *cgroups);
    uint64_t *remaining = ts_calloc_array(ctx, nc ? nc : 1, sizeof *remaining);
    heap h = {0};
    ts_status st = coff && cgroups && remaining ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK) {
        for (size_t y = 0; y < ne; y++) coff[g->cls[y] + 1]++, remaining[g->cls[y]] += g->cnt[y];
        for (size_t c = 0; c < nc; c++) coff[c + 1] += coff[c];
        for (size_t x = 0; x < g->n; x++) {
            uint32_t k = order[x];
            for (uint32_t y = g->off[k]; y < g->off[k + 1]; y++) cgroups[coff[g->cls[y]]++] = k;
        }
        memmove(coff + 1, coff, nc * sizeof *coff);
        coff[0] = 0;
        for (size_t c = 0; c < nc && st == TS_OK; c++)
            if (remaining[c]) st = heap_push(ctx, &h, remaining[c] << 32 | c);
    }
    while (st == TS_OK && h.n) {
        uint64_t top = heap_pop(&h);
        uint32_t c = (uint32_t)top;
        if ((top >> 32) != remaining[c] || remaining[c] == 0) continue; /* stale */
        for (uint32_t x = coff[c]; x < coff[c + 1] && st == TS_OK; x++) {
            uint32_t k = cgroups[x];
            if (split_of_group[k] != UINT32_MAX) continue;
            give(w, g, k, pick_split(w, c, k), split_of_group);
            for (uint32_t y = g->off[k]; y < g->off[k + 1] && st == TS_OK; y++) {
                uint32_t c2 = g->cls[y];
                remaining[c2] -= g->cnt[y];
                if (c2 != c && remaining[c2]) st = heap_push(ctx, &h, remaining[c2] << 32 | c2);
            }
        }
    }
    free(coff), free(cgroups), free(remaining), free(h.items);
    return st;
}

void ts_split_report_free(ts_split_report *r) {
    if (!r) return;
    free(r->images), free(r->target), free(r->class_images), free(r->class_total);
    memset(r, 0, sizeof *r);
}

static ts_status check_ratios(ts_ctx *ctx, const ts_split_opts *o) {
    if (!o || o->n_splits < 1 || o->n_splits > TS_SPLIT_MAX || !o->ratios)
        return ts_error(ctx, TS_ERR_INVALID, "split: need 1 to %d ratios", TS_SPLIT_MAX);
    double sum = 0;
    for (size_t j = 0; j < o->n_splits; j++) {
        if (!(o->ratios[j] >= 0 && o->ratios[j] <= 1))
            return ts_error(ctx, TS_ERR_INVALID, "split: ratio %zu is %g; ratios lie in [0, 1]", j + 1, o->ratios[j]);
        sum += o->ratios[j];
    }
    if (fabs(sum - 1) > 1e-6) {
        ts_buf b = {0};
        for (size_t j = 0; j < o->n_splits; j++) ts_buf_printf(&b, "%s%g", j ? " + " : "", o->ratios[j]);
        ts_status st = ts_error(ctx, TS_ERR_INVALID, "split: ratios %s sum to %.6g, not 1", b.data ? b.data : "", sum);
        ts_buf_free(&b);
        return st;
    }
    return TS_OK;
}

/* Refuse (or warn, best effort) when a class cannot be in every split. */
static ts_status check_stratifiable(ts_ctx *ctx, const ts_dataset *ds, const group_labels *g, size_t nc,
                                    size_t nonzero, int best_effort) {
    uint32_t *groups_of = ts_calloc_array(ctx, nc ? nc : 1, sizeof *groups_of);
    if (!groups_of) return TS_ERR_NOMEM;
    for (size_t y = 0; y < g->off[g->n]; y++) groups_of[g->cls[y]]++;
    size_t bad = 0;
    ts_buf list = {0};
    for (size_t c = 0; c < nc; c++) {
        if (groups_of[c] == 0 || groups_of[c] >= nonzero) continue;
        if (bad++ < 5) {
            ts_category cat;
            ts_dataset_category(ds, c, &cat);
            ts_buf_printf(&list, "%s'%s' (%u group%s)", bad > 1 ? ", " : "", cat.name, groups_of[c],
                          groups_of[c] == 1 ? "" : "s");
        }
    }
    free(groups_of);
    ts_status st = TS_OK;
    if (bad) {
        const char *what = bad == 1 ? " is" : "es are", *it = bad == 1 ? "it" : "they";
        const char *more = bad > 5 ? ", ..." : "";
        if (best_effort)
            ts_warn(ctx, "--stratify: %zu class%s in fewer images/groups than the %zu splits, so %s cannot be in "
                    "every split: %s%s", bad, what, nonzero, it, list.data, more);
        else
            st = ts_error(ctx, TS_ERR_INVALID,
                          "--stratify: %zu class%s in fewer images/groups than the %zu splits, so %s cannot be in "
                          "every split: %s%s (use --best-effort to split anyway)",
                          bad, what, nonzero, it, list.data, more);
    }
    ts_buf_free(&list);
    return st;
}

static ts_status fill_report(ts_ctx *ctx, const sample_labels *l, const ts_split_opts *o, const uint32_t *split_of,
                             size_t ng, size_t largest, ts_split_report *r) {
    size_t ns = o->n_splits, nc = l->n_classes;
    memset(r, 0, sizeof *r);
    r->n_splits = ns;
    r->n_classes = nc;
    r->n_images = l->n_images;
    r->n_groups = ng;
    r->largest_group = largest;
    r->images = ts_calloc_array(ctx, ns, sizeof *r->images);
    r->target = ts_calloc_array(ctx, ns, sizeof *r->target);
    r->class_images = ts_calloc_array(ctx, ns * (nc ? nc : 1), sizeof *r->class_images);
    r->class_total = ts_calloc_array(ctx, nc ? nc : 1, sizeof *r->class_total);
    if (!r->images || !r->target || !r->class_images || !r->class_total) {
        ts_split_report_free(r);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; i < l->n_images; i++) {
        r->images[split_of[i]]++;
        for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++) r->class_images[split_of[i] * nc + l->cls[y]]++;
    }
    for (size_t c = 0; c < nc; c++) r->class_total[c] = l->class_images[c];
    size_t terms = 0;
    for (size_t j = 0; j < ns; j++) {
        r->target[j] = o->ratios[j] * (double)l->n_images;
        for (size_t c = 0; c < nc; c++) {
            if (!l->class_images[c]) continue;
            double dev = fabs((double)r->class_images[j * nc + c] / (double)l->class_images[c] - o->ratios[j]);
            if (dev > r->max_deviation) r->max_deviation = dev;
            r->mean_deviation += dev;
            terms++;
        }
    }
    if (terms) r->mean_deviation /= (double)terms;
    return TS_OK;
}

ts_status ts_split_assign(ts_ctx *ctx, const ts_dataset *ds, const uint32_t *groups, const ts_split_opts *opts,
                          uint32_t *split_of, ts_split_report *report) {
    ts_status st = check_ratios(ctx, opts);
    if (st != TS_OK) return st;
    size_t ni = ts_dataset_image_count(ds), ns = opts->n_splits;
    sample_labels l;
    st = sample_labels_build(ctx, ds, &l);
    if (st != TS_OK) return st;
    size_t nc = l.n_classes;
    uint32_t *own = NULL;
    size_t ng = 0;
    if (groups) {
        for (size_t i = 0; i < ni; i++)
            if (groups[i] + (size_t)1 > ng) ng = groups[i] + (size_t)1;
    } else {
        own = ts_alloc_array(ctx, ni ? ni : 1, sizeof *own);
        if (!own) {
            sample_labels_free(&l);
            return TS_ERR_NOMEM;
        }
        for (size_t i = 0; i < ni; i++) own[i] = (uint32_t)i;
        groups = own;
        ng = ni;
    }
    group_labels g = {0};
    wants w = {ns, nc, opts->ratios, NULL, NULL, opts->seed};
    uint32_t *order = ts_alloc_array(ctx, ng ? ng : 1, sizeof *order);
    uint32_t *split_of_group = ts_alloc_array(ctx, ng ? ng : 1, sizeof *split_of_group);
    w.want = ts_alloc_array(ctx, ns, sizeof *w.want);
    w.want_class = ts_alloc_array(ctx, ns * (nc ? nc : 1), sizeof *w.want_class);
    if (!order || !split_of_group || !w.want || !w.want_class) st = TS_ERR_NOMEM;
    if (st == TS_OK) st = group_labels_build(ctx, &l, groups, ng, &g);
    size_t largest = 0, largest_at = 0, nonzero = 0;
    double max_target = 0;
    if (st == TS_OK) {
        for (size_t k = 0; k < ng; k++)
            if (g.size[k] > largest) largest = g.size[k], largest_at = k;
        for (size_t j = 0; j < ns; j++) {
            w.want[j] = opts->ratios[j] * (double)ni;
            if (w.want[j] > max_target) max_target = w.want[j];
            nonzero += opts->ratios[j] > 0;
            for (size_t c = 0; c < nc; c++) w.want_class[j * nc + c] = opts->ratios[j] * (double)l.class_images[c];
        }
        if (ni && (double)largest > max_target + 0.5) {
            size_t first = 0;
            while (first < ni && groups[first] != largest_at) first++;
            const char *fmt = "a group (that of image %lld) has %zu images, more than the largest split wants "
                              "(%.6g of %zu images)%s";
            long long id = (long long)ts_dataset_image_id(ds, first);
            if (opts->best_effort) ts_warn(ctx, fmt, id, largest, max_target, ni, "");
            else st = ts_error(ctx, TS_ERR_INVALID, fmt, id, largest, max_target, ni, "; use --best-effort to split anyway");
        }
    }
    if (st == TS_OK && opts->stratify) st = check_stratifiable(ctx, ds, &g, nc, nonzero, opts->best_effort);
    if (st == TS_OK) st = group_order(ctx, &g, opts->seed, order);
    if (st == TS_OK) {
        for (size_t k = 0; k < ng; k++) split_of_group[k] = UINT32_MAX;
        if (opts->stratify) st = stratify(ctx, &g, nc, order, &w, split_of_group);
    }
    if (st == TS_OK) {
        /* what stratification left (unlabelled groups), or everything */
        for (size_t x = 0; x < ng; x++) {
            uint32_t k = order[x];
            if (split_of_group[k] == UINT32_MAX) give(&w, &g, k, pick_split(&w, UINT32_MAX, k), split_of_group);
        }
        size_t *count = ts_calloc_array(ctx, ns, sizeof *count);
        if (!count) st = TS_ERR_NOMEM;
        for (size_t i = 0; i < ni && count; i++) count[split_of_group[groups[i]]]++;
        for (size_t j = 0; j < ns && st == TS_OK; j++) {
            if (opts->ratios[j] <= 0 || count[j] > 0 || ni == 0) continue;
            const char *fmt = "split %zu (ratio %g, %.3g of %zu images) got no images: the groups are too large "
                              "or too few (%zu groups, largest %zu images)%s";
            if (opts->best_effort) ts_warn(ctx, fmt, j + 1, opts->ratios[j], opts->ratios[j] * (double)ni, ni, ng, largest, "");
            else st = ts_error(ctx, TS_ERR_INVALID, fmt, j + 1, opts->ratios[j], opts->ratios[j] * (double)ni, ni, ng,
                               largest, "; use --best-effort to split anyway");
        }
        free(count);
    }
    if (st == TS_OK) {
        for (size_t i = 0; i < ni; i++) split_of[i] = split_of_group[groups[i]];
        if (report) st = fill_report(ctx, &l, opts, split_of, ng, largest, report);
    }
    free(order), free(split_of_group), free(w.want), free(w.want_class), free(own);
    group_labels_free(&g);
    sample_labels_free(&l);
    return st;
}

/* ---- subsets -------------------------------------------------------------- */

ts_status ts_sample_subset(ts_ctx *ctx, const ts_dataset *ds, const uint8_t *keep, const char *split,
                           ts_dataset **out) {
    ts_dataset *d = NULL;
    ts_status st = ts_dataset_create(ctx, &d);
    for (size_t k = 0; st == TS_OK && k < ts_dataset_meta_count(ds); k++) {
        const char *key, *value;
        ts_dataset_meta_at(ds, k, &key, &value);
        st = ts_dataset_set_meta(ctx, d, key, value);
    }
    if (st == TS_OK) st = ts_dataset_set_root(ctx, d, ts_dataset_origin(ds, 0).root);
    for (size_t c = 0; st == TS_OK && c < ts_dataset_category_count(ds); c++) {
        ts_category cat;
        ts_dataset_category(ds, c, &cat);
        st = ts_dataset_add_category(ctx, d, &cat, NULL);
    }
    size_t ni = ts_dataset_image_count(ds);
    for (size_t i = 0; st == TS_OK && i < ni; i++) {
        if (!keep[i]) continue;
        size_t at;
        st = ts_dataset_copy_image(ctx, d, ds, i, TS_NO_ID, &at);
        if (st == TS_OK && split) {
            ts_image_entry e;
            ts_dataset_image(d, at, &e);
            e.split = split;
            st = ts_dataset_update_image(ctx, d, at, &e);
        }
        const size_t *anns = NULL;
        size_t na = 0;
        if (st == TS_OK) st = ts_dataset_image_annotations(ctx, ds, i, &anns, &na);
        for (size_t k = 0; st == TS_OK && k < na; k++) {
            ts_annotation a;
            ts_dataset_annotation(ds, anns[k], &a);
            st = ts_dataset_add_annotation(ctx, d, &a, NULL);
        }
    }
    if (st != TS_OK) {
        ts_dataset_destroy(d);
        return st;
    }
    *out = d;
    return TS_OK;
}
