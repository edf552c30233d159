/* WebDataset: tar shards (read and written through libarchive) whose members
 * are grouped into samples by key (the member name up to the first dot of
 * its last component): one image (.jpg/.png/.webp) plus annotations in
 * .json (COCO-style per sample), .cls (class id) or .txt (class name).
 *
 * Image bytes are not held: in an uncompressed shard each image member is
 * served by pread at its offset, checked against the bytes seen while
 * scanning. Compressed shards (.tar.gz) cannot be seeked, so their image
 * members are kept in memory, bounded by the context's max_file_bytes.
 * The writer is wds_write.c. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/wds_internal.h"
#include "trainset/json.h"

#define VERIFY_WINDOW 4096
#define MAX_HEADER_BLOCKS 64

/* ---- the pixel source -------------------------------------------------------- */

typedef struct {
    uint32_t shard;
    uint64_t offset; /* in the shard file, when data is NULL */
    uint64_t len;
    uint8_t *data;   /* held bytes (compressed shards) */
} wds_member;

typedef struct {
    char **shards;
    size_t n_shards;
    wds_member *members;
    size_t n_members, cap_members;
    uint64_t held_bytes;
} wds_pixels;

static void pixels_destroy(void *user) {
    wds_pixels *px = user;
    if (!px) return;
    for (size_t i = 0; i < px->n_members; i++) free(px->members[i].data);
    free(px->members);
    ts_strings_free(px->shards, px->n_shards);
    free(px);
}

static ts_status pread_all(ts_ctx *ctx, const char *path, uint64_t offset, uint8_t *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ts_error(ctx, TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (got < len) return ts_error(ctx, TS_ERR_CORRUPT, "%s: member at offset %llu cut short (shard changed?)", path,
                                   (unsigned long long)offset);
    return TS_OK;
}

static ts_status pixels_bytes(void *user, ts_ctx *ctx, uint64_t key, uint8_t **data, size_t *len) {
    wds_pixels *px = user;
    if (key >= px->n_members) return ts_error(ctx, TS_ERR_NOT_FOUND, "tar member %llu out of range", (unsigned long long)key);
    const wds_member *m = &px->members[key];
    uint8_t *buf = ts_alloc_array(ctx, (size_t)m->len + 1, 1);
    if (!buf) return TS_ERR_NOMEM;
    ts_status s = TS_OK;
    if (m->data) memcpy(buf, m->data, (size_t)m->len);
    else s = pread_all(ctx, px->shards[m->shard], m->offset, buf, (size_t)m->len);
    if (s != TS_OK) {
        free(buf);
        return s;
    }
    *data = buf;
    *len = (size_t)m->len;
    return TS_OK;
}

static ts_status pixels_load(void *user, ts_ctx *ctx, uint64_t key, ts_image *out) {
    uint8_t *data;
    size_t len;
    ts_status s = pixels_bytes(user, ctx, key, &data, &len);
    if (s != TS_OK) return s;
    wds_pixels *px = user;
    s = ts_image_decode(ctx, px->shards[px->members[key].shard], data, len, NULL, out, NULL);
    free(data);
    return s;
}

/* ---- reading ------------------------------------------------------------------------ */

static int is_shard_name(const char *name) {
    return ts_ends_with_nocase(name, ".tar") || ts_ends_with_nocase(name, ".tar.gz") ||
           ts_ends_with_nocase(name, ".tgz");
}

static int wds_detect(const char *path) {
    if (ts_file_exists(path)) return is_shard_name(path) ? 90 : 0;
    if (!ts_dir_exists(path)) return 0;
    char **names;
    size_t n;
    if (ts_dir_list(NULL, path, &names, &n) != TS_OK) return 0;
    int score = 0;
    for (size_t i = 0; i < n; i++)
        if (is_shard_name(names[i])) score = 70;
    ts_strings_free(names, n);
    return score;
}

/* "train-000003.tar" -> "train"; "shard-…" and names without a numbered
 * suffix give no split. */
static char *split_of_shard(const char *path) {
    const char *base = ts_path_basename(path);
    size_t n = strcspn(base, ".");
    size_t d = n;
    while (d > 0 && isdigit((unsigned char)base[d - 1])) d--;
    if (d == n || d < 2 || (base[d - 1] != '-' && base[d - 1] != '_')) return strdup("");
    char *split = strndup(base, d - 1);
    if (split && strcmp(split, "shard") == 0) split[0] = 0;
    return split;
}

typedef struct {
    ts_ctx *ctx;
    ts_dataset *ds;
    wds_pixels *px;
    uint32_t origin;
    const ts_read_opts *opts;
    const char *shard; /* path, for messages */
    uint32_t shard_index;
    const char *split;
    /* the sample being gathered */
    ts_buf key;
    ts_strpool *keys; /* every key seen, to catch split samples */
    int64_t image_member; /* -1 when none yet */
    char *image_ext;
    uint8_t *image_head; /* first bytes, for probing */
    size_t image_head_len;
    ts_buf json, cls, txt;
    int has_json, has_cls, has_txt;
    uint64_t ignored, no_image, renumbered;
} wds_reader;

static void sample_reset(wds_reader *r) {
    r->key.len = 0;
    if (r->key.data) r->key.data[0] = 0;
    r->image_member = -1;
    free(r->image_ext);
    r->image_ext = NULL;
    free(r->image_head);
    r->image_head = NULL;
    r->image_head_len = 0;
    r->json.len = r->cls.len = r->txt.len = 0;
    r->has_json = r->has_cls = r->has_txt = 0;
}

static ts_status category_named(wds_reader *r, const char *name, int64_t *id) {
    size_t ci;
    if (ts_dataset_find_category_name(r->ds, name, &ci)) {
        *id = ts_dataset_category_id(r->ds, ci);
        return TS_OK;
    }
    ts_category c = ts_category_empty();
    c.id = ts_dataset_next_category_id(r->ds);
    if (c.id == 0) c.id = 1;
    c.name = name;
    *id = c.id;
    return ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
}

static ts_status category_by_id(wds_reader *r, int64_t id) {
    size_t ci;
    if (ts_dataset_find_category(r->ds, id, &ci)) return TS_OK;
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)id);
    ts_category c = ts_category_empty();
    c.id = id;
    c.name = num;
    return ts_dataset_add_category(r->ctx, r->ds, &c, NULL);
}

