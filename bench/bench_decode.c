/* Decode throughput of the image module on one thread: full JPEG decode,
 * DCT-scaled 1/2, 1/4, 1/8, a cropped decode, and decode + resize to 224,
 * over every JPEG of a directory held in memory.
 * usage: bench_decode DIR [SECONDS_PER_MODE]   prints "mode images_per_cpu_s" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <turbojpeg.h>

#include "trainset.h"

typedef struct {
    uint8_t *data;
    size_t len;
    size_t index;
} blob;

/* Process CPU time: on a shared, loaded machine it measures the work, not
 * the wait for a core (the peers script does the same). */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* mode: 0 full, 1..3 scale 2^mode, 4 crop 224 centre, 5 full + bilinear 224,
 * 6 1/2 + area 224 (the fast way to a 224 input), 7 probe only, 8 the floor:
 * libjpeg-turbo's own TurboJPEG API decoding whole into a reused buffer;
 * 9..11 resize of the already decoded image to 224x224 (nearest, bilinear,
 * area) into a reused buffer: the resize alone */
static tjhandle tj;
static uint8_t *tj_out;
static ts_image *decoded, resized;

static int run_one(ts_ctx *ctx, const blob *b, int mode) {
    ts_decode_opts o = ts_decode_opts_default();
    ts_image img, small;
    if (mode == 8) {
        int w, h, sub, cs;
        if (tjDecompressHeader3(tj, b->data, (unsigned long)b->len, &w, &h, &sub, &cs) != 0 || w * h > 4096 * 4096)
            return 0;
        return tjDecompress2(tj, b->data, (unsigned long)b->len, tj_out, w, 0, h, TJPF_RGB, 0) == 0;
    }
    if (mode >= 9) {
        static const ts_interp interps[3] = {TS_INTERP_NEAREST, TS_INTERP_BILINEAR, TS_INTERP_AREA};
        return ts_image_resize_into(ctx, &decoded[b->index], &resized, interps[mode - 9]) == TS_OK;
    }
    if (mode == 7) {
        ts_image_header h;
        return ts_image_probe(ctx, b->data, b->len, &h) == TS_OK;
    }
    if (mode >= 1 && mode <= 3) o.scale_denom = 1 << mode;
    if (mode == 6) o.scale_denom = 2;
    if (mode == 4) {
        ts_image_header h;
        if (ts_image_probe(ctx, b->data, b->len, &h) != TS_OK) return 0;
        o.crop_w = o.crop_h = 224;
        o.crop_x = (h.width - 224) / 2;
        o.crop_y = (h.height - 224) / 2;
    }
    if (ts_image_decode(ctx, "bench", b->data, b->len, &o, &img, NULL) != TS_OK) return 0;
    if (mode == 5 || mode == 6) {
        if (ts_image_resize(ctx, &img, 224, 224, mode == 5 ? TS_INTERP_BILINEAR : TS_INTERP_AREA, &small) != TS_OK)
            return 0;
        ts_image_free(&small);
    }
    ts_image_free(&img);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_decode DIR [SECONDS_PER_MODE]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 2.0;
    ts_ctx *ctx;
    ts_ctx_create(&ctx);
    char **names;
    size_t n;
    if (ts_dir_list(ctx, argv[1], &names, &n) != TS_OK) {
        fprintf(stderr, "%s\n", ts_ctx_error(ctx));
        return 1;
    }
    blob *blobs = calloc(n, sizeof *blobs);
    size_t count = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (ts_codec_from_path(names[i]) != TS_CODEC_JPEG) continue;
        char *p = ts_path_join(argv[1], names[i]);
        if (ts_file_read(ctx, p, &blobs[count].data, &blobs[count].len) == TS_OK) {
            blobs[count].index = count;
            bytes += blobs[count++].len;
        }
        free(p);
    }
    ts_strings_free(names, n);
    fprintf(stderr, "bench_decode: %zu JPEGs, %.1f MiB in memory\n", count, bytes / 1048576.0);
    static const char *modes[12] = {"full",           "scale_1/2",      "scale_1/4",     "scale_1/8",
                                    "crop_224",       "full+resize224", "1/2+resize224", "probe",
                                    "turbojpeg_full", "resize_nearest", "resize_linear", "resize_area"};
    tj = tjInitDecompress();
    tj_out = malloc((size_t)4096 * 4096 * 3);
    decoded = calloc(count, sizeof *decoded);
    for (size_t i = 0; i < count; i++)
        if (ts_image_decode(ctx, "bench", blobs[i].data, blobs[i].len, NULL, &decoded[i], NULL) != TS_OK) return 1;
    if (count == 0 || ts_image_alloc(ctx, 224, 224, decoded[0].c, TS_PIX_U8, &resized) != TS_OK) return 1;
    for (int m = 0; m < 12; m++) {
        size_t done = 0;
        double t0 = now(), t;
        do {
            for (size_t i = 0; i < count; i++)
                if (!run_one(ctx, &blobs[i], m)) {
                    fprintf(stderr, "decode failed: %s\n", ts_ctx_error(ctx));
                    return 1;
                }
            done += count;
            t = now() - t0;
        } while (t < secs);
        printf("%s %.1f\n", modes[m], done / t);
        fflush(stdout);
    }
    for (size_t i = 0; i < count; i++) free(blobs[i].data);
    for (size_t i = 0; i < count; i++) ts_image_free(&decoded[i]);
    free(decoded);
    ts_image_free(&resized);
    free(blobs);
    free(tj_out);
    tjDestroy(tj);
    ts_ctx_destroy(ctx);
    return 0;
}
