/* Shared between the COCO files: reading one annotation file, layouts and
 * merging (coco_layout.c), writing (coco_write.c). */
#ifndef TS_COCO_INTERNAL_H
#define TS_COCO_INTERNAL_H

#include "trainset/formats.h"
#include "trainset/json.h"

/* Read one COCO file (object form or a results list) into a new dataset.
 * `root` is the image root to record (NULL: found next to the file or from
 * its "image_root" key); `split` names the split of images that give none
 * (NULL: none). */
ts_status coco_read_file(ts_ctx *ctx, const char *path, const char *root, const char *split, unsigned flags,
                         ts_dataset **out);

/* Copy all of `src` into `dst`: categories matched by id and name, images
 * and annotations keep their ids unless taken, when they get fresh ones;
 * an image already in `dst` with the same id, path and root is shared.
 * Annotations whose index has skip[i] set are left out (skip may be NULL). */
ts_status coco_merge_into(ts_ctx *ctx, ts_dataset *dst, const ts_dataset *src, const uint8_t *skip);

/* Split named by an annotation file name: "instances_val2017.json" ->
 * "val2017", "_annotations.coco.json" -> NULL. Malloc'd or NULL. */
char *coco_split_from_name(const char *file);

/* Prefix of attributes that hold COCO keys trainset has no field for. */
#define COCO_EXTRA "coco:"

#endif
