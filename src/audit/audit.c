/* The audit run: options, the findings list and its ranking, statistics,
 * the JSON report, duplicate clusters and the dedup plan. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

const char *ts_severity_name(ts_severity severity) {
    switch (severity) {
    case TS_SEVERITY_ERROR: return "error";
    case TS_SEVERITY_WARNING: return "warning";
    default: return "info";
    }
}

ts_audit_opts ts_audit_opts_default(void) {
    ts_audit_opts o;
    memset(&o, 0, sizeof o);
    o.near_threshold = 0; /* auto: see audit_duplicates */
    o.outlier_sigma = 4;
    o.min_samples = 10;
    return o;
}

static const char *const check_groups[][2] = {
    {"image-unreadable", "integrity"},     {"image-size-mismatch", "integrity"},
    {"exif-orientation", "integrity"},     {"box-out-of-bounds", "integrity"},
    {"box-degenerate", "integrity"},       {"polygon-degenerate", "integrity"},
    {"polygon-self-intersecting", "integrity"}, {"rle-size-mismatch", "integrity"},
    {"dangling-image", "integrity"},       {"dangling-category", "integrity"},
    {"annotation-duplicate", "integrity"}, {"image-no-annotations", "integrity"},
    {"category-unused", "integrity"},      {"keypoint-out-of-bounds", "integrity"},
    {"class-imbalance", "distribution"},   {"class-too-few", "distribution"},
    {"box-outlier", "distribution"},       {"image-dark", "quality"},
    {"image-overexposed", "quality"},      {"image-low-information", "quality"},
    {"image-blurry", "quality"},           {"image-grayscale", "quality"},
    {"duplicate-exact", "duplicates"},     {"duplicate-near", "duplicates"},
    {"leakage", "duplicates"},             {"label-inconsistent", "consistency"},
    {"box-class-overlap", "consistency"},  {"annotator-divergence", "consistency"},
    {"context-correlation", "context"},    {"coverage-gap", "coverage"},
};

static int list_has(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') p++, len--;
        while (len && p[len - 1] == ' ') len--;
        if (len == n && strncmp(p, word, n) == 0) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

int audit_wants(const ts_audit *audit, const char *check, const char *group) {
    const char *list = audit->opts.checks;
    if (!list || !*list || list_has(list, "all")) return 1;
    return list_has(list, check) || (group && list_has(list, group));
}

static ts_status check_list_valid(ts_ctx *ctx, const char *list) {
    if (!list) return TS_OK;
    const char *groups[] = {"all", "integrity", "distribution", "quality", "duplicates",
                            "consistency", "context", "coverage"};
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') p++, len--;
        while (len && p[len - 1] == ' ') len--;
        int known = len == 0;
        for (size_t i = 0; !known && i < sizeof groups / sizeof groups[0]; i++)
            known = strlen(groups[i]) == len && strncmp(groups[i], p, len) == 0;
        for (size_t i = 0; !known && i < sizeof check_groups / sizeof check_groups[0]; i++)
            known = strlen(check_groups[i][0]) == len && strncmp(check_groups[i][0], p, len) == 0;
        if (!known) return ts_error(ctx, TS_ERR_INVALID, "unknown check \"%.*s\"", (int)len, p);
        if (!end) break;
        p = end + 1;
    }
    return TS_OK;
}

finding *audit_finding(ts_audit *audit, const char *check, ts_severity severity, const char *fmt, ...) {
    if (ts_grow(NULL, (void **)&audit->findings, &audit->cap_findings, audit->n_findings + 1,
                sizeof *audit->findings) != TS_OK)
        return NULL;
    finding *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    ts_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    ts_status s = ts_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    f->check = strdup(check);
    f->message = msg.data;
    f->severity = severity;
    if (s != TS_OK || !f->check || !f->message) {
        free(f->check);
        free(f->message);
        free(f);
        return NULL;
    }
    audit->findings[audit->n_findings++] = f;
    return f;
}

static ts_status add_id(int64_t **ids, size_t *n, size_t *cap, int64_t id) {
    if (*n && (*ids)[*n - 1] == id) return TS_OK;
    if (ts_grow(NULL, (void **)ids, cap, *n + 1, sizeof **ids) != TS_OK) return TS_ERR_NOMEM;
    (*ids)[(*n)++] = id;
    return TS_OK;
}

ts_status audit_add_image(finding *f, int64_t id) { return add_id(&f->images, &f->n_images, &f->cap_images, id); }

ts_status audit_add_annotation(finding *f, int64_t id) {
    return add_id(&f->annotations, &f->n_annotations, &f->cap_annotations, id);
}

static void finding_free(finding *f) {
    free(f->check);
    free(f->message);
    free(f->images);
    free(f->annotations);
    free(f);
}

void audit_discard_empty(ts_audit *audit) {
    size_t w = 0;
    for (size_t i = 0; i < audit->n_findings; i++) {
        if (audit->findings[i]->count == 0) finding_free(audit->findings[i]);
        else audit->findings[w++] = audit->findings[i];
    }
    audit->n_findings = w;
}

