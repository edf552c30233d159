/* Merging datasets: label maps (rename and merge classes), categories
 * matched by name, ids re-keyed without collision, provenance per image, and
 * the report of what came from where. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trainset/json.h"
#include "trainset/ops.h"

/* ---- label maps ------------------------------------------------------------------ */

struct ts_labelmap {
    char **source, **target;
    uint64_t *line;
    size_t n, cap;
};

void ts_labelmap_destroy(ts_labelmap *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) free(m->source[i]), free(m->target[i]);
    free(m->source);
    free(m->target);
    free(m->line);
    free(m);
}

size_t ts_labelmap_count(const ts_labelmap *m) { return m ? m->n : 0; }

void ts_labelmap_entry(const ts_labelmap *m, size_t i, const char **source, const char **target, uint64_t *line) {
    if (source) *source = m->source[i];
    if (target) *target = m->target[i];
    if (line) *line = m->line[i];
}

const char *ts_labelmap_apply(const ts_labelmap *m, const char *name) {
    for (size_t i = 0; m && i < m->n; i++)
        if (strcmp(m->source[i], name) == 0) return m->target[i];
    return name;
}

static ts_status map_add(ts_ctx *ctx, ts_labelmap *m, const char *file, const char *src, size_t sl, const char *dst,
                         size_t dl, uint64_t line) {
    for (size_t i = 0; i < m->n; i++) {
        if (strlen(m->source[i]) != sl || memcmp(m->source[i], src, sl) != 0) continue;
        if (strlen(m->target[i]) == dl && memcmp(m->target[i], dst, dl) == 0) {
            ts_warn(ctx, "%s:%llu: \"%s\" is mapped again (same target as line %llu)", file, (unsigned long long)line,
                    m->source[i], (unsigned long long)m->line[i]);
            return TS_OK;
        }
        return ts_error_at(ctx, TS_ERR_INVALID, file, line, 0, "\"%s\" is mapped twice: to \"%s\" on line %llu and to \"%.*s\"",
                           m->source[i], m->target[i], (unsigned long long)m->line[i], (int)dl, dst);
    }
    size_t cap = m->cap;
    if (ts_grow(ctx, (void **)&m->source, &cap, m->n + 1, sizeof *m->source) != TS_OK) return TS_ERR_NOMEM;
    cap = m->cap;
    if (ts_grow(ctx, (void **)&m->target, &cap, m->n + 1, sizeof *m->target) != TS_OK) return TS_ERR_NOMEM;
    if (ts_grow(ctx, (void **)&m->line, &m->cap, m->n + 1, sizeof *m->line) != TS_OK) return TS_ERR_NOMEM;
    m->source[m->n] = ts_strndup(ctx, src, sl);
    m->target[m->n] = ts_strndup(ctx, dst, dl);
    m->line[m->n] = line;
    if (!m->source[m->n] || !m->target[m->n]) {
        free(m->source[m->n]), free(m->target[m->n]);
        return TS_ERR_NOMEM;
    }
    m->n++;
    return TS_OK;
}

/* Trim blanks and one pair of surrounding double quotes. */
static void trim_name(const char **b, const char **e) {
    while (*b < *e && isspace((unsigned char)**b)) (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1])) (*e)--;
    if (*e - *b >= 2 && **b == '"' && (*e)[-1] == '"') (*b)++, (*e)--;
}

/* Position of `sep` outside double quotes in [b, e), or NULL. */
static const char *find_sep(const char *b, const char *e, const char *sep) {
    size_t sl = strlen(sep);
    int quoted = 0;
    for (const char *p = b; p + sl <= e; p++) {
        if (*p == '"') quoted = !quoted;
        else if (!quoted && memcmp(p, sep, sl) == 0) return p;
    }
    return NULL;
}

static ts_status parse_json_map(ts_ctx *ctx, const char *name, const char *text, size_t len, ts_labelmap *m) {
    ts_jvalue *root;
    ts_status s = ts_json_parse(ctx, name, text, len, &root);
    if (s != TS_OK) return s;
    if (root->type != TS_JOBJECT) s = ts_error_at(ctx, TS_ERR_INVALID, name, root->line, root->col, "expected an object");
    for (size_t i = 0; s == TS_OK && root->type == TS_JOBJECT && i < root->u.obj.count; i++) {
        const ts_jvalue *v = &root->u.obj.values[i];
        const char *k = root->u.obj.keys[i];
        if (v->type != TS_JSTRING || !*k || !v->u.str.len)
            s = ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "expected \"source\": \"target\" (non-empty names)");
        else
            s = map_add(ctx, m, name, k, strlen(k), v->u.str.text, v->u.str.len, v->line);
    }
    ts_json_free(root);
    return s;
}

