/* Pascal VOC reader: each image's Annotations XML (objects, attributes,
 * size, the image file it names) and Datumaro's labelmap.txt, over the
 * layout voc_layout.c finds; segmentation PNGs are read in voc_mask.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/voc_reader.h"
#include "formats/xml_internal.h"

/* ---- one annotation file -------------------------------------------------------------- */

static ts_status add_attr(voc_reader *r, ts_attr **attrs, size_t *n, size_t *cap, const char *key,
                          const char *value, ts_attr_type type) {
    ts_status s = ts_grow(r->ctx, (void **)attrs, cap, *n + 1, sizeof **attrs);
    if (s != TS_OK) return s;
    (*attrs)[*n].key = key;
    (*attrs)[*n].value = value;
    (*attrs)[*n].type = type;
    (*n)++;
    return TS_OK;
}

/* Datumaro's <attributes><attribute><name/><value/></attribute></attributes>. */
static ts_status object_attributes(voc_reader *r, const char *file, const xml_node *obj, ts_attr **attrs,
                                   size_t *n, size_t *cap) {
    ts_status s = TS_OK;
    const xml_node *act = xml_child(obj, "actions");
    for (const xml_node *a = act ? act->first_child : NULL; a && s == TS_OK; a = a->next) {
        int v;
        if ((s = xml_bool(r->ctx, file, a, a->name, a->text, &v)) == TS_OK)
            s = add_attr(r, attrs, n, cap, a->name, v ? "true" : "false", TS_ATTR_BOOL);
    }
    const xml_node *list = xml_child(obj, "attributes");
    for (const xml_node *a = list ? xml_child(list, "attribute") : NULL; a && s == TS_OK;
         a = xml_next(a, "attribute")) {
        const char *name = xml_child_text(a, "name"), *value = xml_child_text(a, "value");
        if (!name || !*name) {
            s = xml_error(r->ctx, TS_ERR_INVALID, file, a, "<attribute> without a <name>");
            break;
        }
        if (!value) value = "";
        double d;
        ts_attr_type type = TS_ATTR_STRING;
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
            type = TS_ATTR_BOOL;
        else if (xml_scan_double(value, &d))
            type = TS_ATTR_NUMBER;
        s = add_attr(r, attrs, n, cap, name, value, type);
    }
    return s;
}

