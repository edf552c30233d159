/* Pixels of dataset images: from the origin's pixel source, or the file
 * root/path on disk. Shared by writers that copy images and by every stage
 * that decodes them. */
#include <stdlib.h>
#include <string.h>

#include "trainset/formats.h"

char *ts_dataset_image_file(const ts_dataset *ds, size_t index) {
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    ts_origin o = ts_dataset_origin(ds, e.origin);
    if (o.pixels) return NULL;
    return ts_path_join(o.root, e.path);
}

ts_status ts_dataset_load_image(ts_ctx *ctx, const ts_dataset *ds, size_t index, const ts_decode_opts *opts,
                                ts_image *out, ts_decode_info *info) {
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    ts_origin o = ts_dataset_origin(ds, e.origin);
    if (o.pixels) {
        ts_status s = ts_pixel_source_load(o.pixels, ctx, e.pixel_key, out);
        if (s != TS_OK) ts_error_prefix(ctx, "image %lld (%s)", (long long)e.id, e.path);
        if (s == TS_OK && info) {
            memset(info, 0, sizeof *info);
            info->header.width = out->w;
            info->header.height = out->h;
            info->header.channels = out->c;
            info->header.bit_depth = out->type == TS_PIX_U16 ? 16 : 8;
            info->header.orientation = 1;
        }
        return s;
    }
    char *path = ts_path_join(o.root, e.path);
    if (!path) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    ts_status s = ts_image_load(ctx, path, opts, out, info);
    free(path);
    return s;
}

ts_status ts_dataset_image_bytes(ts_ctx *ctx, const ts_dataset *ds, size_t index, uint8_t **data, size_t *len) {
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    ts_origin o = ts_dataset_origin(ds, e.origin);
    if (!o.pixels) {
        char *path = ts_path_join(o.root, e.path);
        if (!path) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        ts_status s = ts_file_read(ctx, path, data, len);
        free(path);
        return s;
    }
    ts_status s = ts_pixel_source_bytes(o.pixels, ctx, e.pixel_key, data, len);
    if (s != TS_ERR_UNSUPPORTED) return s;
    /* no stored bytes: encode the decoded pixels in the codec the path names */
    ts_image img;
    if ((s = ts_pixel_source_load(o.pixels, ctx, e.pixel_key, &img)) != TS_OK) return s;
    ts_encode_opts eo = {ts_codec_from_path(e.path), 95, 0};
    if (eo.codec == TS_CODEC_UNKNOWN) eo.codec = TS_CODEC_PNG;
    s = ts_image_encode(ctx, &img, &eo, data, len);
    ts_image_free(&img);
    return s;
}

ts_status ts_dataset_probe_sizes(ts_ctx *ctx, ts_dataset *ds) {
    size_t n = ts_dataset_image_count(ds);
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        if (e.width > 0 && e.height > 0) continue;
        ts_origin o = ts_dataset_origin(ds, e.origin);
        if (o.pixels) continue;
        char *path = ts_path_join(o.root, e.path);
        if (!path) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        ts_image_header h;
        ts_status s = ts_image_probe_file(ctx, path, &h);
        free(path);
        if (s != TS_OK) {
            if (!ts_ctx_lenient(ctx)) return s;
            ts_warn(ctx, "%s", ts_ctx_error(ctx));
            ts_ctx_clear_error(ctx);
            continue;
        }
        ts_image_header_oriented_size(&h, &e.width, &e.height);
        if ((s = ts_dataset_update_image(ctx, ds, i, &e)) != TS_OK) return s;
        if ((s = ts_progress(ctx, "probing images", i + 1, n)) != TS_OK) return s;
    }
    return TS_OK;
}
