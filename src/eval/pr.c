/* Precision-recall curves from COCO evaluations: a CSV of every class's and
 * the overall curve at IoU .50 and .75, and an SVG plot overlaying several
 * prediction files with a table of their AP and mean IoU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainset/eval.h"

/* IoU threshold indices plotted: .50 and .75. */
static const int curve_t[2] = {0, 5};

static ts_status put_csv_field(ts_buf *b, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) return ts_buf_puts(b, s);
    ts_status st = ts_buf_putc(b, '"');
    for (const char *p = s; *p && st == TS_OK; p++) {
        if (*p == '"') st = ts_buf_putc(b, '"');
        if (st == TS_OK) st = ts_buf_putc(b, *p);
    }
    return st == TS_OK ? ts_buf_putc(b, '"') : st;
}

/* The 101 rows of one curve: series,[iou,]category_id,category,recall,
 * precision (no iou column when iou < 0); nothing when there is no curve
 * (negative precision). */
static ts_status csv_rows(ts_buf *b, const char *label, double iou, int64_t cat_id, const char *cat_name,
                          const double *precision) {
    const double *rec = ts_coco_recall_thresholds();
    ts_status st = TS_OK;
    for (int r = 0; r < TS_COCO_NUM_REC && st == TS_OK && precision[r] >= 0; r++) {
        st = put_csv_field(b, label);
        if (st == TS_OK && iou >= 0) st = ts_buf_printf(b, ",%.2f", iou);
        if (st == TS_OK) st = ts_buf_printf(b, ",%lld,", (long long)cat_id);
        if (st == TS_OK) st = put_csv_field(b, cat_name);
        if (st == TS_OK) st = ts_buf_putc(b, ',');
        if (st == TS_OK) st = ts_buf_put_double(b, rec[r]);
        if (st == TS_OK) st = ts_buf_putc(b, ',');
        if (st == TS_OK) st = ts_buf_put_double(b, precision[r]);
        if (st == TS_OK) st = ts_buf_putc(b, '\n');
    }
    return st;
}

/* A detection curve at IoU index t: class k's, or the mean over classes. */
static ts_status csv_curve(ts_buf *b, const char *label, int t, int64_t cat_id, const char *cat_name,
                           const ts_coco_eval *ev, size_t k, int overall) {
    double p[TS_COCO_NUM_REC];
    for (int r = 0; r < TS_COCO_NUM_REC; r++)
        p[r] = overall ? ts_coco_eval_mean_precision(ev, t, r, 0, TS_COCO_NUM_MAXDET - 1)
                       : ts_coco_eval_precision(ev, t, r, k, 0, TS_COCO_NUM_MAXDET - 1);
    return csv_rows(b, label, ts_coco_iou_thresholds()[t], cat_id, cat_name, p);
}

ts_status ts_pr_write_csv(ts_ctx *ctx, const char *path, const ts_pr_series *series, size_t n) {
    ts_buf b = {0};
    ts_status st = ts_buf_puts(&b, "series,iou,category_id,category,recall,precision\n");
    for (size_t s = 0; s < n && st == TS_OK; s++) {
        const ts_coco_eval *ev = series[s].eval;
        for (int ti = 0; ti < 2 && st == TS_OK; ti++) {
            st = csv_curve(&b, series[s].label, curve_t[ti], -1, "all", ev, 0, 1);
            for (size_t k = 0; k < ts_coco_eval_class_count(ev) && st == TS_OK; k++) {
                const ts_coco_class *c = ts_coco_eval_class(ev, k);
                st = csv_curve(&b, series[s].label, curve_t[ti], c->category_id, c->name, ev, k, 0);
            }
        }
    }
    if (st != TS_OK) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory writing %s", path);
    else st = ts_file_write_atomic(ctx, path, b.data, b.len);
    ts_buf_free(&b);
    return st;
}

static ts_status put_xml_text(ts_buf *b, const char *s) {
    ts_status st = TS_OK;
    for (const char *p = s; *p && st == TS_OK; p++) {
        switch (*p) {
        case '<': st = ts_buf_puts(b, "&lt;"); break;
        case '>': st = ts_buf_puts(b, "&gt;"); break;
        case '&': st = ts_buf_puts(b, "&amp;"); break;
        case '"': st = ts_buf_puts(b, "&quot;"); break;
        default: st = ts_buf_putc(b, *p);
        }
    }
    return st;
}

/* Long labels keep their end (the file name), after an ellipsis. */
static ts_status put_xml_label(ts_buf *b, const char *s, size_t max) {
    size_t n = strlen(s);
    if (n <= max) return put_xml_text(b, s);
    ts_status st = ts_buf_puts(b, "\xe2\x80\xa6");
    const char *tail = s + n - (max - 1);
    while ((*tail & 0xC0) == 0x80) tail++; /* not inside a UTF-8 sequence */
    return st == TS_OK ? put_xml_text(b, tail) : st;
}

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static ts_status put_stat(ts_buf *b, double v) { return v < 0 ? ts_buf_puts(b, "-") : ts_buf_printf(b, "%.3f", v); }

