/* Folder-per-class datasets (ImageNet / torchvision ImageFolder style):
 * <root>[/<split>]/<class>[/<subclass>...]/<image>, images at a root are
 * unlabelled; and the list form (<split>.txt of "name index" rows with
 * synsets.txt class names). Reader and writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/csv_internal.h"
#include "formats/yolo_internal.h"

#define MAX_DEPTH 16

static int is_split_name(const char *s) {
    static const char *const names[] = {"train", "val", "valid", "validation", "test", "testing", "training", NULL};
    for (int i = 0; names[i]; i++)
        if (ts_strcaseeq(s, names[i])) return 1;
    return 0;
}

typedef struct {
    ts_ctx *ctx;
    const ts_read_opts *opts;
    ts_dataset *ds;
    char *root;
    ts_strpool *classes; /* class paths, in the order met */
    uint64_t missing;
} ifreader;

static ts_status add_image(ifreader *r, const char *rel, const char *split, int64_t category, int must_exist) {
    char *abs = ts_path_join(r->root, rel);
    if (!abs) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_image_entry img = ts_image_entry_empty();
    ts_status s = TS_OK;
    if (!ts_file_exists(abs)) {
        r->missing++;
        if (must_exist) s = ts_error(r->ctx, TS_ERR_NOT_FOUND, "%s: image does not exist", abs);
    } else if (!(r->opts->flags & TS_READ_NO_PROBE)) {
        ts_image_header hdr;
        s = ts_image_probe_file(r->ctx, abs, &hdr);
        if (s == TS_OK) {
            ts_image_header_oriented_size(&hdr, &img.width, &img.height);
        } else if (ts_ctx_lenient(r->ctx)) {
            ts_warn(r->ctx, "%s", ts_ctx_error(r->ctx));
            ts_ctx_clear_error(r->ctx);
            s = TS_OK;
        }
    }
    free(abs);
    if (s != TS_OK) return s;
    img.id = (int64_t)ts_dataset_image_count(r->ds) + 1;
    img.path = rel;
    img.split = *split ? split : (r->opts->split ? r->opts->split : "");
    if ((s = ts_dataset_add_image(r->ctx, r->ds, &img, NULL)) != TS_OK || category < 0) return s;
    ts_annotation a = ts_annotation_empty();
    a.id = (int64_t)ts_dataset_annotation_count(r->ds) + 1;
    a.image_id = img.id;
    a.category_id = category;
    a.kind = TS_ANN_LABEL;
    return ts_dataset_add_annotation(r->ctx, r->ds, &a, NULL);
}

/* ---- folder tree ------------------------------------------------------------------------ */

/* A class name from its folder path: "%2F" in a folder name is a '/' that
 * belongs to the name (written by the writer for flat names such as
 * "T-shirt/top"), "%25" a '%'; real subfolders stay hierarchy levels. */
static ts_status unescape_class(ts_buf *out, const char *path) {
    ts_status s = TS_OK;
    for (const char *p = path; *p && s == TS_OK; p++) {
        if (p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) s = ts_buf_putc(out, '/'), p += 2;
        else if (p[0] == '%' && p[1] == '2' && p[2] == '5') s = ts_buf_putc(out, '%'), p += 2;
        else s = ts_buf_putc(out, *p);
    }
    return s;
}

/* Walk `rel` (under the root): images here belong to class `cls` (a path
 * relative to the split folder, "" = unlabelled); subfolders are classes. */
