/* IDX (MNIST / Fashion-MNIST): a directory of <split>-images-idx3-ubyte[.gz]
 * and <split>-labels-idx1-ubyte[.gz] pairs, read into one dataset whose
 * pixels stay in the decoded arrays, and written back from any dataset. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "trainset/formats.h"

#define IDX_TYPE_U8 0x08
#define CHUNK (1u << 20)

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* ---- one IDX file -------------------------------------------------------------- */

typedef struct {
    uint8_t *bytes;   /* whole decompressed file */
    size_t len;
    uint32_t ndim;
    uint32_t dims[4];
    const uint8_t *data; /* after the header */
    size_t data_len;     /* bytes present after the header (may be short) */
    size_t expected;     /* product of dims, SIZE_MAX if it overflows */
} idx_file;

static void idx_file_free(idx_file *f) { free(f->bytes); }

/* Read a gzip or raw file whole, bounded by max_file_bytes; gzread passes
 * raw files through unchanged. */
static ts_status read_gz(ts_ctx *ctx, const char *path, uint8_t **out, size_t *out_len) {
    gzFile gz = gzopen(path, "rb");
    if (!gz) return ts_error(ctx, TS_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
    gzbuffer(gz, 256 * 1024);
    uint64_t max = ts_ctx_limits(ctx).max_file_bytes;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    ts_status s = TS_OK;
    for (;;) {
        if (ts_grow(ctx, (void **)&buf, &cap, len + CHUNK + 1, 1) != TS_OK) {
            s = TS_ERR_NOMEM;
            break;
        }
        int n = gzread(gz, buf + len, CHUNK);
        if (n < 0) {
            int err;
            const char *msg = gzerror(gz, &err);
            s = ts_error(ctx, TS_ERR_CORRUPT, "%s: corrupt gzip data after %zu bytes: %s", path, len, msg);
            break;
        }
        if (n == 0) break;
        len += (size_t)n;
        if (len > max) {
            s = ts_error(ctx, TS_ERR_LIMIT, "%s: more than %llu bytes once decompressed (max_file_bytes)", path,
                         (unsigned long long)max);
            break;
        }
    }
    /* A gzip stream cut short reads as a clean end with Z_BUF_ERROR set. */
    if (s == TS_OK) {
        int err = Z_OK;
        gzerror(gz, &err);
        if (err != Z_OK && err != Z_STREAM_END)
            s = ts_error(ctx, TS_ERR_CORRUPT, "%s: truncated gzip stream after %zu bytes", path, len);
    }
    gzclose(gz);
    if (s != TS_OK) {
        free(buf);
        return s;
    }
    *out = buf;
    *out_len = len;
    return TS_OK;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parse the header of an IDX file held in memory: magic 00 00 TYPE NDIM and
 * NDIM big-endian sizes. Only unsigned bytes (type 0x08) are image data. */
static ts_status parse_idx(ts_ctx *ctx, const char *name, idx_file *f, uint32_t min_ndim, uint32_t max_ndim) {
    if (f->len < 4) return ts_error_at(ctx, TS_ERR_CORRUPT, name, 0, 0, "truncated IDX header (%zu bytes)", f->len);
    const uint8_t *p = f->bytes;
    if (p[0] != 0 || p[1] != 0)
        return ts_error_at(ctx, TS_ERR_CORRUPT, name, 0, 0, "not an IDX file (magic %02x %02x, expected 00 00)", p[0],
                           p[1]);
    if (p[2] != IDX_TYPE_U8)
        return ts_error_at(ctx, TS_ERR_UNSUPPORTED, name, 0, 0,
                           "IDX data type 0x%02x is not handled (expected 0x08, unsigned byte)", p[2]);
    f->ndim = p[3];
    if (f->ndim < min_ndim || f->ndim > max_ndim)
        return ts_error_at(ctx, TS_ERR_CORRUPT, name, 0, 0, "IDX file has %u dimensions, expected %u to %u",
                           (unsigned)f->ndim, (unsigned)min_ndim, (unsigned)max_ndim);
    size_t header = 4 + 4 * (size_t)f->ndim;
    if (f->len < header)
        return ts_error_at(ctx, TS_ERR_CORRUPT, name, 0, 0, "truncated IDX header (%zu of %zu bytes)", f->len, header);
    size_t expected = 1;
    for (uint32_t i = 0; i < f->ndim; i++) {
        f->dims[i] = be32(p + 4 + 4 * i);
        if (expected != SIZE_MAX && !ts_mul_size(expected, f->dims[i], &expected)) expected = SIZE_MAX;
    }
    f->expected = expected;
    f->data = p + header;
    f->data_len = f->len - header;
    return TS_OK;
}

static ts_status load_idx(ts_ctx *ctx, const char *path, idx_file *f, uint32_t min_ndim, uint32_t max_ndim) {
    memset(f, 0, sizeof *f);
    ts_status s = read_gz(ctx, path, &f->bytes, &f->len);
    if (s == TS_OK) s = parse_idx(ctx, path, f, min_ndim, max_ndim);
    if (s != TS_OK) {
        idx_file_free(f);
        memset(f, 0, sizeof *f);
    }
    return s;
}

/* ---- the pixel source ------------------------------------------------------------ */

typedef struct {
    idx_file images;
    size_t count;
} idx_split;

typedef struct {
    int w, h, c;
    size_t n_splits;
    idx_split *splits;
} idx_pixels;

static void pixels_destroy(void *user) {
    idx_pixels *px = user;
    if (!px) return;
    for (size_t i = 0; i < px->n_splits; i++) idx_file_free(&px->splits[i].images);
    free(px->splits);
    free(px);
}

/* key = split << 32 | index within the split */
static ts_status pixels_load(void *user, ts_ctx *ctx, uint64_t key, ts_image *out) {
    idx_pixels *px = user;
    size_t split = (size_t)(key >> 32), index = (size_t)(key & 0xffffffffu);
    if (split >= px->n_splits || index >= px->splits[split].count)
        return ts_error(ctx, TS_ERR_NOT_FOUND, "IDX image key %llu out of range", (unsigned long long)key);
    ts_image img;
    ts_status s = ts_image_alloc(ctx, px->w, px->h, px->c, TS_PIX_U8, &img);
    if (s != TS_OK) return s;
    size_t size = (size_t)px->w * (size_t)px->h * (size_t)px->c;
    memcpy(img.data, px->splits[split].images.data + index * size, size);
    *out = img;
    return TS_OK;
}

/* ---- reading a directory ----------------------------------------------------------- */

/* "train-images-idx3-ubyte.gz" -> images part found, *prefix_len = 5. Accepts
 * the "-images-idx3-ubyte" and ".images-idx3-ubyte"/"-images.idx3-ubyte"
 * spellings seen in the wild, with or without .gz. */
static int images_name(const char *name, size_t *prefix_len) {
    const char *p = strstr(name, "images");
    if (!p || p == name || (p[-1] != '-' && p[-1] != '.' && p[-1] != '_')) return 0;
    const char *rest = p + 6;
    if ((*rest != '-' && *rest != '.') || strncmp(rest + 1, "idx3-ubyte", 10) != 0) return 0;
    rest += 11;
    if (*rest && strcmp(rest, ".gz") != 0) return 0;
    *prefix_len = (size_t)(p - 1 - name);
    return 1;
}

/* The matching labels file name: images -> labels, idx3 -> idx1. */
static char *labels_name(const char *images) {
    char *l = strdup(images);
    if (!l) return NULL;
    char *p = strstr(l, "images");
    memcpy(p, "labels", 6);
    p = strstr(p, "idx3");
    p[3] = '1';
    return l;
}

static const char *split_of_prefix(const char *prefix) {
    if (strcmp(prefix, "t10k") == 0 || strcmp(prefix, "test") == 0) return "test";
    return prefix;
}

typedef struct {
    char *images, *labels; /* file names inside the directory */
    char *split;
} split_files;

static int split_order(const void *a, const void *b) {
    const split_files *x = a, *y = b;
    /* train first, then test, then the rest by name */
    int rx = strcmp(x->split, "train") == 0 ? 0 : strcmp(x->split, "test") == 0 ? 1 : 2;
    int ry = strcmp(y->split, "train") == 0 ? 0 : strcmp(y->split, "test") == 0 ? 1 : 2;
    return rx != ry ? rx - ry : strcmp(x->split, y->split);
}

static void split_files_free(split_files *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(s[i].images);
        free(s[i].labels);
        free(s[i].split);
    }
    free(s);
}

/* Find the image files of a directory and pair each with its labels file
 * (which may be absent). A name present both raw and gzipped is read once. */
static ts_status find_splits(ts_ctx *ctx, const char *dir, split_files **out, size_t *count) {
    char **names;
    size_t n;
    ts_status s = ts_dir_list(ctx, dir, &names, &n);
    if (s != TS_OK) return s;
    split_files *sp = ts_calloc_array(ctx, n ? n : 1, sizeof *sp);
    size_t k = 0;
    for (size_t i = 0; sp && i < n; i++) {
        size_t plen;
        if (!images_name(names[i], &plen)) continue;
        char *prefix = ts_strndup(ctx, names[i], plen);
        if (!prefix) {
            s = TS_ERR_NOMEM;
            break;
        }
        const char *split = split_of_prefix(prefix);
        int dup = 0;
        for (size_t j = 0; j < k; j++) dup |= strcmp(sp[j].split, split) == 0;
        if (dup) {
            free(prefix);
            continue;
        }
        sp[k].split = ts_strdup(ctx, split);
        sp[k].images = ts_strdup(ctx, names[i]);
        char *labels = labels_name(names[i]);
        free(prefix);
        if (!sp[k].split || !sp[k].images || !labels) {
            free(labels);
            k++;
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
            break;
        }
        /* the labels file may be gzipped when the images are not, or not */
        size_t ll = strlen(labels);
        for (size_t j = 0; j < n && !sp[k].labels; j++) {
            size_t nl = strlen(names[j]);
            int gz_variant = ts_ends_with_nocase(labels, ".gz") ? nl + 3 == ll && strncmp(names[j], labels, nl) == 0
                                                                : nl == ll + 3 && strncmp(names[j], labels, ll) == 0 &&
                                                                      strcmp(names[j] + ll, ".gz") == 0;
            if (strcmp(names[j], labels) == 0 || gz_variant) sp[k].labels = ts_strdup(ctx, names[j]);
        }
        free(labels);
        k++;
    }
    ts_strings_free(names, n);
    if (!sp || s != TS_OK) {
        if (sp) split_files_free(sp, k);
        return sp ? s : TS_ERR_NOMEM;
    }
    if (k == 0) {
        free(sp);
        return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: no IDX images file (such as train-images-idx3-ubyte.gz)", dir);
    }
    qsort(sp, k, sizeof *sp, split_order);
    *out = sp;
    *count = k;
    return TS_OK;
}

/* Class names: a labels.txt or classes.txt (one per line) in the directory,
 * else Fashion-MNIST's when the directory's name says "fashion", else
 * MNIST's digits. */
static ts_status class_names(ts_ctx *ctx, const char *dir, char ***names, size_t *count, const char **set) {
    static const char *const files[] = {"labels.txt", "classes.txt"};
    for (size_t f = 0; f < 2; f++) {
        char *path = ts_path_join(dir, files[f]);
        if (!path) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        if (!ts_file_exists(path)) {
            free(path);
            continue;
        }
        uint8_t *text;
        size_t len;
        ts_status s = ts_file_read(ctx, path, &text, &len);
        free(path);
        if (s != TS_OK) return s;
        char **list = NULL;
        size_t n = 0, cap = 0;
        const char *p = (const char *)text, *end = p + len;
        while (p < end && s == TS_OK) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            const char *b = p;
            while (b < e && isspace((unsigned char)*b)) b++;
            const char *t = e;
            while (t > b && isspace((unsigned char)t[-1])) t--;
            p = nl ? nl + 1 : end;
            if (t == b && !nl) break; /* a final empty line */
            if (ts_grow(ctx, (void **)&list, &cap, n + 1, sizeof *list) != TS_OK ||
                !(list[n] = ts_strndup(ctx, b, (size_t)(t - b))))
                s = TS_ERR_NOMEM;
            else
                n++;
        }
        free(text);
        if (s != TS_OK) {
            ts_strings_free(list, n);
            return s;
        }
        /* trailing blank lines carry no class */
        while (n && !list[n - 1][0]) free(list[--n]);
        *names = list;
        *count = n;
        *set = files[f];
        return TS_OK;
    }
    char *real = realpath(dir, NULL);
    const char *base = ts_path_basename(real ? real : dir);
    int fashion = 0;
    for (const char *p = base; *p && !fashion; p++) fashion = strncasecmp(p, "fashion", 7) == 0;
    free(real);
    char **list = ts_calloc_array(ctx, 10, sizeof *list);
    if (!list) return TS_ERR_NOMEM;
    for (int i = 0; i < 10; i++) {
        char digit[2] = {(char)('0' + i), 0};
        if (!(list[i] = ts_strdup(ctx, fashion ? fashion_names[i] : digit))) {
            ts_strings_free(list, (size_t)i);
            return TS_ERR_NOMEM;
        }
    }
    *names = list;
    *count = 10;
    *set = fashion ? "Fashion-MNIST" : "MNIST";
    return TS_OK;
}

