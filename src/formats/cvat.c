/* CVAT XML reader ("CVAT for images 1.1" task and project exports, "CVAT
 * for video 1.1" tracks), streamed one <image>/<track> at a time; the
 * writer is cvat_write.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cvat_internal.h"
#include "formats/xml_internal.h"

/* An attribute declared on a label in <meta>: its input type decides how
 * values are typed (checkbox: bool, number: number, else string). */
typedef struct {
    int64_t category;
    char *name;
    char *input_type;
} attr_spec;

typedef struct {
    ts_ctx *ctx;
    const ts_read_opts *opts;
    ts_dataset *ds;
    const char *file;
    char *root;
    int64_t next_ann;
    attr_spec *specs;
    size_t n_specs, cap_specs;
    int32_t frame_w, frame_h; /* <original_size> of a video task */
    uint64_t unsupported, records;
    int meta_seen;
} cvat_reader;

static ts_status soften(cvat_reader *r, ts_status s) {
    if (s == TS_OK || s == TS_ERR_NOMEM || s == TS_ERR_CANCELLED || !ts_ctx_lenient(r->ctx)) return s;
    ts_warn(r->ctx, "%s (skipped)", ts_ctx_error(r->ctx));
    ts_ctx_clear_error(r->ctx);
    return TS_OK;
}

static ts_status category_for(cvat_reader *r, const char *name, int64_t *id) {
    size_t index;
    if (!*name) {
        *id = TS_NO_ID; /* CVAT allows shapes with label="" */
        return TS_OK;
    }
    if (ts_dataset_find_category_name(r->ds, name, &index)) {
        *id = ts_dataset_category_id(r->ds, index);
        return TS_OK;
    }
    ts_category c = ts_category_empty();
    c.id = (int64_t)ts_dataset_category_count(r->ds) + 1;
    while (ts_dataset_find_category(r->ds, c.id, &index)) c.id++;
    c.name = name;
    ts_status s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
    if (s == TS_OK) *id = c.id;
    return s;
}

/* ---- <meta>: labels and their attribute declarations ------------------------------ */

/* The declarations of one label as JSON, kept on the category so that a
 * CVAT -> CVAT round trip writes them back. */
static ts_status spec_json(const xml_node *attrs, ts_buf *out) {
    ts_status s = ts_buf_putc(out, '[');
    int first = 1;
    for (const xml_node *a = attrs ? xml_child(attrs, "attribute") : NULL; a && s == TS_OK;
         a = xml_next(a, "attribute")) {
        static const char *const keys[] = {"name", "mutable", "input_type", "default_value"};
        if (!first) s = ts_buf_putc(out, ',');
        first = 0;
        if (s == TS_OK) s = ts_buf_putc(out, '{');
        for (int k = 0; k < 4 && s == TS_OK; k++) {
            const char *v = xml_child_text(a, keys[k]);
            if (!v) continue;
            if (k) s = ts_buf_putc(out, ',');
            if (s == TS_OK) s = ts_buf_put_json_string(out, keys[k]);
            if (s == TS_OK) s = ts_buf_putc(out, ':');
            if (s == TS_OK) s = ts_buf_put_json_string(out, v);
        }
        /* <values> is newline-separated (space-separated in older exports) */
        const char *values = xml_child_text(a, "values");
        if (s == TS_OK && values) {
            s = ts_buf_puts(out, ",\"values\":[");
            const char *sep = strchr(values, '\n') ? "\n" : " ";
            int firstv = 1;
            for (const char *p = values; *p && s == TS_OK;) {
                size_t len = strcspn(p, sep);
                char *v = strndup(p, len);
                if (!v) return TS_ERR_NOMEM;
                size_t b = 0, e = len;
                while (b < e && (v[b] == ' ' || v[b] == '\r')) b++;
                while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\r')) e--;
                v[e] = 0;
                if (e > b || strcmp(sep, "\n") == 0) {
                    if (!firstv) s = ts_buf_putc(out, ',');
                    firstv = 0;
                    if (s == TS_OK) s = ts_buf_put_json_string(out, v + b);
                }
                free(v);
                p += len;
                if (*p) p++;
            }
            if (s == TS_OK) s = ts_buf_putc(out, ']');
        }
        if (s == TS_OK) s = ts_buf_putc(out, '}');
    }
    if (s == TS_OK) s = ts_buf_putc(out, ']');
    return s;
}