static ts_status walk(ifreader *r, const char *rel, const char *split, const char *cls, int depth) {
    char *dir = ts_path_join(r->root, rel);
    char **names = NULL;
    size_t n = 0;
    ts_status s = dir ? ts_dir_list(r->ctx, dir, &names, &n) : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    uint32_t cid = 0;
    ts_buf name = {0};
    if (s == TS_OK && *cls && (unescape_class(&name, cls) != TS_OK ||
                               ts_strpool_intern(r->classes, name.data, name.len, &cid) != TS_OK))
        s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_buf_free(&name);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        if (names[i][0] == '.') continue;
        char *sub = *rel ? ts_path_join(rel, names[i]) : ts_strdup(r->ctx, names[i]);
        char *full = sub ? ts_path_join(r->root, sub) : NULL;
        if (!full) {
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        } else if (ts_dir_exists(full)) {
            if (depth < MAX_DEPTH) {
                char *sub_cls = *cls ? ts_path_join(cls, names[i]) : ts_strdup(r->ctx, names[i]);
                s = sub_cls ? walk(r, sub, split, sub_cls, depth + 1) : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
                free(sub_cls);
            }
        } else if (ts_is_image_name(names[i])) {
            /* Category ids are assigned after the walk, in sorted class
             * order; the pool id stands in meanwhile. */
            s = add_image(r, sub, split, *cls ? (int64_t)cid : -1, 1);
        }
        free(sub);
        free(full);
    }
    ts_strings_free(names, n);
    free(dir);
    return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Categories 0..n-1 in sorted class-path order (torchvision's numbering);
 * "a/b" gets parent "a". Annotations are moved from pool ids to them. */
static ts_status finish_classes(ifreader *r) {
    uint32_t n = ts_strpool_count(r->classes);
    if (n <= 1) return TS_OK;
    const char **sorted = ts_alloc_array(r->ctx, n, sizeof *sorted);
    int64_t *id_of = ts_alloc_array(r->ctx, n, sizeof *id_of);
    ts_status s = sorted && id_of ? TS_OK : TS_ERR_NOMEM;
    for (uint32_t i = 1; i < n && s == TS_OK; i++) sorted[i - 1] = ts_strpool_get(r->classes, i);
    if (s == TS_OK) qsort(sorted, n - 1, sizeof *sorted, cmp_str);
    for (uint32_t i = 0; i + 1 < n && s == TS_OK; i++) {
        uint32_t pid;
        ts_strpool_find(r->classes, sorted[i], strlen(sorted[i]), &pid);
        id_of[pid] = i;
        ts_category c = ts_category_empty();
        c.id = i;
        c.name = sorted[i];
        const char *slash = strrchr(sorted[i], '/');
        uint32_t ppid;
        if (slash && ts_strpool_find(r->classes, sorted[i], (size_t)(slash - sorted[i]), &ppid)) c.parent_id = id_of[ppid];
        s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
    }
    size_t na = ts_dataset_annotation_count(r->ds);
    for (size_t i = 0; i < na && s == TS_OK; i++) {
        ts_annotation a;
        ts_dataset_annotation(r->ds, i, &a);
        a.category_id = id_of[a.category_id];
        s = ts_dataset_update_annotation(r->ctx, r->ds, i, &a);
    }
    free(sorted);
    free(id_of);
    return s;
}

static ts_status read_tree(ifreader *r) {
    char **names = NULL;
    size_t n = 0, splits = 0, dirs = 0;
    ts_status s = ts_dir_list(r->ctx, r->root, &names, &n);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        char *p = ts_path_join(r->root, names[i]);
        if (p && ts_dir_exists(p) && names[i][0] != '.') {
            dirs++;
            splits += is_split_name(names[i]);
        }
        free(p);
    }
    if (s == TS_OK && dirs > 0 && splits == dirs) {
        for (size_t i = 0; i < n && s == TS_OK; i++) {
            char *p = ts_path_join(r->root, names[i]);
            if (p && ts_dir_exists(p) && names[i][0] != '.') s = walk(r, names[i], names[i], "", 1);
            free(p);
        }
    } else if (s == TS_OK) {
        s = walk(r, "", "", "", 0);
    }
    ts_strings_free(names, n);
    return s == TS_OK ? finish_classes(r) : s;
}

/* ---- list form --------------------------------------------------------------------------- */

