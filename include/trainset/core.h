/* trainset core: status codes and error context, checked allocation, growable
 * buffers, string interning, counter-based RNG, thread pool, atomic output,
 * path safety and configurable limits. */
#ifndef TRAINSET_CORE_H
#define TRAINSET_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TS_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define TS_PRINTF(fmt_index, first_arg)
#endif

/* ---- status codes ------------------------------------------------------ */

typedef enum {
    TS_OK = 0,
    TS_ERR_NOMEM = -1,       /* allocation failed or size overflowed */
    TS_ERR_IO = -2,          /* a file could not be read or written */
    TS_ERR_PARSE = -3,       /* malformed input text (JSON, XML, CSV, ...) */
    TS_ERR_INVALID = -4,     /* well-formed input with wrong values or arguments */
    TS_ERR_LIMIT = -5,       /* input exceeds a configured limit */
    TS_ERR_UNSUPPORTED = -6, /* a feature or format that is not handled */
    TS_ERR_PATH = -7,        /* a path escapes its root or is otherwise unsafe */
    TS_ERR_NOT_FOUND = -8,   /* a referenced file, id or name does not exist */
    TS_ERR_CORRUPT = -9,     /* corrupt or truncated binary data (images, archives) */
    TS_ERR_CANCELLED = -10   /* the progress callback asked to stop */
} ts_status;

/* Short constant name of a status ("parse error", ...). Never NULL. */
const char *ts_status_name(ts_status status);

/* ---- context ----------------------------------------------------------- */

/* Limits applied to untrusted input. */
typedef struct {
    uint64_t max_pixels;     /* per image, width*height; default 2^28 */
    uint64_t max_file_bytes; /* largest file read whole; default 2^36 */
    uint32_t max_dimension;  /* largest width or height; default 1 << 20 */
} ts_limits;

/* Called for each warning (lenient-mode skips, dropped data on conversion). */
typedef void (*ts_warning_fn)(void *user, const char *message);

/* Called as long work advances; `total` is 0 when unknown. Returning non-zero
 * asks the work to stop with TS_ERR_CANCELLED. May be called from any thread,
 * but never concurrently: calls are serialised by the context. */
typedef int (*ts_progress_fn)(void *user, const char *stage, uint64_t done, uint64_t total);

/* A context carries the error message, limits, options and callbacks for
 * the calls made with it. Opaque. Errors may be set from several threads;
 * the first one set is kept until ts_ctx_clear_error. */
typedef struct ts_ctx ts_ctx;

ts_status ts_ctx_create(ts_ctx **out);
void ts_ctx_destroy(ts_ctx *ctx); /* accepts NULL */

/* The message of the first error set since the last clear, "" if none. */
const char *ts_ctx_error(const ts_ctx *ctx);
void ts_ctx_clear_error(ts_ctx *ctx);

ts_limits ts_ctx_limits(const ts_ctx *ctx);
void ts_ctx_set_limits(ts_ctx *ctx, const ts_limits *limits);

/* Lenient: readers turn per-record errors into warnings and go on. */
int ts_ctx_lenient(const ts_ctx *ctx);
void ts_ctx_set_lenient(ts_ctx *ctx, int lenient);

/* Allow annotation paths that are absolute or contain "..". */
int ts_ctx_allow_outside_root(const ts_ctx *ctx);
void ts_ctx_set_allow_outside_root(ts_ctx *ctx, int allow);

/* Worker threads for parallel work; 0 means all cores. */
int ts_ctx_threads(const ts_ctx *ctx);
void ts_ctx_set_threads(ts_ctx *ctx, int threads);

void ts_ctx_set_warning_fn(ts_ctx *ctx, ts_warning_fn fn, void *user);
void ts_ctx_set_progress_fn(ts_ctx *ctx, ts_progress_fn fn, void *user);

/* Number of warnings issued through this context. */
uint64_t ts_ctx_warning_count(const ts_ctx *ctx);

/* Set the context's error (if none is set yet) and return `status`, so the
 * point of detection reads `return ts_error(ctx, TS_ERR_PARSE, "...")`. */
