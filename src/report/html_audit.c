/* The audit as one self-contained HTML page: inline SVG charts and JPEG
 * thumbnails as data URIs, so it opens anywhere with no network. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "trainset/formats.h"
#include "trainset/json.h"
#include "trainset/report.h"

#define THUMB_SIDE 112
#define EXAMPLES_PER_FINDING 8
#define MAX_THUMBS 400

static ts_status put_base64(ts_buf *out, const uint8_t *data, size_t len) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need;
    if (!ts_mul_size((len + 2) / 3, 4, &need) || ts_buf_reserve(out, need) != TS_OK) return TS_ERR_NOMEM;
    char *p = out->data + out->len;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *p++ = table[v >> 18], *p++ = table[(v >> 12) & 63], *p++ = table[(v >> 6) & 63], *p++ = table[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
        *p++ = table[v >> 18], *p++ = table[(v >> 12) & 63];
        *p++ = i + 1 < len ? table[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = 0;
    return TS_OK;
}

ts_status ts_report_thumbnail_uri(ts_ctx *ctx, const ts_dataset *ds, size_t index, int max_side, ts_buf *out, int *w,
                                  int *h) {
    ts_image_entry e;
    ts_dataset_image(ds, index, &e);
    ts_decode_opts opts = ts_decode_opts_default();
    int longest = e.width > e.height ? e.width : e.height;
    opts.scale_denom = 1;
    while (opts.scale_denom < 8 && longest / (opts.scale_denom * 2) >= max_side) opts.scale_denom *= 2;
    ts_image img, rgb, small;
    memset(&rgb, 0, sizeof rgb);
    memset(&small, 0, sizeof small);
    ts_status s = ts_dataset_load_image(ctx, ds, index, &opts, &img, NULL);
    if (s != TS_OK) return s;
    if (img.type != TS_PIX_U8) s = ts_error(ctx, TS_ERR_UNSUPPORTED, "thumbnails need 8-bit pixels");
    if (s == TS_OK) s = ts_image_convert(ctx, &img, img.c >= 3 ? 3 : 1, &rgb);
    double scale = img.w >= img.h ? (double)max_side / img.w : (double)max_side / img.h;
    if (scale > 1) scale = scale > 2 ? scale / 2 : 1; /* tiny images shown at half the thumbnail size */
    int tw = (int)lround(img.w * scale), th = (int)lround(img.h * scale);
    if (tw < 1) tw = 1;
    if (th < 1) th = 1;
    if (s == TS_OK) s = ts_image_resize(ctx, &rgb, tw, th, TS_INTERP_AREA, &small);
    uint8_t *jpeg = NULL;
    size_t len = 0;
    ts_encode_opts eo = {TS_CODEC_JPEG, 80, 0};
    if (s == TS_OK) s = ts_image_encode(ctx, &small, &eo, &jpeg, &len);
    if (s == TS_OK) s = ts_buf_puts(out, "data:image/jpeg;base64,");
    if (s == TS_OK) s = put_base64(out, jpeg, len);
    free(jpeg);
    ts_image_free(&img);
    ts_image_free(&rgb);
    ts_image_free(&small);
    if (s == TS_OK) *w = tw, *h = th;
    return s;
}

typedef struct {
    ts_ctx *ctx;
    const ts_dataset *ds;
    ts_buf *out;
    size_t thumbs;
} page;

