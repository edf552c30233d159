/* The pixel pass: every image is read once (in parallel, each worker with
 * its own context so one bad file cannot hide another's message), hashed
 * and measured; unreadable files, sizes that disagree with the annotations,
 * EXIF orientation and poor image quality become findings. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"

#define ANALYSIS_SIDE 128 /* JPEGs are DCT-decoded down to about this short side */

typedef struct {
    const ts_dataset *ds;
    image_record *records;
    ts_ctx *main_ctx;
    ts_ctx **worker_ctx;
    atomic_size_t done;
    size_t total;
} pixel_job;

/* Boxes of image `index` scaled to the decoded size, marked in `mask`. */
static void mark_boxes(const ts_dataset *ds, size_t index, int W, int H, int w, int h, uint8_t *mask) {
    const size_t *list;
    size_t n;
    memset(mask, 0, (size_t)w * h);
    if (W <= 0 || H <= 0 || ts_dataset_image_annotations(NULL, ds, index, &list, &n) != TS_OK) return;
    double sx = (double)w / W, sy = (double)h / H;
    for (size_t k = 0; k < n; k++) {
        ts_annotation a;
        ts_dataset_annotation(ds, list[k], &a);
        if (!(a.flags & TS_ANN_HAS_BOX) || !(a.bbox[2] > 0) || !(a.bbox[3] > 0)) continue;
        int x0 = (int)floor(a.bbox[0] * sx), y0 = (int)floor(a.bbox[1] * sy);
        int x1 = (int)ceil((a.bbox[0] + a.bbox[2]) * sx), y1 = (int)ceil((a.bbox[1] + a.bbox[3]) * sy);
        if (x0 < 0) x0 = 0;
        if (y0 < 0) y0 = 0;
        if (x1 > w) x1 = w;
        if (y1 > h) y1 = h;
        for (int y = y0; y < y1; y++) memset(mask + (size_t)y * w + x0, 1, x1 > x0 ? (size_t)(x1 - x0) : 0);
    }
}

/* Luma statistics, sharpness, saturation and context colour of a decoded
 * 8-bit image. */
static void measure(const ts_dataset *ds, size_t index, const ts_image *img, image_record *r) {
    int w = img->w, h = img->h, c = img->c;
    size_t npix = (size_t)w * h;
    uint8_t *luma = malloc(npix), *mask = malloc(npix);
    if (!luma || !mask) {
        free(luma);
        free(mask);
        return;
    }
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    mark_boxes(ds, index, e.width, e.height, w, h, mask);
    double sum = 0, sum2 = 0, sat = 0, ctx_sum = 0, ctx_rgb[3] = {0, 0, 0};
    size_t ctx_n = 0;
    uint64_t hist[256] = {0};
    int gray = 1;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = ts_image_row(img, y);
        for (int x = 0; x < w; x++) {
            const uint8_t *p = row + (size_t)x * c;
            int R = p[0], G = c >= 3 ? p[1] : p[0], B = c >= 3 ? p[2] : p[0];
            int Y = (299 * R + 587 * G + 114 * B + 500) / 1000;
            luma[(size_t)y * w + x] = (uint8_t)Y;
            hist[Y]++;
            sum += Y;
            sum2 += (double)Y * Y;
            int mx = R > G ? (R > B ? R : B) : (G > B ? G : B), mn = R < G ? (R < B ? R : B) : (G < B ? G : B);
            if (mx > 0) sat += (double)(mx - mn) / mx;
            if (mx - mn > 2) gray = 0;
            if (!mask[(size_t)y * w + x]) {
                ctx_sum += Y;
                ctx_rgb[0] += R, ctx_rgb[1] += G, ctx_rgb[2] += B;
                ctx_n++;
            }
        }
    }
    double mean = sum / (double)npix;
    r->facts.brightness = mean / 255;
    r->facts.contrast = sqrt(fmax(0, sum2 / (double)npix - mean * mean)) / 255;
    r->facts.saturation = sat / (double)npix;
    r->gray_in_colour = gray;
    if (!ctx_n) ctx_n = 1; /* boxes cover everything: no context */
    r->context_brightness = ctx_sum / (double)ctx_n / 255;
    for (int k = 0; k < 3; k++) r->context_rgb[k] = ctx_rgb[k] / (double)ctx_n / 255;
    double entropy = 0;
    for (int v = 0; v < 256; v++) {
        if (!hist[v]) continue;
        double p = (double)hist[v] / (double)npix;
        entropy -= p * log2(p);
    }
    r->low_information = entropy;
    /* variance of the 4-neighbour Laplacian */
    double ls = 0, ls2 = 0;
    size_t ln = 0;
    for (int y = 1; y + 1 < h; y++) {
        for (int x = 1; x + 1 < w; x++) {
            size_t i = (size_t)y * w + x;
            double L = (double)luma[i - 1] + luma[i + 1] + luma[i - w] + luma[i + w] - 4.0 * luma[i];
            ls += L;
            ls2 += L * L;
            ln++;
        }
    }
    r->facts.sharpness = ln ? ls2 / (double)ln - (ls / (double)ln) * (ls / (double)ln) : 0;
    free(luma);
    free(mask);
}