ts_status ts_error(ts_ctx *ctx, ts_status status, const char *fmt, ...) TS_PRINTF(3, 4);
/* Same, prefixed "file:line:col: " (line/col 0 are left out). */
ts_status ts_error_at(ts_ctx *ctx, ts_status status, const char *file, uint64_t line, uint64_t col,
                      const char *fmt, ...) TS_PRINTF(6, 7);
/* Prefix the current error message with "prefix: " (adds outer context). */
void ts_error_prefix(ts_ctx *ctx, const char *fmt, ...) TS_PRINTF(2, 3);

/* Issue a warning through the callback and count it. Thread-safe. */
void ts_warn(ts_ctx *ctx, const char *fmt, ...) TS_PRINTF(2, 3);

/* Report progress; returns TS_ERR_CANCELLED (with an error set) if the
 * callback asked to stop, TS_OK otherwise. Thread-safe. */
ts_status ts_progress(ts_ctx *ctx, const char *stage, uint64_t done, uint64_t total);

/* ---- checked allocation -------------------------------------------------- */

/* a*b and a+b, returning 0 on overflow (out untouched), 1 otherwise. */
int ts_mul_size(size_t a, size_t b, size_t *out);
int ts_add_size(size_t a, size_t b, size_t *out);

/* malloc(n*size) / calloc / realloc with overflow checks; NULL on failure
 * (an error is set when ctx is not NULL). Free with free(). */
void *ts_alloc_array(ts_ctx *ctx, size_t n, size_t size);
void *ts_calloc_array(ts_ctx *ctx, size_t n, size_t size);
void *ts_realloc_array(ts_ctx *ctx, void *ptr, size_t n, size_t size);
char *ts_strdup(ts_ctx *ctx, const char *s);
char *ts_strndup(ts_ctx *ctx, const char *s, size_t n);

/* Grow *ptr (holding *cap elements of `size` bytes) to hold at least `need`
 * elements, doubling. Returns TS_OK or TS_ERR_NOMEM (error set). */
ts_status ts_grow(ts_ctx *ctx, void **ptr, size_t *cap, size_t need, size_t size);

/* ---- growable byte buffer ------------------------------------------------ */

typedef struct {
    char *data; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
} ts_buf;

void ts_buf_free(ts_buf *buf);
ts_status ts_buf_reserve(ts_buf *buf, size_t extra);
ts_status ts_buf_append(ts_buf *buf, const void *data, size_t len);
ts_status ts_buf_puts(ts_buf *buf, const char *s);
ts_status ts_buf_putc(ts_buf *buf, char c);
ts_status ts_buf_printf(ts_buf *buf, const char *fmt, ...) TS_PRINTF(2, 3);
ts_status ts_buf_vprintf(ts_buf *buf, const char *fmt, va_list ap);
/* Shortest decimal text that reads back as exactly `v` ("12", "0.5",
 * "239.97", "1e-07"); NaN and infinities are written as "null". */
ts_status ts_buf_put_double(ts_buf *buf, double v);
/* A JSON object member after others: ,"key": and v as ts_buf_put_double. */
ts_status ts_buf_put_json_field_double(ts_buf *buf, const char *key, double v);
ts_status ts_buf_put_int(ts_buf *buf, int64_t v);
/* A JSON string literal with quotes and escapes. */
ts_status ts_buf_put_json_string(ts_buf *buf, const char *s);
/* Format the shortest round-trip text of v into out (at least 32 bytes);
 * returns its length. */
size_t ts_format_double(char *out, double v);
/* Decimal text of v into out (at least 21 bytes, not NUL-terminated);
 * returns its length. */
size_t ts_format_int(char *out, int64_t v);
/* v with 12 fixed decimals, trailing zeros trimmed ("0.5", "0.123456789012"),
 * exact to 5e-13: enough for normalized coordinates to round-trip to 1e-6
 * px, and much faster than printf. Large or non-finite values fall back to
 * ts_format_double. */
size_t ts_format_fixed12(char *out, double v);

