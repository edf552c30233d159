/* JSON: a pull tokenizer streaming a file through one fixed window, and the
 * small document tree built on the same tokenizer. Project-owned because no
 * Debian JSON library streams a multi-GB COCO file in bounded memory with
 * line:col positions and correctly rounded numbers at the speed we need. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainset/json.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define WINDOW (1u << 20) /* bytes of a file held at once */
#define MAX_DEPTH 512
#define MAX_NUMBER_TEXT 4096

enum { ST_VALUE, ST_FIRST, ST_NEXT, ST_DONE };

#define PREFETCH_MIN (8u << 20) /* files this large are read ahead by a thread */

/* Read-ahead for big files: a thread reads the next window into `spare`
 * while the tokenizer works on the current one, so the copy out of the
 * page cache runs on another core. */
typedef struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd;
    unsigned char *spare;
    ssize_t got;    /* bytes in spare, or -1 */
    int err;        /* errno of a failed read */
    int want, ready, stop;
} prefetch;

struct ts_json_reader {
    ts_ctx *ctx;
    char *name;
    int fd; /* -1 for a buffer */
    const unsigned char *buf;
    unsigned char *window; /* file mode: owned */
    prefetch *ahead;       /* NULL: reads happen in refill */
    size_t pos, len;
    uint64_t base; /* absolute offset of buf[0] */
    int eof, io_error;
    uint64_t line, line_start; /* current line and absolute offset of its first byte */
    uint64_t tok_line, tok_col;
    int state;
    int depth;
    unsigned char stack[MAX_DEPTH]; /* '{' or '[' */
    int skipping; /* numbers need not be converted */
    ts_json_token last;
    /* last string/key */
    char *text;
    size_t text_len, text_cap;
    /* last number */
    char num[MAX_NUMBER_TEXT + 1];
    size_t num_len;
    double num_value;
    int64_t num_int;
    int num_is_int;
};

/* ---- input window ---------------------------------------------------------- */

static ssize_t read_window(int fd, unsigned char *buf, int *err) {
    for (;;) {
        ssize_t n = read(fd, buf, WINDOW);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) *err = errno ? errno : EIO;
        return n;
    }
}

static void *prefetch_main(void *arg) {
    prefetch *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->want && !a->stop) pthread_cond_wait(&a->cv, &a->mu);
        if (a->stop) break;
        a->want = 0;
        pthread_mutex_unlock(&a->mu);
        int err = 0;
        ssize_t n = read_window(a->fd, a->spare, &err);
        pthread_mutex_lock(&a->mu);
        a->got = n;
        a->err = err;
        a->ready = 1;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Start reading ahead (the first window included); 0 when it cannot. */
