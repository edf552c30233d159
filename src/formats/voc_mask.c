/* Pascal VOC palette, labelmap.txt and segmentation masks: class and object
 * PNGs (palette or RGB) to RLE mask annotations and back. */
#include <stdlib.h>
#include <string.h>

#include "formats/voc_internal.h"

#include "trainset/image.h"

enum { NONE = 0xFFFF };

/* Run lengths (COCO: column-major, starting with zeros) of every label
 * 0..k-1 of a row-major label image, in one pass. runs[i] is malloc'd. */
static ts_status label_runs(ts_ctx *ctx, const uint16_t *lab, uint32_t h, uint32_t w, uint32_t k, uint32_t **runs,
                            uint32_t *n_runs) {
    size_t *cap = ts_calloc_array(ctx, k, sizeof *cap);
    uint64_t *last = ts_calloc_array(ctx, k, sizeof *last);
    ts_status s = cap && last ? TS_OK : TS_ERR_NOMEM;
    uint32_t prev = NONE;
    uint64_t total = (uint64_t)h * w, p = 0;
    for (uint32_t x = 0; x < w && s == TS_OK; x++) {
        for (uint32_t y = 0; y < h && s == TS_OK; y++, p++) {
            uint32_t v = lab[(size_t)y * w + x];
            if (v == prev) continue;
            if (prev != NONE && (s = ts_grow(ctx, (void **)&runs[prev], &cap[prev], n_runs[prev] + 1,
                                             sizeof **runs)) == TS_OK) {
                runs[prev][n_runs[prev]++] = (uint32_t)(p - last[prev]);
                last[prev] = p;
            }
            if (s == TS_OK && v != NONE &&
                (s = ts_grow(ctx, (void **)&runs[v], &cap[v], n_runs[v] + 1, sizeof **runs)) == TS_OK) {
                runs[v][n_runs[v]++] = (uint32_t)(p - last[v]);
                last[v] = p;
            }
            prev = v;
        }
    }
    /* close the open run of each label present */
    for (uint32_t i = 0; i < k && s == TS_OK; i++) {
        if (!n_runs[i] || last[i] == total) continue;
        if ((s = ts_grow(ctx, (void **)&runs[i], &cap[i], n_runs[i] + 1, sizeof **runs)) == TS_OK)
            runs[i][n_runs[i]++] = (uint32_t)(total - last[i]);
    }
    free(cap);
    free(last);
    return s;
}

/* Class slot of each pixel of a class PNG: labelmap index or palette index
 * (1..20); background and void pixels are NONE. */
static ts_status class_slots(ts_ctx *ctx, const char *file, const ts_image *img, const voc_label *labels,
                             size_t n_labels, uint16_t *out) {
    uint64_t unknown = 0;
    uint8_t last_rgb[3] = {0, 0, 0};
    uint16_t last = NONE;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *row = ts_image_row(img, y);
        for (int x = 0; x < img->w; x++) {
            const uint8_t *c = row + 3 * x;
            uint16_t slot = NONE;
            if (c[0] == last_rgb[0] && c[1] == last_rgb[1] && c[2] == last_rgb[2] && (x || y)) {
                out[(size_t)y * img->w + x] = last;
                continue;
            }
            int is_void = c[0] == 224 && c[1] == 224 && c[2] == 192, is_black = !c[0] && !c[1] && !c[2];
            if (!is_void && !is_black) {
                int found = 0;
                if (labels) {
                    for (size_t i = 0; i < n_labels && !found; i++) {
                        uint8_t rgb[3];
                        /* a label without a colour takes the palette's colour of its index */
                        if (labels[i].has_color)
                            memcpy(rgb, labels[i].rgb, 3);
                        else
                            voc_colormap((unsigned)i, rgb);
                        if (!memcmp(rgb, c, 3)) {
                            found = 1;
                            if (strcmp(labels[i].name, "background") != 0) slot = (uint16_t)i;
                        }
                    }
                } else {
                    int idx = voc_colormap_index(c);
                    if (idx > 0 && idx < VOC_N_CLASSES) found = 1, slot = (uint16_t)idx;
                }
                if (!found) unknown++;
            }
            memcpy(last_rgb, c, 3);
            last = slot;
            out[(size_t)y * img->w + x] = slot;
        }
    }
    if (unknown) ts_warn(ctx, "%s: %llu pixels of colours no label has, read as background", file,
                         (unsigned long long)unknown);
    return TS_OK;
}

static ts_status add_mask(ts_ctx *ctx, ts_dataset *ds, int64_t image_id, int64_t category, int64_t merge_into,
                          const uint32_t *runs, uint32_t n, uint32_t h, uint32_t w, int64_t *next_ann) {
    size_t idx;
    ts_annotation a;
    if (merge_into != TS_NO_ID && ts_dataset_find_annotation(ds, merge_into, &idx)) {
        ts_dataset_annotation(ds, idx, &a);
        a.kind = TS_ANN_MASK;
        a.rle = runs, a.rle_len = n, a.mask_h = h, a.mask_w = w;
        return ts_dataset_update_annotation(ctx, ds, idx, &a);
    }
    a = ts_annotation_empty();
    a.id = (*next_ann)++;
    a.image_id = image_id;
    a.category_id = category;
    a.kind = TS_ANN_MASK;
    a.flags = TS_ANN_HAS_BOX;
    a.rle = runs, a.rle_len = n, a.mask_h = h, a.mask_w = w;
    ts_rle_bbox(runs, n, h, w, a.bbox);
    a.area = (double)ts_rle_area(runs, n);
    return ts_dataset_add_annotation(ctx, ds, &a, NULL);
}

