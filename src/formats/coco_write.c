/* Writing COCO: FILE.json (annotations only, "image_root" pointing at the
 * images) or DIR/annotations.json + DIR/images/, atomically, streamed
 * through a bounded buffer. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coco_internal.h"

#define FLUSH_AT (1u << 20)

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    FILE *fp;
    ts_buf b;
    int failed;
    int64_t *cat_ids; /* renumbered ids by category index, or NULL */
    uint64_t dropped_lines, dropped_points;
} writer;

static ts_status flush(writer *w, int force) {
    if (w->failed) return TS_ERR_NOMEM;
    if (w->b.len && (force || w->b.len >= FLUSH_AT)) {
        if (fwrite(w->b.data, 1, w->b.len, w->fp) != w->b.len) return ts_error(w->ctx, TS_ERR_IO, "write failed");
        w->b.len = 0;
    }
    return TS_OK;
}

/* The buffer calls return TS_ERR_NOMEM only; remember it and check once. */
static void put(writer *w, const char *s) { w->failed |= ts_buf_puts(&w->b, s) != TS_OK; }
static void put_str(writer *w, const char *s) { w->failed |= ts_buf_put_json_string(&w->b, s) != TS_OK; }
static void put_int(writer *w, int64_t v) { w->failed |= ts_buf_put_int(&w->b, v) != TS_OK; }
static void put_num(writer *w, double v) { w->failed |= ts_buf_put_double(&w->b, v) != TS_OK; }
static void put_key(writer *w, const char *k) {
    put(w, ",");
    put_str(w, k);
    put(w, ":");
}

/* A number attribute's text when it is a valid JSON number. */
static int json_number_text(const char *s) {
    const char *p = s;
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return 0;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == 0;
}

static void put_attr_value(writer *w, const ts_attr *a) {
    switch (a->type) {
    case TS_ATTR_NUMBER:
        if (json_number_text(a->value)) put(w, a->value);
        else put_str(w, a->value);
        break;
    case TS_ATTR_BOOL: put(w, strcmp(a->value, "true") == 0 ? "true" : "false"); break;
    case TS_ATTR_JSON: put(w, *a->value ? a->value : "null"); break;
    default: put_str(w, a->value);
    }
}

/* "attributes": {...} from plain attributes (and flag bits), then the
 * "coco:" extras as members of their own. */
/* Members the writer emits itself: an extra of that name stays inside
 * "attributes" so the record keeps one member per name. */
static int reserved_key(const char *k) {
    static const char *const keys[] = {"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd",
                                       "keypoints", "num_keypoints", "score", "attributes", "annotator", "track_id",
                                       "frame", "z_order", "caption", "file_name", "width", "height", "license",
                                       "split", "group_id", "source", "name", "supercategory", "skeleton",
                                       "parent_id", "segments_info", NULL};
    for (const char *const *p = keys; *p; p++)
        if (strcmp(*p, k) == 0) return 1;
    return 0;
}

static int is_extra(const char *key) {
    size_t plen = strlen(COCO_EXTRA);
    return strncmp(key, COCO_EXTRA, plen) == 0 && !reserved_key(key + plen);
}

static void put_attrs(writer *w, const ts_attr *attrs, uint32_t n, uint32_t flags) {
    int any = 0;
    static const struct {
        const char *name;
        uint32_t flag;
    } bits[] = {{"occluded", TS_ANN_OCCLUDED}, {"truncated", TS_ANN_TRUNCATED}, {"difficult", TS_ANN_DIFFICULT}};
    for (size_t i = 0; i < 3; i++) {
        if (!(flags & bits[i].flag)) continue;
        put(w, any ? "," : ",\"attributes\":{");
        put_str(w, bits[i].name);
        put(w, ":true");
        any = 1;
    }
    size_t plen = strlen(COCO_EXTRA);
    for (uint32_t i = 0; i < n; i++) {
        if (is_extra(attrs[i].key)) continue;
        put(w, any ? "," : ",\"attributes\":{");
        put_str(w, attrs[i].key);
        put(w, ":");
        put_attr_value(w, &attrs[i]);
        any = 1;
    }
    if (any) put(w, "}");
    for (uint32_t i = 0; i < n; i++) {
        if (!is_extra(attrs[i].key)) continue;
        put_key(w, attrs[i].key + plen);
        put_attr_value(w, &attrs[i]);
    }
}