static ts_status read_labels(cvat_reader *r, const xml_node *labels) {
    ts_status s = TS_OK;
    for (const xml_node *l = labels ? xml_child(labels, "label") : NULL; l && s == TS_OK; l = xml_next(l, "label")) {
        const char *name = xml_child_text(l, "name");
        if (!name || !*name) {
            s = soften(r, xml_error(r->ctx, TS_ERR_INVALID, r->file, l, "<label> without a <name>"));
            continue;
        }
        size_t index;
        if (ts_dataset_find_category_name(r->ds, name, &index)) continue;
        const xml_node *attrs = xml_child(l, "attributes");
        ts_buf json = {0};
        ts_attr cattrs[3];
        uint32_t n = 0;
        const char *color = xml_child_text(l, "color"), *type = xml_child_text(l, "type");
        if ((s = spec_json(attrs, &json)) != TS_OK) break;
        if (json.len > 2) cattrs[n++] = (ts_attr){"cvat_attributes", json.data, TS_ATTR_JSON};
        if (color && *color) cattrs[n++] = (ts_attr){"color", color, TS_ATTR_STRING};
        if (type && *type) cattrs[n++] = (ts_attr){"cvat_type", type, TS_ATTR_STRING};
        ts_category c = ts_category_empty();
        c.id = (int64_t)ts_dataset_category_count(r->ds) + 1;
        c.name = name;
        c.attrs = cattrs;
        c.n_attrs = n;
        s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
        ts_buf_free(&json);
        for (const xml_node *a = attrs ? xml_child(attrs, "attribute") : NULL; a && s == TS_OK;
             a = xml_next(a, "attribute")) {
            const char *an = xml_child_text(a, "name"), *it = xml_child_text(a, "input_type");
            if (!an || !it) continue;
            if ((s = ts_grow(r->ctx, (void **)&r->specs, &r->cap_specs, r->n_specs + 1, sizeof *r->specs)) != TS_OK)
                break;
            attr_spec *sp = &r->specs[r->n_specs++];
            sp->category = c.id;
            sp->name = strdup(an);
            sp->input_type = strdup(it);
            if (!sp->name || !sp->input_type) s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        }
    }
    return s;
}

static ts_status read_meta(cvat_reader *r, const xml_node *meta) {
    r->meta_seen = 1;
    ts_status s = TS_OK;
    static const char *const holders[] = {"task", "project", "job"};
    for (int i = 0; i < 3 && s == TS_OK; i++) {
        const xml_node *h = xml_child(meta, holders[i]);
        if (!h) continue;
        s = read_labels(r, xml_child(h, "labels"));
        const xml_node *size = xml_child(h, "original_size");
        if (s == TS_OK && size) {
            int64_t w = 0, hh = 0;
            const xml_node *nw = xml_child(size, "width"), *nh = xml_child(size, "height");
            if (nw) s = xml_int(r->ctx, r->file, nw, "<width>", nw->text, 0, INT32_MAX, &w);
            if (s == TS_OK && nh) s = xml_int(r->ctx, r->file, nh, "<height>", nh->text, 0, INT32_MAX, &hh);
            r->frame_w = (int32_t)w, r->frame_h = (int32_t)hh;
        }
        /* project exports list the tasks, each with its own labels in older versions */
        const xml_node *tasks = xml_child(h, "tasks");
        for (const xml_node *t = tasks ? xml_child(tasks, "task") : NULL; t && s == TS_OK; t = xml_next(t, "task"))
            s = read_labels(r, xml_child(t, "labels"));
    }
    return s;
}

/* ---- shapes --------------------------------------------------------------------------- */

