/* Open Images (V5/V6/V7) reader: class descriptions and hierarchy, the
 * images CSVs, box and image-level label CSVs streamed row by row, boxes
 * denormalized with each image's size from its header (or images.meta). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv_internal.h"
#include "formats/openimages_internal.h"
#include "formats/yolo_internal.h"

#define MAX_ROW_WARNINGS 20

/* ---- tables ---------------------------------------------------------------------- */

ts_status ts_oi_mid(oi_reader *r, const char *mid, size_t len, uint32_t *pid) {
    if (ts_strpool_intern(r->mids, mid, len, pid) != TS_OK) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    if (*pid >= r->mid_cap) {
        size_t old = r->mid_cap;
        if (ts_grow(r->ctx, (void **)&r->mid, &r->mid_cap, (size_t)*pid + 1, sizeof *r->mid) != TS_OK)
            return TS_ERR_NOMEM;
        for (size_t i = old; i < r->mid_cap; i++) r->mid[i] = (oi_mid){0, 0, UINT32_MAX, 0};
    }
    if (r->mid[*pid].id == 0) r->mid[*pid].id = r->next_cat++;
    return TS_OK;
}

ts_status ts_oi_category(oi_reader *r, uint32_t pid, int64_t *cat) {
    oi_mid *m = &r->mid[pid];
    if (m->cat) {
        *cat = m->cat;
        return TS_OK;
    }
    int64_t parent = TS_NO_ID;
    m->cat = m->id; /* set first: a cyclic hierarchy ends here */
    if (m->parent != UINT32_MAX) {
        ts_status s = ts_oi_category(r, m->parent, &parent);
        if (s != TS_OK) return s;
        m = &r->mid[pid];
    }
    const char *mid = ts_strpool_get(r->mids, pid);
    ts_attr attr = {"mid", mid, TS_ATTR_STRING};
    ts_category c = ts_category_empty();
    c.id = m->id;
    c.name = m->name ? ts_strpool_get(r->names, m->name) : mid;
    c.parent_id = parent == m->id ? TS_NO_ID : parent;
    c.attrs = &attr;
    c.n_attrs = 1;
    ts_status s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
    if (s != TS_OK) return s;
    *cat = m->id;
    return TS_OK;
}

static ts_status grow_images(oi_reader *r, uint32_t pid) {
    if (pid < r->img_cap) return TS_OK;
    size_t cap = r->img_cap ? r->img_cap : 1024;
    while (cap <= pid) cap *= 2;
    uint32_t *a = ts_realloc_array(r->ctx, r->img_of, cap, sizeof *a);
    if (a) r->img_of = a;
    int32_t *b = ts_realloc_array(r->ctx, r->meta_wh, cap, 2 * sizeof *b);
    if (b) r->meta_wh = b;
    uint8_t *c = ts_realloc_array(r->ctx, r->probe_failed, cap, 1);
    if (c) r->probe_failed = c;
    if (!a || !b || !c) return TS_ERR_NOMEM;
    memset(r->img_of + r->img_cap, 0, (cap - r->img_cap) * sizeof *a);
    memset(r->meta_wh + 2 * r->img_cap, 0, (cap - r->img_cap) * 2 * sizeof *b);
    memset(r->probe_failed + r->img_cap, 0, cap - r->img_cap);
    r->img_cap = cap;
    return TS_OK;
}

ts_status ts_oi_row_problem(oi_reader *r, ts_csv *csv, size_t field, int *skip, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ts_ctx_lenient(r->ctx)) return ts_csv_error(csv, TS_ERR_INVALID, field, "%s", msg);
    if (r->skipped < MAX_ROW_WARNINGS)
        ts_warn(r->ctx, "%s:%llu:%llu: %s; row skipped", ts_csv_name(csv), (unsigned long long)ts_csv_line(csv),
                (unsigned long long)ts_csv_field_col(csv, field), msg);
    r->skipped++;
    *skip = 1;
    return TS_OK;
}

/* ---- files -------------------------------------------------------------------------- */

static void split_from_name(const char *name, char *split, size_t cap) {
    const char *p = name;
    if (strncmp(p, "oidv", 4) == 0) {
        const char *dash = strchr(p, '-');
        if (dash) p = dash + 1;
    }
    const char *dash = strchr(p, '-');
    size_t n = dash ? (size_t)(dash - p) : 0;
    if (n >= cap || strncmp(p, "class", 5) == 0 || strncmp(p, "image_ids", 9) == 0) n = 0;
    memcpy(split, p, n);
    split[n] = 0;
}