/* ---- paths ------------------------------------------------------------------------ */

/* An absolute, normalised path ('.' and '..' resolved), through realpath
 * when the path exists. */
static char *absolute(const char *p) {
    char *r = realpath(p, NULL);
    if (r) return r;
    char *joined;
    if (p[0] == '/') {
        joined = strdup(p);
    } else {
        char *cwd = getcwd(NULL, 0);
        joined = cwd ? ts_path_join(cwd, p) : NULL;
        free(cwd);
    }
    if (!joined) return NULL;
    /* lexical normalisation in place */
    char *out = joined, *src = joined;
    size_t len = 0;
    while (*src) {
        while (*src == '/') src++;
        char *end = src;
        while (*end && *end != '/') end++;
        size_t n = (size_t)(end - src);
        if (n == 0 || (n == 1 && src[0] == '.')) {
        } else if (n == 2 && src[0] == '.' && src[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--;
        } else {
            out[len++] = '/';
            memmove(out + len, src, n);
            len += n;
        }
        src = end;
    }
    if (len == 0) out[len++] = '/';
    out[len] = 0;
    return out;
}

/* Relative path from directory `from` to `to` (both absolute). */
static char *relative(const char *from, const char *to) {
    size_t i = 0, common = 0;
    while (from[i] && from[i] == to[i]) {
        if (from[i] == '/') common = i;
        i++;
    }
    if (!from[i] && (!to[i] || to[i] == '/')) common = i;
    else if (!to[i] && from[i] == '/') common = i;
    ts_buf b = {0};
    const char *rest = from + common;
    int first = 1;
    for (const char *q = rest; *q; q++) {
        if (*q == '/' && q[1] && q[1] != '/') {
            if (ts_buf_puts(&b, first ? ".." : "/..") != TS_OK) goto fail;
            first = 0;
        }
    }
    const char *tail = to + common;
    while (*tail == '/') tail++;
    if (*tail) {
        if (!first && ts_buf_putc(&b, '/') != TS_OK) goto fail;
        if (ts_buf_puts(&b, tail) != TS_OK) goto fail;
    }
    if (b.len == 0 && ts_buf_putc(&b, '.') != TS_OK) goto fail;
    return b.data;
fail:
    ts_buf_free(&b);
    return NULL;
}

/* Longest common directory of two absolute paths (in place into a). */
static void common_dir(char *a, const char *b) {
    size_t i = 0, last = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '/') last = i;
        i++;
    }
    if ((!a[i] && (!b[i] || b[i] == '/')) || (!b[i] && a[i] == '/')) last = i;
    a[last ? last : 1] = 0;
}

/* ---- records ------------------------------------------------------------------------- */

static int64_t category_out(const writer *w, int64_t id) {
    size_t k;
    if (id == TS_NO_ID) return 0;
    if (w->cat_ids && ts_dataset_find_category(w->ds, id, &k)) return w->cat_ids[k];
    return id;
}

static void put_image(writer *w, size_t i, const char *file_name) {
    ts_image_entry e;
    ts_dataset_image(w->ds, i, &e);
    put(w, "{\"id\":");
    put_int(w, e.id);
    put_key(w, "file_name");
    put_str(w, file_name);
    put_key(w, "width");
    put_int(w, e.width);
    put_key(w, "height");
    put_int(w, e.height);
    if (e.license != TS_NO_ID) put_key(w, "license"), put_int(w, e.license);
    if (e.split[0]) put_key(w, "split"), put_str(w, e.split);
    if (e.group_id != TS_NO_ID) put_key(w, "group_id"), put_int(w, e.group_id);
    if (e.source[0]) put_key(w, "source"), put_str(w, e.source);
    put_attrs(w, e.attrs, e.n_attrs, 0);
    put(w, "}");
}

