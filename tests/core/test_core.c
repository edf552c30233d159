/* Core: errors with positions, checked sizes, buffers and number text,
 * interning, RNG determinism, thread pool, atomic output, path safety. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"

TEST(error_first_wins_and_positions) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_EQ_INT(ts_error_at(ctx, TS_ERR_PARSE, "a.json", 3, 14, "expected %s", "number"), TS_ERR_PARSE);
    ts_error(ctx, TS_ERR_IO, "second");
    CHECK_STR(ts_ctx_error(ctx), "a.json:3:14: expected number");
    ts_error_prefix(ctx, "reading %s", "dir");
    CHECK_STR(ts_ctx_error(ctx), "reading dir: a.json:3:14: expected number");
    ts_ctx_clear_error(ctx);
    CHECK_STR(ts_ctx_error(ctx), "");
    ts_warn(ctx, "w %d", 1);
    CHECK_EQ_INT(ts_test_warnings, 1);
    CHECK_EQ_INT(ts_ctx_warning_count(ctx), 1);
}

TEST(checked_sizes) {
    size_t r;
    CHECK(ts_mul_size(1u << 20, 1u << 10, &r) && r == (size_t)1 << 30);
    CHECK(!ts_mul_size(SIZE_MAX / 2, 3, &r));
    CHECK(!ts_add_size(SIZE_MAX, 1, &r));
    ts_ctx *ctx = ts_test_ctx();
    CHECK(ts_alloc_array(ctx, SIZE_MAX / 4, 8) == NULL);
    CHECK(strstr(ts_ctx_error(ctx), "cannot allocate") != NULL);
}

TEST(shortest_double_text) {
    char b[40];
    ts_format_double(b, 239.97);
    CHECK_STR(b, "239.97");
    ts_format_double(b, 12);
    CHECK_STR(b, "12");
    ts_format_double(b, -0.5);
    CHECK_STR(b, "-0.5");
    ts_format_double(b, 0.1 + 0.2);
    CHECK(strtod(b, NULL) == 0.1 + 0.2);
    ts_format_double(b, 1e-7);
    CHECK(strtod(b, NULL) == 1e-7);
    ts_format_double(b, 1.0 / 3.0);
    CHECK(strtod(b, NULL) == 1.0 / 3.0);
    ts_format_double(b, NAN);
    CHECK_STR(b, "null");
    /* every value of a random sample reads back exactly */
    ts_rng rng = ts_rng_for(1, 0, 0, 0);
    int exact = 1;
    for (int i = 0; i < 20000; i++) {
        double v = ts_rng_range(&rng, -1e4, 1e4);
        if (i % 3 == 0) v = round(v * 100) / 100;
        ts_format_double(b, v);
        exact &= strtod(b, NULL) == v;
    }
    CHECK(exact);
}

TEST(buffer_json_string_escapes) {
    ts_buf b = {0};
    ts_buf_put_json_string(&b, "a\"b\\c\n\x01");
    CHECK_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    ts_buf_put_int(&b, -42);
    CHECK(strstr(b.data, "-42") != NULL);
    ts_buf_free(&b);
}

TEST(strpool_interns_once_and_keeps_pointers) {
    ts_strpool *p;
    CHECK_EQ_INT(ts_strpool_create(&p), TS_OK);
    uint32_t a, b, c;
    ts_strpool_intern(p, "cat", 3, &a);
    const char *first = ts_strpool_get(p, a);
    for (int i = 0; i < 100000; i++) {
        char name[32];
        int n = snprintf(name, sizeof name, "name-%d", i);
        ts_strpool_intern(p, name, (size_t)n, &c);
    }
    ts_strpool_intern(p, "cat!", 3, &b);
    CHECK_EQ_INT(a, b);
    CHECK(first == ts_strpool_get(p, a)); /* stable pointer */
    CHECK_STR(ts_strpool_get(p, c), "name-99999");
    CHECK_EQ_INT(ts_strpool_count(p), 100002);
    CHECK(ts_strpool_find(p, "name-5", 6, &c) && strcmp(ts_strpool_get(p, c), "name-5") == 0);
    CHECK(!ts_strpool_find(p, "dog", 3, &c));
    ts_strpool_destroy(p);
}

