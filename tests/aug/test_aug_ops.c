/* Every op: runs on 1-, 3- and 4-channel images with its default ranges,
 * is a pure function of the seed, replays from its log, and the point ops
 * and filters give the values their definitions say. */
#include <math.h>
#include <stdlib.h>

#include "../test.h"
#include "trainset/aug.h"

static void photo_like(ts_ctx *ctx, ts_aug_sample *s, int w, int h, int c, uint64_t seed) {
    memset(s, 0, sizeof *s);
    ts_image_alloc(ctx, w, h, c, TS_PIX_U8, &s->image);
    ts_rng r = ts_rng_for(seed, 0, 0, 0);
    for (int y = 0; y < h; y++) {
        uint8_t *row = ts_image_row(&s->image, y);
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                row[(size_t)x * c + k] = (uint8_t)(60 + 40 * k + (x * 3 + y * 2) % 90 + ts_rng_below(&r, 20));
    }
    s->objects = calloc(2, sizeof *s->objects);
    s->n_objects = 2;
    for (int i = 0; i < 2; i++) {
        ts_aug_object *o = &s->objects[i];
        o->id = i + 1, o->category_id = i + 1, o->has_box = 1;
        o->bbox[0] = 5 + 30 * i, o->bbox[1] = 6, o->bbox[2] = 20, o->bbox[3] = 25;
        double poly[] = {o->bbox[0], 6, o->bbox[0] + 20, 6, o->bbox[0] + 20, 31, o->bbox[0], 31};
        o->coords = malloc(sizeof poly);
        memcpy(o->coords, poly, sizeof poly);
        o->ring_sizes = malloc(sizeof *o->ring_sizes);
        o->ring_sizes[0] = 8;
        o->n_rings = 1;
        o->keypoints = malloc(3 * sizeof(double));
        o->keypoints[0] = o->bbox[0] + 10, o->keypoints[1] = 15, o->keypoints[2] = 2;
        o->n_keypoints = 1;
    }
}

static ts_status partner(void *user, ts_ctx *ctx, uint64_t draw, ts_aug_sample *out) {
    photo_like(ctx, out, 50 + (int)(draw % 30), 40, *(int *)user, draw);
    return TS_OK;
}

static int same_sample(const ts_aug_sample *a, const ts_aug_sample *b) {
    if (a->image.w != b->image.w || a->image.h != b->image.h || a->n_objects != b->n_objects) return 0;
    for (int y = 0; y < a->image.h; y++)
        if (memcmp(ts_image_row(&a->image, y), ts_image_row(&b->image, y), (size_t)a->image.w * a->image.c)) return 0;
    for (size_t i = 0; i < a->n_objects; i++)
        if (memcmp(a->objects[i].bbox, b->objects[i].bbox, sizeof a->objects[i].bbox)) return 0;
    return 1;
}

TEST(aug_every_op_runs_is_deterministic_and_replays) {
    ts_ctx *ctx = ts_test_ctx();
    for (const char *const *name = ts_aug_op_names(); *name; name++) {
        char json[256];
        snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"%s\"}]}", *name);
        ts_aug_pipeline *p;
        if (!CHECK(ts_aug_pipeline_parse(ctx, "t", json, strlen(json), &p) == TS_OK)) continue;
        for (int c = 1; c <= 4; c += (c == 1 ? 2 : 1)) {
            ts_aug_sample a, b, r;
            photo_like(ctx, &a, 64, 48, c, 5);
            photo_like(ctx, &b, 64, 48, c, 5);
            photo_like(ctx, &r, 64, 48, c, 5);
            a.partner = b.partner = r.partner = partner;
            a.partner_user = b.partner_user = r.partner_user = &c;
            ts_buf log = {0};
            ts_status s1 = ts_aug_apply(ctx, p, 3, 1, 2, &a, &log), s2 = ts_aug_apply(ctx, p, 3, 1, 2, &b, NULL);
            if (s1 != TS_OK || s2 != TS_OK) ts_test_failf(__FILE__, __LINE__, "%s (%d ch): %s", *name, c, ts_ctx_error(ctx));
            else if (!same_sample(&a, &b)) ts_test_failf(__FILE__, __LINE__, "%s (%d ch): not deterministic", *name, c);
            if (s1 == TS_OK && (ts_aug_replay(ctx, p, log.data, log.len, &r) != TS_OK || !same_sample(&a, &r)))
                ts_test_failf(__FILE__, __LINE__, "%s (%d ch): replay differs: %s", *name, c, ts_ctx_error(ctx));
            ts_buf_free(&log);
            ts_aug_sample_clear(&a), ts_aug_sample_clear(&b), ts_aug_sample_clear(&r);
        }
        ts_aug_pipeline_destroy(p);
    }
}