ts_status ts_labelmap_parse(ts_ctx *ctx, const char *name, const char *text, size_t len, ts_labelmap **out) {
    ts_labelmap *m = calloc(1, sizeof *m);
    if (!m) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    const char *p = text, *end = text + len;
    while (p < end && isspace((unsigned char)*p)) p++;
    ts_status s = TS_OK;
    if (p < end && *p == '{') {
        s = parse_json_map(ctx, name, text, len, m);
    } else {
        uint64_t line = 0;
        for (p = text; s == TS_OK && p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *b = p, *e = nl ? nl : end;
            p = nl ? nl + 1 : end;
            line++;
            const char *hash = find_sep(b, e, "#");
            if (hash) e = hash;
            trim_name(&b, &e);
            if (b == e) continue;
            const char *sep = find_sep(b, e, "->");
            size_t seplen = 2;
            if (!sep) sep = find_sep(b, e, ","), seplen = 1;
            if (!sep) {
                s = ts_error_at(ctx, TS_ERR_PARSE, name, line, 1, "expected \"source -> target\"");
                break;
            }
            const char *sb = b, *se = sep, *tb = sep + seplen, *te = e;
            trim_name(&sb, &se);
            trim_name(&tb, &te);
            if (sb == se || tb == te) {
                s = ts_error_at(ctx, TS_ERR_PARSE, name, line, (uint64_t)(sb == se ? 1 : tb - b + 1),
                                "empty class name in \"source -> target\"");
                break;
            }
            s = map_add(ctx, m, name, sb, (size_t)(se - sb), tb, (size_t)(te - tb), line);
        }
    }
    if (s != TS_OK) {
        ts_labelmap_destroy(m);
        return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
    }
    *out = m;
    return TS_OK;
}

ts_status ts_labelmap_load(ts_ctx *ctx, const char *path, ts_labelmap **out) {
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(ctx, path, &data, &len);
    if (s != TS_OK) return s;
    s = ts_labelmap_parse(ctx, path, (const char *)data, len, out);
    free(data);
    return s;
}

/* ---- the report ---------------------------------------------------------------------- */

typedef struct {
    int64_t id;
    char *name;
    uint64_t *counts; /* per input */
    ts_buf *sources;  /* per input: source names, comma-separated */
} report_row;

typedef struct {
    uint64_t images, anns;
    int64_t image_shift, ann_shift;
} report_input;

struct ts_merge_report {
    size_t n_inputs;
    report_input *inputs;
    report_row *rows;
    size_t n_rows, cap_rows;
    char **conflicts;
    size_t n_conflicts, cap_conflicts;
};

void ts_merge_report_destroy(ts_merge_report *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_rows; i++) {
        free(r->rows[i].name);
        free(r->rows[i].counts);
        for (size_t k = 0; r->rows[i].sources && k < r->n_inputs; k++) ts_buf_free(&r->rows[i].sources[k]);
        free(r->rows[i].sources);
    }
    free(r->rows);
    ts_strings_free(r->conflicts, r->n_conflicts);
    free(r->inputs);
    free(r);
}

size_t ts_merge_report_inputs(const ts_merge_report *r) { return r->n_inputs; }

void ts_merge_report_input(const ts_merge_report *r, size_t i, uint64_t *images, uint64_t *annotations,
                           int64_t *image_id_shift, int64_t *annotation_id_shift) {
    if (images) *images = r->inputs[i].images;
    if (annotations) *annotations = r->inputs[i].anns;
    if (image_id_shift) *image_id_shift = r->inputs[i].image_shift;
    if (annotation_id_shift) *annotation_id_shift = r->inputs[i].ann_shift;
}

size_t ts_merge_report_rows(const ts_merge_report *r) { return r->n_rows; }

void ts_merge_report_row(const ts_merge_report *r, size_t row, int64_t *id, const char **name) {
    if (id) *id = r->rows[row].id;
    if (name) *name = r->rows[row].name;
}

uint64_t ts_merge_report_cell(const ts_merge_report *r, size_t row, size_t input, const char **sources) {
    const ts_buf *b = &r->rows[row].sources[input];
    if (sources) *sources = b->len ? b->data : "";
    return r->rows[row].counts[input];
}

size_t ts_merge_report_conflicts(const ts_merge_report *r) { return r->n_conflicts; }
const char *ts_merge_report_conflict(const ts_merge_report *r, size_t i) { return r->conflicts[i]; }

