/* Perceptual hashes from decoded pixels: difference hash (dHash) and DCT
 * hash (pHash), computed on an exact area-average downscale of the luma. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainset/hashindex.h"

#define DCT_SIDE 32
#define HASH_SIDE 8

const char *ts_phash_kind_name(ts_phash_kind kind) {
    return kind == TS_PHASH_DCT ? "dct" : "dhash";
}

int ts_phash_kind_from_name(const char *name) {
    if (!name) return -1;
    if (ts_strcaseeq(name, "dhash") || ts_strcaseeq(name, "difference")) return TS_PHASH_DIFFERENCE;
    if (ts_strcaseeq(name, "dct") || ts_strcaseeq(name, "phash")) return TS_PHASH_DCT;
    return -1;
}

int ts_phash_scale_denom(int w, int h, int min_side) {
    int side = w < h ? w : h;
    if (side <= 0 || min_side <= 0) return 1;
    for (int d = 8; d > 1; d /= 2)
        if (side / d >= min_side) return d;
    return 1;
}

/* Overlap weights of source pixels [x, x+1) with target cell j, which
 * covers [j*src/dst, (j+1)*src/dst): for each source pixel the first cell
 * it touches and the share of it that falls into that cell (the rest, if
 * any, goes to the next cell). Valid for src >= dst. */
typedef struct {
    int *cell;
    double *share;
} axis_map;

static void axis_map_fill(axis_map *m, int src, int dst) {
    double step = (double)src / dst;
    for (int x = 0; x < src; x++) {
        int j = (int)floor(x / step);
        if (j >= dst) j = dst - 1;
        double edge = (j + 1) * step; /* right edge of cell j */
        double share = edge >= x + 1 ? 1.0 : edge - x;
        if (share < 0) share = 0;
        if (j == dst - 1) share = 1.0;
        m->cell[x] = j;
        m->share[x] = share;
    }
}

static double luma_at(const uint8_t *p, int c) {
    if (c >= 3) return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    return p[0];
}

/* Area-average the luma of `img` into a gw x gh grid (row-major, values in
 * 0..255). Images smaller than the grid are sampled nearest-neighbour. */
static ts_status downscale_luma(ts_ctx *ctx, const ts_image *img, int gw, int gh, double *grid) {
    int w = img->w, h = img->h, c = img->c;
    if (w < gw || h < gh) {
        for (int i = 0; i < gh; i++) {
            const uint8_t *row = ts_image_row(img, (int)((int64_t)i * h / gh));
            for (int j = 0; j < gw; j++) grid[i * gw + j] = luma_at(row + (size_t)((int64_t)j * w / gw) * c, c);
        }
        return TS_OK;
    }
    axis_map mx, my;
    mx.cell = ts_alloc_array(ctx, (size_t)w, sizeof(int));
    mx.share = ts_alloc_array(ctx, (size_t)w, sizeof(double));
    my.cell = ts_alloc_array(ctx, (size_t)h, sizeof(int));
    my.share = ts_alloc_array(ctx, (size_t)h, sizeof(double));
    double *line = ts_alloc_array(ctx, (size_t)gw, sizeof(double));
    if (!mx.cell || !mx.share || !my.cell || !my.share || !line) {
        free(mx.cell), free(mx.share), free(my.cell), free(my.share), free(line);
        return TS_ERR_NOMEM;
    }
    axis_map_fill(&mx, w, gw);
    axis_map_fill(&my, h, gh);
    memset(grid, 0, (size_t)gw * gh * sizeof *grid);
    for (int y = 0; y < h; y++) {
        const uint8_t *row = ts_image_row(img, y);
        memset(line, 0, (size_t)gw * sizeof *line);
        for (int x = 0; x < w; x++) {
            double v = luma_at(row + (size_t)x * c, c);
            int j = mx.cell[x];
            double s = mx.share[x];
            line[j] += s * v;
            if (s < 1.0) line[j + 1] += (1.0 - s) * v;
        }
        int i = my.cell[y];
        double s = my.share[y];
        for (int j = 0; j < gw; j++) {
            grid[i * gw + j] += s * line[j];
            if (s < 1.0) grid[(i + 1) * gw + j] += (1.0 - s) * line[j];
        }
    }
    double area = ((double)w / gw) * ((double)h / gh);
    for (int k = 0; k < gw * gh; k++) grid[k] /= area;
    free(mx.cell), free(mx.share), free(my.cell), free(my.share), free(line);
    return TS_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 8x8 lowest-frequency terms of the (unnormalised) 2-D DCT-II of a 32x32
 * grid, row-major. */
static void dct_low(const double *g, double *out) {
    double cosv[HASH_SIDE][DCT_SIDE];
    for (int k = 0; k < HASH_SIDE; k++)
        for (int n = 0; n < DCT_SIDE; n++) cosv[k][n] = cos(M_PI * k * (2 * n + 1) / (2.0 * DCT_SIDE));
    double rows[DCT_SIDE][HASH_SIDE]; /* DCT along each row, low terms only */
    for (int y = 0; y < DCT_SIDE; y++)
        for (int k = 0; k < HASH_SIDE; k++) {
            double s = 0;
            for (int n = 0; n < DCT_SIDE; n++) s += g[y * DCT_SIDE + n] * cosv[k][n];
            rows[y][k] = s;
        }
    for (int ky = 0; ky < HASH_SIDE; ky++)
        for (int kx = 0; kx < HASH_SIDE; kx++) {
            double s = 0;
            for (int n = 0; n < DCT_SIDE; n++) s += rows[n][kx] * cosv[ky][n];
            out[ky * HASH_SIDE + kx] = s;
        }
}

ts_status ts_phash(ts_ctx *ctx, const ts_image *img, ts_phash_kind kind, uint64_t *out) {
    if (!img || !img->data || img->w <= 0 || img->h <= 0 || img->c < 1 || img->c > 4)
        return ts_error(ctx, TS_ERR_INVALID, "perceptual hash: empty image or %d channels",
                        img ? img->c : 0);
    if (img->type != TS_PIX_U8)
        return ts_error(ctx, TS_ERR_INVALID, "perceptual hash: needs 8-bit pixels");
    uint64_t h = 0;
    if (kind == TS_PHASH_DCT) {
        double grid[DCT_SIDE * DCT_SIDE], low[HASH_SIDE * HASH_SIDE], sorted[HASH_SIDE * HASH_SIDE];
        ts_status st = downscale_luma(ctx, img, DCT_SIDE, DCT_SIDE, grid);
        if (st != TS_OK) return st;
        dct_low(grid, low);
        memcpy(sorted, low, sizeof sorted);
        qsort(sorted, HASH_SIDE * HASH_SIDE, sizeof *sorted, cmp_double);
        double median = (sorted[31] + sorted[32]) / 2;
        for (int i = 0; i < 64; i++)
            if (low[i] > median) h |= 1ull << i;
    } else if (kind == TS_PHASH_DIFFERENCE) {
        double grid[(HASH_SIDE + 1) * HASH_SIDE];
        ts_status st = downscale_luma(ctx, img, HASH_SIDE + 1, HASH_SIDE, grid);
        if (st != TS_OK) return st;
        for (int r = 0; r < HASH_SIDE; r++)
            for (int c = 0; c < HASH_SIDE; c++)
                if (grid[r * (HASH_SIDE + 1) + c + 1] > grid[r * (HASH_SIDE + 1) + c]) h |= 1ull << (r * HASH_SIDE + c);
    } else {
        return ts_error(ctx, TS_ERR_INVALID, "perceptual hash: unknown kind %d", (int)kind);
    }
    *out = h;
    return TS_OK;
}
