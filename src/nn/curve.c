/* The training-curve SVG: losses (left axis) and accuracies (right axis,
 * 0..1) per epoch, rewritten atomically after every epoch. */
#include <math.h>

#include "nn/nn_internal.h"

ts_status nn_curve_svg(ts_ctx *ctx, const char *path, const ts_nn_epoch_stats *h, int count);

#define W 640
#define H 360
#define L 60
#define R 60
#define T 30
#define B 40

static double px_x(int epoch, int last) {
    return L + (last > 1 ? (double)(epoch - 1) / (last - 1) : 0.5) * (W - L - R);
}

static void polyline(ts_buf *b, const ts_nn_epoch_stats *h, int count, int which, double top, const char *color,
                     const char *dash) {
    int last = h[count - 1].epoch, open = 0;
    for (int i = 0; i < count; i++) {
        double v = which == 0 ? h[i].train_loss : which == 1 ? h[i].val_loss : which == 2 ? h[i].train_acc : h[i].val_acc;
        if (!isfinite(v)) continue;
        double y = H - B - (v / top) * (H - T - B);
        if (!open) ts_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color, dash);
        open = 1;
        ts_buf_printf(b, "%.1f,%.1f ", px_x(h[i].epoch, last), y);
    }
    if (open) ts_buf_puts(b, "\"/>\n");
}

ts_status nn_curve_svg(ts_ctx *ctx, const char *path, const ts_nn_epoch_stats *h, int count) {
    if (count < 1) return TS_OK;
    double top = 0;
    for (int i = 0; i < count; i++) {
        if (isfinite(h[i].train_loss) && h[i].train_loss > top) top = h[i].train_loss;
        if (isfinite(h[i].val_loss) && h[i].val_loss > top) top = h[i].val_loss;
    }
    top = top > 0 ? ceil(top * 10) / 10 : 1;
    ts_buf b = {0};
    ts_buf_printf(&b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                  "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                  W, H);
    ts_buf_printf(&b, "<text x=\"%d\" y=\"18\" font-size=\"14\">training curve</text>\n", L);
    ts_buf_printf(&b, "<path d=\"M%d %d V%d H%d V%d\" fill=\"none\" stroke=\"#444\"/>\n", L, T, H - B, W - R, T);
    for (int k = 0; k <= 4; k++) {
        double y = H - B - k * (H - T - B) / 4.0;
        ts_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, W - R, y, y);
        ts_buf_printf(&b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", L - 6, y + 4, top * k / 4);
        ts_buf_printf(&b, "<text x=\"%d\" y=\"%.1f\">%.2f</text>\n", W - R + 6, y + 4, k / 4.0);
    }
    int last = h[count - 1].epoch;
    int step = last > 10 ? (last + 9) / 10 : 1;
    for (int i = 0; i < count; i++)
        if ((h[i].epoch - 1) % step == 0 || i == count - 1)
            ts_buf_printf(&b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", px_x(h[i].epoch, last),
                          H - B + 16, h[i].epoch);
    ts_buf_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", (W - L - R) / 2 + L, H - 6);
    ts_buf_printf(&b, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">loss</text>\n",
                  H / 2, H / 2);
    ts_buf_printf(&b,
                  "<text x=\"%d\" y=\"%d\" transform=\"rotate(90 %d %d)\" text-anchor=\"middle\">accuracy</text>\n",
                  W - 14, H / 2, W - 14, H / 2);
    polyline(&b, h, count, 0, top, "#1f77b4", "");
    polyline(&b, h, count, 1, top, "#1f77b4", " stroke-dasharray=\"6 4\"");
    polyline(&b, h, count, 2, 1.0, "#d62728", "");
    polyline(&b, h, count, 3, 1.0, "#d62728", " stroke-dasharray=\"6 4\"");
    const char *names[4] = {"train loss", "val loss", "train acc", "val acc"};
    const char *colors[4] = {"#1f77b4", "#1f77b4", "#d62728", "#d62728"};
    for (int k = 0; k < 4; k++) {
        int x = L + 10 + k * 120;
        ts_buf_printf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", x,
                      x + 24, T + 12, T + 12, colors[k], k % 2 ? " stroke-dasharray=\"6 4\"" : "");
        ts_buf_printf(&b, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 30, T + 16, names[k]);
    }
    if (ts_buf_puts(&b, "</svg>\n")) {
        ts_buf_free(&b);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    ts_status st = ts_file_write_atomic(ctx, path, b.data, b.len);
    ts_buf_free(&b);
    return st;
}
