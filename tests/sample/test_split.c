/* Splits: exact ratios, groups never straddle, stratification keeps class
 * shares, near-duplicate groups, refusals with numbers, determinism. */
#include "sample_fixture.h"

static const double R3[3] = {0.8, 0.1, 0.1};

TEST(split_ratios_and_groups) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 1000, 5);
    uint32_t groups[1000], split[1000];
    size_t ng = 0;
    ts_group_opts go = ts_group_opts_default();
    CHECK_OK(ctx, ts_sample_groups(ctx, ds, &go, groups, &ng));
    CHECK_EQ_INT(ng, 200);
    CHECK_EQ_INT(groups[0], 0);
    CHECK_EQ_INT(groups[7], 1);
    ts_split_opts o = {3, R3, 0, 42, 0};
    ts_split_report r;
    CHECK_OK(ctx, ts_split_assign(ctx, ds, groups, &o, split, &r));
    CHECK_EQ_INT(r.images[0], 800);
    CHECK_EQ_INT(r.images[1], 100);
    CHECK_EQ_INT(r.images[2], 100);
    int straddle = 0;
    for (size_t i = 0; i < 1000; i++) straddle += split[i] != split[(i / 5) * 5];
    CHECK_EQ_INT(straddle, 0);
    CHECK_EQ_INT(r.class_total[0], 600);
    CHECK_EQ_INT(r.class_total[3], 143);
    ts_split_report_free(&r);

    /* same seed, same split; another seed, another */
    uint32_t again[1000];
    CHECK_OK(ctx, ts_split_assign(ctx, ds, groups, &o, again, NULL));
    CHECK(memcmp(split, again, sizeof split) == 0);
    o.seed = 43;
    CHECK_OK(ctx, ts_split_assign(ctx, ds, groups, &o, again, NULL));
    CHECK(memcmp(split, again, sizeof split) != 0);

    /* without groups, images are independent */
    go.kind = TS_GROUP_NONE;
    CHECK_OK(ctx, ts_sample_groups(ctx, ds, &go, groups, &ng));
    CHECK_EQ_INT(ng, 1000);
    ts_dataset_destroy(ds);
}

TEST(split_stratified_keeps_class_shares) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 2000, 0);
    uint32_t *split = malloc(2000 * sizeof *split);
    ts_split_opts o = {3, R3, 1, 7, 0};
    ts_split_report rs, ru;
    CHECK_OK(ctx, ts_split_assign(ctx, ds, NULL, &o, split, &rs));
    o.stratify = 0;
    CHECK_OK(ctx, ts_split_assign(ctx, ds, NULL, &o, split, &ru));
    /* every class within one image of its exact share in every split */
    for (size_t j = 0; j < 3; j++)
        for (size_t c = 0; c < 4; c++) {
            double want = R3[j] * (double)rs.class_total[c];
            double got = (double)rs.class_images[j * 4 + c];
            if (fabs(got - want) > 1.0)
                ts_test_failf(__FILE__, __LINE__, "split %zu class %zu: %g images, want %g", j, c, got, want);
        }
    CHECK(fabs((double)rs.images[0] - 1600) <= 2);
    CHECK(rs.max_deviation <= ru.max_deviation);
    CHECK(rs.max_deviation < 0.01);
    ts_split_report_free(&rs);
    ts_split_report_free(&ru);
    free(split);
    ts_dataset_destroy(ds);
}

TEST(split_refuses_with_numbers) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 20, 0);
    uint32_t split[40], groups[40];
    const double bad[3] = {0.8, 0.1, 0.2};
    ts_split_opts o = {3, bad, 0, 1, 0};
    CHECK_FAILS(ctx, ts_split_assign(ctx, ds, NULL, &o, split, NULL), "sum to 1.1");
    /* class "bird" (i % 10 == 9): images 9 and 19 only -> 2 images, 3 splits */
    o.ratios = R3;
    o.stratify = 1;
    CHECK_FAILS(ctx, ts_split_assign(ctx, ds, NULL, &o, split, NULL), "'bird' (2 groups)");
    o.best_effort = 1;
    int warned = ts_test_warnings;
    CHECK_OK(ctx, ts_split_assign(ctx, ds, NULL, &o, split, NULL));
    CHECK(ts_test_warnings > warned);
    ts_dataset_destroy(ds);

    /* one group of 17 of 20 images: larger than the 16 train wants */
    ds = fixture_dataset(ctx, 20, 0);
    for (size_t i = 0; i < 20; i++) groups[i] = i < 17 ? 0 : (uint32_t)(i - 16);
    ts_split_opts g = {3, R3, 0, 1, 0};
    CHECK_FAILS(ctx, ts_split_assign(ctx, ds, groups, &g, split, NULL), "has 17 images, more than the largest split wants (16 of 20");
    /* two groups of 10: one split stays empty */
    for (size_t i = 0; i < 20; i++) groups[i] = i < 10 ? 0 : 1;
    const double half[3] = {0.5, 0.4, 0.1};
    g.ratios = half;
    CHECK_FAILS(ctx, ts_split_assign(ctx, ds, groups, &g, split, NULL), "got no images");
    g.best_effort = 1;
    CHECK_OK(ctx, ts_split_assign(ctx, ds, groups, &g, split, NULL));
    CHECK(split[0] != split[10]);
    ts_dataset_destroy(ds);
}