ts_status audit_stat(ts_audit *audit, const char *key, const char *json_fmt, ...) {
    ts_buf *b = &audit->stats;
    if (b->len && ts_buf_puts(b, ", ") != TS_OK) return TS_ERR_NOMEM;
    if (ts_buf_put_json_string(b, key) != TS_OK || ts_buf_puts(b, ": ") != TS_OK) return TS_ERR_NOMEM;
    va_list ap;
    va_start(ap, json_fmt);
    ts_status s = ts_buf_vprintf(b, json_fmt, ap);
    va_end(ap);
    return s;
}

double audit_box_iou(const double *a, const double *b) {
    double x1 = fmax(a[0], b[0]), y1 = fmax(a[1], b[1]);
    double x2 = fmin(a[0] + a[2], b[0] + b[2]), y2 = fmin(a[1] + a[3], b[1] + b[3]);
    if (x2 <= x1 || y2 <= y1) return 0;
    double inter = (x2 - x1) * (y2 - y1);
    double uni = a[2] * a[3] + b[2] * b[3] - inter;
    return uni > 0 ? inter / uni : 0;
}

const char *audit_category_name(const ts_dataset *ds, int64_t category_id) {
    size_t c;
    if (!ts_dataset_find_category(ds, category_id, &c)) return "?";
    ts_category cat;
    ts_dataset_category(ds, c, &cat);
    return cat.name;
}

static int by_rank(const void *a, const void *b) {
    const finding *x = *(finding *const *)a, *y = *(finding *const *)b;
    if (x->severity != y->severity) return x->severity > y->severity ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->check, y->check);
}

static ts_status index_splits(ts_ctx *ctx, ts_audit *audit) {
    size_t n = ts_dataset_image_count(audit->ds);
    audit->image_split = ts_calloc_array(ctx, n ? n : 1, sizeof *audit->image_split);
    audit->splits = ts_calloc_array(ctx, n + 1, sizeof *audit->splits);
    if (!audit->image_split || !audit->splits) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(audit->ds, i, &e);
        size_t k = 0;
        while (k < audit->n_splits && strcmp(audit->splits[k], e.split) != 0) k++;
        if (k == audit->n_splits) audit->splits[audit->n_splits++] = e.split;
        audit->image_split[i] = (uint32_t)k;
    }
    return TS_OK;
}

ts_status ts_audit_run(ts_ctx *ctx, const ts_dataset *ds, const ts_audit_opts *opts, ts_audit **out) {
    ts_audit_opts o = opts ? *opts : ts_audit_opts_default();
    if (o.near_threshold < 0) o.near_threshold = 0;
    if (o.near_threshold > 32) return ts_error(ctx, TS_ERR_INVALID, "near-duplicate threshold %d is over 32", o.near_threshold);
    if (!(o.outlier_sigma > 0)) o.outlier_sigma = 4;
    if (o.min_samples == 0) o.min_samples = 10;
    ts_status s = check_list_valid(ctx, o.checks);
    if (s != TS_OK) return s;
    ts_audit *audit = calloc(1, sizeof *audit);
    if (!audit) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    audit->ds = ds;
    audit->opts = o;
    audit->n_images = ts_dataset_image_count(ds);
    s = index_splits(ctx, audit);
    ts_status (*const families[])(ts_ctx *, ts_audit *) = {audit_integrity, audit_pixels, audit_distribution,
                                                          audit_duplicates, audit_consistency, audit_context};
    for (size_t i = 0; s == TS_OK && i < sizeof families / sizeof families[0]; i++) s = families[i](ctx, audit);
    if (s == TS_OK) {
        audit_discard_empty(audit);
        if (audit->n_findings) qsort(audit->findings, audit->n_findings, sizeof *audit->findings, by_rank);
        ts_buf j = {0};
        if (ts_buf_putc(&j, '{') != TS_OK || ts_buf_append(&j, audit->stats.data, audit->stats.len) != TS_OK ||
            ts_buf_putc(&j, '}') != TS_OK)
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        audit->stats_json = j.data;
    }
    if (s != TS_OK) {
        if (s == TS_ERR_NOMEM && !*ts_ctx_error(ctx)) ts_error(ctx, s, "out of memory during the audit");
        ts_audit_destroy(audit);
        return s;
    }
    *out = audit;
    return TS_OK;
}

void ts_audit_destroy(ts_audit *audit) {
    if (!audit) return;
    for (size_t i = 0; i < audit->n_findings; i++) finding_free(audit->findings[i]);
    free(audit->findings);
    if (audit->images)
        for (size_t i = 0; i < audit->n_images; i++) free(audit->images[i].error);
    free(audit->images);
    free(audit->cluster_first);
    free(audit->cluster_images);
    ts_buf_free(&audit->stats);
    free(audit->stats_json);
    free(audit->splits);
    free(audit->image_split);
    free(audit);
}

size_t ts_audit_finding_count(const ts_audit *audit) { return audit->n_findings; }

