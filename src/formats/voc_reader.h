/* The VOC reader's state, shared by its two halves: voc_layout.c finds the
 * annotation and image directories, the items (one per image) and the
 * ImageSets lists; voc_read.c reads each item's XML into the dataset. */
#ifndef TS_FORMATS_VOC_READER_H
#define TS_FORMATS_VOC_READER_H

#include "formats/voc_internal.h"

typedef struct {
    char *ann_dir; /* relative to the root ("" = the root itself) */
    char *img_dir;
    const char *split; /* split of the group's images (a subdirectory's name), or NULL */
    voc_dir_index images;
} voc_group;

typedef struct {
    char *key;   /* lower-case group-relative stem: identity and order */
    char *stem;  /* as written */
    char *xml;   /* the annotation file (relative to the root), or NULL */
    char *image; /* an image file of that stem seen in the listing, or NULL */
    char *split; /* from ImageSets, or NULL */
    int split_rank;
    size_t group;
    int64_t id;
} voc_item;

typedef struct {
    char *key, *cls;
    int value; /* 1 present, 0 difficult */
    uint64_t line;
    char *file;
} voc_class_label;

typedef struct {
    ts_ctx *ctx;
    const ts_read_opts *opts;
    ts_dataset *ds;
    char *root;
    voc_group *groups;
    size_t n_groups, cap_groups;
    voc_item *items;
    size_t n_items, cap_items;
    voc_class_label *labels;
    size_t n_labels, cap_labels;
    voc_label *labelmap;
    size_t n_labelmap;
    int64_t next_ann;
    int masks; /* SegmentationClass/ or SegmentationObject/ exists */
    int64_t *objects;
    size_t n_objects, cap_objects;
} voc_reader;

/* In lenient mode a per-record error becomes a warning and the record is
 * skipped (returns TS_OK); otherwise the error stands. */
ts_status voc_soften(voc_reader *r, ts_status s);
/* `name` inside the group directory `dir` ("" = the root), malloc'd. */
char *voc_rel_join(const char *dir, const char *name);
/* Find the layout under `path` (a directory or one XML file): the groups,
 * their items and the ImageSets split and class lists. */
ts_status voc_find_layout(voc_reader *r, const char *path);
/* Sort the items and merge those of one key (an XML and its image). */
void voc_merge_items(voc_reader *r);
/* The item of a lower-case group-relative stem, or NULL. */
voc_item *voc_find_item(voc_reader *r, const char *key);
void voc_reader_free(voc_reader *r);
/* How much `path` looks like a VOC dataset (0-100). */
int voc_detect(const char *path);

#endif
