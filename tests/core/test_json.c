/* Tests of the JSON tokenizer and tree: values, escapes, numbers, positions,
 * malformed input, streaming across the file window. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/json.h"

static ts_jvalue *parse(ts_ctx *ctx, const char *text) {
    ts_jvalue *v = NULL;
    CHECK_OK(ctx, ts_json_parse(ctx, "t.json", text, strlen(text), &v));
    return v;
}

static ts_status parse_status(ts_ctx *ctx, const char *text) {
    ts_jvalue *v = NULL;
    ts_ctx_clear_error(ctx);
    ts_status s = ts_json_parse(ctx, "t.json", text, strlen(text), &v);
    ts_json_free(v);
    return s;
}

TEST(json_tree_values) {
    ts_ctx *ctx = ts_test_ctx();
    ts_jvalue *v = parse(ctx, "{\"a\": 1, \"b\": [true, false, null, -2.5e3, \"x\"], \"c\": {\"d\": \"e\"}}");
    if (!CHECK(v)) return;
    CHECK_EQ_INT(v->type, TS_JOBJECT);
    CHECK_EQ_INT(v->u.obj.count, 3);
    int64_t a = 0;
    CHECK(ts_json_get_int(v, "a", &a));
    CHECK_EQ_INT(a, 1);
    const ts_jvalue *b = ts_json_get(v, "b");
    if (CHECK(b && b->type == TS_JARRAY && b->u.arr.count == 5)) {
        CHECK_EQ_INT(b->u.arr.items[0].type, TS_JBOOL);
        CHECK_EQ_INT(b->u.arr.items[0].u.boolean, 1);
        CHECK_EQ_INT(b->u.arr.items[1].u.boolean, 0);
        CHECK_EQ_INT(b->u.arr.items[2].type, TS_JNULL);
        CHECK_NEAR(b->u.arr.items[3].u.num.value, -2500.0, 0);
        CHECK_EQ_INT(b->u.arr.items[3].is_int, 0);
        CHECK_STR(b->u.arr.items[4].u.str.text, "x");
        CHECK_EQ_INT(b->line, 1);
        CHECK_EQ_INT(b->col, 15);
    }
    CHECK_STR(ts_json_get_string(ts_json_get(v, "c"), "d"), "e");
    CHECK(ts_json_get(v, "zz") == NULL);
    CHECK(ts_json_get_string(v, "a") == NULL);
    double d = 0;
    CHECK(!ts_json_get_number(v, "c", &d));
    ts_buf out = {0};
    CHECK_OK(ctx, ts_json_write(&out, v));
    CHECK_STR(out.data, "{\"a\":1,\"b\":[true,false,null,-2500,\"x\"],\"c\":{\"d\":\"e\"}}");
    ts_buf_free(&out);
    ts_json_free(v);
}

TEST(json_string_escapes) {
    ts_ctx *ctx = ts_test_ctx();
    ts_jvalue *v = parse(ctx, "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u4e2d\", \"\\ud83d\\ude00\", \"x\\u0000y\", \"caf\xc3\xa9\"]");
    if (!CHECK(v)) return;
    CHECK_STR(v->u.arr.items[0].u.str.text, "a\"b\\c/d\b\f\n\r\t");
    CHECK_STR(v->u.arr.items[1].u.str.text, "\xc3\xa9\xe4\xb8\xad");
    CHECK_STR(v->u.arr.items[2].u.str.text, "\xf0\x9f\x98\x80");
    CHECK_EQ_INT(v->u.arr.items[3].u.str.len, 3);
    CHECK(memcmp(v->u.arr.items[3].u.str.text, "x\0y", 3) == 0);
    CHECK_STR(v->u.arr.items[4].u.str.text, "caf\xc3\xa9");
    ts_buf out = {0};
    CHECK_OK(ctx, ts_json_write(&out, &v->u.arr.items[3]));
    CHECK_STR(out.data, "\"x\\u0000y\"");
    ts_buf_free(&out);
    ts_json_free(v);
}

TEST(json_bad_strings) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\\ud83d\"]"), "high surrogate");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\\ud83d\\u0041\"]"), "not a low surrogate");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\\ude00\"]"), "lone low surrogate");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\\u12g4\"]"), "hex digit");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\\q\"]"), "escape character");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"a\nb\"]"), "control character");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"abc"), "t.json:1:2: unterminated string");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\xc3\x28\"]"), "invalid UTF-8");
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\xed\xa0\x80\"]"), "invalid UTF-8"); /* encoded surrogate */
    CHECK_FAILS(ctx, parse_status(ctx, "[\"\xc0\xaf\"]"), "invalid UTF-8");     /* overlong */
}

