/* Contact sheets of originals and their variants with the targets drawn,
 * so a pipeline can be judged by eye before training on it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"

static const uint8_t colours[8][3] = {{230, 25, 75}, {60, 180, 75}, {255, 225, 25}, {0, 130, 200},
                                      {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230}};

typedef struct {
    ts_image *img;
    int x0, y0, w, h; /* the cell's drawing area */
    double scale, ox, oy;
} canvas;

static void plot(const canvas *cv, int x, int y, const uint8_t *rgb) {
    if (x < cv->x0 || y < cv->y0 || x >= cv->x0 + cv->w || y >= cv->y0 + cv->h) return;
    memcpy((uint8_t *)ts_image_row(cv->img, y) + (size_t)x * 3, rgb, 3);
}

static void line(const canvas *cv, double ax, double ay, double bx, double by, const uint8_t *rgb) {
    int x0 = (int)lround(cv->ox + ax * cv->scale), y0 = (int)lround(cv->oy + ay * cv->scale);
    int x1 = (int)lround(cv->ox + bx * cv->scale), y1 = (int)lround(cv->oy + by * cv->scale);
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (int guard = 0; guard < 8192; guard++) { /* Bresenham */
        plot(cv, x0, y0, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

static void draw_object(const canvas *cv, const ts_aug_object *o) {
    const uint8_t *rgb = colours[(uint64_t)o->category_id % 8];
    if (o->has_box) {
        const double *b = o->bbox;
        line(cv, b[0], b[1], b[0] + b[2], b[1], rgb);
        line(cv, b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3], rgb);
        line(cv, b[0] + b[2], b[1] + b[3], b[0], b[1] + b[3], rgb);
        line(cv, b[0], b[1] + b[3], b[0], b[1], rgb);
    }
    const double *xy = o->coords;
    static const uint8_t white[3] = {255, 255, 255};
    for (uint32_t r = 0; r < o->n_rings; r++) {
        uint32_t n = o->ring_sizes[r] / 2;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t j = (i + 1) % n;
            line(cv, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1], white);
        }
        xy += o->ring_sizes[r];
    }
    for (uint32_t k = 0; k < o->n_keypoints; k++) {
        const double *p = o->keypoints + 3 * k;
        if (p[2] <= 0) continue;
        int cx = (int)lround(cv->ox + p[0] * cv->scale), cy = (int)lround(cv->oy + p[1] * cv->scale);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) plot(cv, cx + dx, cy + dy, rgb);
    }
}

ts_status ts_aug_contact_sheet(ts_ctx *ctx, const ts_aug_sample *samples, size_t rows, size_t cols, int cell,
                               ts_image *out) {
    if (rows == 0 || cols == 0 || cell < 8) return ts_error(ctx, TS_ERR_INVALID, "contact sheet: nothing to show");
    int gap = 4;
    size_t W = cols * (size_t)(cell + gap) + (size_t)gap, H = rows * (size_t)(cell + gap) + (size_t)gap;
    if (W > 1 << 15 || H > 1 << 15) return ts_error(ctx, TS_ERR_LIMIT, "contact sheet of %zux%zu is too large", W, H);
    ts_status s = ts_image_alloc(ctx, (int)W, (int)H, 3, TS_PIX_U8, out);
    if (s != TS_OK) return s;
    memset(out->data, 40, out->stride * out->h);
    for (size_t r = 0; r < rows && s == TS_OK; r++)
        for (size_t c = 0; c < cols && s == TS_OK; c++) {
            const ts_aug_sample *sm = &samples[r * cols + c];
            if (!sm->image.data || sm->image.w < 1 || sm->image.h < 1) continue;
            double scale = fmin((double)cell / sm->image.w, (double)cell / sm->image.h);
            int tw = (int)fmax(1, lround(sm->image.w * scale)), th = (int)fmax(1, lround(sm->image.h * scale));
            ts_image rgb, small, view;
            s = ts_image_convert(ctx, &sm->image, 3, &rgb);
            if (s != TS_OK) break;
            s = ts_image_resize(ctx, &rgb, tw, th, scale < 1 ? TS_INTERP_AREA : TS_INTERP_NEAREST, &small);
            ts_image_free(&rgb);
            if (s != TS_OK) break;
            int x0 = gap + (int)c * (cell + gap) + (cell - tw) / 2, y0 = gap + (int)r * (cell + gap) + (cell - th) / 2;
            s = ts_image_crop(ctx, out, x0, y0, tw, th, &view);
            if (s == TS_OK) s = ts_image_copy_into(ctx, &small, &view);
            ts_image_free(&small);
            canvas cv = {out, x0, y0, tw, th, scale, x0, y0};
            for (size_t k = 0; k < sm->n_objects && s == TS_OK; k++) draw_object(&cv, &sm->objects[k]);
        }
    if (s != TS_OK) ts_image_free(out);
    return s;
}
