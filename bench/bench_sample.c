/* Split, balance planning and sampler generation at scale: a synthetic
 * dataset of N images (1-2 boxes each over 100 Zipf-distributed classes,
 * groups of 4), then each step timed; prints seconds and peak memory.
 * usage: bench_sample N [THREADS] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "trainset/sample.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static double peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

#define CHECKED(what, expr)                                                                \
    do {                                                                                   \
        double t0_ = now(), c0_ = (double)clock() / CLOCKS_PER_SEC;                        \
        if ((expr) != TS_OK) {                                                             \
            fprintf(stderr, "%s: %s\n", what, ts_ctx_error(ctx));                          \
            return 1;                                                                      \
        }                                                                                  \
        printf("%-34s %7.2f s wall %7.2f s cpu  peak %6.0f MB\n", what, now() - t0_,          \
               (double)clock() / CLOCKS_PER_SEC - c0_, peak_mb());                         \
        fflush(stdout);                                                                    \
    } while (0)

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    ts_ctx *ctx;
    ts_ctx_create(&ctx);
    ts_ctx_set_threads(ctx, threads);
    ts_dataset *ds;
    ts_dataset_create(ctx, &ds);
    double t0 = now();
    for (int c = 0; c < 100; c++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", c);
        ts_category cat = ts_category_empty();
        cat.id = c + 1;
        cat.name = name;
        ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    /* Zipf over 100 classes by inverse CDF */
    double cdf[100], sum = 0;
    for (int c = 0; c < 100; c++) cdf[c] = (sum += 1.0 / (c + 1));
    int64_t aid = 1;
    for (size_t i = 0; i < n; i++) {
        ts_image_entry e = ts_image_entry_empty();
        e.id = (int64_t)i + 1;
        e.path = "x.jpg";
        e.width = 640;
        e.height = 480;
        e.group_id = (int64_t)(i / 4);
        if (ts_dataset_add_image(ctx, ds, &e, NULL) != TS_OK) {
            fprintf(stderr, "add image: %s\n", ts_ctx_error(ctx));
            return 1;
        }
        ts_rng r = ts_rng_for(1, 0, i, 0);
        int k = 1 + (int)ts_rng_below(&r, 2);
        for (int j = 0; j < k; j++) {
            double u = ts_rng_uniform(&r) * sum;
            int c = 0;
            while (c < 99 && cdf[c] < u) c++;
            ts_annotation a = ts_annotation_empty();
            a.id = aid++;
            a.image_id = e.id;
            a.category_id = c + 1;
            a.kind = TS_ANN_BOX;
            a.flags = TS_ANN_HAS_BOX;
            a.bbox[2] = a.bbox[3] = 10;
            ts_dataset_add_annotation(ctx, ds, &a, NULL);
        }
    }
    printf("n=%zu images, %zu annotations, threads=%d\n", n, ts_dataset_annotation_count(ds), threads);
    printf("%-34s %7.2f s wall                 peak %6.0f MB\n", "build dataset (not counted)", now() - t0, peak_mb());
    uint32_t *groups = malloc(n * sizeof *groups), *split = malloc(n * sizeof *split);
    size_t ng;
    ts_group_opts go = ts_group_opts_default();
    CHECKED("groups (group_id)", ts_sample_groups(ctx, ds, &go, groups, &ng));
    const double ratios[3] = {0.8, 0.1, 0.1};
    ts_split_opts so = {3, ratios, 0, 1, 1};
    CHECKED("split random + groups", ts_split_assign(ctx, ds, groups, &so, split, NULL));
    so.stratify = 1;
    ts_split_report rep;
    CHECKED("split stratified + groups", ts_split_assign(ctx, ds, groups, &so, split, &rep));
    printf("  stratified: max class deviation %.4f, mean %.5f\n", rep.max_deviation, rep.mean_deviation);
    ts_split_report_free(&rep);
    ts_balance_opts bo = {0};
    ts_balance_plan plan;
    bo.method = TS_BALANCE_OVERSAMPLE;
    bo.target = TS_TARGET_SQRT;
    CHECKED("balance plan oversample sqrt", ts_balance_plan_make(ctx, ds, &bo, &plan));
    printf("  %zu copies\n", plan.n_copies);
    ts_balance_plan_free(&plan);
    bo.method = TS_BALANCE_UNDERSAMPLE;
    bo.best_effort = 1;
    CHECKED("balance plan undersample sqrt", ts_balance_plan_make(ctx, ds, &bo, &plan));
    printf("  %zu dropped\n", plan.n_dropped);
    ts_balance_plan_free(&plan);
    bo.method = TS_BALANCE_REPEAT_FACTOR;
    CHECKED("balance plan repeat-factor", ts_balance_plan_make(ctx, ds, &bo, &plan));
    ts_balance_plan_free(&plan);
    const ts_sampler_mode modes[] = {TS_SAMPLER_UNIFORM, TS_SAMPLER_STRATIFIED, TS_SAMPLER_CLASS_BALANCED,
                                     TS_SAMPLER_REPEAT_FACTOR, TS_SAMPLER_WEIGHTED, TS_SAMPLER_SPREAD_GROUPS,
                                     TS_SAMPLER_TOGETHER_GROUPS, TS_SAMPLER_BUFFER};
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
        ts_sampler_opts o = ts_sampler_opts_default();
        o.mode = modes[m];
        o.batch = 64;
        o.seed = 3;
        ts_sampler *s = NULL;
        char what[64];
        snprintf(what, sizeof what, "sampler %s (create)", ts_sampler_mode_name(o.mode));
        CHECKED(what, ts_sampler_create(ctx, ds, &o, &s));
        uint32_t *order;
        size_t len;
        snprintf(what, sizeof what, "sampler %s (epoch)", ts_sampler_mode_name(o.mode));
        CHECKED(what, ts_sampler_epoch_order(ctx, s, 1, &order, &len));
        free(order);
        ts_sampler_destroy(s);
    }
    free(groups), free(split);
    ts_dataset_destroy(ds);
    ts_ctx_destroy(ctx);
    return 0;
}