static ts_aug_sample run_one(ts_ctx *ctx, const char *json, int c) {
    ts_aug_pipeline *p = NULL;
    ts_aug_sample s;
    photo_like(ctx, &s, 32, 24, c, 1);
    CHECK_OK(ctx, ts_aug_pipeline_parse(ctx, "t", json, strlen(json), &p));
    if (p) CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 0, &s, NULL));
    ts_aug_pipeline_destroy(p);
    return s;
}

TEST(aug_point_ops_give_their_defined_values) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_sample o = run_one(ctx, "{\"ops\": []}", 3);
    ts_aug_sample b = run_one(ctx, "{\"ops\": [{\"op\": \"brightness\", \"limit\": 0.1}]}", 3);
    ts_aug_sample g = run_one(ctx, "{\"ops\": [{\"op\": \"gamma\", \"gamma\": 2}, {\"op\": \"contrast\", \"limit\": 0.5}]}", 3);
    int ok_b = 1, ok_g = 1;
    for (int i = 0; i < 32 * 24 * 3; i++) {
        int v = ((uint8_t *)o.image.data)[i];
        int eb = v + 26 > 255 ? 255 : (int)(v + 25.5 + 0.5); /* 0.1 * 255 = 25.5 */
        ok_b &= abs(((uint8_t *)b.image.data)[i] - eb) <= 1;
        double gv = 255 * pow(v / 255.0, 2), cv = (gv - 127.5) * 1.5 + 127.5; /* fused: one rounding */
        int eg = cv < 0 ? 0 : cv > 255 ? 255 : (int)(cv + 0.5);
        ok_g &= abs(((uint8_t *)g.image.data)[i] - eg) <= 1;
    }
    CHECK(ok_b);
    CHECK(ok_g);
    /* hsv without hue turn: saturation 1.5 about the BT.601 gray, then value 0.8 (the YIQ round trip of the
     * hue step is identity to within a quarter grey level); color_jitter with zero ranges: identity */
    ts_aug_sample h = run_one(ctx, "{\"ops\": [{\"op\": \"hsv\", \"hue\": [0, 0], \"saturation\": [0.5, 0.5], "
                                   "\"value\": [-0.2, -0.2]}]}", 3);
    ts_aug_sample j = run_one(ctx, "{\"ops\": [{\"op\": \"color_jitter\", \"brightness\": 0, \"contrast\": 0, "
                                   "\"saturation\": 0, \"hue\": 0}]}", 3);
    int ok_h = 1, ok_j = 1;
    for (int i = 0; i < 32 * 24 * 3; i += 3) {
        const uint8_t *v = (uint8_t *)o.image.data + i;
        double gray = 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2];
        for (int k = 0; k < 3; k++) {
            double e = 0.8 * (1.5 * v[k] - 0.5 * gray);
            int want = e < 0 ? 0 : e > 255 ? 255 : (int)(e + 0.5);
            ok_h &= abs(((uint8_t *)h.image.data)[i + k] - want) <= 1;
            ok_j &= abs(((uint8_t *)j.image.data)[i + k] - v[k]) <= 1;
        }
    }
    CHECK(ok_h);
    CHECK(ok_j);
    ts_aug_sample_clear(&h), ts_aug_sample_clear(&j);
    /* a box blur of a constant image is that constant; cutout zeroes its hole */
    ts_aug_sample k = run_one(ctx, "{\"ops\": [{\"op\": \"cutout\", \"holes\": 1, \"size\": 8}]}", 1);
    int zeros = 0;
    for (int i = 0; i < 32 * 24; i++) zeros += ((uint8_t *)k.image.data)[i] == 0;
    CHECK(zeros >= 16 && zeros <= 64);
    ts_aug_sample n = run_one(ctx, "{\"ops\": [{\"op\": \"normalize\", \"preset\": \"imagenet\"}]}", 3);
    CHECK(n.chw != NULL);
    if (n.chw) CHECK_NEAR(n.chw[0], (((uint8_t *)o.image.data)[0] / 255.0 - 0.485) / 0.229, 1e-5);
    ts_aug_sample_clear(&o), ts_aug_sample_clear(&b), ts_aug_sample_clear(&g), ts_aug_sample_clear(&k),
        ts_aug_sample_clear(&n);
}