/* "x1,y1;x2,y2;..." into a malloc'd array of 2n doubles. */
static ts_status parse_points(cvat_reader *r, const xml_node *at, const char *text, double **out, uint32_t *n) {
    size_t count = 1;
    for (const char *p = text; *p; p++) count += *p == ';';
    double *v = ts_alloc_array(r->ctx, count, 2 * sizeof *v);
    if (!v) return TS_ERR_NOMEM;
    size_t k = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ";");
        char *pair = strndup(p, len);
        char *comma = pair ? strchr(pair, ',') : NULL;
        if (!pair) {
            free(v);
            return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        }
        int ok = comma != NULL;
        if (ok) {
            *comma = 0;
            ok = xml_scan_double(pair, &v[2 * k]) && xml_scan_double(comma + 1, &v[2 * k + 1]);
        }
        free(pair);
        if (!ok) {
            free(v);
            return xml_error(r->ctx, TS_ERR_INVALID, r->file, at, "points: expected \"x,y;x,y;...\" with finite numbers");
        }
        k++;
        p += len;
        if (*p) p++;
    }
    if (k == 0) {
        free(v);
        return xml_error(r->ctx, TS_ERR_INVALID, r->file, at, "points: no points");
    }
    if (k > UINT32_MAX / 2) {
        free(v);
        return xml_error(r->ctx, TS_ERR_LIMIT, r->file, at, "too many points");
    }
    *out = v;
    *n = (uint32_t)k;
    return TS_OK;
}

static ts_status attr_number(cvat_reader *r, const xml_node *s, const char *name, double lo, double hi, double *out) {
    const char *v = xml_attr(s, name);
    if (!v) return xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "<%s> without %s=", s->name, name);
    ts_status st = xml_number(r->ctx, r->file, s, name, v, out);
    if (st == TS_OK && (*out < lo || *out > hi))
        st = xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "%s=\"%s\" is out of range", name, v);
    return st;
}

/* A CVAT ellipse (centre cx, cy, radii rx, ry, turned rotation= degrees
 * clockwise on screen) as a polygon of ELLIPSE_VERTICES vertices, the
 * first at the end of the turned x radius. */
#define ELLIPSE_VERTICES 32

static ts_status ellipse_points(cvat_reader *r, const xml_node *s, double **out, uint32_t *n) {
    double c[4], deg = 0;
    static const char *const names[4] = {"cx", "cy", "rx", "ry"};
    ts_status st = TS_OK;
    for (int i = 0; i < 4 && st == TS_OK; i++)
        st = attr_number(r, s, names[i], i < 2 ? -1e9 : 0, 1e9, &c[i]);
    if (st == TS_OK && xml_attr(s, "rotation")) st = attr_number(r, s, "rotation", -1e6, 1e6, &deg);
    if (st != TS_OK) return st;
    double *v = ts_alloc_array(r->ctx, ELLIPSE_VERTICES, 2 * sizeof *v);
    if (!v) return TS_ERR_NOMEM;
    double turn = deg * M_PI / 180, ct = cos(turn), stn = sin(turn);
    for (int k = 0; k < ELLIPSE_VERTICES; k++) {
        double t = 2 * M_PI * k / ELLIPSE_VERTICES, dx = c[2] * cos(t), dy = c[3] * sin(t);
        v[2 * k] = c[0] + dx * ct - dy * stn;
        v[2 * k + 1] = c[1] + dx * stn + dy * ct;
    }
    *out = v, *n = ELLIPSE_VERTICES;
    return TS_OK;
}

static int attr_flag(const char *v) {
    int b = 0;
    return v && xml_scan_bool(v, &b) && b;
}

/* CVAT's mask: rle= runs (row-major over the box left,top,width,height,
 * starting with zeros) to a full-image COCO RLE. */