ts_status voc_read_masks(ts_ctx *ctx, ts_dataset *ds, const char *class_png, const char *object_png,
                         const voc_label *labels, size_t n_labels, int64_t image_id, const int64_t *objects,
                         size_t n_objects, int64_t *next_ann) {
    if (!class_png && !object_png) return TS_OK;
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = 3;
    ts_image cls = {0}, obj = {0};
    ts_status s = TS_OK;
    if (class_png) s = ts_image_load(ctx, class_png, &o, &cls, NULL);
    if (s == TS_OK && object_png) s = ts_image_load(ctx, object_png, &o, &obj, NULL);
    const ts_image *ref = class_png ? &cls : &obj;
    size_t img_index;
    ts_image_entry e;
    if (s == TS_OK && class_png && object_png && (cls.w != obj.w || cls.h != obj.h))
        s = ts_error(ctx, TS_ERR_INVALID, "%s: %dx%d, but %s is %dx%d", class_png, cls.w, cls.h, object_png, obj.w,
                     obj.h);
    if (s == TS_OK && ts_dataset_find_image(ds, image_id, &img_index)) {
        ts_dataset_image(ds, img_index, &e);
        if (e.width > 0 && e.height > 0 && (e.width != ref->w || e.height != ref->h))
            s = ts_error(ctx, TS_ERR_INVALID, "%s: mask is %dx%d but its image is %dx%d",
                         class_png ? class_png : object_png, ref->w, ref->h, e.width, e.height);
    }
    uint32_t h = (uint32_t)ref->h, w = (uint32_t)ref->w, n_slots = labels ? (uint32_t)n_labels : VOC_N_CLASSES;
    size_t npix = (size_t)h * w;
    uint16_t *slot = NULL, *inst = NULL;
    uint32_t **runs = NULL, *n_runs = NULL;
    uint64_t *votes = NULL;
    if (s == TS_OK && n_slots > 65535) s = ts_error(ctx, TS_ERR_LIMIT, "too many labels for masks");
    if (s == TS_OK && class_png) {
        if (!(slot = ts_alloc_array(ctx, npix, sizeof *slot))) s = TS_ERR_NOMEM;
        if (s == TS_OK) s = class_slots(ctx, class_png, &cls, labels, n_labels, slot);
    }
    if (s == TS_OK && object_png) {
        if (!(inst = ts_alloc_array(ctx, npix, sizeof *inst))) s = TS_ERR_NOMEM;
        if (s == TS_OK && class_png && !(votes = ts_calloc_array(ctx, (size_t)256 * n_slots, sizeof *votes)))
            s = TS_ERR_NOMEM;
        for (uint32_t y = 0; y < h && s == TS_OK; y++) {
            const uint8_t *row = ts_image_row(&obj, (int)y);
            for (uint32_t x = 0; x < w; x++) {
                int i = voc_colormap_index(row + 3 * x);
                uint16_t v = (i > 0 && i < 255) ? (uint16_t)(i - 1) : NONE;
                inst[(size_t)y * w + x] = v;
                if (v != NONE && votes && slot[(size_t)y * w + x] != NONE)
                    votes[(size_t)v * n_slots + slot[(size_t)y * w + x]]++;
            }
        }
    }
    uint32_t k = object_png ? 254 : n_slots;
    if (s == TS_OK && (!(runs = ts_calloc_array(ctx, k, sizeof *runs)) || !(n_runs = ts_calloc_array(ctx, k, sizeof *n_runs))))
        s = TS_ERR_NOMEM;
    if (s == TS_OK) s = label_runs(ctx, object_png ? inst : slot, h, w, k, runs, n_runs);
    for (uint32_t i = 0; i < k && s == TS_OK; i++) {
        if (!n_runs[i]) continue;
        int64_t cat = TS_NO_ID, merge = TS_NO_ID;
        const char *name = NULL;
        if (!object_png) {
            name = labels ? labels[i].name : voc_class_names[i];
        } else if (votes) {
            uint64_t best = 0;
            for (uint32_t j = 0; j < n_slots; j++)
                if (votes[(size_t)i * n_slots + j] > best) {
                    best = votes[(size_t)i * n_slots + j];
                    name = labels ? labels[j].name : voc_class_names[j];
                }
        }
        if (name && (s = voc_category_for(ctx, ds, name, &cat)) != TS_OK) break;
        if (object_png && i < n_objects) {
            size_t ai;
            if (ts_dataset_find_annotation(ds, objects[i], &ai) &&
                (cat == TS_NO_ID || ts_dataset_annotation_category_id(ds, ai) == cat)) {
                merge = objects[i];
                cat = ts_dataset_annotation_category_id(ds, ai);
            }
        }
        if (cat == TS_NO_ID) {
            ts_warn(ctx, "%s: instance %u has no class and no object; skipped", object_png, i + 1);
            continue;
        }
        s = add_mask(ctx, ds, image_id, cat, merge, runs[i], n_runs[i], h, w, next_ann);
    }
    for (uint32_t i = 0; runs && i < k; i++) free(runs[i]);
    free(runs), free(n_runs);
    free(slot), free(inst), free(votes);
    ts_image_free(&cls);
    ts_image_free(&obj);
    return s;
}
