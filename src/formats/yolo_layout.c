/* YOLO layouts: which folders hold the images and labels of each split
 * (data.yaml, obj.data, images/+labels/, <split>/images, obj_<split>_data,
 * Annotations/+Images/, flat), the reader's entry point and detection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/csv_internal.h"
#include "formats/yolo_internal.h"

/* ---- layouts ------------------------------------------------------------------------------ */

/* The entry of `dir` named `name` in any case, or NULL. */
static char *find_ci(const char *dir, const char *name) {
    char **names = NULL;
    size_t n = 0;
    char *hit = NULL;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return NULL;
    for (size_t i = 0; i < n && !hit; i++)
        if (ts_strcaseeq(names[i], name)) hit = strdup(names[i]);
    ts_strings_free(names, n);
    return hit;
}

static int is_dir_under(const char *root, const char *rel) {
    char *p = ts_path_join(root, rel);
    int ok = p && ts_dir_exists(p);
    free(p);
    return ok;
}

/* "train/images" -> "train/labels": the last "images" component renamed. */
static char *labels_dir_for(const char *img_rel) {
    char *t = strdup(img_rel);
    if (!t) return NULL;
    char *hit = NULL;
    for (char *q = t; (q = strstr(q, "images")) != NULL; q++)
        if ((q == t || q[-1] == '/') && (q[6] == 0 || q[6] == '/')) hit = q;
    if (hit) memcpy(hit, "labels", 6);
    return t;
}

static ts_status group_for_dir(ts_yolo_reader *r, const char *img_rel, const char *split) {
    char *lbl = labels_dir_for(img_rel);
    if (!lbl) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = ts_yolo_scan_group(r, img_rel, lbl, split, 1);
    free(lbl);
    return s;
}

/* The conventional folder of a split: <s>/images or images/<s>, also under
 * the usual aliases of "val". */
static char *conventional_split_dir(ts_yolo_reader *r, const char *split) {
    const char *aliases[4] = {split, NULL, NULL, NULL};
    if (strcmp(split, "val") == 0 || strcmp(split, "valid") == 0 || strcmp(split, "validation") == 0)
        aliases[0] = "val", aliases[1] = "valid", aliases[2] = "validation";
    for (int i = 0; aliases[i]; i++) {
        char *a = ts_path_join(aliases[i], "images");
        if (a && is_dir_under(r->root, a)) return a;
        free(a);
        a = ts_path_join("images", aliases[i]);
        if (a && is_dir_under(r->root, a)) return a;
        free(a);
    }
    return NULL;
}

/* One path of a data.yaml split key: a directory of images, a list file, or
 * (for paths that leave the dataset, such as an exporter's absolute paths,
 * or that do not exist) the split's conventional folder beside data.yaml. */
static ts_status yaml_split_path(ts_yolo_reader *r, const char *yaml, const char *value, const char *split) {
    const char *v = value;
    int unsafe = ts_path_check_relative(NULL, v, NULL) != TS_OK;
    if (unsafe && ts_ctx_allow_outside_root(r->ctx) && (ts_dir_exists(v) || ts_file_exists(v))) unsafe = 0;
    while (unsafe && strncmp(v, "../", 3) == 0) {
        v += 3; /* Ultralytics' own fallback for Roboflow's "../train/images" */
        unsafe = ts_path_check_relative(NULL, v, NULL) != TS_OK;
    }
    char *abs = unsafe ? NULL : ts_path_join(r->root, v);
    ts_status s = TS_OK;
    if (abs && ts_dir_exists(abs)) {
        s = group_for_dir(r, v, split);
    } else if (abs && ts_file_exists(abs)) {
        s = ts_yolo_read_list(r, abs, split);
    } else {
        char *conv = conventional_split_dir(r, split);
        if (conv) {
            ts_warn(r->ctx, "%s: %s: \"%s\" %s; using %s beside it", yaml, split, value,
                    unsafe ? "is outside the dataset and ignored" : "does not exist", conv);
            s = group_for_dir(r, conv, split);
        } else {
            ts_warn(r->ctx, "%s: %s: \"%s\" %s, and neither %s/images nor images/%s exists; split skipped", yaml, split,
                    value, unsafe ? "is outside the dataset" : "does not exist", split, split);
        }
        free(conv);
    }
    free(abs);
    return s;
}