static int prefetch_start(ts_json_reader *r) {
    prefetch *a = calloc(1, sizeof *a);
    if (!a || !(a->spare = malloc(WINDOW))) {
        free(a);
        return 0;
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->fd = r->fd;
    a->want = 1;
    if (pthread_create(&a->thread, NULL, prefetch_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        free(a->spare);
        free(a);
        return 0;
    }
    r->ahead = a;
    return 1;
}

static void prefetch_stop(prefetch *a) {
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->spare);
    free(a);
}

/* The window read ahead becomes the current one; the old one is read
 * into next. Nothing points into a window once it has been left. */
static int refill_ahead(ts_json_reader *r) {
    prefetch *a = r->ahead;
    pthread_mutex_lock(&a->mu);
    while (!a->ready) pthread_cond_wait(&a->cv, &a->mu);
    a->ready = 0;
    ssize_t n = a->got;
    int err = a->err;
    unsigned char *full = a->spare;
    a->spare = r->window;
    r->window = full;
    r->buf = full;
    if (n > 0) {
        a->want = 1;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    if (n <= 0) {
        if (n < 0) r->io_error = err;
        r->eof = 1;
        return -1;
    }
    r->len = (size_t)n;
    return r->buf[0];
}

static int refill(ts_json_reader *r) {
    if (r->fd < 0 || r->eof) return -1;
    r->base += r->len;
    r->pos = r->len = 0;
    if (r->ahead) return refill_ahead(r);
    int err = 0;
    ssize_t n = read_window(r->fd, r->window, &err);
    if (n <= 0) {
        if (n < 0) r->io_error = err;
        r->eof = 1;
        return -1;
    }
    r->len = (size_t)n;
    return r->buf[0];
}

/* Current byte or -1 at the end of input. */
static inline int peek(ts_json_reader *r) {
    if (r->pos < r->len) return r->buf[r->pos];
    return refill(r);
}

static inline uint64_t abs_pos(const ts_json_reader *r) { return r->base + r->pos; }

static void mark_token(ts_json_reader *r) {
    r->tok_line = r->line;
    r->tok_col = abs_pos(r) - r->line_start + 1;
}

static ts_status error_here(ts_json_reader *r, ts_status status, const char *fmt, ...) TS_PRINTF(3, 4);

static ts_status verror_at(ts_json_reader *r, ts_status status, uint64_t line, uint64_t col, const char *fmt,
                           va_list ap) {
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return ts_error_at(r->ctx, status, r->name, line, col, "%s", msg);
}

/* An error at the current byte (not the token start). */
static ts_status error_here(ts_json_reader *r, ts_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ts_status s = verror_at(r, status, r->line, abs_pos(r) - r->line_start + 1, fmt, ap);
    va_end(ap);
    return s;
}

ts_status ts_json_error(ts_json_reader *r, ts_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ts_status s = verror_at(r, status, r->tok_line, r->tok_col, fmt, ap);
    va_end(ap);
    return s;
}

const char *ts_json_token_name(ts_json_token tok) {
    switch (tok) {
    case TS_JSON_EOF: return "end of input";
    case TS_JSON_OBJECT_BEGIN: return "'{'";
    case TS_JSON_OBJECT_END: return "'}'";
    case TS_JSON_ARRAY_BEGIN: return "'['";
    case TS_JSON_ARRAY_END: return "']'";
    case TS_JSON_KEY: return "key";
    case TS_JSON_STRING: return "string";
    case TS_JSON_NUMBER: return "number";
    case TS_JSON_TRUE: return "true";
    case TS_JSON_FALSE: return "false";
    case TS_JSON_NULL: return "null";
    }
    return "token";
}

ts_status ts_json_expected(ts_json_reader *r, const char *what, ts_json_token found) {
    return ts_json_error(r, TS_ERR_INVALID, "expected %s, found %s", what, ts_json_token_name(found));
}

/* "'x'" or "byte 0xNN" or "end of input" for messages about byte c. */
static const char *describe(int c, char *tmp) {
    if (c < 0) return "end of input";
    if (c >= 0x20 && c < 0x7f) {
        tmp[0] = '\'', tmp[1] = (char)c, tmp[2] = '\'', tmp[3] = 0;
        return tmp;
    }
    snprintf(tmp, 16, "byte 0x%02x", (unsigned)c);
    return tmp;
}

static ts_status io_failure(ts_json_reader *r) {
    return ts_error(r->ctx, TS_ERR_IO, "%s: read failed: %s", r->name, strerror(r->io_error));
}

static ts_status unexpected(ts_json_reader *r, const char *what, int c) {
    char tmp[16];
    if (r->io_error) return io_failure(r);
    return error_here(r, TS_ERR_PARSE, "expected %s, found %s", what, describe(c, tmp));
}

/* Bytes that end a plain run inside a string: quote, backslash, controls. */
static unsigned char string_stop[256];
static unsigned char high_byte[256];
static unsigned char number_char[256];

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void fill_skip_class(void);

static void fill_tables(void) {
    fill_skip_class();
    for (int c = 0; c < 256; c++) {
        string_stop[c] = (unsigned char)(c < 0x20 || c == '"' || c == '\\');
        high_byte[c] = (unsigned char)(c >= 0x80);
        number_char[c] = (unsigned char)((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E');
    }
}

/* ---- open / close ------------------------------------------------------------ */

static ts_status make_reader(ts_ctx *ctx, const char *name, ts_json_reader **out) {
    pthread_once(&tables_once, fill_tables);
    ts_json_reader *r = calloc(1, sizeof *r);
    if (!r) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    r->ctx = ctx;
    r->fd = -1;
    r->line = 1;
    r->name = strdup(name ? name : "<json>");
    if (!r->name) {
        free(r);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    *out = r;
    return TS_OK;
}

/* A UTF-8 byte order mark is tolerated (Windows tools write one). */
static void skip_bom(ts_json_reader *r) {
    if (peek(r) == 0xEF && r->len - r->pos >= 3 && r->buf[r->pos + 1] == 0xBB && r->buf[r->pos + 2] == 0xBF) {
        r->pos += 3;
        r->line_start = 3;
    }
}

ts_status ts_json_reader_open_file(ts_ctx *ctx, const char *path, ts_json_reader **out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ts_error(ctx, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, "%s: cannot open: %s", path,
                        strerror(errno));
    ts_json_reader *r;
    ts_status s = make_reader(ctx, path, &r);
    if (s != TS_OK) {
        close(fd);
        return s;
    }
    r->window = malloc(WINDOW);
    if (!r->window) {
        close(fd);
        ts_json_reader_destroy(r);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    r->fd = fd;
    r->buf = r->window;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)PREFETCH_MIN) prefetch_start(r);
    skip_bom(r);
    if (r->io_error) {
        s = io_failure(r);
        ts_json_reader_destroy(r);
        return s;
    }
    *out = r;
    return TS_OK;
}

ts_status ts_json_reader_open_buffer(ts_ctx *ctx, const char *name, const char *data, size_t len,
                                     ts_json_reader **out) {
    ts_json_reader *r;
    ts_status s = make_reader(ctx, name, &r);
    if (s != TS_OK) return s;
    r->buf = (const unsigned char *)data;
    r->len = len;
    r->eof = 1;
    skip_bom(r);
    *out = r;
    return TS_OK;
}

void ts_json_reader_destroy(ts_json_reader *r) {
    if (!r) return;
    prefetch_stop(r->ahead); /* before the descriptor goes */
    if (r->fd >= 0) close(r->fd);
    free(r->window);
    free(r->text);
    free(r->name);
    free(r);
}

/* ---- scalars ------------------------------------------------------------------ */

static inline void skip_ws(ts_json_reader *r) {
    for (;;) {
        while (r->pos < r->len) {
            unsigned char c = r->buf[r->pos];
            if (c == ' ' || c == '\t' || c == '\r') {
                r->pos++;
            } else if (c == '\n') {
                r->pos++;
                r->line++;
                r->line_start = abs_pos(r);
            } else {
                return;
            }
        }
        if (refill(r) < 0) return;
    }
}

static ts_status text_reserve(ts_json_reader *r, size_t extra) {
    size_t need;
    if (!ts_add_size(r->text_len, extra, &need) || !ts_add_size(need, 1, &need))
        return ts_error(r->ctx, TS_ERR_NOMEM, "%s: string too long", r->name);
    if (need <= r->text_cap) return TS_OK;
    return ts_grow(r->ctx, (void **)&r->text, &r->text_cap, need, 1);
}

static ts_status text_append(ts_json_reader *r, const void *p, size_t n) {
    if (r->text_len + n + 1 > r->text_cap && text_reserve(r, n) != TS_OK) return TS_ERR_NOMEM;
    memcpy(r->text + r->text_len, p, n);
    r->text_len += n;
    return TS_OK;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u". */
static ts_status read_hex4(ts_json_reader *r, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(r);
        int h = hexval(c);
        if (h < 0) return unexpected(r, "hex digit in \\u escape", c);
        v = v << 4 | (unsigned)h;
        r->pos++;
    }
    *out = v;
    return TS_OK;
}

static size_t utf8_put(unsigned cp, char *o) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_valid_at(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned min;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000, cp = c & 0x07;
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

/* Length of the run at b (n bytes) of plain ASCII string bytes: not a
 * quote, backslash, control or byte >= 0x80 (those take the full path). */
static inline size_t ascii_run(const unsigned char *b, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
        /* signed: bytes >= 0x80 are negative, so below 0x20 too */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                    _mm_cmplt_epi8(v, ctl));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m) return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && !string_stop[b[i]] && b[i] < 0x80) i++;
    return i;
}

static ts_status read_string_slow(ts_json_reader *r);

/* A string starting at the opening quote; unescaped into r->text. The
 * usual one (ASCII, no escapes, inside the window) is one copy. */
static ts_status read_string(ts_json_reader *r) {
    const unsigned char *b = r->buf + r->pos + 1;
    size_t avail = r->len - r->pos - 1; /* the quote is in the window */
    size_t n = ascii_run(b, avail);
    if (n < avail && b[n] == '"') {
        if (n + 1 > r->text_cap && ts_grow(r->ctx, (void **)&r->text, &r->text_cap, n + 1, 1) != TS_OK)
            return TS_ERR_NOMEM;
        memcpy(r->text, b, n);
        r->text[n] = 0;
        r->text_len = n;
        r->pos += n + 2;
        return TS_OK;
    }
    return read_string_slow(r);
}

static ts_status read_string_slow(ts_json_reader *r) {
    uint64_t start_line = r->line, start_col = abs_pos(r) - r->line_start + 1;
    int high = 0;
    r->pos++; /* the quote */
    r->text_len = 0;
    for (;;) {
        size_t p = r->pos, end = r->len;
        const unsigned char *b = r->buf;
        while (p < end && !string_stop[b[p]]) high |= high_byte[b[p++]];
        if (p > r->pos && text_append(r, b + r->pos, p - r->pos) != TS_OK) return TS_ERR_NOMEM;
        r->pos = p;
        int c = peek(r);
        if (c < 0) {
            if (r->io_error) return io_failure(r);
            return ts_error_at(r->ctx, TS_ERR_PARSE, r->name, start_line, start_col,
                               "unterminated string (end of input)");
        }
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c != '\\') {
            if (string_stop[c]) return error_here(r, TS_ERR_PARSE, "control character 0x%02x in string", (unsigned)c);
            continue; /* the window was refilled */
        }
        r->pos++;
        c = peek(r);
        char out[4];
        size_t n = 1;
        switch (c) {
        case '"': out[0] = '"'; break;
        case '\\': out[0] = '\\'; break;
        case '/': out[0] = '/'; break;
        case 'b': out[0] = '\b'; break;
        case 'f': out[0] = '\f'; break;
        case 'n': out[0] = '\n'; break;
        case 'r': out[0] = '\r'; break;
        case 't': out[0] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            r->pos++;
            ts_status s = read_hex4(r, &cp);
            if (s != TS_OK) return s;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return error_here(r, TS_ERR_PARSE, "lone low surrogate \\u%04X in string", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (peek(r) != '\\') return error_here(r, TS_ERR_PARSE, "high surrogate \\u%04X not followed by a low one", cp);
                r->pos++;
                if (peek(r) != 'u') return error_here(r, TS_ERR_PARSE, "high surrogate \\u%04X not followed by a low one", cp);
                r->pos++;
                if ((s = read_hex4(r, &lo)) != TS_OK) return s;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return error_here(r, TS_ERR_PARSE, "high surrogate \\u%04X followed by \\u%04X, not a low surrogate", cp, lo);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n = utf8_put(cp, out);
            if (text_append(r, out, n) != TS_OK) return TS_ERR_NOMEM;
            continue;
        }
        default: return unexpected(r, "escape character", c);
        }
        r->pos++;
        if (text_append(r, out, n) != TS_OK) return TS_ERR_NOMEM;
    }
    if (text_reserve(r, 0) != TS_OK) return TS_ERR_NOMEM;
    r->text[r->text_len] = 0;
    if (high) {
        const unsigned char *t = (const unsigned char *)r->text;
        for (size_t i = 0; i < r->text_len;) {
            size_t k = utf8_valid_at(t + i, r->text_len - i);
            if (!k)
                return ts_error_at(r->ctx, TS_ERR_PARSE, r->name, start_line, start_col,
                                   "invalid UTF-8 in string (byte %zu)", i + 1);
            i += k;
        }
    }
    return TS_OK;
}

static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Number: gather the run of number characters, then check it against JSON's
 * grammar and convert. Mantissas of up to 19 digits with |exponent| <= 22
 * that fit 2^53 are exact in one IEEE operation (Clinger's fast path);
 * everything else goes to strtod, which rounds correctly. */
static ts_status read_number_slow(ts_json_reader *r);

/* The usual number, "-?(0|[1-9][0-9]*)(.[0-9]+)?" of at most 19 digits
 * ending inside the window, in one pass; 0 leaves it to the full path. */
static inline int read_number_fast(ts_json_reader *r) {
    const unsigned char *b = r->buf + r->pos, *e = r->buf + r->len, *q = b;
    int neg = 0;
    if (q < e && *q == '-') neg = 1, q++;
    if (q >= e) return 0;
    uint64_t mant = 0;
    int digits = 0, frac = 0;
    if (*q == '0') {
        q++;
    } else {
        while (q < e && (unsigned)(*q - '0') < 10 && digits < 19) mant = mant * 10 + (unsigned)(*q++ - '0'), digits++;
        if (!digits) return 0;
    }
    int is_int = 1;
    if (q < e && *q == '.') {
        is_int = 0;
        q++;
        const unsigned char *f = q;
        while (q < e && (unsigned)(*q - '0') < 10 && digits < 19) mant = mant * 10 + (unsigned)(*q++ - '0'), digits++;
        frac = (int)(q - f);
        if (!frac) return 0;
    }
    /* must end here: no exponent, no 20th digit, not at the window's end */
    if (q >= e || number_char[*q] || mant > ((uint64_t)1 << 53) || frac > 22) return 0;
    size_t n = (size_t)(q - b);
    memcpy(r->num, b, n);
    r->num[n] = 0;
    r->num_len = n;
    r->pos += n;
    r->num_is_int = is_int;
    if (is_int) r->num_int = neg ? -(int64_t)mant : (int64_t)mant;
    if (!r->skipping) {
        double v = (double)mant;
        if (frac) v /= exact_pow10[frac];
        r->num_value = neg ? -v : v;
    }
    return 1;
}

static ts_status read_number(ts_json_reader *r) {
    if (read_number_fast(r)) return TS_OK;
    return read_number_slow(r);
}

static ts_status read_number_slow(ts_json_reader *r) {
    size_t n = 0;
    const unsigned char *b = r->buf + r->pos;
    size_t avail = r->len - r->pos;
    while (n < avail && number_char[b[n]]) n++;
    if ((n < avail || r->eof) && n <= MAX_NUMBER_TEXT) { /* the whole number is in the window */
        memcpy(r->num, b, n);
        r->pos += n;
    } else {
        for (n = 0;;) {
            int c = peek(r);
            if (c < 0 || !number_char[c]) break;
            if (n == MAX_NUMBER_TEXT) return error_here(r, TS_ERR_PARSE, "number longer than %d characters", MAX_NUMBER_TEXT);
            r->num[n++] = (char)c;
            r->pos++;
        }
    }
    r->num[n] = 0;
    r->num_len = n;
    const char *p = r->num, *e = r->num + n;
    int neg = 0;
    if (p < e && *p == '-') neg = 1, p++;
    uint64_t mant = 0;
    int digits = 0, dropped = 0; /* significant digits kept / beyond 19 */
    long exp10 = 0;
    int is_int = 1;
    if (p >= e || *p < '0' || *p > '9') goto bad;
    if (*p == '0') {
        p++;
    } else {
        for (; p < e && *p >= '0' && *p <= '9'; p++) {
            if (digits < 19) mant = mant * 10 + (uint64_t)(*p - '0'), digits++;
            else dropped++, exp10++;
        }
    }
    if (p < e && *p == '.') {
        is_int = 0;
        p++;
        if (p >= e || *p < '0' || *p > '9') goto bad;
        for (; p < e && *p >= '0' && *p <= '9'; p++) {
            if (digits == 0 && *p == '0') {
                exp10--;
            } else if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0'), digits++, exp10--;
            } else if (*p != '0') {
                dropped++;
            }
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        is_int = 0;
        p++;
        int eneg = 0;
        if (p < e && (*p == '+' || *p == '-')) eneg = *p == '-', p++;
        if (p >= e || *p < '0' || *p > '9') goto bad;
        long ev = 0;
        for (; p < e && *p >= '0' && *p <= '9'; p++)
            if (ev < 100000) ev = ev * 10 + (*p - '0');
        exp10 += eneg ? -ev : ev;
    }
    if (p != e) goto bad;
    r->num_is_int = 0;
    if (is_int && !dropped) {
        if (mant <= (uint64_t)INT64_MAX) {
            r->num_is_int = 1;
            r->num_int = neg ? -(int64_t)mant : (int64_t)mant;
        } else if (neg && mant == (uint64_t)INT64_MAX + 1) {
            r->num_is_int = 1;
            r->num_int = INT64_MIN;
        }
    }
    if (r->skipping) return TS_OK;
    if (!dropped && mant <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
        r->num_value = neg ? -v : v;
    } else if (mant == 0 && !dropped) {
        r->num_value = neg ? -0.0 : 0.0;
    } else {
        r->num_value = strtod(r->num, NULL);
    }
    return TS_OK;
bad:
    return ts_json_error(r, TS_ERR_PARSE, "malformed number \"%s\"", r->num);
}

static ts_status read_literal(ts_json_reader *r, const char *word) {
    for (const char *w = word; *w; w++) {
        int c = peek(r);
        if (c != *w) {
            char tmp[16];
            if (r->io_error) return io_failure(r);
            return ts_json_error(r, TS_ERR_PARSE, "expected value (\"%s\"?), found %s", word, describe(c, tmp));
        }
        r->pos++;
    }
    return TS_OK;
}

/* ---- tokens ------------------------------------------------------------------------ */

static void after_value(ts_json_reader *r) { r->state = r->depth == 0 ? ST_DONE : ST_NEXT; }

static ts_status read_value(ts_json_reader *r, ts_json_token *tok) {
    int c = peek(r);
    ts_status s;
    switch (c) {
    case '{':
    case '[':
        if (r->depth == MAX_DEPTH) return error_here(r, TS_ERR_LIMIT, "nesting deeper than %d", MAX_DEPTH);
        r->stack[r->depth++] = (unsigned char)c;
        r->pos++;
        r->state = ST_FIRST;
        *tok = c == '{' ? TS_JSON_OBJECT_BEGIN : TS_JSON_ARRAY_BEGIN;
        return TS_OK;
    case '"':
        if ((s = read_string(r)) != TS_OK) return s;
        *tok = TS_JSON_STRING;
        break;
    case 't':
        if ((s = read_literal(r, "true")) != TS_OK) return s;
        *tok = TS_JSON_TRUE;
        break;
    case 'f':
        if ((s = read_literal(r, "false")) != TS_OK) return s;
        *tok = TS_JSON_FALSE;
        break;
    case 'n':
        if ((s = read_literal(r, "null")) != TS_OK) return s;
        *tok = TS_JSON_NULL;
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            if ((s = read_number(r)) != TS_OK) return s;
            *tok = TS_JSON_NUMBER;
            break;
        }
        return unexpected(r, "a value", c);
    }
    after_value(r);
    return TS_OK;
}

static ts_status read_key(ts_json_reader *r, ts_json_token *tok) {
    int c = peek(r);
    if (c != '"') return unexpected(r, "a member name in quotes", c);
    ts_status s = read_string(r);
    if (s != TS_OK) return s;
    skip_ws(r);
    c = peek(r);
    if (c != ':') return unexpected(r, "':' after member name", c);
    r->pos++;
    r->state = ST_VALUE;
    *tok = TS_JSON_KEY;
    return TS_OK;
}

static ts_status close_container(ts_json_reader *r, int c, ts_json_token *tok) {
    r->pos++;
    r->depth--;
    *tok = c == '}' ? TS_JSON_OBJECT_END : TS_JSON_ARRAY_END;
    after_value(r);
    return TS_OK;
}

static ts_status next_token(ts_json_reader *r, ts_json_token *tok) {
    skip_ws(r);
    mark_token(r);
    int c = peek(r);
    if (r->io_error) return io_failure(r);
    switch (r->state) {
    case ST_DONE:
        if (c < 0) {
            *tok = TS_JSON_EOF;
            return TS_OK;
        }
        return unexpected(r, "end of input after the top-level value", c);
    case ST_VALUE:
        if (c < 0 && r->depth == 0 && abs_pos(r) == 0) return error_here(r, TS_ERR_PARSE, "empty input, expected a JSON value");
        return read_value(r, tok);
    case ST_FIRST: {
        int close = r->stack[r->depth - 1] == '{' ? '}' : ']';
        if (c == close) return close_container(r, c, tok);
        return close == '}' ? read_key(r, tok) : read_value(r, tok);
    }
    default: { /* ST_NEXT */
        int obj = r->stack[r->depth - 1] == '{';
        int close = obj ? '}' : ']';
        if (c == close) return close_container(r, c, tok);
        if (c != ',') return unexpected(r, obj ? "',' or '}'" : "',' or ']'", c);
        r->pos++;
        skip_ws(r);
        mark_token(r);
        return obj ? read_key(r, tok) : read_value(r, tok);
    }
    }
}

ts_status ts_json_next(ts_json_reader *r, ts_json_token *tok) {
    ts_status s = next_token(r, tok);
    if (s == TS_OK) r->last = *tok;
    return s;
}

const char *ts_json_text(const ts_json_reader *r, size_t *len) {
    if (len) *len = r->text ? r->text_len : 0;
    return r->text ? r->text : "";
}

double ts_json_number(const ts_json_reader *r) { return r->num_value; }
int ts_json_is_int(const ts_json_reader *r) { return r->num_is_int; }
int64_t ts_json_int(const ts_json_reader *r) { return r->num_int; }

const char *ts_json_number_text(const ts_json_reader *r, size_t *len) {
    if (len) *len = r->num_len;
    return r->num;
}

uint64_t ts_json_line(const ts_json_reader *r) { return r->tok_line; }
uint64_t ts_json_col(const ts_json_reader *r) { return r->tok_col; }
uint64_t ts_json_offset(const ts_json_reader *r) { return abs_pos(r); }
const char *ts_json_name(const ts_json_reader *r) { return r->name; }

ts_status ts_json_skip(ts_json_reader *r) {
    ts_status s = TS_OK;
    ts_json_token tok;
    int saved = r->skipping;
    r->skipping = 1;
    if (r->last == TS_JSON_KEY) { /* skip the member's value */
        s = ts_json_next(r, &tok);
        if (s != TS_OK || (tok != TS_JSON_OBJECT_BEGIN && tok != TS_JSON_ARRAY_BEGIN)) {
            r->skipping = saved;
            return s;
        }
    } else if (r->last != TS_JSON_OBJECT_BEGIN && r->last != TS_JSON_ARRAY_BEGIN) {
        r->skipping = saved;
        return TS_OK; /* a scalar or a close: nothing left of it */
    }
    int target = r->depth;
    while (r->depth >= target) {
        if ((s = ts_json_next(r, &tok)) != TS_OK) break;
        if (tok == TS_JSON_EOF) break;
    }
    r->skipping = saved;
    return s;
}

/* Length of the run at b (n bytes) of bytes that make up arrays of numbers
 * ("0-9 + - . , space"), 16 at a time where SSE2 is there: geometry is
 * almost all such runs, so the skip below rarely looks at a byte alone. */
static inline size_t number_run(const unsigned char *b, size_t n) {
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i lo = _mm_set1_epi8('+'), span = _mm_set1_epi8('9' - '+');
    const __m128i slash = _mm_set1_epi8('/'), space = _mm_set1_epi8(' ');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
        __m128i d = _mm_sub_epi8(v, lo);
        __m128i in = _mm_cmpeq_epi8(_mm_min_epu8(d, span), d);
        __m128i ok = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, slash), in), _mm_cmpeq_epi8(v, space));
        unsigned m = (unsigned)_mm_movemask_epi8(ok);
        if (m != 0xFFFF) return i + (size_t)__builtin_ctz(~m);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = b[i];
        if (!((c >= '+' && c <= '9' && c != '/') || c == ' ')) break;
    }
    return i;
}

