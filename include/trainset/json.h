/* JSON input: a pull tokenizer that streams a file through a fixed buffer
 * (bounded memory for multi-GB annotation files), and a small document
 * tree for the many small JSON files (hierarchies, pipelines, results). */
#ifndef TRAINSET_JSON_H
#define TRAINSET_JSON_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TS_JSON_EOF = 0,
    TS_JSON_OBJECT_BEGIN,
    TS_JSON_OBJECT_END,
    TS_JSON_ARRAY_BEGIN,
    TS_JSON_ARRAY_END,
    TS_JSON_KEY, /* an object member name; its value follows */
    TS_JSON_STRING,
    TS_JSON_NUMBER,
    TS_JSON_TRUE,
    TS_JSON_FALSE,
    TS_JSON_NULL
} ts_json_token;

/* Name of a token kind for messages ("number", "'{'", ...). */
const char *ts_json_token_name(ts_json_token tok);

typedef struct ts_json_reader ts_json_reader;

/* Stream a file (never held whole). `path` also names it in messages. */
ts_status ts_json_reader_open_file(ts_ctx *ctx, const char *path, ts_json_reader **out);
/* Read from memory the caller keeps alive; `name` is used in messages. */
ts_status ts_json_reader_open_buffer(ts_ctx *ctx, const char *name, const char *data, size_t len,
                                     ts_json_reader **out);
void ts_json_reader_destroy(ts_json_reader *r); /* accepts NULL */

/* Next token. Syntax errors set "file:line:col: ..." and return TS_ERR_PARSE;
 * nesting deeper than 512 is refused. After the top-level value, EOF. */
ts_status ts_json_next(ts_json_reader *r, ts_json_token *tok);

/* Text of the last KEY or STRING token, unescaped, NUL-terminated; valid
 * until the next call. Embedded NULs are kept and counted in *len. */
const char *ts_json_text(const ts_json_reader *r, size_t *len);
/* Value of the last NUMBER token, correctly rounded. */
double ts_json_number(const ts_json_reader *r);
/* 1 when the last NUMBER was written as an integer (no '.', no exponent)
 * that fits int64; its value is then ts_json_int. */
int ts_json_is_int(const ts_json_reader *r);
int64_t ts_json_int(const ts_json_reader *r);
/* Raw text of the last NUMBER token as written. */
const char *ts_json_number_text(const ts_json_reader *r, size_t *len);

/* Skip the value whose first token was just returned (a no-op for scalars;
 * for '{' or '[' consumes through the matching close). */
ts_status ts_json_skip(ts_json_reader *r);
/* Skip like ts_json_skip, several times faster, checking only that
 * brackets match, strings are well formed and no other characters occur
 * than JSON's; for values the caller discards in bulk (geometry when only
 * counts are wanted). Added for the COCO reader. */
ts_status ts_json_skip_fast(ts_json_reader *r);
/* ts_json_skip_fast that also appends the skipped value's text to `raw`
 * (as written; strings re-escaped), for a caller that may need it later. */
ts_status ts_json_skip_fast_raw(ts_json_reader *r, ts_buf *raw);
/* Like skip, but append the value as compact JSON text to `out`. */
ts_status ts_json_capture(ts_json_reader *r, ts_json_token first, ts_buf *out);

/* Position of the start of the last token (1-based line and column). */
uint64_t ts_json_line(const ts_json_reader *r);
uint64_t ts_json_col(const ts_json_reader *r);
/* Bytes consumed so far (for progress). */
uint64_t ts_json_offset(const ts_json_reader *r);
const char *ts_json_name(const ts_json_reader *r);

/* Set an error located at the last token: "file:line:col: message". */
ts_status ts_json_error(ts_json_reader *r, ts_status status, const char *fmt, ...) TS_PRINTF(3, 4);
/* Error "expected WHAT, found TOKEN" at the last token. */
ts_status ts_json_expected(ts_json_reader *r, const char *what, ts_json_token found);

/* ---- document tree ------------------------------------------------------ */

typedef enum { TS_JNULL, TS_JBOOL, TS_JNUMBER, TS_JSTRING, TS_JARRAY, TS_JOBJECT } ts_jtype;

typedef struct ts_jvalue ts_jvalue;
struct ts_jvalue {
    ts_jtype type;
    uint32_t line, col; /* where the value starts */
    int is_int;         /* numbers written as integers */
    union {
        int boolean;
        struct {
            double value;
            int64_t integer; /* valid when is_int */
        } num;
        struct {
            char *text;
            size_t len;
        } str;
        struct {
            ts_jvalue *items;
            size_t count;
        } arr;
        struct {
            char **keys;
            ts_jvalue *values;
            size_t count;
        } obj;
    } u;
};

/* Parse a whole document. The tree owns its strings; free with ts_json_free. */
ts_status ts_json_parse(ts_ctx *ctx, const char *name, const char *data, size_t len, ts_jvalue **out);
ts_status ts_json_parse_file(ts_ctx *ctx, const char *path, ts_jvalue **out);
void ts_json_free(ts_jvalue *value); /* accepts NULL */

/* Member of an object by key (first match), or NULL (also for non-objects). */
const ts_jvalue *ts_json_get(const ts_jvalue *obj, const char *key);
/* Typed member access: return 1 and set *out when present with that type. */
int ts_json_get_number(const ts_jvalue *obj, const char *key, double *out);
int ts_json_get_int(const ts_jvalue *obj, const char *key, int64_t *out);
const char *ts_json_get_string(const ts_jvalue *obj, const char *key); /* NULL if absent */
/* Append the value as compact JSON text. */
ts_status ts_json_write(ts_buf *out, const ts_jvalue *value);

#ifdef __cplusplus
}
#endif
#endif
