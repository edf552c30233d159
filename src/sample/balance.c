/* Class balancing: targets, plans (copies for oversample/augment, drops
 * for undersample, LVIS repeat factors) with a before/after table, and
 * applying a plan to make the balanced dataset. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample_internal.h"

enum { OP_SIDE = 21, OP_DROP = 22, OP_AUGMENT = 23 };

static const char *const method_names[] = {"augment", "oversample", "undersample", "repeat-factor"};

const char *ts_balance_method_name(ts_balance_method m) {
    return (unsigned)m < 4 ? method_names[m] : "?";
}

int ts_balance_method_parse(const char *s) {
    for (int m = 0; s && m < 4; m++)
        if (strcmp(s, method_names[m]) == 0) return m;
    return -1;
}

void ts_balance_plan_free(ts_balance_plan *p) {
    if (!p) return;
    free(p->target), free(p->before_images), free(p->after_images), free(p->before_instances);
    free(p->after_instances), free(p->copy_source), free(p->drop), free(p->weight);
    memset(p, 0, sizeof *p);
}

static ts_status targets(ts_ctx *ctx, const sample_labels *l, const ts_balance_opts *o, int grow, double *t) {
    size_t nc = l->n_classes;
    double fmax = 0, fmin = INFINITY;
    for (size_t c = 0; c < nc; c++) {
        double f = (double)l->class_images[c];
        if (f <= 0) continue;
        if (f > fmax) fmax = f;
        if (f < fmin) fmin = f;
    }
    for (size_t c = 0; c < nc; c++) {
        double f = (double)l->class_images[c];
        switch (o->target) {
        case TS_TARGET_UNIFORM: t[c] = f > 0 ? (grow ? fmax : fmin) : -1; break;
        case TS_TARGET_SQRT: t[c] = f > 0 ? round(sqrt(f * (grow ? fmax : fmin))) : -1; break;
        case TS_TARGET_COUNT: t[c] = (double)o->count; break;
        case TS_TARGET_PER_CLASS:
            if (!o->per_class) return ts_error(ctx, TS_ERR_INVALID, "balance: per-class targets missing");
            t[c] = o->per_class[c] >= 0 ? o->per_class[c] : -1;
            break;
        default: return ts_error(ctx, TS_ERR_INVALID, "balance: unknown target kind");
        }
        /* growing never shrinks a class, shrinking never grows one */
        if (t[c] >= 0 && (grow ? t[c] < f : t[c] > f)) t[c] = f;
    }
    return TS_OK;
}

static const char *class_name(const ts_dataset *ds, size_t c) {
    ts_category cat;
    ts_dataset_category(ds, c, &cat);
    return cat.name;
}

/* Copies for classes below target, rarest class first; each class's copies
 * go round-robin over its images, those adding fewest instances of classes
 * already at target first. */
static ts_status plan_grow(ts_ctx *ctx, const ts_dataset *ds, const sample_labels *l, const ts_balance_opts *o,
                           ts_balance_plan *p) {
    size_t nc = l->n_classes, ni = l->n_images;
    uint32_t *order = ts_alloc_array(ctx, nc ? nc : 1, sizeof *order);
    uint64_t *key = ts_alloc_array(ctx, nc > ni ? nc : (ni ? ni : 1), sizeof *key);
    uint32_t *cand = ts_alloc_array(ctx, ni ? ni : 1, sizeof *cand);
    uint32_t *coff = ts_calloc_array(ctx, nc + 1, sizeof *coff);
    uint32_t *cimg = ts_alloc_array(ctx, l->off[ni] ? l->off[ni] : 1, sizeof *cimg);
    size_t cap = 0;
    ts_status st = order && key && cand && coff && cimg ? TS_OK : TS_ERR_NOMEM;
    if (st == TS_OK) {
        for (size_t y = 0; y < l->off[ni]; y++) coff[l->cls[y] + 1]++;
        for (size_t c = 0; c < nc; c++) coff[c + 1] += coff[c];
        for (size_t i = 0; i < ni; i++)
            for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++) cimg[coff[l->cls[y]]++] = (uint32_t)i;
        memmove(coff + 1, coff, nc * sizeof *coff);
        coff[0] = 0;
        for (size_t c = 0; c < nc; c++) order[c] = (uint32_t)c, key[c] = l->class_images[c];
        st = ts_sort_by_key(ctx, key, order, nc);
    }
    size_t *cur = p->after_images;
    for (size_t x = 0; x < nc && st == TS_OK; x++) {
        uint32_t c = order[x];
        if (p->target[c] < 0 || (double)cur[c] >= p->target[c]) continue;
        uint32_t m = coff[c + 1] - coff[c];
        size_t need = (size_t)ceil(p->target[c] - (double)cur[c]);
        if (m == 0) {
            p->unreached++;
            if (!o->best_effort)
                st = ts_error(ctx, TS_ERR_INVALID, "balance: class '%s' has no images, so it cannot reach %.0f "
                              "(use --best-effort to balance the others)", class_name(ds, c), p->target[c]);
            continue;
        }
        for (uint32_t k = 0; k < m; k++) {
            uint32_t i = cimg[coff[c] + k];
            uint64_t side = 0;
            for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++)
                if (l->cls[y] != c && p->target[l->cls[y]] >= 0 && (double)cur[l->cls[y]] >= p->target[l->cls[y]])
                    side += l->inst[y];
            ts_rng r = ts_rng_for(o->seed, c, i, OP_SIDE);
            key[k] = (side < 0xffffffu ? side : 0xffffffu) << 40 | (ts_rng_u64(&r) >> 24);
            cand[k] = i;
        }
        st = ts_sort_by_key(ctx, key, cand, m);
        if (st == TS_OK && ts_grow(ctx, (void **)&p->copy_source, &cap, p->n_copies + need, sizeof *p->copy_source) != TS_OK)
            st = TS_ERR_NOMEM;
        for (size_t k = 0; k < need && st == TS_OK; k++) {
            uint32_t i = cand[k % m];
            p->copy_source[p->n_copies++] = i;
            for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++) {
                cur[l->cls[y]]++;
                p->after_instances[l->cls[y]] += l->inst[y];
            }
        }
    }
    free(order), free(key), free(cand), free(coff), free(cimg);
    return st;
}

