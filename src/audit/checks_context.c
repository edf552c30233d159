/* Misleading correlations and coverage. For each class, how well context
 * alone (brightness and colour outside its boxes, image size and shape,
 * source, image attributes) separates its images from the rest, as the
 * AUC of the best single threshold; and which bins of lighting, box size,
 * position and source a class lacks compared with the whole dataset. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

#define MIN_GROUP 10
#define AUC_FLAG 0.85
#define N_NUMERIC 7

static const char *const numeric_names[N_NUMERIC] = {"brightness", "red share", "green share", "blue share",
                                                     "saturation", "image width", "image aspect"};

typedef struct {
    const ts_dataset *ds;
    size_t ni, nc;
    /* distinct classes per image, CSR */
    size_t *first;
    uint32_t *classes;
    uint64_t *class_images; /* per class */
    int has_boxes;
} class_index;

static void index_free(class_index *x) {
    free(x->first);
    free(x->classes);
    free(x->class_images);
}

static ts_status build_index(ts_ctx *ctx, const ts_dataset *ds, class_index *x) {
    memset(x, 0, sizeof *x);
    x->ds = ds;
    x->ni = ts_dataset_image_count(ds);
    x->nc = ts_dataset_category_count(ds);
    size_t na = ts_dataset_annotation_count(ds);
    x->first = ts_calloc_array(ctx, x->ni + 1, sizeof *x->first);
    x->classes = ts_alloc_array(ctx, na ? na : 1, sizeof *x->classes);
    x->class_images = ts_calloc_array(ctx, x->nc ? x->nc : 1, sizeof *x->class_images);
    if (!x->first || !x->classes || !x->class_images) return TS_ERR_NOMEM;
    size_t w = 0;
    for (size_t i = 0; i < x->ni; i++) {
        const size_t *list;
        size_t n;
        ts_status s = ts_dataset_image_annotations(ctx, ds, i, &list, &n);
        if (s != TS_OK) return s;
        size_t start = w;
        for (size_t k = 0; k < n; k++) {
            ts_annotation a;
            ts_dataset_annotation(ds, list[k], &a);
            if (a.flags & TS_ANN_HAS_BOX) x->has_boxes = 1;
            if (a.flags & TS_ANN_NEGATIVE) continue;
            size_t c;
            if (!ts_dataset_find_category(ds, a.category_id, &c)) continue;
            int seen = 0;
            for (size_t j = start; j < w && !seen; j++) seen = x->classes[j] == c;
            if (!seen) x->classes[w++] = (uint32_t)c, x->class_images[c]++;
        }
        x->first[i + 1] = w;
    }
    return TS_OK;
}

static double numeric_feature(const ts_audit *audit, size_t i, int f) {
    const image_record *r = &audit->images[i];
    double sum = r->context_rgb[0] + r->context_rgb[1] + r->context_rgb[2];
    switch (f) {
    case 0: return r->context_brightness;
    case 1: case 2: case 3: return sum > 0 ? r->context_rgb[f - 1] / sum : 1.0 / 3;
    case 4: return r->facts.saturation;
    case 5: return r->facts.width;
    default: return r->facts.height > 0 ? (double)r->facts.width / r->facts.height : 0;
    }
}

typedef struct {
    double value;
    uint32_t image;
} ranked;

static int by_value(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? -1 : 1;
    return (x->image > y->image) - (x->image < y->image);
}

/* The threshold that best separates positives, scanning the sorted values:
 * returns it and whether positives lie above. */
static double best_threshold(const ranked *r, size_t n, const uint8_t *pos, uint64_t npos, int above) {
    uint64_t neg_total = n - npos, pos_below = 0, neg_below = 0;
    double best = -2, t = r[0].value;
    for (size_t k = 0; k + 1 < n; k++) {
        if (pos[r[k].image]) pos_below++;
        else neg_below++;
        if (r[k].value == r[k + 1].value) continue;
        double tpr = above ? (double)(npos - pos_below) / npos : (double)pos_below / npos;
        double fpr = above ? (double)(neg_total - neg_below) / neg_total : (double)neg_below / neg_total;
        if (tpr - fpr > best) best = tpr - fpr, t = (r[k].value + r[k + 1].value) / 2;
    }
    return t;
}

