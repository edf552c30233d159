/* libFuzzer target: the Open Images reader with arbitrary bytes as one of
 * its files (the first byte picks which: boxes, labels, descriptions,
 * images CSV, hierarchy JSON, images.meta, object-segmentation CSV, the
 * mask PNG), the rest small and valid; reads strict and lenient, writes
 * back (masks included) and re-reads, and runs a subset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainset/openimages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const ts_format ts_format_openimages;

static char root[64], out[64];

static const char *const files[] = {"annotations/train-annotations-bbox.csv",
                                    "annotations/train-annotations-human-imagelabels.csv",
                                    "annotations/oidv6-class-descriptions.csv",
                                    "annotations/image_ids_and_rotation.csv",
                                    "annotations/bbox_labels_600_hierarchy.json",
                                    "annotations/images.meta",
                                    "annotations/train-annotations-object-segmentation.csv",
                                    "masks/train/i1_mcat_b1.png"};
enum { N_FILES = 8, MASK_PNG = 7 };
static const char *const valid[] = {
    "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
    "i1,xclick,/m/cat,1,0.1,0.5,0.2,0.6,0,1,-1,0,0\n",
    "ImageID,Source,LabelName,Confidence\ni1,verification,/m/dog,0\n",
    "LabelName,DisplayName\n/m/cat,Cat\n/m/dog,Dog\n",
    "ImageID,Subset,OriginalURL,OriginalLandingURL,License,AuthorProfileURL,Author,Title,OriginalSize,OriginalMD5,"
    "Thumbnail300KURL,Rotation\ni1,train,,,lic,,,,123,,,0\n",
    "{\"LabelName\": \"/m/ani\", \"Subcategory\": [{\"LabelName\": \"/m/cat\"}]}",
    "i1 5 7\n",
    "MaskPath,ImageID,LabelName,BoxID,BoxXMin,BoxXMax,BoxYMin,BoxYMax,PredictedIoU,Clicks\n"
    "i1_mcat_b1.png,i1,/m/cat,b1,0.1,0.5,0.2,0.6,0.7,\"0.2 0.3 1\"\n",
    NULL};

static uint8_t *mask_png; /* 3x2, a different size than i1's 7x5: resized when read */
static size_t mask_len;

static void put(ts_ctx *ctx, const char *name, const void *d, size_t n) {
    char *p = ts_path_join(root, name);
    if (p) ts_file_write_staged(ctx, p, d, n);
    ts_ctx_clear_error(ctx);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    if (!root[0]) {
        snprintf(root, sizeof root, "/dev/shm/fuzz_oi_%d/in", (int)getpid());
        snprintf(out, sizeof out, "/dev/shm/fuzz_oi_%d/out", (int)getpid());
        ts_image img;
        uint8_t *png = NULL;
        size_t len = 0;
        ts_encode_opts eo = {TS_CODEC_PNG, 90, 0};
        if (ts_image_alloc(ctx, 7, 5, 3, TS_PIX_U8, &img) != TS_OK) abort();
        if (ts_image_encode(ctx, &img, &eo, &png, &len) != TS_OK) abort();
        ts_image_free(&img);
        put(ctx, "images/train/i1.png", png, len);
        free(png);
        if (ts_image_alloc(ctx, 3, 2, 1, TS_PIX_U8, &img) != TS_OK) abort();
        ((uint8_t *)img.data)[1] = ((uint8_t *)img.data)[4] = 255;
        if (ts_image_encode(ctx, &img, &eo, &mask_png, &mask_len) != TS_OK) abort();
        ts_image_free(&img);
    }
    /* masks as large as an image may be would only slow the search */
    ts_limits lim = ts_ctx_limits(ctx);
    lim.max_pixels = 1u << 16;
    ts_ctx_set_limits(ctx, &lim);
    size_t which = data[0] % N_FILES;
    for (size_t i = 0; i < N_FILES; i++) {
        if (i == which) put(ctx, files[i], data + 1, size - 1);
        else if (i == MASK_PNG) put(ctx, files[i], mask_png, mask_len);
        else put(ctx, files[i], valid[i], strlen(valid[i]));
    }
    for (int mode = 0; mode < 3; mode++) {
        ts_ctx_set_lenient(ctx, mode == 1);
        ts_ctx_clear_error(ctx);
        ts_dataset *ds = NULL, *back = NULL;
        ts_read_opts ro = {mode == 2 ? TS_READ_NO_PROBE : 0u, NULL};
        if (ts_format_openimages.read(ctx, root, &ro, &ds) != TS_OK) continue;
        ts_ctx_set_lenient(ctx, 0);
        ts_write_opts wo = {1, 0, 0, NULL};
        if (mode != 2 && ts_format_openimages.write(ctx, ds, out, &wo) == TS_OK) {
            ts_read_opts nr = {0, NULL};
            if (ts_format_openimages.read(ctx, out, &nr, &back) != TS_OK) {
                fprintf(stderr, "re-read failed: %s\n", ts_ctx_error(ctx));
                abort(); /* our own output must read */
            }
            if (ts_dataset_annotation_count(back) != ts_dataset_annotation_count(ds)) abort();
        }
        ts_dataset_destroy(back);
        ts_dataset_destroy(ds);
    }
    const char *cls[] = {"cat"};
    ts_oi_subset_opts so = {cls, 1, 1, 0, 1};
    ts_dataset *sub = NULL;
    ts_ctx_set_lenient(ctx, 1);
    if (ts_openimages_subset(ctx, root, &so, &sub) == TS_OK) ts_dataset_destroy(sub);
    ts_ctx_destroy(ctx);
    return 0;
}
