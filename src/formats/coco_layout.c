/* The COCO format entry: detection, the on-disk layouts (a single file,
 * COCO's annotations/ + images/, Roboflow's per-split _annotations.coco.json,
 * MMDetection's annotations/ + <split>/), and merging files into one dataset. */
#include <stdlib.h>
#include <string.h>

#include "coco_internal.h"

ts_status coco_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

#define ROBOFLOW_NAME "_annotations.coco.json"

/* ---- detection --------------------------------------------------------------- */

/* Look at the top-level keys in the first 64 KiB (a truncated head ends the
 * scan with a parse error, which is expected). */
static int detect_json_file(const char *path) {
    uint8_t *head = NULL;
    size_t len = 0;
    if (ts_file_read_head(NULL, path, 65536, &head, &len) != TS_OK) return 0;
    ts_ctx *ctx = NULL;
    ts_json_reader *r = NULL;
    int score = 0;
    if (ts_ctx_create(&ctx) != TS_OK || ts_json_reader_open_buffer(ctx, path, (const char *)head, len, &r) != TS_OK)
        goto out;
    ts_json_token tok;
    if (ts_json_next(r, &tok) != TS_OK) goto out;
    if (tok == TS_JSON_ARRAY_BEGIN) { /* results: objects with image_id and category_id */
        if (ts_json_next(r, &tok) != TS_OK || tok != TS_JSON_OBJECT_BEGIN) goto out;
        int seen = 0;
        while (ts_json_next(r, &tok) == TS_OK && tok == TS_JSON_KEY) {
            const char *k = ts_json_text(r, NULL);
            if (strcmp(k, "image_id") == 0 || strcmp(k, "category_id") == 0) seen++;
            if (ts_json_skip(r) != TS_OK) break;
        }
        score = seen == 2 ? 70 : 0;
        goto out;
    }
    if (tok != TS_JSON_OBJECT_BEGIN) goto out;
    while (ts_json_next(r, &tok) == TS_OK && tok == TS_JSON_KEY) {
        const char *k = ts_json_text(r, NULL);
        if (strcmp(k, "images") == 0) score = 95;
        else if (strcmp(k, "annotations") == 0 && score < 80) score = 80;
        if (ts_json_skip(r) != TS_OK) break;
    }
out:
    ts_json_reader_destroy(r);
    ts_ctx_destroy(ctx);
    free(head);
    return score;
}

static int has_task_prefix(const char *name) {
    char *split = coco_split_from_name(name);
    int ok = split != NULL && ts_ends_with_nocase(name, ".json");
    free(split);
    return ok;
}

static int detect_dir(const char *dir) {
    char *p = ts_path_join(dir, ROBOFLOW_NAME);
    int score = p && ts_file_exists(p) ? 95 : 0;
    free(p);
    if (score) return score;
    char **names = NULL;
    size_t n = 0;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && !score; i++) {
        char *sub = ts_path_join(dir, names[i]);
        char *rf = sub ? ts_path_join(sub, ROBOFLOW_NAME) : NULL;
        if (rf && ts_file_exists(rf)) score = 95;
        if (!score && sub && strcmp(names[i], "annotations") == 0 && ts_dir_exists(sub)) {
            char **files = NULL;
            size_t nf = 0;
            if (ts_dir_list(NULL, sub, &files, &nf) == TS_OK) {
                for (size_t k = 0; k < nf && !score; k++)
                    if (has_task_prefix(files[k])) score = 90;
                ts_strings_free(files, nf);
            }
        }
        if (!score && strcmp(names[i], "annotations.json") == 0 && sub && detect_json_file(sub) > 0) score = 85;
        free(rf);
        free(sub);
    }
    ts_strings_free(names, n);
    return score;
}

static int coco_detect(const char *path) {
    if (ts_dir_exists(path)) return detect_dir(path);
    if (ts_file_exists(path) && ts_ends_with_nocase(path, ".json")) return detect_json_file(path);
    return 0;
}

/* ---- merging ----------------------------------------------------------------- */

static int same_root(const ts_dataset *a, uint32_t oa, const ts_dataset *b, uint32_t ob) {
    ts_origin x = ts_dataset_origin(a, oa), y = ts_dataset_origin(b, ob);
    return x.pixels == y.pixels && strcmp(x.root, y.root) == 0;
}

