/* The in-memory dataset: images, categories and annotations stored as
 * structure-of-arrays with interned strings, plus queries over them.
 *
 * Records are added through small view structs and read back through the
 * same structs, whose pointers point into the dataset and stay valid until
 * the dataset is next modified. Ids are kept as the source wrote them. */
#ifndef TRAINSET_DATASET_H
#define TRAINSET_DATASET_H

#include "core.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "No id" for optional id fields (group, licence, parent, track). */
#define TS_NO_ID INT64_MIN

/* ---- attributes ----------------------------------------------------------- */

typedef enum {
    TS_ATTR_STRING = 0,
    TS_ATTR_NUMBER, /* value holds the number's text as written */
    TS_ATTR_BOOL,   /* value is "true" or "false" */
    TS_ATTR_JSON    /* value is raw JSON text kept for round trips */
} ts_attr_type;

typedef struct {
    const char *key;
    const char *value;
    ts_attr_type type;
} ts_attr;

/* The attribute called `key` among n, or NULL; its value, or NULL. */
const ts_attr *ts_attr_find(const ts_attr *attrs, uint32_t n, const char *key);
const char *ts_attr_value(const ts_attr *attrs, uint32_t n, const char *key);

/* ---- records -------------------------------------------------------------- */

/* Where an image's pixels come from when they are not a file below an
 * on-disk root (IDX arrays, tar shards). Functions get `key`, the value the
 * reader stored with the image. Created with a reference count of 1. */
typedef struct ts_pixel_source ts_pixel_source;
typedef struct {
    /* Decoded pixels (caller frees with ts_image_free). Required. */
    ts_status (*load)(void *user, ts_ctx *ctx, uint64_t key, ts_image *out);
    /* Encoded file bytes and their codec, caller frees with free(). May be
     * NULL, in which case writers encode the decoded pixels as PNG. */
    ts_status (*bytes)(void *user, ts_ctx *ctx, uint64_t key, uint8_t **data, size_t *len);
    void (*destroy)(void *user); /* may be NULL */
} ts_pixel_source_fns;

ts_status ts_pixel_source_create(ts_ctx *ctx, const ts_pixel_source_fns *fns, void *user,
                                 ts_pixel_source **out);
ts_pixel_source *ts_pixel_source_retain(ts_pixel_source *src);
void ts_pixel_source_release(ts_pixel_source *src); /* accepts NULL */
ts_status ts_pixel_source_load(ts_pixel_source *src, ts_ctx *ctx, uint64_t key, ts_image *out);
/* NULL-safe: returns TS_ERR_UNSUPPORTED when the source has no bytes(). */
ts_status ts_pixel_source_bytes(ts_pixel_source *src, ts_ctx *ctx, uint64_t key, uint8_t **data,
                                size_t *len);

/* An origin says where a group of images lives: a root directory their
 * paths are relative to, and/or a pixel source. Merged datasets hold one
 * origin per input. Origin 0 always exists (root "", no source). */
typedef struct {
    const char *root;        /* directory image paths are relative to; "" = cwd */
    ts_pixel_source *pixels; /* NULL: read files root/path */
} ts_origin;

typedef struct {
    int64_t id;
    const char *path; /* relative to its origin's root, '/'-separated */
    int32_t width, height; /* 0 when unknown */
    const char *split;     /* "" when none */
    int64_t group_id;      /* TS_NO_ID when none */
    int64_t license;       /* TS_NO_ID when none */
    const char *source;    /* provenance: the file or input it came from */
    uint32_t origin;       /* index into the dataset's origins */
    uint64_t pixel_key;    /* passed to the origin's pixel source */
    const ts_attr *attrs;
    uint32_t n_attrs;
} ts_image_entry;

typedef struct {
    int64_t id;
    const char *name;
    const char *supercategory; /* "" when none */
    int64_t parent_id;         /* TS_NO_ID when none (hierarchies) */
    const char *const *keypoints; /* keypoint names (COCO person_keypoints) */
    uint32_t n_keypoints;
    const int32_t *skeleton; /* pairs of 1-based keypoint indices */
    uint32_t n_skeleton;     /* number of pairs */
    const ts_attr *attrs;
    uint32_t n_attrs;
} ts_category;

typedef enum {
    TS_ANN_LABEL = 0,   /* image-level label: category only */
    TS_ANN_BOX,         /* bbox only */
    TS_ANN_POLYGON,     /* one or more closed rings (+ bbox) */
    TS_ANN_MASK,        /* RLE mask (+ bbox) */
    TS_ANN_KEYPOINTS,   /* keypoints (+ bbox, maybe polygons) */
    TS_ANN_POLYLINE,    /* open line(s) */
    TS_ANN_POINTS       /* loose points */
} ts_ann_kind;

const char *ts_ann_kind_name(ts_ann_kind kind);

