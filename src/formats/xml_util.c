/* XML reading over expat into a small element tree, whole or one record at a
 * time, with DOCTYPE refused (no entity is ever expanded); strict number
 * parsing and escaped writing for the VOC and CVAT formats. */
#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/xml_internal.h"

/* ---- arena: nodes and strings of one document or record ---------------- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[]; /* aligned storage */
} chunk;

typedef struct {
    chunk *head;
} arena;

static void *arena_alloc(arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n < 16) n = 16;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        chunk *c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static char *arena_strndup(arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void arena_free(arena *a) {
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}

/* ---- parser state ------------------------------------------------------------ */

struct xml_doc {
    arena mem;
    xml_node *root;
};

typedef struct {
    ts_ctx *ctx;
    const char *file;
    XML_Parser parser;
    ts_status status;
    arena doc_mem;    /* the root element (and everything in tree mode) */
    arena record_mem; /* the current record in streaming mode */
    xml_node *root;
    xml_node *stack[XML_MAX_DEPTH];
    ts_buf text[XML_MAX_DEPTH];
    int depth;
    xml_record_fn fn; /* NULL: build the whole tree */
    void *user;
} parse_state;

static void stop(parse_state *st, ts_status s) {
    if (st->status == TS_OK) st->status = s;
    XML_StopParser(st->parser, XML_FALSE);
}

static void here(parse_state *st, uint64_t *line, uint64_t *col) {
    *line = XML_GetCurrentLineNumber(st->parser);
    *col = (uint64_t)XML_GetCurrentColumnNumber(st->parser) + 1;
}

static void XMLCALL on_start(void *user, const XML_Char *name, const XML_Char **atts) {
    parse_state *st = user;
    if (st->status != TS_OK) return;
    uint64_t line, col;
    here(st, &line, &col);
    if (st->depth >= XML_MAX_DEPTH) {
        stop(st, ts_error_at(st->ctx, TS_ERR_LIMIT, st->file, line, col, "elements nested deeper than %d",
                             XML_MAX_DEPTH));
        return;
    }
    arena *a = (st->fn && st->depth > 0) ? &st->record_mem : &st->doc_mem;
    xml_node *n = arena_alloc(a, sizeof *n);
    if (!n) goto nomem;
    memset(n, 0, sizeof *n);
    n->line = line;
    n->col = col;
    if (!(n->name = arena_strndup(a, name, strlen(name)))) goto nomem;
    uint32_t count = 0;
    while (atts[2 * count]) count++;
    n->n_attrs = count;
    n->attrs = arena_alloc(a, (2 * (size_t)count + 1) * sizeof *n->attrs);
    if (!n->attrs) goto nomem;
    for (uint32_t i = 0; i < 2 * count; i++)
        if (!(n->attrs[i] = arena_strndup(a, atts[i], strlen(atts[i])))) goto nomem;
    n->attrs[2 * count] = NULL;
    n->text = "";
    if (st->depth > 0) {
        xml_node *parent = st->stack[st->depth - 1];
        /* In streaming mode the root keeps no children: records are freed. */
        if (!(st->fn && st->depth == 1)) {
            n->parent = parent;
            if (parent->last_child)
                parent->last_child->next = n;
            else
                parent->first_child = n;
            parent->last_child = n;
        }
    } else {
        st->root = n;
    }
    st->stack[st->depth] = n;
    st->text[st->depth].len = 0;
    st->depth++;
    return;
nomem:
    stop(st, ts_error(st->ctx, TS_ERR_NOMEM, "%s: out of memory reading XML", st->file));
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void XMLCALL on_end(void *user, const XML_Char *name) {
    parse_state *st = user;
    (void)name;
    if (st->status != TS_OK || st->depth == 0) return;
    st->depth--;
    xml_node *n = st->stack[st->depth];
    ts_buf *t = &st->text[st->depth];
    if (t->len) {
        size_t b = 0, e = t->len;
        while (b < e && is_space(t->data[b])) b++;
        while (e > b && is_space(t->data[e - 1])) e--;
        arena *a = (st->fn && st->depth > 0) ? &st->record_mem : &st->doc_mem;
        char *s = arena_strndup(a, t->data + b, e - b);
        if (!s) {
            stop(st, ts_error(st->ctx, TS_ERR_NOMEM, "%s: out of memory reading XML", st->file));
            return;
        }
        n->text = s;
        n->text_len = e - b;
    }
    if (st->fn && st->depth == 1) {
        ts_status s = st->fn(st->user, st->root, n);
        arena_free(&st->record_mem);
        if (s != TS_OK) stop(st, s);
    }
}

static void XMLCALL on_text(void *user, const XML_Char *s, int len) {
    parse_state *st = user;
    if (st->status != TS_OK || st->depth == 0 || len <= 0) return;
    ts_buf *t = &st->text[st->depth - 1];
    /* Whitespace between a record's children is not worth keeping. */
    if (t->len == 0) {
        int i = 0;
        while (i < len && is_space(s[i])) i++;
        if (i == len) return;
    }
    if (ts_buf_append(t, s, (size_t)len) != TS_OK)
        stop(st, ts_error(st->ctx, TS_ERR_NOMEM, "%s: out of memory reading XML", st->file));
}

static void XMLCALL on_doctype(void *user, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset) {
    parse_state *st = user;
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    uint64_t line, col;
    here(st, &line, &col);
    stop(st, ts_error_at(st->ctx, TS_ERR_PARSE, st->file, line, col,
                         "DOCTYPE declarations are refused (entities are never expanded)"));
}

static void XMLCALL on_entity(void *user, const XML_Char *name, int is_param, const XML_Char *value, int len,
                              const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
                              const XML_Char *notation) {
    parse_state *st = user;
    (void)is_param, (void)value, (void)len, (void)base, (void)sysid, (void)pubid, (void)notation;
    uint64_t line, col;
    here(st, &line, &col);
    stop(st, ts_error_at(st->ctx, TS_ERR_PARSE, st->file, line, col, "entity declaration \"%s\" refused", name));
}

static ts_status state_init(parse_state *st, ts_ctx *ctx, const char *file, xml_record_fn fn, void *user) {
    memset(st, 0, sizeof *st);
    st->ctx = ctx;
    st->file = file;
    st->fn = fn;
    st->user = user;
    st->parser = XML_ParserCreate(NULL);
    if (!st->parser) return ts_error(ctx, TS_ERR_NOMEM, "%s: cannot create XML parser", file);
    XML_SetUserData(st->parser, st);
    XML_SetElementHandler(st->parser, on_start, on_end);
    XML_SetCharacterDataHandler(st->parser, on_text);
    XML_SetStartDoctypeDeclHandler(st->parser, on_doctype);
    XML_SetEntityDeclHandler(st->parser, on_entity);
    XML_SetParamEntityParsing(st->parser, XML_PARAM_ENTITY_PARSING_NEVER);
    return TS_OK;
}

static void state_free(parse_state *st, int keep_doc) {
    if (st->parser) XML_ParserFree(st->parser);
    for (int i = 0; i < XML_MAX_DEPTH; i++) ts_buf_free(&st->text[i]);
    arena_free(&st->record_mem);
    if (!keep_doc) arena_free(&st->doc_mem);
}

/* Feed one piece; `last` marks the end of input. */
static ts_status feed(parse_state *st, const char *data, size_t len, int last) {
    while (st->status == TS_OK) {
        int piece = len > (1u << 30) ? (1 << 30) : (int)len;
        int final = last && (size_t)piece == len;
        if (XML_Parse(st->parser, data, piece, final) == XML_STATUS_ERROR) {
            if (st->status != TS_OK) return st->status;
            enum XML_Error code = XML_GetErrorCode(st->parser);
            return st->status = ts_error_at(st->ctx, TS_ERR_PARSE, st->file, XML_GetCurrentLineNumber(st->parser),
                                            (uint64_t)XML_GetCurrentColumnNumber(st->parser) + 1,
                                            "malformed XML: %s", XML_ErrorString(code));
        }
        data += piece;
        len -= (size_t)piece;
        if (len == 0) break;
    }
    return st->status;
}

ts_status xml_parse_doc(ts_ctx *ctx, const char *file, const void *data, size_t len, xml_doc **out) {
    parse_state st;
    ts_status s = state_init(&st, ctx, file, NULL, NULL);
    if (s != TS_OK) return s;
    s = feed(&st, data, len, 1);
    if (s == TS_OK && !st.root) s = ts_error_at(ctx, TS_ERR_PARSE, file, 1, 1, "no XML element found");
    xml_doc *doc = NULL;
    if (s == TS_OK && !(doc = malloc(sizeof *doc))) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    if (s != TS_OK) {
        state_free(&st, 0);
        return s;
    }
    doc->mem = st.doc_mem;
    doc->root = st.root;
    state_free(&st, 1);
    *out = doc;
    return TS_OK;
}

ts_status xml_parse_file(ts_ctx *ctx, const char *path, const char *file, xml_doc **out) {
    uint8_t *data = NULL;
    size_t len = 0;
    ts_status s = ts_file_read(ctx, path, &data, &len);
    if (s != TS_OK) return s;
    s = xml_parse_doc(ctx, file, data, len, out);
    free(data);
    return s;
}

const xml_node *xml_doc_root(const xml_doc *doc) { return doc->root; }

void xml_doc_free(xml_doc *doc) {
    if (!doc) return;
    arena_free(&doc->mem);
    free(doc);
}

static ts_status stream_finish(parse_state *st, ts_status s) {
    if (s == TS_OK && !st->root) s = ts_error_at(st->ctx, TS_ERR_PARSE, st->file, 1, 1, "no XML element found");
    state_free(st, 0);
    return s;
}

ts_status xml_stream_buffer(ts_ctx *ctx, const char *file, const void *data, size_t len, xml_record_fn fn,
                            void *user) {
    parse_state st;
    ts_status s = state_init(&st, ctx, file, fn, user);
    if (s != TS_OK) return s;
    return stream_finish(&st, feed(&st, data, len, 1));
}

ts_status xml_stream_file(ts_ctx *ctx, const char *path, const char *file, xml_record_fn fn, void *user) {
    FILE *f = fopen(path, "rb");
    if (!f) return ts_error(ctx, TS_ERR_IO, "%s: cannot open: %s", file, strerror(errno));
    parse_state st;
    ts_status s = state_init(&st, ctx, file, fn, user);
    if (s != TS_OK) {
        fclose(f);
        return s;
    }
    char *buf = malloc(1 << 16);
    if (!buf) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    while (s == TS_OK) {
        size_t n = fread(buf, 1, 1 << 16, f);
        if (n == 0 && ferror(f)) {
            s = ts_error(ctx, TS_ERR_IO, "%s: read error: %s", file, strerror(errno));
            break;
        }
        s = feed(&st, buf, n, n == 0);
        if (n == 0) break;
    }
    free(buf);
    fclose(f);
    return stream_finish(&st, s);
}

/* ---- tree access ------------------------------------------------------------------ */

const char *xml_attr(const xml_node *node, const char *name) {
    for (uint32_t i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[2 * i], name) == 0) return node->attrs[2 * i + 1];
    return NULL;
}

const xml_node *xml_child(const xml_node *node, const char *name) {
    for (const xml_node *c = node->first_child; c; c = c->next)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

const xml_node *xml_next(const xml_node *node, const char *name) {
    for (const xml_node *c = node->next; c; c = c->next)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

const char *xml_child_text(const xml_node *node, const char *name) {
    const xml_node *c = xml_child(node, name);
    return c ? c->text : NULL;
}

/* ---- values ---------------------------------------------------------------------------- */

int xml_scan_double(const char *text, double *out) {
    const char *p = text;
    while (is_space(*p)) p++;
    const char *start = p;
    if (*p == '+' || *p == '-') p++;
    int digits = 0;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return 0;
        while (isdigit((unsigned char)*p)) p++;
    }
    const char *end = p;
    while (is_space(*p)) p++;
    if (*p) return 0;
    /* strtod on a copy: the text may continue with other characters. */
    char tmp[64];
    size_t n = (size_t)(end - start);
    double v;
    if (n < sizeof tmp) {
        memcpy(tmp, start, n);
        tmp[n] = 0;
        v = strtod(tmp, NULL);
    } else {
        char *big = strndup(start, n);
        if (!big) return 0;
        v = strtod(big, NULL);
        free(big);
    }
    if (!isfinite(v)) return 0;
    *out = v;
    return 1;
}

int xml_scan_bool(const char *text, int *out) {
    static const char *const yes[] = {"1", "true", "yes", "1.0"};
    static const char *const no[] = {"0", "false", "no", "0.0"};
    size_t b = 0, e = strlen(text);
    while (b < e && is_space(text[b])) b++;
    while (e > b && is_space(text[e - 1])) e--;
    for (size_t i = 0; i < 4; i++) {
        if (strlen(yes[i]) == e - b && strncasecmp(text + b, yes[i], e - b) == 0) return *out = 1, 1;
        if (strlen(no[i]) == e - b && strncasecmp(text + b, no[i], e - b) == 0) return *out = 0, 1;
    }
    return 0;
}

ts_status xml_error(ts_ctx *ctx, ts_status status, const char *file, const xml_node *at, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_error_at(ctx, status, file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

/* A short printable excerpt of untrusted text for messages. */
static void excerpt(const char *text, char out[48]) {
    size_t n = 0;
    for (const char *p = text; *p && n < 40; p++) out[n++] = (*p >= 32 && *p < 127) ? *p : '?';
    if (strlen(text) > 40) out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = 0;
}

ts_status xml_number(ts_ctx *ctx, const char *file, const xml_node *at, const char *what, const char *text,
                     double *out) {
    if (!text) return xml_error(ctx, TS_ERR_INVALID, file, at, "missing %s", what);
    if (xml_scan_double(text, out)) return TS_OK;
    char ex[48];
    excerpt(text, ex);
    return xml_error(ctx, TS_ERR_INVALID, file, at, "expected a finite number for %s, found \"%s\"", what, ex);
}

ts_status xml_bool(ts_ctx *ctx, const char *file, const xml_node *at, const char *what, const char *text,
                   int *out) {
    if (!text) return xml_error(ctx, TS_ERR_INVALID, file, at, "missing %s", what);
    if (xml_scan_bool(text, out)) return TS_OK;
    char ex[48];
    excerpt(text, ex);
    return xml_error(ctx, TS_ERR_INVALID, file, at, "expected 0/1 or true/false for %s, found \"%s\"", what, ex);
}

ts_status xml_int(ts_ctx *ctx, const char *file, const xml_node *at, const char *what, const char *text,
                  int64_t lo, int64_t hi, int64_t *out) {
    double v;
    ts_status s = xml_number(ctx, file, at, what, text, &v);
    if (s != TS_OK) return s;
    if (v != floor(v) || v < (double)lo || v > (double)hi) {
        char ex[48];
        excerpt(text, ex);
        return xml_error(ctx, TS_ERR_INVALID, file, at, "expected an integer in [%lld, %lld] for %s, found \"%s\"",
                         (long long)lo, (long long)hi, what, ex);
    }
    *out = (int64_t)v;
    return TS_OK;
}

/* ---- writing ---------------------------------------------------------------------------- */

ts_status xml_put_escaped(ts_buf *buf, const char *s, int attr) {
    ts_status st = TS_OK;
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        const char *rep = NULL;
        int special = 1;
        switch (c) {
        case 0: special = 1; break;
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = attr ? "&quot;" : NULL, special = attr; break;
        case '\n': rep = attr ? "&#10;" : NULL, special = attr; break;
        case '\t': rep = attr ? "&#9;" : NULL, special = attr; break;
        case '\r': rep = "&#13;"; break;
        default: special = c < 32; break; /* dropped: XML 1.0 cannot hold it */
        }
        if (!special) continue;
        if (p > run && (st = ts_buf_append(buf, run, (size_t)(p - run))) != TS_OK) return st;
        if (c == 0) break;
        if (rep && (st = ts_buf_puts(buf, rep)) != TS_OK) return st;
        run = p + 1;
    }
    return st;
}

static ts_status indent_to(ts_buf *buf, int indent) {
    for (int i = 0; i < indent; i++)
        if (ts_buf_putc(buf, ' ') != TS_OK) return TS_ERR_NOMEM;
    return TS_OK;
}

ts_status xml_put_element(ts_buf *buf, int indent, const char *name, const char *text) {
    if (indent_to(buf, indent) != TS_OK || ts_buf_printf(buf, "<%s>", name) != TS_OK ||
        xml_put_escaped(buf, text, 0) != TS_OK || ts_buf_printf(buf, "</%s>\n", name) != TS_OK)
        return TS_ERR_NOMEM;
    return TS_OK;
}

ts_status xml_put_element_double(ts_buf *buf, int indent, const char *name, double v) {
    if (indent_to(buf, indent) != TS_OK || ts_buf_printf(buf, "<%s>", name) != TS_OK ||
        ts_buf_put_double(buf, v) != TS_OK || ts_buf_printf(buf, "</%s>\n", name) != TS_OK)
        return TS_ERR_NOMEM;
    return TS_OK;
}

/* ---- detection -------------------------------------------------------------------------- */

int xml_sniff_root(const char *path, const char *name) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[4096];
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = 0;
    const char *p = head;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    for (;;) {
        while (is_space(*p)) p++;
        if (strncmp(p, "<?", 2) == 0) {
            const char *e = strstr(p, "?>");
            if (!e) return 0;
            p = e + 2;
        } else if (strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p, "-->");
            if (!e) return 0;
            p = e + 3;
        } else {
            break;
        }
    }
    size_t len = strlen(name);
    if (p[0] != '<' || strncmp(p + 1, name, len) != 0) return 0;
    char c = p[1 + len];
    return c == '>' || c == '/' || is_space(c);
}
