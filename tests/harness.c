/* Runs every registered unit test (or those whose name contains argv[1]),
 * each in order, and prints the closing "N passed, N failed" line. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

typedef struct {
    const char *name;
    const char *file;
    ts_test_fn fn;
} test_case;

static test_case *tests;
static size_t test_count, test_cap;
static int current_failed;
static const char *current_name;
static char tmpdir[4096];
static ts_ctx *current_ctx;
int ts_test_warnings;

void ts_test_register(const char *name, const char *file, ts_test_fn fn) {
    if (test_count == test_cap) {
        test_cap = test_cap ? test_cap * 2 : 64;
        tests = realloc(tests, test_cap * sizeof *tests);
        if (!tests) abort();
    }
    tests[test_count++] = (test_case){name, file, fn};
}

void ts_test_failf(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "  FAIL %s (%s:%d): ", current_name, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failed = 1;
}

int ts_test_check(int ok, const char *expr, const char *file, int line) {
    if (!ok) ts_test_failf(file, line, "%s", expr);
    return ok;
}

const char *ts_test_shared(const char *rel) {
    static char buf[4096];
    const char *root = getenv("TS_SHARED");
    snprintf(buf, sizeof buf, "%s/%s", root && *root ? root : "../shared", rel);
    return buf;
}

const char *ts_test_tmpdir(void) {
    const char *build = getenv("BUILD");
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp/%s", build && *build ? build : "build", current_name);
    ts_ctx *ctx = NULL;
    ts_ctx_create(&ctx);
    ts_remove_tree(ctx, tmpdir);
    ts_mkdirs(ctx, tmpdir);
    ts_ctx_destroy(ctx);
    return tmpdir;
}

static void count_warning(void *user, const char *message) {
    (void)user;
    (void)message;
    ts_test_warnings++;
}

ts_ctx *ts_test_ctx(void) {
    if (!current_ctx) {
        if (ts_ctx_create(&current_ctx) != TS_OK) abort();
        ts_ctx_set_warning_fn(current_ctx, count_warning, NULL);
    }
    return current_ctx;
}

static int by_file_then_order(const void *a, const void *b) {
    const test_case *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c) return c;
    return (x < y) ? -1 : (x > y);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int verbose = getenv("TS_VERBOSE") != NULL;
    size_t passed = 0, failed = 0;
    qsort(tests, test_count, sizeof *tests, by_file_then_order);
    for (size_t i = 0; i < test_count; i++) {
        if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter)) continue;
        current_name = tests[i].name;
        current_failed = 0;
        ts_test_warnings = 0;
        if (verbose) fprintf(stderr, "  run  %s\n", current_name);
        tests[i].fn();
        ts_ctx_destroy(current_ctx);
        current_ctx = NULL;
        if (current_failed) {
            failed++;
            fprintf(stderr, "  failed: %s (%s)\n", tests[i].name, tests[i].file);
        } else {
            passed++;
        }
    }
    printf("unit: %zu passed, %zu failed\n", passed, failed);
    free(tests);
    return failed ? 1 : 0;
}