/* Drop images whose classes all stay at or above target without them:
 * near-duplicates (not the first of their group) first, then by seed. */
static ts_status plan_shrink(ts_ctx *ctx, const ts_dataset *ds, const sample_labels *l, const ts_balance_opts *o,
                             ts_balance_plan *p) {
    size_t nc = l->n_classes, ni = l->n_images;
    p->drop = ts_calloc_array(ctx, ni ? ni : 1, 1);
    uint64_t *key = ts_alloc_array(ctx, ni ? ni : 1, sizeof *key);
    uint32_t *cand = ts_alloc_array(ctx, ni ? ni : 1, sizeof *cand);
    uint8_t *first_seen = o->dup_groups ? ts_calloc_array(ctx, ni ? ni : 1, 1) : NULL;
    ts_status st = p->drop && key && cand && (!o->dup_groups || first_seen) ? TS_OK : TS_ERR_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < ni && st == TS_OK; i++) {
        int dup = 0;
        if (o->dup_groups) {
            uint32_t g = o->dup_groups[i];
            if (g < ni && first_seen[g]) dup = 1;
            else if (g < ni) first_seen[g] = 1;
        }
        if (l->off[i] == l->off[i + 1]) continue; /* unlabelled images stay */
        ts_rng r = ts_rng_for(o->seed, 0, i, OP_DROP);
        key[m] = (uint64_t)!dup << 63 | (ts_rng_u64(&r) >> 1);
        cand[m++] = (uint32_t)i;
    }
    if (st == TS_OK) st = ts_sort_by_key(ctx, key, cand, m);
    size_t *cur = p->after_images;
    for (size_t k = 0; k < m && st == TS_OK; k++) {
        uint32_t i = cand[k];
        int ok = 1;
        for (uint32_t y = l->off[i]; y < l->off[i + 1] && ok; y++) {
            double t = p->target[l->cls[y]];
            ok = t >= 0 && (double)cur[l->cls[y]] - 1 >= t;
        }
        if (!ok) continue;
        p->drop[i] = 1;
        p->n_dropped++;
        for (uint32_t y = l->off[i]; y < l->off[i + 1]; y++) {
            cur[l->cls[y]]--;
            p->after_instances[l->cls[y]] -= l->inst[y];
        }
    }
    ts_buf list = {0};
    for (size_t c = 0; c < nc && st == TS_OK; c++) {
        if (p->target[c] < 0 || (double)cur[c] <= p->target[c]) continue;
        if (p->unreached++ < 5)
            ts_buf_printf(&list, "%s'%s' stays at %zu images (target %.0f)", p->unreached > 1 ? ", " : "",
                          class_name(ds, c), cur[c], p->target[c]);
    }
    if (st == TS_OK && p->unreached && !o->best_effort)
        st = ts_error(ctx, TS_ERR_INVALID, "balance: undersampling cannot reach the target of %zu class%s, whose "
                      "remaining images also hold classes at or below their targets: %s%s (use --best-effort "
                      "for the closest result)", p->unreached, p->unreached == 1 ? "" : "es", list.data,
                      p->unreached > 5 ? ", ..." : "");
    ts_buf_free(&list);
    free(key), free(cand), free(first_seen);
    return st;
}