/* Attributes of a JSON object as trainset attributes (values kept as text). */
static ts_status json_attrs(ts_ctx *ctx, const ts_jvalue *obj, ts_attr **out, uint32_t *n, ts_buf *store) {
    *out = NULL;
    *n = 0;
    if (!obj || obj->type != TS_JOBJECT || !obj->u.obj.count) return TS_OK;
    ts_attr *attrs = ts_calloc_array(ctx, obj->u.obj.count, sizeof *attrs);
    size_t *offs = ts_calloc_array(ctx, obj->u.obj.count, sizeof *offs);
    if (!attrs || !offs) {
        free(attrs);
        free(offs);
        return TS_ERR_NOMEM;
    }
    store->len = 0;
    for (size_t i = 0; i < obj->u.obj.count; i++) {
        const ts_jvalue *v = &obj->u.obj.values[i];
        offs[i] = store->len;
        ts_status s = v->type == TS_JSTRING ? ts_buf_append(store, v->u.str.text, v->u.str.len) : ts_json_write(store, v);
        if (s == TS_OK) s = ts_buf_putc(store, 0);
        if (s != TS_OK) {
            free(attrs);
            free(offs);
            return TS_ERR_NOMEM;
        }
        attrs[i].key = obj->u.obj.keys[i];
        attrs[i].type = v->type == TS_JSTRING   ? TS_ATTR_STRING
                        : v->type == TS_JNUMBER ? TS_ATTR_NUMBER
                        : v->type == TS_JBOOL   ? TS_ATTR_BOOL
                                                : TS_ATTR_JSON;
    }
    for (size_t i = 0; i < obj->u.obj.count; i++) attrs[i].value = store->data + offs[i];
    free(offs);
    *out = attrs;
    *n = (uint32_t)obj->u.obj.count;
    return TS_OK;
}

/* Numbers of a JSON array into a malloc'd double array. */
static int json_numbers(const ts_jvalue *arr, double **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!arr || arr->type != TS_JARRAY) return 0;
    double *v = malloc((arr->u.arr.count ? arr->u.arr.count : 1) * sizeof *v);
    if (!v) return 0;
    for (size_t i = 0; i < arr->u.arr.count; i++) {
        if (arr->u.arr.items[i].type != TS_JNUMBER) {
            free(v);
            return 0;
        }
        v[i] = arr->u.arr.items[i].u.num.value;
    }
    *out = v;
    *n = arr->u.arr.count;
    return 1;
}