static ts_status note(ts_ctx *ctx, ts_merge_report *r, const char *fmt, ...) TS_PRINTF(3, 4);
static ts_status note(ts_ctx *ctx, ts_merge_report *r, const char *fmt, ...) {
    ts_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    ts_status s = ts_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (s == TS_OK) s = ts_grow(ctx, (void **)&r->conflicts, &r->cap_conflicts, r->n_conflicts + 1, sizeof *r->conflicts);
    if (s != TS_OK) {
        ts_buf_free(&b);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    ts_warn(ctx, "%s", b.data);
    r->conflicts[r->n_conflicts++] = b.data;
    return TS_OK;
}

static ts_status add_row(ts_ctx *ctx, ts_merge_report *r, int64_t id, const char *name) {
    if (ts_grow(ctx, (void **)&r->rows, &r->cap_rows, r->n_rows + 1, sizeof *r->rows) != TS_OK) return TS_ERR_NOMEM;
    report_row *row = &r->rows[r->n_rows];
    row->id = id;
    row->name = ts_strdup(ctx, name);
    row->counts = ts_calloc_array(ctx, r->n_inputs, sizeof *row->counts);
    row->sources = ts_calloc_array(ctx, r->n_inputs, sizeof *row->sources);
    r->n_rows++; /* freed by destroy even when half made */
    return row->name && row->counts && row->sources ? TS_OK : TS_ERR_NOMEM;
}

static ts_status add_source(report_row *row, size_t input, const char *name) {
    ts_buf *b = &row->sources[input];
    /* a name listed once per cell */
    for (const char *p = b->len ? b->data : NULL; p;) {
        const char *comma = strstr(p, ", ");
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == strlen(name) && memcmp(p, name, n) == 0) return TS_OK;
        p = comma ? comma + 2 : NULL;
    }
    if (b->len && ts_buf_puts(b, ", ") != TS_OK) return TS_ERR_NOMEM;
    return ts_buf_puts(b, name);
}

/* ---- merging ----------------------------------------------------------------------------- */

typedef struct {
    ts_ctx *ctx;
    ts_dataset *out;
    ts_merge_report *report;
    const ts_labelmap *map;
    const char *const *names;
} merger;

static const char *input_name(const merger *m, size_t i) { return m->names && m->names[i] ? m->names[i] : "?"; }

/* Add input i's categories; cat_map[k] receives the output id of its
 * category k. */
static ts_status merge_categories(merger *m, const ts_dataset *in, size_t i, int64_t *cat_map) {
    ts_ctx *ctx = m->ctx;
    ts_status s = TS_OK;
    size_t n = ts_dataset_category_count(in);
    for (size_t k = 0; s == TS_OK && k < n; k++) {
        ts_category c;
        ts_dataset_category(in, k, &c);
        const char *name = ts_labelmap_apply(m->map, c.name);
        size_t row;
        if (!ts_dataset_find_category_name(m->out, name, &row)) {
            ts_category nc = c;
            size_t used;
            nc.name = name;
            nc.parent_id = TS_NO_ID; /* set once every category is in */
            if (ts_dataset_find_category(m->out, c.id, &used)) {
                nc.id = ts_dataset_next_category_id(m->out);
                if (nc.id <= 0) nc.id = 1;
            }
            if ((s = ts_dataset_add_category(ctx, m->out, &nc, &row)) != TS_OK) break;
            if ((s = add_row(ctx, m->report, nc.id, name)) != TS_OK) break;
        } else {
            ts_category have;
            ts_dataset_category(m->out, row, &have);
            if (c.supercategory[0] && have.supercategory[0] && strcmp(c.supercategory, have.supercategory) != 0)
                s = note(ctx, m->report, "class \"%s\": supercategory \"%s\" in %s, \"%s\" kept from an earlier input",
                         name, c.supercategory, input_name(m, i), have.supercategory);
        }
        cat_map[k] = ts_dataset_category_id(m->out, row);
        if (s == TS_OK) s = add_source(&m->report->rows[row], i, c.name);
    }
    return s;
}

