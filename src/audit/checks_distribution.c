/* Distribution checks and statistics: class counts per split, imbalance
 * ratio and entropy, rare classes, objects per image, box size / aspect
 * histograms and centre heatmaps, and boxes far from their class's mean. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

#define SIZE_BINS 12   /* log2 of sqrt(box area): <2, 2..3, ..., >=12 px */
#define ASPECT_BINS 9  /* log2(w/h) from -4 to 4 */
#define HEAT 8         /* centre heatmap cells per side */

typedef struct {
    uint64_t *anns;   /* [class][split] */
    uint64_t *images; /* [class][split] */
    uint64_t *heat;   /* [class][HEAT*HEAT] */
    double *sum, *sum2, *asum, *asum2; /* per class: log area ratio and log aspect */
    uint64_t *boxes;
} class_stats;

static void stats_free(class_stats *c) {
    free(c->anns);
    free(c->images);
    free(c->heat);
    free(c->sum);
    free(c->sum2);
    free(c->asum);
    free(c->asum2);
    free(c->boxes);
}

static int box_features(const ts_dataset *ds, const ts_annotation *a, double *log_area, double *log_aspect,
                        double *cx, double *cy) {
    size_t img;
    if (!(a->flags & TS_ANN_HAS_BOX) || !(a->bbox[2] > 0) || !(a->bbox[3] > 0) || !isfinite(a->bbox[0]) ||
        !ts_dataset_find_image(ds, a->image_id, &img))
        return 0;
    ts_image_entry e;
    ts_dataset_image(ds, img, &e);
    if (e.width <= 0 || e.height <= 0) return 0;
    *log_area = log(a->bbox[2] * a->bbox[3] / ((double)e.width * e.height));
    *log_aspect = log(a->bbox[2] / a->bbox[3]);
    *cx = (a->bbox[0] + a->bbox[2] / 2) / e.width;
    *cy = (a->bbox[1] + a->bbox[3] / 2) / e.height;
    return 1;
}