ts_status ts_balance_plan_make(ts_ctx *ctx, const ts_dataset *ds, const ts_balance_opts *o, ts_balance_plan *out) {
    if (!o || (unsigned)o->method > TS_BALANCE_REPEAT_FACTOR)
        return ts_error(ctx, TS_ERR_INVALID, "balance: unknown method");
    sample_labels l;
    ts_status st = sample_labels_build(ctx, ds, &l);
    if (st != TS_OK) return st;
    size_t nc = l.n_classes, ni = l.n_images, k = nc ? nc : 1;
    ts_balance_plan p = {0};
    p.n_classes = nc;
    p.n_images = ni;
    p.target = ts_alloc_array(ctx, k, sizeof *p.target);
    p.before_images = ts_alloc_array(ctx, k, sizeof *p.before_images);
    p.after_images = ts_alloc_array(ctx, k, sizeof *p.after_images);
    p.before_instances = ts_alloc_array(ctx, k, sizeof *p.before_instances);
    p.after_instances = ts_alloc_array(ctx, k, sizeof *p.after_instances);
    if (!p.target || !p.before_images || !p.after_images || !p.before_instances || !p.after_instances)
        st = TS_ERR_NOMEM;
    for (size_t c = 0; c < nc && st == TS_OK; c++) {
        p.before_images[c] = p.after_images[c] = l.class_images[c];
        p.before_instances[c] = p.after_instances[c] = l.class_instances[c];
    }
    if (st == TS_OK && o->method == TS_BALANCE_REPEAT_FACTOR) {
        double t = o->repeat_threshold > 0 ? o->repeat_threshold : 0.001;
        p.weight = ts_alloc_array(ctx, ni ? ni : 1, sizeof *p.weight);
        double *expected = ts_calloc_array(ctx, k, sizeof *expected);
        double *rc = ts_alloc_array(ctx, k, sizeof *rc);
        if (!p.weight || !expected || !rc) st = TS_ERR_NOMEM;
        for (size_t c = 0; c < nc && st == TS_OK; c++) {
            double f = ni ? (double)l.class_images[c] / (double)ni : 0;
            rc[c] = f > 0 ? fmax(1.0, sqrt(t / f)) : 1.0;
            p.target[c] = -1;
        }
        for (size_t i = 0; i < ni && st == TS_OK; i++) {
            double r = 1;
            for (uint32_t y = l.off[i]; y < l.off[i + 1]; y++) r = fmax(r, rc[l.cls[y]]);
            p.weight[i] = r;
            for (uint32_t y = l.off[i]; y < l.off[i + 1]; y++) expected[l.cls[y]] += r;
        }
        /* "after" is what one epoch of repeat-factor sampling draws on average */
        for (size_t c = 0; c < nc && st == TS_OK; c++) {
            p.after_images[c] = (size_t)llround(expected[c]);
            p.after_instances[c] = l.class_images[c] ? (size_t)llround(expected[c] * (double)l.class_instances[c] /
                                                                        (double)l.class_images[c])
                                                     : 0;
        }
        free(expected), free(rc);
    } else if (st == TS_OK) {
        int grow = o->method != TS_BALANCE_UNDERSAMPLE;
        st = targets(ctx, &l, o, grow, p.target);
        if (st == TS_OK) st = grow ? plan_grow(ctx, ds, &l, o, &p) : plan_shrink(ctx, ds, &l, o, &p);
    }
    sample_labels_free(&l);
    if (st != TS_OK) {
        ts_balance_plan_free(&p);
        return st;
    }
    *out = p;
    return TS_OK;
}

/* ---- applying a plan ------------------------------------------------------- */

/* Set (or add) one attribute of image `index`. */
static ts_status set_image_attr(ts_ctx *ctx, ts_dataset *d, size_t index, const char *key, const char *value,
                                ts_attr_type type) {
    ts_image_entry e;
    ts_dataset_image(d, index, &e);
    ts_attr *attrs = ts_alloc_array(ctx, (size_t)e.n_attrs + 1, sizeof *attrs);
    if (!attrs) return TS_ERR_NOMEM;
    uint32_t n = 0;
    for (uint32_t a = 0; a < e.n_attrs; a++)
        if (strcmp(e.attrs[a].key, key) != 0) attrs[n++] = e.attrs[a];
    attrs[n].key = key;
    attrs[n].value = value;
    attrs[n].type = type;
    e.attrs = attrs;
    e.n_attrs = n + 1;
    ts_status st = ts_dataset_update_image(ctx, d, index, &e);
    free(attrs);
    return st;
}