static ts_status cvat_mask(cvat_reader *r, const xml_node *s, int32_t img_w, int32_t img_h, ts_annotation *a,
                           uint32_t **rle, uint32_t *n) {
    double left, top, bw, bh;
    ts_status st = TS_OK;
    if (img_w <= 0 || img_h <= 0)
        return xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "<mask> on an image of unknown size");
    if ((st = attr_number(r, s, "left", 0, img_w - 1, &left)) != TS_OK ||
        (st = attr_number(r, s, "top", 0, img_h - 1, &top)) != TS_OK ||
        (st = attr_number(r, s, "width", 1, img_w - left, &bw)) != TS_OK ||
        (st = attr_number(r, s, "height", 1, img_h - top, &bh)) != TS_OK)
        return st;
    if (left != floor(left) || top != floor(top) || bw != floor(bw) || bh != floor(bh))
        return xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "<mask> box must be whole pixels");
    const char *text = xml_attr(s, "rle");
    if (!text) return xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "<mask> without rle=");
    uint8_t *m = ts_calloc_array(r->ctx, (size_t)img_w, (size_t)img_h);
    if (!m) return TS_ERR_NOMEM;
    uint64_t pos = 0, total = (uint64_t)bw * (uint64_t)bh;
    int value = 0;
    for (const char *p = text; *p && st == TS_OK;) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        char *end;
        unsigned long long run = strtoull(p, &end, 10);
        if (end == p || run > total - pos) {
            st = xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "<mask> rle= runs are not whole numbers within the box");
            break;
        }
        for (uint64_t k = 0; value && k < run; k++) {
            uint64_t q = pos + k;
            m[(size_t)(top + (double)(q / (uint64_t)bw)) * (size_t)img_w + (size_t)(left + (double)(q % (uint64_t)bw))] = 1;
        }
        pos += run;
        value ^= 1;
        p = end;
    }
    if (st == TS_OK && pos != total)
        st = xml_error(r->ctx, TS_ERR_INVALID, r->file, s, "<mask> rle= covers %llu of %llu pixels",
                       (unsigned long long)pos, (unsigned long long)total);
    if (st == TS_OK) st = ts_rle_encode(r->ctx, m, (uint32_t)img_h, (uint32_t)img_w, 1, rle, n);
    free(m);
    if (st == TS_OK) {
        a->mask_h = (uint32_t)img_h, a->mask_w = (uint32_t)img_w;
        ts_rle_bbox(*rle, *n, a->mask_h, a->mask_w, a->bbox);
        a->area = (double)ts_rle_area(*rle, *n);
    }
    return st;
}

static ts_attr_type attr_type_for(cvat_reader *r, int64_t category, const char *name) {
    for (size_t i = 0; i < r->n_specs; i++) {
        if (r->specs[i].category != category || strcmp(r->specs[i].name, name) != 0) continue;
        if (strcmp(r->specs[i].input_type, "checkbox") == 0) return TS_ATTR_BOOL;
        if (strcmp(r->specs[i].input_type, "number") == 0) return TS_ATTR_NUMBER;
        return TS_ATTR_STRING;
    }
    return TS_ATTR_STRING;
}

