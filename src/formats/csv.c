/* Streaming CSV reader: a fixed input window refilled with read(2), fields
 * unquoted into one record buffer, positions kept for messages. Also the
 * strict number parsers shared by the text formats (CSV, YOLO). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/csv_internal.h"

#define CSV_WINDOW (256u * 1024u)
#define CSV_MAX_RECORD ((size_t)64 << 20)

struct ts_csv {
    ts_ctx *ctx;
    char *name;
    int fd; /* -1 when reading a caller's buffer */
    const char *data;
    size_t len, pos;
    char *window;
    size_t window_size;
    uint64_t consumed; /* absolute offset of data[0] */
    int eof, io_failed;
    uint64_t line, line_start; /* current line and its absolute offset */
    char delim;

    char *rec; /* fields, each NUL-terminated, back to back */
    size_t rec_len, rec_cap;
    size_t *offs, *lens;
    uint64_t *cols;
    size_t nf, f_cap;
    uint64_t rec_line;

    char *hdr; /* header names, lower-cased and trimmed */
    size_t *hdr_offs;
    size_t hn;
};

/* Character classes for the unquoted fast path. */
static int special_char(const ts_csv *c, unsigned char ch) {
    return ch == (unsigned char)c->delim || ch == '\n' || ch == '\r' || ch == '"' || ch == 0;
}

static int refill(ts_csv *c) {
    if (c->eof || c->io_failed) return 0;
    if (c->fd < 0) {
        c->eof = 1;
        return 0;
    }
    c->consumed += c->len;
    c->pos = c->len = 0;
    for (;;) {
        ssize_t n = read(c->fd, c->window, c->window_size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            c->io_failed = 1;
            ts_error(c->ctx, TS_ERR_IO, "%s: read failed: %s", c->name, strerror(errno));
            return 0;
        }
        if (n == 0) {
            c->eof = 1;
            return 0;
        }
        c->len = (size_t)n;
        return 1;
    }
}

static inline int next_char(ts_csv *c) {
    if (c->pos == c->len && !refill(c)) return -1;
    return (unsigned char)c->data[c->pos++];
}

static inline int peek_char(ts_csv *c) {
    if (c->pos == c->len && !refill(c)) return -1;
    return (unsigned char)c->data[c->pos];
}

static uint64_t cur_col(const ts_csv *c) { return c->consumed + c->pos - c->line_start + 1; }

/* Text formats hold no NUL bytes; one means a binary or corrupt file, and
 * names with NULs in them could not be written back. */
static ts_status nul_error(ts_csv *c) {
    return ts_error_at(c->ctx, TS_ERR_PARSE, c->name, c->line, cur_col(c) - 1, "NUL byte in CSV text");
}

static void new_line(ts_csv *c) {
    c->line++;
    c->line_start = c->consumed + c->pos;
}

static ts_status csv_alloc(ts_ctx *ctx, const char *name, ts_csv **out) {
    ts_csv *c = calloc(1, sizeof *c);
    if (!c) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    c->ctx = ctx;
    c->fd = -1;
    c->line = 1;
    c->delim = ',';
    c->name = ts_strdup(ctx, name ? name : "csv");
    if (!c->name) {
        free(c);
        return TS_ERR_NOMEM;
    }
    *out = c;
    return TS_OK;
}

/* A UTF-8 BOM at the very start is skipped (looked at before the first
 * read, so a window of any size sees it whole). */
static int has_bom(const unsigned char *p, size_t n) { return n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF; }

ts_status ts_csv_open_file(ts_ctx *ctx, const char *path, ts_csv **out) {
    return ts_csv_open_file_window(ctx, path, CSV_WINDOW, out);
}

ts_status ts_csv_open_file_window(ts_ctx *ctx, const char *path, size_t window, ts_csv **out) {
    ts_csv *c;
    ts_status s = csv_alloc(ctx, path, &c);
    if (s != TS_OK) return s;
    c->window_size = window ? window : 1;
    c->window = malloc(c->window_size);
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!c->window || c->fd < 0) {
        s = c->window ? ts_error(ctx, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, "%s: cannot open: %s", path,
                                 strerror(errno))
                      : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        ts_csv_close(c);
        return s;
    }
    c->data = c->window;
    unsigned char head[3];
    if (pread(c->fd, head, 3, 0) == 3 && has_bom(head, 3) && lseek(c->fd, 3, SEEK_SET) == 3)
        c->consumed = c->line_start = 3;
    *out = c;
    return TS_OK;
}

ts_status ts_csv_open_buffer(ts_ctx *ctx, const char *name, const char *data, size_t len, ts_csv **out) {
    ts_csv *c;
    ts_status s = csv_alloc(ctx, name, &c);
    if (s != TS_OK) return s;
    c->data = data;
    c->len = len;
    if (has_bom((const unsigned char *)data, len)) c->pos = c->line_start = 3;
    *out = c;
    return TS_OK;
}