TEST(json_numbers) {
    ts_ctx *ctx = ts_test_ctx();
    struct {
        const char *text;
        double value;
        int is_int;
        int64_t integer;
    } cases[] = {
        {"0", 0, 1, 0},
        {"-0", -0.0, 1, 0},
        {"42", 42, 1, 42},
        {"-17", -17, 1, -17},
        {"9223372036854775807", 9223372036854775807.0, 1, INT64_MAX},
        {"-9223372036854775808", -9223372036854775808.0, 1, INT64_MIN},
        {"9223372036854775808", 9223372036854775808.0, 0, 0},
        {"239.97", 239.97, 0, 0},
        {"0.1", 0.1, 0, 0},
        {"1e-7", 1e-7, 0, 0},
        {"1E+2", 100, 0, 0},
        {"2.5e-3", 0.0025, 0, 0},
        {"0.30000000000000004", 0.30000000000000004, 0, 0},
        {"1.7976931348623157e308", 1.7976931348623157e308, 0, 0},
        {"4.9406564584124654e-324", 4.9406564584124654e-324, 0, 0},
        {"2.2250738585072011e-308", 2.2250738585072011e-308, 0, 0},
        {"123456789012345678901234567890", 1.2345678901234568e29, 0, 0},
        {"0.000000000000000000000000000001", 1e-30, 0, 0},
        {"9007199254740993", 9007199254740992.0, 1, 9007199254740993LL},
        {"1e400", HUGE_VAL, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_jvalue *v = parse(ctx, cases[i].text);
        if (!CHECK(v && v->type == TS_JNUMBER)) {
            ts_json_free(v);
            continue;
        }
        if (v->u.num.value != cases[i].value || signbit(v->u.num.value) != signbit(cases[i].value))
            ts_test_failf(__FILE__, __LINE__, "%s -> %.17g, expected %.17g", cases[i].text, v->u.num.value,
                          cases[i].value);
        CHECK_EQ_INT(v->is_int, cases[i].is_int);
        if (cases[i].is_int) CHECK_EQ_INT(v->u.num.integer, cases[i].integer);
        ts_json_free(v);
    }
    /* correctly rounded against strtod on many generated decimals */
    char text[64];
    uint64_t x = 12345;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int digits = 1 + (int)((x >> 58) % 20);
        int exp = (int)((x >> 20) % 80) - 40;
        uint64_t m = x >> 4;
        char mant[32];
        int n = snprintf(mant, sizeof mant, "%llu", (unsigned long long)m);
        if (n > digits) n = digits;
        mant[n] = 0;
        int point = (int)((x >> 30) % (uint64_t)(n + 1));
        snprintf(text, sizeof text, "%.*s%s%se%d", point ? point : 1, point ? mant : "0",
                 point < n ? "." : "", point < n ? mant + point : "", exp);
        ts_jvalue *v = NULL;
        if (ts_json_parse(ctx, "n", text, strlen(text), &v) != TS_OK || v->u.num.value != strtod(text, NULL)) bad++;
        ts_json_free(v);
    }
    CHECK_EQ_INT(bad, 0);
}

TEST(json_bad_numbers) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_FAILS(ctx, parse_status(ctx, "[01]"), "malformed number \"01\"");
    CHECK_FAILS(ctx, parse_status(ctx, "[1.]"), "malformed number \"1.\"");
    CHECK_FAILS(ctx, parse_status(ctx, "[.5]"), "expected a value, found '.'");
    CHECK_FAILS(ctx, parse_status(ctx, "[1e]"), "malformed number");
    CHECK_FAILS(ctx, parse_status(ctx, "[-]"), "malformed number");
    CHECK_FAILS(ctx, parse_status(ctx, "[+1]"), "expected a value, found '+'");
    CHECK_FAILS(ctx, parse_status(ctx, "[NaN]"), "t.json:1:2: expected a value, found 'N'");
    CHECK_FAILS(ctx, parse_status(ctx, "[Infinity]"), "expected a value");
    CHECK_FAILS(ctx, parse_status(ctx, "[1-2]"), "malformed number");
}

