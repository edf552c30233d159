/* YOLO pose (Ultralytics keypoints): data.yaml's kpt_shape, flip_idx and
 * kpt_names on reading, keypoint rows to pixel triples, and on writing the
 * choice of one keypoint count K for the whole dataset and its yaml lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/csv_internal.h"
#include "formats/yolo_internal.h"

/* ---- reading ------------------------------------------------------------------------ */

static int entry_int(const ts_yaml_entry *e, size_t i, int64_t *out) {
    return ts_parse_int_span(e->values[i], strlen(e->values[i]), out);
}

static ts_status read_kpt_shape(ts_yolo_reader *r, const ts_yaml_entry *e, const char *yaml) {
    int64_t k = 0, d = 0;
    if (e->is_map || e->is_scalar || e->count != 2 || !entry_int(e, 0, &k) || !entry_int(e, 1, &d))
        return ts_error_at(r->ctx, TS_ERR_PARSE, yaml, e->line, 0,
                           "kpt_shape: expected [K, D], K keypoints and D = 2 (x y) or 3 (x y visibility)");
    if (k < 1 || k > TS_YOLO_MAX_KEYPOINTS)
        return ts_error_at(r->ctx, TS_ERR_LIMIT, yaml, e->line, 0, "kpt_shape: %lld keypoints; expected 1 to %d",
                           (long long)k, TS_YOLO_MAX_KEYPOINTS);
    if (d != 2 && d != 3)
        return ts_error_at(r->ctx, TS_ERR_PARSE, yaml, e->line, 0,
                           "kpt_shape: %lld values per keypoint; expected 2 (x y) or 3 (x y visibility)", (long long)d);
    r->kpt_k = (uint32_t)k;
    r->kpt_dim = (uint32_t)d;
    return TS_OK;
}

/* flip_idx: K indices in [0, K), kept as the JSON list "[0,2,1]". */
static ts_status read_flip_idx(ts_yolo_reader *r, const ts_yaml_entry *e, const char *yaml) {
    if (!e) return TS_OK;
    ts_buf json = {0};
    ts_status s = ts_buf_putc(&json, '[');
    int ok = !e->is_map && !e->is_scalar && e->count == r->kpt_k;
    for (size_t i = 0; ok && i < e->count && s == TS_OK; i++) {
        int64_t v;
        ok = entry_int(e, i, &v) && v >= 0 && v < (int64_t)r->kpt_k;
        if (ok && i) s = ts_buf_putc(&json, ',');
        if (ok && s == TS_OK) s = ts_buf_put_int(&json, v);
    }
    if (s == TS_OK && ok) s = ts_buf_putc(&json, ']');
    if (s == TS_OK && ok) r->flip_idx = ts_strndup(r->ctx, json.data, json.len);
    ts_buf_free(&json);
    if (s != TS_OK || (ok && !r->flip_idx)) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    if (!ok)
        return ts_error_at(r->ctx, TS_ERR_PARSE, yaml, e->line, 0,
                           "flip_idx: expected %u indices, each 0 to %u (the keypoint a horizontal flip swaps with)",
                           r->kpt_k, r->kpt_k - 1);
    return TS_OK;
}

/* kpt_names: {class: [names]}; lists of another length than K are
 * ignored with a warning (the names are labels only). */
