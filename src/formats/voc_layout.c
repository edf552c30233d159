/* Pascal VOC layout: where the annotations and images are (Annotations/
 * and JPEGImages/, XML files next to their images as Roboflow and Kaggle
 * ship them, or one subdirectory per split), one item per image, and the
 * ImageSets split and per-class lists. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/voc_reader.h"
#include "formats/xml_internal.h"

ts_status voc_soften(voc_reader *r, ts_status s) {
    if (s == TS_OK || s == TS_ERR_NOMEM || s == TS_ERR_CANCELLED || !ts_ctx_lenient(r->ctx)) return s;
    ts_warn(r->ctx, "%s (skipped)", ts_ctx_error(r->ctx));
    ts_ctx_clear_error(r->ctx);
    return TS_OK;
}

char *voc_rel_join(const char *dir, const char *name) {
    return *dir ? ts_path_join(dir, name) : strdup(name);
}

/* ---- items: one per image ------------------------------------------------------------ */

static ts_status add_group(voc_reader *r, const char *ann_dir, const char *img_dir, const char *split) {
    ts_status s = ts_grow(r->ctx, (void **)&r->groups, &r->cap_groups, r->n_groups + 1, sizeof *r->groups);
    if (s != TS_OK) return s;
    voc_group *g = &r->groups[r->n_groups];
    memset(g, 0, sizeof *g);
    g->ann_dir = strdup(ann_dir);
    g->img_dir = strdup(img_dir);
    g->split = split ? ts_dataset_intern(r->ctx, r->ds, split) : NULL;
    if (!g->ann_dir || !g->img_dir) {
        free(g->ann_dir), free(g->img_dir);
        return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    }
    r->n_groups++;
    char *full = ts_path_join(r->root, img_dir);
    if (!full) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    s = voc_dir_index_build(r->ctx, full, &g->images);
    free(full);
    return s;
}

/* A candidate item; duplicates of a key are merged after sorting. */
static ts_status add_item(voc_reader *r, size_t group, const char *stem, size_t stem_n, const char *xml,
                          const char *image, const char *split, int split_rank) {
    ts_status s = ts_grow(r->ctx, (void **)&r->items, &r->cap_items, r->n_items + 1, sizeof *r->items);
    if (s != TS_OK) return s;
    voc_item *it = &r->items[r->n_items];
    memset(it, 0, sizeof *it);
    const voc_group *g = &r->groups[group];
    char *st = ts_strndup(r->ctx, stem, stem_n);
    char *rel = st ? voc_rel_join(g->ann_dir, st) : NULL;
    it->stem = st;
    it->key = rel ? voc_lower_dup(r->ctx, rel, strlen(rel)) : NULL;
    free(rel);
    it->xml = xml ? voc_rel_join(g->ann_dir, xml) : NULL;
    it->image = image ? strdup(image) : NULL;
    it->split = split ? strdup(split) : NULL;
    it->split_rank = split_rank;
    it->group = group;
    r->n_items++;
    if (!it->stem || !it->key || (xml && !it->xml) || (image && !it->image) || (split && !it->split))
        return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static void item_free(voc_item *it) {
    free(it->key), free(it->stem), free(it->xml), free(it->image), free(it->split);
}

static int cmp_item(const void *pa, const void *pb) {
    const voc_item *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c) return c;
    /* annotation files first, so list and image candidates merge into them */
    return (b->xml != NULL) - (a->xml != NULL);
}

/* Sort and merge candidates of the same key: an annotation file takes the
 * best-ranked split and the image seen in the listing. */
void voc_merge_items(voc_reader *r) {
    if (r->n_items > 1) qsort(r->items, r->n_items, sizeof *r->items, cmp_item);
    size_t out = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        voc_item *it = &r->items[i];
        voc_item *prev = out ? &r->items[out - 1] : NULL;
        if (prev && strcmp(prev->key, it->key) == 0 && !(prev->xml && it->xml)) {
            if (it->split && (!prev->split || it->split_rank < prev->split_rank)) {
                free(prev->split);
                prev->split = it->split, prev->split_rank = it->split_rank;
                it->split = NULL;
            }
            if (it->image && !prev->image) prev->image = it->image, it->image = NULL;
            item_free(it);
            continue;
        }
        r->items[out++] = *it;
    }
    r->n_items = out;
}

voc_item *voc_find_item(voc_reader *r, const char *key) {
    size_t lo = 0, hi = r->n_items;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->items[mid].key, key);
        if (c == 0) return &r->items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- ImageSets lists -------------------------------------------------------------------- */