/* equalize: each colour channel through its own histogram's CDF table,
 * (cdf - first) / (total - first) * 255 rounded, as cv2.equalizeHist does;
 * alpha untouched. */
TEST(aug_equalize_per_channel) {
    ts_ctx *ctx = ts_test_ctx();
    for (int c = 3; c <= 4; c++) {
        ts_aug_sample o = run_one(ctx, "{\"ops\": []}", c), e = run_one(ctx, "{\"ops\": [{\"op\": \"equalize\"}]}", c);
        const uint8_t *in = o.image.data, *out = e.image.data;
        int n = 32 * 24, ok = 1;
        for (int ch = 0; ch < c; ch++) {
            uint64_t hist[256] = {0}, cdf = 0, first = 0;
            for (int i = 0; i < n; i++) hist[in[i * c + ch]]++;
            for (int v = 0; v < 256 && !first; v++) first = hist[v];
            uint8_t lut[256];
            for (int v = 0; v < 256; v++) {
                cdf += hist[v];
                lut[v] = ch == 3 ? (uint8_t)v : (uint8_t)lround((double)(cdf - first) / (double)(n - first) * 255);
            }
            for (int i = 0; i < n; i++) ok &= out[i * c + ch] == lut[in[i * c + ch]];
        }
        CHECK(ok);
        ts_aug_sample_clear(&o), ts_aug_sample_clear(&e);
    }
}

TEST(aug_multi_image_ops_combine_targets) {
    ts_ctx *ctx = ts_test_ctx();
    int c = 3;
    const char *json = "{\"ops\": [{\"op\": \"mosaic\", \"width\": 200, \"height\": 160}]}";
    ts_aug_pipeline *p;
    CHECK_OK(ctx, ts_aug_pipeline_parse(ctx, "t", json, strlen(json), &p));
    ts_aug_sample s;
    photo_like(ctx, &s, 64, 48, c, 5);
    s.partner = partner, s.partner_user = &c;
    CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 0, &s, NULL));
    CHECK(s.image.w == 200 && s.image.h == 160);
    CHECK(s.n_objects > 2); /* objects of several images */
    for (size_t i = 0; i < s.n_objects; i++)
        CHECK(s.objects[i].bbox[0] >= 0 && s.objects[i].bbox[0] + s.objects[i].bbox[2] <= 200 + 1e-9);
    ts_aug_sample_clear(&s);
    ts_aug_pipeline_destroy(p);
    json = "{\"ops\": [{\"op\": \"mixup\"}]}";
    CHECK_OK(ctx, ts_aug_pipeline_parse(ctx, "t", json, strlen(json), &p));
    photo_like(ctx, &s, 64, 48, c, 5);
    s.partner = partner, s.partner_user = &c;
    CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 0, &s, NULL));
    CHECK_EQ_INT(s.n_objects, 4);
    double wsum = 0;
    for (size_t i = 0; i < s.n_objects; i++) wsum += s.objects[i].label_weight;
    CHECK_NEAR(wsum, 2, 1e-9); /* lambda * 2 + (1 - lambda) * 2 */
    ts_aug_sample_clear(&s);
    ts_aug_pipeline_destroy(p);
}

TEST(aug_image_labels_survive_every_op) {
    /* classification samples: one object with no geometry, which no op may drop */
    ts_ctx *ctx = ts_test_ctx();
    for (const char *const *name = ts_aug_op_names(); *name; name++) {
        char json[256];
        snprintf(json, sizeof json, "{\"ops\": [{\"op\": \"%s\"}], \"min_visibility\": 0.5, \"min_area\": 10}", *name);
        ts_aug_pipeline *p;
        if (!CHECK(ts_aug_pipeline_parse(ctx, "t", json, strlen(json), &p) == TS_OK)) continue;
        ts_aug_sample s;
        memset(&s, 0, sizeof s);
        ts_image_alloc(ctx, 28, 28, 1, TS_PIX_U8, &s.image);
        s.objects = calloc(1, sizeof *s.objects);
        s.n_objects = 1;
        s.objects[0].category_id = 7;
        int gray = 1;
        s.partner = partner, s.partner_user = &gray;
        CHECK_OK(ctx, ts_aug_apply(ctx, p, 2, 0, 5, &s, NULL));
        int kept = 0;
        for (size_t i = 0; i < s.n_objects; i++) kept |= s.objects[i].category_id == 7;
        if (!kept) ts_test_failf(__FILE__, __LINE__, "%s dropped the image label", *name);
        ts_aug_sample_clear(&s);
        ts_aug_pipeline_destroy(p);
    }
}

