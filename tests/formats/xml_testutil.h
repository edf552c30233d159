/* Helpers shared by the VOC and CVAT tests: reading, per-image annotation
 * lookup and whole-dataset comparison for round trips. */
#ifndef TS_XML_TESTUTIL_H
#define TS_XML_TESTUTIL_H

#include "../test.h"

/* Read `path` with `format`, failing the test (and returning NULL) on error. */
ts_dataset *xt_read(ts_ctx *ctx, const char *path, const char *format);
/* Annotation k of the image whose path is `path`; 0 when absent. */
int xt_ann(const ts_dataset *ds, const char *path, size_t k, ts_annotation *out);
/* Number of annotations of that image (-1 when the image is absent). */
long xt_count(const ts_dataset *ds, const char *path);
/* Name of a category id ("" when none). */
const char *xt_cat(const ts_dataset *ds, int64_t id);
/* Value of an attribute, or NULL. */
const char *xt_attr(const ts_attr *attrs, uint32_t n, const char *key);
void xt_check_box(const ts_annotation *a, double x, double y, double w, double h);

enum { XT_SAME_PATHS = 1, XT_SAME_TRACKS = 2, XT_SAME_FLAGS = 4 };
/* Images in the same order with the same sizes and splits, annotations of
 * each image equal in kind, category name, box (1e-6 px), mask runs and
 * coordinates (1e-6). */
void xt_compare(const ts_dataset *a, const ts_dataset *b, unsigned what);
/* Write `text` to dir/name; returns the path (static buffer). */
const char *xt_file(const char *dir, const char *name, const char *text);

#endif