/* Byte classes for the fast skip. */
enum { SK_PLAIN = 0, SK_NEWLINE, SK_OPEN, SK_CLOSE, SK_QUOTE, SK_BAD };
static unsigned char skip_class[256];

static void fill_skip_class(void) {
    for (int c = 0; c < 256; c++) skip_class[c] = SK_BAD;
    const char *plain = "0123456789+-.eE,: \t\rtrufalsn";
    for (const char *p = plain; *p; p++) skip_class[(unsigned char)*p] = SK_PLAIN;
    skip_class['\n'] = SK_NEWLINE;
    skip_class['['] = skip_class['{'] = SK_OPEN;
    skip_class[']'] = skip_class['}'] = SK_CLOSE;
    skip_class['"'] = SK_QUOTE;
}

static ts_status put_string(ts_buf *out, const char *s, size_t n);

/* The bytes [from, to) of the window, kept when the caller wants them. */
static ts_status keep_raw(ts_json_reader *r, ts_buf *raw, size_t from, size_t to) {
    if (!raw || to <= from) return TS_OK;
    if (ts_buf_append(raw, r->buf + from, to - from) != TS_OK) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static ts_status skip_fast(ts_json_reader *r, ts_buf *raw) {
    if (r->last == TS_JSON_KEY) {
        ts_json_token tok;
        ts_status s = ts_json_next(r, &tok);
        if (s != TS_OK || (tok != TS_JSON_OBJECT_BEGIN && tok != TS_JSON_ARRAY_BEGIN)) return s;
    } else if (r->last != TS_JSON_OBJECT_BEGIN && r->last != TS_JSON_ARRAY_BEGIN) {
        return TS_OK;
    }
    if (raw && ts_buf_putc(raw, r->stack[r->depth - 1]) != TS_OK) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    int target = r->depth - 1;
    ts_status s;
    for (;;) {
        const unsigned char *b = r->buf;
        size_t p = r->pos, end = r->len, from = p;
        while (p < end) {
            p += number_run(b + p, end - p);
            if (p == end) break;
            unsigned char c = b[p];
            switch (skip_class[c]) {
            case SK_PLAIN: p++; continue;
            case SK_NEWLINE:
                p++;
                r->line++;
                r->line_start = r->base + p;
                continue;
            case SK_OPEN:
                if (r->depth == MAX_DEPTH) {
                    r->pos = p;
                    return error_here(r, TS_ERR_LIMIT, "nesting deeper than %d", MAX_DEPTH);
                }
                r->stack[r->depth++] = c;
                p++;
                continue;
            case SK_CLOSE:
                if (r->stack[r->depth - 1] != (c == '}' ? '{' : '[')) {
                    r->pos = p;
                    return unexpected(r, r->stack[r->depth - 1] == '{' ? "'}'" : "']'", c);
                }
                p++;
                if (--r->depth == target) {
                    r->pos = p;
                    r->last = c == '}' ? TS_JSON_OBJECT_END : TS_JSON_ARRAY_END;
                    after_value(r);
                    return keep_raw(r, raw, from, p);
                }
                continue;
            case SK_QUOTE: {
                /* the string may straddle a refill: kept re-escaped */
                if ((s = keep_raw(r, raw, from, p)) != TS_OK) return s;
                r->pos = p;
                if ((s = read_string(r)) != TS_OK) return s;
                if (raw && put_string(raw, r->text, r->text_len) != TS_OK)
                    return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
                b = r->buf, p = r->pos, end = r->len; /* the window may have moved */
                from = p;
                continue;
            }
            default: r->pos = p; return unexpected(r, "JSON text", c);
            }
        }
        r->pos = p;
        if ((s = keep_raw(r, raw, from, p)) != TS_OK) return s;
        if (refill(r) < 0) {
            if (r->io_error) return io_failure(r);
            return error_here(r, TS_ERR_PARSE, "unexpected end of input inside %s", r->stack[r->depth - 1] == '{' ? "an object" : "a list");
        }
    }
}

ts_status ts_json_skip_fast(ts_json_reader *r) { return skip_fast(r, NULL); }

ts_status ts_json_skip_fast_raw(ts_json_reader *r, ts_buf *raw) { return skip_fast(r, raw); }

/* A JSON string literal of n bytes (embedded NULs escaped). */
static ts_status put_string(ts_buf *out, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (ts_buf_putc(out, '"') != TS_OK) return TS_ERR_NOMEM;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (ts_buf_append(out, s + run, i - run) != TS_OK) return TS_ERR_NOMEM;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': case '\\': break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            elen = 6;
        }
        if (ts_buf_append(out, esc, elen) != TS_OK) return TS_ERR_NOMEM;
        run = i + 1;
    }
    if (ts_buf_append(out, s + run, n - run) != TS_OK) return TS_ERR_NOMEM;
    return ts_buf_putc(out, '"');
}