static int file_kind(const char *name) {
    int csv = ts_ends_with_nocase(name, ".csv");
    if (csv && strstr(name, "class-descriptions")) return OI_DESC;
    if (ts_ends_with_nocase(name, "hierarchy.json")) return OI_HIER;
    if (csv && strstr(name, "-annotations-bbox")) return OI_BBOX;
    if (csv && strstr(name, "-annotations-human-imagelabels")) return OI_LABELS;
    if (csv && (strstr(name, "images-with-rotation") || strstr(name, "images-with-labels-with-rotation") ||
                strcmp(name, "image_ids_and_rotation.csv") == 0))
        return OI_IMAGES;
    if (strcmp(name, "images.meta") == 0) return OI_META;
    if (csv && strstr(name, "-annotations-object-segmentation")) return OI_SEGM;
    return -1;
}

static ts_status find_files(oi_reader *r) {
    char **names = NULL;
    size_t n = 0;
    ts_status s = ts_dir_list(r->ctx, r->ann_dir, &names, &n);
    if (s != TS_OK) return s;
    r->files = ts_calloc_array(r->ctx, n + 1, sizeof *r->files);
    if (!r->files) s = TS_ERR_NOMEM;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        int kind = file_kind(names[i]);
        if (kind < 0) continue;
        oi_file *f = &r->files[r->n_files];
        f->kind = kind;
        f->path = ts_path_join(r->ann_dir, names[i]);
        if (!f->path) s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        split_from_name(names[i], f->split, sizeof f->split);
        r->n_files++;
    }
    ts_strings_free(names, n);
    return s;
}

ts_status ts_oi_each_row(oi_reader *r, const oi_file *f, const char *const *want, int n_want, unsigned required,
                         oi_row_fn fn, void *user) {
    ts_csv *csv;
    ts_status s = ts_csv_open_file(r->ctx, f->path, &csv);
    if (s != TS_OK) return s;
    int got = 0, cols[16];
    int64_t total = ts_file_size(f->path);
    s = ts_csv_next(csv, &got);
    if (s == TS_OK && got) s = ts_csv_take_header(csv);
    for (int i = 0; i < n_want && s == TS_OK; i++) {
        cols[i] = ts_csv_column(csv, want[i]);
        if (cols[i] < 0 && (required >> i & 1u))
            s = ts_error_at(r->ctx, TS_ERR_PARSE, f->path, 1, 0, "header lacks the column \"%s\"", want[i]);
    }
    size_t width = ts_csv_header_count(csv);
    for (uint64_t row = 0; s == TS_OK; row++) {
        if ((s = ts_csv_next(csv, &got)) != TS_OK || !got) break;
        if (ts_csv_count(csv) != width) {
            if (f->kind == OI_IMAGES) {
                /* the images CSV only adds licence, rotation and original size:
                 * a broken row loses that metadata (said), not the image */
                ts_warn(r->ctx, "%s:%llu: expected %zu fields as in the header, found %zu; image metadata row skipped",
                        ts_csv_name(csv), (unsigned long long)ts_csv_line(csv), width, ts_csv_count(csv));
                continue;
            }
            int skip = 0;
            s = ts_oi_row_problem(r, csv, ts_csv_count(csv) - 1, &skip,
                                  "expected %zu fields as in the header, found %zu", width, ts_csv_count(csv));
            continue;
        }
        s = fn(r, user, f, csv, cols);
        if ((row & 0xFFFF) == 0xFFFF && s == TS_OK)
            s = ts_progress(r->ctx, "reading Open Images", ts_csv_offset(csv), total > 0 ? (uint64_t)total : 0);
    }
    ts_csv_close(csv);
    if (s == TS_ERR_CANCELLED && !*ts_ctx_error(r->ctx)) s = TS_OK;
    return s;
}

/* ---- classes ------------------------------------------------------------------------- */

