/* Resampling agrees with OpenCV: warps (the rotate op, affine and
 * perspective matrices) and resizes of the photos in ../shared/photos
 * against cv2.warpAffine / warpPerspective / resize with the same matrix
 * and interpolation, mean absolute difference under 1 grey level (cv2 run
 * through /usr/bin/python3; skipped when it has no cv2). trainset matrices
 * are pixel-edge (pixel i covers [i, i+1)), cv2's pixel-centre: M_cv =
 * T(-1/2) M T(+1/2). Also the median filter against a brute-force median,
 * and flips against plain reversal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../test.h"
#include "aug/aug_internal.h"
#include "trainset/aug.h"

static void random_image(ts_ctx *ctx, ts_image *img, int w, int h, int c, uint64_t seed) {
    ts_image_alloc(ctx, w, h, c, TS_PIX_U8, img);
    ts_rng r = ts_rng_for(seed, 1, 2, 3);
    for (int y = 0; y < h; y++) {
        uint8_t *row = ts_image_row(img, y);
        for (int i = 0; i < w * c; i++) row[i] = (uint8_t)ts_rng_below(&r, 256);
    }
}

/* Run a one-op pipeline on a copy of `src`. */
static ts_status apply_json(ts_ctx *ctx, const char *json, const ts_image *src, ts_image *out) {
    ts_aug_pipeline *p;
    ts_status s = ts_aug_pipeline_load(ctx, json, &p);
    if (s != TS_OK) return s;
    ts_aug_sample sm;
    memset(&sm, 0, sizeof sm);
    s = ts_image_copy(ctx, src, &sm.image);
    if (s == TS_OK) s = ts_aug_apply(ctx, p, 7, 0, 0, &sm, NULL);
    if (s == TS_OK) *out = sm.image, sm.image.data = NULL;
    ts_aug_sample_clear(&sm);
    ts_aug_pipeline_destroy(p);
    return s;
}

static int reflect101(int i, int n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

static int cmp_u8(const void *a, const void *b) { return *(const uint8_t *)a - *(const uint8_t *)b; }

TEST(aug_median_matches_brute_force) {
    ts_ctx *ctx = ts_test_ctx();
    const int sizes[][3] = {{41, 29, 3}, {17, 16, 1}, {70, 9, 4}, {5, 3, 3}};
    for (int si = 0; si < 4; si++)
        for (int k = 3; k <= 7; k += 2) {
            ts_image src, out;
            int w = sizes[si][0], h = sizes[si][1], c = sizes[si][2], r = k / 2;
            random_image(ctx, &src, w, h, c, (uint64_t)(si * 10 + k));
            char json[128];
            snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"median_blur\", \"ksize\": %d}]}", k);
            CHECK_OK(ctx, apply_json(ctx, json, &src, &out));
            int wrong = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < c; ch++) {
                        uint8_t v[49];
                        int n = 0;
                        for (int dy = -r; dy <= r; dy++)
                            for (int dx = -r; dx <= r; dx++)
                                v[n++] = ((const uint8_t *)ts_image_row(&src, reflect101(y + dy, h)))
                                    [(size_t)reflect101(x + dx, w) * c + ch];
                        qsort(v, (size_t)n, 1, cmp_u8);
                        wrong += ((const uint8_t *)ts_image_row(&out, y))[(size_t)x * c + ch] != v[n / 2];
                    }
            CHECK_EQ_INT(wrong, 0);
            ts_image_free(&src);
            ts_image_free(&out);
        }
}

TEST(aug_flips_reverse_exactly) {
    ts_ctx *ctx = ts_test_ctx();
    for (int c = 1; c <= 4; c++) {
        ts_image src, hf, vf;
        random_image(ctx, &src, 37, 6, c, (uint64_t)c);
        CHECK_OK(ctx, apply_json(ctx, "{\"ops\": [{\"op\": \"hflip\"}]}", &src, &hf));
        CHECK_OK(ctx, apply_json(ctx, "{\"ops\": [{\"op\": \"vflip\"}]}", &src, &vf));
        int wrong = 0;
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 37; x++)
                for (int k = 0; k < c; k++) {
                    uint8_t s = ((const uint8_t *)ts_image_row(&src, y))[(size_t)x * c + k];
                    wrong += ((const uint8_t *)ts_image_row(&hf, y))[(size_t)(36 - x) * c + k] != s;
                    wrong += ((const uint8_t *)ts_image_row(&vf, 5 - y))[(size_t)x * c + k] != s;
                }
        CHECK_EQ_INT(wrong, 0);
        ts_image_free(&src), ts_image_free(&hf), ts_image_free(&vf);
    }
}

