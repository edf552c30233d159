/* Open Images writer: annotations/ with class descriptions, the hierarchy
 * JSON (when categories have parents), image_ids_and_rotation.csv and per
 * split box, image-level label and object-segmentation CSVs; masks (and
 * polygons, rasterized) as masks/<split>/<ImageID>_<label>_<BoxID>.png;
 * images/<split>/<ImageID>.<ext>. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/openimages_internal.h"
#include "formats/yolo_internal.h"
#include "trainset/eval.h"
#include "trainset/image.h"

#define MAX_SPLITS 16

typedef struct {
    char name[64];
    FILE *bbox, *labels, *segm;
} split_out;

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    const ts_write_opts *opts;
    const char *out;
    const char **mid_of; /* category index -> LabelName */
    char **image_id;     /* image index -> ImageID */
    split_out splits[MAX_SPLITS];
    int n_splits;
    ts_strpool *mask_files; /* mask file names written, to keep them unique */
    uint64_t dropped_shapes, no_box, renamed;
} oiwriter;

static void put_field(FILE *f, const char *s) {
    size_t n = strlen(s);
    int quote = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (const char *p = s; *p && !quote; p++) quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
    if (!quote) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v) {
    char tmp[48];
    fwrite(tmp, 1, ts_format_fixed12(tmp, v), f);
}

static ts_status open_csv(oiwriter *w, const char *name, const char *header, FILE **out) {
    char *path = ts_path_join(w->out, name);
    if (!path) return ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    FILE *f = fopen(path, "wb");
    ts_status s = f ? TS_OK : ts_error(w->ctx, TS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    free(path);
    if (s != TS_OK) return s;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fputs(header, f);
    *out = f;
    return TS_OK;
}

static ts_status close_csv(oiwriter *w, FILE **f) {
    if (!*f) return TS_OK;
    int bad = ferror(*f) != 0;
    if (fclose(*f) != 0) bad = 1;
    *f = NULL;
    return bad ? ts_error(w->ctx, TS_ERR_IO, "%s: write failed", w->out) : TS_OK;
}

static const char *split_name(const ts_image_entry *img) {
    const char *s = img->split;
    if (!*s || strlen(s) >= 64 || strchr(s, '/') || strchr(s, '\\') || strcmp(s, "..") == 0 || s[0] == '.')
        return "train";
    return s;
}

static ts_status split_for(oiwriter *w, const char *name, split_out **out) {
    for (int i = 0; i < w->n_splits; i++)
        if (strcmp(w->splits[i].name, name) == 0) {
            *out = &w->splits[i];
            return TS_OK;
        }
    if (w->n_splits == MAX_SPLITS) return ts_error(w->ctx, TS_ERR_UNSUPPORTED, "openimages: more than %d splits", MAX_SPLITS);
    split_out *sp = &w->splits[w->n_splits++];
    snprintf(sp->name, sizeof sp->name, "%s", name);
    *out = sp;
    return TS_OK;
}

/* LabelNames: the "mid" attribute read from Open Images, else the name. */
static ts_status plan_classes(oiwriter *w) {
    size_t n = ts_dataset_category_count(w->ds);
    w->mid_of = ts_calloc_array(w->ctx, n + 1, sizeof *w->mid_of);
    if (!w->mid_of) return TS_ERR_NOMEM;
    FILE *f;
    ts_status s = open_csv(w, "annotations/oidv6-class-descriptions.csv", "LabelName,DisplayName\n", &f);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_category c;
        ts_dataset_category(w->ds, i, &c);
        const char *mid = ts_attr_value(c.attrs, c.n_attrs, "mid");
        w->mid_of[i] = mid && *mid ? mid : c.name;
        put_field(f, w->mid_of[i]);
        fputc(',', f);
        put_field(f, c.name);
        fputc('\n', f);
    }
    return s == TS_OK ? close_csv(w, &f) : s;
}