static uint64_t pixel_hash(const ts_image *img) {
    uint64_t h = ts_hash_bytes(&img->w, sizeof img->w, (uint64_t)img->h * 131 + (uint64_t)img->c);
    size_t row = (size_t)img->w * img->c * ts_pixel_size(img->type);
    for (int y = 0; y < img->h; y++) h = ts_hash_bytes(ts_image_row(img, y), row, h);
    return h;
}

void audit_read_image(ts_ctx *ctx, const ts_dataset *ds, size_t index, image_record *r) {
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    ts_origin origin = ts_dataset_origin(ds, e.origin);
    ts_image img;
    memset(&img, 0, sizeof img);
    ts_status s;
    r->facts.orientation = 1;
    if (origin.pixels) {
        s = ts_dataset_load_image(ctx, ds, index, NULL, &img, NULL);
        if (s == TS_OK) {
            r->facts.width = img.w;
            r->facts.height = img.h;
            r->facts.channels = img.c;
        }
    } else {
        uint8_t *bytes = NULL;
        size_t len = 0;
        ts_image_header hdr;
        s = ts_dataset_image_bytes(ctx, ds, index, &bytes, &len);
        if (s == TS_OK) {
            r->facts.file_hash = ts_hash_bytes(bytes, len, 0);
            s = ts_image_probe(ctx, bytes, len, &hdr);
        }
        if (s == TS_OK) {
            ts_image_header_oriented_size(&hdr, &r->facts.width, &r->facts.height);
            r->facts.orientation = hdr.orientation;
            r->facts.channels = hdr.channels;
            ts_decode_opts opts = ts_decode_opts_default();
            opts.channels = hdr.channels >= 3 ? 3 : 1;
            if (hdr.codec == TS_CODEC_JPEG) opts.scale_denom = ts_phash_scale_denom(hdr.width, hdr.height, ANALYSIS_SIDE);
            char *name = ts_dataset_image_file(ds, index);
            s = ts_image_decode(ctx, name ? name : e.path, bytes, len, &opts, &img, NULL);
            free(name);
        }
        free(bytes);
    }
    if (s == TS_OK && img.type != TS_PIX_U8) {
        ts_image_free(&img);
        s = ts_error(ctx, TS_ERR_UNSUPPORTED, "%s: only 8-bit pixels are measured", e.path);
    }
    if (s != TS_OK) {
        r->error = strdup(*ts_ctx_error(ctx) ? ts_ctx_error(ctx) : ts_status_name(s));
        ts_ctx_clear_error(ctx);
        return;
    }
    r->facts.readable = 1;
    r->decoded = 1;
    r->facts.pixel_hash = pixel_hash(&img);
    if (ts_phash(ctx, &img, TS_PHASH_DIFFERENCE, &r->facts.dhash) != TS_OK ||
        ts_phash(ctx, &img, TS_PHASH_DCT, &r->facts.phash) != TS_OK)
        ts_ctx_clear_error(ctx);
    measure(ds, index, &img, r);
    ts_image_free(&img);
}