/* Load one split's images (and labels) into px->splits[si]; returns the
 * labels file (caller frees) or an empty one when there is none. */
static ts_status load_split(ts_ctx *ctx, const char *dir, const split_files *sf, idx_pixels *px, size_t si,
                            idx_file *labels) {
    char *ipath = ts_path_join(dir, sf->images);
    if (!ipath) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    idx_file *img = &px->splits[si].images;
    ts_status s = load_idx(ctx, ipath, img, 3, 4);
    if (s != TS_OK) {
        free(ipath);
        return s;
    }
    uint32_t h = img->dims[1], w = img->dims[2], c = img->ndim == 4 ? img->dims[3] : 1;
    if (c != 1 && c != 3 && c != 4)
        s = ts_error_at(ctx, TS_ERR_UNSUPPORTED, ipath, 0, 0, "%u channels per pixel; expected 1, 3 or 4",
                        (unsigned)c);
    if (s == TS_OK) s = ts_image_check_size(ctx, w, h, ipath);
    if (s == TS_OK && (w == 0 || h == 0))
        s = ts_error_at(ctx, TS_ERR_CORRUPT, ipath, 0, 0, "image size %ux%u is empty", (unsigned)w, (unsigned)h);
    if (s == TS_OK && si > 0 && ((int)w != px->w || (int)h != px->h || (int)c != px->c))
        s = ts_error_at(ctx, TS_ERR_UNSUPPORTED, ipath, 0, 0,
                        "images are %ux%ux%u but the first split's are %dx%dx%d; one size per directory", (unsigned)w,
                        (unsigned)h, (unsigned)c, px->w, px->h, px->c);
    if (s != TS_OK) {
        free(ipath);
        return s;
    }
    px->w = (int)w, px->h = (int)h, px->c = (int)c;
    size_t size = (size_t)w * h * c; /* bounded by the pixel limit */
    size_t count = img->dims[0];
    if (img->expected == SIZE_MAX || img->data_len < img->expected) {
        /* Datumaro's exporter writes count*rows*cols into the count field;
         * the data then holds exactly `count` bytes of whole images. */
        if (img->data_len == count && count % size == 0) {
            ts_warn(ctx, "%s: count field says %zu but the file holds %zu images; using the file size", ipath, count,
                    count / size);
            count /= size;
        } else {
            size_t have = img->data_len / size;
            if (!ts_ctx_lenient(ctx)) {
                s = ts_error_at(ctx, TS_ERR_CORRUPT, ipath, 0, 0,
                                "truncated: header says %zu images of %ux%u but the file holds %zu bytes of pixels",
                                count, (unsigned)w, (unsigned)h, img->data_len);
                free(ipath);
                return s;
            }
            ts_warn(ctx, "%s: truncated; keeping the %zu whole images of %zu", ipath, have, count);
            count = have;
        }
    } else if (img->data_len > img->expected) {
        ts_warn(ctx, "%s: %zu bytes after the last image ignored", ipath, img->data_len - img->expected);
    }
    if (count > UINT32_MAX) {
        s = ts_error_at(ctx, TS_ERR_LIMIT, ipath, 0, 0, "%zu images in one file; at most %u", count, UINT32_MAX);
        free(ipath);
        return s;
    }
    px->splits[si].count = count;
    memset(labels, 0, sizeof *labels);
    if (sf->labels) {
        char *lpath = ts_path_join(dir, sf->labels);
        s = lpath ? load_idx(ctx, lpath, labels, 1, 1) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        if (s == TS_OK && labels->data_len < labels->dims[0]) {
            if (!ts_ctx_lenient(ctx))
                s = ts_error_at(ctx, TS_ERR_CORRUPT, lpath, 0, 0, "truncated: header says %u labels but %zu are present",
                                (unsigned)labels->dims[0], labels->data_len);
            else
                ts_warn(ctx, "%s: truncated: %zu of %u labels present", lpath, labels->data_len,
                        (unsigned)labels->dims[0]);
        }
        size_t nlabels = labels->data_len < labels->dims[0] ? labels->data_len : labels->dims[0];
        if (s == TS_OK && nlabels != count) {
            if (!ts_ctx_lenient(ctx))
                s = ts_error_at(ctx, TS_ERR_INVALID, lpath, 0, 0, "%zu labels for the %zu images of %s", nlabels, count,
                                sf->images);
            else
                ts_warn(ctx, "%s: %zu labels for the %zu images of %s; images past the labels are unlabeled", lpath,
                        nlabels, count, sf->images);
        }
        if (s == TS_OK) labels->data_len = nlabels;
        free(lpath);
        if (s != TS_OK) idx_file_free(labels), memset(labels, 0, sizeof *labels);
    } else {
        ts_warn(ctx, "%s: no labels file beside it; its images are unlabeled", ipath);
    }
    free(ipath);
    return s;
}