static ts_status desc_row(oi_reader *r, ts_csv *csv) {
    size_t mlen, nlen;
    const char *mid = ts_csv_field(csv, 0, &mlen), *name = ts_csv_field(csv, 1, &nlen);
    if (ts_csv_count(csv) < 2 || mlen == 0) {
        int skip = 0;
        return ts_oi_row_problem(r, csv, 0, &skip, "expected \"LabelName,DisplayName\"");
    }
    uint32_t pid, nid;
    ts_status s = ts_oi_mid(r, mid, mlen, &pid);
    if (s == TS_OK && r->mid[pid].name == 0) {
        if (ts_strpool_intern(r->names, name, nlen, &nid) != TS_OK) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        r->mid[pid].name = nid;
    }
    return s;
}

/* class-descriptions*.csv, with a "LabelName,DisplayName" header or none. */
static ts_status read_descriptions(oi_reader *r, const oi_file *f) {
    ts_csv *csv = NULL;
    ts_status s = ts_csv_open_file(r->ctx, f->path, &csv);
    int got = 0, first = 1;
    while (s == TS_OK && (s = ts_csv_next(csv, &got)) == TS_OK && got) {
        if (first && ts_strcaseeq(ts_csv_field(csv, 0, NULL), "LabelName")) {
            first = 0;
            continue;
        }
        first = 0;
        s = desc_row(r, csv);
    }
    ts_csv_close(csv);
    return s;
}

/* bbox_labels_600_hierarchy.json: {"LabelName", "Subcategory": [...]}
 * nests is-a relations; "Part" lists are part-of and are not parents. */
static ts_status walk_hierarchy(oi_reader *r, const ts_jvalue *node, uint32_t parent, int depth) {
    if (depth > 64) return ts_error(r->ctx, TS_ERR_LIMIT, "hierarchy deeper than 64 levels");
    if (!node || node->type != TS_JOBJECT)
        return ts_error_at(r->ctx, TS_ERR_PARSE, "bbox_labels_600_hierarchy.json", node ? node->line : 0,
                           node ? node->col : 0, "expected an object with \"LabelName\"");
    const char *mid = ts_json_get_string(node, "LabelName");
    if (!mid)
        return ts_error_at(r->ctx, TS_ERR_PARSE, "bbox_labels_600_hierarchy.json", node->line, node->col,
                           "expected \"LabelName\"");
    uint32_t pid;
    ts_status s = ts_oi_mid(r, mid, strlen(mid), &pid);
    if (s != TS_OK) return s;
    if (parent != UINT32_MAX && r->mid[pid].parent == UINT32_MAX && parent != pid) r->mid[pid].parent = parent;
    const ts_jvalue *subs = ts_json_get(node, "Subcategory");
    if (subs && subs->type == TS_JARRAY)
        for (size_t i = 0; i < subs->u.arr.count && s == TS_OK; i++)
            s = walk_hierarchy(r, &subs->u.arr.items[i], pid, depth + 1);
    return s;
}

/* ---- images ------------------------------------------------------------------------- */

/* The dataset index of ImageID `id`, registering it (with the file found
 * by the folder scan, or the path it would have) when `create`. *index is
 * SIZE_MAX when the subset filter drops it. */
static ts_status image_for(oi_reader *r, const char *id, size_t len, const char *split, const char *path,
                           size_t *index, uint32_t *pid_out) {
    uint32_t pid, tmp;
    *index = SIZE_MAX;
    if (r->selected && !ts_strpool_find(r->selected, id, len, &tmp)) return TS_OK;
    if (ts_strpool_intern(r->ids, id, len, &pid) != TS_OK || grow_images(r, pid) != TS_OK)
        return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    *pid_out = pid;
    if (r->img_of[pid]) {
        *index = r->img_of[pid] - 1;
        return TS_OK;
    }
    const char *sp = *split ? split : (r->opts->split ? r->opts->split : "");
    ts_buf p = {0};
    ts_status s = TS_OK;
    if (!path) {
        /* Not found by the folder scan: record where it would be. */
        s = ts_buf_printf(&p, "images/%s%s%.*s.jpg", sp, *sp ? "/" : "", (int)len, id);
        if (s != TS_OK) return ts_error(r->ctx, s, "out of memory");
        path = p.data;
    }
    if (memchr(id, '/', len) || memchr(id, 0, len) || (len <= 2 && id[0] == '.')) {
        ts_buf_free(&p);
        return ts_error(r->ctx, TS_ERR_PATH, "ImageID \"%.*s\" is not a plain name", (int)len, id);
    }
    ts_image_entry img = ts_image_entry_empty();
    img.id = (int64_t)ts_dataset_image_count(r->ds) + 1;
    img.path = path;
    img.split = sp;
    img.width = r->meta_wh[2 * pid];
    img.height = r->meta_wh[2 * pid + 1];
    s = ts_dataset_add_image(r->ctx, r->ds, &img, index);
    ts_buf_free(&p);
    if (s == TS_OK) r->img_of[pid] = (uint32_t)(*index + 1);
    return s;
}

