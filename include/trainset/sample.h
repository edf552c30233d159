/* Split, balance and order a dataset: leak-free group-aware splits with
 * iterative stratification, class balancing plans, and the samplers that
 * feed training. Every result is a pure function of (dataset, options,
 * seed, epoch), whatever the thread count. */
#ifndef TRAINSET_SAMPLE_H
#define TRAINSET_SAMPLE_H

#include "dataset.h"
#include "hashindex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- groups ---------------------------------------------------------------- */

/* What keeps images together (never split apart, spread by samplers). */
typedef enum {
    TS_GROUP_NONE = 0, /* every image alone */
    TS_GROUP_SOURCE,   /* the image's group_id (augmented variants carry their source's) */
    TS_GROUP_VIDEO,    /* attribute "video_id" or "video", else the group_id */
    TS_GROUP_ATTR,     /* the value of a named attribute */
    TS_GROUP_DEDUP     /* near-duplicate clusters of perceptual hashes, joined with group_id */
} ts_group_kind;

typedef struct {
    ts_group_kind kind;
    const char *attr;       /* TS_GROUP_ATTR */
    ts_phash_kind hash;     /* TS_GROUP_DEDUP: hash kind (default DCT) */
    int threshold;          /* TS_GROUP_DEDUP: Hamming threshold (default 8) */
    const uint64_t *hashes; /* TS_GROUP_DEDUP: precomputed hashes (NULL: decode images) */
    int skip_unreadable;    /* TS_GROUP_DEDUP: an unreadable image is a warning and stays alone */
} ts_group_opts;

ts_group_opts ts_group_opts_default(void);
/* Parse "none", "source", "video", "dedup", "attr:NAME" (attr points into
 * `text`). Returns 0 on success, -1 for an unknown kind. */
int ts_group_kind_parse(const char *text, ts_group_opts *opts);

/* groups[i] (caller's array of image_count) receives the group of image i,
 * numbered 0.. in order of first image. Images without the group key are
 * groups of their own. */
ts_status ts_sample_groups(ts_ctx *ctx, const ts_dataset *ds, const ts_group_opts *opts, uint32_t *groups,
                           size_t *n_groups);

/* Perceptual hash of every image, decoding JPEGs at reduced DCT scale, in
 * parallel on the context's threads. ok[i] (may be NULL) is 0 for images
 * that could not be read; with ok == NULL the first such image is an error. */
ts_status ts_dataset_phashes(ts_ctx *ctx, const ts_dataset *ds, ts_phash_kind kind, uint64_t *hashes,
                             uint8_t *ok);

/* ---- split ----------------------------------------------------------------- */

#define TS_SPLIT_MAX 32

typedef struct {
    size_t n_splits;      /* 1..TS_SPLIT_MAX */
    const double *ratios; /* summing to 1 (within 1e-6) */
    int stratify;         /* iterative stratification by class */
    uint64_t seed;
    int best_effort;      /* turn impossible requests into warnings */
} ts_split_opts;

typedef struct {
    size_t n_splits, n_classes, n_images, n_groups, largest_group;
    size_t *images;         /* [n_splits] images assigned */
    double *target;         /* [n_splits] ratio * images */
    size_t *class_images;   /* [n_splits * n_classes] images holding class c in split s */
    size_t *class_total;    /* [n_classes] */
    double max_deviation;   /* largest |share of class in split - ratio|, classes with >= 1 image */
    double mean_deviation;  /* mean of the same over (split, class) */
} ts_split_report;

/* Assign every image a split: split_of[i] (caller's array of image_count)
 * in 0..n_splits-1. `groups` (from ts_sample_groups, may be NULL) are never
 * divided. Without stratify, groups are taken largest first (ties in seeded
 * random order) into the split furthest below its target. With stratify,
 * Sechidis et al. (2011): repeatedly take the class with the fewest
 * unassigned examples and give each of its groups to the split that most
 * wants that class (then most wants images, then by seed).
 * Refused (TS_ERR_INVALID, message with the numbers) unless best_effort:
 * ratios not summing to 1; a group larger than every split's target; a
 * split left empty; with stratify, a class in fewer groups than splits.
 * `report` (may be NULL) is filled on success; free with
 * ts_split_report_free. O(n log n + annotations). */
ts_status ts_split_assign(ts_ctx *ctx, const ts_dataset *ds, const uint32_t *groups, const ts_split_opts *opts,
                          uint32_t *split_of, ts_split_report *report);
void ts_split_report_free(ts_split_report *report);