/* Add one split's images and their label annotations. */
static ts_status add_split(ts_ctx *ctx, ts_dataset *ds, const char *dir, const split_files *sf, size_t si,
                           const idx_pixels *px, uint32_t origin, const idx_file *labels, int64_t *next_id) {
    char *source = ts_path_join(dir, sf->images);
    if (!source) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    const char *split = ts_dataset_intern(ctx, ds, sf->split);
    const char *src = ts_dataset_intern(ctx, ds, source);
    free(source);
    if (!split || !src) return TS_ERR_NOMEM;
    size_t count = px->splits[si].count;
    ts_buf name = {0};
    ts_status s = TS_OK;
    for (size_t j = 0; s == TS_OK && j < count; j++) {
        name.len = 0;
        if (ts_buf_printf(&name, "%s/%05zu.png", sf->split, j) != TS_OK) {
            s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
            break;
        }
        ts_image_entry e = ts_image_entry_empty();
        e.id = (*next_id)++;
        e.path = name.data;
        e.width = px->w;
        e.height = px->h;
        e.split = split;
        e.source = src;
        e.origin = origin;
        e.pixel_key = (uint64_t)si << 32 | j;
        s = ts_dataset_add_image(ctx, ds, &e, NULL);
        if (s == TS_OK && j < labels->data_len) {
            ts_annotation a = ts_annotation_empty();
            a.id = e.id;
            a.image_id = e.id;
            a.category_id = labels->data[j];
            a.kind = TS_ANN_LABEL;
            s = ts_dataset_add_annotation(ctx, ds, &a, NULL);
        }
        if (s == TS_OK && (j & 8191) == 8191) s = ts_progress(ctx, "reading IDX", j + 1, count);
    }
    ts_buf_free(&name);
    return s;
}