/* First line of a file: 1 for "name index", 2 for one token, 0 otherwise. */
static int line_shape(const char *path) {
    uint8_t *data;
    size_t len;
    if (ts_file_read_head(NULL, path, 4096, &data, &len) != TS_OK) return 0;
    const char *p = (const char *)data;
    while (*p == '\n' || *p == '\r') p++;
    const char *e = p;
    while (*e && *e != '\n' && *e != '\r') e++;
    const char *sp = e;
    while (sp > p && sp[-1] != ' ' && sp[-1] != '\t') sp--;
    int64_t v;
    int shape = e == p ? 0 : (sp > p && ts_parse_int_span(sp, (size_t)(e - sp), &v)) ? 1 : 2;
    free(data);
    return shape;
}

static ts_status read_lines(ts_ctx *ctx, const char *path, char ***out, size_t *count) {
    uint8_t *data = NULL;
    size_t len = 0, n = 0, cap = 0;
    char **lines = NULL;
    ts_status s = ts_file_read(ctx, path, &data, &len);
    const char *p = (const char *)data, *end = p + (s == TS_OK ? len : 0);
    while (s == TS_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
        char *line = ts_strndup(ctx, p, (size_t)(e - p));
        if (!line || ts_grow(ctx, (void **)&lines, &cap, n + 1, sizeof *lines) != TS_OK) {
            free(line);
            s = TS_ERR_NOMEM;
        } else {
            lines[n++] = line;
        }
        p = nl ? nl + 1 : end;
    }
    free(data);
    while (s == TS_OK && n && !lines[n - 1][0]) free(lines[--n]);
    if (s != TS_OK) {
        ts_strings_free(lines, n);
        return s;
    }
    *out = lines;
    *count = n;
    return TS_OK;
}

static ts_status read_list(ifreader *r, const char *list, const char *split, const char *img_dir, size_t n_labels,
                           int64_t *max_idx) {
    char **lines = NULL;
    size_t n = 0;
    ts_status s = read_lines(r->ctx, list, &lines, &n);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        char *l = lines[i];
        if (!*l || *l == '#') continue;
        char *sp = l + strlen(l);
        while (sp > l && sp[-1] != ' ' && sp[-1] != '\t') sp--;
        int64_t idx;
        if (sp == l || !ts_parse_int_span(sp, strlen(sp), &idx) || idx < 0) {
            s = ts_error_at(r->ctx, TS_ERR_PARSE, list, i + 1, (uint64_t)(sp - l) + 1,
                            "expected \"name class-index\"");
            break;
        }
        if (n_labels && (size_t)idx >= n_labels) {
            if (!ts_ctx_lenient(r->ctx)) {
                s = ts_error_at(r->ctx, TS_ERR_INVALID, list, i + 1, (uint64_t)(sp - l) + 1,
                                "class index %lld but the class list has %zu names", (long long)idx, n_labels);
                break;
            }
            ts_warn(r->ctx, "%s:%zu: class index %lld beyond the class list; row skipped", list, i + 1, (long long)idx);
            continue;
        }
        if (idx > 1000000) {
            s = ts_error_at(r->ctx, TS_ERR_LIMIT, list, i + 1, 0, "class index %lld is implausibly large", (long long)idx);
            break;
        }
        while (sp > l && (sp[-1] == ' ' || sp[-1] == '\t')) sp--;
        *sp = 0;
        if ((s = ts_path_check_relative(r->ctx, l, list)) != TS_OK) {
            ts_error_prefix(r->ctx, "%s:%zu", list, i + 1);
            break;
        }
        char *rel = *img_dir ? ts_path_join(img_dir, l) : ts_strdup(r->ctx, l);
        s = rel ? add_image(r, rel, split, idx, 0) : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        if (idx > *max_idx) *max_idx = idx;
        free(rel);
    }
    ts_strings_free(lines, n);
    return s;
}

