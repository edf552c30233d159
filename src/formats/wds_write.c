/* WebDataset writer: runs of tar shards per split (<split>-NNNNNN.tar,
 * through libarchive, shard_size samples each) holding each sample's image
 * and its annotations as .json, and classes.json beside them; the whole
 * output is staged and committed at once. The reader is wds.c. */
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

static ts_status put_attrs(ts_buf *b, const ts_attr *attrs, uint32_t n) {
    ts_status s = ts_buf_puts(b, ",\"attributes\":{");
    for (uint32_t i = 0; s == TS_OK && i < n; i++) {
        if (i) s = ts_buf_putc(b, ',');
        if (s == TS_OK) s = ts_buf_put_json_string(b, attrs[i].key);
        if (s == TS_OK) s = ts_buf_putc(b, ':');
        if (s == TS_OK)
            s = attrs[i].type == TS_ATTR_STRING ? ts_buf_put_json_string(b, attrs[i].value) : ts_buf_puts(b, attrs[i].value);
    }
    return s == TS_OK ? ts_buf_putc(b, '}') : s;
}

/* ",\"key\":" followed by a JSON string */
static ts_status put_key_string(ts_buf *b, const char *key, const char *value) {
    ts_status s = ts_buf_printf(b, ",\"%s\":", key);
    return s == TS_OK ? ts_buf_put_json_string(b, value) : s;
}

static ts_status put_numbers(ts_buf *b, const double *v, size_t n) {
    ts_status s = ts_buf_putc(b, '[');
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        if (i) s = ts_buf_putc(b, ',');
        if (s == TS_OK) s = ts_buf_put_double(b, v[i]);
    }
    return s == TS_OK ? ts_buf_putc(b, ']') : s;
}

static ts_status put_annotation(ts_ctx *ctx, ts_buf *b, const ts_annotation *a) {
    ts_status s = ts_buf_printf(b, "{\"id\":%lld,\"category_id\":%lld,\"kind\":\"%s\"", (long long)a->id,
                                (long long)a->category_id, ts_ann_kind_name(a->kind));
    if (s == TS_OK && (a->flags & TS_ANN_HAS_BOX)) s = ts_buf_puts(b, ",\"bbox\":");
    if (s == TS_OK && (a->flags & TS_ANN_HAS_BOX)) s = put_numbers(b, a->bbox, 4);
    if (s == TS_OK && (a->flags & TS_ANN_HAS_AREA)) s = ts_buf_put_json_field_double(b, "area", a->area);
    if (s == TS_OK && (a->flags & TS_ANN_HAS_SCORE)) s = ts_buf_put_json_field_double(b, "score", a->score);
    if (s == TS_OK && a->iscrowd) s = ts_buf_puts(b, ",\"iscrowd\":1");
    uint32_t extra = a->flags & ~(uint32_t)(TS_ANN_HAS_BOX | TS_ANN_HAS_AREA | TS_ANN_HAS_SCORE);
    if (s == TS_OK && extra) s = ts_buf_printf(b, ",\"flags\":%u", (unsigned)extra);
    if (s == TS_OK && a->annotator[0]) s = put_key_string(b, "annotator", a->annotator);
    if (s == TS_OK && a->track_id != TS_NO_ID) s = ts_buf_printf(b, ",\"track_id\":%lld", (long long)a->track_id);
    if (s == TS_OK && a->frame >= 0) s = ts_buf_printf(b, ",\"frame\":%d", (int)a->frame);
    if (s == TS_OK && a->n_rings) {
        s = ts_buf_puts(b, ",\"segmentation\":[");
        size_t off = 0;
        for (uint32_t i = 0; s == TS_OK && i < a->n_rings; i++) {
            if (i) s = ts_buf_putc(b, ',');
            if (s == TS_OK) s = put_numbers(b, a->coords + off, a->ring_sizes[i]);
            off += a->ring_sizes[i];
        }
        if (s == TS_OK) s = ts_buf_putc(b, ']');
    } else if (s == TS_OK && a->rle_len) {
        char *counts = NULL;
        s = ts_rle_to_string(ctx, a->rle, a->rle_len, &counts);
        if (s == TS_OK) s = ts_buf_printf(b, ",\"segmentation\":{\"size\":[%u,%u],\"counts\":", a->mask_h, a->mask_w);
        if (s == TS_OK) s = ts_buf_put_json_string(b, counts);
        if (s == TS_OK) s = ts_buf_putc(b, '}');
        free(counts);
    }
    if (s == TS_OK && a->n_keypoints) s = ts_buf_puts(b, ",\"keypoints\":");
    if (s == TS_OK && a->n_keypoints) s = put_numbers(b, a->keypoints, 3 * (size_t)a->n_keypoints);
    if (s == TS_OK && a->n_attrs) s = put_attrs(b, a->attrs, a->n_attrs);
    return s == TS_OK ? ts_buf_putc(b, '}') : s;
}