static ts_status idx_read(ts_ctx *ctx, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    (void)opts;
    if (!ts_dir_exists(path))
        return ts_error(ctx, TS_ERR_NOT_FOUND, "%s: IDX input is a directory holding the idx files", path);
    split_files *sf = NULL;
    size_t nsplits = 0;
    ts_status s = find_splits(ctx, path, &sf, &nsplits);
    if (s != TS_OK) return s;
    char **names = NULL;
    size_t nnames = 0;
    const char *set = NULL;
    ts_dataset *ds = NULL;
    ts_pixel_source *src = NULL;
    idx_pixels *px = calloc(1, sizeof *px);
    idx_pixels *held = px; /* still readable once the source owns it */
    idx_file *labels = ts_calloc_array(ctx, nsplits, sizeof *labels);
    if (!px || !labels || !(px->splits = ts_calloc_array(ctx, nsplits, sizeof *px->splits)))
        s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK) px->n_splits = nsplits;
    for (size_t i = 0; s == TS_OK && i < nsplits; i++) s = load_split(ctx, path, &sf[i], px, i, &labels[i]);
    if (s == TS_OK) s = class_names(ctx, path, &names, &nnames, &set);
    if (s == TS_OK) s = ts_dataset_create(ctx, &ds);
    if (s == TS_OK) {
        ts_pixel_source_fns fns = {pixels_load, NULL, pixels_destroy};
        s = ts_pixel_source_create(ctx, &fns, px, &src);
        if (s == TS_OK) px = NULL;
    }
    uint32_t origin = 0;
    if (s == TS_OK) s = ts_dataset_add_origin(ctx, ds, path, src, &origin);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, ds, path);
    if (s == TS_OK) s = ts_dataset_set_meta(ctx, ds, "classes", set);
    /* categories: every named class, plus any label value past the names */
    size_t ncats = nnames;
    for (size_t i = 0; s == TS_OK && i < nsplits; i++)
        for (size_t j = 0; j < labels[i].data_len; j++)
            if ((size_t)labels[i].data[j] + 1 > ncats) ncats = (size_t)labels[i].data[j] + 1;
    if (s == TS_OK && ncats > nnames)
        ts_warn(ctx, "%s: labels up to %zu have no class name (%s names %zu); named by their number", path, ncats - 1,
                set, nnames);
    for (size_t k = 0; s == TS_OK && k < ncats; k++) {
        char num[24];
        snprintf(num, sizeof num, "%zu", k);
        ts_category cat = ts_category_empty();
        cat.id = (int64_t)k;
        cat.name = k < nnames && names[k][0] ? names[k] : num;
        s = ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    int64_t next_id = 1;
    for (size_t i = 0; s == TS_OK && i < nsplits; i++)
        s = add_split(ctx, ds, path, &sf[i], i, held, origin, &labels[i], &next_id);
    ts_strings_free(names, nnames);
    for (size_t i = 0; labels && i < nsplits; i++) idx_file_free(&labels[i]);
    free(labels);
    split_files_free(sf, nsplits);
    pixels_destroy(px);
    ts_pixel_source_release(src);
    if (s != TS_OK) {
        ts_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return TS_OK;
}

/* ---- detection ---------------------------------------------------------------------- */

static int idx_detect(const char *path) {
    if (!ts_dir_exists(path)) return 0;
    char **names;
    size_t n;
    if (ts_dir_list(NULL, path, &names, &n) != TS_OK) return 0;
    int score = 0;
    for (size_t i = 0; i < n && !score; i++) {
        size_t plen;
        if (images_name(names[i], &plen)) score = 90;
    }
    ts_strings_free(names, n);
    return score;
}

/* ---- writing -------------------------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static int safe_split_name(const char *s) {
    if (!*s || *s == '.') return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.') return 0;
    return 1;
}

typedef struct {
    ts_ctx *ctx;
    gzFile gz;
    const char *path;
} gz_out;

static ts_status gz_open(ts_ctx *ctx, const char *dir, const char *prefix, const char *kind, gz_out *g) {
    ts_buf name = {0};
    g->ctx = ctx;
    g->path = NULL;
    if (ts_buf_printf(&name, "%s/%s-%s-ubyte.gz", dir, prefix, kind) != TS_OK)
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    g->gz = gzopen(name.data, "wb6");
    if (!g->gz) {
        ts_status s = ts_error(ctx, TS_ERR_IO, "%s: cannot create: %s", name.data, strerror(errno));
        ts_buf_free(&name);
        return s;
    }
    g->path = name.data; /* owned; freed by gz_close */
    return TS_OK;
}

