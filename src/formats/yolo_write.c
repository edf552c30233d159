/* YOLO writer: the Ultralytics layout (data.yaml, images/<split>/,
 * labels/<split>/<stem>.txt) with detection, segmentation or pose rows.
 * Numbers are formatted without printf and each label file is built in
 * memory and written with one write(2), since COCO -> YOLO conversion of
 * ~10^5 images is a benchmarked path. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/yolo_internal.h"

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const ts_write_opts *opts;
    const char *out; /* the temporary directory */
    int64_t *class_of; /* category index -> class index */
    int64_t *class_by_id; /* category id -> class index + 1, for ids in [0, n_by_id) */
    size_t n_by_id;
    int seg;           /* write single-ring polygons as segmentation rows */
    ts_yolo_pose_plan pose; /* pose.k > 0: every row is a pose row */
    ts_buf text, path;
    ts_strpool *dirs; /* directories created */
    char *dc_path[2];
    int dc_fd[2], dc_next;
    ts_strpool *seen; /* output names in use */
    uint64_t dropped_polygons, dropped_masks, dropped_keypoints, dropped_lines, dropped_labels, no_box;
    uint64_t no_points, dropped_pose_polygons, dropped_scores; /* pose rows */
    uint64_t renamed;
    char splits[8][64];
    int n_splits;
} ywriter;

/* An open descriptor of directory `dir` (created when needed). Two are
 * kept (labels and images alternate), so each file is opened relative to
 * its directory instead of walking the whole path again. */
static ts_status dir_fd(ywriter *w, const char *dir, size_t n, int *fd) {
    for (int i = 0; i < 2; i++)
        if (w->dc_path[i] && strlen(w->dc_path[i]) == n && memcmp(w->dc_path[i], dir, n) == 0) {
            *fd = w->dc_fd[i];
            return TS_OK;
        }
    char *d = ts_strndup(w->ctx, dir, n);
    if (!d) return TS_ERR_NOMEM;
    uint32_t id;
    ts_status s = TS_OK;
    if (!ts_strpool_find(w->dirs, d, n, &id)) {
        s = ts_mkdirs(w->ctx, d);
        if (s == TS_OK) s = ts_strpool_intern(w->dirs, d, n, &id);
    }
    int f = s == TS_OK ? open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (s == TS_OK && f < 0) s = ts_error(w->ctx, TS_ERR_IO, "%s: cannot open directory: %s", d, strerror(errno));
    if (s != TS_OK) {
        free(d);
        return s;
    }
    int slot = w->dc_next;
    w->dc_next ^= 1;
    if (w->dc_path[slot]) close(w->dc_fd[slot]);
    free(w->dc_path[slot]);
    w->dc_path[slot] = d;
    w->dc_fd[slot] = f;
    *fd = f;
    return TS_OK;
}

static ts_status write_file(ywriter *w, const char *path, const void *data, size_t len) {
    const char *slash = strrchr(path, '/');
    int dfd = AT_FDCWD;
    ts_status s = slash ? dir_fd(w, path, (size_t)(slash - path), &dfd) : TS_OK;
    if (s != TS_OK) return s;
    int fd = openat(dfd, slash ? slash + 1 : path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ts_error(w->ctx, TS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            s = ts_error(w->ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0 && s == TS_OK) s = ts_error(w->ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return s;
}

/* Class indices: category ids 0..n-1 are kept as they are; otherwise
 * categories are numbered in id order (YOLO has no ids, only positions). */
static ts_status class_map(ywriter *w, size_t *n_out) {
    size_t n = ts_dataset_category_count(w->ds);
    w->class_of = ts_alloc_array(w->ctx, n + 1, sizeof *w->class_of);
    if (!w->class_of) return TS_ERR_NOMEM;
    int dense = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t id = ts_dataset_category_id(w->ds, i);
        if (id < 0 || (uint64_t)id >= n) dense = 0;
    }
    for (size_t i = 0; i < n && dense; i++) w->class_of[i] = ts_dataset_category_id(w->ds, i);
    if (!dense) {
        for (size_t i = 0; i < n; i++) {
            int64_t id = ts_dataset_category_id(w->ds, i), rank = 0;
            for (size_t k = 0; k < n; k++) rank += ts_dataset_category_id(w->ds, k) < id;
            w->class_of[i] = rank;
        }
        if (n) ts_warn(w->ctx, "yolo: category ids renumbered to class indices 0..%zu in id order (YOLO keeps no ids)",
                       n - 1);
    }
    /* Ids are small integers almost always: a direct table spares a hash
     * lookup per annotation on the conversion path. */
    int64_t max_id = -1, min_id = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t id = ts_dataset_category_id(w->ds, i);
        if (id > max_id) max_id = id;
        if (id < min_id) min_id = id;
    }
    if (min_id >= 0 && max_id >= 0 && max_id < (int64_t)(4 * n + 1024)) {
        w->n_by_id = (size_t)max_id + 1;
        w->class_by_id = ts_calloc_array(w->ctx, w->n_by_id, sizeof *w->class_by_id);
        if (!w->class_by_id) return TS_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
            int64_t id = ts_dataset_category_id(w->ds, i);
            w->class_by_id[id] = w->class_of[i] + 1;
        }
    }
    *n_out = n;
    return TS_OK;
}

