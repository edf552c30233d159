/* Open Images instance masks: rows of *-annotations-object-segmentation.csv
 * with their binary PNGs (masks/<split>/<MaskPath>, else masks/<MaskPath>),
 * read as RLE mask annotations at the size of their image. */
#include <stdlib.h>
#include <string.h>

#include "formats/openimages_internal.h"
#include "trainset/image.h"

static const char *const segm_cols[] = {"ImageID", "MaskPath", "LabelName", "BoxID",        "BoxXMin",
                                        "BoxXMax", "BoxYMin",  "BoxYMax",   "PredictedIoU", "Clicks"};
enum { COL_MASK = 1, COL_BOX_ID = 3, COL_IOU = 8, COL_CLICKS = 9 };

/* A MaskPath names a file in the masks folder, never a path out of it. */
static int is_plain_name(const char *s, size_t n) {
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
    return !memchr(s, '/', n) && !memchr(s, '\\', n) && !memchr(s, 0, n);
}

/* The mask file of `name`: masks/<split>/<name> (Datumaro), else
 * masks/<name> (the official zips extracted). *found is NULL when neither
 * exists; `tried` then lists the relative paths looked at. */
static ts_status find_mask(oi_reader *r, const char *split, const char *name, size_t len, char **found, ts_buf *tried) {
    ts_buf p = {0};
    *found = NULL;
    for (int flat = *split ? 0 : 1; flat < 2; flat++) {
        size_t rel = strlen(r->root) + 1;
        p.len = 0;
        const char *sub = flat ? "" : split, *sep = flat ? "" : "/";
        if (ts_buf_printf(&p, "%s/masks/%s%s%.*s", r->root, sub, sep, (int)len, name) != TS_OK ||
            ts_buf_printf(tried, "%s%s", tried->len ? " nor " : "", p.data + rel) != TS_OK) {
            ts_buf_free(&p);
            return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
        }
        if (ts_file_exists(p.data)) {
            *found = p.data;
            return TS_OK;
        }
    }
    ts_buf_free(&p);
    return TS_OK;
}

/* Run lengths of the mask PNG `file` at w x h: any pixel above 0 is set,
 * and a file of another size (official masks are not downscaled with
 * their images) is resized with nearest neighbour. */
static ts_status mask_runs(ts_ctx *ctx, const char *file, int w, int h, uint32_t **runs, uint32_t *n) {
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = 1;
    ts_image src = {0}, sized = {0};
    ts_status s = ts_image_check_size(ctx, (uint64_t)w, (uint64_t)h, file);
    if (s == TS_OK) s = ts_image_load(ctx, file, &o, &src, NULL);
    const ts_image *m = &src;
    if (s == TS_OK && (src.w != w || src.h != h)) {
        s = ts_image_resize(ctx, &src, w, h, TS_INTERP_NEAREST, &sized);
        m = &sized;
    }
    uint8_t *bits = s == TS_OK ? ts_alloc_array(ctx, (size_t)w, (size_t)h) : NULL;
    if (s == TS_OK && !bits) s = TS_ERR_NOMEM;
    for (int y = 0; y < h && s == TS_OK; y++) {
        const uint8_t *row = ts_image_row(m, y);
        for (int x = 0; x < w; x++) bits[(size_t)y * (size_t)w + (size_t)x] = row[x] != 0;
    }
    if (s == TS_OK) s = ts_rle_encode(ctx, bits, (uint32_t)h, (uint32_t)w, 1, runs, n);
    free(bits);
    ts_image_free(&src);
    ts_image_free(&sized);
    return s;
}

/* The runs of a row's mask, or *skip when the file is missing or does not
 * decode and --lenient softens that. */
static ts_status row_mask(oi_reader *r, ts_csv *csv, const int *cols, size_t index, int W, int H, uint32_t **runs,
                          uint32_t *n, int *skip) {
    size_t len;
    const char *name = ts_oi_field(csv, cols[COL_MASK], &len);
    ts_image_entry e;
    ts_dataset_image(r->ds, index, &e);
    ts_buf tried = {0};
    char *file = NULL;
    ts_status s = find_mask(r, e.split, name, len, &file, &tried);
    if (s == TS_OK && !file)
        s = ts_oi_row_problem(r, csv, (size_t)cols[COL_MASK], skip, "mask file not found: no %s", tried.data);
    ts_buf_free(&tried);
    if (s != TS_OK || !file) return s;
    s = mask_runs(r->ctx, file, W, H, runs, n);
    free(file);
    if (s == TS_OK || s == TS_ERR_NOMEM) return s;
    char why[512];
    snprintf(why, sizeof why, "%s", ts_ctx_error(r->ctx));
    ts_ctx_clear_error(r->ctx);
    return ts_oi_row_problem(r, csv, (size_t)cols[COL_MASK], skip, "mask %.*s: %s", (int)len, name, why);
}

static ts_status segm_row(oi_reader *r, void *user, const oi_file *f, void *vcsv, const int *cols) {
    (void)user;
    ts_csv *csv = vcsv;
    size_t len;
    const char *name = ts_oi_field(csv, cols[COL_MASK], &len);
    if (!is_plain_name(name, len))
        return ts_csv_error(csv, TS_ERR_PATH, (size_t)cols[COL_MASK], "MaskPath \"%.*s\" is not a plain file name",
                            (int)(len > 80 ? 80 : len), name);
    uint32_t mpid, ipid;
    size_t index;
    int skip = 0, W = 0, H = 0;
    double v[4];
    ts_status s = ts_oi_row_target(r, f, csv, cols, 2, &mpid, &index, &ipid);
    if (s != TS_OK || index == SIZE_MAX) return s;
    if ((s = ts_oi_row_box(r, csv, cols, segm_cols, v, &skip)) != TS_OK || skip) return s;
    if ((s = ts_oi_ensure_size(r, csv, index, ipid, &W, &H, &skip)) != TS_OK || skip) return s;
    uint32_t *runs = NULL, n = 0;
    if ((s = row_mask(r, csv, cols, index, W, H, &runs, &n, &skip)) != TS_OK || skip) return s;
    static const int kept[] = {COL_BOX_ID, COL_IOU, COL_CLICKS};
    static const char *const key[] = {"box_id", "predicted_iou", "clicks"};
    ts_attr attrs[3];
    uint32_t na = 0;
    for (int k = 0; k < 3; k++) {
        const char *t = ts_oi_field(csv, cols[kept[k]], NULL);
        if (*t) attrs[na++] = (ts_attr){key[k], t, TS_ATTR_STRING};
    }
    ts_annotation a = ts_annotation_empty();
    a.id = (int64_t)ts_dataset_annotation_count(r->ds) + 1;
    a.image_id = ts_dataset_image_id(r->ds, index);
    a.kind = TS_ANN_MASK;
    a.flags = TS_ANN_HAS_BOX;
    ts_oi_box_pixels(v, W, H, a.bbox);
    a.rle = runs;
    a.rle_len = n;
    a.mask_h = (uint32_t)H;
    a.mask_w = (uint32_t)W;
    a.area = (double)ts_rle_area(runs, n);
    a.attrs = attrs;
    a.n_attrs = na;
    s = ts_oi_category(r, mpid, &a.category_id);
    if (s == TS_OK) s = ts_dataset_add_annotation(r->ctx, r->ds, &a, NULL);
    free(runs);
    return s;
}

ts_status ts_oi_read_segmentation(oi_reader *r, const oi_file *f) {
    /* ImageID, MaskPath, LabelName and the box are required */
    return ts_oi_each_row(r, f, segm_cols, 10, 0xF7u, segm_row, NULL);
}
