/* Pipelines: parsing the JSON description against the op table, drawing
 * each op's parameters from the counter-based RNG, logging and replaying
 * the draws. Execution (fusion and kernels) is in execute.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aug_internal.h"
#include "trainset/json.h"

static void free_node(aug_op *op) {
    for (size_t i = 0; i < op->n_children; i++) free_node(&op->children[i]);
    free(op->children);
}

void ts_aug_pipeline_destroy(ts_aug_pipeline *p) {
    if (!p) return;
    free_node(&p->root);
    free(p);
}

static int count_params(const aug_op_def *def) {
    int n = 0;
    while (def->params && def->params[n].name) n++;
    return n;
}

static ts_status bad(ts_ctx *ctx, const char *name, const ts_jvalue *v, const char *op, const char *fmt, const char *field) {
    return ts_error_at(ctx, TS_ERR_INVALID, name, v ? v->line : 0, v ? v->col : 0, fmt, op, field);
}

static ts_status parse_param(ts_ctx *ctx, const char *name, const char *opname, const aug_param_spec *spec,
                             const ts_jvalue *v, double *lo, double *hi) {
    if (spec->type == PARAM_ENUM) {
        if (v->type != TS_JSTRING) return bad(ctx, name, v, opname, "op \"%s\": \"%s\" must be a name", spec->name);
        for (int i = 0; spec->choices[i]; i++)
            if (strcmp(spec->choices[i], v->u.str.text) == 0) {
                *lo = *hi = i;
                return TS_OK;
            }
        ts_buf list = {0};
        for (int i = 0; spec->choices[i]; i++) ts_buf_printf(&list, "%s%s", i ? ", " : "", spec->choices[i]);
        ts_status s = ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "op \"%s\": \"%s\" is \"%s\", not one of %s",
                                  opname, spec->name, v->u.str.text, list.data ? list.data : "");
        ts_buf_free(&list);
        return s;
    }
    if (spec->type == PARAM_BOOL) {
        if (v->type != TS_JBOOL) return bad(ctx, name, v, opname, "op \"%s\": \"%s\" must be true or false", spec->name);
        *lo = *hi = v->u.boolean;
        return TS_OK;
    }
    if (v->type == TS_JNUMBER) {
        *lo = *hi = v->u.num.value;
    } else if (v->type == TS_JARRAY && v->u.arr.count == 2 && v->u.arr.items[0].type == TS_JNUMBER &&
               v->u.arr.items[1].type == TS_JNUMBER) {
        *lo = v->u.arr.items[0].u.num.value;
        *hi = v->u.arr.items[1].u.num.value;
    } else {
        return bad(ctx, name, v, opname, "op \"%s\": \"%s\" must be a number or a [low, high] pair", spec->name);
    }
    if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi)
        return bad(ctx, name, v, opname, "op \"%s\": \"%s\" needs finite values with low <= high", spec->name);
    if (*lo < spec->min || *hi > spec->max)
        return ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "op \"%s\": \"%s\" must lie in [%g, %g]", opname,
                           spec->name, spec->min, spec->max);
    if (spec->type == PARAM_INT && (*lo != floor(*lo) || *hi != floor(*hi)))
        return bad(ctx, name, v, opname, "op \"%s\": \"%s\" must be an integer", spec->name);
    return TS_OK;
}

static ts_status parse_node(ts_ctx *ctx, const char *name, const ts_jvalue *v, aug_op *op, int *counter);

static ts_status parse_children(ts_ctx *ctx, const char *name, const ts_jvalue *list, aug_op *op, int *counter,
                                const char *what) {
    if (!list || list->type != TS_JARRAY)
        return ts_error_at(ctx, TS_ERR_INVALID, name, list ? list->line : 0, list ? list->col : 0,
                           "\"%s\" must be a list of ops", what);
    op->children = ts_calloc_array(ctx, list->u.arr.count ? list->u.arr.count : 1, sizeof *op->children);
    if (!op->children) return TS_ERR_NOMEM;
    for (size_t i = 0; i < list->u.arr.count; i++) {
        op->n_children = i + 1;
        ts_status s = parse_node(ctx, name, &list->u.arr.items[i], &op->children[i], counter);
        if (s != TS_OK) return s;
    }
    return TS_OK;
}

static ts_status parse_node(ts_ctx *ctx, const char *name, const ts_jvalue *v, aug_op *op, int *counter) {
    if (v->type != TS_JOBJECT)
        return ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "an op must be an object like {\"op\": \"hflip\"}");
    op->index = (*counter)++;
    op->p = 1;
    const ts_jvalue *pv = ts_json_get(v, "p");
    if (pv && (pv->type != TS_JNUMBER || !(pv->u.num.value >= 0 && pv->u.num.value <= 1)))
        return ts_error_at(ctx, TS_ERR_INVALID, name, pv->line, pv->col, "\"p\" must be a probability in [0, 1]");
    if (pv) op->p = pv->u.num.value;
    const ts_jvalue *one = ts_json_get(v, "one_of"), *some = ts_json_get(v, "some_of");
    if (one) {
        op->node = AUG_ONE_OF;
        return parse_children(ctx, name, one, op, counter, "one_of");
    }
    if (some) {
        op->node = AUG_SOME_OF;
        ts_status s = parse_children(ctx, name, some, op, counter, "some_of");
        if (s != TS_OK) return s;
        op->n_lo = 1, op->n_hi = (int)op->n_children;
        const ts_jvalue *nv = ts_json_get(v, "n");
        if (nv) {
            static const aug_param_spec n_spec = {"n", PARAM_INT, 1, 1, 0, 1e6, NULL};
            double lo, hi;
            if ((s = parse_param(ctx, name, "some_of", &n_spec, nv, &lo, &hi)) != TS_OK) return s;
            if (hi > (double)op->n_children)
                return ts_error_at(ctx, TS_ERR_INVALID, name, nv->line, nv->col, "some_of: \"n\" exceeds its %zu ops",
                                   op->n_children);
            op->n_lo = (int)lo, op->n_hi = (int)hi;
        }
        return TS_OK;
    }
    const char *opname = ts_json_get_string(v, "op");
    if (!opname) return ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "op without an \"op\" name");
    op->node = AUG_LEAF;
    op->def = aug_find_op(opname);
    if (!op->def) return ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "unknown op \"%s\"", opname);
    int np = count_params(op->def);
    for (int i = 0; i < np; i++) op->lo[i] = op->def->params[i].lo, op->hi[i] = op->def->params[i].hi;
    for (size_t k = 0; k < v->u.obj.count; k++) {
        const char *key = v->u.obj.keys[k];
        if (strcmp(key, "op") == 0 || strcmp(key, "p") == 0) continue;
        int found = -1;
        for (int i = 0; i < np && found < 0; i++)
            if (strcmp(op->def->params[i].name, key) == 0) found = i;
        if (found < 0) {
            ts_buf list = {0};
            for (int i = 0; i < np; i++) ts_buf_printf(&list, "%s%s", i ? ", " : "", op->def->params[i].name);
            ts_status s = ts_error_at(ctx, TS_ERR_INVALID, name, v->u.obj.values[k].line, v->u.obj.values[k].col,
                                      "op \"%s\" has no parameter \"%s\" (it takes: %s)", opname, key,
                                      list.data ? list.data : "nothing");
            ts_buf_free(&list);
            return s;
        }
        ts_status s = parse_param(ctx, name, opname, &op->def->params[found], &v->u.obj.values[k], &op->lo[found],
                                  &op->hi[found]);
        if (s != TS_OK) return s;
    }
    if (op->def->validate) return op->def->validate(ctx, op, name);
    return TS_OK;
}

static ts_status number_key(ts_ctx *ctx, const char *name, const ts_jvalue *doc, const char *key, double min,
                            double max, double *out) {
    const ts_jvalue *v = ts_json_get(doc, key);
    if (!v) return TS_OK;
    if (v->type != TS_JNUMBER || !(v->u.num.value >= min && v->u.num.value <= max))
        return ts_error_at(ctx, TS_ERR_INVALID, name, v->line, v->col, "\"%s\" must be a number in [%g, %g]", key, min, max);
    *out = v->u.num.value;
    return TS_OK;
}

ts_status ts_aug_pipeline_parse(ts_ctx *ctx, const char *name, const char *json, size_t len, ts_aug_pipeline **out) {
    ts_jvalue *doc;
    ts_status s = ts_json_parse(ctx, name, json, len, &doc);
    if (s != TS_OK) return s;
    ts_aug_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        ts_json_free(doc);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    p->root.node = AUG_SEQUENCE;
    p->root.p = 1;
    p->root.index = 0;
    int counter = 1;
    if (doc->type != TS_JOBJECT) s = ts_error_at(ctx, TS_ERR_INVALID, name, 1, 1, "a pipeline is an object {\"ops\": [...]}");
    for (size_t k = 0; s == TS_OK && k < doc->u.obj.count; k++) {
        const char *key = doc->u.obj.keys[k];
        static const char *const known[] = {"ops", "min_area", "min_visibility", "min_width", "min_height", "bbox_rotate",
                                            "name", "description", NULL};
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++) ok = strcmp(known[i], key) == 0;
        if (!ok)
            s = ts_error_at(ctx, TS_ERR_INVALID, name, doc->u.obj.values[k].line, doc->u.obj.values[k].col,
                            "unknown pipeline key \"%s\"", key);
    }
    if (s == TS_OK) s = parse_children(ctx, name, ts_json_get(doc, "ops"), &p->root, &counter, "ops");
    if (s == TS_OK) s = number_key(ctx, name, doc, "min_area", 0, 1e12, &p->min_area);
    if (s == TS_OK) s = number_key(ctx, name, doc, "min_visibility", 0, 1, &p->min_visibility);
    if (s == TS_OK) s = number_key(ctx, name, doc, "min_width", 0, 1e9, &p->min_width);
    if (s == TS_OK) s = number_key(ctx, name, doc, "min_height", 0, 1e9, &p->min_height);
    const ts_jvalue *br = ts_json_get(doc, "bbox_rotate");
    if (s == TS_OK && br) {
        const char *v = br->type == TS_JSTRING ? br->u.str.text : "";
        if (strcmp(v, "corners") == 0) p->bbox_rotate = BBOX_CORNERS;
        else if (strcmp(v, "ellipse") == 0) p->bbox_rotate = BBOX_ELLIPSE;
        else s = ts_error_at(ctx, TS_ERR_INVALID, name, br->line, br->col, "\"bbox_rotate\" must be \"corners\" or \"ellipse\"");
    }
    p->n_ops = counter;
    ts_json_free(doc);
    if (s != TS_OK) {
        ts_aug_pipeline_destroy(p);
        return s;
    }
    *out = p;
    return TS_OK;
}

ts_status ts_aug_pipeline_load(ts_ctx *ctx, const char *spec, ts_aug_pipeline **out) {
    const char *p = spec;
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (*p == '{') return ts_aug_pipeline_parse(ctx, "pipeline", spec, strlen(spec), out);
    uint8_t *data;
    size_t len;
    ts_status s = ts_file_read(ctx, spec, &data, &len);
    if (s != TS_OK) return s;
    s = ts_aug_pipeline_parse(ctx, spec, (const char *)data, len, out);
    free(data);
    return s;
}

const char *const *ts_aug_op_names(void) {
    static const char *names[128];
    if (!names[0]) {
        size_t n = 0;
        for (const aug_op_def *const *d = aug_all_ops; *d && n < 127; d++) names[n++] = (*d)->name;
        names[n] = NULL;
    }
    return names;
}

const aug_op_def *aug_find_op(const char *name) {
    for (const aug_op_def *const *d = aug_all_ops; *d; d++)
        if (strcmp((*d)->name, name) == 0) return *d;
    return NULL;
}

/* ---- drawing ------------------------------------------------------------------ */

void aug_draw_params(const aug_op *op, const aug_view *view, ts_rng *rng, aug_draw *d);
void aug_draw_params(const aug_op *op, const aug_view *view, ts_rng *rng, aug_draw *d) {
    int np = count_params(op->def);
    memset(d, 0, sizeof *d);
    for (int i = 0; i < np; i++) {
        double lo = op->lo[i], hi = op->hi[i];
        if (lo == hi) d->v[i] = lo;
        else if (op->def->params[i].type == PARAM_INT) d->v[i] = lo + (double)ts_rng_below(rng, (uint64_t)(hi - lo) + 1);
        else d->v[i] = ts_rng_range(rng, lo, hi);
    }
    d->n = np;
    if (op->def->extra) op->def->extra(op, view, rng, d);
}
