/* Open Images reader state shared by the reader (openimages.c), its masks
 * (openimages_masks.c), the subset selection (openimages_subset.c) and the
 * writer (openimages_write.c). */
#ifndef TS_OPENIMAGES_INTERNAL_H
#define TS_OPENIMAGES_INTERNAL_H

#include "formats/csv_internal.h"
#include "trainset/formats.h"
#include "trainset/json.h"

enum { OI_DESC, OI_HIER, OI_BBOX, OI_LABELS, OI_IMAGES, OI_META, OI_SEGM };

typedef struct {
    char *path;
    char split[64]; /* from the file name ("train", "validation"), or "" */
    int kind;
} oi_file;

/* What is known of a class MID. */
typedef struct {
    int64_t id;      /* category id it has or will get */
    uint32_t name;   /* display name in `names` (0 = none) */
    uint32_t parent; /* MID pool id of its first parent, UINT32_MAX = none */
    int64_t cat;     /* category created (its id), 0 = not yet */
} oi_mid;

typedef struct {
    ts_ctx *ctx;
    const ts_read_opts *opts;
    ts_dataset *ds;
    char *root;    /* the dataset directory (images/ lives here) */
    char *ann_dir; /* where the CSVs are (root/annotations or root) */
    oi_file *files;
    size_t n_files;
    ts_jvalue *hierarchy;

    ts_strpool *mids, *names;
    oi_mid *mid;
    size_t mid_cap;
    int64_t next_cat;
    int lazy_categories; /* subset: create categories only when used */

    ts_strpool *ids; /* ImageIDs */
    uint32_t *img_of; /* ImageID pool id -> dataset index + 1 */
    int32_t *meta_wh; /* ImageID pool id -> w, h from images.meta */
    uint8_t *probe_failed;
    size_t img_cap;

    /* Subset filters (NULL = keep everything). */
    ts_strpool *selected;  /* ImageIDs to keep */
    const uint8_t *keep_mid; /* by MID pool id: annotations to keep */
    size_t keep_mid_n;

    uint64_t skipped;
} oi_reader;

/* Find the files and read classes and hierarchy (no images yet). With
 * `lazy`, categories are created only as annotations use them. */
ts_status ts_oi_open(ts_ctx *ctx, const char *path, const ts_read_opts *opts, int lazy, oi_reader *r);
/* Read images, boxes and labels through the filters into r->ds. */
ts_status ts_oi_load(oi_reader *r);
void ts_oi_close(oi_reader *r); /* frees all but a dataset taken out */

/* MID pool id of `mid` (interned, extending the tables). */
ts_status ts_oi_mid(oi_reader *r, const char *mid, size_t len, uint32_t *pid);
/* The category of MID `pid`, created (with its ancestors) when needed. */
ts_status ts_oi_category(oi_reader *r, uint32_t pid, int64_t *cat);

/* Iterate the rows of a CSV: header by name, field count checked. `cols`
 * gets the index of each wanted column (-1 when absent); columns whose bit
 * is set in `required` must exist. A callback returning TS_ERR_CANCELLED
 * with no error set stops the walk early and successfully. */
typedef ts_status (*oi_row_fn)(oi_reader *r, void *user, const oi_file *f, void *csv, const int *cols);
ts_status ts_oi_each_row(oi_reader *r, const oi_file *f, const char *const *want, int n_want, unsigned required,
                         oi_row_fn fn, void *user);

/* A problem with the current row: an error at its file:line:column, or
 * with --lenient a warning, *skip set and the row counted as skipped. */
ts_status ts_oi_row_problem(oi_reader *r, ts_csv *csv, size_t field, int *skip, const char *fmt, ...) TS_PRINTF(5, 6);
/* Field `col` of the row, "" when the column is absent (col < 0). */
const char *ts_oi_field(ts_csv *csv, int col, size_t *len);
/* MID (cols[mid_col]) and image (cols[0]) of a row through the filters;
 * *index SIZE_MAX = dropped. */
ts_status ts_oi_row_target(oi_reader *r, const oi_file *f, ts_csv *csv, const int *cols, int mid_col, uint32_t *mpid,
                           size_t *index, uint32_t *ipid);
/* The normalized box in cols[4..7] (XMin, XMax, YMin, YMax, named by
 * names[4..7]), checked; a bad one is a row problem. */
ts_status ts_oi_row_box(oi_reader *r, ts_csv *csv, const int *cols, const char *const *names, double v[4], int *skip);
/* A normalized box (XMin, XMax, YMin, YMax) in pixels of a W x H image:
 * x = XMin * W, w = (XMax - XMin) * W, and so for y and h. */
void ts_oi_box_pixels(const double v[4], int W, int H, double bbox[4]);
/* Width and height of image `index` (pool id `pid`), probed once. */
ts_status ts_oi_ensure_size(oi_reader *r, ts_csv *csv, size_t index, uint32_t pid, int *W, int *H, int *skip);

/* Rows of an *-annotations-object-segmentation.csv as mask annotations,
 * their PNGs under masks/<split>/ or masks/ (openimages_masks.c). */
ts_status ts_oi_read_segmentation(oi_reader *r, const oi_file *f);

ts_status ts_oi_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

#endif
