/* Open Images subsets: class names resolved (with near misses suggested),
 * optionally expanded down the hierarchy; a first pass over the box and
 * label CSVs picks the images, a second reads only those. */
#include <stdlib.h>
#include <string.h>

#include "formats/csv_internal.h"
#include "formats/openimages_internal.h"
#include "trainset/openimages.h"

#define MAX_SUGGESTIONS 5

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Case-insensitive edit distance, capped (names are short). */
static int distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 100 || lb > 100) return 1000;
    int row[101];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *display_name(const oi_reader *r, uint32_t pid) {
    return r->mid[pid].name ? ts_strpool_get(r->names, r->mid[pid].name) : NULL;
}

/* The error for a class that matches nothing, listing names that contain
 * the query (or that it contains) first, then names a few edits away. */
static ts_status no_such_class(oi_reader *r, const char *query) {
    uint32_t best[MAX_SUGGESTIONS];
    int rank[MAX_SUGGESTIONS], nb = 0;
    uint32_t n = ts_strpool_count(r->mids);
    int qlen = (int)strlen(query);
    for (uint32_t pid = 1; pid < n; pid++) {
        const char *name = display_name(r, pid);
        if (!name) continue;
        int score;
        if (strcasestr(name, query) || strcasestr(query, name)) {
            int diff = (int)strlen(name) - qlen;
            score = diff < 0 ? -diff : diff;
        } else {
            int d = distance(name, query);
            if (d > (qlen < 8 ? 2 : qlen / 4)) continue;
            score = 1000 + d;
        }
        int at = nb < MAX_SUGGESTIONS ? nb++ : MAX_SUGGESTIONS;
        if (at == MAX_SUGGESTIONS && score >= rank[MAX_SUGGESTIONS - 1]) continue;
        if (at == MAX_SUGGESTIONS) at = MAX_SUGGESTIONS - 1;
        while (at > 0 && rank[at - 1] > score) {
            rank[at] = rank[at - 1];
            best[at] = best[at - 1];
            at--;
        }
        rank[at] = score;
        best[at] = pid;
    }
    ts_buf msg = {0};
    ts_buf_printf(&msg, "no Open Images class is named \"%s\"", query);
    for (int i = 0; i < nb; i++)
        ts_buf_printf(&msg, "%s\"%s\"", i == 0 ? "; did you mean " : ", ", display_name(r, best[i]));
    if (nb) ts_buf_puts(&msg, "?");
    else ts_buf_puts(&msg, " (names are matched whole, case aside; see the class-descriptions CSV)");
    ts_status s = ts_error(r->ctx, TS_ERR_NOT_FOUND, "%s", msg.data ? msg.data : "no such class");
    ts_buf_free(&msg);
    return s;
}

/* Mark every class named `query` (display name, any case, or the MID). */
static ts_status resolve(oi_reader *r, const char *query, uint8_t *keep) {
    uint32_t n = ts_strpool_count(r->mids);
    int found = 0;
    for (uint32_t pid = 1; pid < n; pid++) {
        const char *name = display_name(r, pid);
        if ((name && ts_strcaseeq(name, query)) || strcmp(ts_strpool_get(r->mids, pid), query) == 0) {
            keep[pid] = 1;
            found = 1;
        }
    }
    return found ? TS_OK : no_such_class(r, query);
}

/* Mark the subclasses of marked classes, wherever they occur in the tree. */
static void expand(oi_reader *r, const ts_jvalue *node, int inside, uint8_t *keep, int depth) {
    if (!node || node->type != TS_JOBJECT || depth > 64) return;
    const char *mid = ts_json_get_string(node, "LabelName");
    uint32_t pid;
    if (mid && ts_strpool_find(r->mids, mid, strlen(mid), &pid)) {
        if (inside) keep[pid] = 1;
        inside = inside || keep[pid];
    }
    const ts_jvalue *subs = ts_json_get(node, "Subcategory");
    if (subs && subs->type == TS_JARRAY)
        for (size_t i = 0; i < subs->u.arr.count; i++) expand(r, &subs->u.arr.items[i], inside, keep, depth + 1);
}