static ts_status put_node(oiwriter *w, ts_buf *b, size_t index, uint8_t *visited, int depth) {
    size_t n = ts_dataset_category_count(w->ds);
    int64_t id = ts_dataset_category_id(w->ds, index);
    visited[index] = 1;
    ts_status s = ts_buf_puts(b, "{\"LabelName\": ");
    if (s == TS_OK) s = ts_buf_put_json_string(b, w->mid_of[index]);
    int any = 0;
    for (size_t k = 0; k < n && s == TS_OK; k++) {
        ts_category c;
        ts_dataset_category(w->ds, k, &c);
        if (c.parent_id != id || visited[k] || depth > 64) continue;
        s = ts_buf_puts(b, any ? ", " : ", \"Subcategory\": [");
        if (s == TS_OK) s = put_node(w, b, k, visited, depth + 1);
        any = 1;
    }
    if (s == TS_OK && any) s = ts_buf_putc(b, ']');
    return s == TS_OK ? ts_buf_putc(b, '}') : s;
}

/* bbox_labels_600_hierarchy.json from parent links: one top node, or
 * Open Images' "Entity" MID over several. */
static ts_status write_hierarchy(oiwriter *w) {
    size_t n = ts_dataset_category_count(w->ds), roots = 0, root = 0;
    int any_parent = 0;
    for (size_t i = 0; i < n; i++) {
        ts_category c;
        size_t p;
        ts_dataset_category(w->ds, i, &c);
        if (c.parent_id != TS_NO_ID && ts_dataset_find_category(w->ds, c.parent_id, &p)) any_parent = 1;
    }
    if (!any_parent) return TS_OK;
    uint8_t *visited = ts_calloc_array(w->ctx, n + 1, 1);
    if (!visited) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ts_category c;
        size_t p;
        ts_dataset_category(w->ds, i, &c);
        if (c.parent_id == TS_NO_ID || !ts_dataset_find_category(w->ds, c.parent_id, &p)) {
            int has_child = 0;
            for (size_t k = 0; k < n && !has_child; k++) {
                ts_category d;
                ts_dataset_category(w->ds, k, &d);
                has_child = d.parent_id == c.id;
            }
            if (has_child) roots++, root = i;
        }
    }
    ts_buf b = {0};
    ts_status s = TS_OK;
    if (roots == 1) {
        s = put_node(w, &b, root, visited, 0);
    } else {
        s = ts_buf_puts(&b, "{\"LabelName\": \"/m/0bl9f\", \"Subcategory\": [");
        int first = 1;
        for (size_t i = 0; i < n && s == TS_OK; i++) {
            ts_category c;
            size_t p;
            ts_dataset_category(w->ds, i, &c);
            if (visited[i] || (c.parent_id != TS_NO_ID && ts_dataset_find_category(w->ds, c.parent_id, &p))) continue;
            if (!first) s = ts_buf_puts(&b, ", ");
            first = 0;
            if (s == TS_OK) s = put_node(w, &b, i, visited, 0);
        }
        if (s == TS_OK) s = ts_buf_puts(&b, "]}");
    }
    if (s == TS_OK) s = ts_buf_putc(&b, '\n');
    char *path = s == TS_OK ? ts_path_join(w->out, "annotations/bbox_labels_600_hierarchy.json") : NULL;
    if (path) s = ts_file_write_atomic(w->ctx, path, b.data, b.len);
    else if (s == TS_OK) s = ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    free(path);
    ts_buf_free(&b);
    free(visited);
    return s;
}

