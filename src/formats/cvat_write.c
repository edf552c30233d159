/* CVAT 1.1 XML writer: <image> elements with box/polygon/polyline/points/
 * tag/mask shapes ("for images"), <track> elements for annotations with a
 * track id; when every annotation has one, a "for video" file of frames. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cvat_internal.h"
#include "formats/xml_internal.h"
#include "trainset/json.h"

/* Attributes kept in XML attributes of a shape rather than <attribute>. */
static const char *const reserved[] = {"source", "group_id", "rotation", "keyframe", "part_of"};

static int is_reserved(const char *key) {
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (!strcmp(key, reserved[i])) return 1;
    return 0;
}

typedef struct {
    const char *name;
    ts_attr_type type;
} used_attr;

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const ts_write_opts *opts;
    FILE *f;
    ts_buf b;
    used_attr **used; /* per category: attributes its annotations carry */
    size_t *n_used, *cap_used;
    int video;        /* every annotation is on a track: write frames */
    uint64_t split_rings, keypoints, frame_moved, track_relabel, skipped_geometry, no_box;
} cvat_writer;

static ts_status flush(cvat_writer *w, int force) {
    if (w->b.len && (force || w->b.len > (1u << 16))) {
        if (fwrite(w->b.data, 1, w->b.len, w->f) != w->b.len) return ts_error(w->ctx, TS_ERR_IO, "write failed");
        w->b.len = 0;
    }
    return TS_OK;
}

static ts_status put_attr(ts_buf *b, const char *name, const char *value) {
    if (ts_buf_printf(b, " %s=\"", name) != TS_OK || xml_put_escaped(b, value, 1) != TS_OK || ts_buf_putc(b, '"') != TS_OK)
        return TS_ERR_NOMEM;
    return TS_OK;
}

static ts_status put_attr_double(ts_buf *b, const char *name, double v) {
    if (ts_buf_printf(b, " %s=\"", name) != TS_OK || ts_buf_put_double(b, v) != TS_OK || ts_buf_putc(b, '"') != TS_OK)
        return TS_ERR_NOMEM;
    return TS_OK;
}

/* ---- <meta> ----------------------------------------------------------------------------- */

static ts_status collect_used(cvat_writer *w) {
    size_t nc = ts_dataset_category_count(w->ds), na = ts_dataset_annotation_count(w->ds);
    if (!nc) return TS_OK;
    if (!(w->used = ts_calloc_array(w->ctx, nc, sizeof *w->used)) ||
        !(w->n_used = ts_calloc_array(w->ctx, nc, sizeof *w->n_used)) ||
        !(w->cap_used = ts_calloc_array(w->ctx, nc, sizeof *w->cap_used)))
        return TS_ERR_NOMEM;
    for (size_t i = 0; i < na; i++) {
        ts_annotation a;
        ts_dataset_annotation(w->ds, i, &a);
        size_t c;
        if (!a.n_attrs || !ts_dataset_find_category(w->ds, a.category_id, &c)) continue;
        for (uint32_t k = 0; k < a.n_attrs; k++) {
            if (is_reserved(a.attrs[k].key)) continue;
            size_t j = 0;
            while (j < w->n_used[c] && strcmp(w->used[c][j].name, a.attrs[k].key) != 0) j++;
            if (j < w->n_used[c]) continue;
            if (ts_grow(w->ctx, (void **)&w->used[c], &w->cap_used[c], j + 1, sizeof **w->used) != TS_OK)
                return TS_ERR_NOMEM;
            w->used[c][j] = (used_attr){a.attrs[k].key, a.attrs[k].type};
            w->n_used[c]++;
        }
    }
    return TS_OK;
}

/* One label's <attributes>: the declarations read from CVAT when the
 * category kept them, else ones derived from the values in use. */