static ts_status read_kpt_names(ts_yolo_reader *r, const ts_yaml_entry *e, const char *yaml) {
    if (!e) return TS_OK;
    if (!e->is_map) {
        ts_warn(r->ctx, "%s:%u: kpt_names: expected a map of class index to keypoint names; ignored", yaml, e->line);
        return TS_OK;
    }
    for (size_t i = 0; i < e->count; i++) {
        const ts_yaml_list *l = &e->lists[i];
        int64_t cls = e->index[i];
        if (cls < 0 || cls > 100000) continue;
        if (l->count != r->kpt_k) {
            ts_warn(r->ctx, "%s:%u: kpt_names of class %lld lists %zu names, kpt_shape %u keypoints; using kp0..",
                    yaml, e->line, (long long)cls, l->count, r->kpt_k);
            continue;
        }
        if ((size_t)cls >= r->n_kpt_names) {
            char ***grown = realloc(r->kpt_names, ((size_t)cls + 1) * sizeof *grown);
            if (!grown) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
            memset(grown + r->n_kpt_names, 0, ((size_t)cls + 1 - r->n_kpt_names) * sizeof *grown);
            r->kpt_names = grown;
            r->n_kpt_names = (size_t)cls + 1;
        }
        char **names = ts_calloc_array(r->ctx, l->count, sizeof *names);
        if (!names) return TS_ERR_NOMEM;
        ts_strings_free(r->kpt_names[cls], r->kpt_k);
        r->kpt_names[cls] = names;
        for (size_t k = 0; k < l->count; k++)
            if (!(names[k] = ts_strdup(r->ctx, l->values[k]))) return TS_ERR_NOMEM;
    }
    return TS_OK;
}

ts_status ts_yolo_pose_from_yaml(ts_yolo_reader *r, const ts_yaml_doc *doc, const char *yaml_path) {
    const ts_yaml_entry *shape = ts_yaml_get(doc, "kpt_shape");
    if (!shape) return TS_OK;
    ts_status s = read_kpt_shape(r, shape, yaml_path);
    if (s == TS_OK) s = read_flip_idx(r, ts_yaml_get(doc, "flip_idx"), yaml_path);
    if (s == TS_OK) s = read_kpt_names(r, ts_yaml_get(doc, "kpt_names"), yaml_path);
    return s;
}

static ts_status default_names(ts_yolo_reader *r) {
    if (r->default_kpt_names) return TS_OK;
    r->default_kpt_names = ts_calloc_array(r->ctx, r->kpt_k, sizeof *r->default_kpt_names);
    if (!r->default_kpt_names) return TS_ERR_NOMEM;
    for (uint32_t k = 0; k < r->kpt_k; k++) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "kp%u", k);
        if (!(r->default_kpt_names[k] = ts_strdup(r->ctx, tmp))) return TS_ERR_NOMEM;
    }
    return TS_OK;
}

ts_status ts_yolo_pose_category(ts_yolo_reader *r, size_t index, ts_category *c, ts_attr *flip) {
    if (!r->kpt_k) return TS_OK;
    char **names = index < r->n_kpt_names ? r->kpt_names[index] : NULL;
    if (!names) {
        ts_status s = default_names(r);
        if (s != TS_OK) return s;
        names = r->default_kpt_names;
    }
    c->keypoints = (const char *const *)names;
    c->n_keypoints = r->kpt_k;
    if (r->flip_idx) {
        flip->key = "flip_idx";
        flip->value = r->flip_idx;
        flip->type = TS_ATTR_JSON;
        c->attrs = flip;
        c->n_attrs = 1;
    }
    return TS_OK;
}

void ts_yolo_pose_free(ts_yolo_reader *r) {
    for (size_t i = 0; i < r->n_kpt_names; i++) ts_strings_free(r->kpt_names[i], r->kpt_k);
    free(r->kpt_names);
    ts_strings_free(r->default_kpt_names, r->kpt_k);
    free(r->flip_idx);
    free(r->kps);
}

int ts_yolo_pose_points(uint32_t k, uint32_t dim, const double *v, int W, int H, double *out) {
    int outside = 0;
    for (uint32_t i = 0; i < k; i++) {
        double x = v[i * dim], y = v[i * dim + 1];
        double vis = dim == 3 ? v[i * dim + 2] : (x < 0 || y < 0 || (x == 0 && y == 0)) ? 0 : 2;
        if (vis == 0) x = y = 0;
        out[3 * i] = x * W;
        out[3 * i + 1] = y * H;
        out[3 * i + 2] = vis;
        if (x < 0 || x > 1 || y < 0 || y > 1) outside = 1;
    }
    return outside;
}