/* ImageIDs: the file stem, made unique. */
static ts_status plan_images(oiwriter *w) {
    size_t n = ts_dataset_image_count(w->ds);
    ts_strpool *seen;
    w->image_id = ts_calloc_array(w->ctx, n + 1, sizeof *w->image_id);
    if (!w->image_id || ts_strpool_create(&seen) != TS_OK) return ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    FILE *f = NULL;
    ts_status s = open_csv(w, "annotations/image_ids_and_rotation.csv",
                           "ImageID,Subset,OriginalURL,OriginalLandingURL,License,AuthorProfileURL,Author,Title,"
                           "OriginalSize,OriginalMD5,Thumbnail300KURL,Rotation\n",
                           &f);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_image_entry img;
        ts_dataset_image(w->ds, i, &img);
        const char *base = ts_path_basename(img.path);
        size_t stem = (size_t)(ts_path_ext(base) - base);
        uint32_t id;
        char *name = ts_strndup(w->ctx, base, stem);
        if (name && (!*name || ts_strpool_find(seen, name, stem, &id))) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%lld_", (long long)img.id);
            char *u = malloc(strlen(tmp) + stem + 1);
            if (u) snprintf(u, strlen(tmp) + stem + 1, "%s%s", tmp, name);
            free(name);
            name = u;
            w->renamed++;
        }
        if (!name || ts_strpool_intern(seen, name, strlen(name), &id) != TS_OK) {
            free(name);
            s = ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
            break;
        }
        w->image_id[i] = name;
        const char *lic = ts_attr_value(img.attrs, img.n_attrs, "License");
        const char *size = ts_attr_value(img.attrs, img.n_attrs, "OriginalSize");
        const char *rot = ts_attr_value(img.attrs, img.n_attrs, "Rotation");
        put_field(f, name);
        fputc(',', f);
        put_field(f, split_name(&img));
        fputs(",,,", f);
        put_field(f, lic ? lic : "");
        fputs(",,,,", f);
        put_field(f, size ? size : "");
        fputs(",,,", f);
        put_field(f, rot ? rot : "");
        fputc('\n', f);
    }
    ts_strpool_destroy(seen);
    ts_status c = f ? close_csv(w, &f) : TS_OK;
    return s == TS_OK ? c : s;
}

static void put_flag(FILE *f, const ts_annotation *a, uint32_t flag, const char *key) {
    const char *v = ts_attr_value(a->attrs, a->n_attrs, key);
    fputc(',', f);
    fputs(flag && (a->flags & flag) ? "1" : v ? v : "0", f);
}

static int is_ascii_alnum(char c) {
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* A label MID as a file name part, as the official mask names have it
 * ("/m/01bjv" -> "m01bjv"): '/' dropped, other punctuation '_'. */
static void label_slug(const char *mid, char *out, size_t cap) {
    size_t n = 0;
    for (const char *p = mid; *p && n + 1 < cap; p++) {
        if (*p == '/') continue;
        out[n++] = *p == '-' || is_ascii_alnum(*p) ? *p : '_';
    }
    out[n] = 0;
}

static int is_alnum_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (const char *p = s; *p; p++)
        if (!is_ascii_alnum(*p)) return 0;
    return 1;
}

/* <ImageID>_<label slug>_<BoxID, else the annotation id>.png, unique in
 * the output (a repeat gets _<annotation id> added). */
static ts_status mask_file_name(oiwriter *w, const char *image_id, const char *mid, const ts_annotation *a,
                                ts_buf *name) {
    char slug[128];
    const char *box_id = ts_attr_value(a->attrs, a->n_attrs, "box_id");
    uint32_t seen;
    label_slug(mid, slug, sizeof slug);
    name->len = 0;
    ts_status s = box_id && is_alnum_id(box_id) ? ts_buf_printf(name, "%s_%s_%s", image_id, slug, box_id)
                                                : ts_buf_printf(name, "%s_%s_%lld", image_id, slug, (long long)a->id);
    if (s == TS_OK && ts_strpool_find(w->mask_files, name->data, name->len, &seen))
        s = ts_buf_printf(name, "_%lld", (long long)a->id);
    if (s == TS_OK && ts_strpool_find(w->mask_files, name->data, name->len, &seen))
        return ts_error(w->ctx, TS_ERR_INVALID, "openimages: two masks would both be written as %s.png", name->data);
    if (s == TS_OK) s = ts_strpool_intern(w->mask_files, name->data, name->len, &seen);
    if (s == TS_OK) s = ts_buf_puts(name, ".png");
    return s == TS_OK ? TS_OK : ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
}