/* ---- string interning ---------------------------------------------------- */

/* Interned strings: each distinct string is stored once and named by a
 * uint32 id; id 0 is the empty string. Not thread-safe for writers. */
typedef struct ts_strpool ts_strpool;

ts_status ts_strpool_create(ts_strpool **out);
void ts_strpool_destroy(ts_strpool *pool);
/* Intern `len` bytes (need not be NUL-terminated). */
ts_status ts_strpool_intern(ts_strpool *pool, const char *s, size_t len, uint32_t *id);
/* The string of `id` (NUL-terminated, valid until the pool is destroyed). */
const char *ts_strpool_get(const ts_strpool *pool, uint32_t id);
/* Look up without inserting; returns 1 and sets *id when found. */
int ts_strpool_find(const ts_strpool *pool, const char *s, size_t len, uint32_t *id);
uint32_t ts_strpool_count(const ts_strpool *pool);
size_t ts_strpool_bytes(const ts_strpool *pool); /* memory held */

/* Sort n (key, index) pairs by key, stably (LSD radix sort on 16-bit
 * digits, O(n)); both arrays are permuted together. */
ts_status ts_sort_by_key(ts_ctx *ctx, uint64_t *keys, uint32_t *idx, size_t n);

/* Disjoint sets over a parent array (parent[i] == i for a root): the root
 * of x, halving the path; and the union of two sets, the smaller root
 * becoming the root (so a cluster's root is its first member). */
uint32_t ts_uf_find(uint32_t *parent, uint32_t x);
void ts_uf_union(uint32_t *parent, uint32_t a, uint32_t b);

/* 64-bit hash of bytes (xxHash3). */
uint64_t ts_hash_bytes(const void *data, size_t len, uint64_t seed);

/* ---- counter-based RNG ----------------------------------------------------- */

/* Every draw is a pure function of (seed, epoch, sample, op, draw number):
 * a stream made with ts_rng_for gives the same numbers whatever thread or
 * order it runs in. Small value type; copy freely. */
typedef struct {
    uint64_t key;
    uint64_t counter;
} ts_rng;

ts_rng ts_rng_for(uint64_t seed, uint64_t epoch, uint64_t sample, uint64_t op);
uint64_t ts_rng_u64(ts_rng *rng);
uint32_t ts_rng_u32(ts_rng *rng);
double ts_rng_uniform(ts_rng *rng);                     /* [0, 1) with 53 bits */
double ts_rng_range(ts_rng *rng, double lo, double hi); /* [lo, hi) */
uint64_t ts_rng_below(ts_rng *rng, uint64_t n);         /* [0, n), unbiased; 0 if n == 0 */
double ts_rng_normal(ts_rng *rng);                      /* standard normal */
int ts_rng_chance(ts_rng *rng, double p);               /* 1 with probability p */

/* ---- thread pool ------------------------------------------------------------ */

typedef struct ts_pool ts_pool;

/* `threads` workers (0 = all cores, 1 = run on the caller, no threads). */
ts_status ts_pool_create(ts_ctx *ctx, int threads, ts_pool **out);
void ts_pool_destroy(ts_pool *pool); /* accepts NULL */
int ts_pool_threads(const ts_pool *pool);

/* Calls fn(user, begin, end, worker) over [0, n) in chunks of `grain` items
 * (0 picks one), workers numbered 0..threads-1, and waits for all of them.
 * Results must depend on the indices, not on which worker ran them. Worker
 * w starts on the w-th contiguous share of the chunks and helps the others
 * when done, so jobs over the same n mostly give an item to the same
 * worker (and core) each time. */
typedef void (*ts_pool_fn)(void *user, size_t begin, size_t end, int worker);
void ts_pool_run(ts_pool *pool, size_t n, size_t grain, ts_pool_fn fn, void *user);

/* Number of online cores. */
int ts_cpu_count(void);

/* ---- files and atomic output ------------------------------------------------ */