/* One shape of an <image> (frame < 0) or of a <track>. */
static ts_status read_shape(cvat_reader *r, const xml_node *s, int64_t image_id, int32_t img_w, int32_t img_h,
                            const char *label, int64_t track, int32_t frame) {
    ts_ctx *ctx = r->ctx;
    ts_annotation a = ts_annotation_empty();
    const char *kind = s->name;
    int ellipse = !strcmp(kind, "ellipse");
    if (!strcmp(kind, "box")) a.kind = TS_ANN_BOX;
    else if (!strcmp(kind, "polygon")) a.kind = TS_ANN_POLYGON;
    else if (!strcmp(kind, "polyline")) a.kind = TS_ANN_POLYLINE;
    else if (!strcmp(kind, "points")) a.kind = TS_ANN_POINTS;
    else if (!strcmp(kind, "tag")) a.kind = TS_ANN_LABEL;
    else if (!strcmp(kind, "mask")) a.kind = TS_ANN_MASK;
    else if (!strcmp(kind, "ellipse")) a.kind = TS_ANN_POLYGON; /* as a polygon; see ellipse_points */
    else {
        r->unsupported++;
        return TS_OK;
    }
    if (!label) label = xml_attr(s, "label");
    if (!label) return xml_error(ctx, TS_ERR_INVALID, r->file, s, "<%s> without label=", kind);
    ts_status st = category_for(r, label, &a.category_id);
    if (st != TS_OK) return st;
    double *pts = NULL;
    uint32_t npts = 0, ring = 0, *rle = NULL, nrle = 0;
    if (a.kind == TS_ANN_BOX) {
        double c[4];
        static const char *const names[4] = {"xtl", "ytl", "xbr", "ybr"};
        for (int i = 0; i < 4 && st == TS_OK; i++) st = attr_number(r, s, names[i], -HUGE_VAL, HUGE_VAL, &c[i]);
        if (st != TS_OK) return st;
        if (c[2] < c[0] || c[3] < c[1])
            return xml_error(ctx, TS_ERR_INVALID, r->file, s, "<box> with xbr < xtl or ybr < ytl");
        a.bbox[0] = c[0], a.bbox[1] = c[1], a.bbox[2] = c[2] - c[0], a.bbox[3] = c[3] - c[1];
        a.area = a.bbox[2] * a.bbox[3];
        a.flags |= TS_ANN_HAS_BOX;
    } else if (a.kind == TS_ANN_MASK) {
        if ((st = cvat_mask(r, s, img_w, img_h, &a, &rle, &nrle)) != TS_OK) return st;
        a.rle = rle, a.rle_len = nrle;
        a.flags |= TS_ANN_HAS_BOX;
    } else if (a.kind != TS_ANN_LABEL) {
        const char *text = xml_attr(s, "points");
        if (ellipse) st = ellipse_points(r, s, &pts, &npts);
        else if (!text) return xml_error(ctx, TS_ERR_INVALID, r->file, s, "<%s> without points=", kind);
        else st = parse_points(r, s, text, &pts, &npts);
        if (st != TS_OK) return st;
        double x0 = pts[0], y0 = pts[1], x1 = pts[0], y1 = pts[1], area = 0;
        for (uint32_t i = 0; i < npts; i++) {
            double x = pts[2 * i], y = pts[2 * i + 1];
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
            uint32_t j = (i + 1) % npts;
            area += x * pts[2 * j + 1] - pts[2 * j] * y;
        }
        a.bbox[0] = x0, a.bbox[1] = y0, a.bbox[2] = x1 - x0, a.bbox[3] = y1 - y0;
        if (a.kind == TS_ANN_POLYGON) a.flags |= TS_ANN_HAS_BOX, a.area = fabs(area) / 2;
        ring = 2 * npts;
        if (!(r->opts->flags & TS_READ_SKIP_GEOMETRY)) a.coords = pts, a.ring_sizes = &ring, a.n_rings = 1;
    }
    if (attr_flag(xml_attr(s, "occluded"))) a.flags |= TS_ANN_OCCLUDED;
    if (attr_flag(xml_attr(s, "outside"))) a.flags |= TS_ANN_OUTSIDE;
    const char *z = xml_attr(s, "z_order");
    int64_t zi = 0;
    if (z && (st = xml_int(ctx, r->file, s, "z_order", z, INT32_MIN, INT32_MAX, &zi)) != TS_OK) goto done;
    a.z_order = (int32_t)zi;
    /* attributes: the shape's own, plus CVAT bookkeeping kept for round trips */
    size_t cap = 0, n = 0;
    ts_attr *attrs = NULL;
    for (const xml_node *c = xml_child(s, "attribute"); c; c = xml_next(c, "attribute")) n++;
    if (!(attrs = ts_alloc_array(ctx, n + 4, sizeof *attrs))) {
        st = TS_ERR_NOMEM;
        goto done;
    }
    cap = n + 4, n = 0;
    for (const xml_node *c = xml_child(s, "attribute"); c && st == TS_OK; c = xml_next(c, "attribute")) {
        const char *name = xml_attr(c, "name");
        if (!name) {
            st = xml_error(ctx, TS_ERR_INVALID, r->file, c, "<attribute> without name=");
            break;
        }
        ts_attr_type t = attr_type_for(r, a.category_id, name);
        int b = 0;
        double d;
        if (t == TS_ATTR_BOOL && !xml_scan_bool(c->text, &b)) t = TS_ATTR_STRING;
        if (t == TS_ATTR_NUMBER && !xml_scan_double(c->text, &d)) t = TS_ATTR_STRING;
        attrs[n++] = (ts_attr){name, t == TS_ATTR_BOOL ? (b ? "true" : "false") : c->text, t};
    }
    static const char *const kept[] = {"source", "group_id", "rotation"};
    for (int k = 0; k < (ellipse ? 2 : 3) && st == TS_OK; k++) { /* an ellipse's polygon is turned already */
        const char *v = xml_attr(s, kept[k]);
        double d;
        if (v && *v && n < cap && (k == 0 || (xml_scan_double(v, &d) && d != 0)))
            attrs[n++] = (ts_attr){kept[k], v, k ? TS_ATTR_NUMBER : TS_ATTR_STRING};
    }
    if (st == TS_OK && track != TS_NO_ID && !attr_flag(xml_attr(s, "keyframe")) && xml_attr(s, "keyframe") && n < cap)
        attrs[n++] = (ts_attr){"keyframe", "false", TS_ATTR_BOOL};
    if (st == TS_OK) {
        a.id = r->next_ann++;
        a.image_id = image_id;
        a.track_id = track;
        a.frame = frame;
        a.attrs = attrs;
        a.n_attrs = (uint32_t)n;
        st = ts_dataset_add_annotation(ctx, r->ds, &a, NULL);
    }
    free(attrs);
done:
    free(pts);
    free(rle);
    return st;
}