/* One thumbnail figure with the given annotations drawn as rectangles. */
static ts_status figure(page *pg, int64_t image_id, const int64_t *anns, size_t n_anns, const char *caption) {
    size_t index;
    ts_buf *o = pg->out;
    if (!ts_dataset_find_image(pg->ds, image_id, &index))
        return ts_buf_printf(o, "<figure class=\"missing\">image %lld (not in the dataset)</figure>", (long long)image_id);
    ts_image_entry e;
    ts_dataset_image(pg->ds, index, &e);
    ts_buf uri = {0};
    int w = 0, h = 0;
    ts_status s = TS_OK;
    if (pg->thumbs < MAX_THUMBS && ts_report_thumbnail_uri(pg->ctx, pg->ds, index, THUMB_SIDE, &uri, &w, &h) == TS_OK) {
        pg->thumbs++;
        s = ts_buf_printf(o, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\"><image href=\"%s\" "
                             "width=\"%d\" height=\"%d\"/>",
                          w, h, uri.data, w, h);
        double sx = e.width > 0 ? (double)w / e.width : 0, sy = e.height > 0 ? (double)h / e.height : 0;
        for (size_t k = 0; k < n_anns && s == TS_OK && sx > 0; k++) {
            size_t ai;
            if (!ts_dataset_find_annotation(pg->ds, anns[k], &ai)) continue;
            ts_annotation a;
            ts_dataset_annotation(pg->ds, ai, &a);
            if (a.image_id != image_id || !(a.flags & TS_ANN_HAS_BOX) || !isfinite(a.bbox[0])) continue;
            s = ts_buf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                                 "stroke=\"#e15759\" stroke-width=\"1.5\"/>",
                              a.bbox[0] * sx, a.bbox[1] * sy, fmax(a.bbox[2] * sx, 1), fmax(a.bbox[3] * sy, 1));
        }
        if (s == TS_OK) s = ts_buf_puts(o, "</svg>");
    } else {
        ts_ctx_clear_error(pg->ctx);
        s = ts_buf_puts(o, "<figure class=\"missing\"><div class=\"nothumb\">unreadable</div>");
    }
    if (s == TS_OK) s = ts_buf_printf(o, "<figcaption>#%lld ", (long long)image_id);
    if (s == TS_OK) s = html_escape(o, caption ? caption : e.path);
    if (s == TS_OK) s = ts_buf_puts(o, "</figcaption></figure>");
    ts_buf_free(&uri);
    return s;
}

static ts_status class_chart(page *pg, const ts_jvalue *stats) {
    const ts_jvalue *classes = ts_json_get(stats, "classes");
    if (!classes || classes->type != TS_JARRAY || classes->u.arr.count == 0) return TS_OK;
    size_t nc = classes->u.arr.count;
    const ts_jvalue *first = ts_json_get(&classes->u.arr.items[0], "annotations");
    size_t ns = first && first->type == TS_JOBJECT ? first->u.obj.count : 0;
    if (ns == 0) return TS_OK;
    const char **labels = calloc(nc, sizeof *labels);
    const char **series = calloc(ns, sizeof *series);
    double *values = calloc(nc * ns, sizeof *values);
    ts_status s = (!labels || !series || !values) ? TS_ERR_NOMEM : TS_OK;
    for (size_t k = 0; s == TS_OK && k < ns; k++) series[k] = *first->u.obj.keys[k] ? first->u.obj.keys[k] : "(no split)";
    for (size_t c = 0; s == TS_OK && c < nc; c++) {
        const ts_jvalue *cl = &classes->u.arr.items[c];
        labels[c] = ts_json_get_string(cl, "name") ? ts_json_get_string(cl, "name") : "?";
        const ts_jvalue *per = ts_json_get(cl, "annotations");
        for (size_t k = 0; per && k < ns && k < per->u.obj.count; k++) values[c * ns + k] = per->u.obj.values[k].u.num.value;
    }
    if (s == TS_OK) s = ts_buf_puts(pg->out, "<h2>Classes per split</h2><div class=\"chart\">");
    if (s == TS_OK) s = svg_grouped_bars(pg->out, "annotations per class and split", labels, nc, series, ns, values);
    if (s == TS_OK) s = ts_buf_puts(pg->out, "</div>");
    free(labels);
    free(series);
    free(values);
    return s;
}

static ts_status histogram(page *pg, const ts_jvalue *stats, const char *key, const char *title, const char *const *labels) {
    const ts_jvalue *h = ts_json_get(ts_json_get(stats, key), "counts");
    if (!h || h->type != TS_JARRAY) return TS_OK;
    double v[16] = {0}, total = 0;
    const char *series[1] = {title};
    size_t n = h->u.arr.count < 16 ? h->u.arr.count : 16;
    for (size_t i = 0; i < n; i++) total += v[i] = h->u.arr.items[i].u.num.value;
    if (total == 0) return TS_OK; /* e.g. no boxes in a classification set */
    ts_status s = ts_buf_puts(pg->out, "<div class=\"chart\">");
    if (s == TS_OK) s = svg_grouped_bars(pg->out, title, labels, n, series, 1, v);
    return s == TS_OK ? ts_buf_puts(pg->out, "</div>") : s;
}

