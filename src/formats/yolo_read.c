/* YOLO reader: finds the layout (Ultralytics data.yaml, Darknet/CVAT obj.data
 * and lists, images/+labels/, loose Annotations/+Images/, flat headerless),
 * reads class lists and label rows (boxes, segmentation polygons, pose
 * keypoints), and denormalizes with each image's size from its header. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv_internal.h"
#include "formats/yolo_internal.h"

#define MAX_DEPTH 16


static const char *const label_meta_names[] = {"classes.txt", "train.txt", "val.txt",   "valid.txt",
                                               "test.txt",    "readme.txt", "obj.names", "labels.txt",
                                               "notes.txt",   NULL};

int ts_yolo_is_meta_name(const char *name) {
    for (int i = 0; label_meta_names[i]; i++)
        if (ts_strcaseeq(name, label_meta_names[i])) return 1;
    return 0;
}

/* A per-row problem: an error, or in lenient mode a warning (the first few
 * shown, all counted) and *skip set. */
static ts_status row_problem(ts_yolo_reader *r, const char *file, uint64_t line, uint64_t col, int *skip, const char *fmt,
                             ...) TS_PRINTF(6, 7);
static ts_status row_problem(ts_yolo_reader *r, const char *file, uint64_t line, uint64_t col, int *skip, const char *fmt,
                             ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ts_ctx_lenient(r->ctx)) return ts_error_at(r->ctx, TS_ERR_INVALID, file, line, col, "%s", msg);
    if (r->skipped < TS_YOLO_MAX_ROW_WARNINGS) ts_warn(r->ctx, "%s:%llu:%llu: %s; row skipped", file,
                                               (unsigned long long)line, (unsigned long long)col, msg);
    r->skipped++;
    *skip = 1;
    return TS_OK;
}

/* ---- class lists ------------------------------------------------------------------ */

static ts_status set_names(ts_yolo_reader *r, char **names, size_t n, const char *src) {
    ts_strings_free(r->names, r->n_names);
    free(r->names_src);
    r->names = names;
    r->n_names = n;
    r->names_src = ts_strdup(r->ctx, src);
    return r->names_src ? TS_OK : TS_ERR_NOMEM;
}

/* One name per line (obj.names, classes.txt); blank lines end nothing but
 * are dropped only at the end, since a blank name in the middle would shift
 * every later index. */
ts_status ts_yolo_read_names_file(ts_yolo_reader *r, const char *path) {
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(r->ctx, path, &data, &len);
    if (s != TS_OK) return s;
    char **names = NULL;
    size_t n = 0, cap = 0;
    const char *p = (const char *)data, *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    while (p < end && s == TS_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
        char *name = ts_strndup(r->ctx, p, (size_t)(e - p));
        if (!name || ts_grow(r->ctx, (void **)&names, &cap, n + 1, sizeof *names) != TS_OK) {
            free(name);
            s = TS_ERR_NOMEM;
            break;
        }
        names[n++] = name;
        p = nl ? nl + 1 : end;
    }
    free(data);
    while (s == TS_OK && n > 0 && names[n - 1][0] == 0) free(names[--n]);
    if (s == TS_OK) return set_names(r, names, n, path);
    ts_strings_free(names, n);
    return s;
}

/* names from data.yaml: a list, or a map {index: name} with gaps named
 * class_<i>; nc alone gives class_0.. */