/* ---- images, frames and tracks ------------------------------------------------------------- */

/* The first existing of images/<subset>/<name>, images/<name>, <name>;
 * when none exists, the first form that applies. */
static char *image_path(cvat_reader *r, const char *name, const char *subset, int *found) {
    char *cand[3] = {NULL, NULL, NULL};
    ts_buf b = {0};
    if (subset && *subset && ts_buf_printf(&b, "images/%s/%s", subset, name) == TS_OK) cand[0] = b.data;
    cand[1] = ts_path_join("images", name);
    cand[2] = strdup(name);
    char *pick = NULL;
    *found = 0;
    for (int i = 0; i < 3 && !pick; i++) {
        char *full = cand[i] ? ts_path_join(r->root, cand[i]) : NULL;
        if (full && ts_file_exists(full)) pick = cand[i], cand[i] = NULL, *found = 1;
        free(full);
    }
    if (!pick) {
        int k = cand[0] ? 0 : 1;
        pick = cand[k];
        cand[k] = NULL;
    }
    for (int i = 0; i < 3; i++) free(cand[i]);
    return pick;
}

static void probe_size(cvat_reader *r, const char *rel, ts_image_entry *e) {
    if (r->opts->flags & TS_READ_NO_PROBE) return;
    char *full = ts_path_join(r->root, rel);
    ts_image_header h;
    if (full && ts_image_probe_file(r->ctx, full, &h) == TS_OK) {
        e->width = h.width, e->height = h.height;
    } else if (full) {
        ts_warn(r->ctx, "%s: size unknown: %s", full, ts_ctx_error(r->ctx));
        ts_ctx_clear_error(r->ctx);
    }
    free(full);
}

static ts_status add_image(cvat_reader *r, ts_image_entry *e) {
    size_t index;
    /* project exports repeat ids across subsets: give a repeat the next free id */
    if (ts_dataset_find_image(r->ds, e->id, &index)) {
        int64_t id = ts_dataset_next_image_id(r->ds);
        e->id = id;
    }
    return ts_dataset_add_image(r->ctx, r->ds, e, NULL);
}