/* Class index of category `id`, or -1 when no such category exists. */
static int64_t class_for(const ywriter *w, int64_t id) {
    if (id >= 0 && (uint64_t)id < w->n_by_id) return w->class_by_id[id] - 1;
    size_t ci;
    return !w->class_by_id && ts_dataset_find_category(w->ds, id, &ci) ? w->class_of[ci] : -1;
}

static int safe_component(const char *s) {
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) >= 64) return 0;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 32) return 0;
    return 1;
}

/* The image's path below images/<split>/: its own relative path after its
 * last "images/" component (Ultralytics' images/<split>/, Roboflow's
 * <split>/images/), without a leading "<split>/". */
static const char *output_rel(const char *path, const char *split) {
    if (ts_path_check_relative(NULL, path, NULL) != TS_OK) return ts_path_basename(path);
    const char *p = path;
    for (const char *q = strstr(path, "images/"); q; q = strstr(q + 1, "images/"))
        if (q == path || q[-1] == '/') p = q + 7;
    size_t sl = strlen(split);
    if (strncmp(p, split, sl) == 0 && p[sl] == '/') p += sl + 1;
    return *p ? p : ts_path_basename(path);
}

static ts_status put_num(ts_buf *b, double v) {
    char tmp[48];
    size_t n = ts_format_fixed12(tmp, v);
    return ts_buf_append(b, tmp, n);
}

/* "class cx cy w h" into tmp (at least 256 bytes); returns its length. */
static size_t format_box(char *tmp, int64_t cls, const double *b, int W, int H) {
    size_t n = ts_format_int(tmp, cls);
    tmp[n++] = ' ';
    n += ts_format_fixed12(tmp + n, (b[0] + b[2] / 2) / W);
    tmp[n++] = ' ';
    n += ts_format_fixed12(tmp + n, (b[1] + b[3] / 2) / H);
    tmp[n++] = ' ';
    n += ts_format_fixed12(tmp + n, b[2] / W);
    tmp[n++] = ' ';
    n += ts_format_fixed12(tmp + n, b[3] / H);
    return n;
}

static ts_status box_row(ywriter *w, int64_t cls, const ts_annotation *a, int W, int H) {
    char tmp[256];
    size_t n = format_box(tmp, cls, a->bbox, W, H);
    if (a->flags & TS_ANN_HAS_SCORE) {
        tmp[n++] = ' ';
        n += ts_format_fixed12(tmp + n, a->score);
    }
    tmp[n++] = '\n';
    return ts_buf_append(&w->text, tmp, n);
}

static ts_status seg_row(ywriter *w, int64_t cls, const ts_annotation *a, int W, int H) {
    char tmp[24];
    ts_status s = ts_buf_append(&w->text, tmp, ts_format_int(tmp, cls));
    for (uint32_t k = 0; k + 1 < a->ring_sizes[0] && s == TS_OK; k += 2) {
        s = ts_buf_putc(&w->text, ' ');
        if (s == TS_OK) s = put_num(&w->text, a->coords[k] / W);
        if (s == TS_OK) s = ts_buf_putc(&w->text, ' ');
        if (s == TS_OK) s = put_num(&w->text, a->coords[k + 1] / H);
    }
    return s == TS_OK ? ts_buf_putc(&w->text, '\n') : s;
}

/* "class cx cy w h" and pose.k points "x y v" (COCO's visibility, 0 0 0
 * when not labelled). Annotations without that many keypoints get every
 * point unlabelled, as Ultralytics wants K points on every row. */