/* Parents refer to ids of the same input: map them through the names. */
static ts_status merge_parents(merger *m, const ts_dataset *in, size_t i, const int64_t *cat_map) {
    ts_status s = TS_OK;
    for (size_t k = 0; s == TS_OK && k < ts_dataset_category_count(in); k++) {
        ts_category c;
        ts_dataset_category(in, k, &c);
        size_t pk, row;
        if (c.parent_id == TS_NO_ID) continue;
        if (!ts_dataset_find_category(in, c.parent_id, &pk)) {
            s = note(m->ctx, m->report, "class \"%s\" of %s names a missing parent %lld; left without a parent", c.name,
                     input_name(m, i), (long long)c.parent_id);
            continue;
        }
        int64_t parent = cat_map[pk];
        ts_dataset_find_category(m->out, cat_map[k], &row);
        ts_category have;
        ts_dataset_category(m->out, row, &have);
        if (have.parent_id == TS_NO_ID) {
            have.parent_id = parent;
            s = ts_dataset_update_category(m->ctx, m->out, row, &have);
        } else if (have.parent_id != parent) {
            size_t a, b;
            ts_category pa, pb;
            ts_dataset_find_category(m->out, have.parent_id, &a);
            ts_dataset_find_category(m->out, parent, &b);
            ts_dataset_category(m->out, a, &pa);
            ts_dataset_category(m->out, b, &pb);
            s = note(m->ctx, m->report, "class \"%s\": parent \"%s\" in %s, \"%s\" kept from an earlier input", have.name,
                     pb.name, input_name(m, i), pa.name);
        }
    }
    return s;
}

/* 0 when none of the input's ids is taken in the output, else the shift
 * that moves them all past the output's largest id. */
static int64_t id_shift(const ts_dataset *in, const ts_dataset *out, int images) {
    size_t n = images ? ts_dataset_image_count(in) : ts_dataset_annotation_count(in), k;
    int collide = 0;
    int64_t lo = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        if (images) {
            id = ts_dataset_image_id(in, i);
        } else {
            ts_annotation a;
            ts_dataset_annotation(in, i, &a);
            id = a.id;
        }
        if (id < lo) lo = id;
        if (!collide) collide = images ? ts_dataset_find_image(out, id, &k) : ts_dataset_find_annotation(out, id, &k);
    }
    if (!collide) return 0;
    int64_t next = images ? ts_dataset_next_image_id(out) : ts_dataset_next_annotation_id(out);
    return next - lo;
}

static ts_status merge_input(merger *m, const ts_dataset *in, size_t i) {
    ts_ctx *ctx = m->ctx;
    size_t ncats = ts_dataset_category_count(in), nimg = ts_dataset_image_count(in);
    size_t norig = ts_dataset_origin_count(in);
    int64_t *cat_map = ts_calloc_array(ctx, ncats ? ncats : 1, sizeof *cat_map);
    uint32_t *orig_map = ts_calloc_array(ctx, norig ? norig : 1, sizeof *orig_map);
    ts_status s = cat_map && orig_map ? TS_OK : TS_ERR_NOMEM;
    if (s == TS_OK) s = merge_categories(m, in, i, cat_map);
    if (s == TS_OK) s = merge_parents(m, in, i, cat_map);
    /* each input keeps its origins: its root and pixel source */
    for (uint32_t o = 0; s == TS_OK && o < norig; o++) {
        ts_origin org = ts_dataset_origin(in, o);
        uint32_t found = UINT32_MAX;
        for (uint32_t q = 0; q < ts_dataset_origin_count(m->out) && found == UINT32_MAX; q++) {
            ts_origin have = ts_dataset_origin(m->out, q);
            if (have.pixels == org.pixels && strcmp(have.root, org.root) == 0) found = q;
        }
        if (found == UINT32_MAX) s = ts_dataset_add_origin(ctx, m->out, org.root, org.pixels, &found);
        orig_map[o] = found;
    }
    report_input *rep = &m->report->inputs[i];
    int64_t ishift = id_shift(in, m->out, 1), ashift = id_shift(in, m->out, 0);
    rep->image_shift = ishift;
    rep->ann_shift = ashift;
    const char *source = m->names && m->names[i] ? m->names[i] : "";
    /* all lookups before any add: each add invalidates the path index */
    uint64_t same_path = 0;
    for (size_t k = 0; k < nimg; k++) {
        ts_image_entry e;
        size_t other;
        ts_dataset_image(in, k, &e);
        same_path += ts_dataset_find_image_path(m->out, e.path, &other);
    }
    for (size_t k = 0; s == TS_OK && k < nimg; k++) {
        ts_image_entry e;
        ts_dataset_image(in, k, &e);
        e.id += ishift;
        e.origin = orig_map[e.origin];
        e.source = source;
        if ((s = ts_dataset_add_image(ctx, m->out, &e, NULL)) == TS_OK) rep->images++;
    }
    if (s == TS_OK && same_path)
        s = note(ctx, m->report,
                 "%llu image paths of %s are also paths of an earlier input (different files under different roots); "
                 "a writer copying images may need them renamed",
                 (unsigned long long)same_path, input_name(m, i));
    uint64_t dangling = 0;
    for (size_t k = 0; s == TS_OK && k < ts_dataset_annotation_count(in); k++) {
        ts_annotation a;
        ts_dataset_annotation(in, k, &a);
        size_t ck;
        if (a.category_id != TS_NO_ID) {
            if (!ts_dataset_find_category(in, a.category_id, &ck)) {
                if (!ts_ctx_lenient(ctx)) {
                    s = ts_error(ctx, TS_ERR_INVALID, "%s: annotation %lld refers to missing category %lld",
                                 input_name(m, i), (long long)a.id, (long long)a.category_id);
                    break;
                }
                dangling++;
                continue;
            }
            a.category_id = cat_map[ck];
            m->report->rows[ts_dataset_find_category(m->out, a.category_id, &ck) ? ck : 0].counts[i]++;
        }
        a.id += ashift;
        a.image_id += ishift;
        if ((s = ts_dataset_add_annotation(ctx, m->out, &a, NULL)) == TS_OK) rep->anns++;
    }
    if (s == TS_OK && dangling)
        s = note(ctx, m->report, "%llu annotations of %s refer to missing categories and were left out",
                 (unsigned long long)dangling, input_name(m, i));
    free(cat_map);
    free(orig_map);
    return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
}