static ts_status read_list_form(ifreader *r) {
    char **names = NULL;
    size_t n = 0;
    ts_status s = ts_dir_list(r->ctx, r->root, &names, &n);
    char **labels = NULL;
    size_t n_labels = 0;
    for (size_t i = 0; i < n && s == TS_OK && !labels; i++) {
        if (!ts_ends_with_nocase(names[i], ".txt")) continue;
        if (strncmp(names[i], "synsets", 7) != 0 && strcmp(names[i], "labels.txt") != 0) continue;
        char *p = ts_path_join(r->root, names[i]);
        if (p && line_shape(p) == 2) s = read_lines(r->ctx, p, &labels, &n_labels);
        free(p);
    }
    char *images = ts_path_join(r->root, "images");
    const char *img_dir = images && ts_dir_exists(images) ? "images" : "";
    int64_t max_idx = -1;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        if (!ts_ends_with_nocase(names[i], ".txt")) continue;
        char *p = ts_path_join(r->root, names[i]);
        if (p && line_shape(p) == 1) {
            char split[64];
            snprintf(split, sizeof split, "%.*s", (int)(strlen(names[i]) - 4), names[i]);
            s = read_list(r, p, split, img_dir, n_labels, &max_idx);
        }
        free(p);
    }
    free(images);
    size_t n_cats = labels ? n_labels : (size_t)(max_idx + 1);
    for (size_t i = 0; i < n_cats && s == TS_OK; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "class-%zu", i);
        ts_category c = ts_category_empty();
        c.id = (int64_t)i;
        c.name = labels ? labels[i] : tmp;
        s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
    }
    if (s == TS_OK && r->missing)
        ts_warn(r->ctx, "%s: %llu listed images do not exist (kept, with unknown size)", r->root,
                (unsigned long long)r->missing);
    ts_strings_free(labels, n_labels);
    ts_strings_free(names, n);
    return s;
}

static int is_name_index_list(const char *path, const char *name, void *user) {
    (void)user;
    return ts_ends_with_nocase(name, ".txt") && strncmp(name, "synsets", 7) != 0 && line_shape(path) == 1;
}

/* 1 when the directory holds a "name index" list (train.txt ...). */
static int has_list(const char *dir) { return ts_dir_any(dir, is_name_index_list, NULL); }

static ts_status if_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    if (!ts_dir_exists(path)) return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: not a directory", path);
    ifreader r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opts = opts;
    r.root = ts_strdup(ctx, path);
    if (!r.root) return TS_ERR_NOMEM;
    size_t rl = strlen(r.root);
    while (rl > 1 && r.root[rl - 1] == '/') r.root[--rl] = 0;
    ts_status s = ts_strpool_create(&r.classes) == TS_OK ? TS_OK : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = ts_dataset_create(ctx, &r.ds);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, r.ds, r.root);
    if (s == TS_OK) s = has_list(r.root) ? read_list_form(&r) : read_tree(&r);
    ts_strpool_destroy(r.classes);
    free(r.root);
    if (s != TS_OK) {
        ts_dataset_destroy(r.ds);
        return s;
    }
    *out = r.ds;
    return TS_OK;
}

/* Images in subfolders and no annotation files: a weak claim, so formats
 * with their own files win. */