ts_status coco_merge_into(ts_ctx *ctx, ts_dataset *dst, const ts_dataset *src, const uint8_t *skip) {
    size_t nc = ts_dataset_category_count(src), ni = ts_dataset_image_count(src), na = ts_dataset_annotation_count(src);
    int64_t *cat_to = ts_alloc_array(ctx, nc + 1, sizeof *cat_to);
    int64_t *img_to = ts_alloc_array(ctx, ni + 1, sizeof *img_to);
    ts_status s = cat_to && img_to ? TS_OK : TS_ERR_NOMEM;
    for (size_t i = 0; s == TS_OK && i < nc; i++) {
        ts_category c;
        ts_dataset_category(src, i, &c);
        size_t k;
        if (ts_dataset_find_category(dst, c.id, &k)) {
            ts_category d;
            ts_dataset_category(dst, k, &d);
            if (strcmp(d.name, c.name) == 0) {
                cat_to[i] = c.id;
                continue;
            }
        }
        if (ts_dataset_find_category_name(dst, c.name, &k)) {
            cat_to[i] = ts_dataset_category_id(dst, k);
            continue;
        }
        if (ts_dataset_find_category(dst, c.id, &k)) c.id = ts_dataset_next_category_id(dst);
        cat_to[i] = c.id;
        s = ts_dataset_add_category(ctx, dst, &c, NULL);
    }
    for (size_t i = 0; s == TS_OK && i < ni; i++) {
        ts_image_entry e;
        ts_dataset_image(src, i, &e);
        size_t k;
        int64_t new_id = TS_NO_ID;
        if (ts_dataset_find_image(dst, e.id, &k)) {
            ts_image_entry d;
            ts_dataset_image(dst, k, &d);
            if (strcmp(d.path, e.path) == 0 && same_root(dst, d.origin, src, e.origin)) {
                img_to[i] = e.id; /* the same image listed by another task file */
                continue;
            }
            new_id = ts_dataset_next_image_id(dst);
        }
        img_to[i] = new_id == TS_NO_ID ? e.id : new_id;
        s = ts_dataset_copy_image(ctx, dst, src, i, new_id, NULL);
    }
    for (size_t i = 0; s == TS_OK && i < na; i++) {
        if (skip && skip[i]) continue;
        ts_annotation a;
        ts_dataset_annotation(src, i, &a);
        size_t k;
        if (ts_dataset_find_image(src, a.image_id, &k)) a.image_id = img_to[k];
        if (a.category_id != TS_NO_ID && ts_dataset_find_category(src, a.category_id, &k)) a.category_id = cat_to[k];
        if (ts_dataset_find_annotation(dst, a.id, &k)) a.id = ts_dataset_next_annotation_id(dst);
        s = ts_dataset_add_annotation(ctx, dst, &a, NULL);
    }
    free(cat_to);
    free(img_to);
    return s == TS_ERR_NOMEM ? ts_error(ctx, s, "out of memory merging COCO files") : s;
}

/* ---- reading a layout -------------------------------------------------------------- */

typedef struct {
    char *json, *root, *split;
} part;

static void parts_free(part *parts, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(parts[i].json);
        free(parts[i].root);
        free(parts[i].split);
    }
    free(parts);
}