/* One <object> (or <part>, with part_of = its parent's annotation id). */
static ts_status read_object(voc_reader *r, const char *file, const xml_node *obj, int64_t image_id,
                             int64_t part_of) {
    ts_ctx *ctx = r->ctx;
    const char *name = xml_child_text(obj, "name");
    if (!name || !*name) return xml_error(ctx, TS_ERR_INVALID, file, obj, "<%s> without a <name>", obj->name);
    const xml_node *box = xml_child(obj, "bndbox");
    if (!box) return xml_error(ctx, TS_ERR_INVALID, file, obj, "<%s> \"%s\" without a <bndbox>", obj->name, name);
    static const char *const corner[4] = {"xmin", "ymin", "xmax", "ymax"};
    double c[4];
    ts_status s = TS_OK;
    for (int i = 0; i < 4 && s == TS_OK; i++) {
        const xml_node *n = xml_child(box, corner[i]);
        if (!n) return xml_error(ctx, TS_ERR_INVALID, file, box, "<bndbox> without <%s>", corner[i]);
        s = xml_number(ctx, file, n, corner[i], n->text, &c[i]);
    }
    if (s != TS_OK) return s;
    ts_annotation a = ts_annotation_empty();
    a.bbox[0] = c[0] - 1;
    a.bbox[1] = c[1] - 1;
    a.bbox[2] = c[2] - c[0] + 1;
    a.bbox[3] = c[3] - c[1] + 1;
    if (a.bbox[2] < 0 || a.bbox[3] < 0)
        return xml_error(ctx, TS_ERR_INVALID, file, box, "<bndbox> of \"%s\" has xmax < xmin - 1 or ymax < ymin - 1",
                         name);
    static const char *const flag_names[3] = {"difficult", "truncated", "occluded"};
    static const uint32_t flag_bits[3] = {TS_ANN_DIFFICULT, TS_ANN_TRUNCATED, TS_ANN_OCCLUDED};
    a.flags = TS_ANN_HAS_BOX;
    for (int i = 0; i < 3; i++) {
        const xml_node *n = xml_child(obj, flag_names[i]);
        int v = 0;
        if (n && *n->text && (s = xml_bool(ctx, file, n, flag_names[i], n->text, &v)) != TS_OK) return s;
        if (v) a.flags |= flag_bits[i];
    }
    ts_attr *attrs = NULL;
    size_t n_attrs = 0, cap = 0;
    char parent[24];
    const char *pose = xml_child_text(obj, "pose");
    if (pose && *pose) s = add_attr(r, &attrs, &n_attrs, &cap, "pose", pose, TS_ATTR_STRING);
    if (s == TS_OK && part_of != TS_NO_ID) {
        snprintf(parent, sizeof parent, "%lld", (long long)part_of);
        s = add_attr(r, &attrs, &n_attrs, &cap, "part_of", parent, TS_ATTR_NUMBER);
    }
    if (s == TS_OK) s = object_attributes(r, file, obj, &attrs, &n_attrs, &cap);
    if (s == TS_OK) s = voc_category_for(ctx, r->ds, name, &a.category_id);
    if (s == TS_OK) {
        a.id = r->next_ann;
        a.image_id = image_id;
        a.kind = TS_ANN_BOX;
        a.area = a.bbox[2] * a.bbox[3];
        a.attrs = attrs;
        a.n_attrs = (uint32_t)n_attrs;
        s = ts_dataset_add_annotation(ctx, r->ds, &a, NULL);
    }
    free(attrs);
    if (s != TS_OK) return s;
    r->next_ann++;
    if (part_of == TS_NO_ID && r->masks) {
        s = ts_grow(ctx, (void **)&r->objects, &r->cap_objects, r->n_objects + 1, sizeof *r->objects);
        if (s != TS_OK) return s;
        r->objects[r->n_objects++] = a.id;
    }
    for (const xml_node *p = xml_child(obj, "part"); p && s == TS_OK; p = xml_next(p, "part"))
        s = voc_soften(r, read_object(r, file, p, image_id, a.id));
    return s;
}

/* The image file an annotation names: its <filename> in the group's image
 * directory (any case, or any image extension when it has none), else the
 * annotation's own stem. *found says whether the file exists. */
static char *resolve_image(voc_reader *r, voc_item *it, const char *filename, int *found) {
    voc_group *g = &r->groups[it->group];
    voc_dir_entry *e = NULL;
    *found = 1;
    if (filename && *filename) {
        if (strchr(filename, '/')) {
            char *rel = voc_rel_join(g->img_dir, filename), *full = rel ? ts_path_join(r->root, rel) : NULL;
            int exists = full && ts_file_exists(full);
            free(full);
            if (exists || !rel) return rel;
            free(rel);
        }
        e = voc_dir_index_find(r->ctx, &g->images, filename, 0);
        if (!e && !voc_is_image_name(filename)) e = voc_dir_index_find(r->ctx, &g->images, filename, 1);
    }
    if (!e && it->image) e = voc_dir_index_find(r->ctx, &g->images, it->image, 0);
    if (!e) e = voc_dir_index_find(r->ctx, &g->images, it->stem, 1);
    if (e) return voc_rel_join(g->img_dir, e->name);
    *found = 0;
    if (filename && *filename) return voc_rel_join(g->img_dir, filename);
    ts_buf b = {0};
    if (ts_buf_printf(&b, "%s.jpg", it->stem) != TS_OK) return NULL;
    char *rel = voc_rel_join(g->img_dir, b.data);
    ts_buf_free(&b);
    return rel;
}

static ts_status read_size(voc_reader *r, const char *file, const xml_node *ann, int32_t *w, int32_t *h) {
    const xml_node *size = ann ? xml_child(ann, "size") : NULL;
    if (!size) return TS_OK;
    const xml_node *nw = xml_child(size, "width"), *nh = xml_child(size, "height");
    int64_t vw = 0, vh = 0;
    ts_status s = TS_OK;
    if (nw && *nw->text) s = xml_int(r->ctx, file, nw, "<width>", nw->text, 0, INT32_MAX, &vw);
    if (s == TS_OK && nh && *nh->text) s = xml_int(r->ctx, file, nh, "<height>", nh->text, 0, INT32_MAX, &vh);
    if (s == TS_OK && vw > 0 && vh > 0) {
        ts_buf where = {0};
        ts_buf_printf(&where, "%s:%llu:%llu", file, (unsigned long long)size->line, (unsigned long long)size->col);
        s = ts_image_check_size(r->ctx, (uint64_t)vw, (uint64_t)vh, where.data ? where.data : file);
        ts_buf_free(&where);
    }
    if (s == TS_OK) *w = (int32_t)vw, *h = (int32_t)vh;
    return s;
}