static int if_detect(const char *path) {
    if (!ts_dir_exists(path)) return 0;
    if (has_list(path)) return 70;
    char **names = NULL;
    size_t n = 0;
    int images = 0, other = 0;
    if (ts_dir_list(NULL, path, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && i < 256; i++) {
        char *p = ts_path_join(path, names[i]);
        if (p && ts_dir_exists(p)) {
            char **sub = NULL;
            size_t ns = 0;
            if (ts_dir_list(NULL, p, &sub, &ns) == TS_OK)
                for (size_t k = 0; k < ns && k < 64; k++) {
                    if (ts_is_image_name(sub[k])) images++;
                    else if (ts_ends_with_nocase(sub[k], ".txt") || ts_ends_with_nocase(sub[k], ".xml") ||
                             ts_ends_with_nocase(sub[k], ".json") || ts_ends_with_nocase(sub[k], ".csv"))
                        other++;
                }
            ts_strings_free(sub, ns);
        } else if (ts_ends_with_nocase(names[i], ".json") || ts_ends_with_nocase(names[i], ".xml") ||
                   ts_ends_with_nocase(names[i], ".yaml") || ts_ends_with_nocase(names[i], ".csv") ||
                   ts_ends_with_nocase(names[i], ".names") || ts_ends_with_nocase(names[i], ".data")) {
            other++;
        }
        free(p);
    }
    ts_strings_free(names, n);
    return images > 0 && other == 0 ? 30 : 0;
}

/* ---- writer ------------------------------------------------------------------------------ */

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const char *out;
    ts_strpool *dirs, *seen;
    ts_buf path;
    uint64_t multi, dropped, renamed, unlabelled;
} ifwriter;

/* A category name as a relative folder path: "a/b" nests; empty, "." and
 * ".." components become "_" so no name can leave the output. */
/* The folder path of a class: a hierarchical class ("a/b" whose parent is
 * "a") nests, a flat name keeps its '/' as "%2F" (and '%' as "%25"), so it
 * reads back as one class of the same name. "." and ".." are never made. */
static ts_status put_class_dir(ts_buf *b, const char *name, int nested) {
    ts_status s = TS_OK;
    int any = 0;
    for (const char *p = name; s == TS_OK;) {
        const char *e = p;
        while (*e && (*e != '/' || !nested)) e++;
        size_t n = (size_t)(e - p);
        if (n) {
            if (any) s = ts_buf_putc(b, '/');
            if (s == TS_OK && ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))) s = ts_buf_putc(b, '_');
            else
                for (size_t i = 0; i < n && s == TS_OK; i++) {
                    if (p[i] == '/') s = ts_buf_puts(b, "%2F");
                    else if (p[i] == '%') s = ts_buf_puts(b, "%25");
                    else s = ts_buf_putc(b, (p[i] == '\\' || (unsigned char)p[i] < 32) ? '_' : p[i]);
                }
            any = 1;
        }
        if (!*e) break;
        p = e + 1;
    }
    return s == TS_OK && !any ? ts_buf_putc(b, '_') : s;
}

static ts_status write_bytes(ifwriter *w, const char *path, const uint8_t *data, size_t len) {
    char *dir = ts_path_dirname(path);
    uint32_t id;
    ts_status s = dir ? TS_OK : ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK && !ts_strpool_find(w->dirs, dir, strlen(dir), &id)) {
        s = ts_mkdirs(w->ctx, dir);
        if (s == TS_OK) s = ts_strpool_intern(w->dirs, dir, strlen(dir), &id);
    }
    free(dir);
    if (s != TS_OK) return s;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ts_error(w->ctx, TS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    while (len > 0 && s == TS_OK) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) s = ts_error(w->ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        else data += n, len -= (size_t)n;
    }
    if (close(fd) != 0 && s == TS_OK) s = ts_error(w->ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return s;
}

