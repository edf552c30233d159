/* Shared by the files of src/sample: per-image class lists, seeded
 * shuffles and small sorting helpers. */
#ifndef TS_SAMPLE_INTERNAL_H
#define TS_SAMPLE_INTERNAL_H

#include "trainset/sample.h"

/* Classes of each image as compressed rows: image i holds classes
 * cls[off[i] .. off[i+1]) (category indices, ascending, distinct) with
 * inst[] instances each. Negative (verified-absent) labels are left out. */
typedef struct {
    size_t n_images, n_classes;
    uint32_t *off;
    uint32_t *cls;
    uint32_t *inst;
    size_t *class_images;    /* [n_classes] images holding the class */
    size_t *class_instances; /* [n_classes] */
    uint32_t *rarest;        /* [n_images] class with fewest images, UINT32_MAX if none */
} sample_labels;

ts_status sample_labels_build(ts_ctx *ctx, const ts_dataset *ds, sample_labels *out);
void sample_labels_free(sample_labels *l);

/* Fisher-Yates shuffle of a[0..n) drawing from rng. */
void sample_shuffle(uint32_t *a, size_t n, ts_rng *rng);

/* Map a double in [0, 1) or any finite value to a sortable u64 key. */
uint64_t sample_double_key(double v);

/* Number groups given one 64-bit key per image (has_key[i] == 0: alone),
 * in order of first image. */
ts_status sample_number_groups(ts_ctx *ctx, size_t n, const uint64_t *keys, const uint8_t *has_key,
                               uint32_t *groups, size_t *n_groups);

#endif