/* ---- writing ------------------------------------------------------------------------ */

/* A JSON list of k integers in [0, k) ("[0, 2, 1]") into out; 0 when it is not one. */
static int parse_flip(const char *json, uint32_t k, int32_t *out) {
    const char *p = json;
    while (*p == ' ') p++;
    if (*p++ != '[') return 0;
    uint32_t n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\t') p++;
        if (*p == ']') break;
        if (n && *p++ != ',') return 0;
        while (*p == ' ' || *p == '\n' || *p == '\t') p++;
        const char *t = p;
        while (*p >= '0' && *p <= '9') p++;
        int64_t v;
        if (n == k || !ts_parse_int_span(t, (size_t)(p - t), &v) || v >= (int64_t)k) return 0;
        out[n++] = (int32_t)v;
    }
    return n == k;
}

/* Index of the keypoint named as `name` with "left" and "right" swapped
 * (any case), or -1. */
static int32_t mirror_of(const char *const *names, uint32_t k, const char *name) {
    static const char *const sides[2] = {"left", "right"};
    for (int side = 0; side < 2; side++) {
        size_t sl = strlen(sides[side]);
        for (const char *p = name; *p; p++) {
            if (strncasecmp(p, sides[side], sl) != 0) continue;
            const char *other = sides[!side];
            size_t pre = (size_t)(p - name), ol = strlen(other);
            for (uint32_t j = 0; j < k; j++) {
                const char *c = names[j];
                if (strncasecmp(c, name, pre) == 0 && strncasecmp(c + pre, other, ol) == 0 &&
                    strcasecmp(c + pre + ol, p + sl) == 0)
                    return (int32_t)j;
            }
            return -1;
        }
    }
    return -1;
}

/* flip_idx from names: left_x <-> right_x; 0 when no pair is found. */
static int flip_from_names(const char *const *names, uint32_t k, int32_t *out) {
    int pairs = 0;
    for (uint32_t i = 0; i < k; i++) {
        int32_t j = mirror_of(names, k, names[i]);
        out[i] = j >= 0 ? j : (int32_t)i;
        pairs += j >= 0;
    }
    for (uint32_t i = 0; i < k; i++)
        if (out[out[i]] != (int32_t)i) return 0; /* not a pairing */
    return pairs > 0;
}

/* flip_idx for K points: a category's "flip_idx" attribute, else its names. */
static ts_status choose_flip(ts_ctx *ctx, const ts_dataset *ds, ts_yolo_pose_plan *plan) {
    int32_t *flip = ts_alloc_array(ctx, plan->k, sizeof *flip);
    if (!flip) return TS_ERR_NOMEM;
    size_t n = ts_dataset_category_count(ds);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        ts_category c;
        ts_dataset_category(ds, i, &c);
        const char *json = ts_attr_value(c.attrs, c.n_attrs, "flip_idx");
        found = json && parse_flip(json, plan->k, flip);
    }
    for (size_t i = 0; i < n && !found; i++) {
        ts_category c;
        ts_dataset_category(ds, i, &c);
        found = c.n_keypoints == plan->k && flip_from_names(c.keypoints, plan->k, flip);
    }
    if (found) plan->flip_idx = flip;
    else free(flip);
    return TS_OK;
}

/* The first keypoint-set size seen, and the first that differs from it. */
typedef struct {
    uint32_t k[2];
    int64_t category[2];
} sizes_seen;

static void note_size(sizes_seen *seen, uint32_t k, int64_t category) {
    if (!k) return;
    int slot = !seen->k[0] ? 0 : (k != seen->k[0] && !seen->k[1]) ? 1 : -1;
    if (slot < 0) return;
    seen->k[slot] = k;
    seen->category[slot] = category;
}

static const char *category_name(const ts_dataset *ds, int64_t id) {
    size_t ci;
    if (!ts_dataset_find_category(ds, id, &ci)) return "?";
    ts_category c;
    ts_dataset_category(ds, ci, &c);
    return c.name;
}

