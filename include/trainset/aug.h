/* Augmentation: a pipeline of ops described in JSON, applied to an image and
 * its targets (boxes, polygons, keypoints, masks) together. Consecutive
 * geometric ops are fused into one matrix and the image is resampled once;
 * point-wise photometric ops are fused into one lookup table per channel.
 * Every random draw is a pure function of (seed, epoch, sample index, op
 * index), so results do not depend on threads or order, and every applied
 * parameter can be logged and replayed bit for bit.
 *
 * Conventions: coordinates are pixel-edge continuous (pixel (i, j) covers
 * [i, i+1) x [j, j+1)); positive rotation angles turn the image
 * counter-clockwise as displayed (y down), as OpenCV and Albumentations do. */
#ifndef TRAINSET_AUG_H
#define TRAINSET_AUG_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One object of a sample. All arrays are owned by the sample (malloc'd) and
 * replaced by the pipeline as it transforms them. */
typedef struct {
    int64_t id, category_id;
    int has_box;
    double bbox[4];       /* x, y, w, h */
    double *coords;       /* polygon rings, x y interleaved */
    uint32_t *ring_sizes; /* coordinates per ring */
    uint32_t n_rings;
    double *keypoints;    /* n_keypoints triples x, y, visibility */
    uint32_t n_keypoints;
    uint8_t *mask;        /* optional binary mask of the image's size */
    double visibility;    /* kept area / original area, 1 at start */
    double original_area; /* area at the start of the pipeline */
    double label_weight;  /* 1; mixup / cutmix blend labels by weight */
} ts_aug_object;

typedef struct ts_aug_sample_s {
    ts_image image;       /* owned, 8-bit HWC, 1..4 channels */
    ts_aug_object *objects;
    size_t n_objects;
    uint8_t *label_map;   /* optional class-index map of the image's size */
    float *chw;           /* set by `normalize`: c*h*w floats (owned) */
    /* Where the multi-image ops (mixup, cutmix, mosaic, copy_paste) get
     * other samples: `draw` is a random 32-bit number the op drew (map it
     * to an image, e.g. draw % count). NULL: those ops leave the sample as
     * it is. Must be thread-safe when batches run on a pool. */
    ts_status (*partner)(void *user, ts_ctx *ctx, uint64_t draw, struct ts_aug_sample_s *out);
    void *partner_user;
} ts_aug_sample;

/* Free everything a sample owns and zero it; accepts NULL. */
void ts_aug_sample_clear(ts_aug_sample *sample);
/* A sample from image `index` of a dataset (pixels decoded, its annotations
 * as objects; RLE masks decoded to masks). */
ts_status ts_aug_sample_from_dataset(ts_ctx *ctx, const ts_dataset *ds, size_t index, ts_aug_sample *out);

/* A partner provider for multi-image ops drawing from a dataset (`user` is
 * the const ts_dataset *): image draw % count, unaugmented. */
ts_status ts_aug_partner_from_dataset(void *user, ts_ctx *ctx, uint64_t draw, ts_aug_sample *out);

typedef struct ts_aug_pipeline ts_aug_pipeline;

/* Parse a pipeline: {"ops": [...], "min_area": A, "min_visibility": V,
 * "min_width": W, "min_height": H, "bbox_rotate": "corners"|"ellipse"}.
 * Unknown ops or parameters, out-of-range values and wrong types are
 * errors naming the op and the field. `name` labels messages. */
ts_status ts_aug_pipeline_parse(ts_ctx *ctx, const char *name, const char *json, size_t len, ts_aug_pipeline **out);
/* From a file, or inline JSON when `spec` starts with '{'. */
ts_status ts_aug_pipeline_load(ts_ctx *ctx, const char *spec, ts_aug_pipeline **out);
void ts_aug_pipeline_destroy(ts_aug_pipeline *pipeline); /* accepts NULL */

/* Apply to one sample in place. Draws depend only on (seed, epoch, index,
 * op index). When `log` is not NULL a JSON line of every applied op and its
 * drawn parameters is appended. Thread-safe on distinct samples. */
ts_status ts_aug_apply(ts_ctx *ctx, const ts_aug_pipeline *pipeline, uint64_t seed, uint64_t epoch, uint64_t index,
                       ts_aug_sample *sample, ts_buf *log);
/* Decode `bytes` (an encoded image) and apply: when the pipeline starts
 * with geometric ops, a JPEG is decoded cropped to the region they keep and
 * at the coarsest DCT scale (1/2, 1/4, 1/8) that still holds the output
 * resolution, which is much faster than a full decode. `sample` holds the
 * objects in full-image coordinates; its image is replaced. Draws are the
 * same as ts_aug_apply's for the same (seed, epoch, index); pixels differ
 * only by the decoder's scaling. */
ts_status ts_aug_apply_encoded(ts_ctx *ctx, const ts_aug_pipeline *pipeline, uint64_t seed, uint64_t epoch,
                               uint64_t index, const char *name, const void *bytes, size_t len, ts_aug_sample *sample,
                               ts_buf *log);
/* Re-apply exactly what a log line records (the output is identical). */
ts_status ts_aug_replay(ts_ctx *ctx, const ts_aug_pipeline *pipeline, const char *log_line, size_t len,
                        ts_aug_sample *sample);
/* Apply to samples[0..n) (sample i gets index first_index + i) on a pool. */
ts_status ts_aug_apply_batch(ts_ctx *ctx, const ts_aug_pipeline *pipeline, ts_pool *pool, uint64_t seed,
                             uint64_t epoch, uint64_t first_index, ts_aug_sample *samples, size_t n);

/* Offline augmentation of a dataset: K variants of each (selected) image.
 * Variant k of image i is sample index i * copies + k, so any variant can be
 * recomputed alone. New images are encoded (JPEG for JPEG sources, else
 * PNG) into `image_dir` and the returned dataset refers to them there;
 * each new image carries the group id of its source (the source's own
 * group, or its id) and source "augment:<path>". Annotations follow their
 * objects (ids renumbered from 1). With `log`, one JSON line per variant
 * {"image_id", "copy", "aug": {...}} is appended in order; `replay` (the
 * text of such a log) re-applies exactly those draws instead. */
typedef struct {
    uint64_t seed, epoch;
    uint32_t copies;
    const char *classes;  /* comma-separated names: only images holding one; NULL = all */
    int with_originals;   /* also keep the source images and annotations */
    const char *image_dir;
    ts_buf *log;
    const char *replay;
    size_t replay_len;
} ts_aug_offline_opts;

ts_status ts_aug_offline(ts_ctx *ctx, const ts_dataset *in, const ts_aug_pipeline *pipeline,
                         const ts_aug_offline_opts *opts, ts_dataset **out);

/* Add a sample's objects as annotations of image `image_id` in `dst`
 * (ids from *next_id on; masks as RLE of the sample's image size). */
ts_status ts_aug_sample_annotate(ts_ctx *ctx, const ts_aug_sample *sample, ts_dataset *dst, int64_t image_id,
                                 int64_t *next_id);

/* A contact sheet: `rows` rows of `cols` samples each (row-major in
 * `samples`, entries with no image left blank), every sample letterboxed
 * into a `cell` x `cell` square with its boxes, polygons and keypoints
 * drawn in colours by category. `out` is an owned RGB image. */
ts_status ts_aug_contact_sheet(ts_ctx *ctx, const ts_aug_sample *samples, size_t rows, size_t cols, int cell,
                               ts_image *out);

/* Names of all ops, NULL-terminated (for --help and the reference page). */
const char *const *ts_aug_op_names(void);

#ifdef __cplusplus
}
#endif
#endif