static ts_status put_member(ts_ctx *ctx, struct archive *a, const char *tar, const char *name, const void *data, size_t len) {
    struct archive_entry *e = archive_entry_new();
    if (!e) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, 0, 0); /* reproducible shards */
    ts_status s = TS_OK;
    if (archive_write_header(a, e) != ARCHIVE_OK || (len && archive_write_data(a, data, len) != (la_ssize_t)len))
        s = ts_error(ctx, TS_ERR_IO, "%s: cannot write %s: %s", tar, name, archive_error_string(a));
    archive_entry_free(e);
    return s;
}

/* Close a shard and flush it to disk before the directory is swapped in. */
static ts_status close_shard(ts_ctx *ctx, struct archive *a, const char *tar, ts_status s) {
    if (archive_write_close(a) != ARCHIVE_OK && s == TS_OK)
        s = ts_error(ctx, TS_ERR_IO, "%s: %s", tar, archive_error_string(a));
    archive_write_free(a);
    int fd = s == TS_OK ? open(tar, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0 && fsync(fd) != 0) s = ts_error(ctx, TS_ERR_IO, "%s: fsync failed: %s", tar, strerror(errno));
    if (fd >= 0) close(fd);
    return s;
}

/* A sample key from an image path: the path without its extension, with
 * the dots of the last component (which would split the key) made '_'. */
static ts_status sample_key(ts_buf *key, const char *path, int64_t id, ts_strpool *seen) {
    key->len = 0;
    const char *base = ts_path_basename(path), *ext = strrchr(base, '.');
    size_t n = ext && ext != base ? (size_t)(ext - path) : strlen(path);
    ts_status s = ts_buf_append(key, path, n);
    for (size_t i = (size_t)(base - path); s == TS_OK && i < key->len; i++)
        if (key->data[i] == '.') key->data[i] = '_';
    uint32_t sid;
    if (s == TS_OK && (!key->len || ts_strpool_find(seen, key->data, key->len, &sid)))
        s = ts_buf_printf(key, "%s%lld", key->len ? "-" : "image", (long long)id);
    if (s == TS_OK) s = ts_strpool_intern(seen, key->data, key->len, &sid);
    return s;
}

static ts_status write_sample(ts_ctx *ctx, const ts_dataset *ds, size_t i, struct archive *a, const char *tar,
                              ts_buf *key, ts_buf *json, ts_strpool *seen) {
    ts_image_entry e;
    ts_dataset_image(ds, i, &e);
    uint8_t *bytes;
    size_t len;
    ts_status s = ts_dataset_image_bytes(ctx, ds, i, &bytes, &len);
    if (s != TS_OK) return s;
    ts_codec codec = ts_codec_sniff(bytes, len);
    const char *ext = codec == TS_CODEC_JPEG ? "jpg" : codec == TS_CODEC_WEBP ? "webp" : "png";
    s = sample_key(key, e.path, e.id, seen);
    size_t klen = key->len;
    if (s == TS_OK) s = ts_buf_printf(key, ".%s", ext);
    if (s == TS_OK) s = put_member(ctx, a, tar, key->data, bytes, len);
    free(bytes);
    json->len = 0;
    if (s == TS_OK) s = ts_buf_printf(json, "{\"image_id\":%lld,\"file_name\":", (long long)e.id);
    if (s == TS_OK) s = ts_buf_put_json_string(json, e.path);
    if (s == TS_OK && e.width > 0) s = ts_buf_printf(json, ",\"width\":%d,\"height\":%d", (int)e.width, (int)e.height);
    if (s == TS_OK && e.split[0]) s = put_key_string(json, "split", e.split);
    if (s == TS_OK && e.group_id != TS_NO_ID) s = ts_buf_printf(json, ",\"group_id\":%lld", (long long)e.group_id);
    if (s == TS_OK && e.license != TS_NO_ID) s = ts_buf_printf(json, ",\"license\":%lld", (long long)e.license);
    if (s == TS_OK && e.source[0]) s = put_key_string(json, "source", e.source);
    if (s == TS_OK && e.n_attrs) s = put_attrs(json, e.attrs, e.n_attrs);
    const size_t *anns;
    size_t na = 0;
    if (s == TS_OK) s = ts_dataset_image_annotations(ctx, ds, i, &anns, &na);
    if (s == TS_OK) s = ts_buf_puts(json, ",\"annotations\":[");
    int64_t cls = TS_NO_ID;
    for (size_t k = 0; s == TS_OK && k < na; k++) {
        ts_annotation ann;
        ts_dataset_annotation(ds, anns[k], &ann);
        if (cls == TS_NO_ID && ann.kind == TS_ANN_LABEL) cls = ann.category_id;
        if (k) s = ts_buf_putc(json, ',');
        if (s == TS_OK) s = put_annotation(ctx, json, &ann);
    }
    if (s == TS_OK) s = ts_buf_puts(json, "]}\n");
    key->len = klen;
    if (s == TS_OK) s = ts_buf_puts(key, ".json");
    if (s == TS_OK) s = put_member(ctx, a, tar, key->data, json->data, json->len);
    if (s == TS_OK && cls != TS_NO_ID) { /* the WebDataset classification convention */
        char num[24];
        int n = snprintf(num, sizeof num, "%lld", (long long)cls);
        key->len = klen;
        s = ts_buf_puts(key, ".cls");
        if (s == TS_OK) s = put_member(ctx, a, tar, key->data, num, (size_t)n);
    }
    return s;
}