static void put_category(writer *w, size_t i) {
    ts_category c;
    ts_dataset_category(w->ds, i, &c);
    put(w, "{\"id\":");
    put_int(w, w->cat_ids ? w->cat_ids[i] : c.id);
    put_key(w, "name");
    put_str(w, c.name);
    put_key(w, "supercategory");
    put_str(w, c.supercategory);
    if (c.n_keypoints || c.n_skeleton) {
        put_key(w, "keypoints");
        put(w, "[");
        for (uint32_t k = 0; k < c.n_keypoints; k++) {
            if (k) put(w, ",");
            put_str(w, c.keypoints[k]);
        }
        put(w, "]");
    }
    if (c.n_skeleton) {
        put_key(w, "skeleton");
        put(w, "[");
        for (uint32_t k = 0; k < c.n_skeleton; k++) {
            put(w, k ? ",[" : "[");
            put_int(w, c.skeleton[2 * k]);
            put(w, ",");
            put_int(w, c.skeleton[2 * k + 1]);
            put(w, "]");
        }
        put(w, "]");
    }
    if (c.parent_id != TS_NO_ID) put_key(w, "parent_id"), put_int(w, category_out(w, c.parent_id));
    put_attrs(w, c.attrs, c.n_attrs, 0);
    put(w, "}");
}

static ts_status put_annotation(writer *w, size_t i, int results) {
    ts_annotation a;
    ts_dataset_annotation(w->ds, i, &a);
    if (results) {
        put(w, "{\"image_id\":");
    } else {
        put(w, "{\"id\":");
        put_int(w, a.id);
        put_key(w, "image_id");
    }
    put_int(w, a.image_id);
    put_key(w, "category_id");
    put_int(w, category_out(w, a.category_id));
    const char *caption = ts_attr_value(a.attrs, a.n_attrs, "caption");
    if (caption && a.kind == TS_ANN_LABEL) {
        put_key(w, "caption");
        put_str(w, caption);
    }
    if (a.kind != TS_ANN_LABEL) {
        if (a.kind == TS_ANN_POLYLINE) w->dropped_lines++;
        if (a.kind == TS_ANN_POINTS) w->dropped_points++;
        put_key(w, "segmentation");
        if (a.rle_len) {
            char *s = NULL;
            ts_status st = ts_rle_to_string(w->ctx, a.rle, a.rle_len, &s);
            if (st != TS_OK) return st;
            put(w, "{\"size\":[");
            put_int(w, a.mask_h);
            put(w, ",");
            put_int(w, a.mask_w);
            put(w, "],\"counts\":");
            put_str(w, s);
            put(w, "}");
            free(s);
        } else if (a.n_rings && a.kind != TS_ANN_POLYLINE && a.kind != TS_ANN_POINTS) {
            put(w, "[");
            const double *c = a.coords;
            for (uint32_t r = 0; r < a.n_rings; r++) {
                put(w, r ? ",[" : "[");
                for (uint32_t k = 0; k < a.ring_sizes[r]; k++) {
                    if (k) put(w, ",");
                    put_num(w, c[k]);
                }
                put(w, "]");
                c += a.ring_sizes[r];
            }
            put(w, "]");
        } else {
            put(w, "[]");
        }
        put_key(w, "area");
        put_num(w, a.area);
        put_key(w, "bbox");
        put(w, "[");
        for (int k = 0; k < 4; k++) {
            if (k) put(w, ",");
            put_num(w, a.bbox[k]);
        }
        put(w, "]");
        put_key(w, "iscrowd");
        put_int(w, a.iscrowd);
    }
    if (a.n_keypoints) {
        int visible = 0;
        put_key(w, "keypoints");
        put(w, "[");
        for (uint32_t k = 0; k < 3 * a.n_keypoints; k++) {
            if (k) put(w, ",");
            put_num(w, a.keypoints[k]);
            if (k % 3 == 2 && a.keypoints[k] > 0) visible++;
        }
        put(w, "]");
        put_key(w, "num_keypoints");
        put_int(w, visible);
    }
    if (a.flags & TS_ANN_HAS_SCORE) put_key(w, "score"), put_num(w, a.score);
    if (a.annotator[0]) put_key(w, "annotator"), put_str(w, a.annotator);
    if (a.track_id != TS_NO_ID) put_key(w, "track_id"), put_int(w, a.track_id);
    if (a.frame >= 0) put_key(w, "frame"), put_int(w, a.frame);
    if (a.z_order) put_key(w, "z_order"), put_int(w, a.z_order);
    /* the caption went out as its own key */
    if (caption && a.kind == TS_ANN_LABEL) {
        ts_attr *rest = ts_alloc_array(w->ctx, a.n_attrs ? a.n_attrs : 1, sizeof *rest);
        if (!rest) return TS_ERR_NOMEM;
        uint32_t m = 0;
        for (uint32_t k = 0; k < a.n_attrs; k++)
            if (strcmp(a.attrs[k].key, "caption") != 0) rest[m++] = a.attrs[k];
        put_attrs(w, rest, m, a.flags);
        free(rest);
    } else {
        put_attrs(w, a.attrs, a.n_attrs, a.flags);
    }
    put(w, "}");
    return TS_OK;
}

