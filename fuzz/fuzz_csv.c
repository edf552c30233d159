/* libFuzzer target: the streaming CSV reader on arbitrary bytes, from a
 * buffer and from a file read through a window of 1..16 bytes (so records
 * straddle every refill): both must give the same records, fields and
 * positions. Also checks the
 * number parser's fast path against strtod. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/csv_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of every record: count, line, fields and their columns. */
static uint64_t digest(ts_csv *csv, ts_status *status, uint64_t *records) {
    uint64_t h = 1469598103934665603ull;
    int got = 0;
    *records = 0;
    while ((*status = ts_csv_next(csv, &got)) == TS_OK && got) {
        size_t n = ts_csv_count(csv);
        if (*records == 0) (void)ts_csv_take_header(csv);
        (*records)++;
        h = ts_hash_bytes(&n, sizeof n, h);
        uint64_t line = ts_csv_line(csv);
        h = ts_hash_bytes(&line, sizeof line, h);
        for (size_t i = 0; i <= n; i++) {
            size_t len;
            const char *f = ts_csv_field(csv, i, &len);
            if (i < n && strlen(f) > len) abort(); /* NUL-terminated at len */
            uint64_t col = ts_csv_field_col(csv, i);
            h = ts_hash_bytes(f, len, h);
            h = ts_hash_bytes(&col, sizeof col, h);
            double d;
            int64_t v;
            (void)ts_csv_parse_double(f, &d);
            (void)ts_csv_parse_int(f, &v);
        }
        (void)ts_csv_column(csv, "ImageID");
    }
    return h;
}

static void check_numbers(const uint8_t *data, size_t size) {
    char tmp[64];
    size_t n = size < 40 ? size : 40;
    memcpy(tmp, data, n);
    tmp[n] = 0;
    double v;
    if (ts_parse_number_span(tmp, strlen(tmp), &v)) {
        char *end;
        double w = strtod(tmp, &end);
        if (v != w && !(v != v && w != w)) abort(); /* not correctly rounded */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_numbers(data, size);
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    ts_csv *a = NULL, *b = NULL;
    ts_status sa = TS_OK, sb = TS_OK;
    uint64_t ra = 0, rb = 0, ha = 0, hb = 0;
    if (ts_csv_open_buffer(ctx, "fuzz.csv", (const char *)data, size, &a) == TS_OK) ha = digest(a, &sa, &ra);
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/fuzz_csv_%d.csv", (int)getpid());
    if (ts_file_write_staged(ctx, path, data, size) == TS_OK) {
        if (ts_csv_open_file_window(ctx, path, 1 + (size ? data[0] % 16 : 0), &b) == TS_OK) {
            hb = digest(b, &sb, &rb);
            if (a && (sa != sb || ra != rb || (sa == TS_OK && ha != hb))) abort(); /* file and buffer disagree */
        }
        unlink(path);
    }
    ts_csv_close(a);
    ts_csv_close(b);
    ts_ctx_destroy(ctx);
    return 0;
}