static ts_status pose_row(ywriter *w, int64_t cls, const ts_annotation *a, int W, int H) {
    int has_points = a->kind == TS_ANN_KEYPOINTS && a->keypoints && a->n_keypoints == w->pose.k;
    w->no_points += !has_points;
    w->dropped_pose_polygons += has_points && (a->n_rings > 0 || a->rle_len > 0);
    w->dropped_scores += (a->flags & TS_ANN_HAS_SCORE) != 0;
    char tmp[256];
    ts_status s = ts_buf_append(&w->text, tmp, format_box(tmp, cls, a->bbox, W, H));
    for (uint32_t k = 0; k < w->pose.k && s == TS_OK; k++) {
        const double *p = has_points ? a->keypoints + 3 * k : NULL;
        int vis = !p || !(p[2] > 0) ? 0 : p[2] < 1.5 ? 1 : 2;
        size_t n = 0;
        tmp[n++] = ' ';
        n += vis ? ts_format_fixed12(tmp + n, p[0] / W) : ts_format_int(tmp + n, 0);
        tmp[n++] = ' ';
        n += vis ? ts_format_fixed12(tmp + n, p[1] / H) : ts_format_int(tmp + n, 0);
        tmp[n++] = ' ';
        tmp[n++] = (char)('0' + vis);
        s = ts_buf_append(&w->text, tmp, n);
    }
    return s == TS_OK ? ts_buf_putc(&w->text, '\n') : s;
}

/* Labels of image `index` into w->text. */
static ts_status label_text(ywriter *w, size_t index, const ts_image_entry *img, int W, int H) {
    const size_t *anns;
    size_t n;
    ts_status s = ts_dataset_image_annotations(w->ctx, w->ds, index, &anns, &n);
    w->text.len = 0;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_annotation a;
        ts_dataset_annotation(w->ds, anns[i], &a);
        int64_t cls = class_for(w, a.category_id);
        if (cls < 0)
            return ts_error(w->ctx, TS_ERR_INVALID, "yolo: annotation %lld names category %lld, which does not exist",
                            (long long)a.id, (long long)a.category_id);
        int has_box = (a.flags & TS_ANN_HAS_BOX) != 0;
        if (a.kind == TS_ANN_LABEL) {
            w->dropped_labels++;
            continue;
        }
        if (w->seg && a.kind == TS_ANN_POLYGON && a.n_rings == 1 && a.coords && a.ring_sizes && a.ring_sizes[0] >= 6) {
            s = seg_row(w, cls, &a, W, H);
            continue;
        }
        if (!has_box) {
            w->no_box++;
            continue;
        }
        if (W <= 0 || H <= 0)
            return ts_error(w->ctx, TS_ERR_INVALID, "yolo: image %s has no known size, so its boxes cannot be normalized",
                            img->path);
        switch (a.kind) {
        case TS_ANN_POLYGON: w->dropped_polygons++; break;
        case TS_ANN_MASK: w->dropped_masks++; break;
        case TS_ANN_KEYPOINTS: w->dropped_keypoints += !w->pose.k; break;
        case TS_ANN_POLYLINE:
        case TS_ANN_POINTS: w->dropped_lines++; break;
        default: break;
        }
        s = w->pose.k ? pose_row(w, cls, &a, W, H) : box_row(w, cls, &a, W, H);
    }
    return s;
}

static ts_status note_split(ywriter *w, const char *split) {
    for (int i = 0; i < w->n_splits; i++)
        if (strcmp(w->splits[i], split) == 0) return TS_OK;
    if (w->n_splits == 8) return ts_error(w->ctx, TS_ERR_UNSUPPORTED, "yolo: more than 8 splits");
    snprintf(w->splits[w->n_splits++], sizeof w->splits[0], "%s", split);
    return TS_OK;
}

/* out/<kind>/<split>/<rel with ext> into w->path. */
static ts_status out_path(ywriter *w, const char *kind, const char *split, const char *rel, const char *ext) {
    w->path.len = 0;
    size_t stem = ext ? (size_t)(ts_path_ext(rel) - rel) : strlen(rel);
    ts_status s = ts_buf_puts(&w->path, w->out);
    if (s == TS_OK) s = ts_buf_putc(&w->path, '/');
    if (s == TS_OK) s = ts_buf_puts(&w->path, kind);
    if (s == TS_OK) s = ts_buf_putc(&w->path, '/');
    if (s == TS_OK) s = ts_buf_puts(&w->path, split);
    if (s == TS_OK) s = ts_buf_putc(&w->path, '/');
    if (s == TS_OK) s = ts_buf_append(&w->path, rel, stem);
    if (s == TS_OK && ext) s = ts_buf_puts(&w->path, ext);
    return s == TS_OK ? TS_OK : ts_error(w->ctx, s, "out of memory");
}