/* The mask as a 0/255 gray PNG at its own size. */
static ts_status encode_mask(ts_ctx *ctx, const ts_mask *m, uint8_t **png, size_t *len) {
    ts_image img = {0};
    ts_status s = ts_image_alloc(ctx, (int)m->w, (int)m->h, 1, TS_PIX_U8, &img);
    if (s == TS_OK) s = ts_rle_decode(ctx, m->counts, m->n, m->h, m->w, img.data);
    for (int y = 0; y < img.h && s == TS_OK; y++) {
        uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < img.w; x++) row[x] = row[x] ? 255 : 0;
    }
    ts_encode_opts eo = {TS_CODEC_PNG, 90, 0};
    if (s == TS_OK) s = ts_image_encode(ctx, &img, &eo, png, len);
    ts_image_free(&img);
    return s;
}

/* An RLE mask, or a polygon rasterized at the image size, as its PNG under
 * masks/<split>/ and a row of <split>-annotations-object-segmentation.csv;
 * the box is the annotation's, else the mask's, normalized by W x H. */
static ts_status write_mask(oiwriter *w, split_out *sp, size_t index, size_t ci, const ts_annotation *a, int W, int H) {
    ts_mask m = {0};
    ts_buf name = {0}, path = {0};
    uint8_t *png = NULL;
    size_t len = 0;
    ts_status s = ts_mask_from_annotation(w->ctx, a, (uint32_t)H, (uint32_t)W, &m);
    if (s == TS_OK) s = encode_mask(w->ctx, &m, &png, &len);
    if (s == TS_OK) s = mask_file_name(w, w->image_id[index], w->mid_of[ci], a, &name);
    if (s == TS_OK && ts_buf_printf(&path, "%s/masks/%s/%s", w->out, sp->name, name.data) != TS_OK)
        s = ts_error(w->ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = ts_file_write_staged(w->ctx, path.data, png, len);
    if (s == TS_OK && !sp->segm) {
        char csv[128];
        snprintf(csv, sizeof csv, "annotations/%s-annotations-object-segmentation.csv", sp->name);
        s = open_csv(w, csv, "MaskPath,ImageID,LabelName,BoxID,BoxXMin,BoxXMax,BoxYMin,BoxYMax,PredictedIoU,Clicks\n",
                     &sp->segm);
    }
    if (s == TS_OK) {
        double box[4];
        if (a->flags & TS_ANN_HAS_BOX) memcpy(box, a->bbox, sizeof box);
        else ts_mask_bbox(&m, box);
        const char *box_id = ts_attr_value(a->attrs, a->n_attrs, "box_id");
        const char *iou = ts_attr_value(a->attrs, a->n_attrs, "predicted_iou");
        const char *clicks = ts_attr_value(a->attrs, a->n_attrs, "clicks");
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)a->id);
        FILE *f = sp->segm;
        put_field(f, name.data);
        fputc(',', f);
        put_field(f, w->image_id[index]);
        fputc(',', f);
        put_field(f, w->mid_of[ci]);
        fputc(',', f);
        put_field(f, box_id && *box_id ? box_id : id);
        const double v[4] = {box[0] / W, (box[0] + box[2]) / W, box[1] / H, (box[1] + box[3]) / H};
        for (int k = 0; k < 4; k++) {
            fputc(',', f);
            put_num(f, v[k]);
        }
        fputc(',', f);
        put_field(f, iou ? iou : "");
        fputc(',', f);
        put_field(f, clicks ? clicks : "");
        fputc('\n', f);
    }
    if (s != TS_OK) ts_error_prefix(w->ctx, "openimages: mask of annotation %lld", (long long)a->id);
    ts_mask_free(&m);
    free(png);
    ts_buf_free(&name);
    ts_buf_free(&path);
    return s;
}