void ts_csv_close(ts_csv *c) {
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    free(c->window);
    free(c->name);
    free(c->rec);
    free(c->offs);
    free(c->lens);
    free(c->cols);
    free(c->hdr);
    free(c->hdr_offs);
    free(c);
}

void ts_csv_set_delimiter(ts_csv *csv, char delim) { csv->delim = delim; }

static ts_status rec_append(ts_csv *c, const char *s, size_t n) {
    if (c->rec_len + n + 1 > c->rec_cap) {
        if (c->rec_len + n + 1 > CSV_MAX_RECORD)
            return ts_error_at(c->ctx, TS_ERR_LIMIT, c->name, c->rec_line, 0, "record longer than %zu bytes",
                               CSV_MAX_RECORD);
        size_t cap = c->rec_cap ? c->rec_cap : 256;
        while (cap < c->rec_len + n + 1) cap *= 2;
        char *r = realloc(c->rec, cap);
        if (!r) return ts_error(c->ctx, TS_ERR_NOMEM, "out of memory");
        c->rec = r;
        c->rec_cap = cap;
    }
    memcpy(c->rec + c->rec_len, s, n);
    c->rec_len += n;
    return TS_OK;
}

static ts_status field_begin(ts_csv *c) {
    if (c->nf == c->f_cap) {
        size_t cap = c->f_cap ? c->f_cap * 2 : 16;
        size_t *o = realloc(c->offs, cap * sizeof *o);
        if (o) c->offs = o;
        size_t *l = realloc(c->lens, cap * sizeof *l);
        if (l) c->lens = l;
        uint64_t *k = realloc(c->cols, cap * sizeof *k);
        if (k) c->cols = k;
        if (!o || !l || !k) return ts_error(c->ctx, TS_ERR_NOMEM, "out of memory");
        c->f_cap = cap;
    }
    c->offs[c->nf] = c->rec_len;
    c->cols[c->nf] = cur_col(c);
    c->nf++;
    return TS_OK;
}

static ts_status field_end(ts_csv *c) {
    size_t i = c->nf - 1;
    c->lens[i] = c->rec_len - c->offs[i];
    return rec_append(c, "", 1);
}

/* Consume the '\n' of a "\r\n" pair (a lone '\r' also ends a line). */
static void end_of_line(ts_csv *c, int ch) {
    if (ch == '\r' && peek_char(c) == '\n') c->pos++;
    new_line(c);
}

/* Quoted field body after the opening quote; returns the character that
 * follows the closing quote and its separator handling to the caller. */
static ts_status quoted_field(ts_csv *c, int *after) {
    uint64_t open_line = c->line, open_col = cur_col(c) - 1;
    for (;;) {
        size_t start = c->pos;
        while (c->pos < c->len && c->data[c->pos] != '"' && c->data[c->pos] != '\n' && c->data[c->pos] != 0) c->pos++;
        ts_status s = rec_append(c, c->data + start, c->pos - start);
        if (s != TS_OK) return s;
        if (c->pos == c->len && refill(c)) continue; /* the window ended inside the field */
        int ch = next_char(c);
        if (ch < 0) {
            if (c->io_failed) return TS_ERR_IO;
            return ts_error_at(c->ctx, TS_ERR_PARSE, c->name, open_line, open_col,
                               "quoted field is never closed (expected '\"')");
        }
        if (ch == 0) return nul_error(c);
        if (ch == '\n') {
            if ((s = rec_append(c, "\n", 1)) != TS_OK) return s;
            new_line(c);
            continue;
        }
        if (ch != '"') continue;
        if (peek_char(c) == '"') {
            c->pos++;
            if ((s = rec_append(c, "\"", 1)) != TS_OK) return s;
            continue;
        }
        ch = next_char(c);
        while (ch == ' ' || ch == '\t') ch = next_char(c);
        if (ch >= 0 && ch != c->delim && ch != '\n' && ch != '\r')
            return ts_error_at(c->ctx, TS_ERR_PARSE, c->name, c->line, cur_col(c) - 1,
                               "expected '%c' or end of line after closing quote", c->delim);
        *after = ch;
        return TS_OK;
    }
}