static int is_dir_path(const char *root, const char *rel) {
    char *p = ts_path_join(root, rel);
    int ok = p && ts_dir_exists(p);
    free(p);
    return ok;
}

/* Image files named <ImageID>.<ext> under images/<split>/, images/ or
 * <split>/ at the root. */
static ts_status scan_dir(oi_reader *r, const char *rel, const char *split) {
    char *dir = ts_path_join(r->root, rel);
    char **names = NULL;
    size_t n = 0;
    if (!dir) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = ts_dir_list(r->ctx, dir, &names, &n);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        char *sub = ts_path_join(rel, names[i]);
        if (!sub) {
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        } else if (ts_is_image_name(names[i])) {
            size_t idx;
            uint32_t pid;
            s = image_for(r, names[i], (size_t)(ts_path_ext(names[i]) - names[i]), split, sub, &idx, &pid);
        } else if (!*split && is_dir_path(r->root, sub)) {
            s = scan_dir(r, sub, names[i]);
        }
        free(sub);
    }
    ts_strings_free(names, n);
    free(dir);
    return s;
}

/* Width and height of image `index` (pool id `pid`), probing its header the
 * first time; a failure is a row problem of the row that needed it. */
ts_status ts_oi_ensure_size(oi_reader *r, ts_csv *csv, size_t index, uint32_t pid, int *W, int *H, int *skip) {
    ts_image_entry e;
    ts_dataset_image(r->ds, index, &e);
    if (e.width > 0 && e.height > 0) {
        *W = e.width, *H = e.height;
        return TS_OK;
    }
    if (r->probe_failed[pid]) {
        r->skipped++;
        *skip = 1;
        return TS_OK;
    }
    char *file = ts_path_join(r->root, e.path);
    if (!file) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_image_header hdr;
    ts_status s = ts_image_probe_file(r->ctx, file, &hdr);
    free(file);
    if (s == TS_OK) {
        ts_image_header_oriented_size(&hdr, W, H);
        e.width = *W, e.height = *H;
        return ts_dataset_update_image(r->ctx, r->ds, index, &e);
    }
    char why[512];
    snprintf(why, sizeof why, "%s", ts_ctx_error(r->ctx));
    ts_ctx_clear_error(r->ctx);
    r->probe_failed[pid] = 1;
    return ts_oi_row_problem(r, csv, 0, skip,
                             "the size of image %s is unknown (%s), so its boxes cannot be denormalized", e.path, why);
}

const char *ts_oi_field(ts_csv *csv, int col, size_t *len) {
    if (col < 0) {
        if (len) *len = 0;
        return "";
    }
    return ts_csv_field(csv, (size_t)col, len);
}

/* MID and image of a row through the filters; *index SIZE_MAX = dropped. */
ts_status ts_oi_row_target(oi_reader *r, const oi_file *f, ts_csv *csv, const int *cols, int mid_col, uint32_t *mpid,
                           size_t *index, uint32_t *ipid) {
    size_t mlen, ilen;
    const char *mid = ts_oi_field(csv, cols[mid_col], &mlen), *id = ts_oi_field(csv, cols[0], &ilen);
    *index = SIZE_MAX;
    if (mlen == 0 || ilen == 0) {
        int skip = 0;
        return ts_oi_row_problem(r, csv, (size_t)(ilen == 0 ? cols[0] : cols[mid_col]), &skip, "empty %s",
                                 ilen == 0 ? "ImageID" : "LabelName");
    }
    ts_status s = ts_oi_mid(r, mid, mlen, mpid);
    if (s != TS_OK) return s;
    if (r->keep_mid && (*mpid >= r->keep_mid_n || !r->keep_mid[*mpid])) return TS_OK;
    return image_for(r, id, ilen, f->split, NULL, index, ipid);
}