static const char *const cv2_script =
    "import sys\n"
    "import numpy as np, cv2\n"
    "cv2.setNumThreads(1)\n"
    "for line in open(sys.argv[1]):\n"
    "    f = line.split()\n"
    "    w, h, c, ow, oh = int(f[1]), int(f[2]), int(f[3]), int(f[5]), int(f[6])\n"
    "    src = np.fromfile(f[0], np.uint8).reshape(h, w, c)\n"
    "    ours = np.fromfile(f[4], np.uint8).reshape(oh, ow, c)\n"
    "    kind, p = f[7], [float(v) for v in f[8:]]\n"
    "    lin, const = cv2.INTER_LINEAR, cv2.BORDER_CONSTANT\n"
    "    if kind == 'rotate':\n"
    "        m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), p[0], 1.0)\n"
    "        ref = cv2.warpAffine(src, m, (ow, oh), flags=lin, borderMode=const, borderValue=0)\n"
    "    elif kind == 'affine':\n"
    "        m = np.array(p, np.float64).reshape(2, 3)\n"
    "        ref = cv2.warpAffine(src, m, (ow, oh), flags=lin, borderMode=const, borderValue=0)\n"
    "    elif kind == 'persp':\n"
    "        m = np.array(p, np.float64).reshape(3, 3)\n"
    "        ref = cv2.warpPerspective(src, m, (ow, oh), flags=lin, borderMode=const, borderValue=0)\n"
    "    elif kind == 'linear':\n"
    "        ref = cv2.resize(src, (ow, oh), interpolation=lin)\n"
    "    else:\n"
    "        ref = cv2.resize(src, (ow, oh), interpolation=cv2.INTER_AREA)\n"
    "    print('%.4f' % np.abs(ours.astype(np.int16) - ref.reshape(oh, ow, c).astype(np.int16)).mean())\n";

static int write_raw(ts_ctx *ctx, const char *path, const ts_image *img) {
    ts_image packed;
    if (ts_image_copy(ctx, img, &packed) != TS_OK) return 0; /* rows without padding */
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(packed.data, packed.stride, (size_t)packed.h, f) == (size_t)packed.h;
    if (f) ok &= fclose(f) == 0;
    ts_image_free(&packed);
    return ok;
}

/* pixel-edge 3x3 `m` -> pixel-centre: T(-1/2) m T(+1/2) */
static void to_centre(const double m[9], double out[9]) {
    double t[9] = {1, 0, 0.5, 0, 1, 0.5, 0, 0, 1}, ti[9] = {1, 0, -0.5, 0, 1, -0.5, 0, 0, 1}, a[9];
    aug_mat_mul(m, t, a);
    aug_mat_mul(ti, a, out);
}

typedef struct {
    FILE *manifest;
    const char *dir;
    int n;
} cases;

static void add_case(ts_ctx *ctx, cases *cs, const char *in_path, const ts_image *src, const ts_image *out,
                     const char *kind, const double *p, int np) {
    char path[4096];
    snprintf(path, sizeof path, "%s/out%d.raw", cs->dir, cs->n++);
    if (!CHECK(write_raw(ctx, path, out))) return;
    fprintf(cs->manifest, "%s %d %d %d %s %d %d %s", in_path, src->w, src->h, src->c, path, out->w, out->h, kind);
    for (int i = 0; i < np; i++) fprintf(cs->manifest, " %.17g", p[i]);
    fputc('\n', cs->manifest);
}

static void photo_cases(ts_ctx *ctx, cases *cs, const ts_image *src, const char *in_path) {
    int w = src->w, h = src->h;
    ts_image out;
    /* the rotate op: cv2.getRotationMatrix2D about the centre, same sign */
    if (CHECK(apply_json(ctx, "{\"ops\": [{\"op\": \"rotate\", \"deg\": 17}]}", src, &out) == TS_OK)) {
        double deg = 17;
        add_case(ctx, cs, in_path, src, &out, "rotate", &deg, 1);
        ts_image_free(&out);
    }
    /* affine (scale, shear, rotation, translation) and a perspective */
    const double mats[2][9] = {{0.83, 0.21, 12.5, -0.17, 0.95, 30.25, 0, 0, 1},
                               {0.95, 0.04, 10, -0.03, 0.9, 20, 0.00012, -0.00008, 1}};
    for (int k = 0; k < 2; k++) {
        if (!CHECK(aug_warp(ctx, src, mats[k], w, h, 1, 0, NULL, &out) == TS_OK)) continue;
        double cm[9];
        to_centre(mats[k], cm);
        if (k == 0) add_case(ctx, cs, in_path, src, &out, "affine", cm, 6);
        else add_case(ctx, cs, in_path, src, &out, "persp", cm, 9);
        ts_image_free(&out);
    }
    /* resize: bilinear down and up, area down */
    const int sizes[3][2] = {{w * 3 / 5, h * 2 / 3}, {w * 3 / 2, h * 4 / 3}, {w * 4 / 9, h / 2}};
    for (int k = 0; k < 3; k++) {
        if (!CHECK(ts_image_resize(ctx, src, sizes[k][0], sizes[k][1], k < 2 ? TS_INTERP_BILINEAR : TS_INTERP_AREA,
                                   &out) == TS_OK))
            continue;
        add_case(ctx, cs, in_path, src, &out, k < 2 ? "linear" : "area", NULL, 0);
        ts_image_free(&out);
    }
}