ts_status ts_yolo_pose_plan_make(ts_ctx *ctx, const ts_dataset *ds, ts_yolo_pose_plan *out) {
    memset(out, 0, sizeof *out);
    sizes_seen seen = {{0, 0}, {0, 0}};
    size_t n_points = 0, n_cat = ts_dataset_category_count(ds), n_ann = ts_dataset_annotation_count(ds);
    for (size_t i = 0; i < n_ann; i++) {
        ts_annotation a;
        ts_dataset_annotation(ds, i, &a);
        if (a.kind != TS_ANN_KEYPOINTS) continue;
        out->pointless += !a.n_keypoints;
        if (!a.n_keypoints) continue;
        n_points++;
        note_size(&seen, a.n_keypoints, a.category_id);
    }
    if (!n_points) return TS_OK;
    for (size_t i = 0; i < n_cat; i++) {
        ts_category c;
        ts_dataset_category(ds, i, &c);
        note_size(&seen, c.n_keypoints, c.id);
        out->skeletons += c.n_skeleton > 0;
    }
    if (seen.k[1]) {
        ts_buf b = {0};
        ts_status s = ts_buf_printf(&b, "\"%s\" has %u points, \"%s\" %u", category_name(ds, seen.category[0]),
                                    seen.k[0], category_name(ds, seen.category[1]), seen.k[1]);
        out->mixed = s == TS_OK ? b.data : NULL;
        if (s != TS_OK) ts_buf_free(&b);
        out->skeletons = 0;
        return s == TS_OK ? TS_OK : ts_error(ctx, s, "out of memory");
    }
    out->k = seen.k[0];
    return choose_flip(ctx, ds, out);
}

void ts_yolo_pose_plan_free(ts_yolo_pose_plan *plan) {
    free(plan->flip_idx);
    free(plan->mixed);
}

/* 1 when the names are kp0, kp1, ... (what the reader invents). */
static int default_named(const ts_category *c) {
    for (uint32_t k = 0; k < c->n_keypoints; k++) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "kp%u", k);
        if (strcmp(c->keypoints[k], tmp) != 0) return 0;
    }
    return 1;
}

static ts_status put_kpt_names(ts_buf *b, const ts_dataset *ds, uint32_t k, const int64_t *class_of) {
    size_t n = ts_dataset_category_count(ds);
    int any = 0;
    ts_status s = TS_OK;
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_category c;
        ts_dataset_category(ds, i, &c);
        if (c.n_keypoints != k || default_named(&c)) continue;
        if (!any) s = ts_buf_puts(b, "kpt_names:\n");
        any = 1;
        if (s == TS_OK) s = ts_buf_printf(b, "  %lld:\n", (long long)class_of[i]);
        for (uint32_t p = 0; p < k && s == TS_OK; p++) {
            s = ts_buf_puts(b, "    - ");
            if (s == TS_OK) s = ts_yaml_put_string(b, c.keypoints[p]);
            if (s == TS_OK) s = ts_buf_putc(b, '\n');
        }
    }
    return s;
}

ts_status ts_yolo_pose_yaml(ts_buf *b, const ts_dataset *ds, const ts_yolo_pose_plan *plan, const int64_t *class_of) {
    if (!plan->k) return TS_OK;
    ts_status s = ts_buf_printf(b, "kpt_shape: [%u, 3]\n", plan->k);
    if (s == TS_OK && plan->flip_idx) {
        s = ts_buf_puts(b, "flip_idx: [");
        for (uint32_t i = 0; i < plan->k && s == TS_OK; i++) s = ts_buf_printf(b, i ? ", %d" : "%d", plan->flip_idx[i]);
        if (s == TS_OK) s = ts_buf_puts(b, "]\n");
    }
    return s == TS_OK ? put_kpt_names(b, ds, plan->k, class_of) : s;
}