static ts_status correlations(ts_ctx *ctx, ts_audit *audit, const class_index *x, ts_buf *stats) {
    size_t ni = x->ni, nc = x->nc, m = 0;
    ranked *r = ts_alloc_array(ctx, ni ? ni : 1, sizeof *r);
    double *rank = ts_alloc_array(ctx, ni ? ni : 1, sizeof *rank);
    double *rank_sum = ts_alloc_array(ctx, (nc ? nc : 1) * N_NUMERIC, sizeof *rank_sum);
    uint64_t *npos = ts_calloc_array(ctx, nc ? nc : 1, sizeof *npos);
    uint8_t *pos = ts_calloc_array(ctx, ni ? ni : 1, 1);
    ts_status s = (!r || !rank || !rank_sum || !npos || !pos) ? TS_ERR_NOMEM : TS_OK;
    for (size_t i = 0; s == TS_OK && i < ni; i++)
        if (audit->images[i].facts.readable)
            for (size_t k = x->first[i]; k < x->first[i + 1]; k++) npos[x->classes[k]]++;
    for (size_t i = 0; s == TS_OK && i < ni; i++) m += audit->images[i].facts.readable;
    for (int f = 0; s == TS_OK && f < N_NUMERIC; f++) {
        size_t w = 0;
        for (size_t i = 0; i < ni; i++)
            if (audit->images[i].facts.readable) r[w++] = (ranked){numeric_feature(audit, i, f), (uint32_t)i};
        qsort(r, w, sizeof *r, by_value);
        for (size_t k = 0; k < w;) { /* average ranks over ties, 1-based */
            size_t e = k;
            while (e + 1 < w && r[e + 1].value == r[k].value) e++;
            for (size_t j = k; j <= e; j++) rank[r[j].image] = (double)(k + e) / 2 + 1;
            k = e + 1;
        }
        for (size_t c = 0; c < nc; c++) rank_sum[c * N_NUMERIC + f] = 0;
        for (size_t i = 0; i < ni; i++)
            if (audit->images[i].facts.readable)
                for (size_t k = x->first[i]; k < x->first[i + 1]; k++) rank_sum[x->classes[k] * N_NUMERIC + f] += rank[i];
    }
    for (size_t c = 0; s == TS_OK && c < nc; c++) {
        uint64_t p = npos[c], q = m - p;
        if (p < MIN_GROUP || q < MIN_GROUP) continue;
        int best_f = -1;
        double best_auc = 0.5;
        for (int f = 0; f < N_NUMERIC; f++) {
            double auc = (rank_sum[c * N_NUMERIC + f] - (double)p * (p + 1) / 2) / ((double)p * q);
            if (fabs(auc - 0.5) > fabs(best_auc - 0.5)) best_auc = auc, best_f = f;
        }
        ts_category cat;
        ts_dataset_category(x->ds, c, &cat);
        if (best_f >= 0) {
            if (stats->len > 1) s = ts_buf_puts(stats, ", ");
            if (s == TS_OK) s = ts_buf_puts(stats, "{\"class\": ");
            if (s == TS_OK) s = ts_buf_put_json_string(stats, cat.name);
            if (s == TS_OK)
                s = ts_buf_printf(stats, ", \"feature\": \"%s\", \"auc\": %.4f}", numeric_names[best_f], best_auc);
        }
        if (s != TS_OK || best_f < 0 || (best_auc < AUC_FLAG && best_auc > 1 - AUC_FLAG)) continue;
        /* re-sort by the flagged feature for its threshold */
        size_t w = 0;
        for (size_t i = 0; i < ni; i++) {
            pos[i] = 0;
            if (!audit->images[i].facts.readable) continue;
            r[w++] = (ranked){numeric_feature(audit, i, best_f), (uint32_t)i};
            for (size_t k = x->first[i]; k < x->first[i + 1]; k++) pos[i] |= x->classes[k] == c;
        }
        qsort(r, w, sizeof *r, by_value);
        int above = best_auc > 0.5;
        double t = best_threshold(r, w, pos, p, above);
        int pixel_feature = best_f <= 4;
        const char *where = x->has_boxes ? "outside its boxes" : "of the whole image";
        finding *fd = audit_finding(
            audit, "context-correlation", x->has_boxes || !pixel_feature ? TS_SEVERITY_WARNING : TS_SEVERITY_INFO,
            "class '%s' is predicted by %s %s %s %.3g with AUC %.2f: a model can learn this shortcut instead of the "
            "object; collect '%s' in other conditions or balance the others",
            cat.name, numeric_names[best_f], pixel_feature ? where : "", above ? ">" : "<", t,
            above ? best_auc : 1 - best_auc, cat.name);
        if (!fd) {
            s = TS_ERR_NOMEM;
            break;
        }
        for (size_t k = 0; k < w && s == TS_OK; k++) {
            uint32_t i = r[k].image;
            if (pos[i] && (above ? r[k].value > t : r[k].value < t)) {
                fd->count++;
                s = audit_add_image(fd, ts_dataset_image_id(x->ds, i));
            }
        }
    }
    free(r);
    free(rank);
    free(rank_sum);
    free(npos);
    free(pos);
    return s;
}