/* ---- the file ------------------------------------------------------------------------ */

/* Image file names as written, and the image root relative to the json's
 * directory (NULL when images are copied beside it). */
typedef struct {
    char **names;
    char *image_root;
} layout;

static void layout_free(layout *l, size_t n) {
    for (size_t i = 0; l->names && i < n; i++) free(l->names[i]);
    free(l->names);
    free(l->image_root);
}

static ts_status plan_layout(ts_ctx *ctx, const ts_dataset *ds, const char *json_dir, int copy, layout *l) {
    size_t n = ts_dataset_image_count(ds), no = ts_dataset_origin_count(ds);
    l->names = ts_calloc_array(ctx, n ? n : 1, sizeof *l->names);
    l->image_root = NULL;
    if (!l->names) return TS_ERR_NOMEM;
    uint8_t *used = ts_calloc_array(ctx, no ? no : 1, 1);
    char **rel = ts_calloc_array(ctx, no ? no : 1, sizeof *rel); /* origin root relative to the common root */
    ts_status s = used && rel ? TS_OK : TS_ERR_NOMEM;
    uint64_t from_pixels = 0;
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        used[e.origin] = 1;
        if (ts_dataset_origin(ds, e.origin).pixels) from_pixels++;
    }
    size_t n_used = 0;
    for (size_t o = 0; o < no; o++) n_used += used ? used[o] : 0;
    int prefix = 0;
    if (s == TS_OK && copy && n_used > 1) { /* several origins copied into one images/: avoid clashes */
        ts_strpool *seen = NULL;
        s = ts_strpool_create(&seen);
        for (size_t i = 0; s == TS_OK && i < n && !prefix; i++) {
            ts_image_entry e;
            ts_dataset_image(ds, i, &e);
            uint32_t id;
            if (ts_strpool_find(seen, e.path, strlen(e.path), &id)) prefix = 1;
            else s = ts_strpool_intern(seen, e.path, strlen(e.path), &id);
        }
        ts_strpool_destroy(seen);
    }
    if (s == TS_OK && !copy && n_used) {
        char *common = NULL;
        char **abs = ts_calloc_array(ctx, no, sizeof *abs);
        if (!abs) s = TS_ERR_NOMEM;
        for (size_t o = 0; s == TS_OK && o < no; o++) {
            if (!used[o]) continue;
            const char *root = ts_dataset_origin(ds, (uint32_t)o).root;
            abs[o] = absolute(*root ? root : ".");
            if (!abs[o]) s = TS_ERR_NOMEM;
            else if (!common) common = strdup(abs[o]);
            else common_dir(common, abs[o]);
        }
        char *jd = s == TS_OK ? absolute(json_dir) : NULL;
        if (s == TS_OK && (!common || !jd)) s = TS_ERR_NOMEM;
        for (size_t o = 0; s == TS_OK && o < no; o++) {
            if (!used[o] || n_used == 1) continue;
            if (!(rel[o] = relative(common, abs[o]))) s = TS_ERR_NOMEM;
        }
        if (s == TS_OK && !(l->image_root = relative(jd, common))) s = TS_ERR_NOMEM;
        for (size_t o = 0; abs && o < no; o++) free(abs[o]);
        free(abs);
        free(common);
        free(jd);
        if (from_pixels)
            ts_warn(ctx, "%llu images come from a pixel source (not files) and are not written; write to a directory "
                         "with images copied to get their files", (unsigned long long)from_pixels);
    }
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        char tag[32];
        const char *dir = NULL;
        if (prefix && e.origin) {
            snprintf(tag, sizeof tag, "origin%u", (unsigned)e.origin);
            dir = tag;
        } else if (rel[e.origin] && strcmp(rel[e.origin], ".") != 0) {
            dir = rel[e.origin];
        }
        l->names[i] = dir ? ts_path_join(dir, e.path) : strdup(e.path);
        if (!l->names[i]) s = TS_ERR_NOMEM;
    }
    for (size_t o = 0; rel && o < no; o++) free(rel[o]);
    free(rel);
    free(used);
    return s == TS_ERR_NOMEM ? ts_error(ctx, s, "out of memory") : s;
}