static ts_status capture_token(ts_json_reader *r, ts_json_token tok, ts_buf *out) {
    switch (tok) {
    case TS_JSON_OBJECT_BEGIN: return ts_buf_putc(out, '{');
    case TS_JSON_OBJECT_END: return ts_buf_putc(out, '}');
    case TS_JSON_ARRAY_BEGIN: return ts_buf_putc(out, '[');
    case TS_JSON_ARRAY_END: return ts_buf_putc(out, ']');
    case TS_JSON_KEY:
        if (put_string(out, r->text, r->text_len) != TS_OK) return TS_ERR_NOMEM;
        return ts_buf_putc(out, ':');
    case TS_JSON_STRING: return put_string(out, r->text, r->text_len);
    case TS_JSON_NUMBER: return ts_buf_append(out, r->num, r->num_len);
    case TS_JSON_TRUE: return ts_buf_puts(out, "true");
    case TS_JSON_FALSE: return ts_buf_puts(out, "false");
    case TS_JSON_NULL: return ts_buf_puts(out, "null");
    case TS_JSON_EOF: break;
    }
    return TS_OK;
}

ts_status ts_json_capture(ts_json_reader *r, ts_json_token first, ts_buf *out) {
    if (capture_token(r, first, out) != TS_OK) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    if (first != TS_JSON_OBJECT_BEGIN && first != TS_JSON_ARRAY_BEGIN) return TS_OK;
    int target = r->depth;
    ts_json_token prev = first, tok;
    int saved = r->skipping;
    r->skipping = 1; /* the text is kept as written */
    ts_status s = TS_OK;
    while (r->depth >= target) {
        if ((s = ts_json_next(r, &tok)) != TS_OK) break;
        if (tok == TS_JSON_EOF) break;
        /* a comma before anything but a close, unless just opened or after a key */
        if (tok != TS_JSON_OBJECT_END && tok != TS_JSON_ARRAY_END && prev != TS_JSON_OBJECT_BEGIN &&
            prev != TS_JSON_ARRAY_BEGIN && prev != TS_JSON_KEY && ts_buf_putc(out, ',') != TS_OK) {
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
            break;
        }
        if (capture_token(r, tok, out) != TS_OK) {
            s = ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
            break;
        }
        prev = tok;
    }
    r->skipping = saved;
    return s;
}