static ts_status heatmaps(page *pg, const ts_jvalue *stats) {
    const ts_jvalue *classes = ts_json_get(stats, "classes");
    if (!classes || classes->type != TS_JARRAY) return TS_OK;
    ts_status s = TS_OK;
    int any = 0;
    for (size_t c = 0; c < classes->u.arr.count && c < 40 && s == TS_OK; c++) {
        const ts_jvalue *cl = &classes->u.arr.items[c], *heat = ts_json_get(cl, "centre_heatmap");
        if (!heat || heat->type != TS_JARRAY || heat->u.arr.count != 64) continue;
        double cells[64], sum = 0;
        for (int i = 0; i < 64; i++) sum += cells[i] = heat->u.arr.items[i].u.num.value;
        if (sum == 0) continue;
        if (!any) s = ts_buf_puts(pg->out, "<h2>Box centres per class</h2><div class=\"row\">"), any = 1;
        const char *name = ts_json_get_string(cl, "name");
        if (s == TS_OK) s = svg_heatmap(pg->out, name ? name : "?", cells, 8, 8, 96);
    }
    return any && s == TS_OK ? ts_buf_puts(pg->out, "</div>") : s;
}

static ts_status clusters(page *pg, const ts_audit *audit) {
    size_t n = ts_audit_cluster_count(audit);
    if (!n) return TS_OK;
    ts_status s = ts_buf_printf(pg->out, "<h2>Duplicate clusters (%zu)</h2>", n);
    for (size_t k = 0; k < n && k < 10 && s == TS_OK; k++) {
        const size_t *mem;
        size_t cnt;
        ts_audit_cluster(audit, k, &mem, &cnt);
        s = ts_buf_printf(pg->out, "<div class=\"row\"><span class=\"tag\">cluster %zu: %zu images</span>", k + 1, cnt);
        for (size_t i = 0; i < cnt && i < 6 && s == TS_OK; i++)
            s = figure(pg, ts_dataset_image_id(pg->ds, mem[i]), NULL, 0, i == 0 ? "kept" : NULL);
        if (s == TS_OK) s = ts_buf_puts(pg->out, "</div>");
    }
    return s;
}

static ts_status findings(page *pg, const ts_audit *audit) {
    size_t n = ts_audit_finding_count(audit);
    ts_status s = ts_buf_puts(pg->out, "<h2>Findings</h2><table><tr><th>severity</th><th>check</th><th>count</th>"
                                       "<th>what it means</th></tr>");
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_finding f;
        ts_audit_finding(audit, i, &f);
        s = ts_buf_printf(pg->out, "<tr class=\"%s\"><td>%s</td><td><a href=\"#f%zu\">%s</a></td><td>%llu</td><td>",
                          ts_severity_name(f.severity), ts_severity_name(f.severity), i, f.check,
                          (unsigned long long)f.count);
        if (s == TS_OK) s = html_escape(pg->out, f.message);
        if (s == TS_OK) s = ts_buf_puts(pg->out, "</td></tr>");
    }
    if (s == TS_OK) s = ts_buf_puts(pg->out, "</table>");
    for (size_t i = 0; i < n && s == TS_OK; i++) {
        ts_finding f;
        ts_audit_finding(audit, i, &f);
        if (!f.n_images) continue;
        s = ts_buf_printf(pg->out, "<h3 id=\"f%zu\" class=\"%s\">%s (%llu)</h3><p>", i, ts_severity_name(f.severity),
                          f.check, (unsigned long long)f.count);
        if (s == TS_OK) s = html_escape(pg->out, f.message);
        if (s == TS_OK) s = ts_buf_puts(pg->out, "</p><div class=\"row\">");
        for (size_t k = 0; k < f.n_images && k < EXAMPLES_PER_FINDING && s == TS_OK; k++)
            s = figure(pg, f.images[k], f.annotations, f.n_annotations, NULL);
        if (s == TS_OK && f.n_images > EXAMPLES_PER_FINDING)
            s = ts_buf_printf(pg->out, "<span class=\"tag\">and %zu more</span>", f.n_images - EXAMPLES_PER_FINDING);
        if (s == TS_OK) s = ts_buf_puts(pg->out, "</div>");
    }
    return s;
}