/* Categorical context: a source (or image attribute) value that holds most
 * of a class and little else. */
static ts_status source_correlations(ts_ctx *ctx, ts_audit *audit, const class_index *x) {
    size_t ni = x->ni, nc = x->nc;
    const char **values = ts_calloc_array(ctx, ni + 1, sizeof *values);
    uint32_t *value_of = ts_alloc_array(ctx, ni ? ni : 1, sizeof *value_of);
    ts_status s = (!values || !value_of) ? TS_ERR_NOMEM : TS_OK;
    size_t nv = 0;
    for (size_t i = 0; s == TS_OK && i < ni && nv <= 64; i++) {
        ts_image_entry e;
        ts_dataset_image(x->ds, i, &e);
        size_t k = 0;
        while (k < nv && values[k] != e.source) k++;
        if (k == nv) values[nv++] = e.source;
        value_of[i] = (uint32_t)k;
    }
    if (s != TS_OK || nv < 2 || nv > 64) {
        free(values);
        free(value_of);
        return s;
    }
    uint64_t *count = ts_calloc_array(ctx, nv, sizeof *count), *pos = ts_calloc_array(ctx, nv, sizeof *pos);
    if (!count || !pos) s = TS_ERR_NOMEM;
    for (size_t i = 0; s == TS_OK && i < ni; i++) count[value_of[i]]++;
    for (size_t c = 0; s == TS_OK && c < nc; c++) {
        uint64_t p = x->class_images[c], q = ni - p;
        if (p < MIN_GROUP || q < MIN_GROUP) continue;
        memset(pos, 0, nv * sizeof *pos);
        for (size_t i = 0; i < ni; i++)
            for (size_t k = x->first[i]; k < x->first[i + 1]; k++)
                if (x->classes[k] == c) pos[value_of[i]]++;
        for (size_t v = 0; v < nv && s == TS_OK; v++) {
            double tpr = (double)pos[v] / p, tnr = 1 - (double)(count[v] - pos[v]) / q;
            double auc = (tpr + tnr) / 2;
            if (auc < AUC_FLAG) continue;
            ts_category cat;
            ts_dataset_category(x->ds, c, &cat);
            finding *f = audit_finding(audit, "context-correlation", TS_SEVERITY_WARNING,
                                       "class '%s' is predicted by source == '%s' with AUC %.2f (%.0f%% of the class comes "
                                       "from it, %.0f%% of the rest): a model can learn the source instead of the object",
                                       cat.name, values[v], auc, 100 * tpr, 100 * (1 - tnr));
            if (!f) {
                s = TS_ERR_NOMEM;
                break;
            }
            f->count = pos[v];
        }
    }
    free(count);
    free(pos);
    free(values);
    free(value_of);
    return s;
}

/* Flag the bins where the dataset has at least 10% of its mass but a class
 * has under a fifth of its share. counts: [class][bin], all: [bin]. */
static ts_status flag_gaps(ts_audit *audit, const class_index *x, const uint64_t *counts, const uint64_t *all, int nbins,
                           const char *const *names, const char *unit) {
    uint64_t total = 0;
    for (int b = 0; b < nbins; b++) total += all[b];
    ts_status s = TS_OK;
    for (size_t c = 0; c < x->nc && s == TS_OK && total; c++) {
        uint64_t t = 0;
        for (int b = 0; b < nbins; b++) t += counts[c * nbins + b];
        if (t < 2 * MIN_GROUP) continue;
        for (int b = 0; b < nbins && s == TS_OK; b++) {
            double share = (double)all[b] / total, expected = share * t;
            if (share < 0.10 || counts[c * nbins + b] >= 0.2 * expected) continue;
            ts_category cat;
            ts_dataset_category(x->ds, c, &cat);
            finding *f = audit_finding(audit, "coverage-gap", TS_SEVERITY_INFO,
                                       "class '%s' has %llu %s %s where the dataset's mix would give %.0f: collect "
                                       "more '%s' like that, or expect the model to fail there",
                                       cat.name, (unsigned long long)counts[c * nbins + b], names[b], unit, expected,
                                       cat.name);
            if (!f) s = TS_ERR_NOMEM;
            else f->count = 1;
        }
    }
    return s;
}

