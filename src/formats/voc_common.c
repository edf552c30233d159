/* Pascal VOC pieces shared by reader and writer: the class list and palette,
 * labelmap.txt, category lookup, and a case-insensitive image listing. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "formats/voc_internal.h"

const char *const voc_class_names[VOC_N_CLASSES] = {
    "background", "aeroplane", "bicycle", "bird",  "boat",        "bottle", "bus",
    "car",        "cat",       "chair",   "cow",   "diningtable", "dog",    "horse",
    "motorbike",  "person",    "pottedplant", "sheep", "sofa",    "train",  "tvmonitor"};

const char *const voc_action_names[VOC_N_ACTIONS] = {"jumping",    "phoning",     "playinginstrument",
                                                     "reading",    "ridingbike",  "ridinghorse",
                                                     "running",    "takingphoto", "usingcomputer",
                                                     "walking",    "other"};

void voc_colormap(unsigned index, uint8_t rgb[3]) {
    unsigned r = 0, g = 0, b = 0, c = index;
    for (int j = 0; j < 8; j++) {
        r |= (c & 1u) << (7 - j);
        g |= ((c >> 1) & 1u) << (7 - j);
        b |= ((c >> 2) & 1u) << (7 - j);
        c >>= 3;
    }
    rgb[0] = (uint8_t)r, rgb[1] = (uint8_t)g, rgb[2] = (uint8_t)b;
}

int voc_colormap_index(const uint8_t rgb[3]) {
    unsigned c = 0;
    for (int j = 0; j < 8; j++) {
        int bit = 7 - j;
        c |= ((rgb[0] >> bit) & 1u) << (3 * j);
        c |= ((rgb[1] >> bit) & 1u) << (3 * j + 1);
        c |= ((rgb[2] >> bit) & 1u) << (3 * j + 2);
    }
    return c < 256 ? (int)c : -1;
}

int voc_list_has(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int voc_is_image_name(const char *name) {
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (ts_ends_with_nocase(name, exts[i])) return 1;
    return 0;
}

/* ---- labelmap.txt --------------------------------------------------------------- */

void voc_labels_free(voc_label *labels, size_t count) {
    for (size_t i = 0; labels && i < count; i++) {
        free(labels[i].name);
        free(labels[i].parts);
        free(labels[i].actions);
    }
    free(labels);
}

static int parse_rgb(const char *s, size_t len, uint8_t rgb[3]) {
    int v[3] = {0, 0, 0}, k = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            v[k] = v[k] * 10 + (c - '0');
            if (v[k] > 255) return 0;
            digits++;
        } else if (c == ',' && digits && k < 2) {
            k++, digits = 0;
        } else if (c != ' ') {
            return 0;
        }
    }
    if (k != 2 || !digits) return 0;
    rgb[0] = (uint8_t)v[0], rgb[1] = (uint8_t)v[1], rgb[2] = (uint8_t)v[2];
    return 1;
}

ts_status voc_labelmap_parse(ts_ctx *ctx, const char *file, const char *text, size_t len, voc_label **labels,
                             size_t *count) {
    voc_label *out = NULL;
    size_t n = 0, cap = 0;
    ts_status s = TS_OK;
    uint64_t line = 0;
    for (size_t pos = 0; pos < len && s == TS_OK;) {
        size_t start = pos, end = pos;
        while (end < len && text[end] != '\n') end++;
        size_t e = end;
        line++;
        while (e > pos && (text[e - 1] == '\r' || text[e - 1] == ' ' || text[e - 1] == '\t')) e--;
        size_t b = pos;
        while (b < e && (text[b] == ' ' || text[b] == '\t')) b++;
        pos = end + 1;
        if (b == e || text[b] == '#') continue;
        /* name:color:parts:actions, later fields optional */
        const char *field[4] = {NULL, NULL, NULL, NULL};
        size_t flen[4] = {0, 0, 0, 0};
        int k = 0;
        field[0] = text + b;
        for (size_t i = b; i < e; i++) {
            if (text[i] == ':' && k < 3) {
                flen[k] = (size_t)(text + i - field[k]);
                field[++k] = text + i + 1;
            }
        }
        flen[k] = (size_t)(text + e - field[k]);
        if (flen[0] == 0) {
            s = ts_error_at(ctx, TS_ERR_INVALID, file, line, 1, "empty label name");
            break;
        }
        if ((s = ts_grow(ctx, (void **)&out, &cap, n + 1, sizeof *out)) != TS_OK) break;
        voc_label *l = &out[n];
        memset(l, 0, sizeof *l);
        n++;
        if (flen[1] && !(l->has_color = parse_rgb(field[1], flen[1], l->rgb))) {
            s = ts_error_at(ctx, TS_ERR_INVALID, file, line, (uint64_t)(field[1] - (text + start)) + 1,
                            "expected a colour r,g,b with values 0..255");
            break;
        }
        l->name = ts_strndup(ctx, field[0], flen[0]);
        l->parts = ts_strndup(ctx, field[2] ? field[2] : "", flen[2]);
        l->actions = ts_strndup(ctx, field[3] ? field[3] : "", flen[3]);
        if (!l->name || !l->parts || !l->actions) s = TS_ERR_NOMEM;
    }
    if (s != TS_OK) {
        voc_labels_free(out, n);
        return s;
    }
    *labels = out;
    *count = n;
    return TS_OK;
}