TEST(rng_is_a_pure_function_of_its_counters) {
    ts_rng a = ts_rng_for(42, 1, 7, 3), b = ts_rng_for(42, 1, 7, 3), c = ts_rng_for(42, 1, 8, 3);
    uint64_t x = ts_rng_u64(&a);
    CHECK(x == ts_rng_u64(&b));
    CHECK(x != ts_rng_u64(&c));
    /* uniformity: mean and below() range */
    ts_rng r = ts_rng_for(1, 2, 3, 4);
    double sum = 0;
    int in_range = 1;
    for (int i = 0; i < 100000; i++) {
        sum += ts_rng_uniform(&r);
        in_range &= ts_rng_below(&r, 7) < 7;
    }
    CHECK_NEAR(sum / 100000, 0.5, 0.01);
    CHECK(in_range);
    double s2 = 0, m = 0;
    for (int i = 0; i < 100000; i++) {
        double v = ts_rng_normal(&r);
        m += v;
        s2 += v * v;
    }
    CHECK_NEAR(m / 100000, 0, 0.02);
    CHECK_NEAR(s2 / 100000, 1, 0.03);
}

static void square_into(void *user, size_t begin, size_t end, int worker) {
    (void)worker;
    uint64_t *out = user;
    for (size_t i = begin; i < end; i++) out[i] = (uint64_t)i * i;
}

/* Every index exactly once, over chunk sizes and thread counts that split
 * evenly and unevenly, with fewer items than threads, and (threads > 1)
 * with workers stealing from each other's shares. */
typedef struct {
    _Atomic int *calls;
    _Atomic int bad_worker;
    int threads;
} count_job;

static void count_calls(void *user, size_t begin, size_t end, int worker) {
    count_job *j = user;
    if (worker < 0 || worker >= j->threads || begin >= end) atomic_store(&j->bad_worker, 1);
    for (size_t i = begin; i < end; i++) atomic_fetch_add(&j->calls[i], 1);
}

TEST(pool_runs_every_index_once) {
    ts_ctx *ctx = ts_test_ctx();
    static const size_t sizes[] = {1, 2, 3, 7, 64, 1000, 10007};
    static const size_t grains[] = {0, 1, 3, 64};
    for (int threads = 1; threads <= 4; threads++) {
        ts_pool *pool;
        CHECK_OK(ctx, ts_pool_create(ctx, threads, &pool));
        uint64_t *out = calloc(10007, sizeof *out);
        for (int rep = 0; rep < 3; rep++) ts_pool_run(pool, 10007, 0, square_into, out);
        int ok = 1;
        for (size_t i = 0; i < 10007; i++) ok &= out[i] == (uint64_t)i * i;
        CHECK(ok);
        free(out);
        _Atomic int *calls = calloc(10007, sizeof *calls);
        for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
            for (size_t b = 0; b < sizeof grains / sizeof *grains; b++) {
                count_job j = {calls, 0, threads};
                for (size_t i = 0; i < sizes[a]; i++) atomic_store(&calls[i], 0);
                ts_pool_run(pool, sizes[a], grains[b], count_calls, &j);
                int once = 1;
                for (size_t i = 0; i < sizes[a]; i++) once &= atomic_load(&calls[i]) == 1;
                CHECK(once && !atomic_load(&j.bad_worker));
            }
        free(calls);
        ts_pool_destroy(pool);
    }
}

/* Worker 0 holds its first item until every other item is done: the job
 * finishes only if the other workers take the rest of worker 0's share. */
typedef struct {
    _Atomic size_t done;
    size_t n;
    _Atomic int timed_out;
} steal_job;

static void hold_first(void *user, size_t begin, size_t end, int worker) {
    steal_job *j = user;
    for (size_t i = begin; i < end; i++) {
        if (worker == 0 && i == 0) {
            for (long spins = 0; atomic_load(&j->done) < j->n - 1; spins++) {
                if (spins > 20000) { /* about 20 s */
                    atomic_store(&j->timed_out, 1);
                    break;
                }
                struct timespec ms = {0, 1000000};
                nanosleep(&ms, NULL);
            }
        }
        atomic_fetch_add(&j->done, 1);
    }
}

TEST(pool_workers_take_over_a_slow_share) {
    ts_ctx *ctx = ts_test_ctx();
    for (int threads = 2; threads <= 3; threads++) {
        ts_pool *pool;
        CHECK_OK(ctx, ts_pool_create(ctx, threads, &pool));
        steal_job j = {0, 64, 0};
        ts_pool_run(pool, j.n, 1, hold_first, &j);
        CHECK(!atomic_load(&j.timed_out));
        CHECK(atomic_load(&j.done) == j.n);
        ts_pool_destroy(pool);
    }
}