static ts_status write_one(ifwriter *w, size_t index, int any_split) {
    ts_image_entry img;
    ts_dataset_image(w->ds, index, &img);
    const size_t *anns;
    size_t n;
    ts_status s = ts_dataset_image_annotations(w->ctx, w->ds, index, &anns, &n);
    const char *cls = NULL;
    int nested = 0;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_annotation a;
        size_t ci;
        ts_dataset_annotation(w->ds, anns[i], &a);
        if (a.kind != TS_ANN_LABEL) {
            w->dropped++;
        } else if (!(a.flags & TS_ANN_NEGATIVE) && ts_dataset_find_category(w->ds, a.category_id, &ci)) {
            ts_category c;
            ts_dataset_category(w->ds, ci, &c);
            if (cls) w->multi++;
            else cls = c.name, nested = c.parent_id != TS_NO_ID;
        }
    }
    if (s != TS_OK) return s;
    if (!cls) w->unlabelled++;
    uint8_t *data = NULL;
    size_t len = 0;
    if ((s = ts_dataset_image_bytes(w->ctx, w->ds, index, &data, &len)) != TS_OK) return s;
    const char *split = img.split;
    if (!*split || strchr(split, '/') || split[0] == '.') split = any_split ? "train" : "";
    const char *base = ts_path_basename(img.path);
    ts_codec c = ts_codec_sniff(data, len);
    size_t stem = (size_t)(ts_path_ext(base) - base);
    const char *ext = (c != TS_CODEC_UNKNOWN && c != ts_codec_from_path(base))
                          ? (c == TS_CODEC_JPEG ? ".jpg" : c == TS_CODEC_PNG ? ".png" : ".webp")
                          : base + stem;
    ts_buf *p = &w->path;
    p->len = 0;
    s = ts_buf_puts(p, w->out);
    if (s == TS_OK && *split) s = ts_buf_printf(p, "/%s", split);
    if (s == TS_OK && cls) s = ts_buf_putc(p, '/');
    if (s == TS_OK && cls) s = put_class_dir(p, cls, nested);
    size_t dir_len = p->len;
    if (s == TS_OK) s = ts_buf_printf(p, "/%.*s%s", (int)stem, base, ext);
    uint32_t id;
    if (s == TS_OK && ts_strpool_find(w->seen, p->data, p->len, &id)) {
        p->len = dir_len;
        s = ts_buf_printf(p, "/%lld_%.*s%s", (long long)img.id, (int)stem, base, ext);
        w->renamed++;
    }
    if (s == TS_OK) s = ts_strpool_intern(w->seen, p->data, p->len, &id);
    if (s != TS_OK) s = ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = write_bytes(w, p->data, data, len);
    free(data);
    return s;
}

static ts_status ts_imagefolder_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    (void)opts; /* the images are the dataset here: always written */
    ifwriter w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.ds = ds;
    ts_atomic_dir *dir = NULL;
    ts_status s = TS_OK;
    if (ts_strpool_create(&w.dirs) != TS_OK || ts_strpool_create(&w.seen) != TS_OK)
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = ts_atomic_dir_open(ctx, path, &dir);
    if (s == TS_OK) w.out = ts_atomic_dir_path(dir);
    size_t n = ts_dataset_image_count(ds);
    int any_split = 0;
    for (size_t i = 0; i < n && !any_split; i++) {
        ts_image_entry img;
        ts_dataset_image(ds, i, &img);
        any_split = img.split[0] != 0;
    }
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        s = write_one(&w, i, any_split);
        if (s == TS_OK && (i & 1023) == 1023) s = ts_progress(ctx, "writing image folders", i + 1, n);
    }
    if (s == TS_OK) {
        s = ts_atomic_dir_commit(ctx, dir);
        dir = NULL;
    }
    if (s == TS_OK && w.multi)
        ts_warn(ctx, "imagefolder: %llu extra labels dropped (an image sits in the folder of its first label only)",
                (unsigned long long)w.multi);
    if (s == TS_OK && w.dropped)
        ts_warn(ctx, "imagefolder: dropped %llu boxes, polygons, masks or keypoint sets (folders hold one label per image)",
                (unsigned long long)w.dropped);
    if (s == TS_OK && w.renamed)
        ts_warn(ctx, "imagefolder: %llu images shared a file name in one folder and were renamed <id>_<name>",
                (unsigned long long)w.renamed);
    ts_atomic_dir_abort(dir);
    ts_strpool_destroy(w.dirs);
    ts_strpool_destroy(w.seen);
    ts_buf_free(&w.path);
    return s;
}

const ts_format ts_format_imagefolder = {
    "imagefolder", "folder per class (ImageNet/ImageFolder: [split/]class/image), or name-index lists with synsets.txt",
    if_detect, if_read, ts_imagefolder_write};