/* Flags of an annotation. */
enum {
    TS_ANN_HAS_BOX = 1u << 0,
    TS_ANN_HAS_AREA = 1u << 1,  /* area given by the source */
    TS_ANN_HAS_SCORE = 1u << 2, /* a prediction */
    TS_ANN_DIFFICULT = 1u << 3,
    TS_ANN_TRUNCATED = 1u << 4,
    TS_ANN_OCCLUDED = 1u << 5,
    TS_ANN_GROUP_OF = 1u << 6,  /* Open Images IsGroupOf */
    TS_ANN_NEGATIVE = 1u << 7,  /* verified absent (Open Images confidence 0) */
    TS_ANN_OUTSIDE = 1u << 8    /* CVAT track keyframe with outside=1 */
};

typedef struct {
    int64_t id;
    int64_t image_id;
    int64_t category_id;
    ts_ann_kind kind;
    uint32_t flags;
    double bbox[4]; /* x, y, w, h in pixel-edge coordinates */
    double area;
    int iscrowd;
    double score;
    const char *annotator; /* "" when unknown */
    int64_t track_id;      /* TS_NO_ID when none */
    int32_t frame;         /* video frame, -1 when none */
    int32_t z_order;
    /* Polygons / polylines / points: ring i has ring_sizes[i] coordinates
     * (x, y interleaved, so twice the vertex count). */
    const double *coords;
    const uint32_t *ring_sizes;
    uint32_t n_rings;
    /* RLE mask in COCO's column-major run lengths, starting with zeros. */
    const uint32_t *rle;
    uint32_t rle_len;
    uint32_t mask_h, mask_w;
    /* Keypoints: n_keypoints triples (x, y, visibility). */
    const double *keypoints;
    uint32_t n_keypoints;
    const ts_attr *attrs;
    uint32_t n_attrs;
} ts_annotation;

/* An annotation with every field at its "none" value. */
ts_annotation ts_annotation_empty(void);
ts_image_entry ts_image_entry_empty(void);
ts_category ts_category_empty(void);

/* ---- the dataset ----------------------------------------------------------- */

typedef struct ts_dataset ts_dataset;

ts_status ts_dataset_create(ts_ctx *ctx, ts_dataset **out);
void ts_dataset_destroy(ts_dataset *ds); /* accepts NULL */

size_t ts_dataset_image_count(const ts_dataset *ds);
size_t ts_dataset_category_count(const ts_dataset *ds);
size_t ts_dataset_annotation_count(const ts_dataset *ds);

/* Add records; the dataset copies everything the view points to. Adding an
 * id that exists already is TS_ERR_INVALID with a message naming it.
 * *index (may be NULL) receives the new record's index. */
ts_status ts_dataset_add_image(ts_ctx *ctx, ts_dataset *ds, const ts_image_entry *img, size_t *index);
ts_status ts_dataset_add_category(ts_ctx *ctx, ts_dataset *ds, const ts_category *cat, size_t *index);
/* Annotations may name images/categories not (yet) present; see
 * ts_dataset_validate. Duplicate annotation ids are refused. */
ts_status ts_dataset_add_annotation(ts_ctx *ctx, ts_dataset *ds, const ts_annotation *ann, size_t *index);

/* Read records by index into views valid until the next modification. */
void ts_dataset_image(const ts_dataset *ds, size_t index, ts_image_entry *out);
void ts_dataset_category(const ts_dataset *ds, size_t index, ts_category *out);
void ts_dataset_annotation(const ts_dataset *ds, size_t index, ts_annotation *out);

/* Fast field access without building views. */
int64_t ts_dataset_image_id(const ts_dataset *ds, size_t index);
int64_t ts_dataset_category_id(const ts_dataset *ds, size_t index);
int64_t ts_dataset_annotation_image_id(const ts_dataset *ds, size_t index);
int64_t ts_dataset_annotation_category_id(const ts_dataset *ds, size_t index);

/* Replace an image's or annotation's fields with those of the view (which
 * may point into the dataset itself). The id may not change to one in use. */
ts_status ts_dataset_update_image(ts_ctx *ctx, ts_dataset *ds, size_t index, const ts_image_entry *img);
ts_status ts_dataset_update_annotation(ts_ctx *ctx, ts_dataset *ds, size_t index, const ts_annotation *ann);
ts_status ts_dataset_update_category(ts_ctx *ctx, ts_dataset *ds, size_t index, const ts_category *cat);

/* Lookups by id or name; return 1 and set *index when found. */
int ts_dataset_find_image(const ts_dataset *ds, int64_t id, size_t *index);
int ts_dataset_find_category(const ts_dataset *ds, int64_t id, size_t *index);
int ts_dataset_find_category_name(const ts_dataset *ds, const char *name, size_t *index);
int ts_dataset_find_annotation(const ts_dataset *ds, int64_t id, size_t *index);
int ts_dataset_find_image_path(const ts_dataset *ds, const char *path, size_t *index);