static int written_as_mask(const ts_annotation *a) {
    return (a->kind == TS_ANN_MASK && a->rle && a->rle_len) || (a->kind == TS_ANN_POLYGON && a->n_rings && a->coords);
}

static ts_status write_annotations(oiwriter *w, size_t index, const ts_image_entry *img) {
    const size_t *anns;
    size_t n;
    split_out *sp = NULL;
    ts_status s = ts_dataset_image_annotations(w->ctx, w->ds, index, &anns, &n);
    if (s == TS_OK) s = split_for(w, split_name(img), &sp);
    int W = img->width, H = img->height;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_annotation a;
        size_t ci;
        ts_dataset_annotation(w->ds, anns[i], &a);
        if (!ts_dataset_find_category(w->ds, a.category_id, &ci))
            return ts_error(w->ctx, TS_ERR_INVALID, "openimages: annotation %lld names category %lld, which does not exist",
                            (long long)a.id, (long long)a.category_id);
        const char *src = ts_attr_value(a.attrs, a.n_attrs, "Source");
        const char *conf = ts_attr_value(a.attrs, a.n_attrs, "Confidence");
        char score[48];
        if (a.flags & TS_ANN_HAS_SCORE) ts_format_fixed12(score, a.score), conf = score;
        if (a.kind == TS_ANN_LABEL) {
            if (!sp->labels) {
                char name[128];
                snprintf(name, sizeof name, "annotations/%s-annotations-human-imagelabels.csv", sp->name);
                s = open_csv(w, name, "ImageID,Source,LabelName,Confidence\n", &sp->labels);
                if (s != TS_OK) return s;
            }
            FILE *f = sp->labels;
            put_field(f, w->image_id[index]);
            fputc(',', f);
            put_field(f, src ? src : "");
            fputc(',', f);
            put_field(f, w->mid_of[ci]);
            fputc(',', f);
            fputs(a.flags & TS_ANN_NEGATIVE ? "0" : conf ? conf : "1", f);
            fputc('\n', f);
            continue;
        }
        if (!written_as_mask(&a) && !(a.flags & TS_ANN_HAS_BOX)) {
            w->no_box++;
            continue;
        }
        if (W <= 0 || H <= 0)
            return ts_error(w->ctx, TS_ERR_INVALID,
                            "openimages: image %s has no known size, so its boxes cannot be normalized", img->path);
        if (written_as_mask(&a)) {
            s = write_mask(w, sp, index, ci, &a, W, H);
            continue;
        }
        if (a.kind != TS_ANN_BOX) w->dropped_shapes++;
        if (!sp->bbox) {
            char name[128];
            snprintf(name, sizeof name, "annotations/%s-annotations-bbox.csv", sp->name);
            s = open_csv(w, name,
                         "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,"
                         "IsDepiction,IsInside\n",
                         &sp->bbox);
            if (s != TS_OK) return s;
        }
        FILE *f = sp->bbox;
        put_field(f, w->image_id[index]);
        fputc(',', f);
        put_field(f, src ? src : "");
        fputc(',', f);
        put_field(f, w->mid_of[ci]);
        fputc(',', f);
        fputs(conf ? conf : "1", f);
        const double v[4] = {a.bbox[0] / W, (a.bbox[0] + a.bbox[2]) / W, a.bbox[1] / H, (a.bbox[1] + a.bbox[3]) / H};
        for (int k = 0; k < 4; k++) {
            fputc(',', f);
            put_num(f, v[k]);
        }
        put_flag(f, &a, TS_ANN_OCCLUDED, "IsOccluded");
        put_flag(f, &a, TS_ANN_TRUNCATED, "IsTruncated");
        put_flag(f, &a, TS_ANN_GROUP_OF, "IsGroupOf");
        put_flag(f, &a, 0, "IsDepiction");
        put_flag(f, &a, 0, "IsInside");
        fputc('\n', f);
    }
    return s;
}

