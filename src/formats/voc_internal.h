/* Pascal VOC pieces shared by the reader and the writer: the standard class
 * list and colour map, action names, Datumaro's labelmap.txt. */
#ifndef TS_VOC_INTERNAL_H
#define TS_VOC_INTERNAL_H

#include <stdint.h>

#include "trainset/formats.h"

/* background, aeroplane, ..., tvmonitor: index = palette index. */
#define VOC_N_CLASSES 21
extern const char *const voc_class_names[VOC_N_CLASSES];
/* jumping, phoning, ... other: the <actions> children of VOC 2012. */
#define VOC_N_ACTIONS 11
extern const char *const voc_action_names[VOC_N_ACTIONS];

/* The VOC palette: colour of index 0..255 (255 = void, 224,224,192). */
void voc_colormap(unsigned index, uint8_t rgb[3]);
/* Index whose colour is rgb, or -1 when the colour is not in the palette. */
int voc_colormap_index(const uint8_t rgb[3]);

/* One line of labelmap.txt: `name:r,g,b:part1,part2:action1,action2`. */
typedef struct {
    char *name;
    uint8_t rgb[3];
    int has_color;
    char *parts;   /* comma-separated, "" when none */
    char *actions; /* comma-separated, "" when none */
} voc_label;

ts_status voc_labelmap_parse(ts_ctx *ctx, const char *file, const char *text, size_t len, voc_label **labels,
                             size_t *count);
void voc_labels_free(voc_label *labels, size_t count);

/* 1 when `name` is in the comma-separated `list`. */
int voc_list_has(const char *list, const char *name);

/* Image file extensions the readers look for next to annotations. */
int voc_is_image_name(const char *name);

/* Id of the category called `name`, added (id = largest + 1, at least 1)
 * when the dataset has none of that name. */
ts_status voc_category_for(ts_ctx *ctx, ts_dataset *ds, const char *name, int64_t *id);

/* Segmentation masks of one image: the object PNG's instance i (palette
 * colour i) belongs to the i-th <object> (ids in `objects`); the class PNG
 * names the category of each pixel by the labelmap colours, or by the VOC
 * palette when `labels` is NULL. An instance whose class agrees with its
 * object turns that box into a mask annotation; others (and the classes of
 * a class PNG without an object PNG) become new mask annotations with ids
 * from *next_ann. Either path may be NULL. */
ts_status voc_read_masks(ts_ctx *ctx, ts_dataset *ds, const char *class_png, const char *object_png,
                         const voc_label *labels, size_t n_labels, int64_t image_id, const int64_t *objects,
                         size_t n_objects, int64_t *next_ann);

/* A directory's image and XML files, sorted for case-insensitive lookup
 * (annotations often name "0af.jpg" for "0AF.jpg", or no extension). */
typedef struct {
    char *name;  /* as on disk */
    char *lower; /* lower-case name */
    size_t stem; /* length of the stem (before the last '.') */
} voc_dir_entry;

typedef struct {
    voc_dir_entry *e; /* sorted by lower-case stem, then lower-case name, then name */
    size_t n;
} voc_dir_index;

/* List `dir` (a missing directory gives an empty index). */
ts_status voc_dir_index_build(ts_ctx *ctx, const char *dir, voc_dir_index *out);
void voc_dir_index_free(voc_dir_index *d);
/* The image called `name` (exact case first, then any case), or, with
 * by_stem, an image whose stem is `name`. NULL when none. */
voc_dir_entry *voc_dir_index_find(ts_ctx *ctx, voc_dir_index *d, const char *name, int by_stem);
/* Lower-case copy of n bytes (malloc'd). */
char *voc_lower_dup(ts_ctx *ctx, const char *s, size_t n);
/* Length of a file name without its extension. */
size_t voc_stem_len(const char *name);

/* Write a dataset as VOC (voc_write.c). */
ts_status voc_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

#endif