/* XMin, XMax, YMin, YMax in columns cols[4..7] (named names[4..7]):
 * numbers in [0, 1], each maximum at least its minimum. */
ts_status ts_oi_row_box(oi_reader *r, ts_csv *csv, const int *cols, const char *const *names, double v[4], int *skip) {
    for (int k = 0; k < 4; k++) {
        const char *t = ts_oi_field(csv, cols[4 + k], NULL);
        if (!ts_csv_parse_double(t, &v[k]))
            return ts_oi_row_problem(r, csv, (size_t)cols[4 + k], skip, "expected a number for %s, found \"%.40s\"",
                                     names[4 + k], t);
        if (v[k] < -1e-6 || v[k] > 1 + 1e-6)
            return ts_oi_row_problem(r, csv, (size_t)cols[4 + k], skip,
                                     "%s %g is outside [0, 1] (Open Images boxes are normalized)", names[4 + k], v[k]);
    }
    if (v[1] < v[0] || v[3] < v[2])
        return ts_oi_row_problem(r, csv, (size_t)cols[v[1] < v[0] ? 5 : 7], skip, "%s is less than %s",
                                 names[v[1] < v[0] ? 5 : 7], names[v[1] < v[0] ? 4 : 6]);
    return TS_OK;
}

void ts_oi_box_pixels(const double v[4], int W, int H, double bbox[4]) {
    bbox[0] = v[0] * W;
    bbox[1] = v[2] * H;
    bbox[2] = (v[1] - v[0]) * W;
    bbox[3] = (v[3] - v[2]) * H;
}

static const char *const bbox_cols[] = {"ImageID", "Source",     "LabelName",  "Confidence", "XMin",
                                        "XMax",    "YMin",       "YMax",       "IsOccluded", "IsTruncated",
                                        "IsGroupOf", "IsDepiction", "IsInside"};

static ts_status bbox_row(oi_reader *r, void *user, const oi_file *f, void *vcsv, const int *cols) {
    (void)user;
    ts_csv *csv = vcsv;
    uint32_t mpid, ipid;
    size_t index;
    int skip = 0;
    ts_status s = ts_oi_row_target(r, f, csv, cols, 2, &mpid, &index, &ipid);
    if (s != TS_OK || index == SIZE_MAX) return s;
    double v[4];
    if ((s = ts_oi_row_box(r, csv, cols, bbox_cols, v, &skip)) != TS_OK || skip) return s;
    ts_attr attrs[8];
    uint32_t na = 0, flags = TS_ANN_HAS_BOX;
    static const uint32_t flag_of[] = {TS_ANN_OCCLUDED, TS_ANN_TRUNCATED, TS_ANN_GROUP_OF, 0, 0};
    for (int k = 0; k < 5; k++) {
        const char *t = ts_oi_field(csv, cols[8 + k], NULL);
        int64_t b;
        if (!*t) continue;
        if (!ts_csv_parse_int(t, &b) || b < -1 || b > 1)
            return ts_oi_row_problem(r, csv, (size_t)cols[8 + k], &skip, "%s: expected 0, 1 or -1, found \"%.40s\"",
                                     bbox_cols[8 + k], t);
        if (b == 1 && flag_of[k]) flags |= flag_of[k];
        else if (b != 0) attrs[na++] = (ts_attr){bbox_cols[8 + k], b == 1 ? "1" : "-1", TS_ATTR_NUMBER};
    }
    const char *src = ts_oi_field(csv, cols[1], NULL), *conf = ts_oi_field(csv, cols[3], NULL);
    double c;
    if (*src) attrs[na++] = (ts_attr){"Source", src, TS_ATTR_STRING};
    if (*conf && !(ts_csv_parse_double(conf, &c) && c == 1))
        attrs[na++] = (ts_attr){"Confidence", conf, TS_ATTR_NUMBER};
    int W = 0, H = 0;
    if ((s = ts_oi_ensure_size(r, csv, index, ipid, &W, &H, &skip)) != TS_OK || skip) return s;
    ts_annotation a = ts_annotation_empty();
    a.id = (int64_t)ts_dataset_annotation_count(r->ds) + 1;
    a.image_id = ts_dataset_image_id(r->ds, index);
    if ((s = ts_oi_category(r, mpid, &a.category_id)) != TS_OK) return s;
    a.kind = TS_ANN_BOX;
    a.flags = flags;
    ts_oi_box_pixels(v, W, H, a.bbox);
    a.area = a.bbox[2] * a.bbox[3];
    a.attrs = attrs;
    a.n_attrs = na;
    return ts_dataset_add_annotation(r->ctx, r->ds, &a, NULL);
}