static ts_status write_image(ywriter *w, size_t index, const ts_image_entry *img) {
    const char *split = safe_component(img->split) ? img->split : "train";
    const char *rel = output_rel(img->path, split);
    ts_status s = note_split(w, split);
    char *unique = NULL;
    /* Two images may share a relative path (merged inputs): rename the later. */
    size_t key_len = strlen(split) + strlen(rel) + 2;
    char *key = malloc(key_len + 24);
    if (!key) return ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    snprintf(key, key_len, "%s/%s", split, rel);
    uint32_t id;
    if (ts_strpool_find(w->seen, key, strlen(key), &id)) {
        size_t n = strlen(rel) + 32;
        unique = malloc(n);
        if (!unique) {
            free(key);
            return ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
        }
        snprintf(unique, n, "%lld_%s", (long long)img->id, ts_path_basename(rel));
        rel = unique;
        w->renamed++;
        snprintf(key, key_len + 24, "%s/%s", split, rel);
    }
    if (s == TS_OK) s = ts_strpool_intern(w->seen, key, strlen(key), &id);
    free(key);
    int W = img->width, H = img->height;
    if (s == TS_OK && (W <= 0 || H <= 0)) {
        char *file = ts_dataset_image_file(w->ds, index);
        ts_image_header hdr;
        if (file && ts_image_probe_file(w->ctx, file, &hdr) == TS_OK) ts_image_header_oriented_size(&hdr, &W, &H);
        ts_ctx_clear_error(w->ctx);
        free(file);
    }
    if (s == TS_OK) s = label_text(w, index, img, W, H);
    if (s == TS_OK) s = out_path(w, "labels", split, rel, ".txt");
    if (s == TS_OK) s = write_file(w, w->path.data, w->text.data ? w->text.data : "", w->text.len);
    if (s == TS_OK && w->opts->copy_images) {
        uint8_t *data = NULL;
        size_t len = 0;
        s = ts_dataset_image_bytes(w->ctx, w->ds, index, &data, &len);
        if (s == TS_OK) {
            /* Pixel sources may hand back another codec than the name says. */
            ts_codec c = ts_codec_sniff(data, len);
            const char *ext = ts_path_ext(rel);
            if (c != TS_CODEC_UNKNOWN && c != ts_codec_from_path(rel))
                ext = c == TS_CODEC_JPEG ? ".jpg" : c == TS_CODEC_PNG ? ".png" : ".webp";
            s = out_path(w, "images", split, rel, ext);
            if (s == TS_OK) s = write_file(w, w->path.data, data, len);
        }
        free(data);
    }
    free(unique);
    return s;
}

static ts_status write_yaml(ywriter *w, size_t n_classes) {
    ts_buf b = {0};
    ts_status s = ts_buf_puts(&b, "# YOLO dataset (Ultralytics layout); paths are relative to this file\n");
    for (int i = 0; i < w->n_splits && s == TS_OK; i++) {
        const char *sp = w->splits[i];
        const char *key = (strcmp(sp, "valid") == 0 || strcmp(sp, "validation") == 0) ? "val" : sp;
        s = ts_buf_printf(&b, "%s: images/%s\n", key, sp);
    }
    if (s == TS_OK) s = ts_buf_printf(&b, "nc: %zu\nnames:\n", n_classes);
    char **names = ts_calloc_array(w->ctx, n_classes + 1, sizeof *names);
    if (!names) s = TS_ERR_NOMEM;
    for (size_t i = 0; i < n_classes && s == TS_OK; i++) {
        ts_category c;
        ts_dataset_category(w->ds, i, &c);
        names[w->class_of[i]] = (char *)c.name;
    }
    for (size_t i = 0; i < n_classes && s == TS_OK; i++) {
        s = ts_buf_printf(&b, "  %zu: ", i);
        if (s == TS_OK) s = ts_yaml_put_string(&b, names[i] ? names[i] : "");
        if (s == TS_OK) s = ts_buf_putc(&b, '\n');
    }
    free(names);
    if (s == TS_OK) s = ts_yolo_pose_yaml(&b, w->ds, &w->pose, w->class_of);
    if (s == TS_OK) {
        w->path.len = 0;
        s = ts_buf_printf(&w->path, "%s/data.yaml", w->out);
    }
    if (s == TS_OK) s = write_file(w, w->path.data, b.data, b.len);
    else s = ts_error(w->ctx, s, "out of memory");
    ts_buf_free(&b);
    return s;
}