typedef struct {
    char *name; /* file name without .txt */
    char *text;
    size_t len;
    char *path;
} list_file;

/* Calls fn(r, list, line_no, token1, len1, token2, len2) for each line that
 * is not blank or a '#' comment. */
typedef ts_status (*line_fn)(voc_reader *r, const list_file *f, void *user, uint64_t line, const char *a,
                             size_t an, const char *b, size_t bn);

static ts_status for_each_line(voc_reader *r, const list_file *f, line_fn fn, void *user) {
    uint64_t line = 0;
    for (size_t pos = 0; pos < f->len;) {
        size_t end = pos;
        while (end < f->len && f->text[end] != '\n') end++;
        line++;
        const char *p = f->text + pos, *e = f->text + end;
        pos = end + 1;
        while (p < e && isspace((unsigned char)*p)) p++;
        if (p == e || *p == '#') continue;
        const char *a = p;
        while (p < e && !isspace((unsigned char)*p)) p++;
        size_t an = (size_t)(p - a);
        while (p < e && isspace((unsigned char)*p)) p++;
        const char *b = p;
        while (p < e && !isspace((unsigned char)*p)) p++;
        ts_status s = fn(r, f, user, line, a, an, b, (size_t)(p - b));
        if (s != TS_OK) return s;
    }
    return TS_OK;
}

static ts_status check_stem(voc_reader *r, const list_file *f, uint64_t line, const char *a, size_t an,
                            char **stem) {
    char *st = ts_strndup(r->ctx, a, an);
    if (!st) return TS_ERR_NOMEM;
    char where[64];
    (void)where;
    ts_buf w = {0};
    ts_buf_printf(&w, "%s:%llu:1", f->path, (unsigned long long)line);
    ts_status s = ts_path_check_relative(r->ctx, st, w.data ? w.data : f->path);
    ts_buf_free(&w);
    if (s != TS_OK) {
        free(st);
        return s;
    }
    *stem = st;
    return TS_OK;
}

static ts_status on_split_line(voc_reader *r, const list_file *f, void *user, uint64_t line, const char *a,
                               size_t an, const char *b, size_t bn) {
    (void)b, (void)bn;
    int rank = *(int *)user;
    char *stem = NULL;
    ts_status s = check_stem(r, f, line, a, an, &stem);
    if (s == TS_OK) s = add_item(r, 0, stem, strlen(stem), NULL, NULL, f->name, rank);
    free(stem);
    return voc_soften(r, s);
}

static ts_status on_class_line(voc_reader *r, const list_file *f, void *user, uint64_t line, const char *a,
                               size_t an, const char *b, size_t bn) {
    const char *cls = user;
    char *stem = NULL;
    double v = 0;
    char val[16] = "";
    if (bn && bn < sizeof val) memcpy(val, b, bn);
    if (!bn || bn >= sizeof val || !xml_scan_double(val, &v) || (v != 1 && v != 0 && v != -1))
        return voc_soften(r, ts_error_at(r->ctx, TS_ERR_INVALID, f->path, line, (uint64_t)(b - a) + 1,
                                     "expected 1, 0 or -1 after the image name"));
    if (v < 0) return TS_OK;
    ts_status s = check_stem(r, f, line, a, an, &stem);
    if (s != TS_OK) return voc_soften(r, s);
    /* the image exists even when nothing else names it */
    if ((s = add_item(r, 0, stem, strlen(stem), NULL, NULL, NULL, INT32_MAX)) != TS_OK) {
        free(stem);
        return s;
    }
    if ((s = ts_grow(r->ctx, (void **)&r->labels, &r->cap_labels, r->n_labels + 1, sizeof *r->labels)) != TS_OK) {
        free(stem);
        return s;
    }
    voc_class_label *l = &r->labels[r->n_labels++];
    char *rel = voc_rel_join(r->groups[0].ann_dir, stem);
    free(stem);
    l->key = rel ? voc_lower_dup(r->ctx, rel, strlen(rel)) : NULL;
    free(rel);
    l->cls = strdup(cls);
    l->value = (int)v;
    l->line = line;
    l->file = strdup(f->path);
    return l->key && l->cls && l->file ? TS_OK : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
}

static void list_files_free(list_file *f, size_t n) {
    for (size_t i = 0; i < n; i++) free(f[i].name), free(f[i].text), free(f[i].path);
    free(f);
}

/* A per-class list is "<class>_<split>.txt" for a split list that exists,
 * or any "a_b" list whose lines carry a second token. */