static const char style[] =
    "<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;"
    "vertical-align:top;font-size:13px}tr.error td:first-child,h3.error{color:#c0392b}tr.warning td:first-child,"
    "h3.warning{color:#d68910}.row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start;margin:6px 0}"
    "figure{margin:0;font-size:11px;max-width:140px}figcaption{word-break:break-all}.nothumb{width:112px;height:60px;"
    "background:#eee;display:flex;align-items:center;justify-content:center}.tag{font-size:12px;background:#eef;"
    "padding:2px 6px;border-radius:4px}.chart{overflow-x:auto}.summary span{margin-right:18px}</style>";

ts_status ts_report_audit_html(ts_ctx *ctx, const ts_dataset *ds, const ts_audit *audit, const char *title,
                               const char *path) {
    ts_jvalue *stats = NULL;
    const char *sj = ts_audit_stats_json(audit);
    ts_status s = ts_json_parse(ctx, "audit stats", sj, strlen(sj), &stats);
    if (s != TS_OK) return s;
    ts_buf out = {0};
    page pg = {ctx, ds, &out, 0};
    size_t sev[3] = {0, 0, 0};
    for (size_t i = 0; i < ts_audit_finding_count(audit); i++) {
        ts_finding f;
        ts_audit_finding(audit, i, &f);
        sev[f.severity]++;
    }
    s = ts_buf_puts(&out, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>trainset audit: ");
    if (s == TS_OK) s = html_escape(&out, title);
    if (s == TS_OK) s = ts_buf_printf(&out, "</title>%s</head><body><h1>Audit of ", style);
    if (s == TS_OK) s = html_escape(&out, title);
    if (s == TS_OK)
        s = ts_buf_printf(&out, "</h1><p class=\"summary\"><span>%zu images</span><span>%zu categories</span><span>%zu "
                                "annotations</span><span>%zu errors, %zu warnings, %zu notes</span></p>",
                          ts_dataset_image_count(ds), ts_dataset_category_count(ds), ts_dataset_annotation_count(ds), sev[2],
                          sev[1], sev[0]);
    if (s == TS_OK) s = findings(&pg, audit);
    if (s == TS_OK) s = class_chart(&pg, stats);
    static const char *const per_image[] = {"0", "1", "2", "3-5", "6-10", "11-20", "21-50", ">50"};
    static const char *const sizes[] = {"<2", "2-4", "4-8", "8-16", "16-32", "32-64", "64-128", "128-256",
                                        "256-512", "512-1k", "1k-2k", ">2k"};
    static const char *const aspects[] = {"<1/16", "1/8", "1/4", "1/2", "1", "2", "4", "8", ">16"};
    if (s == TS_OK) s = ts_buf_puts(&out, "<h2>Objects and boxes</h2><div class=\"row\">");
    if (s == TS_OK) s = histogram(&pg, stats, "objects_per_image", "annotations per image", per_image);
    if (s == TS_OK) s = histogram(&pg, stats, "box_size_log2_side", "box side sqrt(w*h), px", sizes);
    if (s == TS_OK) s = histogram(&pg, stats, "box_aspect_log2", "box aspect w/h", aspects);
    if (s == TS_OK) s = ts_buf_puts(&out, "</div>");
    if (s == TS_OK) s = heatmaps(&pg, stats);
    if (s == TS_OK) s = clusters(&pg, audit);
    if (s == TS_OK) s = ts_buf_puts(&out, "<h2>Statistics</h2><pre>");
    if (s == TS_OK) s = html_escape(&out, sj);
    if (s == TS_OK) s = ts_buf_puts(&out, "</pre></body></html>\n");
    if (s == TS_OK) s = ts_file_write_atomic(ctx, path, out.data, out.len);
    else if (s == TS_ERR_NOMEM) s = ts_error(ctx, s, "out of memory writing the report");
    ts_buf_free(&out);
    ts_json_free(stats);
    return s;
}