ts_status ts_yolo_names_from_yaml(ts_yolo_reader *r, const ts_yaml_doc *doc, const char *yaml_path) {
    const ts_yaml_entry *e = ts_yaml_get(doc, "names");
    const ts_yaml_entry *nc = ts_yaml_get(doc, "nc");
    int64_t count = -1;
    if (nc && nc->is_scalar && !ts_parse_int_span(nc->values[0], strlen(nc->values[0]), &count))
        return ts_error_at(r->ctx, TS_ERR_PARSE, yaml_path, nc->line, 0, "nc: expected an integer");
    if (!e && count < 0) return TS_OK;
    int64_t n = 0;
    if (e)
        for (size_t i = 0; i < e->count; i++) {
            if (e->index[i] < 0 || e->index[i] > 1000000)
                return ts_error_at(r->ctx, TS_ERR_PARSE, yaml_path, e->line, 0,
                                   "names: expected class indices 0, 1, ... as keys");
            if (e->index[i] + 1 > n) n = e->index[i] + 1;
        }
    if (e && e->is_scalar) n = 0; /* "names: file.txt" is not supported; nc names them */
    if (count > 1000000) return ts_error_at(r->ctx, TS_ERR_LIMIT, yaml_path, nc->line, 0, "nc: too many classes");
    if (count > n) n = count;
    if (count >= 0 && count < n && e && !e->is_scalar)
        ts_warn(r->ctx, "%s: nc is %lld but names lists %lld classes; using the names", yaml_path, (long long)count,
                (long long)n);
    char **names = ts_calloc_array(r->ctx, (size_t)n + 1, sizeof *names);
    if (!names) return TS_ERR_NOMEM;
    if (e && !e->is_scalar)
        for (size_t i = 0; i < e->count; i++) {
            free(names[e->index[i]]);
            names[e->index[i]] = ts_strdup(r->ctx, e->values[i]);
        }
    for (int64_t i = 0; i < n; i++)
        if (!names[i]) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "class_%lld", (long long)i);
            names[i] = ts_strdup(r->ctx, tmp);
        }
    for (int64_t i = 0; i < n; i++)
        if (!names[i]) {
            ts_strings_free(names, (size_t)n);
            return TS_ERR_NOMEM;
        }
    return set_names(r, names, (size_t)n, yaml_path);
}

/* ---- label rows ---------------------------------------------------------------------- */

/* Add `a` (kind, box and geometry filled in) as the next annotation. */
static ts_status add_annotation(ts_yolo_reader *r, int64_t image_id, int64_t cls, ts_annotation *a) {
    a->id = r->next_ann++;
    a->image_id = image_id;
    a->category_id = cls;
    a->flags |= TS_ANN_HAS_BOX;
    if (r->opts->flags & TS_READ_SKIP_GEOMETRY) a->coords = NULL, a->n_rings = 0;
    return ts_dataset_add_annotation(r->ctx, r->ds, a, NULL);
}

static ts_status add_box(ts_yolo_reader *r, int64_t image_id, int64_t cls, const double bbox[4], const double *score) {
    ts_annotation a = ts_annotation_empty();
    a.kind = TS_ANN_BOX;
    memcpy(a.bbox, bbox, sizeof a.bbox);
    a.area = bbox[2] * bbox[3];
    if (score) a.flags |= TS_ANN_HAS_SCORE, a.score = *score;
    return add_annotation(r, image_id, cls, &a);
}

static ts_status add_polygon(ts_yolo_reader *r, int64_t image_id, int64_t cls, const double bbox[4], const double *coords,
                             uint32_t n_coords) {
    ts_annotation a = ts_annotation_empty();
    a.kind = TS_ANN_POLYGON;
    memcpy(a.bbox, bbox, sizeof a.bbox);
    double twice = 0;
    uint32_t nv = n_coords / 2;
    for (uint32_t i = 0; i < nv; i++) {
        uint32_t j = (i + 1) % nv;
        twice += coords[2 * i] * coords[2 * j + 1] - coords[2 * j] * coords[2 * i + 1];
    }
    a.area = fabs(twice) / 2;
    a.coords = coords;
    a.ring_sizes = &n_coords;
    a.n_rings = 1;
    return add_annotation(r, image_id, cls, &a);
}

/* A pose row: the box and r->kpt_k keypoints from the values after it.
 * *outside is set when a labelled point lies outside the image. */
static ts_status add_pose(ts_yolo_reader *r, int64_t image_id, int64_t cls, const double bbox[4], int W, int H,
                          int *outside) {
    if (ts_grow(r->ctx, (void **)&r->kps, &r->kps_cap, 3 * (size_t)r->kpt_k, sizeof *r->kps) != TS_OK)
        return TS_ERR_NOMEM;
    if (ts_yolo_pose_points(r->kpt_k, r->kpt_dim, r->nums + 4, W, H, r->kps)) *outside = 1;
    ts_annotation a = ts_annotation_empty();
    a.kind = TS_ANN_KEYPOINTS;
    memcpy(a.bbox, bbox, sizeof a.bbox);
    a.area = bbox[2] * bbox[3];
    a.keypoints = r->kps;
    a.n_keypoints = r->kpt_k;
    return add_annotation(r, image_id, cls, &a);
}

