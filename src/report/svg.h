/* Small SVG chart writers shared by the HTML reports. */
#ifndef TS_REPORT_SVG_H
#define TS_REPORT_SVG_H

#include "trainset/core.h"

/* Grouped vertical bars: `values` is n_groups x n_series (row-major);
 * labels per group, names per series (legend). */
ts_status svg_grouped_bars(ts_buf *out, const char *title, const char *const *group_labels, size_t n_groups,
                           const char *const *series_names, size_t n_series, const double *values);
/* A heatmap of rows x cols cells scaled to the maximum. */
ts_status svg_heatmap(ts_buf *out, const char *title, const double *cells, int rows, int cols, int size_px);
/* HTML-escaped text. */
ts_status html_escape(ts_buf *out, const char *text);

#endif
