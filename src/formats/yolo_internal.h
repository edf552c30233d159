/* Shared between the YOLO reader, writer and the data.yaml subset parser:
 * declarations internal to src/formats. */
#ifndef TS_YOLO_INTERNAL_H
#define TS_YOLO_INTERNAL_H

#include "trainset/formats.h"

/* data.yaml, the small YAML subset Ultralytics and Roboflow write: top-level
 * `key: value`, flow lists `[a, 'b']`, block lists (`- a`), block maps
 * (`  0: person`) and flow maps `{0: a}`, and one list under a map item
 * (`kpt_names: {0: [nose, eye]}`, or `  0:` followed by `    - nose`).
 * Deeper nesting is skipped. */
typedef struct {
    char **values;
    size_t count;
} ts_yaml_list;

typedef struct {
    char *key;
    char **values;  /* scalar: one value; lists and maps: their items */
    int64_t *index; /* map items: integer key (-1 when not an integer); lists: position */
    ts_yaml_list *lists; /* map items: the list under the item (count 0 when none) */
    size_t count;
    int is_map;
    int is_scalar;
    uint32_t line;
} ts_yaml_entry;

typedef struct {
    ts_yaml_entry *entries;
    size_t count;
} ts_yaml_doc;

ts_status ts_yaml_parse(ts_ctx *ctx, const char *name, const char *text, size_t len, ts_yaml_doc *out);
void ts_yaml_free(ts_yaml_doc *doc);
const ts_yaml_entry *ts_yaml_get(const ts_yaml_doc *doc, const char *key);
/* `s` as a double-quoted YAML scalar (the parser's "a\"b" form). */
ts_status ts_yaml_put_string(ts_buf *b, const char *s);

/* 1 for names of image files the readers pick up (.jpg .jpeg .png .webp). */
int ts_is_image_name(const char *name);

#define TS_YOLO_MAX_ROW_WARNINGS 20

/* Reader state shared by yolo_read.c (classes, rows, images) and
 * yolo_layout.c (finding the layout). */
typedef struct {
    ts_ctx *ctx;
    const ts_read_opts *opts;
    ts_dataset *ds;
    char *root;
    char **names;
    size_t n_names;
    char *names_src; /* the file the names came from, for messages */
    int64_t max_class;
    int64_t next_image, next_ann;
    uint64_t out_of_range, skipped, no_image, groups;
    double *nums;
    size_t nums_cap;
    /* Pose datasets (data.yaml kpt_shape: [K, D]); kpt_k is 0 for detection. */
    uint32_t kpt_k, kpt_dim;
    char *flip_idx;           /* data.yaml flip_idx as a JSON list, NULL when none */
    char ***kpt_names;        /* per class index: kpt_k names, or NULL */
    size_t n_kpt_names;
    char **default_kpt_names; /* "kp0", "kp1", ... */
    double *kps;              /* the row's keypoints as pixel triples */
    size_t kps_cap;
} ts_yolo_reader;

ts_status ts_yolo_read_names_file(ts_yolo_reader *r, const char *path);
ts_status ts_yolo_names_from_yaml(ts_yolo_reader *r, const ts_yaml_doc *doc, const char *yaml_path);
/* Images under root/img_rel with labels under root/lbl_rel (same relative
 * path, .txt); label files without an image are reported. */
ts_status ts_yolo_scan_group(ts_yolo_reader *r, const char *img_rel, const char *lbl_rel, const char *split,
                             int recurse);
/* A list file of image paths (train.txt). */
ts_status ts_yolo_read_list(ts_yolo_reader *r, const char *list, const char *split);
int ts_yolo_is_meta_name(const char *name);
/* 1 when the first row of a .txt file reads "integer number number ...". */
int ts_yolo_looks_like_label(const char *path);

ts_status ts_yolo_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

/* ---- pose (keypoints), yolo_pose.c ---------------------------------------------------- */

#define TS_YOLO_MAX_KEYPOINTS 1000

/* kpt_shape, flip_idx and kpt_names of data.yaml into r; malformed
 * kpt_shape or flip_idx is an error at its line. */
ts_status ts_yolo_pose_from_yaml(ts_yolo_reader *r, const ts_yaml_doc *doc, const char *yaml_path);
/* Keypoint names (and flip_idx, as a JSON attribute in *flip) of class
 * `index` into c; c points into r and flip. Nothing when r is no pose set. */
ts_status ts_yolo_pose_category(ts_yolo_reader *r, size_t index, ts_category *c, ts_attr *flip);
void ts_yolo_pose_free(ts_yolo_reader *r);
/* The k keypoints of a pose row from the values after its box (dim per
 * point, normalized) as pixel triples (x, y, v), v as COCO's: 0 not
 * labelled (stored as 0, 0, 0), 1 labelled but occluded, 2 visible. With
 * dim 2 a point at 0 0 or with a negative coordinate is not labelled and
 * any other is 2. Returns 1 when a labelled point lies outside [0, 1]. */
int ts_yolo_pose_points(uint32_t k, uint32_t dim, const double *v, int W, int H, double *out);

/* What the writer needs to write pose rows. */
typedef struct {
    uint32_t k;        /* keypoints per row; 0: the detection layout */
    int32_t *flip_idx; /* k entries, NULL when not known */
    char *mixed;       /* keypoint sets of different sizes: which, for the warning */
    size_t skeletons;  /* categories whose skeleton YOLO cannot keep */
    size_t pointless;  /* keypoint annotations that hold no points (read without geometry) */
} ts_yolo_pose_plan;

/* Pose rows when every keypoint set of the dataset (and every category's
 * keypoint list) has one size K; flip_idx from the categories' "flip_idx"
 * attribute, else from left/right keypoint names. */
ts_status ts_yolo_pose_plan_make(ts_ctx *ctx, const ts_dataset *ds, ts_yolo_pose_plan *out);
void ts_yolo_pose_plan_free(ts_yolo_pose_plan *plan);
/* kpt_shape, flip_idx and (when not kp0..) kpt_names lines of data.yaml;
 * class_of maps category index to class index. */
ts_status ts_yolo_pose_yaml(ts_buf *b, const ts_dataset *ds, const ts_yolo_pose_plan *plan, const int64_t *class_of);


#endif