/* A crop moves no pixels: the sample's image becomes the window of the
 * same allocation (wider stride), equal to the source's pixels there; the
 * ops after it and a second pipeline work on it, and it frees cleanly
 * (the sanitizer build checks the free). */
TEST(aug_crop_in_place) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_sample s, ref;
    photo_like(ctx, &s, 64, 48, 3, 5);
    photo_like(ctx, &ref, 64, 48, 3, 5);
    ts_aug_pipeline *crop, *more;
    CHECK_OK(ctx, ts_aug_pipeline_load(ctx, "{\"ops\": [{\"op\": \"center_crop\", \"width\": 30, \"height\": 20}]}", &crop));
    CHECK_OK(ctx, ts_aug_pipeline_load(ctx, "{\"ops\": [{\"op\": \"hflip\"}, {\"op\": \"brightness\", \"limit\": 0.2}]}",
                                       &more));
    CHECK_OK(ctx, ts_aug_apply(ctx, crop, 1, 0, 0, &s, NULL));
    CHECK_EQ_INT(s.image.w, 30);
    CHECK_EQ_INT(s.image.h, 20);
    CHECK_EQ_INT(s.image.stride, 64 * 3); /* the source's rows */
    CHECK(s.image.block != NULL);
    ts_image window;
    CHECK_OK(ctx, ts_image_crop(ctx, &ref.image, 17, 14, 30, 20, &window));
    int same = 1;
    for (int y = 0; y < 20; y++) same &= memcmp(ts_image_row(&s.image, y), ts_image_row(&window, y), 30 * 3) == 0;
    CHECK(same);
    CHECK_NEAR(s.objects[0].bbox[0], 0, 1e-12); /* box 5..25 x 6..31 clipped to the window 17..47 x 14..34 */
    CHECK_NEAR(s.objects[0].bbox[2], 8, 1e-12);
    CHECK_OK(ctx, ts_aug_apply(ctx, more, 1, 0, 0, &s, NULL));
    CHECK_OK(ctx, ts_aug_apply(ctx, crop, 1, 0, 1, &s, NULL)); /* 30x20 to 30x20: in place again */
    CHECK_EQ_INT(s.image.w, 30);
    ts_aug_sample_clear(&s);
    ts_aug_sample_clear(&ref);
    ts_aug_pipeline_destroy(crop);
    ts_aug_pipeline_destroy(more);
}

/* A flip fused after a resize mirrors the resized rows: the output is the
 * resize alone, mirrored, for 1, 3 and 4 channels and widths on both sides
 * of the vector step. */
TEST(aug_flip_after_resize_mirrors_rows) {
    ts_ctx *ctx = ts_test_ctx();
    static const int channels[] = {1, 3, 4};
    static const char *const flips[] = {"hflip", "vflip"};
    for (int ci = 0; ci < 3; ci++)
        for (int w = 5; w <= 41; w += 36)
            for (int f = 0; f < 2; f++) {
                char plain[160], flipped[200];
                snprintf(plain, sizeof plain, "{\"ops\": [{\"op\": \"resize\", \"width\": %d, \"height\": 9}]}", w);
                snprintf(flipped, sizeof flipped,
                         "{\"ops\": [{\"op\": \"resize\", \"width\": %d, \"height\": 9}, {\"op\": \"%s\", \"p\": 1}]}", w,
                         flips[f]);
                ts_aug_sample a = run_one(ctx, plain, channels[ci]), b = run_one(ctx, flipped, channels[ci]);
                int c = channels[ci], same = a.image.w == w && b.image.w == w && b.image.h == 9;
                for (int y = 0; same && y < 9; y++)
                    for (int x = 0; x < w; x++) {
                        const uint8_t *pa = (const uint8_t *)ts_image_row(&a.image, y) + (size_t)x * c;
                        const uint8_t *pb = f == 0 ? (const uint8_t *)ts_image_row(&b.image, y) + (size_t)(w - 1 - x) * c
                                                   : (const uint8_t *)ts_image_row(&b.image, 8 - y) + (size_t)x * c;
                        same &= memcmp(pa, pb, (size_t)c) == 0;
                    }
                CHECK(same);
                ts_aug_sample_clear(&a), ts_aug_sample_clear(&b);
            }
}