static int is_row_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Fields of a row, and the column of the first. */
static size_t count_fields(const char *s, size_t n, uint64_t *col0) {
    size_t fields = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_row_blank(s[i]) || (i > 0 && !is_row_blank(s[i - 1]))) continue;
        if (fields++ == 0) *col0 = i + 1;
    }
    return fields;
}

/* Normalized values may reach a little past the image: coordinates lie in
 * [-1, 2], so a box's width or height (fields 3 and 4) up to 3. */
static double field_limit(size_t field) { return field == 3 || field == 4 ? 3 : 2; }

static ts_status far_outside(ts_yolo_reader *r, const char *file, uint64_t line, uint64_t col, int *skip, double v) {
    return row_problem(r, file, line, col, skip,
                       "value %g is far outside [0, 1]: YOLO coordinates are normalized by the image size", v);
}

/* 1 when field `field` (0 = class) of a pose row is a visibility. */
static int is_visibility(const ts_yolo_reader *r, size_t field) {
    return r->kpt_dim == 3 && field >= 5 && (field - 5) % 3 == 2;
}

/* One row "class v1 v2 ..." of a label file. */
static ts_status parse_row(ts_yolo_reader *r, const char *file, uint64_t line, const char *s, size_t n, int64_t image_id,
                           int W, int H) {
    int skip = 0;
    size_t i = 0, count = 0;
    int64_t cls = 0;
    uint64_t col0 = 0, size_col[2] = {0, 0};
    ts_status st;
    if (r->kpt_k) {
        size_t want = 5 + (size_t)r->kpt_k * r->kpt_dim, fields = count_fields(s, n, &col0);
        if (fields && fields != want)
            return row_problem(r, file, line, col0, &skip,
                               "expected %zu fields (class, box and %u keypoints of %u values, as kpt_shape says), "
                               "found %zu%s",
                               want, r->kpt_k, r->kpt_dim, fields,
                               fields != 5                 ? ""
                               : r->kpt_dim == 3 ? "; a box without keypoints needs them written as 0 0 0"
                                                 : "; a box without keypoints needs them written as 0 0");
    }
    while (i < n) {
        while (i < n && is_row_blank(s[i])) i++;
        if (i == n) break;
        size_t t0 = i;
        while (i < n && !is_row_blank(s[i])) i++;
        double v;
        if (!ts_parse_number_span(s + t0, i - t0, &v)) {
            st = row_problem(r, file, line, t0 + 1, &skip, "expected a number, found \"%.*s\"",
                             (int)(i - t0 > 40 ? 40 : i - t0), s + t0);
            return st;
        }
        if (count == 0) {
            col0 = t0 + 1;
            if (v != floor(v) || v < 0 || v > 1e9)
                return row_problem(r, file, line, col0, &skip, "expected a class index (0, 1, ...), found \"%.*s\"",
                                   (int)(i - t0 > 40 ? 40 : i - t0), s + t0);
            cls = (int64_t)v;
        } else {
            if (is_visibility(r, count)) {
                if (v != 0 && v != 1 && v != 2)
                    return row_problem(r, file, line, t0 + 1, &skip,
                                       "keypoint %zu: visibility %g; expected 0 (not labelled), 1 (labelled, "
                                       "occluded) or 2 (visible)",
                                       (count - 5) / 3 + 1, v);
            } else if (v < -1 || v > field_limit(count)) {
                return far_outside(r, file, line, t0 + 1, &skip, v);
            }
            if (count == 3 || count == 4) size_col[count - 3] = t0 + 1;
            if (ts_grow(r->ctx, (void **)&r->nums, &r->nums_cap, count, sizeof *r->nums) != TS_OK) return TS_ERR_NOMEM;
            r->nums[count - 1] = v;
        }
        count++;
    }
    if (count == 0) return TS_OK;
    size_t nv = count - 1;
    if (!r->kpt_k && nv != 4 && nv != 5 && (nv < 6 || nv % 2))
        return row_problem(r, file, line, col0, &skip,
                           "expected 4 numbers (box), 5 (box and score) or an even count of at least 6 (polygon), "
                           "found %zu",
                           nv);
    if (r->names) {
        if ((size_t)cls >= r->n_names)
            return row_problem(r, file, line, col0, &skip, "class index %lld but %s names only %zu classes",
                               (long long)cls, r->names_src, r->n_names);
    } else if (cls > 100000) {
        return row_problem(r, file, line, col0, &skip, "class index %lld is implausibly large without a names file",
                           (long long)cls);
    }
    if (W <= 0 || H <= 0)
        return row_problem(r, file, line, col0, &skip, "the image's size is unknown, so the row cannot be denormalized");
    const double *v = r->nums;
    int outside = 0, boxed = nv <= 5 || r->kpt_k;
    for (int k = 2; k < 4 && !boxed; k++) /* polygon coordinates, not a size */
        if (v[k] > 2) return far_outside(r, file, line, size_col[k - 2], &skip, v[k]);
    for (size_t k = 0; k < (boxed ? 4u : nv); k++)
        if (v[k] < 0 || v[k] > 1) outside = 1;
    double bbox[4];
    if (boxed) {
        if (v[2] < 0 || v[3] < 0) return row_problem(r, file, line, col0, &skip, "negative box width or height");
        if (v[0] - v[2] / 2 < -1e-9 || v[0] + v[2] / 2 > 1 + 1e-9 || v[1] - v[3] / 2 < -1e-9 ||
            v[1] + v[3] / 2 > 1 + 1e-9)
            outside = 1;
        bbox[0] = (v[0] - v[2] / 2) * W;
        bbox[1] = (v[1] - v[3] / 2) * H;
        bbox[2] = v[2] * W;
        bbox[3] = v[3] * H;
        if (r->kpt_k) st = add_pose(r, image_id, cls, bbox, W, H, &outside);
        else st = add_box(r, image_id, cls, bbox, nv == 5 ? &v[4] : NULL);
    } else {
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (size_t k = 0; k < nv; k += 2) {
            r->nums[k] *= W;
            r->nums[k + 1] *= H;
            x0 = fmin(x0, r->nums[k]), x1 = fmax(x1, r->nums[k]);
            y0 = fmin(y0, r->nums[k + 1]), y1 = fmax(y1, r->nums[k + 1]);
        }
        bbox[0] = x0, bbox[1] = y0, bbox[2] = x1 - x0, bbox[3] = y1 - y0;
        st = add_polygon(r, image_id, cls, bbox, r->nums, (uint32_t)nv);
    }
    if (st == TS_OK && !r->names && cls > r->max_class) r->max_class = cls;
    if (outside) r->out_of_range++;
    return st;
}

