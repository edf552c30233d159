/* Pascal VOC writer: Annotations/<stem>.xml per image, ImageSets lists
 * (splits, per-class image labels, segmentation), SegmentationClass and
 * SegmentationObject RGB PNGs for masks, labelmap.txt, copied images. */
#include <stdlib.h>
#include <string.h>

#include "formats/voc_internal.h"
#include "formats/xml_internal.h"

typedef struct {
    uint8_t rgb[3];
    const char *parts, *actions; /* from the category's attributes, or "" */
} cat_info;

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const ts_write_opts *opts;
    const char *base; /* the output directory being built */
    cat_info *cats;
    char **stems; /* per image */
    ts_buf xml;
    /* what VOC cannot hold, counted for one warning each */
    uint64_t dropped_kind[8], geometry_reduced, scores, tracks, crowd, orphans, deep_parts, masks_skipped,
        mask_overlap, many_instances, unlabelled;
} voc_writer;

static ts_status write_file(ts_ctx *ctx, const char *base, const char *rel, const void *data, size_t len) {
    char *path = ts_path_join(base, rel);
    ts_status s = path ? ts_file_write_staged(ctx, path, data, len) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    free(path);
    return s;
}

/* ---- categories: colours and the label map ------------------------------------------ */

static ts_status plan_categories(voc_writer *w) {
    size_t n = ts_dataset_category_count(w->ds);
    if (n && !(w->cats = ts_calloc_array(w->ctx, n, sizeof *w->cats))) return TS_ERR_NOMEM;
    uint8_t used[256] = {0}; /* palette indices taken */
    used[0] = used[255] = 1;
    int *assigned = ts_calloc_array(w->ctx, n ? n : 1, sizeof *assigned);
    if (!assigned) return TS_ERR_NOMEM;
    int renumbered = 0;
    for (size_t i = 0; i < n; i++) {
        ts_category c;
        ts_dataset_category(w->ds, i, &c);
        if (c.id != (int64_t)i + 1) renumbered = 1;
        const char *color = ts_attr_value(c.attrs, c.n_attrs, "color");
        const char *parts = ts_attr_value(c.attrs, c.n_attrs, "parts");
        const char *actions = ts_attr_value(c.attrs, c.n_attrs, "actions");
        w->cats[i].parts = parts ? parts : "";
        w->cats[i].actions = actions ? actions : "";
        unsigned r, g, b;
        char tail;
        if (color && sscanf(color, "%u,%u,%u%c", &r, &g, &b, &tail) == 3 && r < 256 && g < 256 && b < 256) {
            w->cats[i].rgb[0] = (uint8_t)r, w->cats[i].rgb[1] = (uint8_t)g, w->cats[i].rgb[2] = (uint8_t)b;
            int idx = voc_colormap_index(w->cats[i].rgb);
            if (idx >= 0) used[idx] = 1;
            assigned[i] = 1;
        } else if (strcmp(c.name, "background") == 0) {
            assigned[i] = 1; /* black */
        } else {
            for (int j = 1; j < VOC_N_CLASSES; j++)
                if (strcmp(c.name, voc_class_names[j]) == 0 && !used[j]) {
                    voc_colormap((unsigned)j, w->cats[i].rgb);
                    used[j] = 1, assigned[i] = 1;
                }
        }
    }
    int next = 1;
    for (size_t i = 0; i < n; i++) {
        if (assigned[i]) continue;
        while (next < 255 && used[next]) next++;
        if (next < 255) {
            voc_colormap((unsigned)next, w->cats[i].rgb);
            used[next] = 1;
        } else { /* more classes than the palette: spread over RGB */
            uint32_t v = (uint32_t)(i * 2654435761u) | 0x010101u;
            w->cats[i].rgb[0] = (uint8_t)(v >> 16), w->cats[i].rgb[1] = (uint8_t)(v >> 8), w->cats[i].rgb[2] = (uint8_t)v;
        }
    }
    free(assigned);
    if (renumbered)
        ts_warn(w->ctx, "VOC stores no category ids: the %zu categories will read back with ids 1..%zu in this order", n,
                n);
    return TS_OK;
}