ts_status voc_category_for(ts_ctx *ctx, ts_dataset *ds, const char *name, int64_t *id) {
    size_t index;
    if (ts_dataset_find_category_name(ds, name, &index)) {
        *id = ts_dataset_category_id(ds, index);
        return TS_OK;
    }
    ts_category c = ts_category_empty();
    c.id = ts_dataset_next_category_id(ds);
    if (c.id < 1) c.id = 1;
    c.name = name;
    ts_status s = ts_dataset_add_category(ctx, ds, &c, NULL);
    if (s == TS_OK) *id = c.id;
    return s;
}

/* ---- directory listings with case-insensitive lookup ------------------------------ */

char *voc_lower_dup(ts_ctx *ctx, const char *s, size_t n) {
    char *d = ts_strndup(ctx, s, n);
    if (d)
        for (char *p = d; *p; p++) *p = (char)tolower((unsigned char)*p);
    return d;
}

size_t voc_stem_len(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

static int cmp_stem(const char *a, size_t an, const char *b, size_t bn) {
    size_t n = an < bn ? an : bn;
    int c = memcmp(a, b, n);
    return c ? c : (an > bn) - (an < bn);
}

static int cmp_entry(const void *pa, const void *pb) {
    const voc_dir_entry *a = pa, *b = pb;
    int c = cmp_stem(a->lower, a->stem, b->lower, b->stem);
    if (!c) c = strcmp(a->lower, b->lower);
    return c ? c : strcmp(a->name, b->name);
}

void voc_dir_index_free(voc_dir_index *d) {
    for (size_t i = 0; i < d->n; i++) free(d->e[i].name), free(d->e[i].lower);
    free(d->e);
    memset(d, 0, sizeof *d);
}

/* List the images and XML files of `dir` (missing: empty). */
ts_status voc_dir_index_build(ts_ctx *ctx, const char *dir, voc_dir_index *out) {
    memset(out, 0, sizeof *out);
    if (!ts_dir_exists(dir)) return TS_OK;
    char **names = NULL;
    size_t n = 0;
    ts_status s = ts_dir_list(ctx, dir, &names, &n);
    if (s != TS_OK) return s;
    if (n && !(out->e = ts_calloc_array(ctx, n, sizeof *out->e))) s = TS_ERR_NOMEM;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        if (!voc_is_image_name(names[i]) && !ts_ends_with_nocase(names[i], ".xml")) continue;
        voc_dir_entry *e = &out->e[out->n];
        e->name = names[i];
        names[i] = NULL;
        if (!(e->lower = voc_lower_dup(ctx, e->name, strlen(e->name)))) {
            free(e->name);
            s = TS_ERR_NOMEM;
            break;
        }
        e->stem = voc_stem_len(e->name);
        out->n++;
    }
    ts_strings_free(names, n);
    if (s != TS_OK) {
        voc_dir_index_free(out);
        return s;
    }
    if (out->n > 1) qsort(out->e, out->n, sizeof *out->e, cmp_entry);
    return TS_OK;
}

/* First entry whose lower-case stem is `lower_stem`, or d->n. */
static size_t voc_dir_index_lower_bound(const voc_dir_index *d, const char *lower_stem, size_t n) {
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_stem(d->e[mid].lower, d->e[mid].stem, lower_stem, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* An image named `name` (exact, else any case), or with stem `name` when
 * by_stem is set (exact case preferred). NULL when none. */
voc_dir_entry *voc_dir_index_find(ts_ctx *ctx, voc_dir_index *d, const char *name, int by_stem) {
    size_t len = strlen(name);
    size_t sl = by_stem ? len : voc_stem_len(name);
    char *lower = voc_lower_dup(ctx, name, len);
    if (!lower) return NULL;
    voc_dir_entry *best = NULL;
    for (size_t i = voc_dir_index_lower_bound(d, lower, sl); i < d->n; i++) {
        voc_dir_entry *e = &d->e[i];
        if (cmp_stem(e->lower, e->stem, lower, sl) != 0) break;
        if (!voc_is_image_name(e->name)) continue;
        int exact = by_stem ? strncmp(e->name, name, sl) == 0 : strcmp(e->name, name) == 0;
        int match = by_stem || strcmp(e->lower, lower) == 0;
        if (match && exact) {
            best = e;
            break;
        }
        if (match && !best) best = e;
    }
    free(lower);
    return best;
}