static ts_status gz_put(gz_out *g, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len) {
        unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        if (gzwrite(g->gz, p, n) != (int)n) return ts_error(g->ctx, TS_ERR_IO, "%s: write failed", g->path);
        p += n, len -= n;
    }
    return TS_OK;
}

/* Close, and flush to disk: the directory is swapped in whole on commit, so
 * its files must be durable before it is. */
static ts_status gz_close(gz_out *g, ts_status s) {
    if (g->gz && gzclose(g->gz) != Z_OK && s == TS_OK) s = ts_error(g->ctx, TS_ERR_IO, "%s: write failed", g->path);
    int fd = s == TS_OK && g->path ? open(g->path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0 && fsync(fd) != 0) s = ts_error(g->ctx, TS_ERR_IO, "%s: fsync failed: %s", g->path, strerror(errno));
    if (fd >= 0) close(fd);
    g->gz = NULL;
    free((char *)g->path);
    g->path = NULL;
    return s;
}

/* Label byte of each category index: the category id when every id fits a
 * byte, else its rank by id. */
static ts_status label_table(ts_ctx *ctx, const ts_dataset *ds, int *label_of, char ***names_out, size_t *nlabels) {
    size_t ncats = ts_dataset_category_count(ds);
    int by_id = 1;
    for (size_t k = 0; k < ncats; k++) {
        int64_t id = ts_dataset_category_id(ds, k);
        if (id < 0 || id > 255) by_id = 0;
    }
    if (!by_id && ncats > 256)
        return ts_error(ctx, TS_ERR_UNSUPPORTED, "IDX labels are bytes: %zu categories do not fit", ncats);
    size_t n = 0;
    for (size_t k = 0; k < ncats; k++) {
        int64_t id = ts_dataset_category_id(ds, k);
        if (by_id) {
            label_of[k] = (int)id;
        } else {
            int rank = 0;
            for (size_t j = 0; j < ncats; j++) rank += ts_dataset_category_id(ds, j) < id;
            label_of[k] = rank;
        }
        if ((size_t)label_of[k] + 1 > n) n = (size_t)label_of[k] + 1;
    }
    if (!by_id) ts_warn(ctx, "category ids do not fit IDX label bytes; written as their rank 0..%zu", n - 1);
    char **names = ts_calloc_array(ctx, n ? n : 1, sizeof *names);
    if (!names) return TS_ERR_NOMEM;
    for (size_t k = 0; k < ncats; k++) {
        ts_category c;
        ts_dataset_category(ds, k, &c);
        names[label_of[k]] = (char *)c.name;
    }
    *names_out = names;
    *nlabels = n;
    return TS_OK;
}