static ts_status bad_json(wds_reader *r, const ts_jvalue *at, const char *what) {
    return ts_error_at(r->ctx, TS_ERR_INVALID, r->shard, 0, 0, "%s.json:%u:%u: %s", r->key.data,
                       at ? (unsigned)at->line : 0, at ? (unsigned)at->col : 0, what);
}

/* One annotation object of a sample's JSON. */
static ts_status add_json_annotation(wds_reader *r, const ts_jvalue *a, int64_t image_id, ts_buf *store) {
    if (a->type != TS_JOBJECT) return bad_json(r, a, "expected an annotation object");
    ts_annotation ann = ts_annotation_empty();
    ann.image_id = image_id;
    size_t existing;
    /* per-sample files often number their annotations from 0 or 1 again */
    if (!ts_json_get_int(a, "id", &ann.id) || ts_dataset_find_annotation(r->ds, ann.id, &existing)) {
        if (ts_json_get(a, "id")) r->renumbered++;
        ann.id = ts_dataset_next_annotation_id(r->ds);
        if (ann.id == 0) ann.id = 1;
    }
    int64_t cat;
    const char *cname = ts_json_get_string(a, "category");
    ts_status s = TS_OK;
    if (ts_json_get_int(a, "category_id", &cat)) s = category_by_id(r, cat);
    else if (cname) s = category_named(r, cname, &cat);
    else return bad_json(r, a, "annotation without \"category_id\"");
    if (s != TS_OK) return s;
    ann.category_id = cat;
    double *v = NULL, *coords = NULL, *kps = NULL;
    uint32_t *rings = NULL, *rle = NULL;
    size_t n = 0;
    const ts_jvalue *bbox = ts_json_get(a, "bbox"), *seg = ts_json_get(a, "segmentation");
    if (bbox) {
        if (!json_numbers(bbox, &v, &n) || n != 4) {
            free(v);
            return bad_json(r, bbox, "\"bbox\" must be 4 numbers [x, y, w, h]");
        }
        memcpy(ann.bbox, v, sizeof ann.bbox);
        ann.flags |= TS_ANN_HAS_BOX;
        ann.kind = TS_ANN_BOX;
        free(v);
    }
    double num;
    int64_t iv;
    if (ts_json_get_number(a, "area", &ann.area)) ann.flags |= TS_ANN_HAS_AREA;
    if (ts_json_get_number(a, "score", &ann.score)) ann.flags |= TS_ANN_HAS_SCORE;
    if (ts_json_get_int(a, "iscrowd", &iv)) ann.iscrowd = iv != 0;
    if (ts_json_get_int(a, "flags", &iv)) ann.flags |= (uint32_t)iv & ~(uint32_t)(TS_ANN_HAS_BOX | TS_ANN_HAS_AREA | TS_ANN_HAS_SCORE);
    if (ts_json_get_int(a, "track_id", &iv)) ann.track_id = iv;
    if (ts_json_get_number(a, "frame", &num)) ann.frame = (int32_t)num;
    const char *annotator = ts_json_get_string(a, "annotator");
    if (annotator) ann.annotator = annotator;
    if (seg && seg->type == TS_JARRAY && seg->u.arr.count) {
        size_t total = 0;
        rings = ts_calloc_array(r->ctx, seg->u.arr.count, sizeof *rings);
        if (!rings) return TS_ERR_NOMEM;
        for (size_t i = 0; i < seg->u.arr.count; i++) {
            const ts_jvalue *ring = &seg->u.arr.items[i];
            if (ring->type != TS_JARRAY || ring->u.arr.count % 2 || ring->u.arr.count > UINT32_MAX) {
                free(rings);
                return bad_json(r, ring, "a polygon is a list of x, y numbers");
            }
            rings[i] = (uint32_t)ring->u.arr.count;
            total += ring->u.arr.count;
        }
        coords = ts_alloc_array(r->ctx, total ? total : 1, sizeof *coords);
        size_t k = 0;
        for (size_t i = 0; coords && i < seg->u.arr.count; i++)
            for (size_t j = 0; j < rings[i]; j++) {
                const ts_jvalue *x = &seg->u.arr.items[i].u.arr.items[j];
                if (x->type != TS_JNUMBER) {
                    free(rings);
                    free(coords);
                    return bad_json(r, x, "polygon coordinates must be numbers");
                }
                coords[k++] = x->u.num.value;
            }
        if (!coords) {
            free(rings);
            return TS_ERR_NOMEM;
        }
        ann.coords = coords;
        ann.ring_sizes = rings;
        ann.n_rings = (uint32_t)seg->u.arr.count;
        ann.kind = TS_ANN_POLYGON;
    } else if (seg && seg->type == TS_JOBJECT) {
        const char *counts = ts_json_get_string(seg, "counts");
        const ts_jvalue *size = ts_json_get(seg, "size");
        double *sz = NULL;
        size_t nsz = 0;
        if (!counts || !json_numbers(size, &sz, &nsz) || nsz != 2 || sz[0] < 0 || sz[1] < 0 || sz[0] > 1e9 ||
            sz[1] > 1e9) {
            free(sz);
            return bad_json(r, seg, "an RLE mask needs \"counts\" (string) and \"size\" [h, w]");
        }
        ann.mask_h = (uint32_t)sz[0], ann.mask_w = (uint32_t)sz[1];
        free(sz);
        s = ts_rle_from_string(r->ctx, counts, strlen(counts), &rle, &ann.rle_len);
        if (s != TS_OK) return s;
        ann.rle = rle;
        ann.kind = TS_ANN_MASK;
    }
    const ts_jvalue *kp = ts_json_get(a, "keypoints");
    if (kp) {
        if (!json_numbers(kp, &kps, &n) || n % 3 || n / 3 > UINT32_MAX) {
            free(kps), free(rings), free(coords), free(rle);
            return bad_json(r, kp, "\"keypoints\" must be x, y, visibility triples");
        }
        ann.keypoints = kps;
        ann.n_keypoints = (uint32_t)(n / 3);
        ann.kind = TS_ANN_KEYPOINTS;
    }
    const char *kind = ts_json_get_string(a, "kind");
    for (int k = 0; kind && k <= TS_ANN_POINTS; k++)
        if (strcmp(kind, ts_ann_kind_name((ts_ann_kind)k)) == 0) ann.kind = (ts_ann_kind)k;
    ts_attr *attrs = NULL;
    s = json_attrs(r->ctx, ts_json_get(a, "attributes"), &attrs, &ann.n_attrs, store);
    ann.attrs = attrs;
    if (s == TS_OK) s = ts_dataset_add_annotation(r->ctx, r->ds, &ann, NULL);
    free(attrs), free(kps), free(rings), free(coords), free(rle);
    return s;
}

