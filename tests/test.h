/* The unit-test harness: TEST(name) registers a test; CHECK* macros record
 * failures with file and line; the runner prints "N passed, N failed". */
#ifndef TS_TEST_H
#define TS_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trainset.h"

typedef void (*ts_test_fn)(void);
void ts_test_register(const char *name, const char *file, ts_test_fn fn);
/* Records a failed check; returns `ok`. */
int ts_test_check(int ok, const char *expr, const char *file, int line);
void ts_test_failf(const char *file, int line, const char *fmt, ...);

/* ../shared/<rel> (or $TS_SHARED/<rel>); static buffer, copy if kept. */
const char *ts_test_shared(const char *rel);
/* A fresh empty directory for this test under the build tree. */
const char *ts_test_tmpdir(void);
/* A context that collects warnings in ts_test_warnings. */
ts_ctx *ts_test_ctx(void);
extern int ts_test_warnings;

#define TEST(name)                                                                           \
    static void name(void);                                                                  \
    __attribute__((constructor)) static void register_##name(void) {                        \
        ts_test_register(#name, __FILE__, name);                                             \
    }                                                                                        \
    static void name(void)

#define CHECK(cond) ts_test_check(!!(cond), #cond, __FILE__, __LINE__)

#define CHECK_EQ_INT(a, b)                                                                   \
    do {                                                                                     \
        long long ts_a_ = (long long)(a), ts_b_ = (long long)(b);                            \
        if (ts_a_ != ts_b_)                                                                  \
            ts_test_failf(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, ts_a_, ts_b_); \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                                \
    do {                                                                                     \
        double ts_a_ = (double)(a), ts_b_ = (double)(b);                                     \
        if (!(fabs(ts_a_ - ts_b_) <= (eps)))                                                 \
            ts_test_failf(__FILE__, __LINE__, "%s ~ %s: %.17g != %.17g", #a, #b, ts_a_, ts_b_); \
    } while (0)

#define CHECK_STR(a, b)                                                                      \
    do {                                                                                     \
        const char *ts_a_ = (a), *ts_b_ = (b);                                               \
        if (!ts_a_ || !ts_b_ || strcmp(ts_a_, ts_b_) != 0)                                   \
            ts_test_failf(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,          \
                          ts_a_ ? ts_a_ : "(null)", ts_b_ ? ts_b_ : "(null)");               \
    } while (0)

/* Expect TS_OK; on failure print the context's error. */
#define CHECK_OK(ctx, expr)                                                                  \
    do {                                                                                     \
        ts_status ts_s_ = (expr);                                                            \
        if (ts_s_ != TS_OK)                                                                  \
            ts_test_failf(__FILE__, __LINE__, "%s: %s: %s", #expr, ts_status_name(ts_s_),    \
                          ts_ctx_error(ctx));                                                \
    } while (0)

/* Expect a failure status and an error message containing `needle`. */
#define CHECK_FAILS(ctx, expr, needle)                                                       \
    do {                                                                                     \
        ts_ctx_clear_error(ctx);                                                             \
        ts_status ts_s_ = (expr);                                                            \
        if (ts_s_ == TS_OK)                                                                  \
            ts_test_failf(__FILE__, __LINE__, "%s: expected failure", #expr);                \
        else if (!strstr(ts_ctx_error(ctx), (needle)))                                       \
            ts_test_failf(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", #expr,      \
                          ts_ctx_error(ctx), (needle));                                      \
        ts_ctx_clear_error(ctx);                                                             \
    } while (0)

#endif