static ts_status put_label_attrs(cvat_writer *w, size_t c, const ts_category *cat) {
    ts_buf *b = &w->b;
    const char *json = ts_attr_value(cat->attrs, cat->n_attrs, "cvat_attributes");
    ts_jvalue *spec = NULL;
    ts_status s = TS_OK;
    if (json && ts_json_parse(w->ctx, "cvat_attributes", json, strlen(json), &spec) != TS_OK) {
        ts_ctx_clear_error(w->ctx);
        spec = NULL;
    }
    if (spec && spec->type == TS_JARRAY) {
        if (!spec->u.arr.count) goto done;
        s = ts_buf_puts(b, "        <attributes>\n");
        for (size_t i = 0; i < spec->u.arr.count && s == TS_OK; i++) {
            const ts_jvalue *a = &spec->u.arr.items[i];
            static const char *const keys[] = {"name", "mutable", "input_type", "default_value"};
            s = ts_buf_puts(b, "          <attribute>\n");
            for (int k = 0; k < 4 && s == TS_OK; k++) {
                const char *v = ts_json_get_string(a, keys[k]);
                if (v) s = xml_put_element(b, 12, keys[k], v);
            }
            const ts_jvalue *vals = ts_json_get(a, "values");
            if (s == TS_OK && vals && vals->type == TS_JARRAY) {
                s = ts_buf_puts(b, "            <values>");
                for (size_t j = 0; j < vals->u.arr.count && s == TS_OK; j++) {
                    if (vals->u.arr.items[j].type != TS_JSTRING) continue;
                    if (j) s = ts_buf_putc(b, '\n');
                    if (s == TS_OK) s = xml_put_escaped(b, vals->u.arr.items[j].u.str.text, 0);
                }
                if (s == TS_OK) s = ts_buf_puts(b, "</values>\n");
            }
            if (s == TS_OK) s = ts_buf_puts(b, "          </attribute>\n");
        }
        if (s == TS_OK) s = ts_buf_puts(b, "        </attributes>\n");
        goto done;
    }
    if (!w->used || !w->n_used[c]) goto done;
    s = ts_buf_puts(b, "        <attributes>\n");
    for (size_t j = 0; j < w->n_used[c] && s == TS_OK; j++) {
        const used_attr *u = &w->used[c][j];
        const char *type = u->type == TS_ATTR_BOOL ? "checkbox" : u->type == TS_ATTR_NUMBER ? "number" : "text";
        s = ts_buf_puts(b, "          <attribute>\n");
        if (s == TS_OK) s = xml_put_element(b, 12, "name", u->name);
        if (s == TS_OK) s = xml_put_element(b, 12, "mutable", "True");
        if (s == TS_OK) s = xml_put_element(b, 12, "input_type", type);
        if (s == TS_OK) s = xml_put_element(b, 12, "default_value", u->type == TS_ATTR_BOOL ? "false" : "");
        if (s == TS_OK) s = xml_put_element(b, 12, "values", u->type == TS_ATTR_BOOL ? "false\ntrue" : "");
        if (s == TS_OK) s = ts_buf_puts(b, "          </attribute>\n");
    }
    if (s == TS_OK) s = ts_buf_puts(b, "        </attributes>\n");
done:
    ts_json_free(spec);
    return s;
}

static ts_status put_meta(cvat_writer *w) {
    ts_buf *b = &w->b;
    ts_status s = ts_buf_printf(b,
                                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n  <version>1.1</version>\n"
                                "  <meta>\n    <task>\n      <size>%zu</size>\n      <mode>%s</mode>\n",
                                ts_dataset_image_count(w->ds), w->video ? "interpolation" : "annotation");
    if (s == TS_OK && w->video && ts_dataset_image_count(w->ds)) {
        ts_image_entry e;
        ts_dataset_image(w->ds, 0, &e);
        s = ts_buf_printf(b, "      <original_size>\n        <width>%d</width>\n        <height>%d</height>\n"
                             "      </original_size>\n", e.width, e.height);
    }
    if (s == TS_OK) s = ts_buf_puts(b, "      <labels>\n");
    for (size_t c = 0; c < ts_dataset_category_count(w->ds) && s == TS_OK; c++) {
        ts_category cat;
        ts_dataset_category(w->ds, c, &cat);
        const char *color = ts_attr_value(cat.attrs, cat.n_attrs, "color");
        s = ts_buf_puts(b, "        <label>\n");
        if (s == TS_OK) s = xml_put_element(b, 10, "name", cat.name);
        if (s == TS_OK && color && color[0] == '#') s = xml_put_element(b, 10, "color", color);
        if (s == TS_OK) s = put_label_attrs(w, c, &cat);
        if (s == TS_OK) s = ts_buf_puts(b, "        </label>\n");
    }
    if (s == TS_OK) s = ts_buf_puts(b, "      </labels>\n    </task>\n  </meta>\n");
    return s;
}

/* ---- shapes --------------------------------------------------------------------------------- */