/* ---- samples --------------------------------------------------------------------------- */

typedef struct {
    int width, height;
} probe_size;

static ts_status flush_sample(wds_reader *r, probe_size size) {
    if (!r->key.len) return TS_OK;
    if (r->image_member < 0) {
        if (r->has_json || r->has_cls || r->has_txt) r->no_image++;
        return TS_OK;
    }
    ts_ctx *ctx = r->ctx;
    ts_jvalue *root = NULL;
    ts_status s = TS_OK;
    if (r->has_json) {
        ts_buf name = {0};
        if (ts_buf_printf(&name, "%s:%s.json", r->shard, r->key.data) != TS_OK) return TS_ERR_NOMEM;
        s = ts_json_parse(ctx, name.data, r->json.data ? r->json.data : "", r->json.len, &root);
        ts_buf_free(&name);
        if (s == TS_OK && root->type != TS_JOBJECT) s = bad_json(r, root, "expected a JSON object");
    }
    ts_buf path = {0}, store = {0};
    if (s == TS_OK && ts_buf_printf(&path, "%s.%s", r->key.data, r->image_ext) != TS_OK) s = TS_ERR_NOMEM;
    /* keys are unique (scan_shard refuses a repeated one), so paths are */
    ts_image_entry e = ts_image_entry_empty();
    e.path = path.data;
    e.split = r->split[0] ? r->split : (r->opts && r->opts->split ? r->opts->split : "");
    e.source = r->shard;
    e.origin = r->origin;
    e.pixel_key = (uint64_t)r->image_member;
    e.width = size.width, e.height = size.height;
    int64_t id = TS_NO_ID, iv;
    size_t k;
    if (s == TS_OK && root) {
        if (ts_json_get_int(root, "image_id", &id) && ts_dataset_find_image(r->ds, id, &k)) {
            if (!ts_ctx_lenient(ctx))
                s = ts_error_at(ctx, TS_ERR_INVALID, r->shard, 0, 0, "%s.json: image_id %lld used twice", r->key.data,
                                (long long)id);
            else
                ts_warn(ctx, "%s: %s.json: image_id %lld used twice; given a new id", r->shard, r->key.data,
                        (long long)id);
            id = TS_NO_ID;
        }
        double d;
        if (ts_json_get_number(root, "width", &d) && d >= 0 && d < 2147483647.0) e.width = (int32_t)d;
        if (ts_json_get_number(root, "height", &d) && d >= 0 && d < 2147483647.0) e.height = (int32_t)d;
        const char *split = ts_json_get_string(root, "split");
        if (split) e.split = split;
        if (ts_json_get_int(root, "group_id", &iv)) e.group_id = iv;
        if (ts_json_get_int(root, "license", &iv)) e.license = iv;
        const char *src = ts_json_get_string(root, "source");
        if (src) e.source = src;
    }
    if (id == TS_NO_ID) {
        id = ts_dataset_next_image_id(r->ds);
        if (id == 0) id = 1;
    }
    e.id = id;
    ts_attr *attrs = NULL;
    if (s == TS_OK && root) s = json_attrs(ctx, ts_json_get(root, "attributes"), &attrs, &e.n_attrs, &store);
    e.attrs = attrs;
    if (s == TS_OK) s = ts_dataset_add_image(ctx, r->ds, &e, NULL);
    free(attrs);
    const ts_jvalue *anns = root ? ts_json_get(root, "annotations") : NULL;
    if (s == TS_OK && root) {
        const ts_jvalue *cats = ts_json_get(root, "categories");
        for (size_t i = 0; s == TS_OK && cats && cats->type == TS_JARRAY && i < cats->u.arr.count; i++) {
            const ts_jvalue *c = &cats->u.arr.items[i];
            ts_category cat = ts_category_empty();
            cat.name = ts_json_get_string(c, "name");
            if (!ts_json_get_int(c, "id", &cat.id) || !cat.name) {
                s = bad_json(r, c, "a category needs \"id\" and \"name\"");
                break;
            }
            const char *sc = ts_json_get_string(c, "supercategory");
            if (sc) cat.supercategory = sc;
            if (!ts_dataset_find_category(r->ds, cat.id, &k)) s = ts_dataset_add_category(ctx, r->ds, &cat, NULL);
        }
        if (anns && anns->type != TS_JARRAY) s = bad_json(r, anns, "\"annotations\" must be a list");
        for (size_t i = 0; s == TS_OK && anns && i < anns->u.arr.count; i++)
            s = add_json_annotation(r, &anns->u.arr.items[i], id, &store);
    } else if (s == TS_OK && (r->has_cls || r->has_txt)) {
        /* .cls holds a class id, .txt a class name (used when there is no .json) */
        ts_buf *t = r->has_cls ? &r->cls : &r->txt;
        const char *b = t->data ? t->data : "";
        size_t n = t->len;
        while (n && isspace((unsigned char)b[n - 1])) n--;
        while (n && isspace((unsigned char)*b)) b++, n--;
        char *text = ts_strndup(ctx, b, n);
        int64_t cat = 0;
        if (!text) {
            s = TS_ERR_NOMEM;
        } else if (r->has_cls) {
            char *end;
            errno = 0;
            long long v = strtoll(text, &end, 10);
            if (!n || *end || errno)
                s = ts_error_at(ctx, TS_ERR_INVALID, r->shard, 0, 0, "%s.cls: expected a class id, found \"%.40s\"",
                                r->key.data, text);
            else
                s = category_by_id(r, cat = v);
        } else if (n) {
            s = category_named(r, text, &cat);
        }
        free(text);
        if (s == TS_OK && (r->has_cls || n)) {
            ts_annotation a = ts_annotation_empty();
            a.id = ts_dataset_next_annotation_id(r->ds);
            if (a.id == 0) a.id = 1;
            a.image_id = id;
            a.category_id = cat;
            s = ts_dataset_add_annotation(ctx, r->ds, &a, NULL);
        }
    }
    ts_json_free(root);
    ts_buf_free(&path);
    ts_buf_free(&store);
    return s;
}