static int bin_of(double v, double lo, double step, int bins) {
    int b = (int)floor((v - lo) / step);
    return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

static ts_status put_array(ts_buf *b, const uint64_t *v, size_t n) {
    ts_status s = ts_buf_putc(b, '[');
    for (size_t i = 0; i < n && s == TS_OK; i++) s = ts_buf_printf(b, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
    return s == TS_OK ? ts_buf_putc(b, ']') : s;
}

ts_status audit_distribution(ts_ctx *ctx, ts_audit *audit) {
    const ts_dataset *ds = audit->ds;
    size_t nc = ts_dataset_category_count(ds), ns = audit->n_splits ? audit->n_splits : 1;
    size_t ni = ts_dataset_image_count(ds), na = ts_dataset_annotation_count(ds);
    class_stats c;
    size_t k1 = nc ? nc : 1;
    c.anns = ts_calloc_array(ctx, k1 * ns, sizeof *c.anns);
    c.images = ts_calloc_array(ctx, k1 * ns, sizeof *c.images);
    c.heat = ts_calloc_array(ctx, k1 * HEAT * HEAT, sizeof *c.heat);
    c.sum = ts_calloc_array(ctx, k1, sizeof(double));
    c.sum2 = ts_calloc_array(ctx, k1, sizeof(double));
    c.asum = ts_calloc_array(ctx, k1, sizeof(double));
    c.asum2 = ts_calloc_array(ctx, k1, sizeof(double));
    c.boxes = ts_calloc_array(ctx, k1, sizeof(uint64_t));
    size_t *last = ts_alloc_array(ctx, k1, sizeof *last);
    uint64_t size_hist[SIZE_BINS] = {0}, aspect_hist[ASPECT_BINS] = {0}, per_image[8] = {0};
    ts_status s = (!c.anns || !c.images || !c.heat || !c.sum || !c.sum2 || !c.asum || !c.asum2 || !c.boxes || !last)
                      ? TS_ERR_NOMEM
                      : TS_OK;
    for (size_t k = 0; s == TS_OK && k < nc; k++) last[k] = SIZE_MAX;
    static const uint64_t per_image_edges[] = {0, 1, 2, 5, 10, 20, 50};
    for (size_t i = 0; s == TS_OK && i < ni; i++) {
        const size_t *list;
        size_t n;
        if ((s = ts_dataset_image_annotations(ctx, ds, i, &list, &n)) != TS_OK) break;
        int b = 7;
        for (int e = 0; e < 7; e++)
            if (n <= per_image_edges[e]) {
                b = e;
                break;
            }
        per_image[b]++;
        for (size_t k = 0; k < n; k++) {
            size_t cat;
            if (!ts_dataset_find_category(ds, ts_dataset_annotation_category_id(ds, list[k]), &cat)) continue;
            c.anns[cat * ns + audit->image_split[i]]++;
            if (last[cat] != i) last[cat] = i, c.images[cat * ns + audit->image_split[i]]++;
        }
    }
    for (size_t a = 0; s == TS_OK && a < na; a++) {
        ts_annotation an;
        ts_dataset_annotation(ds, a, &an);
        double la, lr, cx, cy;
        size_t cat;
        if (!box_features(ds, &an, &la, &lr, &cx, &cy)) continue;
        double side = sqrt(an.bbox[2] * an.bbox[3]);
        size_hist[bin_of(log2(side > 0 ? side : 1e-9), 1, 1, SIZE_BINS)]++;
        aspect_hist[bin_of(log2(an.bbox[2] / an.bbox[3]), -4.5, 1, ASPECT_BINS)]++;
        if (!ts_dataset_find_category(ds, an.category_id, &cat)) continue;
        c.heat[cat * HEAT * HEAT + (size_t)bin_of(cy, 0, 1.0 / HEAT, HEAT) * HEAT + (size_t)bin_of(cx, 0, 1.0 / HEAT, HEAT)]++;
        c.sum[cat] += la, c.sum2[cat] += la * la, c.asum[cat] += lr, c.asum2[cat] += lr * lr, c.boxes[cat]++;
    }
    free(last);
    /* imbalance over classes with at least one annotation */
    uint64_t total = 0, maxv = 0, minv = UINT64_MAX;
    size_t max_c = 0, min_c = 0, present = 0;
    for (size_t k = 0; s == TS_OK && k < nc; k++) {
        uint64_t t = 0;
        for (size_t j = 0; j < ns; j++) t += c.anns[k * ns + j];
        total += t;
        if (!t) continue;
        present++;
        if (t > maxv) maxv = t, max_c = k;
        if (t < minv) minv = t, min_c = k;
    }
    double entropy = 0;
    for (size_t k = 0; s == TS_OK && k < nc && total; k++) {
        uint64_t t = 0;
        for (size_t j = 0; j < ns; j++) t += c.anns[k * ns + j];
        if (t) entropy -= (double)t / total * log((double)t / total);
    }
    double norm_entropy = present > 1 ? entropy / log((double)present) : 1;
    double ratio = present ? (double)maxv / (double)minv : 0;
    if (s == TS_OK && present > 1 && ratio > 5 && audit_wants(audit, "class-imbalance", "distribution")) {
        ts_category a, b;
        ts_dataset_category(ds, max_c, &a);
        ts_dataset_category(ds, min_c, &b);
        finding *f = audit_finding(audit, "class-imbalance", ratio > 20 ? TS_SEVERITY_WARNING : TS_SEVERITY_INFO,
                                   "class imbalance %.1f:1 (most '%s' %llu, fewest '%s' %llu; normalized entropy %.2f): "
                                   "the model learns the base rate; balance with `trainset balance` or collect more "
                                   "of the rare classes",
                                   ratio, a.name, (unsigned long long)maxv, b.name, (unsigned long long)minv, norm_entropy);
        if (!f) s = TS_ERR_NOMEM;
        else f->count = 1;
    }
    if (s == TS_OK && audit_wants(audit, "class-too-few", "distribution")) {
        ts_buf names = {0};
        uint64_t few = 0;
        for (size_t k = 0; k < nc; k++) {
            for (size_t j = 0; j < ns; j++) {
                uint64_t v = c.anns[k * ns + j];
                if (v >= audit->opts.min_samples) continue;
                ts_category cat;
                ts_dataset_category(ds, k, &cat);
                if (few < 12)
                    ts_buf_printf(&names, "%s'%s'%s%s: %llu", few ? ", " : "", cat.name, *audit->splits[j] ? " in " : "",
                                  audit->splits[j], (unsigned long long)v);
                few++;
            }
        }
        if (few) {
            finding *f = audit_finding(audit, "class-too-few", TS_SEVERITY_WARNING,
                                       "classes with fewer than %u examples in a split (%s%s): too few to learn or to "
                                       "measure; collect more or merge classes",
                                       audit->opts.min_samples, names.data ? names.data : "", few > 12 ? ", ..." : "");
            if (!f) s = TS_ERR_NOMEM;
            else f->count = few;
        }
        ts_buf_free(&names);
    }
    if (s == TS_OK && audit_wants(audit, "box-outlier", "distribution")) {
        finding *f = audit_finding(audit, "box-outlier", TS_SEVERITY_INFO,
                                   "boxes whose size or aspect ratio is more than %.1f standard deviations from their "
                                   "class's (log scale): often a wrong label or a box drawn around the wrong object",
                                   audit->opts.outlier_sigma);
        if (!f) s = TS_ERR_NOMEM;
        for (size_t a = 0; f && s == TS_OK && a < na; a++) {
            ts_annotation an;
            ts_dataset_annotation(ds, a, &an);
            double la, lr, cx, cy;
            size_t cat;
            if (!box_features(ds, &an, &la, &lr, &cx, &cy) || !ts_dataset_find_category(ds, an.category_id, &cat) ||
                c.boxes[cat] < 20)
                continue;
            double m = c.sum[cat] / c.boxes[cat], sd = sqrt(fmax(0, c.sum2[cat] / c.boxes[cat] - m * m));
            double am = c.asum[cat] / c.boxes[cat], asd = sqrt(fmax(0, c.asum2[cat] / c.boxes[cat] - am * am));
            double sig = audit->opts.outlier_sigma;
            if ((sd > 0 && fabs(la - m) > sig * sd) || (asd > 0 && fabs(lr - am) > sig * asd)) {
                f->count++;
                if (audit_add_image(f, an.image_id) != TS_OK || audit_add_annotation(f, an.id) != TS_OK) s = TS_ERR_NOMEM;
            }
        }
    }
    /* statistics */
    ts_buf b = {0};
    if (s == TS_OK) {
        s = ts_buf_puts(&b, "[");
        for (size_t k = 0; s == TS_OK && k < nc; k++) {
            ts_category cat;
            ts_dataset_category(ds, k, &cat);
            s = ts_buf_printf(&b, "%s{\"id\": %lld, \"name\": ", k ? ", " : "", (long long)cat.id);
            if (s == TS_OK) s = ts_buf_put_json_string(&b, cat.name);
            if (s == TS_OK) s = ts_buf_puts(&b, ", \"annotations\": {");
            for (size_t j = 0; s == TS_OK && j < ns && audit->n_splits; j++) {
                if (j) s = ts_buf_puts(&b, ", ");
                if (s == TS_OK) s = ts_buf_put_json_string(&b, audit->splits[j]);
                if (s == TS_OK) s = ts_buf_printf(&b, ": %llu", (unsigned long long)c.anns[k * ns + j]);
            }
            if (s == TS_OK) s = ts_buf_puts(&b, "}, \"images\": {");
            for (size_t j = 0; s == TS_OK && j < ns && audit->n_splits; j++) {
                if (j) s = ts_buf_puts(&b, ", ");
                if (s == TS_OK) s = ts_buf_put_json_string(&b, audit->splits[j]);
                if (s == TS_OK) s = ts_buf_printf(&b, ": %llu", (unsigned long long)c.images[k * ns + j]);
            }
            if (s == TS_OK) s = ts_buf_puts(&b, "}, \"centre_heatmap\": ");
            if (s == TS_OK) s = put_array(&b, c.heat + k * HEAT * HEAT, HEAT * HEAT);
            if (s == TS_OK) s = ts_buf_putc(&b, '}');
        }
        if (s == TS_OK) s = ts_buf_puts(&b, "]");
    }
    if (s == TS_OK) s = audit_stat(audit, "classes", "%s", b.data ? b.data : "[]");
    ts_buf_free(&b);
    if (s == TS_OK)
        s = audit_stat(audit, "counts", "{\"images\": %zu, \"annotations\": %zu, \"categories\": %zu}", ni, na, nc);
    if (s == TS_OK)
        s = audit_stat(audit, "balance", "{\"imbalance_ratio\": %.4f, \"normalized_entropy\": %.4f, \"classes_present\": %zu}",
                       ratio, norm_entropy, present);
    ts_buf h = {0};
    if (s == TS_OK) s = put_array(&h, per_image, 8);
    if (s == TS_OK)
        s = audit_stat(audit, "objects_per_image", "{\"edges\": [0, 1, 2, 5, 10, 20, 50], \"counts\": %s}", h.data);
    ts_buf_free(&h);
    memset(&h, 0, sizeof h);
    if (s == TS_OK) s = put_array(&h, size_hist, SIZE_BINS);
    if (s == TS_OK) s = audit_stat(audit, "box_size_log2_side", "{\"first_edge\": 1, \"counts\": %s}", h.data);
    ts_buf_free(&h);
    memset(&h, 0, sizeof h);
    if (s == TS_OK) s = put_array(&h, aspect_hist, ASPECT_BINS);
    if (s == TS_OK) s = audit_stat(audit, "box_aspect_log2", "{\"first_edge\": -4.5, \"counts\": %s}", h.data);
    ts_buf_free(&h);
    stats_free(&c);
    return s;
}