static int is_class_list(const list_file *files, size_t n, const list_file *f, size_t *cls_len) {
    const char *us = strrchr(f->name, '_');
    if (!us || us == f->name) return 0;
    *cls_len = (size_t)(us - f->name);
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i].name, us + 1) == 0) return 1;
    const char *p = f->text;
    while (*p && isspace((unsigned char)*p)) p++;
    while (*p && !isspace((unsigned char)*p)) p++;
    while (*p == ' ' || *p == '\t') p++;
    return *p == '1' || *p == '0' || *p == '-';
}

static int cmp_list_size(const void *pa, const void *pb) {
    const list_file *a = pa, *b = pb;
    return (a->len > b->len) - (a->len < b->len);
}

/* ImageSets/{Main,Segmentation,Layout,Action}: split lists give images and
 * splits (an image in several lists, e.g. train and trainval, takes the
 * Main list with fewest bytes, then the other folders'); Main's per-class
 * lists give image-level labels. */
static ts_status read_image_sets(voc_reader *r) {
    static const char *const subdirs[] = {"Main", "Segmentation", "Layout", "Action"};
    ts_status s = TS_OK;
    for (size_t d = 0; d < 4 && s == TS_OK; d++) {
        char *rel = ts_path_join("ImageSets", subdirs[d]);
        char *dir = rel ? ts_path_join(r->root, rel) : NULL;
        free(rel);
        if (!dir) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        char **names = NULL;
        size_t n = 0, nf = 0;
        list_file *files = NULL;
        if (ts_dir_exists(dir)) s = ts_dir_list(r->ctx, dir, &names, &n);
        if (s == TS_OK && n && !(files = ts_calloc_array(r->ctx, n, sizeof *files))) s = TS_ERR_NOMEM;
        for (size_t i = 0; i < n && s == TS_OK; i++) {
            if (!ts_ends_with_nocase(names[i], ".txt")) continue;
            list_file *f = &files[nf++];
            f->name = ts_strndup(r->ctx, names[i], strlen(names[i]) - 4);
            f->path = ts_path_join(dir, names[i]);
            if (!f->name || !f->path) s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
            if (s == TS_OK) s = ts_file_read(r->ctx, f->path, (uint8_t **)&f->text, &f->len);
        }
        ts_strings_free(names, n);
        free(dir);
        if (s == TS_OK && nf > 1) qsort(files, nf, sizeof *files, cmp_list_size);
        for (size_t i = 0; i < nf && s == TS_OK; i++) {
            size_t cls_len = 0;
            if (is_class_list(files, nf, &files[i], &cls_len)) {
                if (d != 0) continue;
                char *cls = ts_strndup(r->ctx, files[i].name, cls_len);
                if (!cls) s = TS_ERR_NOMEM;
                if (s == TS_OK) s = for_each_line(r, &files[i], on_class_line, cls);
                free(cls);
            } else {
                int rank = (int)(d * 1000000 + i);
                s = for_each_line(r, &files[i], on_split_line, &rank);
            }
        }
        list_files_free(files, nf);
    }
    return s;
}

/* ---- layout ------------------------------------------------------------------------------ */

/* The name of a subdirectory of root matching one of `names` in any case. */
static char *find_subdir(const char *root, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *p = ts_path_join(root, names[i]);
        if (p && ts_dir_exists(p)) {
            free(p);
            return strdup(names[i]);
        }
        free(p);
    }
    return NULL;
}

static const char *const ann_dir_names[] = {"Annotations", "annotations", "Annotation", "annotation"};
static const char *const img_dir_names[] = {"JPEGImages", "images", "Images", "JPEGimages"};

/* Candidates of one group: its XML files (and, when images live in the
 * same listing or their own, every image, so unannotated ones are kept). */
