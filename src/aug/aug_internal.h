/* The op table and the per-sample state shared by the files of src/aug.
 * An op file defines one `const aug_op_def` per op and lists it in
 * aug_ops.c; the pipeline parses parameters from the def's specs, draws
 * them per sample, and calls the def's hook for its class. */
#ifndef TS_AUG_INTERNAL_H
#define TS_AUG_INTERNAL_H

#include "trainset/aug.h"

#define AUG_MAX_PARAMS 12

typedef enum {
    AUG_MATRIX, /* geometric, a 3x3 homography: fused with its neighbours */
    AUG_REMAP,  /* geometric, a displacement field (elastic, grid, lens) */
    AUG_LUT,    /* point-wise per channel: fused into one lookup table */
    AUG_PIXEL,  /* anything else that changes pixels (and maybe targets) */
    AUG_FINAL   /* normalize: ends the pipeline with float CHW */
} aug_class;

enum { PARAM_NUMBER = 0, PARAM_INT, PARAM_ENUM, PARAM_BOOL };

typedef struct {
    const char *name;
    int type;
    double lo, hi;          /* default range (equal for a fixed default) */
    double min, max;        /* allowed values */
    const char *const *choices; /* PARAM_ENUM names, NULL-terminated; values are indices */
} aug_param_spec;

/* Values drawn for one application of an op: the params in spec order, then
 * op-specific extras (e.g. a seed for noise, a crop position). */
typedef struct {
    double v[AUG_MAX_PARAMS * 2];
    int n;
} aug_draw;

struct aug_op;

typedef struct {
    int w, h;                 /* current image size (before this op) */
    const ts_aug_sample *sample;
    const double *m;          /* the fused matrix not yet applied to the sample, NULL if none */
} aug_view;

/* The union of the objects' boxes as the view sees them (through its
 * pending matrix), clipped to the image; w = 0 when there is none. For the
 * box-safe crop: computed only when one is drawn. */
void aug_view_box_union(const aug_view *v, double out[4]);

/* min and max of finite values, inlined (fmin/fmax are calls that honour
 * NaN, which the geometry here never holds). */
static inline double aug_min(double a, double b) { return b < a ? b : a; }
static inline double aug_max(double a, double b) { return b > a ? b : a; }

typedef struct {
    const char *name;
    aug_class cls;
    const aug_param_spec *params; /* terminated by a spec with name NULL */
    /* Extra draws after the params (uniform in [0,1)), or NULL. */
    void (*extra)(const struct aug_op *op, const aug_view *view, ts_rng *rng, aug_draw *d);
    /* AUG_MATRIX: the map from input to output coordinates and the output size. */
    void (*matrix)(const aug_draw *d, const aug_view *view, double m[9], int *out_w, int *out_h);
    /* AUG_LUT: compose into lut[channel][value] (floats 0..255, applied in order). */
    void (*lut)(const aug_draw *d, int channels, float lut[4][256]);
    /* AUG_PIXEL / AUG_REMAP / AUG_FINAL: change the sample in place. */
    ts_status (*apply)(ts_ctx *ctx, const aug_draw *d, ts_aug_sample *s);
    /* Check cross-parameter rules (lo <= hi is checked for all); may be NULL. */
    ts_status (*validate)(ts_ctx *ctx, const struct aug_op *op, const char *where);
} aug_op_def;

typedef enum { AUG_LEAF, AUG_ONE_OF, AUG_SOME_OF, AUG_SEQUENCE } aug_node;

typedef struct aug_op {
    aug_node node;
    const aug_op_def *def; /* leaves */
    double p;              /* probability of applying */
    double lo[AUG_MAX_PARAMS], hi[AUG_MAX_PARAMS];
    int index;             /* pre-order op index: the RNG's op counter */
    struct aug_op *children;
    size_t n_children;
    int n_lo, n_hi;        /* some_of: how many children */
} aug_op;

typedef enum { BBOX_CORNERS = 0, BBOX_ELLIPSE } aug_bbox_rotate;

struct ts_aug_pipeline {
    aug_op root; /* AUG_SEQUENCE */
    double min_area, min_visibility, min_width, min_height;
    aug_bbox_rotate bbox_rotate;
    int n_ops;
};

/* 1 when the AVX-512 VBMI paths (table lookups, row reversal) run; they
 * give the same bytes as the portable loops, which tests force by setting
 * aug_simd_off (warp.c) to compare the two. */
