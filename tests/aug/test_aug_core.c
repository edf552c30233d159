/* The augmentation core: parsing errors, geometric consistency of targets
 * with pixels for every geometric op, determinism across threads, replay
 * from the log, odd images. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/aug.h"

/* An image with a filled white polygon on black, and the polygon as an
 * object with its box. */
static void shape_sample(ts_ctx *ctx, ts_aug_sample *s, int w, int h, int c) {
    memset(s, 0, sizeof *s);
    ts_image_alloc(ctx, w, h, c, TS_PIX_U8, &s->image);
    double poly[] = {0.30 * w, 0.20 * h, 0.75 * w, 0.30 * h, 0.65 * w, 0.80 * h, 0.25 * w, 0.60 * h};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double px = x + 0.5, py = y + 0.5;
            int inside = 0;
            for (int i = 0, j = 3; i < 4; j = i++) {
                double xi = poly[2 * i], yi = poly[2 * i + 1], xj = poly[2 * j], yj = poly[2 * j + 1];
                if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) inside = !inside;
            }
            memset((uint8_t *)ts_image_row(&s->image, y) + (size_t)x * c, inside ? 255 : 0, (size_t)c);
        }
    s->objects = calloc(1, sizeof *s->objects);
    s->n_objects = 1;
    ts_aug_object *o = &s->objects[0];
    o->id = 1, o->category_id = 1, o->has_box = 1;
    o->coords = malloc(sizeof poly);
    memcpy(o->coords, poly, sizeof poly);
    o->ring_sizes = malloc(sizeof(uint32_t));
    o->ring_sizes[0] = 8;
    o->n_rings = 1;
    o->bbox[0] = 0.25 * w, o->bbox[1] = 0.20 * h, o->bbox[2] = 0.5 * w, o->bbox[3] = 0.6 * h;
}

/* Box of the pixels above mid-grey. */
static int pixel_box(const ts_image *img, double box[4]) {
    int x0 = img->w, y0 = img->h, x1 = -1, y1 = -1;
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            if (((uint8_t *)ts_image_row(img, y))[(size_t)x * img->c] > 127) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    if (x1 < 0) return 0;
    box[0] = x0, box[1] = y0, box[2] = x1 + 1 - x0, box[3] = y1 + 1 - y0;
    return 1;
}

static ts_aug_pipeline *pipe_of(ts_ctx *ctx, const char *json) {
    ts_aug_pipeline *p = NULL;
    CHECK_OK(ctx, ts_aug_pipeline_parse(ctx, "test", json, strlen(json), &p));
    return p;
}

TEST(aug_geometric_ops_keep_boxes_on_the_pixels) {
    ts_ctx *ctx = ts_test_ctx();
    const char *pipelines[] = {
        "{\"ops\": [{\"op\": \"hflip\"}]}",
        "{\"ops\": [{\"op\": \"vflip\"}]}",
        "{\"ops\": [{\"op\": \"rotate\", \"deg\": 30}]}",
        "{\"ops\": [{\"op\": \"rotate\", \"deg\": -75, \"fill\": 0}]}",
        "{\"ops\": [{\"op\": \"affine\", \"scale\": 0.8, \"translate\": 0.1, \"shear\": 10, \"deg\": 12}]}",
        "{\"ops\": [{\"op\": \"perspective\", \"scale\": 0.2}]}",
        "{\"ops\": [{\"op\": \"random_crop\", \"width\": 150, \"height\": 120}]}",
        "{\"ops\": [{\"op\": \"center_crop\", \"width\": 100, \"height\": 100}]}",
        "{\"ops\": [{\"op\": \"bbox_safe_crop\"}]}",
        "{\"ops\": [{\"op\": \"random_resized_crop\", \"width\": 96, \"height\": 64}]}",
        "{\"ops\": [{\"op\": \"resize\", \"width\": 333, \"height\": 111}]}",
        "{\"ops\": [{\"op\": \"pad\", \"top\": 7, \"left\": 30, \"right\": 1}]}",
        ("{\"ops\": [{\"op\": \"hflip\"}, {\"op\": \"rotate\", \"deg\": 20}, {\"op\": \"resize\", \"width\": 128, "
         "\"height\": 128}, {\"op\": \"brightness\", \"limit\": 0.1}]}"),
    };
    for (size_t k = 0; k < sizeof pipelines / sizeof pipelines[0]; k++) {
        ts_aug_pipeline *p = pipe_of(ctx, pipelines[k]);
        for (uint64_t seed = 0; p && seed < 3; seed++) {
            ts_aug_sample s;
            shape_sample(ctx, &s, 200, 160, 3);
            CHECK_OK(ctx, ts_aug_apply(ctx, p, seed, 0, 7, &s, NULL));
            double pb[4] = {0, 0, 0, 0};
            if (!pixel_box(&s.image, pb)) {
                CHECK_EQ_INT(s.n_objects, 0);
            } else if (CHECK(s.n_objects == 1)) {
                const double *b = s.objects[0].bbox;
                int near = fabs(b[0] - pb[0]) <= 1 && fabs(b[1] - pb[1]) <= 1 && fabs(b[0] + b[2] - pb[0] - pb[2]) <= 1 &&
                           fabs(b[1] + b[3] - pb[1] - pb[3]) <= 1;
                if (!near)
                    ts_test_failf(__FILE__, __LINE__, "%s seed %llu: box %.1f %.1f %.1f %.1f vs pixels %.0f %.0f %.0f %.0f",
                                  pipelines[k], (unsigned long long)seed, b[0], b[1], b[2], b[3], pb[0], pb[1], pb[2], pb[3]);
            }
            ts_aug_sample_clear(&s);
        }
        ts_aug_pipeline_destroy(p);
    }
}