/* A new dataset with the images i where keep[i] != 0, their annotations,
 * all categories, origins and metadata; each image's split set to `split`
 * unless it is NULL. */
ts_status ts_sample_subset(ts_ctx *ctx, const ts_dataset *ds, const uint8_t *keep, const char *split,
                           ts_dataset **out);

/* ---- balance ------------------------------------------------------------ */

typedef enum {
    TS_BALANCE_AUGMENT = 0, /* new images made from sources by a callback */
    TS_BALANCE_OVERSAMPLE,  /* duplicate references to source images */
    TS_BALANCE_UNDERSAMPLE, /* drop images of frequent classes, near-duplicates first */
    TS_BALANCE_REPEAT_FACTOR /* per-image sampling weights, LVIS */
} ts_balance_method;

typedef enum {
    TS_TARGET_UNIFORM = 0, /* every class to the largest (grow) or smallest (shrink) count */
    TS_TARGET_SQRT,        /* sqrt(f * f_max) when growing, sqrt(f * f_min) when shrinking */
    TS_TARGET_COUNT,       /* every class to N images */
    TS_TARGET_PER_CLASS    /* per category index; negative leaves a class alone */
} ts_target_kind;

const char *ts_balance_method_name(ts_balance_method m);
int ts_balance_method_parse(const char *s); /* -1 when unknown */

typedef struct {
    ts_balance_method method;
    ts_target_kind target;
    size_t count;             /* TS_TARGET_COUNT */
    const double *per_class;  /* TS_TARGET_PER_CLASS, category_count entries */
    double repeat_threshold;  /* repeat-factor t; 0 = 0.001 */
    uint64_t seed;
    int best_effort;
    const uint32_t *dup_groups; /* undersample: near-duplicate groups (may be NULL) */
} ts_balance_opts;

/* A balancing plan: what would change, and the before/after table. Counts
 * are images holding each class and instances (annotations) of it. */
typedef struct {
    size_t n_classes, n_images;
    double *target;             /* [n_classes] images wanted (-1: left alone) */
    size_t *before_images, *after_images;
    size_t *before_instances, *after_instances;
    size_t n_copies;            /* oversample/augment: new images */
    uint32_t *copy_source;      /* [n_copies] source image index of each */
    uint8_t *drop;              /* undersample: [n_images] 1 = dropped */
    size_t n_dropped;
    double *weight;             /* repeat-factor: [n_images] r(I) >= 1 */
    size_t unreached;           /* classes that miss their target */
} ts_balance_plan;

/* Plan. Oversample/augment walk the classes from the rarest, giving copies
 * round-robin to the class's images ordered by side effect (fewest
 * instances of classes already at target first, ties by seed). Undersample
 * drops, among images whose classes are all above target, near-duplicates
 * first, then in seeded order. Repeat-factor: r(c) = max(1, sqrt(t / f(c)))
 * with f(c) the fraction of images holding c, r(I) = max over I's classes.
 * Unreachable targets (a class with no images; an undersampled class whose
 * images hold rarer classes) are TS_ERR_INVALID with the numbers unless
 * best_effort. O(n log n + annotations). */
ts_status ts_balance_plan_make(ts_ctx *ctx, const ts_dataset *ds, const ts_balance_opts *opts,
                               ts_balance_plan *plan);
void ts_balance_plan_free(ts_balance_plan *plan);

/* Make the pixels and annotations of one new image for the augment method:
 * add image `new_id` (its group_id is preset by the caller: copy it) and
 * its annotations to `dst`, from image `src_index` of `src`, drawing all
 * randomness from `rng`. The augmentation engine provides this. */
typedef ts_status (*ts_balance_make_fn)(void *user, ts_ctx *ctx, const ts_dataset *src, size_t src_index,
                                        ts_rng rng, ts_dataset *dst, const ts_image_entry *new_entry);

/* Apply a plan: a new dataset. Oversample adds image entries that point at
 * the source files (new ids, group_id = the source's group, or a fresh one
 * given to source and copies,
 * attribute "copy_of"), with annotations copied; augment calls `make`
 * for each copy (TS_ERR_UNSUPPORTED when make is NULL); undersample leaves
 * out the dropped images; repeat-factor sets attribute "repeat_factor". */
ts_status ts_balance_apply(ts_ctx *ctx, const ts_dataset *ds, const ts_balance_plan *plan,
                           const ts_balance_opts *opts, ts_balance_make_fn make, void *user, ts_dataset **out);

/* ---- samplers ------------------------------------------------------------- */