ts_status ts_dataset_merge(ts_ctx *ctx, const ts_dataset *const *inputs, const char *const *names, size_t n,
                           const ts_labelmap *map, ts_dataset **out, ts_merge_report **report) {
    if (n == 0) return ts_error(ctx, TS_ERR_INVALID, "merge needs at least one input");
    merger m = {ctx, NULL, calloc(1, sizeof(ts_merge_report)), map, names};
    if (!m.report) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    m.report->n_inputs = n;
    m.report->inputs = ts_calloc_array(ctx, n, sizeof *m.report->inputs);
    ts_status s = m.report->inputs ? ts_dataset_create(ctx, &m.out) : TS_ERR_NOMEM;
    /* the first input's metadata (info, licences) is kept */
    for (size_t i = 0; s == TS_OK && i < ts_dataset_meta_count(inputs[0]); i++) {
        const char *k, *v;
        ts_dataset_meta_at(inputs[0], i, &k, &v);
        if (strcmp(k, "format") != 0) s = ts_dataset_set_meta(ctx, m.out, k, v);
    }
    if (s == TS_OK) s = ts_dataset_set_root(ctx, m.out, ts_dataset_origin(inputs[0], 0).root);
    for (size_t i = 0; s == TS_OK && i < n; i++) {
        const char *lic = ts_dataset_meta(inputs[i], "licenses"), *first = ts_dataset_meta(inputs[0], "licenses");
        if (i && lic && (!first || strcmp(lic, first) != 0))
            s = note(ctx, m.report, "the licence table of %s differs from the first input's, which is kept; its "
                     "images' licence ids refer to its own table", input_name(&m, i));
        if (s == TS_OK) s = merge_input(&m, inputs[i], i);
        if (s == TS_OK) s = ts_progress(ctx, "merging", i + 1, n);
    }
    /* label map entries that matched nothing, names that differ only by case */
    for (size_t e = 0; s == TS_OK && e < ts_labelmap_count(map); e++) {
        const char *src;
        uint64_t line;
        ts_labelmap_entry(map, e, &src, NULL, &line);
        int found = 0;
        size_t k;
        for (size_t i = 0; i < n && !found; i++) found = ts_dataset_find_category_name(inputs[i], src, &k);
        if (!found) s = note(ctx, m.report, "label map line %llu: \"%s\" is not a class of any input",
                             (unsigned long long)line, src);
    }
    for (size_t a = 0; s == TS_OK && a < m.report->n_rows; a++)
        for (size_t b = a + 1; s == TS_OK && b < m.report->n_rows; b++)
            if (strcasecmp(m.report->rows[a].name, m.report->rows[b].name) == 0)
                s = note(ctx, m.report, "classes \"%s\" and \"%s\" differ only in case; kept apart (map one to the "
                         "other with --labelmap to merge them)", m.report->rows[a].name, m.report->rows[b].name);
    if (s != TS_OK) {
        ts_dataset_destroy(m.out);
        ts_merge_report_destroy(m.report);
        return s == TS_ERR_NOMEM && !*ts_ctx_error(ctx) ? ts_error(ctx, s, "out of memory") : s;
    }
    *out = m.out;
    if (report) *report = m.report;
    else ts_merge_report_destroy(m.report);
    return TS_OK;
}