static ts_status put_points(ts_buf *b, const double *xy, uint32_t n) {
    ts_status s = ts_buf_puts(b, " points=\"");
    for (uint32_t i = 0; i < n && s == TS_OK; i++) {
        if (i) s = ts_buf_putc(b, ';');
        if (s == TS_OK) s = ts_buf_put_double(b, xy[2 * i]);
        if (s == TS_OK) s = ts_buf_putc(b, ',');
        if (s == TS_OK) s = ts_buf_put_double(b, xy[2 * i + 1]);
    }
    return s == TS_OK ? ts_buf_putc(b, '"') : s;
}

/* CVAT's mask: rle over the mask's bounding box, row-major, zeros first. */
static ts_status put_mask(cvat_writer *w, const ts_annotation *a) {
    uint32_t h = a->mask_h, wd = a->mask_w;
    uint8_t *m = ts_alloc_array(w->ctx, (size_t)h, (size_t)wd ? (size_t)wd : 1);
    if (!m) return TS_ERR_NOMEM;
    ts_status s = ts_rle_decode(w->ctx, a->rle, a->rle_len, h, wd, m);
    uint32_t x0 = wd, y0 = h, x1 = 0, y1 = 0;
    for (uint32_t y = 0; y < h && s == TS_OK; y++)
        for (uint32_t x = 0; x < wd; x++)
            if (m[(size_t)y * wd + x]) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    if (s == TS_OK && x0 > x1) x0 = y0 = x1 = y1 = 0; /* empty mask: one background pixel */
    ts_buf *b = &w->b;
    if (s == TS_OK) s = ts_buf_puts(b, " rle=\"");
    uint64_t run = 0;
    int value = 0, first = 1;
    for (uint32_t y = y0; y <= y1 && s == TS_OK; y++)
        for (uint32_t x = x0; x <= x1 && s == TS_OK; x++) {
            int v = m[(size_t)y * wd + x] != 0;
            if (v != value) {
                s = ts_buf_printf(b, "%s%llu", first ? "" : ", ", (unsigned long long)run);
                first = 0, run = 0, value = v;
            }
            run++;
        }
    if (s == TS_OK) s = ts_buf_printf(b, "%s%llu\" left=\"%u\" top=\"%u\" width=\"%u\" height=\"%u\"", first ? "" : ", ",
                                      (unsigned long long)run, x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    free(m);
    return s;
}

/* One shape element; `frame` >= 0 adds the track keyframe attributes. */
static ts_status put_shape(cvat_writer *w, const ts_annotation *a, int indent, int64_t frame, int track_label) {
    ts_buf *b = &w->b;
    const char *label = "";
    size_t ci;
    if (ts_dataset_find_category(w->ds, a->category_id, &ci)) {
        ts_category c;
        ts_dataset_category(w->ds, ci, &c);
        label = c.name;
    }
    const char *tag;
    uint32_t rings = a->n_rings;
    switch (a->kind) {
    case TS_ANN_LABEL: tag = "tag"; break;
    case TS_ANN_POLYGON: tag = rings ? "polygon" : "box"; break;
    case TS_ANN_POLYLINE: tag = "polyline"; break;
    case TS_ANN_POINTS: tag = "points"; break;
    case TS_ANN_KEYPOINTS: tag = "points"; break;
    case TS_ANN_MASK: tag = a->rle_len ? "mask" : "box"; break;
    default: tag = "box"; break;
    }
    if ((a->kind == TS_ANN_POLYLINE || a->kind == TS_ANN_POINTS) && !rings) {
        w->skipped_geometry++;
        return TS_OK;
    }
    if (!strcmp(tag, "box") && !(a->flags & TS_ANN_HAS_BOX)) {
        w->no_box++;
        return TS_OK;
    }
    if (a->kind == TS_ANN_POLYGON && !rings) w->skipped_geometry++;
    if (a->kind == TS_ANN_KEYPOINTS) w->keypoints++;
    if (rings > 1 && a->kind != TS_ANN_KEYPOINTS) w->split_rings++;
    uint32_t parts = (a->kind == TS_ANN_POLYGON || a->kind == TS_ANN_POLYLINE || a->kind == TS_ANN_POINTS) && rings ? rings : 1;
    const double *coords = a->coords;
    ts_status s = TS_OK;
    for (uint32_t r = 0; r < parts && s == TS_OK; r++) {
        s = ts_buf_printf(b, "%*s<%s", indent, "", tag);
        if (s == TS_OK && !track_label) s = put_attr(b, "label", label);
        if (s == TS_OK && frame >= 0) {
            const char *kf = ts_attr_value(a->attrs, a->n_attrs, "keyframe");
            s = ts_buf_printf(b, " frame=\"%lld\" outside=\"%d\" keyframe=\"%d\"", (long long)frame,
                              a->flags & TS_ANN_OUTSIDE ? 1 : 0, kf && !strcmp(kf, "false") ? 0 : 1);
        }
        if (s == TS_OK && a->kind != TS_ANN_LABEL)
            s = ts_buf_printf(b, " occluded=\"%d\"", a->flags & TS_ANN_OCCLUDED ? 1 : 0);
        if (s == TS_OK && !strcmp(tag, "box")) {
            s = put_attr_double(b, "xtl", a->bbox[0]);
            if (s == TS_OK) s = put_attr_double(b, "ytl", a->bbox[1]);
            if (s == TS_OK) s = put_attr_double(b, "xbr", a->bbox[0] + a->bbox[2]);
            if (s == TS_OK) s = put_attr_double(b, "ybr", a->bbox[1] + a->bbox[3]);
        } else if (s == TS_OK && !strcmp(tag, "mask")) {
            s = put_mask(w, a);
        } else if (s == TS_OK && a->kind == TS_ANN_KEYPOINTS) {
            double *xy = ts_alloc_array(w->ctx, a->n_keypoints ? a->n_keypoints : 1, 2 * sizeof *xy);
            uint32_t n = 0;
            if (!xy) return TS_ERR_NOMEM;
            for (uint32_t k = 0; k < a->n_keypoints; k++)
                if (a->keypoints[3 * k + 2] > 0) xy[2 * n] = a->keypoints[3 * k], xy[2 * n + 1] = a->keypoints[3 * k + 1], n++;
            if (!n) xy[0] = a->bbox[0], xy[1] = a->bbox[1], n = 1;
            s = put_points(b, xy, n);
            free(xy);
        } else if (s == TS_OK && strcmp(tag, "tag") != 0) {
            s = put_points(b, coords, a->ring_sizes[r] / 2);
            coords += a->ring_sizes[r];
        }
        if (s == TS_OK && a->kind != TS_ANN_LABEL) s = ts_buf_printf(b, " z_order=\"%d\"", (int)a->z_order);
        for (int k = 0; k < 3 && s == TS_OK; k++) {
            const char *v = ts_attr_value(a->attrs, a->n_attrs, reserved[k]);
            if (v) s = put_attr(b, reserved[k], v);
        }
        int children = 0;
        for (uint32_t k = 0; k < a->n_attrs && s == TS_OK; k++) {
            if (is_reserved(a->attrs[k].key)) continue;
            if (!children) s = ts_buf_puts(b, ">\n");
            children = 1;
            if (s == TS_OK) s = ts_buf_printf(b, "%*s<attribute", indent + 2, "");
            if (s == TS_OK) s = put_attr(b, "name", a->attrs[k].key);
            if (s == TS_OK) s = ts_buf_putc(b, '>');
            if (s == TS_OK) s = xml_put_escaped(b, a->attrs[k].value, 0);
            if (s == TS_OK) s = ts_buf_puts(b, "</attribute>\n");
        }
        if (s == TS_OK) s = children ? ts_buf_printf(b, "%*s</%s>\n", indent, "", tag) : ts_buf_puts(b, "/>\n");
    }
    if (s == TS_OK) s = flush(w, 0);
    return s;
}

/* ---- images and tracks ------------------------------------------------------------------------ */

/* The name= of an image: its path without the images/[subset/] prefix the
 * reader adds back. */
static const char *image_name(const ts_image_entry *e) {
    const char *p = e->path;
    size_t sl = strlen(e->split);
    if (!strncmp(p, "images/", 7)) {
        p += 7;
        if (sl && !strncmp(p, e->split, sl) && p[sl] == '/') p += sl + 1;
    }
    return p;
}

static ts_status copy_image(cvat_writer *w, const char *base, size_t index, const char *rel) {
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status s = ts_dataset_image_bytes(w->ctx, w->ds, index, &data, &len);
    char *path = s == TS_OK ? ts_path_join(base, rel) : NULL;
    if (s == TS_OK) s = path ? ts_file_write_staged(w->ctx, path, data, len) : ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    free(data), free(path);
    return s;
}

typedef struct {
    int64_t track, frame, id;
    size_t index;
} track_ref;

static int cmp_track(const void *pa, const void *pb) {
    const track_ref *a = pa, *b = pb;
    if (a->track != b->track) return a->track < b->track ? -1 : 1;
    if (a->frame != b->frame) return a->frame < b->frame ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static ts_status put_tracks(cvat_writer *w) {
    size_t na = ts_dataset_annotation_count(w->ds), n = 0;
    track_ref *refs = ts_alloc_array(w->ctx, na ? na : 1, sizeof *refs);
    if (!refs) return TS_ERR_NOMEM;
    for (size_t i = 0; i < na; i++) {
        ts_annotation a;
        ts_dataset_annotation(w->ds, i, &a);
        if (a.track_id == TS_NO_ID) continue;
        /* a frame is an image: its id (the reader gives frames their number) */
        if (a.frame >= 0 && a.frame != a.image_id) w->frame_moved++;
        refs[n++] = (track_ref){a.track_id, a.image_id, a.id, i};
    }
    if (n > 1) qsort(refs, n, sizeof *refs, cmp_track);
    ts_status s = TS_OK;
    for (size_t i = 0; i < n && s == TS_OK;) {
        size_t j = i;
        while (j < n && refs[j].track == refs[i].track) j++;
        ts_annotation first;
        ts_dataset_annotation(w->ds, refs[i].index, &first);
        const char *label = "";
        size_t ci;
        ts_category c;
        if (ts_dataset_find_category(w->ds, first.category_id, &ci)) ts_dataset_category(w->ds, ci, &c), label = c.name;
        s = ts_buf_printf(&w->b, "  <track id=\"%lld\"", (long long)refs[i].track);
        if (s == TS_OK) s = put_attr(&w->b, "label", label);
        if (s == TS_OK) s = ts_buf_puts(&w->b, ">\n");
        for (size_t k = i; k < j && s == TS_OK; k++) {
            ts_annotation a;
            ts_dataset_annotation(w->ds, refs[k].index, &a);
            if (a.category_id != first.category_id) w->track_relabel++;
            s = put_shape(w, &a, 4, refs[k].frame, 1);
        }
        if (s == TS_OK) s = ts_buf_puts(&w->b, "  </track>\n");
        i = j;
    }
    free(refs);
    return s;
}

static ts_status put_images(cvat_writer *w, const char *base) {
    ts_status s = TS_OK;
    size_t n = ts_dataset_image_count(w->ds);
    ts_buf rel = {0};
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_image_entry e;
        ts_dataset_image(w->ds, i, &e);
        const char *name = image_name(&e);
        if (base && w->opts->copy_images) {
            rel.len = 0;
            s = *e.split ? ts_buf_printf(&rel, "images/%s/%s", e.split, name) : ts_buf_printf(&rel, "images/%s", name);
            if (s == TS_OK) s = copy_image(w, base, i, rel.data);
        }
        if (s == TS_OK) s = ts_buf_printf(&w->b, "  <image id=\"%lld\"", (long long)e.id);
        if (s == TS_OK) s = put_attr(&w->b, "name", name);
        if (s == TS_OK && *e.split) s = put_attr(&w->b, "subset", e.split);
        if (s == TS_OK) s = ts_buf_printf(&w->b, " width=\"%d\" height=\"%d\">\n", e.width, e.height);
        const size_t *idx = NULL;
        size_t na = 0;
        if (s == TS_OK) s = ts_dataset_image_annotations(w->ctx, w->ds, i, &idx, &na);
        for (size_t k = 0; k < na && s == TS_OK; k++) {
            ts_annotation a;
            ts_dataset_annotation(w->ds, idx[k], &a);
            if (a.track_id == TS_NO_ID) s = put_shape(w, &a, 4, -1, 0);
        }
        if (s == TS_OK) s = ts_buf_puts(&w->b, "  </image>\n");
        if (s == TS_OK) s = flush(w, 0);
        if (s == TS_OK && (i % 1024 == 1023 || i + 1 == n)) s = ts_progress(w->ctx, "writing CVAT", i + 1, n);
    }
    ts_buf_free(&rel);
    return s;
}

/* Video frames are copied as images/frame_NNNNNN.<ext>, named by image id. */
static ts_status copy_frames(cvat_writer *w, const char *base) {
    ts_status s = TS_OK;
    ts_buf rel = {0};
    for (size_t i = 0; i < ts_dataset_image_count(w->ds) && s == TS_OK; i++) {
        ts_image_entry e;
        ts_dataset_image(w->ds, i, &e);
        const char *ext = ts_path_ext(e.path);
        rel.len = 0;
        s = ts_buf_printf(&rel, "images/frame_%06lld%s", (long long)e.id, *ext ? ext : ".png");
        if (s == TS_OK) s = copy_image(w, base, i, rel.data);
    }
    ts_buf_free(&rel);
    return s;
}

static void report_losses(cvat_writer *w) {
    if (w->split_rings) ts_warn(w->ctx, "%llu multi-part shapes written as one CVAT shape per part", (unsigned long long)w->split_rings);
    if (w->keypoints) ts_warn(w->ctx, "%llu keypoint sets written as CVAT points (names and visibility dropped)", (unsigned long long)w->keypoints);
    if (w->frame_moved) ts_warn(w->ctx, "%llu track shapes whose frame differs from their image id are written at the image's id", (unsigned long long)w->frame_moved);
    if (w->track_relabel) ts_warn(w->ctx, "%llu track shapes whose label differs from their track's first shape take the track's label", (unsigned long long)w->track_relabel);
    if (w->skipped_geometry) ts_warn(w->ctx, "%llu annotations without coordinates dropped or written as boxes", (unsigned long long)w->skipped_geometry);
    if (w->no_box) ts_warn(w->ctx, "%llu annotations without geometry dropped", (unsigned long long)w->no_box);
}

ts_status cvat_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    cvat_writer w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.ds = ds;
    w.opts = opts;
    size_t na = ts_dataset_annotation_count(ds), tracked = 0;
    int ids_ok = 1;
    for (size_t i = 0; i < na; i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        tracked += a.track_id != TS_NO_ID;
    }
    for (size_t i = 0; i < ts_dataset_image_count(ds); i++) ids_ok &= ts_dataset_image_id(ds, i) >= 0;
    w.video = na && tracked == na && ids_ok;
    int single = ts_ends_with_nocase(path, ".xml");
    ts_atomic_dir *dir = NULL;
    ts_atomic_file *file = NULL;
    const char *base = NULL;
    char *xml = NULL;
    ts_status s = TS_OK;
    if (!single) {
        s = ts_atomic_dir_open(ctx, path, &dir);
        if (s == TS_OK) base = ts_atomic_dir_path(dir);
        if (s == TS_OK && !(xml = ts_path_join(base, "annotations.xml"))) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    } else if (opts->copy_images) {
        ts_warn(ctx, "%s: a single CVAT .xml output holds no images; write to a directory to copy them", path);
    }
    if (s == TS_OK) s = ts_atomic_open(ctx, single ? path : xml, &file);
    if (s == TS_OK) w.f = ts_atomic_stream(file);
    if (s == TS_OK) s = collect_used(&w);
    if (s == TS_OK) s = put_meta(&w);
    if (s == TS_OK && !w.video) s = put_images(&w, base);
    if (s == TS_OK && w.video && base && opts->copy_images) s = copy_frames(&w, base);
    if (s == TS_OK && tracked) s = put_tracks(&w);
    if (s == TS_OK) s = ts_buf_puts(&w.b, "</annotations>\n");
    if (s == TS_OK) s = flush(&w, 1);
    if (s == TS_OK) {
        s = ts_atomic_commit(ctx, file);
        file = NULL;
    }
    ts_atomic_abort(file);
    if (dir) {
        if (s == TS_OK) s = ts_atomic_dir_commit(ctx, dir);
        else ts_atomic_dir_abort(dir);
    }
    if (s == TS_OK) report_losses(&w);
    if (s == TS_OK && w.video) {
        /* a video file lists shapes, not frames: frames without one are not in it */
        uint64_t empty = 0;
        for (size_t i = 0; i < ts_dataset_image_count(ds); i++) {
            const size_t *idx;
            size_t n = 0;
            if (ts_dataset_image_annotations(ctx, ds, i, &idx, &n) == TS_OK && n == 0) empty++;
        }
        if (empty)
            ts_warn(ctx, "CVAT for video holds only frames with shapes: %llu images without annotations are not in the file",
                    (unsigned long long)empty);
    }
    for (size_t c = 0; w.used && c < ts_dataset_category_count(ds); c++) free(w.used[c]);
    free(w.used), free(w.n_used), free(w.cap_used);
    ts_buf_free(&w.b);
    free(xml);
    return s;
}