/* ---- document tree ---------------------------------------------------------- */

static uint32_t clamp32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

static void free_value(ts_jvalue *v) {
    switch (v->type) {
    case TS_JSTRING: free(v->u.str.text); break;
    case TS_JARRAY:
        for (size_t i = 0; i < v->u.arr.count; i++) free_value(&v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case TS_JOBJECT:
        for (size_t i = 0; i < v->u.obj.count; i++) {
            free(v->u.obj.keys[i]);
            free_value(&v->u.obj.values[i]);
        }
        free(v->u.obj.keys);
        free(v->u.obj.values);
        break;
    default: break;
    }
}

static char *copy_text(ts_json_reader *r, size_t *len) {
    char *t = malloc(r->text_len + 1);
    if (!t) return NULL;
    memcpy(t, r->text ? r->text : "", r->text_len);
    t[r->text_len] = 0;
    *len = r->text_len;
    return t;
}

/* Build the value whose first token `tok` was just read into *v. On failure
 * *v holds whatever was built so far (freeable). */
static ts_status build(ts_json_reader *r, ts_json_token tok, ts_jvalue *v) {
    memset(v, 0, sizeof *v);
    v->line = clamp32(r->tok_line);
    v->col = clamp32(r->tok_col);
    ts_status s;
    switch (tok) {
    case TS_JSON_NULL: v->type = TS_JNULL; return TS_OK;
    case TS_JSON_TRUE:
    case TS_JSON_FALSE:
        v->type = TS_JBOOL;
        v->u.boolean = tok == TS_JSON_TRUE;
        return TS_OK;
    case TS_JSON_NUMBER:
        v->type = TS_JNUMBER;
        v->u.num.value = r->num_value;
        v->is_int = r->num_is_int;
        v->u.num.integer = r->num_is_int ? r->num_int : 0;
        return TS_OK;
    case TS_JSON_STRING:
        v->type = TS_JSTRING;
        v->u.str.text = copy_text(r, &v->u.str.len);
        return v->u.str.text ? TS_OK : ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    case TS_JSON_ARRAY_BEGIN: {
        v->type = TS_JARRAY;
        size_t cap = 0;
        for (;;) {
            if ((s = ts_json_next(r, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_ARRAY_END) break;
            if ((s = ts_grow(r->ctx, (void **)&v->u.arr.items, &cap, v->u.arr.count + 1, sizeof(ts_jvalue))) != TS_OK)
                return s;
            s = build(r, tok, &v->u.arr.items[v->u.arr.count]);
            v->u.arr.count++;
            if (s != TS_OK) return s;
        }
        return TS_OK;
    }
    case TS_JSON_OBJECT_BEGIN: {
        v->type = TS_JOBJECT;
        size_t kcap = 0, vcap = 0;
        for (;;) {
            if ((s = ts_json_next(r, &tok)) != TS_OK) return s;
            if (tok == TS_JSON_OBJECT_END) break;
            size_t i = v->u.obj.count;
            if ((s = ts_grow(r->ctx, (void **)&v->u.obj.keys, &kcap, i + 1, sizeof(char *))) != TS_OK ||
                (s = ts_grow(r->ctx, (void **)&v->u.obj.values, &vcap, i + 1, sizeof(ts_jvalue))) != TS_OK)
                return s;
            size_t klen;
            v->u.obj.keys[i] = copy_text(r, &klen);
            memset(&v->u.obj.values[i], 0, sizeof(ts_jvalue));
            v->u.obj.count++;
            if (!v->u.obj.keys[i]) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
            if ((s = ts_json_next(r, &tok)) != TS_OK) return s;
            if ((s = build(r, tok, &v->u.obj.values[i])) != TS_OK) return s;
        }
        return TS_OK;
    }
    default: return ts_json_expected(r, "a value", tok);
    }
}

static ts_status parse_reader(ts_json_reader *r, ts_jvalue **out) {
    ts_jvalue *root = calloc(1, sizeof *root);
    if (!root) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    ts_json_token tok;
    ts_status s = ts_json_next(r, &tok);
    if (s == TS_OK) s = build(r, tok, root);
    if (s == TS_OK) s = ts_json_next(r, &tok); /* must be EOF; the tokenizer refuses trailing text */
    if (s != TS_OK) {
        ts_json_free(root);
        return s;
    }
    *out = root;
    return TS_OK;
}

ts_status ts_json_parse(ts_ctx *ctx, const char *name, const char *data, size_t len, ts_jvalue **out) {
    ts_json_reader *r;
    ts_status s = ts_json_reader_open_buffer(ctx, name, data, len, &r);
    if (s != TS_OK) return s;
    s = parse_reader(r, out);
    ts_json_reader_destroy(r);
    return s;
}

ts_status ts_json_parse_file(ts_ctx *ctx, const char *path, ts_jvalue **out) {
    ts_json_reader *r;
    ts_status s = ts_json_reader_open_file(ctx, path, &r);
    if (s != TS_OK) return s;
    s = parse_reader(r, out);
    ts_json_reader_destroy(r);
    return s;
}

void ts_json_free(ts_jvalue *value) {
    if (!value) return;
    free_value(value);
    free(value);
}

const ts_jvalue *ts_json_get(const ts_jvalue *obj, const char *key) {
    if (!obj || obj->type != TS_JOBJECT) return NULL;
    for (size_t i = 0; i < obj->u.obj.count; i++)
        if (strcmp(obj->u.obj.keys[i], key) == 0) return &obj->u.obj.values[i];
    return NULL;
}

int ts_json_get_number(const ts_jvalue *obj, const char *key, double *out) {
    const ts_jvalue *v = ts_json_get(obj, key);
    if (!v || v->type != TS_JNUMBER) return 0;
    *out = v->u.num.value;
    return 1;
}

int ts_json_get_int(const ts_jvalue *obj, const char *key, int64_t *out) {
    const ts_jvalue *v = ts_json_get(obj, key);
    if (!v || v->type != TS_JNUMBER || !v->is_int) return 0;
    *out = v->u.num.integer;
    return 1;
}

const char *ts_json_get_string(const ts_jvalue *obj, const char *key) {
    const ts_jvalue *v = ts_json_get(obj, key);
    return v && v->type == TS_JSTRING ? v->u.str.text : NULL;
}

ts_status ts_json_write(ts_buf *out, const ts_jvalue *v) {
    ts_status s = TS_OK;
    switch (v->type) {
    case TS_JNULL: return ts_buf_puts(out, "null");
    case TS_JBOOL: return ts_buf_puts(out, v->u.boolean ? "true" : "false");
    case TS_JNUMBER: return v->is_int ? ts_buf_put_int(out, v->u.num.integer) : ts_buf_put_double(out, v->u.num.value);
    case TS_JSTRING: return put_string(out, v->u.str.text, v->u.str.len);
    case TS_JARRAY:
        if ((s = ts_buf_putc(out, '[')) != TS_OK) return s;
        for (size_t i = 0; i < v->u.arr.count; i++) {
            if (i && (s = ts_buf_putc(out, ',')) != TS_OK) return s;
            if ((s = ts_json_write(out, &v->u.arr.items[i])) != TS_OK) return s;
        }
        return ts_buf_putc(out, ']');
    case TS_JOBJECT:
        if ((s = ts_buf_putc(out, '{')) != TS_OK) return s;
        for (size_t i = 0; i < v->u.obj.count; i++) {
            if (i && (s = ts_buf_putc(out, ',')) != TS_OK) return s;
            if ((s = put_string(out, v->u.obj.keys[i], strlen(v->u.obj.keys[i]))) != TS_OK) return s;
            if ((s = ts_buf_putc(out, ':')) != TS_OK) return s;
            if ((s = ts_json_write(out, &v->u.obj.values[i])) != TS_OK) return s;
        }
        return ts_buf_putc(out, '}');
    }
    return s;
}