ts_status ts_csv_next(ts_csv *c, int *got) {
    for (;;) {
        c->rec_len = 0;
        c->nf = 0;
        c->rec_line = c->line;
        int ch = peek_char(c);
        if (ch < 0) {
            if (c->io_failed) return TS_ERR_IO;
            *got = 0;
            return TS_OK;
        }
        int quoted_any = 0;
        for (;;) { /* one field per iteration */
            ts_status s = field_begin(c);
            if (s != TS_OK) return s;
            int after = -1;
            if (peek_char(c) == '"') {
                c->pos++;
                quoted_any = 1;
                if ((s = quoted_field(c, &after)) != TS_OK) return s;
            } else {
                for (;;) {
                    size_t start = c->pos;
                    while (c->pos < c->len && !special_char(c, (unsigned char)c->data[c->pos])) c->pos++;
                    if ((s = rec_append(c, c->data + start, c->pos - start)) != TS_OK) return s;
                    if (c->pos == c->len && refill(c)) continue; /* the window ended inside the field */
                    after = next_char(c);
                    if (after == 0) return nul_error(c);
                    if (after != '"') break;
                    /* A quote inside an unquoted field is kept as text, as
                     * spreadsheet exports and Python's csv module do. */
                    if ((s = rec_append(c, "\"", 1)) != TS_OK) return s;
                }
                if (after < 0 && c->io_failed) return TS_ERR_IO;
            }
            if ((s = field_end(c)) != TS_OK) return s;
            if (after == c->delim) continue;
            if (after == '\n' || after == '\r') end_of_line(c, after);
            break;
        }
        if (c->nf == 1 && !quoted_any) {
            /* Skip blank (or blanks-only) lines. */
            size_t i = 0;
            while (i < c->lens[0] && (c->rec[i] == ' ' || c->rec[i] == '\t')) i++;
            if (i == c->lens[0]) continue;
        }
        *got = 1;
        return TS_OK;
    }
}

size_t ts_csv_count(const ts_csv *c) { return c->nf; }

const char *ts_csv_field(const ts_csv *c, size_t i, size_t *len) {
    if (i >= c->nf) {
        if (len) *len = 0;
        return "";
    }
    if (len) *len = c->lens[i];
    return c->rec + c->offs[i];
}

uint64_t ts_csv_line(const ts_csv *c) { return c->rec_line; }
uint64_t ts_csv_field_col(const ts_csv *c, size_t i) { return i < c->nf ? c->cols[i] : 0; }
uint64_t ts_csv_offset(const ts_csv *c) { return c->consumed + c->pos; }
const char *ts_csv_name(const ts_csv *c) { return c->name; }

static void trim_span(const char **s, size_t *n) {
    while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

ts_status ts_csv_take_header(ts_csv *c) {
    free(c->hdr);
    free(c->hdr_offs);
    c->hdr = malloc(c->rec_len + 1);
    c->hdr_offs = malloc((c->nf + 1) * sizeof *c->hdr_offs);
    if (!c->hdr || !c->hdr_offs) return ts_error(c->ctx, TS_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < c->nf; i++) {
        const char *s = c->rec + c->offs[i];
        size_t n = c->lens[i];
        trim_span(&s, &n);
        c->hdr_offs[i] = at;
        for (size_t k = 0; k < n; k++) c->hdr[at++] = (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] + 32) : s[k];
        c->hdr[at++] = 0;
    }
    c->hn = c->nf;
    return TS_OK;
}

int ts_csv_column(const ts_csv *c, const char *name) {
    for (size_t i = 0; i < c->hn; i++)
        if (ts_strcaseeq(c->hdr + c->hdr_offs[i], name)) return (int)i;
    return -1;
}

size_t ts_csv_header_count(const ts_csv *c) { return c->hn; }

ts_status ts_csv_error(ts_csv *c, ts_status status, size_t i, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error_at(c->ctx, status, c->name, c->rec_line, ts_csv_field_col(c, i), "%s", msg);
}

/* ---- numbers ------------------------------------------------------------------ */

static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int ts_parse_number_span(const char *s, size_t n, double *out) {
    trim_span(&s, &n);
    if (n == 0) return 0;
    /* Fast path (Clinger): at most 19 significant digits and a power of ten
     * that is exact in a double give one correctly rounded operation. */
    size_t i = 0;
    int neg = 0;
    if (s[i] == '-' || s[i] == '+') neg = s[i++] == '-';
    uint64_t mant = 0;
    int digits = 0, frac = 0, any = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            if (mant) digits++;
        } else {
            digits = 99;
        }
        any = 1;
        i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                if (mant) digits++;
                frac++;
            } else {
                digits = 99;
            }
            any = 1;
            i++;
        }
    }
    if (!any) return 0;
    if (i == n && digits <= 19 && mant < (1ull << 53) && frac <= 22) {
        double v = (double)mant / exact_pow10[frac];
        *out = neg ? -v : v;
        return 1;
    }
    /* Exponents and long mantissas: strtod on a bounded copy, with the
     * grammar checked first so "nan", "inf" and hex floats are refused. */
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e0) return 0;
    }
    if (i != n || n >= 512) return 0;
    char tmp[512];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int ts_csv_parse_double(const char *s, double *out) { return ts_parse_number_span(s, strlen(s), out); }

int ts_parse_int_span(const char *s, size_t n, int64_t *out) {
    trim_span(&s, &n);
    if (n == 0) return 0;
    size_t i = 0;
    int neg = 0;
    if (s[i] == '-' || s[i] == '+') neg = s[i++] == '-';
    if (i == n) return 0;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return 0;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

int ts_csv_parse_int(const char *s, int64_t *out) { return ts_parse_int_span(s, strlen(s), out); }