/* The label of an image: its first image-level label annotation. */
static int image_label(ts_ctx *ctx, const ts_dataset *ds, size_t i, const int *label_of, uint64_t *dropped) {
    const size_t *anns;
    size_t n;
    if (ts_dataset_image_annotations(ctx, ds, i, &anns, &n) != TS_OK) return -2;
    int label = -1;
    for (size_t k = 0; k < n; k++) {
        ts_annotation a;
        ts_dataset_annotation(ds, anns[k], &a);
        size_t ci;
        if (label < 0 && a.kind == TS_ANN_LABEL && ts_dataset_find_category(ds, a.category_id, &ci))
            label = label_of[ci];
        else
            (*dropped)++;
    }
    return label;
}

static ts_status write_split(ts_ctx *ctx, const ts_dataset *ds, const char *dir, const char *split,
                             const size_t *images, const int *labels, size_t n, int *shape) {
    const char *prefix = strcmp(split, "test") == 0 ? "t10k" : split;
    gz_out gi = {0}, gl = {0};
    ts_status s = gz_open(ctx, dir, prefix, "images-idx3", &gi);
    if (s == TS_OK) s = gz_open(ctx, dir, prefix, "labels-idx1", &gl);
    ts_decode_opts dopts = ts_decode_opts_default();
    for (size_t k = 0; s == TS_OK && k < n; k++) {
        ts_image img;
        s = ts_dataset_load_image(ctx, ds, images[k], &dopts, &img, NULL);
        if (s != TS_OK) break;
        ts_image_entry e;
        ts_dataset_image(ds, images[k], &e);
        if (img.type != TS_PIX_U8) {
            s = ts_error(ctx, TS_ERR_UNSUPPORTED, "image %s: IDX holds 8-bit pixels only", e.path);
        } else if (shape[0] == 0) {
            shape[0] = img.w, shape[1] = img.h, shape[2] = img.c;
        } else if (img.w != shape[0] || img.h != shape[1] || img.c != shape[2]) {
            s = ts_error(ctx, TS_ERR_UNSUPPORTED,
                         "image %s is %dx%d with %d channels but the first image is %dx%d with %d; IDX holds one "
                         "size (resize first)",
                         e.path, img.w, img.h, img.c, shape[0], shape[1], shape[2]);
        }
        if (s == TS_OK && k == 0) {
            uint8_t hdr[20];
            size_t hl = shape[2] == 1 ? 16 : 20;
            hdr[0] = hdr[1] = 0, hdr[2] = IDX_TYPE_U8, hdr[3] = shape[2] == 1 ? 3 : 4;
            put_be32(hdr + 4, (uint32_t)n);
            put_be32(hdr + 8, (uint32_t)shape[1]);
            put_be32(hdr + 12, (uint32_t)shape[0]);
            put_be32(hdr + 16, (uint32_t)shape[2]);
            s = gz_put(&gi, hdr, hl);
            uint8_t lh[8] = {0, 0, IDX_TYPE_U8, 1};
            put_be32(lh + 4, (uint32_t)n);
            if (s == TS_OK) s = gz_put(&gl, lh, 8);
        }
        for (int y = 0; s == TS_OK && y < img.h; y++)
            s = gz_put(&gi, ts_image_row(&img, y), (size_t)img.w * (size_t)img.c);
        uint8_t lb = (uint8_t)labels[k];
        if (s == TS_OK) s = gz_put(&gl, &lb, 1);
        ts_image_free(&img);
        if (s == TS_OK && (k & 4095) == 4095) s = ts_progress(ctx, "writing IDX", k + 1, n);
    }
    s = gz_close(&gi, s);
    return gz_close(&gl, s);
}