static ts_status write_labelmap(voc_writer *w) {
    ts_buf b = {0};
    ts_status s = ts_buf_puts(&b, "# label:color_rgb:parts:actions\n");
    for (size_t i = 0; i < ts_dataset_category_count(w->ds) && s == TS_OK; i++) {
        ts_category c;
        ts_dataset_category(w->ds, i, &c);
        if (strchr(c.name, ':') || strchr(c.name, '\n'))
            ts_warn(w->ctx, "category \"%s\": ':' and newlines cannot be held by labelmap.txt", c.name);
        s = ts_buf_printf(&b, "%s:%u,%u,%u:%s:%s\n", c.name, w->cats[i].rgb[0], w->cats[i].rgb[1], w->cats[i].rgb[2],
                          w->cats[i].parts, w->cats[i].actions);
    }
    if (s == TS_OK) s = write_file(w->ctx, w->base, "labelmap.txt", b.data, b.len);
    ts_buf_free(&b);
    return s;
}

/* ---- file stems ------------------------------------------------------------------------- */

static int cmp_str_index(const void *pa, const void *pb, void *arg) {
    char **stems = arg;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = strcmp(stems[a], stems[b]);
    return c ? c : (a > b) - (a < b);
}

/* Each image's file stem: its base name without extension, made unique
 * with "_<id>" where two images share one. */
static ts_status plan_stems(voc_writer *w) {
    size_t n = ts_dataset_image_count(w->ds);
    size_t *order = NULL;
    if (n && (!(w->stems = ts_calloc_array(w->ctx, n, sizeof *w->stems)) ||
              !(order = ts_alloc_array(w->ctx, n, sizeof *order))))
        return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(w->ds, i, &e);
        const char *base = ts_path_basename(e.path);
        size_t len = voc_stem_len(base);
        if (len == 0) {
            ts_buf b = {0};
            ts_buf_printf(&b, "%lld", (long long)e.id);
            w->stems[i] = b.data;
        } else {
            w->stems[i] = ts_strndup(w->ctx, base, len);
        }
        if (!w->stems[i]) {
            free(order);
            return TS_ERR_NOMEM;
        }
        order[i] = i;
    }
    if (n > 1) qsort_r(order, n, sizeof *order, cmp_str_index, w->stems);
    for (size_t k = 1; k < n; k++) {
        size_t i = order[k];
        if (strcmp(w->stems[order[k - 1]], w->stems[i]) != 0) continue;
        ts_buf b = {0};
        if (ts_buf_printf(&b, "%s_%lld", w->stems[i], (long long)ts_dataset_image_id(w->ds, i)) != TS_OK) {
            free(order);
            return ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
        }
        ts_warn(w->ctx, "two images are named \"%s\"; image %lld is written as \"%s\"", w->stems[i],
                (long long)ts_dataset_image_id(w->ds, i), b.data);
        free(w->stems[i]);
        w->stems[i] = b.data;
    }
    free(order);
    return TS_OK;
}

/* ---- one image ---------------------------------------------------------------------------- */

typedef struct {
    ts_annotation a;
    int parent;   /* index in the image's list of the object it is a part of, or -1 */
    int object;   /* 1-based object number (top-level), 0 for parts and others */
    int writable; /* has a box VOC can hold */
    int written;
} ann_slot;

static int is_action(const cat_info *cat, const ts_attr *t) {
    if (t->type != TS_ATTR_BOOL) return 0;
    if (cat && voc_list_has(cat->actions, t->key)) return 1;
    for (int q = 0; q < VOC_N_ACTIONS; q++)
        if (!strcmp(voc_action_names[q], t->key)) return 1;
    return 0;
}

