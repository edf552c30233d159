/* Perceptual hashing of JPEG photos, one thread: a full decode followed by
 * the hash (which area-averages the whole image down to its grid), against
 * the audit's path, a DCT-scaled decode (1/2..1/8, keeping >= 64 px on the
 * short side) followed by the same hash. Prints images/s for both, the
 * ratio, and how many of the 64-bit DCT hashes differ between the paths.
 * usage: bench_phash DIR SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trainset.h"

#ifndef MIN_SIDE
#define MIN_SIDE 64 /* short side kept by the scaled decode (the audit analyses at 128) */
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: steadier on a shared machine */
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    uint8_t *bytes;
    size_t len;
    int w, h;
} photo;

static uint64_t hash_of(ts_ctx *ctx, const photo *p, int scaled) {
    ts_decode_opts o = ts_decode_opts_default();
    if (scaled) o.scale_denom = ts_phash_scale_denom(p->w, p->h, MIN_SIDE), o.channels = 1; /* the hash is on luma */
    ts_image img;
    uint64_t h = 0;
    if (ts_image_decode(ctx, "bench", p->bytes, p->len, &o, &img, NULL) != TS_OK) return 0;
    ts_phash(ctx, &img, TS_PHASH_DCT, &h);
    ts_image_free(&img);
    return h;
}

static double rate(ts_ctx *ctx, photo *ph, int n, double secs, int scaled) {
    double t0 = now(), spent;
    uint64_t done = 0;
    while ((spent = now() - t0) < secs)
        for (int i = 0; i < n; i++, done++) hash_of(ctx, &ph[i], scaled);
    return done / spent;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    ts_ctx *ctx;
    ts_ctx_create(&ctx);
    char **names;
    size_t count;
    if (ts_dir_list(ctx, argv[1], &names, &count) != TS_OK) return 1;
    photo *ph = calloc(count, sizeof *ph);
    int n = 0;
    for (size_t i = 0; i < count; i++) {
        char *path = ts_path_join(argv[1], names[i]);
        ts_image_header hdr;
        if (ts_file_read(ctx, path, &ph[n].bytes, &ph[n].len) == TS_OK &&
            ts_image_probe(ctx, ph[n].bytes, ph[n].len, &hdr) == TS_OK && hdr.codec == TS_CODEC_JPEG) {
            ph[n].w = hdr.width, ph[n].h = hdr.height;
            n++;
        }
        free(path);
    }
    double secs = atof(argv[2]);
    int differ = 0, bits = 0;
    for (int i = 0; i < n; i++) {
        uint64_t a = hash_of(ctx, &ph[i], 0), b = hash_of(ctx, &ph[i], 1);
        differ += a != b;
        bits += ts_hamming64(a, b);
    }
    double full = 0, scaled = 0;
    for (int round = 0; round < 3; round++) { /* interleaved, best of three */
        double f = rate(ctx, ph, n, secs, 0), s = rate(ctx, ph, n, secs, 1);
        if (f > full) full = f;
        if (s > scaled) scaled = s;
    }
    printf("photos %d\nfull_decode_hash %.1f img/s\nscaled_decode_hash %.1f img/s\nratio %.2fx\n", n, full, scaled,
           scaled / full);
    printf("hashes differing %d of %d (mean %.2f bits)\n", differ, n, n ? (double)bits / n : 0);
    return 0;
}