static ts_status copy_annotations(ts_ctx *ctx, const ts_dataset *src, size_t i, ts_dataset *dst, int64_t image_id) {
    const size_t *anns;
    size_t na;
    ts_status st = ts_dataset_image_annotations(ctx, src, i, &anns, &na);
    for (size_t k = 0; k < na && st == TS_OK; k++) {
        ts_annotation a;
        ts_dataset_annotation(src, anns[k], &a);
        a.id = ts_dataset_next_annotation_id(dst);
        a.image_id = image_id;
        st = ts_dataset_add_annotation(ctx, dst, &a, NULL);
    }
    return st;
}

ts_status ts_balance_apply(ts_ctx *ctx, const ts_dataset *ds, const ts_balance_plan *plan,
                           const ts_balance_opts *o, ts_balance_make_fn make, void *user, ts_dataset **out) {
    size_t ni = ts_dataset_image_count(ds);
    if (plan->n_images != ni) return ts_error(ctx, TS_ERR_INVALID, "balance: the plan was made for another dataset");
    if (o->method == TS_BALANCE_AUGMENT && !make && plan->n_copies)
        return ts_error(ctx, TS_ERR_UNSUPPORTED,
                        "balance --method augment: the plan needs %zu new images, but no augmentation engine is "
                        "built in yet (issue #3); use --method oversample to duplicate references instead",
                        plan->n_copies);
    uint8_t *keep = ts_alloc_array(ctx, ni ? ni : 1, 1);
    if (!keep) return TS_ERR_NOMEM;
    for (size_t i = 0; i < ni; i++) keep[i] = !(plan->drop && plan->drop[i]);
    ts_dataset *d = NULL;
    ts_status st = ts_sample_subset(ctx, ds, keep, NULL, &d);
    free(keep);
    if (st == TS_OK && o->method == TS_BALANCE_REPEAT_FACTOR) {
        for (size_t i = 0; i < ni && st == TS_OK; i++) {
            char num[32];
            ts_format_double(num, plan->weight[i]);
            st = set_image_attr(ctx, d, i, "repeat_factor", num, TS_ATTR_NUMBER);
        }
    }
    /* copies: the source and its copies share a group, so split keeps them
     * together; a source without one gets a fresh group id */
    int64_t next_group = 0;
    for (size_t i = 0; i < ni && plan->n_copies; i++) {
        ts_image_entry e;
        ts_dataset_image(ds, i, &e);
        if (e.group_id != TS_NO_ID && e.group_id >= next_group) next_group = e.group_id + 1;
    }
    for (size_t k = 0; k < plan->n_copies && st == TS_OK; k++) {
        size_t src = plan->copy_source[k], at;
        ts_image_entry e;
        ts_dataset_image(d, src, &e); /* no drops when copying: index is the same */
        int64_t group = e.group_id != TS_NO_ID ? e.group_id : next_group++;
        if (e.group_id == TS_NO_ID) {
            e.group_id = group;
            st = ts_dataset_update_image(ctx, d, src, &e);
            if (st != TS_OK) break;
        }
        int64_t id = ts_dataset_next_image_id(d);
        char of[32];
        snprintf(of, sizeof of, "%lld", (long long)e.id);
        if (o->method == TS_BALANCE_AUGMENT) {
            ts_image_entry ne;
            ts_dataset_image(d, src, &ne);
            ne.id = id;
            ne.group_id = group;
            st = make(user, ctx, ds, src, ts_rng_for(o->seed, 0, k, OP_AUGMENT), d, &ne);
            continue;
        }
        st = ts_dataset_copy_image(ctx, d, ds, src, id, &at);
        if (st == TS_OK) {
            ts_dataset_image(d, at, &e);
            e.group_id = group;
            st = ts_dataset_update_image(ctx, d, at, &e);
        }
        if (st == TS_OK) st = set_image_attr(ctx, d, at, "copy_of", of, TS_ATTR_NUMBER);
        if (st == TS_OK) st = copy_annotations(ctx, ds, src, d, id);
    }
    if (st != TS_OK) {
        ts_dataset_destroy(d);
        return st;
    }
    *out = d;
    return TS_OK;
}
