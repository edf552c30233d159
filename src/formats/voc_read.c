/* Pascal VOC reader: Annotations/<image>.xml (or XML files next to their images,
 * as Roboflow and Kaggle ship them), ImageSets split and per-class lists,
 * Datumaro's labelmap.txt; segmentation PNGs are read in voc_mask.c. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/voc_internal.h"
#include "formats/xml_internal.h"

/* ---- items: one per image ------------------------------------------------------------ */

typedef struct {
    char *ann_dir; /* relative to the root ("" = the root itself) */
    char *img_dir;
    const char *split; /* split of the group's images (a subdirectory's name), or NULL */
    voc_dir_index images;
} voc_group;

typedef struct {
    char *key;   /* lower-case group-relative stem: identity and order */
    char *stem;  /* as written */
    char *xml;   /* the annotation file (relative to the root), or NULL */
    char *image; /* an image file of that stem seen in the listing, or NULL */
    char *split; /* from ImageSets, or NULL */
    int split_rank;
    size_t group;
    int64_t id;
} voc_item;

typedef struct {
    char *key, *cls;
    int value; /* 1 present, 0 difficult */
    uint64_t line;
    char *file;
} voc_class_label;

typedef struct {
    ts_ctx *ctx;
    const ts_read_opts *opts;
    ts_dataset *ds;
    char *root;
    voc_group *groups;
    size_t n_groups, cap_groups;
    voc_item *items;
    size_t n_items, cap_items;
    voc_class_label *labels;
    size_t n_labels, cap_labels;
    voc_label *labelmap;
    size_t n_labelmap;
    int64_t next_ann;
    int masks; /* SegmentationClass/ or SegmentationObject/ exists */
    int64_t *objects;
    size_t n_objects, cap_objects;
} voc_reader;

/* In lenient mode a per-record error becomes a warning and the record is
 * skipped (returns TS_OK); otherwise the error stands. */
static ts_status soften(voc_reader *r, ts_status s) {
    if (s == TS_OK || s == TS_ERR_NOMEM || s == TS_ERR_CANCELLED || !ts_ctx_lenient(r->ctx)) return s;
    ts_warn(r->ctx, "%s (skipped)", ts_ctx_error(r->ctx));
    ts_ctx_clear_error(r->ctx);
    return TS_OK;
}