static ts_status read_image(cvat_reader *r, const xml_node *img) {
    ts_ctx *ctx = r->ctx;
    const char *name = xml_attr(img, "name"), *subset = xml_attr(img, "subset");
    if (!name) return xml_error(ctx, TS_ERR_INVALID, r->file, img, "<image> without name=");
    ts_buf where = {0};
    ts_buf_printf(&where, "%s:%llu:%llu", r->file, (unsigned long long)img->line, (unsigned long long)img->col);
    ts_status s = ts_path_check_relative(ctx, name, where.data ? where.data : r->file);
    if (s == TS_OK && subset && *subset) s = ts_path_check_relative(ctx, subset, where.data ? where.data : r->file);
    ts_buf_free(&where);
    if (s != TS_OK) return s;
    ts_image_entry e = ts_image_entry_empty();
    int64_t id = 0, w = 0, h = 0;
    const char *v;
    if ((v = xml_attr(img, "id")) && (s = xml_int(ctx, r->file, img, "id", v, INT64_MIN / 2, INT64_MAX / 2, &id)) != TS_OK)
        return s;
    if ((v = xml_attr(img, "width")) && (s = xml_int(ctx, r->file, img, "width", v, 0, INT32_MAX, &w)) != TS_OK) return s;
    if ((v = xml_attr(img, "height")) && (s = xml_int(ctx, r->file, img, "height", v, 0, INT32_MAX, &h)) != TS_OK) return s;
    if (!xml_attr(img, "id")) id = ts_dataset_next_image_id(r->ds);
    if (w > 0 && h > 0 && (s = ts_image_check_size(ctx, (uint64_t)w, (uint64_t)h, r->file)) != TS_OK) return s;
    int found;
    char *path = image_path(r, name, subset, &found);
    if (!path) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    e.id = id;
    e.width = (int32_t)w, e.height = (int32_t)h;
    e.path = path;
    e.split = subset && *subset ? subset : r->opts->split ? r->opts->split : "";
    e.source = r->file;
    if ((e.width <= 0 || e.height <= 0) && found) probe_size(r, path, &e);
    s = add_image(r, &e);
    free(path);
    for (const xml_node *c = img->first_child; c && s == TS_OK; c = c->next)
        s = soften(r, read_shape(r, c, e.id, e.width, e.height, NULL, TS_NO_ID, -1));
    return s;
}

/* The image of a video frame: the image with that id, else a new one
 * named images/frame_NNNNNN.<ext> as CVAT exports frames. */
static ts_status frame_image(cvat_reader *r, int64_t frame, int32_t *w, int32_t *h) {
    size_t index;
    if (ts_dataset_find_image(r->ds, frame, &index)) {
        ts_image_entry e;
        ts_dataset_image(r->ds, index, &e);
        *w = e.width, *h = e.height;
        return TS_OK;
    }
    static const char *const exts[] = {".png", ".jpg", ".jpeg", ".webp"};
    ts_buf b = {0};
    int found = 0;
    for (int i = 0; i < 4 && !found; i++) {
        b.len = 0;
        if (ts_buf_printf(&b, "images/frame_%06lld%s", (long long)frame, exts[i]) != TS_OK) break;
        char *full = ts_path_join(r->root, b.data);
        found = full && ts_file_exists(full);
        free(full);
    }
    if (!found) {
        b.len = 0;
        ts_buf_printf(&b, "images/frame_%06lld.png", (long long)frame);
    }
    if (!b.data) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_image_entry e = ts_image_entry_empty();
    e.id = frame;
    e.path = b.data;
    e.width = r->frame_w, e.height = r->frame_h;
    e.split = r->opts->split ? r->opts->split : "";
    e.source = r->file;
    if ((e.width <= 0 || e.height <= 0) && found) probe_size(r, b.data, &e);
    ts_status s = ts_dataset_add_image(r->ctx, r->ds, &e, NULL);
    ts_buf_free(&b);
    *w = e.width, *h = e.height;
    return s;
}