static ts_status write_classes(ts_ctx *ctx, const ts_dataset *ds, const char *dir) {
    ts_buf b = {0};
    ts_status s = ts_buf_puts(&b, "{\"categories\":[");
    for (size_t k = 0; s == TS_OK && k < ts_dataset_category_count(ds); k++) {
        ts_category c;
        ts_dataset_category(ds, k, &c);
        s = ts_buf_printf(&b, "%s\n{\"id\":%lld,\"name\":", k ? "," : "", (long long)c.id);
        if (s == TS_OK) s = ts_buf_put_json_string(&b, c.name);
        if (s == TS_OK && c.supercategory[0]) s = put_key_string(&b, "supercategory", c.supercategory);
        if (s == TS_OK && c.parent_id != TS_NO_ID) s = ts_buf_printf(&b, ",\"parent_id\":%lld", (long long)c.parent_id);
        if (s == TS_OK) s = ts_buf_putc(&b, '}');
        if (s == TS_OK && (c.n_keypoints || c.n_attrs)) ts_warn(ctx, "category %s: keypoint names and attributes are not kept in classes.json", c.name);
    }
    if (s == TS_OK) s = ts_buf_puts(&b, "]}\n");
    char *path = ts_path_join(dir, "classes.json");
    if (s == TS_OK) s = path ? ts_file_write_atomic(ctx, path, b.data, b.len) : TS_ERR_NOMEM;
    free(path);
    ts_buf_free(&b);
    return s;
}

ts_status wds_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    uint64_t shard_size = opts && opts->shard_size ? opts->shard_size : 10000;
    size_t n = ts_dataset_image_count(ds);
    ts_atomic_dir *adir = NULL;
    ts_status s = ts_atomic_dir_open(ctx, path, &adir);
    if (s != TS_OK) return s;
    const char *dir = ts_atomic_dir_path(adir);
    char *done = ts_calloc_array(ctx, n ? n : 1, 1);
    ts_strpool *seen = NULL;
    ts_buf key = {0}, json = {0}, tar = {0};
    if (!done || ts_strpool_create(&seen) != TS_OK) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) s = write_classes(ctx, ds, dir);
    size_t written = 0;
    /* one run of shards per split, splits in order of first appearance */
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        if (done[i]) continue;
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const char *split = e.split[0] ? e.split : "shard";
        for (const char *p = split; *p && s == TS_OK; p++)
            if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
                s = ts_error(ctx, TS_ERR_INVALID, "split \"%s\" cannot name a shard file", split);
        struct archive *a = NULL;
        uint64_t in_shard = 0, shard_no = 0;
        for (size_t j = i; s == TS_OK && j < n; j++) {
            ts_image_entry f;
            ts_dataset_image(ds, j, &f);
            if (done[j] || strcmp(f.split[0] ? f.split : "shard", split) != 0) continue;
            done[j] = 1;
            if (!a || in_shard == shard_size) {
                if (a) s = close_shard(ctx, a, tar.data, s);
                a = NULL;
                tar.len = 0;
                if (s == TS_OK && ts_buf_printf(&tar, "%s/%s-%06llu.tar", dir, split, (unsigned long long)shard_no++) != TS_OK)
                    s = TS_ERR_NOMEM;
                if (s == TS_OK && (!(a = archive_write_new()) || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
                                   archive_write_open_filename(a, tar.data) != ARCHIVE_OK))
                    s = ts_error(ctx, TS_ERR_IO, "%s: cannot create: %s", tar.data, a ? archive_error_string(a) : "out of memory");
                in_shard = 0;
            }
            if (s == TS_OK) s = write_sample(ctx, ds, j, a, tar.data, &key, &json, seen);
            in_shard++;
            if (s == TS_OK) s = ts_progress(ctx, "writing shards", ++written, n);
        }
        if (a) s = close_shard(ctx, a, tar.data, s);
    }
    free(done);
    ts_strpool_destroy(seen);
    ts_buf_free(&key);
    ts_buf_free(&json);
    ts_buf_free(&tar);
    if (s != TS_OK) {
        ts_atomic_dir_abort(adir);
        return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
    }
    return ts_atomic_dir_commit(ctx, adir);
}