static ts_status read_yaml(ts_yolo_reader *r, const char *yaml) {
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(r->ctx, yaml, &data, &len);
    if (s != TS_OK) return s;
    ts_yaml_doc doc;
    s = ts_yaml_parse(r->ctx, yaml, (const char *)data, len, &doc);
    free(data);
    if (s != TS_OK) return s;
    s = ts_yolo_names_from_yaml(r, &doc, yaml);
    if (s == TS_OK) s = ts_yolo_pose_from_yaml(r, &doc, yaml);
    static const char *const splits[] = {"train", "val", "test", NULL};
    for (int i = 0; splits[i] && s == TS_OK; i++) {
        const ts_yaml_entry *e = ts_yaml_get(&doc, splits[i]);
        for (size_t k = 0; e && k < e->count && s == TS_OK; k++)
            if (e->values[k][0]) s = yaml_split_path(r, yaml, e->values[k], splits[i]);
    }
    ts_yaml_free(&doc);
    return s;
}

/* Darknet's obj.data: "key = value" lines; paths are written relative to
 * the directory holding the dataset folder, so "data/" may lead them. */
static char *darknet_path(ts_yolo_reader *r, const char *value) {
    const char *v = value;
    if (ts_path_check_relative(NULL, v, NULL) != TS_OK) return NULL;
    char *abs = ts_path_join(r->root, v);
    if (abs && !ts_file_exists(abs) && strncmp(v, "data/", 5) == 0) {
        free(abs);
        abs = ts_path_join(r->root, v + 5);
    }
    if (abs && !ts_file_exists(abs)) {
        free(abs);
        return NULL;
    }
    return abs;
}

static ts_status read_obj_data(ts_yolo_reader *r, const char *path, int names_only) {
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(r->ctx, path, &data, &len);
    if (s != TS_OK) return s;
    const char *p = (const char *)data, *end = p + len;
    while (p < end && s == TS_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq) {
            const char *k = p, *v = eq + 1;
            size_t kn = (size_t)(eq - p), vn = (size_t)(e - v);
            while (kn && (k[kn - 1] == ' ' || k[kn - 1] == '\t')) kn--;
            while (kn && (*k == ' ' || *k == '\t')) k++, kn--;
            while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t' || v[vn - 1] == '\r')) vn--;
            char *key = ts_strndup(r->ctx, k, kn), *val = ts_strndup(r->ctx, v, vn);
            int is_names = key && strcmp(key, "names") == 0;
            int is_split = key && (strcmp(key, "train") == 0 || strcmp(key, "valid") == 0 ||
                                   strcmp(key, "val") == 0 || strcmp(key, "test") == 0);
            char *file = (key && val && (is_names || is_split)) ? darknet_path(r, val) : NULL;
            if (!key || !val) s = TS_ERR_NOMEM;
            else if (is_names && names_only && file) s = ts_yolo_read_names_file(r, file);
            else if (is_split && !names_only && file) s = ts_yolo_read_list(r, file, key);
            else if (is_split && !names_only && *val)
                ts_warn(r->ctx, "%s: %s list \"%s\" not found (or outside the dataset); split skipped", path, key, val);
            free(file);
            free(key);
            free(val);
        }
        p = nl ? nl + 1 : end;
    }
    free(data);
    return s;
}

/* A train.txt of paths (not ImageNet's "name index" rows). */
static int is_path_list(const char *path) {
    uint8_t *data;
    size_t len;
    if (ts_file_read_head(NULL, path, 4096, &data, &len) != TS_OK) return 0;
    const char *p = (const char *)data;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    const char *e = p;
    while (*e && *e != '\n' && *e != '\r' && *e != ' ' && *e != '\t') e++;
    int ok = e > p;
    if (ok) {
        const char *q = e;
        while (*q == ' ' || *q == '\t') q++;
        ok = *q == 0 || *q == '\n' || *q == '\r';
    }
    free(data);
    return ok;
}

