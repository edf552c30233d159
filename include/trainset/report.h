/* Reports: self-contained HTML pages (inline SVG charts, thumbnails as data
 * URIs, no network) built from audit results. */
#ifndef TRAINSET_REPORT_H
#define TRAINSET_REPORT_H

#include "audit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write the audit of `ds` as one HTML page at `path` (atomically): summary,
 * class histogram per split, size/aspect histograms, centre heatmaps,
 * duplicate clusters with thumbnails and every finding with examples.
 * `title` names the dataset on the page. */
ts_status ts_report_audit_html(ts_ctx *ctx, const ts_dataset *ds, const ts_audit *audit, const char *title,
                               const char *path);

/* Append a thumbnail of image `index` (longest side `max_side`) as a
 * base64 JPEG data URI ("data:image/jpeg;base64,..."); sets *w, *h to its
 * size. Fails like ts_dataset_load_image for unreadable images. */
ts_status ts_report_thumbnail_uri(ts_ctx *ctx, const ts_dataset *ds, size_t index, int max_side, ts_buf *out,
                                  int *w, int *h);

#ifdef __cplusplus
}
#endif
#endif