static ts_status group_candidates(voc_reader *r, size_t gi, int xml_only) {
    voc_group *g = &r->groups[gi];
    ts_status s = TS_OK;
    if (strcmp(g->ann_dir, g->img_dir) != 0 && !xml_only) {
        char *dir = ts_path_join(r->root, g->ann_dir);
        voc_dir_index ann;
        if (!dir) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        s = voc_dir_index_build(r->ctx, dir, &ann);
        free(dir);
        for (size_t i = 0; i < ann.n && s == TS_OK; i++)
            if (ts_ends_with_nocase(ann.e[i].name, ".xml"))
                s = add_item(r, gi, ann.e[i].name, ann.e[i].stem, ann.e[i].name, NULL, g->split, 0);
        voc_dir_index_free(&ann);
    }
    for (size_t i = 0; i < g->images.n && s == TS_OK; i++) {
        const voc_dir_entry *e = &g->images.e[i];
        int xml = ts_ends_with_nocase(e->name, ".xml");
        if (xml && strcmp(g->ann_dir, g->img_dir) != 0) continue;
        if (!xml && xml_only) continue;
        if (xml) {
            char *full = ts_path_join(r->root, g->img_dir);
            char *p = full ? ts_path_join(full, e->name) : NULL;
            int voc = p && xml_sniff_root(p, "annotation");
            free(full), free(p);
            if (!voc) continue; /* another tool's XML lying next to the images */
        }
        s = add_item(r, gi, e->name, e->stem, xml ? e->name : NULL, xml ? NULL : e->name, g->split, 0);
    }
    return s;
}

static int is_voc_xml(const char *path, const char *name, void *user) {
    (void)user;
    return ts_ends_with_nocase(name, ".xml") && xml_sniff_root(path, "annotation");
}

static int dir_has_voc_xml(const char *dir) { return ts_dir_any(dir, is_voc_xml, NULL); }

/* A subdirectory (one per split, Roboflow-style) holding VOC XML files. */
static int is_split_dir_of_voc_xml(const char *path, const char *name, void *user) {
    (void)name, (void)user;
    return ts_dir_exists(path) && dir_has_voc_xml(path);
}

ts_status voc_find_layout(voc_reader *r, const char *path) {
    ts_status s;
    if (ts_file_exists(path)) { /* one annotation file */
        if (!(r->root = ts_path_dirname(path))) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        if ((s = add_group(r, "", "", NULL)) != TS_OK) return s;
        const char *base = ts_path_basename(path);
        return add_item(r, 0, base, voc_stem_len(base), base, NULL, NULL, 0);
    }
    if (!(r->root = strdup(path))) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    char *ann = find_subdir(path, ann_dir_names, 4);
    if (ann) { /* VOCdevkit style: Annotations/, JPEGImages/, ImageSets/ */
        char *img = find_subdir(path, img_dir_names, 4);
        s = add_group(r, ann, img ? img : "JPEGImages", NULL);
        free(ann), free(img);
        if (s == TS_OK) s = group_candidates(r, 0, 0);
        if (s == TS_OK) s = read_image_sets(r);
        return s;
    }
    /* XML next to the images, in the directory or its split subdirectories */
    if ((s = add_group(r, "", "", NULL)) != TS_OK || (s = group_candidates(r, 0, 0)) != TS_OK) return s;
    char **names = NULL;
    size_t n = 0;
    if ((s = ts_dir_list(r->ctx, path, &names, &n)) != TS_OK) return s;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        char *sub = ts_path_join(path, names[i]);
        if (!sub) s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        else if (ts_dir_exists(sub) && dir_has_voc_xml(sub)) {
            s = add_group(r, names[i], names[i], names[i]);
            if (s == TS_OK) s = group_candidates(r, r->n_groups - 1, 0);
        }
        free(sub);
    }
    ts_strings_free(names, n);
    return s;
}

void voc_reader_free(voc_reader *r) {
    for (size_t i = 0; i < r->n_groups; i++) {
        free(r->groups[i].ann_dir), free(r->groups[i].img_dir);
        voc_dir_index_free(&r->groups[i].images);
    }
    free(r->groups);
    for (size_t i = 0; i < r->n_items; i++) item_free(&r->items[i]);
    free(r->items);
    for (size_t i = 0; i < r->n_labels; i++) free(r->labels[i].key), free(r->labels[i].cls), free(r->labels[i].file);
    free(r->labels);
    voc_labels_free(r->labelmap, r->n_labelmap);
    free(r->objects);
    free(r->root);
}

int voc_detect(const char *path) {
    if (ts_file_exists(path)) return ts_ends_with_nocase(path, ".xml") && xml_sniff_root(path, "annotation") ? 80 : 0;
    if (!ts_dir_exists(path)) return 0;
    for (size_t i = 0; i < 4; i++) {
        char *p = ts_path_join(path, ann_dir_names[i]);
        int hit = p && ts_dir_exists(p) && dir_has_voc_xml(p);
        free(p);
        if (hit) return 90;
    }
    if (dir_has_voc_xml(path)) return 60;
    return ts_dir_any(path, is_split_dir_of_voc_xml, NULL) ? 50 : 0;
}