/* Where a member's data lies in an uncompressed shard: `header` is the
 * offset of its first header block (long names and pax records come before
 * the ustar header), the data starts at a later block; the bytes read while
 * scanning confirm which. */
static int find_offset(int fd, uint64_t header, const uint8_t *data, size_t len, uint64_t *offset) {
    size_t head = len < VERIFY_WINDOW ? len : VERIFY_WINDOW;
    size_t wlen = MAX_HEADER_BLOCKS * 512 + head;
    uint8_t *w = malloc(wlen);
    if (!w) return 0;
    ssize_t got = pread(fd, w, wlen, (off_t)header);
    int found = 0;
    for (size_t k = 1; k <= MAX_HEADER_BLOCKS && !found; k++) {
        if ((size_t)(got < 0 ? 0 : got) < k * 512 + head) break;
        if (memcmp(w + k * 512, data, head) != 0) continue;
        uint64_t off = header + k * 512;
        if (len > head) { /* confirm the tail too */
            if (pread(fd, w, head, (off_t)(off + len - head)) != (ssize_t)head || memcmp(w, data + len - head, head))
                continue;
        }
        *offset = off;
        found = 1;
    }
    free(w);
    return found;
}

static ts_status add_image_member(wds_reader *r, struct archive *a, int fd, uint8_t *data, size_t len,
                                  probe_size *size) {
    wds_pixels *px = r->px;
    if (ts_grow(r->ctx, (void **)&px->members, &px->cap_members, px->n_members + 1, sizeof *px->members) != TS_OK)
        return TS_ERR_NOMEM;
    wds_member *m = &px->members[px->n_members];
    memset(m, 0, sizeof *m);
    m->shard = r->shard_index;
    m->len = len;
    int seekable = fd >= 0 && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE;
    if (!seekable || !find_offset(fd, (uint64_t)archive_read_header_position(a), data, len, &m->offset)) {
        uint64_t max = ts_ctx_limits(r->ctx).max_file_bytes;
        if (px->held_bytes + len > max)
            return ts_error(r->ctx, TS_ERR_LIMIT,
                            "%s: compressed shards hold their images in memory; more than %llu bytes (max_file_bytes): "
                            "decompress the shards first",
                            r->shard, (unsigned long long)max);
        px->held_bytes += len;
        m->data = data; /* taken */
    }
    r->image_member = (int64_t)px->n_members++;
    size->width = size->height = 0;
    return TS_OK;
}