static const char *const label_cols[] = {"ImageID", "Source", "LabelName", "Confidence"};

static ts_status label_row(oi_reader *r, void *user, const oi_file *f, void *vcsv, const int *cols) {
    (void)user;
    ts_csv *csv = vcsv;
    uint32_t mpid, ipid;
    size_t index;
    int skip = 0;
    ts_status s = ts_oi_row_target(r, f, csv, cols, 2, &mpid, &index, &ipid);
    if (s != TS_OK || index == SIZE_MAX) return s;
    const char *conf = ts_oi_field(csv, cols[3], NULL), *src = ts_oi_field(csv, cols[1], NULL);
    double c;
    if (!ts_csv_parse_double(conf, &c) || c < 0 || c > 1)
        return ts_oi_row_problem(r, csv, (size_t)cols[3], &skip,
                                 "Confidence: expected a number in [0, 1], found \"%.40s\"", conf);
    ts_attr attrs[2];
    uint32_t na = 0;
    if (*src) attrs[na++] = (ts_attr){"Source", src, TS_ATTR_STRING};
    if (c != 0 && c != 1) attrs[na++] = (ts_attr){"Confidence", conf, TS_ATTR_NUMBER};
    ts_annotation a = ts_annotation_empty();
    a.id = (int64_t)ts_dataset_annotation_count(r->ds) + 1;
    a.image_id = ts_dataset_image_id(r->ds, index);
    if ((s = ts_oi_category(r, mpid, &a.category_id)) != TS_OK) return s;
    a.kind = TS_ANN_LABEL;
    a.flags = c == 0 ? TS_ANN_NEGATIVE : 0;
    a.attrs = attrs;
    a.n_attrs = na;
    return ts_dataset_add_annotation(r->ctx, r->ds, &a, NULL);
}

static const char *const image_cols[] = {"ImageID", "Subset", "License", "Rotation", "OriginalSize"};

static ts_status image_row(oi_reader *r, void *user, const oi_file *f, void *vcsv, const int *cols) {
    (void)user;
    ts_csv *csv = vcsv;
    size_t ilen, index;
    uint32_t pid;
    const char *id = ts_oi_field(csv, cols[0], &ilen), *subset = ts_oi_field(csv, cols[1], NULL);
    if (ilen == 0) {
        int skip = 0;
        return ts_oi_row_problem(r, csv, (size_t)cols[0], &skip, "empty ImageID");
    }
    ts_status s = image_for(r, id, ilen, *subset ? subset : f->split, NULL, &index, &pid);
    if (s != TS_OK || index == SIZE_MAX) return s;
    ts_attr attrs[3];
    uint32_t na = 0;
    for (int k = 2; k < 5; k++) {
        const char *t = ts_oi_field(csv, cols[k], NULL);
        double d;
        if (*t) attrs[na++] = (ts_attr){image_cols[k], t, ts_csv_parse_double(t, &d) ? TS_ATTR_NUMBER : TS_ATTR_STRING};
    }
    ts_image_entry e;
    ts_dataset_image(r->ds, index, &e);
    if (!na && (*e.split || !*subset)) return TS_OK;
    e.attrs = attrs;
    e.n_attrs = na;
    if (!*e.split && *subset) e.split = subset;
    return ts_dataset_update_image(r->ctx, r->ds, index, &e);
}

