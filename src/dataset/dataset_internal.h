/* Internal layout of the dataset model, shared by the files of src/dataset. */
#ifndef TS_DATASET_INTERNAL_H
#define TS_DATASET_INTERNAL_H

#include <pthread.h>

#include "trainset/dataset.h"

/* id -> index map (open addressing, int64 keys, key and value side by
 * side so a lookup touches one cache line). While ids arrive as
 * base, base+1, ... with indices 0, 1, ... (most files number records
 * that way) there is no table at all: `dense` maps id - base directly. */
typedef struct {
    int64_t key;
    uint32_t value; /* index + 1, 0 = empty */
} id_slot;

typedef struct {
    id_slot *slots;
    size_t mask, count;
    int64_t base;
    int dense;
} id_map;

ts_status id_map_put(id_map *map, int64_t key, uint32_t index);
/* Put unless the key is there: returns 1 and sets *existing when it is,
 * 0 when added, -1 when out of memory. */
int id_map_put_new(id_map *map, int64_t key, uint32_t index, uint32_t *existing);
int id_map_get(const id_map *map, int64_t key, uint32_t *index);
void id_map_free(id_map *map);

typedef struct {
    uint32_t path, split, source, origin;
    int32_t width, height;
    int64_t group_id, license;
    uint64_t pixel_key;
    uint64_t attr_off;
    uint32_t n_attrs;
} image_rec;

typedef struct {
    int64_t id, parent_id;
    uint32_t name, supercategory;
    const char **keypoints;
    int32_t *skeleton;
    uint32_t n_keypoints, n_skeleton;
    uint64_t attr_off;
    uint32_t n_attrs;
} category_rec;

/* Cold fields of an annotation; the hot ones (image, category, box) are
 * columns of their own so scans touch little memory. */
typedef struct {
    int64_t id, track_id;
    double area, score;
    uint64_t coords_off; /* polygon coords, then keypoint triples */
    uint64_t u32_off;    /* ring sizes, then RLE counts */
    uint64_t attr_off;
    uint32_t n_coords, n_rings, rle_len, mask_h, mask_w, n_keypoints, n_attrs;
    uint32_t flags, annotator;
    int32_t frame, z_order;
    uint8_t kind, iscrowd;
} ann_rec;

typedef struct {
    char *root;
    ts_pixel_source *pixels;
} origin_rec;

struct ts_dataset {
    ts_strpool *strings;

    size_t n_images, cap_images;
    int64_t *image_ids;
    image_rec *images;
    id_map image_map;
    int64_t next_image_id;

    size_t n_categories, cap_categories;
    category_rec *categories;
    id_map category_map;
    int64_t next_category_id;

    size_t n_anns, cap_anns;
    int64_t *ann_image;
    int64_t *ann_category;
    double (*ann_bbox)[4];
    ann_rec *anns;
    id_map ann_map;
    int64_t next_ann_id;

    double *coords;
    size_t n_coords, cap_coords;
    uint32_t *u32s;
    size_t n_u32s, cap_u32s;
    ts_attr *attrs;
    size_t n_attrs, cap_attrs;
    uint32_t attr_keys[4]; /* recently interned attribute keys (0: none) */

    origin_rec *origins;
    size_t n_origins, cap_origins;

    char **meta_keys, **meta_values;
    size_t n_meta, cap_meta;

    /* lazily built indices, guarded by `lock` */
    pthread_mutex_t lock;
    int per_image_valid;
    size_t *per_image_first; /* n_images + 1 offsets into per_image_list */
    size_t *per_image_list;
    int path_map_valid;
    id_map path_map; /* path string id -> image index */
    int name_map_valid;
    id_map name_map; /* name string id -> category index */
};

#endif
