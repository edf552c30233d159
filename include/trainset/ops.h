/* Dataset operations: merging several datasets into one (labels matched by
 * name, renamed through a label map) and filtering by an expression. */
#ifndef TRAINSET_OPS_H
#define TRAINSET_OPS_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- label maps ---------------------------------------------------------------- */

/* A label map renames categories: each entry maps a source name to a target
 * name; several sources may share a target (the classes merge). Text form,
 * one entry per line, '#' starts a comment:
 *     tuk-tuk -> motorcycle
 *     "traffic light" -> signal
 * also accepted: a CSV line `source,target` or a JSON object
 * {"tuk-tuk": "motorcycle", ...}. A source mapped twice is an error. */
typedef struct ts_labelmap ts_labelmap;

ts_status ts_labelmap_parse(ts_ctx *ctx, const char *name, const char *text, size_t len, ts_labelmap **out);
ts_status ts_labelmap_load(ts_ctx *ctx, const char *path, ts_labelmap **out);
void ts_labelmap_destroy(ts_labelmap *map); /* accepts NULL */
size_t ts_labelmap_count(const ts_labelmap *map);
/* Entry i: source and target names, and the line it came from. */
void ts_labelmap_entry(const ts_labelmap *map, size_t i, const char **source, const char **target, uint64_t *line);
/* The target of `name`, or `name` itself when unmapped. */
const char *ts_labelmap_apply(const ts_labelmap *map, const char *name);

/* ---- merge ---------------------------------------------------------------------- */

/* What a merge did, for the table the CLI prints. Rows are the output
 * categories; per row and input, the annotations that came from that input
 * and the input's category names that fed the row. */
typedef struct ts_merge_report ts_merge_report;

void ts_merge_report_destroy(ts_merge_report *report); /* accepts NULL */
size_t ts_merge_report_inputs(const ts_merge_report *report);
/* Per input: images taken, annotations taken, and the shift added to its
 * image ids (0 when its ids were kept). */
void ts_merge_report_input(const ts_merge_report *report, size_t input, uint64_t *images, uint64_t *annotations,
                           int64_t *image_id_shift, int64_t *annotation_id_shift);
size_t ts_merge_report_rows(const ts_merge_report *report);
/* Row r: the output category's id and name. */
void ts_merge_report_row(const ts_merge_report *report, size_t row, int64_t *id, const char **name);
/* Annotations of row r from input i, and the input's source category names
 * (comma-separated, "" when none) that fed it. */
uint64_t ts_merge_report_cell(const ts_merge_report *report, size_t row, size_t input, const char **sources);
/* Conflicts and notes found (same name with different supercategories or
 * parents, names differing only in case, colliding image paths, label map
 * entries matching nothing), one message each. */
size_t ts_merge_report_conflicts(const ts_merge_report *report);
const char *ts_merge_report_conflict(const ts_merge_report *report, size_t i);

/* Merge `n` datasets into a new one. `names` (the input paths) become each
 * image's provenance (`source`). Categories are matched by name after the
 * label map (may be NULL); each output category keeps the id of its first
 * input category when free, else takes the next free id. An input whose
 * image or annotation ids collide with those already merged has all of them
 * shifted by one offset. Every image and annotation is kept; each input keeps
 * its own origin (root and pixel source). `report` may be NULL. */
ts_status ts_dataset_merge(ts_ctx *ctx, const ts_dataset *const *inputs, const char *const *names, size_t n,
                           const ts_labelmap *map, ts_dataset **out, ts_merge_report **report);

/* ---- filter ---------------------------------------------------------------------- */

/* A compiled filter expression, e.g.
 *     class == "cat" and split == "train"
 *     class in ("cat", "dog") or (width >= 640 and not attr.night == true)
 * Fields: image ones (split, path, source, id, width, height, area = w*h,
 * license, group, annotations = count, boxes = count with a box,
 * attr.NAME) and annotation ones (class, supercategory, kind, box_width,
 * box_height, box_area, iscrowd, score, annotator, ann.attr.NAME).
 * Operators == != < <= > >= and `in (...)`, `not in (...)`; combined with
 * and / or / not and parentheses. An image matches an annotation comparison
 * when some annotation of it does; `!=` is always `not ==`. See
 * docs/merge_filter.md. Immutable once compiled; thread-safe to match. */
typedef struct ts_filter ts_filter;

/* Parse errors are TS_ERR_PARSE with "--where:1:COL: expected ..." */
ts_status ts_filter_compile(ts_ctx *ctx, const char *expr, ts_filter **out);
void ts_filter_destroy(ts_filter *filter); /* accepts NULL */
/* 1 when the filter uses annotation fields. */
int ts_filter_uses_annotations(const ts_filter *filter);

/* Does image `index` match? */
ts_status ts_filter_match_image(ts_ctx *ctx, const ts_filter *filter, const ts_dataset *ds, size_t index, int *match);
/* Does annotation `index` match (annotation fields of it, image fields of
 * its image)? */
ts_status ts_filter_match_annotation(ts_ctx *ctx, const ts_filter *filter, const ts_dataset *ds, size_t index,
                                     int *match);

enum {
    /* Keep only the annotations that match too (else all of a kept image's) */
    TS_FILTER_ANNOTATIONS = 1u << 0
};

/* A new dataset with the matching images (ids, origins, categories and
 * metadata kept). *kept_images / *kept_annotations may be NULL. */
ts_status ts_dataset_filter(ts_ctx *ctx, const ts_dataset *in, const ts_filter *filter, unsigned flags,
                            ts_dataset **out, size_t *kept_images, size_t *kept_annotations);

#ifdef __cplusplus
}
#endif
#endif