static void read_range(void *user, size_t begin, size_t end, int worker) {
    pixel_job *job = user;
    for (size_t i = begin; i < end; i++) audit_read_image(job->worker_ctx[worker], job->ds, i, &job->records[i]);
    size_t done = atomic_fetch_add(&job->done, end - begin) + (end - begin);
    ts_progress(job->main_ctx, "audit: reading images", done, job->total);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static ts_status pixel_findings(ts_audit *audit) {
    const ts_dataset *ds = audit->ds;
    size_t n = audit->n_images, readable = 0, colour = 0;
    finding *unreadable = NULL, *mismatch = NULL, *exif = NULL, *dark = NULL, *bright = NULL, *lowinfo = NULL,
            *blurry = NULL, *grayf = NULL;
    AUDIT_WANT(unreadable, "image-unreadable", "integrity", TS_SEVERITY_ERROR,
         "images that cannot be read (missing, truncated or corrupt): restore or drop them");
    AUDIT_WANT(mismatch, "image-size-mismatch", "integrity", TS_SEVERITY_ERROR,
         "the image file's size differs from the width/height in the annotations: boxes are in the wrong frame; "
         "re-export the annotations or fix the recorded size");
    AUDIT_WANT(exif, "exif-orientation", "integrity", TS_SEVERITY_WARNING,
         "JPEGs carry an EXIF orientation: viewers and trainset rotate them, tools that ignore the tag do not, so "
         "annotations drawn in one convention are wrong in the other; bake the rotation into the pixels");
    AUDIT_WANT(dark, "image-dark", "quality", TS_SEVERITY_INFO, "very dark images (mean brightness < 0.12): check exposure");
    AUDIT_WANT(bright, "image-overexposed", "quality", TS_SEVERITY_INFO,
         "over-exposed images (mean brightness > 0.92): check exposure");
    AUDIT_WANT(lowinfo, "image-low-information", "quality", TS_SEVERITY_WARNING,
         "near-uniform images (luma entropy < 1 bit): blank frames, placeholders or failed captures");
    AUDIT_WANT(blurry, "image-blurry", "quality", TS_SEVERITY_INFO,
         "blurry images (variance of the Laplacian under a tenth of the dataset's median): check focus and motion");
    double *sharp = malloc((n ? n : 1) * sizeof *sharp);
    if (!sharp) return TS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        image_record *r = &audit->images[i];
        if (r->facts.readable) {
            sharp[readable++] = r->facts.sharpness;
            colour += !r->gray_in_colour;
        }
    }
    qsort(sharp, readable, sizeof *sharp, cmp_double);
    double median_sharp = readable ? sharp[readable / 2] : 0;
    int colour_set = readable && colour * 2 > readable;
    if (colour_set && audit_wants(audit, "image-grayscale", "quality") &&
        !(grayf = audit_finding(audit, "image-grayscale", TS_SEVERITY_INFO,
                                "grayscale images in a colour dataset: fine if the camera is, otherwise convert or drop")))
        return free(sharp), TS_ERR_NOMEM;
    ts_status s = TS_OK;
    size_t first_errors = 0;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        image_record *r = &audit->images[i];
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        finding *f = NULL;
        if (!r->facts.readable) {
            f = unreadable;
            if (f && first_errors++ < 3) {
                ts_buf m = {0};
                ts_buf_printf(&m, "%s%s%s", f->message, first_errors == 1 ? "; e.g. " : " | ", r->error ? r->error : "");
                if (m.data) free(f->message), f->message = m.data;
            }
        } else if (e.width > 0 && e.height > 0 && (e.width != r->facts.width || e.height != r->facts.height)) {
            int raw_match = r->facts.orientation >= 5 && e.width == r->facts.height && e.height == r->facts.width;
            f = raw_match ? exif : mismatch;
        } else if (r->facts.orientation > 1) {
            f = exif;
        }
        if (f) {
            f->count++;
            s = audit_add_image(f, e.id);
        }
        if (s != TS_OK || !r->facts.readable) continue;
        finding *q[5] = {r->facts.brightness < 0.12 ? dark : NULL, r->facts.brightness > 0.92 ? bright : NULL,
                         r->low_information < 1.0 ? lowinfo : NULL,
                         readable >= 20 && r->facts.sharpness < 0.1 * median_sharp ? blurry : NULL,
                         r->gray_in_colour ? grayf : NULL};
        for (int k = 0; k < 5 && s == TS_OK; k++)
            if (q[k]) q[k]->count++, s = audit_add_image(q[k], e.id);
    }
    free(sharp);
    if (s != TS_OK) return s;
    return audit_stat(audit, "quality",
                      "{\"images\": %zu, \"readable\": %zu, \"colour\": %zu, \"median_sharpness\": %.3f}", n, readable,
                      colour, median_sharp);
}