static ts_status scan_shard(wds_reader *r) {
    ts_ctx *ctx = r->ctx;
    struct archive *a = archive_read_new();
    if (!a) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    ts_status s = TS_OK;
    if (archive_read_open_filename(a, r->shard, 1 << 16) != ARCHIVE_OK) {
        s = ts_error(ctx, ts_file_exists(r->shard) ? TS_ERR_CORRUPT : TS_ERR_IO, "%s: bad tar: %s", r->shard,
                     archive_error_string(a));
        archive_read_free(a);
        return s;
    }
    int fd = open(r->shard, O_RDONLY | O_CLOEXEC);
    uint64_t max = ts_ctx_limits(ctx).max_file_bytes;
    probe_size size = {0, 0};
    uint64_t members = 0;
    sample_reset(r);
    for (;;) {
        struct archive_entry *entry;
        int rc = archive_read_next_header(a, &entry);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) {
            s = ts_error(ctx, TS_ERR_CORRUPT, "%s: bad tar after %llu members: %s", r->shard,
                         (unsigned long long)members, archive_error_string(a));
            break;
        }
        members++;
        if (archive_entry_filetype(entry) != AE_IFREG) {
            if (archive_entry_filetype(entry) != AE_IFDIR) r->ignored++;
            continue;
        }
        const char *name = archive_entry_pathname(entry);
        if (!name || !*name) {
            s = ts_error(ctx, TS_ERR_CORRUPT, "%s: member %llu has no name", r->shard, (unsigned long long)members);
            break;
        }
        while (name[0] == '.' && name[1] == '/') name += 2;
        if ((s = ts_path_check_relative(ctx, name, r->shard)) != TS_OK) break;
        const char *base = ts_path_basename(name);
        const char *dot = strchr(base, '.');
        if (!dot || dot == base) {
            r->ignored++;
            continue;
        }
        size_t klen = (size_t)(dot - name);
        if (klen != r->key.len || memcmp(r->key.data, name, klen) != 0) {
            if ((s = flush_sample(r, size)) != TS_OK) break;
            sample_reset(r);
            uint32_t kid;
            if (ts_strpool_find(r->keys, name, klen, &kid)) {
                s = ts_error(ctx, TS_ERR_INVALID, "%s: sample key \"%.*s\" appears twice (samples must be contiguous)",
                             r->shard, (int)klen, name);
                break;
            }
            if (ts_buf_append(&r->key, name, klen) != TS_OK || ts_strpool_intern(r->keys, name, klen, &kid) != TS_OK) {
                s = TS_ERR_NOMEM;
                break;
            }
        }
        la_int64_t esize = archive_entry_size(entry);
        if (esize < 0 || (uint64_t)esize > max) {
            s = ts_error(ctx, TS_ERR_LIMIT, "%s: member %s has %lld bytes (max_file_bytes %llu)", r->shard, name,
                         (long long)esize, (unsigned long long)max);
            break;
        }
        char ext[16];
        size_t el = strlen(dot + 1);
        if (el >= sizeof ext) {
            r->ignored++;
            continue;
        }
        for (size_t i = 0; i <= el; i++) ext[i] = (char)tolower((unsigned char)dot[1 + i]);
        int is_image = !strcmp(ext, "jpg") || !strcmp(ext, "jpeg") || !strcmp(ext, "png") || !strcmp(ext, "webp");
        ts_buf *text = strcmp(ext, "json") == 0 ? &r->json : strcmp(ext, "cls") == 0 ? &r->cls
                                                                                   : strcmp(ext, "txt") == 0 ? &r->txt : NULL;
        if ((!is_image && !text) || (is_image && r->image_member >= 0)) {
            r->ignored++;
            continue;
        }
        uint8_t *data = ts_alloc_array(ctx, (size_t)esize + 1, 1);
        if (!data) {
            s = TS_ERR_NOMEM;
            break;
        }
        size_t got = 0;
        while (got < (size_t)esize) {
            la_ssize_t n = archive_read_data(a, data + got, (size_t)esize - got);
            if (n <= 0) break;
            got += (size_t)n;
        }
        if (got < (size_t)esize) {
            s = ts_error(ctx, TS_ERR_CORRUPT, "%s: member %s cut short (%zu of %lld bytes): %s", r->shard, name, got,
                         (long long)esize, archive_error_string(a) ? archive_error_string(a) : "truncated tar");
            free(data);
            break;
        }
        if (is_image) {
            ts_image_header hdr;
            int probe = !(r->opts && (r->opts->flags & TS_READ_NO_PROBE));
            if (!(r->image_ext = ts_strdup(ctx, ext))) s = TS_ERR_NOMEM;
            else s = add_image_member(r, a, fd, data, got, &size);
            if (s == TS_OK && probe) {
                if (ts_image_probe(ctx, data, got, &hdr) == TS_OK) ts_image_header_oriented_size(&hdr, &size.width, &size.height);
                else ts_warn(ctx, "%s: %s: %s", r->shard, name, ts_ctx_error(ctx)), ts_ctx_clear_error(ctx);
            }
            if (s != TS_OK || r->px->members[r->image_member].data != data) free(data);
            if (s != TS_OK) break;
        } else {
            text->len = 0;
            s = ts_buf_append(text, data, got);
            free(data);
            if (s != TS_OK) break;
            *(text == &r->json ? &r->has_json : text == &r->cls ? &r->has_cls : &r->has_txt) = 1;
        }
    }
    if (s == TS_OK) s = flush_sample(r, size);
    if (fd >= 0) close(fd);
    archive_read_free(a);
    return s;
}