static ts_status put_object(voc_writer *w, ann_slot *slots, size_t n, size_t i, int indent, int depth) {
    const ts_annotation *a = &slots[i].a;
    ts_buf *b = &w->xml;
    size_t ci;
    const char *name = "";
    const cat_info *cat = NULL;
    if (ts_dataset_find_category(w->ds, a->category_id, &ci)) {
        ts_category c;
        ts_dataset_category(w->ds, ci, &c);
        name = c.name;
        cat = &w->cats[ci];
    }
    const char *tag = depth ? "part" : "object";
    slots[i].written = 1;
    const char *pose = ts_attr_value(a->attrs, a->n_attrs, "pose");
    ts_status s = ts_buf_printf(b, "%*s<%s>\n", indent, "", tag);
    if (s == TS_OK) s = xml_put_element(b, indent + 2, "name", name);
    if (s == TS_OK && !depth) {
        if (pose) s = xml_put_element(b, indent + 2, "pose", pose);
        if (s == TS_OK) s = xml_put_element(b, indent + 2, "truncated", a->flags & TS_ANN_TRUNCATED ? "1" : "0");
        if (s == TS_OK) s = xml_put_element(b, indent + 2, "difficult", a->flags & TS_ANN_DIFFICULT ? "1" : "0");
        if (s == TS_OK) s = xml_put_element(b, indent + 2, "occluded", a->flags & TS_ANN_OCCLUDED ? "1" : "0");
    }
    /* VOC corners are 1-based and inclusive: the inverse of the reader's */
    if (s == TS_OK) s = ts_buf_printf(b, "%*s<bndbox>\n", indent + 2, "");
    if (s == TS_OK) s = xml_put_element_double(b, indent + 4, "xmin", a->bbox[0] + 1);
    if (s == TS_OK) s = xml_put_element_double(b, indent + 4, "ymin", a->bbox[1] + 1);
    if (s == TS_OK) s = xml_put_element_double(b, indent + 4, "xmax", a->bbox[0] + a->bbox[2]);
    if (s == TS_OK) s = xml_put_element_double(b, indent + 4, "ymax", a->bbox[1] + a->bbox[3]);
    if (s == TS_OK) s = ts_buf_printf(b, "%*s</bndbox>\n", indent + 2, "");
    for (size_t j = 0; j < n && s == TS_OK; j++) {
        if (slots[j].parent != (int)i || !slots[j].writable) continue;
        if (depth >= 8) {
            w->deep_parts++;
            continue;
        }
        s = put_object(w, slots, n, j, indent + 2, depth + 1);
    }
    /* boolean action attributes go to <actions>, the rest to Datumaro's <attributes> */
    for (int pass = 0; pass < 2 && s == TS_OK; pass++) {
        int opened = 0;
        for (uint32_t k = 0; k < a->n_attrs && s == TS_OK; k++) {
            const ts_attr *t = &a->attrs[k];
            if (!strcmp(t->key, "pose") || !strcmp(t->key, "part_of")) continue;
            if (is_action(cat, t) != (pass == 0)) continue;
            if (!opened) s = ts_buf_printf(b, "%*s<%s>\n", indent + 2, "", pass ? "attributes" : "actions");
            opened = 1;
            if (s != TS_OK) break;
            if (pass == 0) {
                s = xml_put_element(b, indent + 4, t->key, strcmp(t->value, "true") == 0 ? "1" : "0");
            } else {
                s = ts_buf_printf(b, "%*s<attribute>\n", indent + 4, "");
                if (s == TS_OK) s = xml_put_element(b, indent + 6, "name", t->key);
                if (s == TS_OK) s = xml_put_element(b, indent + 6, "value", t->value);
                if (s == TS_OK) s = ts_buf_printf(b, "%*s</attribute>\n", indent + 4, "");
            }
        }
        if (opened && s == TS_OK) s = ts_buf_printf(b, "%*s</%s>\n", indent + 2, "", pass ? "attributes" : "actions");
    }
    if (s == TS_OK) s = ts_buf_printf(b, "%*s</%s>\n", indent, "", tag);
    return s;
}

/* Per split: the Main and Segmentation lists being built. */
typedef struct {
    const char *name;
    ts_buf main, seg;
} split_list;

typedef struct {
    split_list *v;
    size_t n, cap;
    int8_t **labels; /* per category: per image 1, 0 (difficult) or -1 */
    int any_labels;
} lists;

