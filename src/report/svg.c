/* SVG charts as text: grouped bar charts and heatmaps with plain styling,
 * readable without scripts. */
#include <math.h>

#include "svg.h"

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

ts_status html_escape(ts_buf *out, const char *text) {
    ts_status s = TS_OK;
    for (const char *p = text; *p && s == TS_OK; p++) {
        switch (*p) {
        case '<': s = ts_buf_puts(out, "&lt;"); break;
        case '>': s = ts_buf_puts(out, "&gt;"); break;
        case '&': s = ts_buf_puts(out, "&amp;"); break;
        case '"': s = ts_buf_puts(out, "&quot;"); break;
        case '\'': s = ts_buf_puts(out, "&#39;"); break;
        default: s = ts_buf_putc(out, *p);
        }
    }
    return s;
}

ts_status svg_grouped_bars(ts_buf *out, const char *title, const char *const *group_labels, size_t n_groups,
                           const char *const *series_names, size_t n_series, const double *values) {
    double maxv = 0;
    for (size_t i = 0; i < n_groups * n_series; i++)
        if (values[i] > maxv) maxv = values[i];
    if (maxv <= 0) maxv = 1;
    int bar = n_series > 1 ? 10 : 16, gap = 8, left = 50, top = 36, plot_h = 160;
    int group_w = bar * (int)n_series + gap;
    int width = left + group_w * (int)n_groups + 20, height = top + plot_h + 90;
    if (width < 320) width = 320;
    ts_status s = ts_buf_printf(out,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                                "font-family=\"sans-serif\" font-size=\"10\"><text x=\"4\" y=\"14\" "
                                "font-size=\"12\" font-weight=\"bold\">",
                                width, height);
    if (s == TS_OK) s = html_escape(out, title);
    if (s == TS_OK)
        s = ts_buf_printf(out, "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>"
                               "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f</text>"
                               "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
                          left, top + plot_h, width - 10, top + plot_h, left - 4, top + 8, maxv, left - 4, top + plot_h);
    for (size_t g = 0; g < n_groups && s == TS_OK; g++) {
        int x0 = left + gap / 2 + (int)g * group_w;
        for (size_t k = 0; k < n_series && s == TS_OK; k++) {
            double v = values[g * n_series + k];
            int h = (int)lround(v / maxv * plot_h);
            s = ts_buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%.0f</title></rect>",
                              x0 + (int)k * bar, top + plot_h - h, bar - 1, h, palette[k % 10], v);
        }
        if (s == TS_OK)
            s = ts_buf_printf(out, "<text transform=\"translate(%d,%d) rotate(-45)\" text-anchor=\"end\">",
                              x0 + group_w / 2, top + plot_h + 12);
        if (s == TS_OK) s = html_escape(out, group_labels[g]);
        if (s == TS_OK) s = ts_buf_puts(out, "</text>");
    }
    for (size_t k = 0; k < n_series && n_series > 1 && s == TS_OK; k++) {
        /* legend in a row above the plot, clear of the bars */
        int lx = left + 60 * (int)k;
        s = ts_buf_printf(out, "<rect x=\"%d\" y=\"18\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"27\">",
                          lx, palette[k % 10], lx + 13);
        if (s == TS_OK) s = html_escape(out, series_names[k]);
        if (s == TS_OK) s = ts_buf_puts(out, "</text>");
    }
    return s == TS_OK ? ts_buf_puts(out, "</svg>") : s;
}

ts_status svg_heatmap(ts_buf *out, const char *title, const double *cells, int rows, int cols, int size_px) {
    double maxv = 0;
    for (int i = 0; i < rows * cols; i++)
        if (cells[i] > maxv) maxv = cells[i];
    int cw = size_px / cols, ch = size_px / rows;
    ts_status s = ts_buf_printf(out,
                                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                                "font-family=\"sans-serif\" font-size=\"10\"><text x=\"0\" y=\"10\">",
                                cw * cols, ch * rows + 14);
    if (s == TS_OK) s = html_escape(out, title);
    if (s == TS_OK) s = ts_buf_puts(out, "</text>");
    for (int r = 0; r < rows && s == TS_OK; r++)
        for (int c = 0; c < cols && s == TS_OK; c++) {
            double v = maxv > 0 ? cells[r * cols + c] / maxv : 0;
            int shade = 255 - (int)lround(v * 200);
            s = ts_buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\"/>", c * cw,
                              14 + r * ch, cw, ch, shade, shade);
        }
    return s == TS_OK ? ts_buf_puts(out, "</svg>") : s;
}