/* Indices of the annotations of image `index`, in insertion order. The
 * array belongs to the dataset (valid until the next modification). */
ts_status ts_dataset_image_annotations(ts_ctx *ctx, const ts_dataset *ds, size_t image_index,
                                       const size_t **indices, size_t *count);

/* Largest id in use + 1 (0 for none): a free id for new records. */
int64_t ts_dataset_next_image_id(const ts_dataset *ds);
int64_t ts_dataset_next_category_id(const ts_dataset *ds);
int64_t ts_dataset_next_annotation_id(const ts_dataset *ds);

/* Origins (see ts_origin). Adding retains the pixel source. */
ts_status ts_dataset_add_origin(ts_ctx *ctx, ts_dataset *ds, const char *root, ts_pixel_source *pixels,
                                uint32_t *origin);
size_t ts_dataset_origin_count(const ts_dataset *ds);
ts_origin ts_dataset_origin(const ts_dataset *ds, uint32_t origin);
/* Set origin 0's root (readers call this with the dataset's image root). */
ts_status ts_dataset_set_root(ts_ctx *ctx, ts_dataset *ds, const char *root);

/* Dataset-level metadata kept for round trips, keyed by name ("info",
 * "licenses" as raw JSON, "format" = the format it was read from, ...). */
ts_status ts_dataset_set_meta(ts_ctx *ctx, ts_dataset *ds, const char *key, const char *value);
const char *ts_dataset_meta(const ts_dataset *ds, const char *key); /* NULL if absent */
size_t ts_dataset_meta_count(const ts_dataset *ds);
void ts_dataset_meta_at(const ts_dataset *ds, size_t i, const char **key, const char **value);

/* Intern a string in the dataset's pool (for callers building views whose
 * strings must outlive a temporary buffer). */
const char *ts_dataset_intern(ts_ctx *ctx, ts_dataset *ds, const char *s);

/* Copy an image (with its origin, mapped into `dst`) from another dataset,
 * giving it `new_id` (or keeping its id when new_id is TS_NO_ID). */
ts_status ts_dataset_copy_image(ts_ctx *ctx, ts_dataset *dst, const ts_dataset *src, size_t src_index,
                                int64_t new_id, size_t *index);

/* A new dataset holding the images whose keep[i] is non-zero (in order,
 * ids kept), their annotations, every category and the metadata. */
ts_status ts_dataset_select(ts_ctx *ctx, const ts_dataset *ds, const uint8_t *keep, ts_dataset **out);

/* Check references: annotations on missing images or categories, images
 * with invalid sizes, non-finite or negative boxes. Returns the first
 * problem as an error (or warnings and counts in lenient mode). */
ts_status ts_dataset_validate(ts_ctx *ctx, const ts_dataset *ds);

/* Approximate bytes held by the dataset. */
size_t ts_dataset_memory(const ts_dataset *ds);

/* ---- polygons -------------------------------------------------------------- */

/* Area enclosed by a closed ring of n vertices (x, y interleaved), by the
 * shoelace formula, as a non-negative number. */
double ts_ring_area(const double *xy, uint32_t n_vertices);
/* Summed area of polygon rings as stored in ts_annotation (ring_sizes in
 * coordinates, so twice the vertices). */
double ts_polygons_area(const double *coords, const uint32_t *ring_sizes, uint32_t n_rings);

/* ---- masks (COCO RLE) ------------------------------------------------------ */

/* Decode COCO's compressed RLE string into run lengths (malloc'd). */
ts_status ts_rle_from_string(ts_ctx *ctx, const char *s, size_t len, uint32_t **counts, uint32_t *n);
/* Encode run lengths as COCO's compressed string (malloc'd, NUL-terminated). */
ts_status ts_rle_to_string(ts_ctx *ctx, const uint32_t *counts, uint32_t n, char **s);
/* Run lengths of a binary column-major (COCO) or row-major mask. */
ts_status ts_rle_encode(ts_ctx *ctx, const uint8_t *mask, uint32_t h, uint32_t w, int row_major,
                        uint32_t **counts, uint32_t *n);
/* Fill a h*w mask (row-major, 0/1) from run lengths; TS_ERR_INVALID when
 * the runs do not sum to h*w. */
ts_status ts_rle_decode(ts_ctx *ctx, const uint32_t *counts, uint32_t n, uint32_t h, uint32_t w,
                        uint8_t *mask);
/* Area (number of ones) and bounding box of an RLE mask. */
uint64_t ts_rle_area(const uint32_t *counts, uint32_t n);
void ts_rle_bbox(const uint32_t *counts, uint32_t n, uint32_t h, uint32_t w, double bbox[4]);

#ifdef __cplusplus
}
#endif
#endif