static ts_status read_item(voc_reader *r, voc_item *it) {
    ts_ctx *ctx = r->ctx;
    char *file = it->xml ? ts_path_join(r->root, it->xml) : NULL;
    xml_doc *doc = NULL;
    const xml_node *ann = NULL;
    ts_status s = TS_OK;
    if (it->xml && !file) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (file) {
        s = xml_parse_file(ctx, file, file, &doc);
        if (s == TS_OK && strcmp((ann = xml_doc_root(doc))->name, "annotation") != 0)
            s = xml_error(ctx, TS_ERR_PARSE, file, ann, "expected <annotation> as the root element, found <%s>",
                          ann->name);
        if (s != TS_OK) {
            xml_doc_free(doc);
            free(file);
            return s;
        }
    }
    const xml_node *fn = ann ? xml_child(ann, "filename") : NULL;
    if (fn && *fn->text) {
        ts_buf where = {0};
        ts_buf_printf(&where, "%s:%llu:%llu", file, (unsigned long long)fn->line, (unsigned long long)fn->col);
        s = ts_path_check_relative(ctx, fn->text, where.data ? where.data : file);
        ts_buf_free(&where);
    }
    int found = 0;
    char *path = NULL;
    ts_image_entry e = ts_image_entry_empty();
    if (s == TS_OK) s = read_size(r, file, ann, &e.width, &e.height);
    if (s == TS_OK && !(path = resolve_image(r, it, fn ? fn->text : NULL, &found)))
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK && found && (e.width <= 0 || e.height <= 0) && !(r->opts->flags & TS_READ_NO_PROBE)) {
        char *full = ts_path_join(r->root, path);
        ts_image_header hdr;
        if (full && ts_image_probe_file(ctx, full, &hdr) == TS_OK) {
            e.width = hdr.width;
            e.height = hdr.height;
        } else if (full) {
            ts_warn(ctx, "%s: size unknown: %s", full, ts_ctx_error(ctx));
            ts_ctx_clear_error(ctx);
        }
        free(full);
    }
    if (s == TS_OK) {
        e.id = it->id;
        e.path = path;
        e.split = it->split ? it->split : r->groups[it->group].split;
        if (!e.split) e.split = r->opts->split ? r->opts->split : "";
        e.source = file ? file : "";
        s = ts_dataset_add_image(ctx, r->ds, &e, NULL);
    }
    free(path);
    r->n_objects = 0;
    for (const xml_node *o = ann ? xml_child(ann, "object") : NULL; o && s == TS_OK; o = xml_next(o, "object"))
        s = voc_soften(r, read_object(r, file, o, it->id, TS_NO_ID));
    if (s == TS_OK && r->masks) {
        char *cls = NULL, *obj = NULL;
        ts_buf b = {0};
        if (ts_buf_printf(&b, "SegmentationClass/%s.png", it->stem) == TS_OK) cls = ts_path_join(r->root, b.data);
        b.len = 0;
        if (ts_buf_printf(&b, "SegmentationObject/%s.png", it->stem) == TS_OK) obj = ts_path_join(r->root, b.data);
        ts_buf_free(&b);
        if (!cls || !obj)
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        else
            s = voc_soften(r, voc_read_masks(ctx, r->ds, ts_file_exists(cls) ? cls : NULL,
                                         ts_file_exists(obj) ? obj : NULL, r->n_labelmap ? r->labelmap : NULL,
                                         r->n_labelmap, it->id, r->objects, r->n_objects, &r->next_ann));
        free(cls), free(obj);
    }
    xml_doc_free(doc);
    free(file);
    return s;
}

/* ---- the dataset ---------------------------------------------------------------------------- */