TEST(aug_corner_boxes_contain_the_object) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p = pipe_of(ctx, "{\"ops\": [{\"op\": \"rotate\", \"deg\": [-40, 40]}], \"bbox_rotate\": \"corners\"}");
    for (uint64_t i = 0; i < 5; i++) {
        ts_aug_sample s;
        shape_sample(ctx, &s, 120, 100, 1);
        free(s.objects[0].coords), free(s.objects[0].ring_sizes); /* box only */
        s.objects[0].coords = NULL, s.objects[0].ring_sizes = NULL, s.objects[0].n_rings = 0;
        CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, i, &s, NULL));
        double pb[4] = {0, 0, 0, 0};
        CHECK(pixel_box(&s.image, pb));
        const double *b = s.objects[0].bbox;
        CHECK(b[0] <= pb[0] + 1 && b[1] <= pb[1] + 1 && b[0] + b[2] >= pb[0] + pb[2] - 1 && b[1] + b[3] >= pb[1] + pb[3] - 1);
        ts_aug_sample_clear(&s);
    }
    ts_aug_pipeline_destroy(p);
}

static const char *busy =
    "{\"ops\": [{\"op\": \"hflip\", \"p\": 0.5}, {\"one_of\": [{\"op\": \"rotate\", \"deg\": [-30, 30]}, "
    "{\"op\": \"perspective\"}]}, {\"some_of\": [{\"op\": \"brightness\"}, {\"op\": \"contrast\"}, {\"op\": \"gamma\"}], "
    "\"n\": [1, 2]}, {\"op\": \"random_resized_crop\", \"width\": 64, \"height\": 48}], \"min_visibility\": 0.1}";

TEST(aug_is_identical_for_any_thread_count_and_replays) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p = pipe_of(ctx, busy);
    enum { N = 12 };
    ts_aug_sample a[N], b[N];
    for (int i = 0; i < N; i++) shape_sample(ctx, &a[i], 90, 70, 3), shape_sample(ctx, &b[i], 90, 70, 3);
    ts_pool *p1, *p3;
    ts_pool_create(ctx, 1, &p1);
    ts_pool_create(ctx, 3, &p3);
    CHECK_OK(ctx, ts_aug_apply_batch(ctx, p, p1, 9, 2, 100, a, N));
    CHECK_OK(ctx, ts_aug_apply_batch(ctx, p, p3, 9, 2, 100, b, N));
    int same = 1, differ = 0;
    for (int i = 0; i < N; i++) {
        same &= a[i].image.w == b[i].image.w && a[i].image.h == b[i].image.h &&
                memcmp(a[i].image.data, b[i].image.data, (size_t)a[i].image.w * a[i].image.h * 3) == 0;
        if (i) differ |= memcmp(a[i].image.data, a[0].image.data, (size_t)64 * 48 * 3) != 0;
    }
    CHECK(same);
    CHECK(differ); /* different samples draw differently */
    /* the log reproduces a sample bit for bit */
    ts_aug_sample c, r;
    shape_sample(ctx, &c, 90, 70, 3);
    shape_sample(ctx, &r, 90, 70, 3);
    ts_buf log = {0};
    CHECK_OK(ctx, ts_aug_apply(ctx, p, 9, 2, 105, &c, &log));
    CHECK(memcmp(c.image.data, a[5].image.data, (size_t)64 * 48 * 3) == 0);
    CHECK_OK(ctx, ts_aug_replay(ctx, p, log.data, log.len, &r));
    CHECK(r.image.w == c.image.w && memcmp(r.image.data, c.image.data, (size_t)64 * 48 * 3) == 0);
    CHECK(r.n_objects == c.n_objects && (!r.n_objects || r.objects[0].bbox[2] == c.objects[0].bbox[2]));
    ts_buf_free(&log);
    ts_aug_sample_clear(&c);
    ts_aug_sample_clear(&r);
    for (int i = 0; i < N; i++) ts_aug_sample_clear(&a[i]), ts_aug_sample_clear(&b[i]);
    ts_pool_destroy(p1);
    ts_pool_destroy(p3);
    ts_aug_pipeline_destroy(p);
}

