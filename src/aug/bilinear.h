/* Bilinear sampling of 8-bit images at fixed-point source positions: the
 * one resampling kernel behind the affine and perspective warps (warp.c)
 * and the displacement-field remaps (ops_remap.c). */
#ifndef TS_AUG_BILINEAR_H
#define TS_AUG_BILINEAR_H

#include <stdint.h>

#include "trainset/image.h"

/* A position is a count of 1/64 px in index space: the centre of pixel
 * (x, y) is (64 x, 64 y). The 6 fractional bits become the blend weights. */
#define AUG_SUBPIXEL_BITS 6

/* Positions a caller computes at a time (two int32 arrays on its stack). */
#define AUG_SPAN 256

typedef struct {
    const ts_image *src; /* 8-bit, 1 to 4 channels */
    int border;          /* taps outside: 0 the fill colour, 1 reflect-101, 2 replicate */
    const uint8_t *fill; /* src->c bytes */
} aug_sampler;

/* Index of a tap outside [0, n) under the border mode, or -1 for constant. */
int aug_border_index(int i, int n, int border);

/* Source positions of output pixels x = x0 .. x0 + n - 1 of a row whose
 * source point is ((bx + ax x) / (bw + aw x), (by + ay x) / (bw + aw x)),
 * row = {bx, ax, by, ay, bw, aw} in index space (an affine row has bw = 1,
 * aw = 0); rounded to the nearest 1/64 px, far points clamped. */
void aug_positions_projective(const double row[6], int x0, int n, int32_t *xs, int32_t *ys);

/* Positions of a remap row: fx[i], fy[i] are pixel-edge source points (a
 * pixel's centre at +0.5), NaN for none; rounded as above. */
void aug_positions_field(const float *fx, const float *fy, int n, int32_t *xs, int32_t *ys);

/* n bilinear output pixels (n * c bytes at out) at the positions xs, ys,
 * taps outside the source under s's border. The vector paths (AVX-512 or
 * AVX2 where the CPU has them) give the same bytes as the portable loop;
 * tests run that with aug_simd_off = 1, and AVX2 at most with 2. */
void aug_bilinear_span(const aug_sampler *s, const int32_t *xs, const int32_t *ys, int n, uint8_t *out);

#endif