static ts_status parse_label_file(ts_yolo_reader *r, const char *path, int64_t image_id, int W, int H) {
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(r->ctx, path, &data, &len);
    if (s != TS_OK) return s;
    const char *p = (const char *)data, *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    uint64_t line = 1;
    while (p < end && s == TS_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        s = parse_row(r, path, line, p, (size_t)(e - p), image_id, W, H);
        p = nl ? nl + 1 : end;
        line++;
    }
    free(data);
    return s;
}

/* ---- images --------------------------------------------------------------------------- */

/* Add image `rel` (relative to the root) with its label file (may not exist). */
static ts_status add_image(ts_yolo_reader *r, const char *rel, const char *label, const char *split) {
    if (ts_dataset_find_image_path(r->ds, rel, NULL)) return TS_OK; /* listed twice */
    char *abs = ts_path_join(r->root, rel);
    if (!abs) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_image_header hdr;
    int w = 0, h = 0;
    ts_status s = ts_image_probe_file(r->ctx, abs, &hdr);
    if (s == TS_OK) {
        ts_image_header_oriented_size(&hdr, &w, &h);
    } else if (ts_ctx_lenient(r->ctx)) {
        ts_warn(r->ctx, "%s", ts_ctx_error(r->ctx));
        ts_ctx_clear_error(r->ctx);
        s = TS_OK;
    }
    free(abs);
    if (s != TS_OK) return s;
    ts_image_entry img = ts_image_entry_empty();
    img.id = r->next_image++;
    img.path = rel;
    img.width = w;
    img.height = h;
    img.split = *split ? split : (r->opts->split ? r->opts->split : "");
    img.source = label && ts_file_exists(label) ? label + strlen(r->root) + (label[strlen(r->root)] == '/') : rel;
    if ((s = ts_dataset_add_image(r->ctx, r->ds, &img, NULL)) != TS_OK) return s;
    if (label && ts_file_exists(label)) s = parse_label_file(r, label, img.id, w, h);
    return s;
}