/* Read a whole file (<= max_file_bytes). *data is NUL-terminated; free(). */
ts_status ts_file_read(ts_ctx *ctx, const char *path, uint8_t **data, size_t *len);
/* Read at most `max` bytes from the start of a file. */
ts_status ts_file_read_head(ts_ctx *ctx, const char *path, size_t max, uint8_t **data, size_t *len);
int ts_file_exists(const char *path); /* regular file */
int ts_dir_exists(const char *path);
/* Size in bytes, or -1. */
int64_t ts_file_size(const char *path);

/* Sorted names (not "." or "..") of a directory's entries; free each and the
 * array with ts_strings_free. */
ts_status ts_dir_list(ts_ctx *ctx, const char *dir, char ***names, size_t *count);
void ts_strings_free(char **strings, size_t count);
/* 1 when match(path, name, user) holds for some entry of `dir` (path is
 * dir/name), tried in sorted order until one does; 0 when none does or the
 * directory cannot be listed. */
int ts_dir_any(const char *dir, int (*match)(const char *path, const char *name, void *user), void *user);
/* Create a directory and its parents (mode 0777 & ~umask). */
ts_status ts_mkdirs(ts_ctx *ctx, const char *dir);
/* Remove a file or a whole directory tree (not following links). */
ts_status ts_remove_tree(ts_ctx *ctx, const char *path);

/* An output file written to a temporary name beside its target and renamed
 * over it on commit, so a reader sees the old file or the new, never half. */
typedef struct ts_atomic_file ts_atomic_file;

ts_status ts_atomic_open(ts_ctx *ctx, const char *path, ts_atomic_file **out);
FILE *ts_atomic_stream(ts_atomic_file *file);
/* Flush, fsync, rename over the target and free. On failure the temporary
 * is removed and the target untouched. */
ts_status ts_atomic_commit(ts_ctx *ctx, ts_atomic_file *file);
/* Remove the temporary and free; accepts NULL. */
void ts_atomic_abort(ts_atomic_file *file);
/* Write `len` bytes to `path` atomically, creating parent directories. */
ts_status ts_file_write_atomic(ts_ctx *ctx, const char *path, const void *data, size_t len);

/* Write a file inside a ts_atomic_dir's staging tree (parents created):
 * no temporary and no fsync per file, since the whole tree is synced once
 * when the directory is committed. Not for files outside such a tree. */
ts_status ts_file_write_staged(ts_ctx *ctx, const char *path, const void *data, size_t len);

/* An output directory built under a temporary name and swapped in whole on
 * commit (an existing directory of that name is replaced only then). */
typedef struct ts_atomic_dir ts_atomic_dir;

ts_status ts_atomic_dir_open(ts_ctx *ctx, const char *path, ts_atomic_dir **out);
/* Where to write the contents before commit. */
const char *ts_atomic_dir_path(const ts_atomic_dir *dir);
/* Sync the staged tree to disk (syncfs), then swap it in. */
ts_status ts_atomic_dir_commit(ts_ctx *ctx, ts_atomic_dir *dir);
void ts_atomic_dir_abort(ts_atomic_dir *dir); /* accepts NULL */

/* ---- paths ------------------------------------------------------------------------ */

/* Refuse a path taken from an annotation file that is absolute, has a ".."
 * component, a drive letter or a NUL, unless the context allows it.
 * `where` names the file for the message. */
ts_status ts_path_check_relative(ts_ctx *ctx, const char *path, const char *where);
/* "a" + "/" + "b" (b absolute: b); malloc'd, NULL on failure. */
char *ts_path_join(const char *a, const char *b);
/* Directory part ("." when none); malloc'd. */
char *ts_path_dirname(const char *path);
/* Last component, pointing into `path`. */
const char *ts_path_basename(const char *path);
/* Extension including the dot, pointing into `path`, or "" if none. */
const char *ts_path_ext(const char *path);
/* Case-insensitive ASCII comparisons. */
int ts_strcaseeq(const char *a, const char *b);
int ts_ends_with_nocase(const char *s, const char *suffix);
/* 1 when the two paths name the same existing file or directory. */
int ts_path_same_file(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
