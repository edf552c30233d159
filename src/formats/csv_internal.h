/* A streaming CSV reader (RFC 4180 plus the habits of real exports: BOM,
 * CRLF or LF, blank lines, header by name) over a fixed buffer, so a
 * multi-GB annotation CSV is never held whole. Internal to src/formats. */
#ifndef TS_CSV_INTERNAL_H
#define TS_CSV_INTERNAL_H

#include "trainset/core.h"

typedef struct ts_csv ts_csv;

/* Open a file (streamed) or a buffer the caller keeps alive. `name` labels
 * messages ("file:line:col: ..."). Delimiter is ','. */
ts_status ts_csv_open_file(ts_ctx *ctx, const char *path, ts_csv **out);
ts_status ts_csv_open_buffer(ts_ctx *ctx, const char *name, const char *data, size_t len, ts_csv **out);
void ts_csv_close(ts_csv *csv); /* accepts NULL */
/* Stream a file through a window of `window` bytes (tests and fuzzing use
 * tiny windows so records straddle every refill). */
ts_status ts_csv_open_file_window(ts_ctx *ctx, const char *path, size_t window, ts_csv **out);

/* Use `delim` instead of ',' (before the first record). */
void ts_csv_set_delimiter(ts_csv *csv, char delim);

/* Read the next record: *got = 1 and the fields are available, or *got = 0
 * at the end. Blank lines are skipped; a leading UTF-8 BOM is ignored.
 * Malformed quoting is TS_ERR_PARSE located at the offending character;
 * records longer than 64 MiB are TS_ERR_LIMIT. */
ts_status ts_csv_next(ts_csv *csv, int *got);

/* Fields of the current record: NUL-terminated, unquoted, valid until the
 * next ts_csv_next. `len` may be NULL. Out-of-range `i` gives "". */
size_t ts_csv_count(const ts_csv *csv);
const char *ts_csv_field(const ts_csv *csv, size_t i, size_t *len);
/* Line and 1-based column where field `i` of the current record starts. */
uint64_t ts_csv_line(const ts_csv *csv);
uint64_t ts_csv_field_col(const ts_csv *csv, size_t i);
/* Bytes consumed (for progress). */
uint64_t ts_csv_offset(const ts_csv *csv);
const char *ts_csv_name(const ts_csv *csv);

/* Take the current record as the header: names are compared without case
 * and surrounding blanks by ts_csv_column. */
ts_status ts_csv_take_header(ts_csv *csv);
/* Index of the header column `name`, or -1. */
int ts_csv_column(const ts_csv *csv, const char *name);
size_t ts_csv_header_count(const ts_csv *csv);

/* Set an error at field `i` of the current record ("file:line:col: ..."). */
ts_status ts_csv_error(ts_csv *csv, ts_status status, size_t i, const char *fmt, ...) TS_PRINTF(4, 5);

/* Parse helpers for fields, strict: the whole field (blanks around it
 * allowed) must be the number. Return 1 on success. */
int ts_csv_parse_double(const char *s, double *out);
int ts_csv_parse_int(const char *s, int64_t *out);
/* The same over `n` bytes that need not be NUL-terminated. Decimal text
 * only: "nan", "inf" and hex floats are refused; results are correctly
 * rounded. */
int ts_parse_number_span(const char *s, size_t n, double *out);
int ts_parse_int_span(const char *s, size_t n, int64_t *out);

#endif