/* images.meta (Datumaro): "ImageID height width" lines, '#' comments. */
static ts_status read_meta(oi_reader *r, const char *path) {
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status s = ts_file_read(r->ctx, path, &data, &len);
    if (s != TS_OK) return s;
    const char *p = (const char *)data, *end = p + len;
    uint64_t line = 0;
    while (s == TS_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *t[3];
        size_t tl[3], nt = 0;
        line++;
        for (const char *q = p; q < e && nt <= 3;) {
            while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
            if (q == e || *q == '#') break;
            const char *b = q;
            while (q < e && *q != ' ' && *q != '\t' && *q != '\r') q++;
            if (nt < 3) t[nt] = b, tl[nt] = (size_t)(q - b);
            nt++;
        }
        p = nl ? nl + 1 : end;
        if (nt == 0) continue;
        int64_t h, w;
        uint32_t pid;
        if (nt != 3 || !ts_parse_int_span(t[1], tl[1], &h) || !ts_parse_int_span(t[2], tl[2], &w) || h <= 0 || w <= 0 ||
            h > INT32_MAX || w > INT32_MAX) {
            s = ts_error_at(r->ctx, TS_ERR_PARSE, path, line, 0, "expected \"ImageID height width\"");
            break;
        }
        if (ts_strpool_intern(r->ids, t[0], tl[0], &pid) != TS_OK || grow_images(r, pid) != TS_OK)
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        else
            r->meta_wh[2 * pid] = (int32_t)w, r->meta_wh[2 * pid + 1] = (int32_t)h;
    }
    free(data);
    return s;
}

/* Sizes of images without boxes, unless the caller asked for no probing;
 * images whose file is absent keep size 0 and are counted. */
static ts_status probe_rest(oi_reader *r) {
    uint64_t absent = 0;
    size_t n = ts_dataset_image_count(r->ds);
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(r->ds, i, &e);
        if (e.width > 0 && e.height > 0) continue;
        char *file = ts_path_join(r->root, e.path);
        if (!file) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        ts_image_header hdr;
        ts_status s = TS_OK;
        if (!ts_file_exists(file)) {
            absent++;
        } else if ((s = ts_image_probe_file(r->ctx, file, &hdr)) == TS_OK) {
            ts_image_header_oriented_size(&hdr, &e.width, &e.height);
            s = ts_dataset_update_image(r->ctx, r->ds, i, &e);
        } else if (ts_ctx_lenient(r->ctx)) {
            ts_warn(r->ctx, "%s", ts_ctx_error(r->ctx));
            ts_ctx_clear_error(r->ctx);
            s = TS_OK;
        }
        free(file);
        if (s != TS_OK) return s;
    }
    if (absent)
        ts_warn(r->ctx, "%s: %llu images named in the CSVs have no file under images/ (kept, size unknown)", r->root,
                (unsigned long long)absent);
    return TS_OK;
}

ts_status ts_oi_load(oi_reader *r) {
    ts_status s = TS_OK;
    for (size_t i = 0; i < r->n_files && s == TS_OK; i++)
        if (r->files[i].kind == OI_META) s = read_meta(r, r->files[i].path);
    if (s == TS_OK && is_dir_path(r->root, "images")) s = scan_dir(r, "images", "");
    static const char *const split_dirs[] = {"train", "validation", "test", NULL};
    for (int i = 0; split_dirs[i] && s == TS_OK; i++)
        if (is_dir_path(r->root, split_dirs[i])) s = scan_dir(r, split_dirs[i], split_dirs[i]);
    /* Images first (their attributes), then boxes, image-level labels, masks. */
    static const int order[] = {OI_IMAGES, OI_BBOX, OI_LABELS, OI_SEGM};
    for (int k = 0; k < 4 && s == TS_OK; k++)
        for (size_t i = 0; i < r->n_files && s == TS_OK; i++) {
            const oi_file *f = &r->files[i];
            if (f->kind != order[k]) continue;
            if (f->kind == OI_IMAGES) s = ts_oi_each_row(r, f, image_cols, 5, 1u, image_row, NULL);
            if (f->kind == OI_LABELS) s = ts_oi_each_row(r, f, label_cols, 4, 0xDu, label_row, NULL);
            if (f->kind == OI_BBOX) s = ts_oi_each_row(r, f, bbox_cols, 13, 0xF5u, bbox_row, NULL);
            if (f->kind == OI_SEGM) s = ts_oi_read_segmentation(r, f);
        }
    if (s == TS_OK && !(r->opts->flags & TS_READ_NO_PROBE)) s = probe_rest(r);
    if (s == TS_OK && r->skipped)
        ts_warn(r->ctx, "%s: %llu rows skipped in all", r->ann_dir, (unsigned long long)r->skipped);
    return s;
}