TEST(json_syntax_errors) {
    ts_ctx *ctx = ts_test_ctx();
    CHECK_FAILS(ctx, parse_status(ctx, ""), "empty input");
    CHECK_FAILS(ctx, parse_status(ctx, "  "), "expected a value, found end of input");
    CHECK_FAILS(ctx, parse_status(ctx, "{\"a\": 1,}"), "t.json:1:9: expected a member name in quotes, found '}'");
    CHECK_FAILS(ctx, parse_status(ctx, "[1,]"), "expected a value, found ']'");
    CHECK_FAILS(ctx, parse_status(ctx, "{\"a\" 1}"), "expected ':' after member name");
    CHECK_FAILS(ctx, parse_status(ctx, "{\"a\": 1 \"b\": 2}"), "expected ',' or '}'");
    CHECK_FAILS(ctx, parse_status(ctx, "[1, 2"), "expected ',' or ']', found end of input");
    CHECK_FAILS(ctx, parse_status(ctx, "[1] [2]"), "t.json:1:5: expected end of input after the top-level value");
    CHECK_FAILS(ctx, parse_status(ctx, "{\n  \"images\": [\n    {\"id\": tru}\n  ]\n}"), "t.json:3:12: expected value (\"true\"?)");
    CHECK_FAILS(ctx, parse_status(ctx, "[\n\n   x]"), "t.json:3:4:");
    CHECK_FAILS(ctx, parse_status(ctx, "{1: 2}"), "member name");
    CHECK_FAILS(ctx, parse_status(ctx, "['a']"), "expected a value, found '''");
    /* depth limit: 512 deep is fine, 513 is refused */
    char deep[1100];
    memset(deep, '[', 512);
    memset(deep + 512, ']', 512);
    deep[1024] = 0;
    CHECK_EQ_INT(parse_status(ctx, deep), TS_OK);
    memset(deep, '[', 513);
    memset(deep + 513, ']', 513);
    deep[1026] = 0;
    CHECK_FAILS(ctx, parse_status(ctx, deep), "nesting deeper than 512");
    /* a byte order mark is skipped */
    CHECK_EQ_INT(parse_status(ctx, "\xef\xbb\xbf{}"), TS_OK);
}

TEST(json_tokens_skip_capture) {
    ts_ctx *ctx = ts_test_ctx();
    const char *text = "{\"skip\": {\"x\": [1, {\"y\": [2]}]}, \"keep\": {\"b\": [1.50, \"s\\n\", null], \"c\": {}}, \"n\": -3}";
    ts_json_reader *r = NULL;
    CHECK_OK(ctx, ts_json_reader_open_buffer(ctx, "buf", text, strlen(text), &r));
    if (!r) return;
    ts_json_token tok;
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_OBJECT_BEGIN);
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_KEY);
    CHECK_STR(ts_json_text(r, NULL), "skip");
    CHECK_OK(ctx, ts_json_skip(r)); /* skipping after a key skips its value */
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_KEY);
    CHECK_STR(ts_json_text(r, NULL), "keep");
    CHECK_EQ_INT(ts_json_col(r), 34);
    CHECK_OK(ctx, ts_json_next(r, &tok));
    ts_buf out = {0};
    CHECK_OK(ctx, ts_json_capture(r, tok, &out));
    CHECK_STR(out.data, "{\"b\":[1.50,\"s\\n\",null],\"c\":{}}");
    ts_buf_free(&out);
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_STR(ts_json_text(r, NULL), "n");
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_NUMBER);
    CHECK(ts_json_is_int(r));
    CHECK_EQ_INT(ts_json_int(r), -3);
    size_t len = 0;
    CHECK_STR(ts_json_number_text(r, &len), "-3");
    CHECK_EQ_INT(len, 2);
    CHECK_OK(ctx, ts_json_skip(r)); /* no-op on a scalar */
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_OBJECT_END);
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_EOF);
    CHECK_OK(ctx, ts_json_next(r, &tok));
    CHECK_EQ_INT(tok, TS_JSON_EOF);
    CHECK_EQ_INT(ts_json_offset(r), strlen(text));
    CHECK_FAILS(ctx, ts_json_expected(r, "a number", TS_JSON_STRING), "buf:1:");
    ts_json_reader_destroy(r);
    CHECK_STR(ts_json_token_name(TS_JSON_ARRAY_BEGIN), "'['");
}