static void report_pose(ywriter *w) {
    if (w->pose.mixed)
        ts_warn(w->ctx, "yolo: keypoint sets differ in size (%s) and a YOLO pose dataset has one kpt_shape: wrote the "
                "detection layout", w->pose.mixed);
    if (!w->pose.k && w->pose.pointless)
        ts_warn(w->ctx, "yolo: %zu keypoint annotations hold no points (the dataset was read without geometry): "
                "wrote their boxes", w->pose.pointless);
    if (!w->pose.k) return;
    if (w->no_points)
        ts_warn(w->ctx, "yolo: %llu annotations without %u keypoints written as pose rows with every point 0 0 0 "
                "(not labelled)", (unsigned long long)w->no_points, w->pose.k);
    if (w->dropped_pose_polygons)
        ts_warn(w->ctx,
                "yolo: dropped the polygons or masks of %llu keypoint annotations (a pose row holds a box and points)",
                (unsigned long long)w->dropped_pose_polygons);
    if (w->dropped_scores)
        ts_warn(w->ctx, "yolo: dropped the scores of %llu predictions (pose rows are written without one)",
                (unsigned long long)w->dropped_scores);
    if (w->pose.skeletons)
        ts_warn(w->ctx, "yolo: dropped the skeletons of %zu categories (YOLO pose keeps none)", w->pose.skeletons);
}

static void report_dropped(ywriter *w) {
    report_pose(w);
    if (w->dropped_polygons || w->dropped_masks || w->dropped_keypoints || w->dropped_lines)
        ts_warn(w->ctx,
                "yolo: wrote boxes only for %llu polygons, %llu masks, %llu keypoint sets and %llu lines/points; "
                "their shapes were dropped",
                (unsigned long long)w->dropped_polygons, (unsigned long long)w->dropped_masks,
                (unsigned long long)w->dropped_keypoints, (unsigned long long)w->dropped_lines);
    if (w->dropped_labels)
        ts_warn(w->ctx, "yolo: dropped %llu image-level labels (YOLO holds boxes and polygons only)",
                (unsigned long long)w->dropped_labels);
    if (w->no_box) ts_warn(w->ctx, "yolo: dropped %llu annotations without a box", (unsigned long long)w->no_box);
    if (w->renamed)
        ts_warn(w->ctx, "yolo: %llu images shared a file name with another image and were renamed <id>_<name>",
                (unsigned long long)w->renamed);
    if (!w->opts->copy_images)
        ts_warn(w->ctx, "yolo: images were not copied; put them under images/<split>/ beside labels/<split>/");
}

ts_status ts_yolo_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    ywriter w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.ds = ds;
    w.opts = opts;
    /* Polygons stay YOLO-seg rows when they came from YOLO labels; from any
     * other format the detection layout is written (see the docs). */
    const char *fmt = ts_dataset_meta(ds, "format");
    const char *task = ts_dataset_meta(ds, "yolo_task");
    w.seg = (fmt && strcmp(fmt, "yolo") == 0) || (task && strcmp(task, "segment") == 0);
    size_t n_classes = 0;
    ts_atomic_dir *dir = NULL;
    ts_status s = ts_yolo_pose_plan_make(ctx, ds, &w.pose);
    if (w.pose.k) w.seg = 0;
    if (s == TS_OK) s = class_map(&w, &n_classes);
    if (s == TS_OK) s = ts_strpool_create(&w.seen);
    if (s == TS_OK) s = ts_strpool_create(&w.dirs);
    if (s == TS_OK) s = ts_atomic_dir_open(ctx, path, &dir);
    if (s == TS_OK) w.out = ts_atomic_dir_path(dir);
    size_t n = ts_dataset_image_count(ds);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_image_entry img;
        ts_dataset_image(ds, i, &img);
        s = write_image(&w, i, &img);
        if (s == TS_OK && (i & 1023) == 1023) s = ts_progress(ctx, "writing YOLO", i + 1, n);
    }
    if (s == TS_OK) s = write_yaml(&w, n_classes);
    if (s == TS_OK) {
        s = ts_atomic_dir_commit(ctx, dir);
        dir = NULL;
    }
    if (s == TS_OK) report_dropped(&w);
    ts_atomic_dir_abort(dir);
    ts_buf_free(&w.text);
    ts_buf_free(&w.path);
    ts_strpool_destroy(w.dirs);
    for (int i = 0; i < 2; i++) {
        if (w.dc_path[i]) close(w.dc_fd[i]);
        free(w.dc_path[i]);
    }
    free(w.class_of);
    free(w.class_by_id);
    ts_yolo_pose_plan_free(&w.pose);
    ts_strpool_destroy(w.seen);
    return s;
}
