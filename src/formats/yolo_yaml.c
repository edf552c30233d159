/* The YAML subset of YOLO dataset files (data.yaml): top-level keys with
 * scalars, flow or block lists and maps. Not a YAML implementation: anchors,
 * multi-line scalars and nested structures below the first level are
 * skipped, which is all Ultralytics' and Roboflow's exports use. */
#include <stdlib.h>
#include <string.h>

#include "formats/csv_internal.h"
#include "formats/yolo_internal.h"

int ts_is_image_name(const char *name) {
    const char *ext = ts_path_ext(name);
    return ts_strcaseeq(ext, ".jpg") || ts_strcaseeq(ext, ".jpeg") || ts_strcaseeq(ext, ".png") ||
           ts_strcaseeq(ext, ".webp");
}

typedef struct {
    ts_ctx *ctx;
    const char *name;
    ts_yaml_doc *doc;
    ts_yaml_entry *cur; /* key whose block (list or map) is being read */
    size_t item_indent; /* indent of cur's last block map item */
} yaml_state;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Length of the line's content once a comment (" #" outside quotes) is cut. */
static size_t cut_comment(const char *s, size_t n) {
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (quote) {
            if (quote == '"' && c == '\\') i++; /* "a\"b" */
            else if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '#' && (i == 0 || is_blank(s[i - 1]))) {
            return i;
        }
    }
    return n;
}

static void trim(const char **s, size_t *n) {
    while (*n && is_blank(**s)) (*s)++, (*n)--;
    while (*n && (is_blank((*s)[*n - 1]) || (*s)[*n - 1] == '\r')) (*n)--;
}

/* A scalar, unquoted: 'it''s' and "a\"b" forms, or plain text. */
static char *scalar(ts_ctx *ctx, const char *s, size_t n) {
    trim(&s, &n);
    char *out = malloc(n + 1);
    if (!out) {
        ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t k = 0;
    if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') {
        for (size_t i = 1; i + 1 < n; i++) {
            out[k++] = s[i];
            if (s[i] == '\'' && i + 2 < n && s[i + 1] == '\'') i++;
        }
    } else if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        for (size_t i = 1; i + 1 < n; i++) {
            char c = s[i];
            if (c == '\\' && i + 2 < n) {
                c = s[++i];
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            }
            out[k++] = c;
        }
    } else {
        memcpy(out, s, n);
        k = n;
    }
    out[k] = 0;
    return out;
}