/* A replay line is checked before it is applied: params inside their
 * domains, extras finite and bounded, numbers only. A hostile log gets an
 * error naming the entry, never a conversion past int's range. */
TEST(aug_replay_refuses_values_the_pipeline_cannot_draw) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p = pipe_of(ctx, "{\"ops\": [{\"op\": \"random_crop\", \"width\": 20, \"height\": 10}, "
                                      "{\"op\": \"rotate\", \"deg\": 5, \"border\": \"reflect\"}]}");
    static const char *const good = "{\"ops\": [{\"i\": 1, \"op\": \"random_crop\", \"v\": [20, 10, 12, 14]}, "
                                    "{\"i\": 2, \"op\": \"rotate\", \"v\": [5, 1, 0, 1]}]}";
    static const char *const bad[][2] = {
        {"{\"ops\": [{\"i\": 1, \"op\": \"random_crop\", \"v\": [1e96, 10, 12, 14]}]}", "value 1 is out of range"},
        {"{\"ops\": [{\"i\": 1, \"op\": \"random_crop\", \"v\": [20.5, 10, 12, 14]}]}", "value 1 is out of range"},
        {"{\"ops\": [{\"i\": 1, \"op\": \"random_crop\", \"v\": [20, 10, 2e20, 14]}]}", "value 3 is out of range"},
        {"{\"ops\": [{\"i\": 1, \"op\": \"random_crop\", \"v\": [20, \"10\", 12, 14]}]}", "value 2 is out of range"},
        {"{\"ops\": [{\"i\": 2, \"op\": \"rotate\", \"v\": [5, 7, 0, 1]}]}", "entry 0 (op \"rotate\"): value 2"},
    };
    ts_aug_sample s;
    shape_sample(ctx, &s, 40, 30, 3);
    CHECK_OK(ctx, ts_aug_replay(ctx, p, good, strlen(good), &s));
    CHECK_EQ_INT(s.image.w, 20);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ts_aug_sample_clear(&s);
        shape_sample(ctx, &s, 40, 30, 3);
        CHECK_FAILS(ctx, ts_aug_replay(ctx, p, bad[i][0], strlen(bad[i][0]), &s), bad[i][1]);
    }
    ts_aug_sample_clear(&s);
    ts_aug_pipeline_destroy(p);
}

TEST(aug_pipeline_errors_name_the_op_and_field) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p = NULL;
    const char *bad_op = "{\"ops\": [{\"op\": \"twirl\"}]}";
    CHECK_FAILS(ctx, ts_aug_pipeline_parse(ctx, "pipe.json", bad_op, strlen(bad_op), &p), "unknown op \"twirl\"");
    const char *bad_field = "{\"ops\": [{\"op\": \"rotate\", \"angle\": 3}]}";
    CHECK_FAILS(ctx, ts_aug_pipeline_parse(ctx, "pipe.json", bad_field, strlen(bad_field), &p),
                "op \"rotate\" has no parameter \"angle\"");
    const char *bad_range = "{\"ops\": [{\"op\": \"gamma\", \"gamma\": [2, 1]}]}";
    CHECK_FAILS(ctx, ts_aug_pipeline_parse(ctx, "pipe.json", bad_range, strlen(bad_range), &p), "\"gamma\"");
    const char *bad_value = "{\"ops\": [{\"op\": \"rotate\", \"border\": \"wrap\"}]}";
    CHECK_FAILS(ctx, ts_aug_pipeline_parse(ctx, "pipe.json", bad_value, strlen(bad_value), &p), "not one of");
    const char *bad_p = "{\"ops\": [{\"op\": \"hflip\", \"p\": 2}]}";
    CHECK_FAILS(ctx, ts_aug_pipeline_parse(ctx, "pipe.json", bad_p, strlen(bad_p), &p), "probability");
    const char *bad_json = "{\"ops\": [";
    CHECK_FAILS(ctx, ts_aug_pipeline_parse(ctx, "pipe.json", bad_json, strlen(bad_json), &p), "pipe.json:1:");
}