static split_list *list_for(voc_writer *w, lists *L, const char *split) {
    for (size_t i = 0; i < L->n; i++)
        if (strcmp(L->v[i].name, split) == 0) return &L->v[i];
    if (ts_grow(w->ctx, (void **)&L->v, &L->cap, L->n + 1, sizeof *L->v) != TS_OK) return NULL;
    split_list *l = &L->v[L->n++];
    memset(l, 0, sizeof *l);
    l->name = split;
    return l;
}

static const char *codec_ext(ts_codec c) {
    return c == TS_CODEC_PNG ? ".png" : c == TS_CODEC_WEBP ? ".webp" : ".jpg";
}

/* SegmentationClass/<stem>.png and SegmentationObject/<stem>.png from the
 * mask objects (object k is palette colour k in the object PNG). */
static ts_status write_masks(voc_writer *w, const char *stem, ann_slot *slots, size_t n, int width, int height,
                             int *any) {
    ts_image cls = {0}, obj = {0};
    uint8_t *mask = NULL;
    ts_status s = TS_OK;
    int painted = 0;
    for (size_t j = 0; j < n && s == TS_OK; j++) {
        const ts_annotation *a = &slots[j].a;
        if (a->kind != TS_ANN_MASK || !slots[j].object || !a->rle_len) continue;
        if (width <= 0 || height <= 0) width = (int)a->mask_w, height = (int)a->mask_h;
        if ((int)a->mask_w != width || (int)a->mask_h != height) {
            w->masks_skipped++;
            continue;
        }
        if (slots[j].object > 254) {
            w->many_instances++;
            continue;
        }
        if (!cls.data) {
            if ((s = ts_image_alloc(w->ctx, width, height, 3, TS_PIX_U8, &cls)) != TS_OK) break;
            if ((s = ts_image_alloc(w->ctx, width, height, 3, TS_PIX_U8, &obj)) != TS_OK) break;
            if (!(mask = ts_alloc_array(w->ctx, (size_t)width, (size_t)height))) {
                s = TS_ERR_NOMEM;
                break;
            }
        }
        if ((s = ts_rle_decode(w->ctx, a->rle, a->rle_len, (uint32_t)height, (uint32_t)width, mask)) != TS_OK) {
            ts_error_prefix(w->ctx, "annotation %lld", (long long)a->id);
            break;
        }
        size_t ci;
        uint8_t crgb[3] = {0, 0, 0}, orgb[3];
        if (ts_dataset_find_category(w->ds, a->category_id, &ci)) memcpy(crgb, w->cats[ci].rgb, 3);
        voc_colormap((unsigned)slots[j].object, orgb);
        int overlap = 0;
        for (int y = 0; y < height; y++) {
            uint8_t *cr = ts_image_row(&cls, y), *orow = ts_image_row(&obj, y);
            for (int x = 0; x < width; x++) {
                if (!mask[(size_t)y * width + x]) continue;
                if (orow[3 * x] | orow[3 * x + 1] | orow[3 * x + 2]) overlap = 1;
                memcpy(cr + 3 * x, crgb, 3);
                memcpy(orow + 3 * x, orgb, 3);
            }
        }
        w->mask_overlap += (uint64_t)overlap;
        painted = 1;
    }
    if (s == TS_OK && painted) {
        ts_buf p = {0};
        if (ts_buf_printf(&p, "%s/SegmentationClass/%s.png", w->base, stem) != TS_OK) s = TS_ERR_NOMEM;
        if (s == TS_OK) s = ts_image_save(w->ctx, p.data, &cls, NULL);
        p.len = 0;
        if (s == TS_OK && ts_buf_printf(&p, "%s/SegmentationObject/%s.png", w->base, stem) != TS_OK) s = TS_ERR_NOMEM;
        if (s == TS_OK) s = ts_image_save(w->ctx, p.data, &obj, NULL);
        ts_buf_free(&p);
    }
    ts_image_free(&cls);
    ts_image_free(&obj);
    free(mask);
    *any = painted;
    return s;
}

