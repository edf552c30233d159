/* Annotation consistency: boxes of different classes on the same object,
 * and annotators whose label distribution diverges from everyone else's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

#define OVERLAP_IOU 0.8
#define MIN_ANNOTATOR_LABELS 20
#define DIVERGENCE_BITS 0.1

static ts_status class_overlaps(ts_ctx *ctx, ts_audit *audit) {
    const ts_dataset *ds = audit->ds;
    finding *f = audit_finding(audit, "box-class-overlap", TS_SEVERITY_WARNING,
                               "boxes of different classes on the same object (IoU > %.1f): one label is probably "
                               "wrong, or the classes are ambiguous; write a guideline and relabel",
                               OVERLAP_IOU);
    if (!f) return TS_ERR_NOMEM;
    size_t ni = ts_dataset_image_count(ds);
    ts_status s = TS_OK;
    for (size_t i = 0; i < ni && s == TS_OK; i++) {
        const size_t *list;
        size_t n;
        if ((s = ts_dataset_image_annotations(ctx, ds, i, &list, &n)) != TS_OK) break;
        for (size_t p = 0; p < n && s == TS_OK; p++) {
            ts_annotation a;
            ts_dataset_annotation(ds, list[p], &a);
            if (!(a.flags & TS_ANN_HAS_BOX) || a.iscrowd) continue;
            for (size_t q = p + 1; q < n && s == TS_OK; q++) {
                ts_annotation b;
                ts_dataset_annotation(ds, list[q], &b);
                if (!(b.flags & TS_ANN_HAS_BOX) || b.iscrowd || b.category_id == a.category_id) continue;
                if (audit_box_iou(a.bbox, b.bbox) <= OVERLAP_IOU) continue;
                f->count++;
                s = audit_add_image(f, a.image_id);
                if (s == TS_OK) s = audit_add_annotation(f, a.id);
                if (s == TS_OK) s = audit_add_annotation(f, b.id);
            }
        }
    }
    return s;
}

/* Jensen-Shannon divergence (bits) between two count vectors. */
static double js_divergence(const uint64_t *p, const uint64_t *q, size_t n, uint64_t tp, uint64_t tq) {
    double d = 0;
    for (size_t k = 0; k < n; k++) {
        double a = (double)p[k] / tp, b = (double)q[k] / tq, m = (a + b) / 2;
        if (a > 0) d += 0.5 * a * log2(a / m);
        if (b > 0) d += 0.5 * b * log2(b / m);
    }
    return d;
}

static ts_status annotator_divergence(ts_ctx *ctx, ts_audit *audit) {
    const ts_dataset *ds = audit->ds;
    size_t na = ts_dataset_annotation_count(ds), nc = ts_dataset_category_count(ds);
    const char **names = ts_calloc_array(ctx, na + 1, sizeof *names);
    uint32_t *who = ts_alloc_array(ctx, na ? na : 1, sizeof *who);
    if (!names || !who) {
        free(names);
        free(who);
        return TS_ERR_NOMEM;
    }
    size_t nw = 0;
    for (size_t a = 0; a < na; a++) {
        ts_annotation an;
        ts_dataset_annotation(ds, a, &an);
        who[a] = UINT32_MAX;
        if (!*an.annotator) continue;
        size_t k = 0; /* interned strings: equal names share a pointer */
        while (k < nw && names[k] != an.annotator) k++;
        if (k == nw) names[nw++] = an.annotator;
        who[a] = (uint32_t)k;
    }
    ts_status s = TS_OK;
    uint64_t *counts = nw > 1 ? ts_calloc_array(ctx, nw * (nc ? nc : 1), sizeof *counts) : NULL;
    uint64_t *all = nw > 1 ? ts_calloc_array(ctx, nc ? nc : 1, sizeof *all) : NULL;
    uint64_t *rest = nw > 1 ? ts_calloc_array(ctx, nc ? nc : 1, sizeof *rest) : NULL;
    if (nw > 1 && (!counts || !all || !rest)) s = TS_ERR_NOMEM;
    for (size_t a = 0; s == TS_OK && nw > 1 && a < na; a++) {
        size_t c;
        if (who[a] == UINT32_MAX || !ts_dataset_find_category(ds, ts_dataset_annotation_category_id(ds, a), &c)) continue;
        counts[who[a] * nc + c]++;
        all[c]++;
    }
    for (size_t w = 0; s == TS_OK && nw > 1 && w < nw; w++) {
        uint64_t tw = 0, tr = 0;
        for (size_t c = 0; c < nc; c++) {
            tw += counts[w * nc + c];
            rest[c] = all[c] - counts[w * nc + c];
            tr += rest[c];
        }
        if (tw < MIN_ANNOTATOR_LABELS || tr < MIN_ANNOTATOR_LABELS) continue;
        double d = js_divergence(counts + w * nc, rest, nc, tw, tr);
        if (d <= DIVERGENCE_BITS) continue;
        size_t over = 0;
        double best = -1;
        for (size_t c = 0; c < nc; c++) {
            double diff = (double)counts[w * nc + c] / tw - (double)rest[c] / tr;
            if (diff > best) best = diff, over = c;
        }
        ts_category cat;
        ts_dataset_category(ds, over, &cat);
        finding *f = audit_finding(audit, "annotator-divergence", TS_SEVERITY_WARNING,
                                   "annotator '%s' labels differently from the others (Jensen-Shannon %.2f bits over %llu "
                                   "labels); most over-used class '%s' (%.0f%% vs %.0f%%): check their guideline",
                                   names[w], d, (unsigned long long)tw, cat.name,
                                   100.0 * counts[w * nc + over] / tw, 100.0 * rest[over] / tr);
        if (!f) {
            s = TS_ERR_NOMEM;
            break;
        }
        for (size_t a = 0; a < na && s == TS_OK; a++) {
            if (who[a] != w || ts_dataset_annotation_category_id(ds, a) != cat.id) continue;
            f->count++;
            ts_annotation an;
            ts_dataset_annotation(ds, a, &an);
            s = audit_add_image(f, an.image_id);
            if (s == TS_OK) s = audit_add_annotation(f, an.id);
        }
    }
    free(counts);
    free(all);
    free(rest);
    free(names);
    free(who);
    return s;
}

ts_status audit_consistency(ts_ctx *ctx, ts_audit *audit) {
    ts_status s = TS_OK;
    if (audit_wants(audit, "box-class-overlap", "consistency")) s = class_overlaps(ctx, audit);
    if (s == TS_OK && audit_wants(audit, "annotator-divergence", "consistency")) s = annotator_divergence(ctx, audit);
    return s;
}