/* Append `v` (taken: freed on failure) to an array of `count` strings. */
static ts_status push_value(ts_ctx *ctx, char ***values, size_t count, char *v) {
    char **vals = realloc(*values, (count + 1) * sizeof *vals);
    if (!vals) {
        free(v);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    vals[count] = v;
    *values = vals;
    return TS_OK;
}

static ts_status add_item(yaml_state *st, ts_yaml_entry *e, const char *s, size_t n, int64_t index) {
    int64_t *idx = realloc(e->index, (e->count + 1) * sizeof *idx);
    if (idx) e->index = idx;
    ts_yaml_list *lists = realloc(e->lists, (e->count + 1) * sizeof *lists);
    if (lists) e->lists = lists;
    if (!idx || !lists) return ts_error(st->ctx, TS_ERR_NOMEM, "out of memory");
    char *v = scalar(st->ctx, s, n);
    ts_status status = v ? push_value(st->ctx, &e->values, e->count, v) : TS_ERR_NOMEM;
    if (status != TS_OK) return status;
    e->index[e->count] = index;
    e->lists[e->count] = (ts_yaml_list){NULL, 0};
    e->count++;
    return TS_OK;
}

/* An item of the list under a map item. */
static ts_status add_nested_item(yaml_state *st, ts_yaml_list *l, const char *s, size_t n) {
    char *v = scalar(st->ctx, s, n);
    ts_status status = v ? push_value(st->ctx, &l->values, l->count, v) : TS_ERR_NOMEM;
    if (status == TS_OK) l->count++;
    return status;
}

enum { FLOW_LIST, FLOW_MAP, FLOW_NESTED };

static ts_status flow_items(yaml_state *st, ts_yaml_entry *e, const char *s, size_t n, int mode);

/* "k: v" as a map item of `e`; a flow list value `[a, b]` is also kept as
 * the item's nested list. */
static ts_status add_map_item(yaml_state *st, ts_yaml_entry *e, const char *s, size_t n) {
    const char *colon = memchr(s, ':', n);
    if (!colon) return TS_OK; /* not a map item: ignored */
    int64_t key;
    const char *k = s;
    size_t kn = (size_t)(colon - s);
    trim(&k, &kn);
    if (kn >= 2 && (k[0] == '\'' || k[0] == '"') && k[kn - 1] == k[0]) k++, kn -= 2;
    if (!ts_parse_int_span(k, kn, &key)) key = -1;
    e->is_map = 1;
    const char *v = colon + 1;
    size_t vn = (size_t)(s + n - v);
    trim(&v, &vn);
    ts_status status = add_item(st, e, v, vn, key);
    if (status == TS_OK && vn >= 2 && v[0] == '[' && v[vn - 1] == ']')
        status = flow_items(st, e, v + 1, vn - 2, FLOW_NESTED);
    return status;
}

/* Items of a flow list or map between the brackets, split at commas
 * outside quotes and inner brackets. FLOW_NESTED items go to the list of
 * e's last map item. */
static ts_status flow_items(yaml_state *st, ts_yaml_entry *e, const char *s, size_t n, int mode) {
    size_t start = 0;
    char quote = 0;
    int depth = 0;
    int64_t pos = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : ',';
        if (quote) {
            if (quote == '"' && c == '\\') i++;
            else if (c == quote) quote = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            continue;
        }
        if (c == '[' || c == '{') depth++;
        if ((c == ']' || c == '}') && depth > 0) depth--;
        if (c != ',' || (depth > 0 && i < n)) continue;
        const char *item = s + start;
        size_t len = i - start;
        trim(&item, &len);
        start = i + 1;
        if (!len) continue;
        ts_status st_ = mode == FLOW_MAP      ? add_map_item(st, e, item, len)
                        : mode == FLOW_NESTED ? add_nested_item(st, &e->lists[e->count - 1], item, len)
                                              : add_item(st, e, item, len, pos++);
        if (st_ != TS_OK) return st_;
    }
    return TS_OK;
}

static ts_status new_entry(yaml_state *st, const char *key, size_t kn, uint32_t line, ts_yaml_entry **out) {
    ts_yaml_doc *d = st->doc;
    ts_yaml_entry *es = realloc(d->entries, (d->count + 1) * sizeof *es);
    if (!es) return ts_error(st->ctx, TS_ERR_NOMEM, "out of memory");
    d->entries = es;
    ts_yaml_entry *e = &es[d->count];
    memset(e, 0, sizeof *e);
    e->key = scalar(st->ctx, key, kn);
    if (!e->key) return TS_ERR_NOMEM;
    e->line = line;
    d->count++;
    *out = e;
    return TS_OK;
}

