/* Shared state of one audit run: the findings being collected and the
 * per-image facts the pixel pass measured, used by every check family. */
#ifndef TS_AUDIT_INTERNAL_H
#define TS_AUDIT_INTERNAL_H

#include "trainset/audit.h"
#include "trainset/formats.h"
#include "trainset/hashindex.h"

typedef struct {
    char *check;
    ts_severity severity;
    uint64_t count;
    int64_t *images;
    size_t n_images, cap_images;
    int64_t *annotations;
    size_t n_annotations, cap_annotations;
    char *message;
} finding;

/* Per-image measurements beyond the public facts. */
typedef struct {
    ts_image_facts facts;
    int decoded;
    double context_brightness; /* outside the image's boxes */
    double context_rgb[3];
    int gray_in_colour;        /* one channel, or R == G == B throughout */
    double low_information;    /* luma entropy in bits */
    char *error;               /* why it could not be read */
} image_record;

struct ts_audit {
    const ts_dataset *ds;
    ts_audit_opts opts;
    finding **findings; /* each allocated alone: pointers stay valid */
    size_t n_findings, cap_findings;
    image_record *images; /* per image, NULL when pixels were not checked */
    size_t n_images;
    /* duplicate clusters: members in cluster_images[cluster_first[k] ..] */
    size_t *cluster_first, *cluster_images;
    size_t n_clusters;
    ts_buf stats; /* JSON object members, comma-separated, without braces */
    char *stats_json;
    /* per image: index of its split in `splits` */
    const char **splits;
    size_t n_splits;
    uint32_t *image_split;
};

/* Whether the check (or its group) was asked for. */
int audit_wants(const ts_audit *audit, const char *check, const char *group);

/* Start a finding; NULL on out of memory. Ids are added with the helpers,
 * duplicates ignored only if added consecutively. */
finding *audit_finding(ts_audit *audit, const char *check, ts_severity severity, const char *fmt, ...)
    TS_PRINTF(4, 5);
/* In a check family: start finding `var` when its check (or group) was
 * asked for, returning TS_ERR_NOMEM from the caller when that fails. */
#define AUDIT_WANT(var, id, group, sev, ...)                                                   \
    if (audit_wants(audit, id, group) && !((var) = audit_finding(audit, id, sev, __VA_ARGS__))) \
    return TS_ERR_NOMEM

ts_status audit_add_image(finding *f, int64_t id);
ts_status audit_add_annotation(finding *f, int64_t id);
/* Drop a finding that ended up empty (count 0). */
void audit_discard_empty(ts_audit *audit);
/* Append `"key": value` text to the stats object. */
ts_status audit_stat(ts_audit *audit, const char *key, const char *json_fmt, ...) TS_PRINTF(3, 4);

/* The check families, in the order they run. */
ts_status audit_integrity(ts_ctx *ctx, ts_audit *audit);
ts_status audit_pixels(ts_ctx *ctx, ts_audit *audit);
ts_status audit_distribution(ts_ctx *ctx, ts_audit *audit);
ts_status audit_duplicates(ts_ctx *ctx, ts_audit *audit);
ts_status audit_consistency(ts_ctx *ctx, ts_audit *audit);
ts_status audit_context(ts_ctx *ctx, ts_audit *audit);

/* Read, hash and measure every image of `ds` into records (n of them,
 * zeroed by the caller) on the context's threads. */
ts_status audit_read_images(ts_ctx *ctx, const ts_dataset *ds, image_record *records);
void audit_read_image(ts_ctx *ctx, const ts_dataset *ds, size_t index, image_record *r);

/* Intersection over union of two xywh boxes. */
double audit_box_iou(const double *a, const double *b);
/* Category name for messages ("?" when unknown). */
const char *audit_category_name(const ts_dataset *ds, int64_t category_id);

#endif