static ts_status conventions(ts_yolo_reader *r) {
    ts_status s = TS_OK;
    char **names = NULL;
    size_t n = 0;
    if ((s = ts_dir_list(r->ctx, r->root, &names, &n)) != TS_OK) return s;
    char *images = find_ci(r->root, "images");
    char *labels = find_ci(r->root, "labels");
    if (!labels) labels = find_ci(r->root, "annotations");
    if (images && is_dir_under(r->root, images)) {
        char *img_dir = ts_path_join(r->root, images);
        char **subs = NULL;
        size_t ns = 0;
        int direct = 0;
        if (img_dir && ts_dir_list(r->ctx, img_dir, &subs, &ns) == TS_OK) {
            for (size_t i = 0; i < ns && s == TS_OK; i++) {
                char *rel = ts_path_join(images, subs[i]);
                char *lrel = labels ? ts_path_join(labels, subs[i]) : NULL;
                if (rel && is_dir_under(r->root, rel))
                    s = ts_yolo_scan_group(r, rel, lrel ? lrel : rel, subs[i], 1);
                else if (ts_is_image_name(subs[i]))
                    direct = 1;
                free(rel);
                free(lrel);
            }
        }
        if (s == TS_OK && direct) s = ts_yolo_scan_group(r, images, labels ? labels : images, "", 0);
        ts_strings_free(subs, ns);
        free(img_dir);
    }
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        if ((images && strcmp(names[i], images) == 0) || (labels && strcmp(names[i], labels) == 0)) continue;
        char *sub = find_ci(r->root, names[i]);
        char *d = sub ? ts_path_join(r->root, sub) : NULL;
        char *inner = d && ts_dir_exists(d) ? find_ci(d, "images") : NULL;
        if (inner) {
            char *rel = ts_path_join(names[i], inner);
            s = rel ? group_for_dir(r, rel, names[i]) : TS_ERR_NOMEM;
            free(rel);
        } else if (d && ts_dir_exists(d) && strncmp(names[i], "obj_", 4) == 0 && strlen(names[i]) > 9 &&
                   strcmp(names[i] + strlen(names[i]) - 5, "_data") == 0) {
            char split[64];
            snprintf(split, sizeof split, "%.*s", (int)(strlen(names[i]) - 9), names[i] + 4);
            s = ts_yolo_scan_group(r, names[i], names[i], split, 1);
        }
        free(inner);
        free(d);
        free(sub);
    }
    static const char *const lists[] = {"train.txt", "val.txt", "valid.txt", "test.txt", NULL};
    for (int i = 0; lists[i] && s == TS_OK && r->groups == 0; i++) {
        char *p = ts_path_join(r->root, lists[i]);
        if (p && ts_file_exists(p) && is_path_list(p)) {
            char split[16];
            snprintf(split, sizeof split, "%.*s", (int)(strlen(lists[i]) - 4), lists[i]);
            s = ts_yolo_read_list(r, p, split);
        }
        free(p);
    }
    if (s == TS_OK && r->groups == 0) s = ts_yolo_scan_group(r, "", "", "", 0);
    free(images);
    free(labels);
    ts_strings_free(names, n);
    return s;
}

static ts_status find_names_file(ts_yolo_reader *r) {
    static const char *const files[] = {"obj.names", "classes.txt", "classes.names", "coco.names", NULL};
    for (int i = 0; files[i]; i++) {
        char *p = ts_path_join(r->root, files[i]);
        int ok = p && ts_file_exists(p);
        ts_status s = ok ? ts_yolo_read_names_file(r, p) : TS_OK;
        free(p);
        if (ok || s != TS_OK) return s;
    }
    return TS_OK;
}

static ts_status add_categories(ts_yolo_reader *r) {
    size_t n = r->names ? r->n_names : (size_t)(r->max_class + 1);
    for (size_t i = 0; i < n; i++) {
        char tmp[32];
        ts_category c = ts_category_empty();
        ts_attr flip;
        c.id = (int64_t)i;
        if (r->names) {
            c.name = r->names[i];
        } else {
            snprintf(tmp, sizeof tmp, "class_%zu", i);
            c.name = tmp;
        }
        ts_status s = ts_yolo_pose_category(r, i, &c, &flip);
        if (s == TS_OK) s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
        if (s != TS_OK) return s;
    }
    return TS_OK;
}