ts_status audit_read_images(ts_ctx *ctx, const ts_dataset *ds, image_record *records) {
    size_t n = ts_dataset_image_count(ds);
    /* the per-image index is built before the workers share the dataset */
    const size_t *list;
    size_t cnt;
    if (n && ts_dataset_image_annotations(ctx, ds, 0, &list, &cnt) != TS_OK) return TS_ERR_NOMEM;
    ts_pool *pool;
    ts_status s = ts_pool_create(ctx, ts_ctx_threads(ctx), &pool);
    if (s != TS_OK) return s;
    int threads = ts_pool_threads(pool);
    pixel_job job;
    memset(&job, 0, sizeof job);
    job.ds = ds;
    job.records = records;
    job.main_ctx = ctx;
    job.total = n;
    job.worker_ctx = calloc((size_t)threads, sizeof *job.worker_ctx);
    for (int t = 0; job.worker_ctx && t < threads && s == TS_OK; t++) {
        s = ts_ctx_create(&job.worker_ctx[t]);
        if (s == TS_OK) {
            ts_limits lim = ts_ctx_limits(ctx);
            ts_ctx_set_limits(job.worker_ctx[t], &lim);
        }
    }
    if (!job.worker_ctx) s = TS_ERR_NOMEM;
    if (s == TS_OK) ts_pool_run(pool, n, 64, read_range, &job);
    for (int t = 0; job.worker_ctx && t < threads; t++) ts_ctx_destroy(job.worker_ctx[t]);
    free(job.worker_ctx);
    ts_pool_destroy(pool);
    if (s != TS_OK) return ts_error(ctx, s, "cannot start the image readers");
    return TS_OK;
}

ts_status audit_pixels(ts_ctx *ctx, ts_audit *audit) {
    if (audit->opts.decode_images < 0) return TS_OK;
    const char *groups[] = {"quality", "duplicates", "consistency", "context", "coverage"};
    int wanted = audit_wants(audit, "image-unreadable", "integrity") ||
                 audit_wants(audit, "image-size-mismatch", "integrity") ||
                 audit_wants(audit, "exif-orientation", "integrity");
    for (size_t g = 0; g < 5 && !wanted; g++) wanted = audit_wants(audit, "-", groups[g]);
    if (!wanted) return TS_OK;
    size_t n = audit->n_images;
    audit->images = ts_calloc_array(ctx, n ? n : 1, sizeof *audit->images);
    if (!audit->images) return TS_ERR_NOMEM;
    ts_status s = audit_read_images(ctx, audit->ds, audit->images);
    if (s != TS_OK) return s;
    return pixel_findings(audit);
}