static int named_b_txt(const char *path, const char *name, void *user) {
    int *calls = user;
    (*calls)++;
    return strcmp(name, "b.txt") == 0 && ts_file_exists(path);
}

/* ts_dir_any tries entries in sorted order and stops at the first match. */
TEST(dir_any_stops_at_the_first_match) {
    ts_ctx *ctx = ts_test_ctx();
    char *dir = ts_path_join(ts_test_tmpdir(), "dir_any");
    const char *names[3] = {"c.txt", "a.txt", "b.txt"};
    for (int i = 0; i < 3; i++) {
        char *p = ts_path_join(dir, names[i]);
        CHECK_OK(ctx, ts_file_write_staged(ctx, p, "x", 1));
        free(p);
    }
    int calls = 0;
    CHECK(ts_dir_any(dir, named_b_txt, &calls));
    CHECK_EQ_INT(calls, 2); /* a.txt, then b.txt */
    calls = 0;
    char *missing = ts_path_join(dir, "nope");
    CHECK(!ts_dir_any(missing, named_b_txt, &calls));
    CHECK_EQ_INT(calls, 0);
    free(missing), free(dir);
}

TEST(atomic_file_and_dir) {
    ts_ctx *ctx = ts_test_ctx();
    const char *dir = ts_test_tmpdir();
    char *path = ts_path_join(dir, "sub/out.txt");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, path, "hello", 5));
    ts_atomic_file *f;
    CHECK_OK(ctx, ts_atomic_open(ctx, path, &f));
    fputs("half", ts_atomic_stream(f));
    ts_atomic_abort(f); /* interrupted: the old content stays */
    uint8_t *data;
    size_t len;
    CHECK_OK(ctx, ts_file_read(ctx, path, &data, &len));
    CHECK_EQ_INT(len, 5);
    CHECK(memcmp(data, "hello", 5) == 0);
    free(data);
    char *d = ts_path_join(dir, "outdir");
    for (int round = 0; round < 2; round++) {
        ts_atomic_dir *ad;
        CHECK_OK(ctx, ts_atomic_dir_open(ctx, d, &ad));
        char *inner = ts_path_join(ts_atomic_dir_path(ad), "a.txt");
        CHECK_OK(ctx, ts_file_write_atomic(ctx, inner, round ? "2" : "1", 1));
        free(inner);
        CHECK(!ts_file_exists(d) || round == 1);
        CHECK_OK(ctx, ts_atomic_dir_commit(ctx, ad));
    }
    char *a = ts_path_join(d, "a.txt");
    CHECK_OK(ctx, ts_file_read(ctx, a, &data, &len));
    CHECK(len == 1 && data[0] == '2');
    free(data);
    char **names;
    size_t n;
    CHECK_OK(ctx, ts_dir_list(ctx, dir, &names, &n));
    CHECK_EQ_INT(n, 2); /* "outdir", "sub": no temporaries left */
    ts_strings_free(names, n);
    free(a);
    free(d);
    free(path);
}

TEST(hostile_paths_are_refused) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_FAILS(ctx, ts_path_check_relative(ctx, "../../etc/passwd", "a.json"), "leaves the dataset root");
    CHECK_FAILS(ctx, ts_path_check_relative(ctx, "/etc/passwd", "a.json"), "absolute");
    CHECK_FAILS(ctx, ts_path_check_relative(ctx, "img/..\\..\\x", "a.json"), "leaves");
    CHECK_FAILS(ctx, ts_path_check_relative(ctx, "C:\\x.jpg", "a.json"), "drive");
    CHECK_OK(ctx, ts_path_check_relative(ctx, "images/a..b.jpg", "a.json"));
    ts_ctx_set_allow_outside_root(ctx, 1);
    CHECK_OK(ctx, ts_path_check_relative(ctx, "/etc/passwd", "a.json"));
    char *j = ts_path_join("root/", "./a/b.jpg");
    CHECK_STR(j, "root/a/b.jpg");
    free(j);
    CHECK_STR(ts_path_ext("a/b.tar.gz"), ".gz");
    CHECK_STR(ts_path_basename("a/b/c.png"), "c.png");
}