ts_status ts_yaml_parse(ts_ctx *ctx, const char *name, const char *text, size_t len, ts_yaml_doc *out) {
    ts_yaml_doc doc = {NULL, 0};
    yaml_state st = {ctx, name, &doc, NULL, 0};
    ts_buf flow = {0};
    ts_yaml_entry *flow_entry = NULL;
    char flow_close = 0;
    uint32_t line = 0;
    ts_status s = TS_OK;
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    while (pos < len && s == TS_OK) {
        const char *l = text + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + 1;
        line++;
        if (memchr(l, 0, n)) {
            s = ts_error_at(ctx, TS_ERR_PARSE, name, line, 0, "NUL byte in text");
            break;
        }
        n = cut_comment(l, n);
        size_t indent = 0;
        while (indent < n && l[indent] == ' ') indent++;
        const char *c = l + indent;
        size_t cn = n - indent;
        trim(&c, &cn);
        if (flow_entry) { /* a flow collection continued over lines */
            s = ts_buf_append(&flow, " ", 1);
            if (s == TS_OK) s = ts_buf_append(&flow, c, cn);
            if (s == TS_OK && cn && c[cn - 1] == flow_close) {
                s = flow_items(&st, flow_entry, flow.data, flow.len - 1, flow_close == '}' ? FLOW_MAP : FLOW_LIST);
                flow_entry = NULL;
                flow.len = 0;
            }
            continue;
        }
        if (cn == 0 || (cn >= 3 && memcmp(c, "---", 3) == 0)) continue;
        if (c[0] == '-' && (cn == 1 || is_blank(c[1]))) {
            /* Block list item (also at indent 0, as Roboflow writes it), or
             * an item of the list under a map item "  0:" with no value. */
            if (st.cur && !st.cur->is_map)
                s = add_item(&st, st.cur, c + 1, cn - 1, (int64_t)st.cur->count);
            else if (st.cur && st.cur->count && indent > st.item_indent && !st.cur->values[st.cur->count - 1][0])
                s = add_nested_item(&st, &st.cur->lists[st.cur->count - 1], c + 1, cn - 1);
            continue;
        }
        if (indent > 0) {
            if (st.cur) s = add_map_item(&st, st.cur, c, cn);
            st.item_indent = indent;
            continue;
        }
        /* key: value */
        const char *colon = NULL;
        for (size_t i = 0; i < cn; i++)
            if (c[i] == ':' && (i + 1 == cn || is_blank(c[i + 1]))) {
                colon = c + i;
                break;
            }
        if (!colon) {
            s = ts_error_at(ctx, TS_ERR_PARSE, name, line, indent + 1, "expected \"key: value\"");
            break;
        }
        ts_yaml_entry *e = NULL;
        if ((s = new_entry(&st, c, (size_t)(colon - c), line, &e)) != TS_OK) break;
        const char *v = colon + 1;
        size_t vn = (size_t)(c + cn - v);
        trim(&v, &vn);
        st.cur = NULL;
        if (vn == 0) {
            st.cur = e; /* a block list or map follows */
        } else if (v[0] == '[' || v[0] == '{') {
            char close = v[0] == '[' ? ']' : '}';
            if (v[vn - 1] == close) {
                s = flow_items(&st, e, v + 1, vn - 2, close == '}' ? FLOW_MAP : FLOW_LIST);
            } else {
                flow_entry = e;
                flow_close = close;
                flow.len = 0;
                s = ts_buf_append(&flow, v + 1, vn - 1);
            }
            e->is_map = close == '}';
        } else {
            e->is_scalar = 1;
            s = add_item(&st, e, v, vn, 0);
        }
    }
    if (s == TS_OK && flow_entry)
        s = ts_error_at(ctx, TS_ERR_PARSE, name, flow_entry->line, 0, "list or map of \"%s\" is never closed",
                        flow_entry->key);
    ts_buf_free(&flow);
    if (s != TS_OK) {
        ts_yaml_free(&doc);
        return s;
    }
    *out = doc;
    return TS_OK;
}

void ts_yaml_free(ts_yaml_doc *doc) {
    for (size_t i = 0; i < doc->count; i++) {
        ts_yaml_entry *e = &doc->entries[i];
        free(e->key);
        for (size_t k = 0; k < e->count; k++) {
            free(e->values[k]);
            ts_strings_free(e->lists[k].values, e->lists[k].count);
        }
        free(e->values);
        free(e->index);
        free(e->lists);
    }
    free(doc->entries);
    doc->entries = NULL;
    doc->count = 0;
}

const ts_yaml_entry *ts_yaml_get(const ts_yaml_doc *doc, const char *key) {
    for (size_t i = 0; i < doc->count; i++)
        if (strcmp(doc->entries[i].key, key) == 0) return &doc->entries[i];
    return NULL;
}

ts_status ts_yaml_put_string(ts_buf *b, const char *s) {
    ts_status st = ts_buf_putc(b, '"');
    for (; *s && st == TS_OK; s++) {
        if (*s == '"' || *s == '\\') st = ts_buf_putc(b, '\\');
        if (st == TS_OK) st = *s == '\n' ? ts_buf_puts(b, "\\n") : ts_buf_putc(b, *s);
    }
    return st == TS_OK ? ts_buf_putc(b, '"') : st;
}