static ts_status add_part(ts_ctx *ctx, part **parts, size_t *n, size_t *cap, char *json, char *root, char *split) {
    if (!json || ts_grow(ctx, (void **)parts, cap, *n + 1, sizeof **parts) != TS_OK) {
        free(json);
        free(root);
        free(split);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    (*parts)[(*n)++] = (part){json, root, split};
    return TS_OK;
}

static char *first_dir(const char *a, const char *b, const char *c, const char *d) {
    const char *c4[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        if (c4[i] && ts_dir_exists(c4[i])) return strdup(c4[i]);
    return NULL;
}

/* The annotation files of a directory and the image root of each. */
static ts_status find_parts(ts_ctx *ctx, const char *dir, const ts_read_opts *opts, part **parts, size_t *n) {
    size_t cap = 0;
    char **names = NULL;
    size_t nn = 0, panoptic = 0;
    ts_status s = TS_OK;
    char *rf = ts_path_join(dir, ROBOFLOW_NAME);
    if (rf && ts_file_exists(rf)) {
        s = add_part(ctx, parts, n, &cap, rf, strdup(dir), opts->split ? strdup(opts->split) : NULL);
        rf = NULL;
    }
    free(rf);
    if (s != TS_OK || (s = ts_dir_list(ctx, dir, &names, &nn)) != TS_OK) return s;
    for (size_t i = 0; s == TS_OK && i < nn; i++) { /* Roboflow: <split>/_annotations.coco.json */
        char *sub = ts_path_join(dir, names[i]);
        char *f = sub ? ts_path_join(sub, ROBOFLOW_NAME) : NULL;
        if (f && ts_file_exists(f)) {
            s = add_part(ctx, parts, n, &cap, f, sub, strdup(names[i]));
            f = sub = NULL;
        }
        free(f);
        free(sub);
    }
    char *ann = ts_path_join(dir, "annotations");
    if (s == TS_OK && *n == 0 && ann && ts_dir_exists(ann)) { /* COCO / MMDetection */
        char **files = NULL;
        size_t nf = 0;
        s = ts_dir_list(ctx, ann, &files, &nf);
        for (size_t k = 0; s == TS_OK && k < nf; k++) {
            if (!has_task_prefix(files[k])) continue;
            if (strncmp(files[k], "panoptic_", 9) == 0) {
                ts_warn(ctx, "%s/%s: panoptic segmentation is not supported; file not read", ann, files[k]);
                panoptic++;
                continue;
            }
            char *split = coco_split_from_name(files[k]);
            char *images = ts_path_join(dir, "images");
            char *a = images && split ? ts_path_join(images, split) : NULL;
            char *b = split ? ts_path_join(dir, split) : NULL;
            char *root = first_dir(a, b, images, dir);
            free(a);
            free(b);
            free(images);
            s = add_part(ctx, parts, n, &cap, ts_path_join(ann, files[k]), root, split);
        }
        ts_strings_free(files, nf);
    }
    free(ann);
    char *flat = ts_path_join(dir, "annotations.json");
    if (s == TS_OK && *n == 0 && flat && ts_file_exists(flat)) {
        s = add_part(ctx, parts, n, &cap, flat, NULL, opts->split ? strdup(opts->split) : NULL);
        flat = NULL;
    }
    free(flat);
    ts_strings_free(names, nn);
    if (s == TS_OK && *n == 0 && panoptic)
        s = ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: COCO panoptic segmentation (segments_info + PNG) is not supported", dir);
    else if (s == TS_OK && *n == 0)
        s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no COCO annotation files (annotations/*.json, annotations.json or %s)",
                     dir, ROBOFLOW_NAME);
    return s;
}

static ts_status coco_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    part *parts = NULL;
    size_t n = 0;
    ts_status s;
    if (ts_dir_exists(path)) {
        s = find_parts(ctx, path, opts, &parts, &n);
    } else {
        size_t cap = 0;
        char *split = opts->split ? strdup(opts->split) : coco_split_from_name(path);
        s = add_part(ctx, &parts, &n, &cap, strdup(path), NULL, split);
    }
    ts_dataset *ds = NULL;
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        ts_dataset *one = NULL;
        s = coco_read_file(ctx, parts[i].json, parts[i].root, parts[i].split, opts->flags, &one);
        if (s != TS_OK) break;
        if (!ds) {
            ds = one;
            continue;
        }
        s = coco_merge_into(ctx, ds, one, NULL);
        for (size_t k = 0; s == TS_OK && k < ts_dataset_meta_count(one); k++) {
            const char *key, *value;
            ts_dataset_meta_at(one, k, &key, &value);
            if (!ts_dataset_meta(ds, key)) s = ts_dataset_set_meta(ctx, ds, key, value);
        }
        ts_dataset_destroy(one);
    }
    parts_free(parts, n);
    if (s != TS_OK) {
        ts_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return TS_OK;
}

const ts_format ts_format_coco = {
    "coco",
    "COCO JSON (instances, keypoints, labels, captions, results lists; COCO, Roboflow and MMDetection layouts)",
    coco_detect,
    coco_read,
    coco_write,
};
