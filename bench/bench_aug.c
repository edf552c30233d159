/* Augmentation speed, one thread: each op of bench/aug_ops.txt applied to
 * the 64 photos of bench512 (decoded once, copied into the sample each
 * time, untimed); plus the standard training chain
 * from JPEG bytes, the batch API's scaling with threads and the cost of 500
 * boxes on a rotate. Rates are images per CPU second of the process, so a
 * loaded machine slows the run but not the numbers (the batch rows are wall
 * clock as well, since scaling is about wall time).
 *
 * usage: bench_aug DIR OPS_FILE SECONDS
 * Reads commands from stdin, one a line, and answers each with one line, so
 * bench/bench_aug.sh can interleave it with the peers op by op:
 *   NAME          an op of OPS_FILE       -> "NAME rate"
 *   chain         decode + rrc + flip + jitter + normalize from JPEG bytes
 *   batch         -> "batch wall1 wall2 cpu1 cpu2 lat1 lat2 thr1 thr2" (images/s
 *                    on 1 and 2 threads; the two controls' tasks/s likewise)
 *   boxes         -> "boxes rate_0_boxes rate_500_boxes" (rotate 17 degrees) */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trainset.h"
#include "trainset/aug.h"

static double clock_of(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static double cpu(void) { return clock_of(CLOCK_PROCESS_CPUTIME_ID); }
static double wall(void) { return clock_of(CLOCK_MONOTONIC); }

typedef struct {
    uint8_t *bytes;
    size_t len;
    ts_image img;
} photo;

static void die(ts_ctx *ctx) {
    fprintf(stderr, "bench_aug: %s\n", ts_ctx_error(ctx));
    exit(1);
}

static void fill_sample(ts_ctx *ctx, ts_aug_sample *s, const ts_image *src, int boxes) {
    memset(s, 0, sizeof *s);
    if (ts_image_copy(ctx, src, &s->image) != TS_OK) die(ctx);
    if (!boxes) return;
    s->objects = calloc((size_t)boxes, sizeof *s->objects);
    s->n_objects = (size_t)boxes;
    for (int i = 0; i < boxes; i++) {
        ts_aug_object *o = &s->objects[i];
        o->has_box = 1, o->category_id = i % 7, o->visibility = 1, o->label_weight = 1;
        o->bbox[0] = (i * 37) % 400, o->bbox[1] = (i * 53) % 400, o->bbox[2] = 20 + i % 60, o->bbox[3] = 15 + i % 70;
        o->original_area = o->bbox[2] * o->bbox[3];
    }
}

static uint64_t counter; /* sample index: every call draws fresh parameters */

/* Only ts_aug_apply and freeing the result are timed: the copy that gives
 * each call a fresh input stands in for the decode of a real loader (a
 * peer likewise gets its input for free and pays for its output). */
static double rate(ts_ctx *ctx, const ts_aug_pipeline *p, photo *ph, int n, double secs, int boxes) {
    double spent = 0;
    uint64_t done = 0;
    while (spent < secs) {
        for (int i = 0; i < n; i++, done++) {
            ts_aug_sample s;
            fill_sample(ctx, &s, &ph[i].img, boxes);
            double t0 = cpu();
            if (ts_aug_apply(ctx, p, 1, 0, counter++, &s, NULL) != TS_OK) die(ctx);
            ts_aug_sample_clear(&s);
            spent += cpu() - t0;
        }
    }
    return done / spent;
}

static const char *const chain_json =
    "{\"ops\": [{\"op\": \"random_resized_crop\", \"width\": 224, \"height\": 224}, "
    "{\"op\": \"hflip\", \"p\": 0.5}, {\"op\": \"color_jitter\", \"brightness\": 0.4, "
    "\"contrast\": 0.4, \"saturation\": 0.4, \"hue\": 0.1}, {\"op\": \"normalize\", \"preset\": \"imagenet\"}]}";

static double chain_rate(ts_ctx *ctx, const ts_aug_pipeline *p, photo *ph, int n, double secs) {
    double t0 = cpu(), spent;
    uint64_t done = 0;
    while ((spent = cpu() - t0) < secs)
        for (int i = 0; i < n; i++, done++) {
            ts_aug_sample s;
            memset(&s, 0, sizeof s);
            if (ts_aug_apply_encoded(ctx, p, 1, 0, counter++, "bench", ph[i].bytes, ph[i].len, &s, NULL) != TS_OK)
                die(ctx);
            ts_aug_sample_clear(&s);
        }
    return done / spent;
}

/* The batch API on the chain (decoded input) on one and on two threads:
 * images per wall second and per CPU second of each. The two pools take
 * turns batch by batch (the first to go alternating), so a change of load
 * on a shared machine meets both alike instead of whichever ran later.
 * Each round also runs two controls through the same pools, 64 tasks each
 * of pure register arithmetic (no memory, nothing shared): one a single
 * chain of dependent multiplies (it leaves most of a core's execution units
 * idle), one eight independent chains of adds (it fills them). Their
 * scaling is what this machine gives perfectly parallel work at that
 * moment; when two virtual CPUs share one physical core, the first still
 * doubles and the second does not. */
typedef struct {
    ts_pool *pool;
    double wall, cpu, control_wall[2];
    uint64_t done, control_done[2];
} batch_side;

typedef struct {
    ts_ctx *ctx;
    photo *ph;
    ts_aug_sample *batch;
} fill_job;

static void fill_range(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    fill_job *j = user;
    for (size_t i = begin; i < end; i++) fill_sample(j->ctx, &j->batch[i], &j->ph[i].img, 0);
}

/* The inputs are copied on the batch's own pool, as a loader decodes a
 * batch on the pool that then augments it (untimed). */
static void batch_once(ts_ctx *ctx, const ts_aug_pipeline *p, photo *ph, int n, ts_aug_sample *batch,
                       batch_side *side) {
    fill_job job = {ctx, ph, batch};
    ts_pool_run(side->pool, (size_t)n, 1, fill_range, &job);
    double a = wall(), ca = cpu();
    if (ts_aug_apply_batch(ctx, p, side->pool, 1, 0, counter, batch, (size_t)n) != TS_OK) die(ctx);
    side->wall += wall() - a, side->cpu += cpu() - ca;
    counter += (uint64_t)n;
    for (int i = 0; i < n; i++) ts_aug_sample_clear(&batch[i]);
    side->done += (uint64_t)n;
}

static void latency_bound_task(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    uint64_t *out = user;
    for (size_t i = begin; i < end; i++) {
        uint64_t x = i + 1;
        for (int k = 0; k < 600000; k++) x = x * 6364136223846793005u + 1442695040888963407u;
        out[i] = x;
    }
}

static void throughput_bound_task(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    uint64_t *out = user;
    for (size_t i = begin; i < end; i++) {
        uint64_t a[8] = {i, 1, 2, 3, 4, 5, 6, 7};
        for (uint64_t k = 0; k < 100000; k++) {
            for (int j = 0; j < 8; j++) a[j] += a[(j + 1) % 8] ^ k;
            __asm__ volatile("" : "+r"(a[0]), "+r"(a[1]), "+r"(a[2]), "+r"(a[3])); /* kept in registers, unvectorised */
        }
        out[i] = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
    }
}

static void control_once(int n, int which, batch_side *side) {
    uint64_t out[64];
    if (n > 64) n = 64;
    double a = wall();
    ts_pool_run(side->pool, (size_t)n, 1, which ? throughput_bound_task : latency_bound_task, out);
    side->control_wall[which] += wall() - a;
    side->control_done[which] += (uint64_t)n;
}

static void batch_rates(ts_ctx *ctx, const ts_aug_pipeline *p, photo *ph, int n, double secs, double rates[8]) {
    batch_side side[2];
    memset(side, 0, sizeof side);
    for (int k = 0; k < 2; k++)
        if (ts_pool_create(ctx, k + 1, &side[k].pool) != TS_OK) die(ctx);
    ts_aug_sample *batch = calloc((size_t)n, sizeof *batch);
    /* one untimed batch each first: a worker's malloc arena grows (and
     * faults its pages in) once, as in the first batch of a loader */
    for (int k = 0; k < 2; k++) {
        batch_once(ctx, p, ph, n, batch, &side[k]);
        side[k].wall = side[k].cpu = 0, side[k].done = 0;
    }
    double w0 = wall();
    for (int round = 0; wall() - w0 < 2 * secs; round++)
        for (int k = 0; k < 2; k++) {
            batch_side *one = &side[(k + round) % 2];
            batch_once(ctx, p, ph, n, batch, one);
            control_once(n, 0, one);
            control_once(n, 1, one);
        }
    for (int k = 0; k < 2; k++) {
        rates[k] = side[k].done / side[k].wall;
        rates[2 + k] = side[k].done / side[k].cpu;
        rates[4 + k] = side[k].control_done[0] / side[k].control_wall[0];
        rates[6 + k] = side[k].control_done[1] / side[k].control_wall[1];
        ts_pool_destroy(side[k].pool);
    }
    free(batch);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_aug DIR OPS_FILE SECONDS < commands\n");
        return 2;
    }
    /* glibc maps every block above its mmap threshold afresh and returns
     * freed heap tops above its trim threshold, so a process that makes
     * and frees one 768 KiB image after another pays page faults on every
     * output (about half the time of a flip). A loader keeps its memory;
     * raise both thresholds as a long-running one would tune them.
     * TS_BENCH_DEFAULT_MALLOC=1 measures with glibc's defaults instead. */
    if (!getenv("TS_BENCH_DEFAULT_MALLOC")) {
        mallopt(M_MMAP_THRESHOLD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
    ts_ctx *ctx;
    if (ts_ctx_create(&ctx) != TS_OK) return 1;
    char **names;
    size_t count;
    if (ts_dir_list(ctx, argv[1], &names, &count) != TS_OK) die(ctx);
    photo *ph = calloc(count, sizeof *ph);
    int n = 0;
    for (size_t i = 0; i < count; i++) {
        char *path = ts_path_join(argv[1], names[i]);
        if (ts_file_read(ctx, path, &ph[n].bytes, &ph[n].len) == TS_OK &&
            ts_image_decode(ctx, path, ph[n].bytes, ph[n].len, NULL, &ph[n].img, NULL) == TS_OK && ph[n].img.c == 3)
            n++;
        free(path);
    }
    if (n == 0) {
        fprintf(stderr, "bench_aug: no RGB photos in %s\n", argv[1]);
        return 1;
    }
    double secs = atof(argv[3]);
    /* the op table */
    char *op_names[128];
    ts_aug_pipeline *op_pipes[128];
    int n_ops = 0;
    FILE *ops = fopen(argv[2], "r");
    char line[1024];
    while (ops && n_ops < 128 && fgets(line, sizeof line, ops)) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab) continue;
        *tab = 0;
        if (ts_aug_pipeline_load(ctx, tab + 1, &op_pipes[n_ops]) != TS_OK) die(ctx);
        op_names[n_ops++] = strdup(line);
    }
    if (ops) fclose(ops);
    ts_aug_pipeline *chain, *rotate;
    if (ts_aug_pipeline_load(ctx, chain_json, &chain) != TS_OK ||
        ts_aug_pipeline_load(ctx, "{\"ops\": [{\"op\": \"rotate\", \"deg\": 17}]}", &rotate) != TS_OK)
        die(ctx);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strcmp(line, "chain") == 0) {
            printf("chain %.1f\n", chain_rate(ctx, chain, ph, n, secs));
        } else if (strcmp(line, "batch") == 0) {
            double r[8];
            batch_rates(ctx, chain, ph, n, secs, r);
            printf("batch %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f\n", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
        } else if (strcmp(line, "boxes") == 0) {
            double r0 = 0, r500 = 0; /* alternating rounds, best of three each: the difference is small */
            for (int round = 0; round < 3; round++) {
                double a = rate(ctx, rotate, ph, n, secs, 0), b = rate(ctx, rotate, ph, n, secs, 500);
                if (a > r0) r0 = a;
                if (b > r500) r500 = b;
            }
            printf("boxes %.1f %.1f\n", r0, r500);
        } else {
            int k = 0;
            while (k < n_ops && strcmp(op_names[k], line) != 0) k++;
            if (k == n_ops) printf("%s nan\n", line);
            else printf("%s %.1f\n", line, rate(ctx, op_pipes[k], ph, n, secs, 0));
        }
        fflush(stdout);
    }
    for (int k = 0; k < n_ops; k++) free(op_names[k]), ts_aug_pipeline_destroy(op_pipes[k]);
    ts_aug_pipeline_destroy(chain);
    ts_aug_pipeline_destroy(rotate);
    for (int i = 0; i < n; i++) free(ph[i].bytes), ts_image_free(&ph[i].img);
    free(ph);
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    ts_ctx_destroy(ctx);
    return 0;
}
