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

static ts_status csv_curve(ts_buf *b, const char *label, int t, int64_t cat_id, const char *cat_name,
                           const ts_coco_eval *ev, size_t k, int overall) {
    const double *rec = ts_coco_recall_thresholds();
    ts_status st = TS_OK;
    for (int r = 0; r < TS_COCO_NUM_REC && st == TS_OK; r++) {
        double p = overall ? ts_coco_eval_mean_precision(ev, t, r, 0, TS_COCO_NUM_MAXDET - 1)
                           : ts_coco_eval_precision(ev, t, r, k, 0, TS_COCO_NUM_MAXDET - 1);
        if (p < 0) return TS_OK; /* no ground truth: no curve */
        st = put_csv_field(b, label);
        if (st == TS_OK) st = ts_buf_printf(b, ",%.2f,%lld,", ts_coco_iou_thresholds()[t], (long long)cat_id);
        if (st == TS_OK) st = put_csv_field(b, cat_name);
        if (st == TS_OK) st = ts_buf_putc(b, ',');
        if (st == TS_OK) st = ts_buf_put_double(b, rec[r]);
        if (st == TS_OK) st = ts_buf_putc(b, ',');
        if (st == TS_OK) st = ts_buf_put_double(b, p);
        if (st == TS_OK) st = ts_buf_putc(b, '\n');
    }
    return st;
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
    for (int i = 0; i <= 5; i++) { /* grid and ticks */
        double f = i / 5.0;
        int x = L + (int)lround(f * PW), y = T + PHH - (int)lround(f * PHH);
        P( "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, T, x, T + PHH);
        P( "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", L, y, L + PW, y);
        P( "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.1f</text>\n", x, T + PHH + 16, f);
        P( "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>\n", L - 6, y + 4, f);
    }
    P( "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", L, T, PW, PHH);
    P( "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">recall</text>\n", L + PW / 2, T + PHH + 34);
    P( "<text transform=\"translate(%d,%d) rotate(-90)\" text-anchor=\"middle\">precision</text>\n", 22,
                  T + PHH / 2);
    const double *rec = ts_coco_recall_thresholds();
    for (size_t s = 0; s < n; s++) {
        const char *color = palette[s % (sizeof palette / sizeof palette[0])];
        for (int ti = 0; ti < 2; ti++) {
            P( "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color,
                          ti ? " stroke-dasharray=\"6,4\"" : "");
            for (int r = 0; r < TS_COCO_NUM_REC; r++) {
                double p = ts_coco_eval_mean_precision(series[s].eval, curve_t[ti], r, 0, TS_COCO_NUM_MAXDET - 1);
                if (p < 0) break;
                P( "%.1f,%.1f ", L + rec[r] * PW, T + PHH - p * PHH);
            }
            PS( "\"/>\n");
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
        int y = ty + (int)(s + 1) * row;
        P( "<text x=\"%d\" y=\"%d\" fill=\"%s\">", L, y, palette[s % (sizeof palette / sizeof palette[0])]);
        PX(series[s].label, 44);
        PS( "</text>\n");
        double vals[5] = {sv[0], sv[1], sv[2], sv[8], miou};
        for (int c = 0; c < 5; c++) {
            P( "<text x=\"%d\" y=\"%d\">", L + col[c + 1], y);
            PV( vals[c]);
            PS( "</text>\n");
        }
    }
    PS("</svg>\n");
    if (st != TS_OK) st = ts_error(ctx, TS_ERR_NOMEM, "out of memory writing %s", path);
    else st = ts_file_write_atomic(ctx, path, b.data, b.len);
    ts_buf_free(&b);
    return st;
}