static ts_status copy_image(oiwriter *w, size_t index, const ts_image_entry *img) {
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status s = ts_dataset_image_bytes(w->ctx, w->ds, index, &data, &len);
    if (s != TS_OK) return s;
    ts_codec c = ts_codec_sniff(data, len);
    const char *ext = c == TS_CODEC_JPEG ? ".jpg" : c == TS_CODEC_PNG ? ".png" : c == TS_CODEC_WEBP ? ".webp"
                                                                                                     : ts_path_ext(img->path);
    ts_buf p = {0};
    s = ts_buf_printf(&p, "%s/images/%s/%s%s", w->out, split_name(img), w->image_id[index], ext);
    if (s == TS_OK) s = ts_file_write_staged(w->ctx, p.data, data, len);
    else s = ts_error(w->ctx, s, "out of memory");
    ts_buf_free(&p);
    free(data);
    return s;
}

ts_status ts_oi_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    oiwriter w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.ds = ds;
    w.opts = opts;
    ts_atomic_dir *dir = NULL;
    ts_status s = ts_atomic_dir_open(ctx, path, &dir);
    if (s == TS_OK && ts_strpool_create(&w.mask_files) != TS_OK) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) {
        w.out = ts_atomic_dir_path(dir);
        char *ann = ts_path_join(w.out, "annotations");
        s = ann ? ts_mkdirs(ctx, ann) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        free(ann);
    }
    if (s == TS_OK) s = plan_classes(&w);
    if (s == TS_OK) s = write_hierarchy(&w);
    if (s == TS_OK) s = plan_images(&w);
    size_t n = ts_dataset_image_count(ds);
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_image_entry img;
        ts_dataset_image(ds, i, &img);
        if (img.width <= 0 || img.height <= 0) {
            char *file = ts_dataset_image_file(ds, i);
            ts_image_header hdr;
            if (file && ts_image_probe_file(ctx, file, &hdr) == TS_OK)
                ts_image_header_oriented_size(&hdr, &img.width, &img.height);
            ts_ctx_clear_error(ctx);
            free(file);
        }
        s = write_annotations(&w, i, &img);
        if (s == TS_OK && opts->copy_images) s = copy_image(&w, i, &img);
        if (s == TS_OK && (i & 1023) == 1023) s = ts_progress(ctx, "writing Open Images", i + 1, n);
    }
    for (int i = 0; i < w.n_splits; i++) {
        ts_status c1 = close_csv(&w, &w.splits[i].bbox), c2 = close_csv(&w, &w.splits[i].labels);
        ts_status c3 = close_csv(&w, &w.splits[i].segm);
        if (s == TS_OK) s = c1 != TS_OK ? c1 : c2 != TS_OK ? c2 : c3;
    }
    if (s == TS_OK) {
        s = ts_atomic_dir_commit(ctx, dir);
        dir = NULL;
    }
    if (s == TS_OK && w.dropped_shapes)
        ts_warn(ctx, "openimages: wrote boxes only for %llu keypoint sets, polylines or empty masks; shapes dropped",
                (unsigned long long)w.dropped_shapes);
    if (s == TS_OK && w.no_box)
        ts_warn(ctx, "openimages: dropped %llu annotations without a box", (unsigned long long)w.no_box);
    if (s == TS_OK && w.renamed)
        ts_warn(ctx, "openimages: %llu images shared a file stem and were renamed <id>_<stem>",
                (unsigned long long)w.renamed);
    ts_atomic_dir_abort(dir);
    if (w.image_id)
        for (size_t i = 0; i < n; i++) free(w.image_id[i]);
    free(w.image_id);
    free(w.mid_of);
    ts_strpool_destroy(w.mask_files);
    return s;
}