static ts_status idx_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts) {
    (void)opts;
    size_t nimg = ts_dataset_image_count(ds), ncats = ts_dataset_category_count(ds);
    if (nimg > UINT32_MAX) return ts_error(ctx, TS_ERR_LIMIT, "%zu images do not fit an IDX file", nimg);
    int *label_of = ts_calloc_array(ctx, ncats ? ncats : 1, sizeof *label_of);
    int *labels = ts_calloc_array(ctx, nimg ? nimg : 1, sizeof *labels);
    size_t *order = ts_calloc_array(ctx, nimg ? nimg : 1, sizeof *order);
    char **names = NULL;
    size_t nlabels = 0;
    ts_status s = label_of && labels && order ? label_table(ctx, ds, label_of, &names, &nlabels) : TS_ERR_NOMEM;
    uint64_t dropped = 0, unlabeled = 0;
    for (size_t i = 0; s == TS_OK && i < nimg; i++) {
        labels[i] = image_label(ctx, ds, i, label_of, &dropped);
        if (labels[i] == -2) s = TS_ERR_NOMEM;
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const char *split = e.split[0] ? e.split : "train";
        if (s == TS_OK && !safe_split_name(split))
            s = ts_error(ctx, TS_ERR_INVALID, "split \"%s\" of image %s cannot name an IDX file", split, e.path);
        if (s == TS_OK && labels[i] < 0) {
            if (!ts_ctx_lenient(ctx))
                s = ts_error(ctx, TS_ERR_UNSUPPORTED,
                             "image %s has no image-level label; IDX needs one per image (--lenient skips it)", e.path);
            else
                unlabeled++;
        }
    }
    if (s == TS_OK && unlabeled) ts_warn(ctx, "%llu images without a label left out of the IDX output",
                                         (unsigned long long)unlabeled);
    if (s == TS_OK && dropped)
        ts_warn(ctx, "%llu annotations dropped: IDX holds one image-level label per image",
                (unsigned long long)dropped);
    ts_atomic_dir *adir = NULL;
    if (s == TS_OK) s = ts_atomic_dir_open(ctx, path, &adir);
    const char *dir = adir ? ts_atomic_dir_path(adir) : NULL;
    int shape[3] = {0, 0, 0};
    /* one pass per split, in order of first appearance */
    char *done = s == TS_OK ? ts_calloc_array(ctx, nimg ? nimg : 1, 1) : NULL;
    int *split_labels = s == TS_OK ? ts_calloc_array(ctx, nimg ? nimg : 1, sizeof *split_labels) : NULL;
    if (s == TS_OK && (!done || !split_labels)) s = TS_ERR_NOMEM;
    for (size_t i = 0; s == TS_OK && i < nimg; i++) {
        if (done[i] || labels[i] < 0) continue;
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        const char *split = e.split[0] ? e.split : "train";
        size_t n = 0;
        for (size_t j = i; j < nimg; j++) {
            if (done[j] || labels[j] < 0) continue;
            ts_image_entry f;
            ts_dataset_image(ds, j, &f);
            if (strcmp(f.split[0] ? f.split : "train", split) != 0) continue;
            done[j] = 1;
            order[n] = j;
            split_labels[n++] = labels[j];
        }
        s = write_split(ctx, ds, dir, split, order, split_labels, n, shape);
    }
    free(split_labels);
    free(done);
    if (s == TS_OK) {
        ts_buf text = {0};
        for (size_t k = 0; k < nlabels && s == TS_OK; k++) {
            char num[24];
            snprintf(num, sizeof num, "%zu", k);
            if (ts_buf_printf(&text, "%s\n", names[k] ? names[k] : num) != TS_OK) s = TS_ERR_NOMEM;
        }
        char *lp = ts_path_join(dir, "labels.txt");
        if (s == TS_OK) s = lp ? ts_file_write_atomic(ctx, lp, text.data ? text.data : "", text.len) : TS_ERR_NOMEM;
        free(lp);
        ts_buf_free(&text);
    }
    if (adir) s = s == TS_OK ? ts_atomic_dir_commit(ctx, adir) : (ts_atomic_dir_abort(adir), s);
    free(names);
    free(label_of);
    free(labels);
    free(order);
    return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
}

const ts_format ts_format_idx = {"idx", "MNIST / Fashion-MNIST IDX files (gzip or raw), one directory",
                                 idx_detect, idx_read, idx_write};