/* Pixel source: image k is a pattern chosen by k / 4 (so four images in a
 * row are near-duplicates: the same pattern, brightness shifted by k % 4). */
static ts_status pattern_load(void *user, ts_ctx *ctx, uint64_t key, ts_image *out) {
    (void)user;
    ts_image img;
    ts_status st = ts_image_alloc(ctx, 64, 64, 1, TS_PIX_U8, &img);
    if (st != TS_OK) return st;
    ts_rng rng = ts_rng_for(99, 0, key / 4, 0);
    int cells[16];
    for (int k = 0; k < 16; k++) cells[k] = (int)ts_rng_below(&rng, 200);
    for (int y = 0; y < 64; y++) {
        uint8_t *row = ts_image_row(&img, y);
        for (int x = 0; x < 64; x++) row[x] = (uint8_t)(cells[(y / 16) * 4 + x / 16] + (int)(key % 4) * 3);
    }
    *out = img;
    return TS_OK;
}

TEST(split_dedup_groups_keep_near_duplicates_together) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 200, 0);
    ts_pixel_source_fns fns = {pattern_load, NULL, NULL};
    ts_pixel_source *src = NULL;
    uint32_t origin = 0;
    CHECK_OK(ctx, ts_pixel_source_create(ctx, &fns, NULL, &src));
    CHECK_OK(ctx, ts_dataset_add_origin(ctx, ds, "", src, &origin));
    ts_pixel_source_release(src);
    for (size_t i = 0; i < 200; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        e.origin = origin;
        e.pixel_key = i;
        CHECK_OK(ctx, ts_dataset_update_image(ctx, ds, i, &e));
    }
    uint32_t groups[200], split[200];
    size_t ng = 0;
    ts_group_opts go = ts_group_opts_default();
    go.kind = TS_GROUP_DEDUP;
    CHECK_OK(ctx, ts_sample_groups(ctx, ds, &go, groups, &ng));
    CHECK(ng >= 45 && ng <= 50); /* 50 patterns; two random ones may be close */
    ts_split_opts o = {3, R3, 0, 3, 0};
    CHECK_OK(ctx, ts_split_assign(ctx, ds, groups, &o, split, NULL));
    uint64_t h[200];
    CHECK_OK(ctx, ts_dataset_phashes(ctx, ds, TS_PHASH_DCT, h, NULL));
    int leaks = 0, near = 0;
    for (size_t a = 0; a < 200; a++)
        for (size_t b = a + 1; b < 200; b++) {
            if (ts_hamming64(h[a], h[b]) > go.threshold) continue;
            near++;
            leaks += split[a] != split[b];
        }
    CHECK(near >= 300); /* 50 quadruples = 300 pairs at least */
    CHECK_EQ_INT(leaks, 0);
    ts_dataset_destroy(ds);
}

TEST(split_subset_datasets) {
    ts_ctx *ctx = ts_test_ctx();
    ts_dataset *ds = fixture_dataset(ctx, 30, 0);
    uint8_t keep[30];
    for (int i = 0; i < 30; i++) keep[i] = i % 3 == 0;
    ts_dataset *sub = NULL;
    CHECK_OK(ctx, ts_sample_subset(ctx, ds, keep, "val", &sub));
    CHECK_EQ_INT(ts_dataset_image_count(sub), 10);
    CHECK_EQ_INT(ts_dataset_category_count(sub), 4);
    /* images 0,3,..27: each i % 3 == 0 has 2 boxes, and 0,21 have a fish label */
    CHECK_EQ_INT(ts_dataset_annotation_count(sub), 10 * 2 + 2);
    ts_image_entry e;
    ts_dataset_image(sub, 1, &e);
    CHECK_EQ_INT(e.id, 103);
    CHECK_STR(e.split, "val");
    ts_dataset_destroy(sub);
    ts_dataset_destroy(ds);
}