static ts_status write_image(voc_writer *w, size_t index, lists *L) {
    ts_ctx *ctx = w->ctx;
    ts_image_entry e;
    ts_dataset_image(w->ds, index, &e);
    const size_t *idx = NULL;
    size_t n = 0;
    ts_status s = ts_dataset_image_annotations(ctx, w->ds, index, &idx, &n);
    ann_slot *slots = NULL;
    if (s == TS_OK && n && !(slots = ts_calloc_array(ctx, n, sizeof *slots))) s = TS_ERR_NOMEM;
    for (size_t j = 0; j < n && s == TS_OK; j++) {
        ann_slot *sl = &slots[j];
        ts_dataset_annotation(w->ds, idx[j], &sl->a);
        sl->parent = -1;
        ts_ann_kind k = sl->a.kind;
        if (k == TS_ANN_LABEL) {
            size_t ci;
            if (!ts_dataset_find_category(w->ds, sl->a.category_id, &ci)) continue;
            size_t nimg = ts_dataset_image_count(w->ds);
            if (!L->labels[ci]) {
                if (!(L->labels[ci] = ts_alloc_array(ctx, nimg, 1))) {
                    s = TS_ERR_NOMEM;
                    break;
                }
                memset(L->labels[ci], -1, nimg);
            }
            int8_t v = sl->a.flags & TS_ANN_DIFFICULT ? 0 : 1;
            if (L->labels[ci][index] != 1) L->labels[ci][index] = v;
            L->any_labels = 1;
            continue;
        }
        sl->writable = (sl->a.flags & TS_ANN_HAS_BOX) &&
                       (k == TS_ANN_BOX || k == TS_ANN_POLYGON || k == TS_ANN_MASK || k == TS_ANN_KEYPOINTS);
        if (!sl->writable) {
            w->dropped_kind[(unsigned)k < 8 ? k : 7]++;
            continue;
        }
        size_t ci;
        if (!ts_dataset_find_category(w->ds, sl->a.category_id, &ci)) { /* VOC objects need a <name> */
            sl->writable = 0;
            w->unlabelled++;
            continue;
        }
        if (k == TS_ANN_POLYGON || k == TS_ANN_KEYPOINTS) w->geometry_reduced++;
        if (sl->a.flags & TS_ANN_HAS_SCORE) w->scores++;
        if (sl->a.track_id != TS_NO_ID) w->tracks++;
        if (sl->a.iscrowd) w->crowd++;
    }
    /* parts: part_of names another box of this image */
    for (size_t j = 0; j < n && s == TS_OK; j++) {
        const char *p = slots[j].writable ? ts_attr_value(slots[j].a.attrs, slots[j].a.n_attrs, "part_of") : NULL;
        double pid;
        if (!p || !xml_scan_double(p, &pid)) continue;
        for (size_t q = 0; q < n; q++)
            if (q != j && slots[q].writable && (double)slots[q].a.id == pid) slots[j].parent = (int)q;
    }
    int objects = 0;
    for (size_t j = 0; j < n; j++)
        if (slots && slots[j].writable && slots[j].parent < 0) slots[j].object = ++objects;
    /* the image file and its name */
    const char *stem = w->stems[index];
    const char *ext = voc_is_image_name(e.path) ? ts_path_ext(e.path) : ".jpg";
    uint8_t *bytes = NULL;
    size_t len = 0;
    ts_buf rel = {0};
    if (s == TS_OK && w->opts->copy_images) {
        if ((s = ts_dataset_image_bytes(ctx, w->ds, index, &bytes, &len)) != TS_OK)
            ts_error_prefix(ctx, "copying image %lld", (long long)e.id);
        else if (!voc_is_image_name(e.path))
            ext = codec_ext(ts_codec_sniff(bytes, len));
        if (s == TS_OK && ts_buf_printf(&rel, "JPEGImages/%s%s", stem, ext) != TS_OK) s = TS_ERR_NOMEM;
        if (s == TS_OK) s = write_file(ctx, w->base, rel.data, bytes, len);
    }
    free(bytes);
    int masks = 0;
    if (s == TS_OK) s = write_masks(w, stem, slots, n, e.width, e.height, &masks);
    ts_buf *b = &w->xml;
    b->len = 0;
    ts_buf fname = {0};
    if (s == TS_OK && ts_buf_printf(&fname, "%s%s", stem, ext) != TS_OK) s = TS_ERR_NOMEM;
    if (s == TS_OK) s = ts_buf_puts(b, "<annotation>\n  <folder>JPEGImages</folder>\n");
    if (s == TS_OK) s = xml_put_element(b, 2, "filename", fname.data);
    if (s == TS_OK && e.width > 0 && e.height > 0)
        s = ts_buf_printf(b, "  <size>\n    <width>%d</width>\n    <height>%d</height>\n    <depth>3</depth>\n  </size>\n",
                          e.width, e.height);
    if (s == TS_OK) s = ts_buf_printf(b, "  <segmented>%d</segmented>\n", masks ? 1 : 0);
    for (size_t j = 0; j < n && s == TS_OK; j++)
        if (slots[j].object) s = put_object(w, slots, n, j, 2, 0);
    if (s == TS_OK) s = ts_buf_puts(b, "</annotation>\n");
    rel.len = 0;
    if (s == TS_OK && ts_buf_printf(&rel, "Annotations/%s.xml", stem) != TS_OK) s = TS_ERR_NOMEM;
    if (s == TS_OK) s = write_file(ctx, w->base, rel.data, b->data, b->len);
    for (size_t j = 0; j < n; j++)
        if (slots[j].writable && !slots[j].written) w->orphans++;
    /* ImageSets */
    if (s == TS_OK && *e.split) {
        split_list *l = list_for(w, L, e.split);
        if (!l || ts_buf_printf(&l->main, "%s\n", stem) != TS_OK ||
            (masks && ts_buf_printf(&l->seg, "%s\n", stem) != TS_OK))
            s = TS_ERR_NOMEM;
    }
    ts_buf_free(&rel);
    ts_buf_free(&fname);
    free(slots);
    return s;
}

