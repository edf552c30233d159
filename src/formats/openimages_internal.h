/* Open Images reader state shared by the reader (openimages.c), the subset
 * selection (openimages_subset.c) and the writer (openimages_write.c). */
#ifndef TS_OPENIMAGES_INTERNAL_H
#define TS_OPENIMAGES_INTERNAL_H

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

    uint64_t skipped, ignored_segm;
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

ts_status ts_oi_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

#endif