TEST(aug_resampling_matches_cv2) {
    ts_ctx *ctx = ts_test_ctx();
    if (system("/usr/bin/python3 -c 'import cv2' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "  (aug_resampling_matches_cv2: no cv2 in /usr/bin/python3, skipped)\n");
        return;
    }
    char *dir = strdup(ts_test_shared("photos/full"));
    const char *tmp = ts_test_tmpdir();
    char **names;
    size_t count;
    if (!CHECK(ts_dir_list(ctx, dir, &names, &count) == TS_OK)) {
        free(dir);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.txt", tmp);
    cases cs = {fopen(path, "w"), tmp, 0};
    int photos = 0;
    for (size_t i = 0; i < count && photos < 4 && cs.manifest; i++) {
        char *file = ts_path_join(dir, names[i]);
        ts_decode_opts o = ts_decode_opts_default();
        o.channels = 3;
        ts_image src;
        if (ts_image_load(ctx, file, &o, &src, NULL) == TS_OK) {
            if ((size_t)src.w * (size_t)src.h <= 1000000) { /* keep the test quick */
                char in_path[4096];
                snprintf(in_path, sizeof in_path, "%s/in%d.raw", tmp, photos++);
                if (CHECK(write_raw(ctx, in_path, &src))) photo_cases(ctx, &cs, &src, in_path);
            }
            ts_image_free(&src);
        }
        free(file);
    }
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    free(dir);
    if (!CHECK(cs.manifest != NULL)) return;
    fclose(cs.manifest);
    CHECK(photos >= 2);
    char script[4096], cmd[8448];
    snprintf(script, sizeof script, "%s/cv2_ref.py", tmp);
    CHECK_OK(ctx, ts_file_write_atomic(ctx, script, cv2_script, strlen(cv2_script)));
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", script, path);
    FILE *p = popen(cmd, "r");
    if (!CHECK(p != NULL)) return;
    int n = 0;
    double mad, worst = 0;
    while (fscanf(p, "%lf", &mad) == 1) {
        n++;
        if (mad > worst) worst = mad;
        if (mad >= 1) ts_test_failf(__FILE__, __LINE__, "case %d: mean absolute difference %.3f vs cv2", n - 1, mad);
    }
    CHECK_EQ_INT(pclose(p), 0);
    CHECK_EQ_INT(n, cs.n);
    CHECK(worst < 1);
}

/* Scaled, shifted and turned small grey images (Fashion-MNIST size): rows
 * whose interior is empty once went past the row end (ASan catches it);
 * the output has the input's size and mid-grey stays mid-grey inside. */
TEST(aug_affine_small_grey_images) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p;
    CHECK_OK(ctx, ts_aug_pipeline_load(ctx, "{\"ops\": [{\"op\": \"hflip\", \"p\": 0.5}, {\"op\": \"affine\", \"deg\": "
                                            "[-10, 10], \"translate\": [-0.06, 0.06], \"scale\": [0.9, 1.1]}]}",
                                       &p));
    int bad = 0;
    for (uint64_t i = 0; i < 300; i++) {
        ts_aug_sample s;
        memset(&s, 0, sizeof s);
        ts_image_alloc(ctx, 28, 28, 1, TS_PIX_U8, &s.image);
        memset(s.image.data, 128, 28 * 28);
        CHECK_OK(ctx, ts_aug_apply(ctx, p, 3, 0, i, &s, NULL));
        bad += s.image.w != 28 || s.image.h != 28 || ((const uint8_t *)ts_image_row(&s.image, 14))[14] != 128;
        ts_aug_sample_clear(&s);
    }
    CHECK_EQ_INT(bad, 0);
    ts_aug_pipeline_destroy(p);
}
