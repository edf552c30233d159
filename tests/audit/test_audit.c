/* The audit on a small dataset built with known problems: each check must
 * name exactly the images and annotations it should. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/audit.h"

static void noise_image(ts_image *img, uint64_t seed, int dark) {
    ts_rng r = ts_rng_for(seed, 0, 0, 0);
    for (int y = 0; y < img->h; y++) {
        uint8_t *row = ts_image_row(img, y);
        for (int x = 0; x < img->w * img->c; x++) {
            /* smooth blobs plus noise: a hashable, non-uniform picture */
            int v = (int)(127 + 100 * sin((x / img->c + seed * 7) * 0.15) * cos((y + seed * 3) * 0.11)) +
                    (int)ts_rng_below(&r, 9) - 4;
            if (dark) v /= 12;
            row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

static void save(ts_ctx *ctx, const char *dir, const char *name, const ts_image *img) {
    char *p = ts_path_join(dir, name);
    ts_encode_opts eo = {TS_CODEC_PNG, 90, 0};
    CHECK_OK(ctx, ts_image_save(ctx, p, img, &eo));
    free(p);
}

static void add_image(ts_ctx *ctx, ts_dataset *ds, int64_t id, const char *path, int w, int h, const char *split) {
    ts_image_entry e = ts_image_entry_empty();
    e.id = id, e.path = path, e.width = w, e.height = h, e.split = split;
    CHECK_OK(ctx, ts_dataset_add_image(ctx, ds, &e, NULL));
}

static void add_box(ts_ctx *ctx, ts_dataset *ds, int64_t id, int64_t image, int64_t cat, double x, double y, double w,
                    double h) {
    ts_annotation a = ts_annotation_empty();
    a.id = id, a.image_id = image, a.category_id = cat, a.kind = TS_ANN_BOX, a.flags = TS_ANN_HAS_BOX;
    a.bbox[0] = x, a.bbox[1] = y, a.bbox[2] = w, a.bbox[3] = h;
    CHECK_OK(ctx, ts_dataset_add_annotation(ctx, ds, &a, NULL));
}

static int find(const ts_audit *audit, const char *check, ts_finding *out) {
    for (size_t i = 0; i < ts_audit_finding_count(audit); i++) {
        ts_audit_finding(audit, i, out);
        if (strcmp(out->check, check) == 0) return 1;
    }
    return 0;
}

