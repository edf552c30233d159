/* The format registry. Each format file defines one `const ts_format
 * ts_format_<name>`; the table lists them all, detection picks the best. */
#include <stdlib.h>
#include <string.h>

#include "trainset/formats.h"

extern const ts_format ts_format_coco, ts_format_voc, ts_format_yolo, ts_format_openimages, ts_format_imagefolder,
    ts_format_cvat, ts_format_idx, ts_format_wds;

/* Detection asks every format; ties go to the earlier one. */
static const ts_format *const all_formats[] = {&ts_format_coco, &ts_format_voc,   &ts_format_yolo,
                                               &ts_format_openimages, &ts_format_imagefolder,
                                               &ts_format_cvat, &ts_format_idx,   &ts_format_wds, NULL};

const ts_format *const *ts_formats(void) { return all_formats; }

const ts_format *ts_format_find(const char *name) {
    for (const ts_format *const *f = ts_formats(); *f; f++)
        if (ts_strcaseeq((*f)->name, name)) return *f;
    return NULL;
}

ts_status ts_format_detect(ts_ctx *ctx, const char *path, const ts_format **out) {
    const ts_format *best = NULL;
    int best_score = 0;
    if (!ts_file_exists(path) && !ts_dir_exists(path))
        return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no such file or directory", path);
    for (const ts_format *const *f = ts_formats(); *f; f++) {
        int score = (*f)->detect ? (*f)->detect(path) : 0;
        if (score > best_score) {
            best_score = score;
            best = *f;
        }
    }
    if (!best) {
        char names[256] = "";
        size_t n = 0;
        for (const ts_format *const *f = ts_formats(); *f; f++) {
            size_t len = strlen((*f)->name);
            if (n + len + 3 >= sizeof names) break;
            if (n) names[n++] = ',', names[n++] = ' ';
            memcpy(names + n, (*f)->name, len + 1);
            n += len;
        }
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: cannot tell the dataset format; name it with --format (one of: %s)",
                        path, names);
    }
    *out = best;
    return TS_OK;
}

ts_status ts_dataset_read(ts_ctx *ctx, const char *path, const char *format, const ts_read_opts *opts,
                          ts_dataset **out) {
    const ts_format *f = NULL;
    ts_read_opts defaults = {0, NULL};
    if (format) {
        f = ts_format_find(format);
        if (!f) return ts_error(ctx, TS_ERR_UNSUPPORTED, "unknown format \"%s\"", format);
    } else {
        ts_status s = ts_format_detect(ctx, path, &f);
        if (s != TS_OK) return s;
    }
    if (!f->read) return ts_error(ctx, TS_ERR_UNSUPPORTED, "format %s cannot be read", f->name);
    ts_dataset *ds = NULL;
    ts_status s = f->read(ctx, path, opts ? opts : &defaults, &ds);
    if (s != TS_OK) return s;
    if ((s = ts_dataset_set_meta(ctx, ds, "format", f->name)) != TS_OK) {
        ts_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return TS_OK;
}

ts_status ts_dataset_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const char *format,
                           const ts_write_opts *opts) {
    ts_write_opts defaults = {0};
    const ts_format *f = ts_format_find(format ? format : "coco");
    if (!f) return ts_error(ctx, TS_ERR_UNSUPPORTED, "unknown format \"%s\"", format);
    if (!f->write) return ts_error(ctx, TS_ERR_UNSUPPORTED, "format %s cannot be written", f->name);
    return f->write(ctx, ds, path, opts ? opts : &defaults);
}