TEST(aug_handles_tiny_and_odd_images) {
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p = pipe_of(ctx, busy);
    for (int c = 1; c <= 4; c++) {
        ts_aug_sample s;
        memset(&s, 0, sizeof s);
        ts_image_alloc(ctx, 1, 1, c, TS_PIX_U8, &s.image);
        CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 0, &s, NULL));
        CHECK(s.image.w == 64 && s.image.h == 48 && s.image.c == c);
        ts_aug_sample_clear(&s);
    }
    /* a box entirely outside the image and a 2-point polygon are dropped, not a crash */
    ts_aug_sample s;
    shape_sample(ctx, &s, 50, 50, 3);
    s.objects[0].bbox[0] = 500;
    s.objects[0].ring_sizes[0] = 4;
    CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 0, &s, NULL));
    CHECK_EQ_INT(s.n_objects, 0);
    ts_aug_sample_clear(&s);
    ts_aug_sample u;
    memset(&u, 0, sizeof u);
    ts_image_alloc(ctx, 4, 4, 1, TS_PIX_U16, &u.image);
    CHECK_FAILS(ctx, ts_aug_apply(ctx, p, 1, 0, 0, &u, NULL), "8-bit");
    ts_aug_sample_clear(&u);
    ts_aug_pipeline_destroy(p);
}

TEST(aug_encoded_input_decodes_only_what_the_crop_keeps) {
    ts_ctx *ctx = ts_test_ctx();
    uint8_t *bytes;
    size_t len;
    CHECK_OK(ctx, ts_file_read(ctx, ts_test_shared("photos/full/chelsea_cat.jpg"), &bytes, &len));
    const char *json = "{\"ops\": [{\"op\": \"random_resized_crop\", \"width\": 160, \"height\": 120, \"scale\": [0.1, 0.3]}, "
                       "{\"op\": \"hflip\"}]}";
    ts_aug_pipeline *p = pipe_of(ctx, json);
    for (uint64_t i = 0; p && i < 4; i++) {
        ts_aug_sample full, lazy;
        memset(&full, 0, sizeof full);
        memset(&lazy, 0, sizeof lazy);
        CHECK_OK(ctx, ts_image_decode(ctx, "cat", bytes, len, NULL, &full.image, NULL));
        /* one box, in full-image coordinates for both */
        for (int k = 0; k < 2; k++) {
            ts_aug_sample *s = k ? &lazy : &full;
            s->objects = calloc(1, sizeof *s->objects);
            s->n_objects = 1;
            s->objects[0].has_box = 1;
            s->objects[0].bbox[0] = 0, s->objects[0].bbox[1] = 0, s->objects[0].bbox[2] = 2000, s->objects[0].bbox[3] = 2000;
        }
        ts_buf la = {0}, lb = {0};
        CHECK_OK(ctx, ts_aug_apply(ctx, p, 4, 0, i, &full, &la));
        CHECK_OK(ctx, ts_aug_apply_encoded(ctx, p, 4, 0, i, "cat", bytes, len, &lazy, &lb));
        CHECK(la.len == lb.len && memcmp(la.data, lb.data, la.len) == 0); /* the same draws */
        CHECK(lazy.image.w == 160 && lazy.image.h == 120 && full.image.w == 160);
        CHECK(lazy.n_objects == full.n_objects);
        if (lazy.n_objects && full.n_objects) CHECK_NEAR(lazy.objects[0].bbox[2], full.objects[0].bbox[2], 1e-9);
        double diff = 0;
        for (int y = 0; y < 120; y++)
            for (int x = 0; x < 160 * lazy.image.c; x++)
                diff += abs(((uint8_t *)ts_image_row(&lazy.image, y))[x] - ((uint8_t *)ts_image_row(&full.image, y))[x]);
        diff /= 120.0 * 160 * lazy.image.c;
        CHECK(diff < 6); /* DCT-scaled decode versus area resampling: close, not equal */
        ts_buf_free(&la), ts_buf_free(&lb);
        ts_aug_sample_clear(&full), ts_aug_sample_clear(&lazy);
    }
    ts_aug_pipeline_destroy(p);
    free(bytes);
}

TEST(aug_warp_survives_near_vertical_source_rows) {
    /* deg 89 + shear: a row's source x barely moves (slope ~1e-16); the
     * interior bounds of such a row once overflowed an int (found by fuzzing) */
    ts_ctx *ctx = ts_test_ctx();
    ts_aug_pipeline *p = pipe_of(ctx, "{\"ops\": [{\"op\": \"affine\", \"scale\": 0.8, \"translate\": 0.45, \"shear\": 1, \"deg\": 89}]}");
    for (int w = 5; p && w < 12; w++) {
        ts_aug_sample s;
        shape_sample(ctx, &s, w, 7, 3);
        CHECK_OK(ctx, ts_aug_apply(ctx, p, 1, 0, 82, &s, NULL));
        CHECK(s.image.w == w && s.image.h == 7);
        ts_aug_sample_clear(&s);
    }
    ts_aug_pipeline_destroy(p);
}