static char *rel_join(const char *dir, const char *name) {
    return *dir ? ts_path_join(dir, name) : strdup(name);
}

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
    char *rel = st ? rel_join(g->ann_dir, st) : NULL;
    it->stem = st;
    it->key = rel ? voc_lower_dup(r->ctx, rel, strlen(rel)) : NULL;
    free(rel);
    it->xml = xml ? rel_join(g->ann_dir, xml) : NULL;
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
static void merge_items(voc_reader *r) {
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

static voc_item *find_item(voc_reader *r, const char *key) {
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
    return soften(r, s);
}

static ts_status on_class_line(voc_reader *r, const list_file *f, void *user, uint64_t line, const char *a,
                               size_t an, const char *b, size_t bn) {
    const char *cls = user;
    char *stem = NULL;
    double v = 0;
    char val[16] = "";
    if (bn && bn < sizeof val) memcpy(val, b, bn);
    if (!bn || bn >= sizeof val || !xml_scan_double(val, &v) || (v != 1 && v != 0 && v != -1))
        return soften(r, ts_error_at(r->ctx, TS_ERR_INVALID, f->path, line, (uint64_t)(b - a) + 1,
                                     "expected 1, 0 or -1 after the image name"));
    if (v < 0) return TS_OK;
    ts_status s = check_stem(r, f, line, a, an, &stem);
    if (s != TS_OK) return soften(r, s);
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
    char *rel = rel_join(r->groups[0].ann_dir, stem);
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

static int dir_has_voc_xml(const char *dir) {
    char **names = NULL;
    size_t n = 0;
    int found = 0;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && !found; i++) {
        if (!ts_ends_with_nocase(names[i], ".xml")) continue;
        char *p = ts_path_join(dir, names[i]);
        found = p && xml_sniff_root(p, "annotation");
        free(p);
    }
    ts_strings_free(names, n);
    return found;
}

static ts_status find_layout(voc_reader *r, const char *path) {
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

/* ---- one annotation file -------------------------------------------------------------- */

static ts_status add_attr(voc_reader *r, ts_attr **attrs, size_t *n, size_t *cap, const char *key,
                          const char *value, ts_attr_type type) {
    ts_status s = ts_grow(r->ctx, (void **)attrs, cap, *n + 1, sizeof **attrs);
    if (s != TS_OK) return s;
    (*attrs)[*n].key = key;
    (*attrs)[*n].value = value;
    (*attrs)[*n].type = type;
    (*n)++;
    return TS_OK;
}

/* Datumaro's <attributes><attribute><name/><value/></attribute></attributes>. */
static ts_status object_attributes(voc_reader *r, const char *file, const xml_node *obj, ts_attr **attrs,
                                   size_t *n, size_t *cap) {
    ts_status s = TS_OK;
    const xml_node *act = xml_child(obj, "actions");
    for (const xml_node *a = act ? act->first_child : NULL; a && s == TS_OK; a = a->next) {
        int v;
        if ((s = xml_bool(r->ctx, file, a, a->name, a->text, &v)) == TS_OK)
            s = add_attr(r, attrs, n, cap, a->name, v ? "true" : "false", TS_ATTR_BOOL);
    }
    const xml_node *list = xml_child(obj, "attributes");
    for (const xml_node *a = list ? xml_child(list, "attribute") : NULL; a && s == TS_OK;
         a = xml_next(a, "attribute")) {
        const char *name = xml_child_text(a, "name"), *value = xml_child_text(a, "value");
        if (!name || !*name) {
            s = xml_error(r->ctx, TS_ERR_INVALID, file, a, "<attribute> without a <name>");
            break;
        }
        if (!value) value = "";
        double d;
        ts_attr_type type = TS_ATTR_STRING;
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
            type = TS_ATTR_BOOL;
        else if (xml_scan_double(value, &d))
            type = TS_ATTR_NUMBER;
        s = add_attr(r, attrs, n, cap, name, value, type);
    }
    return s;
}

/* One <object> (or <part>, with part_of = its parent's annotation id). */
static ts_status read_object(voc_reader *r, const char *file, const xml_node *obj, int64_t image_id,
                             int64_t part_of) {
    ts_ctx *ctx = r->ctx;
    const char *name = xml_child_text(obj, "name");
    if (!name || !*name) return xml_error(ctx, TS_ERR_INVALID, file, obj, "<%s> without a <name>", obj->name);
    const xml_node *box = xml_child(obj, "bndbox");
    if (!box) return xml_error(ctx, TS_ERR_INVALID, file, obj, "<%s> \"%s\" without a <bndbox>", obj->name, name);
    static const char *const corner[4] = {"xmin", "ymin", "xmax", "ymax"};
    double c[4];
    ts_status s = TS_OK;
    for (int i = 0; i < 4 && s == TS_OK; i++) {
        const xml_node *n = xml_child(box, corner[i]);
        if (!n) return xml_error(ctx, TS_ERR_INVALID, file, box, "<bndbox> without <%s>", corner[i]);
        s = xml_number(ctx, file, n, corner[i], n->text, &c[i]);
    }
    if (s != TS_OK) return s;
    ts_annotation a = ts_annotation_empty();
    a.bbox[0] = c[0] - 1;
    a.bbox[1] = c[1] - 1;
    a.bbox[2] = c[2] - c[0] + 1;
    a.bbox[3] = c[3] - c[1] + 1;
    if (a.bbox[2] < 0 || a.bbox[3] < 0)
        return xml_error(ctx, TS_ERR_INVALID, file, box, "<bndbox> of \"%s\" has xmax < xmin - 1 or ymax < ymin - 1",
                         name);
    static const char *const flag_names[3] = {"difficult", "truncated", "occluded"};
    static const uint32_t flag_bits[3] = {TS_ANN_DIFFICULT, TS_ANN_TRUNCATED, TS_ANN_OCCLUDED};
    a.flags = TS_ANN_HAS_BOX;
    for (int i = 0; i < 3; i++) {
        const xml_node *n = xml_child(obj, flag_names[i]);
        int v = 0;
        if (n && *n->text && (s = xml_bool(ctx, file, n, flag_names[i], n->text, &v)) != TS_OK) return s;
        if (v) a.flags |= flag_bits[i];
    }
    ts_attr *attrs = NULL;
    size_t n_attrs = 0, cap = 0;
    char parent[24];
    const char *pose = xml_child_text(obj, "pose");
    if (pose && *pose) s = add_attr(r, &attrs, &n_attrs, &cap, "pose", pose, TS_ATTR_STRING);
    if (s == TS_OK && part_of != TS_NO_ID) {
        snprintf(parent, sizeof parent, "%lld", (long long)part_of);
        s = add_attr(r, &attrs, &n_attrs, &cap, "part_of", parent, TS_ATTR_NUMBER);
    }
    if (s == TS_OK) s = object_attributes(r, file, obj, &attrs, &n_attrs, &cap);
    if (s == TS_OK) s = voc_category_for(ctx, r->ds, name, &a.category_id);
    if (s == TS_OK) {
        a.id = r->next_ann;
        a.image_id = image_id;
        a.kind = TS_ANN_BOX;
        a.area = a.bbox[2] * a.bbox[3];
        a.attrs = attrs;
        a.n_attrs = (uint32_t)n_attrs;
        s = ts_dataset_add_annotation(ctx, r->ds, &a, NULL);
    }
    free(attrs);
    if (s != TS_OK) return s;
    r->next_ann++;
    if (part_of == TS_NO_ID && r->masks) {
        s = ts_grow(ctx, (void **)&r->objects, &r->cap_objects, r->n_objects + 1, sizeof *r->objects);
        if (s != TS_OK) return s;
        r->objects[r->n_objects++] = a.id;
    }
    for (const xml_node *p = xml_child(obj, "part"); p && s == TS_OK; p = xml_next(p, "part"))
        s = soften(r, read_object(r, file, p, image_id, a.id));
    return s;
}

/* The image file an annotation names: its <filename> in the group's image
 * directory (any case, or any image extension when it has none), else the
 * annotation's own stem. *found says whether the file exists. */
static char *resolve_image(voc_reader *r, voc_item *it, const char *filename, int *found) {
    voc_group *g = &r->groups[it->group];
    voc_dir_entry *e = NULL;
    *found = 1;
    if (filename && *filename) {
        if (strchr(filename, '/')) {
            char *rel = rel_join(g->img_dir, filename), *full = rel ? ts_path_join(r->root, rel) : NULL;
            int exists = full && ts_file_exists(full);
            free(full);
            if (exists || !rel) return rel;
            free(rel);
        }
        e = voc_dir_index_find(r->ctx, &g->images, filename, 0);
        if (!e && !voc_is_image_name(filename)) e = voc_dir_index_find(r->ctx, &g->images, filename, 1);
    }
    if (!e && it->image) e = voc_dir_index_find(r->ctx, &g->images, it->image, 0);
    if (!e) e = voc_dir_index_find(r->ctx, &g->images, it->stem, 1);
    if (e) return rel_join(g->img_dir, e->name);
    *found = 0;
    if (filename && *filename) return rel_join(g->img_dir, filename);
    ts_buf b = {0};
    if (ts_buf_printf(&b, "%s.jpg", it->stem) != TS_OK) return NULL;
    char *rel = rel_join(g->img_dir, b.data);
    ts_buf_free(&b);
    return rel;
}

static ts_status read_size(voc_reader *r, const char *file, const xml_node *ann, int32_t *w, int32_t *h) {
    const xml_node *size = ann ? xml_child(ann, "size") : NULL;
    if (!size) return TS_OK;
    const xml_node *nw = xml_child(size, "width"), *nh = xml_child(size, "height");
    int64_t vw = 0, vh = 0;
    ts_status s = TS_OK;
    if (nw && *nw->text) s = xml_int(r->ctx, file, nw, "<width>", nw->text, 0, INT32_MAX, &vw);
    if (s == TS_OK && nh && *nh->text) s = xml_int(r->ctx, file, nh, "<height>", nh->text, 0, INT32_MAX, &vh);
    if (s == TS_OK && vw > 0 && vh > 0) {
        ts_buf where = {0};
        ts_buf_printf(&where, "%s:%llu:%llu", file, (unsigned long long)size->line, (unsigned long long)size->col);
        s = ts_image_check_size(r->ctx, (uint64_t)vw, (uint64_t)vh, where.data ? where.data : file);
        ts_buf_free(&where);
    }
    if (s == TS_OK) *w = (int32_t)vw, *h = (int32_t)vh;
    return s;
}

static ts_status read_item(voc_reader *r, voc_item *it) {
    ts_ctx *ctx = r->ctx;
    char *file = it->xml ? ts_path_join(r->root, it->xml) : NULL;
    xml_doc *doc = NULL;
    const xml_node *ann = NULL;
    ts_status s = TS_OK;
    if (it->xml && !file) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (file) {
        s = xml_parse_file(ctx, file, file, &doc);
        if (s == TS_OK && strcmp((ann = xml_doc_root(doc))->name, "annotation") != 0)
            s = xml_error(ctx, TS_ERR_PARSE, file, ann, "expected <annotation> as the root element, found <%s>",
                          ann->name);
        if (s != TS_OK) {
            xml_doc_free(doc);
            free(file);
            return s;
        }
    }
    const xml_node *fn = ann ? xml_child(ann, "filename") : NULL;
    if (fn && *fn->text) {
        ts_buf where = {0};
        ts_buf_printf(&where, "%s:%llu:%llu", file, (unsigned long long)fn->line, (unsigned long long)fn->col);
        s = ts_path_check_relative(ctx, fn->text, where.data ? where.data : file);
        ts_buf_free(&where);
    }
    int found = 0;
    char *path = NULL;
    ts_image_entry e = ts_image_entry_empty();
    if (s == TS_OK) s = read_size(r, file, ann, &e.width, &e.height);
    if (s == TS_OK && !(path = resolve_image(r, it, fn ? fn->text : NULL, &found)))
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK && found && (e.width <= 0 || e.height <= 0) && !(r->opts->flags & TS_READ_NO_PROBE)) {
        char *full = ts_path_join(r->root, path);
        ts_image_header hdr;
        if (full && ts_image_probe_file(ctx, full, &hdr) == TS_OK) {
            e.width = hdr.width;
            e.height = hdr.height;
        } else if (full) {
            ts_warn(ctx, "%s: size unknown: %s", full, ts_ctx_error(ctx));
            ts_ctx_clear_error(ctx);
        }
        free(full);
    }
    if (s == TS_OK) {
        e.id = it->id;
        e.path = path;
        e.split = it->split ? it->split : r->groups[it->group].split;
        if (!e.split) e.split = r->opts->split ? r->opts->split : "";
        e.source = file ? file : "";
        s = ts_dataset_add_image(ctx, r->ds, &e, NULL);
    }
    free(path);
    r->n_objects = 0;
    for (const xml_node *o = ann ? xml_child(ann, "object") : NULL; o && s == TS_OK; o = xml_next(o, "object"))
        s = soften(r, read_object(r, file, o, it->id, TS_NO_ID));
    if (s == TS_OK && r->masks) {
        char *cls = NULL, *obj = NULL;
        ts_buf b = {0};
        if (ts_buf_printf(&b, "SegmentationClass/%s.png", it->stem) == TS_OK) cls = ts_path_join(r->root, b.data);
        b.len = 0;
        if (ts_buf_printf(&b, "SegmentationObject/%s.png", it->stem) == TS_OK) obj = ts_path_join(r->root, b.data);
        ts_buf_free(&b);
        if (!cls || !obj)
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        else
            s = soften(r, voc_read_masks(ctx, r->ds, ts_file_exists(cls) ? cls : NULL,
                                         ts_file_exists(obj) ? obj : NULL, r->n_labelmap ? r->labelmap : NULL,
                                         r->n_labelmap, it->id, r->objects, r->n_objects, &r->next_ann));
        free(cls), free(obj);
    }
    xml_doc_free(doc);
    free(file);
    return s;
}

/* ---- the dataset ---------------------------------------------------------------------------- */

static ts_status read_labelmap(voc_reader *r) {
    char *path = ts_path_join(r->root, "labelmap.txt");
    if (!path) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = TS_OK;
    if (ts_file_exists(path)) {
        uint8_t *text = NULL;
        size_t len = 0;
        s = ts_file_read(r->ctx, path, &text, &len);
        if (s == TS_OK) s = voc_labelmap_parse(r->ctx, path, (const char *)text, len, &r->labelmap, &r->n_labelmap);
        free(text);
    }
    free(path);
    /* labelmap order gives the category ids 1..n */
    for (size_t i = 0; i < r->n_labelmap && s == TS_OK; i++) {
        const voc_label *l = &r->labelmap[i];
        char color[16];
        ts_attr attrs[3];
        uint32_t n = 0;
        if (l->has_color) {
            snprintf(color, sizeof color, "%u,%u,%u", l->rgb[0], l->rgb[1], l->rgb[2]);
            attrs[n++] = (ts_attr){"color", color, TS_ATTR_STRING};
        }
        if (*l->parts) attrs[n++] = (ts_attr){"parts", l->parts, TS_ATTR_STRING};
        if (*l->actions) attrs[n++] = (ts_attr){"actions", l->actions, TS_ATTR_STRING};
        size_t index;
        if (ts_dataset_find_category_name(r->ds, l->name, &index)) continue;
        ts_category c = ts_category_empty();
        c.id = (int64_t)ts_dataset_category_count(r->ds) + 1;
        c.name = l->name;
        c.attrs = attrs;
        c.n_attrs = n;
        s = ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
    }
    return s;
}

/* Image-level labels from the per-class lists, after the objects. */
static ts_status add_class_labels(voc_reader *r) {
    ts_status s = TS_OK;
    for (size_t i = 0; i < r->n_labels && s == TS_OK; i++) {
        const voc_class_label *l = &r->labels[i];
        voc_item *it = find_item(r, l->key);
        ts_annotation a = ts_annotation_empty();
        if (!it) {
            s = ts_error_at(r->ctx, TS_ERR_NOT_FOUND, l->file, l->line, 1, "unknown image");
            break;
        }
        if (it->id == TS_NO_ID) continue; /* skipped in lenient mode */
        if ((s = voc_category_for(r->ctx, r->ds, l->cls, &a.category_id)) != TS_OK) break;
        a.id = r->next_ann++;
        a.image_id = it->id;
        a.kind = TS_ANN_LABEL;
        if (l->value == 0) a.flags |= TS_ANN_DIFFICULT;
        s = ts_dataset_add_annotation(r->ctx, r->ds, &a, NULL);
    }
    return s;
}

static void reader_free(voc_reader *r) {
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

static ts_status voc_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    voc_reader r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opts = opts;
    r.next_ann = 1;
    ts_status s = ts_dataset_create(ctx, &r.ds);
    if (s != TS_OK) return s;
    if (!ts_file_exists(path) && !ts_dir_exists(path))
        s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no such file or directory", path);
    if (s == TS_OK) s = find_layout(&r, path);
    if (s == TS_OK) s = read_labelmap(&r);
    if (s == TS_OK) {
        char *c = ts_path_join(r.root, "SegmentationClass"), *o = ts_path_join(r.root, "SegmentationObject");
        r.masks = (c && ts_dir_exists(c)) || (o && ts_dir_exists(o));
        free(c), free(o);
        merge_items(&r);
    }
    for (size_t i = 0; i < r.n_items && s == TS_OK; i++) {
        r.items[i].id = (int64_t)i + 1;
        s = soften(&r, read_item(&r, &r.items[i]));
        if (s == TS_OK && !ts_dataset_find_image(r.ds, r.items[i].id, &(size_t){0})) r.items[i].id = TS_NO_ID;
        if (s == TS_OK && (i % 256 == 255 || i + 1 == r.n_items)) s = ts_progress(ctx, "reading VOC", i + 1, r.n_items);
    }
    if (s == TS_OK) s = add_class_labels(&r);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, r.ds, r.root);
    if (s == TS_OK && r.n_items == 0) s = ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no VOC annotation files or images", path);
    reader_free(&r);
    if (s != TS_OK) {
        ts_dataset_destroy(r.ds);
        return s;
    }
    *out = r.ds;
    return TS_OK;
}

static int voc_detect(const char *path) {
    if (ts_file_exists(path)) return ts_ends_with_nocase(path, ".xml") && xml_sniff_root(path, "annotation") ? 80 : 0;
    if (!ts_dir_exists(path)) return 0;
    for (size_t i = 0; i < 4; i++) {
        char *p = ts_path_join(path, ann_dir_names[i]);
        int hit = p && ts_dir_exists(p) && dir_has_voc_xml(p);
        free(p);
        if (hit) return 90;
    }
    if (dir_has_voc_xml(path)) return 60;
    char **names = NULL;
    size_t n = 0;
    int score = 0;
    if (ts_dir_list(NULL, path, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && !score; i++) {
        char *sub = ts_path_join(path, names[i]);
        if (sub && ts_dir_exists(sub) && dir_has_voc_xml(sub)) score = 50;
        free(sub);
    }
    ts_strings_free(names, n);
    return score;
}

const ts_format ts_format_voc = {"voc", "Pascal VOC XML (Annotations/, ImageSets/, segmentation PNGs)", voc_detect,
                                 voc_read, voc_write};
