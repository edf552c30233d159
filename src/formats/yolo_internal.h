/* Shared between the YOLO reader, writer and the data.yaml subset parser:
 * declarations internal to src/formats. */
#ifndef TS_YOLO_INTERNAL_H
#define TS_YOLO_INTERNAL_H

#include "trainset/formats.h"

/* data.yaml, the small YAML subset Ultralytics and Roboflow write: top-level
 * `key: value`, flow lists `[a, 'b']`, block lists (`- a`), block maps
 * (`  0: person`) and flow maps `{0: a}`. Deeper nesting is skipped. */
typedef struct {
    char *key;
    char **values;  /* scalar: one value; lists and maps: their items */
    int64_t *index; /* map items: integer key (-1 when not an integer); lists: position */
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


#endif