static int has_id(const int64_t *ids, size_t n, int64_t id) {
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

static ts_dataset *problem_dataset(ts_ctx *ctx, const char *dir) {
    ts_image img, img2;
    ts_image_alloc(ctx, 96, 80, 3, TS_PIX_U8, &img);
    ts_image_alloc(ctx, 96, 80, 3, TS_PIX_U8, &img2);
    noise_image(&img, 1, 0);
    save(ctx, dir, "a.png", &img);
    save(ctx, dir, "a_copy.png", &img); /* exact duplicate, other split: leakage */
    memcpy(img2.data, img.data, (size_t)96 * 80 * 3);
    for (int k = 0; k < 96 * 80 * 3; k += 97) ((uint8_t *)img2.data)[k] ^= 3; /* near duplicate */
    save(ctx, dir, "a_near.png", &img2);
    noise_image(&img, 2, 0);
    save(ctx, dir, "b.png", &img);
    noise_image(&img, 3, 1);
    save(ctx, dir, "dark.png", &img);
    char *bad = ts_path_join(dir, "broken.png");
    ts_file_write_atomic(ctx, bad, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    free(bad);
    ts_image_free(&img);
    ts_image_free(&img2);
    ts_dataset *ds;
    ts_dataset_create(ctx, &ds);
    ts_dataset_set_root(ctx, ds, dir);
    const char *names[] = {"cat", "dog", "unused"};
    for (int c = 0; c < 3; c++) {
        ts_category cat = ts_category_empty();
        cat.id = c + 1, cat.name = names[c];
        ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    add_image(ctx, ds, 1, "a.png", 96, 80, "train");
    add_image(ctx, ds, 2, "a_copy.png", 96, 80, "test");
    add_image(ctx, ds, 3, "a_near.png", 96, 80, "train");
    add_image(ctx, ds, 4, "b.png", 100, 80, "train"); /* size mismatch */
    add_image(ctx, ds, 5, "dark.png", 96, 80, "train");
    add_image(ctx, ds, 6, "broken.png", 96, 80, "train");
    add_image(ctx, ds, 7, "b.png", 96, 80, "val"); /* no annotations */
    add_box(ctx, ds, 10, 1, 1, 10, 10, 20, 20);
    add_box(ctx, ds, 11, 1, 1, 10, 10, 20, 20.2);  /* duplicate of 10 */
    add_box(ctx, ds, 12, 1, 2, 10.5, 10, 20, 20);  /* other class on the same object */
    add_box(ctx, ds, 13, 2, 2, 80, 70, 30, 20);     /* out of bounds */
    add_box(ctx, ds, 14, 3, 1, 5, 5, 0, 10);        /* degenerate */
    add_box(ctx, ds, 15, 4, 1, 5, 5, 10, 10);
    add_box(ctx, ds, 16, 5, 1, 5, 5, 10, 10);
    add_box(ctx, ds, 17, 6, 1, 5, 5, 10, 10);
    add_box(ctx, ds, 18, 3, 9, 5, 5, 10, 10);       /* dangling category */
    double star[] = {5, 0, 8, 10, 0, 4, 10, 4, 2, 10}; /* pentagram: edges cross */
    uint32_t ring = 10;
    ts_annotation p = ts_annotation_empty();
    p.id = 19, p.image_id = 5, p.category_id = 2, p.kind = TS_ANN_POLYGON, p.coords = star, p.ring_sizes = &ring,
    p.n_rings = 1;
    ts_dataset_add_annotation(ctx, ds, &p, NULL);
    return ds;
}

TEST(audit_finds_each_planted_problem) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = problem_dataset(ctx, ts_test_tmpdir());
    ts_audit *audit;
    ts_audit_opts o = ts_audit_opts_default();
    o.min_samples = 2;
    CHECK_OK(ctx, ts_audit_run(ctx, ds, &o, &audit));
    ts_finding f;
    for (size_t i = 0; getenv("TS_VERBOSE") && i < ts_audit_finding_count(audit); i++) {
        ts_audit_finding(audit, i, &f);
        fprintf(stderr, "%s %llu images:", f.check, (unsigned long long)f.count);
        for (size_t k = 0; k < f.n_images; k++) fprintf(stderr, " %lld", (long long)f.images[k]);
        fprintf(stderr, " | %s\n", f.message);
    }
    CHECK(find(audit, "image-unreadable", &f) && f.n_images == 1 && f.images[0] == 6);
    CHECK(find(audit, "image-size-mismatch", &f) && f.n_images == 1 && f.images[0] == 4);
    CHECK(find(audit, "box-out-of-bounds", &f) && f.n_annotations == 1 && f.annotations[0] == 13);
    CHECK(find(audit, "box-degenerate", &f) && f.n_annotations == 1 && f.annotations[0] == 14);
    CHECK(find(audit, "annotation-duplicate", &f) && f.n_annotations == 1 && f.annotations[0] == 11);
    CHECK(find(audit, "box-class-overlap", &f) && has_id(f.annotations, f.n_annotations, 12));
    CHECK(find(audit, "dangling-category", &f) && f.annotations[0] == 18);
    CHECK(find(audit, "polygon-self-intersecting", &f) && f.annotations[0] == 19);
    CHECK(find(audit, "image-no-annotations", &f) && f.n_images == 1 && f.images[0] == 7);
    CHECK(find(audit, "category-unused", &f) && strstr(f.message, "'unused'"));
    CHECK(find(audit, "image-dark", &f) && f.n_images == 1 && f.images[0] == 5);
    /* a.png / a_copy.png exact; a_near.png near; b.png twice (ids 4 and 7) exact */
    CHECK(find(audit, "duplicate-exact", &f) && f.count == 2 && has_id(f.images, f.n_images, 2) &&
          has_id(f.images, f.n_images, 7) && !has_id(f.images, f.n_images, 1));
    CHECK(find(audit, "duplicate-near", &f) && has_id(f.images, f.n_images, 3) && !has_id(f.images, f.n_images, 1));
    CHECK(find(audit, "leakage", &f) && has_id(f.images, f.n_images, 2) && !has_id(f.images, f.n_images, 1));
    CHECK(find(audit, "label-inconsistent", &f)); /* cluster of 1, 2, 3 has cat+dog, dog, cat */
    /* ranking: errors first */
    ts_audit_finding(audit, 0, &f);
    CHECK_EQ_INT(f.severity, TS_SEVERITY_ERROR);
    /* dedup keeps the first of each cluster */
    size_t *drop, n;
    CHECK_OK(ctx, ts_audit_dedup_plan(ctx, audit, ds, "first", &drop, &n));
    CHECK(n == 3 && drop[0] == 1 && drop[1] == 2 && drop[2] == 6); /* indices of ids 2, 3, 7 */
    free(drop);
    ts_buf b = {0};
    CHECK_OK(ctx, ts_audit_to_json(audit, &b));
    ts_jvalue *doc;
    CHECK_OK(ctx, ts_json_parse(ctx, "report", b.data, b.len, &doc));
    CHECK(ts_json_get(doc, "findings") && ts_json_get(doc, "findings")->type == TS_JARRAY);
    CHECK(ts_json_get(ts_json_get(doc, "stats"), "duplicates") != NULL);
    ts_json_free(doc);
    ts_buf_free(&b);
    ts_audit_destroy(audit);
    ts_dataset_destroy(ds);
}

TEST(audit_checks_filter_and_unknown_ids) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = problem_dataset(ctx, ts_test_tmpdir());
    ts_audit *audit;
    ts_audit_opts o = ts_audit_opts_default();
    o.checks = "box-degenerate";
    CHECK_OK(ctx, ts_audit_run(ctx, ds, &o, &audit));
    CHECK_EQ_INT(ts_audit_finding_count(audit), 1);
    ts_audit_destroy(audit);
    o.checks = "box-degenerat";
    CHECK_FAILS(ctx, ts_audit_run(ctx, ds, &o, &audit), "unknown check");
    ts_dataset_destroy(ds);
}

TEST(audit_of_all_unreadable_completes) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds;
    ts_dataset_create(ctx, &ds);
    ts_dataset_set_root(ctx, ds, ts_test_tmpdir());
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "missing%d.jpg", i);
        add_image(ctx, ds, i + 1, name, 10, 10, "train");
    }
    ts_audit *audit;
    CHECK_OK(ctx, ts_audit_run(ctx, ds, NULL, &audit));
    ts_finding f;
    CHECK(find(audit, "image-unreadable", &f) && f.count == 5);
    ts_audit_destroy(audit);
    ts_dataset_destroy(ds);
}

TEST(audit_is_the_same_for_any_thread_count) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = problem_dataset(ctx, ts_test_tmpdir());
    ts_buf a = {0}, b = {0};
    for (int t = 1; t <= 3; t += 2) {
        ts_ctx_set_threads(ctx, t);
        ts_audit *audit;
        CHECK_OK(ctx, ts_audit_run(ctx, ds, NULL, &audit));
        CHECK_OK(ctx, ts_audit_to_json(audit, t == 1 ? &a : &b));
        ts_audit_destroy(audit);
    }
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    ts_buf_free(&a);
    ts_buf_free(&b);
    ts_dataset_destroy(ds);
}
