/* Dataset audit: what is wrong with a dataset before training on it.
 * Integrity, distribution, image quality, exact and near duplicates,
 * leakage between splits or datasets, annotation consistency, misleading
 * context correlations and coverage gaps, each finding with a stable check
 * id, a severity, the affected ids and a one-line explanation with a fix. */
#ifndef TRAINSET_AUDIT_H
#define TRAINSET_AUDIT_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TS_SEVERITY_INFO = 0, TS_SEVERITY_WARNING, TS_SEVERITY_ERROR } ts_severity;

const char *ts_severity_name(ts_severity severity); /* "info", "warning", "error" */

typedef struct {
    const char *check; /* stable id, e.g. "box-out-of-bounds" */
    ts_severity severity;
    uint64_t count;              /* how many problems (boxes, clusters, ...) */
    const int64_t *images;       /* affected image ids */
    size_t n_images;
    const int64_t *annotations;  /* affected annotation ids */
    size_t n_annotations;
    const char *message;         /* explanation and suggested fix */
} ts_finding;

typedef struct {
    /* Comma-separated check ids or groups ("integrity", "distribution",
     * "quality", "duplicates", "consistency", "context", "coverage");
     * NULL = all. */
    const char *checks;
    /* Second dataset for leakage (e.g. a test set); may be NULL. */
    const ts_dataset *against;
    /* Hamming distance within which both the DCT and the difference hash
     * of two images must lie to call them near-duplicates. 0 = automatic:
     * 6, or 2 when most images are under 64 px on their short side (hashes
     * of tiny images carry less information, and 6 would join unrelated
     * silhouettes). */
    int near_threshold;
    double outlier_sigma;  /* box size/aspect outliers; 0 = default 4 */
    uint32_t min_samples;  /* classes with fewer are flagged; 0 = default 10 */
    int decode_images;     /* 0 = decode (pixels checks on), -1 = annotations only */
} ts_audit_opts;

ts_audit_opts ts_audit_opts_default(void);

typedef struct ts_audit ts_audit;

/* Run the audit. Unreadable images and broken records are findings, not
 * failures: this fails only for invalid options or out of memory. Uses the
 * context's thread count; the result does not depend on it. */
ts_status ts_audit_run(ts_ctx *ctx, const ts_dataset *ds, const ts_audit_opts *opts, ts_audit **out);
void ts_audit_destroy(ts_audit *audit); /* accepts NULL */

/* Findings ranked by severity (errors first), then count. */
size_t ts_audit_finding_count(const ts_audit *audit);
void ts_audit_finding(const ts_audit *audit, size_t index, ts_finding *out);

/* Statistics as a JSON object text (class counts per split, imbalance
 * ratio, entropy, histograms, quality summary, duplicate counts, ...). */
const char *ts_audit_stats_json(const ts_audit *audit);

/* The whole report as JSON: {"findings": [...], "stats": {...}}. */
ts_status ts_audit_to_json(const ts_audit *audit, ts_buf *out);

/* Duplicate clusters found (exact and near, single linkage), as arrays of
 * image indices; the first of each is the one `dedup` keeps under the
 * audit's default (first in dataset order). */
size_t ts_audit_cluster_count(const ts_audit *audit);
void ts_audit_cluster(const ts_audit *audit, size_t index, const size_t **images, size_t *count);

/* Per-image facts measured by the pixel pass (NaN / 0 when not decoded). */
typedef struct {
    int readable;
    int width, height;   /* header size after EXIF orientation */
    int orientation;
    int channels;
    double brightness;   /* mean luma 0..1 */
    double contrast;     /* luma standard deviation 0..1 */
    double sharpness;    /* variance of the Laplacian (luma 0..255) */
    double saturation;   /* mean HSV saturation 0..1 */
    uint64_t file_hash, pixel_hash, dhash, phash;
} ts_image_facts;

/* Facts of image `index` (zeroed when the pixel pass did not run). */
void ts_audit_image_facts(const ts_audit *audit, size_t index, ts_image_facts *out);

/* Duplicate removal: which images of `ds` `dedup` drops. keep: "first",
 * "largest" (most pixels) or "best-quality" (sharpest, then largest).
 * *drop is a malloc'd array of image indices, ascending. */
ts_status ts_audit_dedup_plan(ts_ctx *ctx, const ts_audit *audit, const ts_dataset *ds, const char *keep,
                              size_t **drop, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