static ts_status read_labelmap(voc_reader *r) {
    char *path = ts_path_join(r->root, "labelmap.txt");
    if (!path) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = TS_OK;
    if (ts_file_exists(path)) {
        uint8_t *text = NULL;
        size_t len = 0;
        s = ts_file_read(r->ctx, path, &text, &len);
        if (s == TS_OK) s = voc_labelmap_parse(r->ctx, path, (const char *)text, len, &r->labelmap, &r->n_labelmap);
        free(text);
    }
    free(path);
    /* labelmap order gives the category ids 1..n */
    for (size_t i = 0; i < r->n_labelmap && s == TS_OK; i++) {
        const voc_label *l = &r->labelmap[i];
        char color[16];
        ts_attr attrs[3];
        uint32_t n = 0;
        if (l->has_color) {
            snprintf(color, sizeof color, "%u,%u,%u", l->rgb[0], l->rgb[1], l->rgb[2]);
            attrs[n++] = (ts_attr){"color", color, TS_ATTR_STRING};
        }
        if (*l->parts) attrs[n++] = (ts_attr){"parts", l->parts, TS_ATTR_STRING};
        if (*l->actions) attrs[n++] = (ts_attr){"actions", l->actions, TS_ATTR_STRING};
        size_t index;
        if (ts_dataset_find_category_name(r->ds, l->name, &index)) continue;
        ts_category c = ts_category_empty();
        c.id = (int64_t)ts_dataset_category_count(r->ds) + 1;
        c.name = l->name;
        c.attrs = attrs;
        c.n_attrs = n;
        s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
    }
    return s;
}

/* Image-level labels from the per-class lists, after the objects. */
static ts_status add_class_labels(voc_reader *r) {
    ts_status s = TS_OK;
    for (size_t i = 0; i < r->n_labels && s == TS_OK; i++) {
        const voc_class_label *l = &r->labels[i];
        voc_item *it = voc_find_item(r, l->key);
        ts_annotation a = ts_annotation_empty();
        if (!it) {
            s = ts_error_at(r->ctx, TS_ERR_NOT_FOUND, l->file, l->line, 1, "unknown image");
            break;
        }
        if (it->id == TS_NO_ID) continue; /* skipped in lenient mode */
        if ((s = voc_category_for(r->ctx, r->ds, l->cls, &a.category_id)) != TS_OK) break;
        a.id = r->next_ann++;
        a.image_id = it->id;
        a.kind = TS_ANN_LABEL;
        if (l->value == 0) a.flags |= TS_ANN_DIFFICULT;
        s = ts_dataset_add_annotation(r->ctx, r->ds, &a, NULL);
    }
    return s;
}

static ts_status voc_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    voc_reader r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opts = opts;
    r.next_ann = 1;
    ts_status s = ts_dataset_create(ctx, &r.ds);
    if (s != TS_OK) return s;
    if (!ts_file_exists(path) && !ts_dir_exists(path))
        s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no such file or directory", path);
    if (s == TS_OK) s = voc_find_layout(&r, path);
    if (s == TS_OK) s = read_labelmap(&r);
    if (s == TS_OK) {
        char *c = ts_path_join(r.root, "SegmentationClass"), *o = ts_path_join(r.root, "SegmentationObject");
        r.masks = (c && ts_dir_exists(c)) || (o && ts_dir_exists(o));
        free(c), free(o);
        voc_merge_items(&r);
    }
    for (size_t i = 0; i < r.n_items && s == TS_OK; i++) {
        r.items[i].id = (int64_t)i + 1;
        s = voc_soften(&r, read_item(&r, &r.items[i]));
        if (s == TS_OK && !ts_dataset_find_image(r.ds, r.items[i].id, &(size_t){0})) r.items[i].id = TS_NO_ID;
        if (s == TS_OK && (i % 256 == 255 || i + 1 == r.n_items)) s = ts_progress(ctx, "reading VOC", i + 1, r.n_items);
    }
    if (s == TS_OK) s = add_class_labels(&r);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, r.ds, r.root);
    if (s == TS_OK && r.n_items == 0) s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no VOC annotation files or images", path);
    voc_reader_free(&r);
    if (s != TS_OK) {
        ts_dataset_destroy(r.ds);
        return s;
    }
    *out = r.ds;
    return TS_OK;
}

const ts_format ts_format_voc = {"voc", "Pascal VOC XML (Annotations/, ImageSets/, segmentation PNGs)", voc_detect,
                                 voc_read, voc_write};