/* Coverage per class: lighting of its images; size and position of its
 * boxes (when the dataset has boxes). */
static ts_status coverage(ts_ctx *ctx, ts_audit *audit, const class_index *x) {
    static const char *const light[] = {"dark (brightness < 0.3)", "mid-brightness", "bright (brightness > 0.7)"};
    static const char *const sizes[] = {"small (< 32x32 px)", "medium", "large (> 96x96 px)"};
    static const char *const places[] = {"top-left", "top", "top-right", "left", "centre", "right",
                                         "bottom-left", "bottom", "bottom-right"};
    size_t ni = x->ni, nc = x->nc ? x->nc : 1;
    uint64_t *lc = ts_calloc_array(ctx, nc * 3, sizeof *lc), *sc = ts_calloc_array(ctx, nc * 3, sizeof *sc);
    uint64_t *pc = ts_calloc_array(ctx, nc * 9, sizeof *pc);
    uint64_t la[3] = {0}, sa[3] = {0}, pa[9] = {0};
    ts_status s = (!lc || !sc || !pc) ? TS_ERR_NOMEM : TS_OK;
    for (size_t i = 0; s == TS_OK && i < ni; i++) {
        if (!audit->images[i].facts.readable) continue;
        double b = audit->images[i].context_brightness;
        int bin = b < 0.3 ? 0 : b > 0.7 ? 2 : 1;
        la[bin]++;
        for (size_t k = x->first[i]; k < x->first[i + 1]; k++) lc[x->classes[k] * 3 + bin]++;
    }
    size_t na = ts_dataset_annotation_count(x->ds);
    for (size_t a = 0; s == TS_OK && x->has_boxes && a < na; a++) {
        ts_annotation an;
        ts_dataset_annotation(x->ds, a, &an);
        size_t c, img;
        if (!(an.flags & TS_ANN_HAS_BOX) || !(an.bbox[2] > 0) || !(an.bbox[3] > 0) ||
            !ts_dataset_find_category(x->ds, an.category_id, &c) || !ts_dataset_find_image(x->ds, an.image_id, &img))
            continue;
        ts_image_entry e;
        ts_dataset_image(x->ds, img, &e);
        double area = an.bbox[2] * an.bbox[3];
        int sb = area < 32 * 32 ? 0 : area > 96 * 96 ? 2 : 1;
        sa[sb]++, sc[c * 3 + sb]++;
        if (e.width <= 0 || e.height <= 0) continue;
        int gx = (int)fmin(2, fmax(0, 3 * (an.bbox[0] + an.bbox[2] / 2) / e.width));
        int gy = (int)fmin(2, fmax(0, 3 * (an.bbox[1] + an.bbox[3] / 2) / e.height));
        pa[gy * 3 + gx]++, pc[c * 9 + gy * 3 + gx]++;
    }
    if (s == TS_OK) s = flag_gaps(audit, x, lc, la, 3, light, "images");
    if (s == TS_OK && x->has_boxes) s = flag_gaps(audit, x, sc, sa, 3, sizes, "boxes");
    if (s == TS_OK && x->has_boxes) s = flag_gaps(audit, x, pc, pa, 9, places, "boxes (by centre)");
    free(lc), free(sc), free(pc);
    return s;
}

ts_status audit_context(ts_ctx *ctx, ts_audit *audit) {
    int want_ctx = audit_wants(audit, "context-correlation", "context");
    int want_cov = audit_wants(audit, "coverage-gap", "coverage");
    if (!audit->images || (!want_ctx && !want_cov)) return TS_OK;
    class_index x;
    ts_status s = build_index(ctx, audit->ds, &x);
    ts_buf stats = {0};
    if (s == TS_OK) s = ts_buf_putc(&stats, '[');
    if (s == TS_OK && want_ctx) s = correlations(ctx, audit, &x, &stats);
    if (s == TS_OK && want_ctx) s = source_correlations(ctx, audit, &x);
    if (s == TS_OK && want_cov) s = coverage(ctx, audit, &x);
    if (s == TS_OK) s = ts_buf_putc(&stats, ']');
    if (s == TS_OK) s = audit_stat(audit, "context_auc", "%s", stats.data);
    ts_buf_free(&stats);
    index_free(&x);
    return s;
}