typedef enum {
    TS_SAMPLER_UNIFORM = 0,     /* a new permutation every epoch */
    TS_SAMPLER_ONCE,            /* one permutation, reused */
    TS_SAMPLER_STRATIFIED,      /* each class spread evenly: batches track the global mix */
    TS_SAMPLER_CLASS_BALANCED,  /* P classes x K images per batch */
    TS_SAMPLER_REPEAT_FACTOR,   /* image repeated floor(r) + Bernoulli(frac r) times, shuffled */
    TS_SAMPLER_WEIGHTED,        /* draws proportional to weight (with or without replacement) */
    TS_SAMPLER_SPREAD_GROUPS,   /* a group's images in different batches, evenly spread */
    TS_SAMPLER_TOGETHER_GROUPS, /* K images of one group side by side in a batch */
    TS_SAMPLER_BUFFER,          /* bounded-buffer streaming shuffle of the input order */
    TS_SAMPLER_SHARD,           /* shard order, then order within each shard */
    TS_SAMPLER_MODE_COUNT
} ts_sampler_mode;

const char *ts_sampler_mode_name(ts_sampler_mode mode);
int ts_sampler_mode_parse(const char *name); /* -1 when unknown */

typedef struct {
    ts_sampler_mode mode;
    size_t batch;             /* batch size (>= 1) */
    uint64_t seed;
    uint32_t rank, world_size; /* distributed: this rank of world_size (0 = 1) */
    int drop_last;            /* drop an epoch's last short batch */
    size_t classes_per_batch; /* class-balanced P (0: batch / per_class) */
    size_t per_class;         /* class-balanced K; together-groups K (0 = 2) */
    double repeat_threshold;  /* repeat-factor t (0 = 0.001) */
    const char *weight_attr;  /* weighted: image attribute with the weight (NULL: "weight";
                                 missing: inverse frequency of the image's rarest class) */
    int replacement;          /* weighted: with replacement */
    size_t buffer;            /* buffer: buffer size (0 = 1000) */
    const char *shard_attr;   /* shard: attribute naming the shard (NULL: "shard", then source) */
    const uint32_t *groups;   /* spread/together-groups: per image (NULL: from group_id) */
} ts_sampler_opts;

ts_sampler_opts ts_sampler_opts_default(void);

typedef struct ts_sampler ts_sampler;

/* Build a sampler; it copies what it needs, so the dataset may go away. */
ts_status ts_sampler_create(ts_ctx *ctx, const ts_dataset *ds, const ts_sampler_opts *opts, ts_sampler **out);
void ts_sampler_destroy(ts_sampler *s); /* accepts NULL */

/* The whole order of an epoch over all ranks (image indices; images may
 * repeat in some modes), and the length of each global batch is `batch`
 * (the last may be short). *order is malloc'd. */
ts_status ts_sampler_epoch_order(ts_ctx *ctx, ts_sampler *s, uint64_t epoch, uint32_t **order, size_t *len);

/* Next batch of this rank: up to `batch` image indices into `out` (room
 * for opts.batch), *count set; at the end of an epoch the next call starts
 * the next one. Rank r takes global batches r, r + world, ... of each
 * epoch, and every rank the same number of them, so ranks are disjoint
 * and in step. *epoch (may be NULL) receives the batch's epoch. */
ts_status ts_sampler_next(ts_ctx *ctx, ts_sampler *s, uint32_t *out, size_t *count, uint64_t *epoch);

/* Position for resuming: restoring it makes next() continue exactly as
 * the saved sampler would have. */
typedef struct {
    uint64_t epoch;
    uint64_t batch; /* batches of this rank already taken in that epoch */
} ts_sampler_state;

ts_sampler_state ts_sampler_save(const ts_sampler *s);
ts_status ts_sampler_restore(ts_ctx *ctx, ts_sampler *s, ts_sampler_state state);
/* Batches per epoch for this rank. */
ts_status ts_sampler_batches_per_epoch(ts_ctx *ctx, ts_sampler *s, uint64_t epoch, size_t *batches);

/* What an order does: computed over `order` (image indices) cut into
 * batches of `batch`. */
typedef struct {
    double class_mix_deviation; /* mean over batches of total variation between the
                                   batch's class mix (rarest class per image) and the global */
    double group_collisions;    /* mean per batch of images whose group is already in it */
    double mean_displacement;   /* mean |position - input index| of the first occurrences */
    size_t max_displacement;
    size_t distinct;            /* distinct images in the order */
} ts_order_stats;

ts_status ts_sampler_order_stats(ts_ctx *ctx, const ts_sampler *s, const uint32_t *order, size_t len,
                                 ts_order_stats *out);

#ifdef __cplusplus
}
#endif
#endif