ts_status ts_oi_open(ts_ctx *ctx, const char *path, const ts_read_opts *opts, int lazy, oi_reader *r) {
    memset(r, 0, sizeof *r);
    r->lazy_categories = lazy;
    r->ctx = ctx;
    r->opts = opts;
    r->next_cat = 1;
    if (!ts_dir_exists(path)) return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: not a directory", path);
    r->root = ts_strdup(ctx, path);
    if (!r->root) return TS_ERR_NOMEM;
    size_t rl = strlen(r->root);
    while (rl > 1 && r->root[rl - 1] == '/') r->root[--rl] = 0;
    char *ann = ts_path_join(r->root, "annotations");
    if (ann && !ts_dir_exists(ann)) free(ann), ann = ts_strdup(ctx, r->root);
    r->ann_dir = ann;
    ts_status s = r->ann_dir ? TS_OK : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK && (ts_strpool_create(&r->mids) != TS_OK || ts_strpool_create(&r->names) != TS_OK ||
                       ts_strpool_create(&r->ids) != TS_OK))
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = ts_dataset_create(ctx, &r->ds);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, r->ds, r->root);
    if (s == TS_OK) s = find_files(r);
    int data_files = 0;
    for (size_t i = 0; i < r->n_files; i++) data_files += r->files[i].kind != OI_HIER && r->files[i].kind != OI_META;
    if (s == TS_OK && !data_files)
        s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no Open Images CSVs (class descriptions, boxes, labels, images)",
                     r->ann_dir);
    for (size_t i = 0; i < r->n_files && s == TS_OK; i++)
        if (r->files[i].kind == OI_DESC) s = read_descriptions(r, &r->files[i]);
    for (size_t i = 0; i < r->n_files && s == TS_OK; i++)
        if (r->files[i].kind == OI_HIER && !r->hierarchy) {
            s = ts_json_parse_file(ctx, r->files[i].path, &r->hierarchy);
            if (s == TS_OK) s = walk_hierarchy(r, r->hierarchy, UINT32_MAX, 0);
            if (s != TS_OK) ts_error_prefix(ctx, "%s", r->files[i].path);
        }
    uint32_t n = ts_strpool_count(r->mids);
    for (uint32_t pid = 1; pid < n && s == TS_OK && !r->lazy_categories; pid++) {
        int64_t cat;
        s = ts_oi_category(r, pid, &cat);
    }
    return s;
}

void ts_oi_close(oi_reader *r) {
    for (size_t i = 0; i < r->n_files; i++) free(r->files[i].path);
    free(r->files);
    ts_json_free(r->hierarchy);
    ts_strpool_destroy(r->mids);
    ts_strpool_destroy(r->names);
    ts_strpool_destroy(r->ids);
    free(r->mid);
    free(r->img_of);
    free(r->meta_wh);
    free(r->probe_failed);
    ts_dataset_destroy(r->ds);
    free(r->root);
    free(r->ann_dir);
    memset(r, 0, sizeof *r);
}

static ts_status oi_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    oi_reader r;
    ts_status s = ts_oi_open(ctx, path, opts, 0, &r);
    if (s == TS_OK) s = ts_oi_load(&r);
    if (s == TS_OK) {
        *out = r.ds;
        r.ds = NULL;
    }
    ts_oi_close(&r);
    return s;
}

static int count_kinds(const char *dir, int *desc_only) {
    char **names = NULL;
    size_t n = 0, hits = 0, desc = 0;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n; i++) {
        int k = file_kind(names[i]);
        if (k == OI_BBOX || k == OI_LABELS || k == OI_IMAGES) hits++;
        if (k == OI_DESC) desc++;
    }
    ts_strings_free(names, n);
    *desc_only = desc > 0;
    return (int)hits;
}

static int oi_detect(const char *path) {
    if (!ts_dir_exists(path)) return 0;
    char *ann = ts_path_join(path, "annotations");
    int desc = 0, score = 0;
    if (ann && ts_dir_exists(ann)) score = count_kinds(ann, &desc) ? 90 : desc ? 50 : 0;
    free(ann);
    if (!score) score = count_kinds(path, &desc) ? 85 : desc ? 40 : 0;
    return score;
}

const ts_format ts_format_openimages = {
    "openimages", "Open Images CSVs (boxes, image-level labels, class descriptions, hierarchy, images)", oi_detect,
    oi_read, ts_oi_write};