int aug_vbmi(void);
/* Every 8-bit pixel through its channel's table (img->c tables). */
void aug_image_lut(ts_image *img, const uint8_t (*table)[256]);
/* 1 when the AVX2 kernels run: the CPU has AVX2 (as src/image checks it)
 * and aug_simd_off is 0 or 2 (2 turns only the AVX-512 paths off, so tests
 * compare both with the portable loops on a CPU that has both). */
int aug_avx2(void);
extern int aug_simd_off;

/* Row kernels written as plain loops for the vectoriser; on x86-64 the
 * compiler also builds an AVX2 clone of each (AUG_POSITION_CLONES: and an
 * AVX-512 one), picked at load time. Their arithmetic gives the same bytes
 * in every clone (integers, or floats without contraction). Not under
 * ThreadSanitizer, whose runtime is not up when the clones are picked. */
#if defined(__SANITIZE_THREAD__)
#define AUG_NO_CLONES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AUG_NO_CLONES 1
#endif
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(AUG_NO_CLONES)
#define AUG_ROW_KERNEL __attribute__((target_clones("avx2", "default")))
#define AUG_POSITION_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define AUG_ROW_KERNEL
#define AUG_POSITION_CLONES
#endif

const aug_op_def *aug_find_op(const char *name);
extern const aug_op_def *const aug_all_ops[];

/* The parameter value of a draw by spec index. */
static inline double aug_param(const aug_draw *d, int i) { return d->v[i]; }

/* An owned 8-bit image whose pixels are not initialised, for outputs that
 * write every pixel (ts_image_alloc zeroes them: a second pass over
 * memory). Freed with ts_image_free. */
ts_status aug_image_alloc_uninit(ts_ctx *ctx, int w, int h, int c, ts_image *out);
/* When m only shifts by whole pixels and its w x h output lies inside
 * *img, narrow the owned image to that window in place (no pixel moves;
 * see ts_image.block) and return 1; else 0. */
int aug_crop_in_place(ts_image *img, const double m[9], int w, int h);

/* Geometry helpers (geometry.c). */
void aug_mat_identity(double m[9]);
void aug_mat_mul(const double a[9], const double b[9], double out[9]); /* out = a * b */
int aug_mat_invert(const double m[9], double out[9]);
void aug_mat_apply(const double m[9], double x, double y, double *ox, double *oy);
/* Resample `src` into a new w x h image through the inverse of `m`
 * (pixel-edge coordinates); border 0 constant, 1 reflect, 2 replicate;
 * interp 0 nearest, 1 bilinear. */
ts_status aug_warp(ts_ctx *ctx, const ts_image *src, const double m[9], int w, int h, int interp, int border,
                   const uint8_t *fill, ts_image *out);
/* The same for a 1-channel mask with nearest sampling (label maps). */
ts_status aug_warp_mask(ts_ctx *ctx, const uint8_t *mask, int sw, int sh, const double m[9], int w, int h,
                        uint8_t **out);

/* Resample a sample's pixels, masks and targets through `m` to w x h
 * (`p` may be NULL: corner boxes, no filters). */
ts_status aug_sample_transform(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, const double m[9], int w, int h,
                               int interp, int border, const uint8_t *fill);
/* The same with separate matrices for pixels and for targets/masks (whose
 * source size is mask_w x mask_h). */
ts_status aug_sample_transform2(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, const double pixels_m[9],
                                const double targets_m[9], int mask_w, int mask_h, int w, int h, int interp, int border,
                                const uint8_t *fill);
/* Fill a w x h mask with the polygon rings (even-odd, pixel centres). */
void aug_fill_polygons(const double *coords, const uint32_t *ring_sizes, uint32_t n_rings, int w, int h, uint8_t *mask);
/* A Beta(a, a) draw. */
double aug_beta(ts_rng *rng, double a);

/* Targets (targets.c): transform every object by `m` to a w x h image. */
ts_status aug_targets_matrix(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, const double m[9], int w, int h);
/* Transform by a point map (remap ops); `map` maps an output point to... no:
 * maps an INPUT point to its output position. */
typedef void (*aug_point_fn)(const void *user, double x, double y, double *ox, double *oy);
ts_status aug_targets_points(ts_ctx *ctx, const ts_aug_pipeline *p, ts_aug_sample *s, aug_point_fn fn,
                             const void *user, int w, int h);
/* Objects fresh from a caller: visibility and label weight 1, areas known. */
void aug_sample_prepare(ts_aug_sample *s);
/* Drop objects under the pipeline's filters (min area, visibility, size). */
void aug_targets_filter(const ts_aug_pipeline *p, ts_aug_sample *s);
/* Recompute each object's box from its polygon or mask (when it has one). */
void aug_object_area(const ts_aug_object *o, double *area);

#endif