static ts_status read_track(cvat_reader *r, const xml_node *t) {
    const char *label = xml_attr(t, "label"), *v = xml_attr(t, "id");
    int64_t id;
    if (!v) return xml_error(r->ctx, TS_ERR_INVALID, r->file, t, "<track> without id=");
    if (!label) return xml_error(r->ctx, TS_ERR_INVALID, r->file, t, "<track> without label=");
    ts_status s = xml_int(r->ctx, r->file, t, "id", v, 0, INT64_MAX / 2, &id);
    for (const xml_node *c = t->first_child; c && s == TS_OK; c = c->next) {
        int64_t frame;
        int32_t w = 0, h = 0;
        const char *f = xml_attr(c, "frame");
        ts_status st = f ? xml_int(r->ctx, r->file, c, "frame", f, 0, INT32_MAX, &frame)
                         : xml_error(r->ctx, TS_ERR_INVALID, r->file, c, "track shape without frame=");
        if (st == TS_OK) st = frame_image(r, frame, &w, &h);
        if (st == TS_OK) st = read_shape(r, c, frame, w, h, label, id, (int32_t)frame);
        s = soften(r, st);
    }
    return s;
}

static ts_status on_record(void *user, const xml_node *root, const xml_node *rec) {
    cvat_reader *r = user;
    if (strcmp(root->name, "annotations") != 0)
        return xml_error(r->ctx, TS_ERR_PARSE, r->file, root, "expected <annotations> as the root element, found <%s>",
                         root->name);
    ts_status s = TS_OK;
    if (!strcmp(rec->name, "meta"))
        s = read_meta(r, rec);
    else if (!strcmp(rec->name, "image"))
        s = soften(r, read_image(r, rec));
    else if (!strcmp(rec->name, "track"))
        s = soften(r, read_track(r, rec));
    if (s == TS_OK && ++r->records % 1024 == 0) s = ts_progress(r->ctx, "reading CVAT", r->records, 0);
    return s;
}

/* The annotation file of a path: the file itself, or annotations.xml (else
 * the only .xml) in the directory. */
static char *find_xml(const char *path) {
    if (ts_file_exists(path)) return strdup(path);
    char *p = ts_path_join(path, "annotations.xml");
    if (p && ts_file_exists(p)) return p;
    free(p);
    char **names = NULL;
    size_t n = 0;
    char *found = NULL;
    int count = 0;
    if (ts_dir_list(NULL, path, &names, &n) != TS_OK) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!ts_ends_with_nocase(names[i], ".xml")) continue;
        char *q = ts_path_join(path, names[i]);
        if (q && xml_sniff_root(q, "annotations")) {
            count++;
            free(found);
            found = q;
        } else {
            free(q);
        }
    }
    ts_strings_free(names, n);
    if (count != 1) {
        free(found);
        return NULL;
    }
    return found;
}

static ts_status cvat_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    cvat_reader r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opts = opts;
    r.next_ann = 1;
    char *xml = find_xml(path);
    if (!xml) {
        if (!ts_file_exists(path) && !ts_dir_exists(path))
            return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no such file or directory", path);
        return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no CVAT annotations.xml (or single CVAT .xml file) found", path);
    }
    r.file = xml;
    ts_status s = ts_dataset_create(ctx, &r.ds);
    if (s == TS_OK && !(r.root = ts_path_dirname(xml))) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = xml_stream_file(ctx, xml, xml, on_record, &r);
    if (s == TS_OK && r.unsupported)
        ts_warn(ctx, "%s: %llu shapes of kinds trainset does not hold (cuboid, skeleton) skipped", xml,
                (unsigned long long)r.unsupported);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, r.ds, r.root);
    for (size_t i = 0; i < r.n_specs; i++) free(r.specs[i].name), free(r.specs[i].input_type);
    free(r.specs);
    free(r.root);
    free(xml);
    if (s != TS_OK) {
        ts_dataset_destroy(r.ds);
        return s;
    }
    *out = r.ds;
    return TS_OK;
}

static int cvat_detect(const char *path) {
    char *xml = find_xml(path);
    int score = xml && xml_sniff_root(xml, "annotations") ? 90 : 0;
    free(xml);
    return score;
}

const ts_format ts_format_cvat = {"cvat", "CVAT for images / for video 1.1 XML (annotations.xml + images/)",
                                  cvat_detect, cvat_read, cvat_write};
