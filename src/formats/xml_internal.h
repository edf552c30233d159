/* XML helpers shared by the VOC and CVAT formats: an expat-backed element
 * tree (whole documents, or one record at a time for large files) with
 * positions, strict number parsing and escaped output. */
#ifndef TS_XML_INTERNAL_H
#define TS_XML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "trainset/core.h"

/* One element. Strings are NUL-terminated and owned by the document (or,
 * in streaming mode, by the record being delivered). `text` is the
 * character data directly inside the element with leading and trailing
 * whitespace removed ("" when none). Positions are 1-based. */
typedef struct xml_node xml_node;
struct xml_node {
    const char *name;
    const char **attrs; /* name, value, name, value, ... */
    uint32_t n_attrs;   /* number of pairs */
    const char *text;
    size_t text_len;
    xml_node *parent, *first_child, *last_child, *next;
    uint64_t line, col;
};

typedef struct xml_doc xml_doc;

/* Nesting deeper than this is refused (a malicious file cannot grow the
 * element stack without bound). */
#define XML_MAX_DEPTH 256

/* Parse a whole document held in memory. `file` names it in messages.
 * A DOCTYPE (and with it every entity declaration) is refused, so
 * entities are never expanded. Errors are TS_ERR_PARSE with
 * "file:line:col: ...". */
ts_status xml_parse_doc(ts_ctx *ctx, const char *file, const void *data, size_t len, xml_doc **out);
/* Read and parse a file (up to the context's max_file_bytes). */
ts_status xml_parse_file(ts_ctx *ctx, const char *path, const char *file, xml_doc **out);
const xml_node *xml_doc_root(const xml_doc *doc);
void xml_doc_free(xml_doc *doc); /* accepts NULL */

/* Streaming: each child element of the root is built whole and passed to
 * `fn` with the root (its attributes, no children), then freed, so memory
 * is bounded by the largest record. A non-OK return from `fn` stops the
 * parse and is returned. */
typedef ts_status (*xml_record_fn)(void *user, const xml_node *root, const xml_node *record);
ts_status xml_stream_file(ts_ctx *ctx, const char *path, const char *file, xml_record_fn fn, void *user);
ts_status xml_stream_buffer(ts_ctx *ctx, const char *file, const void *data, size_t len, xml_record_fn fn,
                            void *user);

/* Attribute value, or NULL. */
const char *xml_attr(const xml_node *node, const char *name);
/* First child element called `name`, or NULL. */
const xml_node *xml_child(const xml_node *node, const char *name);
/* Next sibling called `name` after `node`, or NULL. */
const xml_node *xml_next(const xml_node *node, const char *name);
/* Text of the first child called `name`, or NULL when there is none. */
const char *xml_child_text(const xml_node *node, const char *name);

/* Strict decimal number ("12", "-3.5", "1e3"; no hex, NaN or infinity,
 * surrounding whitespace allowed). Returns 1 and sets *out when valid. */
int xml_scan_double(const char *text, double *out);
/* 0/1, true/false, yes/no (any case), also "0.0"/"1.0". */
int xml_scan_bool(const char *text, int *out);

/* The same, failing with "file:line:col: expected a number for WHAT, found
 * "TEXT"" located at `at`. TS_ERR_INVALID. */
ts_status xml_number(ts_ctx *ctx, const char *file, const xml_node *at, const char *what, const char *text,
                     double *out);
ts_status xml_bool(ts_ctx *ctx, const char *file, const xml_node *at, const char *what, const char *text,
                   int *out);
/* An integer-valued number in [lo, hi]. */
ts_status xml_int(ts_ctx *ctx, const char *file, const xml_node *at, const char *what, const char *text,
                  int64_t lo, int64_t hi, int64_t *out);
/* Set an error located at `at`. */
ts_status xml_error(ts_ctx *ctx, ts_status status, const char *file, const xml_node *at, const char *fmt, ...)
    TS_PRINTF(5, 6);

/* Append `s` escaped for element text (attr = 0) or a double-quoted
 * attribute value (attr = 1). Characters XML 1.0 cannot hold (control
 * bytes other than tab, newline, carriage return) are dropped. */
ts_status xml_put_escaped(ts_buf *buf, const char *s, int attr);
/* <name>escaped text</name> on its own line, indented by `indent` spaces. */
ts_status xml_put_element(ts_buf *buf, int indent, const char *name, const char *text);
ts_status xml_put_element_double(ts_buf *buf, int indent, const char *name, double v);

/* 1 when the file's first element (after the declaration and comments,
 * within the first 4 KiB) is <name>. For format detection; never fails. */
int xml_sniff_root(const char *path, const char *name);

#endif