static int write_as_results(const ts_dataset *ds) {
    const char *r = ts_dataset_meta(ds, "coco:results");
    return r && strcmp(r, "1") == 0 && ts_dataset_image_count(ds) == 0 && ts_dataset_category_count(ds) == 0;
}

static ts_status write_json(writer *w, const layout *l) {
    const ts_dataset *ds = w->ds;
    ts_status s;
    size_t na = ts_dataset_annotation_count(ds);
    if (write_as_results(ds)) {
        put(w, "[");
        for (size_t i = 0; i < na; i++) {
            put(w, i ? ",\n" : "\n");
            if ((s = put_annotation(w, i, 1)) != TS_OK || (s = flush(w, 0)) != TS_OK) return s;
        }
        put(w, "\n]\n");
        return flush(w, 1);
    }
    const char *info = ts_dataset_meta(ds, "info"), *licenses = ts_dataset_meta(ds, "licenses");
    put(w, "{\"info\":");
    put(w, info ? info : "{}");
    put(w, ",\n\"licenses\":");
    put(w, licenses ? licenses : "[]");
    size_t plen = strlen(COCO_EXTRA);
    for (size_t i = 0; i < ts_dataset_meta_count(ds); i++) {
        const char *k, *v;
        ts_dataset_meta_at(ds, i, &k, &v);
        if (strncmp(k, COCO_EXTRA, plen) != 0 || strcmp(k, "coco:results") == 0) continue;
        put(w, ",\n");
        put_str(w, k + plen);
        put(w, ":");
        put(w, v);
    }
    if (l->image_root) {
        put(w, ",\n\"image_root\":");
        put_str(w, l->image_root);
    }
    put(w, ",\n\"images\":[");
    for (size_t i = 0; i < ts_dataset_image_count(ds); i++) {
        put(w, i ? ",\n" : "\n");
        put_image(w, i, l->names[i]);
        if ((s = flush(w, 0)) != TS_OK) return s;
    }
    put(w, "\n],\n\"annotations\":[");
    for (size_t i = 0; i < na; i++) {
        put(w, i ? ",\n" : "\n");
        if ((s = put_annotation(w, i, 0)) != TS_OK || (s = flush(w, 0)) != TS_OK) return s;
    }
    put(w, "\n],\n\"categories\":[");
    for (size_t i = 0; i < ts_dataset_category_count(ds); i++) {
        put(w, i ? ",\n" : "\n");
        put_category(w, i);
    }
    put(w, "\n]}\n");
    return flush(w, 1);
}