/* A file larger than the reader's window, with strings and numbers that
 * straddle window boundaries, streams to the same values. */
TEST(json_file_streaming) {
    ts_ctx *ctx = ts_test_ctx();
    char *path = ts_path_join(ts_test_tmpdir(), "big.json");
    ts_buf text = {0};
    ts_buf_puts(&text, "{\"items\": [\n");
    const int n = 60000;
    for (int i = 0; i < n; i++)
        ts_buf_printf(&text, "%s{\"id\": %d, \"name\": \"item \\u00e9 %d with some padding text\", \"v\": %d.25}\n",
                      i ? "," : "", i, i, i);
    ts_buf_puts(&text, "]}");
    CHECK_OK(ctx, ts_file_write_atomic(ctx, path, text.data, text.len));
    ts_json_reader *r = NULL;
    CHECK_OK(ctx, ts_json_reader_open_file(ctx, path, &r));
    if (!r) goto out;
    ts_json_token tok;
    int items = 0, ok_values = 0;
    int64_t last_id = -1;
    uint64_t last_line = 0;
    while (ts_json_next(r, &tok) == TS_OK && tok != TS_JSON_EOF) {
        if (tok == TS_JSON_KEY && strcmp(ts_json_text(r, NULL), "id") == 0) {
            last_line = ts_json_line(r);
            CHECK_OK(ctx, ts_json_next(r, &tok));
            last_id = ts_json_int(r);
            items++;
        } else if (tok == TS_JSON_KEY && strcmp(ts_json_text(r, NULL), "name") == 0) {
            CHECK_OK(ctx, ts_json_next(r, &tok));
            char want[64];
            snprintf(want, sizeof want, "item \xc3\xa9 %d with some padding text", (int)last_id);
            if (strcmp(ts_json_text(r, NULL), want) == 0) ok_values++;
        } else if (tok == TS_JSON_KEY && strcmp(ts_json_text(r, NULL), "v") == 0) {
            CHECK_OK(ctx, ts_json_next(r, &tok));
            if (ts_json_number(r) == (double)last_id + 0.25) ok_values++;
        }
    }
    CHECK_EQ_INT(items, n);
    CHECK_EQ_INT(ok_values, 2 * n);
    CHECK_EQ_INT(last_id, n - 1);
    CHECK_EQ_INT(last_line, (uint64_t)n + 1);
    CHECK_EQ_INT(ts_json_offset(r), text.len);
    ts_json_reader_destroy(r);
    /* the tree from the file equals the tree from memory */
    ts_jvalue *a = NULL, *b = NULL;
    CHECK_OK(ctx, ts_json_parse_file(ctx, path, &a));
    CHECK_OK(ctx, ts_json_parse(ctx, "mem", text.data, text.len, &b));
    if (a && b) {
        ts_buf wa = {0}, wb = {0};
        ts_json_write(&wa, a);
        ts_json_write(&wb, b);
        CHECK(wa.len > 0 && wa.len == wb.len && memcmp(wa.data, wb.data, wa.len) == 0);
        CHECK_EQ_INT(ts_json_get(a, "items")->u.arr.count, n);
        ts_buf_free(&wa);
        ts_buf_free(&wb);
    }
    ts_json_free(a);
    ts_json_free(b);
    /* truncated file: error names the file and position */
    CHECK_OK(ctx, ts_file_write_atomic(ctx, path, text.data, text.len / 2));
    ts_jvalue *t = NULL;
    ts_ctx_clear_error(ctx);
    CHECK(ts_json_parse_file(ctx, path, &t) == TS_ERR_PARSE);
    CHECK(strstr(ts_ctx_error(ctx), "big.json:") != NULL);
    CHECK(t == NULL);
    CHECK_FAILS(ctx, ts_json_parse_file(ctx, "/nonexistent/x.json", &t), "cannot open");
out:
    ts_buf_free(&text);
    free(path);
}