static ts_status write_lists(voc_writer *w, lists *L) {
    ts_status s = TS_OK;
    ts_buf rel = {0}, body = {0};
    size_t n_img = ts_dataset_image_count(w->ds), n_cat = ts_dataset_category_count(w->ds);
    for (size_t i = 0; i < L->n && s == TS_OK; i++) {
        split_list *l = &L->v[i];
        rel.len = 0;
        if (ts_buf_printf(&rel, "ImageSets/Main/%s.txt", l->name) != TS_OK) s = TS_ERR_NOMEM;
        if (s == TS_OK) s = write_file(w->ctx, w->base, rel.data, l->main.data, l->main.len);
        rel.len = 0;
        if (s == TS_OK && l->seg.len) {
            if (ts_buf_printf(&rel, "ImageSets/Segmentation/%s.txt", l->name) != TS_OK) s = TS_ERR_NOMEM;
            if (s == TS_OK) s = write_file(w->ctx, w->base, rel.data, l->seg.data, l->seg.len);
        }
    }
    /* per-class lists "<class>_<split>.txt": 1 present, 0 difficult, -1 absent */
    for (size_t c = 0; c < n_cat && s == TS_OK && L->any_labels; c++) {
        if (!L->labels[c]) continue;
        ts_category cat;
        ts_dataset_category(w->ds, c, &cat);
        for (size_t sp = 0; sp <= L->n && s == TS_OK; sp++) {
            const char *split = sp < L->n ? L->v[sp].name : "";
            body.len = 0;
            for (size_t i = 0; i < n_img && s == TS_OK; i++) {
                ts_image_entry e;
                ts_dataset_image(w->ds, i, &e);
                if (strcmp(e.split, split) != 0) continue;
                s = ts_buf_printf(&body, "%s %2d\n", w->stems[i], L->labels[c][i]);
            }
            if (s != TS_OK || !body.len) continue;
            rel.len = 0;
            if (ts_buf_printf(&rel, "ImageSets/Main/%s_%s.txt", cat.name, *split ? split : "default") != TS_OK)
                s = TS_ERR_NOMEM;
            if (s == TS_OK) s = write_file(w->ctx, w->base, rel.data, body.data, body.len);
        }
    }
    ts_buf_free(&rel);
    ts_buf_free(&body);
    return s;
}

