/* Interchange formats: one reader and one writer per format, in one registry,
 * with detection from the path. */
#ifndef TRAINSET_FORMATS_H
#define TRAINSET_FORMATS_H

#include "dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    /* Do not keep polygon and mask coordinates (counts and kinds are still
     * recorded): enough for `info`, much less memory. Keypoints are kept
     * (a few numbers each, and YOLO pose output needs them). */
    TS_READ_SKIP_GEOMETRY = 1u << 0,
    /* Do not open image files to learn sizes the annotations lack. */
    TS_READ_NO_PROBE = 1u << 1
};

typedef struct {
    unsigned flags;
    const char *split; /* split for images that name none; NULL = format's own */
} ts_read_opts;

typedef struct {
    /* Directory output: also write the image files under the output (copied
     * from their origin, or encoded from a pixel source). Readers of the
     * written dataset find them there. A single-file output (COCO .json)
     * never copies images and records "image_root" instead. */
    int copy_images;
    int renumber;         /* renumber category ids 1..n (COCO) */
    uint64_t shard_size;  /* WebDataset: max samples per shard (0 = 10000) */
    const char *image_ext; /* encoding for images from a pixel source: ".png" default */
} ts_write_opts;

typedef struct {
    const char *name;        /* "coco", "voc", "yolo", ... */
    const char *description; /* one line for --help */
    /* How sure the format is that `path` is its own: 0 (no) .. 100 (sure).
     * May look inside the path; must not fail loudly. */
    int (*detect)(const char *path);
    ts_status (*read)(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out);
    /* Write to `path` (a file or directory, as the format wants) atomically.
     * What the format cannot hold is reported with ts_warn, never silent. */
    ts_status (*write)(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);
} ts_format;

/* All registered formats, NULL-terminated. */
const ts_format *const *ts_formats(void);
const ts_format *ts_format_find(const char *name);
/* The format whose detect() scores highest (> 0), or TS_ERR_UNSUPPORTED
 * with a message listing the formats. */
ts_status ts_format_detect(ts_ctx *ctx, const char *path, const ts_format **out);

/* Read with a named format, or detect it when `format` is NULL. Records
 * meta "format" = the format's name. `opts` may be NULL. */
ts_status ts_dataset_read(ts_ctx *ctx, const char *path, const char *format, const ts_read_opts *opts,
                          ts_dataset **out);
/* Write with a named format (NULL = "coco"). `opts` may be NULL. */
ts_status ts_dataset_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const char *format,
                           const ts_write_opts *opts);

/* Pixels and encoded bytes of image `index`, from its origin's pixel
 * source or from the file root/path. */
ts_status ts_dataset_load_image(ts_ctx *ctx, const ts_dataset *ds, size_t index, const ts_decode_opts *opts,
                                ts_image *out, ts_decode_info *info);
ts_status ts_dataset_image_bytes(ts_ctx *ctx, const ts_dataset *ds, size_t index, uint8_t **data,
                                 size_t *len);
/* Full path of image `index`'s file (malloc'd); NULL for pixel sources. */
char *ts_dataset_image_file(const ts_dataset *ds, size_t index);
/* Fill in width/height of images that lack them by probing their headers. */
ts_status ts_dataset_probe_sizes(ts_ctx *ctx, ts_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif
