/* Filter expressions (`--where`): a small recursive-descent parser into a
 * node array, evaluated per image or per annotation, and the filter that
 * copies the matching part of a dataset. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trainset/ops.h"

typedef enum { N_AND, N_OR, N_NOT, N_CMP } node_kind;
typedef enum { OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op; /* != is not(==) */

typedef enum {
    /* image fields */
    F_SPLIT, F_PATH, F_SOURCE, F_ID, F_WIDTH, F_HEIGHT, F_AREA, F_LICENSE, F_GROUP, F_ANNS, F_BOXES, F_ATTR,
    /* annotation fields */
    F_CLASS, F_SUPERCAT, F_KIND, F_BOX_W, F_BOX_H, F_BOX_AREA, F_ISCROWD, F_SCORE, F_ANNOTATOR, F_ANN_ATTR
} field_id;

static const struct {
    const char *name;
    field_id id;
    int text; /* compared as text (1), number (0), or either (2) */
} fields[] = {{"split", F_SPLIT, 1},       {"path", F_PATH, 1},         {"source", F_SOURCE, 1},
              {"id", F_ID, 0},             {"width", F_WIDTH, 0},       {"height", F_HEIGHT, 0},
              {"area", F_AREA, 0},         {"license", F_LICENSE, 0},   {"group", F_GROUP, 0},
              {"annotations", F_ANNS, 0},  {"boxes", F_BOXES, 0},       {"class", F_CLASS, 2},
              {"category", F_CLASS, 2},    {"supercategory", F_SUPERCAT, 1}, {"kind", F_KIND, 1},
              {"box_width", F_BOX_W, 0},   {"box_height", F_BOX_H, 0},  {"box_area", F_BOX_AREA, 0},
              {"iscrowd", F_ISCROWD, 0},   {"score", F_SCORE, 0},       {"annotator", F_ANNOTATOR, 1}};

typedef struct {
    int is_num;
    double num;
    char *text; /* strings, and the text of numbers and booleans */
} value;

typedef struct {
    node_kind kind;
    int a, b; /* children (AND/OR: both, NOT: a) */
    field_id field;
    char *attr; /* F_ATTR / F_ANN_ATTR key */
    cmp_op op;
    value *vals; /* == compares against any of them (`in`) */
    size_t n_vals;
} node;

struct ts_filter {
    node *nodes;
    size_t n, cap;
    int root;
    int uses_annotations;
};

/* ---- tokens ------------------------------------------------------------------ */

typedef enum { T_END, T_IDENT, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_AND, T_OR, T_NOT, T_IN } tok_kind;

typedef struct {
    ts_ctx *ctx;
    const char *src;
    size_t pos;
    tok_kind tok;
    size_t start; /* column - 1 of the token */
    ts_buf text;
    double num;
    ts_filter *f;
    int depth; /* parentheses and `not`s open around the current token */
} parser;

/* Deeper nesting than any hand-written filter needs; the parser recurses
 * once per level, so the limit also bounds its stack. */
#define FILTER_MAX_DEPTH 256

static const char *tok_name(const parser *p) {
    switch (p->tok) {
    case T_END: return "the end";
    case T_IDENT: return "a name";
    case T_STRING: return "a string";
    case T_NUMBER: return "a number";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_COMMA: return "','";
    case T_OP: return "an operator";
    case T_AND: return "'and'";
    case T_OR: return "'or'";
    case T_NOT: return "'not'";
    case T_IN: return "'in'";
    }
    return "?";
}

static ts_status perr(parser *p, size_t col0, const char *fmt, const char *arg) {
    ts_buf msg = {0};
    ts_buf_printf(&msg, fmt, arg);
    ts_status s = ts_error_at(p->ctx, TS_ERR_PARSE, "--where", 1, col0 + 1, "%s", msg.data ? msg.data : "");
    ts_buf_free(&msg);
    return s;
}

static ts_status expected(parser *p, const char *what) {
    ts_buf msg = {0};
    ts_buf_printf(&msg, "expected %s, found %s", what, tok_name(p));
    if (p->tok == T_IDENT || p->tok == T_OP) ts_buf_printf(&msg, " \"%s\"", p->text.data);
    ts_status s = ts_error_at(p->ctx, TS_ERR_PARSE, "--where", 1, p->start + 1, "%s", msg.data ? msg.data : "");
    ts_buf_free(&msg);
    return s;
}

static int ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-'; }

static ts_status next(parser *p) {
    const char *s = p->src;
    while (isspace((unsigned char)s[p->pos])) p->pos++;
    p->start = p->pos;
    p->text.len = 0;
    if (p->text.data) p->text.data[0] = 0;
    char c = s[p->pos];
    if (!c) return p->tok = T_END, TS_OK;
    if (c == '(' || c == ')' || c == ',') {
        p->pos++;
        p->tok = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
        return TS_OK;
    }
    if (c == '"' || c == '\'') {
        p->pos++;
        for (;;) {
            char d = s[p->pos];
            if (!d) return perr(p, p->start, "%s", "unterminated string");
            p->pos++;
            if (d == c) break;
            if (d == '\\' && s[p->pos]) d = s[p->pos++];
            if (ts_buf_putc(&p->text, d) != TS_OK) return ts_error(p->ctx, TS_ERR_NOMEM, "out of memory");
        }
        if (ts_buf_putc(&p->text, 0) != TS_OK) return TS_ERR_NOMEM;
        p->text.len--;
        return p->tok = T_STRING, TS_OK;
    }
    if (strchr("=!<>&|", c)) {
        size_t n = 1;
        char d = s[p->pos + 1];
        if ((d == '=' && c != '&' && c != '|') || (c == '&' && d == '&') || (c == '|' && d == '|')) n = 2;
        if (ts_buf_append(&p->text, s + p->pos, n) != TS_OK) return TS_ERR_NOMEM;
        p->pos += n;
        if (strcmp(p->text.data, "&&") == 0) return p->tok = T_AND, TS_OK;
        if (strcmp(p->text.data, "||") == 0) return p->tok = T_OR, TS_OK;
        if (strcmp(p->text.data, "!") == 0) return p->tok = T_NOT, TS_OK;
        if (c == '&' || c == '|') return perr(p, p->start, "unknown operator \"%s\" (use and, or)", p->text.data);
        return p->tok = T_OP, TS_OK;
    }
    if (isdigit((unsigned char)c) || ((c == '-' || c == '+' || c == '.') && (isdigit((unsigned char)s[p->pos + 1]) || s[p->pos + 1] == '.'))) {
        char *end;
        errno = 0;
        p->num = strtod(s + p->pos, &end);
        if (end == s + p->pos || errno == ERANGE || isalnum((unsigned char)*end) || *end == '_')
            return perr(p, p->start, "%s", "malformed number");
        if (ts_buf_append(&p->text, s + p->pos, (size_t)(end - (s + p->pos))) != TS_OK) return TS_ERR_NOMEM;
        p->pos = (size_t)(end - s);
        return p->tok = T_NUMBER, TS_OK;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t b = p->pos;
        while (ident_char(s[p->pos])) p->pos++;
        if (ts_buf_append(&p->text, s + b, p->pos - b) != TS_OK) return TS_ERR_NOMEM;
        const char *t = p->text.data;
        p->tok = !strcasecmp(t, "and") ? T_AND : !strcasecmp(t, "or") ? T_OR : !strcasecmp(t, "not") ? T_NOT
                 : !strcasecmp(t, "in") ? T_IN : T_IDENT;
        return TS_OK;
    }
    char bad[2] = {c, 0};
    return perr(p, p->start, "unexpected character '%s'", bad);
}

/* ---- parsing ------------------------------------------------------------------- */

static int add_node(parser *p, node n) {
    ts_filter *f = p->f;
    if (ts_grow(p->ctx, (void **)&f->nodes, &f->cap, f->n + 1, sizeof *f->nodes) != TS_OK) {
        free(n.attr);
        return -1;
    }
    f->nodes[f->n] = n;
    return (int)f->n++;
}

static ts_status parse_or(parser *p, int *out);

/* A literal; `field_text` says what the field compares as. */
static ts_status parse_value(parser *p, const char *fname, int field_text, value *v) {
    memset(v, 0, sizeof *v);
    int is_bool = p->tok == T_IDENT && (!strcasecmp(p->text.data, "true") || !strcasecmp(p->text.data, "false"));
    if (p->tok != T_STRING && p->tok != T_NUMBER && !is_bool) return expected(p, "a value (\"text\", number, true, false)");
    v->is_num = p->tok == T_NUMBER;
    v->num = p->num;
    if (field_text == 0 && !v->is_num) return perr(p, p->start, "%s is a number; compare it with a number", fname);
    if (field_text == 1 && v->is_num) return perr(p, p->start, "%s is text; compare it with a \"string\"", fname);
    if (is_bool) {
        for (char *c = p->text.data; *c; c++) *c = (char)tolower((unsigned char)*c);
    }
    v->text = ts_strdup(p->ctx, p->text.len ? p->text.data : "");
    if (!v->text) return TS_ERR_NOMEM;
    ts_status s = next(p);
    if (s != TS_OK) { /* the caller does not count a value it failed on */
        free(v->text);
        v->text = NULL;
    }
    return s;
}

/* Enter one level of nesting ('(' or `not`); an error past the limit. */
static ts_status nest(parser *p) {
    if (++p->depth <= FILTER_MAX_DEPTH) return TS_OK;
    return ts_error_at(p->ctx, TS_ERR_LIMIT, "--where", 1, p->start + 1,
                       "parentheses and `not` nested more than %d deep", FILTER_MAX_DEPTH);
}

static ts_status parse_cmp(parser *p, int *out) {
    if (p->tok == T_LPAREN) {
        ts_status s = nest(p);
        if (s == TS_OK) s = next(p);
        if (s == TS_OK) s = parse_or(p, out);
        if (s == TS_OK && p->tok != T_RPAREN) s = expected(p, "')'");
        p->depth--;
        return s == TS_OK ? next(p) : s;
    }
    if (p->tok != T_IDENT) return expected(p, "a field name or '('");
    node n;
    memset(&n, 0, sizeof n);
    n.kind = N_CMP;
    int field_text = -1;
    const char *name = p->text.data;
    size_t name_col = p->start;
    if (strncmp(name, "attr.", 5) == 0 || strncmp(name, "ann.attr.", 9) == 0) {
        int ann = name[0] == 'a' && name[1] == 'n';
        n.field = ann ? F_ANN_ATTR : F_ATTR;
        n.attr = ts_strdup(p->ctx, name + (ann ? 9 : 5));
        if (!n.attr) return TS_ERR_NOMEM;
        if (!n.attr[0]) {
            free(n.attr);
            return perr(p, name_col, "%s", "attr. needs a name (attr.NAME)");
        }
        field_text = 2;
    } else {
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (strcmp(fields[i].name, name) == 0) n.field = fields[i].id, field_text = fields[i].text;
        if (field_text < 0)
            return perr(p, name_col,
                        "unknown field \"%s\" (fields: class, supercategory, kind, split, path, source, id, width, "
                        "height, area, license, group, annotations, boxes, box_width, box_height, box_area, iscrowd, "
                        "score, annotator, attr.NAME, ann.attr.NAME)",
                        name);
    }
    char fname[64];
    snprintf(fname, sizeof fname, "%s", name);
    ts_status s = next(p);
    int negate = 0;
    if (s == TS_OK && p->tok == T_NOT) { /* not in */
        negate = 1;
        s = next(p);
        if (s == TS_OK && p->tok != T_IN) s = expected(p, "'in' after 'not'");
    }
    if (s == TS_OK && p->tok == T_IN) {
        n.op = OP_EQ;
        s = next(p);
        if (s == TS_OK && p->tok != T_LPAREN) s = expected(p, "'(' after 'in'");
        if (s == TS_OK) s = next(p);
        size_t cap = 0;
        while (s == TS_OK) {
            if ((s = ts_grow(p->ctx, (void **)&n.vals, &cap, n.n_vals + 1, sizeof *n.vals)) != TS_OK) break;
            if ((s = parse_value(p, fname, field_text, &n.vals[n.n_vals])) != TS_OK) break;
            n.n_vals++;
            if (p->tok == T_RPAREN) break;
            if (p->tok != T_COMMA) s = expected(p, "',' or ')'");
            else s = next(p);
        }
        if (s == TS_OK) s = next(p);
    } else if (s == TS_OK) {
        const char *op = p->tok == T_OP ? p->text.data : "";
        if (!strcmp(op, "==") || !strcmp(op, "=")) n.op = OP_EQ;
        else if (!strcmp(op, "!=")) n.op = OP_EQ, negate = 1;
        else if (!strcmp(op, "<")) n.op = OP_LT;
        else if (!strcmp(op, "<=")) n.op = OP_LE;
        else if (!strcmp(op, ">")) n.op = OP_GT;
        else if (!strcmp(op, ">=")) n.op = OP_GE;
        else s = expected(p, "an operator (== != < <= > >= in)");
        if (s == TS_OK) s = next(p);
        if (s == TS_OK && (s = ts_grow(p->ctx, (void **)&n.vals, &(size_t){0}, 1, sizeof *n.vals)) == TS_OK) {
            s = parse_value(p, fname, field_text, &n.vals[0]);
            if (s == TS_OK) n.n_vals = 1;
        }
    }
    if (s != TS_OK) {
        for (size_t i = 0; i < n.n_vals; i++) free(n.vals[i].text);
        free(n.vals);
        free(n.attr);
        return s;
    }
    if (n.field >= F_CLASS) p->f->uses_annotations = 1;
    int idx = add_node(p, n);
    if (idx < 0) return TS_ERR_NOMEM;
    if (negate) {
        node no = {N_NOT, idx, -1, 0, NULL, OP_EQ, NULL, 0};
        idx = add_node(p, no);
        if (idx < 0) return TS_ERR_NOMEM;
    }
    *out = idx;
    return TS_OK;
}

static ts_status parse_not(parser *p, int *out) {
    if (p->tok != T_NOT) return parse_cmp(p, out);
    int a;
    ts_status s = nest(p);
    if (s == TS_OK) s = next(p);
    if (s == TS_OK) s = parse_not(p, &a);
    p->depth--;
    if (s != TS_OK) return s;
    node n = {N_NOT, a, -1, 0, NULL, OP_EQ, NULL, 0};
    return (*out = add_node(p, n)) < 0 ? TS_ERR_NOMEM : TS_OK;
}

static ts_status parse_and(parser *p, int *out) {
    ts_status s = parse_not(p, out);
    while (s == TS_OK && p->tok == T_AND) {
        int b;
        if ((s = next(p)) != TS_OK || (s = parse_not(p, &b)) != TS_OK) break;
        node n = {N_AND, *out, b, 0, NULL, OP_EQ, NULL, 0};
        if ((*out = add_node(p, n)) < 0) s = TS_ERR_NOMEM;
    }
    return s;
}

static ts_status parse_or(parser *p, int *out) {
    ts_status s = parse_and(p, out);
    while (s == TS_OK && p->tok == T_OR) {
        int b;
        if ((s = next(p)) != TS_OK || (s = parse_and(p, &b)) != TS_OK) break;
        node n = {N_OR, *out, b, 0, NULL, OP_EQ, NULL, 0};
        if ((*out = add_node(p, n)) < 0) s = TS_ERR_NOMEM;
    }
    return s;
}

void ts_filter_destroy(ts_filter *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) {
        for (size_t k = 0; k < f->nodes[i].n_vals; k++) free(f->nodes[i].vals[k].text);
        free(f->nodes[i].vals);
        free(f->nodes[i].attr);
    }
    free(f->nodes);
    free(f);
}

ts_status ts_filter_compile(ts_ctx *ctx, const char *expr, ts_filter **out) {
    ts_filter *f = calloc(1, sizeof *f);
    if (!f) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    parser p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.src = expr ? expr : "";
    p.f = f;
    ts_status s = next(&p);
    if (s == TS_OK && p.tok == T_END) s = perr(&p, p.start, "%s", "empty expression");
    if (s == TS_OK) s = parse_or(&p, &f->root);
    if (s == TS_OK && p.tok != T_END) s = expected(&p, "and, or, or the end");
    ts_buf_free(&p.text);
    if (s != TS_OK) {
        ts_filter_destroy(f);
        return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
    }
    *out = f;
    return TS_OK;
}

int ts_filter_uses_annotations(const ts_filter *f) { return f->uses_annotations; }

/* ---- evaluation ---------------------------------------------------------------------- */

typedef struct {
    const ts_dataset *ds;
    ts_image_entry img;
    const size_t *anns; /* the image's annotations */
    size_t n_anns;
    int ann_mode;
    size_t ann; /* in annotation mode */
} eval_ctx;

static int cmp_num(double x, cmp_op op, double v) {
    switch (op) {
    case OP_EQ: return x == v;
    case OP_LT: return x < v;
    case OP_LE: return x <= v;
    case OP_GT: return x > v;
    case OP_GE: return x >= v;
    }
    return 0;
}

static int cmp_text(const char *x, cmp_op op, const char *v) { return cmp_num((double)strcmp(x, v), op, 0); }

/* Compare a field's value (text, number, or both: text may be NULL when
 * the value is missing) against the node's literal(s). */
static int compare(const node *n, int present, const char *text, int has_num, double num) {
    if (!present) return 0;
    for (size_t i = 0; i < n->n_vals; i++) {
        const value *v = &n->vals[i];
        int hit;
        if (v->is_num) {
            double x = num;
            if (!has_num) { /* text holding a number (attributes) */
                char *end;
                if (!text || !*text) continue;
                x = strtod(text, &end);
                if (*end) continue;
            }
            hit = cmp_num(x, n->op, v->num);
        } else {
            if (!text) continue;
            hit = cmp_text(text, n->op, v->text);
        }
        if (hit) return 1;
    }
    return 0;
}

static int match_image_field(const node *n, const eval_ctx *c) {
    const ts_image_entry *e = &c->img;
    switch (n->field) {
    case F_SPLIT: return compare(n, 1, e->split, 0, 0);
    case F_PATH: return compare(n, 1, e->path, 0, 0);
    case F_SOURCE: return compare(n, 1, e->source, 0, 0);
    case F_ID: return compare(n, 1, NULL, 1, (double)e->id);
    case F_WIDTH: return compare(n, 1, NULL, 1, e->width);
    case F_HEIGHT: return compare(n, 1, NULL, 1, e->height);
    case F_AREA: return compare(n, 1, NULL, 1, (double)e->width * e->height);
    case F_LICENSE: return compare(n, e->license != TS_NO_ID, NULL, 1, (double)e->license);
    case F_GROUP: return compare(n, e->group_id != TS_NO_ID, NULL, 1, (double)e->group_id);
    case F_ANNS: return compare(n, 1, NULL, 1, (double)c->n_anns);
    case F_BOXES: {
        size_t boxes = 0;
        for (size_t i = 0; i < c->n_anns; i++) {
            ts_annotation a;
            ts_dataset_annotation(c->ds, c->anns[i], &a);
            boxes += (a.flags & TS_ANN_HAS_BOX) != 0;
        }
        return compare(n, 1, NULL, 1, (double)boxes);
    }
    case F_ATTR: {
        const char *v = ts_attr_value(e->attrs, e->n_attrs, n->attr);
        return compare(n, v != NULL, v, 0, 0);
    }
    default: return 0;
    }
}

static int match_ann_field(const node *n, const eval_ctx *c, size_t index) {
    ts_annotation a;
    ts_dataset_annotation(c->ds, index, &a);
    int box = (a.flags & TS_ANN_HAS_BOX) != 0;
    switch (n->field) {
    case F_CLASS:
    case F_SUPERCAT: {
        size_t ci;
        if (!ts_dataset_find_category(c->ds, a.category_id, &ci)) return 0;
        ts_category cat;
        ts_dataset_category(c->ds, ci, &cat);
        if (n->field == F_SUPERCAT) return compare(n, 1, cat.supercategory, 0, 0);
        /* a number compares the category id, text its name */
        return compare(n, 1, cat.name, 1, (double)cat.id);
    }
    case F_KIND: return compare(n, 1, ts_ann_kind_name(a.kind), 0, 0);
    case F_BOX_W: return compare(n, box, NULL, 1, a.bbox[2]);
    case F_BOX_H: return compare(n, box, NULL, 1, a.bbox[3]);
    case F_BOX_AREA: return compare(n, box, NULL, 1, a.bbox[2] * a.bbox[3]);
    case F_ISCROWD: return compare(n, 1, NULL, 1, a.iscrowd);
    case F_SCORE: return compare(n, (a.flags & TS_ANN_HAS_SCORE) != 0, NULL, 1, a.score);
    case F_ANNOTATOR: return compare(n, 1, a.annotator, 0, 0);
    case F_ANN_ATTR: {
        const char *v = ts_attr_value(a.attrs, a.n_attrs, n->attr);
        return compare(n, v != NULL, v, 0, 0);
    }
    default: return 0;
    }
}

/* A chain `x and y and z` is parsed left-deep ((x and y) and z), as long
 * as the filter: the chain is walked in a loop, its right operands (each
 * nested at most FILTER_MAX_DEPTH deep) by recursion. Every operand is a
 * pure test, so taking them right to left gives the same answer. */
static int eval(const ts_filter *f, int idx, const eval_ctx *c) {
    for (;;) {
        const node *n = &f->nodes[idx];
        switch (n->kind) {
        case N_AND:
            if (!eval(f, n->b, c)) return 0;
            idx = n->a;
            continue;
        case N_OR:
            if (eval(f, n->b, c)) return 1;
            idx = n->a;
            continue;
        case N_NOT: return !eval(f, n->a, c);
        case N_CMP:
            if (n->field < F_CLASS) return match_image_field(n, c);
            if (c->ann_mode) return match_ann_field(n, c, c->ann);
            for (size_t i = 0; i < c->n_anns; i++)
                if (match_ann_field(n, c, c->anns[i])) return 1;
            return 0;
        }
        return 0;
    }
}

static ts_status setup(ts_ctx *ctx, const ts_dataset *ds, size_t image, eval_ctx *c) {
    memset(c, 0, sizeof *c);
    c->ds = ds;
    ts_dataset_image(ds, image, &c->img);
    return ts_dataset_image_annotations(ctx, ds, image, &c->anns, &c->n_anns);
}

ts_status ts_filter_match_image(ts_ctx *ctx, const ts_filter *f, const ts_dataset *ds, size_t index, int *match) {
    if (index >= ts_dataset_image_count(ds)) return ts_error(ctx, TS_ERR_INVALID, "image index %zu out of range", index);
    eval_ctx c;
    ts_status s = setup(ctx, ds, index, &c);
    if (s != TS_OK) return s;
    *match = eval(f, f->root, &c);
    return TS_OK;
}

ts_status ts_filter_match_annotation(ts_ctx *ctx, const ts_filter *f, const ts_dataset *ds, size_t index,
                                     int *match) {
    if (index >= ts_dataset_annotation_count(ds))
        return ts_error(ctx, TS_ERR_INVALID, "annotation index %zu out of range", index);
    size_t image;
    int64_t image_id = ts_dataset_annotation_image_id(ds, index);
    if (!ts_dataset_find_image(ds, image_id, &image))
        return ts_error(ctx, TS_ERR_NOT_FOUND, "annotation refers to missing image %lld", (long long)image_id);
    eval_ctx c;
    ts_status s = setup(ctx, ds, image, &c);
    if (s != TS_OK) return s;
    c.ann_mode = 1;
    c.ann = index;
    *match = eval(f, f->root, &c);
    return TS_OK;
}

ts_status ts_dataset_filter(ts_ctx *ctx, const ts_dataset *in, const ts_filter *f, unsigned flags, ts_dataset **out,
                            size_t *kept_images, size_t *kept_annotations) {
    ts_dataset *ds;
    ts_status s = ts_dataset_create(ctx, &ds);
    if (s != TS_OK) return s;
    for (size_t i = 0; s == TS_OK && i < ts_dataset_meta_count(in); i++) {
        const char *k, *v;
        ts_dataset_meta_at(in, i, &k, &v);
        s = ts_dataset_set_meta(ctx, ds, k, v);
    }
    /* every category stays, so ids and the class list are unchanged */
    for (size_t i = 0; s == TS_OK && i < ts_dataset_category_count(in); i++) {
        ts_category cat;
        ts_dataset_category(in, i, &cat);
        s = ts_dataset_add_category(ctx, ds, &cat, NULL);
    }
    ts_origin o0 = ts_dataset_origin(in, 0);
    if (s == TS_OK) s = ts_dataset_set_root(ctx, ds, o0.root);
    size_t n = ts_dataset_image_count(in), images = 0, anns = 0;
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        eval_ctx c;
        if ((s = setup(ctx, in, i, &c)) != TS_OK) break;
        if (!eval(f, f->root, &c)) continue;
        /* c.anns points into `in`, which adding to `ds` leaves valid */
        if ((s = ts_dataset_copy_image(ctx, ds, in, i, TS_NO_ID, NULL)) != TS_OK) break;
        images++;
        c.ann_mode = 1;
        for (size_t k = 0; s == TS_OK && k < c.n_anns; k++) {
            c.ann = c.anns[k];
            if ((flags & TS_FILTER_ANNOTATIONS) && !eval(f, f->root, &c)) continue;
            ts_annotation a;
            ts_dataset_annotation(in, c.anns[k], &a);
            s = ts_dataset_add_annotation(ctx, ds, &a, NULL);
            anns++;
        }
        if (s == TS_OK && (i & 4095) == 4095) s = ts_progress(ctx, "filtering", i + 1, n);
    }
    if (s != TS_OK) {
        ts_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    if (kept_images) *kept_images = images;
    if (kept_annotations) *kept_annotations = anns;
    return TS_OK;
}