/* Appends that stop at the first failure (st holds it). */
#define P(...) (void)(st == TS_OK && (st = ts_buf_printf(&b, __VA_ARGS__)))
#define PS(text) (void)(st == TS_OK && (st = ts_buf_puts(&b, text)))
#define PX(text, max) (void)(st == TS_OK && (st = put_xml_label(&b, text, max)))
#define PV(v) (void)(st == TS_OK && (st = put_stat(&b, v)))

/* A plot's box (x, y, w, h) with a light grid and 0..1 ticks on both axes,
 * `ticks` intervals a side. */
static ts_status frame(ts_buf *out, int x0, int y0, int w, int h, int ticks) {
    ts_buf b = *out;
    ts_status st = TS_OK;
    for (int i = 0; i <= ticks; i++) {
        double f = (double)i / ticks;
        int x = x0 + (int)lround(f * w), y = y0 + h - (int)lround(f * h);
        P("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, y0, x, y0 + h);
        P("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x0, y, x0 + w, y);
        P("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1f</text>\n", x, y0 + h + 14, f);
        P("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>\n", x0 - 5, y + 4, f);
    }
    P("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", x0, y0, w, h);
    *out = b;
    return st;
}

/* One curve through (recall point, precision) in a plot box; stops at the
 * first negative precision (no curve there). */
static ts_status curve(ts_buf *out, const double *precision, int x0, int y0, int w, int h, const char *color,
                       const char *extra) {
    const double *rec = ts_coco_recall_thresholds();
    ts_buf b = *out;
    ts_status st = TS_OK;
    P("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color, extra);
    for (int r = 0; r < TS_COCO_NUM_REC && precision[r] >= 0; r++)
        P("%.1f,%.1f ", x0 + rec[r] * w, y0 + h - precision[r] * h);
    PS("\"/>\n");
    *out = b;
    return st;
}

/* One row of the table under a plot: the series' label in its colour,
 * then its values in the columns col[1..n]. */
static ts_status table_row(ts_buf *out, int x, int y, const int *col, size_t series, const char *label, size_t label_max,
                           const double *vals, int n) {
    ts_buf b = *out;
    ts_status st = TS_OK;
    P("<text x=\"%d\" y=\"%d\" fill=\"%s\">", x, y, palette[series % (sizeof palette / sizeof palette[0])]);
    PX(label, label_max);
    PS("</text>\n");
    for (int c = 0; c < n; c++) {
        P("<text x=\"%d\" y=\"%d\">", x + col[c + 1], y);
        PV(vals[c]);
        PS("</text>\n");
    }
    *out = b;
    return st;
}

/* Close the SVG in `b` and write it atomically (st: how building went). */
static ts_status finish_svg(ts_ctx *ctx, const char *path, ts_buf *b, ts_status st) {
    if (st == TS_OK) st = ts_buf_puts(b, "</svg>\n");
    if (st != TS_OK) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory writing %s", path);
    else st = ts_file_write_atomic(ctx, path, b->data, b->len);
    ts_buf_free(b);
    return st;
}

ts_status ts_pr_write_svg(ts_ctx *ctx, const char *path, const ts_pr_series *series, size_t n) {
    const int W = 720, PH = 440, L = 70, T = 40, PW = 420, PHH = 340, row = 22;
    int H = PH + (int)(n + 1) * row + 20;
    ts_buf b = {0};
    ts_status st = TS_OK;
    P(
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                  W, H, W, H);
    P( "<text x=\"%d\" y=\"22\" font-size=\"15\">Precision-recall (area all, maxDets 100): IoU .50 solid, .75 dashed</text>\n", L);
    if (st == TS_OK) st = frame(&b, L, T, PW, PHH, 5);
    P( "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">recall</text>\n", L + PW / 2, T + PHH + 34);
    P( "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\">precision</text>\n", 22,
                  T + PHH / 2);
    for (size_t s = 0; s < n; s++) {
        const char *color = palette[s % (sizeof palette / sizeof palette[0])];
        for (int ti = 0; ti < 2; ti++) {
            double p[TS_COCO_NUM_REC];
            for (int r = 0; r < TS_COCO_NUM_REC; r++)
                p[r] = ts_coco_eval_mean_precision(series[s].eval, curve_t[ti], r, 0, TS_COCO_NUM_MAXDET - 1);
            if (st == TS_OK) st = curve(&b, p, L, T, PW, PHH, color, ti ? " stroke-dasharray=\"6,4\"" : "");
        }
        int ly = T + 10 + (int)s * row; /* legend right of the plot */
        P( "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                      L + PW + 16, ly, L + PW + 40, ly, color);
        P( "<text x=\"%d\" y=\"%d\">", L + PW + 46, ly + 4);
        PX(series[s].label, 26);
        PS( "</text>\n");
    }
    /* table */
    int ty = PH + 10;
    static const char *const head[] = {"predictions", "AP", "AP50", "AP75", "AR100", "mean IoU"};
    static const int col[] = {0, 300, 370, 440, 510, 590};
    for (int c = 0; c < 6; c++)
        P( "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", L + col[c], ty, head[c]);
    for (size_t s = 0; s < n; s++) {
        const double *sv = ts_coco_eval_stats(series[s].eval);
        uint64_t bins[10];
        double miou;
        ts_coco_eval_iou_histogram(series[s].eval, bins, &miou);
        double vals[5] = {sv[0], sv[1], sv[2], sv[8], miou};
        if (st == TS_OK) st = table_row(&b, L, ty + (int)(s + 1) * row, col, s, series[s].label, 44, vals, 5);
    }
    return finish_svg(ctx, path, &b, st);
}

/* ---- classification: one-vs-rest curves per class ------------------------------- */

ts_status ts_cls_pr_write_csv(ts_ctx *ctx, const char *path, const ts_cls_series *series, size_t n) {
    ts_buf b = {0};
    ts_status st = ts_buf_puts(&b, "series,category_id,category,recall,precision\n");
    for (size_t s = 0; s < n && st == TS_OK; s++) {
        const ts_cls_pr *pr = series[s].pr;
        st = csv_rows(&b, series[s].label, -1, -1, "all", pr->precision + pr->n_classes * TS_COCO_NUM_REC);
        for (size_t k = 0; k < pr->n_classes && st == TS_OK; k++)
            st = csv_rows(&b, series[s].label, -1, pr->category_ids[k], pr->names[k], pr->precision + k * TS_COCO_NUM_REC);
    }
    if (st != TS_OK) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory writing %s", path);
    else st = ts_file_write_atomic(ctx, path, b.data, b.len);
    ts_buf_free(&b);
    return st;
}

/* Panels drawn at most: the mean and the first classes by id. */
#define CLS_MAX_PANELS 40

ts_status ts_cls_pr_write_svg(ts_ctx *ctx, const char *path, const ts_cls_series *series, size_t n) {
    size_t classes = n ? series[0].pr->n_classes : 0;
    int panels = 1 + (int)(classes < CLS_MAX_PANELS - 1 ? classes : CLS_MAX_PANELS - 1);
    const int cols = 5, PW = 130, PHH = 100, CW = 180, CH = 150, L = 40, T = 50, row = 22;
    int rows = (panels + cols - 1) / cols, ty = T + rows * CH + 20;
    int W = L + cols * CW, H = ty + (int)(n + 1) * row + 20;
    ts_buf b = {0};
    ts_status st = TS_OK;
    P("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      W, H, W, H);
    P("<text x=\"%d\" y=\"22\" font-size=\"15\">Precision-recall per class, one class against the rest "
      "(x: recall, y: precision)</text>\n", L);
    if (classes + 1 > (size_t)panels)
        P("<text x=\"%d\" y=\"38\">the first %d classes by id of %zu; the CSV has them all</text>\n", L, panels - 1,
          classes);
    for (int i = 0; i < panels && st == TS_OK; i++) {
        int x = L + (i % cols) * CW, y = T + (i / cols) * CH;
        size_t k = i == 0 ? classes : (size_t)i - 1; /* the mean row first */
        P("<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x, y - 6);
        PX(i == 0 ? "all classes (mean)" : series[0].pr->names[k], 24);
        PS("</text>\n");
        if (st == TS_OK) st = frame(&b, x, y, PW, PHH, 2);
        for (size_t s = 0; s < n && st == TS_OK; s++)
            st = curve(&b, series[s].pr->precision + k * TS_COCO_NUM_REC, x, y, PW, PHH,
                       palette[s % (sizeof palette / sizeof palette[0])], "");
    }
    static const char *const head[] = {"predictions", "top-1", "top-k", "mean AP"};
    static const int col[] = {0, 380, 460, 540};
    for (int c = 0; c < 4; c++) P("<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", L + col[c], ty, head[c]);
    for (size_t s = 0; s < n; s++) {
        double vals[3] = {series[s].accuracy, series[s].top_k, series[s].pr->map};
        if (st == TS_OK) st = table_row(&b, L, ty + (int)(s + 1) * row, col, s, series[s].label, 56, vals, 3);
    }
    return finish_svg(ctx, path, &b, st);
}