/* The YAML file of a directory: data.yaml, else a lone *.yaml naming classes. */
static char *find_yaml(const char *dir) {
    char *p = ts_path_join(dir, "data.yaml");
    if (p && ts_file_exists(p)) return p;
    free(p);
    char **names = NULL;
    size_t n = 0;
    char *hit = NULL;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return NULL;
    for (size_t i = 0; i < n && !hit; i++)
        if (ts_ends_with_nocase(names[i], ".yaml") || ts_ends_with_nocase(names[i], ".yml")) {
            char *f = ts_path_join(dir, names[i]);
            uint8_t *data;
            size_t len;
            if (f && ts_file_read_head(NULL, f, 65536, &data, &len) == TS_OK) {
                if (strstr((char *)data, "names:")) hit = f, f = NULL;
                free(data);
            }
            free(f);
        }
    ts_strings_free(names, n);
    return hit;
}

static ts_status yolo_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    ts_yolo_reader r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opts = opts;
    r.max_class = -1;
    r.next_image = 1;
    r.next_ann = 1;
    int is_file = ts_file_exists(path);
    r.root = is_file ? ts_path_dirname(path) : ts_strdup(ctx, path);
    if (!r.root) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    size_t rl = strlen(r.root);
    while (rl > 1 && r.root[rl - 1] == '/') r.root[--rl] = 0;
    char *yaml = NULL, *objdata = NULL;
    if (is_file && (ts_ends_with_nocase(path, ".yaml") || ts_ends_with_nocase(path, ".yml")))
        yaml = ts_strdup(ctx, path);
    else if (is_file && ts_ends_with_nocase(path, ".data"))
        objdata = ts_strdup(ctx, path);
    else if (!is_file) {
        yaml = find_yaml(r.root);
        objdata = ts_path_join(r.root, "obj.data");
        if (objdata && !ts_file_exists(objdata)) free(objdata), objdata = NULL;
    }
    ts_status s = ts_dataset_create(ctx, &r.ds);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, r.ds, r.root);
    if (s == TS_OK && objdata) s = read_obj_data(&r, objdata, 1);
    if (s == TS_OK && !r.names) s = find_names_file(&r);
    if (s == TS_OK && yaml) s = read_yaml(&r, yaml); /* its names win over obj.names */
    if (s == TS_OK && objdata && !yaml) s = read_obj_data(&r, objdata, 0);
    if (s == TS_OK && r.groups == 0) s = conventions(&r);
    if (s == TS_OK && ts_dataset_image_count(r.ds) == 0 && ts_dataset_annotation_count(r.ds) == 0 && !r.names &&
        !yaml && !objdata)
        s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no YOLO images, labels or class list found", path);
    if (s == TS_OK) s = add_categories(&r);
    if (s == TS_OK && r.out_of_range)
        ts_warn(ctx, "%s: %llu label rows reach outside the image (normalized values outside [0, 1]); kept as written",
                path, (unsigned long long)r.out_of_range);
    if (s == TS_OK && r.skipped > TS_YOLO_MAX_ROW_WARNINGS)
        ts_warn(ctx, "%s: %llu label rows or files skipped in all (first %d shown)", path,
                (unsigned long long)r.skipped, TS_YOLO_MAX_ROW_WARNINGS);
    free(yaml);
    free(objdata);
    free(r.root);
    free(r.names_src);
    free(r.nums);
    ts_yolo_pose_free(&r);
    ts_strings_free(r.names, r.n_names);
    if (s != TS_OK) {
        ts_dataset_destroy(r.ds);
        return s;
    }
    *out = r.ds;
    return TS_OK;
}

/* ---- detection ---------------------------------------------------------------------------- */