typedef struct {
    const uint8_t *keep;
    size_t n_keep;
    ts_strpool *selected;
    uint64_t limit;
    int labels; /* image-level label file: Confidence 0 selects nothing */
} pick_state;

static ts_status pick_row(oi_reader *r, void *user, const oi_file *f, void *vcsv, const int *cols) {
    (void)f;
    pick_state *p = user;
    ts_csv *csv = vcsv;
    size_t mlen, ilen;
    const char *mid = ts_csv_field(csv, (size_t)cols[1], &mlen), *id = ts_csv_field(csv, (size_t)cols[0], &ilen);
    uint32_t pid;
    if (!ts_strpool_find(r->mids, mid, mlen, &pid) || pid >= p->n_keep || !p->keep[pid]) return TS_OK;
    if (p->labels) {
        double c;
        if (cols[2] >= 0 && ts_csv_parse_double(ts_csv_field(csv, (size_t)cols[2], NULL), &c) && c == 0) return TS_OK;
    }
    if (p->limit && ts_strpool_count(p->selected) - 1 >= p->limit &&
        !ts_strpool_find(p->selected, id, ilen, &pid))
        return TS_ERR_CANCELLED; /* enough images: stop reading */
    if (ts_strpool_intern(p->selected, id, ilen, &pid) != TS_OK) return ts_error(r->ctx, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

ts_status ts_openimages_subset(ts_ctx *ctx, const char *dir, const ts_oi_subset_opts *opts, ts_dataset **out) {
    if (!opts || opts->n_classes == 0) return ts_error(ctx, TS_ERR_INVALID, "subset: no classes given");
    ts_read_opts ro = {0, NULL};
    oi_reader r;
    ts_status s = ts_oi_open(ctx, dir, &ro, 1, &r);
    uint32_t n = s == TS_OK ? ts_strpool_count(r.mids) : 0;
    uint8_t *keep = s == TS_OK ? ts_calloc_array(ctx, (size_t)n + 1, 1) : NULL;
    if (s == TS_OK && !keep) s = TS_ERR_NOMEM;
    for (size_t i = 0; i < opts->n_classes && s == TS_OK; i++) s = resolve(&r, opts->classes[i], keep);
    if (s == TS_OK && opts->hierarchy) {
        if (!r.hierarchy) ts_warn(ctx, "%s: no hierarchy JSON; --hierarchy adds no subclasses", dir);
        expand(&r, r.hierarchy, 0, keep, 0);
    }
    pick_state p = {keep, n, NULL, opts->limit, 0};
    if (s == TS_OK && ts_strpool_create(&p.selected) != TS_OK) s = ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    static const char *const cols[] = {"ImageID", "LabelName", "Confidence"};
    for (int kind = OI_BBOX; kind <= OI_LABELS && s == TS_OK; kind++)
        for (size_t i = 0; i < r.n_files && s == TS_OK; i++) {
            if (r.files[i].kind != kind) continue;
            if (p.limit && ts_strpool_count(p.selected) - 1 >= p.limit) break;
            p.labels = kind == OI_LABELS;
            s = ts_oi_each_row(&r, &r.files[i], cols, 3, 3u, pick_row, &p);
        }
    if (s == TS_OK) {
        r.selected = p.selected;
        r.keep_mid = opts->only_matching ? keep : NULL;
        r.keep_mid_n = n;
        s = ts_oi_load(&r);
    }
    for (uint32_t pid = 1; pid < n && s == TS_OK; pid++) {
        int64_t cat;
        if (keep[pid]) s = ts_oi_category(&r, pid, &cat);
    }
    if (s == TS_OK) {
        *out = r.ds;
        r.ds = NULL;
    }
    ts_strpool_destroy(p.selected);
    free(keep);
    ts_oi_close(&r);
    return s;
}