/* path with its extension replaced by .txt */
static char *txt_name(const char *path) {
    const char *ext = ts_path_ext(path);
    size_t n = (size_t)(ext - path);
    char *t = malloc(n + 5);
    if (!t) return NULL;
    memcpy(t, path, n);
    memcpy(t + n, ".txt", 5);
    return t;
}

/* An image beside (or under `img_dir`) whose stem is that of label `rel`. */
static int image_for_label(const char *img_dir, const char *rel) {
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".webp", ".JPG", ".JPEG", ".PNG", ".WEBP", NULL};
    const char *ext = ts_path_ext(rel);
    size_t stem = (size_t)(ext - rel);
    int found = 0;
    for (int i = 0; exts[i] && !found; i++) {
        size_t n = strlen(img_dir) + stem + strlen(exts[i]) + 2;
        char *p = malloc(n);
        if (!p) return 1; /* no memory to check: do not report */
        snprintf(p, n, "%s/%.*s%s", img_dir, (int)stem, rel, exts[i]);
        found = ts_file_exists(p);
        free(p);
    }
    return found;
}

/* 1 when the first row of a .txt looks like "int num num num num ...". */
int ts_yolo_looks_like_label(const char *path) {
    uint8_t *data;
    size_t len;
    if (ts_file_read_head(NULL, path, 4096, &data, &len) != TS_OK) return 0;
    const char *p = (const char *)data;
    int tokens = 0, ok = 1;
    while (*p && *p != '\n' && ok) {
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p || *p == '\n') break;
        const char *t = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
        double v;
        ok = ts_parse_number_span(t, (size_t)(p - t), &v) && (tokens > 0 || v == floor(v));
        tokens++;
    }
    free(data);
    return ok && tokens >= 5;
}

/* Walk `dir` (relative `rel` under its group root), adding images, or with
 * check_labels set, reporting label files that have no image. */
static ts_status walk(ts_yolo_reader *r, const char *img_dir, const char *lbl_dir, const char *rel, const char *split,
                      int recurse, int check_labels, int depth) {
    const char *base = check_labels ? lbl_dir : img_dir;
    char *dir = rel[0] ? ts_path_join(base, rel) : ts_strdup(r->ctx, base);
    if (!dir) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    char **names = NULL;
    size_t n = 0;
    ts_status s = ts_dir_list(r->ctx, dir, &names, &n);
    if (s == TS_ERR_NOT_FOUND && check_labels) {
        ts_ctx_clear_error(r->ctx);
        s = TS_OK;
    }
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        if (names[i][0] == '.') continue;
        char *sub = rel[0] ? ts_path_join(rel, names[i]) : ts_strdup(r->ctx, names[i]);
        char *full = sub ? ts_path_join(base, sub) : NULL;
        if (!sub || !full) {
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        } else if (ts_dir_exists(full)) {
            if (recurse && depth < MAX_DEPTH)
                s = walk(r, img_dir, lbl_dir, sub, split, recurse, check_labels, depth + 1);
        } else if (!check_labels && ts_is_image_name(names[i])) {
            char *lbl_rel = txt_name(sub);
            char *label = lbl_rel ? ts_path_join(lbl_dir, lbl_rel) : NULL;
            const char *img_rel = full + strlen(r->root) + (full[strlen(r->root)] == '/');
            s = label ? add_image(r, img_rel, label, split) : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
            free(lbl_rel);
            free(label);
        } else if (check_labels && ts_ends_with_nocase(names[i], ".txt") && !ts_yolo_is_meta_name(names[i]) &&
                   !image_for_label(img_dir, sub) && ts_yolo_looks_like_label(full)) {
            int skip = 0;
            r->no_image++;
            s = row_problem(r, full, 0, 0, &skip, "label file has no image beside it (looked in %s)", img_dir);
        }
        free(sub);
        free(full);
    }
    ts_strings_free(names, n);
    free(dir);
    return s;
}

