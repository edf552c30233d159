/* Perceptual hashing of JPEG photos, one thread: a full gray decode followed
 * by the hash (which area-averages the whole image down to its grid),
 * against the hashing path, a DCT-scaled gray decode (1/2..1/8, keeping
 * >= 64 px on the short side; a progressive file at 1/8 read only up to its
 * DC scans) followed by the same hash. Prints images/s for both, the ratio,
 * the same for the baseline and the progressive files apart, and how many
 * of the 64-bit DCT hashes differ between the paths.
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
    int progressive;
} photo;

/* Whether the frame header (the first SOFn before the first scan) is SOF2. */
static int is_progressive(const uint8_t *p, size_t len) {
    size_t i = 2;
    while (i + 4 <= len && p[i] == 0xFF) {
        int marker = p[i + 1];
        if (marker == 0xC2) return 1;
        if (marker == 0xDA || (marker >= 0xC0 && marker <= 0xC3)) return 0;
        i += 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
    }
    return 0;
}

static uint64_t hash_of(ts_ctx *ctx, const photo *p, int scaled) {
    ts_decode_opts o = ts_decode_opts_default();
    o.channels = 1;
    if (scaled) o.scale_denom = ts_phash_scale_denom(p->w, p->h, MIN_SIDE), o.dc_scans_only = 1;
    ts_image img;
    uint64_t h = 0;
    if (ts_image_decode(ctx, "bench", p->bytes, p->len, &o, &img, NULL) != TS_OK) return 0;
    ts_phash(ctx, &img, TS_PHASH_DCT, &h);
    ts_image_free(&img);
    return h;
}

/* Images per CPU second over the photos whose kind is `only` (-1: all). */
static double rate(ts_ctx *ctx, photo *ph, int n, double secs, int scaled, int only) {
    double t0 = now(), spent;
    uint64_t done = 0;
    while ((spent = now() - t0) < secs)
        for (int i = 0; i < n; i++)
            if (only < 0 || ph[i].progressive == only) hash_of(ctx, &ph[i], scaled), done++;
    return done / spent;
}

/* Best of three interleaved rounds of both paths; prints one line. */
static double compare(ts_ctx *ctx, photo *ph, int n, double secs, int only, const char *what) {
    double full = 0, scaled = 0;
    int count = 0;
    for (int i = 0; i < n; i++) count += only < 0 || ph[i].progressive == only;
    if (!count) return 0;
    for (int round = 0; round < 3; round++) {
        double f = rate(ctx, ph, n, secs, 0, only), s = rate(ctx, ph, n, secs, 1, only);
        if (f > full) full = f;
        if (s > scaled) scaled = s;
    }
    printf("%-12s %2d photos: full_decode_hash %7.1f img/s  scaled_decode_hash %7.1f img/s  ratio %.2fx\n", what,
           count, full, scaled, scaled / full);
    return scaled;
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
            ph[n].progressive = is_progressive(ph[n].bytes, ph[n].len);
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
    double scaled = compare(ctx, ph, n, secs, -1, "all");
    compare(ctx, ph, n, secs, 0, "baseline");
    compare(ctx, ph, n, secs, 1, "progressive");
    printf("scaled_decode_hash %.1f img/s\n", scaled);
    printf("hashes differing %d of %d (mean %.2f bits)\n", differ, n, n ? (double)bits / n : 0);
    return 0;
}