void ts_audit_finding(const ts_audit *audit, size_t index, ts_finding *out) {
    const finding *f = audit->findings[index];
    out->check = f->check;
    out->severity = f->severity;
    out->count = f->count;
    out->images = f->images;
    out->n_images = f->n_images;
    out->annotations = f->annotations;
    out->n_annotations = f->n_annotations;
    out->message = f->message;
}

const char *ts_audit_stats_json(const ts_audit *audit) { return audit->stats_json ? audit->stats_json : "{}"; }

ts_status ts_audit_to_json(const ts_audit *audit, ts_buf *out) {
    ts_status s = ts_buf_puts(out, "{\"findings\": [");
    for (size_t i = 0; s == TS_OK && i < audit->n_findings; i++) {
        const finding *f = audit->findings[i];
        s = ts_buf_printf(out, "%s\n  {\"check\": \"%s\", \"severity\": \"%s\", \"count\": %llu, \"images\": [",
                          i ? "," : "", f->check, ts_severity_name(f->severity), (unsigned long long)f->count);
        for (size_t k = 0; s == TS_OK && k < f->n_images; k++) {
            if (k) s = ts_buf_puts(out, ", ");
            if (s == TS_OK) s = ts_buf_put_int(out, f->images[k]);
        }
        if (s == TS_OK) s = ts_buf_puts(out, "], \"annotations\": [");
        for (size_t k = 0; s == TS_OK && k < f->n_annotations; k++) {
            if (k) s = ts_buf_puts(out, ", ");
            if (s == TS_OK) s = ts_buf_put_int(out, f->annotations[k]);
        }
        if (s == TS_OK) s = ts_buf_puts(out, "], \"message\": ");
        if (s == TS_OK) s = ts_buf_put_json_string(out, f->message);
        if (s == TS_OK) s = ts_buf_putc(out, '}');
    }
    if (s == TS_OK) s = ts_buf_puts(out, "\n],\n\"stats\": ");
    if (s == TS_OK) s = ts_buf_puts(out, ts_audit_stats_json(audit));
    if (s == TS_OK) s = ts_buf_puts(out, "}\n");
    return s;
}

size_t ts_audit_cluster_count(const ts_audit *audit) { return audit->n_clusters; }

void ts_audit_cluster(const ts_audit *audit, size_t index, const size_t **images, size_t *count) {
    *images = audit->cluster_images + audit->cluster_first[index];
    *count = audit->cluster_first[index + 1] - audit->cluster_first[index];
}

void ts_audit_image_facts(const ts_audit *audit, size_t index, ts_image_facts *out) {
    if (audit->images && index < audit->n_images) *out = audit->images[index].facts;
    else memset(out, 0, sizeof *out);
}

/* How good an image is for `keep`: larger is better. */
static double keep_score(const ts_audit *audit, const ts_dataset *ds, size_t image, const char *keep) {
    ts_image_entry e;
    ts_dataset_image(ds, image, &e);
    double pixels = (double)e.width * e.height;
    if (audit->images && audit->images[image].facts.readable && audit->images[image].facts.width > 0)
        pixels = (double)audit->images[image].facts.width * audit->images[image].facts.height;
    if (strcmp(keep, "largest") == 0) return pixels;
    double sharp = audit->images ? audit->images[image].facts.sharpness : 0;
    if (!audit->images || !audit->images[image].facts.readable) return -1;
    return sharp * 1e12 + pixels; /* sharpest, then largest */
}

ts_status ts_audit_dedup_plan(ts_ctx *ctx, const ts_audit *audit, const ts_dataset *ds, const char *keep,
                              size_t **drop, size_t *count) {
    if (!keep) keep = "first";
    if (strcmp(keep, "first") != 0 && strcmp(keep, "largest") != 0 && strcmp(keep, "best-quality") != 0)
        return ts_error(ctx, TS_ERR_INVALID, "--keep must be first, largest or best-quality, not \"%s\"", keep);
    size_t n = ts_dataset_image_count(ds);
    uint8_t *dropped = ts_calloc_array(ctx, n ? n : 1, 1);
    if (!dropped) return TS_ERR_NOMEM;
    size_t total = 0;
    for (size_t k = 0; k < audit->n_clusters; k++) {
        const size_t *members;
        size_t m;
        ts_audit_cluster(audit, k, &members, &m);
        size_t best = members[0];
        if (strcmp(keep, "first") != 0) {
            double best_score = keep_score(audit, ds, best, keep);
            for (size_t i = 1; i < m; i++) {
                double sc = keep_score(audit, ds, members[i], keep);
                if (sc > best_score) best_score = sc, best = members[i];
            }
        }
        for (size_t i = 0; i < m; i++)
            if (members[i] != best && !dropped[members[i]]) dropped[members[i]] = 1, total++;
    }
    size_t *list = ts_alloc_array(ctx, total ? total : 1, sizeof *list);
    if (!list) {
        free(dropped);
        return TS_ERR_NOMEM;
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (dropped[i]) list[w++] = i;
    free(dropped);
    *drop = list;
    *count = total;
    return TS_OK;
}