ts_status ts_yolo_scan_group(ts_yolo_reader *r, const char *img_rel, const char *lbl_rel, const char *split, int recurse) {
    char *img_dir = ts_path_join(r->root, img_rel);
    char *lbl_dir = ts_path_join(r->root, lbl_rel);
    ts_status s = (!img_dir || !lbl_dir) ? ts_error(r->ctx, TS_ERR_NOMEM, "out of memory") : TS_OK;
    if (s == TS_OK) s = walk(r, img_dir, lbl_dir, "", split, recurse, 0, 0);
    if (s == TS_OK) s = walk(r, img_dir, lbl_dir, "", split, recurse, 1, 0);
    free(img_dir);
    free(lbl_dir);
    r->groups++;
    return s;
}

/* Ultralytics' rule: the label of .../images/x.jpg is .../labels/x.txt. */
static char *label_for_image(const char *img) {
    char *t = txt_name(img);
    if (!t) return NULL;
    char *p = NULL;
    for (char *q = strstr(t, "images/"); q; q = strstr(q + 1, "images/"))
        if (q == t || q[-1] == '/') p = q;
    if (p) {
        memcpy(p, "labels", 6);
        if (ts_file_exists(t)) return t;
        memcpy(p, "images", 6);
    }
    return t;
}

/* A list file of image paths (train.txt). Darknet/CVAT lists prefix "data/"
 * (the directory the dataset is unpacked as); "./" is the list's own dir. */
ts_status ts_yolo_read_list(ts_yolo_reader *r, const char *list, const char *split) {
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(r->ctx, list, &data, &len);
    if (s != TS_OK) return s;
    char *list_dir = ts_path_dirname(list);
    const char *p = (const char *)data, *end = p + len;
    uint64_t line = 0;
    while (p < end && s == TS_OK && list_dir) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *b = p;
        p = nl ? nl + 1 : end;
        line++;
        while (b < e && (*b == ' ' || *b == '\t')) b++;
        while (e > b && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
        if (b == e || *b == '#') continue;
        char *entry = ts_strndup(r->ctx, b, (size_t)(e - b));
        if (!entry) {
            s = TS_ERR_NOMEM;
            break;
        }
        char *rel = NULL;
        if ((s = ts_path_check_relative(r->ctx, entry, list)) != TS_OK) {
            ts_error_prefix(r->ctx, "%s:%llu", list, (unsigned long long)line);
        } else if (entry[0] == '.' && entry[1] == '/') {
            char *abs = ts_path_join(list_dir, entry + 2);
            size_t rl = strlen(r->root);
            if (abs && strncmp(abs, r->root, rl) == 0 && abs[rl] == '/') rel = ts_strdup(r->ctx, abs + rl + 1);
            else if (abs) rel = ts_strdup(r->ctx, abs);
            free(abs);
        } else {
            const char *cand = entry;
            char *abs = ts_path_join(r->root, cand);
            if (abs && !ts_file_exists(abs) && strncmp(cand, "data/", 5) == 0) cand += 5;
            free(abs);
            rel = ts_strdup(r->ctx, cand);
        }
        if (s == TS_OK && rel) {
            char *abs = ts_path_join(r->root, rel);
            if (abs && !ts_file_exists(abs)) {
                int skip = 0;
                r->no_image++;
                s = row_problem(r, list, line, 1, &skip, "image \"%s\" does not exist", entry);
            } else if (abs) {
                char *label = label_for_image(abs);
                s = label ? add_image(r, rel, label, split) : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
                free(label);
            }
            free(abs);
        } else if (s == TS_OK) {
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        }
        free(rel);
        free(entry);
    }
    free(list_dir);
    free(data);
    r->groups++;
    return s;
}