static ts_status copy_images(ts_ctx *ctx, const ts_dataset *ds, const layout *l, const char *dir) {
    size_t n = ts_dataset_image_count(ds);
    char *images = ts_path_join(dir, "images");
    if (!images) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = TS_OK;
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        if ((s = ts_dataset_image_bytes(ctx, ds, i, &data, &len)) != TS_OK) break;
        char *dst = ts_path_join(images, l->names[i]);
        s = dst ? ts_file_write_staged(ctx, dst, data, len) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        free(dst);
        free(data);
        if (s == TS_OK) s = ts_progress(ctx, "copying images", i + 1, n);
    }
    free(images);
    return s;
}

ts_status coco_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    int single = ts_ends_with_nocase(path, ".json");
    int copy = !single && opts->copy_images;
    writer w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.ds = ds;
    layout l = {NULL, NULL};
    ts_atomic_dir *adir = NULL;
    ts_atomic_file *af = NULL;
    char *json_dir = single ? ts_path_dirname(path) : strdup(path);
    char *json_path = NULL;
    ts_status s = json_dir ? TS_OK : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK && single) s = ts_mkdirs(ctx, json_dir); /* so the image root resolves against it */
    if (s == TS_OK && opts->renumber) {
        size_t nc = ts_dataset_category_count(ds);
        w.cat_ids = ts_alloc_array(ctx, nc ? nc : 1, sizeof *w.cat_ids);
        if (!w.cat_ids) s = TS_ERR_NOMEM;
        for (size_t i = 0; s == TS_OK && i < nc; i++) w.cat_ids[i] = (int64_t)i + 1;
    }
    if (s == TS_OK) s = plan_layout(ctx, ds, json_dir, copy, &l);
    if (s == TS_OK && !single) {
        s = ts_atomic_dir_open(ctx, path, &adir);
        if (s == TS_OK) json_path = ts_path_join(ts_atomic_dir_path(adir), "annotations.json");
    } else if (s == TS_OK) {
        json_path = strdup(path);
    }
    if (s == TS_OK && !json_path) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = ts_atomic_open(ctx, json_path, &af);
    if (s == TS_OK) {
        w.fp = ts_atomic_stream(af);
        s = write_json(&w, &l);
        if (s == TS_ERR_NOMEM && !*ts_ctx_error(ctx)) s = ts_error(ctx, s, "out of memory writing %s", path);
        if (s == TS_OK) s = ts_atomic_commit(ctx, af);
        else ts_atomic_abort(af);
    }
    if (s == TS_OK && copy) s = copy_images(ctx, ds, &l, ts_atomic_dir_path(adir));
    if (adir) {
        if (s == TS_OK) s = ts_atomic_dir_commit(ctx, adir);
        else ts_atomic_dir_abort(adir);
    }
    if (s == TS_OK && w.dropped_lines)
        ts_warn(ctx, "%s: COCO has no polylines; %llu written as boxes (line geometry dropped)", path,
                (unsigned long long)w.dropped_lines);
    if (s == TS_OK && w.dropped_points)
        ts_warn(ctx, "%s: COCO has no loose points; %llu point sets written as boxes (points dropped)", path,
                (unsigned long long)w.dropped_points);
    layout_free(&l, ts_dataset_image_count(ds));
    ts_buf_free(&w.b);
    free(w.cat_ids);
    free(json_dir);
    free(json_path);
    return s;
}