static void report_losses(voc_writer *w) {
    ts_ctx *ctx = w->ctx;
    for (int k = 0; k < 8; k++)
        if (w->dropped_kind[k])
            ts_warn(ctx, "VOC cannot hold %s annotations without a box: %llu dropped", ts_ann_kind_name((ts_ann_kind)k),
                    (unsigned long long)w->dropped_kind[k]);
    if (w->geometry_reduced)
        ts_warn(ctx, "VOC holds boxes only: polygon/keypoint geometry of %llu annotations dropped (boxes kept)",
                (unsigned long long)w->geometry_reduced);
    if (w->unlabelled)
        ts_warn(ctx, "VOC objects need a class name: %llu annotations without a category dropped",
                (unsigned long long)w->unlabelled);
    if (w->scores) ts_warn(ctx, "VOC has no scores: %llu scores dropped", (unsigned long long)w->scores);
    if (w->tracks) ts_warn(ctx, "VOC has no tracks: %llu track ids dropped", (unsigned long long)w->tracks);
    if (w->crowd) ts_warn(ctx, "VOC has no crowd flag: %llu crowd annotations written as objects", (unsigned long long)w->crowd);
    if (w->orphans) ts_warn(ctx, "%llu parts in a part_of cycle dropped", (unsigned long long)w->orphans);
    if (w->deep_parts) ts_warn(ctx, "%llu parts nested deeper than 8 dropped", (unsigned long long)w->deep_parts);
    if (w->masks_skipped)
        ts_warn(ctx, "%llu masks whose size differs from their image dropped (boxes kept)", (unsigned long long)w->masks_skipped);
    if (w->many_instances)
        ts_warn(ctx, "%llu masks beyond the 254 instances a VOC object PNG holds dropped", (unsigned long long)w->many_instances);
    if (w->mask_overlap)
        ts_warn(ctx, "%llu masks overlap an earlier mask of their image; a VOC PNG keeps one label per pixel",
                (unsigned long long)w->mask_overlap);
}

ts_status voc_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    voc_writer w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.ds = ds;
    w.opts = opts;
    lists L;
    memset(&L, 0, sizeof L);
    ts_atomic_dir *dir = NULL;
    size_t n_img = ts_dataset_image_count(ds), n_cat = ts_dataset_category_count(ds);
    ts_status s = ts_atomic_dir_open(ctx, path, &dir);
    if (s == TS_OK) {
        w.base = ts_atomic_dir_path(dir);
        s = ts_mkdirs(ctx, w.base);
    }
    if (s == TS_OK) s = plan_categories(&w);
    if (s == TS_OK) s = plan_stems(&w);
    if (s == TS_OK && n_cat && !(L.labels = ts_calloc_array(ctx, n_cat, sizeof *L.labels))) s = TS_ERR_NOMEM;
    if (s == TS_OK) {
        char *a = ts_path_join(w.base, "Annotations");
        s = a ? ts_mkdirs(ctx, a) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        free(a);
    }
    for (size_t i = 0; i < n_img && s == TS_OK; i++) {
        s = write_image(&w, i, &L);
        if (s == TS_OK && (i % 256 == 255 || i + 1 == n_img)) s = ts_progress(ctx, "writing VOC", i + 1, n_img);
    }
    if (s == TS_OK) s = write_lists(&w, &L);
    if (s == TS_OK) s = write_labelmap(&w);
    if (s == TS_OK) s = ts_atomic_dir_commit(ctx, dir);
    else ts_atomic_dir_abort(dir);
    if (s == TS_OK) report_losses(&w);
    for (size_t i = 0; i < L.n; i++) ts_buf_free(&L.v[i].main), ts_buf_free(&L.v[i].seg);
    free(L.v);
    for (size_t c = 0; L.labels && c < n_cat; c++) free(L.labels[c]);
    free(L.labels);
    for (size_t i = 0; w.stems && i < n_img; i++) free(w.stems[i]);
    free(w.stems);
    free(w.cats);
    ts_buf_free(&w.xml);
    return s;
}