/* 1 when `dir` (depth 0: its files only) holds a YOLO-looking .txt. */
static int label_in(const char *dir, int depth) {
    char **names = NULL;
    size_t n = 0;
    int found = 0;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && !found && i < 256; i++) {
        char *p = ts_path_join(dir, names[i]);
        if (!p) break;
        if (ts_dir_exists(p)) {
            if (depth > 0) found = label_in(p, depth - 1);
        } else if (ts_ends_with_nocase(names[i], ".txt") && !ts_yolo_is_meta_name(names[i])) {
            found = ts_yolo_looks_like_label(p);
        }
        free(p);
    }
    ts_strings_free(names, n);
    return found;
}

/* Label files where the layouts keep them: beside the images at the root,
 * labels/ or Annotations/ (and their split folders), <split>/labels/,
 * obj_<split>_data/. Other subfolders are not searched, so a folder that
 * merely contains a YOLO dataset somewhere is not taken for one. */
static int has_labels(const char *root) {
    if (label_in(root, 0)) return 1;
    char **names = NULL;
    size_t n = 0;
    int found = 0;
    if (ts_dir_list(NULL, root, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && !found && i < 256; i++) {
        char *p = ts_path_join(root, names[i]);
        if (p && ts_dir_exists(p)) {
            if (ts_strcaseeq(names[i], "labels") || ts_strcaseeq(names[i], "annotations") ||
                (strncmp(names[i], "obj_", 4) == 0 && ts_ends_with_nocase(names[i], "_data"))) {
                found = label_in(p, 2);
            } else {
                char *l = find_ci(p, "labels");
                char *lp = l ? ts_path_join(p, l) : NULL;
                found = lp && label_in(lp, 2);
                free(lp);
                free(l);
            }
        }
        free(p);
    }
    ts_strings_free(names, n);
    return found;
}

/* DOTA-style exports (Roboflow's "yolo_obb") keep labelTxt/ folders. */
static int has_label_txt(const char *root) {
    char *direct = find_ci(root, "labelTxt");
    int found = direct != NULL;
    free(direct);
    char **names = NULL;
    size_t n = 0;
    if (found || ts_dir_list(NULL, root, &names, &n) != TS_OK) return found;
    for (size_t i = 0; i < n && !found && i < 256; i++) {
        char *p = ts_path_join(root, names[i]);
        char *hit = p && ts_dir_exists(p) ? find_ci(p, "labelTxt") : NULL;
        found = hit != NULL;
        free(hit);
        free(p);
    }
    ts_strings_free(names, n);
    return found;
}

static int yolo_detect(const char *path) {
    if (ts_file_exists(path)) {
        if (ts_ends_with_nocase(path, "obj.data")) return 90;
        if (ts_ends_with_nocase(path, ".yaml") || ts_ends_with_nocase(path, ".yml")) {
            uint8_t *data;
            size_t len;
            int score = 0;
            if (ts_file_read_head(NULL, path, 65536, &data, &len) == TS_OK) {
                if (strstr((char *)data, "names:") || strstr((char *)data, "nc:")) score = 80;
                free(data);
            }
            return score;
        }
        return 0;
    }
    if (!ts_dir_exists(path)) return 0;
    char *objdata = ts_path_join(path, "obj.data");
    int score = objdata && ts_file_exists(objdata) ? 90 : 0;
    free(objdata);
    if (score) return score;
    int labels = has_labels(path);
    char *yaml = find_yaml(path);
    if (yaml) score = labels ? 90 : has_label_txt(path) ? 0 : 30;
    free(yaml);
    if (score) return score;
    if (!labels) return 0;
    static const char *const names[] = {"obj.names", "classes.txt", "classes.names", NULL};
    for (int i = 0; names[i] && !score; i++) {
        char *p = ts_path_join(path, names[i]);
        if (p && ts_file_exists(p)) score = 80;
        free(p);
    }
    return score ? score : 60;
}

const ts_format ts_format_yolo = {
    "yolo",
    "YOLO txt labels (Ultralytics data.yaml, Darknet obj.data, loose or flat layouts; boxes, polygons and pose "
    "keypoints)",
    yolo_detect, yolo_read, ts_yolo_write};
