/* libFuzzer target: the JSON tokenizer (tokens, skip, capture) and the
 * document tree on arbitrary bytes; a parsed tree must re-parse from its
 * own compact text to the same text. */
#include <stdlib.h>
#include <string.h>

#include "trainset/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    ts_jvalue *v = NULL;
    if (ts_json_parse(ctx, "fuzz", (const char *)data, size, &v) == TS_OK) {
        ts_buf a = {0}, b = {0};
        ts_jvalue *again = NULL;
        if (ts_json_write(&a, v) == TS_OK && a.data) {
            if (ts_json_parse(ctx, "again", a.data, a.len, &again) != TS_OK) abort();
            if (ts_json_write(&b, again) != TS_OK || a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
        }
        ts_json_free(again);
        ts_buf_free(&a);
        ts_buf_free(&b);
    }
    ts_json_free(v);
    /* the streaming interface: alternate skipping and capturing containers */
    ts_json_reader *r = NULL;
    if (ts_json_reader_open_buffer(ctx, "fuzz", (const char *)data, size, &r) == TS_OK) {
        ts_json_token tok;
        ts_buf cap = {0};
        int n = 0;
        while (ts_json_next(r, &tok) == TS_OK && tok != TS_JSON_EOF) {
            if (tok == TS_JSON_OBJECT_BEGIN || tok == TS_JSON_ARRAY_BEGIN) {
                if ((n++ % 3 == 1 ? ts_json_skip(r) : n % 3 == 2 ? ts_json_capture(r, tok, &cap) : TS_OK) != TS_OK) break;
            }
            size_t len;
            (void)ts_json_text(r, &len);
            (void)ts_json_number(r);
        }
        ts_buf_free(&cap);
        ts_json_reader_destroy(r);
    }
    ts_ctx_destroy(ctx);
    return 0;
}