/* classes.json beside the shards: {"categories": [{"id", "name",
 * "supercategory"}...]} as trainset writes it, or a list of names (id =
 * position). */
static ts_status read_classes(ts_ctx *ctx, ts_dataset *ds, const char *dir) {
    char *path = ts_path_join(dir, "classes.json");
    if (!path) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (!ts_file_exists(path)) {
        free(path);
        return TS_OK;
    }
    ts_jvalue *root;
    ts_status s = ts_json_parse_file(ctx, path, &root);
    if (s != TS_OK) {
        free(path);
        return s;
    }
    const ts_jvalue *list = root->type == TS_JARRAY ? root : ts_json_get(root, "categories");
    if (!list || list->type != TS_JARRAY)
        s = ts_error_at(ctx, TS_ERR_INVALID, path, root->line, root->col,
                        "expected a list of class names or {\"categories\": [...]}");
    for (size_t i = 0; s == TS_OK && i < list->u.arr.count; i++) {
        const ts_jvalue *c = &list->u.arr.items[i];
        ts_category cat = ts_category_empty();
        if (c->type == TS_JSTRING) {
            cat.id = (int64_t)i;
            cat.name = c->u.str.text;
        } else {
            cat.name = ts_json_get_string(c, "name");
            const char *sc = ts_json_get_string(c, "supercategory");
            if (sc) cat.supercategory = sc;
            if (!ts_json_get_int(c, "parent_id", &cat.parent_id)) cat.parent_id = TS_NO_ID;
            if (!cat.name || !ts_json_get_int(c, "id", &cat.id)) {
                s = ts_error_at(ctx, TS_ERR_INVALID, path, c->line, c->col, "a category needs \"id\" and \"name\"");
                break;
            }
        }
        s = ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    ts_json_free(root);
    free(path);
    return s;
}

static ts_status list_shards(ts_ctx *ctx, const char *path, char ***out, size_t *count, char **dir) {
    if (ts_file_exists(path)) {
        char **one = ts_calloc_array(ctx, 1, sizeof *one);
        if (!one || !(one[0] = ts_strdup(ctx, path)) || !(*dir = ts_path_dirname(path))) {
            if (one) free(one[0]);
            free(one);
            return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        }
        *out = one;
        *count = 1;
        return TS_OK;
    }
    char **names;
    size_t n, k = 0;
    ts_status s = ts_dir_list(ctx, path, &names, &n);
    if (s != TS_OK) return s;
    for (size_t i = 0; i < n; i++) {
        char *full = is_shard_name(names[i]) ? ts_path_join(path, names[i]) : NULL;
        free(names[i]);
        if (full) names[k++] = full;
    }
    if (k == 0) {
        free(names);
        return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no .tar shards", path);
    }
    if (!(*dir = ts_strdup(ctx, path))) {
        ts_strings_free(names, k);
        return TS_ERR_NOMEM;
    }
    *out = names;
    *count = k;
    return TS_OK;
}

static ts_status wds_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    wds_reader r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.opts = opts;
    r.image_member = -1;
    char *dir = NULL;
    ts_pixel_source *src = NULL;
    wds_pixels *px = calloc(1, sizeof *px);
    if (!px) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = list_shards(ctx, path, &px->shards, &px->n_shards, &dir);
    if (s == TS_OK) s = ts_dataset_create(ctx, &r.ds);
    if (s == TS_OK && ts_strpool_create(&r.keys) != TS_OK) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) {
        ts_pixel_source_fns fns = {pixels_load, pixels_bytes, pixels_destroy};
        s = ts_pixel_source_create(ctx, &fns, px, &src);
    }
    r.px = px;
    if (s != TS_OK) {
        if (!src) pixels_destroy(px);
        ts_strpool_destroy(r.keys);
        free(dir);
        ts_dataset_destroy(r.ds);
        return s;
    }
    s = ts_dataset_add_origin(ctx, r.ds, dir, src, &r.origin);
    if (s == TS_OK) s = read_classes(ctx, r.ds, dir);
    for (size_t i = 0; s == TS_OK && i < px->n_shards; i++) {
        r.shard = px->shards[i];
        r.shard_index = (uint32_t)i;
        char *split = split_of_shard(r.shard);
        if (!split) {
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
            break;
        }
        r.split = split;
        s = scan_shard(&r);
        free(split);
        if (s == TS_OK) s = ts_progress(ctx, "reading shards", i + 1, px->n_shards);
    }
    if (s == TS_OK && r.ignored)
        ts_warn(ctx, "%s: %llu tar members ignored (not an image, .json, .cls or .txt, or a second image)", path,
                (unsigned long long)r.ignored);
    if (s == TS_OK && r.no_image)
        ts_warn(ctx, "%s: %llu samples without an image member skipped", path, (unsigned long long)r.no_image);
    if (s == TS_OK && r.renumbered)
        ts_warn(ctx, "%s: %llu annotation ids repeated across samples; renumbered", path,
                (unsigned long long)r.renumbered);
    sample_reset(&r);
    ts_buf_free(&r.key);
    ts_strpool_destroy(r.keys);
    ts_buf_free(&r.json);
    ts_buf_free(&r.cls);
    ts_buf_free(&r.txt);
    ts_pixel_source_release(src);
    free(dir);
    if (s != TS_OK) {
        ts_dataset_destroy(r.ds);
        return s;
    }
    *out = r.ds;
    return TS_OK;
}

const ts_format ts_format_wds = {"wds", "WebDataset tar shards (<split>-NNNNNN.tar, one sample per key)", wds_detect,
                                 wds_read, wds_write};
